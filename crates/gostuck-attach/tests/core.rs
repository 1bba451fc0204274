//! Core files of real Go processes, made by gcore and by the kernel
//! (GOTRACEBACK=crash), read as the process's memory.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use gostuck_attach::buildid::ElfFacts;
use gostuck_attach::core::{is_core, CoreClock, CoreError, CoreMemory};
use gostuck_attach::{Memory, MemoryError};

mod support;
use gostuck_attach::monotonic_ns;
use support::{build, gcore, go, section, Running, Scratch};

/// The stuck pipeline of testdata/scenarios/sigquit prints this once stuck.
const STUCK: &str = "waiting for first result";

fn read(m: &dyn Memory, addr: u64, len: usize) -> Result<Vec<u8>, MemoryError> {
    let mut b = vec![0; len];
    m.read(addr, &mut b).map(|()| b)
}

fn tasks(pid: u32) -> BTreeSet<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

#[test]
fn a_gcore_core_holds_the_process_as_it_was() {
    let (Some(go), Some(gcore)) = (go(), gcore()) else {
        return;
    };
    let dir = Scratch::new("gcore");
    let bin = build(&go, "scenarios/sigquit", &dir.0, "sigquit", &[]);
    let mut p = Running::start(Command::new(&bin));
    assert!(p.wait_for(STUCK, Duration::from_secs(20)), "{:?}", p.seen);
    let pid = p.pid();
    let before = monotonic_ns().cast_unsigned();
    let t = Instant::now();
    let out = Command::new(gcore)
        .arg("-o")
        .arg(dir.0.join("core"))
        .arg(pid.to_string())
        .output()
        .unwrap();
    let gcore_time = t.elapsed();
    let after = monotonic_ns().cast_unsigned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.0.join(format!("core.{pid}"));
    let t = Instant::now();
    let mut core = CoreMemory::open(&path).unwrap();
    let open_time = t.elapsed();
    let head = read(&core, 0x400000, 4).unwrap();
    assert_eq!(head, b"\x7fELF");

    // The executable, found by the entry point, with the build's IDs.
    let exe = core.executable().unwrap();
    assert_eq!(Path::new(&exe.path), bin.canonicalize().unwrap());
    let facts = ElfFacts::read(&bin).unwrap();
    assert!(facts.ids.go.is_some());
    // (Only the Go build ID is in a PT_NOTE segment, which is what memory shows.)
    let ids = core.executable_ids().unwrap();
    assert_eq!(ids.go, facts.ids.go);
    assert_eq!(ids.same_build(&facts.ids), Some(true));

    // Every thread of the core is a thread of the process, with registers.
    let live = tasks(pid);
    assert!(!core.threads().is_empty());
    for th in core.threads() {
        assert!(live.contains(&th.tid), "{th:?} not in {live:?}");
        assert!(th.rip != 0 && th.rsp != 0, "{th:?}");
    }
    assert!(core.threads().iter().any(|t| t.tid == pid));

    // Data and text read from the core are the program's.
    for name in [".go.buildinfo", ".text"] {
        let (addr, bytes) = section(&bin, name);
        assert_eq!(read(&core, addr, bytes.len()).unwrap(), bytes, "{name}");
    }
    // gcore leaves the read-only data segment out: it comes from the binary.
    let (addr, bytes) = section(&bin, ".gopclntab");
    assert!(matches!(
        read(&core, addr, 8),
        Err(MemoryError::Unmapped { .. })
    ));
    core.set_binary(&bin).unwrap();
    assert_eq!(read(&core, addr, bytes.len()).unwrap(), bytes);
    assert!(matches!(
        read(&core, 8, 8),
        Err(MemoryError::Unmapped { addr: 8, len: 8 })
    ));

    // "Now" for the core: when gcore wrote it, on Go's clock.
    match core.clock() {
        CoreClock::Mtime { nanotime } => {
            assert!(
                before <= nanotime && nanotime <= after + 1_000_000_000,
                "{before} {nanotime} {after}"
            )
        }
        other => panic!("{other:?}"),
    }
    let size = std::fs::metadata(&path).unwrap().len();
    eprintln!(
        "gcore: {} MB in {gcore_time:?}, opened in {open_time:?}, {:?}",
        size >> 20,
        core.stats()
    );
    // The process goes on after gcore.
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    assert!(!is_core(&std::fs::read(&bin).unwrap()[..64]));
    assert!(matches!(
        CoreMemory::open(&bin),
        Err(CoreError::NotCore { .. })
    ));
}

/// Where the kernel writes cores here, or why it cannot be used.
fn kernel_cores() -> Result<(), String> {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern")
        .map_err(|e| format!("cannot read core_pattern: {e}"))?;
    let pattern = pattern.trim();
    if pattern.starts_with('|') {
        return Err(format!("core_pattern pipes cores to a program ({pattern})"));
    }
    if pattern.contains('/') {
        return Err(format!("core_pattern writes cores elsewhere ({pattern})"));
    }
    Ok(())
}

#[test]
fn a_kernel_core_is_read_with_the_binary_for_what_it_left_out() {
    let Some(go) = go() else { return };
    if let Err(why) = kernel_cores() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = Scratch::new("kcore");
    let bin = build(&go, "scenarios/sigquit", &dir.0, "sigquit", &[]);
    // `ulimit -c unlimited` for the program alone.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -c unlimited && exec \"$0\"")
        .arg(&bin)
        .current_dir(&dir.0)
        .env("GOTRACEBACK", "crash");
    let mut p = Running::start(cmd);
    assert!(p.wait_for(STUCK, Duration::from_secs(20)), "{:?}", p.seen);
    let pid = p.pid();
    let t = Instant::now();
    Command::new("kill")
        .args(["-QUIT", &pid.to_string()])
        .status()
        .unwrap();
    let (code, text) = p.finish(Duration::from_secs(60));
    let crash_time = t.elapsed();
    assert_eq!(code, None, "{text}");
    assert!(text.contains("SIGQUIT: quit"), "{text}");
    let Some(path) = std::fs::read_dir(&dir.0)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("core"))
        })
    else {
        eprintln!("skipped: the kernel wrote no core (RLIMIT_CORE hard limit, or a container without core dumps)");
        return;
    };
    let head = std::fs::read(&path).unwrap();
    assert!(is_core(&head[..64]));
    drop(head);
    let mut core = CoreMemory::open(&path).unwrap();
    let exe = core.executable().unwrap().clone();
    assert_eq!(Path::new(&exe.path), bin.canonicalize().unwrap());
    let facts = ElfFacts::read(&bin).unwrap();
    // The first page of the executable is in the core, with the build ID.
    // (Only the Go build ID is in a PT_NOTE segment, which is what memory shows.)
    let ids = core.executable_ids().unwrap();
    assert_eq!(ids.go, facts.ids.go);
    assert_eq!(ids.same_build(&facts.ids), Some(true));
    // GOTRACEBACK=crash ends in SIGABRT.
    assert!(
        core.threads().iter().any(|t| t.signal == 6),
        "{:?}",
        core.threads()
    );
    let stats = core.stats();
    assert!(stats.left_out > 0, "{stats:?}");

    // Text is left out of kernel cores: read from the binary, by file offset.
    let (text, bytes) = section(&bin, ".text");
    assert!(matches!(
        read(&core, text, 16),
        Err(MemoryError::Unmapped { .. })
    ));
    core.set_binary(&bin).unwrap();
    assert_eq!(read(&core, text, bytes.len()).unwrap(), bytes);
    let (rodata, bytes) = section(&bin, ".gopclntab");
    assert_eq!(read(&core, rodata, bytes.len()).unwrap(), bytes);
    // Data comes from the core.
    let (data, bytes) = section(&bin, ".go.buildinfo");
    assert_eq!(read(&core, data, bytes.len()).unwrap(), bytes);
    eprintln!(
        "kernel core: {} MB apparent, {} KB on disk, written in {crash_time:?}, {stats:?}",
        std::fs::metadata(&path).unwrap().len() >> 20,
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(&path).unwrap().blocks() / 2
        }
    );

    // A truncated core opens, and what is cut off is not there.
    let cut = dir.0.join("cut");
    let all = std::fs::read(&path).unwrap();
    std::fs::write(&cut, &all[..all.len() / 2]).unwrap();
    let c = CoreMemory::open(&cut).unwrap();
    let (data, _) = section(&bin, ".go.buildinfo");
    let _ = read(&c, data, 32);
    for t in c.threads() {
        let _ = read(&c, t.rsp, 64);
    }
    std::fs::write(&cut, &all[..100]).unwrap();
    assert!(CoreMemory::open(&cut).is_err());
    hostile_copies(&all, &cut, &bin);
}

/// Random bytes written over the headers and notes of a real core: every
/// copy opens or is refused, and reads fail or succeed, never panic or hang.
fn hostile_copies(core: &[u8], scratch: &Path, bin: &Path) {
    let head = 1 << 20;
    let mut bytes = core[..head.min(core.len())].to_vec();
    let notes_end = 0x10000.min(bytes.len());
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut opened, mut refused) = (0, 0);
    for _ in 0..300 {
        let mut b = bytes.clone();
        for _ in 0..1 + next() % 16 {
            let at = usize::try_from(next()).unwrap() % notes_end;
            b[at] = next().to_le_bytes()[0];
        }
        std::fs::write(scratch, &b).unwrap();
        match CoreMemory::open(scratch) {
            Ok(mut c) => {
                opened += 1;
                let _ = c.executable_ids();
                let _ = c.clock();
                let _ = c.stats();
                let _ = c.set_binary(bin);
                for t in c.threads() {
                    let _ = read(&c, t.rsp, 256);
                }
                for f in c.files().iter().take(8) {
                    let _ = read(&c, f.start, 4096);
                    let _ = read(&c, f.end.wrapping_sub(8), 64);
                }
                let _ = read(&c, u64::MAX - 4, 16);
            }
            Err(_) => refused += 1,
        }
        bytes[usize::try_from(next()).unwrap() % notes_end] ^= 1;
    }
    assert!(opened > 0, "{refused} refused, none opened");
}

//! Build IDs of real Go builds: unstripped, `-ldflags=-s -w`, and a
//! `strip`ped copy of an unstripped build, and of a running process.

use std::process::Command;
use std::time::Duration;

use gostuck_attach::buildid::{ids_in_memory, verify, BuildIdError, ElfFacts, Verified};

mod support;
use gostuck_attach::ProcessMemory;
use support::{build, go, Running, Scratch};

#[test]
fn stripped_builds_are_refused_and_matched_only_with_their_own_build() {
    let Some(go) = go() else { return };
    let dir = Scratch::new("buildid");
    let full = build(&go, "scenarios/sigquit", &dir.0, "full", &[]);
    let small = build(
        &go,
        "scenarios/sigquit",
        &dir.0,
        "small",
        &["-ldflags=-s -w"],
    );

    let f = ElfFacts::read(&full).unwrap();
    assert!(f.symtab && f.dwarf, "{f:?}");
    f.require_unstripped(&full).unwrap();
    // The Go build ID is what `go tool buildid` says.
    let said = Command::new(&go)
        .args(["tool", "buildid"])
        .arg(&full)
        .output()
        .unwrap();
    assert_eq!(
        f.ids.go.as_deref(),
        Some(String::from_utf8_lossy(&said.stdout).trim())
    );
    assert!(f.ids.gnu.is_some());

    let s = ElfFacts::read(&small).unwrap();
    assert!(!s.symtab && !s.dwarf, "{s:?}");
    let e = s.require_unstripped(&small).unwrap_err().to_string();
    assert!(
        e.contains("is stripped (it has no symbol table and no DWARF)"),
        "{e}"
    );
    assert!(e.contains("Pass --binary with an unstripped build"), "{e}");

    // `-ldflags=-s -w` is another link: its IDs differ and it is refused.
    let e = verify(&full, &f.ids, "process 42", &s.ids).unwrap_err();
    assert!(matches!(e, BuildIdError::Mismatch { .. }));
    let text = e.to_string();
    assert!(
        text.contains("is not the program process 42 runs"),
        "{text}"
    );
    assert!(text.contains(f.ids.go.as_deref().unwrap()), "{text}");
    assert!(text.contains(s.ids.go.as_deref().unwrap()), "{text}");

    // A stripped copy of the unstripped build keeps its IDs: accepted.
    let copy = dir.0.join("stripped-copy");
    let st = Command::new("objcopy")
        .arg("--strip-all")
        .arg(&full)
        .arg(&copy)
        .status();
    match st {
        Ok(st) if st.success() => {
            let c = ElfFacts::read(&copy).unwrap();
            assert!(!c.symtab && !c.dwarf);
            assert_eq!(c.ids, f.ids);
            assert_eq!(
                verify(&full, &f.ids, "the core", &c.ids).unwrap(),
                Verified::Same(f.ids.clone())
            );
        }
        _ => eprintln!("objcopy (binutils) missing: the stripped-copy case is not checked"),
    }
    // A target without IDs cannot be verified, and says so.
    let none = Default::default();
    match verify(&full, &f.ids, "the core", &none).unwrap() {
        Verified::Unverifiable(why) => assert!(why.contains("no build ID here"), "{why}"),
        v => panic!("{v:?}"),
    }
    // A program the Go linker did not make.
    let sh = std::path::Path::new("/bin/sh");
    if let Ok(f) = ElfFacts::read(sh) {
        let e = f.require_unstripped(sh).unwrap_err().to_string();
        assert!(e.contains("is not a Go program"), "{e}");
    }
    // Not an ELF file at all.
    let go_mod = support::repo().join("testdata/scenarios/sigquit/go.mod");
    assert!(matches!(
        ElfFacts::read(&go_mod),
        Err(BuildIdError::NotElf { .. })
    ));
}

#[test]
fn a_running_process_shows_its_build_id_in_exe_and_in_memory() {
    let Some(go) = go() else { return };
    let dir = Scratch::new("buildid-proc");
    let bin = build(
        &go,
        "scenarios/sigquit",
        &dir.0,
        "prog",
        &["-ldflags=-s -w"],
    );
    let want = ElfFacts::read(&bin).unwrap().ids;
    let mut p = Running::start(Command::new(&bin));
    assert!(p.wait_for("waiting for first result", Duration::from_secs(20)));
    let exe = std::path::PathBuf::from(format!("/proc/{}/exe", p.pid()));
    assert_eq!(ElfFacts::read(&exe).unwrap().ids, want);
    // The first mapping of the executable in /proc/PID/maps.
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", p.pid())).unwrap();
    let canon = bin.canonicalize().unwrap();
    let base = maps
        .lines()
        .find(|l| l.ends_with(&*canon.to_string_lossy()))
        .and_then(|l| u64::from_str_radix(l.split('-').next()?, 16).ok())
        .unwrap();
    let got = ids_in_memory(&ProcessMemory::open(p.pid()).unwrap(), base).unwrap();
    assert_eq!(got.go, want.go);
    // Garbage where an ELF header should be gives nothing, not a panic.
    assert_eq!(
        ids_in_memory(&ProcessMemory::open(p.pid()).unwrap(), base + 0x1000),
        None
    );
}

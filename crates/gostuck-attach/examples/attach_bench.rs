//! How long reading a big process takes: builds bench/attach-many with the
//! given `go`, parks N goroutines in it, and times snapshots of it, with and
//! without a SIGSTOP…SIGCONT pause around the read.
//!
//! cargo run --release -p gostuck-attach --example attach_bench -- GO [N]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gostuck_attach::{capture, Binary, ProcessMemory, SnapshotOptions};

/// Kills and reaps the program on every way out.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) on our own, not yet reaped, child.
    unsafe {
        libc::kill(i32::try_from(pid).expect("a pid fits pid_t"), sig);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let go = args.next().expect("usage: attach_bench GO [N]");
    let n: u32 = args.next().map_or(100_000, |s| s.parse().expect("N"));
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("attach-many");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/attach-many");
    let st = Command::new(&go)
        .args(["build", "-o"])
        .arg(&exe)
        .arg(".")
        .current_dir(&src)
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .status()
        .unwrap();
    assert!(st.success());
    let t = Instant::now();
    let bin = Binary::open(&exe).unwrap();
    println!("open binary ({:?}): {:?}", bin.go_version(), t.elapsed());
    let mut child = Guard(
        Command::new(&exe)
            .arg(format!("-n={n}"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("ready"), "{line}");
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.0.id();
    let mem = ProcessMemory::open(pid).unwrap();
    let opts = SnapshotOptions::default();
    for round in 0..3 {
        let cap = capture(&mem, &bin, &opts).unwrap();
        let read = cap.read_time;
        println!("  of which stacks: {:?}", cap.stacks_time);
        let count = cap.len();
        let t = Instant::now();
        let snap = cap.decode(&bin, &opts);
        let frames: usize = snap.dump.goroutines.iter().map(|g| g.frames.len()).sum();
        println!(
            "round {round}: {count} goroutines, {frames} frames: read {read:?}, decode {:?}, warnings {}",
            t.elapsed(),
            snap.dump.warnings.len()
        );
        if round == 0 {
            for w in snap.dump.warnings.iter().take(3) {
                println!("  warning: {w}");
            }
            if let Some(id) = snap.dump.warnings.first().and_then(|w| {
                w.message
                    .strip_prefix("goroutine ")?
                    .split(':')
                    .next()?
                    .parse::<u64>()
                    .ok()
            }) {
                let d = &snap.dump;
                let g = d.goroutines.iter().find(|g| g.id == Some(id)).unwrap();
                println!("  goroutine {id} [{}]", d.str(g.state));
                for f in g.frames.iter() {
                    println!("    {} {}:{}", d.str(f.function), d.str(f.file), f.line);
                }
            }
        }
        let t = Instant::now();
        signal(pid, libc::SIGSTOP);
        let cap = capture(&mem, &bin, &opts);
        signal(pid, libc::SIGCONT);
        println!(
            "round {round}: paused read of {} goroutines: process stopped for {:?}",
            cap.map(|c| c.len()).unwrap_or(0),
            t.elapsed()
        );
    }
}

//! How long `gostuck attach` pauses a process with 100,000 goroutines
//! (testdata/scenarios/idle-subscribers-100k): SIGSTOP until every thread
//! stopped, the copy of every goroutine, SIGCONT. Needs a Go toolchain
//! (GOSTUCK_GO); SUBSCRIBERS overrides the goroutine count.
//!
//! `GOSTUCK_GO=… cargo bench -p gostuck-attach --bench pause`

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use gostuck_attach::{attach, AttachOptions};

/// The program, killed and reaped at the end.
struct Reaped(Child);
impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let Some(go) = std::env::var_os("GOSTUCK_GO").map(PathBuf::from) else {
        eprintln!("GOSTUCK_GO is not set: no Go toolchain to build the target with");
        return;
    };
    let n = std::env::var("SUBSCRIBERS").unwrap_or_else(|_| "100000".into());
    let dir = std::env::temp_dir().join(format!("gostuck-bench-pause-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("subs");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/scenarios/idle-subscribers-100k");
    let ok = Command::new(&go)
        .args(["build", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(src)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .status()
        .unwrap()
        .success();
    assert!(ok, "go build failed");
    let mut child = Reaped(
        Command::new(&bin)
            .env("SUBSCRIBERS", &n)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("ready"), "{line}");
    // Keep reading its heartbeat so that the pipe never fills.
    std::thread::spawn(move || for _ in out.lines() {});
    let pid = child.0.id();
    for round in 1..=5 {
        let got = attach(pid, &AttachOptions::default()).unwrap();
        let p = got.pause.unwrap();
        println!(
            "round {round}: {} goroutines; paused {:.1} ms (threads stopped in {:.1} ms, copy {:.1} ms)",
            got.dump.goroutines.len(),
            p.paused.as_secs_f64() * 1e3,
            p.stop_latency.as_secs_f64() * 1e3,
            got.read_time.as_secs_f64() * 1e3
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

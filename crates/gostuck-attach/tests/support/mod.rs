//! Helpers for the tests that build and run real Go programs (each test file
//! is its own crate, so not every file uses every helper).
//!
//! Go toolchains come from the environment, the same way in every test of
//! the workspace: GOSTUCK_GO names the pinned `go` (scripts/test.sh sets it),
//! GOSTUCK_GO_MORE any others, colon-separated.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The pinned Go toolchain (GOSTUCK_GO, set by scripts/test.sh). Without it
/// the test is skipped with a reason, except under CI, where it fails.
pub fn go() -> Option<PathBuf> {
    match std::env::var_os("GOSTUCK_GO") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set GOSTUCK_GO (scripts/test.sh does)")
        }
        None => {
            eprintln!("skipped: GOSTUCK_GO is not set (run scripts/test.sh)");
            None
        }
    }
}

/// The pinned toolchain and any others named in GOSTUCK_GO_MORE
/// (colon-separated paths of `go` binaries).
pub fn gos() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = go().into_iter().collect();
    if let Some(more) = std::env::var_os("GOSTUCK_GO_MORE") {
        v.extend(std::env::split_paths(&more).filter(|p| p.exists()));
    }
    v
}

/// The toolchain of [`gos`] that is Go `version` (`1.27.3`, asked with
/// `go env GOVERSION`, so a wrapper script works too), or a printed reason
/// to skip.
pub fn go_of(version: &str) -> Option<PathBuf> {
    let want = format!("go{version}");
    let found = gos().into_iter().find(|g| {
        Command::new(g)
            .args(["env", "GOVERSION"])
            .env("GOTOOLCHAIN", "local")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == want)
    });
    if found.is_none() {
        eprintln!("skipped: no Go {version} in GOSTUCK_GO or GOSTUCK_GO_MORE");
    }
    found
}

/// The GOROOT of `go` (asked, not derived from its path: `go` may be a wrapper).
pub fn goroot(go: &Path) -> PathBuf {
    let o = Command::new(go)
        .args(["env", "GOROOT"])
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(o.status.success(), "go env GOROOT failed");
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}

/// gcore (Debian's gdb package), or a printed reason to skip.
pub fn gcore() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("gcore"))
        .find(|p| p.exists());
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("CI must have gcore (scripts/test.sh installs gdb)");
        }
        eprintln!("skipped: gcore (package gdb) is not installed");
    }
    found
}

/// A scratch directory removed at the end.
pub struct Scratch(pub PathBuf);
impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let d = tempfile::Builder::new()
            .prefix(&format!("gostuck-attach-{name}-"))
            .tempdir()
            .unwrap()
            .keep();
        Scratch(d)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds `testdata/<program>` (`scenarios/abba`) with `go build FLAGS` into
/// `dir/out`, with the standard library only.
pub fn build(go: &Path, program: &str, dir: &Path, out: &str, flags: &[&str]) -> PathBuf {
    let bin = dir.join(out);
    let o = Command::new(go)
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(&bin)
        .arg(".")
        .current_dir(repo().join("testdata").join(program))
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOWORK", "off")
        .env_remove("GOROOT")
        .env_remove("GOEXPERIMENT")
        .env_remove("GOTRACEBACK")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "go build of {program}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    bin
}

/// A running program, killed and reaped whatever happens; its output lines
/// (stdout and stderr) arrive on a channel.
pub struct Running {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Running {
    pub fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        for r in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(r).lines().map_while(Result::ok) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
        }
        Running {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// A scenario program with GOTRACEBACK=all, no inherited GODEBUG, and `env`.
    pub fn program(bin: &Path, env: &[(&str, &str)]) -> Running {
        let mut cmd = Command::new(bin);
        cmd.env_remove("GODEBUG").env("GOTRACEBACK", "all");
        for (k, v) in env {
            cmd.env(k, v);
        }
        Running::start(cmd)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits (at most `limit`) for a line containing `needle`.
    pub fn wait_for(&mut self, needle: &str, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = l.contains(needle);
                    self.seen.push(l);
                    if hit {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// SIGQUIT (to the child's pid only), then everything it printed until
    /// it exits (at most 20 s).
    pub fn quit(self) -> String {
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::QUIT);
        self.finish(Duration::from_secs(20)).1
    }

    /// Everything printed until the program exits (at most `limit`; then it is killed).
    pub fn finish(mut self, limit: Duration) -> (Option<i32>, String) {
        let end = Instant::now() + limit;
        loop {
            match self.child.try_wait().unwrap() {
                Some(_) => break,
                None if Instant::now() > end => {
                    let _ = self.child.kill();
                    break;
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        let status = self.child.wait().unwrap();
        // The readers end when the pipes close.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        (status.code(), std::mem::take(&mut self.seen).join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A section's address and bytes in an ELF file.
pub fn section(file: &Path, name: &str) -> (u64, Vec<u8>) {
    use object::{Object, ObjectSection};
    let data = std::fs::read(file).unwrap();
    let f = object::File::parse(&*data).unwrap();
    let s = f.section_by_name(name).unwrap();
    (s.address(), s.data().unwrap().to_vec())
}

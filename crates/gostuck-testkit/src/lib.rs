//! Test support shared by the crates whose tests build and run real Go
//! programs (the CLI's and gostuck-attach's): one home for finding the Go
//! toolchains and gcore, building a program of `testdata/`, and supervising
//! a running program so that it is killed and reaped whatever happens.
//!
//! Go toolchains come from the environment, the same way in every test of
//! the workspace: GOSTUCK_GO names the pinned `go` (scripts/test.sh sets
//! it), GOSTUCK_GO_MORE any others, colon-separated. Without GOSTUCK_GO a
//! test is skipped with a printed reason, except under CI (`CI` set), where
//! it fails: CI can never pass such tests vacuously.
//!
//! A dev-dependency only (`publish = false`); it panics on a broken test
//! environment, as tests should.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The repository root.
#[must_use]
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The pinned Go toolchain (GOSTUCK_GO), or a printed reason to skip.
#[must_use]
pub fn go() -> Option<PathBuf> {
    match std::env::var_os("GOSTUCK_GO") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set GOSTUCK_GO (scripts/test.sh does)"
            );
            eprintln!("skipped: GOSTUCK_GO is not set (run scripts/test.sh)");
            None
        }
    }
}

/// The pinned toolchain and any others named in GOSTUCK_GO_MORE
/// (colon-separated paths of `go` binaries).
#[must_use]
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
#[must_use]
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
#[must_use]
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
#[must_use]
pub fn gcore() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("gcore"))
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have gcore (scripts/test.sh installs gdb)"
        );
        eprintln!("skipped: gcore (Debian package gdb) is not installed");
    }
    found
}

/// A scratch directory, removed at the end.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A new directory named after `tag`.
    #[must_use]
    pub fn new(tag: &str) -> Scratch {
        let d = tempfile::Builder::new()
            .prefix(&format!("gostuck-test-{tag}-"))
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
/// `dir/out`, with the standard library only and no inherited Go settings.
#[must_use]
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

/// Kills and reaps a child on every way out of a test.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running program, killed and reaped whatever happens; its output lines
/// (stdout and stderr) arrive on a channel.
pub struct Running {
    /// The process.
    pub child: Child,
    /// Lines not read yet.
    pub lines: mpsc::Receiver<String>,
    /// Lines read so far.
    pub seen: Vec<String>,
}

impl Running {
    /// Starts `cmd` with stdin closed and its output read line by line.
    #[must_use]
    pub fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let out: Box<dyn std::io::Read + Send> = Box::new(child.stdout.take().unwrap());
        let err: Box<dyn std::io::Read + Send> = Box::new(child.stderr.take().unwrap());
        for r in [out, err] {
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
    #[must_use]
    pub fn program(bin: &Path, env: &[(&str, &str)]) -> Running {
        let mut cmd = Command::new(bin);
        cmd.env_remove("GODEBUG").env("GOTRACEBACK", "all");
        for (k, v) in env {
            cmd.env(k, v);
        }
        Running::start(cmd)
    }

    /// Its process ID.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits (at most `limit`) for a line that `hit` accepts.
    pub fn wait_until(&mut self, limit: Duration, hit: impl Fn(&str) -> bool) -> bool {
        let end = Instant::now() + limit;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let found = hit(&l);
                    self.seen.push(l);
                    if found {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// Waits (at most `limit`) for a line containing `needle`.
    pub fn wait_for(&mut self, needle: &str, limit: Duration) -> bool {
        self.wait_until(limit, |l| l.contains(needle))
    }

    /// Waits (at most 20 s) for a line starting with `prefix`.
    pub fn wait_for_prefix(&mut self, prefix: &str) -> bool {
        self.wait_until(Duration::from_secs(20), |l| l.starts_with(prefix))
    }

    /// The highest `heartbeat N` printed so far.
    pub fn last_beat(&mut self) -> u64 {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
        self.seen
            .iter()
            .filter_map(|l| {
                l.strip_prefix("heartbeat ")?
                    .split(' ')
                    .next()?
                    .parse()
                    .ok()
            })
            .max()
            .unwrap_or(0)
    }

    /// SIGQUIT (to the child's pid only), then everything it printed until
    /// it exits (at most 60 s; then it is killed).
    #[must_use]
    pub fn quit(self) -> String {
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::QUIT);
        self.finish(Duration::from_secs(60)).1
    }

    /// Everything printed until the program exits (at most `limit`; then it
    /// is killed), with its exit code.
    #[must_use]
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

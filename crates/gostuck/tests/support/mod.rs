//! Helpers shared by the whole-process tests (each test file is its own crate,
//! so not every file uses every helper).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The pinned Go toolchain that scripts/test.sh installs (GOSTUCK_GO). Without
/// it, live tests are skipped locally and fail under CI, so CI can never pass
/// them vacuously.
pub fn go() -> Option<PathBuf> {
    match std::env::var_os("GOSTUCK_GO") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set GOSTUCK_GO (scripts/test.sh does)")
        }
        None => {
            eprintln!("GOSTUCK_GO not set: skipping live Go tests (run scripts/test.sh)");
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

/// gcore (Debian's gdb package), or a printed reason to skip.
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

/// Kills and reaps a child on every way out of a test.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scratch directory, removed at the end.
pub struct Scratch(pub PathBuf);
impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let d = tempfile::Builder::new()
            .prefix(&format!("gostuck-attach-{tag}-"))
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

/// Builds testdata/scenarios/NAME into DIR with `go build FLAGS`.
pub fn build(go: &Path, name: &str, dir: &Path, flags: &[&str]) -> PathBuf {
    let bin = dir.join(name);
    let o = Command::new(go)
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(&bin)
        .arg(".")
        .current_dir(repo().join("testdata/scenarios").join(name))
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "go build {name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    bin
}

/// A running program, killed and reaped whatever happens, its output lines
/// (stdout and stderr) on a channel.
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

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most 20 s) for a line starting with `prefix`.
    pub fn wait_for(&mut self, prefix: &str) -> bool {
        let end = Instant::now() + Duration::from_secs(20);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = l.starts_with(prefix);
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

    /// SIGQUIT, then everything printed until the program ends (at most 60 s).
    pub fn quit(mut self) -> String {
        Command::new("kill")
            .args(["-QUIT", &self.pid().to_string()])
            .status()
            .unwrap();
        let end = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        std::mem::take(&mut self.seen).join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `main.go:28`-style blocked locations of a JSON finding, sorted and unique.
pub fn blocked_lines(f: &Value) -> Vec<String> {
    let mut v: Vec<String> = f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == "blocked")
        .map(|l| {
            format!(
                "{}:{}",
                l["file"].as_str().unwrap().rsplit('/').next().unwrap(),
                l["line"]
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Runs the gostuck binary in the repository root; (exit code, stdout, stderr).
pub fn gostuck(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn base(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

/// `main.go:28`-style locations of a JSON finding with the given role.
pub fn roles(f: &Value, role: &str) -> BTreeSet<String> {
    f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == role)
        .map(|l| format!("{}:{}", base(l["file"].as_str().unwrap()), l["line"]))
        .collect()
}

/// An expectation names one confidence, or several where Go versions differ
/// in evidence (Go 1.27 marks proven leaks `(leaked)` once the goroutineleak
/// profile has run).
fn confidence_ok(got: &Value, want: &Value) -> bool {
    match want.as_array() {
        Some(options) => options.contains(got),
        None => got == want,
    }
}

/// The strings of a JSON array, as a set.
pub fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Compares one report with its expectation (testdata/expected/*.json):
/// the verdict, then the findings; returns what differs.
pub fn compare(report: &Value, want: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    if report["verdict"] != want["verdict"] {
        diffs.push(format!(
            "verdict {} != expected {}",
            report["verdict"], want["verdict"]
        ));
    }
    diffs.extend(compare_findings(report, want, true));
    diffs
}

/// Compares the findings of a report with an expectation's, one to one: kind,
/// goroutine count, blocked and acquired lines, and the confidence when
/// `with_confidence`. Returns what differs.
pub fn compare_findings(report: &Value, want: &Value, with_confidence: bool) -> Vec<String> {
    let mut diffs = Vec::new();
    let got = report["findings"].as_array().unwrap();
    let exp = want["findings"].as_array().unwrap();
    if got.len() != exp.len() {
        let kinds: Vec<_> = got.iter().map(|f| f["kind"].to_string()).collect();
        diffs.push(format!(
            "{} findings {kinds:?}, expected {}",
            got.len(),
            exp.len()
        ));
    }
    let mut used = vec![false; got.len()];
    for e in exp {
        let found = got.iter().enumerate().position(|(i, f)| {
            !used[i]
                && f["kind"] == e["kind"]
                && (!with_confidence || confidence_ok(&f["confidence"], &e["confidence"]))
                && f["count"] == e["goroutines"]
                && roles(f, "blocked") == strings(&e["blocked"])
                && roles(f, "acquired") == strings(&e["acquired"])
        });
        match found {
            Some(i) => used[i] = true,
            None => {
                let near: Vec<String> = got
                    .iter()
                    .filter(|f| f["kind"] == e["kind"])
                    .map(|f| {
                        format!(
                            "{} {} count={} blocked={:?} acquired={:?}",
                            f["kind"],
                            f["confidence"],
                            f["count"],
                            roles(f, "blocked"),
                            roles(f, "acquired")
                        )
                    })
                    .collect();
                diffs.push(format!("missing {e}; same-kind findings: {near:?}"));
            }
        }
    }
    diffs
}

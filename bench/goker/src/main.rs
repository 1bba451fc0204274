//! `gostuck-goker`: measures gostuck's diagnoses on GoKer, the kernels of real
//! blocking bugs (GoBench, CGO 2021) that Go's runtime tests ship in
//! `src/runtime/testdata/testgoroutineleakprofile/goker`.
//!
//! For each kernel and run: build the goker program with the pinned Go, run the
//! kernel the way `runtime/goroutineleakprofile_test.go` does, keep the
//! goroutineleak profile it prints (debug=2: `runtime.Stack(all)` with `(leaked)`
//! marks) and the same text without the marks (the plain dump a user would have
//! had at that moment), run `gostuck analyze` on both and score the reports. See
//! `bench/goker/README.md` for the rules.

mod dump;
mod gotool;
mod render;
mod score;
mod spec;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use regex::Regex;
use serde::Serialize;

use crate::score::{Report, Score, Sources};
use crate::spec::Kernel;

/// Kernels of `--quick`: one or two per bug class, all fast and usually manifesting.
const QUICK: &[&str] = &[
    "Cockroach10214",  // AB-BA
    "Etcd10492",       // double locking
    "Syncthing4829",   // double locking (Lock then RLock)
    "Cockroach3710",   // RWR
    "Cockroach24808",  // channel
    "Cockroach13197",  // channel & context
    "Etcd6873",        // channel & lock
    "Moby30408",       // condition variable
    "Moby25348",       // misused WaitGroup
    "Kubernetes10182", // channel & lock
];

#[derive(Parser, Debug)]
#[command(about = "Score gostuck on the GoKer blocking-bug kernels of Go's runtime tests")]
struct Cli {
    /// Runs per kernel (the bugs depend on interleavings) [default: 5, 2 with --quick]
    #[arg(long)]
    runs: Option<usize>,
    /// Only kernels whose name matches this regex
    #[arg(long)]
    filter: Option<String>,
    /// A fixed subset of ≤10 kernels, 2 runs: for CI. Exits non-zero only when the
    /// harness breaks, never for low scores
    #[arg(long)]
    quick: bool,
    /// The go binary (must be go1.27.3) [default: <repo>/.tools/go1.27.3/…, installed if missing]
    #[arg(long)]
    go: Option<PathBuf>,
    /// Never run scripts/install-go.sh
    #[arg(long)]
    no_install: bool,
    /// The gostuck binary [default: build it with `cargo build --release -p gostuck`]
    #[arg(long)]
    gostuck: Option<PathBuf>,
    /// Work directory (build copy, dumps, reports) [default: <target>/goker]
    #[arg(long)]
    work: Option<PathBuf>,
    /// Markdown results [default: docs/goker-results.md for a full run, <work>/results.md otherwise]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Score only the plain dump and the leak profile, not the other capture ways
    /// (SIGQUIT, goroutine profile debug=1/debug=0, goroutineleak debug=1)
    #[arg(long)]
    no_ways: bool,
    /// Seconds before a kernel run is killed
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

/// One run of one kernel.
#[derive(Debug, Serialize)]
pub struct RunResult {
    /// 1-based.
    pub run: usize,
    /// How the kernel program ended.
    pub outcome: Option<gotool::RunOutcome>,
    /// Why the run could not be scored.
    pub error: Option<String>,
    /// Some expected goroutine was marked leaked.
    pub manifested: bool,
    /// Bug goroutines.
    pub bug: usize,
    /// Goroutines marked leaked.
    pub leaked: usize,
    /// Goroutines in the dump.
    pub goroutines: usize,
    /// Score of the report on the plain dump.
    pub plain: Option<Score>,
    /// Score of the report on the leak profile.
    pub leak: Option<Score>,
    /// Scores of the reports on the other capture ways of the same instant
    /// (`sigquit`, `goroutine-debug1`, `goroutine-debug0`, `goroutineleak-debug1`).
    pub ways: BTreeMap<String, Score>,
}

/// All runs of one kernel.
#[derive(Debug, Serialize)]
pub struct KernelResult {
    /// Registered name.
    pub name: String,
    /// Kernel file.
    pub file: String,
    /// Class used for scoring.
    pub class: String,
    /// README type/sub-type.
    pub readme_type: String,
    /// Why the class differs from README's.
    pub override_note: Option<String>,
    /// What the dumps show when gostuck's kind differs from the class.
    pub reading_note: Option<String>,
    /// makeFlakyTest upstream.
    pub flaky: bool,
    /// Commented out upstream.
    pub upstream_excluded: bool,
    /// Expected regexes.
    pub expected: Vec<String>,
    /// Runs.
    pub runs: Vec<RunResult>,
}

/// Everything one invocation measured.
#[derive(Debug, Serialize)]
pub struct Results {
    /// The command line that reproduces it.
    pub command: String,
    /// Go version.
    pub go: String,
    /// gostuck version as its reports say.
    pub gostuck_version: String,
    /// Note about the gostuck binary (e.g. stale after a failed build).
    pub gostuck_note: Option<String>,
    /// Runs per kernel.
    pub runs: usize,
    /// Kernels.
    pub kernels: Vec<KernelResult>,
    /// Wall time, seconds.
    pub seconds: u64,
    /// Harness failures (build, kernel program, gostuck errors).
    pub harness_errors: Vec<String>,
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("goker: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The kernels of this GOROOT that `--quick` and `--filter` select.
fn select_kernels(cli: &Cli, goroot: &Path) -> Result<Vec<spec::Kernel>> {
    let mut kernels = spec::load(goroot)?;
    if cli.quick {
        kernels.retain(|k| QUICK.contains(&k.name.as_str()));
        if kernels.len() != QUICK.len() {
            bail!(
                "--quick: only {} of the {} quick kernels exist in this GOROOT",
                kernels.len(),
                QUICK.len()
            );
        }
    }
    if let Some(f) = &cli.filter {
        let re = Regex::new(f).with_context(|| format!("--filter {f}"))?;
        kernels.retain(|k| re.is_match(&k.name));
    }
    if kernels.is_empty() {
        bail!("no kernel selected");
    }
    Ok(kernels)
}

fn real_main() -> Result<ExitCode> {
    let cli = Cli::parse();
    let started = Instant::now();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let work = std::path::absolute(cli.work.clone().unwrap_or_else(|| target.join("goker")))?;
    let runs = cli.runs.unwrap_or(if cli.quick { 2 } else { 5 }).max(1);

    let go = gotool::find(&repo, cli.go.as_deref(), !cli.no_install)?;
    let kernels = select_kernels(&cli, &go.goroot)?;

    let (gostuck, gostuck_note) = match &cli.gostuck {
        Some(p) => (p.clone(), None),
        None => build_gostuck(&repo, &target)?,
    };
    eprintln!(
        "goker: building the goker program with {}",
        go.bin.display()
    );
    let build = work.join("build");
    let exe = gotool::build(&go, &build)?;
    let build_prefix = format!("{}/", build.display());
    let sources = load_sources(&build)?;

    let mut harness_errors = Vec::new();
    let mut results = Vec::new();
    let mut gostuck_version = String::new();
    let setup = Setup {
        exe: &exe,
        build: &build,
        build_prefix: &build_prefix,
        sources: &sources,
        gostuck: &gostuck,
        timeout: Duration::from_secs(cli.timeout),
        ways: !cli.no_ways,
    };
    for (ki, k) in kernels.iter().enumerate() {
        let dir = work.join("runs").join(&k.name);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        let mut kr = KernelResult {
            name: k.name.clone(),
            file: k.file.clone(),
            class: k.class.label().to_string(),
            readme_type: k.readme_type.clone(),
            override_note: k.override_note.map(str::to_string),
            reading_note: k.reading_note.map(str::to_string),
            flaky: k.flaky,
            upstream_excluded: k.upstream_excluded,
            expected: k.expected_src.clone(),
            runs: Vec::new(),
        };
        for r in 1..=runs {
            let rr = run_once(k, r, &dir, &setup, &mut gostuck_version);
            let rr = match rr {
                Ok(rr) => rr,
                Err(e) => RunResult {
                    run: r,
                    outcome: None,
                    error: Some(format!("{e:#}")),
                    manifested: false,
                    bug: 0,
                    leaked: 0,
                    goroutines: 0,
                    plain: None,
                    leak: None,
                    ways: BTreeMap::new(),
                },
            };
            if let Some(e) = &rr.error {
                // Kubernetes1321 is excluded upstream because it may crash: not our failure.
                if !k.upstream_excluded || e.starts_with("gostuck") {
                    harness_errors.push(format!("{} run {r}: {e}", k.name));
                }
            }
            eprintln!(
                "[{}/{}] {} run {r}/{runs}: {}",
                ki + 1,
                kernels.len(),
                k.name,
                render::progress(&rr)
            );
            kr.runs.push(rr);
        }
        results.push(kr);
    }

    let command = {
        let mut c = String::from("cargo run --release -p gostuck-goker --");
        for a in std::env::args().skip(1) {
            c.push(' ');
            c.push_str(&a);
        }
        c
    };
    let res = Results {
        command,
        go: format!("go{}", gotool::GO_VERSION),
        gostuck_version,
        gostuck_note,
        runs,
        kernels: results,
        seconds: started.elapsed().as_secs(),
        harness_errors,
    };
    print!("{}", render::table(&res));
    let json_path = work.join("results.json");
    fs::write(&json_path, serde_json::to_string_pretty(&res)?)?;
    let full = !cli.quick && cli.filter.is_none();
    let md_path = cli.out.clone().unwrap_or_else(|| {
        if full {
            repo.join("docs/goker-results.md")
        } else {
            work.join("results.md")
        }
    });
    if let Some(p) = md_path.parent() {
        fs::create_dir_all(p)?;
    }
    fs::write(&md_path, render::markdown(&res))?;
    eprintln!(
        "goker: wrote {} and {} ({} s)",
        md_path.display(),
        json_path.display(),
        res.seconds
    );
    if res.harness_errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("goker: {} harness error(s):", res.harness_errors.len());
        for e in &res.harness_errors {
            eprintln!("  {e}");
        }
        Ok(ExitCode::FAILURE)
    }
}

/// What every run of every kernel shares.
struct Setup<'a> {
    exe: &'a Path,
    build: &'a Path,
    build_prefix: &'a str,
    sources: &'a Sources,
    gostuck: &'a Path,
    timeout: Duration,
    /// Also capture and score the other ways (`bench/goker/go/ways.go`).
    ways: bool,
}

/// The other capture ways: name, and the file the kernel writes it to
/// (`stderr` for the SIGQUIT dump). Every one is the stuck state of the same
/// instant as the leak profile: bug goroutines never move again.
pub const WAYS: &[(&str, &str)] = &[
    ("sigquit", "stderr"),
    ("goroutine-debug1", "goroutine-debug1.txt"),
    ("goroutine-debug0", "goroutine-debug0.pb.gz"),
    ("goroutineleak-debug1", "goroutineleak-debug1.txt"),
];

fn run_once(
    k: &Kernel,
    r: usize,
    dir: &Path,
    setup: &Setup,
    gostuck_version: &mut String,
) -> Result<RunResult> {
    let leak_path = dir.join(format!("{r}.leak.txt"));
    let err_path = dir.join(format!("{r}.stderr"));
    let ways_dir = dir.join(format!("{r}.ways"));
    if setup.ways {
        fs::create_dir_all(&ways_dir)?;
    }
    let outcome = gotool::run_kernel(
        setup.exe,
        &k.name,
        !k.flaky,
        &leak_path,
        &err_path,
        setup.timeout,
        setup.ways.then_some(ways_dir.as_path()),
    )?;
    let text = fs::read_to_string(&leak_path)?;
    let stderr = fs::read_to_string(&err_path).unwrap_or_default();
    let mut rr = RunResult {
        run: r,
        outcome: Some(outcome.clone()),
        error: None,
        manifested: false,
        bug: 0,
        leaked: 0,
        goroutines: 0,
        plain: None,
        leak: None,
        ways: BTreeMap::new(),
    };
    // With the ways, a kernel that got to its profile ends by SIGQUIT (status 2).
    let ended_well = match outcome.exit {
        Some(0) => true,
        Some(2) => setup.ways && stderr.contains("SIGQUIT: quit"),
        _ => false,
    };
    if outcome.timed_out || !ended_well || text.is_empty() {
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string();
        rr.error = Some(if outcome.timed_out {
            "kernel timed out".to_string()
        } else if !ended_well {
            format!("kernel exited {:?}: {first}", outcome.exit)
        } else {
            "kernel printed no profile".to_string()
        });
        return Ok(rr);
    }
    if stderr.is_empty() {
        let _ = fs::remove_file(&err_path);
    }
    let gs = dump::parse(&text);
    let truth = score::truth(k, &gs, setup.build_prefix, setup.sources);
    rr.manifested = !truth.bug.is_empty();
    rr.bug = truth.bug.len();
    rr.leaked = truth.leaked;
    rr.goroutines = truth.total;
    let plain_path = dir.join(format!("{r}.plain.txt"));
    fs::write(&plain_path, dump::strip_leak_marks(&text))?;
    rr.plain = Some(score_input(
        k,
        &truth,
        &plain_path,
        &plain_path.with_extension("json"),
        setup,
        gostuck_version,
    )?);
    rr.leak = Some(score_input(
        k,
        &truth,
        &leak_path,
        &leak_path.with_extension("json"),
        setup,
        gostuck_version,
    )?);
    if setup.ways {
        for (way, file) in WAYS {
            let input = if *file == "stderr" {
                err_path.clone()
            } else {
                ways_dir.join(file)
            };
            if !input.is_file() {
                bail!(
                    "the kernel did not write its {way} capture ({})",
                    input.display()
                );
            }
            let out = ways_dir.join(format!("{way}.json"));
            // The SIGQUIT dump is taken last, a moment after the others, and
            // says itself which goroutines are blocked where: a flaky kernel
            // may have manifested by then. Judged against its own instant.
            let own = (*way == "sigquit")
                .then(|| score::truth(k, &dump::parse(&stderr), setup.build_prefix, setup.sources));
            let s = score_input(
                k,
                own.as_ref().unwrap_or(&truth),
                &input,
                &out,
                setup,
                gostuck_version,
            )?;
            rr.ways.insert((*way).to_string(), s);
        }
    }
    Ok(rr)
}

/// Run gostuck on one capture and score its report.
fn score_input(
    k: &Kernel,
    truth: &score::Truth,
    input: &Path,
    out: &Path,
    setup: &Setup,
    gostuck_version: &mut String,
) -> Result<Score> {
    let exit = gotool::run_gostuck(
        setup.gostuck,
        input,
        setup.build,
        out,
        Duration::from_secs(120),
    )?;
    if exit != 0 && exit != 1 {
        let err = fs::read_to_string(out.with_extension("stderr")).unwrap_or_default();
        bail!(
            "gostuck exited {exit} on {}: {}",
            input.display(),
            err.trim()
        );
    }
    let bytes = fs::read(out)
        .with_context(|| format!("gostuck exited {exit} without writing {}", out.display()))?;
    let report: Report = serde_json::from_slice(&bytes)
        .with_context(|| format!("gostuck wrote unreadable JSON to {}", out.display()))?;
    if report.schema != "gostuck.report.v1" {
        bail!("gostuck report schema is {:?}", report.schema);
    }
    if gostuck_version.is_empty() {
        if let Some(t) = &report.tool {
            *gostuck_version = t.version.clone();
        }
    }
    Ok(score::score(k, truth, &report, exit))
}

/// `cargo build --release -p gostuck`; when that fails (others may be mid-edit)
/// fall back to an existing binary and say so in the results.
fn build_gostuck(repo: &Path, target: &Path) -> Result<(PathBuf, Option<String>)> {
    let bin = target.join("release/gostuck");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("goker: cargo build --release -p gostuck");
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "gostuck", "--bin", "gostuck"])
        .current_dir(repo)
        .status()
        .context("running cargo build")?;
    if status.success() {
        return Ok((bin, None));
    }
    if bin.is_file() {
        let note = format!(
            "cargo build of gostuck failed; scored the existing {}",
            bin.display()
        );
        eprintln!("goker: warning: {note}");
        return Ok((bin, Some(note)));
    }
    bail!(
        "cargo build --release -p gostuck failed and there is no {}",
        bin.display()
    )
}

/// The copied kernels' sources, for the held-lock rule.
fn load_sources(build: &Path) -> Result<Sources> {
    let mut m = HashMap::new();
    for e in fs::read_dir(build)? {
        let p = e?.path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".go") {
            let text = fs::read_to_string(&p)?;
            m.insert(name, text.lines().map(str::to_string).collect());
        }
    }
    Ok(m)
}

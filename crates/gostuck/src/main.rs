//! The gostuck command line: wires the readers, the engine and the renderers
//! together and talks to the user. No analysis logic lives here.

mod attach;
mod common;
mod fetch;
mod run;
mod trace;
mod watch;

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

/// Tells you why your Go program is stuck.
///
/// Reads goroutine dumps in every form the Go runtime and net/http/pprof
/// produce, groups identical stacks and explains who waits for whom.
///
/// Exit status: 0 nothing stuck found, 1 findings reported, 2 usage or input error.
#[derive(Parser, Debug)]
#[command(name = "gostuck", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyse goroutine dumps (files or `-` for stdin; formats are detected from content).
    ///
    /// Reads the runtime's deadlock report, panics, SIGQUIT/GOTRACEBACK output,
    /// runtime.Stack and debug.Stack text, `go test` timeout panics, pprof
    /// goroutine and goroutineleak profiles (debug=2, debug=1, gzip'd protobuf
    /// debug=0), dumps embedded in log files behind a line prefix, and ELF core
    /// files of Go programs (gcore, GOTRACEBACK=crash; see --binary). Go
    /// execution traces (Go 1.22+) and GODEBUG=schedtrace/gctrace logs given
    /// beside a dump of the same process add their evidence to the report.
    #[command(
        after_help = "Exit status: 0 nothing stuck found, 1 findings reported, 2 usage or input error.\nEnvironment: GOSTUCK_TIMINGS=1 prints the wall time of reading, analysis and rendering to stderr."
    )]
    Analyze(AnalyzeArgs),

    /// Read the goroutines of a running Go process (PID) from its memory and explain
    /// why it is stuck, without killing it; `--dump` prints them as a traceback.
    #[command(long_about = attach::LONG_ABOUT, after_help = attach::AFTER_HELP)]
    Attach(attach::AttachArgs),

    /// Run a command (`go test ./...`, `go run .`, a binary), and when it hangs,
    /// dump its goroutines and explain why.
    #[command(long_about = run::LONG_ABOUT, after_help = run::AFTER_HELP)]
    Run(run::RunArgs),
    /// Fetch goroutine profiles from a live net/http/pprof endpoint and analyse them.
    #[command(long_about = fetch::LONG_ABOUT, after_help = fetch::AFTER_HELP)]
    Fetch(fetch::FetchArgs),
    /// Sample a live net/http/pprof endpoint repeatedly and report goroutines that
    /// make no progress and groups that keep growing.
    #[command(long_about = watch::LONG_ABOUT, after_help = watch::AFTER_HELP)]
    Watch(watch::WatchArgs),
    /// Report what every goroutine did in a Go execution trace: blocked goroutines,
    /// who unblocked whom, tasks and regions; `--pprof-sync` writes a blocking profile.
    #[command(long_about = trace::LONG_ABOUT, after_help = trace::AFTER_HELP)]
    Trace(trace::TraceArgs),
    /// Explain a finding kind (`gostuck explain lock-cycle`), or list them all.
    Explain {
        /// The kind, as in a report's `kind` field.
        kind: Option<String>,
        /// Print every kind as Markdown (the source of docs/findings.md).
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(clap::Args, Debug)]
struct AnalyzeArgs {
    /// Dump files to read; `-` or nothing reads standard input. Scheduler and GC
    /// traces (GODEBUG=schedtrace=N,gctrace=1 output) are read too, alone or
    /// mixed into a program's stderr, and their evidence is added to the report.
    /// Go execution traces (runtime/trace, `go test -trace`) are recognised by
    /// their header: beside a dump of the same process they confirm the blocking
    /// sites and say since when each goroutine waited and who last woke it;
    /// alone they give `possible` findings for goroutines blocked at their end.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    /// When a file holds several dumps, analyse all of them (default: the last one).
    #[arg(long)]
    all_dumps: bool,
    /// The dump was taken from a program that made no progress for a while
    /// (hung, no CPU, no output): treat blocked goroutines as permanently
    /// blocked even though the runtime did not report a deadlock.
    #[arg(long)]
    stalled: bool,
    /// The executable of the program an ELF core file input was taken from
    /// (default: the path the core names, when it is still the same build).
    #[arg(long, value_name = "PROG")]
    binary: Option<std::path::PathBuf>,
    #[command(flatten)]
    report: common::ReportArgs,
}

/// The libraries' debug output (`log`), on stderr: the engine's facts per
/// group with GOSTUCK_DEBUG_FACTS=1. Off otherwise.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.target().starts_with("gostuck_engine::facts")
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            eprintln!("{}: {}", r.target(), r.args());
        }
    }
    fn flush(&self) {}
}

fn main() -> ExitCode {
    if std::env::var_os("GOSTUCK_DEBUG_FACTS").is_some() {
        static LOGGER: StderrLog = StderrLog;
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(log::LevelFilter::Debug);
        }
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Attach(a) => attach::attach(a),
        Command::Run(a) => run::run(a),
        Command::Fetch(a) => fetch::fetch(a),
        Command::Watch(a) => watch::watch(a),
        Command::Trace(a) => trace::trace(a),
        Command::Explain { kind, markdown } => explain(kind.as_deref(), markdown),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Errors quote files, dumps and server answers: nothing of theirs reaches
            // the terminal unescaped.
            let msg = common::error_message(&e);
            let lines: Vec<_> = msg
                .split('\n')
                .map(gostuck_report::escape_controls)
                .collect();
            eprintln!("gostuck: {}", lines.join("\n"));
            ExitCode::from(2)
        }
    }
}

fn analyze(a: AnalyzeArgs) -> Result<u8> {
    let mut paths = a.inputs.clone();
    if paths.is_empty() {
        if io::stdin().is_terminal() {
            bail!("no input: give a dump file, or pipe one in (`gostuck analyze -`); see `gostuck analyze --help`");
        }
        paths.push("-".into());
    }
    let mut timer = common::PhaseTimer::from_env();
    let got = common::collect_inputs(&paths, a.all_dumps, a.report.exact, a.binary.as_deref())?;
    timer.lap("read");
    let (mut report, read_from) = common::analyze_all(&got, &a.report, a.stalled)?;
    for (path, log) in &got.sched {
        gostuck_engine::add_sched(&mut report, path, log);
    }
    timer.lap("analyse");
    common::render(&report, &read_from, &a.report, common::Dest::Stdout)?;
    timer.lap("render");

    let stuck = gostuck_engine::is_stuck(&report);
    // The process ends right after this: freeing millions of small allocations
    // one by one would only cost time (about 0.3 s per GB of dump).
    std::mem::forget(got);
    std::mem::forget(report);
    Ok(if stuck { 1 } else { 0 })
}

fn explain(kind: Option<&str>, markdown: bool) -> Result<u8> {
    use gostuck_engine::kinds::{kind_doc, KINDS};
    let mut out = io::stdout().lock();
    match (markdown, kind) {
        (true, _) => gostuck_report::explain_markdown(&mut out)?,
        (false, None) => gostuck_report::explain_list(&mut out)?,
        (false, Some(name)) => {
            let Some(k) = kind_doc(name) else {
                let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
                bail!(
                    "unknown finding kind `{name}`; known kinds: {}",
                    names.join(", ")
                );
            };
            gostuck_report::explain_kind(&mut out, k)?;
        }
    }
    Ok(0)
}

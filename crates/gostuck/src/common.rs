//! The analyse path shared by `analyze`, `run`, `fetch` and `watch`: reading
//! inputs (dumps, and scheduler/GC traces beside them), finding source,
//! running the engine, rendering, and the exit status.

use std::fs::File;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use gostuck_dump::ReadOptions;

use gostuck_engine::sourced::{with_source_files, ReadFrom};
use gostuck_engine::{Input, Options, Report};
use gostuck_report::{OutputFormat, RenderOptions, RepoPaths, Style};
use gostuck_sched::mixed::{self, read_bytes, ReadResult, ALL_ARGS_MAX};
use gostuck_sched::SchedLog;
use gostuck_source::SourceFiles;

use gostuck_capture::outfile::{Named, OutFile};

/// Output format.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    Text,
    Json,
    Markdown,
    Dot,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions annotations (workflow commands).
    Github,
    /// One self-contained HTML page.
    Html,
}

/// When to colour the text report.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Report options common to every command that prints a report.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Fmt::Text)]
    pub format: Fmt,
    /// Write the report to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show every goroutine ID and every frame (text format).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Colour: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Group goroutines only when their frame arguments match too.
    #[arg(long)]
    pub exact: bool,
    /// Where to look for the Go source the dump names (repeatable). Without it,
    /// the current directory is searched when it holds a go.mod.
    #[arg(long, short = 's', value_name = "DIR")]
    pub source: Vec<PathBuf>,
    /// Analyse from the stacks alone, without reading any source.
    #[arg(long, conflicts_with = "source")]
    pub no_source: bool,
    /// Replace files that already exist under --save DIR, and let -o FILE
    /// write through a symbolic link (without it gostuck refuses both).
    #[arg(long)]
    pub force: bool,
    /// Explain goroutine N: what it waits for, which goroutines could end the
    /// wait, and why each is ruled in or out.
    #[arg(long, value_name = "N")]
    pub why: Option<u64>,
    /// Skip Go source files larger than this (bytes, or with a K, M or G
    /// suffix); skipped files are named in a note.
    #[arg(long, value_name = "SIZE", default_value = "8M", value_parser = parse_size)]
    pub max_source_size: u64,
}

/// Parses `8388608`, `512K`, `8M`, `1G` (powers of 1024; `KiB`/`MiB`/`GiB` too).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits]
        .parse()
        .map_err(|_| format!("`{s}` is not a size (like 8M or 1048576)"))?;
    let shift = match t[digits..].trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        other => return Err(format!("`{s}`: unknown unit `{other}` (use K, M or G)")),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// Where a report goes when no `-o FILE` is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    Stdout,
    Stderr,
}

/// Reads one input: a file (memory-mapped) or `-` (stdin: read into memory
/// when it ends within [`ALL_ARGS_MAX`] bytes, so it is read like a file of
/// that size, else streamed on from what was read).
pub fn read_input(path: &str, opts: &ReadOptions) -> Result<ReadResult> {
    if path == "-" {
        let mut stdin = io::stdin().lock();
        // Binary data is refused from its first block, before reading on.
        let first = stdin.fill_buf().context("standard input")?;
        gostuck_dump::check_head(&first[..first.len().min(8192)]).context("standard input")?;
        let mut head = Vec::new();
        (&mut stdin)
            .take(ALL_ARGS_MAX + 1)
            .read_to_end(&mut head)
            .context("standard input")?;
        if head.len() as u64 <= ALL_ARGS_MAX && !head.is_empty() {
            return read_bytes(&head, opts).context("standard input");
        }
        return mixed::read_stream(io::Cursor::new(head).chain(stdin), opts)
            .context("standard input");
    }
    let file = open_input(path)?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        bail!("{path}: file is empty");
    }
    mixed::read_file(&file, opts).with_context(|| path.to_string())
}

/// The error and its causes joined by `: `, each cause said once
/// (`gostuck_capture::error_text`).
pub fn error_message(e: &anyhow::Error) -> String {
    gostuck_capture::error_text(e.as_ref())
}

/// Opens an input file named on the command line; a directory is refused by
/// name (reading one fails with an OS error that says nothing about which
/// argument was wrong).
pub fn open_input(path: &str) -> Result<File> {
    let file = File::open(path).with_context(|| format!("{path}: cannot open"))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        bail!("{path}: is a directory, not a dump, profile or trace file (a Go source tree goes to --source DIR)");
    }
    Ok(file)
}

/// Everything read from the inputs.
#[derive(Default)]
pub struct Collected {
    /// Dumps to analyse.
    pub inputs: Vec<Input>,
    /// Scheduler/GC traces, by input path.
    pub sched: Vec<(String, SchedLog)>,
    /// Go execution traces, by input path.
    pub traces: Vec<(String, crate::trace::TraceRead)>,
}

/// Reads every path; fails only when none of them could be read.
pub fn collect_inputs(
    paths: &[String],
    all_dumps: bool,
    exact: bool,
    binary: Option<&Path>,
) -> Result<Collected> {
    let ropts = gostuck_engine::captured::read_options(exact);
    let mut got = Collected::default();
    let mut failures = Vec::new();
    for p in paths {
        if crate::trace::input_is_trace(p) {
            match crate::trace::read_trace(p, Default::default(), false) {
                Ok(t) => got.traces.push((p.clone(), t)),
                Err(e) => failures.push(error_message(&e)),
            }
            continue;
        }
        if gostuck_attach::core::is_core_file(Path::new(p)) {
            match crate::attach::read_core(p, binary) {
                Ok(d) => gostuck_engine::push_dumps(&mut got.inputs, p, vec![d], all_dumps),
                Err(e) => failures.push(error_message(&e)),
            }
            continue;
        }
        match read_input(p, &ropts) {
            Ok(r) => {
                gostuck_engine::push_dumps(&mut got.inputs, p, r.dumps, all_dumps);
                if let Some(s) = r.sched {
                    got.sched.push((p.clone(), s));
                }
            }
            Err(e) => failures.push(error_message(&e)),
        }
    }
    if got.inputs.is_empty() && got.sched.is_empty() && got.traces.is_empty() {
        bail!("{}", failures.join("\ngostuck: "));
    }
    for f in &failures {
        eprintln!(
            "gostuck: warning: skipped {}",
            gostuck_report::escape_controls(f)
        );
    }
    Ok(got)
}

/// The source roots to search: `--source` dirs, or `.` when it holds a go.mod.
pub fn source_roots(args: &ReportArgs) -> Result<Vec<PathBuf>> {
    let mut roots = args.source.clone();
    if roots.is_empty() && Path::new("go.mod").is_file() {
        roots.push(PathBuf::from("."));
    }
    for r in &roots {
        if !r.exists() {
            bail!("--source {}: no such directory", r.display());
        }
    }
    Ok(roots)
}

/// The source reader for `args`: `None` with `--no-source`. One per command,
/// so every analysis in it (dumps, traces alone) shares its parsed files.
pub fn sources(args: &ReportArgs) -> Result<Option<SourceFiles>> {
    if args.no_source {
        return Ok(None);
    }
    Ok(Some(SourceFiles::new(
        &source_roots(args)?,
        args.max_source_size,
    )))
}

pub fn options(args: &ReportArgs, stalled: bool) -> Options {
    Options {
        exact: args.exact,
        stalled,
        why: args.why,
    }
}

/// Runs the engine over `inputs` with the source settings of `args`.
/// `stalled`: the program is known to have made no progress (see `analyze --stalled`).
pub fn analyze(inputs: &[Input], args: &ReportArgs, stalled: bool) -> Result<(Report, ReadFrom)> {
    analyze_with(inputs, &[], args, stalled)
}

/// Says so when `--why N` names a goroutine no input has.
fn warn_why(args: &ReportArgs, report: &Report) {
    if let (Some(n), None) = (args.why, &report.why) {
        eprintln!("gostuck: --why {n}: the input has no goroutine {n}");
    }
}

/// Runs the engine over the dumps and adds the execution traces' evidence; a
/// trace without any dump is analysed on its own (findings `possible` at most).
pub fn analyze_all(
    got: &Collected,
    args: &ReportArgs,
    stalled: bool,
) -> Result<(Report, ReadFrom)> {
    let traces: Vec<gostuck_engine::TraceInput<'_>> =
        got.traces.iter().map(|(path, t)| t.input(path)).collect();
    analyze_with(&got.inputs, &traces, args, stalled)
}

fn analyze_with(
    inputs: &[Input],
    traces: &[gostuck_engine::TraceInput<'_>],
    args: &ReportArgs,
    stalled: bool,
) -> Result<(Report, ReadFrom)> {
    let opts = options(args, stalled);
    let (report, read_from) = with_source_files(sources(args)?, &args.source, |s| {
        gostuck_engine::analyze_with_traces(inputs, traces, &opts, s)
    });
    // A trace alone has no goroutine to explain.
    if !inputs.is_empty() || traces.is_empty() {
        warn_why(args, &report);
    }
    Ok((report, read_from))
}

/// Writes the report to `args.output`, or to `dest`.
pub fn render(report: &Report, read_from: &ReadFrom, args: &ReportArgs, dest: Dest) -> Result<()> {
    let to_terminal = args.output.is_none()
        && match dest {
            Dest::Stdout => io::stdout().is_terminal(),
            Dest::Stderr => io::stderr().is_terminal(),
        };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let format = match args.format {
        Fmt::Text => OutputFormat::Text,
        Fmt::Json => OutputFormat::Json,
        Fmt::Markdown => OutputFormat::Markdown,
        Fmt::Dot => OutputFormat::Dot,
        Fmt::Sarif => OutputFormat::Sarif,
        Fmt::Github => OutputFormat::Github,
        Fmt::Html => OutputFormat::Html,
    };
    let ropts = RenderOptions {
        style: Style { color },
        verbose: args.verbose,
        repo: matches!(args.format, Fmt::Sarif | Fmt::Github)
            .then(|| repo_paths(report, &args.source))
            .flatten(),
        read_from: read_from.clone(),
    };
    if let Some(path) = &args.output {
        let mut f = io::BufWriter::new(OutFile::create(path, Named::ByUser, args.force)?);
        gostuck_report::render(report, format, &ropts, &mut f)?;
        f.flush()?;
        f.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .commit()?;
        return Ok(());
    }
    let result = match dest {
        Dest::Stdout => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            gostuck_report::render(report, format, &ropts, &mut out).and_then(|_| Ok(out.flush()?))
        }
        Dest::Stderr => {
            let mut out = io::BufWriter::new(io::stderr().lock());
            gostuck_report::render(report, format, &ropts, &mut out).and_then(|_| Ok(out.flush()?))
        }
    };
    match result {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(gostuck_report::RenderError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The paths of `report`'s finding locations relative to the repository
/// root (see `gostuck_source::repo`), for SARIF and GitHub annotations.
pub fn repo_paths(report: &Report, source: &[PathBuf]) -> Option<RepoPaths> {
    let cwd = std::env::current_dir().ok();
    let root = gostuck_source::repo::root(source, cwd.as_deref())?;
    let printed = report.findings.iter().flat_map(|f| &f.locations);
    let got = gostuck_source::repo::relative(&root, printed.map(|l| l.file.as_str()));
    Some(RepoPaths {
        root_uri: got.root_uri,
        files: got.files,
    })
}

/// Parses `10s`, `500ms`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (like 30s, 500ms, 2m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use ms, s, m or h)")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs < 1e7) {
        return Err(format!("`{s}` must be a positive duration"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Wall time of each phase, printed to stderr when `GOSTUCK_TIMINGS` is set
/// (for benchmarks and for users who want to know where a big dump's time goes).
pub struct PhaseTimer {
    last: Option<std::time::Instant>,
}

impl PhaseTimer {
    /// Timing is on when the environment variable `GOSTUCK_TIMINGS` is set and not empty.
    pub fn from_env() -> PhaseTimer {
        let on = std::env::var_os("GOSTUCK_TIMINGS").is_some_and(|v| !v.is_empty());
        PhaseTimer {
            last: on.then(std::time::Instant::now),
        }
    }

    /// Prints the time since the previous lap under `name`.
    pub fn lap(&mut self, name: &str) {
        if let Some(t) = self.last {
            let now = std::time::Instant::now();
            eprintln!("gostuck: timing: {name} {:.3} s", (now - t).as_secs_f64());
            self.last = Some(now);
        }
    }
}

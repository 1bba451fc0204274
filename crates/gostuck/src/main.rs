//! The gostuck command line: wires the readers, the engine and the renderers
//! together and talks to the user. No analysis logic lives here.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use gostuck_dump::{Dump, ReadOptions};
use gostuck_engine::{Input, Options, Verdict};
use gostuck_report::{OutputFormat, RenderOptions, Style};

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
    /// debug=0), and dumps embedded in log files behind a line prefix.
    Analyze(AnalyzeArgs),
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
    /// Dump files to read; `-` or nothing reads standard input.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Fmt::Text)]
    format: Fmt,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Group goroutines only when their frame arguments match too.
    #[arg(long)]
    exact: bool,
    /// The dump was taken from a program that made no progress for a while
    /// (hung, no CPU, no output): treat blocked goroutines as permanently
    /// blocked even though the runtime did not report a deadlock.
    #[arg(long)]
    stalled: bool,

    /// Show every goroutine ID and every frame (text format).
    #[arg(long, short = 'v')]
    verbose: bool,
    /// When a file holds several dumps, analyse all of them (default: the last one).
    #[arg(long)]
    all_dumps: bool,
    /// Where to look for the Go source the dump names (repeatable). Dump paths are
    /// matched exactly, else by the longest path suffix under these roots. Without
    /// it, the current directory is searched when it holds a go.mod.
    #[arg(long, short = 's', value_name = "DIR")]
    source: Vec<PathBuf>,
    /// Analyse from the stacks alone, without reading any source.
    #[arg(long, conflicts_with = "source")]
    no_source: bool,
    /// Colour: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Fmt {
    Text,
    Json,
    Markdown,
    Dot,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
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
        Command::Explain { kind, markdown } => explain(kind.as_deref(), markdown),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("gostuck: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn read_input(path: &str, opts: &ReadOptions) -> Result<Vec<Dump>> {
    if path == "-" {
        let stdin = io::stdin();
        return gostuck_dump::read(stdin.lock(), opts).context("standard input");
    }
    let file = File::open(path).with_context(|| format!("{path}: cannot open"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        bail!("{path}: file is empty");
    }
    // SAFETY: the map is read-only and lives only for this call; a file truncated
    // underneath us could fault, which is the accepted trade-off of every mmap reader.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => gostuck_dump::read_bytes(&map, opts).with_context(|| path.to_string()),
        Err(_) => {
            gostuck_dump::read(io::BufReader::new(file), opts).with_context(|| path.to_string())
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
    let ropts = ReadOptions::default();
    let mut inputs = Vec::new();
    let mut failures = Vec::new();
    for p in &paths {
        match read_input(p, &ropts) {
            Ok(mut dumps) => {
                let n = dumps.len();
                if n > 1 && !a.all_dumps {
                    let last = dumps.pop().expect("n > 1");
                    let mut last = last;
                    last.warnings.insert(
                        0,
                        gostuck_dump::Warning {
                            position: last.first_line,
                            is_byte_offset: false,
                            message: format!(
                                "the input holds {n} dumps; analysing the last one (use --all-dumps for all)"
                            ),
                        },
                    );
                    inputs.push(Input {
                        path: p.clone(),
                        dump: last,
                    });
                } else {
                    for (k, d) in dumps.into_iter().enumerate() {
                        let path = if n > 1 {
                            format!("{p}#{}", k + 1)
                        } else {
                            p.clone()
                        };
                        inputs.push(Input { path, dump: d });
                    }
                }
            }
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    if inputs.is_empty() {
        bail!("{}", failures.join("\ngostuck: "));
    }
    for f in &failures {
        eprintln!("gostuck: warning: skipped {f}");
    }
    let mut roots = a.source.clone();
    if roots.is_empty() && std::path::Path::new("go.mod").is_file() {
        roots.push(PathBuf::from("."));
    }
    for r in &roots {
        if !r.exists() {
            bail!("--source {}: no such directory", r.display());
        }
    }
    let report = if a.no_source {
        gostuck_engine::analyze(
            &inputs,
            &Options {
                exact: a.exact,
                stalled: a.stalled,
            },
            &mut gostuck_engine::NoSources,
        )
    } else {
        let mut src = FsSources::new(&roots);
        gostuck_engine::analyze(
            &inputs,
            &Options {
                exact: a.exact,
                stalled: a.stalled,
            },
            &mut src,
        )
    };

    let to_terminal = a.output.is_none() && io::stdout().is_terminal();
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let format = match a.format {
        Fmt::Text => OutputFormat::Text,
        Fmt::Json => OutputFormat::Json,
        Fmt::Markdown => OutputFormat::Markdown,
        Fmt::Dot => OutputFormat::Dot,
    };
    let ropts = RenderOptions {
        style: Style { color },
        verbose: a.verbose,
    };
    match &a.output {
        Some(path) => {
            let mut f = io::BufWriter::new(
                File::create(path).with_context(|| format!("{}: cannot create", path.display()))?,
            );
            gostuck_report::render(&report, format, &ropts, &mut f)?;
            f.flush()?;
        }
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            match gostuck_report::render(&report, format, &ropts, &mut out)
                .and_then(|_| Ok(out.flush()?))
            {
                Ok(()) => {}
                // A closed pipe (`| head`) is not an error worth a message.
                Err(gostuck_report::RenderError::Io(e))
                    if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let stuck = !report.findings.is_empty()
        || matches!(
            report.verdict,
            Verdict::GlobalDeadlock
                | Verdict::PartialDeadlock
                | Verdict::GoroutineLeak
                | Verdict::Stuck
        );
    Ok(if stuck { 1 } else { 0 })
}

/// Source files from disk: exact dump paths, then suffix matches under the roots.
struct FsSources {
    resolver: gostuck_source::resolve::Resolver,
    cache: std::collections::HashMap<String, Option<gostuck_source::SourceFile>>,
}

impl FsSources {
    fn new(roots: &[PathBuf]) -> FsSources {
        FsSources {
            resolver: gostuck_source::resolve::Resolver::new(roots, true),
            cache: Default::default(),
        }
    }
}

impl gostuck_engine::Sources for FsSources {
    fn file(&mut self, dump_path: &str) -> Option<&gostuck_source::SourceFile> {
        if !self.cache.contains_key(dump_path) {
            let parsed = self
                .resolver
                .find(dump_path)
                .and_then(|p| std::fs::read(p).ok())
                .and_then(|bytes| gostuck_source::SourceFile::parse(&bytes).ok());
            self.cache.insert(dump_path.to_string(), parsed);
        }
        self.cache.get(dump_path).and_then(Option::as_ref)
    }
}

fn explain(kind: Option<&str>, markdown: bool) -> Result<u8> {
    use gostuck_engine::kinds::{kind_doc, KINDS};
    let mut out = io::stdout().lock();
    if markdown {
        for k in KINDS {
            writeln!(out, "## `{}`\n\n{}.\n", k.name, k.title)?;
            writeln!(out, "- **What it means:** {}", k.meaning)?;
            writeln!(out, "- **How gostuck decides:** {}", k.rule)?;
            writeln!(out, "- **Fix:** {}", k.fix)?;
            if let Some(s) = k.scenario {
                writeln!(out, "- **Example:** `testdata/scenarios/{s}`")?;
            }
            writeln!(out)?;
        }
        return Ok(0);
    }
    match kind {
        None => {
            for k in KINDS {
                writeln!(out, "{:<22} {}", k.name, k.title)?;
            }
            Ok(0)
        }
        Some(name) => {
            let Some(k) = kind_doc(name) else {
                let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
                bail!(
                    "unknown finding kind `{name}`; known kinds: {}",
                    names.join(", ")
                );
            };
            writeln!(out, "{} — {}\n", k.name, k.title)?;
            writeln!(out, "What it means:\n  {}\n", k.meaning)?;
            writeln!(out, "How gostuck decides:\n  {}\n", k.rule)?;
            writeln!(out, "Fix:\n  {}", k.fix)?;
            if let Some(s) = k.scenario {
                writeln!(out, "\nExample: testdata/scenarios/{s} (gostuck analyze testdata/captured/go1.27.3/{s}.txt)")?;
            }
            Ok(0)
        }
    }
}

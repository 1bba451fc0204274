//! The analyse path shared by `analyze`, `run`, `fetch` and `watch`: reading
//! inputs (dumps, and scheduler/GC traces beside them), finding source,
//! running the engine, rendering, and the exit status.

use std::fs::File;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use gostuck_dump::{Dump, KeepArgs, ReadOptions};

use gostuck_engine::{Input, InputSummary, Options, Report, Sources, Verdict};
use gostuck_report::{OutputFormat, RenderOptions, Style};
use gostuck_sched::SchedLog;

use crate::outfile::{Named, OutFile};

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

/// What one input file held.
pub struct ReadResult {
    /// Goroutine dumps (may be empty when the file is only a scheduler trace).
    pub dumps: Vec<Dump>,
    /// Scheduler/GC trace lines found in it.
    pub sched: Option<SchedLog>,
}

/// What the dump readers keep for the engine: the arguments of the runtime
/// frames that carry a resource address only, unless `--exact` groups by every
/// argument. (No report shows other arguments; dropping them makes reading a
/// big dump much faster and smaller.)
pub fn read_options(exact: bool) -> ReadOptions {
    ReadOptions {
        keep_args: if exact {
            KeepArgs::All
        } else {
            KeepArgs::Of(gostuck_engine::uses_args)
        },
    }
}

/// Files up to this size keep every frame's arguments whatever the options
/// say: the engine then also tells copies of one component apart by their
/// methods' receivers (a lock left locked in one copy among many healthy
/// ones). Above it, dropping arguments keeps big dumps fast and small.
const ALL_ARGS_MAX: u64 = 64 << 20;

/// `opts`, keeping every frame's arguments for an input of `len` bytes up to
/// [`ALL_ARGS_MAX`].
fn for_size(opts: &ReadOptions, len: u64) -> ReadOptions {
    if len <= ALL_ARGS_MAX {
        ReadOptions {
            keep_args: KeepArgs::All,
        }
    } else {
        opts.clone()
    }
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
        let mut sniff = SchedSniffer::new(io::Cursor::new(head).chain(stdin));
        let dumps = gostuck_dump::read(&mut sniff, opts);
        let sched = sniff.finish_after(&dumps);
        return combine(dumps, sched).context("standard input");
    }
    let file = open_input(path)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        bail!("{path}: file is empty");
    }
    let opts = &for_size(opts, len);
    // SAFETY: the map is read-only and lives only for this call; a file truncated
    // underneath us could fault, which is the accepted trade-off of every mmap reader.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => read_mapped(&map, opts).with_context(|| path.to_string()),
        Err(_) => {
            let mut sniff = SchedSniffer::new(io::BufReader::new(file));
            let dumps = gostuck_dump::read(&mut sniff, opts);
            let sched = sniff.finish_after(&dumps);
            combine(dumps, sched).with_context(|| path.to_string())
        }
    }
}

/// The error and its causes joined by `: `, each cause said once: a library
/// error that already quotes its cause (`read failed: <io error>`) is not
/// followed by that cause again.
pub fn error_message(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if msg.ends_with(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg
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

/// [`read_bytes`] for a memory-mapped file, in one pass and without ever
/// having the whole file resident: the dump readers report the ranges they are
/// done with; each is searched for scheduler traces right then (ranges are
/// whole lines, so the search is the same as over the whole input) and its
/// pages are dropped from memory.
fn read_mapped(map: &memmap2::Mmap, opts: &ReadOptions) -> Result<ReadResult> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let bytes: &[u8] = map;
    let has_trace = AtomicBool::new(false);
    let seen = AtomicUsize::new(0);
    let release = |gostuck_dump::Released {
                       range: r,
                       sched_like,
                   }| {
        // The reader saw every line start: only a range with a line starting
        // like a scheduler trace's needs the search.
        if sched_like
            && !has_trace.load(Ordering::Relaxed)
            && gostuck_sched::contains_trace(&bytes[r.clone()])
        {
            has_trace.store(true, Ordering::Relaxed);
        }
        seen.fetch_add(r.len(), Ordering::Relaxed);
        release_pages(map, r);
    };
    let dumps = gostuck_dump::read_bytes_releasing(bytes, opts, &release);
    if refused(&dumps) {
        return combine(dumps, None);
    }
    // Formats read without reporting ranges (profiles) are searched here.
    let has_trace = if seen.load(Ordering::Relaxed) >= bytes.len() {
        has_trace.into_inner()
    } else {
        gostuck_sched::contains_trace(bytes)
    };
    let sched = has_trace.then(|| gostuck_sched::parse_bytes(bytes));
    combine(dumps, sched)
}

/// Lets the kernel drop the pages of `range` of a read-only file mapping from
/// this process (whole 64 KiB blocks inside the range only, so pages shared with
/// a range another reader thread is still reading stay mapped).
#[cfg(unix)]
fn release_pages(map: &memmap2::Mmap, range: std::ops::Range<usize>) {
    const BLOCK: usize = 1 << 16;
    let start = range.start.next_multiple_of(BLOCK);
    let end = range.end / BLOCK * BLOCK;
    if end > start {
        // SAFETY: MADV_DONTNEED on a shared, read-only file mapping only unmaps
        // pages: reading them again faults the same file contents back in.
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
    }
    // The reader goes on right after the range: map the next block in one call
    // instead of one page fault per few pages (Linux 5.14+; ignored elsewhere).
    #[cfg(target_os = "linux")]
    {
        let ahead = range.end.min(map.len());
        let n = (map.len() - ahead).min(16 << 20);
        if n > 0 {
            let _ = map.advise_range(memmap2::Advice::PopulateRead, ahead, n);
        }
    }
}

#[cfg(not(unix))]
fn release_pages(_: &memmap2::Mmap, _: std::ops::Range<usize>) {}

/// Reads dumps and scheduler traces from bytes in memory.
pub fn read_bytes(bytes: &[u8], opts: &ReadOptions) -> Result<ReadResult> {
    let sched = gostuck_sched::contains_trace(bytes).then(|| gostuck_sched::parse_bytes(bytes));
    let opts = for_size(opts, bytes.len() as u64);
    combine(gostuck_dump::read_bytes(bytes, &opts), sched)
}

/// Whether the reader refused the input outright (binary data, a
/// decompression bomb, corrupt counts…): then it is not searched for
/// scheduler traces either, and a stream is not read on.
fn refused(dumps: &Result<Vec<Dump>, gostuck_dump::Error>) -> bool {
    matches!(dumps, Err(e) if !matches!(e, gostuck_dump::Error::NoDump))
}

fn combine(
    dumps: Result<Vec<Dump>, gostuck_dump::Error>,
    sched: Option<SchedLog>,
) -> Result<ReadResult> {
    let sched = sched.filter(|s| !s.is_empty());
    match dumps {
        Ok(dumps) => Ok(ReadResult { dumps, sched }),
        Err(gostuck_dump::Error::NoDump) if sched.is_some() => Ok(ReadResult {
            dumps: Vec::new(),
            sched,
        }),
        Err(e) => Err(e.into()),
    }
}

/// Passes a stream through to the dump reader while feeding every line to the
/// scheduler-trace parser, so stdin is read once.
struct SchedSniffer<R> {
    inner: R,
    parser: gostuck_sched::Parser,
    partial: Vec<u8>,
}

impl<R: BufRead> SchedSniffer<R> {
    fn new(inner: R) -> Self {
        SchedSniffer {
            inner,
            parser: gostuck_sched::Parser::new(),
            partial: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        feed_lines(&mut self.parser, &mut self.partial, bytes);
    }

    /// The scheduler trace, unless the dump reader refused the input.
    fn finish_after(self, dumps: &Result<Vec<Dump>, gostuck_dump::Error>) -> Option<SchedLog> {
        if refused(dumps) {
            return None;
        }
        self.finish()
    }

    fn finish(mut self) -> Option<SchedLog> {
        // Whatever the dump reader left unread still counts (read in blocks:
        // the rest of a stream may be large).
        let mut block = vec![0; 1 << 16];
        while let Ok(n) = self.inner.read(&mut block) {
            if n == 0 {
                break;
            }
            let (parser, partial) = (&mut self.parser, &mut self.partial);
            feed_lines(parser, partial, &block[..n]);
        }
        if !self.partial.is_empty() {
            let p = std::mem::take(&mut self.partial);
            self.parser.push_line(&p);
        }
        Some(self.parser.finish()).filter(|s| !s.is_empty())
    }
}

impl<R: BufRead> Read for SchedSniffer<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.feed(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for SchedSniffer<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            feed_lines(
                &mut self.parser,
                &mut self.partial,
                &buf[..amt.min(buf.len())],
            );
        }
        self.inner.consume(amt);
    }
}

/// Hands complete lines to the parser, keeping the start of an unfinished one.
fn feed_lines(parser: &mut gostuck_sched::Parser, partial: &mut Vec<u8>, mut bytes: &[u8]) {
    while let Some(nl) = memchr::memchr(b'\n', bytes) {
        if partial.is_empty() {
            parser.push_line(&bytes[..nl]);
        } else {
            partial.extend_from_slice(&bytes[..nl.min(4096)]);
            parser.push_line(partial);
            partial.clear();
        }
        bytes = &bytes[nl + 1..];
    }
    // Only the start of a long line matters to the parser.
    let room = 4096usize.saturating_sub(partial.len());
    partial.extend_from_slice(&bytes[..bytes.len().min(room)]);
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

/// Turns the dumps of one input into engine inputs: the last dump, or all of
/// them with `#N` suffixes.
pub fn push_dumps(out: &mut Vec<Input>, path: &str, mut dumps: Vec<Dump>, all_dumps: bool) {
    let n = dumps.len();
    if n > 1 && !all_dumps {
        let mut last = dumps.pop().expect("n > 1");
        last.notes.insert(
            0,
            format!(
                "{n} dumps read from the input; analysing the last one, from line {} (use --all-dumps for all)",
                last.first_line
            ),
        );
        out.push(Input {
            path: path.to_string(),
            dump: last,
        });
        return;
    }
    for (k, d) in dumps.into_iter().enumerate() {
        let path = if n > 1 {
            format!("{path}#{}", k + 1)
        } else {
            path.to_string()
        };
        out.push(Input { path, dump: d });
    }
}

/// Reads every path; fails only when none of them could be read.
pub fn collect_inputs(paths: &[String], all_dumps: bool, exact: bool) -> Result<Collected> {
    let ropts = read_options(exact);
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
        match read_input(p, &ropts) {
            Ok(r) => {
                push_dumps(&mut got.inputs, p, r.dumps, all_dumps);
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
fn sources(args: &ReportArgs) -> Result<Option<FsSources>> {
    if args.no_source {
        return Ok(None);
    }
    Ok(Some(FsSources::new(
        &source_roots(args)?,
        args.max_source_size,
    )))
}

/// Runs `f` with the reader, or with none.
fn with_sources<R>(src: &mut Option<FsSources>, f: impl FnOnce(&mut dyn Sources) -> R) -> R {
    match src {
        Some(s) => f(s),
        None => f(&mut gostuck_engine::NoSources),
    }
}

/// Adds the reader's notes to the report and gives the local file behind
/// each dump path.
fn finish_sources(src: Option<FsSources>, report: &mut Report, args: &ReportArgs) -> ReadFrom {
    src.map_or_else(ReadFrom::new, |s| s.finish(report, &args.source))
}

fn options(args: &ReportArgs, stalled: bool) -> Options {
    Options {
        exact: args.exact,
        stalled,
        why: args.why,
    }
}

/// Runs the engine over `inputs` with the source settings of `args`.
/// `stalled`: the program is known to have made no progress (see `analyze --stalled`).
pub fn analyze(inputs: &[Input], args: &ReportArgs, stalled: bool) -> Result<(Report, ReadFrom)> {
    let mut src = sources(args)?;
    let opts = options(args, stalled);
    let mut report = with_sources(&mut src, |s| gostuck_engine::analyze(inputs, &opts, s));
    let read_from = finish_sources(src, &mut report, args);
    warn_why(args, &report);
    Ok((report, read_from))
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
    let traces: Vec<gostuck_engine::TraceInput<'_>> = got
        .traces
        .iter()
        .map(|(path, t)| gostuck_engine::TraceInput {
            path,
            format: &t.format,
            analysis: &t.analysis,
            error: t.error.as_deref(),
        })
        .collect();
    let mut src = sources(args)?;
    let opts = options(args, stalled);
    let alone_only = got.inputs.is_empty() && !traces.is_empty();
    let mut report = with_sources(&mut src, |s| match traces.first() {
        Some(first) if alone_only => gostuck_engine::analyze_trace(first, &opts, s),
        _ => gostuck_engine::analyze(&got.inputs, &opts, s),
    });
    let trace_opts = Options { why: None, ..opts };
    for t in traces.iter().skip(usize::from(alone_only)) {
        gostuck_engine::trace_evidence(&mut report, t);
        // What the trace shows alone survives beside the dump's findings.
        let alone = with_sources(&mut src, |s| {
            gostuck_engine::analyze_trace(t, &trace_opts, s)
        });
        gostuck_engine::fuse_trace_findings(&mut report, &alone);
    }
    let read_from = finish_sources(src, &mut report, args);
    if !alone_only {
        warn_why(args, &report);
    }
    Ok((report, read_from))
}

/// Adds a scheduler/GC trace to the report as an input whose warnings are the
/// trace's evidence and whose note says what the trace covers (information,
/// not a warning). Appended after the engine ran: the engine sees dumps only.
pub fn add_sched(report: &mut Report, path: &str, log: &SchedLog) {
    let notes = vec![format!("schedtrace: {}", log.summary())];
    let evidence = log
        .evidence()
        .into_iter()
        .map(|e| format!("schedtrace [{}]: {}", e.kind.as_str(), e.message))
        .collect();
    if report.goroutines.total == 0 && report.verdict == Verdict::Unknown {
        report.summary = "No goroutine dump in the input: the scheduler trace's evidence is below; a dump of the same process (SIGQUIT, or `gostuck run`) shows what each goroutine waits on.".to_string();
    }
    report.inputs.push(InputSummary {
        path: path.to_string(),
        format: "schedtrace",
        go_version: None,
        goroutines: log.goroutines().map_or(0, u64::from),
        warnings: evidence,
        notes,
        missing_source: Vec::new(),
        fatal_error: None,
        panics: Vec::new(),
        signal: None,
        running_tests: Vec::new(),
        profile: None,
    });
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
            .then(|| crate::repo_paths::find(report, &args.source))
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

/// True when the report says something is stuck (exit status 1).
pub fn is_stuck(report: &Report) -> bool {
    !report.findings.is_empty()
        || matches!(
            report.verdict,
            Verdict::GlobalDeadlock
                | Verdict::PartialDeadlock
                | Verdict::GoroutineLeak
                | Verdict::Stuck
        )
}

/// A file as the dump printed it → the local file its source was read from,
/// for the files where the two differ (shown beside the text report's snippets).
pub type ReadFrom = std::collections::HashMap<String, String>;

/// Source files from disk: exact dump paths, then suffix matches under the
/// roots; only regular text files up to a size cap (others are skipped and
/// named in a note, see [`FsSources::finish`]).
pub struct FsSources {
    resolver: gostuck_source::resolve::Resolver,
    cache: std::collections::HashMap<String, Option<gostuck_source::SourceFile>>,
    max_size: u64,
    /// Files found but not read or not parsed, and why.
    skipped: Vec<(PathBuf, String)>,
    /// Dump path → the local file read for it.
    found: std::collections::HashMap<String, PathBuf>,
}

impl FsSources {
    pub fn new(roots: &[PathBuf], max_size: u64) -> FsSources {
        FsSources {
            resolver: gostuck_source::resolve::Resolver::new(roots, true),
            cache: Default::default(),
            max_size,
            skipped: Vec::new(),
            found: Default::default(),
        }
    }

    /// After the engine ran: notes on the report's first input for the source
    /// files found but not read, and for each of `named_roots` (the user's
    /// `--source` directories) under which no file matched; returns where each
    /// file was read from.
    pub fn finish(self, report: &mut Report, named_roots: &[PathBuf]) -> ReadFrom {
        let mut notes: Vec<String> = self
            .skipped
            .iter()
            .map(|(path, why)| format!("source file {} skipped: {why}", path.display()))
            .collect();
        notes.extend(self.unmatched_roots(report, named_roots));
        if let Some(first) = report.inputs.first_mut() {
            first.notes.extend(notes);
        }
        self.found
            .into_iter()
            .map(|(dump, local)| (dump, local.to_string_lossy().into_owned()))
            .filter(|(dump, local)| dump != local)
            .collect()
    }

    /// A note for each root under which no file of the dump was found while
    /// some were missing, naming a few of the paths that were looked for.
    fn unmatched_roots(&self, report: &Report, roots: &[PathBuf]) -> Vec<String> {
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let found: Vec<PathBuf> = self.found.values().map(|p| canon(p)).collect();
        let mut wanted: Vec<&str> = report
            .inputs
            .iter()
            .flat_map(|i| i.missing_source.iter().map(String::as_str))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        // Every file looked for was found (at the path the dump printed):
        // the roots were not needed, which is no problem.
        if wanted.is_empty() {
            return Vec::new();
        }
        const SHOWN: usize = 3;
        let more = wanted.len().saturating_sub(SHOWN);
        let looked = format!(
            "looked for {}{} (a file matches by name, the longest common path suffix winning)",
            wanted[..wanted.len().min(SHOWN)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
        roots
            .iter()
            .filter(|root| {
                let root = canon(root);
                !found.iter().any(|f| f.starts_with(&root))
            })
            .map(|root| {
                format!(
                    "--source {}: nothing under it matched a source file of the dump; {looked}",
                    root.display()
                )
            })
            .collect()
    }
}

impl gostuck_engine::Sources for FsSources {
    fn file(&mut self, dump_path: &str) -> Option<&gostuck_source::SourceFile> {
        if !self.cache.contains_key(dump_path) {
            let parsed = self.resolver.find(dump_path).and_then(|p| {
                let parsed = gostuck_source::resolve::read_source(&p, self.max_size)
                    .map_err(|e| e.to_string())
                    .and_then(|b| gostuck_source::SourceFile::parse(&b).map_err(|e| e.to_string()));
                match parsed {
                    Ok(f) => {
                        self.found.insert(dump_path.to_string(), p);
                        Some(f)
                    }
                    Err(e) => {
                        self.skipped.push((p, e));
                        None
                    }
                }
            });
            self.cache.insert(dump_path.to_string(), parsed);
        }
        self.cache.get(dump_path).and_then(Option::as_ref)
    }

    fn package_files(&mut self, dump_path: &str) -> Option<Vec<String>> {
        // The directory of the file this dump path was read from (a file
        // not read has no package to list).
        self.file(dump_path)?;
        let dir = self.found.get(dump_path)?.parent()?.to_path_buf();
        let mut out = Vec::new();
        for e in std::fs::read_dir(&dir).ok()?.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".go") && e.file_type().is_ok_and(|t| t.is_file()) {
                out.push(e.path().to_string_lossy().into_owned());
            }
            // A package of thousands of files is not read whole: unknown.
            if out.len() > MAX_PACKAGE_FILES {
                return None;
            }
        }
        out.sort();
        Some(out)
    }
}

/// The most files [`FsSources`] lists for one package.
const MAX_PACKAGE_FILES: usize = 500;

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

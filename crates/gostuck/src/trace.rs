//! `gostuck trace FILE`: what every goroutine did in a Go execution trace,
//! and the reading of traces given to `gostuck analyze`.
//!
//! The analyses are gostuck-trace's (`Analyzer`, `SyncProfiler`); this module
//! reads the file once (with a progress bar on a terminal), feeds every
//! event to them, and lays the result out as text or JSON.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use gostuck_trace::analysis::SharedStack;

use crate::outfile::{Named, OutFile};
use gostuck_trace::pprof::{ProfileKind, SyncProfiler};
use gostuck_trace::{
    Analysis, Analyzer, AnalyzerOptions, BlockInterval, Event, GoState, GoroutineInfo, OwnedFrame,
    Reader, NO_GOROUTINE, NO_TASK,
};
use serde::Serialize;

pub const LONG_ABOUT: &str = "Read a Go execution trace (runtime/trace, `go test -trace`, /debug/pprof/trace; Go 1.22 or later) and report what every goroutine did: where and by whom it was created; how long it ran, waited to run and was blocked, by reason (chan send, chan receive, select, sync, sync.(*Cond).Wait, network, syscall, sleep); its longest blocking intervals with their stacks and who unblocked it; its state at the end with its stack. Goroutines blocked at the end of the trace are grouped by site with how long they had waited and the user region they were in; user tasks, regions never ended and logs are listed.\n\nThe trace is streamed: memory stays proportional to one generation of the trace plus the per-goroutine results.\n\nExit status: 0 no user goroutine blocked on a channel, lock, select or Cond at the end of the trace; 1 some were; 2 usage or input error.";

pub const AFTER_HELP: &str = "Examples:
  gostuck trace trace.out                          (blocked goroutines, who unblocked whom, tasks)
  gostuck trace trace.out --goroutines             (every goroutine, and the per-goroutine table)
  gostuck trace trace.out --format json            (everything, as gostuck.trace.v1 JSON)
  gostuck trace trace.out --pprof-sync sync.pb.gz  (like `go tool trace -pprof=sync`; open with `go tool pprof`)
  gostuck analyze dump.txt trace.out               (a dump and a trace of the same process, cross-checked)";

/// Output format of `gostuck trace`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFmt {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct TraceArgs {
    /// The trace file (`-` reads standard input).
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TraceFmt::Text)]
    pub format: TraceFmt,
    /// Also write a blocking profile (time blocked on channels, sync primitives
    /// and select, by stack) to OUT as gzip'd pprof protobuf, like
    /// `go tool trace -pprof=sync`.
    #[arg(long, value_name = "OUT")]
    pub pprof_sync: Option<PathBuf>,
    /// Describe every goroutine (text), not only the blocked ones, and print
    /// the per-goroutine table.
    #[arg(long)]
    pub goroutines: bool,
    /// Blocking intervals kept per goroutine (the longest ones).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub intervals: usize,
    /// Write the output to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Let -o and --pprof-sync write through a symbolic link.
    #[arg(long)]
    pub force: bool,
}

/// Whether the bytes start like a Go execution trace (`go 1.NN trace`).
pub fn is_trace(head: &[u8]) -> bool {
    head.starts_with(b"go 1.")
        && head[..head.len().min(16)]
            .windows(6)
            .any(|w| w == b" trace")
}

/// Whether the input (a file, or `-` for stdin) holds a Go execution trace.
/// For stdin the sniffed bytes stay buffered for whoever reads next.
pub fn input_is_trace(path: &str) -> bool {
    if path == "-" {
        let mut lock = io::stdin().lock();
        return lock.fill_buf().is_ok_and(is_trace);
    }
    let mut head = [0u8; 16];
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    is_trace(&head[..n])
}

/// A reader that counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

/// What reading a trace gave.
pub struct TraceRead {
    /// The header, e.g. `go 1.26 trace`.
    pub format: String,
    pub analysis: Analysis,
    /// The blocking profile, when asked for.
    pub profile: Option<Vec<gostuck_trace::pprof::ProfileRecord>>,
    /// The error that ended reading early (events before it were analysed).
    pub error: Option<String>,
    /// Bytes in the file (0 for stdin).
    pub bytes: u64,
    pub elapsed: Duration,
}

/// Reads a trace (a file or `-`) once, feeding every event to the analyzer
/// and, with `profile`, to the blocking profiler. Shows a progress bar on a
/// terminal when reading takes more than a second.
pub fn read_trace(path: &str, opts: AnalyzerOptions, profile: bool) -> Result<TraceRead> {
    let counter = Arc::new(AtomicU64::new(0));
    let (src, len): (Box<dyn Read>, u64) = if path == "-" {
        (Box::new(io::stdin().lock()), 0)
    } else {
        let f = crate::common::open_input(path)?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(f), len)
    };
    let input = BufReader::with_capacity(
        1 << 20,
        Counting {
            inner: src,
            n: counter.clone(),
        },
    );
    read_from(input, path, opts, profile, len, &counter)
}

fn read_from<R: BufRead>(
    input: R,
    path: &str,
    opts: AnalyzerOptions,
    profile: bool,
    len: u64,
    counter: &AtomicU64,
) -> Result<TraceRead> {
    let start = Instant::now();
    let mut reader = Reader::new(input).with_context(|| path.to_string())?;
    let format = reader.version().to_string() + " trace";
    let mut an = Analyzer::with_options(opts);
    let mut prof = profile.then(|| SyncProfiler::new(ProfileKind::Sync));
    let show = io::stderr().is_terminal() && len > 0;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut error = None;
    let mut n: u64 = 0;
    loop {
        let ev: &Event = match reader.read_event_ref() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        };
        an.event(ev);
        if let Some(p) = prof.as_mut() {
            p.event(ev);
        }
        n += 1;
        if show && n.is_multiple_of(65_536) {
            progress(&mut bar, start, len, counter.load(Ordering::Relaxed));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let analysis = an.finish();
    // Only the sync event that opens a generation: nothing to analyse.
    if analysis.events <= 1 {
        if let Some(e) = error {
            bail!("{path}: {e}");
        }
    }
    Ok(TraceRead {
        format,
        analysis,
        profile: prof.map(SyncProfiler::finish),
        error,
        bytes: len,
        elapsed: start.elapsed(),
    })
}

fn progress(bar: &mut Option<indicatif::ProgressBar>, start: Instant, len: u64, pos: u64) {
    if bar.is_none() {
        if start.elapsed() < Duration::from_secs(1) {
            return;
        }
        let b = indicatif::ProgressBar::with_draw_target(
            Some(len),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            // The input is read a generation at a time, so the position jumps:
            // no rate or ETA, which would swing wildly.
            "gostuck: reading trace {bar:40} {bytes}/{total_bytes} ({elapsed})",
        ) {
            b.set_style(style);
        }
        *bar = Some(b);
    }
    if let Some(b) = bar {
        b.set_position(pos.min(len));
    }
}

/// `gostuck trace`.
pub fn trace(a: TraceArgs) -> Result<u8> {
    let opts = AnalyzerOptions {
        max_intervals: a.intervals,
    };
    let t = read_trace(&a.file, opts, a.pprof_sync.is_some())?;
    if let (Some(out), Some(records)) = (&a.pprof_sync, &t.profile) {
        let mut f = io::BufWriter::new(OutFile::create(out, Named::ByUser, a.force)?);
        gostuck_trace::pprof::write_profile(records, &mut f)
            .with_context(|| format!("{}: cannot write", out.display()))?;
        f.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .commit()?;
        eprintln!(
            "gostuck: wrote the blocking profile ({}) to {}; open it with `go tool pprof {}`",
            gostuck_report::count(records.len() as u64, "stack", "stacks"),
            out.display(),
            out.display()
        );
    }
    let doc = Doc::new(&a.file, &t);
    let stuck = doc.blocked_at_end.iter().any(|g| g.stuck);
    let mut file = a
        .output
        .as_deref()
        .map(|p| OutFile::create(p, Named::ByUser, a.force))
        .transpose()?;
    let res = {
        let mut out: Box<dyn Write + '_> = match &mut file {
            Some(f) => Box::new(io::BufWriter::new(f)),
            None => Box::new(io::BufWriter::new(io::stdout().lock())),
        };
        let res = match a.format {
            TraceFmt::Json => serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(io::Error::from)
                .and_then(|_| writeln!(out)),
            TraceFmt::Text => text(
                &mut gostuck_report::TerminalSafe::new(&mut out),
                &doc,
                &t.analysis,
                a.goroutines,
            ),
        };
        res.and_then(|_| out.flush())
    };
    match res {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e.into()),
    }
    if let Some(f) = file {
        f.commit()?;
    }
    Ok(if stuck { 1 } else { 0 })
}

// ---------------------------------------------------------------------------
// The document (`gostuck.trace.v1`), also what the text is printed from.

#[derive(Serialize)]
struct FrameDoc {
    function: String,
    file: String,
    line: u64,
}

impl FrameDoc {
    fn new(f: &OwnedFrame) -> Self {
        FrameDoc {
            function: f.func.clone(),
            file: f.file.clone(),
            line: f.line,
        }
    }
}

fn frames(s: &Option<SharedStack>) -> Vec<FrameDoc> {
    s.iter().flat_map(|s| s.iter()).map(FrameDoc::new).collect()
}

/// The first frame outside the standard library (or the innermost one).
fn site(s: &Option<SharedStack>) -> Option<&OwnedFrame> {
    let s = s.as_ref()?;
    s.iter()
        .find(|f| !gostuck_dump::classify::is_std_frame(&f.func, &f.file))
        .or_else(|| s.first())
}

#[derive(Serialize)]
struct IntervalDoc {
    start_ns: i64,
    end_ns: Option<i64>,
    duration_ns: i64,
    reason: String,
    site: Option<FrameDoc>,
    stack: Vec<FrameDoc>,
    unblocked_by: Option<i64>,
    unblock_site: Option<FrameDoc>,
}

impl IntervalDoc {
    fn new(a: &Analysis, b: &BlockInterval) -> Self {
        IntervalDoc {
            start_ns: b.start - a.start,
            end_ns: b.end.map(|e| e - a.start),
            duration_ns: b.duration(a.end),
            reason: b.reason.clone(),
            site: site(&b.stack).map(FrameDoc::new),
            stack: frames(&b.stack),
            unblocked_by: b.unblocked_by,
            unblock_site: site(&b.unblock_stack).map(FrameDoc::new),
        }
    }
}

#[derive(Serialize)]
struct RegionDoc {
    task: u64,
    name: String,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
}

#[derive(Serialize)]
struct UnblockDoc {
    /// -1: the runtime.
    by: i64,
    at_ns: i64,
    site: Option<FrameDoc>,
}

#[derive(Serialize)]
struct CountDoc {
    goroutine: i64,
    count: u64,
}

#[derive(Serialize)]
struct GoroutineDoc {
    id: i64,
    start_function: Option<String>,
    system: bool,
    created_by: Option<i64>,
    created_at_ns: Option<i64>,
    creation_site: Option<FrameDoc>,
    existed_at_start: bool,
    state: &'static str,
    reason: String,
    since_ns: i64,
    ended_at_ns: Option<i64>,
    stack: Vec<FrameDoc>,
    total_ns: i64,
    running_ns: i64,
    runnable_ns: i64,
    syscall_ns: i64,
    blocked_ns: BTreeMap<String, i64>,
    blocks: u64,
    current_block: Option<IntervalDoc>,
    longest_blocks: Vec<IntervalDoc>,
    last_unblock: Option<UnblockDoc>,
    unblocked_by: Vec<CountDoc>,
    regions: Vec<RegionDoc>,
    logs: usize,
}

fn state_name(s: GoState) -> &'static str {
    match s {
        GoState::Running => "running",
        GoState::Runnable => "runnable",
        GoState::Waiting => "waiting",
        GoState::Syscall => "syscall",
        GoState::NotExist => "exited",
        GoState::Undetermined => "unknown",
    }
}

/// A wait that only another goroutine can end: channel, lock, select, Cond.
fn is_stuck_reason(r: &str) -> bool {
    r.contains("chan") || r.contains("sync") || r.contains("select") || r == "forever"
}

impl GoroutineDoc {
    fn new(a: &Analysis, g: &GoroutineInfo) -> Self {
        let total = g.running + g.runnable + g.syscall + g.blocked.values().sum::<i64>();
        let mut longest: Vec<IntervalDoc> =
            g.intervals.iter().map(|b| IntervalDoc::new(a, b)).collect();
        longest.sort_by_key(|b| std::cmp::Reverse(b.duration_ns));
        let mut unblocked_by: Vec<CountDoc> = g
            .unblocked_by
            .iter()
            .map(|(&goroutine, &count)| CountDoc { goroutine, count })
            .collect();
        unblocked_by.sort_by_key(|c| std::cmp::Reverse(c.count));
        GoroutineDoc {
            id: g.id,
            start_function: g.start_func().map(str::to_owned),
            system: g.is_system(),
            created_by: (g.created_by != NO_GOROUTINE).then_some(g.created_by),
            created_at_ns: g.created_at.map(|t| t - a.start),
            creation_site: site(&g.creation_stack).map(FrameDoc::new),
            existed_at_start: g.existed_at_start,
            state: state_name(g.state),
            reason: g.reason.clone(),
            since_ns: g.since - a.start,
            ended_at_ns: g.ended_at.map(|t| t - a.start),
            stack: frames(&g.stack),
            total_ns: total,
            running_ns: g.running,
            runnable_ns: g.runnable,
            syscall_ns: g.syscall,
            blocked_ns: g.blocked.clone().into_iter().collect(),
            blocks: g.block_count,
            current_block: g.current_block.as_ref().map(|b| IntervalDoc::new(a, b)),
            longest_blocks: longest,
            last_unblock: g.last_unblock.as_ref().map(|u| UnblockDoc {
                by: u.by,
                at_ns: u.time - a.start,
                site: site(&u.stack).map(FrameDoc::new),
            }),
            unblocked_by,
            regions: g
                .regions
                .iter()
                .map(|r| RegionDoc {
                    task: r.task,
                    name: r.name.clone(),
                    start_ns: r.start.map(|t| t - a.start),
                    end_ns: r.end.map(|t| t - a.start),
                })
                .collect(),
            logs: g.logs.len(),
        }
    }
}

#[derive(Serialize)]
struct BlockedDoc {
    reason: String,
    site: Option<FrameDoc>,
    count: usize,
    goroutines: Vec<i64>,
    /// When the first of them blocked (ns from the start of the trace).
    since_ns: i64,
    /// How long the longest waiting of them had waited when the trace ended.
    blocked_for_ns: i64,
    /// Open user regions of the first goroutine, outermost first.
    regions: Vec<String>,
    /// Created by (goroutine, site) of the first goroutine.
    created_by: Option<i64>,
    creation_site: Option<FrameDoc>,
    /// A channel, lock, select or Cond wait (only another goroutine can end it).
    stuck: bool,
    /// Runtime goroutines.
    system: bool,
}

#[derive(Serialize)]
struct TaskDoc {
    id: u64,
    name: String,
    parent: Option<u64>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    created_by: Option<i64>,
}

#[derive(Serialize)]
struct OpenRegionDoc {
    goroutine: i64,
    task: u64,
    name: String,
    start_ns: Option<i64>,
    goroutine_state: &'static str,
}

#[derive(Serialize)]
struct LogDoc {
    goroutine: i64,
    at_ns: i64,
    task: u64,
    category: String,
    message: String,
}

#[derive(Serialize)]
struct PairDoc {
    by: i64,
    goroutine: i64,
    count: u64,
}

#[derive(Serialize)]
struct Doc {
    schema: &'static str,
    path: String,
    format: String,
    events: u64,
    bytes: u64,
    start_ns: i64,
    duration_ns: i64,
    read_seconds: f64,
    error: Option<String>,
    blocked_at_end: Vec<BlockedDoc>,
    unblocks: Vec<PairDoc>,
    tasks: Vec<TaskDoc>,
    open_regions: Vec<OpenRegionDoc>,
    logs: Vec<LogDoc>,
    goroutines: Vec<GoroutineDoc>,
}

const MAX_LOGS: usize = 1000;

impl Doc {
    fn new(path: &str, t: &TraceRead) -> Doc {
        let a = &t.analysis;
        let blocked_at_end = a
            .blocked_at_end()
            .into_iter()
            .map(|b| {
                let first = &a.goroutines[&b.goroutines[0]];
                let longest = b
                    .goroutines
                    .iter()
                    .map(|id| a.end - a.goroutines[id].since)
                    .max()
                    .unwrap_or(0);
                BlockedDoc {
                    stuck: is_stuck_reason(&b.reason) && !first.is_system(),
                    system: first.is_system(),
                    reason: b.reason,
                    site: b.site.as_ref().map(FrameDoc::new),
                    count: b.goroutines.len(),
                    since_ns: b.since - a.start,
                    blocked_for_ns: longest,
                    regions: first.open_regions().map(|r| r.name.clone()).collect(),
                    created_by: (first.created_by != NO_GOROUTINE).then_some(first.created_by),
                    creation_site: site(&first.creation_stack).map(FrameDoc::new),
                    goroutines: b.goroutines,
                }
            })
            .collect::<Vec<_>>();
        let mut blocked_at_end = blocked_at_end;
        // User goroutines first, then by size.
        blocked_at_end.sort_by(|x, y| x.system.cmp(&y.system).then(y.count.cmp(&x.count)));
        let mut unblocks: Vec<PairDoc> = a
            .goroutines
            .values()
            .flat_map(|g| {
                g.unblocked_by.iter().map(|(&by, &count)| PairDoc {
                    by,
                    goroutine: g.id,
                    count,
                })
            })
            .collect();
        unblocks.sort_by(|x, y| y.count.cmp(&x.count).then(x.by.cmp(&y.by)));
        let tasks = a
            .tasks
            .values()
            .map(|t| TaskDoc {
                id: t.id,
                name: t.name.clone(),
                parent: (t.parent != NO_TASK).then_some(t.parent),
                start_ns: t.start.map(|x| x - a.start),
                end_ns: t.end.map(|x| x - a.start),
                created_by: (t.created_by != NO_GOROUTINE).then_some(t.created_by),
            })
            .collect();
        let open_regions = a
            .goroutines
            .values()
            .flat_map(|g| {
                g.open_regions().map(move |r| OpenRegionDoc {
                    goroutine: g.id,
                    task: r.task,
                    name: r.name.clone(),
                    start_ns: r.start.map(|x| x - a.start),
                    goroutine_state: state_name(g.state),
                })
            })
            .collect();
        let mut logs: Vec<LogDoc> = a
            .goroutines
            .values()
            .flat_map(|g| {
                g.logs.iter().map(move |l| LogDoc {
                    goroutine: g.id,
                    at_ns: l.time - a.start,
                    task: l.task,
                    category: l.category.clone(),
                    message: l.message.clone(),
                })
            })
            .collect();
        logs.sort_by_key(|l| l.at_ns);
        if logs.len() > MAX_LOGS {
            logs.drain(..logs.len() - MAX_LOGS);
        }
        Doc {
            schema: "gostuck.trace.v1",
            path: path.to_string(),
            format: t.format.clone(),
            events: a.events,
            bytes: t.bytes,
            start_ns: a.start,
            duration_ns: a.end - a.start,
            read_seconds: t.elapsed.as_secs_f64(),
            error: t.error.clone(),
            blocked_at_end,
            unblocks,
            tasks,
            open_regions,
            logs,
            goroutines: a
                .goroutines
                .values()
                .map(|g| GoroutineDoc::new(a, g))
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// Text.

fn dur(ns: i64) -> String {
    let ns = ns.max(0) as f64;
    if ns >= 1e9 {
        format!("{:.2}s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2}ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.0}µs", ns / 1e3)
    } else {
        format!("{ns:.0}ns")
    }
}

fn short(file: &str) -> &str {
    gostuck_engine::short_path(file)
}

fn at(f: &FrameDoc) -> String {
    format!("{} ({}:{})", f.function, short(&f.file), f.line)
}

fn who(g: i64) -> String {
    if g == NO_GOROUTINE {
        "the runtime".into()
    } else {
        format!("goroutine {g}")
    }
}

fn ids(v: &[i64], max: usize) -> String {
    let mut s: Vec<String> = v.iter().take(max).map(|i| i.to_string()).collect();
    if v.len() > max {
        s.push(format!("… {} more", v.len() - max));
    }
    s.join(", ")
}

const MAX_DETAILED: usize = 20;

fn text(w: &mut dyn Write, d: &Doc, a: &Analysis, all: bool) -> io::Result<()> {
    let users = d.goroutines.iter().filter(|g| !g.system).count();
    writeln!(
        w,
        "trace {} ({}): {} over {}, {} ({users} user)",
        d.path,
        d.format,
        gostuck_report::count(d.events, "event", "events"),
        dur(d.duration_ns),
        gostuck_report::count(d.goroutines.len() as u64, "goroutine", "goroutines"),
    )?;
    if let Some(e) = &d.error {
        writeln!(w, "warning: the trace could not be read to the end; the events before this error are analysed: {e}")?;
    }

    let user_blocked: Vec<&BlockedDoc> = d.blocked_at_end.iter().filter(|b| !b.system).collect();
    let n_blocked: usize = user_blocked.iter().map(|b| b.count).sum();
    if user_blocked.is_empty() {
        writeln!(w, "\nNo user goroutine was blocked when the trace ended.")?;
    } else {
        writeln!(
            w,
            "\nBlocked when the trace ended, never unblocked ({} at {}):",
            gostuck_report::count(n_blocked as u64, "goroutine", "goroutines"),
            gostuck_report::count(user_blocked.len() as u64, "site", "sites")
        )?;
        for b in &user_blocked {
            let reason = if b.reason.is_empty() {
                "unknown reason"
            } else {
                &b.reason
            };
            let site = b.site.as_ref().map_or("an unknown site".into(), at);
            writeln!(
                w,
                "  {}× [{reason}] at {site}, for {} (since {} into the trace): goroutine{} {}",
                b.count,
                dur(b.blocked_for_ns),
                dur(b.since_ns),
                if b.count == 1 { "" } else { "s" },
                ids(&b.goroutines, 8)
            )?;
            if let (Some(c), Some(s)) = (b.created_by, &b.creation_site) {
                writeln!(w, "      created by goroutine {c} at {}", at(s))?;
            }
            if !b.regions.is_empty() {
                writeln!(w, "      in region {}", b.regions.join(" > "))?;
            }
        }
    }
    let sys: usize = d
        .blocked_at_end
        .iter()
        .filter(|b| b.system)
        .map(|b| b.count)
        .sum();
    if sys > 0 {
        writeln!(
            w,
            "  ({} waiting too: GC workers, finalizers, the trace reader…)",
            gostuck_report::count(
                sys as u64,
                "runtime goroutine was",
                "runtime goroutines were"
            )
        )?;
    }

    // Goroutine details: blocked user goroutines, or every goroutine with --goroutines.
    let detailed: Vec<&GoroutineDoc> = d
        .goroutines
        .iter()
        .filter(|g| {
            if all {
                g.state != "unknown" || g.total_ns > 0
            } else {
                !g.system && g.state == "waiting"
            }
        })
        .collect();
    if !detailed.is_empty() {
        writeln!(
            w,
            "\n{}",
            if all {
                "Goroutines:"
            } else {
                "Blocked goroutines:"
            }
        )?;
    }
    let limit = if all { usize::MAX } else { MAX_DETAILED };
    for g in detailed.iter().take(limit) {
        goroutine_text(w, g)?;
    }
    if detailed.len() > limit {
        writeln!(
            w,
            "\n  … {} more (--goroutines shows all, --format json everything)",
            gostuck_report::count(
                (detailed.len() - limit) as u64,
                "blocked goroutine",
                "blocked goroutines"
            )
        )?;
    }

    if !d.unblocks.is_empty() {
        writeln!(w, "\nWho unblocked whom (most often first):")?;
        for p in d.unblocks.iter().take(10) {
            writeln!(
                w,
                "  {} → goroutine {}: {}×",
                who(p.by),
                p.goroutine,
                p.count
            )?;
        }
        if d.unblocks.len() > 10 {
            writeln!(w, "  … {} more pairs", d.unblocks.len() - 10)?;
        }
    }

    if !d.tasks.is_empty() || !d.open_regions.is_empty() || !d.logs.is_empty() {
        writeln!(w, "\nUser tasks, regions and logs:")?;
        for t in d.tasks.iter().take(20) {
            let end = match (t.start_ns, t.end_ns) {
                (Some(s), Some(e)) => format!("{}–{} ({})", dur(s), dur(e), dur(e - s)),
                (Some(s), None) => format!("from {}, never ended", dur(s)),
                (None, Some(e)) => format!("began before the trace, ended at {}", dur(e)),
                (None, None) => "began before the trace, never ended".into(),
            };
            let by = t
                .created_by
                .map(|g| format!(", by goroutine {g}"))
                .unwrap_or_default();
            writeln!(w, "  task {} {:?}: {end}{by}", t.id, t.name)?;
        }
        if d.tasks.len() > 20 {
            writeln!(w, "  … {} more tasks", d.tasks.len() - 20)?;
        }
        for r in d.open_regions.iter().take(20) {
            let since = r.start_ns.map_or("before the trace".into(), dur);
            writeln!(
                w,
                "  region {:?} (task {}) on goroutine {} never ended: began at {since}; the goroutine was {} at the end",
                r.name, r.task, r.goroutine, r.goroutine_state
            )?;
        }
        let shown = d.logs.len().min(10);
        if shown > 0 {
            writeln!(
                w,
                "  last {shown} of {} log messages:",
                a.goroutines.values().map(|g| g.logs.len()).sum::<usize>()
            )?;
        }
        for l in &d.logs[d.logs.len() - shown..] {
            writeln!(
                w,
                "    {} goroutine {} task {} {}: {}",
                dur(l.at_ns),
                l.goroutine,
                l.task,
                l.category,
                l.message
            )?;
        }
    }

    if all {
        table(w, d)?;
    }
    Ok(())
}

fn goroutine_text(w: &mut dyn Write, g: &GoroutineDoc) -> io::Result<()> {
    let func = g.start_function.as_deref().unwrap_or("?");
    let state = match g.state {
        "waiting" if !g.reason.is_empty() => format!("waiting [{}]", g.reason),
        s => s.to_string(),
    };
    writeln!(
        w,
        "\n  goroutine {} {func}: {state} at the end, since {}",
        g.id,
        dur(g.since_ns)
    )?;
    match (g.created_by, &g.creation_site, g.created_at_ns) {
        (Some(c), Some(s), Some(t)) => writeln!(
            w,
            "    created by goroutine {c} at {}, {} into the trace",
            at(s),
            dur(t)
        )?,
        _ if g.existed_at_start => writeln!(w, "    existed before the trace started")?,
        _ => {}
    }
    let blocked: Vec<String> = {
        let mut v: Vec<(&String, &i64)> = g.blocked_ns.iter().filter(|(_, t)| **t > 0).collect();
        v.sort_by(|x, y| y.1.cmp(x.1));
        v.iter()
            .map(|(r, t)| {
                let r = if r.is_empty() { "unknown" } else { r.as_str() };
                format!("{r} {}", dur(**t))
            })
            .collect()
    };
    writeln!(
        w,
        "    running {}, runnable {}, syscall {}, blocked {}{}",
        dur(g.running_ns),
        dur(g.runnable_ns),
        dur(g.syscall_ns),
        dur(g.blocked_ns.values().sum()),
        if blocked.is_empty() {
            String::new()
        } else {
            format!(" ({})", blocked.join(", "))
        }
    )?;
    if g.blocks > 0 {
        writeln!(
            w,
            "    blocked {} time{}; longest:",
            g.blocks,
            if g.blocks == 1 { "" } else { "s" }
        )?;
        let mut shown: Vec<&IntervalDoc> = g.longest_blocks.iter().collect();
        if let Some(c) = &g.current_block {
            shown.push(c);
            shown.sort_by_key(|b| std::cmp::Reverse(b.duration_ns));
        }
        for b in shown.iter().take(5) {
            let end = match b.end_ns {
                Some(e) => dur(e),
                None => "end".into(),
            };
            let site = b.site.as_ref().map_or("?".into(), at);
            let reason = if b.reason.is_empty() { "?" } else { &b.reason };
            let unblock = match (b.end_ns, b.unblocked_by) {
                (None, _) => "; never unblocked".to_string(),
                (Some(_), Some(by)) => format!(
                    "; unblocked by {}{}",
                    who(by),
                    b.unblock_site
                        .as_ref()
                        .map(|s| format!(" at {}", at(s)))
                        .unwrap_or_default()
                ),
                (Some(_), None) => String::new(),
            };
            writeln!(
                w,
                "      {}–{end} ({}) [{reason}] at {site}{unblock}",
                dur(b.start_ns),
                dur(b.duration_ns)
            )?;
        }
    }
    if let Some(u) = &g.last_unblock {
        let usite = u
            .site
            .as_ref()
            .map(|s| format!(" at {}", at(s)))
            .unwrap_or_default();
        let counts: Vec<String> = g
            .unblocked_by
            .iter()
            .take(4)
            .map(|c| format!("{} {}×", who(c.goroutine), c.count))
            .collect();
        writeln!(
            w,
            "    last unblocked by {}{usite}, {} into the trace (by: {})",
            who(u.by),
            dur(u.at_ns),
            counts.join(", ")
        )?;
    }
    let open: Vec<&str> = g
        .regions
        .iter()
        .filter(|r| r.end_ns.is_none())
        .map(|r| r.name.as_str())
        .collect();
    if !open.is_empty() {
        writeln!(w, "    in region {}", open.join(" > "))?;
    }
    if !g.stack.is_empty() && g.state != "exited" {
        writeln!(w, "    stack:")?;
        for f in &g.stack {
            writeln!(w, "      {}\n        {}:{}", f.function, f.file, f.line)?;
        }
    }
    Ok(())
}

/// The per-goroutine table, like the goroutine analysis page of
/// `go tool trace`: grouped by start function, longest-lived first.
fn table(w: &mut dyn Write, d: &Doc) -> io::Result<()> {
    writeln!(
        w,
        "\nPer goroutine (ns precision rounded; sync block = chan/sync/select/Cond):"
    )?;
    writeln!(
        w,
        "  {:>7} {:<44} {:<9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9}",
        "id",
        "start function",
        "state",
        "total",
        "running",
        "runnable",
        "sync block",
        "network",
        "syscall",
        "other"
    )?;
    let mut rows: Vec<&GoroutineDoc> = d.goroutines.iter().collect();
    rows.sort_by(|x, y| {
        x.start_function
            .cmp(&y.start_function)
            .then(y.total_ns.cmp(&x.total_ns))
            .then(x.id.cmp(&y.id))
    });
    for g in rows {
        let sync: i64 = g
            .blocked_ns
            .iter()
            .filter(|(r, _)| is_stuck_reason(r) || r.contains("Cond"))
            .map(|(_, t)| *t)
            .sum();
        let net: i64 = g.blocked_ns.get("network").copied().unwrap_or(0);
        let other: i64 = g.blocked_ns.values().sum::<i64>() - sync - net;
        let mut func = g.start_function.clone().unwrap_or_else(|| "?".into());
        let n = func.chars().count();
        if n > 44 {
            func = format!("…{}", func.chars().skip(n - 43).collect::<String>());
        }
        writeln!(
            w,
            "  {:>7} {:<44} {:<9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9}",
            g.id,
            func,
            g.state,
            dur(g.total_ns),
            dur(g.running_ns),
            dur(g.runnable_ns),
            dur(sync),
            dur(net),
            dur(g.syscall_ns),
            dur(other)
        )?;
    }
    Ok(())
}

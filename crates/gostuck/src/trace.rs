//! `gostuck trace FILE`: what every goroutine did in a Go execution trace,
//! and the reading of traces given to `gostuck analyze`.
//!
//! The analyses are gostuck-trace's (`Analyzer`, `SyncProfiler`); this module
//! reads the file once (with a progress bar on a terminal), feeds every
//! event to them, and lays the result out as text or JSON.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use gostuck_engine::trace_doc::{TraceDoc, TraceSource};
use gostuck_trace::AnalyzerOptions;

use gostuck_capture::outfile::{Named, OutFile};

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

/// Whether the bytes start like a Go execution trace (`go 1.NN trace`), as
/// the dump readers' format detection says.
fn is_trace(head: &[u8]) -> bool {
    gostuck_dump::detect(head) == gostuck_dump::Detected::ExecutionTrace
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

/// What reading a trace gave, and the size of its file (0 for stdin).
pub struct TraceRead {
    pub read: gostuck_trace::TraceRead,
    /// The error that ended reading early, as shown.
    pub error: Option<String>,
    pub bytes: u64,
}

impl TraceRead {
    /// The engine's view of this trace, read from `path`.
    pub fn input<'a>(&'a self, path: &'a str) -> gostuck_engine::TraceInput<'a> {
        gostuck_engine::TraceInput {
            path,
            format: &self.read.format,
            analysis: &self.read.analysis,
            error: self.error.as_deref(),
        }
    }
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
    let start = Instant::now();
    let show = io::stderr().is_terminal() && len > 0;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let read = gostuck_trace::read_all(input, opts, profile, || {
        if show {
            progress(&mut bar, start, len, counter.load(Ordering::Relaxed));
        }
    })
    .with_context(|| path.to_string())?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(TraceRead {
        error: read.error.as_ref().map(ToString::to_string),
        read,
        bytes: len,
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
    if let (Some(out), Some(records)) = (&a.pprof_sync, &t.read.profile) {
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
    let source = TraceSource {
        path: &a.file,
        format: &t.read.format,
        bytes: t.bytes,
        read_seconds: t.read.elapsed.as_secs_f64(),
        error: t.error.as_deref(),
    };
    let doc = TraceDoc::new(source, &t.read.analysis);
    let stuck = doc.is_stuck();
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
            TraceFmt::Text => gostuck_report::trace_text(
                &mut gostuck_report::TerminalSafe::new(&mut out),
                &doc,
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

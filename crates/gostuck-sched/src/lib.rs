//! Reads the Go runtime's scheduler and GC traces — `GODEBUG=schedtrace=N`
//! (`SCHED 1004ms: gomaxprocs=2 idleprocs=2 …`), `scheddetail=1` (the `P0:`,
//! `M3:`, `G17:` lines under each `SCHED` line) and `gctrace=1`
//! (`gc 12 @3.456s 2%: …`) — and extracts evidence of a stuck program.
//!
//! The parser is a line-at-a-time state machine that ignores every other line,
//! so it reads a program's whole stderr with the trace mixed in. It keeps a
//! small summary per period and per-goroutine streaks, not the raw lines.
//!
//! ```
//! let log = gostuck_sched::parse_bytes(b"SCHED 0ms: gomaxprocs=2 idleprocs=2 threads=4 spinningthreads=0 idlethreads=2 runqueue=0 [0 0]\n");
//! assert_eq!(log.periods.len(), 1);
//! assert_eq!(log.periods[0].idleprocs, 2);
//! ```
#![deny(missing_docs)]

mod evidence;
pub mod mixed;
mod parse;

pub use evidence::{Evidence, EvidenceKind};
pub use parse::{GcCycle, Parser, Period, Streak};

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the input failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// The input holds no `SCHED …` or `gc N @…` line.
    #[error("no scheduler or GC trace found (expected lines like `SCHED 1004ms: gomaxprocs=…` or `gc 1 @0.012s 2%: …`)")]
    NoTrace,
}

/// Everything read from one scheduler/GC trace.
#[derive(Debug, Clone, Default)]
pub struct SchedLog {
    /// One entry per `SCHED` line, in input order.
    pub periods: Vec<Period>,
    /// Number of `gc N @…` lines.
    pub gc_cycles: u64,
    /// The first and the last GC cycles, and up to 64 cycles before the last.
    pub gc_first: Option<GcCycle>,
    /// The most recent GC cycles (at most 64), oldest first.
    pub gc_recent: Vec<GcCycle>,
    /// Goroutines (from `scheddetail=1` lines) still in one state at the last
    /// period, with how long they have been in it.
    pub streaks: Vec<Streak>,
    /// Whether `scheddetail=1` lines were seen.
    pub detailed: bool,
    /// Lines that belonged to the trace.
    pub trace_lines: u64,
}

impl SchedLog {
    /// True when at least one trace line was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.trace_lines == 0
    }

    /// Time of the last observation (last `SCHED` line or GC cycle), in ms since start.
    #[must_use]
    pub fn end_ms(&self) -> u64 {
        let s = self.periods.last().map_or(0, |p| p.at_ms);
        let g = self.gc_recent.last().map_or(0, |g| g.at_ms);
        s.max(g)
    }
}

/// Parses every trace line in `bytes`, ignoring all other lines.
#[must_use]
pub fn parse_bytes(bytes: &[u8]) -> SchedLog {
    let mut p = Parser::new();
    for line in bytes.split(|&c| c == b'\n') {
        p.push_line(line);
    }
    p.finish()
}

/// Reads a whole stream; fails with [`Error::NoTrace`] when nothing in it is a trace line.
pub fn read<R: std::io::BufRead>(mut r: R) -> Result<SchedLog, Error> {
    let mut p = Parser::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        p.push_line(&line);
    }
    let log = p.finish();
    if log.is_empty() {
        return Err(Error::NoTrace);
    }
    Ok(log)
}

/// Cheap check: does `bytes` contain a line starting with `SCHED <digits>ms:`
/// or `gc <digits> @`? Scans with a substring search, so it is fast on large inputs.
#[must_use]
pub fn contains_trace(bytes: &[u8]) -> bool {
    // Every schedtrace line carries `=` (`gomaxprocs=`) and every gctrace line
    // `@` (`gc 1 @0.012s`); both bytes are rare in goroutine dumps, so one
    // memchr2 pass finds the few candidate lines at memory speed.
    let (mut last, mut prev) = (usize::MAX, 0);
    for hit in memchr::memchr2_iter(b'=', b'@', bytes) {
        // The line start, looking back only as far as the previous hit (linear
        // even on one endless line).
        let start = match memchr::memrchr(b'\n', &bytes[prev..hit]) {
            Some(p) => prev + p + 1,
            None if last != usize::MAX => last,
            None => 0,
        };
        prev = hit;
        if start == last {
            continue;
        }
        last = start;
        let line = &bytes[start..];
        if !(line.starts_with(b"SCHED ") || line.starts_with(b"gc ")) {
            continue;
        }
        let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
        let line = &line[..end];
        if parse::sched_header(line).is_some() || parse::gc_header(line).is_some() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests;

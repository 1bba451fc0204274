//! Reading a whole trace once: every event goes to the [`Analyzer`] and,
//! when asked for, to the blocking profiler.

use std::io::BufRead;
use std::time::{Duration, Instant};

use crate::analysis::{Analysis, Analyzer, AnalyzerOptions};
use crate::error::{Error, Result};
use crate::pprof::{ProfileKind, ProfileRecord, SyncProfiler};
use crate::reader::Reader;

/// Events between two calls of the progress callback of [`read_all`].
pub const PROGRESS_EVERY: u64 = 65_536;

/// What reading a trace gave.
pub struct TraceRead {
    /// The header, e.g. `go 1.26 trace`.
    pub format: String,
    /// The analysis of every event read.
    pub analysis: Analysis,
    /// The blocking profile, when asked for.
    pub profile: Option<Vec<ProfileRecord>>,
    /// The error that ended reading early (events before it were analysed).
    pub error: Option<Error>,
    /// Time spent reading and analysing.
    pub elapsed: Duration,
}

/// Reads the trace to its end (or to its first error), feeding every event
/// to an [`Analyzer`] and, with `profile`, to a `-pprof=sync` profiler.
/// `progress` is called every [`PROGRESS_EVERY`] events.
///
/// An error after events were analysed is kept in [`TraceRead::error`]; one
/// before any event past the first synchronisation is returned.
pub fn read_all<R: BufRead>(
    input: R,
    opts: AnalyzerOptions,
    profile: bool,
    mut progress: impl FnMut(),
) -> Result<TraceRead> {
    let start = Instant::now();
    let mut reader = Reader::new(input)?;
    let format = reader.version().to_string() + " trace";
    let mut an = Analyzer::with_options(opts);
    let mut prof = profile.then(|| SyncProfiler::new(ProfileKind::Sync));
    let mut error = None;
    let mut n: u64 = 0;
    loop {
        let ev = match reader.read_event_ref() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        an.event(ev);
        if let Some(p) = prof.as_mut() {
            p.event(ev);
        }
        n += 1;
        if n.is_multiple_of(PROGRESS_EVERY) {
            progress();
        }
    }
    let analysis = an.finish();
    // Only the sync event that opens a generation: nothing to analyse.
    if analysis.events <= 1 {
        if let Some(e) = error {
            return Err(e);
        }
    }
    Ok(TraceRead {
        format,
        analysis,
        profile: prof.map(SyncProfiler::finish),
        error,
        elapsed: start.elapsed(),
    })
}

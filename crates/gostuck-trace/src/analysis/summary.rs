//! A per-goroutine summary of a trace, for reports.

use std::fmt;
use std::io::BufRead;

use crate::analysis::{analyze, Analysis, BlockedGroup, SharedStack};
use crate::error::Result;
use crate::event::{GoId, GoState, Time, NO_GOROUTINE};
use crate::reader::Reader;

/// One goroutine's life in the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoroutineSummary {
    /// The goroutine ID.
    pub id: GoId,
    /// Its start function, if known.
    pub start_func: Option<String>,
    /// Whether it is a runtime goroutine (start function in package
    /// `runtime`, other than `runtime.main`).
    pub system: bool,
    /// The goroutine that created it ([`NO_GOROUTINE`] if unknown).
    pub created_by: GoId,
    /// When it was created, if in the trace.
    pub created_at: Option<Time>,
    /// Whether it already existed when the trace started.
    pub existed_at_start: bool,
    /// Nanoseconds running.
    pub running: Time,
    /// Nanoseconds runnable but not running.
    pub runnable: Time,
    /// Nanoseconds in syscalls.
    pub syscall: Time,
    /// Nanoseconds blocked, by reason, longest first.
    pub blocked: Vec<(String, Time)>,
    /// State at the end of the trace.
    pub state: GoState,
    /// Reason of the last block or stop ("" if none or unknown).
    pub reason: String,
    /// When it entered its final state.
    pub since: Time,
    /// Its last known stack (where it blocked, for a blocked goroutine).
    pub stack: Option<SharedStack>,
    /// When it exited, if it did.
    pub ended_at: Option<Time>,
    /// Names of user regions still open at the end, outermost first.
    pub open_regions: Vec<String>,
    /// The goroutine that last unblocked it, if any.
    pub last_unblocked_by: Option<GoId>,
}

impl GoroutineSummary {
    /// Total nanoseconds blocked.
    #[must_use]
    pub fn blocked_total(&self) -> Time {
        self.blocked.iter().map(|(_, t)| t).sum()
    }
}

/// The summary of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Time of the first event.
    pub start: Time,
    /// Time of the last event.
    pub end: Time,
    /// Number of events.
    pub events: u64,
    /// Every goroutine, by ID.
    pub goroutines: Vec<GoroutineSummary>,
    /// Goroutines blocked at the end, grouped by reason and site.
    pub blocked_at_end: Vec<BlockedGroup>,
}

fn is_system(func: Option<&str>) -> bool {
    func.is_some_and(|f| {
        f.starts_with("runtime.") && f != "runtime.main" && f != "runtime.handleAsyncEvent"
    })
}

impl Summary {
    /// Builds the summary from an analysis.
    #[must_use]
    pub fn from_analysis(a: &Analysis) -> Summary {
        let goroutines = a
            .goroutines
            .values()
            .map(|g| {
                let mut blocked: Vec<(String, Time)> =
                    g.blocked.iter().map(|(r, t)| (r.clone(), *t)).collect();
                blocked.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
                GoroutineSummary {
                    id: g.id,
                    start_func: g.start_func().map(str::to_owned),
                    system: is_system(g.start_func()),
                    created_by: g.created_by,
                    created_at: g.created_at,
                    existed_at_start: g.existed_at_start,
                    running: g.running,
                    runnable: g.runnable,
                    syscall: g.syscall,
                    blocked,
                    state: g.state,
                    reason: g.reason.clone(),
                    since: g.since,
                    stack: g.stack.clone(),
                    ended_at: g.ended_at,
                    open_regions: g.open_regions().map(|r| r.name.clone()).collect(),
                    last_unblocked_by: g.last_unblock.as_ref().map(|u| u.by),
                }
            })
            .collect();
        Summary {
            start: a.start,
            end: a.end,
            events: a.events,
            goroutines,
            blocked_at_end: a.blocked_at_end(),
        }
    }

    /// The summary of one goroutine.
    #[must_use]
    pub fn goroutine(&self, id: GoId) -> Option<&GoroutineSummary> {
        self.goroutines
            .binary_search_by_key(&id, |g| g.id)
            .ok()
            .map(|i| &self.goroutines[i])
    }
}

/// Reads the whole trace and summarizes it.
pub fn summarize<R: BufRead>(reader: Reader<R>) -> Result<Summary> {
    Ok(Summary::from_analysis(&analyze(reader)?))
}

fn ms(ns: Time) -> String {
    use gostuck_dump::human::{format_duration, from_ns, DurationStyle};
    format_duration(from_ns(ns), DurationStyle::Millis)
}

impl fmt::Display for Summary {
    /// A plain-text report: blocked groups, then user goroutines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "trace: {} events over {}, {} goroutines",
            self.events,
            ms(self.end - self.start),
            self.goroutines.len()
        )?;
        if !self.blocked_at_end.is_empty() {
            writeln!(f, "\nblocked at the end of the trace:")?;
        }
        for b in &self.blocked_at_end {
            let site = b.site.as_ref().map_or("unknown site".to_owned(), |s| {
                format!("{} ({}:{})", s.func, s.file, s.line)
            });
            let reason = if b.reason.is_empty() {
                "unknown reason"
            } else {
                &b.reason
            };
            writeln!(
                f,
                "  {} goroutine(s) [{reason}] at {site}, since {} before the end: {:?}",
                b.goroutines.len(),
                ms(self.end - b.since),
                b.goroutines
            )?;
        }
        writeln!(f, "\ngoroutines:")?;
        for g in self.goroutines.iter().filter(|g| !g.system) {
            let creator = if g.created_by == NO_GOROUTINE {
                String::new()
            } else {
                format!(" created by {}", g.created_by)
            };
            write!(
                f,
                "  {} {}{creator}: {} ",
                g.id,
                g.start_func.as_deref().unwrap_or("?"),
                g.state.name()
            )?;
            if !g.reason.is_empty() && g.state != GoState::Running {
                write!(f, "[{}] ", g.reason)?;
            }
            writeln!(
                f,
                "(running {}, runnable {}, syscall {}, blocked {})",
                ms(g.running),
                ms(g.runnable),
                ms(g.syscall),
                ms(g.blocked_total())
            )?;
        }
        Ok(())
    }
}

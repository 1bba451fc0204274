//! What a scheduler/GC trace says about a stuck program.

use gostuck_dump::human::count;
use gostuck_dump::WaitReason;

use crate::parse::{STATUS_SYSCALL, STATUS_WAITING};
use crate::SchedLog;

/// Periods a state must last (at the end of the trace) before it counts…
pub const MIN_PERIODS: usize = 3;
/// …and how long, in milliseconds.
pub const MIN_SPAN_MS: u64 = 2000;

/// Whether a state seen in `periods` consecutive periods over `span_ms` counts.
fn lasting(periods: usize, span_ms: u64) -> bool {
    periods >= MIN_PERIODS && span_ms >= MIN_SPAN_MS
}

/// The kinds of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvidenceKind {
    /// Every P idle with empty run queues for many periods: no goroutine could run.
    NothingCanRun,
    /// Goroutines in a system call for many periods (scheddetail).
    StuckInSyscall,
    /// Many threads neither running Go code nor parked (no scheddetail).
    ThreadsOutsideScheduler,
    /// GC cycles came regularly, then stopped while the trace went on.
    GcStopped,
    /// A stop-the-world stayed pending for many periods (scheddetail).
    StopTheWorldPending,
    /// Goroutines seen blocked on a lock, WaitGroup, Cond or nil channel at every snapshot.
    BlockedThroughout,
}

impl EvidenceKind {
    /// A stable name (`nothing-can-run`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::NothingCanRun => "nothing-can-run",
            EvidenceKind::StuckInSyscall => "stuck-in-syscall",
            EvidenceKind::ThreadsOutsideScheduler => "threads-outside-scheduler",
            EvidenceKind::GcStopped => "gc-stopped",
            EvidenceKind::StopTheWorldPending => "stop-the-world-pending",
            EvidenceKind::BlockedThroughout => "blocked-throughout",
        }
    }
}

/// One observation, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// What was observed.
    pub kind: EvidenceKind,
    /// A sentence for the report.
    pub message: String,
    /// Start of the observed interval, ms since the program started.
    pub from_ms: u64,
    /// End of it.
    pub to_ms: u64,
    /// Goroutine IDs involved (scheddetail only).
    pub goroutines: Vec<u64>,
}

/// `1.5s`, `800ms`.
pub(crate) fn dur(ms: u64) -> String {
    use gostuck_dump::human::{format_duration, DurationStyle};
    format_duration(std::time::Duration::from_millis(ms), DurationStyle::Tenths)
}

impl SchedLog {
    /// One line describing the trace: periods, time span, GOMAXPROCS, GC cycles.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(first), Some(last)) = (self.periods.first(), self.periods.last()) {
            parts.push(format!(
                "{} from {} to {} (gomaxprocs={}{})",
                count(
                    self.periods.len() as u64,
                    "scheduler period",
                    "scheduler periods"
                ),
                dur(first.at_ms),
                dur(last.at_ms),
                last.gomaxprocs,
                if self.detailed { ", scheddetail" } else { "" }
            ));
        }
        if self.gc_cycles > 0 {
            let last = self.gc_recent.last().map_or(0, |g| g.at_ms);
            parts.push(format!(
                "{} up to {}",
                count(self.gc_cycles, "GC cycle", "GC cycles"),
                dur(last)
            ));
        }
        parts.join("; ")
    }

    /// Goroutines in the last detailed period, if any.
    #[must_use]
    pub fn goroutines(&self) -> Option<u32> {
        self.periods.iter().rev().find_map(|p| p.goroutines)
    }

    /// Everything the trace says about a stuck program, most telling first.
    #[must_use]
    pub fn evidence(&self) -> Vec<Evidence> {
        let mut out = Vec::new();
        self.stop_the_world(&mut out);
        self.nothing_can_run(&mut out);
        self.blocked_throughout(&mut out);
        self.syscalls(&mut out);
        self.gc_stopped(&mut out);
        out
    }

    /// The periods at the end of the trace for which `f` holds.
    fn trailing(&self, f: impl Fn(&crate::Period) -> bool) -> &[crate::Period] {
        let n = self.periods.iter().rev().take_while(|p| f(p)).count();
        &self.periods[self.periods.len() - n..]
    }

    fn stop_the_world(&self, out: &mut Vec<Evidence>) {
        let run = self.trailing(|p| p.gcwaiting == Some(true));
        if run.len() < 3 {
            return;
        }
        let (a, b) = (run[0].at_ms, run[run.len() - 1].at_ms);
        let wait = run[run.len() - 1].stopwait.unwrap_or(0);
        out.push(Evidence {
            kind: EvidenceKind::StopTheWorldPending,
            message: format!(
                "a stop-the-world (GC or runtime) stayed pending for the last {} periods ({} to {}), still waiting for {}: a goroutine never reaches a preemption point, so the whole program is frozen",
                run.len(), dur(a), dur(b), count(u64::from(wait), "P", "Ps")
            ),
            from_ms: a,
            to_ms: b,
            goroutines: Vec::new(),
        });
    }

    fn nothing_can_run(&self, out: &mut Vec<Evidence>) {
        let run = self.trailing(|p| p.nothing_runnable());
        if run.is_empty() || !lasting(run.len(), run[run.len() - 1].at_ms - run[0].at_ms) {
            return;
        }
        let (first, last) = (&run[0], &run[run.len() - 1]);
        let mut message = format!(
            "all {} P{} idle and every run queue empty for the last {} scheduler periods ({} to {}, {}): no goroutine could run. If the program should be making progress, every goroutine is waiting — on I/O, timers or each other; a goroutine dump shows on what",
            last.gomaxprocs,
            if last.gomaxprocs == 1 { " was" } else { "s were" },
            run.len(),
            dur(first.at_ms),
            dur(last.at_ms),
            dur(last.at_ms - first.at_ms),
        );
        let user: Vec<String> = last
            .waiting
            .iter()
            .filter(|(r, _)| WaitReason::parse(r) != WaitReason::RuntimeInternal)
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        if !user.is_empty() {
            message.push_str(&format!(" (waiting at the end: {})", user.join(", ")));
        }
        out.push(Evidence {
            kind: EvidenceKind::NothingCanRun,
            message,
            from_ms: first.at_ms,
            to_ms: last.at_ms,
            goroutines: Vec::new(),
        });
    }

    fn blocked_throughout(&self, out: &mut Vec<Evidence>) {
        let end = self.periods.last().map_or(0, |p| p.at_ms);
        let mut by_reason: Vec<(&str, Vec<u64>, u32, u64)> = Vec::new();
        for s in &self.streaks {
            if s.status != STATUS_WAITING
                || !lasting(s.periods as usize, end.saturating_sub(s.since_ms))
            {
                continue;
            }
            if !WaitReason::parse(&s.reason).is_lock_like() {
                continue;
            }
            match by_reason.iter_mut().find(|(r, ..)| *r == s.reason) {
                Some(e) => {
                    e.1.push(s.goroutine);
                    e.2 = e.2.min(s.periods);
                    e.3 = e.3.max(s.since_ms);
                }
                None => by_reason.push((&s.reason, vec![s.goroutine], s.periods, s.since_ms)),
            }
        }
        for (reason, mut ids, periods, since) in by_reason {
            ids.sort_unstable();
            let names: Vec<String> = ids.iter().map(|g| format!("G{g}")).collect();
            out.push(Evidence {
                kind: EvidenceKind::BlockedThroughout,
                message: format!(
                    "{} ({reason}) {} blocked at every one of the last {periods} snapshots (since {}, {}): a lock or wait that is never released",
                    names.join(", "),
                    if ids.len() == 1 { "was" } else { "were" },
                    dur(since),
                    dur(end.saturating_sub(since)),
                ),
                from_ms: since,
                to_ms: end,
                goroutines: ids,
            });
        }
    }

    fn syscalls(&self, out: &mut Vec<Evidence>) {
        let end = self.periods.last().map_or(0, |p| p.at_ms);
        if self.detailed {
            let mut ids: Vec<u64> = Vec::new();
            let mut periods = u32::MAX;
            let mut since = 0;
            for s in &self.streaks {
                if s.status == STATUS_SYSCALL
                    && lasting(s.periods as usize, end.saturating_sub(s.since_ms))
                {
                    ids.push(s.goroutine);
                    periods = periods.min(s.periods);
                    since = since.max(s.since_ms);
                }
            }
            if ids.is_empty() {
                return;
            }
            ids.sort_unstable();
            let names: Vec<String> = ids.iter().map(|g| format!("G{g}")).collect();
            out.push(Evidence {
                kind: EvidenceKind::StuckInSyscall,
                message: format!(
                    "{} ({}) stayed in a system call for the last {periods} periods (since {}, {}), each holding an OS thread: a blocking read/write, cgo call or external lock that does not return",
                    count(ids.len() as u64, "goroutine", "goroutines"),
                    names.join(", "),
                    dur(since),
                    dur(end.saturating_sub(since)),
                ),
                from_ms: since,
                to_ms: end,
                goroutines: ids,
            });
            return;
        }
        let run = self.trailing(|p| p.threads_outside() >= 4);
        if run.is_empty() || !lasting(run.len(), run[run.len() - 1].at_ms - run[0].at_ms) {
            return;
        }
        let n = run.iter().map(|p| p.threads_outside()).min().unwrap_or(0);
        let (a, b) = (run[0].at_ms, run[run.len() - 1].at_ms);
        out.push(Evidence {
            kind: EvidenceKind::ThreadsOutsideScheduler,
            message: format!(
                "about {n} OS threads were neither running Go code nor parked for the last {} periods ({} to {}): goroutines blocked in system calls or cgo (scheddetail=1 names them)",
                run.len(), dur(a), dur(b)
            ),
            from_ms: a,
            to_ms: b,
            goroutines: Vec::new(),
        });
    }

    fn gc_stopped(&self, out: &mut Vec<Evidence>) {
        let (Some(first), Some(last), Some(end)) = (
            self.gc_first,
            self.gc_recent.last().copied(),
            self.periods.last().map(|p| p.at_ms),
        ) else {
            return;
        };
        let driven: Vec<_> = self.gc_recent.iter().filter(|g| !g.forced).collect();
        if self.gc_cycles < 3 || driven.len() < 3 || end <= last.at_ms {
            return;
        }
        let span = driven[driven.len() - 1].at_ms - driven[0].at_ms;
        let interval = (span / (driven.len() as u64 - 1)).max(1);
        let gap = end - last.at_ms;
        if gap < (10 * interval).max(1000) {
            return;
        }
        out.push(Evidence {
            kind: EvidenceKind::GcStopped,
            message: format!(
                "{} GC cycles from {} to {} (about one every {}), then none for {} while the scheduler trace went on: the program stopped allocating at about {}, so its work stopped then",
                self.gc_cycles,
                dur(first.at_ms),
                dur(last.at_ms),
                dur(interval),
                dur(gap),
                dur(last.at_ms)
            ),
            from_ms: last.at_ms,
            to_ms: end,
            goroutines: Vec::new(),
        });
    }
}

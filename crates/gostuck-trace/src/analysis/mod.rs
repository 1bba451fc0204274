//! Per-goroutine analyses over the ordered event stream.
//!
//! [`Analyzer`] consumes [`Event`]s one at a time (so it works on traces of
//! any length) and keeps, per goroutine: who created it and where, its
//! current state and since when, why and where it last blocked, who
//! unblocked it, time spent per state, and its user regions and logs.

pub mod pprof;
pub(crate) mod session;
pub(crate) mod summary;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::error::Result;
use crate::event::*;
use crate::order_state::IdMap;
use crate::reader::Reader;
use crate::table::{OwnedFrame, Stack};

/// Stack IDs below this are cached in a vector (the runtime numbers a
/// generation's stacks from 1); a lying ID cannot make it grow beyond.
const STACKS_DENSE: u64 = 1 << 16;

/// Entries of [`Analyzer`]'s reason cache (a power of two).
const REASON_CACHE: usize = 16;

/// A stack copied out of the trace (shared: identical stacks of a
/// generation are stored once).
pub type SharedStack = Arc<[OwnedFrame]>;

/// Who unblocked a goroutine, when, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unblock {
    /// When.
    pub time: Time,
    /// The goroutine that unblocked it ([`NO_GOROUTINE`]: the runtime, e.g.
    /// a timer or the network poller without a goroutine).
    pub by: GoId,
    /// The unblocker's stack, if the trace has it.
    pub stack: Option<SharedStack>,
}

/// One stretch of time a goroutine spent blocked (waiting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInterval {
    /// When it blocked (for a goroutine already waiting when the trace
    /// started: the start of the trace).
    pub start: Time,
    /// When it was unblocked; `None`: still blocked at the end of the trace.
    pub end: Option<Time>,
    /// The block reason (`chan receive`, `sync`...; "" if unknown).
    pub reason: String,
    /// Where it blocked.
    pub stack: Option<SharedStack>,
    /// Who unblocked it ([`NO_GOROUTINE`]: the runtime, e.g. a timer), if
    /// it was unblocked.
    pub unblocked_by: Option<GoId>,
    /// The unblocker's stack, if the trace has it.
    pub unblock_stack: Option<SharedStack>,
}

impl BlockInterval {
    /// How long it lasted, up to `end_of_trace` for an open interval.
    #[must_use]
    pub fn duration(&self, end_of_trace: Time) -> Time {
        self.end
            .unwrap_or(end_of_trace)
            .saturating_sub(self.start)
            .max(0)
    }
}

/// A user region on a goroutine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSpan {
    /// The task.
    pub task: TaskId,
    /// The region name.
    pub name: String,
    /// Begin time (`None`: began before the trace started).
    pub start: Option<Time>,
    /// End time (`None`: still open at the end of the trace).
    pub end: Option<Time>,
}

/// A user log message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When.
    pub time: Time,
    /// The task.
    pub task: TaskId,
    /// Category (key).
    pub category: String,
    /// Message.
    pub message: String,
}

/// A user task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    /// The task ID.
    pub id: TaskId,
    /// Its name ("" if its begin is not in the trace).
    pub name: String,
    /// The parent task, or [`NO_TASK`].
    pub parent: TaskId,
    /// Begin time, if in the trace.
    pub start: Option<Time>,
    /// End time, if in the trace.
    pub end: Option<Time>,
    /// The goroutine that began it.
    pub created_by: GoId,
}

/// Everything known about one goroutine at the end of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoroutineInfo {
    /// The goroutine ID.
    pub id: GoId,
    /// Its state at the end of the trace (`NotExist`: it exited).
    pub state: GoState,
    /// When it entered `state` (for goroutines seen only in a status event:
    /// the time of that event, i.e. the start of the trace).
    pub since: Time,
    /// Whether it already existed when the trace started.
    pub existed_at_start: bool,
    /// When it was created, if in the trace.
    pub created_at: Option<Time>,
    /// The goroutine that created it ([`NO_GOROUTINE`] if unknown or none).
    pub created_by: GoId,
    /// Where the `go` statement was (the creator's stack).
    pub creation_stack: Option<SharedStack>,
    /// Where it starts running: its first frame is the start function.
    pub start_stack: Option<SharedStack>,
    /// When it exited, if it did.
    pub ended_at: Option<Time>,
    /// The reason of the last block or stop (`chan receive`, `sync.Mutex.Lock`,
    /// `preempted`...), "" if none seen.
    pub reason: String,
    /// The most recent stack of the goroutine itself: where it last blocked,
    /// stopped or entered a syscall, or its stack at a status event.
    pub stack: Option<SharedStack>,
    /// The most recent unblock.
    pub last_unblock: Option<Unblock>,
    /// How often each goroutine unblocked this one.
    pub unblocked_by: BTreeMap<GoId, u64>,
    /// Nanoseconds running.
    pub running: Time,
    /// Nanoseconds runnable (waiting for a P).
    pub runnable: Time,
    /// Nanoseconds in syscalls.
    pub syscall: Time,
    /// Nanoseconds blocked, by reason.
    pub blocked: BTreeMap<String, Time>,
    /// User regions, in begin order.
    pub regions: Vec<RegionSpan>,
    /// User log messages.
    pub logs: Vec<LogEntry>,
    /// The last label the runtime applied (e.g. `GC (dedicated)`).
    pub label: Option<String>,
    /// When it first ran in the trace (`None`: never).
    pub first_running: Option<Time>,
    /// How many times it blocked (waited) in the trace.
    pub block_count: u64,
    /// The blocking interval still open at the end of the trace, if it is
    /// blocked then.
    pub current_block: Option<BlockInterval>,
    /// Completed blocking intervals: the longest ones (at most
    /// [`AnalyzerOptions::max_intervals`]), in no particular order.
    pub intervals: Vec<BlockInterval>,
    /// The duration of the shortest interval in `intervals` (when full).
    shortest_kept: Time,
    /// While events come in: `stack`, `reason`, `blocked` and
    /// `last_unblock` as handles into the analyzer's [`Stores`];
    /// [`Analyzer::finish`] fills those fields from them.
    h: Handles,
}

/// The hot per-goroutine fields as handles: no reference counting, string
/// compare or string copy per event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Handles {
    /// [`Stores::stack`] handle of `stack`.
    stack: u32,
    /// [`Stores::reason`] handle of `reason`.
    reason: u32,
    /// `blocked`: nanoseconds by reason handle.
    blocked: Vec<(u32, Time)>,
    /// `last_unblock`: time, unblocker, its stack handle.
    last_unblock: Option<(Time, GoId, u32)>,
}

/// What handles point to: stacks (handle `h` is `stacks[h - 1]`, 0 none)
/// and block reasons (handle `h` is `reasons[h - 1]`, 0 "").
#[derive(Default)]
struct Stores {
    stacks: Vec<SharedStack>,
    reasons: Vec<String>,
}

impl Stores {
    fn stack(&self, h: u32) -> Option<SharedStack> {
        h.checked_sub(1).map(|i| self.stacks[i as usize].clone())
    }

    fn reason(&self, h: u32) -> &str {
        h.checked_sub(1).map_or("", |i| &self.reasons[i as usize])
    }
}

impl GoroutineInfo {
    fn new(id: GoId, now: Time) -> Self {
        GoroutineInfo {
            id,
            state: GoState::Undetermined,
            since: now,
            existed_at_start: false,
            created_at: None,
            created_by: NO_GOROUTINE,
            creation_stack: None,
            start_stack: None,
            ended_at: None,
            reason: String::new(),
            stack: None,
            last_unblock: None,
            unblocked_by: BTreeMap::new(),
            running: 0,
            runnable: 0,
            syscall: 0,
            blocked: BTreeMap::new(),
            regions: Vec::new(),
            logs: Vec::new(),
            label: None,
            first_running: None,
            block_count: 0,
            current_block: None,
            intervals: Vec::new(),
            shortest_kept: 0,
            h: Handles::default(),
        }
    }

    /// Closes the blocking interval that began at `self.since` (reason and
    /// stack in the handles), keeping the longest `max`. The interval is
    /// only built when it is kept.
    fn close_block(&mut self, now: Time, by: Option<GoId>, ustack: u32, max: usize, st: &Stores) {
        if max == 0 {
            return;
        }
        let d = now.saturating_sub(self.since).max(0);
        if self.intervals.len() >= max {
            // Full: most waits are no longer than the shortest kept one.
            if d <= self.shortest_kept {
                return;
            }
            let (i, _) = self
                .intervals
                .iter()
                .enumerate()
                .map(|(i, x)| (i, x.duration(now)))
                .min_by_key(|&(_, d)| d)
                .expect("max > 0");
            self.intervals.remove(i);
        }
        self.intervals.push(BlockInterval {
            start: self.since,
            end: Some(now),
            reason: st.reason(self.h.reason).to_owned(),
            stack: st.stack(self.h.stack),
            unblocked_by: by,
            unblock_stack: st.stack(ustack),
        });
        if self.intervals.len() >= max {
            self.shortest_kept = self
                .intervals
                .iter()
                .map(|x| x.duration(now))
                .min()
                .unwrap_or(0);
        }
    }

    /// The start function, if known: the first frame of the start stack,
    /// or for a goroutine that existed before the trace, the outermost frame
    /// of its last stack.
    #[must_use]
    pub fn start_func(&self) -> Option<&str> {
        match &self.start_stack {
            Some(s) => s.first(),
            None => self.stack.as_ref().and_then(|s| s.last()),
        }
        .map(|f| f.func.as_str())
    }

    /// Whether it is one of the runtime's own goroutines (GC workers,
    /// finalizers, the trace reader…), which goroutine dumps leave out by default.
    #[must_use]
    pub fn is_system(&self) -> bool {
        self.start_func().is_some_and(|f| {
            (f.starts_with("runtime.") || f.starts_with("runtime/trace."))
                && f != "runtime.main"
                && f != "runtime.handleAsyncEvent"
        })
    }

    /// Whether it is blocked (waiting) at the end of the trace.
    #[must_use]
    pub fn blocked_at_end(&self) -> bool {
        self.state == GoState::Waiting
    }

    /// Regions still open at the end of the trace, outermost first.
    pub fn open_regions(&self) -> impl Iterator<Item = &RegionSpan> {
        self.regions.iter().filter(|r| r.end.is_none())
    }

    fn account(&mut self, now: Time) {
        let d = now.saturating_sub(self.since).max(0);
        match self.state {
            GoState::Running => self.running += d,
            GoState::Runnable => self.runnable += d,
            GoState::Syscall => self.syscall += d,
            GoState::Waiting => {
                let r = self.h.reason;
                match self.h.blocked.iter_mut().find(|(x, _)| *x == r) {
                    Some((_, t)) => *t += d,
                    None => self.h.blocked.push((r, d)),
                }
            }
            GoState::Undetermined | GoState::NotExist => {}
        }
    }
}

/// The result of analyzing a trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Time of the first event.
    pub start: Time,
    /// Time of the last event.
    pub end: Time,
    /// Every goroutine seen, by ID.
    pub goroutines: BTreeMap<GoId, GoroutineInfo>,
    /// Every user task seen, by ID.
    pub tasks: BTreeMap<TaskId, TaskInfo>,
    /// Number of events consumed.
    pub events: u64,
}

/// Goroutines blocked at the end of the trace at the same place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedGroup {
    /// The block reason (e.g. `chan receive`; "" if unknown, e.g. blocked
    /// since before the trace started in a Go 1.22 trace).
    pub reason: String,
    /// The first frame outside the runtime and `sync` packages (or the
    /// innermost frame), if the stack is known.
    pub site: Option<OwnedFrame>,
    /// The goroutines, by ID.
    pub goroutines: Vec<GoId>,
    /// The earliest time one of them blocked.
    pub since: Time,
}

impl Analysis {
    /// Goroutines waiting at the end of the trace, grouped by reason and
    /// blocking site; largest groups first.
    #[must_use]
    pub fn blocked_at_end(&self) -> Vec<BlockedGroup> {
        let mut groups: BTreeMap<(String, Option<OwnedFrame>), BlockedGroup> = BTreeMap::new();
        for g in self.goroutines.values().filter(|g| g.blocked_at_end()) {
            let site = g.stack.as_ref().and_then(|s| {
                s.iter()
                    .find(|f| !crate::table::is_runtime_func(&f.func))
                    .or_else(|| s.first())
                    .map(|f| OwnedFrame { pc: 0, ..f.clone() })
            });
            let e = groups
                .entry((g.reason.clone(), site.clone()))
                .or_insert_with(|| BlockedGroup {
                    reason: g.reason.clone(),
                    site,
                    goroutines: Vec::new(),
                    since: g.since,
                });
            e.goroutines.push(g.id);
            e.since = e.since.min(g.since);
        }
        let mut v: Vec<_> = groups.into_values().collect();
        v.sort_by_key(|g| std::cmp::Reverse(g.goroutines.len()));
        v
    }
}

/// What an [`Analyzer`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyzerOptions {
    /// Completed blocking intervals kept per goroutine (the longest ones);
    /// the interval open at the end is always kept.
    pub max_intervals: usize,
}

impl Default for AnalyzerOptions {
    fn default() -> Self {
        AnalyzerOptions { max_intervals: 8 }
    }
}

/// Builds an [`Analysis`] from events.
#[derive(Default)]
pub struct Analyzer {
    a: Analysis,
    /// The goroutines while events come in (by ID, dense like the
    /// runtime's IDs: one index per event); `finish` sorts them into
    /// `a.goroutines`.
    gs: IdMap<GoroutineInfo>,
    opts: AnalyzerOptions,
    st: Stores,
    /// The current generation's stacks' handles by stack ID (0: not seen
    /// yet; dense in the traces the runtime writes, larger IDs go to
    /// `stacks_sparse`).
    stacks: Vec<u32>,
    stacks_sparse: FxHashMap<u64, u32>,
    /// The generation `stacks` and `reason_cache` are of.
    gen: u64,
    /// Reason handles by text, and for the current generation a small
    /// direct-mapped cache by the address and length of the table's string
    /// (the table does not change while its generation lasts), which spares
    /// hashing the text.
    reason_ids: FxHashMap<String, u32>,
    reason_cache: [(usize, usize, u32); REASON_CACHE],
}

impl Analyzer {
    /// A new, empty analyzer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A new analyzer with options.
    #[must_use]
    pub fn with_options(opts: AnalyzerOptions) -> Self {
        Analyzer {
            opts,
            ..Self::default()
        }
    }

    /// The number of events consumed so far.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.a.events
    }

    /// The handle of a stack (0: none), copying it out of the trace the
    /// first time its generation uses it.
    fn share(&mut self, s: Option<Stack<'_>>) -> u32 {
        let Some(s) = s else { return 0 };
        if s.id() == 0 {
            return 0;
        }
        let id = s.id();
        let slot = match usize::try_from(id) {
            Ok(i) if id < STACKS_DENSE => {
                if i >= self.stacks.len() {
                    self.stacks.resize(i + 1, 0);
                }
                &mut self.stacks[i]
            }
            _ => self.stacks_sparse.entry(id).or_insert(0),
        };
        if *slot == 0 {
            let Ok(h) = u32::try_from(self.st.stacks.len() + 1) else {
                return 0;
            };
            self.st.stacks.push(s.to_owned_frames().into());
            *slot = h;
        }
        *slot
    }

    /// A new generation's stack and string IDs: forgets the old ones and
    /// keeps only the stacks goroutines still refer to (memory stays bounded
    /// however many generations the trace has).
    #[cold]
    fn new_generation(&mut self, gen: u64) {
        self.stacks.clear();
        self.stacks_sparse.clear();
        self.reason_cache = Default::default();
        self.gen = gen;
        let old = std::mem::take(&mut self.st.stacks);
        let mut remap = vec![0u32; old.len() + 1];
        let kept = &mut self.st.stacks;
        let mut keep = |h: &mut u32| {
            if *h != 0 {
                let i = *h as usize;
                if remap[i] == 0 {
                    kept.push(old[i - 1].clone());
                    // At most as many as the old handles, which were u32.
                    remap[i] = u32::try_from(kept.len()).unwrap_or(u32::MAX);
                }
                *h = remap[i];
            }
        };
        for g in self.gs.values_mut() {
            keep(&mut g.h.stack);
            if let Some((_, _, h)) = &mut g.h.last_unblock {
                keep(h);
            }
        }
    }

    /// The handle of a block reason of the current generation (0: "").
    fn reason(&mut self, r: &str) -> u32 {
        if r.is_empty() {
            return 0;
        }
        let (addr, len) = (r.as_ptr() as usize, r.len());
        let slot = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) % REASON_CACHE;
        let (a, l, h) = self.reason_cache[slot];
        if a == addr && l == len {
            return h;
        }
        let h = match self.reason_ids.get(r) {
            Some(&h) => h,
            None => {
                self.st.reasons.push(r.to_owned());
                // Distinct reason strings: far fewer than 2^32.
                let h = u32::try_from(self.st.reasons.len()).unwrap_or(u32::MAX);
                self.reason_ids.insert(r.to_owned(), h);
                h
            }
        };
        self.reason_cache[slot] = (addr, len, h);
        h
    }

    #[inline]
    fn g(&mut self, id: GoId, now: Time) -> &mut GoroutineInfo {
        self.gs
            .get_or_insert_with(id, || GoroutineInfo::new(id, now))
    }

    /// Consumes one event (in stream order).
    pub fn event(&mut self, ev: &Event) {
        let now = ev.time();
        if self.a.events == 0 {
            self.a.start = now;
        }
        self.a.events += 1;
        self.a.end = now;
        let cur = ev.goroutine();
        match ev.details() {
            Details::StateTransition(st) => {
                if let Transition::Goroutine { id, from, to } = st.transition {
                    // (Stack and string IDs are the event's generation's.)
                    if ev.generation() != self.gen {
                        self.new_generation(ev.generation());
                    }
                    let stack = self.share(st.stack);
                    // The event's own stack matters for creations (the `go`
                    // statement) and unblocks (the unblocker) only.
                    let needed = from == GoState::NotExist
                        || (from == GoState::Waiting && to == GoState::Runnable);
                    let ev_stack = if needed { self.share(ev.stack()) } else { 0 };
                    let reason = self.reason(st.reason);
                    self.transition(ev, id, from, to, reason, stack, ev_stack);
                }
            }
            Details::TaskBegin(t) => {
                self.a.tasks.insert(
                    t.id,
                    TaskInfo {
                        id: t.id,
                        name: t.typ.to_owned(),
                        parent: t.parent,
                        start: Some(now),
                        end: None,
                        created_by: cur,
                    },
                );
            }
            Details::TaskEnd(t) => {
                let e = self.a.tasks.entry(t.id).or_insert_with(|| TaskInfo {
                    id: t.id,
                    name: t.typ.to_owned(),
                    parent: t.parent,
                    start: None,
                    end: None,
                    created_by: NO_GOROUTINE,
                });
                e.end = Some(now);
            }
            Details::RegionBegin(r) => self.g(cur, now).regions.push(RegionSpan {
                task: r.task,
                name: r.typ.to_owned(),
                start: Some(now),
                end: None,
            }),
            Details::RegionEnd(r) => {
                let g = self.g(cur, now);
                let open = g
                    .regions
                    .iter_mut()
                    .rev()
                    .find(|s| s.end.is_none() && s.task == r.task && s.name == r.typ);
                match open {
                    Some(s) => s.end = Some(now),
                    None => g.regions.push(RegionSpan {
                        task: r.task,
                        name: r.typ.to_owned(),
                        start: None,
                        end: Some(now),
                    }),
                }
            }
            Details::Log(l) => self.g(cur, now).logs.push(LogEntry {
                time: now,
                task: l.task,
                category: l.category.to_owned(),
                message: l.message.to_owned(),
            }),
            Details::Label(l) => {
                if let ResourceId::Goroutine(id) = l.resource {
                    self.g(id, now).label = Some(l.label.to_owned());
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn transition(
        &mut self,
        ev: &Event,
        id: GoId,
        from: GoState,
        to: GoState,
        reason: u32,
        stack: u32,
        ev_stack: u32,
    ) {
        let now = ev.time();
        let by = ev.goroutine();
        let start = self.a.start;
        let max = self.opts.max_intervals;
        let st = &self.st;
        let g = self
            .gs
            .get_or_insert_with(id, || GoroutineInfo::new(id, now));
        if from == GoState::Waiting && to != GoState::Waiting {
            let unblocker = (to == GoState::Runnable).then_some(by);
            let ustack = if unblocker.is_some() { ev_stack } else { 0 };
            g.close_block(now, unblocker, ustack, max, st);
        }
        if to == GoState::Running && from != GoState::Running && g.first_running.is_none() {
            g.first_running = Some(now);
        }
        match from {
            // A status event at the start of a generation: the goroutine
            // already existed. Later generations repeat the same state.
            // It is in this state since (at least) the start of the trace:
            // the runtime reports a goroutine's status the first time it
            // touches it in the first generation, or at its end.
            GoState::Undetermined => {
                g.existed_at_start = true;
                g.since = start;
            }
            GoState::NotExist => {
                g.created_at = Some(now);
                g.created_by = by;
                g.start_stack = st.stack(stack);
                g.creation_stack = st.stack(ev_stack);
                g.since = now;
            }
            _ if from == to => {
                if stack != 0 {
                    g.h.stack = stack;
                }
                return;
            }
            _ => g.account(now),
        }
        g.state = to;
        if from != GoState::Undetermined {
            g.since = now;
        }
        if to == GoState::Waiting && from != GoState::Waiting {
            g.block_count += 1;
        }
        match to {
            GoState::NotExist => g.ended_at = Some(now),
            GoState::Waiting | GoState::Runnable if from == GoState::Running => {
                g.h.reason = reason;
                g.h.stack = stack;
            }
            GoState::Syscall if from == GoState::Running => g.h.stack = stack,
            GoState::Runnable if from == GoState::Waiting => {
                *g.unblocked_by.entry(by).or_default() += 1;
                g.h.last_unblock = Some((now, by, ev_stack));
            }
            _ if from == GoState::Undetermined && stack != 0 => g.h.stack = stack,
            _ => {}
        }
    }

    /// Finishes: accounts time up to the last event.
    #[must_use]
    pub fn finish(mut self) -> Analysis {
        let end = self.a.end;
        self.a.goroutines.extend(self.gs.drain());
        let st = &self.st;
        for g in self.a.goroutines.values_mut() {
            g.account(end);
            let h = std::mem::take(&mut g.h);
            g.stack = st.stack(h.stack);
            g.reason = st.reason(h.reason).to_owned();
            g.blocked = h
                .blocked
                .iter()
                .map(|&(r, t)| (st.reason(r).to_owned(), t))
                .collect();
            g.last_unblock = h.last_unblock.map(|(time, by, s)| Unblock {
                time,
                by,
                stack: st.stack(s),
            });
            if g.state == GoState::Waiting {
                g.current_block = Some(BlockInterval {
                    start: g.since,
                    end: None,
                    reason: g.reason.clone(),
                    stack: g.stack.clone(),
                    unblocked_by: None,
                    unblock_stack: None,
                });
            }
        }
        self.a
    }
}

/// A blocking reason of the trace on a channel, a sync primitive (Mutex,
/// WaitGroup, Cond…) or a select: a wait another goroutine ends, as
/// `go tool trace -pprof=sync` counts them.
#[must_use]
pub fn is_sync_block(reason: &str) -> bool {
    reason.contains("chan") || reason.contains("sync") || reason.contains("select")
}

/// Reads the whole trace and analyzes it.
pub fn analyze<R: BufRead>(reader: Reader<R>) -> Result<Analysis> {
    analyze_with(reader, AnalyzerOptions::default())
}

/// [`analyze`] with options.
pub fn analyze_with<R: BufRead>(reader: Reader<R>, opts: AnalyzerOptions) -> Result<Analysis> {
    let mut reader = reader;
    let mut an = Analyzer::with_options(opts);
    while let Some(ev) = reader.read_event_ref()? {
        an.event(ev);
    }
    Ok(an.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stack store holds the current generation's stacks and those of
    /// earlier generations that goroutines referred to at the last
    /// generation change (at most two per goroutine): a trace of many
    /// generations does not accumulate the old ones.
    #[test]
    fn the_stack_store_keeps_only_stacks_in_use() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captured/go1.27.3/traces/gens.trace"
        );
        let bytes = std::fs::read(path).unwrap();
        let mut r = Reader::new(&bytes[..]).unwrap();
        let mut an = Analyzer::new();
        let (mut gens_seen, mut last_gen) = (0, 0);
        let mut stored_at_change = Vec::new();
        while let Some(ev) = r.read_event_ref().unwrap() {
            an.event(ev);
            let current = an
                .stacks
                .iter()
                .chain(an.stacks_sparse.values())
                .filter(|&&h| h != 0)
                .count();
            let goroutines = an.gs.values_mut().count();
            assert!(
                an.st.stacks.len() <= current + 2 * goroutines,
                "{} stacks stored, {current} of this generation, {goroutines} goroutines",
                an.st.stacks.len(),
            );
            if an.gen != last_gen {
                last_gen = an.gen;
                gens_seen += 1;
                stored_at_change.push(an.st.stacks.len());
            }
        }
        // Right after a change only the kept stacks (and at most the
        // changing event's own two) are stored.
        for (i, &n) in stored_at_change.iter().enumerate().skip(1) {
            assert!(
                n <= 2 * an.gs.values_mut().count() + 2,
                "generation {i}: {n} stacks"
            );
        }
        assert!(gens_seen >= 3, "the trace has {gens_seen} generations");
        let a = an.finish();
        assert!(a.goroutines.values().any(|g| g.stack.is_some()));
    }
}

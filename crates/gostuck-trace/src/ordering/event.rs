//! Ordered, interpreted events: what [`crate::Reader`] produces.
//!
//! The model follows Go's `internal/trace` reader: every event has a time, a
//! scheduling context (the goroutine, proc and thread it happened on, as they
//! were *before* the event) and kind-specific details.

use std::sync::Arc;

use crate::table::{ExperimentalBatch, Stack, Table};

/// A timestamp in nanoseconds (the trace clock, usually `CLOCK_MONOTONIC`).
pub type Time = i64;
/// A goroutine ID; [`NO_GOROUTINE`] is none.
pub type GoId = i64;
/// A proc (P) ID; [`NO_PROC`] is none.
pub type ProcId = i64;
/// A thread (M) ID; [`NO_THREAD`] is none.
pub type ThreadId = i64;
/// A `runtime/trace` task ID.
pub type TaskId = u64;

/// No goroutine.
pub const NO_GOROUTINE: GoId = -1;
/// No proc.
pub const NO_PROC: ProcId = -1;
/// No thread.
pub const NO_THREAD: ThreadId = -1;
/// No task (e.g. the parent of a top-level task).
pub const NO_TASK: TaskId = u64::MAX;
/// The background task that regions and logs without a task belong to.
pub const BACKGROUND_TASK: TaskId = 0;

/// Internal type byte of a synthesized sync event.
pub(crate) const EV_SYNC: u8 = 255;

/// The scheduling context of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SchedCtx {
    /// Goroutine running on the thread, or [`NO_GOROUTINE`].
    pub g: GoId,
    /// Proc held by the thread, or [`NO_PROC`].
    pub p: ProcId,
    /// The thread, or [`NO_THREAD`].
    pub m: ThreadId,
}

impl SchedCtx {
    pub(crate) const NONE: SchedCtx = SchedCtx {
        g: NO_GOROUTINE,
        p: NO_PROC,
        m: NO_THREAD,
    };
}

/// The kind of an event, which determines its details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// Not a valid event (not produced by the reader).
    Bad,
    /// A synchronization point: the start or end of a generation.
    Sync,
    /// A metric sample (GOMAXPROCS, heap size, heap goal).
    Metric,
    /// A label applied to a goroutine.
    Label,
    /// A CPU profile sample.
    StackSample,
    /// A range (STW, GC mark, sweep, mark assist) begins.
    RangeBegin,
    /// A range was already active at the start of a generation.
    RangeActive,
    /// A range ends.
    RangeEnd,
    /// A user task begins.
    TaskBegin,
    /// A user task ends.
    TaskEnd,
    /// A user region begins.
    RegionBegin,
    /// A user region ends.
    RegionEnd,
    /// A user log message.
    Log,
    /// A goroutine or proc changes state.
    StateTransition,
    /// An event of an experiment, in raw form.
    Experimental,
}

impl EventKind {
    /// The name Go uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Bad => "Bad",
            EventKind::Sync => "Sync",
            EventKind::Metric => "Metric",
            EventKind::Label => "Label",
            EventKind::StackSample => "StackSample",
            EventKind::RangeBegin => "RangeBegin",
            EventKind::RangeActive => "RangeActive",
            EventKind::RangeEnd => "RangeEnd",
            EventKind::TaskBegin => "TaskBegin",
            EventKind::TaskEnd => "TaskEnd",
            EventKind::RegionBegin => "RegionBegin",
            EventKind::RegionEnd => "RegionEnd",
            EventKind::Log => "Log",
            EventKind::StateTransition => "StateTransition",
            EventKind::Experimental => "Experimental",
        }
    }
}

/// The state of a goroutine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GoState {
    /// Nothing is known (the goroutine existed before the trace started).
    Undetermined = 0,
    /// The goroutine does not exist.
    NotExist = 1,
    /// Runnable, waiting for a P.
    Runnable = 2,
    /// Running.
    Running = 3,
    /// Blocked (channel, mutex, sleep, I/O...).
    Waiting = 4,
    /// In a system call.
    Syscall = 5,
}

impl GoState {
    pub(crate) fn from_u64(v: u64) -> GoState {
        match v {
            1 => GoState::NotExist,
            2 => GoState::Runnable,
            3 => GoState::Running,
            4 => GoState::Waiting,
            5 => GoState::Syscall,
            _ => GoState::Undetermined,
        }
    }

    /// The name Go uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            GoState::Undetermined => "Undetermined",
            GoState::NotExist => "NotExist",
            GoState::Runnable => "Runnable",
            GoState::Running => "Running",
            GoState::Waiting => "Waiting",
            GoState::Syscall => "Syscall",
        }
    }

    /// Running or in a syscall.
    #[must_use]
    pub fn executing(self) -> bool {
        matches!(self, GoState::Running | GoState::Syscall)
    }
}

/// The state of a proc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcState {
    /// Nothing is known.
    Undetermined = 0,
    /// The proc does not exist.
    NotExist = 1,
    /// Running (bound to a thread).
    Running = 2,
    /// Idle.
    Idle = 3,
}

impl ProcState {
    pub(crate) fn from_u64(v: u64) -> ProcState {
        match v {
            1 => ProcState::NotExist,
            2 => ProcState::Running,
            3 => ProcState::Idle,
            _ => ProcState::Undetermined,
        }
    }

    /// The name Go uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ProcState::Undetermined => "Undetermined",
            ProcState::NotExist => "NotExist",
            ProcState::Running => "Running",
            ProcState::Idle => "Idle",
        }
    }
}

/// A resource an event refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceId {
    /// No resource (global).
    None,
    /// A goroutine.
    Goroutine(GoId),
    /// A proc.
    Proc(ProcId),
    /// A thread.
    Thread(ThreadId),
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResourceId::None => f.write_str("None"),
            ResourceId::Goroutine(id) => write!(f, "Goroutine({id})"),
            ResourceId::Proc(id) => write!(f, "Proc({id})"),
            ResourceId::Thread(id) => write!(f, "Thread({id})"),
        }
    }
}

/// Which resource changed state, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A goroutine.
    Goroutine {
        /// The goroutine.
        id: GoId,
        /// State before.
        from: GoState,
        /// State after.
        to: GoState,
    },
    /// A proc.
    Proc {
        /// The proc.
        id: ProcId,
        /// State before.
        from: ProcState,
        /// State after.
        to: ProcState,
    },
}

/// Details of a [`EventKind::StateTransition`] event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateTransition<'a> {
    /// The resource and its states.
    pub transition: Transition,
    /// Why (for `GoStop` and `GoBlock`: e.g. `chan receive`, `sync.Mutex.Lock`).
    pub reason: &'a str,
    /// The stack of the goroutine that changed state, where the trace has
    /// one: where it blocked or stopped, where a new goroutine will start
    /// (for creation), its stack at the start of a generation (`GoStatusStack`).
    pub stack: Option<Stack<'a>>,
}

/// Details of a range event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// E.g. `GC concurrent mark phase`, `stop-the-world (GC sweep termination)`.
    pub name: String,
    /// What the range is bound to.
    pub scope: ResourceId,
}

/// Details of a task event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task<'a> {
    /// The task.
    pub id: TaskId,
    /// Its parent, or [`NO_TASK`].
    pub parent: TaskId,
    /// The name given to `trace.NewTask` ("" if its begin is not in the trace).
    pub typ: &'a str,
}

/// Details of a region event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region<'a> {
    /// The task the region belongs to ([`BACKGROUND_TASK`] if none).
    pub task: TaskId,
    /// The name given to `trace.StartRegion`/`WithRegion`.
    pub typ: &'a str,
}

/// Details of a log event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Log<'a> {
    /// The task the message belongs to.
    pub task: TaskId,
    /// The category (key) passed to `trace.Log`.
    pub category: &'a str,
    /// The message.
    pub message: &'a str,
}

/// Details of a label event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label<'a> {
    /// The label (e.g. `GC (dedicated)`).
    pub label: &'a str,
    /// The goroutine it applies to.
    pub resource: ResourceId,
}

/// Details of a metric event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// A `runtime/metrics` name, e.g. `/sched/gomaxprocs:threads`.
    pub name: &'static str,
    /// The value.
    pub value: u64,
}

/// A near-simultaneous reading of the trace, monotonic and wall clocks
/// (Go 1.25+ traces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSnapshot {
    /// The trace clock, in nanoseconds.
    pub trace: Time,
    /// The monotonic clock, in nanoseconds.
    pub mono: u64,
    /// Wall clock: seconds since the Unix epoch.
    pub wall_sec: i64,
    /// Wall clock: nanoseconds.
    pub wall_nsec: i64,
}

/// Details of a sync event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncInfo<'a> {
    /// This is the `n`th sync event of the trace (from 1).
    pub n: u64,
    /// The clock snapshot of the generation that starts here, if any.
    pub clock: Option<ClockSnapshot>,
    /// The experimental batches of the generation that starts here.
    pub experimental: &'a [ExperimentalBatch],
}

/// Details of an experimental event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Experimental<'a> {
    /// Event name, e.g. `HeapObjectAlloc`.
    pub name: &'static str,
    /// Experiment name, e.g. `AllocFree`.
    pub experiment: &'static str,
    /// Argument names (without `dt`).
    pub arg_names: &'static [&'static str],
    /// Argument values.
    pub args: &'a [u64],
}

/// The kind-specific details of an event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Details<'a> {
    /// See [`EventKind::Sync`].
    Sync(SyncInfo<'a>),
    /// See [`EventKind::Metric`].
    Metric(Metric),
    /// See [`EventKind::Label`].
    Label(Label<'a>),
    /// See [`EventKind::StackSample`]; the stack is [`Event::stack`].
    StackSample,
    /// See [`EventKind::RangeBegin`].
    RangeBegin(Range),
    /// See [`EventKind::RangeActive`].
    RangeActive(Range),
    /// See [`EventKind::RangeEnd`]; attributes are name/value pairs.
    RangeEnd(Range, Vec<(&'static str, u64)>),
    /// See [`EventKind::TaskBegin`].
    TaskBegin(Task<'a>),
    /// See [`EventKind::TaskEnd`].
    TaskEnd(Task<'a>),
    /// See [`EventKind::RegionBegin`].
    RegionBegin(Region<'a>),
    /// See [`EventKind::RegionEnd`].
    RegionEnd(Region<'a>),
    /// See [`EventKind::Log`].
    Log(Log<'a>),
    /// See [`EventKind::StateTransition`].
    StateTransition(StateTransition<'a>),
    /// See [`EventKind::Experimental`].
    Experimental(Experimental<'a>),
}

/// The raw part of an event: its type, time and arguments (without `dt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BaseEvent {
    pub(crate) typ: u8,
    pub(crate) time: Time,
    pub(crate) args: [u64; 4],
}

/// One event of the ordered stream.
#[derive(Clone)]
pub struct Event {
    pub(crate) table: Option<Arc<Table>>,
    pub(crate) ctx: SchedCtx,
    pub(crate) base: BaseEvent,
    /// `TaskEnd`: the task's name, carried over from its begin.
    pub(crate) task_type: Option<Arc<str>>,
    /// File offset of the wire event (0 for synthesized events).
    pub(crate) offset: u64,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

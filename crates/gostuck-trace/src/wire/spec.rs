//! The wire-format event table: event type numbers, argument names and flags.
//!
//! The numbers, names and argument lists are facts of the Go trace format
//! (Go's `internal/trace/tracev2`); argument names follow Go's convention so
//! that [`crate::wire`] can print events exactly like `go tool trace -d=wire`.

use crate::version::Version;

macro_rules! event_types {
    ($($(#[$doc:meta])* $name:ident = $num:literal,)*) => {
        /// A wire-format event type (the first byte of every event).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[repr(u8)]
        pub enum EventType {
            $($(#[$doc])* $name = $num,)*
        }

        impl EventType {
            /// The event type for a wire byte, if it names one.
            #[inline]
            pub fn from_u8(b: u8) -> Option<EventType> {
                BY_BYTE[b as usize]
            }

            /// [`EventType::from_u8`] in constant expressions.
            pub(crate) const fn from_u8_const(b: u8) -> Option<EventType> {
                match b {
                    $($num => Some(EventType::$name),)*
                    _ => None,
                }
            }
        }

        /// [`EventType::from_u8`] as a table (it runs for every event).
        #[allow(
            clippy::cast_possible_truncation,
            reason = "a const loop over i < 256, every value of a byte"
        )]
        static BY_BYTE: [Option<EventType>; 256] = {
            let mut t = [None; 256];
            let mut i = 0;
            while i < 256 {
                t[i] = EventType::from_u8_const(i as u8);
                i += 1;
            }
            t
        };
    };
}

event_types! {
    /// Start of a per-M batch of events `[gen, m, time, size]`.
    EventBatch = 1,
    /// Start of a stack-table batch.
    Stacks = 2,
    /// A stack-table entry `[id, nframes, {pc, func, file, line}...]`.
    Stack = 3,
    /// Start of a string-table batch.
    Strings = 4,
    /// A string-table entry `[id]` followed by length-prefixed bytes.
    String = 5,
    /// Start of a CPU-samples batch.
    CpuSamples = 6,
    /// A CPU profile sample `[time, m, p, g, stack]`.
    CpuSample = 7,
    /// Timestamp units per second `[freq]`.
    Frequency = 8,
    /// GOMAXPROCS changed `[dt, procs, stack]`.
    ProcsChange = 9,
    /// A P starts running `[dt, p, p_seq]`.
    ProcStart = 10,
    /// The current P stops `[dt]`.
    ProcStop = 11,
    /// A P in a syscall was stolen `[dt, p, p_seq, m]`.
    ProcSteal = 12,
    /// P status at the start of a generation `[dt, p, status]`.
    ProcStatus = 13,
    /// Goroutine creation `[dt, new_g, new_stack, stack]`.
    GoCreate = 14,
    /// A goroutine appears in a syscall (cgo callback) `[dt, new_g]`.
    GoCreateSyscall = 15,
    /// A goroutine starts running `[dt, g, g_seq]`.
    GoStart = 16,
    /// The running goroutine exits `[dt]`.
    GoDestroy = 17,
    /// A goroutine in a syscall disappears (cgo callback ends) `[dt]`.
    GoDestroySyscall = 18,
    /// The running goroutine yields but stays runnable `[dt, reason, stack]`.
    GoStop = 19,
    /// The running goroutine blocks `[dt, reason, stack]`.
    GoBlock = 20,
    /// A goroutine is unblocked `[dt, g, g_seq, stack]`.
    GoUnblock = 21,
    /// The running goroutine enters a syscall `[dt, p_seq, stack]`.
    GoSyscallBegin = 22,
    /// Syscall exit `[dt]`.
    GoSyscallEnd = 23,
    /// Syscall exit after the P was lost `[dt]`.
    GoSyscallEndBlocked = 24,
    /// Goroutine status at the start of a generation `[dt, g, m, status]`.
    GoStatus = 25,
    /// Stop-the-world begins `[dt, kind, stack]`.
    StwBegin = 26,
    /// Stop-the-world ends `[dt]`.
    StwEnd = 27,
    /// GC mark phase already active at generation start `[dt, seq]`.
    GcActive = 28,
    /// GC mark phase begins `[dt, seq, stack]`.
    GcBegin = 29,
    /// GC mark phase ends `[dt, seq]`.
    GcEnd = 30,
    /// Sweep already active on a P `[dt, p]`.
    GcSweepActive = 31,
    /// Sweep begins `[dt, stack]`.
    GcSweepBegin = 32,
    /// Sweep ends `[dt, swept, reclaimed]`.
    GcSweepEnd = 33,
    /// Mark assist already active `[dt, g]`.
    GcMarkAssistActive = 34,
    /// Mark assist begins `[dt, stack]`.
    GcMarkAssistBegin = 35,
    /// Mark assist ends `[dt]`.
    GcMarkAssistEnd = 36,
    /// Live heap changed `[dt, bytes]`.
    HeapAlloc = 37,
    /// Heap goal changed `[dt, bytes]`.
    HeapGoal = 38,
    /// Label applied to the running goroutine `[dt, label]`.
    GoLabel = 39,
    /// `trace.NewTask` `[dt, task, parent, name, stack]`.
    UserTaskBegin = 40,
    /// `Task.End` `[dt, task, stack]`.
    UserTaskEnd = 41,
    /// `trace.StartRegion`/`WithRegion` `[dt, task, name, stack]`.
    UserRegionBegin = 42,
    /// Region end `[dt, task, name, stack]`.
    UserRegionEnd = 43,
    /// `trace.Log` `[dt, task, key, value, stack]`.
    UserLog = 44,
    /// Coroutine switch (Go 1.23+) `[dt, g, g_seq]`.
    GoSwitch = 45,
    /// Coroutine switch and exit (Go 1.23+) `[dt, g, g_seq]`.
    GoSwitchDestroy = 46,
    /// Goroutine created blocked (Go 1.23+) `[dt, new_g, new_stack, stack]`.
    GoCreateBlocked = 47,
    /// `GoStatus` with a stack (Go 1.23+) `[dt, g, m, status, stack]`.
    GoStatusStack = 48,
    /// Experimental batch (Go 1.23+) `[exp, gen, m, time]` + data.
    ExperimentalBatch = 49,
    /// Start of a sync batch (Go 1.25+).
    Sync = 50,
    /// Trace, monotonic and wall clock snapshot (Go 1.25+) `[dt, mono, sec, nsec]`.
    ClockSnapshot = 51,
    /// In-band end of a generation (Go 1.26+).
    EndOfGeneration = 52,
    /// Experimental: heap span exists `[dt, id, npages, kindclass]`.
    Span = 128,
    /// Experimental: heap span allocated.
    SpanAlloc = 129,
    /// Experimental: heap span freed `[dt, id]`.
    SpanFree = 130,
    /// Experimental: heap object exists `[dt, id, type]`.
    HeapObject = 131,
    /// Experimental: heap object allocated.
    HeapObjectAlloc = 132,
    /// Experimental: heap object freed `[dt, id]`.
    HeapObjectFree = 133,
    /// Experimental: goroutine stack exists `[dt, id, order]`.
    GoroutineStack = 134,
    /// Experimental: goroutine stack allocated.
    GoroutineStackAlloc = 135,
    /// Experimental: goroutine stack freed `[dt, id]`.
    GoroutineStackFree = 136,
}

/// Experiment number of the alloc/free experiment (`GODEBUG=traceallocfree=1`).
pub const EXPERIMENT_ALLOC_FREE: u8 = 1;

/// Maximum size of a batch's payload in bytes.
pub const MAX_BATCH_SIZE: u64 = 64 << 10;
/// Maximum number of frames in one stack-table entry.
pub const MAX_FRAMES_PER_STACK: u64 = 128;
/// Maximum length of one string-table entry in bytes.
pub const MAX_STRING_SIZE: u64 = 1 << 10;

/// The description of an event type.
#[derive(Debug, Clone, Copy)]
pub struct EventSpec {
    /// Name as Go spells it (`GoCreate`).
    pub name: &'static str,
    /// Argument names (timed events start with `dt`).
    pub args: &'static [&'static str],
    /// Indices into `args` that are string IDs.
    pub string_ids: &'static [usize],
    /// Indices into `args` that are stack IDs; the first is the event's own stack.
    pub stack_ids: &'static [usize],
    /// For the end of a range, the event type that begins it.
    pub start_ev: Option<EventType>,
    /// Whether the event appears, timestamped, in ordinary event batches.
    pub timed: bool,
    /// Whether a length-prefixed byte payload follows the arguments.
    pub has_data: bool,
    /// Whether `nframes` groups of 4 frame varints follow the arguments.
    pub is_stack: bool,
    /// The experiment the event belongs to (0: none).
    pub experiment: u8,
}

const fn structural(name: &'static str, args: &'static [&'static str]) -> EventSpec {
    EventSpec {
        name,
        args,
        string_ids: &[],
        stack_ids: &[],
        start_ev: None,
        timed: false,
        has_data: false,
        is_stack: false,
        experiment: 0,
    }
}

const fn timed(
    name: &'static str,
    args: &'static [&'static str],
    string_ids: &'static [usize],
    stack_ids: &'static [usize],
    start_ev: Option<EventType>,
) -> EventSpec {
    EventSpec {
        name,
        args,
        string_ids,
        stack_ids,
        start_ev,
        timed: true,
        has_data: false,
        is_stack: false,
        experiment: 0,
    }
}

const fn experimental(name: &'static str, args: &'static [&'static str]) -> EventSpec {
    let mut s = timed(name, args, &[], &[], None);
    s.experiment = EXPERIMENT_ALLOC_FREE;
    s
}

impl EventType {
    /// The specification of this event type.
    #[must_use]
    #[allow(
        clippy::too_many_lines,
        reason = "a table: one specification per event type of the wire format"
    )]
    pub fn spec(self) -> &'static EventSpec {
        use EventType as E;
        static STACK: EventSpec = EventSpec {
            is_stack: true,
            ..structural("Stack", &["id", "nframes"])
        };
        static STRING: EventSpec = EventSpec {
            has_data: true,
            ..structural("String", &["id"])
        };
        static CPU_SAMPLE: EventSpec = EventSpec {
            stack_ids: &[4],
            ..structural("CPUSample", &["time", "m", "p", "g", "stack"])
        };
        static EXP_BATCH: EventSpec = EventSpec {
            has_data: true,
            ..structural("ExperimentalBatch", &["exp", "gen", "m", "time"])
        };
        static SPECS: [EventSpec; 9] = [
            structural("EventBatch", &["gen", "m", "time", "size"]),
            structural("Stacks", &[]),
            structural("Strings", &[]),
            structural("CPUSamples", &[]),
            structural("Frequency", &["freq"]),
            structural("Sync", &[]),
            structural("EndOfGeneration", &[]),
            timed(
                "ProcsChange",
                &["dt", "procs_value", "stack"],
                &[],
                &[2],
                None,
            ),
            timed("ProcStart", &["dt", "p", "p_seq"], &[], &[], None),
        ];
        const GO_STOP_ARGS: &[&str] = &["dt", "reason_string", "stack"];
        const CREATE_ARGS: &[&str] = &["dt", "new_g", "new_stack", "stack"];
        const SWITCH_ARGS: &[&str] = &["dt", "g", "g_seq"];
        const REGION_ARGS: &[&str] = &["dt", "task", "name_string", "stack"];
        macro_rules! t {
            ($($e:expr),*) => {{
                static S: EventSpec = timed($($e),*);
                &S
            }};
        }
        macro_rules! x {
            ($($e:expr),*) => {{
                static S: EventSpec = experimental($($e),*);
                &S
            }};
        }
        match self {
            E::EventBatch => &SPECS[0],
            E::Stacks => &SPECS[1],
            E::Stack => &STACK,
            E::Strings => &SPECS[2],
            E::String => &STRING,
            E::CpuSamples => &SPECS[3],
            E::CpuSample => &CPU_SAMPLE,
            E::Frequency => &SPECS[4],
            E::ProcsChange => &SPECS[7],
            E::ProcStart => &SPECS[8],
            E::ProcStop => t!("ProcStop", &["dt"], &[], &[], None),
            E::ProcSteal => t!("ProcSteal", &["dt", "p", "p_seq", "m"], &[], &[], None),
            E::ProcStatus => t!("ProcStatus", &["dt", "p", "pstatus"], &[], &[], None),
            E::GoCreate => t!("GoCreate", CREATE_ARGS, &[], &[3, 2], None),
            E::GoCreateSyscall => t!("GoCreateSyscall", &["dt", "new_g"], &[], &[], None),
            E::GoStart => t!("GoStart", &["dt", "g", "g_seq"], &[], &[], None),
            E::GoDestroy => t!("GoDestroy", &["dt"], &[], &[], None),
            E::GoDestroySyscall => t!("GoDestroySyscall", &["dt"], &[], &[], None),
            E::GoStop => t!("GoStop", GO_STOP_ARGS, &[1], &[2], None),
            E::GoBlock => t!("GoBlock", GO_STOP_ARGS, &[1], &[2], None),
            E::GoUnblock => t!("GoUnblock", &["dt", "g", "g_seq", "stack"], &[], &[3], None),
            E::GoSyscallBegin => t!("GoSyscallBegin", &["dt", "p_seq", "stack"], &[], &[2], None),
            E::GoSyscallEnd => t!("GoSyscallEnd", &["dt"], &[], &[], Some(E::GoSyscallBegin)),
            E::GoSyscallEndBlocked => t!(
                "GoSyscallEndBlocked",
                &["dt"],
                &[],
                &[],
                Some(E::GoSyscallBegin)
            ),
            E::GoStatus => t!("GoStatus", &["dt", "g", "m", "gstatus"], &[], &[], None),
            E::StwBegin => t!(
                "STWBegin",
                &["dt", "kind_string", "stack"],
                &[1],
                &[2],
                None
            ),
            E::StwEnd => t!("STWEnd", &["dt"], &[], &[], Some(E::StwBegin)),
            E::GcActive => t!("GCActive", &["dt", "gc_seq"], &[], &[], Some(E::GcBegin)),
            E::GcBegin => t!("GCBegin", &["dt", "gc_seq", "stack"], &[], &[2], None),
            E::GcEnd => t!("GCEnd", &["dt", "gc_seq"], &[], &[], Some(E::GcBegin)),
            E::GcSweepActive => t!(
                "GCSweepActive",
                &["dt", "p"],
                &[],
                &[],
                Some(E::GcSweepBegin)
            ),
            E::GcSweepBegin => t!("GCSweepBegin", &["dt", "stack"], &[], &[1], None),
            E::GcSweepEnd => t!(
                "GCSweepEnd",
                &["dt", "swept_value", "reclaimed_value"],
                &[],
                &[],
                Some(E::GcSweepBegin)
            ),
            E::GcMarkAssistActive => t!(
                "GCMarkAssistActive",
                &["dt", "g"],
                &[],
                &[],
                Some(E::GcMarkAssistBegin)
            ),
            E::GcMarkAssistBegin => t!("GCMarkAssistBegin", &["dt", "stack"], &[], &[1], None),
            E::GcMarkAssistEnd => t!(
                "GCMarkAssistEnd",
                &["dt"],
                &[],
                &[],
                Some(E::GcMarkAssistBegin)
            ),
            E::HeapAlloc => t!("HeapAlloc", &["dt", "heapalloc_value"], &[], &[], None),
            E::HeapGoal => t!("HeapGoal", &["dt", "heapgoal_value"], &[], &[], None),
            E::GoLabel => t!("GoLabel", &["dt", "label_string"], &[1], &[], None),
            E::UserTaskBegin => t!(
                "UserTaskBegin",
                &["dt", "task", "parent_task", "name_string", "stack"],
                &[3],
                &[4],
                None
            ),
            E::UserTaskEnd => t!("UserTaskEnd", &["dt", "task", "stack"], &[], &[2], None),
            E::UserRegionBegin => t!("UserRegionBegin", REGION_ARGS, &[2], &[3], None),
            E::UserRegionEnd => t!(
                "UserRegionEnd",
                REGION_ARGS,
                &[2],
                &[3],
                Some(E::UserRegionBegin)
            ),
            E::UserLog => t!(
                "UserLog",
                &["dt", "task", "key_string", "value_string", "stack"],
                &[2, 3],
                &[4],
                None
            ),
            E::GoSwitch => t!("GoSwitch", SWITCH_ARGS, &[], &[], None),
            E::GoSwitchDestroy => t!("GoSwitchDestroy", SWITCH_ARGS, &[], &[], None),
            E::GoCreateBlocked => t!("GoCreateBlocked", CREATE_ARGS, &[], &[3, 2], None),
            E::GoStatusStack => t!(
                "GoStatusStack",
                &["dt", "g", "m", "gstatus", "stack"],
                &[],
                &[4],
                None
            ),
            E::ExperimentalBatch => &EXP_BATCH,
            E::Sync => &SPECS[5],
            E::ClockSnapshot => t!(
                "ClockSnapshot",
                &["dt", "mono", "sec", "nsec"],
                &[],
                &[],
                None
            ),
            E::EndOfGeneration => &SPECS[6],
            E::Span => x!("Span", &["dt", "id", "npages_value", "kindclass"]),
            E::SpanAlloc => x!("SpanAlloc", &["dt", "id", "npages_value", "kindclass"]),
            E::SpanFree => x!("SpanFree", &["dt", "id"]),
            E::HeapObject => x!("HeapObject", &["dt", "id", "type"]),
            E::HeapObjectAlloc => x!("HeapObjectAlloc", &["dt", "id", "type"]),
            E::HeapObjectFree => x!("HeapObjectFree", &["dt", "id"]),
            E::GoroutineStack => x!("GoroutineStack", &["dt", "id", "order"]),
            E::GoroutineStackAlloc => x!("GoroutineStackAlloc", &["dt", "id", "order"]),
            E::GoroutineStackFree => x!("GoroutineStackFree", &["dt", "id"]),
        }
    }

    /// The event's name as Go spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Whether this is an experimental event (type 128 and up).
    #[must_use]
    pub const fn is_experimental(self) -> bool {
        self as u8 >= EventType::Span as u8
    }

    /// Whether a trace of `version` may contain this event type.
    ///
    /// Experimental events are accepted in every version (their batches are
    /// opt-in and self-describing).
    #[must_use]
    pub fn valid_in(self, version: Version) -> bool {
        let last = match version {
            Version::Go122 => EventType::UserLog,
            Version::Go123 => EventType::ExperimentalBatch,
            Version::Go125 => EventType::ClockSnapshot,
            Version::Go126 => EventType::EndOfGeneration,
        };
        self <= last || self.is_experimental()
    }
}

/// Go's names for experiments, by number.
#[must_use]
pub fn experiment_name(exp: u8) -> &'static str {
    match exp {
        0 => "None",
        EXPERIMENT_ALLOC_FREE => "AllocFree",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        let mut n = 0;
        for b in 0..=255u8 {
            if let Some(t) = EventType::from_u8(b) {
                assert_eq!(t as u8, b);
                let s = t.spec();
                assert!(!s.name.is_empty());
                if s.timed {
                    assert_eq!(s.args[0], "dt", "{}", s.name);
                    assert!(s.args.len() <= 5, "{}", s.name);
                }
                for &i in s.stack_ids.iter().chain(s.string_ids) {
                    assert!(i < s.args.len(), "{}", s.name);
                }
                n += 1;
            }
        }
        assert_eq!(n, 52 + 9);
        assert!(EventType::from_u8(0).is_none());
        assert!(EventType::from_u8(53).is_none());
    }

    #[test]
    fn versions_gate_event_types() {
        assert!(EventType::UserLog.valid_in(Version::Go122));
        assert!(!EventType::GoSwitch.valid_in(Version::Go122));
        assert!(EventType::GoStatusStack.valid_in(Version::Go123));
        assert!(!EventType::Sync.valid_in(Version::Go123));
        assert!(EventType::ClockSnapshot.valid_in(Version::Go125));
        assert!(!EventType::EndOfGeneration.valid_in(Version::Go125));
        assert!(EventType::EndOfGeneration.valid_in(Version::Go126));
        assert!(EventType::HeapObjectFree.valid_in(Version::Go123));
    }
}

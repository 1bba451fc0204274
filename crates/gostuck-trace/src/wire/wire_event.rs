//! [`WireEvent`]: every wire event type with its named arguments.

use crate::spec::EventType;
use crate::wire::RawEvent;

/// A frame of a `Stack` table entry, string IDs unresolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireFrame {
    /// Program counter.
    pub pc: u64,
    /// String ID of the function name.
    pub func: u64,
    /// String ID of the file name.
    pub file: u64,
    /// Line number.
    pub line: u64,
}

/// Every wire event type with its named arguments.
///
/// Timed events carry `dt`, the timestamp delta (in ticks) from the previous
/// event of the batch. `*_string` arguments are string-table IDs, `stack`
/// arguments stack-table IDs (0: none), `*_seq` sequence numbers.
#[allow(missing_docs)] // The fields are the spec's argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireEvent {
    EventBatch {
        gen: u64,
        m: u64,
        time: u64,
        size: u64,
    },
    Stacks,
    Stack {
        id: u64,
        frames: Vec<WireFrame>,
    },
    Strings,
    String {
        id: u64,
        data: Vec<u8>,
    },
    CpuSamples,
    CpuSample {
        time: u64,
        m: u64,
        p: u64,
        g: u64,
        stack: u64,
    },
    Frequency {
        freq: u64,
    },
    ProcsChange {
        dt: u64,
        procs: u64,
        stack: u64,
    },
    ProcStart {
        dt: u64,
        p: u64,
        p_seq: u64,
    },
    ProcStop {
        dt: u64,
    },
    ProcSteal {
        dt: u64,
        p: u64,
        p_seq: u64,
        m: u64,
    },
    ProcStatus {
        dt: u64,
        p: u64,
        status: u64,
    },
    GoCreate {
        dt: u64,
        new_g: u64,
        new_stack: u64,
        stack: u64,
    },
    GoCreateSyscall {
        dt: u64,
        new_g: u64,
    },
    GoStart {
        dt: u64,
        g: u64,
        g_seq: u64,
    },
    GoDestroy {
        dt: u64,
    },
    GoDestroySyscall {
        dt: u64,
    },
    GoStop {
        dt: u64,
        reason_string: u64,
        stack: u64,
    },
    GoBlock {
        dt: u64,
        reason_string: u64,
        stack: u64,
    },
    GoUnblock {
        dt: u64,
        g: u64,
        g_seq: u64,
        stack: u64,
    },
    GoSyscallBegin {
        dt: u64,
        p_seq: u64,
        stack: u64,
    },
    GoSyscallEnd {
        dt: u64,
    },
    GoSyscallEndBlocked {
        dt: u64,
    },
    GoStatus {
        dt: u64,
        g: u64,
        m: u64,
        status: u64,
    },
    StwBegin {
        dt: u64,
        kind_string: u64,
        stack: u64,
    },
    StwEnd {
        dt: u64,
    },
    GcActive {
        dt: u64,
        seq: u64,
    },
    GcBegin {
        dt: u64,
        seq: u64,
        stack: u64,
    },
    GcEnd {
        dt: u64,
        seq: u64,
    },
    GcSweepActive {
        dt: u64,
        p: u64,
    },
    GcSweepBegin {
        dt: u64,
        stack: u64,
    },
    GcSweepEnd {
        dt: u64,
        swept: u64,
        reclaimed: u64,
    },
    GcMarkAssistActive {
        dt: u64,
        g: u64,
    },
    GcMarkAssistBegin {
        dt: u64,
        stack: u64,
    },
    GcMarkAssistEnd {
        dt: u64,
    },
    HeapAlloc {
        dt: u64,
        bytes: u64,
    },
    HeapGoal {
        dt: u64,
        bytes: u64,
    },
    GoLabel {
        dt: u64,
        label_string: u64,
    },
    UserTaskBegin {
        dt: u64,
        task: u64,
        parent_task: u64,
        name_string: u64,
        stack: u64,
    },
    UserTaskEnd {
        dt: u64,
        task: u64,
        stack: u64,
    },
    UserRegionBegin {
        dt: u64,
        task: u64,
        name_string: u64,
        stack: u64,
    },
    UserRegionEnd {
        dt: u64,
        task: u64,
        name_string: u64,
        stack: u64,
    },
    UserLog {
        dt: u64,
        task: u64,
        key_string: u64,
        value_string: u64,
        stack: u64,
    },
    GoSwitch {
        dt: u64,
        g: u64,
        g_seq: u64,
    },
    GoSwitchDestroy {
        dt: u64,
        g: u64,
        g_seq: u64,
    },
    GoCreateBlocked {
        dt: u64,
        new_g: u64,
        new_stack: u64,
        stack: u64,
    },
    GoStatusStack {
        dt: u64,
        g: u64,
        m: u64,
        status: u64,
        stack: u64,
    },
    ExperimentalBatch {
        exp: u64,
        gen: u64,
        m: u64,
        time: u64,
        data: Vec<u8>,
    },
    Sync,
    ClockSnapshot {
        dt: u64,
        mono: u64,
        sec: u64,
        nsec: u64,
    },
    EndOfGeneration,
    /// An event of an experiment (AllocFree); `args` excludes `dt`.
    Experimental {
        typ: EventType,
        dt: u64,
        args: Vec<u64>,
    },
}

impl WireEvent {
    /// Builds the typed event from a type and its arguments (missing
    /// arguments read as 0).
    #[must_use]
    #[allow(
        clippy::too_many_lines,
        reason = "a table: one arm per event type of the wire format"
    )]
    pub fn from_parts(typ: EventType, args: &[u64], data: Option<&[u8]>) -> WireEvent {
        use EventType as E;
        use WireEvent as W;
        let a = |i: usize| args.get(i).copied().unwrap_or(0);
        let (dt, a1, a2, a3, a4) = (a(0), a(1), a(2), a(3), a(4));
        match typ {
            E::EventBatch => W::EventBatch {
                gen: a(0),
                m: a1,
                time: a2,
                size: a3,
            },
            E::Stacks => W::Stacks,
            E::Stack => W::Stack {
                id: a(0),
                frames: args
                    .get(2..)
                    .unwrap_or(&[])
                    .chunks_exact(4)
                    .map(|c| WireFrame {
                        pc: c[0],
                        func: c[1],
                        file: c[2],
                        line: c[3],
                    })
                    .collect(),
            },
            E::Strings => W::Strings,
            E::String => W::String {
                id: a(0),
                data: data.unwrap_or(&[]).to_vec(),
            },
            E::CpuSamples => W::CpuSamples,
            E::CpuSample => W::CpuSample {
                time: a(0),
                m: a1,
                p: a2,
                g: a3,
                stack: a4,
            },
            E::Frequency => W::Frequency { freq: a(0) },
            E::ProcsChange => W::ProcsChange {
                dt,
                procs: a1,
                stack: a2,
            },
            E::ProcStart => W::ProcStart {
                dt,
                p: a1,
                p_seq: a2,
            },
            E::ProcStop => W::ProcStop { dt },
            E::ProcSteal => W::ProcSteal {
                dt,
                p: a1,
                p_seq: a2,
                m: a3,
            },
            E::ProcStatus => W::ProcStatus {
                dt,
                p: a1,
                status: a2,
            },
            E::GoCreate => W::GoCreate {
                dt,
                new_g: a1,
                new_stack: a2,
                stack: a3,
            },
            E::GoCreateSyscall => W::GoCreateSyscall { dt, new_g: a1 },
            E::GoStart => W::GoStart {
                dt,
                g: a1,
                g_seq: a2,
            },
            E::GoDestroy => W::GoDestroy { dt },
            E::GoDestroySyscall => W::GoDestroySyscall { dt },
            E::GoStop => W::GoStop {
                dt,
                reason_string: a1,
                stack: a2,
            },
            E::GoBlock => W::GoBlock {
                dt,
                reason_string: a1,
                stack: a2,
            },
            E::GoUnblock => W::GoUnblock {
                dt,
                g: a1,
                g_seq: a2,
                stack: a3,
            },
            E::GoSyscallBegin => W::GoSyscallBegin {
                dt,
                p_seq: a1,
                stack: a2,
            },
            E::GoSyscallEnd => W::GoSyscallEnd { dt },
            E::GoSyscallEndBlocked => W::GoSyscallEndBlocked { dt },
            E::GoStatus => W::GoStatus {
                dt,
                g: a1,
                m: a2,
                status: a3,
            },
            E::StwBegin => W::StwBegin {
                dt,
                kind_string: a1,
                stack: a2,
            },
            E::StwEnd => W::StwEnd { dt },
            E::GcActive => W::GcActive { dt, seq: a1 },
            E::GcBegin => W::GcBegin {
                dt,
                seq: a1,
                stack: a2,
            },
            E::GcEnd => W::GcEnd { dt, seq: a1 },
            E::GcSweepActive => W::GcSweepActive { dt, p: a1 },
            E::GcSweepBegin => W::GcSweepBegin { dt, stack: a1 },
            E::GcSweepEnd => W::GcSweepEnd {
                dt,
                swept: a1,
                reclaimed: a2,
            },
            E::GcMarkAssistActive => W::GcMarkAssistActive { dt, g: a1 },
            E::GcMarkAssistBegin => W::GcMarkAssistBegin { dt, stack: a1 },
            E::GcMarkAssistEnd => W::GcMarkAssistEnd { dt },
            E::HeapAlloc => W::HeapAlloc { dt, bytes: a1 },
            E::HeapGoal => W::HeapGoal { dt, bytes: a1 },
            E::GoLabel => W::GoLabel {
                dt,
                label_string: a1,
            },
            E::UserTaskBegin => W::UserTaskBegin {
                dt,
                task: a1,
                parent_task: a2,
                name_string: a3,
                stack: a4,
            },
            E::UserTaskEnd => W::UserTaskEnd {
                dt,
                task: a1,
                stack: a2,
            },
            E::UserRegionBegin => W::UserRegionBegin {
                dt,
                task: a1,
                name_string: a2,
                stack: a3,
            },
            E::UserRegionEnd => W::UserRegionEnd {
                dt,
                task: a1,
                name_string: a2,
                stack: a3,
            },
            E::UserLog => W::UserLog {
                dt,
                task: a1,
                key_string: a2,
                value_string: a3,
                stack: a4,
            },
            E::GoSwitch => W::GoSwitch {
                dt,
                g: a1,
                g_seq: a2,
            },
            E::GoSwitchDestroy => W::GoSwitchDestroy {
                dt,
                g: a1,
                g_seq: a2,
            },
            E::GoCreateBlocked => W::GoCreateBlocked {
                dt,
                new_g: a1,
                new_stack: a2,
                stack: a3,
            },
            E::GoStatusStack => W::GoStatusStack {
                dt,
                g: a1,
                m: a2,
                status: a3,
                stack: a4,
            },
            E::ExperimentalBatch => W::ExperimentalBatch {
                exp: a(0),
                gen: a1,
                m: a2,
                time: a3,
                data: data.unwrap_or(&[]).to_vec(),
            },
            E::Sync => W::Sync,
            E::ClockSnapshot => W::ClockSnapshot {
                dt,
                mono: a1,
                sec: a2,
                nsec: a3,
            },
            E::EndOfGeneration => W::EndOfGeneration,
            t => W::Experimental {
                typ: t,
                dt,
                args: args.get(1..).unwrap_or(&[]).to_vec(),
            },
        }
    }
}

impl RawEvent {
    /// The typed view of this event.
    #[must_use]
    pub fn typed(&self) -> WireEvent {
        WireEvent::from_parts(self.typ, &self.args, self.data.as_deref())
    }
}

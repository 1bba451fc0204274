//! Accessors of [`Event`].

use crate::event::*;
use crate::spec::{experiment_name, EventType};
use crate::table::{Stack, Table};

/// Go's goroutine status numbers (`tracev2.GoStatus`) to [`GoState`].
pub(crate) fn go_status_state(status: u64) -> GoState {
    match status {
        1 => GoState::Runnable,
        2 => GoState::Running,
        3 => GoState::Syscall,
        4 => GoState::Waiting,
        _ => GoState::Undetermined,
    }
}

/// Go's proc status numbers (`tracev2.ProcStatus`) to [`ProcState`].
pub(crate) fn proc_status_state(status: u64) -> ProcState {
    match status {
        1 | 3 => ProcState::Running,
        2 | 4 => ProcState::Idle,
        _ => ProcState::Undetermined,
    }
}

impl Event {
    /// The wire event type this event came from (`None` for sync events).
    #[must_use]
    pub fn wire_type(&self) -> Option<EventType> {
        EventType::from_u8(self.base.typ)
    }

    /// The kind of event.
    #[inline]
    #[must_use]
    pub fn kind(&self) -> EventKind {
        KINDS[self.base.typ as usize]
    }
}

/// [`Event::kind`] by type byte.
#[allow(
    clippy::cast_possible_truncation,
    reason = "a const loop over i < 256, every value of a byte"
)]
static KINDS: [EventKind; 256] = {
    let mut t = [EventKind::Bad; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = kind_of(i as u8);
        i += 1;
    }
    t
};

const fn kind_of(typ: u8) -> EventKind {
    use EventType as E;
    if typ == EV_SYNC {
        return EventKind::Sync;
    }
    let Some(t) = EventType::from_u8_const(typ) else {
        return EventKind::Bad;
    };
    match t {
        E::CpuSample => EventKind::StackSample,
        E::ProcsChange | E::HeapAlloc | E::HeapGoal => EventKind::Metric,
        E::ProcStart
        | E::ProcStop
        | E::ProcSteal
        | E::ProcStatus
        | E::GoCreate
        | E::GoCreateSyscall
        | E::GoStart
        | E::GoDestroy
        | E::GoDestroySyscall
        | E::GoStop
        | E::GoBlock
        | E::GoUnblock
        | E::GoSyscallBegin
        | E::GoSyscallEnd
        | E::GoSyscallEndBlocked
        | E::GoStatus
        | E::GoSwitch
        | E::GoSwitchDestroy
        | E::GoCreateBlocked
        | E::GoStatusStack => EventKind::StateTransition,
        E::StwBegin | E::GcBegin | E::GcSweepBegin | E::GcMarkAssistBegin => EventKind::RangeBegin,
        E::StwEnd | E::GcEnd | E::GcSweepEnd | E::GcMarkAssistEnd => EventKind::RangeEnd,
        E::GcActive | E::GcSweepActive | E::GcMarkAssistActive => EventKind::RangeActive,
        E::GoLabel => EventKind::Label,
        E::UserTaskBegin => EventKind::TaskBegin,
        E::UserTaskEnd => EventKind::TaskEnd,
        E::UserRegionBegin => EventKind::RegionBegin,
        E::UserRegionEnd => EventKind::RegionEnd,
        E::UserLog => EventKind::Log,
        t if t.is_experimental() => EventKind::Experimental,
        _ => EventKind::Bad,
    }
}

impl Event {
    /// The time in nanoseconds. Strictly increasing along the stream.
    #[must_use]
    pub fn time(&self) -> Time {
        self.base.time
    }

    /// The goroutine running when the event happened (before any transition).
    #[must_use]
    pub fn goroutine(&self) -> GoId {
        self.ctx.g
    }

    /// The proc held when the event happened (before any transition).
    #[must_use]
    pub fn proc(&self) -> ProcId {
        self.ctx.p
    }

    /// The thread the event happened on.
    #[must_use]
    pub fn thread(&self) -> ThreadId {
        self.ctx.m
    }

    /// The whole scheduling context.
    #[must_use]
    pub fn sched_ctx(&self) -> SchedCtx {
        self.ctx
    }

    /// File offset of the wire event this came from (0 if synthesized).
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The generation the event belongs to (0 for a sync event ending the trace).
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.table.as_ref().map_or(0, |t| t.gen)
    }

    fn table(&self) -> Option<&Table> {
        self.table.as_deref()
    }

    fn string(&self, id: u64) -> &str {
        self.table().and_then(|t| t.string(id)).unwrap_or("")
    }

    fn stack_of(&self, id: u64) -> Option<Stack<'_>> {
        self.table().map(|table| Stack { table, id })
    }

    /// The stack of the current execution context (where the event was
    /// emitted), if the event has one.
    #[must_use]
    pub fn stack(&self) -> Option<Stack<'_>> {
        if self.base.typ == EV_SYNC {
            return None;
        }
        let t = self.wire_type()?;
        if t == EventType::CpuSample {
            return self.stack_of(self.base.args[0]);
        }
        let &i = t.spec().stack_ids.first()?;
        let id = self.base.args[i - 1];
        if id == 0 {
            return None;
        }
        self.stack_of(id)
    }

    /// The kind-specific details.
    #[must_use]
    pub fn details(&self) -> Details<'_> {
        use EventType as E;
        let a = &self.base.args;
        match self.kind() {
            EventKind::Sync => Details::Sync(self.sync_info()),
            EventKind::Metric => {
                let name = match self.wire_type() {
                    Some(E::ProcsChange) => "/sched/gomaxprocs:threads",
                    Some(E::HeapAlloc) => "/memory/classes/heap/objects:bytes",
                    _ => "/gc/heap/goal:bytes",
                };
                Details::Metric(Metric { name, value: a[0] })
            }
            EventKind::Label => Details::Label(Label {
                label: self.string(a[0]),
                resource: ResourceId::Goroutine(self.ctx.g),
            }),
            EventKind::StackSample => Details::StackSample,
            EventKind::RangeBegin => Details::RangeBegin(self.range()),
            EventKind::RangeActive => Details::RangeActive(self.range()),
            EventKind::RangeEnd => {
                let attrs = if self.wire_type() == Some(E::GcSweepEnd) {
                    vec![("bytes swept", a[0]), ("bytes reclaimed", a[1])]
                } else {
                    Vec::new()
                };
                Details::RangeEnd(self.range(), attrs)
            }
            EventKind::TaskBegin => Details::TaskBegin(Task {
                id: a[0],
                parent: a[1],
                typ: self.string(a[2]),
            }),
            EventKind::TaskEnd => Details::TaskEnd(Task {
                id: a[0],
                parent: a[2],
                typ: self.task_type.as_deref().unwrap_or(""),
            }),
            EventKind::RegionBegin => Details::RegionBegin(self.region()),
            EventKind::RegionEnd => Details::RegionEnd(self.region()),
            EventKind::Log => Details::Log(Log {
                task: a[0],
                category: self.string(a[1]),
                message: self.string(a[2]),
            }),
            EventKind::StateTransition => Details::StateTransition(self.transition()),
            EventKind::Experimental => {
                let spec = EventType::from_u8(self.base.typ)
                    .map(|t| t.spec())
                    .unwrap_or(EventType::Span.spec());
                let names = &spec.args[1..];
                Details::Experimental(Experimental {
                    name: spec.name,
                    experiment: experiment_name(spec.experiment),
                    arg_names: names,
                    args: &a[..names.len()],
                })
            }
            EventKind::Bad => Details::StackSample,
        }
    }

    fn sync_info(&self) -> SyncInfo<'_> {
        let clock = self.table().and_then(|t| {
            t.clock.map(|c| ClockSnapshot {
                trace: t.ns(c.ticks),
                mono: c.mono,
                wall_sec: c.sec.cast_signed(),
                wall_nsec: c.nsec.cast_signed(),
            })
        });
        SyncInfo {
            n: self.base.args[0],
            clock,
            experimental: self.table().map_or(&[], |t| &t.experimental[..]),
        }
    }

    fn range(&self) -> Range {
        use EventType as E;
        let a = &self.base.args;
        match self.wire_type() {
            Some(E::StwBegin | E::StwEnd) => Range {
                name: format!("stop-the-world ({})", self.string(a[0])),
                scope: ResourceId::Goroutine(self.ctx.g),
            },
            Some(E::GcBegin | E::GcActive | E::GcEnd) => Range {
                name: "GC concurrent mark phase".into(),
                scope: ResourceId::None,
            },
            Some(t @ (E::GcSweepBegin | E::GcSweepActive | E::GcSweepEnd)) => Range {
                name: "GC incremental sweep".into(),
                scope: ResourceId::Proc(if t == E::GcSweepActive {
                    a[0].cast_signed()
                } else {
                    self.ctx.p
                }),
            },
            Some(t) => Range {
                name: "GC mark assist".into(),
                scope: ResourceId::Goroutine(if t == E::GcMarkAssistActive {
                    a[0].cast_signed()
                } else {
                    self.ctx.g
                }),
            },
            None => Range {
                name: String::new(),
                scope: ResourceId::None,
            },
        }
    }

    fn region(&self) -> Region<'_> {
        Region {
            task: self.base.args[0],
            typ: self.string(self.base.args[1]),
        }
    }

    fn transition(&self) -> StateTransition<'_> {
        use EventType as E;
        use GoState as G;
        let a = &self.base.args;
        let go = |id: i64, from, to| Transition::Goroutine { id, from, to };
        let proc = |id: u64, from, to| Transition::Proc {
            id: id.cast_signed(),
            from,
            to,
        };
        let g = self.ctx.g;
        let mut reason = "";
        let mut stack = None;
        let t = match self.wire_type() {
            Some(E::ProcStart) => proc(a[0], ProcState::Idle, ProcState::Running),
            Some(E::ProcStop) => proc(
                self.ctx.p.cast_unsigned(),
                ProcState::Running,
                ProcState::Idle,
            ),
            Some(E::ProcSteal) => {
                // args[3]: the proc status that let the steal happen.
                let from = if a[3] == 4 {
                    ProcState::Idle
                } else {
                    ProcState::Running
                };
                proc(a[0], from, ProcState::Idle)
            }
            Some(E::ProcStatus) => proc(a[0], ProcState::from_u64(a[2]), proc_status_state(a[1])),
            Some(t @ (E::GoCreate | E::GoCreateBlocked)) => {
                let to = if t == E::GoCreateBlocked {
                    G::Waiting
                } else {
                    G::Runnable
                };
                stack = self.stack_of(a[1]);
                go(a[0].cast_signed(), G::NotExist, to)
            }
            Some(E::GoCreateSyscall) => go(a[0].cast_signed(), G::NotExist, G::Syscall),
            Some(E::GoStart) => go(a[0].cast_signed(), G::Runnable, G::Running),
            Some(E::GoDestroy) => go(g, G::Running, G::NotExist),
            Some(E::GoDestroySyscall) => go(g, G::Syscall, G::NotExist),
            Some(t @ (E::GoStop | E::GoBlock)) => {
                reason = self.string(a[0]);
                stack = self.stack();
                let to = if t == E::GoStop {
                    G::Runnable
                } else {
                    G::Waiting
                };
                go(g, G::Running, to)
            }
            Some(E::GoUnblock | E::GoSwitch | E::GoSwitchDestroy) => {
                go(a[0].cast_signed(), G::Waiting, G::Runnable)
            }
            Some(E::GoSyscallBegin) => {
                stack = self.stack();
                go(g, G::Running, G::Syscall)
            }
            Some(E::GoSyscallEnd) => go(g, G::Syscall, G::Running),
            Some(E::GoSyscallEndBlocked) => go(g, G::Syscall, G::Runnable),
            Some(E::GoStatus | E::GoStatusStack) => {
                stack = self.stack();
                let (from, to) = (a[2] >> 32, a[2] & 0xffff_ffff);
                go(a[0].cast_signed(), G::from_u64(from), go_status_state(to))
            }
            _ => go(g, G::Undetermined, G::Undetermined),
        };
        StateTransition {
            transition: t,
            reason,
            stack,
        }
    }

    /// Shortcut: the state transition details, if this is one.
    #[must_use]
    pub fn state_transition(&self) -> Option<StateTransition<'_>> {
        (self.kind() == EventKind::StateTransition).then(|| self.transition())
    }
}

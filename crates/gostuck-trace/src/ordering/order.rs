//! The partial order across threads: a model of the scheduler's goroutine,
//! proc and thread states that decides whether an event can happen next.
//!
//! Each thread's events are in order within its batches, but threads are
//! only loosely ordered by timestamps. Sequence numbers on goroutine and proc
//! events (`g_seq`, `p_seq`) and the states below tell which event must come
//! first. This follows the semantics of Go's `internal/trace` ordering, so
//! the resulting stream matches Go's reader event for event.

use rustc_hash::FxHashMap;

use crate::event::*;
pub(crate) use crate::order_state::*;
use crate::spec::EventType;
use crate::table::Table;

/// The result of trying to advance an event: `Ok(false)` if it cannot happen
/// yet, `Ok(true)` if it happened (and [`Ordering::done`] set the thread's
/// new context).
pub(crate) type Advance = Result<bool, String>;

fn empty_event() -> Event {
    Event {
        table: None,
        ctx: SchedCtx::NONE,
        base: BaseEvent {
            typ: 0,
            time: 0,
            args: [0; 4],
        },
        task_type: None,
        offset: 0,
    }
}

/// Scheduler state across the whole trace.
pub(crate) struct Ordering {
    pub(crate) g_states: IdMap<GState>,
    pub(crate) p_states: IdMap<PState>,
    pub(crate) m_states: MStates,
    pub(crate) active_tasks: FxHashMap<TaskId, TaskState>,
    pub(crate) gc_seq: u64,
    pub(crate) gc_state: GcState,
    pub(crate) initial_gen: u64,
    /// The events of the last advance, in order (usually one). Slots are
    /// reused: the reader lends them out in place and keeps their table
    /// references, so handing out an event copies nothing.
    pub(crate) out: Vec<Event>,
    /// How many slots of `out` the last advance filled.
    pub(crate) out_len: usize,
    /// Bit `i`: `fast_advance` found the string and stack IDs of the event
    /// in slot `i` within the table's dense ranges, so the reader need not
    /// check them again. Cleared with `out_len`.
    pub(crate) out_ids_ok: u64,
}

/// What an advance function gets.
pub(crate) struct Cx<'a> {
    pub(crate) table: &'a Table,
    pub(crate) gen: u64,
    pub(crate) offset: u64,
    pub(crate) cur: SchedCtx,
    /// The thread's slot in `m_states` (`u32::MAX`: no thread).
    pub(crate) m_slot: u32,
}

impl Ordering {
    pub(crate) fn new() -> Self {
        Ordering {
            g_states: IdMap::default(),
            p_states: IdMap::default(),
            m_states: MStates::default(),
            active_tasks: FxHashMap::default(),
            gc_seq: 0,
            gc_state: GcState::Undetermined,
            initial_gen: 0,
            out: Vec::new(),
            out_len: 0,
            out_ids_ok: 0,
        }
    }

    /// The most common events (`GoStart`, `GoBlock`, `GoStop`, `GoDestroy`,
    /// `GoUnblock`) when they can happen now, with the same checks and
    /// effects as [`Ordering::advance`] without its generality; the event
    /// goes into the next slot of `out`. `ms` is thread `m`'s state, which
    /// the caller keeps (and writes back) across several calls. `false`
    /// (nothing changed) for any other event, or when any check does not
    /// pass: `advance` then decides, and reports errors, as always.
    #[inline(always)]
    pub(crate) fn fast_advance(
        &mut self,
        ev: &BaseEvent,
        m: ThreadId,
        ms: &mut MState,
        table: &Table,
        gen: u64,
        offset: u64,
    ) -> bool {
        let MState { g, p } = *ms;
        let new_g;
        let ids_ok;
        match ev.typ {
            t if t == EventType::GoStart as u8 => {
                if p == NO_PROC || g != NO_GOROUTINE {
                    return false;
                }
                let gid = ev.args[0].cast_signed();
                let seq = Seq::new(gen, ev.args[1]);
                match self.g_states.get_mut(gid) {
                    Some(s) if s.status == gs::RUNNABLE && seq.succeeds(s.seq) => {
                        s.status = gs::RUNNING;
                        s.seq = seq;
                    }
                    _ => return false,
                }
                new_g = gid;
                ids_ok = true;
            }
            t if t == EventType::GoBlock as u8
                || t == EventType::GoStop as u8
                || t == EventType::GoDestroy as u8 =>
            {
                if p == NO_PROC || g == NO_GOROUTINE {
                    return false;
                }
                match self.g_states.get_mut(g) {
                    Some(s) if s.status == gs::RUNNING => {
                        if t == EventType::GoBlock as u8 {
                            s.status = gs::WAITING;
                        } else if t == EventType::GoStop as u8 {
                            s.status = gs::RUNNABLE;
                        } else {
                            self.g_states.remove(g);
                        }
                    }
                    _ => return false,
                }
                new_g = NO_GOROUTINE;
                // GoStop, GoBlock: reason string, stack; GoDestroy: none.
                ids_ok = t == EventType::GoDestroy as u8
                    || (ev.args[0] <= table.dense_strings && ev.args[1] <= table.dense_stacks);
            }
            t if t == EventType::GoUnblock as u8 => {
                let gid = ev.args[0].cast_signed();
                let seq = Seq::new(gen, ev.args[1]);
                match self.g_states.get_mut(gid) {
                    Some(s) if s.status == gs::WAITING && seq.succeeds(s.seq) => {
                        s.status = gs::RUNNABLE;
                        s.seq = seq;
                    }
                    _ => return false,
                }
                new_g = g;
                ids_ok = ev.args[2] <= table.dense_stacks;
            }
            _ => return false,
        }
        if self.out_len == self.out.len() {
            self.out.push(empty_event());
        }
        let e = &mut self.out[self.out_len];
        e.ctx = SchedCtx { g, p, m };
        e.base = *ev;
        e.offset = offset;
        if e.task_type.is_some() {
            e.task_type = None;
        }
        self.out_ids_ok |= u64::from(ids_ok) << (self.out_len & 63);
        self.out_len += 1;
        ms.g = new_g;
        true
    }

    #[inline]
    pub(crate) fn push(&mut self, cx: &Cx<'_>, ctx: SchedCtx, base: BaseEvent) {
        // The reader attaches the generation's table when it hands the
        // event out: no reference count per event.
        if self.out_len == self.out.len() {
            self.out.push(Event {
                table: None,
                ctx,
                base,
                task_type: None,
                offset: cx.offset,
            });
        } else {
            let e = &mut self.out[self.out_len];
            e.ctx = ctx;
            e.base = base;
            e.offset = cx.offset;
            if e.task_type.is_some() {
                e.task_type = None;
            }
        }
        self.out_len += 1;
    }

    /// Tries to advance `ev`, which is the next event of thread `m`.
    /// `m_slot` is the thread's slot in `m_states` once known (`u32::MAX`
    /// before), kept by the caller.
    pub(crate) fn advance(
        &mut self,
        ev: &mut BaseEvent,
        table: &Table,
        m: ThreadId,
        m_slot: &mut u32,
        gen: u64,
        offset: u64,
    ) -> Result<bool, String> {
        if self.initial_gen == 0 {
            self.initial_gen = gen;
        }
        let mut cur = SchedCtx {
            g: NO_GOROUTINE,
            p: NO_PROC,
            m,
        };
        if m != NO_THREAD {
            if *m_slot == u32::MAX {
                *m_slot = self.m_states.slot(m);
            }
            let ms = self.m_states.at(*m_slot);
            cur.p = ms.p;
            cur.g = ms.g;
        }
        let cx = Cx {
            table,
            gen,
            offset,
            cur,
            m_slot: if m == NO_THREAD { u32::MAX } else { *m_slot },
        };
        let Some(t) = EventType::from_u8(ev.typ) else {
            return Err(format!("bad event type {} found while ordering", ev.typ));
        };
        use EventType as E;
        match t {
            E::ProcsChange | E::GoLabel | E::UserLog => self.annotation(ev, &cx),
            E::ProcStart => self.proc_start(ev, &cx),
            E::ProcStop => self.proc_stop(ev, &cx),
            E::ProcSteal => self.proc_steal(ev, &cx),
            E::ProcStatus => self.proc_status(ev, &cx),
            E::GoCreate | E::GoCreateBlocked => self.go_create(t, ev, &cx),
            E::GoCreateSyscall => self.go_create_syscall(ev, &cx),
            E::GoStart => self.go_start(ev, &cx),
            E::GoDestroy | E::GoStop | E::GoBlock => self.go_stop_exec(t, ev, &cx),
            E::GoDestroySyscall => self.go_destroy_syscall(ev, &cx),
            E::GoUnblock => self.go_unblock(ev, &cx),
            E::GoSyscallBegin => self.go_syscall_begin(ev, &cx),
            E::GoSyscallEnd => self.go_syscall_end(ev, &cx),
            E::GoSyscallEndBlocked => self.go_syscall_end_blocked(ev, &cx),
            E::GoStatus | E::GoStatusStack => self.go_status(ev, &cx),
            E::GoSwitch | E::GoSwitchDestroy => self.go_switch(t, ev, &cx),
            E::StwBegin | E::GcMarkAssistBegin => self.go_range_begin(t, ev, &cx),
            E::StwEnd | E::GcMarkAssistEnd => self.go_range_end(t, ev, &cx),
            E::GcMarkAssistActive => self.go_range_active(t, ev, &cx),
            E::GcActive => self.gc_active(ev, &cx),
            E::GcBegin => self.gc_begin(ev, &cx),
            E::GcEnd => self.gc_end(ev, &cx),
            E::GcSweepActive => self.gc_sweep_active(t, ev, &cx),
            E::GcSweepBegin => self.gc_sweep_begin(t, ev, &cx),
            E::GcSweepEnd => self.gc_sweep_end(t, ev, &cx),
            E::HeapAlloc | E::HeapGoal => self.heap_metric(ev, &cx),
            E::UserTaskBegin => self.task_begin(ev, &cx),
            E::UserTaskEnd => self.task_end(ev, &cx),
            E::UserRegionBegin => self.region_begin(ev, &cx),
            E::UserRegionEnd => self.region_end(ev, &cx),
            t if t.is_experimental() => self.alloc_free(ev, &cx),
            t => Err(format!("bad event type {} found while ordering", t.name())),
        }
    }

    /// The event happened: the thread's context is now `new`.
    #[inline]
    pub(crate) fn done(&mut self, cx: &Cx<'_>, new: SchedCtx) -> Advance {
        if cx.m_slot != u32::MAX {
            let ms = self.m_states.at(cx.m_slot);
            ms.p = new.p;
            ms.g = new.g;
        }
        Ok(true)
    }

    fn proc_status(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let pid = ev.args[0].cast_signed();
        let status = ev.args[1];
        let status = match u8::try_from(status) {
            Ok(s) if s <= 4 => s,
            _ => return Err(format!("invalid status for proc {pid}: {status}")),
        };
        let mut old = crate::access::proc_status_state(u64::from(status));
        let initial = cx.gen == self.initial_gen;
        if let Some(s) = self.p_states.get_mut(pid) {
            if status == ps::SYSCALL_ABANDONED && s.status == ps::SYSCALL {
                // Promote: no information was lost after all.
                old = ProcState::Running;
                ev.args[1] = u64::from(ps::SYSCALL);
            } else if status == ps::SYSCALL_ABANDONED && s.status == ps::SYSCALL_ABANDONED {
                old = ProcState::Idle;
                ev.args[1] = u64::from(ps::SYSCALL_ABANDONED);
            } else if s.status != status {
                return Err(format!(
                    "inconsistent status for proc {pid}: old {} vs. new {}",
                    proc_status_name(s.status),
                    proc_status_name(status)
                ));
            }
            s.seq = Seq::new(cx.gen, 0);
        } else {
            self.p_states.insert(
                pid,
                PState {
                    status,
                    seq: Seq::new(cx.gen, 0),
                    ranges: RangeState::default(),
                },
            );
            old = if initial {
                ProcState::Undetermined
            } else {
                ProcState::NotExist
            };
        }
        ev.args[2] = old as u64;
        let mut cur = cx.cur;
        let mut new = cur;
        if status == ps::RUNNING || status == ps::SYSCALL {
            new.p = pid;
        }
        // An abandoned syscall P promoted to running must be reported in the
        // context of the thread it is bound to.
        if status == ps::SYSCALL_ABANDONED && old == ProcState::Running {
            match self.m_states.find_proc(pid) {
                Some((mid, ms)) => {
                    cur = SchedCtx {
                        m: mid,
                        p: pid,
                        g: ms.g,
                    };
                }
                None => {
                    return Err(format!(
                        "failed to find sched context for proc {pid} that's about to be stolen"
                    ))
                }
            }
        }
        self.push(cx, cur, *ev);
        self.done(cx, new)
    }

    fn proc_start(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let pid = ev.args[0].cast_signed();
        let seq = Seq::new(cx.gen, ev.args[1]);
        let ok = matches!(self.p_states.get(pid),
            Some(s) if s.status == ps::IDLE && seq.succeeds(s.seq))
            && cx.cur.p == NO_PROC;
        if !ok {
            return Ok(false);
        }
        validate(cx.cur, [Need::Must, Need::Not, Need::May])?;
        if let Some(s) = self.p_states.get_mut(pid) {
            s.status = ps::RUNNING;
            s.seq = seq;
        }
        self.push(cx, cx.cur, *ev);
        self.done(cx, SchedCtx { p: pid, ..cx.cur })
    }

    fn proc_stop(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let name = type_name(ev.typ);
        let Some(s) = self.p_states.get_mut(cx.cur.p) else {
            return Err(format!(
                "event {name} for proc ({}) that doesn't exist",
                cx.cur.p
            ));
        };
        if s.status != ps::RUNNING && s.status != ps::SYSCALL {
            return Err(format!(
                "{name} event for proc that's not Running or Syscall"
            ));
        }
        validate(cx.cur, [Need::Must, Need::Must, Need::May])?;
        s.status = ps::IDLE;
        self.push(cx, cx.cur, *ev);
        self.done(
            cx,
            SchedCtx {
                p: NO_PROC,
                ..cx.cur
            },
        )
    }

    fn proc_steal(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let pid = ev.args[0].cast_signed();
        let seq = Seq::new(cx.gen, ev.args[1]);
        let old = match self.p_states.get(pid) {
            Some(s)
                if (s.status == ps::SYSCALL || s.status == ps::SYSCALL_ABANDONED)
                    && seq.succeeds(s.seq) =>
            {
                s.status
            }
            _ => return Ok(false),
        };
        validate(cx.cur, [Need::Must, Need::May, Need::May])?;
        ev.args[3] = u64::from(old);
        if let Some(s) = self.p_states.get_mut(pid) {
            s.status = ps::IDLE;
            s.seq = seq;
        }
        if old == ps::SYSCALL_ABANDONED {
            self.push(cx, cx.cur, *ev);
            return self.done(cx, cx.cur);
        }
        let mid = ev.args[2].cast_signed();
        if mid == cx.cur.m {
            // Stealing from ourselves: like ProcStop.
            if cx.cur.p != pid {
                return Err(format!(
                    "tried to self-steal proc {pid} (thread {mid}), but got proc {} instead",
                    cx.cur.p
                ));
            }
            self.push(cx, cx.cur, *ev);
            return self.done(
                cx,
                SchedCtx {
                    p: NO_PROC,
                    ..cx.cur
                },
            );
        }
        let Some(ms) = self.m_states.get_mut(mid) else {
            return Err(format!("stole proc from non-existent thread {mid}"));
        };
        if ms.p != pid {
            return Err(format!(
                "tried to steal proc {pid} from thread {mid}, but got proc {} instead",
                ms.p
            ));
        }
        // The victim is leaving its syscall; it no longer has the P.
        ms.p = NO_PROC;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    fn go_status(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let gid = ev.args[0].cast_signed();
        let mid = ev.args[1].cast_signed();
        let status = ev.args[2];
        let status = match u8::try_from(status) {
            Ok(s) if s <= 4 => s,
            _ => return Err(format!("invalid status for goroutine {gid}: {status}")),
        };
        let mut old = crate::access::go_status_state(u64::from(status));
        if let Some(s) = self.g_states.get_mut(gid) {
            if s.status != status {
                return Err(format!(
                    "inconsistent status for goroutine {gid}: old {} vs. new {}",
                    go_status_name(s.status),
                    go_status_name(status)
                ));
            }
            s.seq = Seq::new(cx.gen, 0);
        } else if cx.gen == self.initial_gen {
            self.g_states
                .insert(gid, GState::new(status, Seq::new(cx.gen, 0)));
            old = GoState::Undetermined;
        } else {
            return Err(format!(
                "found goroutine status for new goroutine after the first generation: id={gid} status={}",
                go_status_name(status)
            ));
        }
        ev.args[2] = (old as u64) << 32 | u64::from(status);
        let mut cur = cx.cur;
        let mut new = cur;
        match status {
            gs::RUNNING => new.g = gid,
            gs::SYSCALL => {
                if mid == NO_THREAD {
                    return Err(format!("found goroutine {gid} in syscall without a thread"));
                }
                if mid == cur.m {
                    if cx.gen != self.initial_gen && cur.g != gid {
                        return Err(format!(
                            "inconsistent thread for syscalling goroutine {gid}: thread has goroutine {}",
                            cur.g
                        ));
                    }
                    new.g = gid;
                } else {
                    // A goroutine sitting in a syscall on another thread for
                    // the whole generation.
                    match self.m_states.get(mid) {
                        Some(ms) => {
                            if ms.g != gid {
                                return Err(format!(
                                    "inconsistent thread for syscalling goroutine {gid}: thread has goroutine {}",
                                    ms.g
                                ));
                            }
                            cur.g = ms.g;
                        }
                        None => {
                            self.m_states.insert(mid, MState { g: gid, p: NO_PROC });
                        }
                    }
                    cur.m = mid;
                }
            }
            _ => {}
        }
        self.push(cx, cur, *ev);
        self.done(cx, new)
    }

    fn go_create(&mut self, t: EventType, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        validate(cx.cur, [Need::Must, Need::Must, Need::May])?;
        if let Some(s) = self.g_states.get(cx.cur.g) {
            if s.status != gs::RUNNING {
                return Err(format!(
                    "{} event for goroutine that's not Running",
                    t.name()
                ));
            }
        }
        let new_g = ev.args[0].cast_signed();
        if self.g_states.contains_key(new_g) {
            return Err(format!(
                "tried to create goroutine ({new_g}) that already exists"
            ));
        }
        let status = if t == EventType::GoCreateBlocked {
            gs::WAITING
        } else {
            gs::RUNNABLE
        };
        self.g_states
            .insert(new_g, GState::new(status, Seq::new(cx.gen, 0)));
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    /// The running goroutine of the context must exist and be running.
    pub(crate) fn running_g(&self, t: EventType, cx: &Cx<'_>) -> Result<(), String> {
        validate(cx.cur, USER_GO)?;
        match self.g_states.get(cx.cur.g) {
            None => Err(format!(
                "event {} for goroutine ({}) that doesn't exist",
                t.name(),
                cx.cur.g
            )),
            Some(s) if s.status != gs::RUNNING => Err(format!(
                "{} event for goroutine that's not Running",
                t.name()
            )),
            Some(_) => Ok(()),
        }
    }

    fn go_stop_exec(&mut self, t: EventType, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        self.running_g(t, cx)?;
        let g = cx.cur.g;
        match t {
            EventType::GoDestroy => {
                self.g_states.remove(g);
            }
            EventType::GoStop => self.set_g_status(g, gs::RUNNABLE),
            _ => self.set_g_status(g, gs::WAITING),
        }
        self.push(cx, cx.cur, *ev);
        self.done(
            cx,
            SchedCtx {
                g: NO_GOROUTINE,
                ..cx.cur
            },
        )
    }

    pub(crate) fn set_g_status(&mut self, g: GoId, status: u8) {
        if let Some(s) = self.g_states.get_mut(g) {
            s.status = status;
        }
    }

    fn go_start(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let gid = ev.args[0].cast_signed();
        let seq = Seq::new(cx.gen, ev.args[1]);
        if !matches!(self.g_states.get(gid),
            Some(s) if s.status == gs::RUNNABLE && seq.succeeds(s.seq))
        {
            return Ok(false);
        }
        validate(cx.cur, [Need::Must, Need::Must, Need::Not])?;
        if let Some(s) = self.g_states.get_mut(gid) {
            s.status = gs::RUNNING;
            s.seq = seq;
        }
        self.push(cx, cx.cur, *ev);
        self.done(cx, SchedCtx { g: gid, ..cx.cur })
    }

    fn go_unblock(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let gid = ev.args[0].cast_signed();
        let seq = Seq::new(cx.gen, ev.args[1]);
        match self.g_states.get_mut(gid) {
            Some(s) if s.status == gs::WAITING && seq.succeeds(s.seq) => {
                s.status = gs::RUNNABLE;
                s.seq = seq;
            }
            _ => return Ok(false),
        }
        // Anything (even sysmon, without a P) can unblock a goroutine.
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }
}

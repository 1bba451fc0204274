//! The rest of the ordering rules: syscalls, coroutine switches, GC and
//! other ranges, user annotations.

use std::sync::Arc;

use crate::event::*;
use crate::order::{
    gs, ps, range_type, validate, Advance, Cx, GState, GcState, Need, Ordering, Seq, TaskState,
    USER_GO,
};
use crate::spec::EventType;

impl Ordering {
    pub(crate) fn go_syscall_begin(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let t = EventType::GoSyscallBegin;
        self.running_g(t, cx)?;
        self.set_g_status(cx.cur.g, gs::SYSCALL);
        let Some(p) = self.p_states.get_mut(cx.cur.p) else {
            return Err(format!(
                "uninitialized proc {} found during {}",
                cx.cur.p,
                t.name()
            ));
        };
        p.status = ps::SYSCALL;
        // The P sequence number disambiguates which syscall a ProcSteal
        // steals from; for a running P it must simply be the next one.
        let seq = Seq::new(cx.gen, ev.args[0]);
        if !seq.succeeds(p.seq) {
            return Err(format!(
                "failed to advance {}: can't make sequence: {:?} -> {:?}",
                t.name(),
                p.seq,
                seq
            ));
        }
        p.seq = seq;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    fn syscalling_g(&self, t: EventType, cx: &Cx<'_>, reqs: [Need; 3]) -> Result<(), String> {
        validate(cx.cur, reqs)?;
        match self.g_states.get(cx.cur.g) {
            None => Err(format!(
                "event {} for goroutine ({}) that doesn't exist",
                t.name(),
                cx.cur.g
            )),
            Some(s) if s.status != gs::SYSCALL => Err(format!(
                "{} event for goroutine that's not Syscall",
                t.name()
            )),
            Some(_) => Ok(()),
        }
    }

    pub(crate) fn go_syscall_end(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let t = EventType::GoSyscallEnd;
        self.syscalling_g(t, cx, USER_GO)?;
        self.set_g_status(cx.cur.g, gs::RUNNING);
        let Some(p) = self.p_states.get_mut(cx.cur.p) else {
            return Err(format!(
                "uninitialized proc {} found during {}",
                cx.cur.p,
                t.name()
            ));
        };
        if p.status != ps::SYSCALL {
            return Err(format!(
                "expected proc {} in state Syscall, but got status {} instead",
                cx.cur.p, p.status
            ));
        }
        p.status = ps::RUNNING;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn go_syscall_end_blocked(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let t = EventType::GoSyscallEndBlocked;
        // Cannot happen while this thread still holds a P in a syscall: it
        // must lose it (ProcStop or ProcSteal) first.
        if cx.cur.p != NO_PROC {
            match self.p_states.get(cx.cur.p) {
                None => {
                    return Err(format!(
                        "uninitialized proc {} found during {}",
                        cx.cur.p,
                        t.name()
                    ))
                }
                Some(p) if p.status == ps::SYSCALL => return Ok(false),
                Some(_) => {}
            }
        }
        self.syscalling_g(t, cx, [Need::Must, Need::May, Need::Must])?;
        self.set_g_status(cx.cur.g, gs::RUNNABLE);
        self.push(cx, cx.cur, *ev);
        self.done(
            cx,
            SchedCtx {
                g: NO_GOROUTINE,
                ..cx.cur
            },
        )
    }

    pub(crate) fn go_create_syscall(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        validate(cx.cur, [Need::Must, Need::May, Need::Not])?;
        let new_g = ev.args[0].cast_signed();
        if self.g_states.contains_key(new_g) {
            return Err(format!(
                "tried to create goroutine ({new_g}) in syscall that already exists"
            ));
        }
        self.g_states
            .insert(new_g, GState::new(gs::SYSCALL, Seq::new(cx.gen, 0)));
        self.push(cx, cx.cur, *ev);
        self.done(cx, SchedCtx { g: new_g, ..cx.cur })
    }

    pub(crate) fn go_destroy_syscall(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let t = EventType::GoDestroySyscall;
        self.syscalling_g(t, cx, [Need::Must, Need::May, Need::Must])?;
        self.g_states.remove(cx.cur.g);
        let mut new = SchedCtx {
            g: NO_GOROUTINE,
            ..cx.cur
        };
        // The thread may be reused by the OS: treat the P as lost too, with
        // an extra self-steal event.
        if cx.cur.p != NO_PROC {
            let Some(p) = self.p_states.get_mut(cx.cur.p) else {
                return Err(format!(
                    "found invalid proc {} during {}",
                    cx.cur.p,
                    t.name()
                ));
            };
            if p.status != ps::SYSCALL {
                return Err(format!(
                    "proc {} in unexpected status {} during {}",
                    cx.cur.p,
                    p.status,
                    t.name()
                ));
            }
            p.status = ps::SYSCALL_ABANDONED;
            new.p = NO_PROC;
            let steal = BaseEvent {
                typ: EventType::ProcSteal as u8,
                time: ev.time,
                args: [cx.cur.p.cast_unsigned(), 0, 0, u64::from(ps::SYSCALL)],
            };
            self.push(cx, cx.cur, steal);
        }
        self.push(cx, cx.cur, *ev);
        self.done(cx, new)
    }

    pub(crate) fn go_switch(&mut self, t: EventType, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        // A switch is an unblock of the next goroutine, a block (or exit)
        // of the current one and a start of the next one.
        self.running_g(t, cx)?;
        let next = ev.args[0].cast_signed();
        let seq = Seq::new(cx.gen, ev.args[1]);
        if !matches!(self.g_states.get(next),
            Some(s) if s.status == gs::WAITING && seq.succeeds(s.seq))
        {
            return Ok(false);
        }
        self.push(cx, cx.cur, *ev);
        let mk = |typ: EventType, args: [u64; 4]| BaseEvent {
            typ: typ as u8,
            time: ev.time,
            args,
        };
        if t == EventType::GoSwitch {
            self.set_g_status(cx.cur.g, gs::WAITING);
            self.push(cx, cx.cur, mk(EventType::GoBlock, [0; 4]));
        } else {
            self.g_states.remove(cx.cur.g);
            self.push(cx, cx.cur, mk(EventType::GoDestroy, [0; 4]));
        }
        if let Some(s) = self.g_states.get_mut(next) {
            s.status = gs::RUNNING;
            s.seq = seq;
        }
        let start_ctx = SchedCtx {
            g: NO_GOROUTINE,
            ..cx.cur
        };
        self.push(
            cx,
            start_ctx,
            mk(EventType::GoStart, [next.cast_unsigned(), ev.args[1], 0, 0]),
        );
        self.done(cx, SchedCtx { g: next, ..cx.cur })
    }

    fn cur_g_state(&mut self, t: EventType, cx: &Cx<'_>) -> Result<&mut GState, String> {
        let g = cx.cur.g;
        self.g_states.get_mut(g).ok_or_else(|| {
            format!(
                "encountered {} without known state for current goroutine {g}",
                t.name()
            )
        })
    }

    pub(crate) fn go_range_begin(
        &mut self,
        t: EventType,
        ev: &mut BaseEvent,
        cx: &Cx<'_>,
    ) -> Advance {
        validate(cx.cur, USER_GO)?;
        let desc = if t == EventType::StwBegin {
            ev.args[0]
        } else {
            0
        };
        self.cur_g_state(t, cx)?
            .cold()
            .ranges
            .begin(range_type(t, desc))?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn go_range_active(
        &mut self,
        t: EventType,
        ev: &mut BaseEvent,
        cx: &Cx<'_>,
    ) -> Advance {
        let gid = ev.args[0].cast_signed();
        let initial = cx.gen == self.initial_gen;
        let Some(g) = self.g_states.get_mut(gid) else {
            return Err(format!(
                "uninitialized goroutine {gid} found during {}",
                t.name()
            ));
        };
        g.cold().ranges.active(range_type(t, 0), initial)?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn go_range_end(
        &mut self,
        t: EventType,
        ev: &mut BaseEvent,
        cx: &Cx<'_>,
    ) -> Advance {
        validate(cx.cur, USER_GO)?;
        let desc = self.cur_g_state(t, cx)?.cold().ranges.end(t)?;
        if t == EventType::StwEnd {
            // Carry the STW kind over from the begin event.
            ev.args[0] = desc;
        }
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn gc_active(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let seq = ev.args[0];
        if cx.gen == self.initial_gen {
            if self.gc_state != GcState::Undetermined {
                return Err("GCActive in the first generation isn't first GC event".into());
            }
            self.gc_seq = seq;
            self.gc_state = GcState::Running;
            self.push(cx, cx.cur, *ev);
            return self.done(cx, cx.cur);
        }
        if Some(seq) != self.gc_seq.checked_add(1) {
            return Ok(false);
        }
        if self.gc_state != GcState::Running {
            return Err("encountered GCActive while GC was not in progress".into());
        }
        self.gc_seq = seq;
        validate(cx.cur, USER_GO)?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn gc_begin(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let seq = ev.args[0];
        if self.gc_state == GcState::Undetermined {
            self.gc_seq = seq;
            self.gc_state = GcState::Running;
            self.push(cx, cx.cur, *ev);
            return self.done(cx, cx.cur);
        }
        if Some(seq) != self.gc_seq.checked_add(1) {
            return Ok(false);
        }
        if self.gc_state == GcState::Running {
            return Err("encountered GCBegin while GC was already in progress".into());
        }
        self.gc_seq = seq;
        self.gc_state = GcState::Running;
        validate(cx.cur, USER_GO)?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn gc_end(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let seq = ev.args[0];
        if Some(seq) != self.gc_seq.checked_add(1) {
            return Ok(false);
        }
        match self.gc_state {
            GcState::NotRunning => {
                return Err("encountered GCEnd when GC was not in progress".into())
            }
            GcState::Undetermined => {
                return Err("encountered GCEnd when GC was in an undetermined state".into())
            }
            GcState::Running => {}
        }
        self.gc_seq = seq;
        self.gc_state = GcState::NotRunning;
        validate(cx.cur, USER_GO)?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn annotation(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        validate(cx.cur, USER_GO)?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn heap_metric(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        validate(cx.cur, [Need::Must, Need::Must, Need::May])?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn alloc_free(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        validate(cx.cur, [Need::Must, Need::May, Need::May])?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn gc_sweep_begin(
        &mut self,
        t: EventType,
        ev: &mut BaseEvent,
        cx: &Cx<'_>,
    ) -> Advance {
        validate(cx.cur, [Need::Must, Need::Must, Need::May])?;
        let Some(p) = self.p_states.get_mut(cx.cur.p) else {
            return Err(format!("{} for unknown proc {}", t.name(), cx.cur.p));
        };
        p.ranges.begin(range_type(t, 0))?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn gc_sweep_active(
        &mut self,
        t: EventType,
        ev: &mut BaseEvent,
        cx: &Cx<'_>,
    ) -> Advance {
        let pid = ev.args[0].cast_signed();
        let initial = cx.gen == self.initial_gen;
        let Some(p) = self.p_states.get_mut(pid) else {
            return Err(format!("encountered GCSweepActive for unknown proc {pid}"));
        };
        p.ranges.active(range_type(t, 0), initial)?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn gc_sweep_end(
        &mut self,
        t: EventType,
        ev: &mut BaseEvent,
        cx: &Cx<'_>,
    ) -> Advance {
        validate(cx.cur, [Need::Must, Need::Must, Need::May])?;
        let Some(p) = self.p_states.get_mut(cx.cur.p) else {
            return Err(format!("{} for unknown proc {}", t.name(), cx.cur.p));
        };
        p.ranges.end(t)?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn task_begin(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        // Task IDs may be reused after an end; only a double begin is wrong.
        let id = ev.args[0];
        if self.active_tasks.contains_key(&id) {
            return Err(format!("task ID conflict: {id}"));
        }
        if ev.args[1] == BACKGROUND_TASK {
            // 0 means "no parent" here, not the background task.
            ev.args[1] = NO_TASK;
        }
        let Some(name) = cx.table.string(ev.args[2]) else {
            return Err(format!(
                "invalid string ID {} for UserTaskBegin event",
                ev.args[2]
            ));
        };
        self.active_tasks.insert(
            id,
            TaskState {
                name: Arc::from(name),
                parent: ev.args[1],
            },
        );
        validate(cx.cur, USER_GO)?;
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn task_end(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let id = ev.args[0];
        let name = match self.active_tasks.remove(&id) {
            Some(ts) => {
                ev.args[2] = ts.parent;
                Some(ts.name)
            }
            None => {
                ev.args[2] = NO_TASK;
                None
            }
        };
        validate(cx.cur, USER_GO)?;
        self.push(cx, cx.cur, *ev);
        if let Some(e) = self
            .out_len
            .checked_sub(1)
            .and_then(|i| self.out.get_mut(i))
        {
            e.task_type = name;
        }
        self.done(cx, cx.cur)
    }

    fn region_name<'t>(t: EventType, ev: &BaseEvent, cx: &'t Cx<'_>) -> Result<&'t str, String> {
        cx.table
            .string(ev.args[1])
            .ok_or_else(|| format!("invalid string ID {} for {} event", ev.args[1], t.name()))
    }

    pub(crate) fn region_begin(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let t = EventType::UserRegionBegin;
        validate(cx.cur, USER_GO)?;
        let name = Self::region_name(t, ev, cx)?;
        let task = ev.args[0];
        self.cur_g_state(t, cx)?
            .cold()
            .regions
            .push((task, name.into()));
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }

    pub(crate) fn region_end(&mut self, ev: &mut BaseEvent, cx: &Cx<'_>) -> Advance {
        let t = EventType::UserRegionEnd;
        validate(cx.cur, USER_GO)?;
        let name = Self::region_name(t, ev, cx)?;
        let task = ev.args[0];
        let g = cx.cur.g;
        let gst = self.cur_g_state(t, cx)?;
        // Regions begun before the trace started are unknown: ignore.
        if let Some((top_task, top_name)) = gst.last_region() {
            if *top_task != task || **top_name != *name {
                return Err(format!(
                    "misuse of region in goroutine {g}: region end {{{task} {name}}} when the \
                     inner-most active region start event is {{{top_task} {top_name}}}"
                ));
            }
            gst.cold().regions.pop();
        }
        self.push(cx, cx.cur, *ev);
        self.done(cx, cx.cur)
    }
}

//! Scheduler state kept by the ordering: per-goroutine, per-proc and
//! per-thread states, sequence numbers and in-flight ranges.

use std::sync::Arc;

use crate::event::*;
use crate::spec::EventType;

/// Go's goroutine status numbers (`tracev2.GoStatus`).
pub(crate) mod gs {
    pub const RUNNABLE: u8 = 1;
    pub const RUNNING: u8 = 2;
    pub const SYSCALL: u8 = 3;
    pub const WAITING: u8 = 4;
}

/// Go's proc status numbers (`tracev2.ProcStatus`).
pub(crate) mod ps {
    pub const RUNNING: u8 = 1;
    pub const IDLE: u8 = 2;
    pub const SYSCALL: u8 = 3;
    pub const SYSCALL_ABANDONED: u8 = 4;
}

pub(crate) fn go_status_name(s: u8) -> &'static str {
    match s {
        gs::RUNNABLE => "Runnable",
        gs::RUNNING => "Running",
        gs::SYSCALL => "Syscall",
        gs::WAITING => "Waiting",
        _ => "Bad",
    }
}

pub(crate) fn proc_status_name(s: u8) -> &'static str {
    match s {
        ps::RUNNING => "Running",
        ps::IDLE => "Idle",
        ps::SYSCALL => "Syscall",
        ps::SYSCALL_ABANDONED => "SyscallAbandoned",
        _ => "Bad",
    }
}

/// A sequence number qualified by its generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Seq {
    gen: u64,
    seq: u64,
}

impl Seq {
    pub(crate) fn new(gen: u64, seq: u64) -> Seq {
        Seq { gen, seq }
    }
    /// Whether `self` immediately follows `prev`.
    pub(crate) fn succeeds(self, prev: Seq) -> bool {
        self.gen == prev.gen && prev.seq.checked_add(1) == Some(self.seq)
    }
}

/// A kind of special time range, identified by its begin event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RangeType {
    pub(crate) typ: u8,
    pub(crate) desc: u64,
}

pub(crate) fn range_type(t: EventType, desc: u64) -> RangeType {
    let typ = t.spec().start_ev.unwrap_or(t) as u8;
    RangeType { typ, desc }
}

/// Ranges in flight on a resource.
#[derive(Debug, Default)]
pub(crate) struct RangeState {
    in_flight: Vec<RangeType>,
}

impl RangeState {
    pub(crate) fn begin(&mut self, r: RangeType) -> Result<(), String> {
        if self.in_flight.contains(&r) {
            return Err(format!(
                "discovered event already in-flight when starting event {}",
                type_name(r.typ)
            ));
        }
        self.in_flight.push(r);
        Ok(())
    }

    pub(crate) fn active(&mut self, r: RangeType, initial: bool) -> Result<(), String> {
        if initial {
            if self.in_flight.contains(&r) {
                return Err(format!(
                    "found named active range already in first gen: {}",
                    type_name(r.typ)
                ));
            }
            self.in_flight.push(r);
        } else if !self.in_flight.contains(&r) {
            return Err(format!(
                "resource is missing active range: {}",
                type_name(r.typ)
            ));
        }
        Ok(())
    }

    /// Ends the range begun by `end`'s start event; returns its description.
    pub(crate) fn end(&mut self, end: EventType) -> Result<u64, String> {
        let st = end.spec().start_ev.unwrap_or(end) as u8;
        match self.in_flight.iter().position(|r| r.typ == st) {
            Some(i) => Ok(self.in_flight.swap_remove(i).desc),
            None => Err(format!(
                "tried to end event {}, but not in-flight",
                type_name(st)
            )),
        }
    }
}

pub(crate) fn type_name(t: u8) -> &'static str {
    EventType::from_u8(t).map_or("?", |t| t.name())
}

#[derive(Debug)]
pub(crate) struct GState {
    pub(crate) status: u8,
    pub(crate) seq: Seq,
    /// Active user regions: (task, name).
    pub(crate) regions: Vec<(u64, Box<str>)>,
    pub(crate) ranges: RangeState,
}

impl GState {
    pub(crate) fn new(status: u8, seq: Seq) -> Self {
        GState {
            status,
            seq,
            regions: Vec::new(),
            ranges: RangeState::default(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct PState {
    pub(crate) status: u8,
    pub(crate) seq: Seq,
    pub(crate) ranges: RangeState,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct MState {
    pub(crate) g: GoId,
    pub(crate) p: ProcId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GcState {
    Undetermined,
    NotRunning,
    Running,
}

#[derive(Debug, Clone)]
pub(crate) struct TaskState {
    pub(crate) name: Arc<str>,
    pub(crate) parent: TaskId,
}

/// Requirement on one part of the scheduling context.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    Not,
    May,
    Must,
}

pub(crate) const USER_GO: [Need; 3] = [Need::Must, Need::Must, Need::Must];

/// Checks `[M, P, G]` requirements.
pub(crate) fn validate(ctx: SchedCtx, reqs: [Need; 3]) -> Result<(), String> {
    let checks = [
        (ctx.m != NO_THREAD, "thread"),
        (ctx.p != NO_PROC, "proc"),
        (ctx.g != NO_GOROUTINE, "goroutine"),
    ];
    for (need, (has, what)) in reqs.into_iter().zip(checks) {
        if need == Need::Must && !has {
            return Err(format!("expected a {what} but didn't have one"));
        }
        if need == Need::Not && has {
            return Err(format!("expected no {what} but had one"));
        }
    }
    Ok(())
}

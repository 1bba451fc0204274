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
    /// Regions and ranges, which few goroutines have: kept out of line so
    /// that the per-goroutine state the scheduler events touch stays small.
    cold: Option<Box<GCold>>,
}

/// The rarely used part of a goroutine's state.
#[derive(Debug, Default)]
pub(crate) struct GCold {
    /// Active user regions: (task, name).
    pub(crate) regions: Vec<(u64, Box<str>)>,
    pub(crate) ranges: RangeState,
}

impl GState {
    pub(crate) fn new(status: u8, seq: Seq) -> Self {
        GState {
            status,
            seq,
            cold: None,
        }
    }

    /// The regions and ranges, created on first use.
    pub(crate) fn cold(&mut self) -> &mut GCold {
        self.cold.get_or_insert_with(Box::default)
    }

    /// The innermost active region, if any.
    pub(crate) fn last_region(&self) -> Option<&(u64, Box<str>)> {
        self.cold.as_ref().and_then(|c| c.regions.last())
    }
}

/// A map from IDs the runtime hands out densely (goroutine and proc IDs) to
/// states: a vector indexed by ID for small IDs, a hash map for the others.
///
/// The vector only grows to cover IDs below a bound proportional to the
/// number of entries ever inserted, so a lying ID cannot make it allocate
/// much; an ID below the vector's length is never in the hash map.
#[derive(Debug)]
pub(crate) struct IdMap<V> {
    dense: Vec<Option<V>>,
    sparse: rustc_hash::FxHashMap<i64, V>,
    inserted: usize,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            dense: Vec::new(),
            sparse: rustc_hash::FxHashMap::default(),
            inserted: 0,
        }
    }
}

#[cold]
fn sparse_mut<V>(m: &mut rustc_hash::FxHashMap<i64, V>, id: i64) -> Option<&mut V> {
    m.get_mut(&id)
}

/// The vector never covers IDs at or above this.
const DENSE_MAX: u64 = 1 << 24;

/// The index of an ID in the dense vector: a negative ID gets one past any
/// vector, which sends it to the sparse map.
#[inline(always)]
fn dense_index(id: i64) -> usize {
    usize::try_from(id).unwrap_or(usize::MAX)
}

impl<V> IdMap<V> {
    #[inline(always)]
    pub(crate) fn get(&self, id: i64) -> Option<&V> {
        match self.dense.get(dense_index(id)) {
            Some(v) => v.as_ref(),
            None => self.get_sparse(id),
        }
    }

    #[cold]
    fn get_sparse(&self, id: i64) -> Option<&V> {
        self.sparse.get(&id)
    }

    #[inline(always)]
    pub(crate) fn get_mut(&mut self, id: i64) -> Option<&mut V> {
        let i = dense_index(id);
        if i < self.dense.len() {
            self.dense[i].as_mut()
        } else {
            sparse_mut(&mut self.sparse, id)
        }
    }

    #[inline]
    pub(crate) fn contains_key(&self, id: i64) -> bool {
        self.get(id).is_some()
    }

    pub(crate) fn insert(&mut self, id: i64, v: V) {
        self.inserted = self.inserted.saturating_add(1);
        let u = dense_index(id);
        if u >= self.dense.len()
            && (u as u64) < DENSE_MAX
            && (u as u64) < (self.inserted as u64).saturating_mul(4) + 1024
        {
            let new_len = (u + 1).next_power_of_two().max(64);
            self.dense.resize_with(new_len, || None);
            if !self.sparse.is_empty() {
                let moved: Vec<i64> = self
                    .sparse
                    .keys()
                    .copied()
                    .filter(|&k| dense_index(k) < new_len)
                    .collect();
                for k in moved {
                    self.dense[dense_index(k)] = self.sparse.remove(&k);
                }
            }
        }
        match self.dense.get_mut(u) {
            Some(slot) => *slot = Some(v),
            None => {
                self.sparse.insert(id, v);
            }
        }
    }

    /// The entry for `id`, inserted with `make` if missing.
    #[inline]
    pub(crate) fn get_or_insert_with(&mut self, id: i64, make: impl FnOnce() -> V) -> &mut V {
        let i = dense_index(id);
        if i < self.dense.len() && self.dense[i].is_some() {
            return self.dense[i].as_mut().expect("checked");
        }
        if !self.contains_key(id) {
            self.insert(id, make());
        }
        self.get_mut(id).expect("inserted")
    }

    /// Every value, mutably (in no particular order).
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.dense
            .iter_mut()
            .filter_map(Option::as_mut)
            .chain(self.sparse.values_mut())
    }

    /// Every entry, emptying the map (in no particular order).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (i64, V)> + '_ {
        let dense = self
            .dense
            .iter_mut()
            .enumerate()
            // Dense indices are below DENSE_MAX.
            .filter_map(|(i, v)| v.take().map(|v| (i64::try_from(i).unwrap_or(i64::MAX), v)));
        dense.chain(self.sparse.drain())
    }

    pub(crate) fn remove(&mut self, id: i64) -> Option<V> {
        match self.dense.get_mut(dense_index(id)) {
            Some(v) => v.take(),
            None => self.sparse.remove(&id),
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

/// Thread states. Thread IDs are the OS's, so they are neither small nor
/// dense: states live in a vector of slots that are never removed, found by
/// ID through a hash map, and each thread's cursor remembers its slot.
#[derive(Debug, Default)]
pub(crate) struct MStates {
    slots: Vec<(ThreadId, MState)>,
    index: rustc_hash::FxHashMap<ThreadId, u32>,
}

impl MStates {
    /// The slot of thread `m`, created (without goroutine and proc) if new.
    pub(crate) fn slot(&mut self, m: ThreadId) -> u32 {
        // Threads of one trace: far fewer than 2^32 (saturating).
        let n = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        let i = *self.index.entry(m).or_insert(n);
        if i == n {
            self.slots.push((
                m,
                MState {
                    g: NO_GOROUTINE,
                    p: NO_PROC,
                },
            ));
        }
        i
    }

    #[inline]
    pub(crate) fn at(&mut self, slot: u32) -> &mut MState {
        &mut self.slots[slot as usize].1
    }

    pub(crate) fn get(&self, m: ThreadId) -> Option<&MState> {
        self.index.get(&m).map(|&i| &self.slots[i as usize].1)
    }

    pub(crate) fn get_mut(&mut self, m: ThreadId) -> Option<&mut MState> {
        self.index.get(&m).map(|&i| &mut self.slots[i as usize].1)
    }

    pub(crate) fn insert(&mut self, m: ThreadId, s: MState) {
        let i = self.slot(m);
        *self.at(i) = s;
    }

    /// A thread holding proc `p`, if any.
    pub(crate) fn find_proc(&self, p: ProcId) -> Option<(ThreadId, MState)> {
        self.slots.iter().find(|(_, ms)| ms.p == p).copied()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_map_is_a_map() {
        let mut m = IdMap::default();
        // Far IDs first go to the hash map, then move into the vector once
        // it grows past them.
        m.insert(5000, "far");
        m.insert(-3, "negative");
        m.insert(i64::MAX, "huge");
        for i in 0..4200 {
            m.insert(i, "near");
        }
        assert!(m.dense.len() > 5000 && !m.sparse.contains_key(&5000));
        assert_eq!(m.get(5000), Some(&"far"));
        assert_eq!(m.get(-3), Some(&"negative"));
        assert_eq!(m.get(i64::MAX), Some(&"huge"));
        assert_eq!(m.get(4199), Some(&"near"));
        assert_eq!(m.get(4200), None);
        assert!(!m.contains_key(4999));
        *m.get_mut(5000).unwrap() = "changed";
        assert_eq!(m.remove(5000), Some("changed"));
        assert_eq!(m.remove(5000), None);
        assert_eq!(m.remove(-3), Some("negative"));
        assert!(m.get(-3).is_none());
        assert!(m.dense.len() < 1 << 14, "{}", m.dense.len());
    }

    #[test]
    fn id_map_does_not_grow_for_lying_ids() {
        let mut m = IdMap::default();
        m.insert(1 << 40, 1u8);
        m.insert(1 << 23, 2u8);
        assert!(m.dense.is_empty());
        assert_eq!(m.get(1 << 23), Some(&2));
    }

    #[test]
    fn thread_slots_are_stable() {
        let mut ms = MStates::default();
        let a = ms.slot(123_456);
        let b = ms.slot(7);
        assert_eq!(ms.slot(123_456), a);
        ms.at(b).p = 3;
        ms.insert(99, MState { g: 5, p: NO_PROC });
        assert_eq!(ms.get(7).map(|s| s.p), Some(3));
        assert_eq!(ms.find_proc(3).map(|(m, _)| m), Some(7));
        assert_eq!(ms.get_mut(99).map(|s| s.g), Some(5));
        assert!(ms.get(8).is_none());
    }
}

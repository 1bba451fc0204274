//! The event reader: generations in, ordered events out.

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

use crate::batch::Batch;
use crate::error::{BatchRef, Error, Problem, Result};
use crate::event::*;
use crate::generation::{CpuSample, GenReader, Generation};
use crate::input::{Input, SliceCursor};
use crate::order::Ordering;
use crate::spec::EventType;
use crate::table::Table;
use crate::version::{parse_header, Version, HEADER_LEN};

/// The read position in one thread's batches of a generation.
#[derive(Debug, Clone)]
struct Cursor {
    /// Index into `Reader::batches`.
    thread_idx: usize,
    m: ThreadId,
    /// The thread's slot in the ordering's thread states (`u32::MAX`: not
    /// looked up yet).
    m_slot: u32,
    idx: usize,
    data_off: usize,
    last_ts: Time,
    ev: BaseEvent,
    ev_offset: u64,
}

/// Per type byte: the number of arguments after `dt` of a timed event type
/// valid in the trace's version, or [`NOT_TIMED`].
type ArgCounts = [u8; 256];
const NOT_TIMED: u8 = u8::MAX;

fn arg_counts(version: Version) -> Box<ArgCounts> {
    let mut a = Box::new([NOT_TIMED; 256]);
    for b in 0..=255u8 {
        if let Some(t) = EventType::from_u8(b).filter(|t| t.valid_in(version)) {
            let spec = t.spec();
            if spec.timed && spec.args.len() <= 5 {
                // At most 4: checked just above.
                a[usize::from(b)] = u8::try_from(spec.args.len() - 1).unwrap_or(u8::MAX);
            }
        }
    }
    a
}

/// Enough bytes for a type byte and five varints of at most 10 bytes: with
/// this many left, decoding needs no bounds checks of its own.
const FAST_DECODE_BYTES: usize = 1 + 5 * 10;

/// A varint from `buf[*p..]`, which has at least 10 bytes; `None` if it is
/// malformed (the slow path then reports it).
#[inline(always)]
fn fast_uvarint(buf: &[u8], p: &mut usize) -> Option<u64> {
    let b = buf[*p];
    if b < 0x80 {
        *p += 1;
        return Some(u64::from(b));
    }
    let mut x = u64::from(b & 0x7f);
    let mut shift = 7;
    for i in 1..10 {
        let b = buf[*p + i];
        if b < 0x80 {
            if i == 9 && b > 1 {
                return None;
            }
            *p += i + 1;
            return Some(x | (u64::from(b) << shift));
        }
        x |= u64::from(b & 0x7f) << shift;
        shift += 7;
    }
    None
}

impl Cursor {
    /// Reads the thread's next event; `false` when it has none left.
    #[inline(always)]
    fn next_event(
        &mut self,
        batches: &[Batch],
        table: &Table,
        counts: &ArgCounts,
        version: Version,
    ) -> Result<bool> {
        match self.next_event_value(batches, table, counts, version)? {
            Some(ev) => {
                self.ev = ev;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Reads the thread's next event and returns it without storing it in
    /// `self.ev` (the caller does, unless it advances the event at once);
    /// `None` when it has none left.
    #[inline(always)]
    fn next_event_value(
        &mut self,
        batches: &[Batch],
        table: &Table,
        counts: &ArgCounts,
        version: Version,
    ) -> Result<Option<BaseEvent>> {
        // The fast path: inside a batch, well away from its end, an event of
        // a known timed type with well-formed varints.
        if let Some(b) = batches.get(self.idx) {
            let data = &b.data[..];
            let pos = self.data_off;
            if self.last_ts != 0 && data.len().saturating_sub(pos) >= FAST_DECODE_BYTES {
                let typ = data[pos];
                let n = counts[typ as usize];
                if n != NOT_TIMED {
                    let mut p = pos + 1;
                    if let Some(ev) = decode_fast(data, &mut p, typ, n, table, self.last_ts) {
                        self.last_ts = ev.time;
                        self.ev_offset = b.data_offset + pos as u64;
                        self.data_off = p;
                        return Ok(Some(ev));
                    }
                }
            }
        }
        Ok(self
            .next_event_slow(batches, table, version)?
            .then_some(self.ev))
    }

    /// The batch the current event was read from.
    fn ev_batch(&self, batches: &[Batch], gen: u64) -> BatchRef {
        batches.get(self.idx).map_or(
            BatchRef {
                offset: 0,
                gen,
                thread: self.m,
            },
            |b| b.at,
        )
    }

    /// Reads the thread's next event, handling batch ends and reporting
    /// malformed events.
    #[cold]
    fn next_event_slow(
        &mut self,
        batches: &[Batch],
        table: &Table,
        version: Version,
    ) -> Result<bool> {
        while self.idx < batches.len() && batches[self.idx].data.len() == self.data_off {
            self.idx += 1;
            self.data_off = 0;
            self.last_ts = 0;
        }
        let Some(b) = batches.get(self.idx) else {
            return Ok(false);
        };
        if self.last_ts == 0 {
            self.last_ts = table.ns(b.time);
        }
        let mut cur = SliceCursor::new(&b.data, b.data_offset, Some(b.at));
        cur.pos = self.data_off;
        let offset = cur.offset();
        let t = cur.byte("event")?;
        let typ = EventType::from_u8(t)
            .filter(|e| e.valid_in(version))
            .ok_or_else(|| {
                Error::malformed(
                    offset,
                    Some(b.at),
                    Problem::BadEventType {
                        typ: t,
                        version: version.minor(),
                    },
                )
            })?;
        let spec = typ.spec();
        if !spec.timed {
            return Err(Error::malformed(
                offset,
                Some(b.at),
                Problem::Unexpected {
                    expected: "a timed event",
                    found: t,
                },
            ));
        }
        let dt = cur.uvarint("event timestamp")?;
        let mut args = [0u64; 4];
        for a in args.iter_mut().take(spec.args.len() - 1) {
            *a = cur.uvarint("event argument")?;
        }
        self.ev = BaseEvent {
            typ: t,
            time: table.ns(dt).wrapping_add(self.last_ts),
            args,
        };
        self.last_ts = self.ev.time;
        self.ev_offset = offset;
        self.data_off = cur.pos;
        Ok(true)
    }
}

/// Decodes `dt` and `n` arguments at `data[*p..]` (enough bytes are there).
#[inline(always)]
fn decode_fast(
    data: &[u8],
    p: &mut usize,
    typ: u8,
    n: u8,
    table: &Table,
    last_ts: Time,
) -> Option<BaseEvent> {
    let dt = fast_uvarint(data, p)?;
    let mut args = [0u64; 4];
    for a in args.iter_mut().take(n as usize) {
        *a = fast_uvarint(data, p)?;
    }
    Some(BaseEvent {
        typ,
        time: table.ns_delta(dt).wrapping_add(last_ts),
        args,
    })
}

/// A heap entry: the time of a cursor's next event and the cursor's index
/// in `Reader::cursors`. The heap moves these 16-byte entries, not the
/// cursors.
#[derive(Debug, Clone, Copy)]
struct Head {
    time: Time,
    idx: usize,
}

// A binary min-heap on the time of each cursor's next event, with exactly
// the sift rules of Go's reader so that ties resolve the same way.
#[inline]
fn sift_up(h: &mut [Head], mut i: usize) -> usize {
    while i > 0 && h[(i - 1) / 2].time > h[i].time {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    i
}

#[inline]
fn sift_down(h: &mut [Head], i: usize) {
    if let Some(&Head { time, idx }) = h.get(i) {
        sift_down_with(h, i, time, idx);
    }
}

/// Puts `Head { time, idx }` at `h[i]` and sifts it down: the same moves as
/// swapping it down child by child (so the same heap, ties included), but
/// the entry stays in registers and each child moves up with one store.
/// (Swapping reloaded `h[i]` right after the caller stored its time: a
/// 16-byte load over an 8-byte store, which stalls; ~18 % of the reader.)
#[inline(always)]
fn sift_down_with(h: &mut [Head], mut i: usize, time: Time, idx: usize) {
    let n = h.len();
    loop {
        let l = 2 * i + 1;
        if l >= n {
            break;
        }
        let (mut m, mut min_t) = (i, time);
        if h[l].time < min_t {
            (m, min_t) = (l, h[l].time);
        }
        if l + 1 < n && h[l + 1].time < min_t {
            m = l + 1;
        }
        if m == i {
            break;
        }
        h[i] = h[m];
        i = m;
    }
    h[i] = Head { time, idx };
}

fn heap_insert(h: &mut Vec<Head>, c: Head) {
    h.push(c);
    let n = h.len() - 1;
    sift_up(h, n);
}

fn heap_update(h: &mut [Head], i: usize) {
    if sift_up(h, i) == i {
        sift_down(h, i);
    }
}

fn heap_remove(h: &mut Vec<Head>, mut i: usize) {
    while i > 0 {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    let last = h.len() - 1;
    h.swap(0, last);
    h.pop();
    sift_down(h, 0);
}

/// Sorts by time like Go's `slices.SortFunc` does for small slices
/// (insertion sort, which is stable); larger slices use a stable sort.
fn sort_frontier(h: &mut [Head]) {
    if h.len() <= 12 {
        for i in 1..h.len() {
            let mut j = i;
            while j > 0 && h[j].time < h[j - 1].time {
                h.swap(j, j - 1);
                j -= 1;
            }
        }
    } else {
        h.sort_by_key(|c| c.time);
    }
}

/// At most this many events are advanced in one [`Reader::fill_fast`].
const RUN_MAX: usize = 64;

/// Reads a Go execution trace and produces its events in order.
///
/// The order is the one Go's own reader (`internal/trace`) produces: a
/// `Sync` event starts every generation and ends the trace; in between,
/// events of all threads are merged by timestamp subject to the partial
/// order of the scheduler's state machine. Times strictly increase.
///
/// Only one generation (about a second of execution) is held in memory.
pub struct Reader<R> {
    gens: GenReader<R>,
    version: Version,
    last_ts: Time,
    have_gen: bool,
    table: Option<Arc<Table>>,
    gen_no: u64,
    batches: Vec<(ThreadId, Vec<Batch>)>,
    frontier: Vec<Head>,
    /// The cursors of the current generation (the heap refers to them).
    cursors: Vec<Cursor>,
    cpu_samples: VecDeque<CpuSample>,
    order: Ordering,
    /// The next slot of `order.out` to hand out.
    out_pos: usize,
    /// Argument counts of the version's timed event types, by type byte.
    counts: Box<ArgCounts>,
    /// Which arguments are stack IDs (bits 0-3) and string IDs (bits 4-7),
    /// by type byte.
    id_masks: Box<[u8; 256]>,
    syncs: u64,
    read_gen_err: Option<Error>,
    spill_err: Option<Error>,
    spill_err_sync: bool,
    /// An error met by [`Reader::fill_fast`] after the events it queued.
    pending_err: Option<Error>,
    done: bool,
    /// Unit tests compare the fast paths with the general ones.
    #[cfg(test)]
    fast: bool,
    /// Sync events and CPU samples (events that do not come from the
    /// ordering) while [`Reader::read_event_ref`] lends them out.
    current: Event,
}

/// What advancing a cursor needs besides the ordering, the cursors and the
/// heap.
struct GenCx<'a> {
    batches: &'a [(ThreadId, Vec<Batch>)],
    table: &'a Table,
    counts: &'a ArgCounts,
    version: Version,
    gen: u64,
}

/// Tries to advance the next event of the cursor at `frontier[i]`; on
/// success its events are in `order.out` and the cursor has moved on.
#[inline]
fn try_advance(
    order: &mut Ordering,
    cursors: &mut [Cursor],
    frontier: &mut Vec<Head>,
    g: &GenCx<'_>,
    i: usize,
) -> Result<bool> {
    let c = &mut cursors[frontier[i].idx];
    let batches = &g.batches[c.thread_idx].1;
    let ok = order
        .advance(&mut c.ev, g.table, c.m, &mut c.m_slot, g.gen, c.ev_offset)
        .map_err(|detail| Error::Invalid {
            offset: c.ev_offset,
            batch: Some(c.ev_batch(batches, g.gen)),
            detail,
        })?;
    if !ok {
        return Ok(false);
    }
    if c.next_event(batches, g.table, g.counts, g.version)? {
        frontier[i].time = c.ev.time;
        heap_update(frontier, i);
    } else {
        heap_remove(frontier, i);
    }
    Ok(true)
}

fn id_masks() -> Box<[u8; 256]> {
    let mut m = Box::new([0u8; 256]);
    for b in 0..=255u8 {
        if let Some(t) = EventType::from_u8(b) {
            let spec = t.spec();
            for &i in spec.stack_ids {
                m[b as usize] |= 1 << (i - 1);
            }
            for &i in spec.string_ids {
                m[b as usize] |= 16 << (i - 1);
            }
        }
    }
    m
}

impl<R: BufRead> Reader<R> {
    /// Reads the header. Fails for traces older than Go 1.22.
    pub fn new(r: R) -> Result<Self> {
        let mut input = Input::new(r);
        let h = input
            .bytes(HEADER_LEN as u64, "header", None)
            .map_err(|e| match e {
                Error::Truncated { .. } => Error::BadHeader {
                    found: String::new(),
                },
                e => e,
            })?;
        let version = parse_header(&h)?;
        Ok(Reader {
            gens: GenReader::new(input, version),
            version,
            last_ts: 0,
            have_gen: false,
            table: None,
            gen_no: 0,
            batches: Vec::new(),
            frontier: Vec::new(),
            cursors: Vec::new(),
            cpu_samples: VecDeque::new(),
            order: Ordering::new(),
            out_pos: 0,
            counts: arg_counts(version),
            id_masks: id_masks(),
            syncs: 0,
            read_gen_err: None,
            spill_err: None,
            spill_err_sync: false,
            pending_err: None,
            done: false,
            #[cfg(test)]
            fast: true,
            current: Event {
                table: None,
                ctx: SchedCtx::NONE,
                base: BaseEvent {
                    typ: EV_SYNC,
                    time: 0,
                    args: [0; 4],
                },
                task_type: None,
                offset: 0,
            },
        })
    }

    /// The trace's format version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Bytes of the input read so far (whole generations are read at once,
    /// so this moves in steps of a generation).
    pub fn position(&self) -> u64 {
        self.gens.input.pos()
    }

    /// The next event, or `None` at the end of the trace.
    pub fn read_event(&mut self) -> Result<Option<Event>> {
        Ok(self.read_event_ref()?.cloned())
    }

    /// The next event, lent out until the next call: like
    /// [`Reader::read_event`] without copying the event (and its reference to
    /// the generation's tables), which makes it the faster way to stream a
    /// trace.
    #[inline]
    pub fn read_event_ref(&mut self) -> Result<Option<&Event>> {
        // Events left from the last advance come first (a small function
        // for the most common case, without the frame of the others).
        if self.out_pos < self.order.out_len && !self.done {
            self.out_pos += 1;
            return self.lend(true);
        }
        self.read_event_ref_next()
    }

    /// [`Reader::read_event_ref`] when nothing is left from the last advance.
    #[inline(never)]
    fn read_event_ref_next(&mut self) -> Result<Option<&Event>> {
        if self.done {
            return Ok(None);
        }
        let queued = match self.fill_fast() {
            Ok(true) => true,
            Ok(false) => match self.fill() {
                Ok(q) => q,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            },
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        self.lend(queued)
    }

    /// Hands out the event [`Reader::fill`] made ready.
    #[inline(always)]
    fn lend(&mut self, queued: bool) -> Result<Option<&Event>> {
        let mut ids_ok = false;
        let ev = if queued {
            let i = self.out_pos - 1;
            ids_ok = (self.order.out_ids_ok >> (i & 63)) & 1 != 0;
            let ev = &mut self.order.out[i];
            // Same generation as the slot's previous event, almost always:
            // keep the table reference instead of counting it again.
            let same = match (&ev.table, &self.table) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            if !same {
                ev.table = self.table.clone();
            }
            ev
        } else {
            &mut self.current
        };
        if !ids_ok {
            if let Err(e) = check_ids(ev, &self.id_masks) {
                self.done = true;
                return Err(e);
            }
        }
        if ev.base.time <= self.last_ts {
            ev.base.time = self.last_ts.saturating_add(1);
        }
        self.last_ts = ev.base.time;
        Ok(Some(ev))
    }

    /// The common case of [`Reader::fill`]: no event left from the last
    /// advance, no CPU sample due, and the earliest event of the frontier is
    /// one [`Ordering::fast_advance`] takes. `Ok(true)`: the next events are
    /// in `order.out`; `Ok(false)`: nothing changed, take the general path.
    ///
    /// While the same thread's next event stays the earliest (it usually
    /// does for a few events) and is again one `fast_advance` takes, it is
    /// advanced in the same call, up to [`RUN_MAX`] events: exactly what
    /// the next calls would do, with the thread's state kept at hand. An
    /// error reading the thread's next event is held back until the events
    /// before it have been handed out, as it would have come after them.
    #[inline(always)]
    fn fill_fast(&mut self) -> Result<bool> {
        #[cfg(test)]
        if !self.fast {
            return Ok(false);
        }
        if self.out_pos < self.order.out_len || self.pending_err.is_some() {
            return Ok(false);
        }
        let Some(&head) = self.frontier.first() else {
            return Ok(false);
        };
        // A CPU sample earlier than the next event comes first.
        let sample_at = self.cpu_samples.front().map_or(Time::MAX, |s| s.time);
        if sample_at < head.time {
            return Ok(false);
        }
        let Some(table) = self.table.as_deref() else {
            return Ok(false);
        };
        let c = &mut self.cursors[head.idx];
        // The thread's first event ever goes through `advance`, which
        // gives it its slot.
        if c.m_slot == u32::MAX {
            return Ok(false);
        }
        let order = &mut self.order;
        let mut ms = *order.m_states.at(c.m_slot);
        order.out_len = 0;
        order.out_ids_ok = 0;
        if !order.fast_advance(&c.ev, c.m, &mut ms, table, self.gen_no, c.ev_offset) {
            return Ok(false);
        }
        // The cursor stays at the top of the heap while its next event is
        // no later than its children's (and no CPU sample comes before it).
        let f = &mut self.frontier;
        let mut bound = sample_at;
        for h in f.iter().skip(1).take(2) {
            bound = bound.min(h.time);
        }
        let batches = &self.batches[c.thread_idx].1;
        let counts = &*self.counts;
        let m = c.m;
        // The cursor's read position in locals (registers) for the run: in
        // memory, each event's decoding would wait for the store of the
        // previous one's position. Written back whenever the cursor's own
        // methods run and when the run ends.
        let (mut pos, mut last_ts, mut ev_offset) = (c.data_off, c.last_ts, c.ev_offset);
        // One decoded event: stop the run before it if it is later than the
        // bound (or the run is full), else advance it; `break`s the loop when
        // the run ends. A macro rather than a function so that the fast
        // path's event stays in registers (an event passed through memory,
        // as one `Result<Option<BaseEvent>>` for both paths, stalled the
        // loads that read it back).
        macro_rules! take {
            ($ev:expr) => {{
                let ev: BaseEvent = $ev;
                let t = ev.time;
                if t > bound || order.out_len >= RUN_MAX {
                    c.ev = ev;
                    let idx = f[0].idx;
                    sift_down_with(f, 0, t, idx);
                    break;
                }
                // (Advanced, the event needs no place in the cursor.)
                if !order.fast_advance(&ev, m, &mut ms, table, self.gen_no, ev_offset) {
                    c.ev = ev;
                    f[0].time = t;
                    break;
                }
            }};
        }
        loop {
            // `Cursor::next_event_value`'s fast path, on the locals.
            if let Some(b) = batches.get(c.idx) {
                if last_ts != 0 && b.data.len().saturating_sub(pos) >= FAST_DECODE_BYTES {
                    let data = &b.data[..];
                    let typ = data[pos];
                    let n = counts[typ as usize];
                    let mut p = pos + 1;
                    if n != NOT_TIMED {
                        if let Some(ev) = decode_fast(data, &mut p, typ, n, table, last_ts) {
                            last_ts = ev.time;
                            ev_offset = b.data_offset + pos as u64;
                            pos = p;
                            take!(ev);
                            continue;
                        }
                    }
                }
            }
            (c.data_off, c.last_ts, c.ev_offset) = (pos, last_ts, ev_offset);
            let r = c.next_event_value(batches, table, counts, self.version);
            (pos, last_ts, ev_offset) = (c.data_off, c.last_ts, c.ev_offset);
            match r {
                Ok(Some(ev)) => take!(ev),
                Ok(None) => {
                    heap_remove(f, 0);
                    break;
                }
                Err(e) => {
                    *order.m_states.at(c.m_slot) = ms;
                    if order.out_len == 1 {
                        return Err(e);
                    }
                    // The event just advanced is not handed out: the error
                    // comes instead, after the ones before it.
                    order.out_len -= 1;
                    self.pending_err = Some(e);
                    break;
                }
            }
        }
        (c.data_off, c.last_ts, c.ev_offset) = (pos, last_ts, ev_offset);
        *order.m_states.at(c.m_slot) = ms;
        self.out_pos = 1;
        Ok(true)
    }

    /// Makes the next event ready: `true` if it is the slot
    /// `order.out[out_pos - 1]`, `false` if it is `current`.
    #[inline(never)]
    fn fill(&mut self) -> Result<bool> {
        if self.out_pos < self.order.out_len {
            self.out_pos += 1;
            return Ok(true);
        }
        if let Some(e) = self.pending_err.take() {
            return Err(e);
        }
        self.order.out_len = 0;
        self.order.out_ids_ok = 0;
        self.out_pos = 0;
        match self.next_inner()? {
            Some(ev) => {
                self.current = ev;
                Ok(false)
            }
            None if self.order.out_len > 0 => {
                self.out_pos = 1;
                Ok(true)
            }
            None => Err(Error::Invalid {
                offset: self.gens.input.pos(),
                batch: None,
                detail: "internal error: advanced, but no event queued".into(),
            }),
        }
    }

    fn sync(&mut self, table: Option<Arc<Table>>, time: Time) -> Event {
        self.syncs += 1;
        Event {
            table,
            ctx: SchedCtx::NONE,
            base: BaseEvent {
                typ: EV_SYNC,
                time,
                args: [self.syncs, 0, 0, 0],
            },
            task_type: None,
            offset: 0,
        }
    }

    /// The next event that does not come from the ordering (sync events,
    /// CPU samples), or `None` when the ordering advanced and put its
    /// events into `order.out`.
    fn next_inner(&mut self) -> Result<Option<Event>> {
        if self.frontier.is_empty() && self.cpu_samples.is_empty() {
            // The generation is done: free its batches and tables before
            // reading the next one, so only one is ever in memory (the
            // batches' buffers are reused for the next one).
            for (_, batches) in std::mem::take(&mut self.batches) {
                for b in batches {
                    self.gens.input.recycle(b.data);
                }
            }
            self.table = None;
            self.current.table = None;
            for e in &mut self.order.out {
                e.table = None;
            }
            if self.version < Version::Go126 {
                return self.next_gen_with_spill().map(Some);
            }
            if let Some(e) = self.read_gen_err.take() {
                return Err(e);
            }
            return match self.gens.read_generation() {
                Err(e) => {
                    // Close the generation read so far, then report.
                    self.read_gen_err = Some(e);
                    self.have_gen = false;
                    Ok(Some(self.sync(None, self.last_ts)))
                }
                Ok(g) => self.install_gen(g).map(Some),
            };
        }
        let owned;
        let table = match &self.table {
            Some(t) => t,
            None => {
                owned = Arc::default();
                &owned
            }
        };
        if let Some(s) = self.cpu_samples.front() {
            let s = *s;
            let first = match self.frontier.first() {
                None => true,
                Some(c) => s.time < c.time,
            };
            if first {
                self.cpu_samples.pop_front();
                return Ok(Some(Event {
                    table: Some(table.clone()),
                    ctx: SchedCtx {
                        g: s.g,
                        p: s.p,
                        m: s.m,
                    },
                    base: BaseEvent {
                        typ: EventType::CpuSample as u8,
                        time: s.time,
                        args: [s.stack, 0, 0, 0],
                    },
                    task_type: None,
                    offset: s.offset,
                }));
            }
        }
        if self.frontier.is_empty() {
            return Err(Error::Invalid {
                offset: self.gens.input.pos(),
                batch: None,
                detail: format!(
                    "broken trace: frontier is empty in generation {}",
                    self.gen_no
                ),
            });
        }
        let g = GenCx {
            batches: &self.batches,
            table,
            counts: &self.counts,
            version: self.version,
            gen: self.gen_no,
        };
        let (order, cursors, frontier) = (&mut self.order, &mut self.cursors, &mut self.frontier);
        if try_advance(order, cursors, frontier, &g, 0)? {
            return Ok(None);
        }
        sort_frontier(frontier);
        for i in 1..frontier.len() {
            if try_advance(order, cursors, frontier, &g, i)? {
                return Ok(None);
            }
        }
        let c = &self.cursors[self.frontier[0].idx];
        Err(Error::Invalid {
            offset: c.ev_offset,
            batch: Some(c.ev_batch(&self.batches[c.thread_idx].1, self.gen_no)),
            detail: format!(
                "broken trace: no thread's next event can happen (generation {}): {}",
                self.gen_no,
                self.dump_frontier()
            ),
        })
    }

    fn dump_frontier(&self) -> String {
        let mut parts = Vec::new();
        for h in &self.frontier {
            let c = &self.cursors[h.idx];
            let t = EventType::from_u8(c.ev.typ);
            let spec = t.map(|t| t.spec());
            let mut s = format!(
                "M {} [{} time={}",
                c.m,
                spec.map_or("?", |s| s.name),
                c.ev.time
            );
            for (name, v) in spec.map_or(&[][..], |s| &s.args[1..]).iter().zip(c.ev.args) {
                s.push_str(&format!(" {name}={v}"));
            }
            s.push(']');
            parts.push(s);
        }
        parts.join(", ")
    }

    fn next_gen_with_spill(&mut self) -> Result<Event> {
        if self.spill_err.is_some() {
            if self.spill_err_sync {
                return Err(self.spill_err.take().expect("checked"));
            }
            self.spill_err_sync = true;
            return Ok(self.sync(None, self.last_ts));
        }
        if self.have_gen && !self.gens.has_more() {
            self.done_sync()
        } else {
            let s = self.gens.read_generation_spilled();
            self.spill_err = s.err;
            match s.gen {
                None => {
                    self.have_gen = false;
                    self.spill_err_sync = true;
                    Ok(self.sync(None, self.last_ts))
                }
                Some(g) => self.install_gen(Some(g)),
            }
        }
    }

    /// The final sync event; the reader is done after it.
    fn done_sync(&mut self) -> Result<Event> {
        self.done = true;
        self.table = None;
        self.batches.clear();
        self.frontier.clear();
        self.cursors.clear();
        Ok(self.sync(None, self.last_ts))
    }

    fn install_gen(&mut self, g: Option<Generation>) -> Result<Event> {
        let Some(g) = g else {
            return self.done_sync();
        };
        self.have_gen = true;
        self.gen_no = g.gen;
        self.table = Some(g.table.clone());
        self.cpu_samples = g.cpu_samples.into();
        self.batches = g.batches;
        self.frontier.clear();
        self.cursors.clear();
        for (thread_idx, (m, batches)) in self.batches.iter().enumerate() {
            let mut c = Cursor {
                thread_idx,
                m: *m,
                m_slot: u32::MAX,
                idx: 0,
                data_off: 0,
                last_ts: 0,
                ev: BaseEvent {
                    typ: 0,
                    time: 0,
                    args: [0; 4],
                },
                ev_offset: 0,
            };
            if c.next_event(batches, &g.table, &self.counts, self.version)? {
                let head = Head {
                    time: c.ev.time,
                    idx: self.cursors.len(),
                };
                self.cursors.push(c);
                heap_insert(&mut self.frontier, head);
            }
        }
        let time = g.table.ns(g.min_ts);
        Ok(self.sync(Some(g.table), time))
    }
}

/// [`validate_ids`] with a fast path: IDs within the dense range of the
/// tables need no look-up.
#[inline]
fn check_ids(ev: &Event, masks: &[u8; 256]) -> Result<()> {
    let m = masks[ev.base.typ as usize];
    if m == 0 {
        return Ok(());
    }
    let Some(t) = ev.table.as_deref() else {
        return Ok(());
    };
    let mut ok = true;
    for (i, &a) in ev.base.args.iter().enumerate() {
        if m & (1 << i) != 0 && a > t.dense_stacks {
            ok = false;
        }
        if m & (16 << i) != 0 && a > t.dense_strings {
            ok = false;
        }
    }
    if ok {
        Ok(())
    } else {
        validate_ids(ev)
    }
}

/// Checks that the string and stack IDs an event refers to exist in its
/// generation's tables.
fn validate_ids(ev: &Event) -> Result<()> {
    let (Some(t), Some(table)) = (ev.wire_type(), ev.table.as_deref()) else {
        return Ok(());
    };
    let spec = t.spec();
    for &i in spec.stack_ids {
        let id = ev.base.args[i - 1];
        if !table.has_stack(id) {
            return Err(unknown_id(ev, "stack", id, spec.name));
        }
    }
    for &i in spec.string_ids {
        let id = ev.base.args[i - 1];
        if !table.has_string(id) {
            return Err(unknown_id(ev, "string", id, spec.name));
        }
    }
    Ok(())
}

fn unknown_id(ev: &Event, table: &'static str, id: u64, by: &str) -> Error {
    Error::malformed(
        ev.offset,
        None,
        Problem::UnknownId {
            table,
            id,
            by: format!("a {by} event"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    impl<R: BufRead> Reader<R> {
        /// The reader with only the general paths: the general ordering
        /// and the checked decoder.
        fn without_fast_paths(mut self) -> Self {
            self.fast = false;
            self.counts = Box::new([NOT_TIMED; 256]);
            self
        }
    }

    /// Every event (printed like `go tool trace -d=parsed`) and the error
    /// that ends the stream, if any.
    fn stream(bytes: &[u8], fast: bool) -> Vec<String> {
        let mut out = Vec::new();
        let mut r = match Reader::new(bytes) {
            Ok(r) if fast => r,
            Ok(r) => r.without_fast_paths(),
            Err(e) => return vec![format!("{e:?}")],
        };
        loop {
            match r.read_event_ref() {
                Ok(Some(ev)) => out.push(format!("{ev} @{}", ev.offset())),
                Ok(None) => return out,
                Err(e) => {
                    out.push(format!("{e} {e:?}"));
                    return out;
                }
            }
        }
    }

    fn captured_traces() -> Vec<Vec<u8>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured");
        let mut out = Vec::new();
        for d in std::fs::read_dir(root).into_iter().flatten().flatten() {
            for f in std::fs::read_dir(d.path().join("traces"))
                .into_iter()
                .flatten()
                .flatten()
            {
                if f.path().extension().is_some_and(|e| e == "trace") {
                    out.push(std::fs::read(f.path()).unwrap());
                }
            }
        }
        out
    }

    /// The fast paths (unchecked decoding, `fast_advance`, runs of one
    /// thread's events) must give exactly what the general paths give, events
    /// and errors, on real traces and on damaged copies of them.
    #[test]
    fn fast_paths_match_the_general_ones() {
        let traces = captured_traces();
        let mut compared = 0;
        for t in traces.iter().filter(|t| t.len() < 64 << 10) {
            assert_eq!(stream(t, true), stream(t, false));
            let step = (t.len() / 20).max(1);
            for at in (0..t.len()).step_by(step) {
                assert_eq!(stream(&t[..at], true), stream(&t[..at], false));
                for x in [0x01u8, 0x80, 0xff] {
                    let mut d = t.clone();
                    d[at] ^= x;
                    assert_eq!(stream(&d, true), stream(&d, false), "byte {at} ^ {x:#x}");
                    compared += 1;
                }
            }
        }
        assert!(traces.is_empty() || compared > 500, "{compared}");
    }
}

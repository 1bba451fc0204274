//! Per-generation tables: strings, stacks, frames, clock data.

use rustc_hash::FxHashMap;

use crate::error::{BatchRef, Problem, Result};
use crate::input::SliceCursor;
use crate::spec::{EventType, MAX_FRAMES_PER_STACK, MAX_STRING_SIZE};

/// A frame as stored in the stack table (string IDs unresolved).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawFrame {
    pub(crate) func: u64,
    pub(crate) file: u64,
    pub(crate) line: u64,
}

/// A clock snapshot as read from a Go 1.25+ sync batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawClock {
    pub(crate) ticks: u64,
    pub(crate) mono: u64,
    pub(crate) sec: u64,
    pub(crate) nsec: u64,
}

/// A batch of an experiment's data, kept unparsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentalBatch {
    /// Experiment number (1: AllocFree).
    pub experiment: u8,
    /// Thread that wrote it.
    pub thread: i64,
    /// The raw payload.
    pub data: Vec<u8>,
}

/// Everything needed to interpret the events of one generation.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) gen: u64,
    pub(crate) strings: FxHashMap<u64, Box<str>>,
    pub(crate) stacks: FxHashMap<u64, Box<[u64]>>,
    pub(crate) frames: FxHashMap<u64, RawFrame>,
    /// Nanoseconds per tick; 0 until the frequency event is seen.
    pub(crate) freq: f64,
    pub(crate) clock: Option<RawClock>,
    pub(crate) experimental: Vec<ExperimentalBatch>,
    /// When the stack IDs are exactly 1..=n (as the runtime writes them): n,
    /// so [`Table::has_stack`] needs no lookup; 0 otherwise.
    pub(crate) dense_stacks: u64,
    /// Same for string IDs.
    pub(crate) dense_strings: u64,
    /// When `freq` is a whole number of nanoseconds per tick (64 on Linux):
    /// that number, and `ticks * ns_per_tick` equals [`Table::ns`] for ticks
    /// below `exact_below` (the product is then exact in a float). 0 if not.
    pub(crate) ns_per_tick: u64,
    pub(crate) exact_below: u64,
}

impl Table {
    /// Converts ticks to nanoseconds exactly as Go does (float64 multiply,
    /// truncation).
    #[allow(
        clippy::cast_possible_truncation,
        reason = "Go's own int64(float64) conversion: truncation toward zero, kept bit for bit"
    )]
    pub(crate) fn ns(&self, ticks: u64) -> i64 {
        (go_float64(ticks) * self.freq) as i64
    }

    /// [`Table::ns`] for a time delta, with integer arithmetic when that
    /// gives the same result.
    #[inline]
    pub(crate) fn ns_delta(&self, ticks: u64) -> i64 {
        if ticks < self.exact_below {
            (ticks * self.ns_per_tick).cast_signed()
        } else {
            self.ns(ticks)
        }
    }

    /// A string by ID; ID 0 is always the empty string.
    pub(crate) fn string(&self, id: u64) -> Option<&str> {
        if id == 0 {
            return Some("");
        }
        self.strings.get(&id).map(|s| &**s)
    }

    /// Whether a stack ID is defined (0 always is: the empty stack).
    pub(crate) fn has_stack(&self, id: u64) -> bool {
        id <= self.dense_stacks || self.stacks.contains_key(&id)
    }

    /// Whether a string ID is defined (0 always is: the empty string).
    pub(crate) fn has_string(&self, id: u64) -> bool {
        id <= self.dense_strings || self.strings.contains_key(&id)
    }

    /// Notes whether the IDs are dense, for the fast checks above, and
    /// whether ticks convert to nanoseconds by an integer multiplication.
    pub(crate) fn finish(&mut self) {
        let f = self.freq;
        if f >= 1.0 && f <= f64::from(1u32 << 20) && f.fract() == 0.0 {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a whole number in 1..=2^20, checked just above"
            )]
            let whole = f as u64;
            self.ns_per_tick = whole;
            // Below 2^53 both the tick count and the product are exact floats.
            self.exact_below = (1u64 << 53) / self.ns_per_tick;
        } else {
            self.ns_per_tick = 0;
            self.exact_below = 0;
        }
        let n = self.stacks.len() as u64;
        self.dense_stacks = if self.stacks.keys().all(|&k| k >= 1 && k <= n) {
            n
        } else {
            0
        };
        let n = self.strings.len() as u64;
        self.dense_strings = if self.strings.keys().all(|&k| k >= 1 && k <= n) {
            n
        } else {
            0
        };
    }

    pub(crate) fn add_strings(&mut self, cur: &mut SliceCursor<'_>) -> Result<()> {
        cur.byte("strings batch header")?;
        while !cur.is_empty() {
            let at = cur.offset();
            let b = cur.byte("string event")?;
            if b != EventType::String as u8 {
                return Err(cur.malformed(Problem::Unexpected {
                    expected: "a String event",
                    found: b,
                }));
            }
            let id = cur.uvarint("string ID")?;
            let len = cur.uvarint("string length")?;
            if len > MAX_STRING_SIZE {
                return Err(cur.malformed(Problem::StringTooLong {
                    len,
                    max: MAX_STRING_SIZE,
                }));
            }
            let bytes = cur.bytes(len, "string data")?;
            if id == 0 || self.strings.contains_key(&id) {
                return Err(crate::error::Error::malformed(
                    at,
                    cur.batch,
                    Problem::DuplicateId {
                        table: "string",
                        id,
                    },
                ));
            }
            let s = String::from_utf8_lossy(bytes).into_owned().into_boxed_str();
            self.strings.insert(id, s);
        }
        Ok(())
    }

    pub(crate) fn add_stacks(&mut self, cur: &mut SliceCursor<'_>) -> Result<()> {
        cur.byte("stacks batch header")?;
        while !cur.is_empty() {
            let at = cur.offset();
            let b = cur.byte("stack event")?;
            if b != EventType::Stack as u8 {
                return Err(cur.malformed(Problem::Unexpected {
                    expected: "a Stack event",
                    found: b,
                }));
            }
            let id = cur.uvarint("stack ID")?;
            let n = cur.uvarint("stack frame count")?;
            if n > MAX_FRAMES_PER_STACK {
                return Err(cur.malformed(Problem::StackTooDeep {
                    frames: n,
                    max: MAX_FRAMES_PER_STACK,
                }));
            }
            let mut pcs = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            for _ in 0..n {
                let pc = cur.uvarint("frame PC")?;
                let func = cur.uvarint("frame function")?;
                let file = cur.uvarint("frame file")?;
                let line = cur.uvarint("frame line")?;
                pcs.push(pc);
                // The first description of a PC in a generation wins.
                self.frames
                    .entry(pc)
                    .or_insert(RawFrame { func, file, line });
            }
            if id == 0 || self.stacks.contains_key(&id) {
                return Err(crate::error::Error::malformed(
                    at,
                    cur.batch,
                    Problem::DuplicateId { table: "stack", id },
                ));
            }
            self.stacks.insert(id, pcs.into_boxed_slice());
        }
        Ok(())
    }

    /// Reads a sync batch: a lone `Frequency` before Go 1.25, `Sync` followed
    /// by `Frequency` and `ClockSnapshot` from Go 1.25 on.
    pub(crate) fn set_sync(
        &mut self,
        cur: &mut SliceCursor<'_>,
        base: u64,
        go125: bool,
    ) -> Result<()> {
        if go125 {
            cur.byte("sync batch header")?;
        }
        let mut last = base;
        while !cur.is_empty() {
            let b = cur.byte("sync event")?;
            match EventType::from_u8(b) {
                Some(EventType::Frequency) => {
                    if self.freq != 0.0 {
                        return Err(cur.malformed(Problem::Duplicate { what: "frequency" }));
                    }
                    let f = cur.uvarint("frequency")?;
                    if f == 0 {
                        return Err(cur.malformed(Problem::ZeroFrequency));
                    }
                    self.freq = 1.0 / (go_float64(f) / 1e9);
                }
                Some(EventType::ClockSnapshot) if go125 => {
                    if self.clock.is_some() {
                        return Err(cur.malformed(Problem::Duplicate {
                            what: "clock snapshot",
                        }));
                    }
                    let dt = cur.uvarint("clock snapshot time")?;
                    last = last.wrapping_add(dt);
                    let mono = cur.uvarint("clock snapshot mono")?;
                    let sec = cur.uvarint("clock snapshot sec")?;
                    let nsec = cur.uvarint("clock snapshot nsec")?;
                    self.clock = Some(RawClock {
                        ticks: last,
                        mono,
                        sec,
                        nsec,
                    });
                }
                _ => {
                    return Err(cur.malformed(Problem::Unexpected {
                        expected: "a Frequency or ClockSnapshot event",
                        found: b,
                    }))
                }
            }
        }
        Ok(())
    }

    /// Checks that every frame's strings exist.
    pub(crate) fn validate_stacks(&self, at: Option<BatchRef>, offset: u64) -> Result<()> {
        let mut ids: Vec<_> = self.stacks.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            for pc in self.stacks[&id].iter() {
                let f = &self.frames[pc];
                for (sid, what) in [(f.func, "function"), (f.file, "file")] {
                    if self.string(sid).is_none() {
                        return Err(crate::error::Error::malformed(
                            offset,
                            at,
                            Problem::UnknownId {
                                table: "string",
                                id: sid,
                                by: format!("the {what} of frame {pc:#x} of stack {id}"),
                            },
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A handle to a stack in a generation's table.
///
/// Two handles are equal when they name the same stack ID of the same
/// generation; ID 0 is the empty stack.
#[derive(Clone, Copy)]
pub struct Stack<'a> {
    pub(crate) table: &'a Table,
    pub(crate) id: u64,
}

impl<'a> Stack<'a> {
    /// The stack's ID in its generation (0: empty).
    #[must_use]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The generation the ID belongs to.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.table.gen
    }

    /// The frames, innermost first.
    pub fn frames(&self) -> impl Iterator<Item = Frame<'a>> + 'a {
        let table = self.table;
        let pcs: &'a [u64] = if self.id == 0 {
            &[]
        } else {
            table.stacks.get(&self.id).map(|p| &**p).unwrap_or(&[])
        };
        pcs.iter().map(move |&pc| {
            let f = table.frames.get(&pc);
            let s = |id: Option<u64>| id.and_then(|id| table.string(id)).unwrap_or("");
            Frame {
                pc,
                func: s(f.map(|f| f.func)),
                file: s(f.map(|f| f.file)),
                line: f.map_or(0, |f| f.line),
            }
        })
    }

    /// Whether the stack has no frames.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.frames().next().is_none()
    }

    /// The first (innermost) frame whose function is not in package
    /// `runtime` (or `runtime/trace`), if any: usually the user's call site.
    #[must_use]
    pub fn user_frame(&self) -> Option<Frame<'a>> {
        self.frames().find(|f| !is_runtime_func(f.func))
    }

    /// Copies the frames out of the trace.
    #[must_use]
    pub fn to_owned_frames(&self) -> Vec<OwnedFrame> {
        self.frames().map(|f| f.to_owned_frame()).collect()
    }
}

pub(crate) fn is_runtime_func(func: &str) -> bool {
    func.starts_with("runtime.")
        || func.starts_with("runtime/trace.")
        || func.starts_with("internal/")
        || func.starts_with("sync.")
        || func.starts_with("sync/atomic.")
        || func.starts_with("iter.")
}

impl PartialEq for Stack<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.table, other.table) && self.id == other.id
    }
}

impl std::fmt::Debug for Stack<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.frames()).finish()
    }
}

/// One stack frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Program counter (return address, or the sampling point for the leaf).
    pub pc: u64,
    /// Fully qualified function name.
    pub func: &'a str,
    /// Source file.
    pub file: &'a str,
    /// Line number.
    pub line: u64,
}

impl Frame<'_> {
    /// Copies the frame out of the trace.
    #[must_use]
    pub fn to_owned_frame(&self) -> OwnedFrame {
        OwnedFrame {
            pc: self.pc,
            func: self.func.to_owned(),
            file: self.file.to_owned(),
            line: self.line,
        }
    }
}

/// A stack frame that owns its strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnedFrame {
    /// Program counter.
    pub pc: u64,
    /// Fully qualified function name.
    pub func: String,
    /// Source file.
    pub file: String,
    /// Line number.
    pub line: u64,
}

/// Go's `float64(v)` of a `uint64`: the same rounding (to nearest), so tick
/// conversions give Go's nanoseconds.
#[allow(
    clippy::cast_precision_loss,
    reason = "Go computes with float64(v): the same rounding is the point"
)]
fn go_float64(v: u64) -> f64 {
    v as f64
}

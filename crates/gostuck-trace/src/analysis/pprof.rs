//! Blocking profiles from a trace, like `go tool trace -pprof=sync`: the
//! time goroutines spent waiting on channels, `sync` primitives and
//! `select`, by the stack where they blocked, as a pprof profile.
//!
//! [`SyncProfiler`] consumes the event stream one event at a time (so, unlike
//! `go tool trace`, it never holds the trace in memory) and follows the rules
//! of `cmd/trace/pprof.go` (`computePprofBlock`): a wait starts at a
//! transition to `Waiting` whose reason contains `chan`, `sync` or `select`,
//! ends at the goroutine's next transition to another state, and counts once
//! with its duration under the stack of the event that started it. Waits
//! still open at the end of the trace are not counted (as in Go).
//! [`write_profile`] writes the records as a gzip-compressed `profile.proto`
//! that `go tool pprof` reads, laid out like Go's `traceviewer.BuildProfile`.

use std::io::{self, Write};

use gostuck_dump::pprof_proto::schema::{Function, Line, Location, Profile, Sample, ValueType};
use prost::Message;
use rustc_hash::FxHashMap;

use crate::event::{Details, Event, GoId, GoState, Time, Transition};
use crate::table::OwnedFrame;

/// Go cuts profile stacks at this depth (`pprofMaxStack`).
pub const MAX_STACK: usize = 128;

/// One stack of a profile with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRecord {
    /// The stack where the goroutines blocked, innermost first.
    pub frames: Vec<OwnedFrame>,
    /// How many waits ended.
    pub count: i64,
    /// Their total duration, in nanoseconds.
    pub time: i64,
}

/// Which waits a profile counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileKind {
    /// `-pprof=sync`: reasons containing `chan`, `sync` or `select`.
    Sync,
    /// `-pprof=net`: the reason `network`.
    Net,
}

impl ProfileKind {
    fn tracks(self, reason: &str) -> bool {
        match self {
            ProfileKind::Sync => crate::analysis::is_sync_block(reason),
            ProfileKind::Net => reason == "network",
        }
    }
}

/// Builds a blocking profile from events.
pub struct SyncProfiler {
    kind: ProfileKind,
    /// Goroutines in a tracked wait: (start time, record index), by ID for
    /// the small IDs the runtime hands out, in a map for the others.
    tracking: Vec<Option<(Time, u32)>>,
    tracking_big: FxHashMap<GoId, (Time, u32)>,
    /// Stack ID of the current generation → record index.
    by_id: FxHashMap<u64, usize>,
    by_id_gen: u64,
    /// PCs → record index (stack IDs differ between generations).
    by_pcs: FxHashMap<Box<[u64]>, usize>,
    records: Vec<ProfileRecord>,
}

impl Default for SyncProfiler {
    fn default() -> Self {
        Self::new(ProfileKind::Sync)
    }
}

impl SyncProfiler {
    /// A new, empty profiler.
    #[must_use]
    pub fn new(kind: ProfileKind) -> Self {
        SyncProfiler {
            kind,
            tracking: Vec::new(),
            tracking_big: FxHashMap::default(),
            by_id: FxHashMap::default(),
            by_id_gen: u64::MAX,
            by_pcs: FxHashMap::default(),
            records: Vec::new(),
        }
    }

    const DENSE: GoId = 1 << 22;

    /// The index in `tracking` of IDs in `0..DENSE`.
    fn dense_slot(id: GoId) -> Option<usize> {
        usize::try_from(id).ok().filter(|_| id < Self::DENSE)
    }

    fn tracked(&self, id: GoId) -> Option<(Time, u32)> {
        match Self::dense_slot(id) {
            Some(i) => self.tracking.get(i).copied().flatten(),
            None => self.tracking_big.get(&id).copied(),
        }
    }

    fn set_tracked(&mut self, id: GoId, v: Option<(Time, u32)>) {
        if let Some(i) = Self::dense_slot(id) {
            if i >= self.tracking.len() {
                self.tracking.resize(i + 1, None);
            }
            self.tracking[i] = v;
        } else {
            match v {
                Some(v) => {
                    self.tracking_big.insert(id, v);
                }
                None => {
                    self.tracking_big.remove(&id);
                }
            }
        }
    }

    fn record_for(&mut self, ev: &Event) -> usize {
        let stack = ev.stack();
        let (gen, id) = stack.map_or((self.by_id_gen, 0), |s| (s.generation(), s.id()));
        if gen != self.by_id_gen {
            self.by_id.clear();
            self.by_id_gen = gen;
        }
        if let Some(&i) = self.by_id.get(&id) {
            return i;
        }
        let frames: Vec<OwnedFrame> = stack
            .map(|s| {
                s.frames()
                    .take(MAX_STACK)
                    .map(|f| f.to_owned_frame())
                    .collect()
            })
            .unwrap_or_default();
        let pcs: Box<[u64]> = frames.iter().map(|f| f.pc).collect();
        let i = *self.by_pcs.entry(pcs).or_insert_with(|| {
            self.records.push(ProfileRecord {
                frames,
                count: 0,
                time: 0,
            });
            self.records.len() - 1
        });
        self.by_id.insert(id, i);
        i
    }

    /// Consumes one event (in stream order).
    pub fn event(&mut self, ev: &Event) {
        if ev.kind() != crate::EventKind::StateTransition {
            return;
        }
        let Details::StateTransition(st) = ev.details() else {
            return;
        };
        let Transition::Goroutine { id, to, .. } = st.transition else {
            return;
        };
        match self.tracked(id) {
            None => {
                if to == GoState::Waiting && self.kind.tracks(st.reason) {
                    let rec = u32::try_from(self.record_for(ev)).unwrap_or(u32::MAX);
                    self.set_tracked(id, Some((ev.time(), rec)));
                }
            }
            Some(_) if to == GoState::Waiting => {}
            Some((start, rec)) => {
                self.set_tracked(id, None);
                let d = ev.time().saturating_sub(start);
                if d > 0 {
                    let r = &mut self.records[rec as usize];
                    r.count += 1;
                    r.time = r.time.saturating_add(d);
                }
            }
        }
    }

    /// The records with at least one completed wait, longest total first.
    #[must_use]
    pub fn finish(self) -> Vec<ProfileRecord> {
        let mut v: Vec<ProfileRecord> = self.records.into_iter().filter(|r| r.count > 0).collect();
        v.sort_by(|a, b| b.time.cmp(&a.time).then(b.count.cmp(&a.count)));
        v
    }
}

/// Protocol-buffer encoding, just enough for `profile.proto`.
/// Encodes the records as an uncompressed `profile.proto` message with
/// sample types `contentions/count` and `delay/nanoseconds`, as
/// `go tool trace -pprof=…` writes them.
#[must_use]
pub fn encode_profile(records: &[ProfileRecord]) -> Vec<u8> {
    let mut st = StringTable::default();
    for name in ["trace", "count", "contentions", "delay", "nanoseconds"] {
        st.id(name);
    }
    let mut value_type = |ty: &str, unit: &str| ValueType {
        r#type: st.id(ty),
        unit: st.id(unit),
    };
    let sample_type = vec![
        value_type("contentions", "count"),
        value_type("delay", "nanoseconds"),
    ];
    let period_type = Some(value_type("trace", "count"));

    // Locations by PC and functions by file+name, numbered from 1 in order
    // of first appearance.
    let mut locs: FxHashMap<u64, u64> = FxHashMap::default();
    let mut funcs: FxHashMap<(&str, &str), u64> = FxHashMap::default();
    let mut location = Vec::new();
    let mut function = Vec::new();
    let mut sample = Vec::with_capacity(records.len());
    for r in records {
        let mut ids = Vec::with_capacity(r.frames.len());
        for f in &r.frames {
            let next = locs.len() as u64 + 1;
            let id = *locs.entry(f.pc).or_insert_with(|| {
                let fnext = funcs.len() as u64 + 1;
                let fid = *funcs
                    .entry((f.file.as_str(), f.func.as_str()))
                    .or_insert_with(|| {
                        let name = st.id(&f.func);
                        function.push(Function {
                            id: fnext,
                            name,
                            system_name: name,
                            filename: st.id(&f.file),
                        });
                        fnext
                    });
                location.push(Location {
                    id: next,
                    address: f.pc,
                    line: vec![Line {
                        function_id: fid,
                        line: f.line.cast_signed(),
                    }],
                });
                next
            });
            ids.push(id);
        }
        sample.push(Sample {
            location_id: ids,
            value: vec![r.count, r.time],
            label: Vec::new(),
        });
    }
    Profile {
        sample_type,
        sample,
        location,
        function,
        string_table: st.strings,
        period_type,
        period: 1,
    }
    .encode_to_vec()
}

#[derive(Default)]
struct StringTable {
    strings: Vec<String>,
    ids: FxHashMap<String, i64>,
}

impl StringTable {
    fn id(&mut self, s: &str) -> i64 {
        if self.strings.is_empty() {
            self.strings.push(String::new());
            self.ids.insert(String::new(), 0);
        }
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = i64::try_from(self.strings.len()).unwrap_or(i64::MAX);
        self.strings.push(s.to_owned());
        self.ids.insert(s.to_owned(), i);
        i
    }
}

/// Writes the records as a gzip-compressed `profile.proto` (what
/// `go tool pprof` opens).
pub fn write_profile<W: Write>(records: &[ProfileRecord], w: W) -> io::Result<()> {
    let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::default());
    gz.write_all(&encode_profile(records))?;
    gz.finish()?.flush()
}

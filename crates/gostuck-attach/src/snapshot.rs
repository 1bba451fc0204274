//! Reading every goroutine of the target: [`capture`] copies what the dump
//! needs out of the target (the part to keep short while it is paused), and
//! [`Capture::decode`] turns that into a [`gostuck_dump::Dump`] the way
//! `runtime/traceback.go` (`goroutineheader`, `traceback1`,
//! `printcreatedby`) would print it under SIGQUIT.

use std::time::{Duration, Instant};

use gostuck_dump::human::{format_duration, DurationStyle};
use gostuck_dump::{CreatedBy, Dump, Format, Goroutine, WaitReason, Warning};
use rustc_hash::FxHashSet;

use crate::binary::Binary;
use crate::error::AttachError;
use crate::layout::{Field, LabelList, Layouts};
use crate::memory::{le, read_u64, Memory};
use crate::symbolize::Symbolizer;
use crate::unwind::{Unwinder, WalkEnd, WINDOW};

/// How to take a snapshot.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    /// The target's monotonic clock now (`CLOCK_MONOTONIC`, the clock of the
    /// runtime's `nanotime` on Linux), for the `N minutes` a goroutine has
    /// waited. `None` leaves every wait time unknown.
    pub now_monotonic_ns: Option<i64>,
    /// More goroutines than this in `runtime.allglen` means the memory is
    /// not what it should be.
    pub max_goroutines: u64,
    /// Where a position-independent executable was loaded, minus where it
    /// was linked ([`crate::ProcessMemory::load_bias`]; 0 otherwise).
    pub load_bias: u64,
    /// What the dump says it was read from: [`Format::ProcessMemory`] (the
    /// default) or [`Format::CoreFile`].
    pub format: Format,
}

impl Default for SnapshotOptions {
    fn default() -> SnapshotOptions {
        SnapshotOptions {
            now_monotonic_ns: None,
            max_goroutines: 20_000_000,
            format: Format::ProcessMemory,
            load_bias: 0,
        }
    }
}

/// The goroutines of a target, as a dump, and how reading went.
#[derive(Debug)]
pub struct Snapshot {
    /// The goroutines, in the runtime's `allgs` order (as SIGQUIT prints them).
    pub dump: Dump,
    /// Goroutines found in `allgs` that are not dead.
    pub goroutines_read: usize,
    /// Entries of `allgs` that could not be read (each also a warning).
    pub skipped: usize,
    /// Time spent reading the target (what a pause has to cover).
    pub read_time: Duration,
    /// Time spent symbolizing and building the dump afterwards.
    pub decode_time: Duration,
}

/// What one goroutine's `g` and stack held.
#[derive(Debug, Clone)]
struct RawG {
    goid: u64,
    status: u32,
    waitreason: u64,
    waitsince: i64,
    gopc: u64,
    parent: Option<u64>,
    lockedm: u64,
    syscallsp: u64,
    /// `g.labels` (0: none).
    labels_ptr: u64,
    labels: Vec<(String, String)>,
    pcs: Vec<u64>,
    end: Option<WalkEnd>,
}

/// Everything copied out of the target; decoding needs only the executable.
#[derive(Debug)]
pub struct Capture {
    gs: Vec<RawG>,
    statuses: Vec<String>,
    wait_reasons: Vec<String>,
    warnings: Vec<String>,
    skipped: usize,
    /// Time spent reading the target.
    pub read_time: Duration,
    /// The part of it spent reading and walking stacks.
    pub stacks_time: Duration,
}

impl Capture {
    /// Goroutines captured (not dead).
    #[must_use]
    pub fn len(&self) -> usize {
        self.gs.len()
    }

    /// Whether no goroutine was captured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.gs.is_empty()
    }
}

/// Reads the goroutines and then builds the dump.
pub fn snapshot(
    mem: &dyn Memory,
    bin: &Binary,
    opts: &SnapshotOptions,
) -> Result<Snapshot, AttachError> {
    Ok(capture(mem, bin, opts)?.decode(bin, opts))
}

/// Copies every live goroutine's header fields and return addresses out of
/// the target. Each pointer chase is bounded: `allglen` by the options and
/// the slice's capacity, every stack walk by its stack bounds and
/// [`crate::unwind::MAX_FRAMES`].
pub fn capture(
    mem: &dyn Memory,
    bin: &Binary,
    opts: &SnapshotOptions,
) -> Result<Capture, AttachError> {
    let start = Instant::now();
    let l = bin.layouts();
    let ptrs = allg_pointers(mem, l, opts)?;
    let statuses = string_array(
        mem,
        l.g_status_strings.addr.wrapping_add(opts.load_bias),
        l.g_status_strings.size,
        "runtime.gStatusStrings",
    )?;
    let wait_reasons = string_array(
        mem,
        l.wait_reason_strings.addr.wrapping_add(opts.load_bias),
        l.wait_reason_strings.size,
        "runtime.waitReasonStrings",
    )?;
    let mut cap = Capture {
        gs: Vec::new(),
        statuses,
        wait_reasons,
        warnings: Vec::new(),
        skipped: 0,
        read_time: Duration::ZERO,
        stacks_time: Duration::ZERO,
    };
    let mut seen = FxHashSet::default();
    let mut gps = Vec::with_capacity(ptrs.len());
    for (i, &gp) in ptrs.iter().enumerate() {
        if gp != 0 && !seen.insert(gp) {
            cap.warn(format!("allgs[{i}] repeats g {gp:#x}: skipped"));
        } else if gp != 0 {
            gps.push(gp);
        }
    }
    // Every g at once, then every stack's top at once: a few system calls
    // per thousand goroutines instead of several each.
    let gsz = usize::try_from(l.g_size).unwrap_or(0);
    let mut walks = Vec::new();
    // In batches, so the buffers stay small whatever allglen says.
    for batch in gps.chunks(BATCH) {
        let mut gbuf = vec![0u8; batch.len() * gsz];
        let got = mem.read_many(batch, &mut gbuf);
        for (k, &gp) in batch.iter().enumerate() {
            let one = &mut gbuf[k * gsz..(k + 1) * gsz];
            if !got[k] {
                if let Err(e) = mem.read(gp, one) {
                    cap.warn(format!("g at {gp:#x} unreadable: {e}"));
                    continue;
                }
            }
            if let Some((g, start)) = parse_g(l, one, opts.load_bias) {
                if let Some(start) = start {
                    walks.push((cap.gs.len(), gp, start));
                }
                cap.gs.push(g);
            }
        }
    }
    let gs_read = start.elapsed();
    if let Some(ll) = l.label_list {
        for g in cap.gs.iter_mut().filter(|g| g.labels_ptr != 0) {
            match read_labels(mem, &ll, g.labels_ptr) {
                Ok(v) => g.labels = v,
                Err(e) => cap
                    .warnings
                    .push(format!("goroutine {}: labels unreadable: {e}", g.goid)),
            }
        }
    }
    let win = crate::num::idx(WINDOW);
    let mut unwinder = Unwinder::new(bin, opts.load_bias);
    for batch in walks.chunks(BATCH) {
        let sps: Vec<u64> = batch.iter().map(|w| w.2 .0 .1).collect();
        let mut wbuf = vec![0u8; sps.len() * win];
        let wgot = mem.read_many(&sps, &mut wbuf);
        for (j, &(i, gp, start)) in batch.iter().enumerate() {
            let window = wgot[j].then(|| &wbuf[j * win..(j + 1) * win]);
            let (mut pcs, mut end) = unwinder.walk(mem, start.0, start.1, window);
            if end != WalkEnd::Complete {
                // Read without a pause, the goroutine may have moved on (or
                // the GC moved its stack) between the two reads: again.
                if let Some((_, Some(again))) = reread(mem, l, gp, gsz, opts.load_bias) {
                    if again != start {
                        (pcs, end) = unwinder.walk(mem, again.0, again.1, None);
                    }
                }
            }
            cap.gs[i].pcs = pcs;
            cap.gs[i].end = Some(end);
        }
    }
    cap.read_time = start.elapsed();
    cap.stacks_time = cap.read_time - gs_read;
    Ok(cap)
}

impl Capture {
    fn warn(&mut self, m: String) {
        self.skipped += 1;
        self.warnings.push(m);
    }

    /// Builds the dump: states and wait reasons from the target's own
    /// string tables, frames and creators symbolized with the DWARF.
    pub fn decode(self, bin: &Binary, opts: &SnapshotOptions) -> Snapshot {
        let start = Instant::now();
        let mut dump = Dump::new(opts.format);
        dump.go_version = bin.go_version().map(str::to_owned);
        let mut sym = Symbolizer::new(bin);
        let st = bin.layouts().status;
        for raw in &self.gs {
            let base = raw.status & !st.scan;
            let mut state = self
                .statuses
                .get(base as usize)
                .map_or("???", String::as_str);
            if (base == st.waiting || Some(base) == st.leaked) && raw.waitreason != 0 {
                state = self
                    .wait_reasons
                    .get(crate::num::idx(raw.waitreason))
                    .map_or("unknown wait reason", String::as_str);
            }
            let mut g = Goroutine::new();
            g.id = Some(raw.goid);
            g.state = dump.strings.intern(state);
            g.wait_reason = WaitReason::parse(state);
            g.flags.scan = raw.status & st.scan != 0;
            g.flags.leaked = Some(base) == st.leaked;
            g.flags.locked_to_thread = raw.lockedm != 0;
            g.flags.stack_unavailable = base == st.running && raw.syscallsp == 0;
            g.labels = raw
                .labels
                .iter()
                .map(|(k, v)| (dump.strings.intern(k), dump.strings.intern(v)))
                .collect();
            if (base == st.waiting || base == st.syscall) && raw.waitsince != 0 {
                if let Some(now) = opts.now_monotonic_ns {
                    let m = now.saturating_sub(raw.waitsince) / 60_000_000_000;
                    g.wait_minutes = (m >= 1).then(|| u32::try_from(m).unwrap_or(u32::MAX));
                }
            }
            if !g.flags.stack_unavailable {
                let (frames, elided) = sym.stack(&raw.pcs, &mut dump.strings);
                g.frames = frames.into();
                g.elided = elided;
            }
            if raw.goid != 1 {
                g.created_by =
                    sym.creator(raw.gopc, &mut dump.strings)
                        .map(|(function, file, line)| CreatedBy {
                            function,
                            file,
                            line,
                            parent: raw.parent.filter(|&p| p != 0),
                        });
            }
            if let Some(WalkEnd::Cut(why)) = &raw.end {
                dump.warnings
                    .push(warning(format!("goroutine {}: stack cut: {why}", raw.goid)));
            }
            dump.goroutines.push(g);
        }
        dump.warnings.extend(self.warnings.into_iter().map(warning));
        dump.notes.push(format!(
            "read {} goroutines from memory in {}",
            self.gs.len(),
            format_duration(self.read_time, DurationStyle::TenthMillis)
        ));
        Snapshot {
            goroutines_read: self.gs.len(),
            skipped: self.skipped,
            read_time: self.read_time,
            decode_time: start.elapsed(),
            dump,
        }
    }
}

fn warning(message: String) -> Warning {
    Warning {
        position: 0,
        is_byte_offset: false,
        message,
    }
}

/// The `*g` entries of `allgs[:allglen]`.
fn allg_pointers(
    mem: &dyn Memory,
    l: &Layouts,
    opts: &SnapshotOptions,
) -> Result<Vec<u64>, AttachError> {
    let read =
        |addr, what| read_u64(mem, addr).map_err(|source| AttachError::Read { what, source });
    let allgs = l.allgs.addr.wrapping_add(opts.load_bias);
    let ptr = read(allgs, "runtime.allgs")?;
    let len = read(allgs.wrapping_add(8), "runtime.allgs")?;
    let cap = read(allgs.wrapping_add(16), "runtime.allgs")?;
    let allglen = l.allglen.addr.wrapping_add(opts.load_bias);
    let n = read(allglen, "runtime.allglen")?.min(len);
    if len > cap || n > opts.max_goroutines {
        return Err(AttachError::Corrupt {
            what: "runtime.allgs",
            detail: format!(
                "len {len}, cap {cap}, allglen {n} (limit {})",
                opts.max_goroutines
            ),
        });
    }
    // In pieces, so a corrupt length fails at the first unmapped piece
    // instead of allocating for all of it first.
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 8 * 65536];
    let mut done = 0u64;
    while done < n {
        let k = (n - done).min(65536) as usize;
        let buf = &mut chunk[..k * 8];
        mem.read(ptr.wrapping_add(done * 8), buf)
            .map_err(|source| AttachError::Read {
                what: "runtime.allgs array",
                source,
            })?;
        out.extend(buf.chunks_exact(8).map(|c| le(c, 0, 8).unwrap_or(0)));
        done += k as u64;
    }
    Ok(out)
}

/// A `[N]string` array of the target (`runtime.waitReasonStrings`).
fn string_array(
    mem: &dyn Memory,
    addr: u64,
    size: u64,
    what: &'static str,
) -> Result<Vec<String>, AttachError> {
    let n = (size / 16).min(4096) as usize;
    let mut hdrs = vec![0u8; n * 16];
    mem.read(addr, &mut hdrs)
        .map_err(|source| AttachError::Read { what, source })?;
    let mut out = Vec::with_capacity(n);
    for h in hdrs.chunks_exact(16) {
        let (p, len) = (le(h, 0, 8).unwrap_or(0), le(h, 8, 8).unwrap_or(0));
        let mut s = vec![0u8; len.min(256) as usize];
        if p != 0 && !s.is_empty() {
            mem.read(p, &mut s)
                .map_err(|source| AttachError::Read { what, source })?;
        }
        out.push(String::from_utf8_lossy(&s).into_owned());
    }
    Ok(out)
}

/// A goroutine's pprof labels, in the order the runtime keeps (and prints) them.
fn read_labels(
    mem: &dyn Memory,
    ll: &LabelList,
    set: u64,
) -> Result<Vec<(String, String)>, String> {
    let mut hdr = [0u8; 16];
    mem.read(set.wrapping_add(ll.list), &mut hdr)
        .map_err(|e| e.to_string())?;
    let (array, n) = (le(&hdr, 0, 8).unwrap_or(0), le(&hdr, 8, 8).unwrap_or(0));
    if n > 1024 || ll.elem_size < 32 {
        return Err(format!("{n} labels"));
    }
    let size = crate::num::idx(ll.elem_size);
    let mut elems = vec![0u8; crate::num::idx(n) * size];
    mem.read(array, &mut elems).map_err(|e| e.to_string())?;
    let string = |e: &[u8], at: u64| -> Result<String, String> {
        let (p, len) = (
            le(e, crate::num::idx(at), 8).unwrap_or(0),
            le(e, crate::num::idx(at) + 8, 8).unwrap_or(0),
        );
        if len > 1 << 16 {
            return Err(format!("a label {len} bytes long"));
        }
        let mut b = vec![0u8; crate::num::idx(len)];
        if len > 0 {
            mem.read(p, &mut b).map_err(|e| e.to_string())?;
        }
        Ok(String::from_utf8_lossy(&b).into_owned())
    };
    elems
        .chunks_exact(size)
        .map(|e| Ok((string(e, ll.key)?, string(e, ll.value)?)))
        .collect()
}

/// Goroutines read per batch.
const BATCH: usize = 16384;

/// Where a stack walk starts: ((pc, sp), (stack.lo, stack.hi)).
type Start = ((u64, u64), (u64, u64));

fn reread(
    mem: &dyn Memory,
    l: &Layouts,
    gp: u64,
    gsz: usize,
    bias: u64,
) -> Option<(RawG, Option<Start>)> {
    let mut buf = vec![0u8; gsz];
    mem.read(gp, &mut buf).ok()?;
    parse_g(l, &buf, bias)
}

/// One `g`'s fields (`None`: dead), and unless it is running, where its
/// stack walk starts.
fn parse_g(l: &Layouts, buf: &[u8], bias: u64) -> Option<(RawG, Option<Start>)> {
    let f = |field: Field| {
        le(
            buf,
            crate::num::idx(field.offset),
            crate::num::idx(field.size),
        )
        .unwrap_or(0)
    };
    let st = l.status;
    let status = u32::try_from(f(l.atomicstatus)).unwrap_or(u32::MAX);
    let base = status & !st.scan;
    if base == st.dead || Some(base) == st.deadextra {
        return None;
    }
    let syscallsp = f(l.syscallsp);
    let g = RawG {
        goid: f(l.goid),
        status,
        waitreason: f(l.waitreason),
        waitsince: f(l.waitsince).cast_signed(),
        gopc: f(l.gopc).wrapping_sub(bias),
        parent: l.parent_goid.map(f),
        lockedm: f(l.lockedm),
        syscallsp,
        labels_ptr: l.labels.map_or(0, f),
        labels: Vec::new(),
        pcs: Vec::new(),
        end: None,
    };
    if base == st.running && syscallsp == 0 {
        return Some((g, None));
    }
    let start = if base == st.syscall {
        (f(l.syscallpc), syscallsp)
    } else {
        (f(l.sched_pc), f(l.sched_sp))
    };
    let start = (start.0 != 0).then_some((start, (f(l.stack_lo), f(l.stack_hi))));
    Some((g, start))
}

//! Reader for pprof `debug=0` goroutine and goroutineleak profiles: gzip'd
//! `profile.proto` (github.com/google/pprof/proto/profile.proto). The message
//! types below are the subset of that schema a count profile uses, written with
//! prost's derive so no `protoc` is needed to build.

use prost::Message;
use rustc_hash::FxHashMap;

use crate::error::Error;
use crate::intern::Sym;
use crate::model::{Dump, Format, Frame, FrameKind, Goroutine, GoroutineFlags, Warning};

/// A goroutine's stack is cut at this many frames. Go records at most 128
/// locations per stack (`debug.profstackdepth`), each a few inlined lines at
/// most: only a hostile profile comes near.
const MAX_FRAMES_PER_SAMPLE: usize = 1024;

/// Frames a profile may expand to beyond its own size: one location of many
/// lines referenced by many samples must not multiply into billions of frames.
const FRAME_BUDGET_BASE: usize = 1 << 20;

/// The subset of `profile.proto` gostuck reads (goroutine profiles) and
/// writes (the blocking profile of `gostuck trace --pprof-sync`): one schema
/// for both, field numbers as in github.com/google/pprof/proto/profile.proto.
pub mod schema {
    use prost::Message;

    /// A profile.
    #[derive(Clone, PartialEq, Message)]
    pub struct Profile {
        /// What each sample value counts.
        #[prost(message, repeated, tag = "1")]
        pub sample_type: Vec<ValueType>,
        /// The samples.
        #[prost(message, repeated, tag = "2")]
        pub sample: Vec<Sample>,
        /// Locations (PCs), referred to by ID.
        #[prost(message, repeated, tag = "4")]
        pub location: Vec<Location>,
        /// Functions, referred to by ID.
        #[prost(message, repeated, tag = "5")]
        pub function: Vec<Function>,
        /// Every string of the profile; index 0 is "".
        #[prost(string, repeated, tag = "6")]
        pub string_table: Vec<String>,
        /// The kind of events between samples.
        #[prost(message, optional, tag = "11")]
        pub period_type: Option<ValueType>,
        /// The number of events between samples.
        #[prost(int64, tag = "12")]
        pub period: i64,
    }

    /// A type and its unit, as string table indexes.
    #[derive(Clone, PartialEq, Message)]
    pub struct ValueType {
        /// E.g. `contentions`.
        #[prost(int64, tag = "1")]
        pub r#type: i64,
        /// E.g. `count`.
        #[prost(int64, tag = "2")]
        pub unit: i64,
    }

    /// One stack and its values.
    #[derive(Clone, PartialEq, Message)]
    pub struct Sample {
        /// The stack, innermost location first.
        #[prost(uint64, repeated, tag = "1")]
        pub location_id: Vec<u64>,
        /// One value per sample type.
        #[prost(int64, repeated, tag = "2")]
        pub value: Vec<i64>,
        /// Labels.
        #[prost(message, repeated, tag = "3")]
        pub label: Vec<Label>,
    }

    /// A sample label.
    #[derive(Clone, PartialEq, Message)]
    pub struct Label {
        /// Its key (string index).
        #[prost(int64, tag = "1")]
        pub key: i64,
        /// Its string value (string index).
        #[prost(int64, tag = "2")]
        pub str: i64,
        /// Its numeric value.
        #[prost(int64, tag = "3")]
        pub num: i64,
    }

    /// A program counter and the source lines inlined at it.
    #[derive(Clone, PartialEq, Message)]
    pub struct Location {
        /// Its ID, from 1.
        #[prost(uint64, tag = "1")]
        pub id: u64,
        /// The PC.
        #[prost(uint64, tag = "3")]
        pub address: u64,
        /// The lines, innermost first.
        #[prost(message, repeated, tag = "4")]
        pub line: Vec<Line>,
    }

    /// A source line.
    #[derive(Clone, PartialEq, Message)]
    pub struct Line {
        /// The function's ID.
        #[prost(uint64, tag = "1")]
        pub function_id: u64,
        /// The line number.
        #[prost(int64, tag = "2")]
        pub line: i64,
    }

    /// A function.
    #[derive(Clone, PartialEq, Message)]
    pub struct Function {
        /// Its ID, from 1.
        #[prost(uint64, tag = "1")]
        pub id: u64,
        /// Its name (string index).
        #[prost(int64, tag = "2")]
        pub name: i64,
        /// Its name as the system knows it (string index).
        #[prost(int64, tag = "3")]
        pub system_name: i64,
        /// Its file (string index).
        #[prost(int64, tag = "4")]
        pub filename: i64,
    }
}

use schema::{Location, Profile};

/// Decodes a (possibly gzip-compressed) goroutine profile. Decompression is
/// bounded (see [`crate::inflate::gunzip`]); so is the expansion of shared
/// locations into frames (a warning says where stacks were cut).
pub fn read(bytes: &[u8]) -> Result<Dump, Error> {
    let raw;
    let data: &[u8] = if crate::inflate::is_gzip(bytes) {
        let (kind, out) = crate::inflate::gunzip(bytes)?;
        if kind != crate::inflate::Inflated::Protobuf {
            return Err(Error::Protobuf(
                "the gzip stream holds text, not a profile".into(),
            ));
        }
        raw = out;
        &raw
    } else {
        bytes
    };
    let p = Profile::decode(data).map_err(|e| Error::Protobuf(e.to_string()))?;
    convert(&p)
}

/// A function name as tracebacks and debug=1 profiles print it: the profile
/// carries the instantiation (`main.Drain[go.shape.int]`,
/// `main.(*Pool[go.shape.[]uint8]).Get`), text dumps print `[...]` from the
/// first `[` to the last `]` (the runtime's funcNamePiecesForPrint), so the
/// same goroutine reads the same whichever encoding it came in.
fn elide_type_args(name: &str) -> std::borrow::Cow<'_, str> {
    match (name.find('['), name.rfind(']')) {
        (Some(i), Some(j)) if i < j && &name[i..=j] != "[...]" => {
            format!("{}[...]{}", &name[..i], &name[j + 1..]).into()
        }
        _ => name.into(),
    }
}

/// How many frames the stacks of `p` may expand to in all: a constant plus a
/// few per location reference and per line the profile itself holds, so that
/// memory stays proportional to the profile's size.
fn frame_budget(p: &Profile) -> usize {
    let refs: usize = p.sample.iter().map(|s| s.location_id.len()).sum();
    let lines: usize = p.location.iter().map(|l| l.line.len()).sum();
    FRAME_BUDGET_BASE.saturating_add(refs.saturating_add(lines).saturating_mul(4))
}

fn convert(p: &Profile) -> Result<Dump, Error> {
    let strs = &p.string_table;
    let s = |i: i64| -> &str {
        usize::try_from(i)
            .ok()
            .and_then(|i| strs.get(i))
            .map_or("", |s| s.as_str())
    };
    let mut d = Dump::new(Format::PprofProto);
    d.first_line = 0;
    let name = p.sample_type.first().map(|t| s(t.r#type).to_string());
    if let Some(n) = &name {
        if n != "goroutine" && n != "goroutineleak" {
            return Err(Error::NotGoroutineProfile(n.clone()));
        }
    }
    d.profile_name = name;
    let leaked = d.profile_name.as_deref() == Some("goroutineleak");

    let mut functions: FxHashMap<u64, (Sym, Sym)> = FxHashMap::default();
    for f in &p.function {
        let name = d.strings.intern(&elide_type_args(s(f.name)));
        let file = d.strings.intern(s(f.filename));
        functions.insert(f.id, (name, file));
    }
    let mut locations: FxHashMap<u64, &Location> = FxHashMap::default();
    for l in &p.location {
        locations.insert(l.id, l);
    }
    let mut missing = 0usize;
    let mut total = 0u64;
    let mut budget = frame_budget(p);
    let mut cut = 0usize;
    for sample in &p.sample {
        // A negative count is read as zero.
        let count = u64::try_from(sample.value.first().copied().unwrap_or(1)).unwrap_or(0);
        total = total.checked_add(count).ok_or_else(|| {
            Error::Corrupt(format!(
                "the profile's sample counts add up to more than 2^64 goroutines (a sample of {count} after {total})"
            ))
        })?;
        let mut frames = Vec::new();
        let room = budget.min(MAX_FRAMES_PER_SAMPLE);
        for id in &sample.location_id {
            let Some(loc) = locations.get(id) else {
                missing += 1;
                continue;
            };
            if frames.len() + loc.line.len().max(1) > room {
                cut += 1;
                break;
            }
            // Lines are innermost first; all but the last are inlined into it.
            let n = loc.line.len();
            for (i, ln) in loc.line.iter().enumerate() {
                let (function, file) = functions
                    .get(&ln.function_id)
                    .copied()
                    .unwrap_or((Sym::EMPTY, Sym::EMPTY));
                frames.push(Frame {
                    function,
                    args: Sym::EMPTY,
                    file,
                    line: u32::try_from(ln.line).unwrap_or(0),
                    kind: if i + 1 < n {
                        FrameKind::Inlined
                    } else {
                        FrameKind::Go
                    },
                });
            }
            if n == 0 {
                let function = d.strings.intern(&format!("0x{:x}", loc.address));
                frames.push(Frame {
                    function,
                    args: Sym::EMPTY,
                    file: Sym::EMPTY,
                    line: 0,
                    kind: FrameKind::NonGo,
                });
            }
        }
        budget -= frames.len();
        // runtime.goexit is the bottom of every goroutine; tracebacks hide it.
        if frames
            .last()
            .is_some_and(|f| d.strings.resolve(f.function) == "runtime.goexit")
        {
            frames.pop();
        }
        let mut labels = Vec::new();
        for l in &sample.label {
            let k = d.strings.intern(s(l.key));
            let v = if l.str != 0 {
                d.strings.intern(s(l.str))
            } else {
                d.strings.intern(&l.num.to_string())
            };
            labels.push((k, v));
        }
        d.goroutines.push(Goroutine {
            count,
            flags: GoroutineFlags {
                leaked,
                ..GoroutineFlags::default()
            },
            labels,
            frames: frames.into(),
            ..Goroutine::placeholder()
        });
    }
    if missing > 0 {
        d.warnings.push(Warning {
            position: 0,
            is_byte_offset: false,
            message: format!(
                "{missing} stack entries name locations the profile does not define; skipped"
            ),
        });
    }
    if cut > 0 {
        d.warnings.push(Warning {
            position: 0,
            is_byte_offset: false,
            message: format!(
                "{cut} stacks cut short: they expand to more than {MAX_FRAMES_PER_SAMPLE} frames each, \
                 or to more frames in all than a profile of this size can hold (locations with many \
                 lines referenced many times)"
            ),
        });
    }
    d.profile_total = Some(total);
    crate::traceback::finalize(&mut d);
    for g in &mut d.goroutines {
        if g.state == Sym::EMPTY {
            g.state = d.strings.intern("unknown");
            g.state_inferred = true;
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_arguments_are_elided_as_tracebacks_print_them() {
        // Names as Go 1.21-1.27 write them into goroutine profiles
        // (testdata/captured/matrix/*/generic-inline/pprof-debug0.pb.gz).
        for (raw, want) in [
            ("main.Drain[go.shape.int]", "main.Drain[...]"),
            (
                "main.(*Pool[go.shape.[]uint8]).Get",
                "main.(*Pool[...]).Get",
            ),
            (
                "main.Map[go.shape.int,go.shape.string].func1",
                "main.Map[...].func1",
            ),
            ("main.F[...]", "main.F[...]"),
            ("main.main", "main.main"),
            ("odd]name[", "odd]name["),
        ] {
            assert_eq!(elide_type_args(raw), want);
        }
    }

    #[test]
    fn sample_counts_beyond_u64_are_corrupt() {
        // Three samples of i64::MAX goroutines each overflow the profile total
        // (seen while writing fuzz/'s invariants, confirmed with fuzz/pprof_proto).
        let bytes = b"\x12\x0a\x10\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x12\x0a\x10\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x12\x0a\x10\xff\xff\xff\xff\xff\xff\xff\xff\x7f";
        let err = read(bytes).unwrap_err();
        assert!(matches!(err, Error::Corrupt(_)), "{err}");
        assert!(err.to_string().contains("more than 2^64"), "{err}");
        // Two of them still fit.
        let d = read(&bytes[..24]).unwrap();
        assert_eq!(d.profile_total, Some(2 * (i64::MAX as u64)));
    }

    fn varint(mut n: u64, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n & 0x7f) as u8 | 0x80);
            n >>= 7;
        }
        out.push((n & 0x7f) as u8);
    }

    fn field(num: u64, payload: &[u8], out: &mut Vec<u8>) {
        varint(num << 3 | 2, out);
        varint(payload.len() as u64, out);
        out.extend_from_slice(payload);
    }

    /// One location of `lines` lines, referenced `refs` times by each of `samples` samples.
    fn amplified(lines: usize, refs: usize, samples: usize) -> Vec<u8> {
        let mut p = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..refs {
            varint(1, &mut ids);
        }
        let mut sample = Vec::new();
        field(1, &ids, &mut sample);
        for _ in 0..samples {
            field(2, &sample, &mut p);
        }
        let mut loc = vec![0x08, 0x01];
        for _ in 0..lines {
            field(4, &[0x08, 0x01, 0x10, 0x07], &mut loc);
        }
        field(4, &loc, &mut p);
        field(5, &[0x08, 0x01, 0x10, 0x01], &mut p);
        field(6, b"", &mut p);
        field(6, b"main.f", &mut p);
        p
    }

    #[test]
    fn a_shared_location_does_not_multiply_into_frames() {
        let d = read(&amplified(2000, 2000, 1)).unwrap();
        assert_eq!(
            d.goroutines[0].frames.len(),
            0,
            "a 2000-line location does not fit a stack"
        );
        // Samples of one 1000-line location each: the total budget binds.
        let d = read(&amplified(1000, 1, 3000)).unwrap();
        let frames: usize = d.goroutines.iter().map(|g| g.frames.len()).sum();
        assert!(frames <= FRAME_BUDGET_BASE + 4 * (3000 + 1000), "{frames}");
        let cut = 3000 - (FRAME_BUDGET_BASE + 4 * 4000) / 1000;
        let w = &d.warnings[0].message;
        assert!(w.contains(&format!("{cut} stacks cut short")), "{w}");
        // Within the budget nothing is cut.
        let d = read(&amplified(3, 5, 2)).unwrap();
        assert_eq!(d.goroutines[0].frames.len(), 15);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }
}

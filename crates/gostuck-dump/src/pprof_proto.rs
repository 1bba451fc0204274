//! Reader for pprof `debug=0` goroutine and goroutineleak profiles: gzip'd
//! `profile.proto` (github.com/google/pprof/proto/profile.proto). The message
//! types below are the subset of that schema a count profile uses, written with
//! prost's derive so no `protoc` is needed to build.

use std::io::Read;

use prost::Message;
use rustc_hash::FxHashMap;

use crate::error::Error;
use crate::intern::Sym;
use crate::model::{Dump, Format, Frame, FrameKind, Goroutine, GoroutineFlags, Warning};

/// Refuse to inflate profiles beyond this (a lying or hostile stream).
const MAX_INFLATED: u64 = 4 << 30;

#[derive(Clone, PartialEq, Message)]
struct Profile {
    #[prost(message, repeated, tag = "1")]
    sample_type: Vec<ValueType>,
    #[prost(message, repeated, tag = "2")]
    sample: Vec<Sample>,
    #[prost(message, repeated, tag = "4")]
    location: Vec<Location>,
    #[prost(message, repeated, tag = "5")]
    function: Vec<Function>,
    #[prost(string, repeated, tag = "6")]
    string_table: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
struct ValueType {
    #[prost(int64, tag = "1")]
    r#type: i64,
    #[prost(int64, tag = "2")]
    unit: i64,
}

#[derive(Clone, PartialEq, Message)]
struct Sample {
    #[prost(uint64, repeated, tag = "1")]
    location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    value: Vec<i64>,
    #[prost(message, repeated, tag = "3")]
    label: Vec<Label>,
}

#[derive(Clone, PartialEq, Message)]
struct Label {
    #[prost(int64, tag = "1")]
    key: i64,
    #[prost(int64, tag = "2")]
    str: i64,
    #[prost(int64, tag = "3")]
    num: i64,
}

#[derive(Clone, PartialEq, Message)]
struct Location {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(uint64, tag = "3")]
    address: u64,
    #[prost(message, repeated, tag = "4")]
    line: Vec<Line>,
}

#[derive(Clone, PartialEq, Message)]
struct Line {
    #[prost(uint64, tag = "1")]
    function_id: u64,
    #[prost(int64, tag = "2")]
    line: i64,
}

#[derive(Clone, PartialEq, Message)]
struct Function {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(int64, tag = "2")]
    name: i64,
    #[prost(int64, tag = "4")]
    filename: i64,
}

/// Decodes a (possibly gzip-compressed) goroutine profile.
pub fn read(bytes: &[u8]) -> Result<Dump, Error> {
    let raw;
    let data: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(MAX_INFLATED);
        if let Err(e) = dec.read_to_end(&mut out) {
            if out.is_empty() {
                return Err(Error::Gzip(e.to_string()));
            }
            // Keep what inflated; decoding below reports where it stops making sense.
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
    for sample in &p.sample {
        let count = sample.value.first().copied().unwrap_or(1).max(0) as u64;
        total = total.saturating_add(count);
        let mut frames = Vec::new();
        for id in &sample.location_id {
            let Some(loc) = locations.get(id) else {
                missing += 1;
                continue;
            };
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
    fn sample_counts_beyond_u64_saturate() {
        // Three samples of i64::MAX goroutines each overflowed the profile total
        // (seen while writing fuzz/'s invariants, confirmed with fuzz/pprof_proto).
        let bytes = b"\x12\x0a\x10\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x12\x0a\x10\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x12\x0a\x10\xff\xff\xff\xff\xff\xff\xff\xff\x7f";
        let d = read(bytes).unwrap();
        assert_eq!(d.goroutines.len(), 3);
        assert_eq!(d.profile_total, Some(u64::MAX));
        assert_eq!(d.total_goroutines(), u64::MAX);
    }
}

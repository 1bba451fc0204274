//! The text form of the wire format used by Go's trace tests, and an
//! encoder from it to a binary trace.
//!
//! ```text
//! Trace Go1.22
//! EventBatch gen=1 m=0 time=0 size=5
//! ProcStatus dt=1 p=0 pstatus=1
//! EventBatch gen=1 m=18446744073709551615 time=0 size=5
//! Frequency freq=15625000
//! String id=1
//!     data="chan receive"
//! ```
//!
//! One event per line, `Name arg=value...` with the spec's argument names;
//! `Stack` is followed by one `pc= func= file= line=` line per frame,
//! `String` and `ExperimentalBatch` by a `data=` line holding a Go-quoted
//! string. `#` starts a comment. The output of [`crate::WireReader`]
//! (`Display` of [`crate::RawEvent`]) is in this form.

use crate::spec::EventType;
use crate::version::Version;

/// Encodes a text trace into the binary format.
pub fn encode(text: &str) -> Result<Vec<u8>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !uncomment(l).is_empty());
    let (_, header) = lines.next().ok_or("empty text trace")?;
    let header = uncomment(header);
    let minor = header
        .strip_prefix("Trace Go1.")
        .and_then(|m| m.trim().parse::<u32>().ok())
        .ok_or_else(|| format!("bad header {header:?}"))?;
    let version = Version::from_minor(minor).ok_or(format!("unsupported version 1.{minor}"))?;
    let mut out = format!("go 1.{minor} trace\0\0\0").into_bytes();
    while let Some((no, line)) = lines.next() {
        let err = |m: String| format!("line {no}: {m}");
        let mut toks = uncomment(line).split_whitespace();
        let name = toks.next().unwrap_or("");
        let typ = (1..=255u8)
            .filter_map(EventType::from_u8)
            .find(|t| t.name() == name && t.valid_in(version))
            .ok_or_else(|| err(format!("unknown event {name:?}")))?;
        let spec = typ.spec();
        out.push(typ as u8);
        let rest: Vec<&str> = toks.collect();
        let args = parse_args(&rest, spec.args).map_err(err)?;
        for &a in &args {
            put_uvarint(&mut out, a);
        }
        if spec.is_stack {
            for _ in 0..args[1] {
                let (no, fl) = lines
                    .next()
                    .ok_or_else(|| err("missing stack frame".into()))?;
                let f: Vec<&str> = uncomment(fl).split_whitespace().collect();
                let frame = parse_args(&f, &["pc", "func", "file", "line"])
                    .map_err(|m| format!("line {no}: {m}"))?;
                for a in frame {
                    put_uvarint(&mut out, a);
                }
            }
        }
        if spec.has_data {
            let (no, dl) = lines
                .next()
                .ok_or_else(|| err("missing data line".into()))?;
            let q = dl
                .strip_prefix("data=")
                .ok_or_else(|| format!("line {no}: expected data=..."))?;
            let data = go_unquote(q.trim()).map_err(|m| format!("line {no}: {m}"))?;
            put_uvarint(&mut out, data.len() as u64);
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// The part of a line before a `#` comment (data lines are not cut).
fn uncomment(l: &str) -> &str {
    l.split('#').next().unwrap_or("").trim()
}

fn parse_args(toks: &[&str], names: &[&str]) -> Result<Vec<u64>, String> {
    if toks.len() != names.len() {
        return Err(format!("expected arguments {names:?}, got {toks:?}"));
    }
    names
        .iter()
        .zip(toks)
        .map(|(name, tok)| {
            let (k, v) = tok
                .split_once('=')
                .ok_or(format!("malformed argument {tok:?}"))?;
            if k != *name {
                return Err(format!("expected argument {name:?}, got {k:?}"));
            }
            v.parse().map_err(|_| format!("bad value {v:?} for {k}"))
        })
        .collect()
}

/// Appends an unsigned LEB128 varint.
pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    out.push((v & 0x7f) as u8);
}

/// Decodes a Go double-quoted or back-quoted string literal to bytes.
pub fn go_unquote(s: &str) -> Result<Vec<u8>, String> {
    if let Some(raw) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return Ok(raw.as_bytes().to_vec());
    }
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| format!("not a quoted string: {s}"))?;
    let mut out = Vec::new();
    let mut chars = inner.chars();
    let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Result<u32, String> {
        let h: String = chars.by_ref().take(n).collect();
        if h.len() != n {
            return Err("short escape".into());
        }
        u32::from_str_radix(&h, 16).map_err(|_| format!("bad escape {h:?}"))
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = chars.next().ok_or("trailing backslash")?;
        let b = match e {
            'a' => 7,
            'b' => 8,
            'f' => 12,
            'n' => b'\n',
            'r' => b'\r',
            't' => b'\t',
            'v' => 11,
            '\\' => b'\\',
            '"' => b'"',
            '\'' => b'\'',
            // Two hex digits: a byte.
            'x' => (hex(&mut chars, 2)? & 0xff) as u8,
            'u' | 'U' => {
                let v = hex(&mut chars, if e == 'u' { 4 } else { 8 })?;
                let c = char::from_u32(v).ok_or(format!("bad code point {v:#x}"))?;
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let o = format!("{e}{rest}");
                u8::from_str_radix(&o, 8).map_err(|_| format!("bad octal escape {o}"))?
            }
            other => return Err(format!("unknown escape \\{other}")),
        };
        out.push(b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WireReader;

    #[test]
    fn round_trip_through_wire_reader() {
        let text = "Trace Go1.22\n\
            EventBatch gen=1 m=18446744073709551615 time=0 size=5 # frequency\n\
            Frequency freq=15625000\n\
            EventBatch gen=1 m=18446744073709551615 time=0 size=16\n\
            Strings\n\
            String id=1\n\
            \tdata=\"chan \\\"x\\\"\\n\"\n\
            EventBatch gen=1 m=18446744073709551615 time=0 size=8\n\
            Stacks\n\
            Stack id=1 nframes=1\n\
            \tpc=4 func=1 file=1 line=9\n";
        let bin = encode(text).unwrap();
        assert!(bin.starts_with(b"go 1.22 trace\0\0\0"));
        let dump: Vec<String> = WireReader::new(&bin[..])
            .unwrap()
            .map(|e| e.unwrap().to_string())
            .collect();
        assert_eq!(dump[4], "String id=1\n\tdata=\"chan \\\"x\\\"\\n\"");
        assert_eq!(dump[7], "Stack id=1 nframes=1\n\tpc=4 func=1 file=1 line=9");
        assert_eq!(go_unquote(r#""\x41\u00e9\101""#).unwrap(), "AéA".as_bytes());
        assert!(encode("Trace Go1.22\nBogus x=1\n").is_err());
    }
}

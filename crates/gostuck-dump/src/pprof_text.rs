//! Reader for pprof count profiles in `debug=1` text
//! (`runtime/pprof/pprof.go: printCountProfile`, `printStackRecord`):
//!
//! ```text
//! goroutine profile: total 7
//! 3 @ 0x43e4ce 0x44f1f8 0x47e4a4
//! # labels: {"worker":"7"}
//! #<TAB>0x47e4a4<TAB>main.worker+0x44<TAB>/tmp/x/main.go:12
//! ```
//!
//! Leading `runtime.` frames are hidden by the printer, so a record's state is
//! inferred from the frames that remain (`sync.(*Mutex).Lock` …) or left unknown.

use crate::intern::Sym;
use crate::lines;
use crate::model::{Dump, Format, Frame, FrameKind, Goroutine, Warning};

/// Streaming `debug=1` reader.
pub struct PprofTextReader {
    lineno: u64,
    dumps: Vec<Dump>,
    cur: Option<Dump>,
    g: Option<Goroutine>,
    /// Frames of the record being read.
    frames: Vec<Frame>,
}

impl Default for PprofTextReader {
    fn default() -> Self {
        Self::new()
    }
}

/// `goroutine profile: total 7` → ("goroutine", 7).
pub(crate) fn profile_header(line: &[u8]) -> Option<(&[u8], u64)> {
    let pos = memchr::memmem::find(line, b" profile: total ")?;
    let name = &line[..pos];
    if name.is_empty() || !name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_') {
        return None;
    }
    Some((name, lines::parse_u64(lines::trim_end(&line[pos + 16..]))?))
}

impl PprofTextReader {
    /// A new reader.
    #[must_use]
    pub fn new() -> Self {
        PprofTextReader {
            lineno: 0,
            dumps: Vec::new(),
            cur: None,
            g: None,
            frames: Vec::new(),
        }
    }

    /// Feeds one line without its terminator.
    pub fn push_line(&mut self, line: &[u8]) {
        self.lineno += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some((name, total)) = profile_header(line) {
            self.end_record();
            if let Some(d) = self.cur.take() {
                self.dumps.push(d);
            }
            let mut d = Dump::new(Format::PprofDebug1);
            d.first_line = self.lineno;
            d.profile_total = Some(total);
            d.profile_name = Some(String::from_utf8_lossy(name).into_owned());
            self.cur = Some(d);
            return;
        }
        let Some(d) = self.cur.as_mut() else { return };
        if lines::trim(line).is_empty() {
            self.end_record();
            return;
        }
        if let Some(rest) = line.strip_prefix(b"# labels: ") {
            if let Some(g) = self.g.as_mut() {
                for (k, v) in lines::labels(rest) {
                    let k = d.strings.intern(&k);
                    let v = d.strings.intern(&v);
                    g.labels.push((k, v));
                }
            }
            return;
        }
        if let Some(rest) = line.strip_prefix(b"#") {
            if self.g.is_none() {
                let n = self.lineno;
                d.warnings
                    .push(warn(n, "frame line outside a record; ignored"));
                return;
            }
            let (func, loc) = frame_fields(rest);
            let Some(func) = func else {
                // An unsymbolized PC: keep a placeholder so the depth stays right.
                let f = d.strings.intern("?");
                self.frames.push(Frame {
                    function: f,
                    args: Sym::EMPTY,
                    file: Sym::EMPTY,
                    line: 0,
                    kind: FrameKind::NonGo,
                });
                return;
            };
            let func = match memchr::memmem::rfind(func, b"+0x") {
                Some(p) => &func[..p],
                None => func,
            };
            let (file, ln) = match loc.and_then(|loc| {
                let loc = lines::trim_end(loc);
                let c = memchr::memrchr(b':', loc)?;
                Some((&loc[..c], lines::parse_u64(&loc[c + 1..])?))
            }) {
                Some(x) => x,
                None => (&b""[..], 0),
            };
            let kind = FrameKind::Go;
            let function = d.strings.intern_bytes(func);
            let file = d.strings.intern_bytes(file);
            self.frames.push(Frame {
                function,
                args: Sym::EMPTY,
                file,
                line: u32::try_from(ln).unwrap_or(0),
                kind,
            });
            return;
        }
        // `N @ 0x… 0x…`
        if let Some(at) = memchr::memmem::find(line, b" @") {
            if let Some(n) = lines::parse_u64(&line[..at]) {
                self.end_record();
                self.g = Some(Goroutine {
                    count: n,
                    line: self.lineno,
                    ..Goroutine::placeholder()
                });
                return;
            }
        }
        let n = self.lineno;
        if let Some(d) = self.cur.as_mut() {
            d.warnings
                .push(warn(n, "unrecognised line in a debug=1 profile; ignored"));
        }
    }

    fn end_record(&mut self) {
        if let (Some(mut g), Some(d)) = (self.g.take(), self.cur.as_mut()) {
            g.frames = self.frames.as_slice().into();
            d.goroutines.push(g);
        }
        self.frames.clear();
    }

    /// Ends the input and returns the profiles read.
    #[must_use]
    pub fn finish(mut self) -> Vec<Dump> {
        self.end_record();
        if let Some(d) = self.cur.take() {
            self.dumps.push(d);
        }
        for d in &mut self.dumps {
            let leaked = d.profile_name.as_deref() == Some("goroutineleak");
            let total = d.total_goroutines();
            if let Some(want) = d.profile_total {
                if want != total {
                    let line = d.first_line;
                    d.warnings.push(warn(
                        line,
                        &format!("profile says total {want} but its records add up to {total} (truncated?)"),
                    ));
                }
            }
            if leaked {
                for g in &mut d.goroutines {
                    g.flags.leaked = true;
                }
            }
            crate::traceback::finalize(d);
            for g in &mut d.goroutines {
                if g.state == Sym::EMPTY {
                    g.state = d.strings.intern("unknown");
                    g.state_inferred = true;
                }
            }
        }
        self.dumps
    }
}

/// The function and location fields of a frame line after its `#`:
/// `\t0x47e4a4\tmain.worker+0x44\t/tmp/x/main.go:12`. A paste may have turned
/// the tabs into spaces: then fields are split at runs of whitespace, and the
/// location (which may hold spaces) is the rest of the line.
fn frame_fields(rest: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    if memchr::memchr(b'\t', rest).is_some() {
        let mut fields = rest
            .split(|&c| c == b'\t')
            .map(lines::trim)
            .filter(|f| !f.is_empty());
        let _pc = fields.next();
        return (fields.next(), fields.next());
    }
    let mut rest = lines::trim(rest);
    let mut next = || {
        let end = rest
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(rest.len());
        let field = &rest[..end];
        rest = lines::trim(&rest[end..]);
        (!field.is_empty()).then_some(field)
    };
    let _pc = next();
    let func = next();
    (func, Some(rest).filter(|r| !r.is_empty()))
}

fn warn(line: u64, msg: &str) -> Warning {
    Warning {
        position: line,
        is_byte_offset: false,
        message: msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Vec<Dump> {
        let mut r = PprofTextReader::new();
        for l in text.split(|&c| c == b'\n') {
            r.push_line(l);
        }
        r.finish()
    }

    #[test]
    fn record_counts_beyond_u64_are_corrupt() {
        // The records' sum overflowed (seen while writing fuzz/'s invariants,
        // confirmed with fuzz/pprof_debug1): the reader says so, and reading
        // the input refuses it rather than report 2^64-1 goroutines.
        let text = b"goroutine profile: total 1\n18446744073709551615 @ 0x1\n1 @ 0x1\n";
        let d = &read(text)[0];
        assert_eq!(d.goroutines.len(), 2);
        assert_eq!(d.checked_total(), None);
        let err = crate::read_bytes(text, &Default::default()).unwrap_err();
        assert!(matches!(err, crate::Error::Corrupt(_)), "{err}");
        assert!(err.to_string().contains("more than 2^64"), "{err}");
    }
}

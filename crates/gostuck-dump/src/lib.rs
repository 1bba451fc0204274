//! Readers for every form of Go goroutine dump, and the model they produce.
//!
//! ```
//! let text = b"goroutine 1 [chan send]:\nmain.main()\n\t/app/main.go:5 +0x2d\nexit status 2\n";
//! let dumps = gostuck_dump::read_bytes(text, &Default::default()).unwrap();
//! let g = &dumps[0].goroutines[0];
//! assert_eq!(dumps[0].str(g.state), "chan send");
//! assert_eq!(dumps[0].str(g.frames[0].file), "/app/main.go");
//! ```
#![deny(missing_docs)]

mod carrier;
pub mod classify;
pub mod compare;
mod error;
pub mod group;
pub mod human;
mod idset;
pub mod inflate;
mod intern;
mod lines;
mod model;
mod notdump;
pub mod par;
pub mod pprof_proto;
mod pprof_text;
mod swar;
mod testjson;
mod traceback;
mod waitreason;
mod writer;

use std::io::{BufRead, Read};

pub use error::Error;
pub use group::{group, Group, GroupOptions, Rank};
pub use intern::{Interner, Sym};
pub use model::{
    Ancestor, CreatedBy, Dump, Elided, Format, Frame, FrameKind, Goroutine, GoroutineFlags, Stack,
    Warning,
};
pub use pprof_text::PprofTextReader;
pub use traceback::TracebackReader;
pub use waitreason::{infer_state, WaitReason};
pub use writer::{traceback_string, write_traceback};

/// Options for the readers.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Which frames keep their argument text (addresses of locks and channels).
    /// All of them by default.
    pub keep_args: KeepArgs,
}

/// Which frames keep their argument text ([`Frame::args`]).
///
/// Arguments are most of a big dump's distinct strings (every goroutine's own
/// channel and lock addresses): interning them is about 40 % of reading time
/// and most of the model's memory. Readers that only need the arguments of a
/// few functions (the engine: the resource address in `sync.(*Mutex).Lock`,
/// `runtime.chanrecv1`, …) keep just those.
#[derive(Debug, Clone, Copy, Default)]
pub enum KeepArgs {
    /// Every frame's arguments.
    #[default]
    All,
    /// No arguments ([`Sym::EMPTY`]), except `...` of inlined frames, which marks them.
    None,
    /// The arguments of frames whose function (as printed) passes the test;
    /// the test runs once per distinct function name.
    Of(fn(&str) -> bool),
}

impl From<bool> for KeepArgs {
    fn from(all: bool) -> KeepArgs {
        if all {
            KeepArgs::All
        } else {
            KeepArgs::None
        }
    }
}

/// What an input looks like, judged from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detected {
    /// A goroutine dump in the given format.
    Dump(Format),
    /// A Go execution trace (`go 1.NN trace` header).
    ExecutionTrace,
}

/// Recognises the input format from content, never from a file name.
#[must_use]
pub fn detect(head: &[u8]) -> Detected {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Detected::Dump(Format::PprofProto);
    }
    if head.starts_with(b"go 1.")
        && memchr::memmem::find(&head[..head.len().min(16)], b" trace").is_some()
    {
        return Detected::ExecutionTrace;
    }
    // A raw (uncompressed) profile.proto starts with field 1, wire type 2.
    if head.first() == Some(&0x0a) && memchr::memchr(0, &head[..head.len().min(64)]).is_some() {
        return Detected::Dump(Format::PprofProto);
    }
    // `go test -json` output carries tracebacks, whatever its events hold.
    if testjson::looks_like(&head[..head.len().min(4096)]) {
        return Detected::Dump(Format::Traceback);
    }
    for line in head.split(|&c| c == b'\n').take(50) {
        let line = lines::trim(line);
        if line.is_empty() {
            continue;
        }
        if pprof_text::profile_header(line).is_some() {
            return Detected::Dump(Format::PprofDebug1);
        }
        if lines::header(line).is_some() {
            break;
        }
    }
    Detected::Dump(Format::Traceback)
}

/// Traceback text at least this large is read on several threads.
const PARALLEL_MIN: usize = 8 << 20;
/// The smallest piece worth a thread of its own.
const PIECE_MIN: usize = 4 << 20;
/// How much input a reader consumes between two calls of a `release` callback.
const RELEASE_EVERY: usize = 16 << 20;

/// Reads every dump in an in-memory (or memory-mapped) input.
///
/// Large traceback inputs are read on several threads (split at goroutine
/// boundaries); the result is always exactly what one sequential reader gives.
pub fn read_bytes(bytes: &[u8], opts: &ReadOptions) -> Result<Vec<Dump>, Error> {
    read_bytes_releasing(bytes, opts, &|_| {})
}

/// A byte range of the input a reader has finished with (see
/// [`read_bytes_releasing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// The range, in whole lines.
    pub range: std::ops::Range<usize>,
    /// Whether a line of the range starts with `SCHED ` or `gc `, as the lines
    /// of `GODEBUG=schedtrace=…`/`gctrace=1` output do (often interleaved with
    /// dumps in one log): when false, the range holds none, and a caller
    /// looking for them need not search it.
    pub sched_like: bool,
}

/// Like [`read_bytes`], and tells `release` which byte ranges of `bytes` the
/// readers have finished with, so that a caller that memory-maps a huge file can
/// drop those pages (`madvise(MADV_DONTNEED)`) and keep its resident memory far
/// below the input size.
///
/// For traceback text, every byte is reported, in ranges of whole lines (each
/// starts at a line start and ends after a newline or at the end of the input),
/// in input order per thread but possibly from several threads at once. A range
/// may be reported, and read, again: an input read in pieces whose pieces
/// cannot be joined exactly is then read once more in one go, so released pages
/// must still hold the same bytes. Profiles report nothing. The result never
/// depends on the callback.
pub fn read_bytes_releasing(
    bytes: &[u8],
    opts: &ReadOptions,
    release: &(dyn Fn(Released) + Sync),
) -> Result<Vec<Dump>, Error> {
    match carrier::unwrap(bytes)? {
        // The unwrapped text is a copy: no range of `bytes` is reported.
        Some(u) => {
            let mut dumps = match read_plain(&u.text, opts, &|_| {}) {
                Ok(dumps) => notdump::refuse_empty(dumps, &u.text)?,
                Err(Error::NoDump) => notdump::refuse_empty(Vec::new(), &u.text)?,
                Err(e) => return Err(e),
            };
            for d in &mut dumps {
                d.notes.extend(u.notes.iter().cloned());
            }
            Ok(dumps)
        }
        None => match read_plain(bytes, opts, release) {
            Ok(dumps) => notdump::refuse_empty(dumps, bytes),
            Err(Error::NoDump) if !binary(bytes) => notdump::refuse_empty(Vec::new(), bytes),
            Err(e) => Err(e),
        },
    }
}

/// Whether the input is a profile.proto (gzip'd or not) rather than text.
fn binary(bytes: &[u8]) -> bool {
    detect(&bytes[..bytes.len().min(8192)]) == Detected::Dump(Format::PprofProto)
}

/// [`read_bytes_releasing`] of text without a carrier.
fn read_plain(
    bytes: &[u8],
    opts: &ReadOptions,
    release: &(dyn Fn(Released) + Sync),
) -> Result<Vec<Dump>, Error> {
    // A gzip stream the carrier layer did not take for text: a profile
    // (or refused), inflated within its cap.
    if inflate::is_gzip(bytes) {
        return read_gzip(bytes, opts);
    }
    if testjson::looks_like(&bytes[..bytes.len().min(4096)]) {
        let dumps = testjson::read(bytes, opts.keep_args);
        return if dumps.is_empty() {
            Err(Error::NoDump)
        } else {
            Ok(dumps)
        };
    }
    let head = &bytes[..bytes.len().min(8192)];
    let dumps = match detect(head) {
        Detected::ExecutionTrace => return Err(Error::ExecutionTrace),
        Detected::Dump(Format::PprofProto) => vec![pprof_proto::read(bytes)?],
        Detected::Dump(Format::PprofDebug1) => {
            refuse_binary(head)?;
            let mut r = PprofTextReader::new();
            for_each_line(bytes, |l| r.push_line(l));
            refuse_overflow(r.finish())?
        }
        Detected::Dump(_) => {
            refuse_binary(head)?;
            read_traceback(bytes, opts.keep_args, release)
        }
    };
    if dumps.is_empty() {
        return Err(Error::NoDump);
    }
    Ok(dumps)
}

/// A gzip'd profile or gzip'd dump text, inflated within its cap (see
/// [`inflate::gunzip`]) and read like the same bytes uncompressed.
fn read_gzip(bytes: &[u8], opts: &ReadOptions) -> Result<Vec<Dump>, Error> {
    let (kind, raw) = inflate::gunzip(bytes)?;
    match kind {
        inflate::Inflated::Protobuf => Ok(vec![pprof_proto::read(&raw)?]),
        // One level only: a gzip stream inside another is not inflated again.
        _ if inflate::is_gzip(&raw) => Err(Error::Inflate(
            "the gzip stream holds another gzip stream".into(),
        )),
        _ => read_bytes_releasing(&raw, opts, &|_| {}),
    }
}

/// Refuses profiles whose record counts add up past 2^64.
fn refuse_overflow(dumps: Vec<Dump>) -> Result<Vec<Dump>, Error> {
    if dumps.iter().any(|d| d.checked_total().is_none()) {
        return Err(Error::Corrupt(
            "the profile's record counts add up to more than 2^64 goroutines".into(),
        ));
    }
    Ok(dumps)
}

/// Input whose first bytes are more than this share NUL is binary data.
const MAX_NUL_SHARE: usize = 8;

/// Refuses, from its first bytes alone, input that no reader accepts: binary
/// data that is neither a gzip stream, a profile nor an execution trace. A
/// caller reading a stream can ask before reading the rest of it.
pub fn check_head(head: &[u8]) -> Result<(), Error> {
    if inflate::is_gzip(head) || testjson::looks_like(&head[..head.len().min(64)]) {
        return Ok(());
    }
    match detect(head) {
        Detected::Dump(Format::Traceback | Format::PprofDebug1) => refuse_binary(head),
        _ => Ok(()),
    }
}

/// Refuses input whose first bytes are mostly NUL: text dumps hold none, and
/// reading a gigabyte of zeros as one endless line helps nobody.
fn refuse_binary(head: &[u8]) -> Result<(), Error> {
    let nul = bytecount_nul(head);
    if nul > 0 && nul * MAX_NUL_SHARE >= head.len() {
        return Err(Error::Binary(format!(
            "{nul} of its first {} bytes are NUL (binary data)",
            head.len()
        )));
    }
    Ok(())
}

fn bytecount_nul(b: &[u8]) -> usize {
    memchr::memchr_iter(0, b).count()
}

pub(crate) fn read_traceback(
    bytes: &[u8],
    keep_args: KeepArgs,
    release: &(dyn Fn(Released) + Sync),
) -> Vec<Dump> {
    if bytes.len() >= PARALLEL_MIN {
        let threads = par::threads().min(bytes.len() / PIECE_MIN);
        if threads > 1 {
            if let Some(d) = traceback::read_in_pieces(bytes, keep_args, threads, release) {
                return d;
            }
        }
    }
    let mut r = TracebackReader::new(keep_args);
    for_each_line_releasing(bytes, 0, release, |l| r.push_line(l));
    r.finish()
}

/// Reads traceback text in `pieces` pieces, one thread each; `None` when the
/// input cannot be split or its pieces cannot be joined exactly (a log prefix,
/// several dumps, a crash dump's thread sections…). For tests and benchmarks.
#[doc(hidden)]
pub fn read_traceback_in_pieces(
    bytes: &[u8],
    keep_args: impl Into<KeepArgs>,
    pieces: usize,
) -> Option<Vec<Dump>> {
    traceback::read_in_pieces(bytes, keep_args.into(), pieces, &|_| {})
}

/// Reads every dump from a stream, line by line (binary profiles are buffered
/// whole). The first MiB is read first: an input that ends within it, or that
/// needs a carrier taken off (see [`read_bytes`]), is read in memory.
pub fn read<R: BufRead>(mut r: R, opts: &ReadOptions) -> Result<Vec<Dump>, Error> {
    let mut head = Vec::new();
    (&mut r)
        .take(carrier::WINDOW as u64)
        .read_to_end(&mut head)?;
    if head.len() < carrier::WINDOW
        || testjson::looks_like(&head[..4096])
        || carrier::needs_whole(&head)
        || inflate::is_gzip(&head)
    {
        r.read_to_end(&mut head)?;
        return read_bytes(&head, opts);
    }
    let detected = detect(&head[..8192]);
    if matches!(detected, Detected::Dump(f) if f != Format::PprofProto) {
        refuse_binary(&head[..8192])?;
    }
    let mut r = std::io::Cursor::new(head).chain(r);
    let mut line = Vec::new();
    let dumps = match detected {
        Detected::ExecutionTrace => return Err(Error::ExecutionTrace),
        Detected::Dump(Format::PprofProto) => {
            let mut all = Vec::new();
            r.read_to_end(&mut all)?;
            vec![pprof_proto::read(&all)?]
        }
        Detected::Dump(Format::PprofDebug1) => {
            let mut p = PprofTextReader::new();
            while read_line(&mut r, &mut line)? {
                p.push_line(&line);
            }
            refuse_overflow(p.finish())?
        }
        Detected::Dump(_) => {
            let mut p = TracebackReader::new(opts.keep_args);
            while read_line(&mut r, &mut line)? {
                p.push_line(&line);
            }
            p.finish()
        }
    };
    let head = r.into_inner().0.into_inner();
    notdump::refuse_empty(dumps, &head)
}

/// The text `bytes` holds once every carrier (encoding, markdown, log
/// record…) is taken off, when there is one. For tests and fuzz targets.
#[doc(hidden)]
#[must_use]
pub fn unwrap_carriers(bytes: &[u8]) -> Option<Vec<u8>> {
    carrier::unwrap(bytes).ok().flatten().map(|u| u.text)
}

/// Lines of a stream are kept up to this length; the rest of a longer line is
/// skipped (no dump line comes near, and an endless "line" must not fill memory).
const MAX_LINE: usize = 1 << 20;

/// Reads one line (without its `\n`) into `buf`, at most [`MAX_LINE`] bytes of it.
fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> Result<bool, Error> {
    buf.clear();
    let mut any = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if avail.is_empty() {
            return Ok(any);
        }
        any = true;
        let nl = memchr::memchr(b'\n', avail);
        let end = nl.unwrap_or(avail.len());
        let room = MAX_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&avail[..end.min(room)]);
        r.consume(end + usize::from(nl.is_some()));
        if nl.is_some() {
            return Ok(true);
        }
    }
}

/// [`for_each_line`] over `bytes`, which start at offset `base` of the whole
/// input, reporting consumed ranges (whole lines) to `release` as it goes.
fn for_each_line_releasing(
    bytes: &[u8],
    base: usize,
    release: &(dyn Fn(Released) + Sync),
    mut f: impl FnMut(&[u8]),
) {
    let mut start = 0;
    let mut released = 0;
    let mut sched_like = false;
    let mut line = |l: &[u8], sched_like: &mut bool| {
        *sched_like |= matches!(l.first(), Some(b'S' | b'g'))
            && (l.starts_with(b"SCHED ") || l.starts_with(b"gc "));
        f(l);
    };
    newlines(bytes, |nl| {
        line(&bytes[start..nl], &mut sched_like);
        start = nl + 1;
        if start - released >= RELEASE_EVERY {
            release(Released {
                range: base + released..base + start,
                sched_like: std::mem::take(&mut sched_like),
            });
            released = start;
        }
    });
    if start < bytes.len() {
        line(&bytes[start..], &mut sched_like);
    }
    if released < bytes.len() {
        release(Released {
            range: base + released..base + bytes.len(),
            sched_like,
        });
    }
}

/// Calls `at` with the offset of every `\n` in `bytes`, in order.
#[inline]
fn newlines(bytes: &[u8], at: impl FnMut(usize)) {
    swar::for_each_eq(bytes, b'\n', at);
}

fn for_each_line(bytes: &[u8], mut f: impl FnMut(&[u8])) {
    let mut start = 0;
    newlines(bytes, |nl| {
        f(&bytes[start..nl]);
        start = nl + 1;
    });
    if start < bytes.len() {
        f(&bytes[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_ranges_cover_the_input_and_flag_scheduler_trace_lines() {
        let captured = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/captured/go1.27.3");
        let dump = std::fs::read(captured.join("sigquit-default.txt")).unwrap();
        let sched = std::fs::read(captured.join("sched/gc-stops.txt")).unwrap();
        let ranges = |bytes: &[u8]| {
            let got = std::sync::Mutex::new(Vec::new());
            let release = |r: Released| got.lock().unwrap().push(r);
            let _ = read_bytes_releasing(bytes, &ReadOptions::default(), &release);
            got.into_inner().unwrap()
        };
        let alone = ranges(&dump);
        assert_eq!(
            alone.iter().map(|r| r.range.len()).sum::<usize>(),
            dump.len()
        );
        assert!(alone.iter().all(|r| !r.sched_like), "{alone:?}");
        // The same dump with a real scheduler trace behind it (as in a log).
        let mixed = [&dump[..], &sched[..]].concat();
        let got = ranges(&mixed);
        assert_eq!(
            got.iter().map(|r| r.range.len()).sum::<usize>(),
            mixed.len()
        );
        assert!(got.iter().any(|r| r.sched_like), "{got:?}");
    }

    #[test]
    fn a_short_stream_is_read_once() {
        // Found by fuzz/read_bytes: the first buffer was read again after detection.
        let text =
            b"goroutine 1 [chan send]:\nmain.main()\n\t/app/main.go:5 +0x2d\nexit status 2\n";
        let dumps = read(std::io::BufReader::new(&text[..]), &ReadOptions::default()).unwrap();
        assert_eq!(dumps.len(), 1);
        assert_eq!(dumps[0].goroutines.len(), 1);
    }

    #[test]
    fn a_repeated_goroutine_id_keeps_only_the_last_dumps() {
        let g = b"goroutine 7 [chan receive]:\nmain.main()\n\t/app/main.go:5 +0x2d\n\n";
        let text = g.repeat(2500);
        let dumps = read_bytes(&text, &ReadOptions::default()).unwrap();
        assert_eq!(dumps.len(), traceback::MAX_DUMPS);
        let last = dumps.last().unwrap();
        let w = &last.warnings.last().unwrap().message;
        assert!(w.contains("holds 2500 dumps"), "{w}");
        assert_eq!(dumps[0].first_line, 1500 * 4 + 1);
        // The same through the streaming reader.
        let streamed = read(std::io::BufReader::new(&text[..]), &ReadOptions::default()).unwrap();
        assert_eq!(streamed.len(), traceback::MAX_DUMPS);
    }

    #[test]
    fn binary_input_is_refused_from_its_first_bytes() {
        let mut zeros = vec![0u8; 1 << 20];
        zeros[..10].copy_from_slice(b"goroutine ");
        let err = read_bytes(&zeros, &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Binary(_)), "{err}");
        let err = read(std::io::BufReader::new(&zeros[..]), &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Binary(_)), "{err}");
    }

    #[test]
    fn gzip_text_is_read_as_text_once() {
        use std::io::Write;
        let text = b"goroutine 1 [chan send]:\nmain.main()\n\t/app/main.go:5 +0x2d\n";
        let gz = |b: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(b).unwrap();
            e.finish().unwrap()
        };
        let dumps = read_bytes(&gz(text), &ReadOptions::default()).unwrap();
        assert_eq!(dumps[0].goroutines.len(), 1);
        // A gzip stream inside another is not inflated again.
        let err = read_bytes(&gz(&gz(text)), &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Inflate(_) | Error::NoDump), "{err}");
    }
}

//! Dumps with scheduler/GC traces mixed in (a program's stderr, a log file):
//! both read in one pass over the input.

use std::io::{self, BufRead, Read};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use gostuck_dump::{Dump, KeepArgs, ReadOptions};

use crate::SchedLog;

/// What one input file held.
pub struct ReadResult {
    /// Goroutine dumps (may be empty when the file is only a scheduler trace).
    pub dumps: Vec<Dump>,
    /// Scheduler/GC trace lines found in it.
    pub sched: Option<SchedLog>,
}

/// Files up to this size keep every frame's arguments whatever the options
/// say: the engine then also tells copies of one component apart by their
/// methods' receivers (a lock left locked in one copy among many healthy
/// ones). Above it, dropping arguments keeps big dumps fast and small.
pub const ALL_ARGS_MAX: u64 = 64 << 20;

/// `opts`, keeping every frame's arguments for an input of `len` bytes up to
/// [`ALL_ARGS_MAX`].
#[must_use]
pub fn for_size(opts: &ReadOptions, len: u64) -> ReadOptions {
    if len <= ALL_ARGS_MAX {
        ReadOptions {
            keep_args: KeepArgs::All,
        }
    } else {
        opts.clone()
    }
}

/// Reads dumps and scheduler traces from a memory-mapped file's bytes, in
/// one pass and without ever needing the whole file resident: the dump
/// readers report the ranges they are done with; each is searched for
/// scheduler traces right then (ranges are whole lines, so the search is the
/// same as over the whole input) and then handed to `release` (to drop its
/// pages from memory).
pub fn read_bytes_releasing(
    bytes: &[u8],
    opts: &ReadOptions,
    release_range: &(dyn Fn(Range<usize>) + Sync),
) -> Result<ReadResult, gostuck_dump::Error> {
    let has_trace = AtomicBool::new(false);
    let seen = AtomicUsize::new(0);
    let release = |gostuck_dump::Released {
                       range: r,
                       sched_like,
                   }| {
        // The reader saw every line start: only a range with a line starting
        // like a scheduler trace's needs the search.
        if sched_like
            && !has_trace.load(Ordering::Relaxed)
            && crate::contains_trace(&bytes[r.clone()])
        {
            has_trace.store(true, Ordering::Relaxed);
        }
        seen.fetch_add(r.len(), Ordering::Relaxed);
        release_range(r);
    };
    let dumps = gostuck_dump::read_bytes_releasing(bytes, opts, &release);
    if refused(&dumps) {
        return combine(dumps, None);
    }
    // Formats read without reporting ranges (profiles) are searched here.
    let has_trace = if seen.load(Ordering::Relaxed) >= bytes.len() {
        has_trace.into_inner()
    } else {
        crate::contains_trace(bytes)
    };
    let sched = has_trace.then(|| crate::parse_bytes(bytes));
    combine(dumps, sched)
}

/// Reads a file of any size: memory-mapped, each range's pages dropped once
/// the readers are done with it (so a dump larger than memory can be read),
/// or streamed when it cannot be mapped.
///
/// # Errors
/// The readers refused the file, or found no dump and no scheduler trace.
pub fn read_file(
    file: &std::fs::File,
    opts: &ReadOptions,
) -> Result<ReadResult, gostuck_dump::Error> {
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let opts = &for_size(opts, len);
    // SAFETY: the map is read-only and lives only for this call; a file truncated
    // underneath us could fault, which is the accepted trade-off of every mmap reader.
    match unsafe { memmap2::Mmap::map(file) } {
        Ok(map) => read_bytes_releasing(&map, opts, &|r| release_pages(&map, r)),
        Err(_) => read_stream(io::BufReader::new(file), opts),
    }
}

/// Lets the kernel drop the pages of `range` of a read-only file mapping from
/// this process (whole 64 KiB blocks inside the range only, so pages shared with
/// a range another reader thread is still reading stay mapped).
#[cfg(unix)]
fn release_pages(map: &memmap2::Mmap, range: Range<usize>) {
    const BLOCK: usize = 1 << 16;
    let start = range.start.next_multiple_of(BLOCK);
    let end = range.end / BLOCK * BLOCK;
    if end > start {
        // SAFETY: MADV_DONTNEED on a shared, read-only file mapping only unmaps
        // pages: reading them again faults the same file contents back in.
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
    }
    // The reader goes on right after the range: map the next block in one call
    // instead of one page fault per few pages (Linux 5.14+; ignored elsewhere).
    #[cfg(target_os = "linux")]
    {
        let ahead = range.end.min(map.len());
        let n = (map.len() - ahead).min(16 << 20);
        if n > 0 {
            let _ = map.advise_range(memmap2::Advice::PopulateRead, ahead, n);
        }
    }
}

#[cfg(not(unix))]
fn release_pages(_: &memmap2::Mmap, _: Range<usize>) {}

/// Reads dumps and scheduler traces from a stream, reading it once.
pub fn read_stream<R: BufRead>(
    input: R,
    opts: &ReadOptions,
) -> Result<ReadResult, gostuck_dump::Error> {
    let mut sniff = SchedSniffer::new(input);
    let dumps = gostuck_dump::read(&mut sniff, opts);
    let sched = sniff.finish_after(&dumps);
    combine(dumps, sched)
}

/// Reads dumps and scheduler traces from bytes in memory.
pub fn read_bytes(bytes: &[u8], opts: &ReadOptions) -> Result<ReadResult, gostuck_dump::Error> {
    let sched = crate::contains_trace(bytes).then(|| crate::parse_bytes(bytes));
    let opts = for_size(opts, bytes.len() as u64);
    combine(gostuck_dump::read_bytes(bytes, &opts), sched)
}

/// Whether the reader refused the input outright (binary data, a
/// decompression bomb, corrupt counts…): then it is not searched for
/// scheduler traces either, and a stream is not read on.
fn refused(dumps: &Result<Vec<Dump>, gostuck_dump::Error>) -> bool {
    matches!(dumps, Err(e) if !matches!(e, gostuck_dump::Error::NoDump))
}

fn combine(
    dumps: Result<Vec<Dump>, gostuck_dump::Error>,
    sched: Option<SchedLog>,
) -> Result<ReadResult, gostuck_dump::Error> {
    let sched = sched.filter(|s| !s.is_empty());
    match dumps {
        Ok(dumps) => Ok(ReadResult { dumps, sched }),
        Err(gostuck_dump::Error::NoDump) if sched.is_some() => Ok(ReadResult {
            dumps: Vec::new(),
            sched,
        }),
        Err(e) => Err(e),
    }
}

/// Passes a stream through to the dump reader while feeding every line to the
/// scheduler-trace parser, so stdin is read once.
struct SchedSniffer<R> {
    inner: R,
    parser: crate::Parser,
    partial: Vec<u8>,
}

impl<R: BufRead> SchedSniffer<R> {
    fn new(inner: R) -> Self {
        SchedSniffer {
            inner,
            parser: crate::Parser::new(),
            partial: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        feed_lines(&mut self.parser, &mut self.partial, bytes);
    }

    /// The scheduler trace, unless the dump reader refused the input.
    fn finish_after(self, dumps: &Result<Vec<Dump>, gostuck_dump::Error>) -> Option<SchedLog> {
        if refused(dumps) {
            return None;
        }
        self.finish()
    }

    fn finish(mut self) -> Option<SchedLog> {
        // Whatever the dump reader left unread still counts (read in blocks:
        // the rest of a stream may be large).
        let mut block = vec![0; 1 << 16];
        while let Ok(n) = self.inner.read(&mut block) {
            if n == 0 {
                break;
            }
            let (parser, partial) = (&mut self.parser, &mut self.partial);
            feed_lines(parser, partial, &block[..n]);
        }
        if !self.partial.is_empty() {
            let p = std::mem::take(&mut self.partial);
            self.parser.push_line(&p);
        }
        Some(self.parser.finish()).filter(|s| !s.is_empty())
    }
}

impl<R: BufRead> Read for SchedSniffer<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.feed(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for SchedSniffer<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            feed_lines(
                &mut self.parser,
                &mut self.partial,
                &buf[..amt.min(buf.len())],
            );
        }
        self.inner.consume(amt);
    }
}

/// Hands complete lines to the parser, keeping the start of an unfinished one.
fn feed_lines(parser: &mut crate::Parser, partial: &mut Vec<u8>, mut bytes: &[u8]) {
    while let Some(nl) = memchr::memchr(b'\n', bytes) {
        if partial.is_empty() {
            parser.push_line(&bytes[..nl]);
        } else {
            partial.extend_from_slice(&bytes[..nl.min(4096)]);
            parser.push_line(partial);
            partial.clear();
        }
        bytes = &bytes[nl + 1..];
    }
    // Only the start of a long line matters to the parser.
    let room = 4096usize.saturating_sub(partial.len());
    partial.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

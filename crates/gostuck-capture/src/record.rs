//! Pass-through of a child's output with bounded recording, and the line
//! scanner that watches it for the runtime's own verdicts and for `go test`
//! progress lines.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Keeps the first `head_cap` and the last `tail_cap` bytes of a stream.
#[derive(Debug)]
pub struct Recorder {
    head: Vec<u8>,
    head_cap: usize,
    /// A ring of the latest bytes once the head is full.
    tail: Vec<u8>,
    tail_cap: usize,
    /// Where the next byte goes in `tail` once it has wrapped.
    pos: usize,
    total: u64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// First 64 MiB and last 256 MiB.
    #[must_use]
    pub fn new() -> Recorder {
        Recorder::with_caps(64 << 20, 256 << 20)
    }

    /// Custom limits (for tests).
    #[must_use]
    pub fn with_caps(head_cap: usize, tail_cap: usize) -> Recorder {
        Recorder {
            head: Vec::new(),
            head_cap,
            tail: Vec::new(),
            tail_cap,
            pos: 0,
            total: 0,
        }
    }

    /// Records `bytes`.
    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if self.head.len() < self.head_cap {
            let n = bytes.len().min(self.head_cap - self.head.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() >= self.tail_cap {
            self.tail.clear();
            self.tail
                .extend_from_slice(&bytes[bytes.len() - self.tail_cap..]);
            self.pos = 0;
            return;
        }
        while !bytes.is_empty() {
            if self.tail.len() < self.tail_cap {
                let n = bytes.len().min(self.tail_cap - self.tail.len());
                self.tail.extend_from_slice(&bytes[..n]);
                bytes = &bytes[n..];
                continue;
            }
            let n = bytes.len().min(self.tail_cap - self.pos);
            self.tail[self.pos..self.pos + n].copy_from_slice(&bytes[..n]);
            self.pos = (self.pos + n) % self.tail_cap;
            bytes = &bytes[n..];
        }
    }

    /// Bytes seen in total.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes dropped from the middle.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.total - (self.head.len() + self.tail.len()) as u64
    }

    /// The recording: head, a marker line when the middle was dropped, tail.
    #[must_use]
    pub fn contents(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.head.len() + self.tail.len() + 80);
        out.extend_from_slice(&self.head);
        if self.dropped() > 0 {
            out.extend_from_slice(
                format!(
                    "\n[gostuck: {} bytes of output not kept here]\n",
                    self.dropped()
                )
                .as_bytes(),
            );
        }
        out.extend_from_slice(&self.tail[self.pos..]);
        out.extend_from_slice(&self.tail[..self.pos]);
        out
    }
}

/// What the scanner saw in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `fatal error: all goroutines are asleep - deadlock!`
    Deadlock,
    /// `panic: test timed out after …`
    TestTimeout,
}

/// State shared by the two output threads and the watcher.
#[derive(Debug)]
pub struct Shared {
    /// The child's stdout, recorded.
    pub stdout: Recorder,
    /// The child's stderr, recorded.
    pub stderr: Recorder,
    /// When the child last wrote anything.
    pub last_output: Instant,
    /// Runtime verdicts seen, in order.
    pub markers: Vec<Marker>,
    /// Tests started (`=== RUN`, `=== CONT`) and not yet ended (`--- PASS` …, `=== PAUSE`).
    pub running: Vec<String>,
    /// Failures writing to our own stdout/stderr (e.g. a closed pipe).
    pub pass_errors: Vec<String>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}

impl Shared {
    /// Empty recordings of both streams.
    #[must_use]
    pub fn new() -> Shared {
        Shared {
            stdout: Recorder::new(),
            stderr: Recorder::new(),
            last_output: Instant::now(),
            markers: Vec::new(),
            running: Vec::new(),
            pass_errors: Vec::new(),
        }
    }

    fn scan_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"fatal error: all goroutines are asleep") {
            self.markers.push(Marker::Deadlock);
        } else if line.starts_with(b"panic: test timed out after ") {
            self.markers.push(Marker::TestTimeout);
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return;
        };
        let t = text.trim_start();
        let name = |rest: &str| rest.split_whitespace().next().map(str::to_string);
        if let Some(rest) = t
            .strip_prefix("=== RUN ")
            .or_else(|| t.strip_prefix("=== CONT "))
        {
            if let Some(n) = name(rest) {
                if !self.running.contains(&n) {
                    self.running.push(n);
                }
            }
        } else if let Some(rest) = t
            .strip_prefix("--- PASS: ")
            .or_else(|| t.strip_prefix("--- FAIL: "))
            .or_else(|| t.strip_prefix("--- SKIP: "))
            .or_else(|| t.strip_prefix("=== PAUSE "))
        {
            if let Some(n) = name(rest) {
                self.running.retain(|r| *r != n);
            }
        }
    }
}

/// A line (or the start of one) of `GODEBUG=schedtrace`/`scheddetail`/`gctrace` output.
pub fn is_trace_line(l: &[u8]) -> bool {
    let detail = l.len() > 3
        && l.starts_with(b"  ")
        && matches!(l[2], b'P' | b'M' | b'G')
        && l[3].is_ascii_digit();
    let gc = l.starts_with(b"gc ") && l.get(3).is_some_and(u8::is_ascii_digit);
    detail || gc || l.starts_with(b"SCHED ") || b"SCHED ".starts_with(l)
}

/// Which of the child's streams a thread carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The child's stdout.
    Stdout,
    /// The child's stderr.
    Stderr,
}

/// Copies `from` to our own stdout or stderr unchanged, recording it and
/// scanning its lines. Keeps draining the child after our side fails, so the
/// child never blocks on a full pipe and the recording stays complete.
pub fn pump(mut from: impl Read, which: Stream, shared: Arc<Mutex<Shared>>) {
    let mut buf = vec![0u8; 64 << 10];
    let mut line: Vec<u8> = Vec::new();
    let mut pass_ok = true;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let chunk = &buf[..n];
        let mut failed = None;
        if pass_ok {
            let r = match which {
                Stream::Stdout => {
                    let mut o = std::io::stdout().lock();
                    o.write_all(chunk).and_then(|_| o.flush())
                }
                Stream::Stderr => {
                    let mut o = std::io::stderr().lock();
                    o.write_all(chunk).and_then(|_| o.flush())
                }
            };
            if let Err(e) = r {
                pass_ok = false;
                failed = Some(format!("writing the command's {which:?} through: {e}"));
            }
        }
        let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
        match which {
            Stream::Stdout => s.stdout.push(chunk),
            Stream::Stderr => s.stderr.push(chunk),
        }
        s.pass_errors.extend(failed);
        // Scheduler/GC trace lines are the runtime talking, not the program:
        // they do not count as progress.
        let mut progress = false;
        let mut rest = chunk;
        while let Some(nl) = rest.iter().position(|&c| c == b'\n') {
            if line.is_empty() {
                progress |= !is_trace_line(&rest[..nl]);
                s.scan_line(&rest[..nl]);
            } else {
                line.extend_from_slice(&rest[..nl.min(4096)]);
                progress |= !is_trace_line(&line);
                s.scan_line(&line);
                line.clear();
            }
            rest = &rest[nl + 1..];
        }
        if line.len() < 4096 {
            line.extend_from_slice(&rest[..rest.len().min(4096 - line.len())]);
        }
        if !rest.is_empty() && !is_trace_line(&line) {
            progress = true;
        }
        if progress {
            s.last_output = Instant::now();
        }
    }
    if !line.is_empty() {
        let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
        s.scan_line(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorder_keeps_head_and_tail_and_marks_the_gap() {
        let mut r = Recorder::with_caps(4, 6);
        for chunk in [&b"abc"[..], b"defgh", b"ij", b"klmnopq", b"r"] {
            r.push(chunk);
        }
        assert_eq!(r.total(), 18);
        assert_eq!(r.dropped(), 8);
        let c = r.contents();
        assert!(
            c.starts_with(b"abcd\n[gostuck: 8 bytes"),
            "{}",
            String::from_utf8_lossy(&c)
        );
        assert!(c.ends_with(b"]\nmnopqr"), "{}", String::from_utf8_lossy(&c));
        let mut small = Recorder::with_caps(4, 6);
        small.push(b"abcdefghij");
        assert_eq!(small.contents(), b"abcdefghij");
        let mut big = Recorder::with_caps(2, 3);
        big.push(b"0123456789");
        assert!(big.contents().ends_with(b"789"));
    }

    #[test]
    fn the_scanner_follows_tests_and_runtime_verdicts() {
        let mut s = Shared::new();
        for l in [
            "=== RUN   TestA",
            "--- PASS: TestA (0.00s)",
            "=== RUN   TestB",
            "=== RUN   TestB/sub",
            "    --- PASS: TestB/sub (0.00s)",
            "=== RUN   TestC",
            "=== PAUSE TestC",
            "panic: test timed out after 2s",
        ] {
            s.scan_line(l.as_bytes());
        }
        assert_eq!(s.running, ["TestB"]);
        assert_eq!(s.markers, [Marker::TestTimeout]);
        s.scan_line(b"fatal error: all goroutines are asleep - deadlock!\r");
        assert_eq!(s.markers[1], Marker::Deadlock);
    }
}

//! [`ReadAhead`]: a buffered reader whose reading happens on another thread.

use std::io::{self, BufRead, ErrorKind, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Bytes per chunk.
const CHUNK: usize = 1 << 20;
/// Chunks read ahead of the consumer (besides the one it is reading).
const DEPTH: usize = 2;

/// A [`BufRead`] whose input is read by a background thread, up to a few
/// MiB ahead of the consumer.
///
/// Reading a trace file is mostly the kernel copying bytes; with this, that
/// copy overlaps the [`crate::Reader`]'s own work on a machine with a free
/// core (it costs the same CPU time). Memory: at most `(DEPTH + 2)` chunks
/// of 1 MiB. An I/O error reaches the consumer at the point of the input
/// where it happened. Dropping the `ReadAhead` stops the thread after its
/// current read.
///
/// ```no_run
/// let f = std::fs::File::open("trace.out")?;
/// let mut r = gostuck_trace::Reader::new(gostuck_trace::ReadAhead::new(f))?;
/// while let Some(ev) = r.read_event_ref()? {
///     println!("{ev}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ReadAhead {
    full: Receiver<io::Result<Vec<u8>>>,
    empty: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
}

impl ReadAhead {
    /// Starts reading `r` on a new thread.
    pub fn new<R: Read + Send + 'static>(mut r: R) -> Self {
        let (full_tx, full) = mpsc::sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (empty, empty_rx) = mpsc::sync_channel::<Vec<u8>>(DEPTH + 2);
        std::thread::spawn(move || {
            // Buffers in use: DEPTH in the channel, one being filled and one
            // with the consumer. Once that many exist, wait for one back.
            let mut made = 0;
            loop {
                let mut buf = if made < DEPTH + 2 {
                    made += 1;
                    Vec::new()
                } else {
                    match empty_rx.recv() {
                        Ok(b) => b,
                        // The consumer is gone.
                        Err(_) => return,
                    }
                };
                let res = fill(&mut r, &mut buf);
                // A short chunk: the input ended, or failed.
                let last = buf.len() < CHUNK;
                // Bytes read before an error come first. If the consumer is
                // gone, stop.
                if !buf.is_empty() && full_tx.send(Ok(buf)).is_err() {
                    return;
                }
                match res {
                    Err(e) => {
                        let _ = full_tx.send(Err(e));
                        return;
                    }
                    Ok(()) if last => {
                        let _ = full_tx.send(Ok(Vec::new()));
                        return;
                    }
                    Ok(()) => {}
                }
            }
        });
        ReadAhead {
            full,
            empty,
            cur: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

/// Reads into `buf` until it holds `CHUNK` bytes, the input ends or fails;
/// `buf` then holds what was read.
fn fill<R: Read>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<()> {
    // A reused buffer is already this long: no zeroing then.
    buf.resize(CHUNK, 0);
    let mut n = 0;
    let res = loop {
        if n == CHUNK {
            break Ok(());
        }
        match r.read(&mut buf[n..]) {
            Ok(0) => break Ok(()),
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    buf.truncate(n);
    res
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.cur.len() && !self.done {
            let old = std::mem::take(&mut self.cur);
            self.pos = 0;
            // The thread may have stopped; the buffer is then just dropped.
            if !old.is_empty() || old.capacity() > 0 {
                let _ = self.empty.try_send(old);
            }
            match self.full.recv() {
                Ok(Ok(buf)) if buf.is_empty() => self.done = true,
                Ok(Ok(buf)) => self.cur = buf,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        Ok(&self.cur[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.cur.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_everything_in_order() {
        let data: Vec<u8> = (0..(3 * CHUNK + 12345))
            .map(|i| (i * 7).to_le_bytes()[0])
            .collect();
        let mut r = ReadAhead::new(io::Cursor::new(data.clone()));
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!(got, data);
        assert!(r.fill_buf().unwrap().is_empty());
    }

    #[test]
    fn errors_come_after_the_bytes_before_them() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("boom"));
                }
                let n = self.0.min(out.len()).min(1000);
                out[..n].fill(1);
                self.0 -= n;
                Ok(n)
            }
        }
        let mut r = ReadAhead::new(Failing(2500));
        let mut got = Vec::new();
        let err = r.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(got.len(), 2500, "the bytes before the error come first");
    }
}

//! Low-level byte access: varints on slices and a position-tracking stream.

use std::io::{BufRead, ErrorKind};

use crate::error::{BatchRef, Error, Problem, Result};

/// Why a varint could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarintError {
    /// The buffer ended inside the varint.
    Truncated,
    /// More than 10 bytes, or a value above `u64::MAX`.
    Overflow,
}

/// Decodes an unsigned LEB128 varint (Go's `binary.Uvarint`) from the start
/// of `buf`, returning the value and its length.
pub(crate) fn uvarint(buf: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut x = 0u64;
    let mut shift = 0u32;
    for (i, &b) in buf.iter().enumerate() {
        if i == 10 {
            return Err(VarintError::Overflow);
        }
        if b < 0x80 {
            if i == 9 && b > 1 {
                return Err(VarintError::Overflow);
            }
            return Ok((x | (u64::from(b) << shift), i + 1));
        }
        x |= u64::from(b & 0x7f) << shift;
        shift += 7;
    }
    Err(VarintError::Truncated)
}

/// A cursor over a batch's bytes that reports errors with file offsets.
pub(crate) struct SliceCursor<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    /// File offset of `buf[0]`.
    pub(crate) base: u64,
    pub(crate) batch: Option<BatchRef>,
}

impl<'a> SliceCursor<'a> {
    pub(crate) fn new(buf: &'a [u8], base: u64, batch: Option<BatchRef>) -> Self {
        SliceCursor {
            buf,
            pos: 0,
            base,
            batch,
        }
    }

    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(crate) fn malformed(&self, problem: Problem) -> Error {
        Error::malformed(self.offset(), self.batch, problem)
    }

    pub(crate) fn truncated(&self, what: &'static str) -> Error {
        Error::malformed(self.offset(), self.batch, Problem::Overrun { what })
    }

    pub(crate) fn byte(&mut self, what: &'static str) -> Result<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated(what)),
        }
    }

    #[inline]
    pub(crate) fn uvarint(&mut self, what: &'static str) -> Result<u64> {
        // Most arguments (time deltas, small IDs) fit in one byte.
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.uvarint_slow(what)
    }

    fn uvarint_slow(&mut self, what: &'static str) -> Result<u64> {
        match uvarint(&self.buf[self.pos.min(self.buf.len())..]) {
            Ok((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            Err(VarintError::Truncated) => Err(self.truncated(what)),
            Err(VarintError::Overflow) => Err(self.malformed(Problem::BadVarint)),
        }
    }

    pub(crate) fn bytes(&mut self, n: u64, what: &'static str) -> Result<&'a [u8]> {
        let rest = self.buf.len() - self.pos.min(self.buf.len());
        let n = match usize::try_from(n) {
            Ok(n) if n <= rest => n,
            _ => return Err(self.truncated(what)),
        };
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
}

/// A buffered stream that counts the bytes consumed.
pub(crate) struct Input<R> {
    r: R,
    pos: u64,
    /// Buffers of a finished generation's batches, reused for the next
    /// one's: allocating them afresh costs a page fault per page.
    pool: Vec<Vec<u8>>,
}

impl<R: BufRead> Input<R> {
    pub(crate) fn new(r: R) -> Self {
        Input {
            r,
            pos: 0,
            pool: Vec::new(),
        }
    }

    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::Io {
            offset: self.pos,
            source: e,
        }
    }

    /// The next byte, or `None` at a clean end of file.
    pub(crate) fn byte(&mut self) -> Result<Option<u8>> {
        loop {
            let b = match self.r.fill_buf() {
                Ok(b) => b.first().copied(),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(e)),
            };
            if b.is_some() {
                self.r.consume(1);
                self.pos += 1;
            }
            return Ok(b);
        }
    }

    /// A varint; end of file inside it is a truncation.
    pub(crate) fn uvarint(&mut self, what: &'static str, batch: Option<BatchRef>) -> Result<u64> {
        let start = self.pos;
        let mut x = 0u64;
        let mut shift = 0u32;
        for i in 0..10 {
            let Some(b) = self.byte()? else {
                return Err(Error::Truncated {
                    offset: self.pos,
                    batch,
                    what,
                });
            };
            if b < 0x80 {
                if i == 9 && b > 1 {
                    break;
                }
                return Ok(x | (u64::from(b) << shift));
            }
            x |= u64::from(b & 0x7f) << shift;
            shift += 7;
        }
        Err(Error::malformed(start, batch, Problem::BadVarint))
    }

    /// Gives back a buffer [`Input::bytes`] returned, to be reused.
    pub(crate) fn recycle(&mut self, v: Vec<u8>) {
        self.pool.push(v);
    }

    /// Exactly `n` bytes (the caller bounds `n`).
    pub(crate) fn bytes(
        &mut self,
        n: u64,
        what: &'static str,
        batch: Option<BatchRef>,
    ) -> Result<Vec<u8>> {
        // `n` is bounded by the caller (at most a batch), so reserving it is safe.
        let mut v = self.pool.pop().unwrap_or_default();
        v.clear();
        v.reserve_exact(usize::try_from(n).unwrap_or(0));
        // Copied from the reader's buffer: `read_to_end` into spare
        // capacity would zero it first.
        while (v.len() as u64) < n {
            let buf = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(e)),
            };
            if buf.is_empty() {
                break;
            }
            let k =
                usize::try_from(n - v.len() as u64).map_or(buf.len(), |left| buf.len().min(left));
            v.extend_from_slice(&buf[..k]);
            self.r.consume(k);
        }
        let got = v.len();
        self.pos += got as u64;
        if (got as u64) < n {
            return Err(Error::Truncated {
                offset: self.pos,
                batch,
                what,
            });
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(uvarint(&[0]), Ok((0, 1)));
        assert_eq!(uvarint(&[0x7f]), Ok((127, 1)));
        assert_eq!(uvarint(&[0x80, 0x01]), Ok((128, 2)));
        assert_eq!(uvarint(&[0x80]), Err(VarintError::Truncated));
        assert_eq!(uvarint(&[]), Err(VarintError::Truncated));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(uvarint(&max), Ok((u64::MAX, 10)));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(uvarint(&over), Err(VarintError::Overflow));
        assert_eq!(uvarint(&[0x80; 11]), Err(VarintError::Overflow));
        let mut inp = Input::new(&max[..]);
        assert_eq!(inp.uvarint("x", None).unwrap(), u64::MAX);
        assert_eq!(inp.pos(), 10);
        let mut inp = Input::new(&over[..]);
        assert!(matches!(
            inp.uvarint("x", None),
            Err(Error::Malformed { offset: 0, .. })
        ));
        let mut inp = Input::new(&[0x80u8][..]);
        assert!(matches!(
            inp.uvarint("x", None),
            Err(Error::Truncated { offset: 1, .. })
        ));
    }
}

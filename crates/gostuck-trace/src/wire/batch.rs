//! Batches: the unit the runtime writes a trace in.
//!
//! Every batch starts with `EventBatch` (or `ExperimentalBatch`, whose
//! experiment number is a single byte) followed by the varints generation,
//! thread (M) ID, base timestamp and payload size, then the payload. Go 1.26+
//! also writes a lone `EndOfGeneration` byte between generations.

use std::io::BufRead;

use crate::error::{BatchRef, Error, Problem, Result};
use crate::input::Input;
use crate::spec::{EventType, MAX_BATCH_SIZE};
use crate::version::Version;

/// One batch, with its payload unparsed.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    /// Header offset, generation and thread.
    pub(crate) at: BatchRef,
    /// Base timestamp in trace clock ticks.
    pub(crate) time: u64,
    /// Experiment number (0 for ordinary batches).
    pub(crate) exp: u8,
    /// File offset of `data[0]`.
    pub(crate) data_offset: u64,
    /// The payload.
    pub(crate) data: Vec<u8>,
}

/// What kind of payload a batch carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchKind {
    Events,
    Strings,
    Stacks,
    CpuSamples,
    Sync,
    Experimental,
}

impl Batch {
    pub(crate) fn kind(&self, version: Version) -> BatchKind {
        if self.exp != 0 {
            return BatchKind::Experimental;
        }
        match self.data.first().and_then(|&b| EventType::from_u8(b)) {
            Some(EventType::Strings) => BatchKind::Strings,
            Some(EventType::Stacks) => BatchKind::Stacks,
            Some(EventType::CpuSamples) => BatchKind::CpuSamples,
            Some(EventType::Frequency) if version < Version::Go125 => BatchKind::Sync,
            Some(EventType::Sync) if version >= Version::Go125 => BatchKind::Sync,
            _ => BatchKind::Events,
        }
    }
}

/// The result of reading at a batch boundary.
#[derive(Debug)]
pub(crate) enum Read {
    /// Clean end of the file.
    Eof,
    /// A Go 1.26+ end-of-generation marker at this offset.
    EndOfGeneration(u64),
    /// A batch.
    Batch(Batch),
}

/// Reads the next batch. A lying size field cannot make this allocate more
/// than [`MAX_BATCH_SIZE`] bytes.
pub(crate) fn read_batch<R: BufRead>(input: &mut Input<R>) -> Result<Read> {
    let offset = input.pos();
    let Some(b) = input.byte()? else {
        return Ok(Read::Eof);
    };
    let typ = EventType::from_u8(b);
    let exp = match typ {
        Some(EventType::EndOfGeneration) => return Ok(Read::EndOfGeneration(offset)),
        Some(EventType::EventBatch) => 0,
        Some(EventType::ExperimentalBatch) => match input.byte()? {
            Some(e) => e,
            None => {
                return Err(Error::Truncated {
                    offset: input.pos(),
                    batch: None,
                    what: "experimental batch header",
                })
            }
        },
        _ => {
            return Err(Error::malformed(
                offset,
                None,
                Problem::Unexpected {
                    expected: "a batch header",
                    found: b,
                },
            ))
        }
    };
    let mut at = BatchRef {
        offset,
        gen: 0,
        thread: 0,
    };
    at.gen = input.uvarint("batch generation", None)?;
    at.thread = input.uvarint("batch thread ID", Some(at))?.cast_signed();
    let time = input.uvarint("batch timestamp", Some(at))?;
    let size_at = input.pos();
    let size = input.uvarint("batch size", Some(at))?;
    if size > MAX_BATCH_SIZE {
        return Err(Error::malformed(
            size_at,
            Some(at),
            Problem::BatchTooLarge {
                size,
                max: MAX_BATCH_SIZE,
            },
        ));
    }
    let data_offset = input.pos();
    let data = input.bytes(size, "batch payload", Some(at))?;
    Ok(Read::Batch(Batch {
        at,
        time,
        exp,
        data_offset,
        data,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lying_size_is_refused_before_allocating() {
        // EventBatch gen=1 m=2 time=3 size=2^40
        let bytes = [1u8, 1, 2, 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
        let mut inp = Input::new(&bytes[..]);
        let err = read_batch(&mut inp).unwrap_err();
        assert!(matches!(
            err,
            Error::Malformed {
                offset: 4,
                problem: Problem::BatchTooLarge { .. },
                ..
            }
        ));
    }

    #[test]
    fn truncated_payload() {
        let bytes = [1u8, 1, 2, 3, 5, 9, 9];
        let mut inp = Input::new(&bytes[..]);
        let err = read_batch(&mut inp).unwrap_err();
        assert!(
            matches!(err, Error::Truncated { offset: 7, batch: Some(b), .. } if b.gen == 1 && b.thread == 2)
        );
    }

    #[test]
    fn markers() {
        let bytes = [52u8, 49, 1, 1, 7, 8, 1, 0xaa];
        let mut inp = Input::new(&bytes[..]);
        assert!(matches!(
            read_batch(&mut inp).unwrap(),
            Read::EndOfGeneration(0)
        ));
        match read_batch(&mut inp).unwrap() {
            Read::Batch(b) => {
                assert_eq!((b.exp, b.at.gen, b.at.thread, b.time), (1, 1, 7, 8));
                assert_eq!(b.data, vec![0xaa]);
                assert_eq!(b.data_offset, 7);
                assert_eq!(b.kind(Version::Go126), BatchKind::Experimental);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(read_batch(&mut inp).unwrap(), Read::Eof));
    }
}

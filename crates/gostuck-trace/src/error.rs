//! Error types.

use std::fmt;

/// Where in the file a batch starts, and whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRef {
    /// Byte offset of the batch header in the file.
    pub offset: u64,
    /// Generation number from the batch header.
    pub gen: u64,
    /// Thread (M) that wrote the batch; -1 for the runtime's own tables.
    pub thread: i64,
}

impl fmt::Display for BatchRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch at byte {} (gen {}, M {})",
            self.offset, self.gen, self.thread
        )
    }
}

fn in_batch(b: &Option<BatchRef>) -> String {
    match b {
        Some(b) => format!(" in {b}"),
        None => String::new(),
    }
}

/// An error reading a trace.
///
/// Every error about the file's content names the byte offset (and, where
/// there is one, the batch) at which it was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the underlying stream failed.
    #[error("reading trace at byte {offset}: {source}")]
    Io {
        /// Offset at which the read was attempted.
        offset: u64,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file does not start with a Go execution trace header.
    #[error("not a Go execution trace (header {found:?})")]
    BadHeader {
        /// The bytes found (lossily decoded).
        found: String,
    },
    /// A trace of the pre-Go 1.22 format.
    #[error(
        "trace format go 1.{minor} is not supported: gostuck reads execution traces written \
         by Go 1.22 or later; record the trace with Go >= 1.22, or open this one with \
         `go tool trace`"
    )]
    OldVersion {
        /// Minor version from the header.
        minor: u32,
    },
    /// A header naming a version this crate does not know.
    #[error("unknown trace version go 1.{minor} (supported: go 1.22, 1.23, 1.25, 1.26 formats)")]
    UnknownVersion {
        /// Minor version from the header.
        minor: u32,
    },
    /// The file ends in the middle of something.
    #[error("trace truncated at byte {offset}{}: {what}", in_batch(.batch))]
    Truncated {
        /// Offset of the end of the data.
        offset: u64,
        /// The batch being read, if any.
        batch: Option<BatchRef>,
        /// What was being read.
        what: &'static str,
    },
    /// The bytes do not follow the wire format.
    #[error("malformed trace at byte {offset}{}: {problem}", in_batch(.batch))]
    Malformed {
        /// Offset of the offending item.
        offset: u64,
        /// The batch it is in, if any.
        batch: Option<BatchRef>,
        /// What is wrong.
        problem: Problem,
    },
    /// The events are well-formed but inconsistent (the Go reader would
    /// refuse them too): e.g. a goroutine starts that is not runnable, or no
    /// thread's next event can happen.
    #[error("invalid trace at byte {offset}{}: {detail}", in_batch(.batch))]
    Invalid {
        /// Offset of the event that could not be placed.
        offset: u64,
        /// Its batch, if any.
        batch: Option<BatchRef>,
        /// Explanation.
        detail: String,
    },
}

/// A violation of the wire format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A varint longer than 10 bytes or overflowing 64 bits.
    #[error("invalid varint")]
    BadVarint,
    /// A byte that is not an event type of this trace version.
    #[error("invalid event type {typ} for trace version go 1.{version}")]
    BadEventType {
        /// The byte.
        typ: u8,
        /// Minor version of the trace.
        version: u32,
    },
    /// An event in the wrong place.
    #[error("expected {expected}, found event type {found}")]
    Unexpected {
        /// What should have been there.
        expected: &'static str,
        /// The event type byte found.
        found: u8,
    },
    /// A batch size above the 64 KiB limit.
    #[error("batch size {size} exceeds the maximum {max}")]
    BatchTooLarge {
        /// The size field.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A string longer than the 1 KiB limit.
    #[error("string of {len} bytes exceeds the maximum {max}")]
    StringTooLong {
        /// The length field.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A stack with more than 128 frames.
    #[error("stack of {frames} frames exceeds the maximum {max}")]
    StackTooDeep {
        /// The frame count.
        frames: u64,
        /// The limit.
        max: u64,
    },
    /// A length field pointing past the end of its batch.
    #[error("{what} runs past the end of its batch")]
    Overrun {
        /// What was being read.
        what: &'static str,
    },
    /// Generation number 0 (reserved by the runtime).
    #[error("invalid generation number 0")]
    ZeroGeneration,
    /// Batches of different generations are interleaved.
    #[error("generations out of order: expected {expected}, found {found}")]
    GenerationOrder {
        /// The generation being read (or the next one).
        expected: u64,
        /// The generation in the batch header.
        found: u64,
    },
    /// A generation without a frequency event.
    #[error("generation {gen} has no frequency event")]
    NoFrequency {
        /// The generation.
        gen: u64,
    },
    /// A frequency of zero.
    #[error("timestamp frequency is zero")]
    ZeroFrequency,
    /// A Go 1.25+ generation without a clock snapshot.
    #[error("generation {gen} has no clock snapshot event")]
    NoClockSnapshot {
        /// The generation.
        gen: u64,
    },
    /// Two frequency or clock snapshot events in one generation.
    #[error("multiple {what} events in one generation")]
    Duplicate {
        /// Which event.
        what: &'static str,
    },
    /// Two table entries with the same ID.
    #[error("multiple {table} entries with ID {id}")]
    DuplicateId {
        /// `string` or `stack`.
        table: &'static str,
        /// The ID.
        id: u64,
    },
    /// A reference to a string or stack the generation does not define.
    #[error("unknown {table} ID {id} referenced by {by}")]
    UnknownId {
        /// `string` or `stack`.
        table: &'static str,
        /// The ID.
        id: u64,
        /// The referencing event or stack.
        by: String,
    },
    /// An end-of-generation marker in a version without them.
    #[error("end-of-generation marker in a go 1.{version} trace")]
    UnexpectedEndOfGeneration {
        /// Minor version of the trace.
        version: u32,
    },
}

impl Error {
    /// The byte offset the error refers to, if any.
    #[must_use]
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Io { offset, .. }
            | Error::Truncated { offset, .. }
            | Error::Malformed { offset, .. }
            | Error::Invalid { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// The batch the error refers to, if any.
    #[must_use]
    pub fn batch(&self) -> Option<BatchRef> {
        match self {
            Error::Truncated { batch, .. }
            | Error::Malformed { batch, .. }
            | Error::Invalid { batch, .. } => *batch,
            _ => None,
        }
    }

    pub(crate) fn malformed(offset: u64, batch: Option<BatchRef>, problem: Problem) -> Error {
        Error::Malformed {
            offset,
            batch,
            problem,
        }
    }
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

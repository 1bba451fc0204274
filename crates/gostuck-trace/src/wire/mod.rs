//! The wire-level view: every event of the file in file order, undecoded
//! beyond its arguments, and a typed enum of all event types.
//!
//! [`WireReader`] prints ([`RawEvent`]'s `Display`) exactly like
//! `go tool trace -d=wire`.

pub(crate) mod batch;
pub(crate) mod input;
pub(crate) mod read_ahead;
pub mod spec;
pub mod text;
pub mod version;
pub(crate) mod wire_event;

use std::fmt;
use std::io::BufRead;

use crate::error::{Error, Problem, Result};
use crate::gofmt::go_quote_bytes;
use crate::input::Input;
use crate::spec::{EventType, MAX_BATCH_SIZE, MAX_FRAMES_PER_STACK};
use crate::version::{parse_header, Version, HEADER_LEN};

pub use crate::wire_event::{WireEvent, WireFrame};

/// One event as it appears on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// File offset of the event's type byte.
    pub offset: u64,
    /// The event type.
    pub typ: EventType,
    /// The arguments in spec order; for `Stack`, followed by 4 values
    /// (pc, func, file, line) per frame.
    pub args: Vec<u64>,
    /// The byte payload of `String` and `ExperimentalBatch`.
    pub data: Option<Vec<u8>>,
}

impl fmt::Display for RawEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.typ.spec();
        f.write_str(spec.name)?;
        for (name, v) in spec.args.iter().zip(&self.args) {
            write!(f, " {name}={v}")?;
        }
        if spec.is_stack {
            const FIELDS: [&str; 4] = ["pc", "func", "file", "line"];
            for (i, v) in self.args.iter().skip(spec.args.len()).enumerate() {
                let sep = if i % 4 == 0 { "\n\t" } else { " " };
                write!(f, "{sep}{}={v}", FIELDS[i % 4])?;
            }
        }
        if let Some(d) = &self.data {
            write!(f, "\n\tdata={}", go_quote_bytes(d))?;
        }
        Ok(())
    }
}

/// Reads the events of a trace sequentially, without interpreting batches
/// (like Go's `internal/trace/raw`).
pub struct WireReader<R> {
    input: Input<R>,
    version: Version,
}

impl<R: BufRead> WireReader<R> {
    /// Reads the header.
    pub fn new(r: R) -> Result<Self> {
        let mut input = Input::new(r);
        let h = input
            .bytes(HEADER_LEN as u64, "header", None)
            .map_err(|e| match e {
                Error::Truncated { .. } => Error::BadHeader {
                    found: String::new(),
                },
                e => e,
            })?;
        let version = parse_header(&h)?;
        Ok(WireReader { input, version })
    }

    /// The trace's format version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The next event, or `None` at the end of the file.
    pub fn read_event(&mut self) -> Result<Option<RawEvent>> {
        let offset = self.input.pos();
        let Some(b) = self.input.byte()? else {
            return Ok(None);
        };
        let typ = EventType::from_u8(b)
            .filter(|t| t.valid_in(self.version))
            .ok_or_else(|| {
                Error::malformed(
                    offset,
                    None,
                    Problem::BadEventType {
                        typ: b,
                        version: self.version.minor(),
                    },
                )
            })?;
        let spec = typ.spec();
        let mut args = Vec::with_capacity(spec.args.len());
        for _ in spec.args {
            args.push(self.input.uvarint("event argument", None)?);
        }
        if spec.is_stack {
            let n = args[1];
            if n > MAX_FRAMES_PER_STACK {
                return Err(Error::malformed(
                    offset,
                    None,
                    Problem::StackTooDeep {
                        frames: n,
                        max: MAX_FRAMES_PER_STACK,
                    },
                ));
            }
            for _ in 0..n * 4 {
                args.push(self.input.uvarint("stack frame", None)?);
            }
        }
        let data = if spec.has_data {
            let len = self.input.uvarint("data length", None)?;
            if len > MAX_BATCH_SIZE {
                return Err(Error::malformed(
                    offset,
                    None,
                    Problem::BatchTooLarge {
                        size: len,
                        max: MAX_BATCH_SIZE,
                    },
                ));
            }
            Some(self.input.bytes(len, "event data", None)?)
        } else {
            None
        };
        Ok(Some(RawEvent {
            offset,
            typ,
            args,
            data,
        }))
    }
}

impl<R: BufRead> Iterator for WireReader<R> {
    type Item = Result<RawEvent>;
    fn next(&mut self) -> Option<Self::Item> {
        self.read_event().transpose()
    }
}

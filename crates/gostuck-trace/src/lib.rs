//! Reader for Go execution traces (`runtime/trace`, `go test -trace`) of
//! the Go 1.22+ wire format, with goroutine-state analyses.
//!
//! Three layers, one folder each (`wire/`, `ordering/`, `analysis/`):
//!
//! * [`WireReader`]: the events of the file in file order, with their raw
//!   arguments ([`RawEvent`], typed as [`WireEvent`]); prints like
//!   `go tool trace -d=wire`.
//! * [`Reader`]: generations (string and stack tables, frequency, clock
//!   snapshot, CPU samples) and the partial-order merge of all threads'
//!   batches into one stream of [`Event`]s, in the order Go's own reader
//!   produces them; [`Event`]'s `Display` prints like
//!   `go tool trace -d=parsed`.
//! * Analyses over the stream: [`analyze`] / [`Analyzer`] (per-goroutine
//!   final state, blocking reason and stack, blocked-since, who unblocked
//!   whom, time per state, user tasks, regions and logs, goroutines blocked
//!   at the end grouped by site) and [`summarize`] (a per-goroutine report).
//!
//! Traces of Go 1.21 and older use a different format and are refused
//! with [`Error::OldVersion`].
//!
//! ```no_run
//! use std::io::BufReader;
//! let f = std::fs::File::open("trace.out")?;
//! let mut r = gostuck_trace::Reader::new(BufReader::new(f))?;
//! while let Some(ev) = r.read_event()? {
//!     println!("{ev}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

// The three layers, one folder each; the flat paths (`crate::batch`,
// `gostuck_trace::spec`, …) stay as they were.
pub mod analysis;
mod error;
mod gofmt;
mod ordering;
pub mod wire;

pub use analysis::pprof;
pub(crate) use analysis::{session, summary};
pub(crate) use ordering::{access, event, generation, order, order_state, reader, table};
pub(crate) use wire::{batch, input, read_ahead, wire_event};
pub use wire::{spec, text, version};

pub use analysis::{
    analyze, analyze_with, Analysis, Analyzer, AnalyzerOptions, BlockInterval, BlockedGroup,
    GoroutineInfo,
};
pub use error::{BatchRef, Error, Problem, Result};
pub use event::*;
pub use gofmt::{go_quote, rfc3339_nano_utc};
pub use read_ahead::ReadAhead;
pub use reader::Reader;
pub use session::{read_all, TraceRead, PROGRESS_EVERY};
pub use spec::EventType;
pub use summary::{summarize, GoroutineSummary, Summary};
pub use table::{ExperimentalBatch, Frame, OwnedFrame, Stack};
pub use version::Version;
pub use wire::{RawEvent, WireEvent, WireReader};

impl<R: std::io::BufRead> Iterator for Reader<R> {
    type Item = Result<Event>;
    fn next(&mut self) -> Option<Self::Item> {
        self.read_event().transpose()
    }
}

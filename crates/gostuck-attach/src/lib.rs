//! Reads the goroutines of a running Go process (or of a core file) from its
//! memory and turns them into the dump model the rest of gostuck analyses
//! ([`gostuck_dump::Dump`]), as a SIGQUIT dump (`GOTRACEBACK=all`) would show
//! them — without stopping the process for longer than the copy takes.
//!
//! The executable supplies everything version-specific: symbols for the
//! runtime's globals (`runtime.allgs`), DWARF for the layout of `runtime.g`,
//! the status constants, line tables with inlining, and call-frame
//! information for unwinding. The target's own memory supplies the wait
//! reason and status names (`runtime.waitReasonStrings`,
//! `runtime.gStatusStrings`).
//!
//! ```no_run
//! use gostuck_attach::{snapshot, Binary, ProcessMemory, SnapshotOptions};
//! let bin = Binary::open("/proc/1234/exe".as_ref())?;
//! let mem = ProcessMemory::open(1234)?;
//! let snap = snapshot(&mem, &bin, &SnapshotOptions::default())?;
//! println!("{} goroutines", snap.dump.goroutines.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod binary;
pub mod buildid;
pub mod core;
mod error;
mod layout;
pub mod memory;
mod num;
pub mod pause;
pub mod permission;
mod snapshot;
mod symbolize;
pub mod target;
mod unwind;

pub use binary::{Binary, Global};
pub use error::AttachError;
pub use layout::{Field, LabelList, Layouts, Statuses};
pub use memory::{Memory, MemoryError, ProcessMemory};
pub use snapshot::{capture, snapshot, Capture, Snapshot, SnapshotOptions};
pub use target::{attach, monotonic_ns, read_core, AttachOptions, Attached, TargetError};
pub use unwind::MAX_FRAMES;

//! Capturing goroutine dumps from live Go programs, for the gostuck command
//! line: running a command in its own process group, watching its tree in
//! /proc ([`proc`]) and supervising it ([`run`], [`supervise`]), recording
//! and scanning its output ([`record`]), fetching pprof profiles over plain
//! HTTP ([`http`]) and reading them ([`pprof`]), and writing files that never
//! go through a symbolic link or over a file the user did not name
//! ([`outfile`]).
//!
//! Returns typed errors ([`Error`]), prints nothing and reads no
//! environment variable: messages for the user are returned.
#![deny(missing_docs)]

pub mod command;
mod error;
pub mod http;
pub mod outfile;
pub mod pprof;
pub mod proc;
pub mod record;
pub mod run;
pub mod supervise;

pub use error::{error_text, Error, Result};

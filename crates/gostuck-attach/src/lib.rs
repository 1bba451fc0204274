//! Reads the goroutines of a running Go process (`gostuck attach PID`) or of
//! an ELF core file into gostuck's dump model.

pub mod buildid;
pub mod core;
pub mod memory;
pub mod pause;
pub mod permission;

pub use memory::{Memory, MemoryError};

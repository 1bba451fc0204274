//! Why a snapshot could not be taken.

use std::path::PathBuf;

use crate::memory::MemoryError;

/// Why a Go executable could not be used, or the target's goroutines not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachError {
    /// The executable could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Open {
        /// The executable.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// Not an ELF file, or a corrupt one.
    #[error("{}: not an ELF executable: {reason}", path.display())]
    NotElf {
        /// The file.
        path: PathBuf,
        /// What the ELF reader said.
        reason: String,
    },
    /// An architecture this reader does not unwind.
    #[error("{}: {arch} executables are not supported (linux amd64 only)", path.display())]
    UnsupportedArch {
        /// The file.
        path: PathBuf,
        /// The ELF machine.
        arch: String,
    },
    /// The symbol table is gone (`go build -ldflags=-s`, `strip`).
    #[error("{}: no symbol table (stripped); point --binary at an unstripped build of the same program", path.display())]
    NoSymbols {
        /// The file.
        path: PathBuf,
    },
    /// Symbols but no runtime: not a Go program.
    #[error("{}: not a Go program (no runtime.allgs symbol)", path.display())]
    NotGo {
        /// The file.
        path: PathBuf,
    },
    /// No DWARF (`-ldflags=-w`, or stripped debug sections).
    #[error("{}: no DWARF debug information (built with -ldflags=-w or stripped); point --binary at an unstripped build of the same program", path.display())]
    NoDwarf {
        /// The file.
        path: PathBuf,
    },
    /// The DWARF lacks something this reader needs (a Go release that
    /// renamed a runtime field, or damaged debug information).
    #[error("{}: {what} not found in the DWARF of this Go version ({version})", path.display())]
    MissingLayout {
        /// The file.
        path: PathBuf,
        /// What is missing (`runtime.g.goid`).
        what: String,
        /// The Go version of the executable, or `unknown`.
        version: String,
    },
    /// The DWARF could not be parsed.
    #[error("{}: bad DWARF: {reason}", path.display())]
    BadDwarf {
        /// The file.
        path: PathBuf,
        /// What gimli said.
        reason: String,
    },
    /// A read of the target that the snapshot cannot do without.
    #[error("reading {what}: {source}")]
    Read {
        /// What was being read (`runtime.allgs`).
        what: &'static str,
        /// The memory error.
        #[source]
        source: MemoryError,
    },
    /// The target's runtime structures make no sense (wrong binary for the
    /// process, or memory overwritten).
    #[error(
        "the target's {what} looks corrupt: {detail} (is the executable the one the process runs?)"
    )]
    Corrupt {
        /// Which structure.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

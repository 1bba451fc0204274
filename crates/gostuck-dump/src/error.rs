//! Errors of the dump readers.

/// Why a dump could not be read at all. Partial reads are not errors: they
/// return what was parsed plus [`crate::Warning`]s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the input failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// The input holds no goroutine dump of any known form.
    #[error("no goroutine dump found (expected lines like `goroutine 1 [running]:`, `goroutine profile: total N`, or a gzip'd pprof profile)")]
    NoDump,
    /// Text with the words of a dump but no goroutine stacks (a log line
    /// quoting a crash, another tool's report); says what it looks like.
    #[error("no goroutine dump: this looks like {0}")]
    NotADump(String),
    /// A gzip stream that could not be inflated at all.
    #[error("gzip data could not be decompressed: {0}")]
    Gzip(String),
    /// Compressed input that inflates to something no dump or profile is
    /// (binary data), or to more than a real one of its size could.
    #[error("refusing to decompress: {0}")]
    Inflate(String),
    /// Input that is binary data, not the text of a dump.
    #[error("not a goroutine dump: {0}")]
    Binary(String),
    /// Input whose numbers cannot all be true (counts overflowing 64 bits).
    #[error("corrupt input: {0}")]
    Corrupt(String),
    /// A pprof protobuf that could not be decoded.
    #[error("not a valid pprof profile.proto: {0}")]
    Protobuf(String),
    /// A pprof profile of another kind (heap, cpu…).
    #[error("this is a pprof `{0}` profile, not a goroutine profile; fetch /debug/pprof/goroutine instead")]
    NotGoroutineProfile(String),
    /// A Go execution trace (read by gostuck-trace, not here).
    #[error("this is a Go execution trace, not a goroutine dump")]
    ExecutionTrace,
}

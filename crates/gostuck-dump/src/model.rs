//! The goroutine-dump model, named after the runtime's own structures
//! (`runtime/runtime2.go: g`, `runtime/traceback.go: goroutineheader`).

use crate::intern::{Interner, Sym};
use crate::waitreason::WaitReason;

/// How the dump was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Traceback text: deadlock reports, panics, SIGQUIT, `runtime.Stack`,
    /// pprof `debug=2`, `go test` timeouts, dumps inside log files.
    Traceback,
    /// pprof `goroutine?debug=1` / `goroutineleak?debug=1` text.
    PprofDebug1,
    /// pprof `debug=0`: gzip-compressed `profile.proto`.
    PprofProto,
}

impl Format {
    /// The name used in `gostuck.report.v1` (`inputs[].format`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Traceback => "traceback",
            Format::PprofDebug1 => "pprof-debug1",
            Format::PprofProto => "pprof-proto",
        }
    }
}

/// One stack frame: `function(args)` then `\tfile:line +0xoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Function as printed (`main.(*T).m`, `sync.(*Mutex).Lock`, `main.F[...]`).
    pub function: Sym,
    /// The argument list between the parentheses, as printed (`0xc000012345, {0x0, 0x1}`),
    /// `...` for inlined frames, empty when the format carries none.
    pub args: Sym,
    /// The file path as the dump printed it.
    pub file: Sym,
    /// Line number (0 when unknown).
    pub line: u32,
    /// Properties of the frame.
    pub kind: FrameKind,
}

/// What kind of frame it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FrameKind {
    /// An ordinary Go frame.
    #[default]
    Go,
    /// An inlined call: printed with `(...)` as its arguments.
    Inlined,
    /// A cgo frame: `non-Go function` or a symbolized C frame.
    NonGo,
}

/// `created by F in goroutine N` and the file line under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CreatedBy {
    /// The function containing the `go` statement.
    pub function: Sym,
    /// File of the `go` statement.
    pub file: Sym,
    /// Line of the `go` statement.
    pub line: u32,
    /// The creating goroutine (Go 1.21+ prints it; older dumps do not).
    pub parent: Option<u64>,
}

/// A `[originating from goroutine N]:` section (GODEBUG=tracebackancestors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor {
    /// The ancestor goroutine's ID.
    pub id: u64,
    /// Its stack at the moment it created the next goroutine in the chain.
    pub frames: Vec<Frame>,
    /// Who created the ancestor.
    pub created_by: Option<CreatedBy>,
}

/// Flags from the goroutine header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GoroutineFlags {
    /// `, locked to thread` (`runtime.LockOSThread`).
    pub locked_to_thread: bool,
    /// ` (leaked)`: the goroutineleak detector proved it can never run again (Go 1.26+).
    pub leaked: bool,
    /// ` (scan)`: the GC was scanning it.
    pub scan: bool,
    /// ` (durable)`: durably blocked inside a synctest bubble.
    pub durable: bool,
    /// `goroutine running on other thread; stack unavailable`.
    pub stack_unavailable: bool,
}

/// How deep the printed stack was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Elided {
    /// `...additional frames elided...`: the runtime stopped after 100 frames.
    Additional,
    /// `...N frames elided...`: the middle of a deep stack was skipped (Go 1.21+).
    Middle(u32),
}

/// One goroutine (or, in pprof profiles without IDs, one record standing for `count` goroutines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goroutine {
    /// `goid`; `None` in pprof `debug=0`/`debug=1` profiles.
    pub id: Option<u64>,
    /// How many goroutines this record stands for (1 for tracebacks).
    pub count: u64,
    /// The status text from the header bracket, without flags
    /// (`chan receive (nil chan)`, `running`, `semacquire`). In profiles without
    /// headers this is inferred from the runtime frames and marked by `state_inferred`.
    pub state: Sym,
    /// The parsed status.
    pub wait_reason: WaitReason,
    /// True when `state` was inferred from frames rather than printed.
    pub state_inferred: bool,
    /// `, N minutes`: how long it has been blocked (only printed from 1 minute on).
    pub wait_minutes: Option<u32>,
    /// Header flags.
    pub flags: GoroutineFlags,
    /// `, synctest bubble N` (`synctest group N` in Go 1.24).
    pub bubble: Option<u64>,
    /// pprof labels (`{req: "GET /x"}` after the bracket, `# labels:` in debug=1, proto labels).
    pub labels: Vec<(Sym, Sym)>,
    /// Frames, innermost first.
    pub frames: Vec<Frame>,
    /// Whether frames were cut.
    pub elided: Option<Elided>,
    /// Who started it.
    pub created_by: Option<CreatedBy>,
    /// Ancestor stacks (GODEBUG=tracebackancestors=N).
    pub ancestors: Vec<Ancestor>,
    /// 1-based line of the header in the input (0 for binary formats).
    pub line: u64,
}

impl Goroutine {
    /// A goroutine with nothing known yet (no allocation): what readers fill in.
    pub(crate) fn placeholder() -> Goroutine {
        Goroutine {
            id: None,
            count: 1,
            state: Sym::EMPTY,
            wait_reason: WaitReason::Other,
            state_inferred: false,
            wait_minutes: None,
            flags: GoroutineFlags::default(),
            bubble: None,
            labels: Vec::new(),
            frames: Vec::new(),
            elided: None,
            created_by: None,
            ancestors: Vec::new(),
            line: 0,
        }
    }
}

/// A warning about input that could not be read completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line (text formats) or byte offset (binary formats), 0 when not applicable.
    pub position: u64,
    /// Whether `position` is a byte offset.
    pub is_byte_offset: bool,
    /// What went wrong and what was done about it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.position, self.is_byte_offset) {
            (0, _) => write!(f, "{}", self.message),
            (p, true) => write!(f, "byte {p}: {}", self.message),
            (p, false) => write!(f, "line {p}: {}", self.message),
        }
    }
}

/// Everything read from one goroutine dump.
#[derive(Debug, Clone)]
pub struct Dump {
    /// The encoding.
    pub format: Format,
    /// The Go version, when the input states it (e.g. toolchain paths in frames).
    pub go_version: Option<String>,
    /// All goroutines, in input order.
    pub goroutines: Vec<Goroutine>,
    /// Strings referred to by [`Sym`]s in this dump.
    pub strings: Interner,
    /// Problems met while reading.
    pub warnings: Vec<Warning>,
    /// What the reader (or the tool that captured the dump) wants the user to
    /// know that is not a problem: how the input was decoded, how it was
    /// captured.
    pub notes: Vec<String>,
    /// `fatal error: …` message (e.g. `all goroutines are asleep - deadlock!`).
    pub fatal_error: Option<String>,
    /// `panic: …` lines, outermost first, including `[recovered]` chains.
    pub panics: Vec<String>,
    /// `SIGQUIT: quit` and similar signal lines.
    pub signal: Option<String>,
    /// Tests named under `running tests:` in a `go test` timeout panic.
    pub running_tests: Vec<String>,
    /// `goroutine profile: total N` (or `goroutineleak profile: total N`).
    pub profile_total: Option<u64>,
    /// The profile name when the input is a pprof profile (`goroutine`, `goroutineleak`).
    pub profile_name: Option<String>,
    /// 1-based line where this dump starts in its input.
    pub first_line: u64,
}

impl Dump {
    pub(crate) fn new(format: Format) -> Dump {
        Dump {
            format,
            go_version: None,
            goroutines: Vec::new(),
            strings: Interner::default(),
            warnings: Vec::new(),
            notes: Vec::new(),
            fatal_error: None,
            panics: Vec::new(),
            signal: None,
            running_tests: Vec::new(),
            profile_total: None,
            profile_name: None,
            first_line: 1,
        }
    }

    /// Resolves a symbol of this dump.
    pub fn str(&self, s: Sym) -> &str {
        self.strings.resolve(s)
    }

    /// Total goroutines represented (sum of record counts).
    pub fn total_goroutines(&self) -> u64 {
        self.goroutines
            .iter()
            .fold(0, |n, g| n.saturating_add(g.count))
    }

    /// True when the runtime itself declared a global deadlock.
    pub fn runtime_reported_deadlock(&self) -> bool {
        self.fatal_error
            .as_deref()
            .is_some_and(|m| m.starts_with("all goroutines are asleep"))
    }
}

//! The `gostuck.report.v1` document (see `docs/json-report.md`). Field names and
//! meanings are a contract: change them only by adding.

use serde::Serialize;

/// Schema identifier written into every report.
pub const SCHEMA: &str = "gostuck.report.v1";

/// A complete report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Who wrote it.
    pub tool: Tool,
    /// One entry per input read.
    pub inputs: Vec<InputSummary>,
    /// The overall judgement.
    pub verdict: Verdict,
    /// One sentence a human can act on.
    pub summary: String,
    /// Goroutine counts over all inputs.
    pub goroutines: Counts,
    /// What is wrong, most important first.
    pub findings: Vec<Finding>,
    /// Goroutines grouped by identical stack, most interesting first.
    pub groups: Vec<GroupOut>,
    /// Evidence from Go execution traces, one entry per trace input (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TraceOut>,
    /// `--why N`: the model's account of one goroutine (additive to v1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Why>,
}

/// What one goroutine waits for and who could end the wait (`--why N`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Why {
    /// The goroutine asked about.
    pub goroutine: u64,
    /// Blocked, or may still act and why.
    pub liveness: String,
    /// The operation it is parked on, with its line.
    pub waits_for: String,
    /// The finding that explains it, if any (`F1`).
    pub finding: Option<String>,
    /// Groups that could complete the wait (`ruled in`) or cannot (`ruled out`).
    pub candidates: Vec<WhyCandidate>,
}

/// One group considered as the partner of a wait.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WhyCandidate {
    /// Up to 8 member IDs.
    pub goroutines: Vec<u64>,
    /// Members in the group.
    pub count: u64,
    /// Its innermost function outside the runtime.
    pub function: String,
    /// `ruled in` or `ruled out`.
    pub verdict: &'static str,
    /// Why.
    pub reason: String,
}

/// The producing tool.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tool {
    /// `gostuck`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// One input.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputSummary {
    /// Path as given (`-` for stdin), with `#N` when a file holds several dumps.
    pub path: String,
    /// `traceback`, `pprof-debug1`, `pprof-proto`, `process-memory`, `core-file`.
    pub format: &'static str,
    /// Go version when the input reveals it.
    pub go_version: Option<String>,
    /// Goroutines in this input.
    pub goroutines: u64,
    /// Problems met while reading.
    pub warnings: Vec<String>,
    /// What is worth knowing about the input that is not a problem: how it was
    /// decoded or captured (`go test -json`, `gostuck run`/`fetch`/`watch`),
    /// which of several dumps was analysed (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// User source files the dump names that could not be found (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_source: Vec<String>,
    /// The runtime's `fatal error:` message, if any (additive to v1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fatal_error: Option<String>,
    /// `panic:` messages (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub panics: Vec<String>,
    /// The signal line of a SIGQUIT/crash dump (additive to v1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Tests running when `go test` timed out (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub running_tests: Vec<String>,
    /// pprof profile name: `goroutine` or `goroutineleak` (additive to v1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// The overall judgement.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every user goroutine is permanently blocked.
    GlobalDeadlock,
    /// Some goroutines are deadlocked while the program lives on.
    PartialDeadlock,
    /// Goroutines pile up at one site.
    GoroutineLeak,
    /// Blocked, cause undetermined.
    Stuck,
    /// Nothing wrong found.
    Healthy,
    /// Not enough evidence to say.
    Unknown,
}

impl Verdict {
    /// The JSON spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::GlobalDeadlock => "global-deadlock",
            Verdict::PartialDeadlock => "partial-deadlock",
            Verdict::GoroutineLeak => "goroutine-leak",
            Verdict::Stuck => "stuck",
            Verdict::Healthy => "healthy",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Goroutine counts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Counts {
    /// All goroutines.
    pub total: u64,
    /// Those blocked on a channel, lock, WaitGroup, Cond or select.
    pub blocked: u64,
    /// Number of groups.
    pub groups: usize,
    /// Blocked goroutines by wait reason, most first (additive to v1).
    pub by_state: Vec<StateCount>,
}

/// How many goroutines are in one state.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StateCount {
    /// The state as the runtime prints it.
    pub state: String,
    /// Goroutines in it.
    pub count: u64,
}

/// One diagnosis.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// `F1`, `F2`…
    pub id: String,
    /// A kind from the v1 vocabulary (`lock-cycle`, `channel-no-partner`…).
    pub kind: &'static str,
    /// `certain`, `likely`, `possible`.
    pub confidence: Confidence,
    /// Short title.
    pub title: String,
    /// The chain of events in plain words.
    pub explanation: String,
    /// What to change.
    pub fix: String,
    /// Goroutine IDs involved (empty when the input has none).
    pub goroutines: Vec<u64>,
    /// Number of goroutines involved.
    pub count: u64,
    /// Resources involved.
    pub resources: Vec<Resource>,
    /// Source locations with their roles.
    pub locations: Vec<Location>,
    /// Source lines around the locations, when the source was found (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snippets: Vec<Snippet>,
    /// The wait-for edges behind the finding (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<WaitEdge>,
}

/// `from` waits for `to`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WaitEdge {
    /// Goroutine IDs of the waiting side (empty when the input has none).
    pub from: Vec<u64>,
    /// Goroutine IDs of the side that could release it.
    pub to: Vec<u64>,
    /// `goroutine 6`, `4 goroutines`.
    pub from_label: String,
    /// Same for `to`.
    pub to_label: String,
    /// What `from` waits on (`to.mu`, `p.ch`).
    pub resource: Option<String>,
    /// `holds` (to holds the lock), `would-send`, `would-receive`, `would-release`.
    pub relation: &'static str,
}

/// A few lines of source around a location.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Snippet {
    /// File as the dump printed it.
    pub file: String,
    /// The line the snippet is about.
    pub line: u32,
    /// Its role (as in [`Location::role`]).
    pub role: &'static str,
    /// `(line number, text)` pairs.
    pub lines: Vec<(u32, String)>,
}

/// How sure a finding is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Proven by the evidence.
    Certain,
    /// Strongly suggested.
    Likely,
    /// One plausible reading.
    Possible,
}

/// A lock, channel, WaitGroup… involved in a finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Resource {
    /// `mutex`, `rwmutex`, `channel`, `waitgroup`, `cond`, `select`, `other`.
    pub kind: &'static str,
    /// Symbolic name (`to.mu`) when known.
    pub name: Option<String>,
    /// Address (`0xc000012345`) when the dump shows it reliably.
    pub address: Option<String>,
}

/// A source location and its role in a finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Location {
    /// Goroutine at this location, if any.
    pub goroutine: Option<u64>,
    /// Function.
    pub function: String,
    /// File as the dump printed it.
    pub file: String,
    /// Line.
    pub line: u32,
    /// `blocked`, `acquired`, `would-release`, `would-send`, `would-receive`, `created`.
    pub role: &'static str,
}

/// Goroutines with an identical stack.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupOut {
    /// Goroutines in the group.
    pub count: u64,
    /// Their state.
    pub state: String,
    /// `[min, max]` wait minutes, when printed.
    pub minutes: Option<[u32; 2]>,
    /// Their IDs (empty for profiles without IDs).
    pub goroutines: Vec<u64>,
    /// The shared stack, innermost first.
    pub frames: Vec<FrameOut>,
    /// Where the first member was created.
    pub created_by: Option<CreatedByOut>,
    /// Index into `inputs` (additive to v1).
    pub input: usize,
    /// Index into `frames` of the first user frame (additive to v1).
    pub user_frame: Option<usize>,
    /// Marked `(leaked)` by the runtime's goroutineleak detector (additive to v1).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub leaked: bool,
    /// True when `state` was inferred from frames, not printed (additive to v1).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub state_inferred: bool,
    /// pprof labels of the first member (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<[String; 2]>,
    /// Each creator of the members, when they were not all created at one
    /// `go` statement by one goroutine (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub creators: Vec<CreatorOut>,
    /// IDs of the members `locked to thread` (additive to v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locked_to_thread: Vec<u64>,
    /// The runtime did not print the whole stack (additive to v1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elided: Option<ElidedOut>,
}

/// One creator of some members of a group (additive to v1).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreatorOut {
    /// Where they were created.
    #[serde(flatten)]
    pub created_by: CreatedByOut,
    /// The members it created.
    pub goroutines: Vec<u64>,
}

/// Frames the runtime left out of a stack (additive to v1).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ElidedOut {
    /// `additional` (`...additional frames elided...`: the stack goes on past
    /// the 100 frames printed) or `middle` (`...N frames elided...`).
    pub kind: &'static str,
    /// For `middle`: how many.
    pub frames: Option<u32>,
}

/// A frame.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FrameOut {
    /// Function as printed.
    pub function: String,
    /// File as printed.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Runtime or standard-library frame (additive to v1).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub std: bool,
}

/// `created by`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreatedByOut {
    /// Function containing the `go` statement.
    pub function: String,
    /// Its file.
    pub file: String,
    /// Its line.
    pub line: u32,
    /// The parent goroutine (Go 1.21+).
    pub goroutine: Option<u64>,
}

/// What one execution trace says (additive to v1).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TraceOut {
    /// Index into `inputs` of the trace.
    pub input: usize,
    /// The trace's header, e.g. `go 1.26 trace`.
    pub format: String,
    /// Events read.
    pub events: u64,
    /// From the first to the last event, in nanoseconds.
    pub duration_ns: i64,
    /// Goroutines blocked at the end of the trace, and those the dumps show
    /// blocked (with how the two compare).
    pub goroutines: Vec<TraceGoroutineOut>,
}

/// One goroutine as the trace last saw it (additive to v1).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TraceGoroutineOut {
    /// Its ID.
    pub goroutine: u64,
    /// `waiting`, `running`, `runnable`, `syscall`, `exited`, `unknown`.
    pub state: &'static str,
    /// The trace's reason for the last block or stop (`chan receive`,
    /// `sync`, `select`, `sync.(*Cond).Wait`, `sleep`, `network`...).
    pub reason: String,
    /// When it entered `state`, in nanoseconds from the start of the trace.
    pub since_ns: i64,
    /// For a waiting goroutine: how long it had waited when the trace ended.
    pub blocked_for_ns: Option<i64>,
    /// The first user frame of `stack`.
    pub site: Option<FrameOut>,
    /// Where it last blocked or stopped, innermost first.
    pub stack: Vec<FrameOut>,
    /// The goroutine that created it.
    pub created_by: Option<u64>,
    /// The `go` statement that created it.
    pub created_at: Option<FrameOut>,
    /// The last time it was unblocked.
    pub last_unblock: Option<TraceUnblockOut>,
    /// How many times it blocked during the trace.
    pub blocks: u64,
    /// User regions (`runtime/trace`) still open, outermost first.
    pub open_regions: Vec<String>,
    /// How it compares with the dumps: `confirmed` (blocked at the same
    /// place), `different-site`, `not-blocked-in-trace`, `not-blocked-in-dump`,
    /// `not-in-dump`, `exited-in-trace`; null without a dump.
    pub dump: Option<&'static str>,
}

/// Who last unblocked a goroutine (additive to v1).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TraceUnblockOut {
    /// The unblocking goroutine; null for the runtime (timers, the network
    /// poller, a runtime goroutine without a goroutine context).
    pub by: Option<u64>,
    /// When, in nanoseconds from the start of the trace.
    pub at_ns: i64,
    /// The unblocker's first user frame.
    pub site: Option<FrameOut>,
}

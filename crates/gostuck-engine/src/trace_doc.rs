//! The `gostuck.trace.v1` document: what every goroutine of a Go execution
//! trace did, as `gostuck trace` prints it (JSON as is, text through
//! gostuck-report). Times are nanoseconds from the start of the trace.

use std::collections::BTreeMap;

use gostuck_dump::classify;
use gostuck_trace::analysis::SharedStack;
use gostuck_trace::{Analysis, BlockInterval, GoState, GoroutineInfo, OwnedFrame, NO_TASK};
use serde::Serialize;

pub use gostuck_trace::NO_GOROUTINE;

/// The schema name of [`TraceDoc`].
pub const TRACE_SCHEMA: &str = "gostuck.trace.v1";

/// At most this many log messages are kept (the last ones).
const MAX_LOGS: usize = 1000;

/// A stack frame.
#[derive(Serialize, Debug)]
pub struct FrameDoc {
    /// Function, with its package path.
    pub function: String,
    /// Source file as the trace recorded it.
    pub file: String,
    /// Line.
    pub line: u64,
}

impl FrameDoc {
    fn new(f: &OwnedFrame) -> Self {
        FrameDoc {
            function: f.func.clone(),
            file: f.file.clone(),
            line: f.line,
        }
    }
}

fn frames(s: &Option<SharedStack>) -> Vec<FrameDoc> {
    s.iter().flat_map(|s| s.iter()).map(FrameDoc::new).collect()
}

/// The first frame outside the standard library (or the innermost one).
fn site(s: &Option<SharedStack>) -> Option<FrameDoc> {
    let s = s.as_ref()?;
    s.iter()
        .find(|f| !classify::is_std_frame(&f.func, &f.file))
        .or_else(|| s.first())
        .map(FrameDoc::new)
}

/// One blocking interval of a goroutine.
#[derive(Serialize, Debug)]
pub struct IntervalDoc {
    /// When it began.
    pub start_ns: i64,
    /// When it ended; `None`: still blocked at the end of the trace.
    pub end_ns: Option<i64>,
    /// How long it lasted (to the end of the trace when it did not end).
    pub duration_ns: i64,
    /// The blocking reason the runtime recorded.
    pub reason: String,
    /// The first user frame of `stack`.
    pub site: Option<FrameDoc>,
    /// Where it blocked.
    pub stack: Vec<FrameDoc>,
    /// The goroutine that unblocked it (-1: the runtime).
    pub unblocked_by: Option<i64>,
    /// Where the unblocking goroutine was.
    pub unblock_site: Option<FrameDoc>,
}

impl IntervalDoc {
    fn new(a: &Analysis, b: &BlockInterval) -> Self {
        IntervalDoc {
            start_ns: b.start - a.start,
            end_ns: b.end.map(|e| e - a.start),
            duration_ns: b.duration(a.end),
            reason: b.reason.clone(),
            site: site(&b.stack),
            stack: frames(&b.stack),
            unblocked_by: b.unblocked_by,
            unblock_site: site(&b.unblock_stack),
        }
    }
}

/// A user region a goroutine was in.
#[derive(Serialize, Debug)]
pub struct RegionDoc {
    /// Its task.
    pub task: u64,
    /// Its name.
    pub name: String,
    /// When it began; `None`: before the trace.
    pub start_ns: Option<i64>,
    /// When it ended; `None`: never.
    pub end_ns: Option<i64>,
}

/// The last unblocking of a goroutine.
#[derive(Serialize, Debug)]
pub struct UnblockDoc {
    /// The goroutine that unblocked it; -1: the runtime.
    pub by: i64,
    /// When.
    pub at_ns: i64,
    /// Where the unblocking goroutine was.
    pub site: Option<FrameDoc>,
}

/// How often one goroutine unblocked another.
#[derive(Serialize, Debug)]
pub struct CountDoc {
    /// The unblocking goroutine.
    pub goroutine: i64,
    /// How many times.
    pub count: u64,
}

/// One goroutine of the trace.
#[derive(Serialize, Debug)]
pub struct GoroutineDoc {
    /// Goroutine ID.
    pub id: i64,
    /// The function it started in.
    pub start_function: Option<String>,
    /// A runtime goroutine.
    pub system: bool,
    /// The goroutine that created it.
    pub created_by: Option<i64>,
    /// When it was created.
    pub created_at_ns: Option<i64>,
    /// Where it was created.
    pub creation_site: Option<FrameDoc>,
    /// It existed before the trace started.
    pub existed_at_start: bool,
    /// Its state at the end of the trace ([`state_name`]).
    pub state: &'static str,
    /// Its blocking reason at the end.
    pub reason: String,
    /// Since when it was in that state.
    pub since_ns: i64,
    /// When it exited.
    pub ended_at_ns: Option<i64>,
    /// Its stack at the end.
    pub stack: Vec<FrameDoc>,
    /// Time it was seen, in every state.
    pub total_ns: i64,
    /// Time running.
    pub running_ns: i64,
    /// Time waiting for a P.
    pub runnable_ns: i64,
    /// Time in system calls.
    pub syscall_ns: i64,
    /// Time blocked, by reason.
    pub blocked_ns: BTreeMap<String, i64>,
    /// How many times it blocked.
    pub blocks: u64,
    /// The wait it was in at the end.
    pub current_block: Option<IntervalDoc>,
    /// Its longest blocking intervals, longest first.
    pub longest_blocks: Vec<IntervalDoc>,
    /// The last time it was unblocked.
    pub last_unblock: Option<UnblockDoc>,
    /// Who unblocked it, most often first.
    pub unblocked_by: Vec<CountDoc>,
    /// Its user regions.
    pub regions: Vec<RegionDoc>,
    /// How many log messages it wrote.
    pub logs: usize,
}

/// The name of a goroutine state in the document and the reports.
#[must_use]
pub fn state_name(s: GoState) -> &'static str {
    match s {
        GoState::Running => "running",
        GoState::Runnable => "runnable",
        GoState::Waiting => "waiting",
        GoState::Syscall => "syscall",
        GoState::NotExist => "exited",
        GoState::Undetermined => "unknown",
    }
}

/// A wait that only another goroutine can end: channel, lock, select, Cond.
#[must_use]
pub fn is_stuck_reason(r: &str) -> bool {
    gostuck_trace::analysis::is_sync_block(r) || r == "forever"
}

impl GoroutineDoc {
    fn new(a: &Analysis, g: &GoroutineInfo) -> Self {
        let total = g.running + g.runnable + g.syscall + g.blocked.values().sum::<i64>();
        let mut longest: Vec<IntervalDoc> =
            g.intervals.iter().map(|b| IntervalDoc::new(a, b)).collect();
        longest.sort_by_key(|b| std::cmp::Reverse(b.duration_ns));
        let mut unblocked_by: Vec<CountDoc> = g
            .unblocked_by
            .iter()
            .map(|(&goroutine, &count)| CountDoc { goroutine, count })
            .collect();
        unblocked_by.sort_by_key(|c| std::cmp::Reverse(c.count));
        GoroutineDoc {
            id: g.id,
            start_function: g.start_func().map(str::to_owned),
            system: g.is_system(),
            created_by: (g.created_by != NO_GOROUTINE).then_some(g.created_by),
            created_at_ns: g.created_at.map(|t| t - a.start),
            creation_site: site(&g.creation_stack),
            existed_at_start: g.existed_at_start,
            state: state_name(g.state),
            reason: g.reason.clone(),
            since_ns: g.since - a.start,
            ended_at_ns: g.ended_at.map(|t| t - a.start),
            stack: frames(&g.stack),
            total_ns: total,
            running_ns: g.running,
            runnable_ns: g.runnable,
            syscall_ns: g.syscall,
            blocked_ns: g.blocked.clone().into_iter().collect(),
            blocks: g.block_count,
            current_block: g.current_block.as_ref().map(|b| IntervalDoc::new(a, b)),
            longest_blocks: longest,
            last_unblock: g.last_unblock.as_ref().map(|u| UnblockDoc {
                by: u.by,
                at_ns: u.time - a.start,
                site: site(&u.stack),
            }),
            unblocked_by,
            regions: g
                .regions
                .iter()
                .map(|r| RegionDoc {
                    task: r.task,
                    name: r.name.clone(),
                    start_ns: r.start.map(|t| t - a.start),
                    end_ns: r.end.map(|t| t - a.start),
                })
                .collect(),
            logs: g.logs.len(),
        }
    }
}

/// Goroutines blocked at the end of the trace at one site for one reason.
#[derive(Serialize, Debug)]
pub struct BlockedDoc {
    /// The blocking reason.
    pub reason: String,
    /// Where they blocked (first user frame).
    pub site: Option<FrameDoc>,
    /// How many goroutines.
    pub count: usize,
    /// Their IDs.
    pub goroutines: Vec<i64>,
    /// When the first of them blocked (ns from the start of the trace).
    pub since_ns: i64,
    /// How long the longest waiting of them had waited when the trace ended.
    pub blocked_for_ns: i64,
    /// Open user regions of the first goroutine, outermost first.
    pub regions: Vec<String>,
    /// Created by (goroutine, site) of the first goroutine.
    pub created_by: Option<i64>,
    /// Where the first goroutine was created.
    pub creation_site: Option<FrameDoc>,
    /// A channel, lock, select or Cond wait (only another goroutine can end it).
    pub stuck: bool,
    /// Runtime goroutines.
    pub system: bool,
}

/// A user task.
#[derive(Serialize, Debug)]
pub struct TaskDoc {
    /// Task ID.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its parent task.
    pub parent: Option<u64>,
    /// When it began; `None`: before the trace.
    pub start_ns: Option<i64>,
    /// When it ended; `None`: never.
    pub end_ns: Option<i64>,
    /// The goroutine that created it.
    pub created_by: Option<i64>,
}

/// A user region never ended.
#[derive(Serialize, Debug)]
pub struct OpenRegionDoc {
    /// The goroutine in it.
    pub goroutine: i64,
    /// Its task.
    pub task: u64,
    /// Its name.
    pub name: String,
    /// When it began; `None`: before the trace.
    pub start_ns: Option<i64>,
    /// The goroutine's state at the end ([`state_name`]).
    pub goroutine_state: &'static str,
}

/// A user log message.
#[derive(Serialize, Debug)]
pub struct LogDoc {
    /// The goroutine that wrote it.
    pub goroutine: i64,
    /// When.
    pub at_ns: i64,
    /// Its task.
    pub task: u64,
    /// Its category.
    pub category: String,
    /// The message.
    pub message: String,
}

/// How often goroutine `by` unblocked `goroutine`.
#[derive(Serialize, Debug)]
pub struct PairDoc {
    /// The unblocking goroutine (-1: the runtime).
    pub by: i64,
    /// The unblocked goroutine.
    pub goroutine: i64,
    /// How many times.
    pub count: u64,
}

/// How the trace was read, for [`TraceDoc::new`].
#[derive(Debug, Clone, Copy)]
pub struct TraceSource<'a> {
    /// The input as the user named it.
    pub path: &'a str,
    /// The trace header, e.g. `go 1.26 trace`.
    pub format: &'a str,
    /// Bytes in the input (0 for a stream).
    pub bytes: u64,
    /// Time spent reading and analysing.
    pub read_seconds: f64,
    /// The error that ended reading early.
    pub error: Option<&'a str>,
}

/// The `gostuck.trace.v1` document.
#[derive(Serialize, Debug)]
pub struct TraceDoc {
    /// [`TRACE_SCHEMA`].
    pub schema: &'static str,
    /// The input as the user named it.
    pub path: String,
    /// The trace header.
    pub format: String,
    /// Events read.
    pub events: u64,
    /// Bytes in the input (0 for a stream).
    pub bytes: u64,
    /// Timestamp of the first event.
    pub start_ns: i64,
    /// From the first event to the last.
    pub duration_ns: i64,
    /// Time spent reading and analysing.
    pub read_seconds: f64,
    /// The error that ended reading early.
    pub error: Option<String>,
    /// Goroutines blocked at the end, user goroutines first, then by size.
    pub blocked_at_end: Vec<BlockedDoc>,
    /// Who unblocked whom, most often first.
    pub unblocks: Vec<PairDoc>,
    /// User tasks.
    pub tasks: Vec<TaskDoc>,
    /// User regions never ended.
    pub open_regions: Vec<OpenRegionDoc>,
    /// The last log messages, oldest first.
    pub logs: Vec<LogDoc>,
    /// Every goroutine.
    pub goroutines: Vec<GoroutineDoc>,
}

impl TraceDoc {
    /// Whether a user goroutine was blocked at the end on a channel, lock,
    /// select or Cond (exit status 1 of `gostuck trace`).
    #[must_use]
    pub fn is_stuck(&self) -> bool {
        self.blocked_at_end.iter().any(|g| g.stuck)
    }

    /// The document of an analysed trace.
    pub fn new(t: TraceSource<'_>, a: &Analysis) -> TraceDoc {
        let blocked_at_end = a
            .blocked_at_end()
            .into_iter()
            .map(|b| {
                let first = &a.goroutines[&b.goroutines[0]];
                let longest = b
                    .goroutines
                    .iter()
                    .map(|id| a.end - a.goroutines[id].since)
                    .max()
                    .unwrap_or(0);
                BlockedDoc {
                    stuck: is_stuck_reason(&b.reason) && !first.is_system(),
                    system: first.is_system(),
                    reason: b.reason,
                    site: b.site.as_ref().map(FrameDoc::new),
                    count: b.goroutines.len(),
                    since_ns: b.since - a.start,
                    blocked_for_ns: longest,
                    regions: first.open_regions().map(|r| r.name.clone()).collect(),
                    created_by: (first.created_by != NO_GOROUTINE).then_some(first.created_by),
                    creation_site: site(&first.creation_stack),
                    goroutines: b.goroutines,
                }
            })
            .collect::<Vec<_>>();
        let mut blocked_at_end = blocked_at_end;
        // User goroutines first, then by size.
        blocked_at_end.sort_by(|x, y| x.system.cmp(&y.system).then(y.count.cmp(&x.count)));
        let mut unblocks: Vec<PairDoc> = a
            .goroutines
            .values()
            .flat_map(|g| {
                g.unblocked_by.iter().map(|(&by, &count)| PairDoc {
                    by,
                    goroutine: g.id,
                    count,
                })
            })
            .collect();
        unblocks.sort_by(|x, y| y.count.cmp(&x.count).then(x.by.cmp(&y.by)));
        let tasks = a
            .tasks
            .values()
            .map(|t| TaskDoc {
                id: t.id,
                name: t.name.clone(),
                parent: (t.parent != NO_TASK).then_some(t.parent),
                start_ns: t.start.map(|x| x - a.start),
                end_ns: t.end.map(|x| x - a.start),
                created_by: (t.created_by != NO_GOROUTINE).then_some(t.created_by),
            })
            .collect();
        let open_regions = a
            .goroutines
            .values()
            .flat_map(|g| {
                g.open_regions().map(move |r| OpenRegionDoc {
                    goroutine: g.id,
                    task: r.task,
                    name: r.name.clone(),
                    start_ns: r.start.map(|x| x - a.start),
                    goroutine_state: state_name(g.state),
                })
            })
            .collect();
        let mut logs: Vec<LogDoc> = a
            .goroutines
            .values()
            .flat_map(|g| {
                g.logs.iter().map(move |l| LogDoc {
                    goroutine: g.id,
                    at_ns: l.time - a.start,
                    task: l.task,
                    category: l.category.clone(),
                    message: l.message.clone(),
                })
            })
            .collect();
        logs.sort_by_key(|l| l.at_ns);
        if logs.len() > MAX_LOGS {
            logs.drain(..logs.len() - MAX_LOGS);
        }
        TraceDoc {
            schema: TRACE_SCHEMA,
            path: t.path.to_string(),
            format: t.format.to_string(),
            events: a.events,
            bytes: t.bytes,
            start_ns: a.start,
            duration_ns: a.end - a.start,
            read_seconds: t.read_seconds,
            error: t.error.map(str::to_string),
            blocked_at_end,
            unblocks,
            tasks,
            open_regions,
            logs,
            goroutines: a
                .goroutines
                .values()
                .map(|g| GoroutineDoc::new(a, g))
                .collect(),
        }
    }
}

//! Go execution traces as evidence: a trace alone, or a trace beside a dump
//! of the same process.
//!
//! * [`analyze_trace`]: a trace alone. The goroutines alive at the end of the
//!   trace become a goroutine dump (stack = where each last blocked, state
//!   from the trace's block reason refined by the stack), the engine runs
//!   on it as on any dump, and every finding is capped at `possible`: a
//!   trace only shows that goroutines were blocked when tracing stopped, not
//!   that they stayed blocked. Blocked goroutines no finding explains get a
//!   finding by their block reason.
//! * [`trace_evidence`]: a trace next to dumps. Goroutines are matched by
//!   ID; for each goroutine the dump shows blocked, the trace confirms the
//!   blocking site (or disagrees: a warning), says since when it waited and
//!   which goroutine last unblocked it. Confirmed facts are added to the
//!   findings' explanations; disagreements become warnings of the trace
//!   input. Everything is also in the report's `trace` field.

use std::collections::BTreeMap;

use gostuck_dump::{
    classify, infer_state, CreatedBy, Dump, Format, Frame, FrameKind, Goroutine, GoroutineFlags,
    Interner, WaitReason,
};
use gostuck_trace::analysis::SharedStack;
use gostuck_trace::{Analysis, GoState, GoroutineInfo, OwnedFrame, NO_GOROUTINE};

use crate::kinds::kind_doc;
use crate::trace_doc::state_name;
use crate::{
    Confidence, Finding, FrameOut, Input, InputSummary, Location, Options, Report, Resource,
    Sources, TraceGoroutineOut, TraceOut, TraceUnblockOut, Verdict,
};

/// A Go execution trace to analyse or to add to a report.
#[derive(Debug, Clone, Copy)]
pub struct TraceInput<'a> {
    /// Path as the user gave it.
    pub path: &'a str,
    /// The header, e.g. `go 1.26 trace`.
    pub format: &'a str,
    /// The analysis of its events.
    pub analysis: &'a Analysis,
    /// The error that stopped reading early, if any (the events before it
    /// were analysed).
    pub error: Option<&'a str>,
}

/// At most this many goroutines are listed in the `trace` field, and at most
/// this many disagreements are listed one by one.
const MAX_LISTED: usize = 10_000;
const MAX_WARNINGS: usize = 20;

fn is_std(f: &OwnedFrame) -> bool {
    classify::is_std_frame(&f.func, &f.file)
}

/// The first frame outside the runtime and standard library, or the top one.
fn site_of(stack: &[OwnedFrame]) -> Option<&OwnedFrame> {
    stack.iter().find(|f| !is_std(f)).or_else(|| stack.first())
}

fn frame_out(f: &OwnedFrame) -> FrameOut {
    FrameOut {
        function: f.func.clone(),
        file: f.file.clone(),
        line: u32::try_from(f.line).unwrap_or(u32::MAX),
        std: is_std(f),
    }
}

fn ms(ns: i64) -> String {
    use gostuck_dump::human::{format_duration, from_ns, DurationStyle};
    format_duration(from_ns(ns), DurationStyle::Evidence)
}

fn short_path(p: &str) -> &str {
    crate::short_path(p)
}

fn at(f: &OwnedFrame) -> String {
    let func = f.func.rsplit('/').next().unwrap_or(&f.func);
    let func = func.split_once('.').map_or(func, |(_, r)| r);
    format!("{func}, {}:{}", short_path(&f.file), f.line)
}

/// The status a goroutine dump would print for a trace goroutine at the end.
fn dump_state(g: &GoroutineInfo) -> String {
    let funcs = || {
        g.stack
            .iter()
            .flat_map(|s| s.iter())
            .map(|f| f.func.as_str())
    };
    match g.state {
        GoState::Running => "running".into(),
        GoState::Runnable => "runnable".into(),
        GoState::Syscall => "syscall".into(),
        GoState::Waiting => {
            let inferred = infer_state(funcs());
            let by_reason = match g.reason.as_str() {
                "chan receive" => Some("chan receive"),
                "chan send" => Some("chan send"),
                "select" => Some("select"),
                "sync.(*Cond).Wait" => Some("sync.Cond.Wait"),
                "sleep" => Some("sleep"),
                "network" => Some("IO wait"),
                "forever" => Some(if funcs().any(|f| f == "runtime.block") {
                    "select (no cases)"
                } else if funcs().any(|f| f.starts_with("runtime.chansend")) {
                    "chan send (nil chan)"
                } else if funcs().any(|f| f.starts_with("runtime.chanrecv")) {
                    "chan receive (nil chan)"
                } else {
                    "select (no cases)"
                }),
                "sync" => None,
                "system goroutine wait" | "GC mark assist wait for work" => {
                    Some("trace goroutine wait")
                }
                _ => None,
            };
            match (g.reason.as_str(), by_reason, inferred) {
                ("forever", Some(s), _) => s.into(),
                (_, _, Some(s)) if s != "running" => s.into(),
                (_, Some(s), _) => s.into(),
                ("sync", None, _) => "semacquire".into(),
                ("", None, _) => "waiting".into(),
                (r, None, _) => r.into(),
            }
        }
        GoState::Undetermined | GoState::NotExist => "waiting".into(),
    }
}

/// The goroutines alive at the end of the trace as a goroutine dump: each
/// with the stack where it last blocked (or stopped), its creator and the
/// `go` statement, and a state like the one a dump would print. Runtime
/// goroutines and goroutines without a known stack are left out.
#[must_use]
pub fn trace_dump(a: &Analysis) -> Dump {
    let mut strings = Interner::default();
    let empty = strings.intern("");
    let mut goroutines = Vec::new();
    for g in a.goroutines.values() {
        if matches!(g.state, GoState::NotExist | GoState::Undetermined) || g.is_system() {
            continue;
        }
        let Some(stack) = g.stack.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let state = dump_state(g);
        let frames = stack
            .iter()
            .map(|f| Frame {
                function: strings.intern(&f.func),
                args: empty,
                file: strings.intern(&f.file),
                line: u32::try_from(f.line).unwrap_or(u32::MAX),
                kind: FrameKind::Go,
            })
            .collect();
        let created_by = g
            .creation_stack
            .as_ref()
            .and_then(|s| s.first())
            .map(|f| CreatedBy {
                function: strings.intern(&f.func),
                file: strings.intern(&f.file),
                line: u32::try_from(f.line).unwrap_or(u32::MAX),
                parent: (g.created_by != NO_GOROUTINE).then_some(g.created_by.cast_unsigned()),
            });
        goroutines.push(Goroutine {
            id: u64::try_from(g.id).ok(),
            count: 1,
            state: strings.intern(&state),
            wait_reason: WaitReason::parse(&state),
            state_inferred: true,
            wait_minutes: None,
            flags: GoroutineFlags::default(),
            bubble: None,
            labels: Vec::new(),
            frames,
            elided: None,
            created_by,
            ancestors: Vec::new(),
            line: 0,
        });
    }
    Dump {
        format: Format::Traceback,
        go_version: None,
        goroutines,
        strings,
        warnings: Vec::new(),
        notes: Vec::new(),
        fatal_error: None,
        panics: Vec::new(),
        signal: None,
        running_tests: Vec::new(),
        profile_total: None,
        profile_name: None,
        first_line: 0,
    }
}

/// How a goroutine of the trace compares with the dumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    /// Blocked at the same place in both.
    Confirmed,
    /// Blocked in both, at different places.
    DifferentSite,
    /// The dump shows it blocked; the trace ended while it was not.
    NotBlockedInTrace,
    /// Blocked at the end of the trace; the dump shows it not blocked.
    NotBlockedInDump,
    /// Blocked at the end of the trace; not in the dump.
    NotInDump,
    /// The dump shows it; the trace saw it exit.
    ExitedInTrace,
}

impl Match {
    fn as_str(self) -> &'static str {
        match self {
            Match::Confirmed => "confirmed",
            Match::DifferentSite => "different-site",
            Match::NotBlockedInTrace => "not-blocked-in-trace",
            Match::NotBlockedInDump => "not-blocked-in-dump",
            Match::NotInDump => "not-in-dump",
            Match::ExitedInTrace => "exited-in-trace",
        }
    }
}

fn goroutine_out(a: &Analysis, g: &GoroutineInfo, dump: Option<Match>) -> TraceGoroutineOut {
    let stack: Vec<FrameOut> = g
        .stack
        .iter()
        .flat_map(|s| s.iter())
        .map(frame_out)
        .collect();
    let site = g.stack.as_deref().and_then(site_of).map(frame_out);
    let waiting = g.state == GoState::Waiting;
    TraceGoroutineOut {
        goroutine: u64::try_from(g.id).unwrap_or(0),
        state: state_name(g.state),
        reason: g.reason.clone(),
        since_ns: g.since - a.start,
        blocked_for_ns: waiting.then_some(a.end - g.since),
        site,
        stack,
        created_by: (g.created_by != NO_GOROUTINE).then_some(g.created_by.cast_unsigned()),
        created_at: g
            .creation_stack
            .as_deref()
            .and_then(|s| s.first())
            .map(frame_out),
        last_unblock: g.last_unblock.as_ref().map(|u| TraceUnblockOut {
            by: (u.by != NO_GOROUTINE).then_some(u.by.cast_unsigned()),
            at_ns: u.time - a.start,
            site: u.stack.as_deref().and_then(site_of).map(frame_out),
        }),
        blocks: g.block_count,
        open_regions: g.open_regions().map(|r| r.name.clone()).collect(),
        dump: dump.map(Match::as_str),
    }
}

/// One sentence about the last wait of goroutines that waited at the same
/// place and were last unblocked from the same place, from the trace.
fn wait_sentence(a: &Analysis, gs: &[&GoroutineInfo], prefix: &str) -> String {
    let g = gs[0];
    let site = g
        .stack
        .as_deref()
        .and_then(site_of)
        .map(|f| format!(" at {}", at(f)))
        .unwrap_or_default();
    let reason = if g.reason.is_empty() {
        String::new()
    } else {
        format!(" [{}]", g.reason)
    };
    let since = gs.iter().map(|g| g.since).min().unwrap_or(g.since);
    let before_start = gs
        .iter()
        .all(|g| g.existed_at_start && g.since <= a.start && g.block_count <= 1);
    let when = if before_start {
        format!(
            "since before the trace started (all of its {})",
            ms(a.end - a.start)
        )
    } else {
        format!(
            "from {} into the trace until it ended, {} later",
            ms(since - a.start),
            ms(a.end - since)
        )
    };
    let (who, them) = if gs.len() == 1 {
        (format!("goroutine {}", g.id), "it")
    } else {
        let ids: Vec<String> = gs.iter().map(|g| g.id.to_string()).collect();
        (format!("goroutines {}", ids.join(", ")), "them")
    };
    let mut s = format!("{prefix}{who} waited{reason}{site} {when}");
    match &g.last_unblock {
        Some(u) => {
            let by = if u.by == NO_GOROUTINE {
                "the runtime (a timer, the network poller or a runtime goroutine)".to_string()
            } else {
                format!("goroutine {}", u.by)
            };
            let usite = u
                .stack
                .as_deref()
                .and_then(site_of)
                .map(|f| format!(" at {}", at(f)))
                .unwrap_or_default();
            let times = gs
                .iter()
                .filter_map(|g| g.last_unblock.as_ref().map(|u| u.time));
            let (lo, hi) = times.fold((u.time, u.time), |(lo, hi), t| (lo.min(t), hi.max(t)));
            let when = if hi > lo {
                format!(
                    "between {} and {} into the trace",
                    ms(lo - a.start),
                    ms(hi - a.start)
                )
            } else {
                format!("{} into the trace", ms(u.time - a.start))
            };
            s.push_str(&format!("; {by}{usite} last unblocked {them}, {when}"));
        }
        None => s.push_str(&format!("; nothing unblocked {them} during the trace")),
    }
    let regions: Vec<&str> = g.open_regions().map(|r| r.name.as_str()).collect();
    if !regions.is_empty() {
        s.push_str(&format!(", inside region {}", regions.join(" > ")));
    }
    s.push('.');
    s
}

/// Sentences for goroutines, grouped by wait site and last unblocker.
fn wait_sentences(a: &Analysis, gs: &[&GoroutineInfo], prefix: &str) -> String {
    type Key = (
        String,
        Option<(String, u64)>,
        Option<(i64, Option<(String, u64)>)>,
    );
    let key = |g: &GoroutineInfo| -> Key {
        let fl = |s: Option<&SharedStack>| {
            s.map(|s| &**s)
                .and_then(site_of)
                .map(|f| (f.func.clone(), f.line))
        };
        (
            g.reason.clone(),
            fl(g.stack.as_ref()),
            g.last_unblock
                .as_ref()
                .map(|u| (u.by, fl(u.stack.as_ref()))),
        )
    };
    let mut groups: Vec<(Key, Vec<&GoroutineInfo>)> = Vec::new();
    for &g in gs {
        let k = key(g);
        match groups.iter_mut().find(|(x, _)| *x == k) {
            Some((_, v)) => v.push(g),
            None => groups.push((k, vec![g])),
        }
    }
    let mut out = String::new();
    for (_, v) in groups.iter().take(3) {
        out.push(' ');
        out.push_str(&wait_sentence(a, v, prefix));
    }
    if groups.len() > 3 {
        out.push_str(&format!(
            " ({} more wait sites in the trace.)",
            groups.len() - 3
        ));
    }
    out
}

fn input_summary(t: &TraceInput<'_>, goroutines: u64, warnings: Vec<String>) -> InputSummary {
    InputSummary {
        path: t.path.to_string(),
        format: "trace",
        go_version: None,
        goroutines,
        warnings,
        // What the trace covers is information, not a problem.
        notes: vec![overview(t)],
        missing_source: Vec::new(),
        fatal_error: None,
        panics: Vec::new(),
        signal: None,
        running_tests: Vec::new(),
        profile: None,
    }
}

fn overview(t: &TraceInput<'_>) -> String {
    let a = t.analysis;
    let blocked = a
        .goroutines
        .values()
        .filter(|g| g.blocked_at_end() && !g.is_system())
        .count();
    format!(
        "trace ({}): {} events over {}, {} goroutines seen, {} blocked when it ended",
        t.format,
        a.events,
        ms(a.end - a.start),
        a.goroutines.len(),
        blocked
    )
}

/// The kind of a finding for goroutines the engine did not explain, by the
/// state derived from the trace.
fn kind_by_state(state: &str) -> (&'static str, &'static str) {
    match WaitReason::parse(state) {
        WaitReason::ChanSend | WaitReason::ChanReceive => ("channel-no-partner", "channel"),
        WaitReason::Select => ("channel-no-partner", "select"),
        WaitReason::ChanReceiveNilChan | WaitReason::ChanSendNilChan => ("nil-channel", "channel"),
        WaitReason::SelectNoCases => ("select-no-cases", "select"),
        WaitReason::SyncMutexLock => ("lock-never-released", "mutex"),
        WaitReason::SyncRWMutexLock | WaitReason::SyncRWMutexRLock => {
            ("lock-never-released", "rwmutex")
        }
        WaitReason::SyncWaitGroupWait => ("waitgroup-never-done", "waitgroup"),
        WaitReason::SyncCondWait => ("cond-wait-forever", "cond"),
        _ => ("stuck-unexplained", "other"),
    }
}

/// Blocked groups no finding explains: a finding by reason per site.
fn unexplained_findings(a: &Analysis, explained: &std::collections::HashSet<u64>) -> Vec<Finding> {
    let mut by_site: BTreeMap<(String, String, u64), Vec<&GoroutineInfo>> = BTreeMap::new();
    for g in a.goroutines.values() {
        if !g.blocked_at_end() || g.is_system() || explained.contains(&g.id.cast_unsigned()) {
            continue;
        }
        let state = dump_state(g);
        if !WaitReason::parse(&state).is_blocked() {
            continue;
        }
        let Some(site) = g.stack.as_deref().and_then(site_of) else {
            continue;
        };
        by_site
            .entry((state, site.func.clone(), site.line))
            .or_default()
            .push(g);
    }
    let mut extra: Vec<Finding> = Vec::new();
    for ((state, _, _), gs) in by_site {
        let first = gs[0];
        let site = first
            .stack
            .as_deref()
            .and_then(site_of)
            .expect("grouped by site");
        let (kind, res) = kind_by_state(&state);
        let since = gs.iter().map(|g| g.since).min().unwrap_or(a.end);
        let n = gs.len() as u64;
        let who = if n == 1 {
            format!("goroutine {}", first.id)
        } else {
            format!("{n} goroutines")
        };
        let title = format!(
            "{who} blocked [{state}] at {} when the trace ended, since {} before",
            at(site),
            ms(a.end - since)
        );
        let mut explanation = wait_sentences(a, &gs, "").trim_start().to_string();
        explanation.push_str(" From an execution trace alone, without the source or a goroutine dump, gostuck cannot tell who should have released them; a dump of the same process (and --source) gives a precise diagnosis.");
        extra.push(Finding {
            id: String::new(),
            kind,
            confidence: Confidence::Possible,
            title,
            explanation,
            fix: kind_doc(kind)
                .map(|k| k.fix.to_string())
                .unwrap_or_default(),
            goroutines: gs
                .iter()
                .map(|g| u64::try_from(g.id).unwrap_or(0))
                .collect(),
            count: n,
            resources: vec![Resource {
                kind: res,
                name: None,
                address: None,
            }],
            locations: vec![Location {
                goroutine: u64::try_from(first.id).ok(),
                function: site.func.clone(),
                file: site.file.clone(),
                line: u32::try_from(site.line).unwrap_or(u32::MAX),
                role: "blocked",
            }],
            snippets: Vec::new(),
            edges: Vec::new(),
        });
    }
    extra
}

/// Analyses a trace on its own: the engine runs over the goroutines alive at
/// the end of the trace (see [`trace_dump`]); every finding is `possible` at
/// most, and blocked goroutines no finding explains get one by reason.
pub fn analyze_trace(t: &TraceInput<'_>, opts: &Options, src: &mut dyn Sources) -> Report {
    let a = t.analysis;
    let dump = trace_dump(a);
    let n = dump.total_goroutines();
    let mut report = crate::analyze(
        &[Input {
            path: t.path.to_string(),
            dump,
        }],
        opts,
        src,
    );
    let mut warnings = Vec::new();
    if let Some(e) = t.error {
        warnings.push(format!("the trace could not be read to the end: {e}"));
    }
    let missing = a
        .goroutines
        .values()
        .filter(|g| {
            g.blocked_at_end() && !g.is_system() && g.stack.as_ref().is_none_or(|s| s.is_empty())
        })
        .count();
    if missing > 0 {
        warnings.push(format!(
            "{missing} goroutines were blocked since before the trace started and the trace has no stack for them (Go 1.22 traces); they are left out"
        ));
    }
    let old = std::mem::take(&mut report.inputs);
    let missing_source = old
        .into_iter()
        .next()
        .map(|i| i.missing_source)
        .unwrap_or_default();
    let mut input = input_summary(t, n, warnings);
    input.missing_source = missing_source;
    report.inputs.push(input);

    // Cap, and explain the cap.
    for f in &mut report.findings {
        if f.confidence < Confidence::Possible {
            f.confidence = Confidence::Possible;
        }
        let gs: Vec<&GoroutineInfo> = f
            .goroutines
            .iter()
            .filter_map(|&id| a.goroutines.get(&id.cast_signed()))
            .filter(|g| g.blocked_at_end())
            .collect();
        if !gs.is_empty() {
            let text = wait_sentences(a, &gs, "In the trace, ");
            f.explanation.push_str(&text);
        }
        f.explanation.push_str(" From an execution trace alone: these goroutines were blocked when the trace ended, which does not show they stayed blocked; a goroutine dump of the process confirms it.");
    }
    let explained: std::collections::HashSet<u64> = report
        .findings
        .iter()
        .flat_map(|f| f.goroutines.iter().copied())
        .collect();
    let mut extra = unexplained_findings(a, &explained);
    extra.sort_by_key(|f| std::cmp::Reverse(f.count));
    report.findings.extend(extra);
    for (k, f) in report.findings.iter_mut().enumerate() {
        f.id = format!("F{}", k + 1);
    }
    if !report.findings.is_empty() && matches!(report.verdict, Verdict::Healthy | Verdict::Unknown)
    {
        report.verdict = Verdict::Stuck;
    }
    crate::resummarize(&mut report);
    report.summary = format!("From an execution trace: {}", report.summary);

    let listed = a
        .goroutines
        .values()
        .filter(|g| g.blocked_at_end() && !g.is_system())
        .take(MAX_LISTED)
        .map(|g| goroutine_out(a, g, None))
        .collect();
    report.trace.push(TraceOut {
        input: report.inputs.len() - 1,
        format: t.format.to_string(),
        events: a.events,
        duration_ns: a.end - a.start,
        goroutines: listed,
    });
    report
}

/// The goroutine IDs a report's dumps show, with their state and first user
/// frame (function, line).
fn dump_goroutines(report: &Report) -> BTreeMap<u64, (bool, Option<(String, u32)>)> {
    let mut m = BTreeMap::new();
    for g in &report.groups {
        if report
            .inputs
            .get(g.input)
            .is_some_and(|i| i.format == "trace" || i.format == "schedtrace")
        {
            continue;
        }
        let blocked = crate::is_blocked_state(&g.state);
        let site = g
            .user_frame
            .and_then(|i| g.frames.get(i))
            .or_else(|| g.frames.first())
            .map(|f| (f.function.clone(), f.line));
        for &id in &g.goroutines {
            m.insert(id, (blocked, site.clone()));
        }
    }
    m
}

fn same_site(trace: Option<&SharedStack>, dump: &Option<(String, u32)>) -> Option<bool> {
    let (dfunc, dline) = dump.as_ref()?;
    let stack = trace?;
    if let Some(f) = stack.iter().find(|f| &f.func == dfunc) {
        return Some(f.line == u64::from(*dline));
    }
    Some(false)
}

/// The warning for a goroutine of the dump whose trace state disagrees.
fn disagreement(
    id: u64,
    m: Match,
    g: &GoroutineInfo,
    site: Option<&(String, u32)>,
) -> Option<String> {
    let dsite = site
        .map(|(f, l)| format!("{f}:{l}"))
        .unwrap_or_else(|| "an unknown place".into());
    let tsite = g
        .stack
        .as_deref()
        .and_then(site_of)
        .map(at)
        .unwrap_or_else(|| "an unknown place".into());
    match m {
        Match::Confirmed | Match::NotInDump => None,
        Match::DifferentSite => Some(format!(
            "goroutine {id}: the dump shows it blocked at {dsite}, but when the trace ended it was waiting at {tsite} [{}]: it moved on after the trace stopped, so the trace cannot confirm this wait",
            g.reason
        )),
        Match::NotBlockedInTrace => Some(format!(
            "goroutine {id}: the dump shows it blocked at {dsite}, but it was {} when the trace ended: it blocked after the trace stopped, so the trace cannot confirm this wait",
            state_name(g.state)
        )),
        Match::NotBlockedInDump => Some(format!(
            "goroutine {id}: blocked at {tsite} [{}] when the trace ended, but not blocked in the dump: it was unblocked later",
            g.reason
        )),
        Match::ExitedInTrace => Some(format!(
            "goroutine {id}: in the dump, but the trace saw it exit: the trace and the dump may come from different processes (or the runtime reused the ID)"
        )),
    }
}

/// Adds a trace's evidence to a report built from dumps of the same
/// process: goroutines are matched by ID, blocking sites confirmed or
/// disputed (warnings), and findings get when each wait started and who
/// last unblocked the goroutine. With no dump in the report, nothing is
/// matched and only the trace's overview and `trace` field are added.
pub fn trace_evidence(report: &mut Report, t: &TraceInput<'_>) {
    let a = t.analysis;
    let dumped = dump_goroutines(report);
    let mut warnings = Vec::new();
    if let Some(e) = t.error {
        warnings.push(format!("the trace could not be read to the end: {e}"));
    }
    let mut listed: Vec<TraceGoroutineOut> = Vec::new();
    let mut disagreements: Vec<String> = Vec::new();
    let mut confirmed = 0usize;
    let mut not_in_trace = 0usize;
    let mut matches: BTreeMap<u64, Match> = BTreeMap::new();
    for (&id, (blocked, site)) in &dumped {
        let Some(g) = i64::try_from(id).ok().and_then(|i| a.goroutines.get(&i)) else {
            if *blocked {
                not_in_trace += 1;
            }
            continue;
        };
        let m = match (g.state, *blocked) {
            (GoState::Waiting, true) => match same_site(g.stack.as_ref(), site) {
                Some(true) => Match::Confirmed,
                Some(false) => Match::DifferentSite,
                None => continue,
            },
            (GoState::Waiting, false) => Match::NotBlockedInDump,
            (GoState::NotExist, _) => Match::ExitedInTrace,
            (_, true) => Match::NotBlockedInTrace,
            _ => continue,
        };
        match m {
            Match::Confirmed => confirmed += 1,
            _ => disagreements.extend(disagreement(id, m, g, site.as_ref())),
        }
        matches.insert(id, m);
        if listed.len() < MAX_LISTED {
            listed.push(goroutine_out(a, g, Some(m)));
        }
    }
    // Blocked at the end of the trace, absent from the dumps.
    let mut stackless = 0usize;
    if !dumped.is_empty() {
        for g in a.goroutines.values() {
            if !g.blocked_at_end()
                || g.is_system()
                || dumped.contains_key(&u64::try_from(g.id).unwrap_or(0))
            {
                continue;
            }
            if g.stack.as_ref().is_none_or(|s| s.is_empty()) {
                // Go 1.22: blocked since before the trace, start function
                // unknown — usually runtime goroutines, which dumps omit.
                stackless += 1;
                continue;
            }
            let tsite = g
                .stack
                .as_deref()
                .and_then(site_of)
                .map(at)
                .unwrap_or_else(|| "an unknown place".into());
            disagreements.push(format!(
                "goroutine {}: blocked at {tsite} [{}] when the trace ended, but not in the dump: it ended before the dump was taken, or the inputs come from different processes",
                g.id, g.reason
            ));
            matches.insert(g.id.cast_unsigned(), Match::NotInDump);
            if listed.len() < MAX_LISTED {
                listed.push(goroutine_out(a, g, Some(Match::NotInDump)));
            }
        }
    } else {
        listed.extend(
            a.goroutines
                .values()
                .filter(|g| g.blocked_at_end() && !g.is_system())
                .take(MAX_LISTED)
                .map(|g| goroutine_out(a, g, None)),
        );
    }
    if !dumped.is_empty() {
        warnings.push(format!(
            "trace vs dump: {confirmed} blocked goroutines confirmed at the same site, {} disagreements{}",
            disagreements.len(),
            if not_in_trace > 0 {
                format!(", {not_in_trace} blocked goroutines of the dump are not in the trace (created after it stopped?)")
            } else {
                String::new()
            }
        ));
        if stackless > 0 {
            warnings.push(format!(
                "{stackless} goroutines blocked since before the trace started have no stack in the trace (Go 1.22 format) and are not compared"
            ));
        }
        let n = dumped.len();
        let unknown = dumped
            .keys()
            .filter(|&&id| !a.goroutines.contains_key(&id.cast_signed()))
            .count();
        if n >= 4 && unknown * 2 > n {
            warnings.push(format!(
                "{unknown} of the dump's {n} goroutines do not appear in the trace: the trace and the dump probably come from different processes"
            ));
        }
    }
    let more = disagreements.len().saturating_sub(MAX_WARNINGS);
    warnings.extend(disagreements.into_iter().take(MAX_WARNINGS));
    if more > 0 {
        warnings.push(format!(
            "... and {more} more disagreements (see the report's `trace` field)"
        ));
    }

    // Confirmed waits strengthen the findings' explanations.
    for f in &mut report.findings {
        let confirmed: Vec<&GoroutineInfo> = f
            .goroutines
            .iter()
            .filter(|id| matches.get(id) == Some(&Match::Confirmed))
            .filter_map(|&id| a.goroutines.get(&id.cast_signed()))
            .collect();
        if !confirmed.is_empty() {
            let text = wait_sentences(a, &confirmed, "The trace confirms it: ");
            f.explanation.push_str(&text);
        }
    }

    let goroutines = a
        .goroutines
        .values()
        .filter(|g| !matches!(g.state, GoState::NotExist) && !g.is_system())
        .count() as u64;
    report.inputs.push(input_summary(t, goroutines, warnings));
    report.trace.push(TraceOut {
        input: report.inputs.len() - 1,
        format: t.format.to_string(),
        events: a.events,
        duration_ns: a.end - a.start,
        goroutines: listed,
    });
}

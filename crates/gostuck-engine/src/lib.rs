//! The gostuck engine: from goroutine dumps to a [`Report`] with groups, a
//! verdict and findings. Does no I/O and prints nothing.
#![deny(missing_docs)]

pub mod captured;
mod compose;
mod diagnose;
mod facts;
mod findings;
mod fuse;
mod instances;
pub mod kinds;
mod liveness;
mod narrate;
mod objects;
mod passes;
mod reach;
pub mod sourced;
mod why;

pub mod report;
pub mod trace;
pub mod trace_doc;
pub mod watch;

use gostuck_dump::{group, Dump, GroupOptions, Rank, WaitReason};
use rustc_hash::FxHashMap;

pub use compose::{add_sched, analyze_with_traces, note_sources, push_dumps};
pub use facts::{uses_args, NoSources, Sources};
pub use fuse::fuse_trace_findings;
pub use report::*;
pub use trace::{analyze_trace, trace_dump, trace_evidence, TraceInput};

/// One dump to analyse, with the name it is shown under.
#[derive(Debug)]
pub struct Input {
    /// Path as the user gave it (`-` for stdin), `#N` appended for the N-th dump of a file.
    pub path: String,
    /// The dump.
    pub dump: Dump,
}

/// Analysis options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Group stacks by their arguments too.
    pub exact: bool,
    /// The dumps come from a program known to have made no progress (no CPU,
    /// no output) for a while: blocked goroutines are treated as permanently
    /// blocked, as in a test timeout, with `likely` rather than `certain` findings.
    pub stalled: bool,
    /// Explain this goroutine: what it waits for and who could end the wait.
    pub why: Option<u64>,
}

/// Analyses the inputs and builds the report, reading source through `src`.
pub fn analyze(inputs: &[Input], opts: &Options, src: &mut dyn Sources) -> Report {
    let mut findings = Vec::new();
    let mut why = None;
    let mut missing = Vec::new();
    let mut deadlocked = false;
    let mut stuck = false;
    let mut leaks = false;
    let mut summaries = Vec::new();
    let mut groups: Vec<(Rank, GroupOut)> = Vec::new();
    let mut total = 0;
    let mut blocked = 0;
    let mut by_state: FxHashMap<String, u64> = FxHashMap::default();
    for (idx, input) in inputs.iter().enumerate() {
        let d = &input.dump;
        let n = d.total_goroutines();
        total += n;
        // One grouping serves the engine and the report.
        let dump_groups = group(d, GroupOptions { exact: opts.exact });
        // Counted per group: members share the state and the frames it is
        // inferred from, so they share the wait reason too.
        let mut by_sym: FxHashMap<gostuck_dump::Sym, u64> = FxHashMap::default();
        for grp in &dump_groups {
            if d.goroutines[grp.members[0]].wait_reason.is_blocked() {
                blocked = u64::saturating_add(blocked, grp.count);
                let n = by_sym.entry(grp.state).or_default();
                *n = n.saturating_add(grp.count);
            }
        }
        for (sym, count) in by_sym {
            let n = by_state.entry(d.str(sym).to_string()).or_default();
            *n = n.saturating_add(count);
        }
        // Member IDs, for findings and group reports: reading them touches
        // every goroutine, so once, split over the CPUs when there are many.
        let member_ids = |grp: &gostuck_dump::Group| -> Vec<u64> {
            grp.members
                .iter()
                .filter_map(|&i| d.goroutines[i].id)
                .collect()
        };
        let many = d.goroutines.len() >= 100_000;
        let ids: Vec<Vec<u64>> = if many {
            gostuck_dump::par::par_map(&dump_groups, member_ids)
        } else {
            dump_groups.iter().map(member_ids).collect()
        };
        let diag = diagnose::diagnose(d, &dump_groups, &ids, src, opts);

        deadlocked |= diag.deadlocked;
        stuck |= diag.stuck;
        leaks |= diag.leaks;
        findings.extend(diag.findings);
        why = why.or(diag.why);
        missing.push(diag.missing);
        summaries.push(InputSummary {
            path: input.path.clone(),
            format: d.format.as_str(),
            go_version: d.go_version.clone(),
            goroutines: n,
            warnings: d.warnings.iter().map(|w| w.to_string()).collect(),
            notes: {
                let mut notes = d.notes.clone();
                notes.extend(missing_test_goroutine(d));
                notes.extend(leak_profile_note(d));
                notes
            },
            missing_source: missing.last().cloned().unwrap_or_default(),
            fatal_error: d.fatal_error.clone(),
            panics: d.panics.clone(),
            signal: d.signal.clone(),
            running_tests: d.running_tests.clone(),
            profile: d.profile_name.clone(),
        });
        let out = |gi: &usize| group_out(d, idx, &dump_groups[*gi], &ids[*gi]);
        let order: Vec<usize> = (0..dump_groups.len()).collect();
        let outs: Vec<GroupOut> = if many {
            gostuck_dump::par::par_map(&order, out)
        } else {
            order.iter().map(out).collect()
        };
        groups.extend(dump_groups.iter().map(|g| g.rank).zip(outs));
    }
    // Interleave inputs by interest: a stable sort keeps each input's own order.
    groups.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.count.cmp(&a.1.count)));
    let groups: Vec<GroupOut> = groups.into_iter().map(|(_, g)| g).collect();

    let mut by_state: Vec<StateCount> = by_state
        .into_iter()
        .map(|(state, count)| StateCount { state, count })
        .collect();
    by_state.sort_by(|a, b| b.count.cmp(&a.count).then(a.state.cmp(&b.state)));

    let runtime_deadlock = inputs.iter().any(|i| i.dump.runtime_reported_deadlock());
    debug_assert_eq!(
        (deadlocked, stuck, leaks),
        flags(&findings),
        "the passes' flags are the findings' kinds"
    );
    let mut verdict = verdict_from(&findings, runtime_deadlock, total);
    // A goroutineleak profile lists only what the runtime proved leaked:
    // finding nothing in it says nothing of the rest of the program.
    if verdict == Verdict::Healthy
        && inputs
            .iter()
            .all(|i| i.dump.profile_name.as_deref() == Some("goroutineleak"))
    {
        verdict = Verdict::Unknown;
    }
    for (k, f) in findings.iter_mut().enumerate() {
        f.id = format!("F{}", k + 1);
    }
    let summary = summarize(verdict, total, blocked, &groups, &findings);
    Report {
        schema: SCHEMA,
        tool: Tool {
            name: "gostuck",
            version: env!("CARGO_PKG_VERSION"),
        },
        inputs: summaries,
        verdict,
        summary,
        goroutines: Counts {
            total,
            blocked,
            groups: groups.len(),
            by_state,
        },
        findings,
        groups,
        trace: Vec::new(),
        why,
    }
}

/// A goroutineleak profile says what it does and does not mean
/// (`runtime/pprof`: the profile holds only goroutines the GC proved
/// unreachable-blocked): when it lists no goroutine, and when some it lists
/// came without a stack.
fn leak_profile_note(d: &Dump) -> Option<String> {
    if d.profile_name.as_deref() != Some("goroutineleak") {
        return None;
    }
    if d.total_goroutines() == 0 {
        return Some(
            "the goroutineleak profile lists no goroutine: the runtime proved no leak, which says \
             nothing of goroutines blocked on a channel or lock that live code still references \
             (it cannot prove those stuck); the goroutine profile (debug=2) shows them"
                .to_string(),
        );
    }
    let stackless: u64 = d
        .goroutines
        .iter()
        .filter(|g| g.frames.iter().all(|f| d.str(f.file).is_empty()))
        .map(|g| g.count)
        .sum();
    (stackless > 0).then(|| {
        let (it, waits) = if stackless == 1 {
            ("it", "waits")
        } else {
            ("they", "wait")
        };
        format!(
            "the goroutineleak profile lists {} the runtime proved leaked with no stack: where \
             {it} {waits} is not known; the goroutine profile (debug=2) shows {}",
            gostuck_dump::human::count(stackless, "goroutine", "goroutines"),
            if stackless == 1 { "it" } else { "them" }
        )
    })
}

/// A `go test` timeout whose dump shows the tests that were running only as
/// the harness waiting for them (`t.Run`, `m.Run`): the running test's own
/// goroutine is not in the dump (pasted in part, or cut at the runtime's
/// limit). Says which test that was, rather than pointing at the harness.
fn missing_test_goroutine(d: &Dump) -> Option<String> {
    let running = d.running_tests.last()?;
    let test_goroutines = d.goroutines.iter().filter(|g| {
        g.frames
            .iter()
            .any(|f| d.str(f.function) == "testing.tRunner")
    });
    let mut any = false;
    for g in test_goroutines {
        any = true;
        let waits_for_subtest = g.frames.iter().any(|f| {
            matches!(
                d.str(f.function),
                "testing.(*T).Run" | "testing.(*T).Parallel" | "testing.tRunner.func1"
            )
        });
        if !waits_for_subtest {
            return None;
        }
    }
    Some(if any {
        format!("the test running when it timed out, {running}, has no goroutine of its own in this dump: only the testing harness waiting for it; the dump may be incomplete (pasted in part?)")
    } else {
        format!("the test running when it timed out, {running}, has no goroutine in this dump; the dump may be incomplete (pasted in part?)")
    })
}

/// `(deadlocked, stuck, leaks)`: a cycle or orphaned wait (any kind but a
/// leak or an unexplained wait), a `stuck-unexplained`, a `goroutine-leak`.
fn flags(findings: &[Finding]) -> (bool, bool, bool) {
    let deadlocked = findings
        .iter()
        .any(|f| f.kind != "goroutine-leak" && f.kind != "stuck-unexplained");
    let stuck = findings.iter().any(|f| f.kind == "stuck-unexplained");
    let leaks = findings.iter().any(|f| f.kind == "goroutine-leak");
    (deadlocked, stuck, leaks)
}

/// The verdict, derived from the findings (never set by a pass): the
/// runtime's own deadlock report first, then a deadlock, an unexplained
/// wait, a leak; healthy when goroutines were read and nothing was found.
pub(crate) fn verdict_from(findings: &[Finding], runtime_deadlock: bool, total: u64) -> Verdict {
    let (deadlocked, stuck, leaks) = flags(findings);
    if runtime_deadlock {
        Verdict::GlobalDeadlock
    } else if deadlocked {
        Verdict::PartialDeadlock
    } else if stuck {
        Verdict::Stuck
    } else if leaks {
        Verdict::GoroutineLeak
    } else if total > 0 {
        Verdict::Healthy
    } else {
        Verdict::Unknown
    }
}

/// Whether the report says something is stuck: a finding, or a verdict
/// other than healthy or unknown (exit status 1 of every command).
#[must_use]
pub fn is_stuck(report: &Report) -> bool {
    !report.findings.is_empty()
        || matches!(
            report.verdict,
            Verdict::GlobalDeadlock
                | Verdict::PartialDeadlock
                | Verdict::GoroutineLeak
                | Verdict::Stuck
        )
}

/// Writes the report's summary again from its verdict, counts, groups and
/// findings (after a pass outside [`analyze`] changed them).
pub(crate) fn resummarize(report: &mut Report) {
    report.summary = summarize(
        report.verdict,
        report.goroutines.total,
        report.goroutines.blocked,
        &report.groups,
        &report.findings,
    );
}

/// `1 goroutine`, `3 goroutines`.
pub(crate) fn summarize(
    verdict: Verdict,
    total: u64,
    blocked: u64,
    groups: &[GroupOut],
    findings: &[Finding],
) -> String {
    if let Some(f) = findings.first() {
        let more = match findings.len() {
            1 => String::new(),
            n => format!(
                " (+{} more finding{})",
                n - 1,
                if n == 2 { "" } else { "s" }
            ),
        };
        let lead = match verdict {
            Verdict::GlobalDeadlock => "Global deadlock: ",
            Verdict::PartialDeadlock => "Partial deadlock while the program runs: ",
            Verdict::GoroutineLeak => "Goroutine leak: ",
            Verdict::Stuck => "Stuck: ",
            _ => "",
        };
        let at = f
            .locations
            .iter()
            .find(|l| l.role == "blocked")
            .map(|l| format!(" at {}:{}", short_path(&l.file), l.line))
            .unwrap_or_default();
        return format!("{lead}{} [{}]{at}{more}.", f.title, f.kind);
    }
    // Profiles without headers (pprof debug=0/1) have no wait states to rank
    // groups by: there the top group is the largest.
    let worst = if groups.iter().all(|g| g.state_inferred) {
        groups
            .iter()
            .filter(|g| g.user_frame.is_some())
            .rev()
            .max_by_key(|g| g.count)
    } else {
        groups.first().filter(|g| g.user_frame.is_some())
    };
    let at = worst
        .and_then(|g| g.user_frame.map(|i| (g, &g.frames[i])))
        .map(|(g, f)| {
            format!(
                "; the top group is {} goroutine{} in `{}` at {}:{} ({})",
                g.count,
                if g.count == 1 { "" } else { "s" },
                f.function,
                short_path(&f.file),
                f.line,
                g.state
            )
        })
        .unwrap_or_default();
    match verdict {
        Verdict::GlobalDeadlock => format!(
            "The Go runtime reported a global deadlock: all goroutines are asleep ({blocked} of {total} blocked){at}."
        ),
        Verdict::Healthy => format!(
            "No deadlock or leak found: {}, {blocked} blocked, in {}{at}.",
            gostuck_dump::human::count(total, "goroutine", "goroutines"),
            gostuck_dump::human::count(groups.len() as u64, "group", "groups")
        ),
        _ => format!(
            "{}, {blocked} blocked, in {}{at}.",
            gostuck_dump::human::count(total, "goroutine", "goroutines"),
            gostuck_dump::human::count(groups.len() as u64, "group", "groups")
        ),
    }
}

/// The last two path elements, for one-line summaries.
#[must_use]
pub fn short_path(path: &str) -> &str {
    let mut cut = path.len();
    for _ in 0..2 {
        match path[..cut].rfind(['/', '\\']) {
            Some(i) => cut = i,
            None => return path,
        }
    }
    &path[cut + 1..]
}

fn group_out(d: &Dump, input: usize, grp: &gostuck_dump::Group, ids: &[u64]) -> GroupOut {
    let first = &d.goroutines[grp.members[0]];
    GroupOut {
        count: grp.count,
        state: d.str(grp.state).to_string(),
        minutes: grp.minutes.map(|(a, b)| [a, b]),
        goroutines: ids.to_vec(),
        frames: first
            .frames
            .iter()
            .map(|f| FrameOut {
                function: d.str(f.function).to_string(),
                file: d.str(f.file).to_string(),
                line: f.line,
                std: gostuck_dump::classify::is_std_frame(d.str(f.function), d.str(f.file)),
            })
            .collect(),
        created_by: first.created_by.map(|c| created_by_out(d, c)),
        input,
        user_frame: grp.top_user_frame,
        leaked: first.flags.leaked,
        state_inferred: first.state_inferred,
        labels: first
            .labels
            .iter()
            .map(|&(k, v)| [d.str(k).to_string(), d.str(v).to_string()])
            .collect(),
        creators: creators(d, grp),
        locked_to_thread: grp
            .members
            .iter()
            .map(|&i| &d.goroutines[i])
            .filter(|g| g.flags.locked_to_thread)
            .filter_map(|g| g.id)
            .collect(),
        elided: first.elided.map(|e| match e {
            gostuck_dump::Elided::Additional => ElidedOut {
                kind: "additional",
                frames: None,
            },
            gostuck_dump::Elided::Middle(n) => ElidedOut {
                kind: "middle",
                frames: Some(n),
            },
        }),
    }
}

fn created_by_out(d: &Dump, c: gostuck_dump::CreatedBy) -> CreatedByOut {
    CreatedByOut {
        function: d.str(c.function).to_string(),
        file: d.str(c.file).to_string(),
        line: c.line,
        goroutine: c.parent,
    }
}

/// Each creator of a group's members with the members it created, in order
/// of first appearance; empty when one creator made them all.
fn creators(d: &Dump, grp: &gostuck_dump::Group) -> Vec<CreatorOut> {
    let first = d.goroutines[grp.members[0]].created_by;
    if grp
        .members
        .iter()
        .all(|&i| d.goroutines[i].created_by == first)
    {
        return Vec::new();
    }
    let mut out: Vec<(Option<gostuck_dump::CreatedBy>, Vec<u64>)> = Vec::new();
    let mut index: FxHashMap<Option<gostuck_dump::CreatedBy>, usize> = FxHashMap::default();
    for &i in &grp.members {
        let g = &d.goroutines[i];
        let k = *index.entry(g.created_by).or_insert_with(|| {
            out.push((g.created_by, Vec::new()));
            out.len() - 1
        });
        out[k].1.extend(g.id);
    }
    out.into_iter()
        .filter_map(|(c, goroutines)| {
            Some(CreatorOut {
                created_by: created_by_out(d, c?),
                goroutines,
            })
        })
        .collect()
}

/// Whether a wait reason counts as blocked (re-exported for renderers).
#[must_use]
pub fn is_blocked_state(state: &str) -> bool {
    WaitReason::parse(state).is_blocked()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_path_keeps_the_last_two_elements() {
        assert_eq!(short_path("/home/u/proj/cmd/main.go"), "cmd/main.go");
        assert_eq!(short_path("main.go"), "main.go");
        assert_eq!(short_path("C:\\src\\app\\main.go"), "app\\main.go");
    }

    #[test]
    fn an_empty_leak_profile_says_what_it_does_not_prove() {
        let read = |way: &str| {
            let p = format!(
                "{}/../../testdata/captured/matrix/go1.27.3/ingest-producer-gone/{way}",
                env!("CARGO_MANIFEST_DIR")
            );
            let bytes = std::fs::read(p).unwrap();
            gostuck_dump::read_bytes(&bytes, &gostuck_dump::ReadOptions::default())
                .unwrap()
                .remove(0)
        };
        // The runtime could not prove the consumer leaked: `total 0`.
        let empty = read("goroutineleak-debug1.txt");
        assert!(leak_profile_note(&empty).is_some_and(|n| n.contains("debug=2")));
        // The goroutine profile of the same program is not a leak profile.
        assert!(leak_profile_note(&read("pprof-debug1.txt")).is_none());
    }

    #[test]
    fn a_leak_profile_with_nothing_found_is_no_verdict_of_health() {
        let p = format!(
            "{}/../../testdata/captured/matrix/go1.27.3/broker-stuck-subscriber/goroutineleak-debug1.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(p).unwrap();
        let d = gostuck_dump::read_bytes(&bytes, &gostuck_dump::ReadOptions::default())
            .unwrap()
            .remove(0);
        // Its one record (main in `select {}`) came with no stack.
        let note = leak_profile_note(&d).unwrap();

        assert!(
            note.contains("1 goroutine the runtime proved leaked with no stack"),
            "{note}"
        );
        let input = Input {
            path: "leak.txt".into(),
            dump: d,
        };
        let r = analyze(&[input], &Options::default(), &mut crate::facts::NoSources);
        assert!(r.findings.is_empty());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(r.inputs[0].notes.contains(&note));
    }
}

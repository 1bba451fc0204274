//! Successive goroutine dumps of one live process (`gostuck watch`): which
//! goroutines made no progress between samples, and which groups grow without
//! bound — the partial deadlocks and leaks the runtime never reports. I/O-free:
//! the caller fetches the samples.
//!
//! A goroutine made no progress when it has the same ID and the same stack
//! (every frame's function and line) and is blocked in every sample. A group
//! (goroutines with one stack) grows when its size never shrinks and ends
//! larger by at least [`MIN_GROWTH`].

use gostuck_dump::{classify, Dump, Goroutine, WaitReason};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::kinds::{kind_doc, Kind, Role};
use crate::{
    Confidence, CreatedByOut, Finding, FrameOut, Input, Location, Options, Report, Resource,
    Snippet, Sources, Verdict,
};

/// A group must gain at least this many goroutines across the samples to count as growing.
pub const MIN_GROWTH: u64 = 3;

/// A stack, comparable across dumps (their interners differ).
type Key = (Vec<(String, String, u32)>, Option<(String, String, u32)>);

fn key(d: &Dump, g: &Goroutine) -> Key {
    (
        g.frames
            .iter()
            .map(|f| {
                (
                    d.str(f.function).to_string(),
                    d.str(f.file).to_string(),
                    f.line,
                )
            })
            .collect(),
        g.created_by.map(|c| {
            (
                d.str(c.function).to_string(),
                d.str(c.file).to_string(),
                c.line,
            )
        }),
    )
}

/// A goroutine blocked at the same place in every sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Unchanged {
    /// Its ID.
    pub id: u64,
    /// Its state in the last sample (`chan send`, `sync.Mutex.Lock`…).
    pub state: String,
    /// Wait minutes in the first and the last sample, when printed.
    pub minutes: (Option<u32>, Option<u32>),
    /// The first user frame (or the top frame).
    pub at: FrameOut,
    /// Lock, WaitGroup, Cond, nil channel or empty select: waits that a healthy
    /// program does not keep for the whole watch.
    pub lockish: bool,
}

/// A group whose size grew across the samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Growing {
    /// Group size in each sample (0 when absent).
    pub counts: Vec<u64>,
    /// State of the group in the last sample.
    pub state: String,
    /// The shared stack (last sample), innermost first.
    pub frames: Vec<FrameOut>,
    /// Index of the first user frame in `frames`.
    pub user_frame: Option<usize>,
    /// Who started the goroutines.
    pub created_by: Option<CreatedByOut>,
    /// IDs in the last sample (empty for profiles without IDs).
    pub goroutines: Vec<u64>,
}

/// What changed, and what did not, between the samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// Number of samples compared.
    pub samples: usize,
    /// Total goroutines in each sample.
    pub totals: Vec<u64>,
    /// Goroutines that made no progress, by ID.
    pub unchanged: Vec<Unchanged>,
    /// Groups that grew, largest growth first.
    pub growing: Vec<Growing>,
}

fn frame_out(d: &Dump, f: &gostuck_dump::Frame) -> FrameOut {
    let (function, file) = (d.str(f.function), d.str(f.file));
    FrameOut {
        function: function.to_string(),
        file: file.to_string(),
        line: f.line,
        std: classify::is_std_frame(function, file),
    }
}

fn user_frame(frames: &[FrameOut]) -> Option<usize> {
    frames.iter().position(|f| !f.std)
}

/// Compares the samples, oldest first.
pub fn diff(samples: &[Dump]) -> Diff {
    let mut out = Diff {
        samples: samples.len(),
        totals: samples.iter().map(Dump::total_goroutines).collect(),
        ..Diff::default()
    };
    let Some(last) = samples.last() else {
        return out;
    };
    if samples.len() < 2 {
        return out;
    }

    // No progress: same ID, same stack, blocked, in every sample.
    let mut by_id: Vec<FxHashMap<u64, (&Goroutine, Key)>> = Vec::new();
    for d in samples {
        by_id.push(
            d.goroutines
                .iter()
                .filter_map(|g| g.id.map(|id| (id, (g, key(d, g)))))
                .collect(),
        );
    }
    for g in &last.goroutines {
        let Some(id) = g.id else { continue };
        if !g.wait_reason.is_blocked() {
            continue;
        }
        let k = key(last, g);
        let same_everywhere = by_id.iter().all(|m| {
            m.get(&id)
                .is_some_and(|(h, hk)| *hk == k && h.wait_reason == g.wait_reason)
        });
        if !same_everywhere {
            continue;
        }
        let frames: Vec<FrameOut> = g.frames.iter().map(|f| frame_out(last, f)).collect();
        let Some(at) = user_frame(&frames).or((!frames.is_empty()).then_some(0)) else {
            continue;
        };
        let lockish = g.wait_reason.is_lock_like();
        out.unchanged.push(Unchanged {
            id,
            state: last.str(g.state).to_string(),
            minutes: (by_id[0][&id].0.wait_minutes, g.wait_minutes),
            at: frames[at].clone(),
            lockish,
        });
    }

    // Growth: group sizes by stack in every sample.
    let mut sizes: FxHashMap<Key, Vec<u64>> = FxHashMap::default();
    for (i, d) in samples.iter().enumerate() {
        for g in &d.goroutines {
            let v = sizes
                .entry(key(d, g))
                .or_insert_with(|| vec![0; samples.len()]);
            v[i] += g.count;
        }
    }
    let mut seen: FxHashSet<Key> = FxHashSet::default();
    for g in &last.goroutines {
        let k = key(last, g);
        if seen.contains(&k) {
            continue;
        }
        let counts = &sizes[&k];
        let grows = counts.windows(2).all(|w| w[1] >= w[0])
            && counts[counts.len() - 1] >= counts[0] + MIN_GROWTH;
        let parked = g.wait_reason.is_blocked() || g.wait_reason == WaitReason::IoWait;
        if !grows || !parked {
            seen.insert(k);
            continue;
        }
        let frames: Vec<FrameOut> = g.frames.iter().map(|f| frame_out(last, f)).collect();
        let uf = user_frame(&frames);
        // Connections of a busier server park in IO wait inside the standard
        // library only; that is load, not a leak.
        if uf.is_none() && g.wait_reason == WaitReason::IoWait {
            seen.insert(k);
            continue;
        }
        let ids: Vec<u64> = last
            .goroutines
            .iter()
            .filter(|h| key(last, h) == k)
            .filter_map(|h| h.id)
            .collect();
        out.growing.push(Growing {
            counts: counts.clone(),
            state: last.str(g.state).to_string(),
            user_frame: uf,
            frames,
            created_by: g.created_by.map(|c| CreatedByOut {
                function: last.str(c.function).to_string(),
                file: last.str(c.file).to_string(),
                line: c.line,
                goroutine: c.parent,
            }),
            goroutines: ids,
        });
        seen.insert(k);
    }
    out.growing.sort_by(|a, b| {
        let ga = a.counts[a.counts.len() - 1] - a.counts[0];
        let gb = b.counts[b.counts.len() - 1] - b.counts[0];
        gb.cmp(&ga)
    });
    out
}

fn resource_kind(state: &str) -> &'static str {
    use WaitReason::*;
    match WaitReason::parse(state) {
        ChanReceive | ChanSend | ChanReceiveNilChan | ChanSendNilChan => "channel",
        Select | SelectNoCases => "select",
        SyncMutexLock => "mutex",
        SyncRWMutexLock | SyncRWMutexRLock => "rwmutex",
        SyncWaitGroupWait => "waitgroup",
        SyncCondWait => "cond",
        _ => "other",
    }
}

fn short(path: &str) -> &str {
    crate::short_path(path)
}

fn counts_text(c: &[u64]) -> String {
    c.iter().map(u64::to_string).collect::<Vec<_>>().join(" → ")
}

/// Findings from the diff, in the v1 vocabulary, given the report of the last
/// sample (whose findings are annotated instead of repeated).
pub fn apply(report: &mut Report, diff: &Diff, span: &str, src: &mut dyn Sources) {
    let n = diff.samples;
    let unchanged: FxHashSet<u64> = diff.unchanged.iter().map(|u| u.id).collect();
    // 1. Engine findings whose goroutines all stood still are confirmed.
    for f in &mut report.findings {
        if !f.goroutines.is_empty() && f.goroutines.iter().all(|g| unchanged.contains(g)) {
            f.explanation.push_str(&format!(
                " Across {n} samples over {span} {} did not move (same IDs, same stacks).",
                if f.goroutines.len() == 1 {
                    "this goroutine"
                } else {
                    "these goroutines"
                }
            ));
        }
    }
    let mut added = Vec::new();
    let mut reclassified = false;
    // 2. Growing groups: a leak, or more evidence for one the engine found.
    for gr in &diff.growing {
        let at = gr.user_frame.map_or(&gr.frames[0], |i| &gr.frames[i]);
        let grew = format!(
            "The group of goroutines in `{}` at `{}` ({}:{}) grew across {n} samples over {span}: {}.",
            gr.state,
            at.function,
            short(&at.file),
            at.line,
            counts_text(&gr.counts)
        );
        let existing = report.findings.iter_mut().find(|f| {
            f.locations.iter().any(|l| {
                l.role == Role::Blocked.as_str() && l.function == at.function && l.line == at.line
            })
        });
        if let Some(f) = existing {
            f.explanation.push(' ');
            f.explanation.push_str(&grew);
            // Goroutines orphaned on a channel that keep piling up at one
            // site are a leak (as a group of `LEAK_MIN` is in one dump): the
            // finding keeps its cause and says so.
            let orphaned_group = [Kind::ChannelNoPartner, Kind::ChannelNeverClosed]
                .iter()
                .any(|k| f.kind == k.as_str())
                && !f.goroutines.is_empty()
                && f.goroutines.iter().all(|g| gr.goroutines.contains(g));
            if orphaned_group {
                f.kind = Kind::GoroutineLeak.as_str();
                f.title = growing_title(f.count, at);
                f.fix = kind_doc(Kind::GoroutineLeak.as_str())
                    .map_or_else(String::new, |k| k.fix.to_string());
                reclassified = true;
            }
            if f.kind == Kind::GoroutineLeak.as_str() && f.confidence > Confidence::Likely {
                f.confidence = Confidence::Likely;
            }
            continue;
        }
        let mut f = growing_leak(gr, at, grew, n);
        snippets(&mut f, src);
        added.push(f);
    }
    // 3. Goroutines stuck on a lock-like wait for the whole watch, or whose wait
    //    minutes grew, that no finding explains yet.
    let explained: FxHashSet<u64> = report
        .findings
        .iter()
        .chain(&added)
        .flat_map(|f| f.goroutines.iter().copied())
        .collect();
    let mut by_site: Vec<(&Unchanged, Vec<u64>)> = Vec::new();
    for u in &diff.unchanged {
        let minutes_grew = matches!(u.minutes, (Some(a), Some(b)) if b > a)
            || matches!(u.minutes, (None, Some(_)));
        if explained.contains(&u.id) || !(u.lockish || minutes_grew) || u.at.std {
            continue;
        }
        match by_site
            .iter_mut()
            .find(|(s, _)| s.at == u.at && s.state == u.state)
        {
            Some((_, ids)) => ids.push(u.id),
            None => by_site.push((u, vec![u.id])),
        }
    }
    for (u, ids) in by_site {
        let mut f = stuck_unexplained(u, ids, n, span);
        snippets(&mut f, src);
        added.push(f);
    }
    let leaks = added.iter().any(|f| f.kind == Kind::GoroutineLeak.as_str());
    let stuck = added.iter().any(|f| f.kind != Kind::GoroutineLeak.as_str());
    report.findings.extend(added);
    for (k, f) in report.findings.iter_mut().enumerate() {
        f.id = format!("F{}", k + 1);
    }
    if reclassified && report.verdict != Verdict::GlobalDeadlock {
        report.verdict = crate::verdict_from(&report.findings, false, report.goroutines.total);
    }
    if matches!(report.verdict, Verdict::Healthy | Verdict::Unknown) {
        if leaks {
            report.verdict = Verdict::GoroutineLeak;
        } else if stuck {
            report.verdict = Verdict::Stuck;
        }
    }
    crate::resummarize(report);
    if let Some(first) = report.inputs.first_mut() {
        first.notes.push(format!(
            "watch: {n} samples over {span}; goroutines per sample: {}; {} goroutine{} made no progress",
            counts_text(&diff.totals),
            diff.unchanged.len(),
            if diff.unchanged.len() == 1 { "" } else { "s" }
        ));
    }
}

/// The title of a leak whose group keeps growing.
fn growing_title(count: u64, at: &FrameOut) -> String {
    format!(
        "{count} goroutines parked at {} ({}:{}), and the group keeps growing",
        at.function,
        short(&at.file),
        at.line
    )
}

/// A new `goroutine-leak` finding for the growing group `gr` blocked at
/// `at` (`grew`: how it grew over `n` samples).
fn growing_leak(gr: &Growing, at: &FrameOut, grew: String, n: usize) -> Finding {
    let steady = gr.counts.windows(2).all(|w| w[1] > w[0]) && n >= 3;
    let last = gr.counts[gr.counts.len() - 1];
    let mut locations = vec![Location {
        goroutine: None,
        function: at.function.clone(),
        file: at.file.clone(),
        line: at.line,
        role: Role::Blocked.as_str(),
    }];
    let mut made_by = String::new();
    if let Some(c) = &gr.created_by {
        locations.push(Location {
            goroutine: None,
            function: c.function.clone(),
            file: c.file.clone(),
            line: c.line,
            role: Role::Created.as_str(),
        });
        made_by = format!(
            " Each was started by `{}` ({}:{}) and none of them finished.",
            c.function,
            short(&c.file),
            c.line
        );
    }
    Finding {
        id: String::new(),
        kind: Kind::GoroutineLeak.as_str(),
        confidence: if steady {
            Confidence::Likely
        } else {
            Confidence::Possible
        },
        title: growing_title(last, at),
        explanation: format!(
            "{grew}{made_by} Goroutines that pile up at one site while the program runs are a leak the runtime never reports."
        ),
        fix: kind_doc(Kind::GoroutineLeak.as_str()).map_or_else(String::new, |k| k.fix.to_string()),
        goroutines: gr.goroutines.clone(),
        count: last,
        resources: vec![Resource {
            kind: resource_kind(&gr.state),
            name: None,
            address: None,
        }],
        locations,
        snippets: Vec::new(),
        edges: Vec::new(),
    }
}

/// A `stuck-unexplained` finding for the goroutines `ids` that stood still
/// at `u`'s site for all `n` samples over `span`.
fn stuck_unexplained(u: &Unchanged, ids: Vec<u64>, n: usize, span: &str) -> Finding {
    let who = if ids.len() == 1 {
        format!("goroutine {}", ids[0])
    } else {
        let v: Vec<String> = ids.iter().map(u64::to_string).collect();
        format!("goroutines {}", v.join(", "))
    };
    let mins = match u.minutes {
        (a, Some(b)) => format!(
            ", its wait growing from {} to {b} minutes",
            a.map_or("under 1".to_string(), |a| a.to_string())
        ),
        _ => String::new(),
    };
    Finding {
        id: String::new(),
        kind: Kind::StuckUnexplained.as_str(),
        confidence: Confidence::Possible,
        title: format!(
            "{who} made no progress in `{}` across {n} samples",
            u.state
        ),
        explanation: format!(
            "{who} stayed blocked in `{}` at `{}` ({}:{}) with the same stack in all {n} samples over {span}{mins}. No finding explains it from the stacks: look for who should release or complete it (pass --source for more).",
            u.state,
            u.at.function,
            short(&u.at.file),
            u.at.line
        ),
        fix: kind_doc(Kind::StuckUnexplained.as_str()).map_or_else(String::new, |k| k.fix.to_string()),
        count: ids.len() as u64,
        goroutines: ids,
        resources: vec![Resource {
            kind: resource_kind(&u.state),
            name: None,
            address: None,
        }],
        locations: vec![Location {
            goroutine: None,
            function: u.at.function.clone(),
            file: u.at.file.clone(),
            line: u.at.line,
            role: Role::Blocked.as_str(),
        }],
        snippets: Vec::new(),
        edges: Vec::new(),
    }
}

fn snippets(f: &mut Finding, src: &mut dyn Sources) {
    for l in &f.locations {
        if let Some(sf) = src.file(&l.file) {
            let lines: Vec<(u32, String)> = sf
                .snippet(l.line.saturating_sub(1), l.line + 1)
                .into_iter()
                .map(|(n, t)| (n, t.to_string()))
                .collect();
            if !lines.is_empty() {
                f.snippets.push(Snippet {
                    file: l.file.clone(),
                    line: l.line,
                    role: l.role,
                    lines,
                });
            }
        }
    }
}

/// Analyses the last sample with [`crate::analyze`] and adds what the samples
/// show together. `label` names the last sample in the report; `span` is the
/// time the samples cover, in words (`20s`).
pub fn analyze(
    samples: &[Dump],
    label: &str,
    span: &str,
    opts: &Options,
    src: &mut dyn Sources,
) -> Report {
    let inputs: Vec<Input> = samples
        .last()
        .map(|d| Input {
            path: label.to_string(),
            dump: d.clone(),
        })
        .into_iter()
        .collect();
    let mut report = crate::analyze(&inputs, opts, src);
    let d = diff(samples);
    apply(&mut report, &d, span, src);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(text: &str) -> Dump {
        gostuck_dump::read_bytes(text.as_bytes(), &Default::default())
            .unwrap()
            .pop()
            .unwrap()
    }

    fn sample(leaks: u64, minutes: &str) -> Dump {
        let mut t = format!(
            "goroutine 1 [IO wait]:\nnet.accept()\n\t/go/src/net/fd.go:1 +0x1\nmain.main()\n\t/app/main.go:50 +0x1\n\n\
             goroutine 7 [sync.Mutex.Lock{minutes}]:\nsync.(*Mutex).Lock(...)\n\t/go/src/sync/mutex.go:90\nmain.move()\n\t/app/main.go:20 +0x1\ncreated by main.main in goroutine 1\n\t/app/main.go:40 +0x1\n\n\
             goroutine 8 [chan receive]:\nmain.worker()\n\t/app/main.go:30 +0x1\ncreated by main.main in goroutine 1\n\t/app/main.go:41 +0x1\n\n"
        );
        for i in 0..leaks {
            t.push_str(&format!(
                "goroutine {} [chan send]:\nmain.lookup()\n\t/app/main.go:60 +0x1\ncreated by main.handle in goroutine 1\n\t/app/main.go:70 +0x1\n\n",
                100 + i
            ));
        }
        dump(&t)
    }

    #[test]
    fn growing_groups_and_still_goroutines_are_found() {
        let samples = [sample(2, ""), sample(5, ""), sample(9, ", 1 minutes")];
        let d = diff(&samples);
        assert_eq!(d.totals, [5, 8, 12]);
        assert_eq!(d.growing.len(), 1);
        assert_eq!(d.growing[0].counts, [2, 5, 9]);
        assert_eq!(d.growing[0].frames[0].function, "main.lookup");
        assert_eq!(d.growing[0].goroutines.len(), 9);
        // Goroutine 7 changed its state text (minutes) but not its reason or stack.
        let ids: Vec<u64> = d.unchanged.iter().map(|u| u.id).collect();
        assert_eq!(ids, [7, 8, 100, 101]);
        assert!(d.unchanged[0].lockish && !d.unchanged[1].lockish);
        assert_eq!(d.unchanged[0].minutes, (None, Some(1)));

        let mut r = analyze(
            &samples,
            "last",
            "20s",
            &Options::default(),
            &mut crate::NoSources,
        );
        let kinds: Vec<&str> = r.findings.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&"goroutine-leak"), "{kinds:?}");
        let stuck = r
            .findings
            .iter()
            .find(|f| f.kind == "stuck-unexplained")
            .unwrap();
        assert_eq!(stuck.goroutines, [7]);
        assert_ne!(r.verdict, Verdict::Healthy);
        assert!(r.inputs[0].notes.last().unwrap().contains("5 → 8 → 12"));
        // A steady program: nothing.
        let calm = [sample(2, ""), sample(2, ""), sample(2, "")];
        let d = diff(&calm);
        assert!(d.growing.is_empty());
        r = analyze(
            &calm,
            "last",
            "20s",
            &Options::default(),
            &mut crate::NoSources,
        );
        assert!(
            r.findings.iter().all(|f| f.kind != "goroutine-leak"),
            "{:?}",
            r.findings
        );
    }
}

//! Invariants shared by the fuzz targets. Every check panics (so libFuzzer
//! reports a crash) when a reader or the grouper produced something that is
//! inconsistent, not merely when it crashed by itself.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use gostuck_dump::{
    group, infer_state, Dump, Format, FrameKind, GroupOptions, Rank, Sym, WaitReason,
};

/// Splits like the library does for in-memory input: on `\n`, with no empty
/// last line after a final newline.
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.split(|&c| c == b'\n').collect();
    if out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// `a + b + …` the way a report must show it: never wrapping, never panicking.
fn saturating_sum(it: impl IntoIterator<Item = u64>) -> u64 {
    it.into_iter().fold(0u64, u64::saturating_add)
}

/// Resolves a symbol, checking that it belongs to this dump's interner and that
/// the interner stores each string once.
fn sym(d: &Dump, s: Sym) -> &str {
    assert!(s.index() < d.strings.len(), "symbol {} outside an interner of {}", s.index(), d.strings.len());
    let text = d.str(s);
    assert_eq!(d.strings.get(text), Some(s), "string {text:?} interned twice");
    text
}

/// Checks one dump. `nlines` is the number of lines fed for text formats.
pub fn check_dump(d: &Dump, nlines: u64) {
    assert_eq!(d.str(Sym::EMPTY), "");
    let text = matches!(d.format, Format::Traceback | Format::PprofDebug1);
    if text {
        assert!(d.first_line >= 1 && d.first_line <= nlines.max(1), "first_line {} of {nlines}", d.first_line);
    } else {
        assert_eq!(d.first_line, 0);
    }
    for w in &d.warnings {
        assert!(!w.message.is_empty());
        if text {
            assert!(!w.is_byte_offset);
            assert!(w.position <= nlines, "warning at line {} of {nlines}: {}", w.position, w.message);
        }
        let _ = w.to_string();
    }
    if let Some(v) = &d.go_version {
        let rest = v.strip_prefix("go1.").expect("go_version starts with go1.");
        assert!(
            !rest.is_empty() && rest.split('.').all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit())),
            "odd go_version {v:?}"
        );
    }

    let mut ids = HashSet::new();
    let mut prev_line = 0;
    for g in &d.goroutines {
        match d.format {
            Format::Traceback => {
                let id = g.id.expect("traceback goroutines have IDs");
                assert!(ids.insert(id), "goroutine {id} twice in one dump");
                assert_eq!(g.count, 1);
                assert!(g.line >= d.first_line && g.line <= nlines, "goroutine at line {} of {nlines}", g.line);
                assert!(g.line > prev_line, "goroutines out of input order");
                prev_line = g.line;
            }
            Format::PprofDebug1 => {
                assert!(g.id.is_none());
                assert!(g.line > d.first_line && g.line <= nlines, "record at line {} of {nlines}", g.line);
                assert!(g.line > prev_line, "records out of input order");
                prev_line = g.line;
            }
            _ => {
                assert!(g.id.is_none());
                assert_eq!(g.line, 0);
            }
        }
        if d.format != Format::Traceback {
            assert!(g.wait_minutes.is_none() && g.bubble.is_none() && g.ancestors.is_empty() && g.created_by.is_none());
            assert_ne!(g.state, Sym::EMPTY, "profile records always get a state");
            assert_eq!(g.flags.leaked, d.profile_name.as_deref() == Some("goroutineleak"));
        }

        let state = sym(d, g.state);
        if g.state_inferred {
            assert!(!state.is_empty(), "an inferred state is never empty");
        }
        // The parsed reason follows the state text, except where the frames
        // refined an ambiguous one (`semacquire` before Go 1.20).
        let refined = matches!(state, "semacquire" | "waiting")
            .then(|| infer_state(g.frames.iter().map(|f| d.str(f.function))))
            .flatten();
        let want = WaitReason::parse(refined.unwrap_or(state));
        assert_eq!(g.wait_reason, want, "state {state:?} parsed as {:?}", g.wait_reason);

        for (k, v) in &g.labels {
            sym(d, *k);
            sym(d, *v);
        }
        let frames = g.frames.iter().chain(g.ancestors.iter().flat_map(|a| &a.frames));
        for f in frames {
            let function = sym(d, f.function);
            let args = sym(d, f.args);
            sym(d, f.file);
            if d.format == Format::Traceback && f.kind == FrameKind::Inlined {
                assert_eq!(args, "...");
            }
            // The traceback grammar cannot yield a nameless frame; profiles can
            // (`#\t0x1\t+0x5` in debug=1, a missing function in a proto).
            if d.format == Format::Traceback {
                assert!(!function.is_empty(), "empty function name");
            }
        }
        let created = g.created_by.iter().chain(g.ancestors.iter().filter_map(|a| a.created_by.as_ref()));
        for c in created {
            sym(d, c.function);
            sym(d, c.file);
        }
    }

    let total = saturating_sum(d.goroutines.iter().map(|g| g.count));
    assert_eq!(d.total_goroutines(), total);
    match d.format {
        Format::PprofProto => assert_eq!(d.profile_total, Some(total), "proto total is the sum of its samples"),
        Format::PprofDebug1 => {
            let want = d.profile_total.expect("debug=1 profiles state their total");
            assert!(d.profile_name.is_some());
            if want != total {
                assert!(
                    d.warnings.iter().any(|w| w.message.contains("add up")),
                    "total {want} != {total} without a warning"
                );
            }
        }
        _ => {
            assert!(
                !d.goroutines.is_empty() || d.fatal_error.is_some() || !d.panics.is_empty(),
                "an empty traceback dump was returned"
            );
        }
    }
    let _ = d.runtime_reported_deadlock();
    check_groups(d);
}

/// State, leak flag and (function, file, line, args) of every frame.
type Key = (Sym, bool, Vec<(Sym, Sym, u32, Sym)>);

/// The grouping key the grouper is documented to use.
fn key(d: &Dump, i: usize, exact: bool) -> Key {
    let g = &d.goroutines[i];
    let frames = g
        .frames
        .iter()
        .map(|f| (f.function, f.file, f.line, if exact { f.args } else { Sym::EMPTY }))
        .collect();
    (g.state, g.flags.leaked, frames)
}

/// Groups with and without `exact` and checks the partition.
pub fn check_groups(d: &Dump) {
    let n = d.goroutines.len();
    let total = d.total_goroutines();
    let mut owner_loose = vec![usize::MAX; n];
    for exact in [false, true] {
        let groups = group(d, GroupOptions { exact });
        let mut owner = vec![usize::MAX; n];
        let mut keys = HashSet::new();
        let mut sum = 0u64;
        for (gi, grp) in groups.iter().enumerate() {
            assert!(!grp.members.is_empty(), "empty group");
            assert!(grp.members.windows(2).all(|w| w[0] < w[1]), "members out of input order");
            let k0 = key(d, grp.members[0], exact);
            assert!(keys.insert(k0.clone()), "two groups with the same stack");
            for &m in &grp.members {
                assert!(m < n, "member {m} of {n}");
                assert_eq!(owner[m], usize::MAX, "goroutine {m} in two groups");
                owner[m] = gi;
                assert_eq!(key(d, m, exact), k0, "members of a group differ");
                assert_eq!(d.goroutines[m].state, grp.state);
            }
            let count = saturating_sum(grp.members.iter().map(|&m| d.goroutines[m].count));
            assert_eq!(grp.count, count, "group count is the sum of its members");
            sum = sum.saturating_add(grp.count);

            let mins: Vec<Option<u32>> = grp.members.iter().map(|&m| d.goroutines[m].wait_minutes).collect();
            let hi = mins.iter().flatten().max().copied();
            let want = hi.map(|hi| {
                let lo = if mins.iter().any(Option::is_none) { 0 } else { *mins.iter().flatten().min().unwrap() };
                (lo, hi)
            });
            assert_eq!(grp.minutes, want, "minutes range");
            if let Some((lo, hi)) = grp.minutes {
                assert!(lo <= hi);
            }

            let rep = &d.goroutines[grp.members[0]];
            let top = gostuck_dump::group::top_user_frame(d, rep);
            assert_eq!(grp.top_user_frame, top);
            if let Some(t) = top {
                assert!(t < rep.frames.len());
            } else {
                assert_eq!(grp.rank, Rank::Runtime);
            }
            if !exact {
                for &m in &grp.members {
                    owner_loose[m] = gi;
                }
            }
        }
        assert!(owner.iter().all(|&o| o != usize::MAX), "a goroutine in no group");
        assert_eq!(sum, total, "group counts add up to the goroutine total");
        assert!(
            groups.windows(2).all(|w| (w[0].rank, std::cmp::Reverse(w[0].count)) <= (w[1].rank, std::cmp::Reverse(w[1].count))),
            "groups not sorted by rank then count"
        );
        if exact {
            // Exact groups refine the loose ones.
            for grp in &groups {
                let o = owner_loose[grp.members[0]];
                assert!(grp.members.iter().all(|&m| owner_loose[m] == o), "exact group spans loose groups");
            }
        }
    }
}

/// Everything a dump says, with symbols resolved, for comparing two reads of
/// the same input. `args` controls whether frame arguments are included.
pub fn describe(d: &Dump, args: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:?} go={:?} fatal={:?} panics={:?} signal={:?} tests={:?} total={:?} name={:?} first={} warnings={:?}",
        d.format, d.go_version, d.fatal_error, d.panics, d.signal, d.running_tests, d.profile_total, d.profile_name,
        d.first_line, d.warnings
    );
    let frame = |s: &mut String, f: &gostuck_dump::Frame| {
        let a = if args || f.kind == FrameKind::Inlined { d.str(f.args) } else { "" };
        let _ = writeln!(s, "  {}({a}) {}:{} {:?}", d.str(f.function), d.str(f.file), f.line, f.kind);
    };
    for g in &d.goroutines {
        let labels: Vec<_> = g.labels.iter().map(|(k, v)| (d.str(*k), d.str(*v))).collect();
        let _ = writeln!(
            s,
            "g {:?} x{} [{}] {:?} inferred={} min={:?} {:?} bubble={:?} {labels:?} elided={:?} line={}",
            g.id, g.count, d.str(g.state), g.wait_reason, g.state_inferred, g.wait_minutes, g.flags, g.bubble,
            g.elided, g.line
        );
        for f in &g.frames {
            frame(&mut s, f);
        }
        if let Some(c) = &g.created_by {
            let _ = writeln!(s, "  created by {} {}:{} {:?}", d.str(c.function), d.str(c.file), c.line, c.parent);
        }
        for a in &g.ancestors {
            let _ = writeln!(s, " ancestor {}", a.id);
            for f in &a.frames {
                frame(&mut s, f);
            }
            if let Some(c) = &a.created_by {
                let _ = writeln!(s, "  created by {} {}:{} {:?}", d.str(c.function), d.str(c.file), c.line, c.parent);
            }
        }
    }
    s
}

/// Group structure as member lists (symbol-free, so comparable across interners).
pub fn group_shape(d: &Dump, exact: bool) -> Vec<Vec<usize>> {
    group(d, GroupOptions { exact }).into_iter().map(|g| g.members).collect()
}

/// Checks every dump of a text reader and that dumps follow each other.
pub fn check_dumps(dumps: &[Dump], nlines: u64) {
    // Dumps of one text come in its order. `go test -json` output is decoded
    // per package (and its non-event lines apart), each text numbered from
    // line 1; the dump's first note says which text it was read from.
    let mut prev: HashMap<&str, u64> = HashMap::new();
    let mut formats = HashMap::new();
    for d in dumps {
        check_dump(d, nlines);
        let source = d
            .notes
            .first()
            .map(String::as_str)
            .filter(|n| n.starts_with("read from "))
            .unwrap_or("");
        let p = prev.entry(source).or_insert(0);
        assert!(d.first_line >= *p, "dumps out of input order");
        *p = d.first_line;
        *formats.entry(d.format).or_insert(0) += 1;
    }
    assert!(formats.len() <= 1, "one reader produced several formats");
}

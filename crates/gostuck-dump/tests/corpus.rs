//! Every dump captured from a real Go toolchain (testdata/captured/<go>/) must
//! parse, with the goroutine count its producer reported independently
//! (runtime.NumGoroutine written by the program, or pprof's `total N`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gostuck_dump::{classify::is_std_frame, read_bytes, Dump, ReadOptions};

fn captured() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                // Execution traces (with their expected decodings) and scheduler traces are not dumps.
                if p.file_name().is_some_and(|n| n != "traces" && n != "sched") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "txt")
                || p.to_string_lossy().ends_with(".pb.gz")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn meta(p: &Path) -> BTreeMap<String, String> {
    let s = p.to_string_lossy();
    let m = s
        .strip_suffix(".pb.gz")
        .or_else(|| s.strip_suffix(".txt"))
        .unwrap()
        .to_string()
        + ".meta";
    std::fs::read_to_string(m)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Goroutines `runtime.NumGoroutine` counts: not goroutine 0 and not the
/// runtime's own workers (whose outermost frame is a runtime function other
/// than runtime.main).
fn user_goroutines(d: &Dump) -> u64 {
    d.goroutines
        .iter()
        .filter(|g| g.id != Some(0))
        .filter(|g| {
            match g
                .frames
                .iter()
                .rev()
                .find(|f| d.str(f.function) != "runtime.goexit")
            {
                Some(f) => {
                    let name = d.str(f.function);
                    !(name.starts_with("runtime.") && name != "runtime.main")
                        || g.frames
                            .iter()
                            .any(|f| !is_std_frame(d.str(f.function), d.str(f.file)))
                }
                None => true,
            }
        })
        .map(|g| g.count)
        .sum()
}

#[test]
fn every_captured_dump_parses_with_the_goroutine_count_its_producer_reported() {
    let files = captured();
    assert!(
        files.len() >= 40,
        "expected the captured corpus, found {} files",
        files.len()
    );
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let dumps = match read_bytes(&bytes, &ReadOptions::default()) {
            Ok(d) => d,
            Err(e) => {
                // Runtime test programs that crash before printing any goroutine are fine.
                if !f.to_string_lossy().contains("/testprog/") {
                    failures.push(format!("{}: {e}", f.display()));
                }
                continue;
            }
        };
        let m = meta(f);
        let Some(want) = m.get("goroutines").and_then(|v| v.parse::<u64>().ok()) else {
            continue;
        };
        let d = dumps.last().unwrap();
        let got = if d.profile_total.is_some() {
            d.total_goroutines()
        } else {
            user_goroutines(d)
        };
        // SIGQUIT arrives a moment after the count was taken; goroutines can
        // only have been added in between, never lost, in these programs.
        let ok = if m.get("command").is_some_and(|c| c.contains("kill -QUIT")) {
            got >= want
        } else {
            got == want
        };
        if !ok {
            failures.push(format!(
                "{}: parsed {got} goroutines, producer reported {want}",
                f.display()
            ));
        }
        for g in &d.goroutines {
            // pprof hides runtime.goexit, so a goroutine that has not started yet
            // has an empty record in profiles; tracebacks always print a frame.
            if g.frames.is_empty() && !g.flags.stack_unavailable && g.id.is_some() {
                failures.push(format!(
                    "{}: goroutine {:?} (line {}) has no frames",
                    f.display(),
                    g.id,
                    g.line
                ));
            }
            if d.str(g.state).is_empty() {
                failures.push(format!(
                    "{}: goroutine {:?} has no state",
                    f.display(),
                    g.id
                ));
            }
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 30, "only {checked} files had a count to check");
}

/// The stacks of a goroutine as (function, line) of its user frames; the
/// formats disagree about runtime frames (debug=1 hides the leading ones).
fn user_stacks(d: &Dump) -> BTreeMap<Vec<(String, u32)>, u64> {
    let mut m = BTreeMap::new();
    for g in &d.goroutines {
        let key: Vec<(String, u32)> = g
            .frames
            .iter()
            .filter(|f| !is_std_frame(d.str(f.function), d.str(f.file)))
            .map(|f| (d.str(f.function).to_string(), f.line))
            .collect();
        *m.entry(key).or_insert(0) += g.count;
    }
    m
}

/// Whether the capture-matrix folder `dir` (`matrix/go<ver>/<scenario>`)
/// holds a program that keeps working while it is captured: one expected to
/// be healthy, or one whose expectation says why it `moves`.
fn busy(dir: &Path) -> bool {
    let Some(scenario) = dir.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let expected = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/expected")
        .join(format!("{scenario}.json"));
    std::fs::read_to_string(expected)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v["verdict"] == "healthy" || v.get("moves").is_some())
}

#[test]
fn pprof_debug1_and_debug0_agree_with_debug2_of_the_same_process() {
    let mut compared = 0;
    let mut moved = 0;
    for f in captured() {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = name.strip_suffix("-debug2.txt") else {
            continue;
        };
        let dir = f.parent().unwrap();
        let d1 = dir.join(format!("{stem}-debug1.txt"));
        let d0 = dir.join(format!("{stem}-debug0.pb.gz"));
        if !d1.exists() || !d0.exists() {
            continue;
        }
        let read = |p: &Path| {
            read_bytes(&std::fs::read(p).unwrap(), &ReadOptions::default())
                .unwrap()
                .pop()
                .unwrap()
        };
        // The three were fetched one after the other: a healthy program
        // keeps working in between (its goroutines are elsewhere by the next
        // fetch), so only stuck programs' captures are compared; and a stuck
        // one that also starts and ends goroutines (rpc-reply-timeout) may
        // have another count by then, which the runtime's own count in each
        // profile header shows.
        if busy(dir) {
            continue;
        }
        let (two, one, zero) = (read(&f), read(&d1), read(&d0));
        let n2 = two.goroutines.len() as u64;
        if !stem.contains("goroutineleak")
            && (one.profile_total != Some(n2) || zero.profile_total != Some(n2))
        {
            moved += 1;
            continue;
        }
        assert_eq!(two.format.as_str(), "traceback");
        assert_eq!(one.format.as_str(), "pprof-debug1");
        assert_eq!(zero.format.as_str(), "pprof-proto");
        // goroutineleak?debug=2 lists every goroutine, debug<2 only the leaked ones.
        if stem.contains("goroutineleak") {
            let leaked: u64 = two
                .goroutines
                .iter()
                .filter(|g| g.flags.leaked)
                .map(|g| g.count)
                .sum();
            assert_eq!(
                one.total_goroutines(),
                leaked,
                "{stem}: debug=1 vs leaked in debug=2"
            );
            assert_eq!(
                zero.total_goroutines(),
                leaked,
                "{stem}: debug=0 vs leaked in debug=2"
            );
            assert!(one.goroutines.iter().all(|g| g.flags.leaked));
        } else {
            assert_eq!(
                user_stacks(&one),
                user_stacks(&two),
                "{stem}: debug=1 vs debug=2"
            );
            assert_eq!(
                user_stacks(&zero),
                user_stacks(&two),
                "{stem}: debug=0 vs debug=2"
            );
        }
        assert_eq!(
            user_stacks(&zero),
            user_stacks(&one),
            "{stem}: debug=0 vs debug=1"
        );
        compared += 1;
    }
    assert!(compared >= 4, "only {compared} debug=0/1/2 triples found");
    // Only programs that churn goroutines may move between the fetches.
    assert!(
        moved * 10 <= compared,
        "{moved} of {} triples changed between fetches",
        moved + compared
    );
}

/// A dump behind a log prefix (`kubectl logs --timestamps`) reads like the bare
/// dump, including frames of packages whose names start with `g` (here the
/// test binary's `gostuck.test/...`; `github.com/...` in real programs), which
/// once kept the prefix in their function name.
#[test]
fn a_log_prefix_is_stripped_from_every_frame() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured/go1.27.3");
    let bare = std::fs::read(root.join("gotest-timeout.txt")).unwrap();
    let prefixed: Vec<u8> = bare
        .split_inclusive(|&b| b == b'\n')
        .flat_map(|l| [&b"2026-11-27T06:00:00.123456789Z "[..], l].concat())
        .collect();
    let frames = |bytes: &[u8]| -> Vec<Vec<(String, String, u32)>> {
        let dumps = read_bytes(bytes, &ReadOptions::default()).unwrap();
        dumps
            .iter()
            .flat_map(|d| {
                d.goroutines.iter().map(|g| {
                    g.frames
                        .iter()
                        .map(|f| {
                            (
                                d.str(f.function).to_string(),
                                d.str(f.file).to_string(),
                                f.line,
                            )
                        })
                        .collect()
                })
            })
            .collect()
    };
    let want = frames(&bare);
    assert!(want
        .iter()
        .flatten()
        .any(|f| f.0.starts_with("gostuck.test/")));
    assert_eq!(frames(&prefixed), want);
}

/// Every frame's file and line are those of the `\tfile:line` printed under
/// its function line, parsed on their own. The reader reuses the last file
/// line of each function when the next is byte-identical; a function printed
/// at several lines (recursion, several call sites, ancestors) must still get
/// each one.
#[test]
fn every_frame_has_the_file_line_printed_under_it() {
    let mut checked = 0;
    let mut functions_at_several_lines = 0;
    for p in captured() {
        if p.to_string_lossy().ends_with(".pb.gz") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        let dumps = read_bytes(&bytes, &ReadOptions::default()).unwrap();
        let mut seen: BTreeMap<String, std::collections::BTreeSet<u32>> = BTreeMap::new();
        for d in &dumps {
            for g in d
                .goroutines
                .iter()
                .filter(|g| g.line > 0 && g.ancestors.is_empty())
            {
                // Frames follow the header two lines each, unless output is
                // interleaved: stop at the first line that is not the frame's.
                let mut at = usize::try_from(g.line).unwrap(); // 0-based index of the first frame line
                for f in &g.frames {
                    let func = d.str(f.function);
                    let (Some(fl), Some(loc)) = (lines.get(at), lines.get(at + 1)) else {
                        break;
                    };
                    if !fl.trim_end().starts_with(func) || !loc.starts_with('\t') {
                        break;
                    }
                    let loc = loc.trim_start_matches('\t');
                    let end = loc
                        .find(" +0x")
                        .or_else(|| loc.find(" fp="))
                        .or_else(|| loc.find(" pc="))
                        .unwrap_or(loc.len());
                    let (file, line) = loc[..end].trim_end().rsplit_once(':').unwrap();
                    assert_eq!(
                        (d.str(f.file), f.line),
                        (file, line.parse::<u32>().unwrap()),
                        "{}: frame `{func}` of goroutine {:?}",
                        p.display(),
                        g.id
                    );
                    seen.entry(func.to_string()).or_default().insert(f.line);
                    checked += 1;
                    at += 2;
                }
            }
        }
        functions_at_several_lines += seen.values().filter(|l| l.len() > 1).count();
    }
    assert!(checked > 3_000, "only {checked} frames checked");
    assert!(
        functions_at_several_lines > 10,
        "only {functions_at_several_lines} functions seen at several lines"
    );
}

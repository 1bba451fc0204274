//! Whole-process tests: `gostuck analyze` on dumps captured from real Go
//! toolchains must give each scenario its expected findings
//! (testdata/expected/<scenario>.json) on every captured Go version.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

mod support;
use support::{compare, gostuck, repo, roles};

#[test]
fn every_scenario_gets_its_expected_findings_on_every_captured_go_version() {
    let root = repo();
    let mut expectations = Vec::new();
    for e in std::fs::read_dir(root.join("testdata/expected"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
    {
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
        let stem = e.path().file_stem().unwrap().to_string_lossy().to_string();
        let captures: Vec<String> = match want.get("captures") {
            Some(c) => c
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect(),
            None => vec![stem],
        };
        expectations.push((captures, want));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root.join("testdata/captured"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    versions.sort();
    assert!(
        versions.len() >= 4,
        "captures for at least Go 1.21, 1.22, 1.24 and 1.27 expected"
    );
    let mut failures = Vec::new();
    let mut checked = 0;
    for v in &versions {
        for (captures, want) in &expectations {
            for c in captures {
                let Some(file) = [format!("{c}.txt"), format!("{c}.pb.gz")]
                    .iter()
                    .map(|n| v.join(n))
                    .find(|p| p.exists())
                else {
                    continue;
                };

                let rel = file
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                let (code, out, err) = gostuck(&[
                    "analyze",
                    &rel,
                    "--source",
                    "testdata/scenarios",
                    "--format",
                    "json",
                ]);
                let report: Value = match serde_json::from_str(&out) {
                    Ok(r) => r,
                    Err(e) => {
                        failures.push(format!("{rel}: no JSON ({e}); stderr: {err}"));
                        continue;
                    }
                };
                let healthy = want["verdict"] == "healthy";
                if code != if healthy { 0 } else { 1 } {
                    failures.push(format!("{rel}: exit status {code}"));
                }
                for f in report["findings"].as_array().unwrap() {
                    let kind = f["kind"].as_str().unwrap();
                    if gostuck_engine::kinds::kind_doc(kind).is_none() {
                        failures.push(format!("{rel}: undocumented kind {kind}"));
                    }
                }
                for d in compare(&report, want) {
                    failures.push(format!("{rel}: {d}"));
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 80,
        "only {checked} scenario captures were checked"
    );
    let problems = ratchet(&root, &failures);
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Captures whose expectation states the ideal finding the engine does not
/// give yet, one per line: `<capture path>  # first difference`.
const GAPS: &str = "testdata/expected/scenario-known-gaps.txt";

/// Failures not listed in [`GAPS`], and listed captures that pass now (the
/// list only shrinks). GOSTUCK_UPDATE_GAPS=1 rewrites it from `failures`.
fn ratchet(root: &std::path::Path, failures: &[String]) -> Vec<String> {
    let mut failing: std::collections::BTreeMap<&str, &str> = Default::default();
    for f in failures {
        let (file, why) = f.split_once(": ").unwrap_or((f, ""));
        failing.entry(file).or_insert(why);
    }
    let path = root.join(GAPS);
    if std::env::var_os("GOSTUCK_UPDATE_GAPS").is_some() {
        let mut text = String::from(
            "# Scenario captures whose expectation (testdata/expected) is the ideal finding\n\
             # the engine does not give yet. Maintained by tests/scenarios.rs: a listed\n\
             # capture that passes fails the test (delete its line); GOSTUCK_UPDATE_GAPS=1 rewrites.\n",
        );
        for (file, why) in &failing {
            let why: String = why.chars().take(200).collect();
            text.push_str(&format!("{file}  # {why}\n"));
        }
        std::fs::write(&path, text).unwrap();
        return Vec::new();
    }
    let listed: BTreeSet<String> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split("  #").next().unwrap_or(l).trim().to_string())
        .collect();
    let mut problems: Vec<String> = failures
        .iter()
        .filter(|f| !listed.contains(f.split_once(": ").map_or(f.as_str(), |x| x.0)))
        .cloned()
        .collect();
    for l in &listed {
        if !failing.contains_key(l.as_str()) {
            problems.push(format!(
                "{l} passes now (or has no capture): delete its line from {GAPS}"
            ));
        }
    }
    problems
}

#[test]
fn stacks_alone_still_name_the_blocked_lines_with_lower_confidence() {
    let (code, out, _) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/abba.txt",
        "--no-source",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&out).unwrap();
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "lock-cycle");
    assert_eq!(f["confidence"], "possible");
    assert_eq!(
        roles(f, "blocked"),
        BTreeSet::from(["main.go:28".to_string()])
    );
    let (_, out, _) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/unbuffered-send.txt",
        "--no-source",
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["findings"][0]["kind"], "channel-no-partner");
    assert_eq!(r["findings"][0]["confidence"], "likely");
}

/// An operation found in a method the goroutine's frame calls is named with
/// that method, not with the calling frame (`main.func1` calls
/// `m.syncOnce()`, whose receive at line 30 completes the send).
#[test]
fn a_partner_operation_in_a_called_method_is_named_with_that_method() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let (_, out, _) = gostuck(&[
            "analyze",
            &format!("testdata/captured/{v}/helper-methods.txt"),
            "--format",
            "json",
        ]);
        let r: Value = serde_json::from_str(&out).unwrap();
        let f = &r["findings"][0];
        let l = f["locations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["role"] == "would-receive")
            .unwrap_or_else(|| panic!("{v}: no would-receive location in {f}"));
        assert_eq!(l["function"], "main.(*Manager).syncOnce", "{v}: {l}");
        assert!(
            l["file"]
                .as_str()
                .unwrap()
                .ends_with("helper-methods/main.go"),
            "{v}: {l}"
        );
        assert_eq!(l["line"], 30, "{v}: {l}");
        let e = f["explanation"].as_str().unwrap();
        assert!(
            e.contains("a receive at (*Manager).syncOnce, helper-methods/main.go:30"),
            "{v}: {e}"
        );
    }
}

/// An orphaned wait that holds a lock others wait for gets a fix that says to
/// release that lock before blocking (the upstream fix of kubernetes#58107);
/// a Cond's own lock, which Wait releases and nobody waits for, does not, nor
/// does a queued writer that readers wait behind.
#[test]
fn a_fix_names_the_lock_held_while_blocked_when_others_wait_for_it() {
    let fix = |v: &str, scenario: &str| {
        let (_, out, _) = gostuck(&[
            "analyze",
            &format!("testdata/captured/{v}/{scenario}.txt"),
            "--format",
            "json",
        ]);
        let r: Value = serde_json::from_str(&out).unwrap();
        r["findings"][0]["fix"].as_str().unwrap().to_string()
    };
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let f = fix(v, "cond-under-lock");
        assert!(
            f.contains(
                "do not block here while holding `c.workerLock` (locked at (*Controller).work, cond-under-lock/main.go:37)"
            ) && f.ends_with("(1 goroutine waits for it)."),
            "{v}: {f}"
        );
        let f = fix(v, "cond-signal-first");
        assert!(!f.contains("while holding"), "{v}: {f}");
        // A writer that a reader waits behind (pending Lock) holds nothing.
        let f = fix(v, "leaked-rlock");
        assert!(!f.contains("do not block here"), "{v}: {f}");
    }
}

/// A receive from `t.C` inside `if !t.Stop() { … }` waits for a timer that
/// has fired and whose value was taken: reported even though timer channels
/// are otherwise fed from outside the program's goroutines, and explained as
/// such.
#[test]
fn draining_a_timer_whose_value_was_taken_is_reported_with_the_reason() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let (code, out, _) = gostuck(&[
            "analyze",
            &format!("testdata/captured/{v}/timer-drain.txt"),
            "--format",
            "json",
        ]);
        assert_eq!(code, 1, "{v}");
        let r: Value = serde_json::from_str(&out).unwrap();
        let f = &r["findings"][0];
        assert_eq!(
            f["title"], "timer `d.timer` already fired: receiving from `d.timer.C` blocks forever",
            "{v}: {f}"
        );
        assert!(
            f["explanation"]
                .as_str()
                .unwrap()
                .contains("Stop returned false"),
            "{v}: {f}"
        );
        assert!(f["fix"].as_str().unwrap().contains("Go 1.23"), "{v}: {f}");
    }
    // A plain wait on a timer channel elsewhere is still not a deadlock.
    let (_, out, _) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/healthy-pool.txt",
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["verdict"], "healthy", "{r}");
}

/// A sync.Once in a cycle is named as such: the goroutine running its Do,
/// and the one waiting for that Do to return; the fix is about calling Do
/// while holding the lock its function needs, not about lock order.
#[test]
fn a_once_in_a_lock_cycle_is_told_as_a_running_do() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let (_, out, _) = gostuck(&[
            "analyze",
            &format!("testdata/captured/{v}/once-cycle.txt"),
            "--format",
            "json",
        ]);
        let r: Value = serde_json::from_str(&out).unwrap();
        let e = r["findings"][0]["explanation"].as_str().unwrap();
        assert!(
            e.contains("is running `p.plainInit.Do` ((*Page).initPlain, once-cycle/main.go:22)")
                && e.contains(
                    "waits for `p.plainInit.Do` to return ((*Page).render, once-cycle/main.go:37)"
                ),
            "{v}: {e}"
        );
        let f = r["findings"][0]["fix"].as_str().unwrap();
        assert!(
            f.contains("do not call `p.plainInit.Do` while holding `p.mu`")
                && !f.contains("global order"),
            "{v}: {f}"
        );
    }
}

/// A test that timed out with goroutines blocked for a reason the stacks alone
/// cannot tell: `stuck`, not a deadlock, and the explanation says the test
/// timed out (the runtime said nothing about them).
#[test]
fn a_test_timeout_without_a_cause_is_stuck_not_deadlocked() {
    let (code, out, err) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/gotest-timeout.txt",
        "--no-source",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["verdict"], "stuck");
    assert!(r["summary"].as_str().unwrap().starts_with("Stuck: "));
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["kind"], "stuck-unexplained");
        let e = f["explanation"].as_str().unwrap();
        assert!(e.contains("when the test timed out"), "{e}");
        assert!(e.contains("--no-source"), "{e}");
        assert!(!e.contains("the runtime says"), "{e}");
    }
    // With the source, the same dump has a cause: a partial deadlock.
    let (_, out, _) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/gotest-timeout.txt",
        "--source",
        "testdata/scenarios/gotest-timeout",
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["verdict"], "partial-deadlock");
}

/// `go test -json` wraps the timeout dump in JSON events: the same findings as
/// the plain `go test` output of the same test, on every captured Go version.
#[test]
fn go_test_json_output_gives_the_findings_of_plain_go_test_output() {
    let summary = |file: &str| -> (String, Vec<(String, BTreeSet<String>)>, Value) {
        let (code, out, err) = gostuck(&[
            "analyze",
            file,
            "--source",
            "testdata/scenarios/gotest-timeout",
            "--format",
            "json",
        ]);
        assert_eq!(code, 1, "{file}: {err}");
        let r: Value = serde_json::from_str(&out).unwrap();
        let findings = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["kind"].as_str().unwrap().to_string(), roles(f, "blocked")))
            .collect();
        (
            r["verdict"].as_str().unwrap().to_string(),
            findings,
            r["inputs"][0]["running_tests"].clone(),
        )
    };
    let mut checked = 0;
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let plain = summary(&format!("testdata/captured/{v}/gotest-timeout.txt"));
        let json = summary(&format!("testdata/captured/{v}/gotest-timeout-json.txt"));
        assert!(!plain.1.is_empty(), "{v}: no finding on the plain output");
        assert_eq!(json, plain, "{v}");
        checked += 1;
    }
    assert_eq!(checked, 4);
    // How the input was decoded is a note, not a warning: nothing went wrong.
    let (_, out, _) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/gotest-timeout-json.txt",
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_str(&out).unwrap();
    let input = &r["inputs"][0];
    assert_eq!(input["warnings"], serde_json::json!([]), "{input}");
    assert!(
        input["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("read from the `go test -json` output of package"),
        "{input}"
    );
    let (_, text, _) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/gotest-timeout-json.txt",
    ]);
    assert!(
        text.contains("  note: read from the `go test -json` output"),
        "{text}"
    );
    assert!(!text.contains("warning:"), "{text}");
}

#[test]
fn timings_go_to_stderr_and_leave_the_report_alone() {
    let args = [
        "analyze",
        "testdata/captured/go1.27.3/abba.txt",
        "--format",
        "json",
    ];
    let (code, plain, plain_err) = gostuck(&args);
    let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env("GOSTUCK_TIMINGS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code));
    assert_eq!(String::from_utf8_lossy(&out.stdout), plain);
    assert!(!plain_err.contains("timing:"), "{plain_err}");
    let err = String::from_utf8_lossy(&out.stderr);
    for phase in ["read", "analyse", "render"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("gostuck: timing: {phase} ")) && l.ends_with(" s")),
            "no {phase} timing in {err}"
        );
    }
}

#[test]
fn bad_input_is_a_usage_error_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("gostuck-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("notes.txt");
    std::fs::write(&p, "just some text\nno goroutines here\n").unwrap();
    let (code, out, err) = gostuck(&["analyze", p.to_str().unwrap()]);
    assert_eq!(code, 2, "stdout: {out}");
    assert!(
        err.contains("notes.txt") && err.contains("no goroutine dump found"),
        "{err}"
    );
    let (code, _, err) = gostuck(&["analyze", "/nonexistent/dump.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/dump.txt"), "{err}");
    let (code, _, _) = gostuck(&["analyze", "--format", "yaml", "x"]);
    assert_eq!(code, 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn standard_input_is_read_when_the_input_is_a_dash() {
    let root = repo();
    let dump = std::fs::read(root.join("testdata/captured/go1.22.10/abba.txt")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(["analyze", "-", "--format", "json", "--no-source"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&dump).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["inputs"][0]["path"], "-");
    assert_eq!(r["verdict"], "global-deadlock");
    assert_eq!(r["goroutines"]["total"], 3);
}

/// A dump piped in is read like the same file: the copy of a component left
/// locked among healthy copies, which needs every frame's arguments, is found
/// from standard input too (the report differs only in the input's path).
#[test]
fn standard_input_gets_the_same_report_as_the_file() {
    let root = repo();
    for v in ["go1.21.13", "go1.27.3"] {
        for scenario in ["stuck-copy-lock", "shared-mutex-copies"] {
            let file = format!("testdata/captured/{v}/{scenario}.txt");
            let args = ["--source", "testdata/scenarios", "--format", "json"];
            let (_, from_file, _) = gostuck(&[&["analyze", &file][..], &args[..]].concat());
            let mut child = Command::new(env!("CARGO_BIN_EXE_gostuck"))
                .current_dir(&root)
                .env("NO_COLOR", "1")
                .args([&["analyze", "-"][..], &args[..]].concat())
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            let dump = std::fs::read(root.join(&file)).unwrap();
            child.stdin.take().unwrap().write_all(&dump).unwrap();
            let out = child.wait_with_output().unwrap();
            let from_stdin = String::from_utf8(out.stdout).unwrap();
            let r: Value = serde_json::from_str(&from_stdin).unwrap();
            assert!(
                !r["findings"].as_array().unwrap().is_empty(),
                "{v} {scenario}: {r}"
            );
            assert_eq!(
                from_stdin.replace("\"path\": \"-\"", &format!("\"path\": \"{file}\"")),
                from_file,
                "{v} {scenario}"
            );
        }
    }
}

/// A finding that covers a group only in part (the stuck copy among healthy
/// ones) names the member it reports, and with --stalled the rest of the
/// group is reported once, without that member (no goroutine is in two
/// findings), naming the live goroutines they wait for.
#[test]
fn a_group_reported_in_part_is_not_reported_twice() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let (_, out, _) = gostuck(&[
            "analyze",
            &format!("testdata/captured/{v}/stuck-copy-lock.txt"),
            "--source",
            "testdata/scenarios",
            "--stalled",
            "--format",
            "json",
        ]);
        let r: Value = serde_json::from_str(&out).unwrap();
        let fs = r["findings"].as_array().unwrap();
        assert_eq!(fs[0]["kind"], "lock-never-released", "{v}: {r}");
        let stuck = fs[0]["goroutines"].as_array().unwrap();
        assert_eq!(stuck.len(), 1, "{v}: {r}");
        let e = fs[0]["explanation"].as_str().unwrap();
        assert!(
            e.starts_with(&format!("goroutine {} waits", stuck[0])),
            "{v}: {e}"
        );
        let mut seen = std::collections::HashSet::new();
        for f in fs {
            for g in f["goroutines"].as_array().unwrap() {
                assert!(
                    seen.insert(g.as_u64().unwrap()),
                    "{v}: goroutine {g} twice: {r}"
                );
            }
        }
        // The rest wait for live holders, which the explanation names.
        let rest = fs
            .iter()
            .find(|f| f["kind"] == "stuck-unexplained")
            .unwrap_or_else(|| panic!("{v}: {r}"));
        let e = rest["explanation"].as_str().unwrap();
        assert!(
            e.contains("[sleep] at (*Conn).Use, stuck-copy-lock/main.go:42, which hold `c.mu`")
                && !e.contains("could not be identified"),
            "{v}: {e}"
        );
    }
}

#[test]
fn every_finding_kind_is_documented_and_explained() {
    let doc = std::fs::read_to_string(repo().join("docs/findings.md")).unwrap();
    for k in gostuck_engine::kinds::KINDS {
        assert!(
            doc.contains(&format!("## `{}`", k.name)),
            "docs/findings.md lacks {}",
            k.name
        );
        let (code, out, _) = gostuck(&["explain", k.name]);
        assert_eq!(code, 0);
        assert!(out.starts_with(k.name), "{out}");
        if let Some(s) = k.scenario {
            assert!(
                repo().join("testdata/scenarios").join(s).is_dir(),
                "{}: no scenario {s}",
                k.name
            );
        }
    }
    let (code, _, err) = gostuck(&["explain", "no-such-kind"]);
    assert_eq!(code, 2);
    assert!(err.contains("lock-cycle"), "{err}");
}

#[test]
fn stalled_flag_raises_the_confidence_of_waits_in_a_live_program() {
    let args = [
        "analyze",
        "testdata/captured/go1.27.3/broker-dead-subscriber.txt",
        "--source",
        "testdata/scenarios",
        "--format",
        "json",
    ];
    // A broker blocked sending to a subscriber that returned: the event
    // channels escaped into the broker, so no code proves the waits
    // unreachable, and a live program's parked goroutines are only possible.
    let (code, out, _) = gostuck(&args);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        r["findings"][0]["confidence"], "possible",
        "parked goroutines of a live program are only possible leaks"
    );
    let (code, out, _) = gostuck(&[&args[..], &["--stalled"]].concat());
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&out).unwrap();
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "channel-no-partner")
        .unwrap();
    assert_eq!(f["confidence"], "likely");
    assert_eq!(f["count"], 6);
}

/// A cycle through a reader queued behind a pending writer: the writer is
/// told as waiting its turn, not as holding the lock (it holds nothing), and
/// package-level locks of different types (`cache.mu`, `index.mu`) are kept
/// apart (no edge from the writer to the goroutine holding `index.mu`).
#[test]
fn a_reader_queued_behind_a_writer_is_told_as_such_in_a_cycle() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let (code, out, _) = gostuck(&[
            "analyze",
            &format!("testdata/captured/{v}/queued-writer-cycle.txt"),
            "--format",
            "json",
        ]);
        assert_eq!(code, 1, "{v}");
        let r: Value = serde_json::from_str(&out).unwrap();
        let f = &r["findings"][0];
        let e = f["explanation"].as_str().unwrap();
        assert!(
            e.contains("waits to read-lock `cache.mu` (Refresh, queued-writer-cycle/main.go:52), behind goroutine")
                && e.contains("which waits to write-lock it as `cache.mu` (a pending Lock blocks new readers)")
                && !e.contains("pending Lock)`"),
            "{v}: {e}"
        );
        assert!(
            f["title"]
                .as_str()
                .unwrap()
                .contains("queued behind a pending writer"),
            "{v}"
        );
        // Edges: Lookup → Refresh (index.mu), Evict → Lookup (cache.mu),
        // Refresh → Evict (queued), and main's WaitGroup to all three.
        let edges = f["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 6, "{v}: {edges:?}");
        let waits_for_cache = edges.iter().filter(|e| e["resource"] == "cache.mu").count();
        assert_eq!(waits_for_cache, 2, "{v}: {edges:?}");
    }
}

/// A leaked goroutine (goroutineleak profile) waits for a lock of a type
/// whose other copies have live holders: the runtime proved no live
/// goroutine holds its lock, so it is reported, with the early `return` that
/// left the lock held; the live waiters of the healthy copies are not.
#[test]
fn a_leaked_waiter_is_not_explained_by_live_holders_of_other_copies() {
    let (code, out, _) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/leaked-instance-lock.txt",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&out).unwrap();
    let fs = r["findings"].as_array().unwrap();
    assert_eq!(fs.len(), 1, "{fs:?}");
    let e = fs[0]["explanation"].as_str().unwrap();
    assert!(
        e.contains("and a `return` at line 32 leaves it locked"),
        "{e}"
    );
    // Only the leaked waiter: the six live ones wait for sleeping holders.
    let blocked: Vec<_> = fs[0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == "blocked")
        .collect();
    assert_eq!(blocked.len(), 1, "{blocked:?}");
}

/// In a plain dump, copies of one component are told apart by address: the
/// waiter whose mutex no holder's receiver points at is reported (only it,
/// not the waiters of the healthy copies), with the `return` that left the
/// lock held.
#[test]
fn a_stuck_copy_among_healthy_ones_is_found_by_address() {
    for v in ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"] {
        let (code, out, _) = gostuck(&[
            "analyze",
            &format!("testdata/captured/{v}/stuck-copy-lock.txt"),
            "--format",
            "json",
        ]);
        assert_eq!(code, 1, "{v}");
        let r: Value = serde_json::from_str(&out).unwrap();
        let fs = r["findings"].as_array().unwrap();
        assert_eq!(fs.len(), 1, "{v}: {fs:?}");
        assert_eq!(fs[0]["goroutines"].as_array().unwrap().len(), 1, "{v}");
        let e = fs[0]["explanation"].as_str().unwrap();
        assert!(
            e.contains("none holds this one (0x")
                && e.contains("and a `return` at line 31 leaves it locked"),
            "{v}: {e}"
        );
    }
}

#[test]
fn a_timeout_dump_without_the_running_tests_goroutine_names_that_test() {
    // A real go test -timeout capture with the running subtest's goroutine
    // cut out, as a dump pasted in part arrives: the harness waiting in t.Run
    // and m.Run is not a finding, and the note says which test is missing.
    let full =
        std::fs::read_to_string(repo().join("testdata/captured/go1.27.3/gotest-subtest-chan.txt"))
            .unwrap();
    let partial: Vec<&str> = full
        .split("\n\n")
        .filter(|s| !s.contains("pool.go:43"))
        .collect();
    assert!(partial.len() < full.split("\n\n").count());
    let dir = std::env::temp_dir().join(format!("gostuck-partial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("partial.txt");
    std::fs::write(&p, partial.join("\n\n")).unwrap();
    let (code, out, _) = gostuck(&[
        "analyze",
        p.to_str().unwrap(),
        "--source",
        "testdata/scenarios",
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(r["findings"].as_array().unwrap().is_empty(), "{out}");
    let notes = r["inputs"][0]["notes"].to_string();
    assert!(
        notes.contains("TestMap/errors/negative") && notes.contains("no goroutine of its own"),
        "{notes}"
    );
    // With the goroutine there, no such note.
    let (_, out, _) = gostuck(&[
        "analyze",
        "testdata/captured/go1.27.3/gotest-subtest-chan.txt",
        "--source",
        "testdata/scenarios",
        "--format",
        "json",
    ]);
    assert!(!out.contains("no goroutine of its own"));
    std::fs::remove_dir_all(&dir).unwrap();
}

//! What a newcomer reads: counts in the right number, and error messages that
//! name the argument once instead of repeating the OS error.

mod support;
use support::gostuck;

#[test]
fn a_directory_given_as_input_is_named_once_in_one_message() {
    for cmd in ["analyze", "trace"] {
        let (code, _, err) = gostuck(&[cmd, "testdata/"]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains("testdata/: is a directory"), "{cmd}: {err}");
        assert_eq!(
            err.matches("os error").count(),
            0,
            "{cmd} repeats the OS error: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{cmd}: {err}");
    }
}

#[test]
fn a_directory_among_several_inputs_is_skipped_with_one_clear_warning() {
    let dump = "testdata/captured/go1.27.3/abba.txt";
    let (code, _, err) = gostuck(&["analyze", dump, "testdata/"]);
    assert_eq!(code, 1, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("skipped"))
        .unwrap_or_else(|| panic!("no warning: {err}"));
    assert!(line.contains("testdata/: is a directory"), "{line}");
}

#[test]
fn one_blocked_goroutine_at_one_site_is_said_in_the_singular() {
    // A real trace (Go 1.25.5, testdata/traces/prog) whose end has exactly one
    // user goroutine blocked.
    let (_, out, err) = gostuck(&["trace", "testdata/captured/go1.25.5/traces/cpu.trace"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("Blocked when the trace ended"))
        .unwrap_or_else(|| panic!("no blocked line: {out}{err}"));
    assert!(line.contains("(1 goroutine at 1 site)"), "{line}");
    assert!(
        !out.contains(" 1 goroutines") && !out.contains(" 1 sites"),
        "{out}"
    );
}

#[test]
fn a_blocking_profile_of_one_stack_says_one_stack() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sync.pb.gz");
    let (_, _, err) = gostuck(&[
        "trace",
        "testdata/captured/go1.27.3/traces/cgo.trace",
        "--pprof-sync",
        out.to_str().unwrap(),
    ]);
    assert!(out.exists(), "{err}");
    assert!(err.contains("blocking profile (1 stack)"), "{err}");
    assert!(!err.contains("(1 stacks)"), "{err}");
}

/// A dump captured in a temporary directory that no longer exists
/// (testdata/captured/matrix), so its source is found only through --source.
const MOVED: &str = "testdata/captured/matrix/go1.27.3/nil-channel/pprof-debug2.txt";

#[test]
fn a_source_dir_that_matches_nothing_is_said_with_the_paths_looked_for() {
    let (code, out, err) = gostuck(&["analyze", MOVED, "--source", "crates/gostuck-report"]);
    assert_eq!(code, 1, "{err}");
    let note = out
        .lines()
        .find(|l| l.contains("note: --source crates/gostuck-report: nothing under it matched"))
        .unwrap_or_else(|| panic!("no note: {out}"));
    assert!(note.contains("nil-channel/main.go"), "{note}");

    let (_, json, err) = gostuck(&[
        "analyze",
        MOVED,
        "--source",
        "crates/gostuck-report",
        "--format",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {err}"));
    let notes = r["inputs"][0]["notes"].as_array().expect("inputs[0].notes");
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("--source crates/gostuck-report: nothing under it matched")),
        "{notes:?}"
    );
}

#[test]
fn a_source_dir_that_matches_gets_no_such_note_and_snippets_name_the_local_file() {
    let src = "testdata/scenarios/nil-channel";
    let (code, out, err) = gostuck(&["analyze", MOVED, "--source", src]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.contains("nothing under it matched"), "{out}");
    let header = out
        .lines()
        .find(|l| l.trim_start().starts_with("blocked /tmp/") && l.contains("main.go:29"))
        .unwrap_or_else(|| panic!("no snippet for main.go:29: {out}"));
    assert!(
        header.ends_with(&format!("(read from {src}/main.go)")),
        "{header}"
    );
}

#[test]
fn a_waitgroup_without_its_name_is_not_named_twice() {
    // Without source the WaitGroup has no expression: the title says "a
    // WaitGroup", once, not "WaitGroup a WaitGroup".
    let f = "testdata/captured/go1.27.3/waitgroup-never-done.txt";
    let (_, text, _) = gostuck(&["analyze", f, "--no-source"]);
    assert!(text.contains("a WaitGroup never reaches zero"), "{text}");
    assert!(!text.contains("WaitGroup a WaitGroup"), "{text}");
    // With source it is named.
    let (_, text, _) = gostuck(&["analyze", f, "--source", "testdata/scenarios"]);
    assert!(text.contains("WaitGroup `wg` never reaches zero"), "{text}");
}

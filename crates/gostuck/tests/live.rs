//! Tests that run real Go programs built by the pinned toolchain
//! (`scripts/test.sh` installs it and sets GOSTUCK_GO). Without a toolchain
//! they are skipped locally and fail under CI, so CI can never pass them vacuously.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod support;
use support::{blocked_lines, go, repo};

/// Builds a scenario with the given extra flags and runs it; returns its stderr.
fn run_scenario(go: &Path, name: &str, flags: &[&str]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!(
        "gostuck-live-{}-{name}-{}",
        std::process::id(),
        flags.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join(name);
    let status = Command::new(go)
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(&bin)
        .arg(".")
        .current_dir(repo().join("testdata/scenarios").join(name))
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .status()
        .unwrap();
    assert!(status.success(), "go build of {name} failed");
    let out = Command::new(&bin).stdin(Stdio::null()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{name} should die with the runtime's deadlock report"
    );
    std::fs::remove_dir_all(&dir).ok();
    out.stderr
}

fn analyze(dump: &[u8], args: &[&str]) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(["analyze", "-", "--format", "json"])
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(dump).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_fresh_ab_ba_deadlock_from_the_pinned_toolchain_is_explained() {
    let Some(go) = go() else { return };
    let dump = run_scenario(&go, "abba", &[]);
    let r = analyze(&dump, &["--source", "testdata/scenarios"]);
    assert_eq!(r["verdict"], "global-deadlock");
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "lock-cycle");
    assert_eq!(f["confidence"], "certain");
    assert_eq!(blocked_lines(f), ["main.go:28", "main.go:51"]);
}

#[test]
fn sources_are_found_by_path_suffix_when_the_dump_was_built_elsewhere() {
    let Some(go) = go() else { return };
    // -trimpath prints module paths (gostuck.test/mutex-across-channel/main.go),
    // which exist nowhere on disk: only the suffix under --source matches.
    let dump = run_scenario(&go, "mutex-across-channel", &["-trimpath"]);
    let text = String::from_utf8_lossy(&dump);
    assert!(
        text.contains("gostuck.test/mutex-across-channel/main.go"),
        "{text}"
    );
    let r = analyze(&dump, &["--source", "testdata/scenarios"]);
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "wait-cycle", "{f}");
    assert_eq!(blocked_lines(f), ["main.go:25", "main.go:31", "main.go:47"]);
    assert!(
        r["inputs"][0].get("missing_source").is_none(),
        "{}",
        r["inputs"][0]
    );
    // Without --source the same dump can only be judged from its stacks.
    let r = analyze(&dump, &["--no-source"]);
    assert_ne!(r["findings"][0]["confidence"], "certain");
}

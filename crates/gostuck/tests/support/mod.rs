//! Helpers shared by the whole-process tests (each test file is its own crate,
//! so not every file uses every helper): toolchains, builds and supervised
//! programs from gostuck-testkit, and the report comparisons.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

// (Each test file is its own crate and uses some of these.)
#[allow(unused_imports)]
pub use gostuck_testkit::{gcore, go, gos, repo, Guard, Running, Scratch};

/// Builds testdata/scenarios/NAME into DIR with `go build FLAGS`.
pub fn build(go: &Path, name: &str, dir: &Path, flags: &[&str]) -> PathBuf {
    gostuck_testkit::build(go, &format!("scenarios/{name}"), dir, name, flags)
}

/// `main.go:28`-style blocked locations of a JSON finding, sorted and unique.
pub fn blocked_lines(f: &Value) -> Vec<String> {
    let mut v: Vec<String> = f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == "blocked")
        .map(|l| {
            format!(
                "{}:{}",
                l["file"].as_str().unwrap().rsplit('/').next().unwrap(),
                l["line"]
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Runs the gostuck binary in the repository root; (exit code, stdout, stderr).
pub fn gostuck(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn base(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

/// `main.go:28`-style locations of a JSON finding with the given role.
pub fn roles(f: &Value, role: &str) -> BTreeSet<String> {
    f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == role)
        .map(|l| format!("{}:{}", base(l["file"].as_str().unwrap()), l["line"]))
        .collect()
}

/// An expectation names one confidence, or several where Go versions differ
/// in evidence (Go 1.27 marks proven leaks `(leaked)` once the goroutineleak
/// profile has run).
fn confidence_ok(got: &Value, want: &Value) -> bool {
    match want.as_array() {
        Some(options) => options.contains(got),
        None => got == want,
    }
}

/// The strings of a JSON array, as a set.
pub fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Compares one report with its expectation (testdata/expected/*.json):
/// the verdict, then the findings; returns what differs.
pub fn compare(report: &Value, want: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    if report["verdict"] != want["verdict"] {
        diffs.push(format!(
            "verdict {} != expected {}",
            report["verdict"], want["verdict"]
        ));
    }
    diffs.extend(compare_findings(report, want, true));
    diffs
}

/// Compares the findings of a report with an expectation's, one to one: kind,
/// goroutine count, blocked and acquired lines, and the confidence when
/// `with_confidence`. Returns what differs.
pub fn compare_findings(report: &Value, want: &Value, with_confidence: bool) -> Vec<String> {
    let mut diffs = Vec::new();
    let got = report["findings"].as_array().unwrap();
    let exp = want["findings"].as_array().unwrap();
    if got.len() != exp.len() {
        let kinds: Vec<_> = got.iter().map(|f| f["kind"].to_string()).collect();
        diffs.push(format!(
            "{} findings {kinds:?}, expected {}",
            got.len(),
            exp.len()
        ));
    }
    let mut used = vec![false; got.len()];
    for e in exp {
        let found = got.iter().enumerate().position(|(i, f)| {
            !used[i]
                && f["kind"] == e["kind"]
                && (!with_confidence || confidence_ok(&f["confidence"], &e["confidence"]))
                && f["count"] == e["goroutines"]
                && roles(f, "blocked") == strings(&e["blocked"])
                && roles(f, "acquired") == strings(&e["acquired"])
        });
        match found {
            Some(i) => used[i] = true,
            None => {
                let near: Vec<String> = got
                    .iter()
                    .filter(|f| f["kind"] == e["kind"])
                    .map(|f| {
                        format!(
                            "{} {} count={} blocked={:?} acquired={:?}",
                            f["kind"],
                            f["confidence"],
                            f["count"],
                            roles(f, "blocked"),
                            roles(f, "acquired")
                        )
                    })
                    .collect();
                diffs.push(format!("missing {e}; same-kind findings: {near:?}"));
            }
        }
    }
    diffs
}

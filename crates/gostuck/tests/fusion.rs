//! Evidence only adds up: for every captured execution trace that has a
//! goroutine dump of the same process (`<mode>.dump.txt`, taken right after
//! the trace stopped), the report of dump + trace is scored against the dump
//! alone and the trace alone, and is never worse than either: every finding
//! of either survives (same kind, same goroutines), with a confidence at
//! least as strong — except a trace finding whose goroutines the later dump
//! no longer shows waiting (they moved on: the dump refutes it).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod support;
use support::repo;

fn report(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .arg("analyze")
        .args(args)
        .args(["--source", "testdata/traces", "--format", "json"])
        .current_dir(repo())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn rank(c: &Value) -> u8 {
    match c.as_str() {
        Some("certain") => 0,
        Some("likely") => 1,
        _ => 2,
    }
}

fn ids(f: &Value) -> BTreeSet<u64> {
    f["goroutines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_u64().unwrap())
        .collect()
}

/// Goroutine IDs the dump report shows parked at a user line.
fn waiting(dump: &Value) -> BTreeSet<u64> {
    dump["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| {
            !g["user_frame"].is_null() && g["state"] != "running" && g["state"] != "runnable"
        })
        .flat_map(|g| {
            g["goroutines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_u64().unwrap())
        })
        .collect()
}

/// What `alone` found that `fused` lost or weakened.
fn lost(alone: &Value, fused: &Value, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for f in alone["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| keep(f))
    {
        let kept = fused["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["kind"] == f["kind"] && !ids(g).is_disjoint(&ids(f)));
        match kept {
            None => out.push(format!("{} {:?} lost", f["kind"], ids(f))),
            Some(g) if rank(&g["confidence"]) > rank(&f["confidence"]) => out.push(format!(
                "{} {:?} weakened from {} to {}",
                f["kind"],
                ids(f),
                f["confidence"],
                g["confidence"]
            )),
            Some(_) => {}
        }
    }
    out
}

#[test]
fn dump_and_trace_together_are_never_worse_than_either_alone() {
    let root = repo();
    let mut checked = 0;
    let mut problems = Vec::new();
    for v in std::fs::read_dir(root.join("testdata/captured"))
        .unwrap()
        .flatten()
    {
        let dir = v.path().join("traces");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(mode) = name.strip_suffix(".dump.txt") else {
                continue;
            };
            let trace = dir.join(format!("{mode}.trace"));
            if !trace.exists() {
                continue;
            }
            let rel = |p: &Path| p.strip_prefix(&root).unwrap().to_string_lossy().to_string();
            let (d, t) = (rel(&p), rel(&trace));
            let dump = report(&[&d]);
            let alone = report(&[&t]);
            let fused = report(&[&d, &t]);
            let still = waiting(&dump);
            for l in lost(&dump, &fused, |_| true) {
                problems.push(format!("{d} + trace: dump finding {l}"));
            }
            let confirmed = |f: &Value| ids(f).iter().any(|g| still.contains(g));
            for l in lost(&alone, &fused, confirmed) {
                problems.push(format!("{d} + trace: trace finding {l}"));
            }
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} dump+trace pairs");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

//! Whole-process tests of `gostuck trace` and of `gostuck analyze` with Go
//! execution traces, on traces captured from real programs
//! (`scripts/capture-traces.sh`; the `dumped` mode writes a trace and a
//! goroutine dump of the same process).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod support;
use support::repo;

/// The Go versions with a dump-and-trace capture.
const DUMPED: &[&str] = &["go1.22.10", "go1.24.11", "go1.27.3"];

fn traces(ver: &str) -> PathBuf {
    repo().join("testdata/captured").join(ver).join("traces")
}

fn gostuck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn trace_text_reports_blocked_goroutines_with_stacks_and_unblockers() {
    for ver in DUMPED {
        let t = traces(ver).join("deadlocked.trace");
        let out = gostuck(&["trace", s(&t)]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{ver}: {text}");
        assert!(
            text.contains("Blocked when the trace ended, never unblocked"),
            "{ver}: {text}"
        );
        // The lock-order inversion: both goroutines blocked in sync, woken
        // before by main's close(start).
        for f in ["main.deadlocked.func1", "main.deadlocked.func2"] {
            assert!(
                text.contains(&format!("[sync] at {f} (prog/main.go:")),
                "{ver}: {f}: {text}"
            );
        }
        assert!(text.contains("[chan receive] at main.leak.func1"), "{ver}");
        assert!(
            text.contains("last unblocked by goroutine 1 at main.deadlocked"),
            "{ver}"
        );
        assert!(text.contains("never unblocked"), "{ver}");
        assert!(
            text.contains("created by goroutine 1 at main.leak"),
            "{ver}"
        );
        assert!(text.contains("Who unblocked whom"), "{ver}");
        assert!(
            text.contains("sync.(*Mutex).Lock"),
            "{ver}: the stack is printed"
        );
    }
}

#[test]
fn trace_goroutines_table_and_regions() {
    let t = traces("go1.27.3").join("mixed.trace");
    let out = gostuck(&["trace", s(&t), "--goroutines"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.code().is_some_and(|c| c < 2), "{text}");
    assert!(text.contains("Per goroutine"), "{text}");
    assert!(text.contains("task 1 \"mixed\""), "{text}");
    assert!(text.contains("phase: start"), "{text}");
    // Every goroutine gets a row, the runtime's too.
    assert!(text.contains("runtime.bgsweep"), "{text}");
    assert!(text.contains("main.mixed.func1"), "{text}");
}

#[test]
fn trace_json_has_every_goroutine_and_the_blocked_groups() {
    for ver in DUMPED {
        let t = traces(ver).join("deadlocked.trace");
        let out = gostuck(&["trace", s(&t), "--format", "json"]);
        assert_eq!(out.status.code(), Some(1));
        let d = json(&out);
        assert_eq!(d["schema"], "gostuck.trace.v1");
        assert!(d["events"].as_u64().unwrap() > 50);
        let blocked = d["blocked_at_end"].as_array().unwrap();
        let g = blocked
            .iter()
            .find(|b| b["site"]["function"] == "main.deadlocked.func1")
            .unwrap_or_else(|| panic!("{ver}: {blocked:#?}"));
        assert_eq!(g["reason"], "sync");
        assert_eq!(g["stuck"], true);
        assert!(g["blocked_for_ns"].as_i64().unwrap() > 0);
        let id = g["goroutines"][0].as_i64().unwrap();
        let info = d["goroutines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap();
        assert_eq!(info["state"], "waiting");
        assert_eq!(info["created_by"], 1);
        assert_eq!(info["creation_site"]["function"], "main.deadlocked");
        assert!(info["blocked_ns"]["sync"].as_i64().unwrap() > 0);
        assert_eq!(info["blocks"], 2, "{ver}: chan receive, then sync");
        assert_eq!(info["current_block"]["reason"], "sync");
        assert!(info["current_block"]["end_ns"].is_null());
        let first = &info["longest_blocks"][0];
        assert_eq!(first["reason"], "chan receive", "{ver}");
        assert_eq!(first["unblocked_by"], 1, "{ver}");
        assert_eq!(
            first["unblock_site"]["function"], "main.deadlocked",
            "{ver}"
        );
    }
}

#[test]
fn pprof_sync_writes_a_gzipped_profile() {
    let dir = std::env::temp_dir().join(format!("gostuck-pprof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_pb = dir.join("sync.pb.gz");
    let t = traces("go1.27.3").join("mixed.trace");
    let out = gostuck(&["trace", s(&t), "--pprof-sync", s(&out_pb)]);
    assert!(out.status.code().is_some_and(|c| c < 2));
    let bytes = std::fs::read(&out_pb).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip");
    // With a Go toolchain: `go tool pprof -top` prints the same as for
    // `go tool trace -pprof=sync` of the same trace.
    if let Some(go) = support::go() {
        for name in ["mixed", "deadlocked", "procs", "dumped"] {
            let t = traces("go1.27.3").join(format!("{name}.trace"));
            let ours = dir.join(format!("{name}.ours.pb.gz"));
            let theirs = dir.join(format!("{name}.go.pb"));
            let out = gostuck(&["trace", s(&t), "--pprof-sync", s(&ours), "-o", "/dev/null"]);
            assert!(out.status.code().is_some_and(|c| c < 2));
            let go_out = Command::new(&go)
                .args(["tool", "trace", "-pprof=sync", s(&t)])
                .output()
                .unwrap();
            assert!(go_out.status.success());
            std::fs::write(&theirs, &go_out.stdout).unwrap();
            let top = |p: &Path| {
                let o = Command::new(&go)
                    .args(["tool", "pprof", "-top", "-nodecount=20", s(p)])
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                let mut lines: Vec<String> = String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .skip_while(|l| !l.trim_start().starts_with("flat"))
                    .map(str::to_owned)
                    .collect();
                // Equal totals keep their order unspecified.
                lines.sort();
                lines
            };
            assert_eq!(top(&ours), top(&theirs), "{name}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn analyze_dump_and_trace_cross_checks_them() {
    for ver in DUMPED {
        let dir = traces(ver);
        let dump = dir.join("dumped.dump.txt");
        let trace = dir.join("dumped.trace");
        let out = gostuck(&[
            "analyze",
            s(&dump),
            s(&trace),
            "--source",
            "testdata/traces",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{ver}");
        let r = json(&out);
        assert_eq!(r["verdict"], "partial-deadlock", "{ver}");
        assert_eq!(r["inputs"][1]["format"], "trace");
        let cycle = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == "lock-cycle")
            .unwrap_or_else(|| panic!("{ver}: no lock-cycle"));
        let expl = cycle["explanation"].as_str().unwrap();
        assert!(expl.contains("The trace confirms it"), "{ver}: {expl}");
        assert!(expl.contains("last unblocked them"), "{ver}: {expl}");
        // The trace's view of the cycle's goroutines: confirmed.
        let tr = &r["trace"][0];
        assert_eq!(tr["input"], 1);
        let gs = tr["goroutines"].as_array().unwrap();
        for id in cycle["goroutines"].as_array().unwrap() {
            let g = gs.iter().find(|g| g["goroutine"] == *id).unwrap();
            if g["site"]["function"] != "main.dumped.func1" {
                continue; // the WaitGroup waiter behind the cycle
            }
            assert_eq!(g["dump"], "confirmed", "{ver}: {g}");
            assert_eq!(g["reason"], "sync");
            assert!(g["blocked_for_ns"].as_i64().unwrap() > 0);
            assert_eq!(g["last_unblock"]["by"], 1, "{ver}: woken by close(start)");
        }
        // Disagreements are warnings: the receiver released after the trace
        // (not in the dump) and the sender that blocked after it.
        let warnings: Vec<&str> = r["inputs"][1]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        let all = warnings.join("\n");
        assert!(all.contains("confirmed at the same site"), "{ver}: {all}");
        assert!(
            all.contains(
                "prog/dumped.go:56 [chan receive] when the trace ended, but not in the dump"
            ),
            "{ver}: {all}"
        );
        assert!(
            all.contains("main.dumped.func5:64")
                && all.contains("moved on after the trace stopped"),
            "{ver}: {all}"
        );
        let statuses: Vec<&str> = gs.iter().filter_map(|g| g["dump"].as_str()).collect();
        assert!(statuses.contains(&"not-in-dump"), "{ver}: {statuses:?}");
        assert!(statuses.contains(&"different-site"), "{ver}: {statuses:?}");
    }
}

#[test]
fn analyze_trace_alone_gives_possible_findings() {
    for ver in DUMPED {
        let trace = traces(ver).join("deadlocked.trace");
        // With the source: the engine's findings, capped at possible.
        let out = gostuck(&[
            "analyze",
            s(&trace),
            "--source",
            "testdata/traces",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{ver}");
        let r = json(&out);
        assert_eq!(r["inputs"][0]["format"], "trace");
        let findings = r["findings"].as_array().unwrap();
        assert!(
            findings.iter().all(|f| f["confidence"] == "possible"),
            "{ver}"
        );
        let kinds: Vec<&str> = findings
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        for k in [
            "lock-cycle",
            "channel-no-partner",
            "waitgroup-never-done",
            "select-no-cases",
        ] {
            assert!(kinds.contains(&k), "{ver}: {k} missing from {kinds:?}");
        }
        assert!(r["summary"]
            .as_str()
            .unwrap()
            .starts_with("From an execution trace"));
        // Without the source: findings by block reason.
        let out = gostuck(&["analyze", s(&trace), "--no-source", "--format", "json"]);
        assert_eq!(out.status.code(), Some(1), "{ver}");
        let r = json(&out);
        let findings = r["findings"].as_array().unwrap();
        assert!(!findings.is_empty(), "{ver}");
        assert!(findings.iter().all(|f| f["confidence"] == "possible"));
        let blocked: Vec<u64> = findings
            .iter()
            .flat_map(|f| f["goroutines"].as_array().unwrap().iter())
            .map(|g| g.as_u64().unwrap())
            .collect();
        let groups = r["trace"][0]["goroutines"].as_array().unwrap();
        for g in groups {
            let id = g["goroutine"].as_u64().unwrap();
            if g["stack"].as_array().unwrap().is_empty() {
                continue;
            }
            assert!(
                blocked.contains(&id),
                "{ver}: goroutine {id} blocked but in no finding"
            );
        }
    }
}

#[test]
fn analyze_reads_a_trace_from_stdin() {
    let trace = std::fs::read(traces("go1.27.3").join("deadlocked.trace")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(["analyze", "-", "--no-source"])
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&trace).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("trace (go 1.26 trace)"), "{text}");
}

#[test]
fn damaged_and_old_traces_are_input_errors() {
    let dir = std::env::temp_dir().join(format!("gostuck-badtrace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Go 1.21's format is refused with a message naming the version.
    let old = repo().join("testdata/captured/go1.21.13/traces/mixed.trace");
    let out = gostuck(&["trace", s(&old)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1.21"), "{err}");
    // A truncated trace: the complete part is analysed, the error is a warning.
    let bytes = std::fs::read(traces("go1.27.3").join("gens.trace")).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = gostuck(&["trace", s(&cut)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.code().is_some_and(|c| c < 2), "{text}");
    assert!(text.contains("could not be read to the end"), "{text}");
    assert!(
        text.contains("at byte") && text.contains("in batch at byte"),
        "the error names the byte offset and the batch: {text}"
    );
    // Only a header: an input error.
    let hdr = dir.join("hdr.trace");
    std::fs::write(&hdr, &bytes[..20]).unwrap();
    let out = gostuck(&["trace", s(&hdr)]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

//! `--why N` on real captures: the liveness model and the wait-for graph, as
//! the passes used them, for one goroutine.

use std::process::Command;

use serde_json::Value;

mod support;
use support::repo;

fn why(dump: &str, n: u64) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args([
            "analyze",
            dump,
            "--source",
            "testdata/scenarios",
            "-f",
            "json",
            "--why",
        ])
        .arg(n.to_string())
        .current_dir(repo())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["why"].clone()
}

fn ruled(w: &Value, verdict: &str) -> Vec<u64> {
    let mut ids: Vec<u64> = w["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == verdict)
        .flat_map(|c| {
            c["goroutines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_u64().unwrap())
        })
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn why_names_the_workers_that_could_still_call_done_in_a_lock_cycle() {
    for v in ["go1.21.13", "go1.27.3"] {
        let dump = format!("testdata/captured/{v}/abba.txt");
        let text = std::fs::read_to_string(repo().join(&dump)).unwrap();
        // The two transfers are the goroutines created by main.
        let workers: Vec<u64> = text
            .split("\n\n")
            .filter(|s| s.contains("main.transfer("))
            .filter_map(|s| {
                s.strip_prefix("goroutine ")?
                    .split(' ')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(workers.len(), 2, "{v}");
        let w = why(&dump, 1);
        assert_eq!(w["goroutine"], 1);
        assert!(
            w["waits_for"].as_str().unwrap().contains("WaitGroup"),
            "{v}: {w}"
        );
        assert_eq!(w["finding"], "F1", "{v}");
        let mut want = workers.clone();
        want.sort_unstable();
        assert_eq!(ruled(&w, "ruled in"), want, "{v}: {w}");
    }
}

#[test]
fn why_rules_out_the_goroutine_that_took_the_dump() {
    // runtime.Stack(buf, true) from main while main holds r.mu: the lock
    // waiter is ruled in behind main (it holds the lock), the dumper is main.
    let dump = "testdata/captured/go1.27.3/runtime-stack.txt";
    let w = why(dump, 1);
    assert!(
        w["liveness"].as_str().unwrap().contains("took this dump"),
        "{w}"
    );
    let text = std::fs::read_to_string(repo().join(dump)).unwrap();
    let waiter: u64 = text
        .split("\n\n")
        .find(|s| s.contains("[sync.Mutex.Lock]"))
        .and_then(|s| {
            s.strip_prefix("goroutine ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap();
    let w = why(dump, waiter);
    assert_eq!(ruled(&w, "ruled in"), vec![1], "{w}");
}

#[test]
fn why_for_a_goroutine_not_in_the_dump_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args([
            "analyze",
            "testdata/captured/go1.27.3/abba.txt",
            "--why",
            "99999",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no goroutine 99999"));
}

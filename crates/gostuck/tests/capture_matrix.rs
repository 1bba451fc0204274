//! Capture invariance: the same stuck state, captured every way a user
//! captures it (testdata/captured/matrix/go<ver>/<scenario>/<way>.*, made by
//! scripts/capture-matrix.sh), must give the findings of the scenario's
//! expectation (testdata/expected/<scenario>.json).
//!
//! The rule, per cell (version × scenario × way):
//! - `native` (the capture a user gets without doing anything: the runtime's
//!   deadlock report, the program's own dump, or SIGQUIT for live programs)
//!   must match the expectation exactly, as in tests/scenarios.rs.
//! - Every other way keeps the process alive while it is dumped, so a global
//!   deadlock may legitimately be reported as a partial one: the verdict must
//!   be in the expected verdict's class (`global-deadlock` and
//!   `partial-deadlock` form the class "deadlock"; every other verdict is its
//!   own class). The findings must match one to one in kind, goroutine count,
//!   blocked and acquired lines; only the confidence may differ.
//!   Where the way injects a heartbeat ticker (SIGQUIT, pprof), an expected
//!   `select-no-cases` is not expected: beside a goroutine at work, `select
//!   {}` is a daemon's park (`in_way`).
//! - A goroutineleak profile that lists no goroutine (`total 0`: the
//!   runtime's GC proved no leak, as for goroutines blocked on what live
//!   code still references) carries no evidence of the stuck state: such a
//!   cell must report no finding, no deadlock-class verdict, and the note
//!   that says what an empty leak profile does not prove.
//! - A goroutineleak profile at `debug=1` lists only the goroutines the
//!   runtime proved leaked, often a part of the stuck state: an expected
//!   finding is required only when one of its blocked lines is on a stack
//!   of the profile, and every reported finding must be a part of an
//!   expected one (same kind, lines and count within it); without any
//!   required finding the verdict must not be `healthy` (`unknown`).
//! - A scenario whose expectation is `healthy` must, in every way, report no
//!   finding at `likely` or `certain` and no deadlock-class verdict.
//!
//! The engine does not meet this everywhere yet, so the test is a ratchet over
//! testdata/expected/matrix-known-gaps.txt (`go<ver> <scenario> <way>  # why`):
//! it fails on a failing cell that is not listed and on a listed cell that now
//! passes or no longer exists, so the list can only shrink. Set
//! GOSTUCK_UPDATE_GAPS=1 to rewrite the list from the current results.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::Value;

mod support;
use support::{compare, compare_findings, gostuck, repo, roles};

const VERSIONS: [&str; 4] = ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"];
/// The capture ways, in the order of the summary table.
const WAYS: [&str; 10] = [
    "native",
    "sigquit",
    "watchdog",
    "pprof-debug2",
    "pprof-debug1",
    "pprof-debug0",
    "goroutineleak-debug2",
    "goroutineleak-debug1",
    "testmain-watchdog",
    "gotest-timeout",
];
const GAPS: &str = "testdata/expected/matrix-known-gaps.txt";

/// One capture: `go<ver> <scenario> <way>` and its file (relative to the repo).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Cell {
    version: String,
    scenario: String,
    way: String,
    file: String,
}

impl Cell {
    fn key(&self) -> String {
        format!("{} {} {}", self.version, self.scenario, self.way)
    }
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Every capture of the matrix (a way with only a `.meta`, saying why it was
/// skipped, is not a cell).
fn cells(root: &Path) -> Vec<Cell> {
    let mut out = Vec::new();
    for v in sorted_dirs(&root.join("testdata/captured/matrix")) {
        for s in sorted_dirs(&v) {
            for e in std::fs::read_dir(&s).unwrap().flatten() {
                let file = name(&e.path());
                let way = file
                    .strip_suffix(".txt")
                    .or_else(|| file.strip_suffix(".pb.gz"));
                if let Some(way) = way {
                    out.push(Cell {
                        version: name(&v),
                        scenario: name(&s),
                        way: way.to_string(),
                        file: format!("testdata/captured/matrix/{}/{}/{file}", name(&v), name(&s)),
                    });
                }
            }
        }
    }
    out.sort();
    out
}

fn verdict_class(v: &Value) -> &str {
    match v.as_str().unwrap_or("") {
        "global-deadlock" | "partial-deadlock" => "deadlock",
        other => other,
    }
}

/// `verdict [kind×count@lines, …]`: what a report says, in one line.
fn describe(report: &Value) -> String {
    let findings: Vec<String> = report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    let lines: Vec<String> = roles(f, "blocked").into_iter().collect();
                    format!(
                        "{}/{}×{}@{}",
                        f["kind"].as_str().unwrap_or("?"),
                        f["confidence"].as_str().unwrap_or("?"),
                        f["count"],
                        lines.join(",")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{} [{}]",
        report["verdict"].as_str().unwrap_or("?"),
        findings.join(" ")
    )
}

/// What is wrong with one cell's report (empty: the cell passes).
fn judge(cell: &Cell, report: &Value, want: &Value) -> Vec<String> {
    if want["verdict"] == "healthy" {
        let mut diffs = Vec::new();
        if verdict_class(&report["verdict"]) == "deadlock" {
            diffs.push(format!(
                "verdict {} for a healthy program",
                report["verdict"]
            ));
        }
        for f in report["findings"].as_array().unwrap() {
            if f["confidence"] == "likely" || f["confidence"] == "certain" {
                diffs.push(format!("{} {} finding", f["confidence"], f["kind"]));
            }
        }
        return diffs;
    }
    if cell.way == "native" {
        return compare(report, want);
    }
    if cell.way == "goroutineleak-debug1" {
        return judge_leak_profile(cell, report, want);
    }
    let want = &in_way(cell, want);
    let mut diffs = Vec::new();
    if verdict_class(&report["verdict"]) != verdict_class(&want["verdict"]) {
        diffs.push(format!(
            "verdict {} not in the class of {}",
            report["verdict"], want["verdict"]
        ));
    }
    diffs.extend(compare_findings(report, want, false));
    diffs
}

/// The ways whose injected code runs a heartbeat ticker beside the program
/// (zz_gostuck_capture.go: SIGQUIT needs a live process, the pprof server
/// keeps one). The ticker is a user goroutine at work, so a `select {}` in
/// the program is a daemon's park there (rule "a daemon's park is not a
/// deadlock", docs/findings.md), not the runtime's global deadlock.
const HEARTBEAT_WAYS: [&str; 6] = [
    "sigquit",
    "pprof-debug2",
    "pprof-debug1",
    "pprof-debug0",
    "goroutineleak-debug2",
    "goroutineleak-debug1",
];

/// The expectation as it holds in `cell`'s way: where a heartbeat runs, an
/// expected `select-no-cases` finding is not expected (every other finding
/// is, unchanged).
fn in_way(cell: &Cell, want: &Value) -> Value {
    let mut want = want.clone();
    if HEARTBEAT_WAYS.contains(&cell.way.as_str()) {
        if let Some(fs) = want["findings"].as_array_mut() {
            fs.retain(|f| f["kind"] != "select-no-cases");
        }
    }
    want
}

/// Whether a finding lies within an expected one: same kind, its blocked
/// and acquired lines among the expected ones, no more goroutines.
fn within(f: &Value, e: &Value) -> bool {
    let exp_blocked = support::strings(&e["blocked"]);
    let exp_acquired = support::strings(&e["acquired"]);
    f["kind"] == e["kind"]
        && f["count"].as_u64() <= e["goroutines"].as_u64()
        && roles(f, "blocked").iter().all(|l| exp_blocked.contains(l))
        && roles(f, "acquired")
            .iter()
            .all(|l| exp_acquired.contains(l))
}

/// A goroutineleak `debug=1` cell: the part of the expectation its stacks
/// show, and nothing beyond the expectation.
fn judge_leak_profile(cell: &Cell, report: &Value, want: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join(&cell.file)).unwrap_or_default();
    let shown = |line: &String| {
        text.lines()
            .any(|l| l.starts_with('#') && l.ends_with(&format!("/{line}")))
    };
    let got = report["findings"].as_array().unwrap();
    let exp = want["findings"].as_array().unwrap();
    let mut diffs = Vec::new();
    for f in got {
        if !exp.iter().any(|e| within(f, e)) {
            diffs.push(format!(
                "{} {:?} is no part of an expected finding",
                f["kind"],
                roles(f, "blocked")
            ));
        }
    }
    let mut required = 0;
    for e in exp {
        let visible: Vec<String> = support::strings(&e["blocked"])
            .into_iter()
            .filter(|l| shown(l))
            .collect();
        if visible.is_empty() {
            continue;
        }
        required += 1;
        let found = got
            .iter()
            .any(|f| within(f, e) && visible.iter().all(|l| roles(f, "blocked").contains(l)));
        if !found {
            diffs.push(format!(
                "missing {} at {visible:?} (on the profile's stacks)",
                e["kind"]
            ));
        }
    }
    let class = verdict_class(&report["verdict"]);
    if required > 0 && class != verdict_class(&want["verdict"]) {
        diffs.push(format!(
            "verdict {} not in the class of {}",
            report["verdict"], want["verdict"]
        ));
    }
    if required == 0 && report["verdict"] == "healthy" {
        diffs.push(
            "verdict healthy from a leak profile that shows none of the stuck goroutines".into(),
        );
    }
    diffs
}

/// Whether the cell's capture is a goroutineleak profile listing no goroutine.
fn empty_leak_profile(cell: &Cell) -> bool {
    cell.way.starts_with("goroutineleak")
        && std::fs::read_to_string(repo().join(&cell.file))
            .is_ok_and(|t| t.trim_end() == "goroutineleak profile: total 0")
}

/// An empty leak profile proves nothing either way: no finding, no deadlock
/// verdict, and a note pointing at the goroutine profile.
fn judge_empty_leak_profile(report: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    if verdict_class(&report["verdict"]) == "deadlock" || report["verdict"] == "healthy" {
        diffs.push(format!(
            "verdict {} from an empty leak profile",
            report["verdict"]
        ));
    }
    if report["findings"].as_array().is_some_and(|f| !f.is_empty()) {
        diffs.push("findings from an empty leak profile".to_string());
    }
    let noted = report["inputs"].as_array().is_some_and(|inputs| {
        inputs.iter().any(|i| {
            i["notes"].as_array().is_some_and(|ns| {
                ns.iter()
                    .any(|n| n.as_str().is_some_and(|n| n.contains("goroutine profile")))
            })
        })
    });
    if !noted {
        diffs.push("no note on what an empty leak profile does not prove".to_string());
    }
    diffs
}

/// Runs gostuck on one cell: Ok(()) or Err((short reason, full diffs)).
fn check(cell: &Cell, want: Option<&Value>) -> Result<(), (String, String)> {
    let Some(want) = want else {
        let why = format!("no testdata/expected/{}.json", cell.scenario);
        return Err((why.clone(), why));
    };
    // The code a capture way adds to the program — a heartbeat ticker, the
    // net/http/pprof server, the test and TestMain that run main() — is the
    // user's own code in a real program (the package under test), read with
    // the rest of it. The plain watchdog that dumps from a library is left
    // without source on purpose: that is how such a dump usually arrives
    // (the rule for the dumping goroutine must hold without it).
    let mut args = vec![
        "analyze",
        "--format",
        "json",
        "--source",
        "testdata/scenarios",
    ];
    if cell.way != "watchdog" {
        args.extend(["--source", "testdata/capture/inject"]);
    }
    args.push(&cell.file);
    let (code, out, err) = gostuck(&args);
    let report: Value = match serde_json::from_str(&out) {
        Ok(r) if code == 0 || code == 1 => r,
        _ => {
            let why = format!(
                "exit {code}, no report: {}",
                err.lines().next().unwrap_or("")
            );
            return Err((why.clone(), why));
        }
    };
    let diffs = if empty_leak_profile(cell) {
        judge_empty_leak_profile(&report)
    } else {
        judge(cell, &report, want)
    };
    if diffs.is_empty() {
        return Ok(());
    }
    let mut short = format!("got {}", describe(&report));
    if short.len() > 160 {
        let cut = (0..=157)
            .rev()
            .find(|&i| short.is_char_boundary(i))
            .unwrap();
        short.truncate(cut);
        short.push_str("...");
    }
    Err((short, diffs.join("\n    ")))
}

fn expectations(root: &Path, cells: &[Cell]) -> BTreeMap<String, Value> {
    let scenarios: BTreeSet<&str> = cells.iter().map(|c| c.scenario.as_str()).collect();
    scenarios
        .into_iter()
        .filter_map(|s| {
            let p = root.join(format!("testdata/expected/{s}.json"));
            let text = std::fs::read_to_string(p).ok()?;
            Some((s.to_string(), serde_json::from_str(&text).unwrap()))
        })
        .collect()
}

/// Checks every cell on a few threads; results in the order of `cells`.
fn check_all(cells: &[Cell], want: &BTreeMap<String, Value>) -> Vec<Result<(), (String, String)>> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![Ok(()); cells.len()]);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(cell) = cells.get(i) else { break };
                let r = check(cell, want.get(&cell.scenario));
                results.lock().unwrap()[i] = r;
            });
        }
    });
    results.into_inner().unwrap()
}

/// `go<ver> <scenario> <way>` -> reason, from the known-gaps file.
fn read_gaps(root: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root.join(GAPS)).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let (cell, why) = l.split_once('#').unwrap_or((l, ""));
            let key: Vec<&str> = cell.split_whitespace().collect();
            assert_eq!(key.len(), 3, "{GAPS}: bad line {l:?}");
            (key.join(" "), why.trim().to_string())
        })
        .collect()
}

fn write_gaps(root: &Path, cells: &[Cell], results: &[Result<(), (String, String)>]) {
    let mut text = String::from(
        "# Capture-matrix cells that do not give the expected findings yet\n\
         # (crates/gostuck/tests/capture_matrix.rs). One line per cell:\n\
         # go<ver> <scenario> <way>  # what gostuck reports instead\n\
         # (verdict [kind/confidence×goroutines@blocked lines ...]).\n\
         # Fix the engine, then delete the lines: the test fails on a listed cell that passes.\n",
    );
    for (c, r) in cells.iter().zip(results) {
        if let Err((why, _)) = r {
            text.push_str(&format!("{}  # {why}\n", c.key()));
        }
    }
    std::fs::write(root.join(GAPS), text).unwrap();
}

/// scenario × way: passes / cells, over all versions, plus a total per way.
fn summary(cells: &[Cell], results: &[Result<(), (String, String)>]) -> String {
    let mut table: BTreeMap<&str, BTreeMap<&str, (usize, usize)>> = BTreeMap::new();
    let mut ways: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (c, r) in cells.iter().zip(results) {
        for e in [
            table
                .entry(&c.scenario)
                .or_default()
                .entry(&c.way)
                .or_default(),
            ways.entry(&c.way).or_default(),
        ] {
            e.1 += 1;
            if r.is_ok() {
                e.0 += 1;
            }
        }
    }
    let mut order: Vec<&str> = WAYS.to_vec();
    order.extend(ways.keys().filter(|w| !WAYS.contains(w)));
    let mut out = format!("{:<26}", "scenario");
    for w in &order {
        out.push_str(&format!(" {:>w$}", w, w = w.len().max(5)));
    }
    out.push('\n');
    let row = |name: &str, m: &BTreeMap<&str, (usize, usize)>| {
        let mut line = format!("{name:<26}");
        for w in &order {
            let cell = m
                .get(w)
                .map_or("-".to_string(), |(p, t)| format!("{p}/{t}"));
            line.push_str(&format!(" {:>w$}", cell, w = w.len().max(5)));
        }
        line + "\n"
    };
    for (s, m) in &table {
        out.push_str(&row(s, m));
    }
    out.push_str(&row("TOTAL", &ways));
    let empty = cells.iter().filter(|c| empty_leak_profile(c)).count();
    out.push_str(&format!(
        "({empty} goroutineleak cells are empty profiles, judged as evidence of nothing)\n"
    ));
    out
}

#[test]
fn every_capture_way_gives_the_findings_of_the_plain_capture() {
    let root = repo();
    let cells = cells(&root);
    let want = expectations(&root, &cells);
    let results = check_all(&cells, &want);
    eprintln!("{}", summary(&cells, &results));

    if std::env::var_os("GOSTUCK_UPDATE_GAPS").is_some() {
        write_gaps(&root, &cells, &results);
        return;
    }
    let mut gaps = read_gaps(&root);
    let mut problems: Vec<String> = VERSIONS
        .iter()
        .filter(|v| !cells.iter().any(|c| c.version == **v))
        .map(|v| format!("no matrix captures for {v} (run scripts/capture-matrix.sh)"))
        .collect();
    for (c, r) in cells.iter().zip(&results) {
        let listed = gaps.remove(&c.key());
        match (r, listed) {
            (Err((_, diffs)), None) => problems.push(format!(
                "{} ({}) fails and is not a known gap:\n    {diffs}",
                c.key(),
                c.file
            )),
            (Ok(()), Some(_)) => problems.push(format!(
                "{} passes now: delete its line from {GAPS}",
                c.key()
            )),
            _ => {}
        }
    }
    for k in gaps.keys() {
        problems.push(format!("{GAPS} lists {k}, which has no capture"));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

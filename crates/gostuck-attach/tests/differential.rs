//! Differential test on real processes: attach to a running scenario
//! program, then make the same process print its own SIGQUIT dump
//! (GOTRACEBACK=all), and require the same goroutines, states, wait reasons,
//! wait minutes (±1), creators and frames for every goroutine not running.

mod support;

use std::time::Duration;

use gostuck_attach::monotonic_ns;
use gostuck_attach::{snapshot, Binary, ProcessMemory, SnapshotOptions};
use gostuck_dump::{Dump, Goroutine};
use support::{build, go_of, Running};

/// Stuck programs that stay alive, healthy ones whose goroutines sit still
/// between two dumps a few milliseconds apart, and attach/shapes: every
/// shape of stack (elided middle, generics, inlined calls, locked to a
/// thread, a system call).
const SCENARIOS: &[&str] = &[
    "attach/shapes",
    "scenarios/broker-select-forever",
    "scenarios/daemon-signal-stuck",
    "scenarios/fanout-abandoned-results",
    "scenarios/semaphore-upload-leak",
    "scenarios/token-bucket-leak",
    "scenarios/cache-slow-refresh-healthy",
];

/// One goroutine as the comparison sees it (with its pprof labels when the
/// runtime prints them: Go 1.27 with GODEBUG=tracebacklabels=1).
fn describe(d: &Dump, g: &Goroutine, labels: bool) -> String {
    let mut s = format!("[{}]", d.str(g.state));
    if labels {
        for (k, v) in &g.labels {
            s += &format!(" {}={}", d.str(*k), d.str(*v));
        }
    }
    if g.flags.locked_to_thread {
        s += " locked";
    }
    if let Some(c) = &g.created_by {
        s += &format!(
            "\n  created by {} in {:?} at {}:{}",
            d.str(c.function),
            c.parent,
            d.str(c.file),
            c.line
        );
    }
    for f in g.frames.iter() {
        s += &format!("\n  {} {}:{}", d.str(f.function), d.str(f.file), f.line);
    }
    if let Some(e) = g.elided {
        s += &format!("\n  elided {e:?}");
    }
    s
}

fn is_running(d: &Dump, g: &Goroutine) -> bool {
    d.str(g.state) == "running" || g.flags.stack_unavailable
}

/// Differences between the attach snapshot and the SIGQUIT dump.
fn compare(ours: &Dump, theirs: &Dump, labels: bool) -> (Vec<String>, usize) {
    let mut diffs = Vec::new();
    let mut compared = 0;
    for t in &theirs.goroutines {
        let Some(id) = t.id.filter(|&id| id != 0) else {
            continue;
        };
        if is_running(theirs, t) {
            continue;
        }
        let Some(o) = ours.goroutines.iter().find(|g| g.id == Some(id)) else {
            diffs.push(format!(
                "goroutine {id} missing from the snapshot:\n{}",
                describe(theirs, t, labels)
            ));
            continue;
        };
        compared += usize::from(!t.frames.is_empty());
        let (a, b) = (describe(ours, o, labels), describe(theirs, t, labels));
        if a != b {
            diffs.push(format!("goroutine {id}:\nattach: {a}\nsigquit: {b}"));
        }
        let (wa, wb) = (o.wait_minutes.unwrap_or(0), t.wait_minutes.unwrap_or(0));
        if wa.abs_diff(wb) > 1 {
            diffs.push(format!("goroutine {id}: waited {wa} vs {wb} minutes"));
        }
    }
    for o in &ours.goroutines {
        let found = theirs.goroutines.iter().any(|t| t.id == o.id);
        if !found && !is_running(ours, o) {
            diffs.push(format!(
                "goroutine {:?} only in the snapshot:\n{}",
                o.id,
                describe(ours, o, labels)
            ));
        }
    }
    (diffs, compared)
}

fn differential(version: &str, programs: &[&str], flags: &[&str]) {
    let Some(go) = go_of(version) else {
        eprintln!("SKIP: no Go {version} toolchain (scripts/install-go.sh {version})");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for name in programs {
        let out = name.rsplit('/').next().unwrap_or(name);
        let bin_path = build(&go, name, tmp.path(), out, flags);
        let bin = Binary::open(&bin_path).expect("open the scenario binary");
        assert!(
            bin.go_version()
                .is_some_and(|v| v.starts_with(&format!("go{version}"))),
            "{:?}",
            bin.go_version()
        );
        // Labels in the header: Go 1.27 with a go.mod saying 1.27, or asked for.
        let mut run = Running::program(&bin_path, &[("GODEBUG", "tracebacklabels=1")]);
        std::thread::sleep(Duration::from_millis(1500));
        assert!(run.alive(), "{name} exited early");
        let mem = ProcessMemory::open(run.pid()).unwrap();
        let opts = SnapshotOptions {
            now_monotonic_ns: Some(monotonic_ns()),
            load_bias: mem.load_bias(&bin).unwrap(),
            ..Default::default()
        };
        let pie = flags.contains(&"-buildmode=pie");
        assert_eq!(bin.is_position_independent(), pie);
        assert_eq!(opts.load_bias != 0, pie, "bias {:#x}", opts.load_bias);
        let snap = snapshot(&mem, &bin, &opts).expect("snapshot");
        assert!(run.alive(), "{name} died from the snapshot");
        let text = run.quit();
        let dumps = gostuck_dump::read_bytes(text.as_bytes(), &Default::default()).unwrap();
        let theirs = dumps
            .iter()
            .max_by_key(|d| d.goroutines.len())
            .expect("a SIGQUIT dump");
        assert!(theirs.goroutines.len() > 3, "{name}: {text}");
        assert!(
            snap.dump.warnings.is_empty(),
            "{name}: {:?}",
            snap.dump.warnings
        );
        let labels = !matches!(version, "1.21.13" | "1.22.10" | "1.24.11");
        let (diffs, compared) = compare(&snap.dump, theirs, labels);
        if labels && *name == "attach/shapes" {
            let labelled = snap
                .dump
                .goroutines
                .iter()
                .filter(|g| !g.labels.is_empty())
                .count();
            assert_eq!(labelled, 1, "the one goroutine with pprof labels");
        }
        // Every scenario has more parked goroutines with stacks than this.
        assert!(compared >= 8, "{name}: only {compared} goroutines compared");
        eprintln!(
            "go{version} {name}: {} goroutines read in {:?}, {} differences",
            snap.goroutines_read,
            snap.read_time,
            diffs.len()
        );
        for d in &diffs {
            failures.push(format!("go{version} {name}: {d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The other live scenarios that do not start and end goroutines all the
/// time (scripts/capture.sh: LIVE_SIGQUIT without CHURN), on the newest Go.
/// Not semaphore-saturated-healthy: its workers really move on (sleep →
/// chan send) between the attach and the SIGQUIT a few ms later.
const MORE: &[&str] = &[
    "scenarios/broker-dead-subscriber",
    "scenarios/broker-stuck-subscriber",
    "scenarios/pubsub-select-forever",
    "scenarios/daemon-signal-ctx",
    "scenarios/cache-refresh-early-return",
    "scenarios/session-sweeper-break",
];

#[test]
fn same_goroutines_as_sigquit_go1_27() {
    differential("1.27.3", SCENARIOS, &[]);
    differential("1.27.3", MORE, &[]);
}

#[test]
fn same_goroutines_as_sigquit_go1_24() {
    differential("1.24.11", SCENARIOS, &[]);
}

#[test]
fn same_goroutines_as_sigquit_go1_22() {
    differential("1.22.10", SCENARIOS, &[]);
}

#[test]
fn same_goroutines_as_sigquit_go1_21() {
    differential("1.21.13", SCENARIOS, &[]);
}

/// A position-independent executable is loaded at a bias from its link
/// addresses (the auxiliary vector's AT_ENTRY says where).
#[test]
fn same_goroutines_as_sigquit_pie_go1_27() {
    differential("1.27.3", &["attach/shapes"], &["-buildmode=pie"]);
}

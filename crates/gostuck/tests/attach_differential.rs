//! The differential for `gostuck attach` and core files (issue 17), on real
//! processes of every installed Go toolchain (GOSTUCK_GO, plus any named in
//! GOSTUCK_GO_MORE, colon-separated): a stuck scenario program is read three
//! ways — `gostuck attach PID`, a gcore core file, and finally its own
//! SIGQUIT dump — and the three must show the same goroutines (IDs, states,
//! wait reasons, wait minutes ±1, creators, frames of every goroutine not
//! running) and give the same findings. After `gostuck attach` the program
//! must still run and print its heartbeat. A GOTRACEBACK=crash kernel core
//! is checked against the dump the same crash printed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gostuck_dump::compare::{compare, CompareOptions};
use gostuck_dump::Dump;
use serde_json::Value;

mod support;
use support::{blocked_lines, build, gcore, go, gos, repo, Running, Scratch};

/// Stuck programs that stay alive: (scenario, a line it prints once stuck,
/// `go build` flags).
const SCENARIOS: &[(&str, &str, &[&str])] = &[
    ("heartbeat-stuck-transfers", "heartbeat 2 ", &[]),
    (
        "heartbeat-stuck-transfers",
        "heartbeat 2 ",
        &["-buildmode=pie"],
    ),
    ("sigquit", "waiting for first result", &[]),
    ("broker-select-forever", "", &[]),
];

/// Runs gostuck; (exit code, stdout, stderr).
fn gostuck(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = c.stdin.take().unwrap();
    if let Some(b) = stdin {
        input.write_all(b).unwrap();
    }
    drop(input);
    let o = c.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The goroutine dump in a program's SIGQUIT output, without goroutine 0
/// (a thread's scheduler stack, not a goroutine: nothing to attach to).
fn sigquit_dump(text: &str) -> Dump {
    let mut d = gostuck_dump::read_bytes(text.as_bytes(), &Default::default())
        .unwrap()
        .into_iter()
        .max_by_key(|d| d.goroutines.len())
        .unwrap();
    d.goroutines.retain(|g| g.id != Some(0));
    d
}

/// The verdict and each finding's kind and blocked lines.
fn findings(json: &str) -> (String, Vec<String>) {
    let r: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let mut fs: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {:?}", f["kind"], blocked_lines(f)))
        .collect();
    fs.sort();
    (r["verdict"].to_string(), fs)
}

fn opts(a: &str) -> CompareOptions {
    CompareOptions {
        names: [a.into(), "SIGQUIT".into()],
        minutes_slack: 1,
        strict: false,
    }
}

const SOURCE: &[&str] = &["--format", "json", "--source", "testdata/scenarios"];

/// One scenario on one toolchain; the differences found.
fn differential(
    go: &Path,
    gcore: &Path,
    (name, ready, flags): (&str, &str, &[&str]),
) -> Vec<String> {
    let dir = Scratch::new(name);
    let bin = build(go, name, &dir.0, flags);
    let mut cmd = Command::new(&bin);
    cmd.env("GOTRACEBACK", "all");
    let mut p = Running::start(cmd);
    if ready.is_empty() {
        std::thread::sleep(Duration::from_millis(1500));
    } else {
        assert!(p.wait_for_prefix(ready), "{name}: {:?}", p.seen);
    }
    let pid = p.pid().to_string();
    let mut failures = Vec::new();

    // gostuck attach PID --dump -o FILE, then the report.
    let file = dir.0.join("attach.txt");
    let (code, _, err) = gostuck(
        &["attach", &pid, "--dump", "-o", file.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0, "{name}: {err}");
    assert!(err.contains(&format!("paused process {pid} for ")), "{err}");
    let attached = gostuck_dump::read_bytes(&std::fs::read(&file).unwrap(), &Default::default())
        .unwrap()
        .remove(0);
    let beat = p.last_beat();
    let (code, attach_json, err) = gostuck(&[&["attach", &pid], SOURCE].concat(), None);
    assert!(code == 0 || code == 1, "{name}: {err}");

    // The program goes on: two more heartbeats.
    if name.starts_with("heartbeat") {
        let next = format!("heartbeat {} ", beat.max(p.last_beat()) + 2);
        assert!(
            p.wait_for_prefix(&next),
            "{name}: no {next} after attach: {:?}",
            p.seen
        );
    }

    // gcore, read by the library and analysed by the CLI.
    let core_base = dir.0.join("core");
    let o = Command::new(gcore)
        .arg("-o")
        .arg(&core_base)
        .arg(&pid)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let core = dir.0.join(format!("core.{pid}"));
    let t = Instant::now();
    let from_core = gostuck_attach::read_core(&core, None).unwrap();
    let core_time = t.elapsed();
    let (code, core_json, err) = gostuck(
        &[&["analyze", core.to_str().unwrap()], SOURCE].concat(),
        None,
    );
    assert!(code == 0 || code == 1, "{name}: {err}");
    let core_mb = std::fs::metadata(&core).unwrap().len() >> 20;
    std::fs::remove_file(&core).unwrap();

    // Last, the program's own dump.
    let text = p.quit();
    let sq = sigquit_dump(&text);
    let (_, sq_json, _) = gostuck(
        &[
            "analyze",
            "-",
            "--format",
            "json",
            "--source",
            "testdata/scenarios",
        ],
        Some(text.as_bytes()),
    );

    for (what, d) in [("attach", &attached), ("gcore", &from_core.dump)] {
        // The runtime may start its GC workers between this read and the
        // SIGQUIT: runtime-made goroutines with IDs above every ID read here
        // are not this read's to show. Everything else must be in both.
        let newest = d.goroutines.iter().filter_map(|g| g.id).max().unwrap_or(0);
        let mut later = sq.clone();
        later.goroutines.retain(|g| {
            let by_runtime = g
                .created_by
                .is_some_and(|c| sq.str(c.function).starts_with("runtime."));
            !(by_runtime && g.id.is_some_and(|id| id > newest))
        });
        let diff = compare(d, &later, &opts(what));
        if !diff.is_empty() {
            failures.push(format!("{name} {what}: {diff}"));
        }
        assert!(diff.matched >= 4, "{name} {what}: {diff}");
    }
    let want = findings(&sq_json);
    for (what, json) in [("attach", &attach_json), ("gcore", &core_json)] {
        let got = findings(json);
        if got != want {
            failures.push(format!("{name} {what} findings {got:?}, SIGQUIT {want:?}"));
        }
    }
    eprintln!(
        "{} {name} {flags:?}: {} goroutines; core {core_mb} MiB read in {core_time:?}; findings {:?}",
        go.display(),
        sq.goroutines.len(),
        want
    );
    failures
}

#[test]
fn attach_gcore_and_sigquit_agree_on_every_toolchain() {
    let Some(gcore) = gcore() else { return };
    let gos = gos();
    let mut failures = Vec::new();
    for go in &gos {
        for &s in SCENARIOS {
            failures.extend(differential(go, &gcore, s));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_gotraceback_crash_core_shows_what_the_crash_printed() {
    let Some(go) = go() else { return };
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    if pattern.starts_with('|') || pattern.contains('/') {
        eprintln!(
            "skipped: core_pattern `{}` does not write cores to the working directory",
            pattern.trim()
        );
        return;
    }
    let name = "heartbeat-stuck-transfers";
    let dir = Scratch::new("crash");
    let bin = build(&go, name, &dir.0, &[]);
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -c unlimited && exec \"$0\""])
        .arg(&bin)
        .current_dir(&dir.0)
        .env("GOTRACEBACK", "crash");
    let mut p = Running::start(cmd);
    assert!(p.wait_for_prefix("heartbeat 2 "), "{:?}", p.seen);
    let text = p.quit();
    let Some(core) = std::fs::read_dir(&dir.0)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("core"))
        })
    else {
        eprintln!("skipped: no core was written (RLIMIT_CORE hard limit?)");
        return;
    };
    let got = gostuck_attach::read_core(&core, Some(&bin)).unwrap();
    let sq = sigquit_dump(&text);
    let diff = compare(&got.dump, &sq, &opts("the core"));
    assert!(diff.is_empty(), "{diff}");
    assert!(diff.matched >= 6, "{diff}");
    // The CLI finds the executable from the core alone.
    let (code, json, err) = gostuck(
        &[&["analyze", core.to_str().unwrap()], SOURCE].concat(),
        None,
    );
    assert_eq!(code, 1, "{err}");
    let (_, sq_json, _) = gostuck(
        &[
            "analyze",
            "-",
            "--format",
            "json",
            "--source",
            "testdata/scenarios",
        ],
        Some(text.as_bytes()),
    );
    assert_eq!(findings(&json), findings(&sq_json));
    // A --binary of another program is refused, and says why.
    let (code, _, err) = gostuck(
        &["analyze", core.to_str().unwrap(), "--binary", "/bin/sh"],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a Go program"), "{err}");
    let other = build(&go, "sigquit", &dir.0, &[]);
    let (code, _, err) = gostuck(
        &[
            "analyze",
            core.to_str().unwrap(),
            "--binary",
            other.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not the program the core"), "{err}");
}

/// The state letter of process `pid` (`/proc/PID/stat`).
fn state(pid: u32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s[s.rfind(')')? + 1..].trim_start().chars().next()
}

#[test]
fn ctrl_c_during_the_pause_continues_the_program_first() {
    let Some(go) = go() else { return };
    let dir = Scratch::new("interrupt");
    let bin = build(&go, "idle-subscribers-100k", &dir.0, &[]);
    let mut p = Running::start(Command::new(&bin));
    assert!(p.wait_for_prefix("ready "), "{:?}", p.seen);
    let pid = p.pid();
    let out = dir.0.join("dump.txt");
    let mut g = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(["attach", &pid.to_string(), "--dump", "-o"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ctrl-C once the program is stopped (copying 100,000 goroutines takes a while).
    let mut interrupted = false;
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end && g.try_wait().unwrap().is_none() {
        if state(pid) == Some('T') {
            Command::new("kill")
                .args(["-INT", &g.id().to_string()])
                .status()
                .unwrap();
            interrupted = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let o = g.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    if interrupted {
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("interrupted (the process was continued first)"),
            "{err}"
        );
        assert!(!out.exists(), "a dump was written although interrupted");
    } else {
        eprintln!("the pause ended before it was seen: only the program's state is checked");
    }
    // Not left stopped: it beats on.
    let beat = p.last_beat();
    assert!(
        p.wait_for_prefix(&format!("heartbeat {} ", beat + 2)),
        "{:?}",
        state(pid)
    );
}

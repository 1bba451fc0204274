//! `gostuck run`, `fetch` and `watch` against real Go programs built by the
//! pinned toolchain (GOSTUCK_GO, set by scripts/test.sh). Without it they are
//! skipped locally and fail under CI. Network: 127.0.0.1 only; every child is
//! bounded in time and killed when a test ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::{blocked_lines, go, repo, Guard};

fn scenarios() -> PathBuf {
    repo().join("testdata/scenarios")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gostuck-cmd-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The environment every Go invocation gets: offline, this toolchain only.
fn go_env(c: &mut Command) -> &mut Command {
    c.env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env_remove("GOTRACEBACK")
        .env_remove("GODEBUG")
}

fn build(go: &Path, name: &str, dir: &Path) -> PathBuf {
    let bin = dir.join(name);
    let st = go_env(Command::new(go).args(["build", "-o"]).arg(&bin).arg("."))
        .current_dir(scenarios().join(name))
        .status()
        .unwrap();
    assert!(st.success(), "go build of {name} failed");
    bin
}

/// Runs gostuck with a deadline; stdout and stderr are captured.
fn gostuck(args: &[&str], dir: &Path, limit: Duration) -> Output {
    gostuck_env(args, dir, limit, &[])
}

/// [`gostuck`] with extra environment variables (GITHUB_ACTIONS is unset
/// unless given here).
fn gostuck_env(args: &[&str], dir: &Path, limit: Duration, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gostuck"));
    c.env_remove("GITHUB_ACTIONS").envs(env.iter().copied());
    go_env(&mut c)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let pid = child.id();
    let start = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY-free: kill by the PID we started.
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!(
                "gostuck {args:?} did not finish within {limit:?} (started {:?} ago)",
                start.elapsed()
            );
        }
    }
}

fn json_file(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn run_catches_a_hung_go_test_and_passes_its_output_through_byte_for_byte() {
    let Some(go) = go() else { return };
    let tmp = tmpdir("hang-v");
    let copy = tmp.join("child-stdout");
    let report = tmp.join("report.json");
    let src = scenarios();
    // tee keeps an independent copy of exactly what `go test` wrote.
    let out = gostuck(
        &[
            "run",
            "--stall",
            "2s",
            "-f",
            "json",
            "-o",
            report.to_str().unwrap(),
            "-s",
            src.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "\"$0\" test -count=1 -v | tee \"$1\"",
            go.to_str().unwrap(),
            copy.to_str().unwrap(),
        ],
        &scenarios().join("gotest-hang"),
        Duration::from_secs(90),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let teed = std::fs::read(&copy).unwrap();
    assert!(
        out.stdout == teed,
        "gostuck's stdout differs from the command's ({} vs {} bytes)",
        out.stdout.len(),
        teed.len()
    );
    let s = text(&out.stdout);
    assert!(
        s.contains("payload line 1999: the quick brown fox\n"),
        "{err}"
    );
    let odd: &[u8] = b"\n\xff\xfe not utf-8 \x00 and a tab\tend\nno newline at the end";
    assert!(out.stdout.windows(odd.len()).any(|w| w == odd));
    assert!(
        s.contains("SIGQUIT: quit"),
        "the dump is in the test's stdout"
    );
    assert!(
        err.contains("sending SIGQUIT to gotest-hang.test (pid"),
        "{err}"
    );
    assert!(
        !s.contains("cmd/go/internal"),
        "the go command must not be dumped"
    );
    let r = json_file(&report);
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "recursive-lock", "{r}");
    assert_eq!(blocked_lines(f), ["cache.go:17"]);
    assert_eq!(
        r["inputs"][0]["running_tests"],
        serde_json::json!(["TestRefresh"])
    );
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn run_in_github_actions_annotates_the_blocked_lines_besides_its_sarif_report() {
    let Some(go) = go() else { return };
    let tmp = tmpdir("gha");
    let bin = build(&go, "abba", &tmp);
    let sarif = tmp.join("hang.sarif");
    let src = scenarios();
    let args = [
        "run",
        "--stall",
        "5s",
        "-f",
        "sarif",
        "-o",
        sarif.to_str().unwrap(),
        "-s",
        src.to_str().unwrap(),
        "--",
        bin.to_str().unwrap(),
    ];
    let gha = [("GITHUB_ACTIONS", "true")];
    let out = gostuck_env(&args, &tmp, Duration::from_secs(60), &gha);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert!(
        annotations
            .iter()
            .any(|l| l.starts_with("::error file=abba/main.go,line=28,title=gostuck lock-cycle")),
        "{stdout}"
    );
    let log = json_file(&sarif);
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "lock-cycle");
    // Off with the flag, and never outside GitHub Actions.
    let mut quiet = args.to_vec();
    quiet.insert(1, "--no-github-annotations");
    for (args, env) in [(&quiet[..], &gha[..]), (&args[..], &[][..])] {
        let out = gostuck_env(args, &tmp, Duration::from_secs(60), env);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(
            !text(&out.stdout).contains("::error"),
            "{}",
            text(&out.stdout)
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn run_names_the_hung_test_from_the_stacks_without_v() {
    let Some(go) = go() else { return };
    let src = scenarios();
    let out = gostuck(
        &[
            "run",
            "--stall",
            "2s",
            "-f",
            "json",
            "-s",
            src.to_str().unwrap(),
            "--",
            go.to_str().unwrap(),
            "test",
            "-count=1",
            "-timeout",
            "5m",
            ".",
        ],
        &scenarios().join("gotest-hang"),
        Duration::from_secs(90),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The JSON report is the tail of stderr; the command's stdout stays clean of it.
    let at = err.find("{\n  \"schema\"").expect(&err);
    let r: Value = serde_json::from_str(&err[at..]).unwrap();
    assert_eq!(r["findings"][0]["kind"], "recursive-lock", "{r}");
    assert_eq!(
        r["inputs"][0]["running_tests"],
        serde_json::json!(["TestRefresh"])
    );
    assert!(!text(&out.stdout).contains("\"schema\""));
    assert!(
        text(&out.stdout).contains("FAIL"),
        "go test's own verdict passes through"
    );
}

#[test]
fn run_dumps_a_go_run_program_the_runtime_cannot_judge() {
    let Some(go) = go() else { return };
    let tmp = tmpdir("sigquit");
    let report = tmp.join("r.json");
    let src = scenarios();
    let out = gostuck(
        &[
            "run",
            "--stall",
            "2s",
            "-f",
            "json",
            "-o",
            report.to_str().unwrap(),
            "-s",
            src.to_str().unwrap(),
            "--",
            go.to_str().unwrap(),
            "run",
            ".",
        ],
        &scenarios().join("sigquit"),
        Duration::from_secs(90),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(text(&out.stdout), "waiting for first result\n");
    // The program go run built got the signal, not cmd/go.
    assert!(err.contains("sending SIGQUIT to sigquit (pid"), "{err}");
    assert!(!err.contains("cmd/go/internal"), "{err}");
    let r = json_file(&report);
    assert_eq!(r["inputs"][0]["signal"], "SIGQUIT: quit", "{r}");
    let sites: Vec<(String, Vec<String>)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap().to_string(), blocked_lines(f)))
        .collect();
    assert!(
        sites
            .iter()
            .any(|(k, at)| k == "channel-never-closed" && at.contains(&"main.go:26".to_string())),
        "{sites:?}"
    );
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn run_adds_the_scheduler_view_with_schedtrace_and_only_for_the_program() {
    let Some(go) = go() else { return };
    let tmp = tmpdir("sched");
    let report = tmp.join("r.json");
    let out = gostuck(
        &[
            "run",
            "--schedtrace",
            "--stall",
            "4s",
            "--no-source",
            "-f",
            "json",
            "-o",
            report.to_str().unwrap(),
            "--",
            go.to_str().unwrap(),
            "run",
            ".",
            "-mode=stuck",
            "-for=60s",
        ],
        &scenarios().join("schedtrace"),
        Duration::from_secs(90),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // One process printed SCHED lines (the program, via go run -exec env
    // GODEBUG=…), so their clock only moves forward.
    let times: Vec<u64> = err
        .lines()
        .filter_map(|l| l.strip_prefix("SCHED "))
        .filter_map(|l| l.split("ms:").next()?.parse().ok())
        .collect();
    assert!(times.len() >= 4, "{err}");
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    let r = json_file(&report);
    let sched = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["format"] == "schedtrace")
        .unwrap_or_else(|| panic!("{r}"));
    let warnings = sched["warnings"].to_string();
    assert!(warnings.contains("[nothing-can-run]"), "{warnings}");
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn run_reports_nothing_for_a_healthy_busy_program_and_returns_its_status() {
    let Some(go) = go() else { return };
    let tmp = tmpdir("healthy");
    let bin = build(&go, "healthy-pool", &tmp);
    let out = gostuck(
        &[
            "run",
            "--stall",
            "1s",
            "--no-source",
            "--",
            bin.to_str().unwrap(),
        ],
        &tmp,
        Duration::from_secs(60),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.starts_with("HEALTHY"), "{err}");
    assert!(!err.contains("SIGQUIT"), "{err}");
    assert!(
        text(&out.stdout).contains("goroutine 1 [running]"),
        "the program's own dump passes through"
    );
    // A command that fails without a dump: its own status, no report.
    let out = gostuck(
        &["run", "--", "sh", "-c", "echo out; echo err >&2; exit 7"],
        &tmp,
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stdout), "out\n");
    assert!(
        text(&out.stderr).starts_with("err\n"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&tmp).ok();
}

/// Starts a server scenario and returns it with its port.
fn serve(bin: &Path, args: &[&str]) -> (Guard, u16) {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let guard = Guard(child);
    let port = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    (guard, port)
}

#[test]
fn fetch_diagnoses_a_live_server_with_a_partial_deadlock() {
    let Some(go) = go() else { return };
    let tmp = tmpdir("fetch");
    let bin = build(&go, "server-partial-deadlock", &tmp);
    let (_server, port) = serve(&bin, &["-leak=12"]);
    let save = tmp.join("saved");
    let src = scenarios();
    let url = format!("http://127.0.0.1:{port}/debug/pprof/");
    let out = gostuck(
        &[
            "fetch",
            &url,
            "--save",
            save.to_str().unwrap(),
            "--trace-seconds",
            "1",
            "-f",
            "json",
            "-s",
            src.to_str().unwrap(),
        ],
        &tmp,
        Duration::from_secs(60),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["verdict"], "partial-deadlock", "{r}");
    let kinds: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "lock-cycle", "{kinds:?}");
    assert_eq!(blocked_lines(&r["findings"][0]), ["main.go:36"]);
    assert!(kinds.contains(&"goroutine-leak"), "{kinds:?}");
    assert!(save.join("goroutine-debug2.txt").is_file());
    assert!(std::fs::metadata(save.join("trace.out")).unwrap().len() > 0);
    // Go 1.27 always serves goroutineleak; older toolchains answer 404 and fetch goes on.
    let leak = save.join("goroutineleak-debug2.txt").is_file();
    assert!(
        leak || err.contains("goroutineleak?debug=2: HTTP 404"),
        "{err}"
    );

    // The same as a self-contained HTML page, with the trace's timeline.
    let page = tmp.join("report.html");
    let out = gostuck(
        &[
            "fetch",
            &url,
            "--trace-seconds",
            "1",
            "-f",
            "html",
            "-o",
            page.to_str().unwrap(),
            "-s",
            src.to_str().unwrap(),
        ],
        &tmp,
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<span class=\"kind\">lock-cycle</span>"));
    if r.get("trace").is_some() {
        assert!(html.contains("<section id=\"timeline\""));
    }

    // Errors are exit status 2 with a message that says what to do.
    let bad = gostuck(
        &["fetch", &format!("http://127.0.0.1:{port}/nothing/here/")],
        &tmp,
        Duration::from_secs(30),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("404"), "{}", text(&bad.stderr));
    let tls = gostuck(
        &["fetch", "https://127.0.0.1:1/debug/pprof/"],
        &tmp,
        Duration::from_secs(30),
    );
    assert_eq!(tls.status.code(), Some(2));
    assert!(text(&tls.stderr).contains("https is not supported"));
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn watch_spots_a_leak_that_grows_between_samples() {
    let Some(go) = go() else { return };
    let tmp = tmpdir("watch");
    let bin = build(&go, "leaky-server", &tmp);
    // One leaked goroutine per 300ms: under the engine's one-dump leak threshold
    // in the last sample, so only the growth between samples reveals it.
    let (_server, port) = serve(&bin, &["-every=300ms"]);
    let url = format!("http://127.0.0.1:{port}");
    let src = scenarios();
    let out = gostuck(
        &[
            "watch",
            &url,
            "--every",
            "1s",
            "--samples",
            "3",
            "-f",
            "json",
            "-s",
            src.to_str().unwrap(),
        ],
        &tmp,
        Duration::from_secs(60),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("sample 3/3"), "{err}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["verdict"], "goroutine-leak", "{r}");
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "goroutine-leak", "{r}");
    assert_eq!(blocked_lines(f), ["main.go:24"]);
    assert!(
        f["explanation"]
            .as_str()
            .unwrap()
            .contains("grew across 3 samples"),
        "{f}"
    );
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn analyze_reads_scheduler_traces_beside_dumps() {
    // No Go needed: real captures from scripts/capture-sched.sh.
    let cap = repo().join("testdata/captured/go1.27.3/sched/stuck-detail.txt");
    let dump = repo().join("testdata/captured/go1.27.3/sigquit-default.txt");
    let out = gostuck(
        &[
            "analyze",
            "-f",
            "json",
            "-s",
            "testdata/scenarios",
            cap.to_str().unwrap(),
            dump.to_str().unwrap(),
        ],
        &repo(),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sched = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["format"] == "schedtrace")
        .unwrap();
    let w = sched["warnings"].to_string();
    assert!(
        w.contains("[nothing-can-run]") && w.contains("[blocked-throughout]"),
        "{w}"
    );
    // The same trace on stdin, alone: read, reported, nothing stuck from it alone.
    let mut c = Command::new(env!("CARGO_BIN_EXE_gostuck"))
        .args(["analyze", "-", "-f", "json"])
        .stdin(
            std::fs::File::open(
                repo().join("testdata/captured/go1.21.13/sched/syscall-detail.txt"),
            )
            .unwrap(),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut buf = Vec::new();
    std::io::Read::read_to_end(c.stdout.as_mut().unwrap(), &mut buf).unwrap();
    assert_eq!(c.wait().unwrap().code(), Some(0));
    let r: Value = serde_json::from_slice(&buf).unwrap();
    assert_eq!(r["inputs"][0]["format"], "schedtrace");
    assert!(
        r["inputs"][0]["warnings"]
            .to_string()
            .contains("[stuck-in-syscall]"),
        "{r}"
    );
}

#[test]
fn run_exits_1_for_findings_and_says_the_commands_own_status_beside_it() {
    let Some(go) = go() else { return };
    let tmp = tmpdir("exit-status");
    // abba deadlocks: the runtime prints `fatal error: all goroutines are
    // asleep` and exits with status 2.
    let bin = build(&go, "abba", &tmp);
    let out = gostuck(
        &["run", "--no-source", "--", bin.to_str().unwrap()],
        &tmp,
        Duration::from_secs(60),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // Said on the line just before the report.
    let report = err.find("GLOBAL DEADLOCK").expect(&err);
    assert!(
        err[..report].ends_with(
            "gostuck: exit status 1: findings reported (the command itself exited with status 2)\n"
        ),
        "{err}"
    );
    // Nothing to find and a failing command: its status, said to be its own.
    let out = gostuck(
        &["run", "--", "sh", "-c", "exit 1"],
        &tmp,
        Duration::from_secs(20),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with("gostuck: exit status 1 is the command's own")),
        "{err}"
    );
    std::fs::remove_dir_all(&tmp).ok();
}

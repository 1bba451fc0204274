//! `gostuck run -- CMD ARGS…`: runs a command, passes its output through,
//! notices when it hangs, makes the Go program in it dump its goroutines, and
//! analyses what it printed.

use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use gostuck_dump::Dump;

use crate::common::{self, parse_duration, Dest, ReportArgs};
use gostuck_capture::command::{self, exit_code, shell_words, Additions, Kind, Plan};
use gostuck_capture::proc;
use gostuck_capture::record::{self, Shared, Stream};
use gostuck_capture::supervise;

pub const LONG_ABOUT: &str = "\
Run a command (`go test ./...`, `go run .`, a built binary), and when it hangs, dump its goroutines and explain why.

The command's stdout and stderr pass through unchanged (and are recorded: the first 64 MiB and the last 256 MiB of each). GOTRACEBACK=all is set for it unless you set GOTRACEBACK yourself. gostuck watches for

  * a stall: no CPU time used by the whole process tree and no output for --stall;
  * the runtime's `fatal error: all goroutines are asleep - deadlock!`;
  * a `go test` timeout (`panic: test timed out after …`; -timeout is passed through unchanged).

On a stall it sends SIGQUIT to the Go program(s) in the tree — the test binary or the program `go run` built, never the `go` command itself — so the runtime prints every goroutine's stack and exits. Then it analyses everything the command printed and writes the report to stderr (or -o FILE), keeping the command's stdout clean.

Ctrl-C, SIGTERM and SIGHUP reach the command; Ctrl-\\ (SIGQUIT) asks for a dump at once. The command runs in its own process group (and gets the terminal when gostuck has it). When the command exits, whatever it left running in that group gets a second, then SIGTERM, then SIGKILL a second later, and gostuck says so; an error in gostuck ends the group too.

Exit status, first rule that applies:
  2  gostuck itself could not run the command or read its output (usage error, command not found);
  1  findings were reported, whatever the command's own status (a deadlocked Go program exits 2 and a timed-out `go test` 1: neither is passed through);
  N  otherwise the command's own exit status (0 when it succeeded, 128+S when it died of signal S).
So 1 and 2 can also be the command's own when nothing was found. Whenever the status is not 0, a line on stderr just before the report (or as the last line when there is nothing to report) says which rule gave it: `gostuck: exit status 1: findings reported (the command itself exited with status 2)` or `gostuck: exit status 1 is the command's own: gostuck found nothing stuck`; with --format json the report's `verdict` and `findings` say the same.";

pub const AFTER_HELP: &str = "\
Examples:
  gostuck run -- go test -run TestPopEmpty ./queue
  gostuck run --stall 5s -- go run ./cmd/server
  gostuck run --stall 2s -o report.json -f json -- ./mybinary -flag
  gostuck run --schedtrace -- go test ./...      (adds the scheduler's view to the report)
  gostuck run --trace -- go test ./pkg           (keeps an execution trace of the test)

Example output (stderr, after the command's own output and the dump):
  gostuck: no CPU progress and no output for 5s; sending SIGQUIT to gotest-hang.test (pid 9271) for a goroutine dump
  PARTIAL DEADLOCK  Partial deadlock while the program runs: `c.mu` locked again by the goroutine that holds it [recursive-lock] at gotest-hang/cache.go:17.
  input run:stdout  traceback · go1.27.3 · 7 goroutines
    signal: SIGQUIT: quit
    running tests: TestRefresh
  F1 recursive-lock [likely] `c.mu` locked again by the goroutine that holds it
  …";

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Declare a stall after this long without CPU progress and without output
    /// (e.g. 30s, 500ms, 2m).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub stall: Duration,
    /// For `go test`: also record an execution trace (adds -trace=<tmpfile>) and
    /// name the file in the report.
    #[arg(long)]
    pub trace: bool,
    /// Run the Go program with GODEBUG=schedtrace=1000 and add the scheduler's
    /// evidence to the report.
    #[arg(long)]
    pub schedtrace: bool,
    /// Do not print GitHub Actions annotations (`::error file=…,line=…::…`) to
    /// stdout; without this flag they are printed after the report when
    /// GITHUB_ACTIONS=true.
    #[arg(long)]
    pub no_github_annotations: bool,
    #[command(flatten)]
    pub report: ReportArgs,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// The command line to run, with gostuck's additions (the environment it
/// inherits is read here, not in the library).
fn plan(a: &RunArgs) -> Result<Plan> {
    let add = Additions {
        trace: a.trace,
        schedtrace: a.schedtrace,
        gotraceback_set: std::env::var_os("GOTRACEBACK").is_some(),
        godebug: std::env::var("GODEBUG").ok(),
    };
    Ok(command::plan(&a.command, &add)?)
}

fn note(msg: &str) {
    eprintln!("gostuck: {}", gostuck_report::escape_controls(msg));
}

/// How long what is left of the command's process group gets after the
/// command exits, and again after SIGTERM.
const GROUP_GRACE: Duration = Duration::from_secs(1);

pub fn run(a: RunArgs) -> Result<u8> {
    let plan = plan(&a)?;
    for n in &plan.notes {
        note(n);
    }
    let mut cmd = Command::new(&plan.program);
    cmd.args(&plan.args)
        .envs(plan.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    // Signals arrive on a self-pipe from here on; register before spawning so
    // nothing is missed.
    let mut signals = signal_hook::iterator::Signals::new([
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
    ])
    .context("installing signal handlers")?;
    let mut child = cmd.spawn().with_context(|| {
        format!(
            "cannot run `{}`",
            shell_words(std::iter::once(&plan.program).chain(&plan.args))
        )
    })?;
    let pid = i32::try_from(child.id()).context("the command's process ID")?;
    // From here on, every way out of this function (an error, a panic) ends
    // the command's process group.
    let mut group = proc::Group::new(pid).context("the command's process ID")?;
    let terminal = proc::Terminal::give(pid);

    let shared = Arc::new(Mutex::new(Shared::new()));
    let mut pumps = Vec::new();
    if let Some(out) = child.stdout.take() {
        let s = shared.clone();
        pumps.push(std::thread::spawn(move || {
            record::pump(out, Stream::Stdout, s)
        }));
    }
    if let Some(err) = child.stderr.take() {
        let s = shared.clone();
        pumps.push(std::thread::spawn(move || {
            record::pump(err, Stream::Stderr, s)
        }));
    }

    let watched = supervise::watch(
        &mut child,
        supervise::Watch {
            pid,
            group: &mut group,
            shared: &shared,
            stall: a.stall,
            notes: plan.notes.clone(),
        },
        &mut || signals.pending().collect(),
        &mut |m| note(m),
    )
    .context("waiting for the command")?;
    let supervise::Watched {
        status,
        mut notes,
        signaled,
        stalled,
    } = watched;
    drop(terminal);
    // Helpers the command started and left behind in its process group would
    // outlive us (and may hold the output pipes open): end them.
    if let Some(e) = group.end(GROUP_GRACE) {
        let how = if e.killed {
            "SIGTERM, then SIGKILL"
        } else {
            "SIGTERM"
        };
        let m = format!(
            "the command exited leaving {} process{} of its process group running; ended {} with {how}",
            e.left,
            if e.left == 1 { "" } else { "es" },
            if e.left == 1 { "it" } else { "them" },
        );
        note(&m);
        notes.push(m);
    }
    // Output still buffered in the pipes belongs to the report; grandchildren
    // holding the pipes open must not hold us forever.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pumps.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let child_code = exit_code(&status);

    let (stdout, stderr, running, pass_errors, dropped, total) = {
        let s = shared.lock().unwrap_or_else(|p| p.into_inner());
        (
            s.stdout.contents(),
            s.stderr.contents(),
            s.running.clone(),
            s.pass_errors.clone(),
            s.stdout.dropped() + s.stderr.dropped(),
            s.stdout.total() + s.stderr.total(),
        )
    };
    for e in &pass_errors {
        note(e);
    }
    if dropped > 0 {
        notes.push(format!(
            "the output ({total} bytes) was larger than gostuck keeps: {dropped} bytes in the middle were not analysed (they were passed through)"
        ));
    }
    let (mut inputs, sched) = read_outputs(&stdout, &stderr, a.report.exact, &mut notes);
    if let Some(f) = &plan.trace_file {
        notes.push(trace_note(f));
    }
    for input in &mut inputs {
        annotate(&mut input.dump, plan.kind, &running, &notes);
    }
    if inputs.is_empty() && sched.is_empty() {
        if child_code != 0 || !signaled.is_empty() {
            note(&format!(
                "exit status {child_code} is the command's own: no goroutine dump in its output, nothing to analyse"
            ));
        }
        if a.report.output.is_some() {
            let (report, read_from) = common::analyze(&[], &a.report, false)?;
            common::render(&report, &read_from, &a.report, Dest::Stderr)?;
        }
        return Ok(child_code);
    }
    let (mut report, read_from) = common::analyze(&inputs, &a.report, stalled)?;
    for (path, log) in &sched {
        gostuck_engine::add_sched(&mut report, path, log);
    }
    if inputs.is_empty() {
        if let Some(first) = report.inputs.first_mut() {
            first
                .notes
                .extend(notes.iter().map(|n| format!("gostuck run: {n}")));
        }
    }
    // Said before the report, so a JSON or SARIF report stays the tail of stderr.
    let stuck = gostuck_engine::is_stuck(&report);
    let (code, why) = exit_status(stuck, child_code);
    if !signaled.is_empty() && !stuck {
        note(&format!(
            "the command stalled, but its goroutine dump shows nothing stuck ({})",
            report.verdict.as_str()
        ));
    }
    if let Some(why) = why {
        note(&why);
    }
    common::render(&report, &read_from, &a.report, Dest::Stderr)?;
    github_annotations(&report, &a)?;
    Ok(code)
}

/// The dumps and scheduler traces in what the command printed; what could
/// not be read becomes a note.
type Outputs = (
    Vec<gostuck_engine::Input>,
    Vec<(String, gostuck_sched::SchedLog)>,
);

fn read_outputs(stdout: &[u8], stderr: &[u8], exact: bool, notes: &mut Vec<String>) -> Outputs {
    let mut inputs = Vec::new();
    let mut sched = Vec::new();
    let ropts = common::read_options(exact);
    for (name, bytes) in [("run:stdout", stdout), ("run:stderr", stderr)] {
        if bytes.is_empty() {
            continue;
        }
        match gostuck_sched::mixed::read_bytes(bytes, &ropts) {
            Ok(r) => {
                gostuck_engine::push_dumps(&mut inputs, name, r.dumps, false);
                if let Some(s) = r.sched {
                    sched.push((name.to_string(), s));
                }
            }
            Err(e) => {
                if !matches!(e, gostuck_dump::Error::NoDump) {
                    notes.push(format!(
                        "{name}: {}",
                        crate::common::error_message(&e.into())
                    ));
                }
            }
        }
    }
    (inputs, sched)
}

/// Where `--trace` left the execution trace, or why there is none.
fn trace_note(f: &std::path::Path) -> String {
    match std::fs::metadata(f) {
        Ok(m) if m.len() > 0 => format!(
            "execution trace kept at {} ({} bytes; `go tool trace {}`)",
            f.display(),
            m.len(),
            f.display()
        ),
        _ => format!(
            "no execution trace was written to {} (a test binary killed by a signal may not flush it)",
            f.display()
        ),
    }
}

/// The exit status of `gostuck run` and, when it is not 0, the line that says
/// whose it is. One rule, first match wins (2 for gostuck's own errors is
/// returned before this): findings reported → 1, whatever the command's own
/// status (a deadlocked Go program exits 2, which would read as a usage error);
/// nothing found → the command's own status.
fn exit_status(stuck: bool, child_code: u8) -> (u8, Option<String>) {
    match (stuck, child_code) {
        (true, 0) => (
            1,
            Some(
                "exit status 1: findings reported (the command itself exited with status 0)".into(),
            ),
        ),
        (true, c) => (
            1,
            Some(format!(
                "exit status 1: findings reported (the command itself exited with status {c})"
            )),
        ),
        (false, 0) => (0, None),
        (false, c) => (
            c,
            Some(format!(
                "exit status {c} is the command's own: gostuck found nothing stuck"
            )),
        ),
    }
}

/// In a GitHub Actions job (GITHUB_ACTIONS=true), the findings as workflow
/// commands on stdout too, so the blocked lines are annotated on the job and
/// the pull request, whatever format the report itself is in.
fn github_annotations(report: &gostuck_engine::Report, a: &RunArgs) -> Result<()> {
    let in_actions = std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true");
    let already = a.report.format == common::Fmt::Github && a.report.output.is_none();
    if !in_actions || a.no_github_annotations || already || report.findings.is_empty() {
        return Ok(());
    }
    let opts = gostuck_report::RenderOptions {
        repo: crate::repo_paths::find(report, &a.report.source),
        ..Default::default()
    };
    let mut out = std::io::stdout().lock();
    gostuck_report::render(
        report,
        gostuck_report::OutputFormat::Github,
        &opts,
        &mut out,
    )?;
    Ok(())
}

/// Adds what `run` knows to a dump before analysis: the running tests and the notes.
fn annotate(d: &mut Dump, kind: Kind, running: &[String], notes: &[String]) {
    if d.running_tests.is_empty() {
        if kind == Kind::GoTest && !running.is_empty() {
            d.running_tests = running.to_vec();
        } else {
            d.running_tests = d.tests_on_stacks();
        }
    }
    d.notes
        .extend(notes.iter().map(|n| format!("gostuck run: {n}")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        run: RunArgs,
    }

    #[test]
    fn findings_give_1_whatever_the_command_said_else_the_commands_own_status() {
        // A deadlocked Go program exits 2, a SIGQUIT-killed shell 131.
        for child in [0, 1, 2, 131] {
            let (code, why) = exit_status(true, child);
            assert_eq!(code, 1);
            assert!(why
                .unwrap()
                .ends_with(&format!("exited with status {child})")));
            let (code, why) = exit_status(false, child);
            assert_eq!(code, child);
            assert_eq!(why.is_some(), child != 0);
        }
    }

    fn plan_of(args: &[&str]) -> Plan {
        let t = T::try_parse_from(std::iter::once("x").chain(args.iter().copied())).unwrap();
        plan(&t.run).unwrap()
    }

    #[test]
    fn go_test_gets_the_trace_flag_and_schedtrace_via_exec() {
        let p = plan_of(&[
            "--trace",
            "--schedtrace",
            "--",
            "go",
            "test",
            "-timeout",
            "5s",
            "./...",
        ]);
        assert_eq!(p.kind, Kind::GoTest);
        let args: Vec<String> = p
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args[0], "test");
        assert!(
            args[1].starts_with("-trace=") && args[1].ends_with("trace.out"),
            "{args:?}"
        );
        assert!(args[2].starts_with("-exec=env GODEBUG="), "{args:?}");
        assert!(args[2].ends_with("schedtrace=1000"), "{args:?}");
        assert_eq!(&args[3..], ["-timeout", "5s", "./..."]);
        if let Some(f) = &p.trace_file {
            std::fs::remove_dir_all(f.parent().unwrap()).ok();
        }
    }

    #[test]
    fn other_commands_get_the_environment_only() {
        let p = plan_of(&["--trace", "--schedtrace", "--", "./server", "-x"]);
        assert_eq!(p.kind, Kind::Other);
        assert_eq!(p.args, ["-x"]);
        assert!(p
            .env
            .iter()
            .any(|(k, v)| k == "GODEBUG" && v.ends_with("schedtrace=1000")));
        assert_eq!(p.notes.len(), 1);
        let p = plan_of(&["--", "/usr/bin/go", "-C", "dir", "run", "."]);
        assert_eq!(p.kind, Kind::GoRun);
    }
}

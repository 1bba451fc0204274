//! `gostuck run -- CMD ARGS…`: runs a command, passes its output through,
//! notices when it hangs, makes the Go program in it dump its goroutines, and
//! analyses what it printed.

use std::ffi::OsString;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::common::{self, parse_duration, Dest, ReportArgs};
use gostuck_capture::command::{self, Additions, Kind, Plan};
use gostuck_capture::run;

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

pub fn run(a: RunArgs) -> Result<u8> {
    let plan = plan(&a)?;
    for n in &plan.notes {
        note(n);
    }
    // Signals arrive on a self-pipe from here on; register before spawning so
    // nothing is missed.
    let mut signals = signal_hook::iterator::Signals::new([
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
    ])
    .context("installing signal handlers")?;
    let ran = run::run(
        &plan,
        a.stall,
        &mut || signals.pending().collect(),
        &mut |m| note(m),
    )?;
    let mut notes = ran.notes;
    for e in &ran.pass_errors {
        note(e);
    }
    let got = gostuck_engine::captured::read_captured(
        &[("run:stdout", &ran.stdout), ("run:stderr", &ran.stderr)],
        a.report.exact,
    );
    for (name, e) in got.errors {
        notes.push(format!("{name}: {}", common::error_message(&e.into())));
    }
    let (mut inputs, sched) = (got.inputs, got.sched);
    if let Some(f) = &plan.trace_file {
        notes.push(run::trace_note(f));
    }
    let running = (plan.kind == Kind::GoTest).then_some(ran.running.as_slice());
    for input in &mut inputs {
        gostuck_engine::captured::annotate_run(&mut input.dump, running, &notes);
    }
    if inputs.is_empty() && sched.is_empty() {
        if ran.code != 0 || !ran.signaled.is_empty() {
            note(&format!(
                "exit status {} is the command's own: no goroutine dump in its output, nothing to analyse",
                ran.code
            ));
        }
        if a.report.output.is_some() {
            let (report, read_from) = common::analyze(&[], &a.report, false)?;
            common::render(&report, &read_from, &a.report, Dest::Stderr)?;
        }
        return Ok(ran.code);
    }
    let (mut report, read_from) = common::analyze(&inputs, &a.report, ran.stalled)?;
    for (path, log) in &sched {
        gostuck_engine::add_sched(&mut report, path, log);
    }
    if inputs.is_empty() {
        gostuck_engine::captured::note_run(&mut report, &notes);
    }
    // Said before the report, so a JSON or SARIF report stays the tail of stderr.
    let stuck = gostuck_engine::is_stuck(&report);
    let (code, why) = run::exit_status(stuck, ran.code);
    if !ran.signaled.is_empty() && !stuck {
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
        repo: common::repo_paths(report, &a.report.source),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        run: RunArgs,
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

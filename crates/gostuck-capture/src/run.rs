//! Running a command under watch for `gostuck run`: spawning it in its own
//! process group with its output pumped through and recorded, watching it
//! ([`crate::supervise`]), ending what it left behind, and the exit-status
//! rule of `gostuck run`.
//!
//! Nothing is printed here: lines meant for the user right away go through
//! the `say` callback; lines for the report are returned in [`Ran::notes`].

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::command::{exit_code, shell_words, Plan};
use crate::proc;
use crate::record::{self, Shared, Stream};
use crate::supervise;
use crate::{Error, Result};

/// How long what is left of the command's process group gets after the
/// command exits, and again after SIGTERM.
const GROUP_GRACE: Duration = Duration::from_secs(1);

/// How long output still buffered in the pipes is waited for after the
/// command exited (grandchildren may hold the pipes open).
const DRAIN: Duration = Duration::from_secs(5);

/// What running the command gave.
pub struct Ran {
    /// The command's exit code as a shell shows it ([`exit_code`]).
    pub code: u8,
    /// Notes for the report (the plan's, the watch's, and what was ended).
    pub notes: Vec<String>,
    /// The processes sent SIGQUIT.
    pub signaled: Vec<i32>,
    /// Whether a stall was declared.
    pub stalled: bool,
    /// What the command wrote to stdout (as kept: head and tail).
    pub stdout: Vec<u8>,
    /// What it wrote to stderr (as kept).
    pub stderr: Vec<u8>,
    /// The `go test -v` tests seen running and not finished.
    pub running: Vec<String>,
    /// Errors passing the output through (for the user, not the report).
    pub pass_errors: Vec<String>,
}

/// Runs `plan` until it exits, declaring a stall after `stall` without CPU
/// progress and output. Register the signal handlers `pending` reads before
/// calling this, so none is missed; `say` tells the user something now.
///
/// # Errors
/// The command could not be started or waited for.
pub fn run(
    plan: &Plan,
    stall: Duration,
    pending: &mut dyn FnMut() -> Vec<i32>,
    say: &mut dyn FnMut(&str),
) -> Result<Ran> {
    let mut cmd = Command::new(&plan.program);
    cmd.args(&plan.args)
        .envs(plan.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|source| Error::Spawn {
        command: shell_words(std::iter::once(&plan.program).chain(&plan.args)),
        source,
    })?;
    let pid = i32::try_from(child.id()).map_err(|_| Error::Pid)?;
    // From here on, every way out of this function (an error, a panic) ends
    // the command's process group.
    let mut group = proc::Group::new(pid).ok_or(Error::Pid)?;
    let terminal = proc::Terminal::give(pid);

    let shared = Arc::new(Mutex::new(Shared::new()));
    let mut pumps = Vec::new();
    if let Some(out) = child.stdout.take() {
        let s = shared.clone();
        pumps.push(std::thread::spawn(move || {
            record::pump(out, Stream::Stdout, s);
        }));
    }
    if let Some(err) = child.stderr.take() {
        let s = shared.clone();
        pumps.push(std::thread::spawn(move || {
            record::pump(err, Stream::Stderr, s);
        }));
    }

    let watched = supervise::watch(
        &mut child,
        supervise::Watch {
            pid,
            group: &mut group,
            shared: &shared,
            stall,
            notes: plan.notes.clone(),
        },
        pending,
        say,
    )
    .map_err(Error::Wait)?;
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
        let m = ended_note(e);
        say(&m);
        notes.push(m);
    }
    // Output still buffered in the pipes belongs to the report; grandchildren
    // holding the pipes open must not hold us forever.
    let deadline = Instant::now() + DRAIN;
    while pumps.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let s = shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dropped = s.stdout.dropped() + s.stderr.dropped();
    if dropped > 0 {
        let total = s.stdout.total() + s.stderr.total();
        notes.push(format!(
            "the output ({total} bytes) was larger than gostuck keeps: {dropped} bytes in the middle were not analysed (they were passed through)"
        ));
    }
    Ok(Ran {
        code: exit_code(&status),
        notes,
        signaled,
        stalled,
        stdout: s.stdout.contents(),
        stderr: s.stderr.contents(),
        running: s.running.clone(),
        pass_errors: s.pass_errors.clone(),
    })
}

/// What the user is told when the command left processes in its group.
fn ended_note(e: proc::Ended) -> String {
    let how = if e.killed {
        "SIGTERM, then SIGKILL"
    } else {
        "SIGTERM"
    };
    format!(
        "the command exited leaving {} of its process group running; ended {} with {how}",
        gostuck_dump::human::count(e.left as u64, "process", "processes"),
        if e.left == 1 { "it" } else { "them" },
    )
}

/// The exit status of `gostuck run` and, when it is not 0, the line that says
/// whose it is. One rule, first match wins (2 for gostuck's own errors is
/// returned before this): findings reported → 1, whatever the command's own
/// status (a deadlocked Go program exits 2, which would read as a usage error);
/// nothing found → the command's own status.
#[must_use]
pub fn exit_status(stuck: bool, child_code: u8) -> (u8, Option<String>) {
    match (stuck, child_code) {
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

/// Where `--trace` left the execution trace, or why there is none.
#[must_use]
pub fn trace_note(f: &std::path::Path) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn processes_left_behind_are_counted_in_words() {
        let one = ended_note(proc::Ended {
            left: 1,
            killed: false,
        });
        assert!(one.contains("leaving 1 process of") && one.ends_with("ended it with SIGTERM"));
        let two = ended_note(proc::Ended {
            left: 2,
            killed: true,
        });
        assert!(two.contains("leaving 2 processes of"));
        assert!(two.ends_with("ended them with SIGTERM, then SIGKILL"));
    }

    #[test]
    fn a_missing_or_empty_trace_file_is_said_to_be_missing() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("trace.out");
        assert!(trace_note(&f).starts_with("no execution trace was written to"));
        std::fs::write(&f, b"").unwrap();
        assert!(trace_note(&f).starts_with("no execution trace was written to"));
        std::fs::write(&f, b"0123456789abcdef").unwrap();
        assert!(
            trace_note(&f).contains("(16 bytes; `go tool trace"),
            "{}",
            trace_note(&f)
        );
    }
}

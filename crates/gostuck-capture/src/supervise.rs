//! Watching a command's process tree until the command exits: forwarding the
//! user's signals to its process group, asking the Go programs in it for a
//! goroutine dump (SIGQUIT) on request or when the tree stalls, and keeping
//! notes of what happened for the report.
//!
//! Nothing is printed here: lines meant for the user right away go through
//! the `say` callback; lines for the report are returned in [`Watched::notes`].

use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gostuck_dump::human::{format_duration, DurationStyle};

use crate::command::{describe, dump_targets, exists, kill};
use crate::proc::{self, Group};
use crate::record::{Marker, Shared};

/// How often the process tree is sampled for CPU progress.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// How long a dumped program may take to exit before the user is told.
const QUIT_PATIENCE: Duration = Duration::from_secs(10);

/// What [`watch`] needs to know about the running command.
pub struct Watch<'a> {
    /// The command's process ID (the leader of its process group).
    pub pid: i32,
    /// Its process group.
    pub group: &'a mut Group,
    /// What the output pumps record.
    pub shared: &'a Arc<Mutex<Shared>>,
    /// A stall is this long without CPU progress and without output.
    pub stall: Duration,
    /// Notes so far (the plan's); the watch adds its own.
    pub notes: Vec<String>,
}

/// How the watch ended.
pub struct Watched {
    /// The command's exit status.
    pub status: ExitStatus,
    /// Notes for the report.
    pub notes: Vec<String>,
    /// The processes sent SIGQUIT.
    pub signaled: Vec<i32>,
    /// Whether a stall was declared (the dump then vouches the program was stuck).
    pub stalled: bool,
}

/// The loop's state between two samples.
struct State {
    notes: Vec<String>,
    signaled: Vec<i32>,
    forwarded: usize,
    stall_reported: bool,
    stalled: bool,
    quit_at: Option<Instant>,
    markers_seen: usize,
}

/// Watches until the command exits. `pending` returns the signals the user
/// sent gostuck since the last call; `say` tells the user something now.
///
/// # Errors
/// Waiting for the child failed.
pub fn watch(
    child: &mut Child,
    mut w: Watch,
    pending: &mut dyn FnMut() -> Vec<i32>,
    say: &mut dyn FnMut(&str),
) -> std::io::Result<Watched> {
    let mut progress = proc::Progress::new(w.stall);
    let mut st = State {
        notes: std::mem::take(&mut w.notes),
        signaled: Vec::new(),
        forwarded: 0,
        stall_reported: false,
        stalled: false,
        quit_at: None,
        markers_seen: 0,
    };
    let mut next_sample = Instant::now();
    let status = loop {
        for sig in pending() {
            forward(sig, w.pid, w.group, &mut st, say);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let now = Instant::now();
        markers(w.shared, &mut st);
        if now >= next_sample {
            next_sample = now + SAMPLE_EVERY;
            sample(now, &w, &mut progress, &mut st, say);
        }
        if let Some(t) = st.quit_at {
            if now.duration_since(t) > QUIT_PATIENCE && st.signaled.iter().any(|&p| exists(p)) {
                say("the program did not exit 10s after SIGQUIT; waiting for the command (Ctrl-C to stop)");
                st.quit_at = None;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok(Watched {
        status,
        notes: st.notes,
        signaled: st.signaled,
        stalled: st.stalled,
    })
}

/// A signal the user sent gostuck: SIGQUIT asks for a dump now; the others
/// go to the command's process group (the third one kills it).
fn forward(sig: i32, pid: i32, group: &mut Group, st: &mut State, say: &mut dyn FnMut(&str)) {
    if sig == libc::SIGQUIT {
        let tree = proc::tree(pid, &proc::scan().unwrap_or_default());
        let targets = dump_targets(&tree);
        let n = send_quit(
            &targets,
            &mut st.signaled,
            "you pressed Ctrl-\\ (SIGQUIT)",
            say,
        );
        if n > 0 {
            st.notes.push(format!(
                "SIGQUIT (from you) forwarded to {}",
                describe(&targets)
            ));
            st.quit_at = Some(Instant::now());
        }
        return;
    }
    st.forwarded += 1;
    group.signal(sig);
    if st.forwarded >= 3 && sig != libc::SIGHUP {
        say("third interrupt: killing the command");
        group.signal(libc::SIGKILL);
    }
}

/// What the output pumps recognised since the last look, as notes.
fn markers(shared: &Arc<Mutex<Shared>>, st: &mut State) {
    let s = shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for m in &s.markers[st.markers_seen..] {
        let msg = match m {
            Marker::Deadlock => "the Go runtime reported a deadlock",
            Marker::TestTimeout => "`go test` timed out; its dump follows",
        };
        st.notes.push(msg.to_string());
    }
    st.markers_seen = s.markers.len();
}

/// One sample of the tree: on a stall, SIGQUIT to the Go programs not yet
/// asked, or (once per stall) why there is nobody to ask.
fn sample(
    now: Instant,
    w: &Watch,
    progress: &mut proc::Progress,
    st: &mut State,
    say: &mut dyn FnMut(&str),
) {
    let tree = proc::tree(w.pid, &proc::scan().unwrap_or_default());
    progress.update(now, &tree);
    let last_output = w
        .shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .last_output;
    if !progress.stalled(now, last_output) {
        st.stall_reported = false;
        return;
    }
    let targets: Vec<i32> = dump_targets(&tree)
        .into_iter()
        .filter(|p| !st.signaled.contains(p))
        .collect();
    if !targets.is_empty() {
        let why = format!(
            "no CPU progress and no output for {}",
            format_duration(w.stall, DurationStyle::Flag)
        );
        send_quit(&targets, &mut st.signaled, &why, say);
        st.notes.push(format!(
            "{why}; sent SIGQUIT to {} for a goroutine dump",
            describe(&targets)
        ));
        st.quit_at = Some(now);
        st.stall_reported = false;
        st.stalled = true;
    } else if !st.stall_reported {
        st.stall_reported = true;
        let m = if st.signaled.is_empty() {
            format!("the command stalled ({}) but no Go program other than the go command is running in it; waiting (Ctrl-C to stop)", format_duration(w.stall, DurationStyle::Flag))
        } else {
            "the command is still stalled after SIGQUIT (does the program handle SIGQUIT itself?); waiting (Ctrl-C to stop)".to_string()
        };
        say(&m);
        st.notes.push(m);
    }
}

/// SIGQUIT to each target; returns how many got it.
fn send_quit(
    targets: &[i32],
    signaled: &mut Vec<i32>,
    why: &str,
    say: &mut dyn FnMut(&str),
) -> usize {
    // Said before the signal, so the line does not land inside the dump.
    say(&format!(
        "{why}; sending SIGQUIT to {} for a goroutine dump",
        describe(targets)
    ));
    let mut n = 0;
    for &t in targets {
        if kill(t, libc::SIGQUIT) {
            n += 1;
            if !signaled.contains(&t) {
                signaled.push(t);
            }
        }
    }
    n
}

//! A short, bounded pause of the target so that its goroutine structures are
//! read as one consistent snapshot: SIGSTOP, wait until every thread has
//! stopped, read, SIGCONT. The guard continues the process when it is
//! dropped, so an error or a panic while reading never leaves it stopped; a
//! process that was already stopped when we came is left exactly as it was.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

/// Why the pause could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PauseError {
    /// No such process (it exited, or it is not visible from here).
    #[error("process {pid} is gone (or not visible in this PID namespace)")]
    Gone {
        /// The target.
        pid: u32,
    },
    /// The kernel refused the signal: another user's process without CAP_KILL.
    #[error("not permitted to stop process {pid} ({source}): run gostuck as the process's user or as root, or pass --no-pause")]
    NotPermitted {
        /// The target.
        pid: u32,
        /// The kernel's answer.
        #[source]
        source: std::io::Error,
    },
    /// Some threads did not stop in time (stuck in an uninterruptible
    /// kernel call, state `D`); the process was continued again.
    #[error("process {pid}: threads {running:?} did not stop within {waited:?} (uninterruptible kernel calls?); the process was continued. Try again, or pass --no-pause")]
    Timeout {
        /// The target.
        pid: u32,
        /// How long we waited.
        waited: Duration,
        /// The threads (and their states) that had not stopped.
        running: Vec<(u32, char)>,
    },
    /// Reading `/proc/PID/task` failed.
    #[error("reading {path}: {source}")]
    Proc {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

/// A stopped process. Dropping it (or [`Pause::resume`]) continues the
/// process, unless it was stopped before the pause began.
#[derive(Debug)]
pub struct Pause {
    pid: u32,
    /// Whether we sent SIGSTOP (and so owe a SIGCONT).
    sent_stop: bool,
    /// When SIGSTOP was sent (or the pause began, for a stopped process).
    began: Instant,
    /// How long the threads took to stop.
    stop_latency: Duration,
}

/// How a pause went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauseReport {
    /// From SIGSTOP to SIGCONT: how long the target could not run.
    pub paused: Duration,
    /// From SIGSTOP until every thread had stopped.
    pub stop_latency: Duration,
    /// The process was stopped before we came and was left stopped.
    pub already_stopped: bool,
}

impl Pause {
    /// Stops process `pid` and waits (at most `timeout`) until every thread
    /// has stopped. A process whose threads are all stopped already (a job
    /// stopped by the shell, a process under a debugger) is neither stopped
    /// nor continued.
    pub fn stop(pid: u32, timeout: Duration) -> Result<Pause, PauseError> {
        let began = Instant::now();
        let pid_t = Pid::from_raw(i32::try_from(pid).map_err(|_| PauseError::Gone { pid })?)
            .ok_or(PauseError::Gone { pid })?;
        if unstopped_threads(pid)?.is_empty() {
            return Ok(Pause {
                pid,
                sent_stop: false,
                began,
                stop_latency: Duration::ZERO,
            });
        }
        kill_process(pid_t, Signal::STOP).map_err(|e| signal_error(pid, e))?;
        // From here on, dropping the guard continues the process.
        let mut pause = Pause {
            pid,
            sent_stop: true,
            began,
            stop_latency: Duration::ZERO,
        };
        let mut sleep = Duration::from_micros(20);
        loop {
            let running = unstopped_threads(pid)?;
            if running.is_empty() {
                break;
            }
            let waited = began.elapsed();
            if waited >= timeout {
                return Err(PauseError::Timeout {
                    pid,
                    waited,
                    running,
                });
            }
            std::thread::sleep(sleep);
            sleep = (sleep * 2).min(Duration::from_micros(500));
        }
        pause.stop_latency = began.elapsed();
        Ok(pause)
    }

    /// Whether the process was stopped before the pause (and stays stopped).
    #[must_use]
    pub fn already_stopped(&self) -> bool {
        !self.sent_stop
    }

    /// Continues the process (unless it was stopped before) and says how long
    /// it was paused.
    pub fn resume(mut self) -> Result<PauseReport, PauseError> {
        let report = PauseReport {
            paused: self.began.elapsed(),
            stop_latency: self.stop_latency,
            already_stopped: !self.sent_stop,
        };
        if std::mem::take(&mut self.sent_stop) {
            cont(self.pid).map_err(|e| signal_error(self.pid, e))?;
        }
        Ok(report)
    }
}

impl Drop for Pause {
    fn drop(&mut self) {
        if self.sent_stop {
            // Nothing to do about a failure here: the process is gone or the
            // error was already reported by `resume`.
            let _ = cont(self.pid);
        }
    }
}

fn cont(pid: u32) -> rustix::io::Result<()> {
    match crate::num::pid_t(pid).and_then(Pid::from_raw) {
        Some(p) => kill_process(p, Signal::CONT),
        None => Err(rustix::io::Errno::SRCH),
    }
}

fn signal_error(pid: u32, e: rustix::io::Errno) -> PauseError {
    if e == rustix::io::Errno::SRCH {
        PauseError::Gone { pid }
    } else {
        PauseError::NotPermitted {
            pid,
            source: e.into(),
        }
    }
}

/// The threads of `pid` that are not stopped, with their states. Stopped
/// means `T` (stopped by a signal) or `t` (stopped by a tracer); zombie and
/// dead threads (`Z`, `X`) no longer run either.
pub fn unstopped_threads(pid: u32) -> Result<Vec<(u32, char)>, PauseError> {
    let dir = PathBuf::from(format!("/proc/{pid}/task"));
    let entries = std::fs::read_dir(&dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PauseError::Gone { pid },
        _ => PauseError::Proc {
            path: dir.clone(),
            source: e,
        },
    })?;
    let mut running = Vec::new();
    for e in entries.flatten() {
        let Some(tid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        // A thread that exits between the listing and the read is not running.
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        if let Some(state) = thread_state(&stat) {
            if !matches!(state, 'T' | 't' | 'Z' | 'X' | 'x') {
                running.push((tid, state));
            }
        }
    }
    Ok(running)
}

/// The state letter of a `/proc/PID/task/TID/stat` line: the field after the
/// command, which is parenthesised and may itself hold `)` and spaces.
#[must_use]
pub fn thread_state(stat: &str) -> Option<char> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.trim_start().chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command};

    /// A child process that is killed and reaped whatever happens.
    struct Reaped(Child);
    impl Drop for Reaped {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn sleeper() -> Reaped {
        Reaped(Command::new("sleep").arg("60").spawn().unwrap())
    }

    /// Every thread's state, once `ok` holds for them (bounded wait: the
    /// kernel delivers signals asynchronously).
    fn states_when(pid: u32, ok: impl Fn(char) -> bool) -> Vec<char> {
        let mut states = Vec::new();
        for _ in 0..2000 {
            states = std::fs::read_dir(format!("/proc/{pid}/task"))
                .unwrap()
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
                .filter_map(|s| thread_state(&s))
                .collect();
            if states.iter().all(|&c| ok(c)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        states
    }

    #[test]
    fn the_state_is_read_after_a_command_with_parentheses() {
        assert_eq!(thread_state("42 (a) b) (c) T 1 2 3"), Some('T'));
        assert_eq!(thread_state("42 (x"), None);
        let own = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        assert_eq!(thread_state(&own), Some('R'));
    }

    #[test]
    fn a_pause_stops_every_thread_and_resume_continues_them() {
        let child = sleeper();
        let pid = child.0.id();
        let pause = Pause::stop(pid, Duration::from_secs(5)).unwrap();
        assert!(!pause.already_stopped());
        assert!(unstopped_threads(pid).unwrap().is_empty());
        let report = pause.resume().unwrap();
        assert!(!report.already_stopped);
        assert!(report.paused >= report.stop_latency);
        let states = states_when(pid, |c| c != 'T');
        assert!(states.iter().all(|&c| c != 'T'), "{states:?}");
    }

    #[test]
    fn a_panic_while_paused_continues_the_process() {
        let child = sleeper();
        let pid = child.0.id();
        let r = std::panic::catch_unwind(|| {
            let _pause = Pause::stop(pid, Duration::from_secs(5)).unwrap();
            assert!(unstopped_threads(pid).unwrap().is_empty());
            panic!("reading failed");
        });
        assert!(r.is_err());
        let states = states_when(pid, |c| c != 'T');
        assert!(states.iter().all(|&c| c != 'T'), "{states:?}");
    }

    #[test]
    fn a_process_stopped_before_is_left_stopped() {
        let child = sleeper();
        let pid = child.0.id();
        kill_process(
            Pid::from_raw(i32::try_from(pid).unwrap()).unwrap(),
            Signal::STOP,
        )
        .unwrap();
        let states = states_when(pid, |c| c == 'T');
        assert!(states.iter().all(|&c| c == 'T'), "{states:?}");
        let pause = Pause::stop(pid, Duration::from_secs(5)).unwrap();
        assert!(pause.already_stopped());
        let report = pause.resume().unwrap();
        assert!(report.already_stopped);
        // Still stopped: nothing continued it.
        assert!(unstopped_threads(pid).unwrap().is_empty());
        let pause = Pause::stop(pid, Duration::from_secs(5)).unwrap();
        drop(pause);
        assert!(unstopped_threads(pid).unwrap().is_empty());
    }

    #[test]
    fn a_gone_process_is_named() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        match Pause::stop(pid, Duration::from_secs(1)) {
            Err(e @ PauseError::Gone { .. }) => {
                assert!(e.to_string().contains(&format!("process {pid} is gone")))
            }
            other => panic!("{other:?}"),
        }
    }
}

//! Who can still act: for every group of identical stacks, whether it is
//! blocked (a candidate for "blocked for good") or may still act, and why.
//!
//! Contract: a pure function of the dump and the per-group [`Facts`]; the
//! passes ask this model, never the raw states, whether a goroutine could be
//! the partner nobody else is (`unknown_partner`) or could start new
//! goroutines (`opens_world`). `gostuck analyze --why N` prints it.
//!
//! Rules (docs/findings.md, "Who can still act"):
//! - **The dumper.** The goroutine that took the dump — `runtime.Stack` from a
//!   watchdog or an admin handler, `debug.Stack`, a pprof handler writing
//!   stacks, the `go test` alarm that panics on timeout, a panic printing its
//!   traceback — is busy reporting. Its code past the dump is unknown, but it
//!   is no evidence for any other goroutine: it is never taken for the
//!   missing partner of a wait, nor for a goroutine that may start one. The
//!   runtime prints the calling goroutine first, `[running]`, in every dump
//!   that is not a signal's (`runtime/mprof.go: Stack`,
//!   `runtime/panic.go`), and the dumping routines are named in the stack
//!   when they are the runtime's own (pprof, testing).
//! - **Runtime and standard-library machinery** (no user frame) acts on its
//!   own schedule and is never a user wait's partner by itself.
//! - **Running, runnable, in a syscall, in network I/O, asleep on a timer**:
//!   may act. When its user code could not be read, it may be anyone's
//!   partner (the world is open); with its code read, the facts say which
//!   operations it may still perform.

use gostuck_dump::{Dump, Goroutine, Group, WaitReason};

use crate::facts::Facts;

/// Why a goroutine may still act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acts {
    /// It took the dump (or panicked and printed it).
    Dumper,
    /// Only runtime or standard-library frames.
    Machinery,
    /// `[running]`.
    Running,
    /// `[runnable]` or preempted.
    Runnable,
    /// In a system call.
    Syscall,
    /// Waiting for network I/O (`IO wait`): the outside world wakes it.
    Network,
    /// Asleep (`time.Sleep`) or on a timer: time wakes it.
    Timer,
    /// Another non-blocking state (`GC worker`, `finalizer wait`, …).
    Other,
}

/// A group's standing in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// Parked on a resource of the program: blocked for good unless some
    /// goroutine completes the operation.
    Blocked,
    /// The `testing` harness waiting for a test it runs (`t.Run` for a
    /// subtest, `m.Run`, a test waiting for its parallel subtests): it is
    /// blocked behind that test, never a finding of its own.
    Harness,
    /// May still act.
    MayAct(Acts),
}

impl Liveness {
    /// May act and is not the dumper: its next steps could complete a wait.
    pub(crate) fn may_serve(self) -> bool {
        matches!(self, Liveness::MayAct(a) if a != Acts::Dumper)
    }

    /// User code doing work: may act, neither the dumper nor runtime machinery.
    pub(crate) fn works(self) -> bool {
        self.may_serve() && self != Liveness::MayAct(Acts::Machinery)
    }

    /// In words, for `--why`.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Liveness::Blocked => "blocked on a resource of the program",
            Liveness::Harness => "blocked: the testing harness waiting for a test it runs (not a finding of its own)",
            Liveness::MayAct(a) => match a {
                Acts::Dumper => "may act: it is the goroutine that took this dump (busy reporting; not counted as anyone's partner)",
                Acts::Machinery => "may act: runtime or standard-library machinery only",
                Acts::Running => "may act: running",
                Acts::Runnable => "may act: runnable",
                Acts::Syscall => "may act: in a system call",
                Acts::Network => "may act: waiting for network I/O",
                Acts::Timer => "may act: asleep on a timer, or waiting on a timer, ticker or context channel",
                Acts::Other => "may act: not parked on a resource of the program",
            },
        }
    }
}

/// The model for one dump: one entry per group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Model {
    pub of: Vec<Liveness>,
    /// `unknown[g]`: the group may act and its user code could not be read,
    /// so it may be the partner of any wait.
    pub unknown: Vec<bool>,
}

impl Model {
    /// Builds the model for `groups` of `d` with their facts.
    pub(crate) fn new(d: &Dump, groups: &[Group], facts: &[Facts]) -> Model {
        let dumper = dumping_goroutine(d);
        // The runtime's word that nothing can run: no timer will fire for it.
        let asleep = d.runtime_reported_deadlock();
        let of: Vec<Liveness> = groups
            .iter()
            .zip(facts)
            .map(|(g, f)| {
                let is_dumper = dumper.is_some_and(|i| g.members.contains(&i));
                let rep = &d.goroutines[g.members[0]];
                if !asleep && !rep.flags.leaked && fed_by_time(f) {
                    return Liveness::MayAct(Acts::Timer);
                }
                classify(d, rep, f, is_dumper)
            })
            .collect();
        let unknown = of
            .iter()
            .zip(facts)
            .map(|(l, f)| l.works() && f.user_frame.is_some() && !f.has_source)
            .collect();
        Model { of, unknown }
    }

    /// Whether group `gi` may start goroutines that could become anyone's
    /// partner: a spawner, or code that could not be read.
    pub(crate) fn opens_world(&self, gi: usize, f: &Facts) -> bool {
        self.of[gi] != Liveness::MayAct(Acts::Dumper) && (f.spawner || self.unknown[gi])
    }

    /// Whether some user goroutine, other than the one that took the dump,
    /// may still act: the program is doing work, not parked as a whole.
    pub(crate) fn someone_works(&self) -> bool {
        self.of.iter().any(|l| l.works())
    }

    /// Whether a `go test` timeout says nothing about the program being
    /// stuck: every test still running in the dump (a `testing.tRunner`
    /// goroutine that is not the harness waiting for a subtest) may act —
    /// it serves, sleeps, computes, or parks as a daemon (`select {}`)
    /// while other goroutines work. Such a test did not finish because its
    /// code never returns, not because it waits for something. False when
    /// no running test is in the dump (a dump pasted in part).
    pub(crate) fn tests_may_act(&self, d: &Dump, groups: &[Group], facts: &[Facts]) -> bool {
        let mut any = false;
        for (gi, g) in groups.iter().enumerate() {
            let runs_a_test = d.goroutines[g.members[0]]
                .frames
                .iter()
                .any(|fr| d.str(fr.function) == "testing.tRunner");
            if !runs_a_test || self.of[gi] == Liveness::Harness {
                continue;
            }
            any = true;
            let daemon_park =
                facts[gi].block == Some(crate::facts::Block::SelectEmpty) && self.someone_works();
            if !(self.of[gi].works() || daemon_park) {
                return false;
            }
        }
        any
    }

    /// Whether group `gi` took the dump.
    pub(crate) fn is_dumper(&self, gi: usize) -> bool {
        self.of[gi] == Liveness::MayAct(Acts::Dumper)
    }
}

/// Channels that fire by themselves or from outside the goroutines: timers,
/// tickers, `ctx.Done()` (a deadline, or a cancel from anywhere).
pub(crate) fn timerish(class: &str) -> bool {
    matches!(class, "After" | "Tick" | "C" | "Done")
}

/// A select case on `ctx.Done()` (its class keeps the call's `(`): the
/// select moves on when the context ends. A plain `<-ctx.Done()` is not
/// counted: it waits only for a cancel, and a context nobody cancels leaks
/// it (GoKer's chan & context kernels).
fn done_case(class: &str) -> bool {
    class == "Done("
}

/// Parked on a receive or select that time (or the outside) ends: a ticker
/// loop, `time.After`, `<-ctx.Done()`, a channel registered with
/// `signal.Notify` (the OS delivers). Not a timer's channel drained after
/// `Stop` returned false: it has fired, and its value was taken.
fn fed_by_time(f: &Facts) -> bool {
    use crate::facts::Block;
    matches!(f.block, Some(Block::Recv | Block::Select))
        && f.stopped_timer.is_none()
        && (f.signal_fed
            || f.cases
                .iter()
                .any(|c| !c.0 && (timerish(&c.1) || done_case(&c.1)))
            || f.class.as_deref().is_some_and(timerish))
}

fn classify(d: &Dump, g: &Goroutine, f: &Facts, is_dumper: bool) -> Liveness {
    if is_dumper {
        return Liveness::MayAct(Acts::Dumper);
    }
    if f.block.is_some() {
        let upto = f.user_frame.unwrap_or(g.frames.len());
        let harness = g.frames[..upto]
            .iter()
            .any(|fr| is_harness_wait(d.str(fr.function)));
        return if harness {
            Liveness::Harness
        } else {
            Liveness::Blocked
        };
    }
    if f.user_frame.is_none() {
        return Liveness::MayAct(Acts::Machinery);
    }
    Liveness::MayAct(match g.wait_reason {
        WaitReason::Running => Acts::Running,
        WaitReason::Runnable | WaitReason::Transient => Acts::Runnable,
        WaitReason::Syscall => Acts::Syscall,
        WaitReason::IoWait => Acts::Network,
        WaitReason::Sleep => Acts::Timer,
        _ => Acts::Other,
    })
}

/// `testing` functions that wait for a test they run to finish.
fn is_harness_wait(function: &str) -> bool {
    matches!(
        function,
        "testing.(*T).Run"
            | "testing.(*M).Run"
            | "testing.runTests"
            | "testing.(*T).waitParallel"
            | "testing.(*T).Parallel"
            | "testing.(*testState).waitParallel"
            | "testing.(*testContext).waitParallel"
            | "testing.tRunner.func1"
            | "testing.(*B).Run"
            | "testing.(*F).Fuzz"
    )
}

/// Frames of the routines that write a goroutine dump or profile, or of the
/// `go test` alarm: a goroutine with one of them in its stack took the dump.
fn is_dump_routine(function: &str) -> bool {
    matches!(
        function,
        "runtime.Stack"
            | "runtime/debug.Stack"
            | "runtime/debug.PrintStack"
            | "runtime.GoroutineProfile"
            | "runtime.goroutineProfileWithLabels"
            | "runtime/pprof.writeGoroutineStacks"
            | "runtime/pprof.writeGoroutine"
            | "runtime/pprof.writeRuntimeProfile"
            | "runtime/pprof.runtime_goroutineProfileWithLabels"
            | "runtime/pprof.runtime_goroutineleakProfileWithLabels"
            | "runtime/pprof.(*Profile).WriteTo"
            | "testing.(*M).startAlarm.func1"
    )
}

/// The index (in `d.goroutines`) of the goroutine that took the dump, when
/// the dump shows it: one whose stack names a dumping routine, else, in a
/// dump no signal produced, the first goroutine when it is `[running]` with a
/// stack (the runtime prints the caller of `runtime.Stack`, and a panicking
/// goroutine, first). A SIGQUIT dump's first goroutine is whichever was
/// running when the signal came: not a dumper.
pub(crate) fn dumping_goroutine(d: &Dump) -> Option<usize> {
    // (Only a running goroutine can be writing the dump — or one whose state
    // a profile without headers left to inference: a million parked ones
    // need not have their frames looked at.)
    if let Some(i) = d.goroutines.iter().position(|g| {
        (g.wait_reason == WaitReason::Running || g.state_inferred)
            && g.frames.iter().any(|f| is_dump_routine(d.str(f.function)))
    }) {
        return Some(i);
    }
    if d.signal.is_some() {
        return None;
    }
    let first = d.goroutines.first()?;
    (first.id.is_some()
        && first.wait_reason == WaitReason::Running
        && !first.flags.stack_unavailable
        && !first.frames.is_empty())
    .then_some(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gostuck_dump::{read_bytes, ReadOptions};

    /// A dump captured from a real Go 1.27.3 run (testdata/captured).
    fn captured(name: &str) -> Dump {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captured/go1.27.3/"
        );
        let bytes = std::fs::read(format!("{p}{name}")).unwrap();
        read_bytes(&bytes, &ReadOptions::default())
            .unwrap()
            .remove(0)
    }

    fn id(d: &Dump, i: Option<usize>) -> Option<u64> {
        i.and_then(|i| d.goroutines[i].id)
    }

    #[test]
    fn the_caller_of_runtime_stack_is_the_dumper() {
        let d = captured("runtime-stack.txt");
        assert_eq!(id(&d, dumping_goroutine(&d)), Some(1));
    }

    #[test]
    fn a_sigquit_dump_has_no_dumper() {
        let d = captured("sigquit-all.txt");
        assert!(d.signal.is_some());
        assert_eq!(dumping_goroutine(&d), None);
    }

    #[test]
    fn a_deadlock_report_has_no_dumper() {
        let d = captured("abba.txt");
        assert_eq!(dumping_goroutine(&d), None);
    }

    /// The model of a capture-matrix dump (`testdata/captured/matrix/go1.27.3/SCENARIO/WAY.txt`).
    fn matrix_model(scenario: &str, way: &str) -> (Dump, Vec<Group>, Vec<Facts>, Model) {
        use crate::facts::{gather, CallSites};
        let d = captured(&format!("../matrix/go1.27.3/{scenario}/{way}.txt"));
        let groups = gostuck_dump::group(&d, gostuck_dump::GroupOptions { exact: false });
        let sites = CallSites::from_stacks(&d, groups.iter().map(|g| g.members[0]));
        // With the scenario's source: a ticker's channel is recognised as time.
        let mut src = crate::passes::testing::Scenarios::new();
        let facts: Vec<Facts> = groups
            .iter()
            .map(|g| gather(&d, g.members[0], &mut src, &sites))
            .collect();
        let m = Model::new(&d, &groups, &facts);
        (d, groups, facts, m)
    }

    #[test]
    fn a_timed_out_test_that_serves_or_parks_as_a_daemon_may_act() {
        // The test runs main(): one serves HTTP (IO wait), one parks in
        // `select {}` while a ticker publishes.
        for scenario in ["config-reload-on-demand-healthy", "pubsub-select-forever"] {
            let (d, groups, facts, m) = matrix_model(scenario, "gotest-timeout");
            assert!(d.test_timed_out());
            assert!(m.tests_may_act(&d, &groups, &facts), "{scenario}");
        }
    }

    #[test]
    fn a_timed_out_test_blocked_on_the_program_vouches_for_the_timeout() {
        // The test runs main(), blocked in an AB/BA lock cycle; and a dump
        // without the running test says nothing either way.
        let (d, groups, facts, m) = matrix_model("abba", "gotest-timeout");
        assert!(!m.tests_may_act(&d, &groups, &facts));
        let (d, groups, facts, m) = matrix_model("abba", "sigquit");
        assert!(!m.tests_may_act(&d, &groups, &facts));
    }

    #[test]
    fn parents_waiting_in_t_run_and_m_run_are_the_harness() {
        use crate::facts::{gather, CallSites};
        let d = captured("gotest-subtest-chan.txt");
        let groups = gostuck_dump::group(&d, gostuck_dump::GroupOptions { exact: false });
        let sites = CallSites::from_stacks(&d, groups.iter().map(|g| g.members[0]));
        let facts: Vec<Facts> = groups
            .iter()
            .map(|g| gather(&d, g.members[0], &mut crate::NoSources, &sites))
            .collect();
        let m = Model::new(&d, &groups, &facts);
        let harness: Vec<u64> = groups
            .iter()
            .zip(&m.of)
            .filter(|(_, l)| **l == Liveness::Harness)
            .flat_map(|(g, _)| g.members.iter().filter_map(|&i| d.goroutines[i].id))
            .collect();
        let mut harness = harness;
        harness.sort_unstable();
        // goroutine 1 in m.Run, TestMap and TestMap/errors in t.Run; not the
        // subtest blocked in the code under test.
        assert_eq!(harness.len(), 3, "{harness:?}");
        assert!(harness.contains(&1));
        let blocked: Vec<_> = m.of.iter().filter(|l| **l == Liveness::Blocked).collect();
        assert_eq!(blocked.len(), 1);
    }

    #[test]
    fn the_pprof_handler_and_the_test_alarm_are_dumpers() {
        let d = captured("pprof-http-goroutine-debug2.txt");
        let i = dumping_goroutine(&d).unwrap();
        assert!(d.goroutines[i]
            .frames
            .iter()
            .any(|f| d.str(f.function) == "runtime/pprof.writeGoroutineStacks"));
        let d = captured("gotest-timeout.txt");
        let i = dumping_goroutine(&d).unwrap();
        assert_eq!(
            d.str(d.goroutines[i].frames[0].function),
            "testing.(*M).startAlarm.func1"
        );
    }
}

//! What the readers keep for the engine, and a command's captured output
//! (`gostuck run`) made into inputs: its dumps, its scheduler traces, and the
//! running tests and notes the run adds to each dump.

use gostuck_dump::{Dump, KeepArgs, ReadOptions};
use gostuck_sched::SchedLog;

use crate::{push_dumps, uses_args, Input, Report};

/// What the dump readers keep for the engine: the arguments of the runtime
/// frames that carry a resource address only, unless `exact` (`--exact`)
/// groups by every argument. (No report shows other arguments; dropping them
/// makes reading a big dump much faster and smaller.)
#[must_use]
pub fn read_options(exact: bool) -> ReadOptions {
    ReadOptions {
        keep_args: if exact {
            KeepArgs::All
        } else {
            KeepArgs::Of(uses_args)
        },
    }
}

/// The dumps and scheduler traces found in a command's output streams.
#[derive(Default)]
pub struct Captured {
    /// The dumps (the last one of each stream).
    pub inputs: Vec<Input>,
    /// Scheduler/GC traces, by stream name.
    pub sched: Vec<(String, SchedLog)>,
    /// Streams that held something that could not be read (a stream with
    /// no dump at all is not an error).
    pub errors: Vec<(String, gostuck_dump::Error)>,
}

/// Reads each named stream (`run:stdout`, …); empty ones are skipped.
#[must_use]
pub fn read_captured(streams: &[(&str, &[u8])], exact: bool) -> Captured {
    let mut got = Captured::default();
    let ropts = read_options(exact);
    for &(name, bytes) in streams {
        if bytes.is_empty() {
            continue;
        }
        match gostuck_sched::mixed::read_bytes(bytes, &ropts) {
            Ok(r) => {
                push_dumps(&mut got.inputs, name, r.dumps, false);
                if let Some(s) = r.sched {
                    got.sched.push((name.to_string(), s));
                }
            }
            Err(gostuck_dump::Error::NoDump) => {}
            Err(e) => got.errors.push((name.to_string(), e)),
        }
    }
    got
}

/// Adds what a run knows to a dump before analysis: the tests running (from
/// `go test -v` output, when the command was `go test` and saw some; else the
/// tests on the dump's own stacks) unless the dump names them, and `notes`.
pub fn annotate_run(d: &mut Dump, running: Option<&[String]>, notes: &[String]) {
    if d.running_tests.is_empty() {
        d.running_tests = match running {
            Some(r) if !r.is_empty() => r.to_vec(),
            _ => d.tests_on_stacks(),
        };
    }
    d.notes.extend(notes.iter().map(|n| run_note(n)));
}

/// Adds a run's notes to a report that has no dump of the run (its output
/// held only a scheduler trace): they go with the first input.
pub fn note_run(report: &mut Report, notes: &[String]) {
    if let Some(first) = report.inputs.first_mut() {
        first.notes.extend(notes.iter().map(|n| run_note(n)));
    }
}

fn run_note(n: &str) -> String {
    format!("gostuck run: {n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(name: &str) -> Vec<u8> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captured/go1.27.3/"
        );
        std::fs::read(format!("{dir}{name}")).unwrap()
    }

    #[test]
    fn each_stream_gives_its_dump_or_its_scheduler_trace() {
        let dump = captured("abba.txt");
        let sched = captured("sched/busy.txt");
        let got = read_captured(
            &[
                ("run:stdout", &sched),
                ("run:stderr", &dump),
                ("empty", b""),
            ],
            false,
        );
        assert!(got.errors.is_empty());
        assert_eq!(got.inputs.len(), 1);
        assert_eq!(got.inputs[0].path, "run:stderr");
        assert!(got.inputs[0].dump.goroutines.len() >= 2);
        assert_eq!(got.sched.len(), 1);
        assert_eq!(got.sched[0].0, "run:stdout");
    }

    #[test]
    fn output_without_a_dump_is_no_error_but_a_binary_stream_is() {
        let got = read_captured(
            &[
                ("text", b"ok  \tpkg\t0.01s\n"),
                ("bin", b"\x7fELF\x02\x01\x01\0\0\0"),
            ],
            false,
        );
        assert!(got.inputs.is_empty());
        let names: Vec<&str> = got.errors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["bin"]);
    }

    #[test]
    fn running_tests_come_from_the_output_only_when_it_saw_some() {
        let bytes = captured("gotest-subtest-chan.txt");
        let mut dumps = read_captured(&[("x", &bytes)], false).inputs;
        let mut d = dumps.pop().unwrap().dump;
        d.running_tests.clear();
        annotate_run(&mut d, Some(&[]), &["stalled".into()]);
        assert_eq!(d.running_tests, d.tests_on_stacks());
        assert_eq!(d.notes.last().unwrap(), "gostuck run: stalled");
        d.running_tests.clear();
        annotate_run(&mut d, Some(&["TestX".into()]), &[]);
        assert_eq!(d.running_tests, ["TestX"]);
        annotate_run(&mut d, Some(&["TestY".into()]), &[]);
        assert_eq!(d.running_tests, ["TestX"], "a dump's own list is kept");
    }

    #[test]
    fn a_run_with_only_a_scheduler_trace_gets_its_notes_on_that_input() {
        let sched = captured("sched/stuck.txt");
        let got = read_captured(&[("run:stderr", &sched)], false);
        assert!(got.inputs.is_empty());
        let mut report = crate::analyze(&[], &crate::Options::default(), &mut crate::NoSources);
        for (path, log) in &got.sched {
            crate::add_sched(&mut report, path, log);
        }
        note_run(&mut report, &["stalled for 2s".into()]);
        let notes = &report.inputs.first().expect("the trace's input").notes;
        assert_eq!(notes.last().unwrap(), "gostuck run: stalled for 2s");
    }
}

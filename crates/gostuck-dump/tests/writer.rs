//! The traceback writer, proven on every real capture (testdata/captured):
//! parse → write → parse gives the same goroutines (IDs, states, wait
//! reasons, minutes, flags, labels, frames with arguments, creators,
//! ancestors), so a dump gostuck writes reads like the runtime's own.

use std::path::{Path, PathBuf};

use gostuck_dump::compare::{compare, CompareOptions};
use gostuck_dump::{read_bytes, traceback_string, Dump, Format, ReadOptions};

/// Every capture: traceback text, test output, pprof profiles.
fn captured() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "txt" || x == "gz") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn strict() -> CompareOptions {
    CompareOptions {
        names: ["the capture".into(), "its rewrite".into()],
        minutes_slack: 0,
        strict: true,
    }
}

/// Writes `d` and reads it back: exactly one dump.
fn round_trip(d: &Dump) -> Dump {
    let text = traceback_string(d).unwrap();
    let mut back = read_bytes(text.as_bytes(), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("the rewrite does not read: {e}\n{text}"));
    assert_eq!(back.len(), 1, "the rewrite reads as {} dumps", back.len());
    back.pop().unwrap()
}

#[test]
fn every_captured_dump_survives_a_round_trip_through_the_writer() {
    let (mut dumps, mut goroutines, mut frames, mut skipped) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for p in captured() {
        let bytes = std::fs::read(&p).unwrap();
        // Execution traces, scheduler traces and plain logs are not dumps.
        let Ok(ds) = read_bytes(&bytes, &ReadOptions::default()) else {
            continue;
        };
        for d in ds {
            // pprof debug=0/1 records carry no IDs: less than a traceback.
            if d.goroutines.iter().any(|g| g.id.is_none()) {
                assert!(matches!(d.format, Format::PprofDebug1 | Format::PprofProto));
                assert!(traceback_string(&d).is_err());
                skipped += 1;
                continue;
            }
            // A fatal error without goroutines (`GOTRACEBACK=none`) has nothing to write.
            if d.goroutines.is_empty() {
                continue;
            }
            let back = round_trip(&d);
            let diff = compare(&d, &back, &strict());
            if !diff.is_empty() || back.goroutines.len() != d.goroutines.len() {
                failures.push(format!("{}: {diff}", p.display()));
            }
            assert_eq!(back.fatal_error, d.fatal_error, "{}", p.display());
            assert_eq!(back.panics, d.panics, "{}", p.display());
            dumps += 1;
            goroutines += d.goroutines.len();
            frames += d.goroutines.iter().map(|g| g.frames.len()).sum::<usize>();
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{dumps} dumps, {goroutines} goroutines, {frames} frames round-tripped; {skipped} profiles without IDs skipped");
    assert!(
        dumps > 1000 && goroutines > 10_000,
        "{dumps} dumps, {goroutines} goroutines"
    );
    assert!(skipped > 0);
}

#[test]
fn a_rewritten_sigquit_dump_is_in_the_runtime_format() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/captured/go1.27.3/sigquit-all.txt");
    let d = read_bytes(&std::fs::read(p).unwrap(), &ReadOptions::default())
        .unwrap()
        .remove(0);
    let text = traceback_string(&d).unwrap();
    assert!(
        text.starts_with("SIGQUIT: quit\n\ngoroutine 0 [idle]:\n"),
        "{text}"
    );
    assert!(
        text.contains("\n\ngoroutine 1 [chan receive]:\nruntime.gopark("),
        "{text}"
    );
    // Each goroutine ends with an empty line, creators name their parent.
    assert_eq!(text.matches("\n\ngoroutine ").count(), d.goroutines.len());
    assert!(
        text.contains("\ncreated by main.main in goroutine 1\n\t"),
        "{text}"
    );
    assert!(
        text.contains("runtime.gopark(") && text.contains("(...)\n\t"),
        "{text}"
    );
}

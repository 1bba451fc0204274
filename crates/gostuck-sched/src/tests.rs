//! Tests on real traces captured by `scripts/capture-sched.sh`.

use super::*;

const VERSIONS: [&str; 4] = ["go1.21.13", "go1.22.10", "go1.24.11", "go1.27.3"];

fn capture(ver: &str, name: &str) -> SchedLog {
    let path = format!(
        "{}/../../testdata/captured/{ver}/sched/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(contains_trace(&bytes), "{path}");
    parse_bytes(&bytes)
}

fn kinds(log: &SchedLog) -> Vec<EvidenceKind> {
    log.evidence().iter().map(|e| e.kind).collect()
}

#[test]
fn every_capture_parses_completely() {
    for v in VERSIONS {
        for mode in ["stuck", "syscall", "gc-stops", "busy"] {
            for detail in [false, true] {
                let name = format!("{mode}{}", if detail { "-detail" } else { "" });
                let log = capture(v, &name);
                assert!(log.periods.len() >= 12, "{v} {name}: {}", log.periods.len());
                assert_eq!(log.detailed, detail, "{v} {name}");
                for p in &log.periods {
                    assert_eq!(p.gomaxprocs, 2, "{v} {name} line {}", p.line);
                    assert!(p.threads >= 2, "{v} {name} line {}", p.line);
                    assert_eq!(p.goroutines.is_some(), detail, "{v} {name}");
                }
                assert!(log.gc_cycles >= 1 || mode != "gc-stops", "{v} {name}");
            }
        }
    }
}

#[test]
fn a_stuck_program_shows_nothing_can_run_and_the_blocked_lock() {
    for v in VERSIONS {
        let log = capture(v, "stuck");
        assert!(
            kinds(&log).contains(&EvidenceKind::NothingCanRun),
            "{v}: {:?}",
            log.evidence()
        );
        let log = capture(v, "stuck-detail");
        let ev = log.evidence();
        let k = kinds(&log);
        assert!(k.contains(&EvidenceKind::NothingCanRun), "{v}: {ev:?}");
        let nothing = ev
            .iter()
            .find(|e| e.kind == EvidenceKind::NothingCanRun)
            .unwrap();
        assert!(
            nothing.message.contains("1 sync.Mutex.Lock"),
            "{v}: {}",
            nothing.message
        );
        let lock = ev
            .iter()
            .find(|e| e.kind == EvidenceKind::BlockedThroughout);
        let lock = lock.unwrap_or_else(|| panic!("{v}: {ev:?}"));
        assert_eq!(lock.goroutines.len(), 1, "{v}: {}", lock.message);
        assert!(
            lock.message.contains("(sync.Mutex.Lock)"),
            "{v}: {}",
            lock.message
        );
    }
}

#[test]
fn goroutines_in_read_syscalls_are_named_with_detail_and_counted_without() {
    for v in VERSIONS {
        let log = capture(v, "syscall-detail");
        let ev = log.evidence();
        let sys = ev.iter().find(|e| e.kind == EvidenceKind::StuckInSyscall);
        let sys = sys.unwrap_or_else(|| panic!("{v}: {ev:?}"));
        assert_eq!(sys.goroutines.len(), 6, "{v}: {}", sys.message);
        let log = capture(v, "syscall");
        let ev = log.evidence();
        let sys = ev
            .iter()
            .find(|e| e.kind == EvidenceKind::ThreadsOutsideScheduler);
        let sys = sys.unwrap_or_else(|| panic!("{v}: {ev:?}"));
        assert!(
            sys.message.starts_with("about 6 OS threads")
                || sys.message.starts_with("about 7 OS threads"),
            "{v}: {}",
            sys.message
        );
    }
}

#[test]
fn gc_cycles_that_stop_while_the_scheduler_goes_on_are_reported() {
    for v in VERSIONS {
        for name in ["gc-stops", "gc-stops-detail"] {
            let log = capture(v, name);
            let ev = log.evidence();
            let gc = ev.iter().find(|e| e.kind == EvidenceKind::GcStopped);
            let gc = gc.unwrap_or_else(|| panic!("{v} {name}: {ev:?}"));
            // The program allocates for the first second of three.
            assert!(
                (600..=1500).contains(&gc.from_ms),
                "{v} {name}: {}",
                gc.message
            );
            assert!(
                kinds(&log).contains(&EvidenceKind::NothingCanRun),
                "{v} {name}"
            );
        }
    }
}

#[test]
fn a_busy_healthy_program_gives_no_evidence() {
    for v in VERSIONS {
        for name in ["busy", "busy-detail"] {
            let log = capture(v, name);
            assert_eq!(log.evidence(), vec![], "{v} {name}");
            assert!(log.gc_cycles > 10, "{v} {name}");
        }
    }
}

#[test]
fn lines_of_other_output_are_ignored_and_the_header_variants_parse() {
    let text = b"hello\nSCHED 200ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=1 needspinning=1 idlethreads=1 runqueue=1 [ 0 3 ] schedticks=[ 116951 15096 ]\r\ngc 7 @12.5s 0%: 0.1+0.2+0.0 ms clock, 4->4->0 MB, 4 MB goal, 2 P (forced)\nSCHEDULE 1ms: no\ngc x @1s\n";
    let log = read(&text[..]).unwrap();
    assert_eq!(log.trace_lines, 2);
    let p = &log.periods[0];
    assert_eq!(
        (p.at_ms, p.runqueue, p.local_runqueue, p.line),
        (200, 1, 3, 2)
    );
    let g = log.gc_recent[0];
    assert_eq!((g.n, g.at_ms, g.forced, g.line), (7, 12500, true, 3));
    assert!(matches!(read(&b"nothing here\n"[..]), Err(Error::NoTrace)));
    assert!(!contains_trace(b"xSCHED 1ms: gomaxprocs=1\n"));
    assert!(contains_trace(b"x\ngc 1 @0.001s 1%: 0.1 ms clock\n"));
    // Candidates (`=`, `@`) on dump lines before the trace line, several per line.
    let system = b"goroutine 1 gp=0x1 m=0 mp=0x2 [running]:\n\tmain.go:3 fp=0x1 sp=0x2 pc=0x3\n";
    assert!(!contains_trace(system));
    assert!(contains_trace(
        &[&system[..], b"SCHED 0ms: gomaxprocs=2 idleprocs=1"].concat()
    ));
    assert!(!contains_trace(b"gc = @ no"));
    assert!(contains_trace(
        b"SCHED 10ms: gomaxprocs=2 idleprocs=0 threads=4"
    ));
}

#[test]
fn a_pending_stop_the_world_is_reported() {
    // Shape of a Go 1.13 program whose tight loop cannot be preempted.
    let mut text = String::new();
    for i in 0..4 {
        text.push_str(&format!("SCHED {}ms: gomaxprocs=2 idleprocs=1 threads=4 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0 gcwaiting=true nmidlelocked=0 stopwait=1 sysmonwait=false\n  P0: status=3 schedtick=9 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0\n  G1: status=2() m=0 lockedm=nil\n", i * 1000));
    }
    let log = parse_bytes(text.as_bytes());
    let ev = log.evidence();
    assert_eq!(ev[0].kind, EvidenceKind::StopTheWorldPending, "{ev:?}");
    assert!(
        ev[0].message.contains("waiting for 1 P:"),
        "{}",
        ev[0].message
    );
}

#[test]
fn a_file_reads_mapped_as_its_bytes_read_in_memory() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/captured/go1.27.3/"
    );
    for name in ["abba.txt", "sched/stuck-detail.txt"] {
        let path = format!("{dir}{name}");
        let file = std::fs::File::open(&path).unwrap();
        let opts = gostuck_dump::ReadOptions::default();
        let mapped = crate::mixed::read_file(&file, &opts).unwrap();
        let bytes = crate::mixed::read_bytes(&std::fs::read(&path).unwrap(), &opts).unwrap();
        assert_eq!(mapped.dumps.len(), bytes.dumps.len(), "{name}");
        for (a, b) in mapped.dumps.iter().zip(&bytes.dumps) {
            assert_eq!(a.goroutines.len(), b.goroutines.len(), "{name}");
        }
        assert_eq!(mapped.sched.is_some(), bytes.sched.is_some(), "{name}");
        assert_eq!(
            mapped.sched.map(|s| s.periods.len()),
            bytes.sched.map(|s| s.periods.len()),
            "{name}"
        );
    }
}

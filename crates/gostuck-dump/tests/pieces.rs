//! Reading traceback text in pieces on several threads must give exactly what
//! one sequential reader gives: same goroutines, frames, symbols (numbers and
//! strings), warnings and line numbers — or decline (`None`) and leave it to
//! the sequential reader.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use gostuck_dump::{read_traceback_in_pieces, Dump, FrameKind, KeepArgs, Sym, TracebackReader};

/// A [`KeepArgs::Of`] test like the engine's: blocking runtime and sync frames.
fn blocking_frame(function: &str) -> bool {
    function.starts_with("sync.") || function.starts_with("runtime.chan")
}

const POLICIES: [KeepArgs; 3] = [KeepArgs::All, KeepArgs::None, KeepArgs::Of(blocking_frame)];

fn canon(dumps: &[Dump]) -> String {
    let mut s = String::new();
    for d in dumps {
        let sy = |x: Sym| format!("{}={:?}", x.index(), d.str(x));
        writeln!(
            s,
            "DUMP {:?} {:?} {:?} {:?} {:?} {:?} first={} strings={}",
            d.format,
            d.go_version,
            d.fatal_error,
            d.panics,
            d.signal,
            d.running_tests,
            d.first_line,
            d.strings.len()
        )
        .unwrap();
        for w in &d.warnings {
            writeln!(s, "W {w:?}").unwrap();
        }
        for g in &d.goroutines {
            writeln!(
                s,
                "G {:?} {} {} {:?} {} {:?} {:?} {:?} {:?} line={}",
                g.id,
                g.count,
                sy(g.state),
                g.wait_reason,
                g.state_inferred,
                g.wait_minutes,
                g.flags,
                g.bubble,
                g.elided,
                g.line
            )
            .unwrap();
            for (k, v) in &g.labels {
                writeln!(s, " L {} {}", sy(*k), sy(*v)).unwrap();
            }
            let frames = |s: &mut String, fs: &[gostuck_dump::Frame]| {
                for f in fs {
                    writeln!(
                        s,
                        " F {} {} {} {} {:?}",
                        sy(f.function),
                        sy(f.args),
                        sy(f.file),
                        f.line,
                        f.kind
                    )
                    .unwrap();
                }
            };
            frames(&mut s, &g.frames);
            if let Some(c) = g.created_by {
                writeln!(
                    s,
                    " C {} {} {} {:?}",
                    sy(c.function),
                    sy(c.file),
                    c.line,
                    c.parent
                )
                .unwrap();
            }
            for a in &g.ancestors {
                writeln!(s, " A {}", a.id).unwrap();
                frames(&mut s, &a.frames);
                if let Some(c) = a.created_by {
                    writeln!(
                        s,
                        " AC {} {} {} {:?}",
                        sy(c.function),
                        sy(c.file),
                        c.line,
                        c.parent
                    )
                    .unwrap();
                }
            }
        }
    }
    s
}

fn sequential(bytes: &[u8], keep_args: KeepArgs) -> Vec<Dump> {
    let mut r = TracebackReader::new(keep_args);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            r.push_line(&bytes[start..i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        r.push_line(&bytes[start..]);
    }
    r.finish()
}

/// Checks every piece count; returns how many piecewise reads were accepted.
fn check(name: &str, bytes: &[u8]) -> usize {
    let mut merged = 0;
    for keep_args in POLICIES {
        let want = canon(&sequential(bytes, keep_args));
        for pieces in [2, 3, 7] {
            if let Some(got) = read_traceback_in_pieces(bytes, keep_args, pieces) {
                let got = canon(&got);
                if got != want {
                    let at = want.lines().zip(got.lines()).position(|(a, b)| a != b);
                    panic!(
                        "{name}: {pieces} pieces (keep_args={keep_args:?}) differ from one reader at canonical line {at:?}:\n  one reader: {:?}\n  in pieces:  {:?}",
                        at.and_then(|l| want.lines().nth(l)),
                        at.and_then(|l| got.lines().nth(l))
                    );
                }
                merged += 1;
            }
        }
    }
    merged
}

fn captured() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "txt") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Keeping the arguments of some frames only changes nothing but the other
/// frames' arguments (and the symbols of the strings no longer interned).
#[test]
fn keeping_some_arguments_drops_exactly_the_others() {
    let mut kept = 0;
    for p in captured() {
        let bytes = std::fs::read(&p).unwrap();
        let all = sequential(&bytes, KeepArgs::All);
        let some = sequential(&bytes, KeepArgs::Of(blocking_frame));
        assert_eq!(all.len(), some.len(), "{}", p.display());
        for (a, s) in all.iter().zip(&some) {
            assert_eq!(a.goroutines.len(), s.goroutines.len(), "{}", p.display());
            for (ga, gs) in a.goroutines.iter().zip(&s.goroutines) {
                assert_eq!(ga.id, gs.id);
                assert_eq!(a.str(ga.state), s.str(gs.state));
                assert_eq!(ga.frames.len(), gs.frames.len());
                for (fa, fs) in ga.frames.iter().zip(&gs.frames) {
                    let function = a.str(fa.function);
                    assert_eq!(function, s.str(fs.function));
                    assert_eq!(
                        (a.str(fa.file), fa.line, fa.kind),
                        (s.str(fs.file), fs.line, fs.kind)
                    );
                    let want = if blocking_frame(function) || fa.kind == FrameKind::Inlined {
                        a.str(fa.args)
                    } else {
                        ""
                    };
                    assert_eq!(s.str(fs.args), want, "{}: {function}", p.display());
                    kept += usize::from(!want.is_empty() && fa.kind != FrameKind::Inlined);
                }
            }
        }
    }
    assert!(
        kept > 100,
        "only {kept} frames kept arguments: the test checks little"
    );
}

#[test]
fn captured_dumps_read_in_pieces_match_one_reader() {
    let files = captured();
    let mut merged = 0;
    for p in &files {
        merged += check(&p.display().to_string(), &std::fs::read(p).unwrap());
    }
    if !files.is_empty() {
        assert!(merged > 0, "no captured dump was read in pieces");
    }
}

#[test]
fn concatenations_and_repeats_match_one_reader() {
    let files = captured();
    let texts: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // Deterministic pseudo-random pairs and triples: several dumps in one file,
    // goroutine IDs repeated across pieces, panics and prefixes in later pieces.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        usize::try_from(x % n as u64).unwrap()
    };
    for round in 0..120.min(texts.len() * 4) {
        let k = 2 + next(3);
        let seps: [&[u8]; 4] = [b"\n\n", b"\n", b"\r\n\r\n", b""];
        let sep = seps[next(seps.len())];
        let mut input = Vec::new();
        for i in 0..k {
            if i > 0 {
                input.extend_from_slice(sep);
            }
            input.extend_from_slice(&texts[next(texts.len())]);
        }
        if round % 3 == 0 {
            let half = input[..input.len() / 2].to_vec();
            input.extend_from_slice(b"\n\n");
            input.extend_from_slice(&half);
        }
        check(&format!("concatenation #{round}"), &input);
    }
}

#[test]
fn a_large_uniform_dump_is_split_and_matches() {
    let mut input = Vec::new();
    for id in 1..=3000u32 {
        let state = [
            "chan receive",
            "select",
            "sync.Mutex.Lock, 3 minutes",
            "sleep",
        ][id as usize % 4];
        write!(
            input_writer(&mut input),
            "goroutine {id} [{state}]:\nmain.worker{}({:#x}, 0x{:x}?)\n\t/app/w.go:{} +0x1d\nmain.run(...)\n\t/app/run.go:7\ncreated by main.main in goroutine 1\n\t/app/main.go:{} +0x25\n\n",
            id % 7,
            0xc000_0000u64 + u64::from(id) * 64,
            id,
            10 + id % 5,
            20 + id % 3
        )
        .unwrap();
    }
    assert_eq!(
        check("uniform", &input),
        3 * POLICIES.len(),
        "every piece count must be accepted"
    );

    // A repeated goroutine ID in a later piece starts a new dump: not accepted.
    let mut repeated = input.clone();
    repeated.extend_from_slice(b"goroutine 5 [select]:\nmain.x()\n\t/app/x.go:1 +0x1\n\n");
    check("repeated id", &repeated);
    assert!(read_traceback_in_pieces(&repeated, true, 2).is_none());
}

fn input_writer(v: &mut Vec<u8>) -> impl std::fmt::Write + '_ {
    struct W<'a>(&'a mut Vec<u8>);
    impl std::fmt::Write for W<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    W(v)
}

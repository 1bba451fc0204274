//! Damaged input must produce errors (with offsets), never panics or
//! unbounded allocations.

use std::fs;
use std::path::Path;

use gostuck_trace::text::{encode, put_uvarint};
use gostuck_trace::{Error, Problem, Reader, WireReader};

fn sample(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/captured/go1.27.3/traces")
        .join(name);
    fs::read(p).unwrap_or_default()
}

/// Reads everything; returns the number of events and the error, if any.
fn read_all(bytes: &[u8]) -> (usize, Option<Error>) {
    let mut r = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (0, Some(e)),
    };
    let mut n = 0;
    loop {
        match r.read_event() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return (n, None),
            Err(e) => return (n, Some(e)),
        }
    }
}

fn wire_all(bytes: &[u8]) -> Option<Error> {
    let r = match WireReader::new(bytes) {
        Ok(r) => r,
        Err(e) => return Some(e),
    };
    r.into_iter().find_map(Result::err)
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for name in ["deadlocked.trace", "coro.trace", "cgo.trace"] {
        let full = sample(name);
        if full.is_empty() {
            continue;
        }
        let (n_full, err) = read_all(&full);
        assert!(err.is_none(), "{name}: {err:?}");
        let step = (full.len() / 400).max(1);
        for cut in (0..full.len()).step_by(step) {
            let (n, err) = read_all(&full[..cut]);
            assert!(n <= n_full + 1, "{name} cut at {cut}");
            if let Some(off) = err.as_ref().and_then(Error::offset) {
                assert!(off <= cut as u64, "{name} cut at {cut}: offset {off}");
            }
            let _ = wire_all(&full[..cut]);
        }
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let full = sample("mixed.trace");
    if full.is_empty() {
        return;
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut errors = 0;
    for _ in 0..300 {
        let mut b = full.clone();
        for _ in 0..1 + next() % 4 {
            let i = 16 + usize::try_from(next() % (b.len() - 16) as u64).unwrap();
            b[i] = next().to_le_bytes()[0];
        }
        if read_all(&b).1.is_some() {
            errors += 1;
        }
        let _ = wire_all(&b);
    }
    assert!(errors > 0);
}

#[test]
fn lying_lengths_are_refused_with_offsets() {
    // A batch claiming 2^40 bytes.
    let mut t = b"go 1.26 trace\0\0\0".to_vec();
    t.push(1);
    for v in [1, 5, 100, 1 << 40] {
        put_uvarint(&mut t, v);
    }
    match read_all(&t).1 {
        Some(Error::Malformed {
            offset: 20,
            batch: Some(b),
            problem: Problem::BatchTooLarge { size, .. },
        }) => {
            assert_eq!((b.offset, b.gen, b.thread, size), (16, 1, 5, 1 << 40));
        }
        other => panic!("{other:?}"),
    }

    // A string claiming more bytes than its batch holds, and one above 1 KiB.
    for (len, want_overrun) in [(50u64, true), (5000, false)] {
        let mut t = b"go 1.22 trace\0\0\0".to_vec();
        let mut payload = vec![4u8, 5, 1];
        put_uvarint(&mut payload, len);
        payload.extend_from_slice(b"abc");
        t.push(1);
        for v in [1, u64::MAX, 0, payload.len() as u64] {
            put_uvarint(&mut t, v);
        }
        t.extend_from_slice(&payload);
        let err = read_all(&t).1.expect("error");
        let msg = err.to_string();
        assert!(msg.contains("byte 3"), "{msg}");
        assert!(msg.contains("gen 1, M -1"), "{msg}");
        match err {
            Error::Malformed { problem, .. } => {
                assert_eq!(
                    matches!(problem, Problem::Overrun { .. }),
                    want_overrun,
                    "{problem}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    // A stack claiming 2^50 frames.
    let mut payload = vec![2u8, 3, 1];
    put_uvarint(&mut payload, 1 << 50);
    let mut bin = b"go 1.22 trace\0\0\0".to_vec();
    bin.push(1);
    for v in [1, u64::MAX, 0, payload.len() as u64] {
        put_uvarint(&mut bin, v);
    }
    bin.extend_from_slice(&payload);
    let err = read_all(&bin).1.expect("error");
    assert!(
        matches!(
            err,
            Error::Malformed {
                problem: Problem::StackTooDeep { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn headers_and_empty_traces() {
    assert!(matches!(read_all(b"").1, Some(Error::BadHeader { .. })));
    assert!(matches!(
        read_all(b"go 1.2").1,
        Some(Error::BadHeader { .. })
    ));
    assert!(matches!(
        read_all(b"go 1.19 trace\0\0\0").1,
        Some(Error::OldVersion { minor: 19 })
    ));
    // The text encoder refuses what it cannot encode.
    assert!(encode("Trace Go1.22\nStack id=1 nframes=3\n").is_err());
    // A Go 1.26 trace with no generations is empty: one sync event.
    let (n, err) = read_all(b"go 1.26 trace\0\0\0");
    assert!(n == 1 && err.is_none(), "{n} {err:?}");
    // Before 1.26, a generation needs a frequency event.
    let (n, err) = read_all(b"go 1.22 trace\0\0\0");
    assert_eq!(n, 1);
    assert!(matches!(
        err,
        Some(Error::Malformed {
            problem: Problem::NoFrequency { .. },
            ..
        })
    ));
}

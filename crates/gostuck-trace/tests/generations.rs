//! Generation handling on hand-made traces: end-of-generation markers,
//! spilled batches, interleaving, table references.

use gostuck_trace::text::{encode, put_uvarint};
use gostuck_trace::{analyze, Error, EventKind, GoState, Problem, Reader};

const NONE: u64 = u64::MAX;

/// Encodes events given in text form as a batch payload.
fn payload(minor: u32, events: &str) -> Vec<u8> {
    encode(&format!("Trace Go1.{minor}\n{events}")).unwrap()[16..].to_vec()
}

struct Trace {
    minor: u32,
    bytes: Vec<u8>,
}

impl Trace {
    fn new(minor: u32) -> Self {
        Trace {
            minor,
            bytes: format!("go 1.{minor} trace\0\0\0").into_bytes(),
        }
    }

    fn batch(mut self, gen: u64, m: u64, time: u64, events: &str) -> Self {
        let p = payload(self.minor, events);
        self.bytes.push(1);
        for v in [gen, m, time, p.len() as u64] {
            put_uvarint(&mut self.bytes, v);
        }
        self.bytes.extend_from_slice(&p);
        self
    }

    /// Frequency (1 tick = 1ns), clock snapshot (1.25+), strings, stacks.
    fn tables(self, gen: u64, strings: &[(u64, &str)]) -> Self {
        let sync = if self.minor >= 25 {
            "Sync\nFrequency freq=1000000000\nClockSnapshot dt=1 mono=7 sec=100 nsec=5\n"
        } else {
            "Frequency freq=1000000000\n"
        };
        let mut s = String::from("Strings\n");
        for (id, v) in strings {
            s += &format!("String id={id}\n\tdata={v:?}\n");
        }
        self.batch(gen, NONE, 1, sync)
            .batch(gen, NONE, 1, &s)
            .batch(gen, NONE, 1, "Stacks\n")
    }

    fn end_of_generation(mut self) -> Self {
        self.bytes.push(52);
        self
    }
}

fn events(bytes: &[u8]) -> (Vec<String>, Option<Error>) {
    let mut r = Reader::new(bytes).unwrap();
    let mut out = Vec::new();
    loop {
        match r.read_event() {
            Ok(Some(e)) => out.push(format!("{} {:?}", e.kind().name(), e.wire_type())),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

fn two_generations(minor: u32) -> Trace {
    let gen1 = "ProcStatus dt=1 p=0 pstatus=1\nGoStatus dt=1 g=1 m=1 gstatus=2\n\
                GoBlock dt=10 reason_string=1 stack=0\n";
    let gen2 =
        "ProcStatus dt=1 p=0 pstatus=1\nGoStatus dt=1 g=1 m=18446744073709551615 gstatus=4\n";
    let mut t = Trace::new(minor)
        .tables(1, &[(1, "sleep")])
        .batch(1, 1, 100, gen1);
    if minor >= 26 {
        t = t.end_of_generation();
    }
    // The next generation's tables come first, so that before Go 1.26 its
    // first batch (a spilled one) is a table batch.
    t = t.tables(2, &[(3, "other")]).batch(2, 1, 200, gen2);
    if minor >= 26 {
        t = t.end_of_generation();
    }
    t
}

#[test]
fn generations_with_and_without_end_markers() {
    for minor in [22, 23, 25, 26] {
        let t = two_generations(minor);
        let (evs, err) = events(&t.bytes);
        assert!(err.is_none(), "1.{minor}: {err:?}");
        let kinds: Vec<&str> = evs.iter().map(|e| e.split(' ').next().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "Sync",
                "StateTransition",
                "StateTransition",
                "StateTransition",
                "Sync",
                "StateTransition",
                "StateTransition",
                "Sync"
            ],
            "1.{minor}: {evs:#?}"
        );
        let a = analyze(Reader::new(&t.bytes[..]).unwrap()).unwrap();
        let g = &a.goroutines[&1];
        assert_eq!(g.state, GoState::Waiting);
        assert_eq!(g.reason, "sleep");
        assert_eq!(g.since, 112, "1.{minor}");
        assert!(g.existed_at_start);
    }
}

#[test]
fn sync_events_carry_clock_snapshots() {
    let t = two_generations(26);
    let mut r = Reader::new(&t.bytes[..]).unwrap();
    let first = r.read_event().unwrap().unwrap();
    assert_eq!(first.kind(), EventKind::Sync);
    let s = first.to_string();
    assert!(
        s.ends_with("N=1 Trace=2 Mono=7 Wall=1970-01-01T00:01:40.000000005Z"),
        "{s}"
    );
}

#[test]
fn missing_end_of_generation_is_truncation() {
    let mut t = two_generations(26);
    t.bytes.pop(); // the final EndOfGeneration
    let (evs, err) = events(&t.bytes);
    // Generation 1, then a sync closing it, then the error.
    assert_eq!(evs.len(), 5, "{evs:#?}");
    assert!(matches!(err, Some(Error::Truncated { .. })), "{err:?}");
}

#[test]
fn interleaved_generations_are_refused() {
    for minor in [22, 26] {
        let t = Trace::new(minor)
            .tables(1, &[])
            .batch(3, 1, 5, "ProcStatus dt=1 p=0 pstatus=2\n");
        let (evs, err) = events(&t.bytes);
        assert_eq!(evs.len(), 1, "1.{minor}: a sync, then the error");
        match err {
            Some(Error::Malformed {
                problem:
                    Problem::GenerationOrder {
                        expected: 1,
                        found: 3,
                    },
                batch: Some(b),
                ..
            }) => assert_eq!((b.gen, b.thread), (3, 1)),
            other => panic!("1.{minor}: {other:?}"),
        }
    }
}

#[test]
fn unknown_string_and_stack_ids() {
    let t = Trace::new(22).tables(1, &[(1, "x")]).batch(
        1,
        1,
        5,
        "ProcStatus dt=1 p=0 pstatus=1\nGoStatus dt=1 g=1 m=1 gstatus=2\n\
         GoBlock dt=1 reason_string=9 stack=0\n",
    );
    let (_, err) = events(&t.bytes);
    let err = err.expect("error");
    assert!(err.to_string().contains("unknown string ID 9"), "{err}");
    assert!(err.offset().is_some_and(|o| o > 16));

    let t = Trace::new(22).tables(1, &[]).batch(
        1,
        1,
        5,
        "ProcStatus dt=1 p=0 pstatus=1\nGoStatus dt=1 g=1 m=1 gstatus=2\n\
         GoBlock dt=1 reason_string=0 stack=4\n",
    );
    let err = events(&t.bytes).1.expect("error");
    assert!(err.to_string().contains("unknown stack ID 4"), "{err}");
}

#[test]
fn impossible_orders_are_reported_with_the_batch() {
    // A goroutine starts that was never created: no thread can advance.
    let t = Trace::new(22).tables(1, &[]).batch(
        1,
        7,
        5,
        "ProcStatus dt=1 p=0 pstatus=1\nGoStart dt=1 g=42 g_seq=1\n",
    );
    let err = events(&t.bytes).1.expect("error");
    match &err {
        Error::Invalid {
            batch: Some(b),
            detail,
            ..
        } => {
            assert_eq!(b.thread, 7);
            assert!(detail.contains("GoStart"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("M 7"), "{err}");
}

#[test]
fn experimental_batches_are_kept_aside() {
    let mut t = Trace::new(23).tables(1, &[]);
    t.bytes.extend_from_slice(&[49, 1]); // ExperimentalBatch, experiment 1
    for v in [1, 2, 3, 4] {
        put_uvarint(&mut t.bytes, v); // gen, m, time, size
    }
    t.bytes.extend_from_slice(&[9, 9, 9, 9]);
    let mut r = Reader::new(&t.bytes[..]).unwrap();
    let sync = r.read_event().unwrap().unwrap();
    match sync.details() {
        gostuck_trace::Details::Sync(s) => {
            assert_eq!(s.experimental.len(), 1);
            assert_eq!(s.experimental[0].experiment, 1);
            assert_eq!(s.experimental[0].thread, 2);
            assert_eq!(s.experimental[0].data, [9, 9, 9, 9]);
        }
        other => panic!("{other:?}"),
    }
    assert!(r.all(|e| e.is_ok()));
}

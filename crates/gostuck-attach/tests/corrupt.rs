//! Hostile memory: record what a snapshot of a real process reads, then
//! replay it with random bytes where the runtime's structures were (the
//! allgs array, the g structs, the stacks). Every snapshot must end with a
//! dump or an error: no panic, no endless walk.

mod support;

use std::cell::RefCell;
use std::time::Duration;

use gostuck_attach::{snapshot, Binary, Memory, MemoryError, ProcessMemory, SnapshotOptions};
use support::{build, go_of, Running};

/// Records every successful read of another memory.
struct Recorder<'a> {
    inner: &'a dyn Memory,
    reads: RefCell<Vec<(u64, Vec<u8>)>>,
}

impl Memory for Recorder<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        self.inner.read(addr, buf)?;
        self.reads.borrow_mut().push((addr, buf.to_vec()));
        Ok(())
    }
}

/// Only the recorded regions are mapped.
struct Replay(Vec<(u64, Vec<u8>)>);

impl Memory for Replay {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        for (base, bytes) in &self.0 {
            let Some(off) = addr.checked_sub(*base) else {
                continue;
            };
            let off = usize::try_from(off).unwrap();
            if let Some(src) = bytes.get(off..off.saturating_add(buf.len())) {
                if src.len() == buf.len() {
                    buf.copy_from_slice(src);
                    return Ok(());
                }
            }
        }
        Err(MemoryError::Unmapped {
            addr,
            len: buf.len(),
        })
    }
}

/// xorshift64*: reproducible randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap()
    }
}

#[test]
fn random_bytes_in_the_runtime_structures_give_errors_or_warnings_never_a_panic() {
    let Some(go) = go_of("1.27.3") else {
        eprintln!("SKIP: no Go 1.27.3 toolchain");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = build(
        &go,
        "scenarios/fanout-abandoned-results",
        tmp.path(),
        "fanout-abandoned-results",
        &[],
    );
    let bin = Binary::open(&path).unwrap();
    let run = Running::program(&path, &[]);
    std::thread::sleep(Duration::from_millis(1500));
    let live = ProcessMemory::open(run.pid()).unwrap();
    let rec = Recorder {
        inner: &live,
        reads: RefCell::new(Vec::new()),
    };
    let opts = SnapshotOptions::default();
    let clean = snapshot(&rec, &bin, &opts).unwrap();
    drop(run);
    let regions = rec.reads.into_inner();
    // The replay of the untouched bytes gives the same dump.
    let again = snapshot(&Replay(regions.clone()), &bin, &opts).unwrap();
    assert_eq!(again.dump.goroutines, clean.dump.goroutines);
    assert!(again.dump.goroutines.len() > 20);

    let g_size = usize::try_from(bin.layouts().g_size).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut errors, mut warned, mut fine) = (0, 0, 0);
    for round in 0..400 {
        let mut mem = regions.clone();
        let hits = 1 + rng.below(8);
        for _ in 0..hits {
            // Mostly g structs and the allgs array; sometimes anything.
            let pick = match round % 3 {
                0 => mem
                    .iter()
                    .position(|(_, b)| b.len() == g_size && rng.below(4) == 0),
                1 => mem
                    .iter()
                    .position(|(_, b)| b.len() % 8 == 0 && b.len() > g_size),
                _ => None,
            }
            .unwrap_or_else(|| rng.below(mem.len()));
            let bytes = &mut mem[pick].1;
            let start = rng.below(bytes.len());
            let len = 1 + rng.below(bytes.len() - start);
            for b in &mut bytes[start..start + len] {
                *b = rng.next().to_le_bytes()[0];
            }
        }
        match snapshot(&Replay(mem), &bin, &opts) {
            Err(_) => errors += 1,
            Ok(s) if !s.dump.warnings.is_empty() => warned += 1,
            Ok(_) => fine += 1,
        }
    }
    eprintln!("400 corrupt snapshots: {errors} errors, {warned} with warnings, {fine} clean");
    // The corruption must have been noticed at least sometimes.
    assert!(errors + warned > 40, "{errors} errors, {warned} warned");

    // Every g entirely random.
    for seed in 1..50u64 {
        let mut rng = Rng(seed);
        let mut mem = regions.clone();
        for (_, b) in mem.iter_mut().filter(|(_, b)| b.len() == g_size) {
            b.iter_mut().for_each(|x| *x = rng.next().to_le_bytes()[0]);
        }
        let _ = snapshot(&Replay(mem), &bin, &opts);
    }
}

//! Parse and group a real 20,000-goroutine `runtime.Stack` dump.
//!
//! The dump is produced by a real Go toolchain (`bench/gen-dump.sh`, which
//! builds and runs `bench/gen-dump/main.go`) and cached under
//! `target/bench-data/`. Without a Go toolchain the benchmark prints why and
//! does nothing. `GOSTUCK_BENCH_DUMP=/path/to/dump.txt` benchmarks another file.
//!
//! Run: `cargo bench -p gostuck-dump --bench read`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{black_box, Criterion, Throughput};
use gostuck_dump::{group, read_bytes, GroupOptions, ReadOptions};

const GOROUTINES: usize = 20_000;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The dump's bytes, generating it first if needed; `None` (with a message) when
/// it cannot be had.
fn load() -> Option<(PathBuf, Vec<u8>)> {
    let path = match std::env::var_os("GOSTUCK_BENCH_DUMP") {
        Some(p) => PathBuf::from(p),
        None => {
            let root = workspace_root();
            let path = root.join(format!("target/bench-data/dump-{GOROUTINES}.txt"));
            if !path.is_file() {
                eprintln!(
                    "bench: generating {} with bench/gen-dump.sh",
                    path.display()
                );
                let status = Command::new("bash")
                    .arg(root.join("bench/gen-dump.sh"))
                    .arg(GOROUTINES.to_string())
                    .arg(&path)
                    .status();
                match status {
                    Ok(s) if s.success() => {}
                    Ok(s) => {
                        eprintln!(
                            "bench: SKIPPED: bench/gen-dump.sh failed ({s}); the benchmark needs a Go \
                             toolchain to produce a real dump (set GO=/path/to/go or run \
                             scripts/install-go.sh 1.27.3)"
                        );
                        return None;
                    }
                    Err(e) => {
                        eprintln!("bench: SKIPPED: cannot run bash bench/gen-dump.sh: {e}");
                        return None;
                    }
                }
            }
            path
        }
    };
    match std::fs::read(&path) {
        Ok(b) => Some((path, b)),
        Err(e) => {
            eprintln!("bench: SKIPPED: {}: {e}", path.display());
            None
        }
    }
}

fn benches(c: &mut Criterion, path: &Path, bytes: &[u8]) {
    let opts = ReadOptions::default();
    let dumps = read_bytes(bytes, &opts).expect("the benchmark dump must parse");
    let goroutines = dumps.iter().map(|d| d.goroutines.len()).sum::<usize>();
    eprintln!(
        "bench: {} ({} bytes, {} goroutines, {} groups)",
        path.display(),
        bytes.len(),
        goroutines,
        dumps
            .iter()
            .map(|d| group(d, GroupOptions::default()).len())
            .sum::<usize>()
    );

    let mut g = c.benchmark_group("dump");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("read_bytes", |b| {
        b.iter(|| read_bytes(black_box(bytes), &opts).unwrap())
    });
    g.bench_function("read_bytes+group", |b| {
        b.iter(|| {
            let dumps = read_bytes(black_box(bytes), &opts).unwrap();
            let groups: usize = dumps
                .iter()
                .map(|d| group(d, GroupOptions::default()).len())
                .sum();
            (dumps, groups)
        })
    });
    g.bench_function("read_bytes-blocking-args", |b| {
        // What `gostuck analyze` keeps: the arguments of blocking runtime/sync
        // frames (the engine's `uses_args`; a similar test here, the dump crate
        // cannot depend on the engine).
        fn blocking(f: &str) -> bool {
            f.starts_with("sync.")
                || f.starts_with("internal/sync.")
                || f.starts_with("runtime.chan")
        }
        let opts = ReadOptions {
            keep_args: gostuck_dump::KeepArgs::Of(blocking),
        };
        b.iter(|| read_bytes(black_box(bytes), &opts).unwrap())
    });
    g.bench_function("read_bytes-no-args", |b| {
        let opts = ReadOptions {
            keep_args: gostuck_dump::KeepArgs::None,
        };
        b.iter(|| read_bytes(black_box(bytes), &opts).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("group");
    g.throughput(Throughput::Elements(goroutines as u64));
    g.sample_size(20);
    g.bench_function("group", |b| {
        b.iter(|| {
            dumps
                .iter()
                .map(|d| group(black_box(d), GroupOptions::default()).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

fn main() {
    let Some((path, bytes)) = load() else {
        return;
    };
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &path, &bytes);
    c.final_summary();
}

//! Stream, analyse and profile a real ~8 MiB execution trace.
//!
//! The trace is written by a real Go program (`bench/gen-trace.sh`, which
//! builds and runs `bench/gen-trace/main.go`: channel ping-pong and mutex
//! workers) and cached under `target/bench-data/`. Without a Go toolchain the
//! benchmark prints why and does nothing. `GOSTUCK_BENCH_TRACE=/path/to/trace`
//! benchmarks another file. The 200 MB comparison with the Go toolchain is
//! `bench/trace-compare.sh`.
//!
//! Run: `cargo bench -p gostuck-trace --bench trace`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{black_box, Criterion, Throughput};
use gostuck_trace::pprof::{ProfileKind, SyncProfiler};
use gostuck_trace::{analyze, Reader, WireReader};

const MIB: u32 = 8;

fn load() -> Option<(PathBuf, Vec<u8>)> {
    let path = match std::env::var_os("GOSTUCK_BENCH_TRACE") {
        Some(p) => PathBuf::from(p),
        None => {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let path = root.join(format!("target/bench-data/trace-{MIB}mb.trace"));
            if !path.is_file() {
                eprintln!(
                    "bench: generating {} with bench/gen-trace.sh",
                    path.display()
                );
                let status = Command::new("bash")
                    .arg(root.join("bench/gen-trace.sh"))
                    .arg(&path)
                    .arg(MIB.to_string())
                    .status();
                if !status.is_ok_and(|s| s.success()) {
                    eprintln!(
                        "bench: SKIPPED: bench/gen-trace.sh failed; the benchmark needs a Go \
                         toolchain to write a real trace (set GO=/path/to/go or run \
                         scripts/install-go.sh 1.27.3)"
                    );
                    return None;
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

fn main() {
    let Some((path, bytes)) = load() else {
        return;
    };
    let mut n = 0u64;
    let mut r = Reader::new(&bytes[..]).expect("trace header");
    while r.read_event_ref().expect("trace").is_some() {
        n += 1;
    }
    eprintln!(
        "bench: {} ({} bytes, {n} events)",
        path.display(),
        bytes.len()
    );

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    let mut g = c.benchmark_group("trace");
    g.throughput(Throughput::Elements(n));
    g.bench_function("stream events (read_event_ref)", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&bytes[..])).unwrap();
            let mut k = 0u64;
            while r.read_event_ref().unwrap().is_some() {
                k += 1;
            }
            k
        })
    });
    g.bench_function("analyze", |b| {
        b.iter(|| analyze(Reader::new(black_box(&bytes[..])).unwrap()).unwrap())
    });
    g.bench_function("pprof sync", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&bytes[..])).unwrap();
            let mut p = SyncProfiler::new(ProfileKind::Sync);
            while let Some(ev) = r.read_event_ref().unwrap() {
                p.event(ev);
            }
            p.finish()
        })
    });
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("wire events (WireReader)", |b| {
        b.iter(|| WireReader::new(black_box(&bytes[..])).unwrap().count())
    });
    g.finish();
    c.final_summary();
}

//! `gostuck watch URL`: samples a live net/http/pprof endpoint and reports what
//! did not move and what keeps growing (diffing lives in gostuck_engine::watch).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use gostuck_capture::outfile::{Named, OutFile};
use gostuck_engine::sourced::with_source_files;

use crate::common::{self, Dest, ReportArgs};
use gostuck_capture::http::{fetch_goroutines, Client, Endpoint};

pub const LONG_ABOUT: &str = "\
Sample a live net/http/pprof endpoint repeatedly and report goroutines that make no progress and groups that keep growing.

Every --every, gostuck fetches goroutine?debug=2 (falling back like `gostuck fetch`). After --samples samples (or at Ctrl-C, with what it has) it compares them by goroutine ID and stack:

  * a group of identical stacks that never shrinks and grows by 3 or more is a goroutine-leak (likely when it grew at every sample);
  * a goroutine with the same ID and stack, blocked in every sample on a lock, WaitGroup, Cond or nil channel, or whose wait minutes grew, made no progress: stuck-unexplained unless another finding explains it;
  * findings from the last sample whose goroutines all stood still say so.

These are the partial deadlocks and leaks the runtime never reports, because the rest of the program keeps running. The report goes to stdout (or -o FILE); progress lines go to stderr.";

pub const AFTER_HELP: &str = "\
Examples:
  gostuck watch http://127.0.0.1:6060/debug/pprof/
  gostuck watch http://127.0.0.1:6060 --every 30s --samples 10 --save ./samples
  gostuck watch http://127.0.0.1:6060 --every 2s --samples 3 -f json

Example output:
  gostuck: sample 1/4: 6 goroutines
  gostuck: sample 2/4: 13 goroutines (+7)
  gostuck: sample 3/4: 19 goroutines (+6)
  gostuck: sample 4/4: 26 goroutines (+7)
  GOROUTINE LEAK  Goroutine leak: 22 goroutines parked at lookup, leaky-server/main.go:24 [goroutine-leak] at leaky-server/main.go:24.
    note: watch: 4 samples over 6s; goroutines per sample: 6 → 13 → 19 → 26; 2 goroutines made no progress
  F1 goroutine-leak [likely] 22 goroutines parked at lookup, leaky-server/main.go:24
    … grew across 4 samples over 6s: 2 → 9 → 15 → 22.";

#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    /// The pprof endpoint: http://HOST:PORT[/debug/pprof/[goroutine]].
    #[arg(value_name = "URL")]
    pub url: String,
    /// Time between samples.
    #[arg(long, default_value = "10s", value_parser = common::parse_duration, value_name = "DURATION")]
    pub every: Duration,
    /// How many samples to take (at least 2).
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=10000))]
    pub samples: u32,
    /// Write every sample into DIR (sample-01-goroutine-debug2.txt, …).
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Timeout of each request.
    #[arg(long, default_value = "30s", value_parser = common::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn watch(a: WatchArgs) -> Result<u8> {
    let ep = Endpoint::parse(&a.url)?;
    if let Some(dir) = &a.save {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone())
        .context("installing the Ctrl-C handler")?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, stop.clone())
        .context("installing the SIGTERM handler")?;
    let client = Client::new(a.timeout);
    let mut samples = Vec::new();
    let mut label = String::new();
    let start = Instant::now();
    let mut first_at = None;
    let mut last_at = start;
    for i in 0..a.samples {
        if i > 0 {
            let wake = Instant::now() + a.every;
            while Instant::now() < wake && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50).min(a.every));
            }
        }
        if stop.load(Ordering::Relaxed) {
            eprintln!(
                "gostuck: interrupted; analysing the {} sample(s) taken",
                samples.len()
            );
            break;
        }
        let p = fetch_goroutines(&client, &ep)?;
        let at = Instant::now();
        first_at.get_or_insert(at);
        last_at = at;
        if let Some(dir) = &a.save {
            let path = dir.join(format!("sample-{:02}-{}", i + 1, p.file));
            OutFile::write_all(&path, Named::ByGostuck, a.report.force, &p.body)?;
        }
        let d = gostuck_capture::pprof::to_dump(&p)?;
        let n = d.total_goroutines();
        let delta = samples
            .last()
            .map(|prev: &gostuck_dump::Dump| {
                let before = i128::from(prev.total_goroutines());
                format!(" ({:+})", i128::from(n) - before)
            })
            .unwrap_or_default();
        eprintln!(
            "gostuck: sample {}/{}: {}{delta}{}",
            i + 1,
            a.samples,
            gostuck_report::count(n as u64, "goroutine", "goroutines"),
            if d.goroutines.iter().any(|g| g.id.is_none()) {
                " (no goroutine IDs in this encoding: only growth can be judged)"
            } else {
                ""
            }
        );
        for n in &p.notes {
            eprintln!("gostuck: {}", gostuck_report::escape_controls(n));
        }
        label = format!("{} (sample {} of {})", p.url, i + 1, a.samples);
        samples.push(d);
    }
    if samples.is_empty() {
        bail!("interrupted before the first sample");
    }
    let span = gostuck_dump::human::format_duration(
        last_at.duration_since(first_at.unwrap_or(start)),
        gostuck_dump::human::DurationStyle::Span,
    );
    let opts = common::options(&a.report, false);
    let src = common::sources(&a.report)?;
    let (report, read_from) = with_source_files(src, &a.report.source, |s| {
        gostuck_engine::watch::analyze(&samples, &label, &span, &opts, s)
    });
    common::render(&report, &read_from, &a.report, Dest::Stdout)?;
    Ok(if gostuck_engine::is_stuck(&report) {
        1
    } else {
        0
    })
}

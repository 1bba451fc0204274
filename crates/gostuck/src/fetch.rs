//! `gostuck fetch URL`: goroutine profiles from a live net/http/pprof endpoint.
//! Also the small HTTP client `watch` uses. Plain http only; only the URL the
//! user gave is contacted (no redirects, no proxies).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use gostuck_capture::http::{fetch_goroutines, Client, Endpoint};
use gostuck_capture::outfile::{Named, OutFile};
use gostuck_capture::pprof;

use crate::common::{self, Dest, ReportArgs};

pub const LONG_ABOUT: &str = "\
Fetch goroutine profiles from a live net/http/pprof endpoint and analyse them.

URL is the pprof base (http://127.0.0.1:6060/debug/pprof/), the full goroutine URL (…/debug/pprof/goroutine?debug=2), or just http://HOST:PORT (then /debug/pprof/ is assumed).

gostuck fetches goroutine?debug=2 (every goroutine with its ID, state and wait time). When the server cuts that at 64 MiB, as net/http/pprof does, or answers with an error, it falls back to debug=1 (stacks aggregated with counts), then debug=0 (protobuf). It then fetches goroutineleak?debug=2, which Go 1.26 (with GOEXPERIMENT=goroutineleakprofile) and Go 1.27+ serve: the runtime's own proof of which goroutines can never run again; older versions answer 404 and gostuck goes on without it. With --trace-seconds N it also records an execution trace (trace?seconds=N) to disk.

Only plain http:// is supported (the usual case: a loopback port, or one forwarded with `kubectl port-forward` / `ssh -L`). Only the URL you give is contacted: redirects are not followed and proxy variables are ignored.";

pub const AFTER_HELP: &str = "\
Examples:
  gostuck fetch http://127.0.0.1:6060/debug/pprof/
  gostuck fetch http://127.0.0.1:6060 --save ./evidence --trace-seconds 5
  gostuck fetch 'http://127.0.0.1:6060/debug/pprof/goroutine?debug=2' -f json -o report.json

Example output:
  gostuck: analysed http://127.0.0.1:37435/debug/pprof/goroutineleak?debug=2 (every goroutine, the leaked ones marked by the runtime) instead of …/goroutine?debug=2
  PARTIAL DEADLOCK  Partial deadlock while the program runs: 2 goroutines each hold a lock the next one waits for [lock-cycle] at server-partial-deadlock/main.go:36 (+1 more finding).
  F1 lock-cycle [certain] 2 goroutines each hold a lock the next one waits for
  F2 goroutine-leak [certain] 20 goroutines parked at lookup, server-partial-deadlock/main.go:52
  …";

#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    /// The pprof endpoint: http://HOST:PORT[/debug/pprof/[goroutine]].
    #[arg(value_name = "URL")]
    pub url: String,
    /// Write the raw artifacts (profiles, trace) into DIR.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Also record an execution trace for N seconds (saved to --save DIR, or a temp dir).
    #[arg(long, value_name = "N")]
    pub trace_seconds: Option<u32>,
    /// Timeout of each request, on top of --trace-seconds for the trace.
    #[arg(long, default_value = "30s", value_parser = common::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    #[command(flatten)]
    pub report: ReportArgs,
}

fn save(dir: &Path, name: &str, bytes: &[u8], force: bool) -> gostuck_capture::Result<()> {
    let p = dir.join(name);
    OutFile::write_all(&p, Named::ByGostuck, force, bytes)?;
    eprintln!("gostuck: saved {}", p.display());
    Ok(())
}

pub fn fetch(a: FetchArgs) -> Result<u8> {
    let ep = Endpoint::parse(&a.url)?;
    if let Some(dir) = &a.save {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let client = Client::new(a.timeout);
    let g = fetch_goroutines(&client, &ep)?;
    for n in &g.notes {
        eprintln!("gostuck: {}", gostuck_report::escape_controls(n));
    }
    let mut save_to = |name: &str, bytes: &[u8]| match &a.save {
        Some(dir) => save(dir, name, bytes, a.report.force),
        None => Ok(()),
    };
    save_to(g.file, &g.body)?;
    let first = pprof::to_dump(&g)?;
    let got = pprof::with_leak_profile(&client, &ep, &g, first, &mut save_to)?;
    let (mut dump, label, mut extra) = (got.dump, got.label, got.notes);

    if let Some(secs) = a.trace_seconds {
        let dir = match &a.save {
            Some(d) => d.clone(),
            // A new private directory: never a predictable name someone else
            // could have created (or planted a link in) beforehand.
            None => gostuck_capture::outfile::kept_temp_dir("gostuck-fetch-")?,
        };
        let path = dir.join("trace.out");
        // Checked before the recording, so a refusal costs no waiting.
        let out = OutFile::create(&path, Named::ByGostuck, a.report.force)?;
        eprintln!("gostuck: recording an execution trace for {secs}s…");
        extra.push(pprof::record_trace(&ep, a.timeout, secs, out, &path));
    }
    for n in &extra {
        eprintln!("gostuck: {}", gostuck_report::escape_controls(n));
        dump.notes.push(n.clone());
    }
    let inputs = vec![gostuck_engine::Input { path: label, dump }];
    let (report, read_from) = common::analyze(&inputs, &a.report, false)?;
    common::render(&report, &read_from, &a.report, Dest::Stdout)?;
    Ok(if gostuck_engine::is_stuck(&report) {
        1
    } else {
        0
    })
}

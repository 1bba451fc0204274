//! `gostuck fetch URL`: goroutine profiles from a live net/http/pprof endpoint.
//! Also the small HTTP client `watch` uses. Plain http only; only the URL the
//! user gave is contacted (no redirects, no proxies).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::outfile::{Named, OutFile};
use anyhow::{bail, Context, Result};
use gostuck_dump::{Dump, ReadOptions};

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

/// net/http/pprof stops writing `debug=2` once its buffer reaches 64 MiB.
const PPROF_DEBUG2_CAP: usize = 64 << 20;
/// Largest profile gostuck reads into memory.
const MAX_PROFILE: u64 = 1 << 30;
/// Largest trace written to disk.
const MAX_TRACE: u64 = 4 << 30;

/// A pprof endpoint: `http://host:port` and the base path ending in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub origin: String,
    pub base: String,
}

impl Endpoint {
    /// Parses the user's URL.
    pub fn parse(url: &str) -> Result<Endpoint> {
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") {
            bail!("{url}: https is not supported — gostuck speaks plain http to a pprof port (usually on loopback, or forwarded with `kubectl port-forward`/`ssh -L`); or fetch the profile yourself (curl -o dump.txt '…/goroutine?debug=2') and run `gostuck analyze dump.txt`");
        }
        let Some(rest) = lower.starts_with("http://").then(|| &url[7..]) else {
            bail!("{url}: expected an http:// URL like http://127.0.0.1:6060/debug/pprof/");
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            bail!("{url}: expected http://HOST:PORT/… (no user info)");
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let base = if path.is_empty() || path == "/" {
            "/debug/pprof/".to_string()
        } else if let Some(dir) = path
            .strip_suffix("goroutine")
            .or_else(|| path.strip_suffix("goroutineleak"))
            .filter(|d| d.ends_with('/'))
        {
            dir.to_string()
        } else if path.ends_with('/') {
            path.to_string()
        } else {
            format!("{path}/")
        };
        Ok(Endpoint {
            origin: format!("http://{authority}"),
            base,
        })
    }

    /// The URL of a profile (`goroutine?debug=2`).
    pub fn url(&self, rest: &str) -> String {
        format!("{}{}{rest}", self.origin, self.base)
    }
}

/// The HTTP client: no redirects, no proxies, timeouts.
pub struct Client {
    agent: ureq::Agent,
}

/// The outcome of a GET.
pub enum Got {
    /// 200 and the body.
    Body(Vec<u8>),
    /// Another status and the start of the body.
    Status(u16, String),
}

impl Client {
    pub fn new(timeout: Duration) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(timeout))
            .user_agent(concat!("gostuck/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.new_agent(),
        }
    }

    fn get_raw(&self, url: &str) -> Result<ureq::http::Response<ureq::Body>> {
        self.agent.get(url).call().map_err(|e| {
            let hint = match &e {
                ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                    " (connection refused: is the program running and serving net/http/pprof on that port?)"
                }
                ureq::Error::Timeout(_) => " (timed out: the server did not answer in time; see --timeout)",
                _ => "",
            };
            anyhow::anyhow!("{url}: {e}{hint}")
        })
    }

    /// GETs `url`, reading at most `limit` bytes of body.
    pub fn get(&self, url: &str, limit: u64) -> Result<Got> {
        let mut resp = self.get_raw(url)?;
        let status = resp.status().as_u16();
        if status == 200 {
            let body = resp
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .with_context(|| format!("{url}: reading the response"))?;
            return Ok(Got::Body(body));
        }
        if (300..400).contains(&status) {
            let to = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?")
                .to_string();
            return Ok(Got::Status(
                status,
                format!("redirect to {to} not followed: gostuck only contacts the URL you gave"),
            ));
        }
        let mut text = String::new();
        let _ = resp
            .body_mut()
            .as_reader()
            .take(512)
            .read_to_string(&mut text);
        Ok(Got::Status(
            status,
            text.trim().lines().next().unwrap_or("").to_string(),
        ))
    }

    /// GETs `url` into a file, at most `limit` bytes. Returns the size.
    pub fn get_to_file(&self, url: &str, mut f: OutFile, limit: u64) -> Result<u64> {
        let mut resp = self.get_raw(url)?;
        let status = resp.status().as_u16();
        if status != 200 {
            let mut text = String::new();
            let _ = resp
                .body_mut()
                .as_reader()
                .take(512)
                .read_to_string(&mut text);
            bail!("{url}: HTTP {status} {}", text.trim());
        }
        let mut r = resp.body_mut().as_reader().take(limit);
        let n = std::io::copy(&mut r, &mut f)
            .with_context(|| format!("{url}: reading the response"))?;
        f.commit()?;
        Ok(n)
    }
}

/// One fetched goroutine profile.
pub struct Profile {
    pub url: String,
    /// File name for --save.
    pub file: &'static str,
    pub body: Vec<u8>,
    /// Notes about fallbacks.
    pub notes: Vec<String>,
}

/// Fetches `goroutine` at debug=2, falling back to debug=1 and debug=0.
pub fn fetch_goroutines(c: &Client, ep: &Endpoint) -> Result<Profile> {
    let mut notes = Vec::new();
    let tries: [(&str, &'static str); 3] = [
        ("goroutine?debug=2", "goroutine-debug2.txt"),
        ("goroutine?debug=1", "goroutine-debug1.txt"),
        ("goroutine?debug=0", "goroutine-debug0.pb.gz"),
    ];
    let mut last_err = None;
    for (i, (q, file)) in tries.iter().enumerate() {
        let url = ep.url(q);
        match c.get(&url, MAX_PROFILE)? {
            Got::Body(body) => {
                if i == 0 && body.len() >= PPROF_DEBUG2_CAP {
                    notes.push(format!(
                        "{url}: {} bytes, the size at which net/http/pprof cuts debug=2; using debug=1 (aggregated, complete) instead",
                        body.len()
                    ));
                    continue;
                }
                return Ok(Profile {
                    url,
                    file,
                    body,
                    notes,
                });
            }
            Got::Status(404, _) if i == 0 => {
                bail!("{url}: HTTP 404 Not Found — no goroutine profile here; is net/http/pprof imported and served at {}?", ep.url(""))
            }
            Got::Status(s, text) => {
                notes.push(format!("{url}: HTTP {s} {text}; trying the next encoding"));
                last_err = Some(format!("{url}: HTTP {s} {text}"));
            }
        }
    }
    bail!(
        "no goroutine profile could be fetched: {}",
        last_err.unwrap_or_default()
    )
}

/// Reads the last dump of a profile body, with the fetch notes.
pub fn to_dump(p: &Profile) -> Result<Dump> {
    let r = common::read_bytes(&p.body, &ReadOptions::default()).with_context(|| p.url.clone())?;
    let Some(mut d) = r.dumps.into_iter().last() else {
        bail!("{}: no goroutine dump in the response", p.url);
    };
    d.notes.extend(p.notes.iter().cloned());
    Ok(d)
}

fn save(dir: &Path, name: &str, bytes: &[u8], force: bool) -> Result<()> {
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
    if let Some(dir) = &a.save {
        save(dir, g.file, &g.body, a.report.force)?;
    }
    let mut dump = to_dump(&g)?;
    let mut label = g.url.clone();
    let mut extra = Vec::new();

    // The goroutineleak profile: the runtime's proof, when this Go has it.
    let leak_url = ep.url("goroutineleak?debug=2");
    match client.get(&leak_url, MAX_PROFILE) {
        Ok(Got::Body(body)) => {
            if let Some(dir) = &a.save {
                save(dir, "goroutineleak-debug2.txt", &body, a.report.force)?;
            }
            let p = Profile {
                url: leak_url.clone(),
                file: "goroutineleak-debug2.txt",
                body,
                notes: Vec::new(),
            };
            match to_dump(&p) {
                // debug=2 of goroutineleak lists every goroutine, the leaked ones
                // marked: it supersedes the goroutine profile taken just before.
                Ok(d) if !d.goroutines.is_empty() && d.format == gostuck_dump::Format::Traceback => {
                    extra.push(format!(
                        "analysed {leak_url} (every goroutine, the leaked ones marked by the runtime) instead of {}",
                        g.url
                    ));
                    dump = d;
                    label = leak_url;
                }
                Ok(_) => extra.push(format!("{leak_url}: no goroutines listed")),
                Err(e) => extra.push(format!("{leak_url}: {}", crate::common::error_message(&e))),
            }
        }
        Ok(Got::Status(s, text)) => extra.push(format!(
            "{leak_url}: HTTP {s} {text} — this Go version has no goroutineleak profile (Go 1.26 with GOEXPERIMENT=goroutineleakprofile, or Go 1.27+); going on without it"
        )),
        Err(e) => extra.push(format!("{}; going on without the goroutineleak profile", crate::common::error_message(&e))),
    }

    if let Some(secs) = a.trace_seconds {
        let dir = match &a.save {
            Some(d) => d.clone(),
            // A new private directory: never a predictable name someone else
            // could have created (or planted a link in) beforehand.
            None => crate::outfile::kept_temp_dir("gostuck-fetch-")?,
        };
        let path = dir.join("trace.out");
        // Checked before the recording, so a refusal costs no waiting.
        let out = OutFile::create(&path, Named::ByGostuck, a.report.force)?;
        let url = ep.url(&format!("trace?seconds={secs}"));
        eprintln!("gostuck: recording an execution trace for {secs}s…");
        let tclient = Client::new(a.timeout + Duration::from_secs(u64::from(secs)));
        match tclient.get_to_file(&url, out, MAX_TRACE) {
            Ok(n) => extra.push(format!(
                "execution trace ({n} bytes) saved to {} (`go tool trace {}`)",
                path.display(),
                path.display()
            )),
            Err(e) => extra.push(crate::common::error_message(&e)),
        }
    }
    for n in &extra {
        eprintln!("gostuck: {}", gostuck_report::escape_controls(n));
        dump.notes.push(n.clone());
    }
    let inputs = vec![gostuck_engine::Input { path: label, dump }];
    let (report, read_from) = common::analyze(&inputs, &a.report, false)?;
    common::render(&report, &read_from, &a.report, Dest::Stdout)?;
    Ok(if common::is_stuck(&report) { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_a_pprof_base() {
        let e = Endpoint::parse("http://127.0.0.1:6060/debug/pprof/").unwrap();
        assert_eq!(
            e.url("goroutine?debug=2"),
            "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2"
        );
        for u in [
            "http://127.0.0.1:6060",
            "http://127.0.0.1:6060/",
            "http://127.0.0.1:6060/debug/pprof",
            "http://127.0.0.1:6060/debug/pprof/goroutine?debug=1",
            "HTTP://127.0.0.1:6060/debug/pprof/goroutineleak",
        ] {
            let e = Endpoint::parse(u).unwrap();
            assert_eq!(e.url(""), "http://127.0.0.1:6060/debug/pprof/", "{u}");
        }
        let e = Endpoint::parse("http://localhost:8080/admin/pprof/goroutine").unwrap();
        assert_eq!(e.url("x"), "http://localhost:8080/admin/pprof/x");
        let err = Endpoint::parse("https://example.com/debug/pprof/").unwrap_err();
        assert!(err.to_string().contains("https is not supported"), "{err}");
        assert!(Endpoint::parse("ftp://x/").is_err());
        assert!(Endpoint::parse("http://user@host/").is_err());
    }
}

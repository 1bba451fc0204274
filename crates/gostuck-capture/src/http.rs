//! Goroutine profiles over plain HTTP from a net/http/pprof endpoint. Only
//! the URL the user gave is contacted (no redirects, no proxies).

use std::io::Read;
use std::time::Duration;

use crate::outfile::OutFile;
use crate::{Error, Result};

/// net/http/pprof stops writing `debug=2` once its buffer reaches 64 MiB.
const PPROF_DEBUG2_CAP: usize = 64 << 20;
/// Largest profile gostuck reads into memory.
pub const MAX_PROFILE: u64 = 1 << 30;
/// Largest trace written to disk.
pub const MAX_TRACE: u64 = 4 << 30;

/// A pprof endpoint: `http://host:port` and the base path ending in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://host:port`.
    pub origin: String,
    /// The base path, ending in `/`.
    pub base: String,
}

impl Endpoint {
    /// Parses the user's URL.
    pub fn parse(url: &str) -> Result<Endpoint> {
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") {
            return Err(Error::Http(format!("{url}: https is not supported — gostuck speaks plain http to a pprof port (usually on loopback, or forwarded with `kubectl port-forward`/`ssh -L`); or fetch the profile yourself (curl -o dump.txt '…/goroutine?debug=2') and run `gostuck analyze dump.txt`")));
        }
        let Some(rest) = lower.starts_with("http://").then(|| &url[7..]) else {
            return Err(Error::Http(format!(
                "{url}: expected an http:// URL like http://127.0.0.1:6060/debug/pprof/"
            )));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(Error::Http(format!(
                "{url}: expected http://HOST:PORT/… (no user info)"
            )));
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
    #[must_use]
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
    /// A client whose every request ends within `timeout`.
    #[must_use]
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
            Error::Http(format!("{url}: {e}{hint}"))
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
                .map_err(|e| Error::Body {
                    url: url.to_string(),
                    source: Box::new(e),
                })?;
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
            return Err(Error::Http(format!("{url}: HTTP {status} {}", text.trim())));
        }
        let mut r = resp.body_mut().as_reader().take(limit);
        let n = std::io::copy(&mut r, &mut f).map_err(|e| Error::Body {
            url: url.to_string(),
            source: Box::new(e),
        })?;
        f.commit()?;
        Ok(n)
    }
}

/// One fetched goroutine profile.
pub struct Profile {
    /// Where it was fetched from.
    pub url: String,
    /// File name for --save.
    pub file: &'static str,
    /// The response.
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
                return Err(Error::Http(format!("{url}: HTTP 404 Not Found — no goroutine profile here; is net/http/pprof imported and served at {}?", ep.url(""))))
            }
            Got::Status(s, text) => {
                notes.push(format!("{url}: HTTP {s} {text}; trying the next encoding"));
                last_err = Some(format!("{url}: HTTP {s} {text}"));
            }
        }
    }
    Err(Error::Http(format!(
        "no goroutine profile could be fetched: {}",
        last_err.unwrap_or_default()
    )))
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

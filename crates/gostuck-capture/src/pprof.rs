//! A live net/http/pprof endpoint's goroutines as a dump (`gostuck fetch`,
//! `gostuck watch`): the goroutine profile read, superseded by the
//! goroutineleak profile when this Go serves one, and an execution trace
//! recorded to a file.

use std::path::Path;
use std::time::Duration;

use gostuck_dump::{Dump, ReadOptions};

use crate::http::{Client, Endpoint, Got, Profile, MAX_PROFILE, MAX_TRACE};
use crate::outfile::OutFile;
use crate::{error_text, Error, Result};

/// The last dump of a fetched profile, with the fetch's notes.
///
/// # Errors
/// The body is not a goroutine dump the readers accept.
pub fn to_dump(p: &Profile) -> Result<Dump> {
    let r =
        gostuck_sched::mixed::read_bytes(&p.body, &ReadOptions::default()).map_err(|source| {
            Error::Dump {
                url: p.url.clone(),
                source,
            }
        })?;
    let Some(mut d) = r.dumps.into_iter().last() else {
        return Err(Error::NoDumpIn(p.url.clone()));
    };
    d.notes.extend(p.notes.iter().cloned());
    Ok(d)
}

/// The dump to analyse, the URL it is shown under, and what happened to
/// the goroutineleak profile (for the user and the report).
pub struct Fetched {
    /// The dump.
    pub dump: Dump,
    /// Its URL.
    pub label: String,
    /// Notes.
    pub notes: Vec<String>,
}

/// Fetches `goroutineleak?debug=2` (Go 1.26 with
/// `GOEXPERIMENT=goroutineleakprofile`, Go 1.27+): every goroutine, the
/// leaked ones marked by the runtime, so it replaces `dump` (read from
/// `goroutines` just before) when it lists goroutines. Older Go answers 404
/// and `dump` is kept. `save` is given each body fetched, by file name.
///
/// # Errors
/// Only from `save`: a failed or refused request becomes a note.
pub fn with_leak_profile(
    client: &Client,
    ep: &Endpoint,
    goroutines: &Profile,
    dump: Dump,
    save: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
) -> Result<Fetched> {
    let leak_url = ep.url("goroutineleak?debug=2");
    let mut got = Fetched {
        dump,
        label: goroutines.url.clone(),
        notes: Vec::new(),
    };
    let note = match client.get(&leak_url, MAX_PROFILE) {
        Ok(Got::Body(body)) => {
            let file = "goroutineleak-debug2.txt";
            save(file, &body)?;
            let p = Profile {
                url: leak_url.clone(),
                file,
                body,
                notes: Vec::new(),
            };
            match to_dump(&p) {
                Ok(d) if !d.goroutines.is_empty() && d.format == gostuck_dump::Format::Traceback => {
                    got.dump = d;
                    got.label = leak_url.clone();
                    format!(
                        "analysed {leak_url} (every goroutine, the leaked ones marked by the runtime) instead of {}",
                        goroutines.url
                    )
                }
                Ok(_) => format!("{leak_url}: no goroutines listed"),
                Err(e) => format!("{leak_url}: {}", error_text(&e)),
            }
        }
        Ok(Got::Status(s, text)) => format!(
            "{leak_url}: HTTP {s} {text} — this Go version has no goroutineleak profile (Go 1.26 with GOEXPERIMENT=goroutineleakprofile, or Go 1.27+); going on without it"
        ),
        Err(e) => format!("{}; going on without the goroutineleak profile", error_text(&e)),
    };
    got.notes.push(note);
    Ok(got)
}

/// Records `trace?seconds=SECS` into `out` (at `path`), each request
/// allowed `timeout` on top of the recording; says where it went, or why
/// it failed.
#[must_use]
pub fn record_trace(
    ep: &Endpoint,
    timeout: Duration,
    secs: u32,
    out: OutFile,
    path: &Path,
) -> String {
    let url = ep.url(&format!("trace?seconds={secs}"));
    let client = Client::new(timeout + Duration::from_secs(u64::from(secs)));
    match client.get_to_file(&url, out, MAX_TRACE) {
        Ok(n) => format!(
            "execution trace ({n} bytes) saved to {} (`go tool trace {}`)",
            path.display(),
            path.display()
        ),
        Err(e) => error_text(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(body: Vec<u8>) -> Profile {
        Profile {
            url: "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2".into(),
            file: "goroutine-debug2.txt",
            body,
            notes: vec!["fell back".into()],
        }
    }

    #[test]
    fn a_profile_body_gives_its_last_dump_with_the_fetch_notes() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captured/go1.27.3/"
        );
        let body = std::fs::read(format!("{dir}abba.txt")).unwrap();
        let d = to_dump(&profile(body)).unwrap();
        assert!(d.goroutines.len() >= 2);
        assert_eq!(d.notes.last().unwrap(), "fell back");
    }

    #[test]
    fn a_body_without_a_dump_is_an_error_naming_the_url() {
        let e = to_dump(&profile(b"404 page not found\n".to_vec())).unwrap_err();
        let text = error_text(&e);
        assert!(
            text.starts_with("http://127.0.0.1:6060/debug/pprof/goroutine?debug=2"),
            "{text}"
        );
    }
}

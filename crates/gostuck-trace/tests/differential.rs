//! Differential tests against Go's own trace reader.
//!
//! `scripts/capture-traces.sh` records traces with several Go toolchains
//! into `testdata/captured/go*/traces/` together with what the reference
//! toolchain's `go tool trace -d=parsed` and `-d=wire` print for them. The
//! event stream of [`Reader`] and the raw events of [`WireReader`] must
//! print identically.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use gostuck_trace::{Error, Reader, WireReader};

fn captured() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured")
}

/// All captured traces, sorted.
fn traces() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(dirs) = fs::read_dir(captured()) else {
        return out;
    };
    for d in dirs.flatten() {
        let t = d.path().join("traces");
        if let Ok(files) = fs::read_dir(&t) {
            for f in files.flatten() {
                let p = f.path();
                if p.extension().is_some_and(|e| e == "trace") {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

fn meta(trace: &Path, key: &str) -> Option<String> {
    let text = fs::read_to_string(trace.with_extension("meta")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

/// Our `-d=parsed` equivalent: events until the end or the first error.
fn parsed_dump(bytes: &[u8]) -> (String, usize, Option<Error>) {
    let mut out = String::new();
    let mut n = 0;
    let mut r = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (out, 0, Some(e)),
    };
    loop {
        match r.read_event() {
            Ok(Some(ev)) => {
                n += 1;
                writeln!(out, "{ev}").unwrap();
            }
            Ok(None) => return (out, n, None),
            Err(e) => return (out, n, Some(e)),
        }
    }
}

fn wire_dump(bytes: &[u8]) -> (String, usize, Option<Error>) {
    let mut out = String::new();
    let mut n = 0;
    let r = match WireReader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (out, 0, Some(e)),
    };
    for ev in r {
        match ev {
            Ok(ev) => {
                n += 1;
                writeln!(out, "{ev}").unwrap();
            }
            Err(e) => return (out, n, Some(e)),
        }
    }
    (out, n, None)
}

/// The first differing line, with context, or `None` if equal.
fn diff(want: &str, got: &str) -> Option<String> {
    if want == got {
        return None;
    }
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let i = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    let lo = i.saturating_sub(6);
    let mut s = format!(
        "first difference at line {} (want {} lines, got {}):\n",
        i + 1,
        w.len(),
        g.len()
    );
    for (k, l) in w.iter().enumerate().take(i + 3).skip(lo) {
        let _ = writeln!(s, "  want {:>6}: {l}", k + 1);
    }
    for (k, l) in g.iter().enumerate().take(i + 3).skip(lo) {
        let _ = writeln!(s, "  got  {:>6}: {l}", k + 1);
    }
    Some(s)
}

#[test]
fn parsed_streams_match_go() {
    let mut failures = Vec::new();
    let (mut n_traces, mut n_events) = (0, 0);
    for t in traces() {
        let want_path = t.with_extension("parsed.txt");
        let Ok(want) = fs::read_to_string(&want_path) else {
            continue;
        };
        let bytes = fs::read(&t).unwrap();
        let (got, n, err) = parsed_dump(&bytes);
        let go_ok = meta(&t, "exit").as_deref() == Some("0");
        if let (true, Some(e)) = (go_ok, &err) {
            failures.push(format!("{}: unexpected error: {e}", t.display()));
        } else if !go_ok && err.is_none() {
            failures.push(format!("{}: Go failed, we did not", t.display()));
        }
        // Go's error message is what its synthetic tests expect; ours
        // should say the same thing.
        if let (Some(go_err), Some(e)) = (meta(&t, "error"), &err) {
            if !e.to_string().contains(&go_err) {
                failures.push(format!("{}: error {e:?}, Go says {go_err:?}", t.display()));
            }
        }
        if let Some(d) = diff(&want, &got) {
            failures.push(format!("{}: {d}", t.display()));
        }
        n_traces += 1;
        n_events += n;
    }
    eprintln!("compared {n_events} events of {n_traces} traces against go tool trace -d=parsed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if captured().exists() {
        assert!(n_traces > 0, "no captured traces with .parsed.txt found");
    }
}

#[test]
fn wire_events_match_go() {
    let mut failures = Vec::new();
    let (mut n_traces, mut n_events) = (0, 0);
    for t in traces() {
        let Ok(want) = fs::read_to_string(t.with_extension("wire.txt")) else {
            continue;
        };
        let bytes = fs::read(&t).unwrap();
        let (got, n, err) = wire_dump(&bytes);
        if let Some(e) = err {
            failures.push(format!("{}: {e}", t.display()));
        }
        // Go's raw reader stops at experimental events in traces older than
        // 1.26 (they are not in that version's table); we read on. Compare
        // what Go printed.
        let got = if meta(&t, "wire_exit").is_some_and(|c| c != "0") {
            let lines = want.lines().count();
            got.lines().take(lines).map(|l| format!("{l}\n")).collect()
        } else {
            got
        };
        if let Some(d) = diff(&want, &got) {
            failures.push(format!("{}: {d}", t.display()));
        }
        n_traces += 1;
        n_events += n;
    }
    eprintln!("compared {n_events} wire events of {n_traces} traces against go tool trace -d=wire");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn old_traces_are_refused() {
    let mut n = 0;
    for t in traces() {
        let Some(ver) = meta(&t, "go") else { continue };
        let minor: u32 = ver.split('.').nth(1).and_then(|m| m.parse().ok()).unwrap();
        if minor >= 22 {
            continue;
        }
        let bytes = fs::read(&t).unwrap();
        let err = Reader::new(&bytes[..]).err().expect("old trace accepted");
        assert!(matches!(err, Error::OldVersion { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("Go 1.22") && msg.contains("go tool trace"),
            "{msg}"
        );
        n += 1;
    }
    eprintln!("{n} old-format traces refused");
}

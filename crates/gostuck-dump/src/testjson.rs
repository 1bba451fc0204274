//! `go test -json` output (and `go tool test2json`): one JSON event per line,
//! the test binary's output in the `Output` field of `"Action":"output"`
//! events. A test timeout's goroutine dump arrives that way in CI logs; it is
//! decoded back to text, per package (packages' events may interleave), and
//! read like any traceback text.

use std::borrow::Cow;

use serde::Deserialize;

use crate::model::Dump;
use crate::KeepArgs;

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "Action", borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(rename = "Package", borrow, default)]
    package: Option<Cow<'a, str>>,
    #[serde(rename = "Output", borrow, default)]
    output: Option<Cow<'a, str>>,
}

/// Whether the input starts like `go test -json` output: one of its first
/// lines is an event (a few lines of prose may come first, as in a paste).
pub(crate) fn looks_like(head: &[u8]) -> bool {
    for l in head.split(|&c| c == b'\n').take(8) {
        let l = l.trim_ascii();
        if l.starts_with(b"{\"Time\":\"") || l.starts_with(b"{\"Action\":\"") {
            return true;
        }
        // A dump's own first lines (or binary data) come before any event:
        // it is not `go test -json`.
        if crate::lines::header(l).is_some()
            || crate::pprof_text::profile_header(l).is_some()
            || l.iter().any(|&c| c < 0x20 && c != b'\t')
        {
            return false;
        }
    }
    false
}

/// The dumps in `go test -json` output. Lines that are not events (stderr of
/// the go command mixed in by `2>&1`) are read as plain text with their package unknown.
pub(crate) fn read(bytes: &[u8], keep_args: KeepArgs) -> Vec<Dump> {
    // (package, decoded output), in order of first appearance.
    let mut texts: Vec<(String, String)> = Vec::new();
    fn text_of<'t>(texts: &'t mut Vec<(String, String)>, package: &str) -> &'t mut String {
        let i = match texts.iter().position(|(p, _)| p == package) {
            Some(i) => i,
            None => {
                texts.push((package.to_string(), String::new()));
                texts.len() - 1
            }
        };
        &mut texts[i].1
    }
    let mut bad = 0u64;
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        match serde_json::from_slice::<Event<'_>>(line) {
            Ok(e) => {
                if e.action.as_deref() == Some("output") {
                    if let Some(out) = e.output {
                        text_of(&mut texts, e.package.as_deref().unwrap_or("")).push_str(&out);
                    }
                }
            }
            Err(_) => {
                bad += 1;
                let t = text_of(&mut texts, "");
                t.push_str(&String::from_utf8_lossy(line));
                t.push('\n');
            }
        }
    }
    let mut dumps = Vec::new();
    for (package, text) in texts {
        for mut d in crate::read_traceback(text.as_bytes(), keep_args, &|_| {}) {
            let from = if package.is_empty() {
                "lines of `go test -json` output that are not events".to_string()
            } else {
                format!("the `go test -json` output of package {package}")
            };
            d.notes.insert(
                0,
                format!(
                    "read from {from}; line numbers count lines of that decoded output{}",
                    if bad > 0 {
                        format!(" ({bad} lines were not JSON events and were read as text)")
                    } else {
                        String::new()
                    }
                ),
            );
            dumps.push(d);
        }
    }
    dumps
}

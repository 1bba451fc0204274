//! Text that holds the words of a dump but no goroutine stacks: a log line
//! quoting a crash message, another tool's rendering of a dump. Reading it as
//! a dump of zero goroutines would give a verdict about nothing; it is
//! refused with a sentence that says what the text looks like.

use crate::model::{Dump, Format};
use crate::Error;

/// `dumps` unless none has a goroutine; then what the text looks like. The
/// runtime's own report of a program with no goroutines left (main called
/// `runtime.Goexit`) is a dump of zero goroutines and is kept.
pub(crate) fn refuse_empty(dumps: Vec<Dump>, text: &[u8]) -> Result<Vec<Dump>, Error> {
    let empty = dumps.iter().all(|d| d.total_goroutines() == 0);
    let goexit = dumps.iter().any(|d| {
        d.fatal_error
            .as_deref()
            .is_some_and(|m| m.starts_with("no goroutines (main called runtime.Goexit)"))
    });
    // A profile whose header says it holds no goroutine (`goroutineleak
    // profile: total 0`: the runtime found no leak) is a real, empty answer.
    let empty_profile = dumps.iter().any(|d| d.profile_total == Some(0));
    // A profile.proto is not text: only what it lacks can be said.
    let binary = dumps.iter().any(|d| d.format == Format::PprofProto);
    if dumps.is_empty() || (empty && !goexit && !empty_profile) {
        if binary {
            return Err(Error::NoDump);
        }
        return Err(match looks_like(&text[..text.len().min(1 << 20)]) {
            Some(what) => Error::NotADump(what.to_string()),
            None => Error::NoDump,
        });
    }
    Ok(dumps)
}

/// What text without goroutine stacks looks like, when it has words of a dump.
fn looks_like(text: &[u8]) -> Option<&'static str> {
    let has = |s: &str| memchr::memmem::find(text, s.as_bytes()).is_some();
    if has("POTENTIAL DEADLOCK") {
        return Some("a go-deadlock report (github.com/sasha-s/go-deadlock), not a goroutine dump; its stacks are not in the runtime's format. Capture a dump of the same process (SIGQUIT, /debug/pprof/goroutine?debug=2, or `gostuck run`)");
    }
    if panicparse(text) {
        return Some("panicparse's condensed output (`N: state [Created by …]`), not a goroutine dump; run gostuck on the original dump that panicparse read");
    }
    if has("all goroutines are asleep") || has("fatal error:") || has("panic: ") {
        return Some("a log line quoting a Go crash message, with no goroutine stacks after it; gostuck needs the dump itself (the lines `goroutine N [state]:` and their frames)");
    }
    None
}

/// `1: chan receive [Created by main.main @ main.go:12]` or `1: running`
/// lines followed by `    pkg file.go:12 func(…)` lines.
fn panicparse(text: &[u8]) -> bool {
    let mut groups = false;
    let mut frames = false;
    for line in text.split(|&c| c == b'\n').take(10_000) {
        let digits = line.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && line[digits..].starts_with(b": ") {
            groups = true;
        }
        let t = line.trim_ascii_start();
        if t.len() < line.len() && memchr::memmem::find(t, b".go:").is_some() && t.ends_with(b")") {
            frames = true;
        }
        if groups && frames {
            return true;
        }
    }
    false
}

//! Just enough of a traceback reader to establish ground truth: which goroutines
//! the runtime marked `(leaked)`, where each one blocks, and the string the
//! upstream test matches its regexes against.
//!
//! The goroutineleak profile at debug=2 is `runtime.Stack(buf, true)` after a
//! leak-detecting GC (`runtime/pprof/pprof.go: writeGoroutineLeak`); leaked
//! goroutines print as `goroutine N [reason (leaked)]:`
//! (`runtime/traceback.go: goroutineheader`).

use regex::Regex;

/// One frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// File path as printed.
    pub file: String,
    /// Line.
    pub line: u32,
}

/// One goroutine of the dump.
#[derive(Debug, Clone)]
pub struct Goroutine {
    /// Goroutine ID.
    pub id: u64,
    /// Wait reason / status (`chan send`, `sync.Mutex.Lock`, `running`).
    pub wait: String,
    /// Marked `(leaked)` by the runtime.
    pub leaked: bool,
    /// Frames, innermost first.
    pub frames: Vec<Frame>,
    /// What upstream's `extractLeaks` builds and matches the expected regexes
    /// against: the frame line above `created by` minus `main.`, a space, and the
    /// header from `[` on without ` (leaked)`. `None` without `created by`.
    pub test_key: Option<String>,
}

impl Goroutine {
    /// The innermost frame whose file lies under `dir` (the kernel's own code).
    pub fn top_user_frame(&self, dir: &str) -> Option<&Frame> {
        self.frames.iter().find(|f| f.file.starts_with(dir))
    }
}

/// Parse all goroutines of a traceback text.
pub fn parse(text: &str) -> Vec<Goroutine> {
    let header = Regex::new(r"^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[(.*)\]:$").unwrap();
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(c) = header.captures(lines[i]) else {
            i += 1;
            continue;
        };
        let id: u64 = c[1].parse().unwrap_or(0);
        let inner = &c[2];
        let leaked = inner.contains(" (leaked)");
        let inner_clean = inner.replace(" (leaked)", "");
        let wait = inner_clean.split(", ").next().unwrap_or("").to_string();
        let mut j = i + 1;
        while j < lines.len() && !lines[j].is_empty() && !header.is_match(lines[j]) {
            j += 1;
        }
        let body = &lines[i + 1..j];
        let mut frames = Vec::new();
        let mut test_key = None;
        let mut k = 0;
        while k < body.len() {
            let l = body[k];
            if l.starts_with("created by ") {
                if k >= 2 {
                    let f = body[k - 2].strip_prefix("main.").unwrap_or(body[k - 2]);
                    test_key = Some(format!("{f} [{inner_clean}]:"));
                }
                break;
            }
            if !l.starts_with('\t') {
                if let Some(pos) = body.get(k + 1).filter(|n| n.starts_with('\t')) {
                    let loc = pos.trim();
                    let loc = loc.split(" +0x").next().unwrap_or(loc);
                    if let Some((file, line)) = loc.rsplit_once(':') {
                        frames.push(Frame {
                            file: file.to_string(),
                            line: line.parse().unwrap_or(0),
                        });
                    }
                    k += 2;
                    continue;
                }
            }
            k += 1;
        }
        out.push(Goroutine {
            id,
            wait,
            leaked,
            frames,
            test_key,
        });
        i = j;
    }
    out
}

/// The plain dump a user without leak detection would have had at that moment:
/// the same text with the runtime's ` (leaked)` marks removed from the headers.
pub fn strip_leak_marks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with("goroutine ") && line.contains(" (leaked)") {
            out.push_str(&line.replacen(" (leaked)", "", 1));
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "goroutine 1 [running]:\nmain.main()\n\t/x/main.go:38 +0x133\n\ngoroutine 8 [sync.Mutex.Lock (leaked)]:\ninternal/sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)\n\t/go/src/runtime/sema.go:95 +0x25\nmain.(*gossip_cockroach584).manage(0x3de63a836154)\n\t/x/cockroach584.go:36 +0x38\nmain.Cockroach584.func2()\n\t/x/cockroach584.go:60 +0x26\ncreated by main.Cockroach584 in goroutine 1\n\t/x/cockroach584.go:58 +0xb6\n";

    #[test]
    fn leaked_goroutines_get_the_upstream_test_key() {
        let gs = parse(DUMP);
        assert_eq!(gs.len(), 2);
        assert!(!gs[0].leaked && gs[0].test_key.is_none());
        let g = &gs[1];
        assert!(g.leaked);
        assert_eq!(g.wait, "sync.Mutex.Lock");
        assert_eq!(
            g.test_key.as_deref(),
            Some("Cockroach584.func2() [sync.Mutex.Lock]:")
        );
        let top = g.top_user_frame("/x/").unwrap();
        assert_eq!((top.file.as_str(), top.line), ("/x/cockroach584.go", 36));
    }

    #[test]
    fn stripping_marks_touches_headers_only() {
        let plain = strip_leak_marks(DUMP);
        assert!(plain.contains("goroutine 8 [sync.Mutex.Lock]:\n"));
        assert_eq!(plain.len(), DUMP.len() - " (leaked)".len());
    }
}

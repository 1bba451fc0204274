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
                // (A SIGQUIT dump at GOTRACEBACK=system or more also shows
                // `runtime.goexit` and the `go` statement's `gowrapN`
                // wrapper last: the key is the frame the program wrote.)
                let mut f = k;
                while f >= 2 && is_wrapper_frame(body[f - 2]) {
                    f -= 2;
                }
                if f >= 2 {
                    let f = body[f - 2].strip_prefix("main.").unwrap_or(body[f - 2]);
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

/// `runtime.goexit(…)` or a compiler wrapper `….gowrapN()`: frames a
/// traceback shows only at GOTRACEBACK=system or more.
fn is_wrapper_frame(line: &str) -> bool {
    // The name is all before the argument list: the last `(` (a method's
    // receiver type has its own, `main.(*DB).begin.gowrap1()`).
    let name = line.rsplit_once('(').map_or(line, |(n, _)| n);
    name == "runtime.goexit"
        || name
            .rsplit('.')
            .next()
            .and_then(|last| last.strip_prefix("gowrap"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
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
    fn a_sigquit_dump_keys_the_frame_the_program_wrote() {
        // GOTRACEBACK=system and more: gp=/m= in the header, the `go`
        // statement's wrapper and runtime.goexit shown last.
        let dump = "goroutine 18 gp=0x1459f8a02d20 m=nil [sync.WaitGroup.Wait]:\n\
            sync.(*WaitGroup).Wait(0x1459f8a62170)\n\
            \t/go/src/sync/waitgroup.go:206 +0x85 fp=0x1 sp=0x2 pc=0x3\n\
            main.(*Manager_moby25348).init(0x1459f8a600f0)\n\
            \t/x/moby25384.go:38 +0x76 fp=0x1 sp=0x2 pc=0x3\n\
            main.Moby25348.func2.gowrap1()\n\
            \t/x/moby25384.go:57 +0x17 fp=0x1 sp=0x2 pc=0x3\n\
            runtime.goexit({})\n\
            \t/go/src/runtime/asm_amd64.s:1264 +0x1 fp=0x1 sp=0x2 pc=0x3\n\
            created by main.Moby25348.func2 in goroutine 8\n\
            \t/x/moby25384.go:57 +0xc9\n";
        let gs = parse(dump);
        assert_eq!(
            gs[0].test_key.as_deref(),
            Some("(*Manager_moby25348).init(0x1459f8a600f0) [sync.WaitGroup.Wait]:")
        );
        assert_eq!(gs[0].top_user_frame("/x/").unwrap().line, 38);
        assert!(is_wrapper_frame(
            "main.(*DB_cockroach13197).begin.gowrap1()"
        ));
        assert!(is_wrapper_frame("runtime.goexit({})"));
        assert!(!is_wrapper_frame(
            "main.(*Tx_cockroach13197).awaitDone(...)"
        ));
    }

    #[test]
    fn stripping_marks_touches_headers_only() {
        let plain = strip_leak_marks(DUMP);
        assert!(plain.contains("goroutine 8 [sync.Mutex.Lock]:\n"));
        assert_eq!(plain.len(), DUMP.len() - " (leaked)".len());
    }
}

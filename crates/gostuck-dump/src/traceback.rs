//! Reader for traceback text: the runtime's deadlock report, panics, SIGQUIT and
//! GOTRACEBACK=all/system/crash output, `runtime.Stack`, `debug.Stack`, pprof
//! `goroutine?debug=2` and `goroutineleak?debug=2`, `go test` timeouts, and any
//! of those embedded in log files behind a per-line prefix.
//!
//! It is a line-at-a-time state machine ([`TracebackReader::push_line`]) so it
//! works on a memory-mapped file and on a stream alike.

use rustc_hash::FxHashSet;

use crate::intern::Sym;
use crate::lines;
use crate::model::{
    Ancestor, CreatedBy, Dump, Elided, Format, Frame, FrameKind, Goroutine, GoroutineFlags, Warning,
};
use crate::waitreason::{infer_state, WaitReason};

/// Streaming traceback reader. Feed lines, then call [`TracebackReader::finish`].
pub struct TracebackReader {
    keep_args: bool,
    lineno: u64,
    done: Vec<Dump>,
    cur: Dump,
    seen: FxHashSet<u64>,
    g: Option<Goroutine>,
    /// Where frames go: the goroutine itself or its latest ancestor section.
    in_ancestor: bool,
    /// A function line waiting for its `\tfile:line`.
    pending: Option<Pending>,
    /// Inside `runtime stack:` (a thread's system stack): frames belong to no goroutine.
    in_system_stack: bool,
    /// Inside `running tests:` of a `go test` timeout panic.
    in_running_tests: bool,
    /// GOTRACEBACK=crash prints one section per thread, separated by `-----`,
    /// and repeats goroutines; a repeated ID there is not a new dump.
    crash_sections: bool,
    /// Length of a log prefix in front of every dump line, once detected.
    prefix: Option<usize>,
    /// A goroutine dropped because its ID repeated inside a crash dump.
    skipping_duplicate: bool,
}

#[derive(Debug)]
enum Pending {
    Frame {
        function: Sym,
        args: Sym,
        kind: FrameKind,
    },
    CreatedBy {
        function: Sym,
        parent: Option<u64>,
    },
}

impl Default for TracebackReader {
    fn default() -> Self {
        TracebackReader::new(true)
    }
}

impl TracebackReader {
    /// A new reader. `keep_args` keeps each frame's argument text (needed for
    /// addresses of locks and channels; costs memory on huge dumps).
    pub fn new(keep_args: bool) -> TracebackReader {
        TracebackReader {
            keep_args,
            lineno: 0,
            done: Vec::new(),
            cur: Dump::new(Format::Traceback),
            seen: FxHashSet::default(),
            g: None,
            in_ancestor: false,
            pending: None,
            in_system_stack: false,
            in_running_tests: false,
            crash_sections: false,
            prefix: None,
            skipping_duplicate: false,
        }
    }

    /// Feeds one line, without its line terminator.
    pub fn push_line(&mut self, raw: &[u8]) {
        self.lineno += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = self.strip_prefix(raw);
        self.process(line);
    }

    /// Removes a log prefix (timestamps, `kubectl logs --prefix`, journald) if one
    /// was detected, or detects one on a goroutine header found mid-line.
    fn strip_prefix<'a>(&mut self, raw: &'a [u8]) -> &'a [u8] {
        if let Some(k) = self.prefix {
            if raw.len() >= k && is_dump_line(&raw[k..]) {
                return &raw[k..];
            }
            // Prefix lengths can drift by a few bytes (pids, trimmed fractions).
            if let Some(tab) = memchr::memchr(b'\t', raw) {
                if lines::file_line(&raw[tab..]).is_some() {
                    return &raw[tab..];
                }
            }
            if raw.len() <= k && lines::trim(raw).len() + 1 >= raw.len().min(k) {
                // A prefix followed by nothing: an empty log line.
                return &[];
            }
        }
        if is_dump_line(raw) && !raw.is_empty() {
            return raw;
        }
        // Look for a header, fatal error or panic behind a prefix.
        for pat in [
            &b"goroutine "[..],
            b"fatal error: ",
            b"panic: ",
            b"SIGQUIT: ",
        ] {
            let mut from = 1;
            while let Some(pos) = memchr::memmem::find(&raw[from.min(raw.len())..], pat) {
                let k = from + pos;
                let cand = &raw[k..];
                let ok = if pat == b"goroutine " {
                    lines::header(cand).is_some()
                } else {
                    raw[k - 1] == b' ' || raw[k - 1] == b']' || raw[k - 1] == b':'
                };
                if ok {
                    self.prefix = Some(k);
                    return cand;
                }
                from = k + 1;
            }
        }
        raw
    }

    fn process(&mut self, line: &[u8]) {
        if let Some(p) = self.pending.take() {
            if let Some((file, ln)) = lines::file_line(line) {
                let file = self.cur.strings.intern_bytes(file);
                self.complete_pending(p, file, ln);
                return;
            }
            if let Pending::Frame {
                kind: FrameKind::NonGo,
                function,
                args,
            } = p
            {
                // `non-Go function` is followed by `\tpc=0x…` when unsymbolized.
                if trim_start(line).starts_with(b"pc=") {
                    self.complete_pending(
                        Pending::Frame {
                            function,
                            args,
                            kind: FrameKind::NonGo,
                        },
                        Sym::EMPTY,
                        0,
                    );
                    return;
                }
            }
            self.warn(
                format!(
                    "frame `{}` has no file line after it; dropped",
                    truncate(&String::from_utf8_lossy(line), 80)
                ),
                self.lineno - 1,
            );
        }

        if line.is_empty() || lines::trim(line).is_empty() {
            self.end_goroutine();
            self.in_system_stack = false;
            self.in_running_tests = false;
            return;
        }

        if let Some(h) = lines::header(line) {
            self.start_goroutine(h);
            return;
        }

        if self.g.is_some() {
            if self.skipping_duplicate {
                return;
            }
            if let Some((f, args)) = lines::function_call(line) {
                let kind = if args == b"..." {
                    FrameKind::Inlined
                } else {
                    FrameKind::Go
                };
                let function = self.cur.strings.intern_bytes(f);
                let args = if self.keep_args || kind == FrameKind::Inlined {
                    self.cur.strings.intern_bytes(args)
                } else {
                    Sym::EMPTY
                };
                self.pending = Some(Pending::Frame {
                    function,
                    args,
                    kind,
                });
                return;
            }
            if let Some((f, parent)) = lines::created_by(line) {
                let function = self.cur.strings.intern_bytes(f);
                self.pending = Some(Pending::CreatedBy { function, parent });
                return;
            }
            if let Some(n) = lines::elided(line) {
                if let Some(g) = self.g.as_mut() {
                    if !self.in_ancestor {
                        g.elided = Some(match n {
                            None => Elided::Additional,
                            Some(n) => Elided::Middle(n),
                        });
                    }
                }
                return;
            }
            if let Some(id) = lines::ancestor(line) {
                if let Some(g) = self.g.as_mut() {
                    g.ancestors.push(Ancestor {
                        id,
                        frames: Vec::new(),
                        created_by: None,
                    });
                    self.in_ancestor = true;
                }
                return;
            }
            let t = lines::trim(line);
            if t == b"goroutine running on other thread; stack unavailable" {
                if let Some(g) = self.g.as_mut() {
                    g.flags.stack_unavailable = true;
                }
                return;
            }
            if t == b"non-Go function" {
                let function = self.cur.strings.intern("non-Go function");
                self.pending = Some(Pending::Frame {
                    function,
                    args: Sym::EMPTY,
                    kind: FrameKind::NonGo,
                });
                return;
            }
            if let Some(pc) = t.strip_prefix(b"non-Go function at pc=") {
                let function = self.cur.strings.intern("non-Go function");
                let args = self.cur.strings.intern_bytes(pc);
                self.push_frame(Frame {
                    function,
                    args,
                    file: Sym::EMPTY,
                    line: 0,
                    kind: FrameKind::NonGo,
                });
                return;
            }
            // Anything else inside a goroutine block is either a top-level line
            // (a new panic) or output interleaved with the dump: ignore it and keep
            // reading frames.
            self.top_level(line);
            return;
        }

        if self.in_system_stack {
            return;
        }
        if self.in_running_tests {
            let t = lines::trim(line);
            if line.starts_with(b"\t\t") || line.starts_with(b"    ") {
                let name = t.split(|&c| c == b' ').next().unwrap_or(t);
                self.cur
                    .running_tests
                    .push(String::from_utf8_lossy(name).into_owned());
                return;
            }
            self.in_running_tests = false;
        }
        self.top_level(line);
    }

    /// Lines outside goroutine blocks. Returns whether the line was recognised.
    fn top_level(&mut self, line: &[u8]) -> bool {
        let t = lines::trim_end(line);
        if let Some(msg) = t.strip_prefix(b"fatal error: ") {
            self.maybe_new_dump();
            self.cur.fatal_error = Some(String::from_utf8_lossy(msg).into_owned());
            return true;
        }
        if let Some(msg) = t.strip_prefix(b"panic: ") {
            self.maybe_new_dump();
            self.cur
                .panics
                .push(String::from_utf8_lossy(msg).into_owned());
            return true;
        }
        if let Some(msg) = t.strip_prefix(b"\tpanic: ") {
            self.cur
                .panics
                .push(String::from_utf8_lossy(msg).into_owned());
            return true;
        }
        if t == b"runtime stack:" {
            self.end_goroutine();
            self.in_system_stack = true;
            return true;
        }
        if t == b"-----" {
            self.end_goroutine();
            self.crash_sections = true;
            return true;
        }
        if lines::trim(t) == b"running tests:" {
            self.in_running_tests = true;
            return true;
        }
        if t.starts_with(b"SIG") {
            if let Some(colon) = memchr::memchr(b':', t) {
                if colon > 3 && t[3..colon].iter().all(|c| c.is_ascii_uppercase()) {
                    if self.cur.signal.is_none() {
                        self.maybe_new_dump();
                        self.cur.signal = Some(String::from_utf8_lossy(t).into_owned());
                    }
                    return true;
                }
            }
        }
        false
    }

    /// A panic, fatal error or signal after goroutines were read starts a new dump
    /// (several crashes in one log file), unless it belongs to a crash dump's
    /// per-thread sections.
    fn maybe_new_dump(&mut self) {
        self.end_goroutine();
        if !self.cur.goroutines.is_empty() && !self.crash_sections {
            self.rotate();
        }
    }

    fn rotate(&mut self) {
        let mut next = Dump::new(Format::Traceback);
        next.first_line = self.lineno;
        let prev = std::mem::replace(&mut self.cur, next);
        self.done.push(prev);
        self.seen.clear();
        self.crash_sections = false;
    }

    fn start_goroutine(&mut self, h: lines::Header<'_>) {
        self.end_goroutine();
        self.in_system_stack = false;
        self.in_running_tests = false;
        if self.seen.contains(&h.id) {
            if self.crash_sections {
                // GOTRACEBACK=crash prints goroutines again per thread; keep the first.
                self.skipping_duplicate = true;
                self.g = Some(self.blank_goroutine(h.id));
                return;
            }
            self.rotate();
        }
        self.seen.insert(h.id);
        let mut g = self.blank_goroutine(h.id);
        parse_bracket(&mut g, h.bracket, &mut self.cur);
        if !h.labels.is_empty() {
            for (k, v) in lines::labels(h.labels) {
                let k = self.cur.strings.intern(&k);
                let v = self.cur.strings.intern(&v);
                g.labels.push((k, v));
            }
        }
        self.g = Some(g);
    }

    fn blank_goroutine(&self, id: u64) -> Goroutine {
        Goroutine {
            id: Some(id),
            count: 1,
            state: Sym::EMPTY,
            wait_reason: WaitReason::Other,
            state_inferred: false,
            wait_minutes: None,
            flags: GoroutineFlags::default(),
            bubble: None,
            labels: Vec::new(),
            frames: Vec::new(),
            elided: None,
            created_by: None,
            ancestors: Vec::new(),
            line: self.lineno,
        }
    }

    fn complete_pending(&mut self, p: Pending, file: Sym, line: u32) {
        match p {
            Pending::Frame {
                function,
                args,
                kind,
            } => {
                self.push_frame(Frame {
                    function,
                    args,
                    file,
                    line,
                    kind,
                });
            }
            Pending::CreatedBy { function, parent } => {
                let c = CreatedBy {
                    function,
                    file,
                    line,
                    parent,
                };
                if let Some(g) = self.g.as_mut() {
                    match (self.in_ancestor, g.ancestors.last_mut()) {
                        (true, Some(a)) => a.created_by = Some(c),
                        _ => g.created_by = Some(c),
                    }
                }
            }
        }
    }

    fn push_frame(&mut self, f: Frame) {
        if let Some(g) = self.g.as_mut() {
            match (self.in_ancestor, g.ancestors.last_mut()) {
                (true, Some(a)) => a.frames.push(f),
                _ => g.frames.push(f),
            }
        }
    }

    fn end_goroutine(&mut self) {
        self.in_ancestor = false;
        if let Some(p) = self.pending.take() {
            let _ = p;
            self.warn(
                "input ends a frame without its file line (truncated dump?)".into(),
                self.lineno,
            );
        }
        let skipping = std::mem::replace(&mut self.skipping_duplicate, false);
        if let Some(g) = self.g.take() {
            if !skipping {
                self.cur.goroutines.push(g);
            }
        }
    }

    fn warn(&mut self, message: String, position: u64) {
        self.cur.warnings.push(Warning {
            position,
            is_byte_offset: false,
            message,
        });
    }

    /// Ends the input and returns every dump found, oldest first.
    pub fn finish(mut self) -> Vec<Dump> {
        if self.pending.is_some() {
            let id = self.g.as_ref().and_then(|g| g.id).unwrap_or(0);
            self.pending = None;
            self.warn(
                format!("input ends inside the stack of goroutine {id} (truncated dump?); its last frame is incomplete"),
                self.lineno,
            );
        } else if let Some(g) = &self.g {
            if g.frames.is_empty() && !g.flags.stack_unavailable && !self.skipping_duplicate {
                let id = g.id.unwrap_or(0);
                self.warn(
                    format!(
                        "input ends right after the header of goroutine {id} (truncated dump?)"
                    ),
                    self.lineno,
                );
            }
        }
        self.end_goroutine();
        let mut dumps = self.done;
        dumps.push(self.cur);
        dumps.retain(|d| {
            !d.goroutines.is_empty() || d.fatal_error.is_some() || !d.panics.is_empty()
        });
        for d in &mut dumps {
            finalize(d);
        }
        dumps
    }
}

/// Fills inferred states and the Go version once a dump is complete.
pub(crate) fn finalize(d: &mut Dump) {
    let Dump {
        goroutines,
        strings,
        ..
    } = d;
    for g in goroutines.iter_mut() {
        let state = strings.resolve(g.state);
        // Before Go 1.20 every sync primitive parks as `semacquire`; the frames say which.
        if g.state == Sym::EMPTY || state == "semacquire" || state == "waiting" {
            let names = g.frames.iter().map(|f| strings.resolve(f.function));
            if let Some(s) = infer_state(names) {
                if g.state == Sym::EMPTY {
                    g.state_inferred = true;
                    g.state = strings.intern(s);
                }
                g.wait_reason = WaitReason::parse(s);
            }
        }
    }
    if d.go_version.is_none() {
        d.go_version = go_version_from_paths(d);
    }
}

/// Toolchain directories often carry the version: `/usr/local/go1.22.10/src/…`,
/// `golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64/src/…`, `sdk/go1.21.13/src/…`.
fn go_version_from_paths(d: &Dump) -> Option<String> {
    let mut checked = FxHashSet::default();
    for g in d.goroutines.iter().take(64) {
        for f in &g.frames {
            if !checked.insert(f.file) {
                continue;
            }
            let path = d.str(f.file);
            let Some(src) = path
                .find("/src/runtime/")
                .or_else(|| path.find("/src/sync/"))
            else {
                continue;
            };
            let root = &path[..src];
            for seg in root.rsplit(['/', '-', '@']) {
                if let Some(v) = seg.strip_prefix("go1.") {
                    let v: String = v
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.')
                        .collect();
                    let v = v.trim_end_matches('.');
                    if !v.is_empty() && v.split('.').all(|p| !p.is_empty()) {
                        return Some(format!("go1.{v}"));
                    }
                }
            }
        }
    }
    None
}

fn parse_bracket(g: &mut Goroutine, bracket: &[u8], d: &mut Dump) {
    let mut parts = bracket.split(|&c| c == b',').map(lines::trim);
    let mut status = parts.next().unwrap_or(b"");
    loop {
        if let Some(s) = status.strip_suffix(b" (leaked)") {
            g.flags.leaked = true;
            status = s;
        } else if let Some(s) = status.strip_suffix(b" (scan)") {
            g.flags.scan = true;
            status = s;
        } else if status.ends_with(b" (durable)") {
            g.flags.durable = true;
            status = &status[..status.len() - 10];
        } else {
            break;
        }
    }
    g.state = d.strings.intern_bytes(status);
    g.wait_reason = WaitReason::parse(d.strings.resolve(g.state));
    for p in parts {
        if let Some(n) = p
            .strip_suffix(b" minutes")
            .or_else(|| p.strip_suffix(b" minute"))
        {
            g.wait_minutes = lines::parse_u64(n).and_then(|n| u32::try_from(n).ok());
        } else if p == b"locked to thread" {
            g.flags.locked_to_thread = true;
        } else if let Some(n) = p
            .strip_prefix(b"synctest bubble ")
            .or_else(|| p.strip_prefix(b"synctest group "))
        {
            g.bubble = lines::parse_u64(n);
        }
    }
}

/// Whether a line (after any prefix) looks like part of a traceback.
fn is_dump_line(l: &[u8]) -> bool {
    match l.first() {
        None => true,
        Some(b'\t') => true,
        Some(b'g') => lines::header(l).is_some(),
        Some(b'c') if l.starts_with(b"created by ") => true,
        Some(b'.') => lines::elided(l).is_some(),
        Some(b'[') => l.starts_with(b"[originating from goroutine "),
        Some(b'p') if l.starts_with(b"panic: ") => true,
        Some(b'f') if l.starts_with(b"fatal error: ") => true,
        _ => lines::function_call(l).is_some(),
    }
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n).chain("…".chars()).collect()
    }
}

//! Reader for traceback text: the runtime's deadlock report, panics, SIGQUIT and
//! GOTRACEBACK=all/system/crash output, `runtime.Stack`, `debug.Stack`, pprof
//! `goroutine?debug=2` and `goroutineleak?debug=2`, `go test` timeouts, and any
//! of those embedded in log files behind a per-line prefix.
//!
//! It is a line-at-a-time state machine ([`TracebackReader::push_line`]) so it
//! works on a memory-mapped file and on a stream alike.

use rustc_hash::FxHashSet;

use crate::idset::IdSet;
use crate::intern::Sym;
use crate::lines;
use crate::model::{
    Ancestor, CreatedBy, Dump, Elided, Format, Frame, FrameKind, Goroutine, StackArena, Warning,
};
use crate::waitreason::{infer_state, WaitReason};
use crate::KeepArgs;

/// Streaming traceback reader. Feed lines, then call [`TracebackReader::finish`].
pub struct TracebackReader {
    keep_args: KeepArgs,
    /// For [`KeepArgs::Of`]: the test's answer per function symbol of the
    /// current dump (0 not asked yet, 1 keep, 2 drop); cleared with `file_cache`.
    args_wanted: Vec<u8>,
    lineno: u64,
    done: Vec<Dump>,
    cur: Dump,
    seen: IdSet,
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
    /// Frames of the goroutine being read; copied to `stacks` when it ends.
    frames: Vec<Frame>,
    /// Where the current dump's stacks are packed.
    stacks: StackArena,
    /// The file line last seen under each function (a function's frames
    /// nearly always print the same one), by `function & FILE_CACHE_MASK`,
    /// checked against the line's bytes, so it can only save work.
    /// Symbols of the current dump; cleared when a new dump starts.
    file_cache: Vec<FileSlot>,
    /// Which dump the valid slots of `file_cache` belong to: a new dump
    /// invalidates them all at once (a file of a million one-goroutine dumps
    /// must not refill the cache per dump).
    file_gen: u32,
    /// Dumps dropped from `done` to keep at most [`MAX_DUMPS`].
    dropped: u64,
}

/// One entry of [`TracebackReader`]'s file-line cache.
#[derive(Debug, Clone, Default)]
struct FileSlot {
    /// The dump (`TracebackReader::file_gen`) whose symbols the slot holds.
    gen: u32,
    function: Sym,
    file: Sym,
    line: u32,
    /// The file line as read (after any log prefix).
    raw: Vec<u8>,
}

const FILE_CACHE_MASK: usize = 4095;

/// What recognising a line (while looking for a log prefix) already parsed, so
/// [`TracebackReader::process`] need not parse it again.
enum Known<'a> {
    /// Nothing reusable.
    Nothing,
    /// The line is this goroutine header.
    Header(lines::Header<'a>),
    /// The line is a function call line (and so not a header).
    Call(&'a [u8], &'a [u8]),
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
    /// A bare name that may be a C frame named by a cgo symbolizer (printed
    /// without parentheses: `??`, `cFunction`), if a `file:line pc=…` follows.
    CFrame {
        function: Sym,
    },
}

impl Default for TracebackReader {
    fn default() -> Self {
        TracebackReader::new(true)
    }
}

impl TracebackReader {
    /// A new reader. `keep_args` says which frames keep their argument text
    /// (needed for addresses of locks and channels; costs time and memory on
    /// huge dumps); `true` and `false` mean all and none.
    pub fn new(keep_args: impl Into<KeepArgs>) -> TracebackReader {
        TracebackReader {
            keep_args: keep_args.into(),
            args_wanted: Vec::new(),
            lineno: 0,
            done: Vec::new(),
            cur: Dump::new(Format::Traceback),
            seen: IdSet::default(),
            g: None,
            in_ancestor: false,
            pending: None,
            in_system_stack: false,
            in_running_tests: false,
            crash_sections: false,
            prefix: None,
            skipping_duplicate: false,
            frames: Vec::new(),
            stacks: StackArena::default(),
            file_cache: Vec::new(),
            file_gen: 1,
            dropped: 0,
        }
    }

    /// Feeds one line, without its line terminator.
    pub fn push_line(&mut self, raw: &[u8]) {
        self.lineno += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (line, known) = self.strip_prefix(raw);
        self.process(line, known);
    }

    /// Removes a log prefix (timestamps, `kubectl logs --prefix`, journald) if one
    /// was detected, or detects one on a goroutine header found mid-line.
    fn strip_prefix<'a>(&mut self, raw: &'a [u8]) -> (&'a [u8], Known<'a>) {
        if let Some(k) = self.prefix {
            if raw.len() >= k {
                if let Some(known) = dump_line(&raw[k..]) {
                    return (&raw[k..], known);
                }
            }
            // Prefix lengths can drift by a few bytes (pids, trimmed fractions).
            if let Some(tab) = memchr::memchr(b'\t', raw) {
                if lines::file_line(&raw[tab..]).is_some() {
                    return (&raw[tab..], Known::Nothing);
                }
            }
            // A line of a record whose first line only had the prefix (klog).
            if let Some(known) = dump_line(raw).filter(|_| !raw.starts_with(b" ")) {
                return (raw, known);
            }
            if raw.len() <= k && lines::trim(raw).len() + 1 >= raw.len().min(k) {
                // A prefix followed by nothing: an empty log line.
                return (&[], Known::Nothing);
            }
        }
        if raw.is_empty() {
            return (raw, Known::Nothing);
        }
        if let Some(known) = dump_line(raw) {
            return (raw, known);
        }
        // Look for a header, fatal error or panic behind a prefix.
        for pat in [&b"goroutine "[..], b"fatal error: ", b"panic: ", b"SIG"] {
            let mut from = 1;
            while let Some(pos) = memchr::memmem::find(&raw[from.min(raw.len())..], pat) {
                let k = from + pos;
                let cand = &raw[k..];
                let ok = if pat == b"goroutine " {
                    lines::header(cand).is_some()
                } else if raw[..k].iter().all(u8::is_ascii_whitespace) {
                    // An indented line (`\tpanic: …` of a nested panic), not a prefix.
                    false
                } else if pat == b"SIG" && !signal_line(cand) {
                    false
                } else {
                    raw[k - 1] == b' ' || raw[k - 1] == b']' || raw[k - 1] == b':'
                };
                if ok {
                    self.prefix = Some(k);
                    return (cand, Known::Nothing);
                }
                from = k + 1;
            }
        }
        match self.prefix {
            // Another line behind the prefix (`running tests:`, `-----`).
            Some(k) if raw.len() > k => (&raw[k..], Known::Nothing),
            _ => (raw, Known::Nothing),
        }
    }

    fn process(&mut self, line: &[u8], known: Known<'_>) {
        if let Some(p) = self.pending.take() {
            if self.complete_with(p, line) {
                return;
            }
        }

        if line.is_empty() || lines::trim(line).is_empty() {
            self.end_goroutine();
            self.in_system_stack = false;
            self.in_running_tests = false;
            return;
        }

        let (header, call) = match known {
            Known::Header(h) => (Some(h), None),
            Known::Call(f, args) => (None, Some(Some((f, args)))),
            Known::Nothing => (lines::header(line), None),
        };
        if let Some(h) = header {
            self.start_goroutine(h);
            return;
        }

        if self.g.is_some() {
            if self.skipping_duplicate {
                return;
            }
            if let Some((f, args)) = call.unwrap_or_else(|| lines::function_call(line)) {
                let kind = if args == b"..." {
                    FrameKind::Inlined
                } else {
                    FrameKind::Go
                };
                let function = self.cur.strings.intern_bytes(f);
                let args = if kind == FrameKind::Inlined || self.wants_args(function) {
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
            if c_function(t) {
                let function = self.cur.strings.intern_bytes(t);
                self.pending = Some(Pending::CFrame { function });
                return;
            }
            // Anything else inside a goroutine block is either a top-level line
            // (a new panic) or output interleaved with the dump: ignore it and keep
            // reading frames, but say so when it looks like a frame gone wrong.
            if !self.top_level(line) && broken_frame(line) {
                self.warn(
                    format!(
                        "`{}` looks like a frame line but cannot be read; ignored",
                        truncate(&String::from_utf8_lossy(lines::trim(line)), 80)
                    ),
                    self.lineno,
                );
            }
            return;
        }

        if self.in_system_stack {
            return;
        }
        if self.in_running_tests {
            let t = lines::trim(line);
            // `\t\tTestX (2s)` (one tab before Go 1.23), or spaces in a paste.
            if t.len() < line.len() {
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

    /// Completes the frame waiting for its file line with `line`; whether
    /// `line` was that file line. Otherwise says what was dropped (a C
    /// function name that is not followed by its file line was no frame:
    /// nothing is said).
    fn complete_with(&mut self, p: Pending, line: &[u8]) -> bool {
        let function = match p {
            Pending::CFrame { .. } => {
                // `\t??:0 pc=0x…`: a cgo symbolizer's frame always ends with its pc.
                let file = lines::file_line(line)
                    .filter(|_| memchr::memmem::find(line, b" pc=").is_some());
                if let Some((file, ln)) = file {
                    let file = self.cur.strings.intern_bytes(file);
                    self.complete_pending(p, file, ln);
                    return true;
                }
                return false;
            }
            Pending::Frame { function, .. } | Pending::CreatedBy { function, .. } => function,
        };
        if let Some((file, ln)) = self.file_line_of(function, line) {
            self.complete_pending(p, file, ln);
            return true;
        }
        if let Pending::Frame {
            kind: FrameKind::NonGo,
            ..
        } = p
        {
            // `non-Go function` is followed by `\tpc=0x…` when unsymbolized.
            if trim_start(line).starts_with(b"pc=") {
                self.complete_pending(p, Sym::EMPTY, 0);
                return true;
            }
        }
        if lines::trim(line).is_empty() {
            self.warn_cut_frame(function, self.lineno - 1);
        } else {
            let g = self.g.as_ref().and_then(|g| g.id).unwrap_or(0);
            self.warn(
                format!(
                    "frame `{}` of goroutine {g} has no file line after it (the next line is `{}`); dropped",
                    self.cur.strings.resolve(function),
                    truncate(&String::from_utf8_lossy(lines::trim(line)), 80)
                ),
                self.lineno - 1,
            );
        }
        false
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
        if let Some(msg) = nested_panic(t) {
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

    /// The file symbol and line of `line` if it is the file line of a frame
    /// of `function`. A function's frames nearly always print the same file
    /// line (the same call site), so the last one is kept per function and an
    /// identical line is not parsed again.
    fn file_line_of(&mut self, function: Sym, line: &[u8]) -> Option<(Sym, u32)> {
        if self.file_cache.is_empty() {
            self.file_cache = vec![FileSlot::default(); FILE_CACHE_MASK + 1];
        }
        let slot = &self.file_cache[function.index() & FILE_CACHE_MASK];
        let same = slot.gen == self.file_gen && slot.function == function;
        if same && slot.raw == line {
            return Some((slot.file, slot.line));
        }
        let (file, ln) = lines::file_line(line)?;
        let sym = if same && self.cur.strings.resolve(slot.file).as_bytes() == file {
            slot.file
        } else {
            self.cur.strings.intern_bytes(file)
        };
        let slot = &mut self.file_cache[function.index() & FILE_CACHE_MASK];
        slot.gen = self.file_gen;
        slot.function = function;
        slot.file = sym;
        slot.line = ln;
        slot.raw.clear();
        slot.raw.extend_from_slice(line);
        Some((sym, ln))
    }

    /// Whether a frame of `function` keeps its argument text.
    fn wants_args(&mut self, function: Sym) -> bool {
        match self.keep_args {
            KeepArgs::All => true,
            KeepArgs::None => false,
            KeepArgs::Of(test) => {
                let i = function.index();
                if i >= self.args_wanted.len() {
                    self.args_wanted.resize(i + 1, 0);
                }
                if self.args_wanted[i] == 0 {
                    let keep = test(self.cur.strings.resolve(function));
                    self.args_wanted[i] = if keep { 1 } else { 2 };
                }
                self.args_wanted[i] == 1
            }
        }
    }

    fn rotate(&mut self) {
        self.file_gen = self.file_gen.wrapping_add(1);
        if self.file_gen == 0 {
            self.file_cache.clear();
            self.file_gen = 1;
        }
        self.stacks.close(&mut self.cur.goroutines);
        self.stacks.forget();
        self.args_wanted.clear();
        let mut next = Dump::new(Format::Traceback);
        next.first_line = self.lineno;
        let prev = std::mem::replace(&mut self.cur, next);
        self.done.push(prev);
        // Many dumps in one input (a goroutine ID repeated over and over):
        // only the last ones are kept, dropped in batches.
        if self.done.len() >= 2 * MAX_DUMPS {
            let n = self.done.len() - MAX_DUMPS;
            self.done.drain(..n);
            self.dropped += n as u64;
        }
        self.seen.clear();
        self.crash_sections = false;
    }

    fn start_goroutine(&mut self, h: lines::Header<'_>) {
        self.end_goroutine();
        self.in_system_stack = false;
        self.in_running_tests = false;
        // One probe of `seen` in the common case (a new ID).
        if !self.seen.insert(h.id) {
            if self.crash_sections {
                // GOTRACEBACK=crash prints goroutines again per thread; keep the first.
                self.skipping_duplicate = true;
                self.g = Some(self.blank_goroutine(h.id));
                return;
            }
            self.rotate();
            self.seen.insert(h.id);
        }
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
            line: self.lineno,
            ..Goroutine::placeholder()
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
            Pending::CFrame { function } => self.push_frame(Frame {
                function,
                args: Sym::EMPTY,
                file,
                line,
                kind: FrameKind::NonGo,
            }),
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
                _ => self.frames.push(f),
            }
        }
    }

    fn end_goroutine(&mut self) {
        self.in_ancestor = false;
        if let Some(Pending::Frame { function, .. } | Pending::CreatedBy { function, .. }) =
            self.pending.take()
        {
            self.warn_cut_frame(function, self.lineno);
        }
        let skipping = std::mem::replace(&mut self.skipping_duplicate, false);
        if let Some(g) = self.g.take() {
            if !skipping && self.frames.is_empty() && !g.flags.stack_unavailable {
                let id = g.id.unwrap_or(0);
                self.warn(
                    format!("goroutine {id} has a header and no stack (truncated dump?)"),
                    g.line,
                );
            }
            if !skipping {
                let gs = &mut self.cur.goroutines;
                gs.push(g);
                self.stacks.push(gs.len() - 1, &self.frames, gs);
            }
        }
        self.frames.clear();
    }

    /// The stack of the current goroutine ends (a blank line, the end of
    /// the input) right after the function line of a frame.
    fn warn_cut_frame(&mut self, function: Sym, position: u64) {
        let id = self.g.as_ref().and_then(|g| g.id).unwrap_or(0);
        let message = format!(
            "the stack of goroutine {id} ends inside frame `{}`, without its file line (truncated dump?); the frame is dropped",
            self.cur.strings.resolve(function)
        );
        self.warn(message, position);
    }

    fn warn(&mut self, message: String, position: u64) {
        self.cur.warnings.push(Warning {
            position,
            is_byte_offset: false,
            message,
        });
    }

    /// Ends the input and returns every dump found, oldest first.
    #[must_use]
    pub fn finish(mut self) -> Vec<Dump> {
        self.end_input();
        finish_dumps(self.done, self.cur, self.dropped)
    }

    /// Whether the reader is in the state a new reader starts in, apart from
    /// what [`merge`] carries over (line count, dumps, goroutine IDs seen).
    fn clean(&self) -> bool {
        self.g.is_none()
            && !self.in_ancestor
            && self.pending.is_none()
            && !self.in_system_stack
            && !self.in_running_tests
            && !self.crash_sections
            && self.prefix.is_none()
            && !self.skipping_duplicate
            && self.frames.is_empty()
    }

    /// Ends the input of one piece read on its own; see [`merge`].
    pub(crate) fn into_part(mut self) -> Part {
        let clean_end = self.clean();
        self.end_input();
        Part {
            clean_end,
            lineno: self.lineno,
            done: self.done,
            dropped: self.dropped,
            cur: self.cur,
            seen: self.seen,
            stacks: self.stacks,
        }
    }

    /// Warnings about a goroutine cut off by the end of the input, and its end.
    fn end_input(&mut self) {
        if let Some(Pending::Frame { function, .. } | Pending::CreatedBy { function, .. }) =
            self.pending.take()
        {
            self.warn_cut_frame(function, self.lineno);
        }
        self.end_goroutine();
        self.stacks.close(&mut self.cur.goroutines);
    }
}

/// A reader keeps at most this many dumps of one input, the last ones: each
/// costs a few KiB, and an input of one goroutine whose ID repeats
/// half a million times is half a million dumps.
pub(crate) const MAX_DUMPS: usize = 1000;

fn finish_dumps(mut dumps: Vec<Dump>, cur: Dump, mut dropped: u64) -> Vec<Dump> {
    dumps.push(cur);
    dumps.retain(|d| !d.goroutines.is_empty() || d.fatal_error.is_some() || !d.panics.is_empty());
    if dumps.len() > MAX_DUMPS {
        let n = dumps.len() - MAX_DUMPS;
        dumps.drain(..n);
        dropped += n as u64;
    }
    if dropped > 0 {
        let total = dropped + dumps.len() as u64;
        let first = dumps.first().map_or(0, |d| d.first_line);
        if let Some(last) = dumps.last_mut() {
            last.warnings.push(Warning {
                position: first,
                is_byte_offset: false,
                message: format!(
                    "the input holds {total} dumps (a goroutine ID seen again starts a new one); \
                     only the last {MAX_DUMPS}, from line {first}, are kept"
                ),
            });
        }
    }
    for d in &mut dumps {
        finalize(d);
    }
    dumps
}

/// What a [`TracebackReader`] read from one piece of a larger input, which it
/// read from the piece's first line, starting as a new reader.
pub(crate) struct Part {
    /// The reader ended in the state a new reader starts in.
    clean_end: bool,
    /// Lines read.
    lineno: u64,
    done: Vec<Dump>,
    /// Dumps dropped from `done` (see [`MAX_DUMPS`]).
    dropped: u64,
    cur: Dump,
    seen: IdSet,
    /// Where the stacks of `cur` are (all closed).
    stacks: StackArena,
}

/// Joins the pieces of one input, read separately and in order, into exactly
/// what one reader would have returned for the whole input, or `None` when that
/// cannot be guaranteed (then the input must be read in one go).
///
/// A piece starts with a goroutine header right after a blank line, so the
/// reader that read everything before it is then in a new reader's state,
/// except for four things carried over here: the line count (added to line
/// numbers), the dumps read so far (the piece's goroutines and warnings are
/// appended to the last one and its strings re-interned in order of first
/// appearance, which gives the same symbols), the goroutine IDs seen (a piece
/// may not repeat one, which would have started a new dump) and whether the
/// current dump already has goroutines (which only matters for panics, fatal
/// errors and signals: a piece may have none).
pub(crate) fn merge(parts: Vec<Part>) -> Option<Vec<Dump>> {
    let mut parts = parts.into_iter();
    let mut acc = parts.next()?;
    for next in parts {
        let c = &next.cur;
        if !acc.clean_end
            || !next.done.is_empty()
            || c.fatal_error.is_some()
            || !c.panics.is_empty()
            || c.signal.is_some()
            || !c.running_tests.is_empty()
            || c.profile_total.is_some()
            || c.profile_name.is_some()
            || c.go_version.is_some()
        {
            return None;
        }
        if acc.seen.intersects(&next.seen) {
            return None;
        }
        let offset = acc.lineno;
        let map = acc.cur.strings.absorb(&next.cur.strings);
        let m = |s: &mut Sym| *s = map[s.index()];
        let frames = |fs: &mut [Frame]| {
            for f in fs {
                m(&mut f.function);
                m(&mut f.args);
                m(&mut f.file);
            }
        };
        let created = |c: &mut Option<CreatedBy>| {
            if let Some(c) = c {
                m(&mut c.function);
                m(&mut c.file);
            }
        };
        let Part {
            clean_end,
            lineno,
            cur,
            seen,
            stacks,
            ..
        } = next;
        let mut goroutines = cur.goroutines;
        stacks.rewrite(&mut goroutines, |f| frames(std::slice::from_mut(f)));
        // Renumbered on the way into the merged list, on every CPU.
        crate::par::par_append(&mut acc.cur.goroutines, &mut goroutines, |g| {
            m(&mut g.state);
            for (k, v) in &mut g.labels {
                m(k);
                m(v);
            }
            created(&mut g.created_by);
            for a in &mut g.ancestors {
                frames(&mut a.frames);
                created(&mut a.created_by);
            }
            g.line += offset;
            std::mem::take(g)
        });
        for mut w in cur.warnings {
            if !w.is_byte_offset {
                w.position += offset;
            }
            acc.cur.warnings.push(w);
        }
        acc.seen.union_with(&seen);
        acc.lineno += lineno;
        acc.clean_end = clean_end;
    }
    Some(finish_dumps(acc.done, acc.cur, acc.dropped))
}

/// Reads traceback text on `pieces` threads: splits it at goroutine headers that
/// follow a blank line, reads each piece with its own reader, and [`merge`]s.
pub(crate) fn read_in_pieces(
    bytes: &[u8],
    keep_args: KeepArgs,
    pieces: usize,
    release: &(dyn Fn(crate::Released) + Sync),
) -> Option<Vec<Dump>> {
    let mut starts = split_points(bytes, pieces);
    if starts.len() < 2 {
        return None;
    }
    starts.push(bytes.len());
    let read = |i: usize| {
        let (a, b) = (starts[i], starts[i + 1]);
        let mut r = TracebackReader::new(keep_args);
        crate::for_each_line_releasing(&bytes[a..b], a, release, |l| r.push_line(l));
        r.into_part()
    };
    let parts: Vec<Part> = std::thread::scope(|s| {
        let read = &read;
        // A piece whose thread cannot be started is read here, in its turn.
        let handles: Vec<_> = (1..starts.len() - 1)
            .map(|i| {
                std::thread::Builder::new()
                    .name("gostuck-read".into())
                    .spawn_scoped(s, move || read(i))
                    .map_err(|_| i)
            })
            .collect();
        let mut parts = vec![read(0)];
        for h in handles {
            parts.push(match h {
                Ok(h) => match h.join() {
                    Ok(p) => p,
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(i) => read(i),
            });
        }
        parts
    });
    merge(parts)
}

/// Where to cut `bytes` into about `pieces` pieces of similar size: offsets of
/// goroutine header lines that follow a blank line (the first piece starts at 0).
fn split_points(bytes: &[u8], pieces: usize) -> Vec<usize> {
    let finder = memchr::memmem::Finder::new(b"\n\ngoroutine ");
    let mut starts = vec![0];
    for i in 1..pieces.max(1) {
        let mut from = (bytes.len() / pieces * i).max(starts[starts.len() - 1]);
        let found = loop {
            let Some(pos) = finder.find(&bytes[from..]) else {
                break None;
            };
            let s = from + pos + 2;
            let end = memchr::memchr(b'\n', &bytes[s..]).map_or(bytes.len(), |e| s + e);
            let line = &bytes[s..end];
            if lines::header(line.strip_suffix(b"\r").unwrap_or(line)).is_some() {
                break Some(s);
            }
            from = s;
        };
        match found {
            Some(s) => starts.push(s),
            None => break,
        }
    }
    starts
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

/// Whether a line (after any prefix) looks like part of a traceback, with what
/// was parsed to tell.
fn dump_line(l: &[u8]) -> Option<Known<'_>> {
    let call = |l| lines::function_call(l).map(|(f, args)| Known::Call(f, args));
    match l.first() {
        None => Some(Known::Nothing),
        Some(b'\t') => Some(Known::Nothing),
        Some(b' ') => lines::file_line(l).map(|_| Known::Nothing),
        // `goroutine 1 [running]:`, or a function of a package starting with g
        // (`github.com/…`, `golang.org/…`): both are dump lines.
        Some(b'g') => lines::header(l).map(Known::Header).or_else(|| call(l)),
        Some(b'c') if l.starts_with(b"created by ") => Some(Known::Nothing),
        Some(b'.') => lines::elided(l).map(|_| Known::Nothing),
        Some(b'[') => l
            .starts_with(b"[originating from goroutine ")
            .then_some(Known::Nothing),
        Some(b'p') if l.starts_with(b"panic: ") => Some(Known::Nothing),
        Some(b'f') if l.starts_with(b"fatal error: ") => Some(Known::Nothing),
        _ => call(l),
    }
}

/// A name a cgo symbolizer may give a C frame: one word, no parentheses.
fn c_function(t: &[u8]) -> bool {
    !t.is_empty()
        && t.len() <= 512
        && !t
            .iter()
            .any(|&c| c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'[' | b'{' | b'='))
}

/// `SIGQUIT: quit`, `SIGSEGV: segmentation violation`: the signal line of a crash.
fn signal_line(t: &[u8]) -> bool {
    let name = t[3..].iter().take_while(|c| c.is_ascii_uppercase()).count();
    name > 0 && t[3 + name..].starts_with(b": ")
}

/// Whether a line that is neither a frame nor anything else the reader knows
/// looks like a frame line gone wrong: a function line cut before its `)`
/// (`main.worker(0xc000`) or an indented path without a line number.
fn broken_frame(line: &[u8]) -> bool {
    let t = lines::trim(line);
    if trim_start(line).len() < line.len() {
        return (t.starts_with(b"/") || t.get(1..3) == Some(b":/"))
            && memchr::memmem::find(t, b".go").is_some();
    }
    let Some(open) = memchr::memchr(b'(', t) else {
        return false;
    };
    let name = &t[..open];
    !name.is_empty()
        && name.contains(&b'.')
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._/*[]-".contains(c))
        && !t.ends_with(b")")
}

/// `\tpanic: …`: a panic raised while panicking (indented by any whitespace).
fn nested_panic(line: &[u8]) -> Option<&[u8]> {
    let t = trim_start(line);
    if t.len() == line.len() {
        return None;
    }
    t.strip_prefix(b"panic: ")
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

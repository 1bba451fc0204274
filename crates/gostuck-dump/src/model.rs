//! The goroutine-dump model, named after the runtime's own structures
//! (`runtime/runtime2.go: g`, `runtime/traceback.go: goroutineheader`).

use std::sync::Arc;

use crate::intern::{Interner, Sym};
use crate::waitreason::WaitReason;

/// How the dump was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Traceback text: deadlock reports, panics, SIGQUIT, `runtime.Stack`,
    /// pprof `debug=2`, `go test` timeouts, dumps inside log files.
    Traceback,
    /// pprof `goroutine?debug=1` / `goroutineleak?debug=1` text.
    PprofDebug1,
    /// pprof `debug=0`: gzip-compressed `profile.proto`.
    PprofProto,
    /// Read from a live process's memory (`gostuck attach`).
    ProcessMemory,
    /// Read from an ELF core file of a Go process.
    CoreFile,
}

impl Format {
    /// The name used in `gostuck.report.v1` (`inputs[].format`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Traceback => "traceback",
            Format::PprofDebug1 => "pprof-debug1",
            Format::PprofProto => "pprof-proto",
            Format::ProcessMemory => "process-memory",
            Format::CoreFile => "core-file",
        }
    }
}

/// One stack frame: `function(args)` then `\tfile:line +0xoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Function as printed (`main.(*T).m`, `sync.(*Mutex).Lock`, `main.F[...]`).
    pub function: Sym,
    /// The argument list between the parentheses, as printed (`0xc000012345, {0x0, 0x1}`),
    /// `...` for inlined frames, empty when the format carries none.
    pub args: Sym,
    /// The file path as the dump printed it.
    pub file: Sym,
    /// Line number (0 when unknown).
    pub line: u32,
    /// Properties of the frame.
    pub kind: FrameKind,
}

/// A goroutine's frames, innermost first. It dereferences to `[Frame]`; build
/// one from a `Vec<Frame>`, a slice or an iterator. Readers pack the frames of
/// many goroutines into one shared allocation (a million goroutines are then a
/// few hundred allocations, not a million); equality and hashing are those of
/// the frames.
#[derive(Clone, Default)]
pub struct Stack {
    chunk: Option<Arc<Vec<Frame>>>,
    start: u32,
    len: u32,
}

impl Stack {
    /// The frames.
    #[must_use]
    pub fn as_slice(&self) -> &[Frame] {
        match &self.chunk {
            Some(c) => &c[self.start as usize..(self.start + self.len) as usize],
            None => &[],
        }
    }

    /// Whether both are the same frames of the same allocation (or both
    /// empty): then they are equal without comparing frames.
    #[must_use]
    pub fn ptr_eq(&self, other: &Stack) -> bool {
        match (&self.chunk, &other.chunk) {
            (Some(a), Some(b)) => {
                Arc::ptr_eq(a, b) && self.start == other.start && self.len == other.len
            }
            (None, None) => true,
            _ => false,
        }
    }
}

impl std::ops::Deref for Stack {
    type Target = [Frame];
    fn deref(&self) -> &[Frame] {
        self.as_slice()
    }
}

impl PartialEq for Stack {
    fn eq(&self, other: &Stack) -> bool {
        self.ptr_eq(other) || self.as_slice() == other.as_slice()
    }
}

impl Eq for Stack {}

impl std::hash::Hash for Stack {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl From<Vec<Frame>> for Stack {
    fn from(v: Vec<Frame>) -> Stack {
        if v.is_empty() {
            return Stack::default();
        }
        let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
        let mut v = v;
        v.truncate(len as usize);
        Stack {
            chunk: Some(Arc::new(v)),
            start: 0,
            len,
        }
    }
}

impl From<&[Frame]> for Stack {
    fn from(v: &[Frame]) -> Stack {
        Stack::from(v.to_vec())
    }
}

impl FromIterator<Frame> for Stack {
    fn from_iter<I: IntoIterator<Item = Frame>>(iter: I) -> Stack {
        Stack::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl<'a> IntoIterator for &'a Stack {
    type Item = &'a Frame;
    type IntoIter = std::slice::Iter<'a, Frame>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

/// Packs the stacks of a reader's goroutines into shared chunks of about
/// [`StackArena::CHUNK`] frames: a goroutine's frames are appended to the open
/// chunk, and the goroutine gets its [`Stack`] when the chunk is closed
/// ([`StackArena::close`]), which must happen before anything reads it.
#[derive(Default)]
pub(crate) struct StackArena {
    open: Vec<Frame>,
    /// (goroutine index, start in `open`, length) of the stacks in `open`.
    waiting: Vec<(usize, u32, u32)>,
    /// Every chunk closed so far.
    chunks: Vec<Arc<Vec<Frame>>>,
}

impl StackArena {
    /// Frames per chunk: a few hundred KiB, so the open chunk stays in cache.
    const CHUNK: usize = 16 * 1024;

    /// Appends the stack of goroutine `index` (of the slice later given to
    /// [`StackArena::close`]); it may close the open chunk first.
    pub(crate) fn push(&mut self, index: usize, frames: &[Frame], gs: &mut [Goroutine]) {
        if frames.is_empty() {
            return;
        }
        if frames.len() > Self::CHUNK / 4 {
            gs[index].frames = Stack::from(frames);
            return;
        }
        if self.open.len() + frames.len() > Self::CHUNK {
            self.close(gs);
        }
        if self.open.capacity() == 0 {
            self.open.reserve_exact(Self::CHUNK);
        }
        // Both fit in u32: the open chunk holds at most CHUNK frames.
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.waiting
            .push((index, small(self.open.len()), small(frames.len())));
        self.open.extend_from_slice(frames);
    }

    /// Closes the open chunk: its goroutines (indices into `gs`) get their stacks.
    pub(crate) fn close(&mut self, gs: &mut [Goroutine]) {
        if self.waiting.is_empty() {
            return;
        }
        let mut open = std::mem::take(&mut self.open);
        // The last chunk of a small dump is mostly empty: give the room back
        // (a file of many one-goroutine dumps must not keep a chunk each).
        if open.len() < open.capacity() / 2 {
            open.shrink_to_fit();
        }
        let chunk = Arc::new(open);
        for (i, start, len) in self.waiting.drain(..) {
            gs[i].frames = Stack {
                chunk: Some(chunk.clone()),
                start,
                len,
            };
        }
        self.chunks.push(chunk);
    }

    /// Forgets the chunks closed so far (a new dump starts).
    pub(crate) fn forget(&mut self) {
        self.chunks.clear();
    }

    /// Rewrites every frame of `gs` (the goroutines whose stacks this arena
    /// made, all closed) in place through `f`, on every CPU: the goroutines let
    /// go of their chunks, the chunks are rewritten, the goroutines get them
    /// back. Stacks made elsewhere are rewritten alone.
    pub(crate) fn rewrite(self, gs: &mut [Goroutine], f: impl Fn(&mut Frame) + Sync) {
        debug_assert!(self.waiting.is_empty());
        let rewritten = |fs: &[Frame]| {
            let mut v = fs.to_vec();
            v.iter_mut().for_each(&f);
            v
        };
        let mut chunks = self.chunks;
        let index: rustc_hash::FxHashMap<usize, u32> = chunks
            .iter()
            .enumerate()
            // A chunk holds CHUNK frames: far fewer than 2^32 chunks fit in memory.
            .map(|(i, c)| {
                (
                    Arc::as_ptr(c) as usize,
                    u32::try_from(i).unwrap_or(u32::MAX),
                )
            })
            .collect();
        // Let go: a stack of a chunk keeps only its place (no chunk), and its
        // chunk's index goes to `detached`.
        let mut detached: Vec<Option<u32>> = vec![None; gs.len()];
        crate::par::par_zip_mut(gs, &mut detached, 50_000, |g, d| {
            let s = std::mem::take(&mut g.frames);
            match s
                .chunk
                .as_ref()
                .and_then(|c| index.get(&(Arc::as_ptr(c) as usize)))
            {
                Some(&ci) => {
                    *d = Some(ci);
                    g.frames = Stack {
                        chunk: None,
                        start: s.start,
                        len: s.len,
                    };
                }
                None => g.frames = Stack::from(rewritten(&s)),
            }
        });
        // A chunk is 16 Ki frames: worth a thread from a few on.
        crate::par::par_each_mut(&mut chunks, 4, |c| match Arc::get_mut(c) {
            Some(v) => v.iter_mut().for_each(&f),
            None => *c = Arc::new(rewritten(c)),
        });
        crate::par::par_zip_mut(gs, &mut detached, 50_000, |g, ci| {
            if let Some(ci) = *ci {
                g.frames.chunk = Some(chunks[ci as usize].clone());
            }
        });
    }
}

/// What kind of frame it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FrameKind {
    /// An ordinary Go frame.
    #[default]
    Go,
    /// An inlined call: printed with `(...)` as its arguments.
    Inlined,
    /// A cgo frame: `non-Go function` or a symbolized C frame.
    NonGo,
}

/// `created by F in goroutine N` and the file line under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CreatedBy {
    /// The function containing the `go` statement.
    pub function: Sym,
    /// File of the `go` statement.
    pub file: Sym,
    /// Line of the `go` statement.
    pub line: u32,
    /// The creating goroutine (Go 1.21+ prints it; older dumps do not).
    pub parent: Option<u64>,
}

/// A `[originating from goroutine N]:` section (GODEBUG=tracebackancestors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor {
    /// The ancestor goroutine's ID.
    pub id: u64,
    /// Its stack at the moment it created the next goroutine in the chain.
    pub frames: Vec<Frame>,
    /// Who created the ancestor.
    pub created_by: Option<CreatedBy>,
}

/// Flags from the goroutine header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GoroutineFlags {
    /// `, locked to thread` (`runtime.LockOSThread`).
    pub locked_to_thread: bool,
    /// ` (leaked)`: the goroutineleak detector proved it can never run again (Go 1.26+).
    pub leaked: bool,
    /// ` (scan)`: the GC was scanning it.
    pub scan: bool,
    /// ` (durable)`: durably blocked inside a synctest bubble.
    pub durable: bool,
    /// `goroutine running on other thread; stack unavailable`.
    pub stack_unavailable: bool,
}

/// How deep the printed stack was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Elided {
    /// `...additional frames elided...`: the runtime stopped after 100 frames.
    Additional,
    /// `...N frames elided...`: the middle of a deep stack was skipped (Go 1.21+).
    Middle(u32),
}

/// One goroutine (or, in pprof profiles without IDs, one record standing for `count` goroutines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goroutine {
    /// `goid`; `None` in pprof `debug=0`/`debug=1` profiles.
    pub id: Option<u64>,
    /// How many goroutines this record stands for (1 for tracebacks).
    pub count: u64,
    /// The status text from the header bracket, without flags
    /// (`chan receive (nil chan)`, `running`, `semacquire`). In profiles without
    /// headers this is inferred from the runtime frames and marked by `state_inferred`.
    pub state: Sym,
    /// The parsed status.
    pub wait_reason: WaitReason,
    /// True when `state` was inferred from frames rather than printed.
    pub state_inferred: bool,
    /// `, N minutes`: how long it has been blocked (only printed from 1 minute on).
    pub wait_minutes: Option<u32>,
    /// Header flags.
    pub flags: GoroutineFlags,
    /// `, synctest bubble N` (`synctest group N` in Go 1.24).
    pub bubble: Option<u64>,
    /// pprof labels (`{req: "GET /x"}` after the bracket, `# labels:` in debug=1, proto labels).
    pub labels: Vec<(Sym, Sym)>,
    /// Frames, innermost first (a reader packs many goroutines' frames into
    /// one shared allocation).
    pub frames: Stack,
    /// Whether frames were cut.
    pub elided: Option<Elided>,
    /// Who started it.
    pub created_by: Option<CreatedBy>,
    /// Ancestor stacks (GODEBUG=tracebackancestors=N).
    pub ancestors: Vec<Ancestor>,
    /// 1-based line of the header in the input (0 for binary formats).
    pub line: u64,
}

impl Goroutine {
    /// A goroutine with nothing known yet: one goroutine, no ID, empty state,
    /// no frames. For readers outside this crate (process memory) to fill in.
    #[must_use]
    pub fn new() -> Goroutine {
        Goroutine::placeholder()
    }

    /// A goroutine with nothing known yet (no allocation): what readers fill in.
    pub(crate) fn placeholder() -> Goroutine {
        Goroutine {
            id: None,
            count: 1,
            state: Sym::EMPTY,
            wait_reason: WaitReason::Other,
            state_inferred: false,
            wait_minutes: None,
            flags: GoroutineFlags::default(),
            bubble: None,
            labels: Vec::new(),
            frames: Stack::default(),
            elided: None,
            created_by: None,
            ancestors: Vec::new(),
            line: 0,
        }
    }
}

/// A warning about input that could not be read completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line (text formats) or byte offset (binary formats), 0 when not applicable.
    pub position: u64,
    /// Whether `position` is a byte offset.
    pub is_byte_offset: bool,
    /// What went wrong and what was done about it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.position, self.is_byte_offset) {
            (0, _) => write!(f, "{}", self.message),
            (p, true) => write!(f, "byte {p}: {}", self.message),
            (p, false) => write!(f, "line {p}: {}", self.message),
        }
    }
}

/// Everything read from one goroutine dump.
#[derive(Debug, Clone)]
pub struct Dump {
    /// The encoding.
    pub format: Format,
    /// The Go version, when the input states it (e.g. toolchain paths in frames).
    pub go_version: Option<String>,
    /// All goroutines, in input order.
    pub goroutines: Vec<Goroutine>,
    /// Strings referred to by [`Sym`]s in this dump.
    pub strings: Interner,
    /// Problems met while reading.
    pub warnings: Vec<Warning>,
    /// What the reader (or the tool that captured the dump) wants the user to
    /// know that is not a problem: how the input was decoded, how it was
    /// captured.
    pub notes: Vec<String>,
    /// `fatal error: …` message (e.g. `all goroutines are asleep - deadlock!`).
    pub fatal_error: Option<String>,
    /// `panic: …` lines, outermost first, including `[recovered]` chains.
    pub panics: Vec<String>,
    /// `SIGQUIT: quit` and similar signal lines.
    pub signal: Option<String>,
    /// Tests named under `running tests:` in a `go test` timeout panic.
    pub running_tests: Vec<String>,
    /// `goroutine profile: total N` (or `goroutineleak profile: total N`).
    pub profile_total: Option<u64>,
    /// The profile name when the input is a pprof profile (`goroutine`, `goroutineleak`).
    pub profile_name: Option<String>,
    /// 1-based line where this dump starts in its input.
    pub first_line: u64,
}

impl Default for Goroutine {
    fn default() -> Goroutine {
        Goroutine::placeholder()
    }
}

impl Dump {
    /// Test functions on the stacks: the frame that `testing.tRunner` called
    /// (`example.com/pkg.TestX.func1` gives `TestX`), each once.
    #[must_use]
    pub fn tests_on_stacks(&self) -> Vec<String> {
        let d = self;
        let mut out: Vec<String> = Vec::new();
        for g in &d.goroutines {
            let Some(i) = g
                .frames
                .iter()
                .position(|f| d.str(f.function) == "testing.tRunner")
            else {
                continue;
            };
            let Some(f) = i.checked_sub(1).map(|k| &g.frames[k]) else {
                continue;
            };
            let func = d.str(f.function);
            // `example.com/pkg.TestX.func1` → `TestX`.
            let last = func.rsplit('/').next().unwrap_or(func);
            let Some(name) = last.split('.').nth(1) else {
                continue;
            };
            let is_test = ["Test", "Benchmark", "Fuzz", "Example"]
                .iter()
                .any(|p| name.starts_with(p));
            if is_test && !last.starts_with("testing.") && !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        }
        out
    }

    /// An empty dump of the given format, for readers to fill in.
    #[must_use]
    pub fn new(format: Format) -> Dump {
        Dump {
            format,
            go_version: None,
            goroutines: Vec::new(),
            strings: Interner::default(),
            warnings: Vec::new(),
            notes: Vec::new(),
            fatal_error: None,
            panics: Vec::new(),
            signal: None,
            running_tests: Vec::new(),
            profile_total: None,
            profile_name: None,
            first_line: 1,
        }
    }

    /// Resolves a symbol of this dump.
    #[must_use]
    pub fn str(&self, s: Sym) -> &str {
        self.strings.resolve(s)
    }

    /// The goroutine count, or `None` when the counts add up past 2^64
    /// (corrupt input: the readers refuse it).
    #[must_use]
    pub fn checked_total(&self) -> Option<u64> {
        self.goroutines
            .iter()
            .try_fold(0u64, |n, g| n.checked_add(g.count))
    }

    /// Total goroutines represented (sum of record counts; the readers refuse
    /// input where it overflows, see [`Dump::checked_total`]).
    #[must_use]
    pub fn total_goroutines(&self) -> u64 {
        self.goroutines
            .iter()
            .fold(0, |n, g| n.saturating_add(g.count))
    }

    /// True when the runtime itself declared a global deadlock.
    #[must_use]
    pub fn runtime_reported_deadlock(&self) -> bool {
        self.fatal_error
            .as_deref()
            .is_some_and(|m| m.starts_with("all goroutines are asleep"))
    }

    /// The `testing` alarm panicked (`panic: test timed out after …`): the
    /// dump is of a test binary about to exit (`testing/testing.go:
    /// startAlarm`), so no test that is not running yet will start.
    #[must_use]
    pub fn test_timed_out(&self) -> bool {
        self.panics.iter().any(|p| p.starts_with("test timed out"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn frames(n: usize, seed: u32) -> Vec<Frame> {
        let mut strings = Interner::default();
        (0..n)
            .map(|i| Frame {
                function: strings.intern(&format!("f{}", (u32::try_from(i).unwrap() + seed) % 7)),
                args: Sym::EMPTY,
                file: strings.intern("x.go"),
                line: seed * 1000 + u32::try_from(i).unwrap(),
                kind: FrameKind::Go,
            })
            .collect()
    }

    fn hash(x: &impl std::hash::Hash) -> u64 {
        rustc_hash::FxBuildHasher.hash_one(x)
    }

    #[test]
    fn a_stack_compares_and_hashes_as_its_frames() {
        let a = Stack::from(frames(5, 1));
        let b: Stack = frames(5, 1).into_iter().collect();
        assert!(!a.ptr_eq(&b));
        assert_eq!(a, b);
        assert_eq!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&frames(5, 1).as_slice()));
        assert_ne!(a, Stack::from(frames(5, 2)));
        assert_ne!(a, Stack::from(frames(4, 1)));
        assert!(Stack::default().is_empty());
        assert_eq!(Stack::from(Vec::new()), Stack::default());
        assert!(a.clone().ptr_eq(&a));
    }

    /// Goroutines with the given stack sizes, their stacks packed by an arena.
    fn packed(sizes: &[usize]) -> (Vec<Goroutine>, Vec<Vec<Frame>>, StackArena) {
        let mut arena = StackArena::default();
        let mut gs = Vec::new();
        let mut want = Vec::new();
        for (i, &n) in sizes.iter().enumerate() {
            let f = frames(n, u32::try_from(i).unwrap());
            gs.push(Goroutine::placeholder());
            arena.push(i, &f, &mut gs);
            want.push(f);
        }
        arena.close(&mut gs);
        (gs, want, arena)
    }

    #[test]
    fn an_arena_gives_every_goroutine_its_own_frames() {
        // Enough frames for several chunks, an empty stack, and one stack too
        // big to share a chunk.
        let mut sizes: Vec<usize> = (0..3000).map(|i| i % 23).collect();
        sizes.push(StackArena::CHUNK);
        sizes.push(3);
        let (gs, want, arena) = packed(&sizes);
        assert!(arena.chunks.len() > 2, "{} chunks", arena.chunks.len());
        for (g, w) in gs.iter().zip(&want) {
            assert_eq!(g.frames.as_slice(), w.as_slice());
        }
        // Stacks of one chunk share it.
        assert!(Arc::ptr_eq(
            gs[1].frames.chunk.as_ref().unwrap(),
            gs[2].frames.chunk.as_ref().unwrap()
        ));
    }

    #[test]
    fn an_arena_rewrites_its_frames_in_place_and_others_alone() {
        let sizes: Vec<usize> = (0..2500).map(|i| 1 + i % 17).collect();
        let (mut gs, want, arena) = packed(&sizes);
        let chunk0 = Arc::as_ptr(gs[0].frames.chunk.as_ref().unwrap());
        // A stack from elsewhere, shared with a goroutine outside the slice.
        let outside = Stack::from(frames(4, 99));
        gs[7].frames = outside.clone();
        arena.rewrite(&mut gs, |f| f.line += 1);
        for (i, (g, w)) in gs.iter().zip(&want).enumerate() {
            let src = if i == 7 {
                outside.as_slice()
            } else {
                w.as_slice()
            };
            let lines: Vec<u32> = src.iter().map(|f| f.line + 1).collect();
            let got: Vec<u32> = g.frames.iter().map(|f| f.line).collect();
            assert_eq!(got, lines, "goroutine {i}");
        }
        // The chunk was rewritten, not copied; the outside stack is unchanged.
        assert_eq!(Arc::as_ptr(gs[0].frames.chunk.as_ref().unwrap()), chunk0);
        assert_eq!(outside.as_slice(), frames(4, 99).as_slice());
    }
}

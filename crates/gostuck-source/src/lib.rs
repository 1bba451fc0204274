//! Reads Go source with tree-sitter-go to answer what a goroutine dump cannot:
//! which operation a frame's line performs, which locks the frame holds there,
//! and which channel, WaitGroup or Cond operations it may still perform.
//!
//! Sans-IO at its core ([`SourceFile::parse`] takes bytes); [`resolve`] finds
//! files for dump paths on disk.
#![deny(missing_docs)]

mod files;
mod ops;
pub mod repo;
pub mod resolve;
mod zero_chans;

pub use files::SourceFiles;
pub use ops::{Call, FunctionInfo, Op, OpKind};
pub use zero_chans::{never_made, ChanValues};

/// Why a file could not be read as Go.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// tree-sitter refused the input (it normally recovers from syntax errors).
    #[error("tree-sitter could not parse the file")]
    Parse,
    /// The syntax tree nests deeper than [`MAX_DEPTH`] (real Go code stays far
    /// below it; the queries walk the tree recursively).
    #[error("its syntax nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// The grammar and the tree-sitter runtime do not fit together.
    #[error("tree-sitter-go grammar could not be loaded: {0}")]
    Language(String),
}

/// A parsed Go file.
#[derive(Debug)]
pub struct SourceFile {
    lines: Vec<String>,
    functions: Vec<FunctionInfo>,
    /// [`SourceFile::leaky_locks`], found once at parse time (the engine asks
    /// for every frame of every stack).
    leaky: Vec<LeakyLock>,
    /// Package-level variables of a named type (name, type).
    globals: Vec<(String, String)>,
    /// The first field of each package-level struct type (type, field, field type).
    first_fields: Vec<(String, String, String)>,
    /// Channels declared without a value, and names given one
    /// ([`never_made`]).
    chan_values: zero_chans::ChanValues,
    /// True when tree-sitter had to recover from syntax errors.
    pub has_errors: bool,
}

/// A `Lock` that a `return` leaves held (see [`SourceFile::leaky_locks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakyLock {
    /// The mutex expression.
    pub expr: String,
    /// True for `RLock`.
    pub read: bool,
    /// Line of the `Lock`.
    pub lock_line: u32,
    /// Line of the `return` (or loop-leaving `break`) reached with the lock held.
    pub exit_line: u32,
    /// `return`, `break`, `panic`, `Goexit` (a `t.Fatal…`, `FailNow`,
    /// `Skip…` or `runtime.Goexit` ending a block), or `hand-off` (the function never unlocks it and
    /// leaves that to its caller; `exit_line` is then its last line).
    pub exit: &'static str,
    /// The function (as declared).
    pub function: String,
    /// A slot of a channel used as a semaphore or token pool, not a mutex:
    /// `expr` is the channel, taken by a send (`sem <- x`) or a receive
    /// (`<-tokens`) that the same function gives back with the opposite
    /// operation later or deferred.
    pub slot: bool,
}

/// A lock a frame holds at its current line.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The mutex expression (`from.mu`).
    pub expr: String,
    /// True for `RLock`.
    pub read: bool,
    /// Line of the `Lock`/`RLock` call.
    pub line: u32,
    /// Whether an `Unlock` is deferred (it will be released on return).
    pub deferred_unlock: bool,
}

/// The deepest syntax tree a file may have: the walks over it are recursive,
/// and a file of ten thousand nested blocks would overflow the stack.
pub const MAX_DEPTH: usize = 512;

/// Whether the tree under `root` is deeper than `max` (walked with a cursor,
/// without recursion).
fn deeper_than(root: tree_sitter::Node<'_>, max: usize) -> bool {
    let mut c = root.walk();
    let mut depth = 0;
    loop {
        if c.goto_first_child() {
            depth += 1;
            if depth > max {
                return true;
            }
            continue;
        }
        while !c.goto_next_sibling() {
            if !c.goto_parent() {
                return false;
            }
            depth -= 1;
        }
    }
}

impl SourceFile {
    /// Parses Go source. Errors: [`Error::TooDeep`] for a tree deeper than
    /// [`MAX_DEPTH`].
    pub fn parse(text: &[u8]) -> Result<SourceFile, Error> {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_go::LANGUAGE.into())
            .map_err(|e| Error::Language(e.to_string()))?;
        let tree = parser.parse(text, None).ok_or(Error::Parse)?;
        if deeper_than(tree.root_node(), MAX_DEPTH) {
            return Err(Error::TooDeep);
        }
        let structs = ops::struct_types(&tree, text);
        let functions = ops::collect(&tree, text, &structs);
        let globals = ops::package_var_types(&tree, text);
        let first_fields = structs
            .into_iter()
            .filter_map(|s| s.first.map(|(f, t)| (s.name, f, t)))
            .collect();
        let lines = String::from_utf8_lossy(text)
            .lines()
            .map(str::to_string)
            .collect();
        let leaky = leaky_locks(&functions);
        let chan_values = zero_chans::collect(&tree, text);
        Ok(SourceFile {
            chan_values,
            lines,
            functions,
            leaky,
            globals,
            first_fields,
            has_errors: tree.root_node().has_error(),
        })
    }

    /// What this file says about channel values, for [`never_made`].
    #[must_use]
    pub fn chan_values(&self) -> &ChanValues {
        &self.chan_values
    }

    /// The first field of the package-level struct type `type_name` declared
    /// in this file, as (name, type as written): it is at offset 0 of the
    /// struct. An embedded field is named after its type (`sync.Mutex` →
    /// `Mutex`, type `sync.Mutex`).
    #[must_use]
    pub fn first_field(&self, type_name: &str) -> Option<(&str, &str)> {
        self.first_fields
            .iter()
            .find(|(t, _, _)| t == type_name)
            .map(|(_, f, ty)| (f.as_str(), ty.as_str()))
    }

    /// The innermost function (declaration, method or literal) spanning `line`.
    /// A literal that only starts on `line` (`once.Do(func() {` with its body
    /// below, or an empty `func() {}`) does not count: a stack frame on that
    /// line is the call that takes the literal, in the function around it.
    #[must_use]
    pub fn function_at(&self, line: u32) -> Option<&FunctionInfo> {
        self.spanning(line)
            .filter(|f| {
                !(f.name == "func literal"
                    && f.start_line == line
                    && (f.end_line > line || (f.ops.is_empty() && f.calls.is_empty())))
            })
            .min_by_key(|f| f.end_line - f.start_line)
    }

    /// Every function (declaration, method or literal) whose lines include `line`.
    fn spanning(&self, line: u32) -> impl Iterator<Item = &FunctionInfo> {
        self.functions
            .iter()
            .filter(move |f| f.start_line <= line && line <= f.end_line)
    }

    /// For the innermost function literal whose first line is `start`: how
    /// many literals it is nested in, itself included (1 for a literal in a
    /// declared function). The compiler names it with as many `.funcN` /
    /// `.N` parts.
    #[must_use]
    pub fn literal_depth_starting(&self, start: u32) -> Option<usize> {
        let lit = self
            .functions
            .iter()
            .filter(|f| f.start_line == start && f.name == "func literal")
            .min_by_key(|f| f.end_line - f.start_line)?;
        Some(
            self.functions
                .iter()
                .filter(|f| {
                    f.name == "func literal"
                        && f.start_line <= lit.start_line
                        && lit.end_line <= f.end_line
                })
                .count(),
        )
    }

    /// The function (declaration, method or literal) whose first line is
    /// `start` (the innermost, should several start there).
    #[must_use]
    pub fn function_starting(&self, start: u32) -> Option<&FunctionInfo> {
        self.functions
            .iter()
            .filter(|f| f.start_line == start)
            .min_by_key(|f| f.end_line - f.start_line)
    }

    /// The named type of a variable visible at `line`: a parameter or local of
    /// the innermost function, or of the functions around it (closures), or
    /// else a package-level variable of this file.
    #[must_use]
    pub fn type_of(&self, line: u32, name: &str) -> Option<&str> {
        let mut around: Vec<&FunctionInfo> = self.spanning(line).collect();
        around.sort_by_key(|f| f.end_line - f.start_line);
        let local = around.iter().find_map(|f| {
            f.types
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.as_str())
        });
        // (A parameter or local of another type shadows the global, but one
        // without a known type does too: only names no function around
        // declares fall through.)
        local.or_else(|| {
            let declared = around
                .iter()
                .any(|f| f.params.iter().chain(&f.locals).any(|p| p == name));
            (!declared)
                .then(|| self.globals.iter().find(|(n, _)| n == name))
                .flatten()
                .map(|(_, t)| t.as_str())
        })
    }

    /// Operations written on `line` in the function spanning it.
    #[must_use]
    pub fn ops_at(&self, line: u32) -> Vec<&Op> {
        match self.function_at(line) {
            Some(f) => f.ops.iter().filter(|o| o.line == line).collect(),
            None => Vec::new(),
        }
    }

    /// Locks acquired before `line` in its function and not released on the
    /// path to it. `Unlock`s inside a block that ends in `return` (or
    /// `panic`/`break`/`continue`) that does not contain `line` are on another
    /// path and do not count; deferred `Unlock`s run only on return.
    #[must_use]
    pub fn held_at(&self, line: u32) -> Vec<Held> {
        let Some(f) = self.function_at(line) else {
            return Vec::new();
        };
        let mut held: Vec<Held> = Vec::new();
        for op in f.ops.iter().filter(|o| o.line < line) {
            if let Some((s, e)) = op.exit_block {
                // Not on the path to `line`: an Unlock in a block that exits,
                // and a Lock in one that leaves the function (a Lock before
                // a `continue` is still held in the next iteration).
                let off_path = match op.kind {
                    OpKind::Unlock | OpKind::RUnlock => true,
                    OpKind::Lock | OpKind::RLock => op.leaves_function,
                    _ => false,
                };
                if off_path && !(s <= line && line <= e) {
                    continue;
                }
            }
            match op.kind {
                OpKind::Lock | OpKind::RLock if !op.deferred => held.push(Held {
                    expr: op.expr.clone(),
                    read: op.kind == OpKind::RLock,
                    line: op.line,
                    deferred_unlock: false,
                }),
                OpKind::Unlock | OpKind::RUnlock if op.deferred => {
                    if let Some(h) = held.iter_mut().rev().find(|h| h.expr == op.expr) {
                        h.deferred_unlock = true;
                    }
                }
                OpKind::Unlock | OpKind::RUnlock => {
                    if let Some(i) = held.iter().rposition(|h| h.expr == op.expr) {
                        held.remove(i);
                    }
                }
                _ => {}
            }
        }
        // A lock taken at or after `line` in a loop body is still held when the
        // next iteration reaches `line`, if a `continue` skipped its Unlock.
        for &(c, s, e) in f
            .continues
            .iter()
            .filter(|&&(_, s, e)| s <= line && line <= e)
        {
            for lock in f.ops.iter().filter(|o| {
                matches!(o.kind, OpKind::Lock | OpKind::RLock)
                    && !o.deferred
                    && o.line >= line
                    && o.line < c
                    && o.line <= e
                    && o.line >= s
            }) {
                let released = f.ops.iter().any(|u| {
                    matches!(u.kind, OpKind::Unlock | OpKind::RUnlock)
                        && u.expr == lock.expr
                        && lock.line < u.line
                        && u.line < c
                        && u.exit_block.is_none_or(|(bs, be)| bs <= c && c <= be)
                });
                if !released && !held.iter().any(|h| h.expr == lock.expr) {
                    held.push(Held {
                        expr: lock.expr.clone(),
                        read: lock.kind == OpKind::RLock,
                        line: lock.line,
                        deferred_unlock: false,
                    });
                }
            }
        }
        held
    }

    /// The receiver of a `x.Do(…)` call on `line` (`sync.Once`'s method, when
    /// the stack says so): `x`.
    #[must_use]
    pub fn do_call_at(&self, line: u32) -> Option<&str> {
        // (Any function spanning the line: `once.Do(func() {` also starts the
        // literal, the innermost function there.)
        self.spanning(line)
            .flat_map(|f| &f.calls)
            .find(|c| c.line == line && c.callee == "Do" && !c.is_go && c.args.len() == 1)
            .and_then(|c| c.receiver.as_deref())
    }

    /// The timer `t` when `line` is inside the block of an `if !t.Stop() { … }`:
    /// there the timer has already fired (or was stopped), so a receive from
    /// `t.C` gets a value only if nobody received it yet (or after a Reset).
    ///
    /// Not when the block resets the timer before `line` (it fires again).
    #[must_use]
    pub fn stop_guard(&self, line: u32) -> Option<&str> {
        let f = self.function_at(line)?;
        let (t, s, _) = f
            .stop_guards
            .iter()
            .filter(|&&(_, s, e)| s <= line && line <= e)
            .max_by_key(|&&(_, s, _)| s)?;
        let reset = f.calls.iter().any(|c| {
            c.callee == "Reset"
                && c.receiver.as_deref() == Some(t.as_str())
                && *s <= c.line
                && c.line < line
        });
        (!reset).then_some(t.as_str())
    }

    /// Locks its function released before `line` without having locked them
    /// first: locks its caller held, which are free while it runs
    /// (`mu.Unlock(); time.Sleep(d); mu.Lock()` in a helper). Operations in
    /// a block that exits (`return`, `break`, …) without reaching `line` do
    /// not count, and a lock taken again before `line` is not released.
    #[must_use]
    pub fn released_at(&self, line: u32) -> Vec<Held> {
        let Some(f) = self.function_at(line) else {
            return Vec::new();
        };
        let mut locked: Vec<&str> = Vec::new();
        let mut released: Vec<Held> = Vec::new();
        for op in f.ops.iter().filter(|o| o.line < line && !o.deferred) {
            if let Some((s, e)) = op.exit_block {
                if !(s <= line && line <= e) {
                    continue;
                }
            }
            match op.kind {
                OpKind::Lock | OpKind::RLock => {
                    match released.iter().rposition(|r| r.expr == op.expr) {
                        Some(i) => {
                            released.remove(i);
                        }
                        None => locked.push(&op.expr),
                    }
                }
                OpKind::Unlock | OpKind::RUnlock => {
                    match locked.iter().rposition(|&x| x == op.expr) {
                        Some(i) => {
                            locked.remove(i);
                        }
                        None => released.push(Held {
                            expr: op.expr.clone(),
                            read: op.kind == OpKind::RUnlock,
                            line: op.line,
                            deferred_unlock: false,
                        }),
                    }
                }
                _ => {}
            }
        }
        released
    }

    /// Operations the function spanning `line` may still perform once it
    /// gets past `line`: those after it, those anywhere in a loop around it,
    /// and deferred ones.
    ///
    /// With `include_line`, operations on `line` itself count too: a caller
    /// frame is in the middle of a statement (`done <- q.Pop()`) whose rest runs
    /// when the call returns.
    #[must_use]
    pub fn future_ops(&self, line: u32, include_line: bool) -> Vec<&Op> {
        let Some(f) = self.function_at(line) else {
            return Vec::new();
        };
        let loops: Vec<(u32, u32)> = f
            .loops
            .iter()
            .copied()
            .filter(|&(s, e)| s <= line && line <= e)
            .collect();
        f.ops
            .iter()
            .filter(|o| {
                o.line > line
                    || (include_line && o.line == line)
                    || o.deferred
                    || loops.iter().any(|&(s, e)| s <= o.line && o.line <= e)
            })
            .collect()
    }

    /// Calls (not `go` statements) the function spanning `line` may still make
    /// once past `line`, by the same rule as [`SourceFile::future_ops`].
    #[must_use]
    pub fn future_calls(&self, line: u32, include_line: bool) -> Vec<&Call> {
        let Some(f) = self.function_at(line) else {
            return Vec::new();
        };
        let in_loop = |l: u32| {
            f.loops
                .iter()
                .any(|&(s, e)| s <= line && line <= e && s <= l && l <= e)
        };
        f.calls
            .iter()
            .filter(|c| {
                !c.is_go
                    && (c.line > line
                        || (include_line && c.line == line)
                        || c.deferred
                        || in_loop(c.line))
            })
            .collect()
    }

    /// What `name` was assigned from, when every plain assignment to it
    /// (`name = other`, `name := other`) in the declaration around `line`,
    /// closures included, assigns the same name or selector.
    #[must_use]
    pub fn alias_of(&self, line: u32, name: &str) -> Option<&str> {
        let outer = self
            .spanning(line)
            .max_by_key(|f| f.end_line - f.start_line)?;
        let mut from = self
            .functions
            .iter()
            .filter(|f| outer.start_line <= f.start_line && f.end_line <= outer.end_line)
            .flat_map(|f| f.assigns.iter())
            .filter(|(l, _, _)| l == name)
            .map(|(_, r, _)| r.as_str());
        let first = from.next()?;
        (first != name && from.all(|r| r == first)).then_some(first)
    }

    /// The locker of a Cond whose `.L` is locked (`cond` is the expression
    /// before `.L`): the argument of the `sync.NewCond` assigned to a
    /// same-named variable or field in this file, and whether it is an
    /// RWMutex's `RLocker()` (a read lock). In the terms of `cond`'s root when
    /// the assignment is made through the same root name.
    #[must_use]
    pub fn cond_locker(&self, cond: &str) -> Option<(String, bool)> {
        let want = class_of(cond);
        let (lhs, rhs) = self
            .functions
            .iter()
            .flat_map(|f| f.assigns.iter())
            .find(|(l, r, _)| class_of(l) == want && r.contains("NewCond("))
            .map(|(l, r, _)| (l.as_str(), r.as_str()))?;
        let arg = rhs[rhs.find("NewCond(")? + "NewCond(".len()..]
            .strip_suffix(')')?
            .trim();
        let (arg, read) = match arg.strip_suffix(".RLocker()") {
            Some(a) => (a, true),
            None => (arg, false),
        };
        let arg = arg.trim_start_matches('&');
        let rebased = match (root_ident(lhs), root_ident(arg), root_ident(cond)) {
            (Some(l), Some(a), Some(c)) if l == a => format!("{c}{}", &arg[a.len()..]),
            _ => arg.to_string(),
        };
        Some((rebased, read))
    }

    /// Functions and methods declared with this name (`M` finds `(s *T) M`).
    pub fn functions_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a FunctionInfo> {
        self.functions
            .iter()
            .filter(move |f| f.name != "func literal" && f.name.rsplit(' ').next() == Some(name))
    }

    /// Whether the function spanning `line` may still start a goroutine once
    /// past `line` (a `go` statement after it or in a loop around it).
    #[must_use]
    pub fn may_spawn(&self, line: u32, include_line: bool) -> bool {
        let Some(f) = self.function_at(line) else {
            return false;
        };
        let in_loop = |l: u32| {
            f.loops
                .iter()
                .any(|&(s, e)| s <= line && line <= e && s <= l && l <= e)
        };
        f.calls.iter().any(|c| {
            c.is_go && (c.line > line || (include_line && c.line == line) || in_loop(c.line))
        })
    }

    /// The cases (their send or receive operations) of the `select` statement
    /// starting at `line`, without those of selects nested in its case bodies.
    #[must_use]
    pub fn select_cases(&self, line: u32) -> Vec<&Op> {
        let Some(f) = self.function_at(line) else {
            return Vec::new();
        };
        let Some(&(start, end)) = f.selects.iter().find(|&&(s, _)| s == line) else {
            return Vec::new();
        };
        // The innermost select around an operation owns it.
        let owner = |l: u32| {
            f.selects
                .iter()
                .filter(|&&(s, e)| s <= l && l <= e)
                .min_by_key(|&&(s, e)| e - s)
                .copied()
        };
        f.ops
            .iter()
            .filter(|o| {
                o.in_select
                    && start <= o.line
                    && o.line <= end
                    && matches!(o.kind, OpKind::Send | OpKind::Recv)
                    && owner(o.line) == Some((start, end))
            })
            .collect()
    }

    /// Source lines `from..=to` (1-based), clipped to the file.
    #[must_use]
    pub fn snippet(&self, from: u32, to: u32) -> Vec<(u32, &str)> {
        let from = from.max(1);
        (from..=to)
            .filter_map(|n| self.lines.get(n as usize - 1).map(|l| (n, l.as_str())))
            .collect()
    }

    /// Locks that some path of their function leaves held: a `return` after a
    /// non-deferred `Lock`/`RLock` with no `Unlock` of the same expression on the
    /// way to it, in a function without a deferred `Unlock` of it. These are the
    /// usual source of a lock no live goroutine holds.
    /// Whether the value of `expr` escapes the function around `line` (sent
    /// on a channel, appended, stored in a field or map): then other
    /// goroutines operate on it under names of their own.
    #[must_use]
    pub fn escapes(&self, line: u32, expr: &str) -> bool {
        self.function_at(line)
            .is_some_and(|f| f.escapes.iter().any(|(e, _)| e == expr))
    }

    /// Whether a channel of `expr`'s class is registered with
    /// `signal.Notify` anywhere in this file: the runtime's signal delivery
    /// sends on it, from outside the program's goroutines.
    #[must_use]
    pub fn signal_notified(&self, expr: &str) -> bool {
        let class = class_of(expr);
        self.functions().iter().flat_map(|f| &f.calls).any(|c| {
            c.callee == "Notify"
                && c.receiver.as_deref() == Some("signal")
                && c.args
                    .first()
                    .is_some_and(|a| same_class(class_of(a), class))
        })
    }

    /// Whether `expr` at `line` is `ctx.Done()` of a context made by
    /// `signal.NotifyContext`: the OS ends it (SIGINT, SIGTERM …), not the
    /// program's goroutines. `ctx` is a local the function (or, for a
    /// literal, a function around it) assigned from `NotifyContext`, or a
    /// parameter every call of the function in this file passes such a
    /// context to (followed up to four calls deep), or derived from one with
    /// `context.With…`.
    #[must_use]
    pub fn signal_context(&self, line: u32, expr: &str) -> bool {
        let Some(ctx) = expr.trim().strip_suffix(".Done()") else {
            return false;
        };
        if ctx.contains(|c: char| !(c.is_alphanumeric() || c == '_')) {
            return false;
        }
        self.function_at(line)
            .is_some_and(|f| self.signal_context_in(f, ctx, 0))
    }

    fn signal_context_in(&self, f: &FunctionInfo, name: &str, depth: u32) -> bool {
        if depth > 4 {
            return false;
        }
        if f.call_results
            .iter()
            .any(|(n, callee, _)| n == name && callee == "NotifyContext")
        {
            return true;
        }
        // `ctx, cancel := context.WithCancel(parent)` (WithTimeout, …): done
        // when its parent is, when every such call of the function derives
        // from a signal context.
        let derived = f.call_results.iter().find_map(|(n, callee, _)| {
            (n == name && callee.starts_with("With")).then_some(callee.as_str())
        });
        if let Some(with) = derived {
            let mut parents = f
                .calls
                .iter()
                .filter(|c| c.callee == with && c.receiver.as_deref() == Some("context"))
                .map(|c| c.args.first().map(|a| a.trim().to_string()))
                .peekable();
            return parents.peek().is_some()
                && parents.all(|a| {
                    a.is_some_and(|a| {
                        root_ident(&a) == Some(a.as_str())
                            && self.signal_context_in(f, &a, depth + 1)
                    })
                });
        }
        if let Some(i) = f.params.iter().position(|p| p == name) {
            return self.every_caller_passes_signal_context(f, i, depth);
        }
        if f.own_local(name) || f.name != "func literal" {
            return false;
        }
        // A literal reads the variables of the function it is written in.
        self.spanning(f.start_line)
            .filter(|o| {
                !std::ptr::eq(*o, f) && o.start_line <= f.start_line && o.end_line >= f.end_line
            })
            .min_by_key(|o| o.end_line - o.start_line)
            .is_some_and(|o| self.signal_context_in(o, name, depth + 1))
    }

    fn every_caller_passes_signal_context(
        &self,
        f: &FunctionInfo,
        param: usize,
        depth: u32,
    ) -> bool {
        if f.name == "func literal" || (f.has_receiver && param == 0) {
            return false;
        }
        let arg = param - usize::from(f.has_receiver);
        let Some(bare) = f.name.rsplit(' ').next() else {
            return false;
        };
        let mut callers = 0;
        for caller in &self.functions {
            for c in caller.calls.iter().filter(|c| c.callee == bare) {
                let passes = c.args.get(arg).is_some_and(|a| {
                    root_ident(a) == Some(a.trim())
                        && self.signal_context_in(caller, a.trim(), depth + 1)
                });
                if !passes {
                    return false;
                }
                callers += 1;
            }
        }
        callers > 0
    }

    /// Whether `expr` at `line` names a channel its function made for this
    /// call and has not handed to anyone yet: its root is a local (not a
    /// parameter) that the function sends, appends or stores only at `line`
    /// or later, passes to no call before `line`, and no loop around `line`
    /// hands over again. Another goroutine blocked on "the same" channel
    /// then waits on another instance (a request's reply channel that has
    /// not been sent with the request yet).
    #[must_use]
    pub fn not_yet_handed_over(&self, line: u32, expr: &str) -> bool {
        let Some(f) = self.function_at(line) else {
            return false;
        };
        let Some(root) = root_ident(expr) else {
            return false;
        };
        let local = f.own_local(root);
        let escapes: Vec<u32> = f
            .escapes
            .iter()
            .filter(|(e, _)| root_ident(e) == Some(root))
            .map(|&(_, l)| l)
            .collect();
        let passed_before = f.calls.iter().any(|c| {
            c.line < line
                && (c
                    .args
                    .iter()
                    .chain(&c.receiver)
                    .any(|a| root_ident(a) == Some(root)))
        });
        let in_loop_with_escape = f
            .loops
            .iter()
            .any(|&(s, e)| s <= line && line <= e && escapes.iter().any(|&x| s <= x && x <= e));
        local
            && !escapes.is_empty()
            && escapes.iter().all(|&x| x >= line)
            && !passed_before
            && !in_loop_with_escape
    }

    /// The takes and give-backs the function spanning `line` performs
    /// through one-operation helpers of this file (`p.lock()` for
    /// `func (p *Pool) lock() { p.mu.Lock() }`), as operations on the
    /// call's receiver or argument at the call's line.
    #[must_use]
    pub fn helper_ops(&self, line: u32) -> Vec<Op> {
        self.function_at(line)
            .map(|f| {
                f.calls
                    .iter()
                    .filter_map(|c| helper_op(&self.functions, c))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Locks some path leaves locked.
    #[must_use]
    pub fn leaky_locks(&self) -> &[LeakyLock] {
        &self.leaky
    }

    /// All functions found.
    #[must_use]
    pub fn functions(&self) -> &[FunctionInfo] {
        &self.functions
    }
}

/// Whether two resource classes may name the same resource: equal, or one is
/// typed (`Account.mu`) and the other only names the field (`mu`) because the
/// type was not known there.
#[must_use]
pub fn same_class(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    if a.starts_with("type:") || b.starts_with("type:") {
        return false;
    }
    // The part after the last '.', found by bytes ('.' is ASCII): this runs
    // for every pair of lock classes the engine compares.
    let last = |s: &str| s.bytes().rposition(|c| c == b'.');
    match (last(a), last(b)) {
        (Some(i), None) => &a[i + 1..] == b,
        (None, Some(i)) => &b[i + 1..] == a,
        _ => false,
    }
}

/// The identifier an expression starts from (`p` for `p.ch`, `forks` for
/// `forks[i]`, `left` for `&left`), if it starts with one.
#[must_use]
pub fn root_ident(expr: &str) -> Option<&str> {
    let e = expr.trim().trim_start_matches(['&', '*', '(']);
    let end = e
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(e.len());
    let id = &e[..end];
    (!id.is_empty() && !id.starts_with(|c: char| c.is_ascii_digit())).then_some(id)
}

/// The name a resource expression is matched by across goroutines: the last
/// identifier, ignoring indexing and address-of (`&s.mu` → `mu`,
/// `locks[(i+1)%n]` → `locks`, `c.results` → `results`).
#[must_use]
pub fn class_of(expr: &str) -> &str {
    let e = expr
        .trim()
        .trim_start_matches(['&', '*', '('])
        .trim_end_matches(')');
    let e = match e.find('[') {
        Some(i) => &e[..i],
        None => e,
    };
    let e = e.trim_end_matches("()");
    match e.rfind('.') {
        Some(i) => &e[i + 1..],
        None => e,
    }
}

/// The operation a call performs when it calls a helper of this file whose
/// whole body is one take or give-back — `func (l *Limiter) Acquire() {
/// <-l.tokens }`, `func (s *Store) unlock() { s.mu.Unlock() }` — on an
/// expression of its receiver or a parameter: that operation on the call's
/// receiver or argument, at the call's line (one level: a helper's helpers
/// are not followed).
fn helper_op(functions: &[FunctionInfo], c: &Call) -> Option<Op> {
    if c.is_go {
        return None;
    }
    let mut helpers = functions.iter().filter(|h| {
        h.name != "func literal"
            && h.name.rsplit(' ').next() == Some(c.callee.as_str())
            && h.has_receiver == c.receiver.is_some()
    });
    let h = helpers.next()?;
    // Two declarations of that name (methods of two types): unknown which.
    if helpers.next().is_some() {
        return None;
    }
    let [op] = h.ops.as_slice() else {
        return None;
    };
    let takes_or_gives = matches!(
        op.kind,
        OpKind::Lock
            | OpKind::RLock
            | OpKind::Unlock
            | OpKind::RUnlock
            | OpKind::Send
            | OpKind::Recv
    );
    if !takes_or_gives || op.deferred || op.in_select {
        return None;
    }
    let root = root_ident(&op.expr)?;
    let i = h.params.iter().position(|p| p == root)?;
    let arg = if h.has_receiver {
        if i == 0 {
            c.receiver.clone()
        } else {
            c.args.get(i - 1).cloned()
        }
    } else {
        c.args.get(i).cloned()
    }?;
    let arg = arg.trim().trim_start_matches('&');
    let rest = op
        .expr
        .trim()
        .trim_start_matches(['&', '*'])
        .strip_prefix(root)?;
    let expr = format!("{arg}{rest}");
    Some(Op {
        kind: op.kind,
        expr,
        line: c.line,
        deferred: c.deferred,
        in_select: false,
        exit_block: c.exit_block,
        leaves_function: c.leaves_function,
    })
}

/// The locks a `return` leaves held in `functions` (see [`SourceFile::leaky_locks`]).
fn leaky_locks(functions: &[FunctionInfo]) -> Vec<LeakyLock> {
    let mut out = Vec::new();
    for f in functions {
        let mut ops = f.ops.clone();
        ops.extend(f.calls.iter().filter_map(|c| helper_op(functions, c)));
        ops.sort_by_key(|o| o.line);
        let f = &FunctionInfo { ops, ..f.clone() };
        for lock in f.ops.iter().filter(|o| !o.deferred && !o.in_select) {
            // Locks, and channel slots: a send or receive that the same
            // function undoes with the opposite operation on that channel.
            let (unlock, slot) = match lock.kind {
                OpKind::Lock => (OpKind::Unlock, false),
                OpKind::RLock => (OpKind::RUnlock, false),
                OpKind::Send => (OpKind::Recv, true),
                OpKind::Recv => (OpKind::Send, true),
                _ => continue,
            };
            let releases = |o: &&Op| o.kind == unlock && o.expr == lock.expr;
            if f.ops.iter().filter(releases).any(|o| o.deferred) {
                continue;
            }
            // A send and a receive on one channel are a slot only when the
            // give-back comes after the take (not a receive that answers a
            // request sent just before: `req <- r; <-r.done` are two channels).
            if slot && !f.ops.iter().filter(releases).any(|o| o.line > lock.line) {
                continue;
            }
            // Unlocks after the Lock, each on the path to a return unless it
            // sits in an early-exit block that does not contain that return.
            let unlocks: Vec<&Op> = f
                .ops
                .iter()
                .filter(releases)
                .filter(|o| o.line > lock.line)
                .collect();
            if unlocks.is_empty() {
                // Locks here, unlocks elsewhere: the lock is handed to whoever
                // called this function, and leaks if that caller never unlocks.
                out.push(LeakyLock {
                    expr: lock.expr.clone(),
                    read: lock.kind == OpKind::RLock,
                    lock_line: lock.line,
                    exit_line: f.end_line,
                    exit: "hand-off",
                    function: f.name.clone(),
                    slot,
                });
                continue;
            }
            // Exits: returns, and breaks out of a loop (the function goes on
            // after the loop, so an Unlock there still releases).
            // (A call that ends the goroutine — `t.Fatalf`, `panic` — exits
            // like a `return`, named after what it is.)
            let exits = f
                .returns
                .iter()
                .map(|&r| (r, None, "return"))
                .chain(f.goexits.iter().map(|&(g, what)| (g, None, what)))
                .chain(f.breaks.iter().map(|&(b, end)| (b, Some(end), "break")));
            for (r, loop_end, what) in exits.filter(|&(r, _, _)| r > lock.line) {
                let before = unlocks
                    .iter()
                    .any(|u| u.line <= r && u.exit_block.is_none_or(|(s, e)| s <= r && r <= e));
                let after_loop = loop_end.is_some_and(|end| {
                    unlocks
                        .iter()
                        .any(|u| u.line > end && u.exit_block.is_none())
                });
                let released = before || after_loop;
                if !released {
                    out.push(LeakyLock {
                        expr: lock.expr.clone(),
                        read: lock.kind == OpKind::RLock,
                        lock_line: lock.line,
                        exit_line: r,
                        exit: what,
                        function: f.name.clone(),
                        slot,
                    });
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;

//! Who can reach a channel: the rule *a wait no code can reach is stuck for
//! good, open world or not* (docs/findings-rules.in.md, "Which channel").
//!
//! Contract: asked by the orphans pass about one blocked group whose only
//! excuse is an open world (a live goroutine may start new ones). It reads
//! the source of every package that has a goroutine in the dump (all its
//! files, `Sources::package_files`, not only those on the stacks) and
//! answers whether any code a goroutine may still run — the functions on
//! the other goroutines' stacks, what they call and start, and, when a
//! server's accept loop or other code outside the program's source may
//! start goroutines, every function of those packages — performs an
//! operation that could complete the wait on that channel's identity.
//!
//! The identity is the channel's class (`Server.jobs`, `events`, `never`),
//! after following parameters to arguments on the stack. A channel made in
//! the call that started the goroutine (`go watch(make(chan T))`) is that
//! goroutine's alone. It answers "no partner" only when it can see all of
//! it: every goroutine with user code has source (the dumper excepted),
//! every package can be listed, the waited channel never escaped, and an
//! operation whose channel comes from elsewhere (a bare parameter or local,
//! a value returned or stored) counts as a possible partner of any wait.

use gostuck_source::{class_of, root_ident, same_class, FunctionInfo, OpKind};

use gostuck_dump::Dump;

use crate::facts::{Block, Sources};
use crate::passes::Cx;

/// Code a goroutine may still run: (file, first line of the function, and
/// for a function on a stack the line it is at and whether the rest of that
/// line runs too — only what is ahead of it; `None` for a whole function).
type CodeItem = (String, u32, Option<(u32, bool)>);

/// The code goroutines may still run, and for functions on their stacks
/// what their parameters are: (file, first line, line) → (parameter, class
/// of the argument the caller passed), from every stack at that frame.
#[derive(Default)]
struct Code {
    items: Vec<CodeItem>,
    bound: Bound,
}

/// A frame's function and line: (file, first line, line).
type FrameKey = (String, u32, u32);

/// A frame → (parameter, class of its argument).
type Bound = rustc_hash::FxHashMap<FrameKey, Vec<(String, String)>>;

/// A call in progress: (file, line of the call, callee).
type InProgress<'d> = (String, u32, &'d str);

/// The code the goroutines of one dump may still run, found once per dump.
#[derive(Default)]
pub(crate) struct Reach {
    /// Every Go file of the dump's packages (`None` inside: some user code
    /// cannot be read).
    files: Option<Option<Vec<String>>>,
    /// What every goroutine may still run.
    code: Option<Code>,
    second_looks: usize,
    /// Whether the whole code completes a wait, by what the answer depends
    /// on (block, which select directions, the classes): a server's
    /// thousands of groups share a few.
    answers: rustc_hash::FxHashMap<(Option<Block>, bool, bool, Vec<String>), bool>,
}

impl Reach {
    /// Whether nothing any goroutine may still run can complete group
    /// `gi`'s wait on a channel (or WaitGroup).
    pub(crate) fn unreachable(&mut self, cx: &Cx, gi: usize, src: &mut dyn Sources) -> bool {
        let f = &cx.facts[gi];
        let classes: Vec<&str> = match f.block {
            Some(Block::Send | Block::Recv | Block::WgWait) => {
                f.class.iter().map(String::as_str).collect()
            }
            Some(Block::Select) => f.cases.iter().map(|c| c.1.as_str()).collect(),
            _ => return false,
        };
        if classes.is_empty() || classes.iter().any(|c| c.is_empty()) || !f.has_source || f.escaped
        {
            return false;
        }
        // A channel made in the call that started the goroutine is its own:
        // the goroutine passed it on to no one (it did not escape).
        let private = |c: &str| c.starts_with("make(");
        let shared: Vec<&str> = classes.iter().copied().filter(|c| !private(c)).collect();
        if shared.is_empty() {
            return !passes_on(cx, gi, src);
        }
        let Some(files) = self.files.get_or_insert_with(|| dump_files(cx, src)) else {
            return false;
        };
        let code = self
            .code
            .get_or_insert_with(|| reachable(cx, &runners(cx, None), files, src));
        let key = (
            f.block,
            f.cases.iter().any(|c| c.0),
            f.cases.iter().any(|c| !c.0),
            shared.iter().map(|c| (*c).to_string()).collect(),
        );
        let served = match self.answers.get(&key) {
            Some(&a) => a,
            None => {
                let a = completes(code, f, &shared, src);
                self.answers.insert(key, a);
                a
            }
        };
        if !served {
            return true;
        }
        // A lone goroutine's own code ahead runs only once its wait is over:
        // asked again without its stack (a bounded number of times a dump).
        if cx.count(gi) != 1 || self.second_looks >= SECOND_LOOKS {
            return false;
        }
        self.second_looks += 1;
        let others = reachable(cx, &runners(cx, Some(gi)), files, src);
        !completes(&others, f, &shared, src)
    }
}

/// How many waits a dump asks about again without the waiter's own stack.
const SECOND_LOOKS: usize = 8;

/// Whether some operation of `code` could complete the wait of `f` on a
/// channel of `shared`.
fn completes(code: &Code, f: &crate::facts::Facts, shared: &[&str], src: &mut dyn Sources) -> bool {
    let block = f.block.unwrap_or(Block::Other);
    code.items.iter().any(|(file, start, from)| {
        let bound: &[(String, String)] = from
            .and_then(|(line, _)| code.bound.get(&(file.clone(), *start, line)))
            .map_or(&[], Vec::as_slice);
        src.file(file).is_some_and(|sf| {
            let Some(fi) = sf.function_starting(*start) else {
                return false;
            };
            let ops: Vec<&gostuck_source::Op> = match from {
                Some((line, include)) => sf.future_ops(*line, *include),
                None => fi.ops.iter().collect(),
            };
            // A channel made later is another instance: the goroutine
            // waits on one that exists now.
            // (Or made already but not handed to anyone yet.)
            let made_later = |o: &&gostuck_source::Op| {
                fi.made
                    .iter()
                    .any(|(e, l)| *e == o.expr && from.is_none_or(|(line, _)| *l > line))
                    || from.is_some_and(|(line, _)| sf.not_yet_handed_over(line, &o.expr))
            };
            // The cases of the select a goroutine is parked in are its
            // wait, not operations ahead (unless a loop comes back to it).
            let waiting: Vec<&gostuck_source::Op> = match from {
                Some((line, false)) if !fi.loops.iter().any(|&(a, b)| a <= *line && *line <= b) => {
                    sf.select_cases(*line)
                }
                _ => Vec::new(),
            };
            let ops: Vec<&gostuck_source::Op> = ops
                .into_iter()
                .filter(|o| !made_later(o) && !waiting.iter().any(|w| std::ptr::eq(*w, *o)))
                .collect();
            may_complete(fi, &ops, (block, f), shared, bound)
        })
    })
}

/// The groups whose code may still run: every one with user code but the
/// dumper (no one's partner) and `except`.
fn runners(cx: &Cx, except: Option<usize>) -> Vec<usize> {
    (0..cx.facts.len())
        .filter(|&j| {
            !cx.model.is_dumper(j) && cx.facts[j].user_frame.is_some() && Some(j) != except
        })
        .collect()
}

/// Every Go file of the packages of the dump's user code, or `None` when
/// some of that code cannot be read.
fn dump_files(cx: &Cx, src: &mut dyn Sources) -> Option<Vec<String>> {
    let all = runners(cx, None);
    if all.iter().any(|&j| !cx.facts[j].has_source) {
        return None;
    }
    package_files(cx, &all, src)
}

/// Whether group `gi`'s own functions hand the waited expression to a call
/// (a `go` statement or a helper that might): then it is not its own.
fn passes_on(cx: &Cx, gi: usize, src: &mut dyn Sources) -> bool {
    let f = &cx.facts[gi];
    let Some(uf) = f.user_frame else { return true };
    let g = &cx.d.goroutines[cx.members(gi)[0]];
    let fr = &g.frames[uf];
    let exprs: Vec<&str> = f
        .expr
        .iter()
        .map(String::as_str)
        .chain(f.cases.iter().map(|c| c.1.as_str()))
        .collect();
    let Some(fi) = src
        .file(cx.d.str(fr.file))
        .and_then(|sf| sf.function_at(fr.line))
    else {
        return true;
    };
    fi.calls.iter().any(|c| {
        c.args.iter().any(|a| {
            exprs
                .iter()
                .any(|e| root_ident(a).is_some_and(|r| Some(r) == root_ident(e)))
        })
    })
}

/// Every Go file of the packages of the user frames of `groups`, or `None`
/// when one package cannot be listed.
fn package_files(cx: &Cx, groups: &[usize], src: &mut dyn Sources) -> Option<Vec<String>> {
    let d = cx.d;
    let mut stack_files: Vec<String> = Vec::new();
    for &j in groups {
        for fr in &d.goroutines[cx.members(j)[0]].frames {
            let file = d.str(fr.file);
            // (`_testmain.go` is the harness `go test` generates: it calls
            // the test entry points, which `harness_may_start` models.)
            if !gostuck_dump::classify::is_std_frame(d.str(fr.function), file)
                && !file.ends_with("_testmain.go")
                && !stack_files.iter().any(|s| s == file)
            {
                stack_files.push(file.to_string());
            }
        }
    }
    // `_test.go` files are built into a test binary only: one whose stacks
    // show the testing harness. A program's own dump leaves them out, or
    // its tests (never run) would count as code that may still run.
    // (One goroutine per group: its members share their frames.)
    let test_binary = (0..cx.facts.len()).any(|j| {
        d.goroutines[cx.members(j)[0]]
            .frames
            .iter()
            .any(|fr| d.str(fr.function).starts_with("testing."))
    });
    let mut out: Vec<String> = Vec::new();
    for file in &stack_files {
        for p in src.package_files(file)? {
            if (test_binary || !p.ends_with("_test.go")) && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Some(out)
}

/// What is ahead on the stacks of `groups`: each user frame's function from
/// its line, the call each caller frame is in (not made again), and what
/// the parameters of those frames are (`bind_parameters`).
fn on_stacks<'d>(
    cx: &Cx<'d>,
    groups: &[usize],
    files: &[String],
    src: &mut dyn Sources,
) -> (Vec<CodeItem>, Vec<InProgress<'d>>, Bound) {
    let d = cx.d;
    let mut todo: Vec<CodeItem> = Vec::new();
    let mut bound = Bound::default();
    // (frame key, call site): bound already.
    let mut bound_sites: rustc_hash::FxHashSet<(FrameKey, Option<(String, u32)>)> =
        rustc_hash::FxHashSet::default();
    // The call each caller frame is in: it runs (as the frame below), it is
    // not called again from the top — `TestProgram`'s `main()` line.
    let mut in_progress: Vec<(String, u32, &str)> = Vec::new();
    for &j in groups {
        let g = &d.goroutines[cx.members(j)[0]];
        let uf = cx.facts[j].user_frame.unwrap_or(0);
        for (k, fr) in g.frames.iter().enumerate().skip(uf) {
            let (function, file) = (d.str(fr.function), d.str(fr.file));
            // (A `go` statement's wrapper is at the statement that started
            // the goroutine, long past: not code ahead.)
            if crate::facts::is_go_wrapper(function)
                || gostuck_dump::classify::is_std_frame(function, file)
            {
                continue;
            }
            let Some(path) = files.iter().find(|p| same_file(p, file)) else {
                continue;
            };
            let Some(sf) = src.file(path) else { continue };
            // Go 1.21 names that wrapper like a literal: not code ahead either.
            if crate::facts::is_statement_wrapper(d, g, k, sf) {
                continue;
            }
            let Some(fi) = sf.function_at(fr.line) else {
                continue;
            };
            // (Only parameters the function operates on as channels, once
            // per frame and call site: thousands of groups share frames.)
            let start = fi.start_line;
            let has_receiver = fi.has_receiver;
            // (Position among the arguments, name.)
            let params: Vec<(usize, String)> = fi.params[usize::from(has_receiver)..]
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    fi.ops
                        .iter()
                        .any(|o| root_ident(&o.expr) == Some(p.as_str()))
                })
                .map(|(i, p)| (i, p.clone()))
                .collect();
            let site = crate::facts::call_site(d, g, k).map(|(f, l, _, _)| (f.to_string(), l));
            let has_caller = site.is_some();
            let key = (path.clone(), start, fr.line);
            if !params.is_empty() && bound_sites.insert((key.clone(), site)) {
                let args =
                    bind_parameters(cx, (g, k, has_caller), (has_receiver, params), files, src);
                bound.entry(key).or_default().extend(args);
            }
            if k > uf {
                let inner = d.str(g.frames[k - 1].function);
                let name = inner.rsplit('.').next().unwrap_or(inner);
                in_progress.push((path.clone(), fr.line, name));
            }
            todo.push((path.clone(), start, Some((fr.line, k > uf))));
        }
    }
    (todo, in_progress, bound)
}

/// What the goroutines of `groups` may still run: what is ahead of each
/// user frame on their stacks, and functions that code outside the source
/// may call — function literals, and named functions no code of `files`
/// calls by name (handlers, callbacks, methods called through an interface;
/// not `main` or `init`) — then everything those call or start,
/// transitively (callees by name among `files`; the literals inside a
/// function with it).
fn reachable(cx: &Cx, groups: &[usize], files: &[String], src: &mut dyn Sources) -> Code {
    let d = cx.d;
    let (mut todo, in_progress, bound) = on_stacks(cx, groups, files, src);
    let mut called: rustc_hash::FxHashSet<String> = rustc_hash::FxHashSet::default();
    for path in files {
        if let Some(sf) = src.file(path) {
            called.extend(
                sf.functions()
                    .iter()
                    .flat_map(|fi| fi.calls.iter().map(|c| c.callee.clone())),
            );
        }
    }
    // (One goroutine per group: its members share their frames.)
    let reps = (0..cx.facts.len()).map(|j| &d.goroutines[cx.members(j)[0]]);
    let harness_may_start = harness_may_start(d, reps);
    for path in files {
        let Some(sf) = src.file(path) else { continue };
        for fi in sf.functions() {
            let name = fi.name.rsplit(' ').next().unwrap_or("");
            let by_value = if is_test_entry(path, fi) {
                harness_may_start(name, path, fi.start_line)
            } else {
                if fi.name == "func literal" {
                    !fi.immediate
                } else {
                    !called.contains(name) && name != "main" && name != "init"
                }
            };
            if by_value {
                todo.push((path.clone(), fi.start_line, None));
            }
        }
    }
    // Named functions by name, and each file's functions by first line (a
    // generated program has thousands: no scan per call).
    let mut by_name: rustc_hash::FxHashMap<String, Vec<(usize, u32, bool)>> =
        rustc_hash::FxHashMap::default();
    let mut spans: Vec<Vec<(u32, u32)>> = Vec::with_capacity(files.len());
    for (pi, path) in files.iter().enumerate() {
        let mut v = Vec::new();
        if let Some(sf) = src.file(path) {
            for fi in sf.functions() {
                v.push((fi.start_line, fi.end_line));
                if fi.name != "func literal" {
                    let name = fi.name.rsplit(' ').next().unwrap_or("").to_string();
                    by_name
                        .entry(name)
                        .or_default()
                        .push((pi, fi.start_line, fi.has_receiver));
                }
            }
        }
        v.sort_unstable();
        spans.push(v);
    }
    let mut seen: rustc_hash::FxHashSet<CodeItem> = rustc_hash::FxHashSet::default();
    while let Some(item) = todo.pop() {
        if !seen.insert(item.clone()) {
            continue;
        }
        let (file, start, from) = item;
        let Some(sf) = src.file(&file) else { continue };
        let Some(fi) = sf.function_starting(start) else {
            continue;
        };
        let ahead = |l: u32| match from {
            None => true,
            Some((line, include)) => {
                l > line
                    || (include && l == line)
                    || fi
                        .loops
                        .iter()
                        .any(|&(s, e)| s <= line && line <= e && s <= l && l <= e)
            }
        };
        // Function literals inside it, made when it runs on.
        if let Some(pi) = files.iter().position(|p| *p == file) {
            let v = &spans[pi];
            let first = v.partition_point(|&(s0, _)| s0 <= start);
            for &(s0, e0) in v[first..].iter().take_while(|&&(s0, _)| s0 <= fi.end_line) {
                if e0 <= fi.end_line && ahead(s0) {
                    todo.push((file.clone(), s0, None));
                }
            }
        }
        let in_loop = |line: u32| fi.loops.iter().any(|&(s, e)| s <= line && line <= e);
        let running = |c: &gostuck_source::Call| {
            matches!(from, Some((line, true)) if c.line == line && !in_loop(line))
                && in_progress
                    .iter()
                    .any(|(p, l, n)| *p == file && *l == c.line && *n == c.callee)
        };
        let calls: Vec<gostuck_source::Call> = fi
            .calls
            .iter()
            .filter(|c| (c.deferred || ahead(c.line)) && !running(c))
            .cloned()
            .collect();
        for c in &calls {
            for &(pi, line, has_receiver) in by_name.get(&c.callee).into_iter().flatten() {
                if !has_receiver || c.receiver.is_some() {
                    todo.push((files[pi].clone(), line, None));
                }
            }
        }
    }
    Code {
        items: seen.into_iter().collect(),
        bound,
    }
}

/// What the parameters `params` (position among the arguments, name) of
/// frame `k` of `g` are: (parameter, class of the argument its caller
/// passed), followed up the stack and through the `go` statement; without a
/// caller in the dump (`has_caller` false: pprof debug=1/0 print no
/// creator), the fields every call in the package passes.
fn bind_parameters(
    cx: &Cx,
    (g, k, has_caller): (&gostuck_dump::Goroutine, usize, bool),
    (has_receiver, params): (bool, Vec<(usize, String)>),
    files: &[String],
    src: &mut dyn Sources,
) -> Vec<(String, String)> {
    let d = cx.d;
    let function = d.str(g.frames[k].function);
    let name = function.rsplit('.').next().unwrap_or(function);
    let mut out = Vec::new();
    for (pos, p) in params {
        if crate::facts::caller_argument(d, g, k, &p, src).is_some() {
            let class = crate::facts::resolve_class(d, g, k, &p, src);
            out.push((p, class));
        } else if !has_caller {
            for class in fields_passed(files, src, (name, has_receiver), pos) {
                out.push((p.clone(), class));
            }
        }
    }
    out
}

/// The fields every call of the function `name` in `files` passes for its
/// argument `pos` (`go p.work(id, p.jobs)` → `jobs`), when each call passes
/// a field; empty when one passes anything else (a variable, a call) or no
/// call is found.
fn fields_passed(
    files: &[String],
    src: &mut dyn Sources,
    (name, method): (&str, bool),
    pos: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    for path in files {
        let Some(sf) = src.file(path) else { continue };
        for c in sf.functions().iter().flat_map(|f| &f.calls) {
            if c.callee != name || c.receiver.is_some() != method {
                continue;
            }
            let field = c
                .args
                .get(pos)
                .map(|a| a.trim().trim_start_matches('&'))
                .filter(|a| root_ident(a).is_some_and(|r| r != class_of(a)));
            match field {
                Some(a) => out.push(class_of(a).to_string()),
                None => return Vec::new(),
            }
        }
    }
    out
}

/// A function the `testing` harness calls by name from its generated
/// `_testmain.go`: `TestMain` and the `Test`, `Benchmark`, `Fuzz` and
/// `Example` functions of a `_test.go` file (no receiver).
fn is_test_entry(path: &str, fi: &gostuck_source::FunctionInfo) -> bool {
    path.ends_with("_test.go") && !fi.has_receiver && test_entry_name(&fi.name)
}

/// `TestMain`, `TestX`, `BenchmarkX`, `FuzzX`, `ExampleX`.
fn test_entry_name(name: &str) -> bool {
    ["Test", "Benchmark", "Fuzz", "Example"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Which test entry points the harness may still call: none once the test
/// alarm fired (the process exits), never one that is already running (on a
/// stack: each test runs once per run, `TestMain` once per process), and no
/// `Test` function that comes before a running one in the order the harness
/// runs them — `_test.go` files by name, then declaration order
/// (`cmd/go/internal/load/test.go`) — which has already run (without
/// `-shuffle`). Asked with the entry's name, file and first line.
fn harness_may_start<'a>(
    d: &Dump,
    goroutines: impl Iterator<Item = &'a gostuck_dump::Goroutine>,
) -> impl Fn(&str, &str, u32) -> bool {
    let timed_out = d.test_timed_out();
    // Function names are interned: each distinct (function, file, line) of a
    // test frame is looked at once.
    let mut running: Vec<(String, String, u32)> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for g in goroutines {
        for fr in &g.frames {
            if !seen.insert((fr.function, fr.file, fr.line)) {
                continue;
            }
            let f = d.str(fr.function);
            let last = f.rsplit('.').next().unwrap_or(f);
            if test_entry_name(last) {
                running.push((
                    last.to_string(),
                    base_name(d.str(fr.file)).to_string(),
                    fr.line,
                ));
            }
        }
    }
    // The first running `Test` in run order (a frame's line is inside its
    // function, at or after the function's first line).
    let first_test = running
        .iter()
        .filter(|(n, _, _)| n.starts_with("Test") && n != "TestMain")
        .map(|(_, f, l)| (f.clone(), *l))
        .min();
    move |name: &str, path: &str, start: u32| {
        let already_ran = name.starts_with("Test")
            && name != "TestMain"
            && first_test
                .as_ref()
                .is_some_and(|(f, l)| (base_name(path), start) < (f.as_str(), *l));
        !timed_out && !already_ran && !running.iter().any(|(r, _, _)| r == name)
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Whether a dump path and a local path name the same file (the local one
/// was found for it by the longest common suffix).
fn same_file(local: &str, dump_path: &str) -> bool {
    let name = |p: &str| p.rsplit(['/', '\\']).next().unwrap_or(p).to_string();
    name(local) == name(dump_path) && gostuck_source::resolve::common_suffix(local, dump_path) >= 1
}

/// Whether `fi` has an operation that could complete a wait of kind
/// `block` on a channel of one of `classes` — by its class, or because the
/// channel it operates on comes from elsewhere (a bare parameter or local),
/// or lets the channel out (returns it, stores it, sends it). A parameter
/// with an argument in `bound` (the function is on a stack) is that
/// argument's channel, not one from elsewhere.
fn may_complete(
    fi: &FunctionInfo,
    ops: &[&gostuck_source::Op],
    (block, f): (Block, &crate::facts::Facts),
    classes: &[&str],
    bound: &[(String, String)],
) -> bool {
    let same = |e: &str| classes.iter().any(|c| same_class(class_of(e), c));
    let local = |root: &str| fi.locals.iter().any(|l| l == root);
    let argument = |e: &str| {
        let root = root_ident(e).filter(|r| *r == class_of(e) && !local(r))?;
        let mut args = bound.iter().filter(|(p, _)| p == root).peekable();
        args.peek()?;
        Some(args.any(|(_, class)| classes.iter().any(|c| same_class(class, c))))
    };
    let from_elsewhere = |e: &str| {
        let Some(root) = root_ident(e) else {
            return true;
        };
        root == class_of(e)
            && (fi
                .params
                .iter()
                .skip(usize::from(fi.has_receiver))
                .any(|p| p == root)
                || local(root))
    };
    let complements = |k: OpKind| match block {
        Block::Recv => matches!(k, OpKind::Send | OpKind::Close),
        Block::Send => matches!(k, OpKind::Recv | OpKind::Range | OpKind::Close),
        Block::WgWait => matches!(k, OpKind::Done | OpKind::Add),
        Block::Select => {
            let sends = f.cases.iter().any(|c| c.0);
            let recvs = f.cases.iter().any(|c| !c.0);
            (recvs && matches!(k, OpKind::Send | OpKind::Close))
                || (sends && matches!(k, OpKind::Recv | OpKind::Range | OpKind::Close))
        }
        _ => true,
    };
    ops.iter()
        .any(|o| {
            complements(o.kind)
                && argument(&o.expr)
                    .unwrap_or_else(|| same(&o.expr) || from_elsewhere(&o.expr))
        })
        // (`return <-p.items` returns a value received, not the channel.)
        || fi
            .return_exprs
            .iter()
            .any(|e| !e.trim_start().starts_with("<-") && same(e))
        || fi.escapes.iter().any(|(e, _)| same(e))
}

#[cfg(test)]
mod tests {
    use super::Reach;
    use crate::passes::testing::Fixture;

    /// Whether the reach rule calls the wait of goroutine `id` in the
    /// Go 1.27.3 capture `name` unreachable.
    fn unreachable(name: &str, id: u64) -> bool {
        let mut fx = Fixture::new(name);
        let mut src = fx.take_src();
        let gi = fx.group_of(id);
        let (cx, _) = fx.cx();
        Reach::default().unreachable(&cx, gi, src.as_mut())
    }

    /// The harness's view of which test entry points may still start.
    fn may_start(path: &str, name: &str) -> bool {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captured/matrix/go1.27.3/"
        );
        let bytes = std::fs::read(format!("{p}{path}")).unwrap();
        let d = gostuck_dump::read_bytes(&bytes, &gostuck_dump::ReadOptions::default())
            .unwrap()
            .remove(0);
        let may = super::harness_may_start(&d, d.goroutines.iter());
        may(name, "zz_other_test.go", 1)
    }

    #[test]
    fn a_running_test_is_not_started_again_and_after_a_timeout_none_is() {
        let watchdog = "config-reload-watcher-gone/testmain-watchdog.txt";
        assert!(!may_start(watchdog, "TestProgram"), "it is on a stack");
        assert!(may_start(watchdog, "TestOther"), "a later test may run");
        let timeout = "config-reload-watcher-gone/gotest-timeout.txt";
        assert!(!may_start(timeout, "TestProgram"));
        assert!(!may_start(timeout, "TestOther"), "the process exits");
    }

    #[test]
    fn a_receive_only_a_returned_goroutine_sent_on_is_unreachable_in_a_live_server() {
        // goroutine 20: the reloader; the watcher that sent on r.changed returned.
        assert!(unreachable("config-reload-watcher-gone.txt", 20));
    }

    #[test]
    fn a_test_that_ran_before_and_the_waiters_own_code_are_no_partners() {
        // goroutine 20: TestPublishBurst blocked on a full queue; TestDeliver
        // (which starts the dispatcher) ran before it, and its own
        // `b.Close()` after the loop runs only once the send is done.
        assert!(unreachable("testmain-watchdog-full-channel.txt", 20));
    }

    #[test]
    fn a_handler_registered_by_value_may_still_send() {
        // The POST /reload handler, a method value no code calls by name.
        let fx = Fixture::new("config-reload-on-demand-healthy.txt");
        let id = fx
            .groups
            .iter()
            .zip(&fx.facts)
            .find(|(_, f)| f.class.as_deref() == Some("Router.changed"))
            .and_then(|(g, _)| fx.d.goroutines[g.members[0]].id)
            .unwrap();
        assert!(!unreachable("config-reload-on-demand-healthy.txt", id));
    }

    #[test]
    fn a_parameter_without_a_caller_is_the_field_every_call_passes_there() {
        // pprof debug=1 prints no creator: `work(id int, jobs <-chan int)`
        // is started only by `go p.work(p.workers, p.jobs)`, so its `jobs`
        // (the second argument, the only parameter it operates on) is the
        // field `jobs`, not the first argument's `workers`.
        let mut fx = Fixture::new("../matrix/go1.27.3/pool-grow-results-gone/pprof-debug1.txt");
        let mut src = fx.take_src();
        let (cx, _) = fx.cx();
        let files = super::dump_files(&cx, src.as_mut()).unwrap();
        let all = super::runners(&cx, None);
        let (_, _, bound) = super::on_stacks(&cx, &all, &files, src.as_mut());
        let jobs: Vec<&str> = bound
            .values()
            .flatten()
            .filter(|(p, _)| p == "jobs")
            .map(|(_, c)| c.as_str())
            .collect();
        assert_eq!(jobs, ["jobs"]);
    }

    #[test]
    fn code_ahead_on_a_live_stack_may_still_send() {
        // stacks-endpoint-healthy: the tailer is paced by a live indexer.
        let fx = Fixture::new("stacks-endpoint-healthy.txt");
        let blocked: Vec<u64> = fx
            .groups
            .iter()
            .zip(&fx.facts)
            .filter(|(_, f)| {
                matches!(
                    f.block,
                    Some(crate::facts::Block::Send | crate::facts::Block::Recv)
                )
            })
            // (The checkpoint's ticker is fed by time, not by code: the
            // liveness model never asks reach about it.)
            .filter(|(_, f)| !f.class.as_deref().is_some_and(crate::liveness::timerish))
            .filter_map(|(g, _)| fx.d.goroutines[g.members[0]].id)
            .collect();
        assert!(!blocked.is_empty());
        for id in blocked {
            assert!(
                !unreachable("stacks-endpoint-healthy.txt", id),
                "goroutine {id}"
            );
        }
    }
}

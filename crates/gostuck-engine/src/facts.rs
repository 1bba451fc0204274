//! Per-goroutine facts: what each blocked goroutine waits on (from the wait
//! reason, the runtime frames and the source line), which locks its frames
//! hold, and which operations it may still perform.

use gostuck_dump::classify::is_std_frame;
use gostuck_dump::{Dump, Goroutine, WaitReason};
use gostuck_source::{class_of, root_ident, OpKind, SourceFile};

/// Supplies parsed source files for dump paths. The engine does no I/O itself.
pub trait Sources {
    /// The parsed file for a path as printed in the dump, if it can be found.
    fn file(&mut self, dump_path: &str) -> Option<&SourceFile>;

    /// Whether source is looked for at all (`false`: the user asked for
    /// stacks alone, so a file not read is not "missing").
    fn looks_for_source(&self) -> bool {
        true
    }

    /// The other Go files of the package of the file printed as
    /// `dump_path` (paths [`Sources::file`] accepts), or `None` when they
    /// cannot be listed: code no goroutine runs now, which future
    /// goroutines may run.
    fn package_files(&mut self, _dump_path: &str) -> Option<Vec<String>> {
        None
    }
}

/// No source at all: the engine works from stacks alone.
pub struct NoSources;

impl Sources for NoSources {
    fn file(&mut self, _: &str) -> Option<&SourceFile> {
        None
    }

    fn looks_for_source(&self) -> bool {
        false
    }
}

/// What a goroutine is blocked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Block {
    Lock,
    RLock,
    Send,
    Recv,
    Select,
    SelectEmpty,
    NilSend,
    NilRecv,
    WgWait,
    CondWait,
    Other,
}

impl Block {
    pub(crate) fn is_lock(self) -> bool {
        matches!(self, Block::Lock | Block::RLock)
    }
    pub(crate) fn resource_kind(self, rw: bool) -> &'static str {
        match self {
            Block::Lock | Block::RLock if rw => "rwmutex",
            Block::Lock | Block::RLock => "mutex",
            Block::Send | Block::Recv | Block::NilSend | Block::NilRecv => "channel",
            Block::Select | Block::SelectEmpty => "select",
            Block::WgWait => "waitgroup",
            Block::CondWait => "cond",
            Block::Other => "other",
        }
    }
}

/// A lock held by a frame.
#[derive(Debug, Clone)]
pub(crate) struct HeldLock {
    pub expr: String,
    /// Resource class after following parameters to their arguments.
    pub class: String,
    pub read: bool,
    /// Index of the frame holding it.
    pub frame: usize,
    pub line: u32,
    /// A `sync.Once` whose `Do` this goroutine is running (its mutex).
    pub once: bool,
    /// Where the object whose lock this is was made, when the source shows
    /// it (`objects::made_at`): holds on objects made elsewhere are not it.
    pub made_at: Option<(String, u32)>,
}

impl HeldLock {
    /// How a finding names it: the lock's expression, or `x.Do` for a Once
    /// whose `Do` is running.
    pub fn shown(&self) -> String {
        if self.once {
            format!("{}.Do", self.expr)
        } else {
            self.expr.clone()
        }
    }
}

/// An operation the goroutine may perform once unblocked.
#[derive(Debug, Clone)]
pub(crate) struct Future {
    pub kind: OpKind,
    pub class: String,
    pub frame: usize,
    pub line: u32,
    /// The function the operation is in when it is not the frame's own: a
    /// function the frame calls, in the same file (its declared name,
    /// `(*Manager).syncOnce`).
    pub function: Option<String>,
    /// A channel its frame made for this call and has not handed to anyone
    /// yet (gostuck-source `not_yet_handed_over`): whatever another
    /// goroutine waits on, it is another instance.
    pub fresh: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub block: Option<Block>,
    /// RWMutex rather than Mutex.
    pub rw: bool,
    /// Address of the resource, from a runtime frame argument printed without `?`.
    pub address: Option<String>,
    /// Frame index of the blocking user frame.
    pub user_frame: Option<usize>,
    /// The expression operated on at the blocking line (`to.mu`, `p.ch`).
    pub expr: Option<String>,
    /// Its resource class after following parameters to their arguments.
    pub class: Option<String>,
    /// For a lock wait: where the object was made (`objects::made_at`).
    pub made_at: Option<(String, u32)>,
    /// For a blocking `for range`: the wait ends only with a close.
    pub ranging: bool,
    /// A Lock wait in `sync.(*Once).Do`: `expr` is the Once, whose `Do` another
    /// goroutine is running.
    pub once: bool,
    /// It receives from `t.C` inside `if !t.Stop() { … }` (the timer
    /// `t`): the timer has fired, and its value was received elsewhere, since
    /// this receive waits; only a Reset would feed it again.
    pub stopped_timer: Option<String>,
    /// Select cases: (is_send, class).
    pub cases: Vec<(bool, String)>,
    pub held: Vec<HeldLock>,
    pub future: Vec<Future>,
    /// The channel it waits on was sent on a channel or stored in a field,
    /// slice or map by its own function: others hold it under other names.
    pub escaped: bool,
    /// It receives from a channel registered with `signal.Notify`, or from
    /// `ctx.Done()` of a `signal.NotifyContext` context (a case of its
    /// select, or the channel it ranges over): fed from outside.
    pub signal_fed: bool,
    /// The wait is on a nil channel by the source alone: the dump gave no
    /// wait reason and the package never gives the channel a value.
    pub nil_by_source: bool,
    /// Every user frame had source.
    pub has_source: bool,
    /// It may still start goroutines (a `go` statement ahead in its code, or
    /// a server accept loop), whose code could complete anyone's wait.
    pub spawner: bool,
    /// Files of user frames without source.
    pub missing: Vec<String>,
}

/// Runtime functions whose first argument is the resource address.
fn address_function(f: &str) -> Option<bool> {
    // Some(true): reliable when printed without '?'.
    match f {
        "sync.(*Mutex).Lock"
        | "sync.(*Mutex).lockSlow"
        | "internal/sync.(*Mutex).lockSlow"
        | "internal/sync.(*Mutex).Lock"
        | "sync.(*RWMutex).Lock"
        | "sync.(*RWMutex).RLock"
        | "sync.(*WaitGroup).Wait"
        | "sync.(*Cond).Wait"
        | "runtime.chansend1"
        | "runtime.chanrecv1"
        | "runtime.chanrecv2" => Some(true),
        _ => None,
    }
}

/// Whether the engine reads the arguments of frames of `function`: only the
/// runtime and sync frames whose first argument is the address of the channel,
/// lock, WaitGroup or Cond waited on. Readers can drop all other arguments
/// ([`gostuck_dump::KeepArgs::Of`]) without changing any finding.
#[must_use]
pub fn uses_args(function: &str) -> bool {
    address_function(function).is_some()
}

/// How deeply nested the function literal a function name (as printed)
/// names is: `pkg.F` 0, `pkg.F.func2` 1, `pkg.(*T).M.func1.3` 2.
fn closure_depth(function: &str) -> usize {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut n = 0;
    for part in function.rsplit('.') {
        if part.strip_prefix("func").is_some_and(digits) {
            n += 1;
            // `funcN` is the outermost literal's part.
            return n;
        }
        if !digits(part) {
            return 0;
        }
        n += 1;
    }
    0
}

fn first_arg(args: &str) -> Option<&str> {
    let a = args.split(',').next()?.trim();
    if a.starts_with("0x") && !a.ends_with('?') && a.len() > 3 {
        Some(a)
    } else {
        None
    }
}

fn block_of(d: &Dump, g: &Goroutine, upto: usize) -> (Option<Block>, bool) {
    let names: Vec<&str> = g.frames[..upto].iter().map(|f| d.str(f.function)).collect();
    let has = |n: &str| names.contains(&n);
    let rw = names.iter().any(|n| n.starts_with("sync.(*RWMutex)"));
    let b = match g.wait_reason {
        WaitReason::ChanSend => Block::Send,
        WaitReason::ChanReceive => Block::Recv,
        WaitReason::ChanSendNilChan => Block::NilSend,
        WaitReason::ChanReceiveNilChan => Block::NilRecv,
        WaitReason::Select => Block::Select,
        WaitReason::SelectNoCases => Block::SelectEmpty,
        WaitReason::SyncMutexLock => Block::Lock,
        WaitReason::SyncRWMutexLock => Block::Lock,
        WaitReason::SyncRWMutexRLock => Block::RLock,
        WaitReason::SyncWaitGroupWait => Block::WgWait,
        WaitReason::SyncCondWait => Block::CondWait,
        WaitReason::Semacquire => {
            // Before Go 1.20 every sync primitive parks as `semacquire`.
            if has("sync.(*RWMutex).RLock") {
                Block::RLock
            } else if has("sync.(*RWMutex).Lock") || names.iter().any(|n| n.contains("(*Mutex)")) {
                Block::Lock
            } else if has("sync.(*WaitGroup).Wait") {
                Block::WgWait
            } else if has("sync.(*Cond).Wait") {
                Block::CondWait
            } else {
                // No sync frame: a runtime-internal semaphore (a GC start or
                // stop-the-world under allocation, `runtime.GC()`), which the
                // runtime releases by itself. The goroutine is in transit,
                // not waiting on anything the program controls.
                return (None, false);
            }
        }
        r if r.is_blocked() => Block::Other,
        _ => return (None, false),
    };
    (Some(b), rw)
}

/// Calls seen in the dump's stacks: the caller's (file, line) to the callee's
/// (file, line). They name the targets of calls through function values and
/// interfaces, which the source alone does not.
#[derive(Debug, Default)]
pub(crate) struct CallSites {
    seen: rustc_hash::FxHashMap<(String, u32), Vec<(String, u32)>>,
}

impl CallSites {
    /// The calls seen in the stacks of the goroutines `reps` (indices into
    /// `d.goroutines`): one representative per group is enough (members share
    /// every frame), and taken in input order it gives what walking every
    /// goroutine gives.
    pub(crate) fn from_stacks(d: &Dump, reps: impl IntoIterator<Item = usize>) -> CallSites {
        let mut reps: Vec<usize> = reps.into_iter().collect();
        reps.sort_unstable();
        let mut cs = CallSites::default();
        for g in reps.into_iter().map(|i| &d.goroutines[i]) {
            for w in g.frames.windows(2) {
                let (callee, caller) = (&w[0], &w[1]);
                let user = |f: &gostuck_dump::Frame| {
                    !is_std_frame(d.str(f.function), d.str(f.file))
                        && !is_go_wrapper(d.str(f.function))
                };
                if !user(callee) || !user(caller) {
                    continue;
                }
                let v = cs
                    .seen
                    .entry((d.str(caller.file).to_string(), caller.line))
                    .or_default();
                let to = (d.str(callee.file).to_string(), callee.line);
                if !v.contains(&to) {
                    v.push(to);
                }
            }
        }
        cs
    }
}

/// How deep calls are followed for the operations a goroutine may still perform.
const CALL_DEPTH: usize = 3;

/// The operations of the function a future call reaches (declared with that
/// name in the caller's file, or seen called from that line in the dump),
/// with its parameters replaced by the call's arguments, and those of the
/// calls it makes in turn.
#[allow(clippy::too_many_arguments)]
fn inline_call(
    src: &mut dyn Sources,
    sites: &CallSites,
    file: &str,
    call: &gostuck_source::Call,
    frame: usize,
    depth: usize,
    visited: &mut Vec<(String, u32)>,
    out: &mut Vec<Future>,
) {
    if depth >= CALL_DEPTH {
        return;
    }
    // (file, first line) of each callee.
    let mut targets: Vec<(String, u32)> = Vec::new();
    if let Some(sf) = src.file(file) {
        // The receiver's named type, when known, picks among same-named methods.
        let recv_type = call
            .receiver
            .as_deref()
            .and_then(root_ident)
            .and_then(|r| sf.type_of(call.line, r))
            .map(str::to_string);
        for fi in sf.functions_named(&call.callee) {
            // A method needs a receiver; `pkg.F(x)` has an operand and no receiver.
            if fi.has_receiver && call.receiver.is_none() {
                continue;
            }
            if let (true, Some(t)) = (fi.has_receiver, recv_type.as_deref()) {
                // `(s *T) M`, `(*T) M`, `(s T[K]) M` → `T`
                if fi.receiver_type().map(|(declared, _)| declared) != Some(t) {
                    continue;
                }
            }
            targets.push((file.to_string(), fi.start_line));
        }
    }
    if targets.is_empty() {
        for (cf, cl) in sites
            .seen
            .get(&(file.to_string(), call.line))
            .into_iter()
            .flatten()
        {
            if let Some(fi) = src.file(cf).and_then(|sf| sf.function_at(*cl)) {
                targets.push((cf.clone(), fi.start_line));
            }
        }
    }
    for (cf, start) in targets {
        if visited.contains(&(cf.clone(), start)) {
            continue;
        }
        visited.push((cf.clone(), start));
        let Some(fi) = src
            .file(&cf)
            .and_then(|sf| sf.function_starting(start))
            .cloned()
        else {
            continue;
        };
        let mut bind: Vec<(String, String)> = Vec::new();
        let mut args = call.args.iter();
        for (i, p) in fi.params.iter().enumerate() {
            let arg = if i == 0 && fi.has_receiver {
                call.receiver.as_ref()
            } else {
                args.next()
            };
            if let Some(a) = arg {
                bind.push((p.clone(), a.clone()));
            }
        }
        let subst = |e: &str| -> String {
            let t = e.trim();
            let lead = t.len() - t.trim_start_matches(['&', '*', '(']).len();
            let Some(root) = root_ident(t) else {
                return t.to_string();
            };
            match bind.iter().find(|(p, _)| p == root) {
                Some((_, a)) => {
                    let a = a.trim_start_matches('&');
                    format!("{a}{}", &t[lead + root.len()..])
                }
                None => t.to_string(),
            }
        };
        for o in &fi.ops {
            if matches!(o.kind, OpKind::Select | OpKind::SelectEmpty) {
                continue;
            }
            // In another file, the operation is shown at the call in the frame.
            let here = cf == file;
            // A channel the called function makes for itself (a local, not
            // a parameter) does not exist yet: whatever another goroutine
            // waits on now is another instance.
            let fresh = matches!(o.kind, OpKind::Send | OpKind::Recv | OpKind::Close)
                && root_ident(&o.expr).is_some_and(|r| fi.own_local(r));
            out.push(Future {
                fresh,
                kind: o.kind,
                class: subst(&o.expr),
                frame,
                line: if here { o.line } else { call.line },
                function: (here && fi.name != "func literal").then(|| fi.symbol()),
            });
        }
        for c in fi.calls.iter().filter(|c| !c.is_go) {
            let mut inner = c.clone();
            inner.receiver = inner.receiver.as_deref().map(&subst);
            inner.args = inner.args.iter().map(|a| subst(a)).collect();
            if cf == file {
                inline_call(src, sites, &cf, &inner, frame, depth + 1, visited, out);
            } else {
                // Lines in another file mean nothing in the caller's frame.
                let mut more = Vec::new();
                inline_call(
                    src,
                    sites,
                    &cf,
                    &inner,
                    frame,
                    depth + 1,
                    visited,
                    &mut more,
                );
                out.extend(more.into_iter().map(|mut m| {
                    m.line = call.line;
                    m.function = None;
                    m
                }));
            }
        }
    }
}

pub(crate) fn gather(d: &Dump, idx: usize, src: &mut dyn Sources, sites: &CallSites) -> Facts {
    let g = &d.goroutines[idx];
    let user_frame = g
        .frames
        .iter()
        .position(|f| !is_std_frame(d.str(f.function), d.str(f.file)));
    let upto = user_frame.unwrap_or(g.frames.len());
    let (block, rw) = block_of(d, g, upto);
    let address = wait_address(d, g, upto).map(str::to_string);
    let mut facts = Facts {
        block,
        rw,
        address,
        user_frame,
        expr: None,
        class: None,
        ranging: false,
        once: false,
        made_at: None,
        stopped_timer: None,
        cases: Vec::new(),
        held: Vec::new(),
        future: Vec::new(),
        escaped: false,
        signal_fed: false,
        nil_by_source: false,
        has_source: true,
        spawner: g.frames.iter().any(|f| is_accept_loop(d.str(f.function))),

        missing: Vec::new(),
    };
    let Some(uf) = user_frame else {
        facts.has_source = false;
        return facts;
    };
    // Locks a frame's function unlocked for its callers (see below).
    let mut released: Vec<HeldLock> = Vec::new();
    for (k, f) in g.frames.iter().enumerate().skip(uf) {
        let file = d.str(f.file);
        if is_std_frame(d.str(f.function), file) || is_go_wrapper(d.str(f.function)) {
            continue;
        }

        let Some(sf) = src.file(file) else {
            facts.has_source = false;
            if !facts.missing.iter().any(|m| m == file) {
                facts.missing.push(file.to_string());
            }
            continue;
        };
        if k > uf && is_statement_wrapper(d, g, k, sf) {
            continue;
        }
        if k == uf {
            waited_op(d, g, f, sf, &mut facts);
        }
        // `c.L.Lock()` locks whatever the Cond was made over.
        let lock_of = |h: gostuck_source::Held| -> HeldLock {
            let (expr, read) = match h.expr.strip_suffix(".L").and_then(|c| sf.cond_locker(c)) {
                Some((locker, read)) => (locker, h.read || read),
                None => (h.expr, h.read),
            };
            HeldLock {
                class: expr.clone(),
                expr,
                read,
                frame: k,
                line: h.line,
                once: false,
                made_at: None,
            }
        };
        // A closure's own frame at the line its literal starts on is at the
        // literal's entry (preempted in its prologue): it holds nothing yet,
        // and the holds of the function around the literal belong to that
        // function's frame, if it is on a stack at all.
        // (Only the frame's own literal: as deeply nested as its name says,
        // not one that starts on the line where the closure is blocked.)
        let depth = closure_depth(d.str(f.function));
        let at_entry = depth > 0 && sf.literal_depth_starting(f.line) == Some(depth);
        if !at_entry {
            facts
                .held
                .extend(sf.held_at(f.line).into_iter().map(lock_of));
            released.extend(sf.released_at(f.line).into_iter().map(lock_of));
        }
        // Inside `once.Do(f)`, running `f` (a user frame deeper than the Do
        // call): the Once's mutex is held until `f` returns.
        if k > uf && in_once_do(d, g, k) {
            if let Some(once) = sf.do_call_at(f.line) {
                facts.held.push(HeldLock {
                    class: once.to_string(),
                    expr: once.to_string(),
                    read: false,
                    frame: k,
                    line: f.line,
                    once: true,
                    made_at: None,
                });
            }
        }
        facts.held.extend(handed_off(sf, f.line, k));
        facts.spawner |= sf.may_spawn(f.line, k > uf);
        for o in sf.future_ops(f.line, k > uf) {
            let chan_op = matches!(o.kind, OpKind::Send | OpKind::Recv | OpKind::Close);
            facts.future.push(Future {
                kind: o.kind,
                class: o.expr.clone(),
                frame: k,
                line: o.line,
                function: None,
                fresh: chan_op && sf.not_yet_handed_over(f.line, &o.expr),
            });
        }
        let calls: Vec<gostuck_source::Call> = sf
            // The call on a caller's line is the one running now: its operations
            // before the current point are done (unless a loop repeats it).
            .future_calls(f.line, false)
            .into_iter()
            .cloned()
            .collect();
        let mut visited = Vec::new();
        if let Some(fi) = sf.function_at(f.line) {
            visited.push((file.to_string(), fi.start_line));
        }
        let file = file.to_string();
        for c in &calls {
            inline_call(src, sites, &file, c, k, 0, &mut visited, &mut facts.future);
        }
    }
    nil_by_source(d, g, uf, src, &mut facts);
    resolve_classes(d, g, uf, &mut facts, &mut released, src);
    facts
}

/// pprof `debug=1` and `debug=0` print no wait reason (the state is read
/// off the source line, or off runtime frames that park a nil channel's
/// operation in the same functions), so a send or receive there may be on
/// a nil channel: it is one when the package never gives that channel a
/// value (`gostuck_source::never_made`, over every file of the package;
/// nothing is concluded when they cannot be listed).
fn nil_by_source(d: &Dump, g: &Goroutine, uf: usize, src: &mut dyn Sources, facts: &mut Facts) {
    if !g.state_inferred {
        return;
    }
    let nil = match facts.block {
        Some(Block::Send) => Block::NilSend,
        Some(Block::Recv) => Block::NilRecv,
        _ => return,
    };
    let Some(expr) = facts.expr.as_deref() else {
        return;
    };
    let file = d.str(g.frames[uf].file);
    let name = gostuck_source::class_of(expr);
    // (Most channels are made in the file that uses them: then the package
    // is not listed, once per group.)
    if src
        .file(file)
        .is_some_and(|sf| sf.chan_values().gives_value(name))
    {
        return;
    }
    let Some(paths) = src.package_files(file) else {
        return;
    };
    let values: Vec<gostuck_source::ChanValues> = paths
        .iter()
        .filter_map(|p| src.file(p).map(|f| f.chan_values().clone()))
        .collect();
    if gostuck_source::never_made(&values, name) {
        facts.block = Some(nil);
        facts.nil_by_source = true;
    }
}

/// What the goroutine waits on, read off the line of its top user frame
/// `f` (frame `uf`) in `sf`: the blocking operation when pprof debug=1 hid
/// it, then the waited expression (or select cases, or the Once), whether it
/// ranges, escapes or is fed by a signal, and a timer drained after Stop.
fn waited_op(d: &Dump, g: &Goroutine, f: &gostuck_dump::Frame, sf: &SourceFile, facts: &mut Facts) {
    let uf = facts.user_frame.unwrap_or(0);
    if facts.block.is_none() && g.state_inferred && d.str(g.state) == "unknown" {
        // pprof debug=1 hides the runtime frames that say what a goroutine
        // waits for; the operation on its top user line says it instead.
        let ops = sf.ops_at(f.line);
        facts.block = ops
            .iter()
            .filter(|o| !o.deferred)
            .find_map(|o| match o.kind {
                OpKind::Send => Some(Block::Send),
                OpKind::Recv | OpKind::Range => Some(Block::Recv),
                OpKind::Select => Some(Block::Select),
                OpKind::SelectEmpty => Some(Block::SelectEmpty),
                OpKind::Lock => Some(Block::Lock),
                OpKind::RLock => Some(Block::RLock),
                _ => None,
            });
    }
    let Some(b) = facts.block else {
        return;
    };
    let ops = sf.ops_at(f.line);
    let want: &[OpKind] = match b {
        Block::Lock => &[OpKind::Lock],
        Block::RLock => &[OpKind::RLock],
        Block::Send | Block::NilSend => &[OpKind::Send],
        Block::Recv | Block::NilRecv => &[OpKind::Recv, OpKind::Range],
        Block::WgWait | Block::CondWait => &[OpKind::Wait],
        Block::Select => &[OpKind::Send, OpKind::Recv],
        _ => &[],
    };
    if b == Block::Select {
        // The select statement starts on this line; its cases follow.
        for o in sf.select_cases(f.line) {
            facts.cases.push((o.kind == OpKind::Send, o.expr.clone()));
            facts.signal_fed |= o.kind == OpKind::Recv
                && (sf.signal_notified(&o.expr) || sf.signal_context(f.line, &o.expr));
        }
    } else if let Some(once) = (b == Block::Lock && in_once_do(d, g, uf))
        .then(|| sf.do_call_at(f.line))
        .flatten()
    {
        // Waiting for another goroutine's `once.Do` to finish:
        // the Once's mutex, which that goroutine holds.
        facts.expr = Some(once.to_string());
        facts.once = true;
    } else if let Some(op) = ops.iter().find(|o| want.contains(&o.kind) && !o.deferred) {
        facts.expr = Some(op.expr.clone());
        facts.ranging = op.kind == OpKind::Range;
        facts.escaped = matches!(op.kind, OpKind::Send | OpKind::Recv | OpKind::Range)
            && sf.escapes(f.line, &op.expr);
        facts.signal_fed = matches!(op.kind, OpKind::Recv | OpKind::Range)
            && (sf.signal_notified(&op.expr) || sf.signal_context(f.line, &op.expr));
        if op.kind == OpKind::Recv {
            let timer = op.expr.strip_suffix(".C");
            if timer.is_some() && timer == sf.stop_guard(f.line) {
                facts.stopped_timer = timer.map(str::to_string);
            }
        }
    }
}

/// The classes of the waited expression, the select cases, the locks held
/// and released and the future operations, with released locks taken off
/// the held ones.
fn resolve_classes(
    d: &Dump,
    g: &Goroutine,
    uf: usize,
    facts: &mut Facts,
    released: &mut [HeldLock],
    src: &mut dyn Sources,
) {
    // Follow parameters to the arguments their callers passed, so `left` in
    // philosopher(…, left, …) and `&forks[i]` in main meet as `forks`.
    facts.class = facts
        .expr
        .as_deref()
        .map(|e| resolve_class(d, g, uf, e, src));
    for c in &mut facts.cases {
        c.1 = resolve_class(d, g, uf, &c.1, src);
    }
    for h in facts.held.iter_mut().chain(released.iter_mut()) {
        h.class = resolve_class(d, g, h.frame, &h.expr, src);
        h.made_at = crate::objects::made_at(d, g, h.frame, &h.expr, src);
    }
    if facts.block.is_some_and(Block::is_lock) {
        facts.made_at = facts
            .expr
            .as_deref()
            .and_then(|e| crate::objects::made_at(d, g, uf, e, src));
    }
    // A lock a caller took and a called function (a deeper frame) unlocked
    // before the current point is not held now: each release frees the
    // nearest caller's hold of its class.
    for r in released.iter() {
        if let Some(i) = facts
            .held
            .iter()
            .enumerate()
            .filter(|(_, h)| h.frame > r.frame && h.class == r.class && h.read == r.read)
            .min_by_key(|(_, h)| h.frame)
            .map(|(i, _)| i)
        {
            facts.held.remove(i);
        }
    }
    for f in &mut facts.future {
        f.class = resolve_class(d, g, f.frame, &f.class, src);
    }
}

/// Whether frame `k` called `sync.(*Once).Do`: the next frames inward are
/// the Once's own (`Do`, inlined since Go 1.13, and `doSlow`).
fn in_once_do(d: &Dump, g: &Goroutine, k: usize) -> bool {
    k > 0
        && g.frames[..k]
            .iter()
            .rev()
            .take(2)
            .any(|f| matches!(d.str(f.function), "sync.(*Once).Do" | "sync.(*Once).doSlow"))
}

/// The class of `expr` as seen in frame `k`: a bare parameter (or an indexed
/// one) is replaced by the argument its caller passed at the call line, or by
/// the argument of the `go` statement for the goroutine's first frame.
pub(crate) fn resolve_class(
    d: &Dump,
    g: &Goroutine,
    k: usize,
    expr: &str,
    src: &mut dyn Sources,
) -> String {
    let mut expr = expr.to_string();
    let mut k = k;
    for _ in 0..8 {
        let file = d.str(g.frames[k].file);
        if let Some(e) = src.file(file).and_then(|sf| through_getter(sf, &expr)) {
            expr = e;
        }
        let class = class_of(&expr).to_string();
        let Some(root) = root_ident(&expr).map(str::to_string) else {
            return class;
        };
        let frame = &g.frames[k];
        if root != class {
            // A field selector: the field name is the class, qualified by the
            // type of a one-level operand when it is known (`to.mu` of an
            // *Account is `Account.mu`), so same-named fields of different
            // structs stay apart.
            let one_level = expr.trim().trim_start_matches(['&', '*']) == format!("{root}.{class}");
            if one_level {
                if let Some(t) = src
                    .file(d.str(frame.file))
                    .and_then(|sf| sf.type_of(frame.line, &root))
                {
                    return format!("{t}.{class}");
                }
            }
            return class;
        }
        let here = (d.str(frame.file), frame.line);
        // A variable of a named struct type is classed by its type wherever it
        // is declared that way (receivers, parameters, locals): callers name the
        // same object by different paths, the type stays the same. Sync types
        // and channels have no such name and are followed to their arguments.
        if let Some(t) = src.file(here.0).and_then(|sf| sf.type_of(here.1, &root)) {
            return format!("type:{t}");
        }
        let is_param = src
            .file(here.0)
            .and_then(|sf| sf.function_at(frame.line))
            .is_some_and(|func| func.params.contains(&root));
        if !is_param {
            // A local assigned from another variable everywhere it is
            // assigned (`rcNextc = nextc`) is that variable.
            if let Some(a) = src
                .file(here.0)
                .and_then(|sf| sf.alias_of(here.1, &root))
                .map(str::to_string)
            {
                let trimmed = expr.trim().trim_start_matches(['&', '*', '(']);
                expr = format!("{a}{}", &trimmed[root.len()..]);
                continue;
            }
            return typed(src, here, &root, class);
        }
        let Some((arg, file, line, next)) = caller_argument(d, g, k, &root, src) else {
            return typed(src, here, &root, class);
        };
        // Keep any indexing or selection written after the parameter name.
        let trimmed = expr.trim().trim_start_matches(['&', '*', '(']);
        let rest = &trimmed[root.len()..];
        expr = format!("{}{rest}", arg.trim_start_matches('&'));
        match next {
            Some(n) => k = n,
            None => {
                // `go f(x.Chan())`: the accessor's field, as in the frames.
                if let Some(e) = src.file(file).and_then(|sf| through_getter(sf, &expr)) {
                    expr = e;
                }
                let class = class_of(&expr).to_string();
                return match root_ident(&expr) {
                    Some(r) if r == class => typed(src, (file, line), r, class.clone()),
                    _ => class,
                };
            }
        }
    }
    class_of(&expr).to_string()
}

/// Locks a frame holds because a function it already called locked them and
/// returned without unlocking (`l.URLLock(url)` locking `l.m[url]`), named in
/// the frame's terms, unless the frame has unlocked them since.
fn handed_off(sf: &gostuck_source::SourceFile, line: u32, frame: usize) -> Vec<HeldLock> {
    let Some(func) = sf.function_at(line) else {
        return Vec::new();
    };
    let leaks = sf.leaky_locks();
    // Releases through a helper (`p.unlock()`) count like plain ones.
    let helper_ops = sf.helper_ops(line);
    let mut out = Vec::new();
    // (A call in a block that leaves the function before `line` is not on
    // the way to it.)
    let on_the_way = |c: &&gostuck_source::Call| {
        !(c.leaves_function && c.exit_block.is_some_and(|(_, end)| end < line))
    };
    for c in func
        .calls
        .iter()
        .filter(|c| !c.is_go && !c.deferred && c.line < line)
        .filter(on_the_way)
    {
        for callee in sf.functions_named(&c.callee) {
            if callee.has_receiver != c.receiver.is_some() {
                continue;
            }
            for l in leaks
                .iter()
                .filter(|l| l.exit == "hand-off" && l.function == callee.name)
            {
                // Bind the callee's receiver (or first parameter) to the call's.
                let root = root_ident(&l.expr).unwrap_or("");
                let bound = match (
                    callee.params.iter().position(|p| p == root),
                    callee.has_receiver,
                ) {
                    (Some(0), true) => c.receiver.clone(),
                    (Some(i), true) => c.args.get(i - 1).cloned(),
                    (Some(i), false) => c.args.get(i).cloned(),
                    (None, _) => Some(root.to_string()),
                };
                let Some(bound) = bound else { continue };
                let trimmed = l.expr.trim().trim_start_matches(['&', '*']);
                let expr = format!(
                    "{}{}",
                    bound.trim_start_matches('&'),
                    &trimmed[root.len()..]
                );
                let unlock = if l.read {
                    OpKind::RUnlock
                } else {
                    OpKind::Unlock
                };
                let released = func.ops.iter().chain(&helper_ops).any(|o| {
                    o.kind == unlock
                        && !o.deferred
                        && c.line < o.line
                        && o.line < line
                        && o.expr == expr
                });
                if !released {
                    out.push(HeldLock {
                        class: expr.clone(),
                        expr,
                        read: l.read,
                        frame,
                        line: l.lock_line,
                        once: false,
                        made_at: None,
                    });
                }
            }
        }
    }
    out
}

/// `s.ShouldStop()` where `ShouldStop` only ever returns one field of its
/// receiver (`return s.stopper`, besides `nil`): `s.stopper`. Accessors hide
/// the channel or lock a goroutine waits on behind a call.
fn through_getter(sf: &gostuck_source::SourceFile, expr: &str) -> Option<String> {
    let call = expr.trim().strip_suffix("()")?;
    let (recv, name) = match call.rsplit_once('.') {
        Some((r, n)) => (Some(r), n),
        None => (None, call),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    for fi in sf.functions_named(name) {
        if fi.has_receiver != recv.is_some() {
            continue;
        }
        let mut results = fi.return_exprs.iter().filter(|e| *e != "nil");
        let first = results.next()?;
        if results.any(|e| e != first) {
            return None;
        }
        let root = root_ident(first)?;
        return match (recv, fi.has_receiver) {
            (Some(r), true) if fi.params.first().is_some_and(|p| p == root) => Some(format!(
                "{r}{}",
                &first.trim_start_matches(['&', '*'])[root.len()..]
            )),
            // A parameter other than the receiver would need the arguments.
            _ if fi.params.iter().any(|p| p == root) => None,
            _ => Some(first.clone()),
        };
    }
    None
}

/// A bare variable whose declared or constructed type is a named struct is
/// classed by that type (`type:DeviceSet`): locks embedded in structs are
/// called on the variable itself (`ds.Lock()`), whose name differs at every site.
fn typed(src: &mut dyn Sources, (file, line): (&str, u32), root: &str, class: String) -> String {
    match src.file(file).and_then(|sf| sf.type_of(line, root)) {
        Some(t) => format!("type:{t}"),
        None => class,
    }
}

/// The address of the resource a goroutine waits on, read from the first
/// argument of the runtime or sync frame above its user code, when printed
/// without `?` (which marks values the runtime could not vouch for).
/// Where frame `k` of `g` was called from: the caller's file and line,
/// whether that is a `go` statement (the wrapper's line, or the goroutine's
/// creator), and the caller's frame index (`None` after a `go` statement:
/// the creator's frame is not on this stack). `None` when the caller is
/// runtime or standard-library code, or unknown.
pub(crate) fn call_site<'d>(
    d: &'d Dump,
    g: &Goroutine,
    k: usize,
) -> Option<(&'d str, u32, bool, Option<usize>)> {
    match g.frames.get(k + 1) {
        // The wrapper's line is the `go` statement itself.
        Some(c) if is_go_wrapper(d.str(c.function)) => Some((d.str(c.file), c.line, true, None)),
        Some(c) if is_std_frame(d.str(c.function), d.str(c.file)) => None,
        Some(c) => Some((d.str(c.file), c.line, false, Some(k + 1))),
        None => g.created_by.map(|c| (d.str(c.file), c.line, true, None)),
    }
}

/// The argument the caller of frame `k` (the frame above, or the `go`
/// statement that started the goroutine) passed for its parameter `param`,
/// with the call's file and line and the caller's frame when it is on this
/// stack. `None` when `param` is no parameter there, for a closure (it
/// captures variables; it has no call site by name), or when the call is
/// not found.
pub(crate) fn caller_argument<'d>(
    d: &'d Dump,
    g: &Goroutine,
    k: usize,
    param: &str,
    src: &mut dyn Sources,
) -> Option<(String, &'d str, u32, Option<usize>)> {
    let frame = &g.frames[k];
    let fname = d.str(frame.function);
    let short = fname.rsplit('.').next().unwrap_or(fname);
    if short.starts_with("func") && short[4..].chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (pos, has_receiver) = src.file(d.str(frame.file)).and_then(|sf| {
        let func = sf.function_at(frame.line)?;
        Some((
            func.params.iter().position(|p| p == param)?,
            func.has_receiver,
        ))
    })?;
    let (file, line, via_go, next) = call_site(d, g, k)?;
    let arg = argument_at(src.file(file)?, line, (short, via_go), pos, has_receiver)?;
    Some((arg, file, line, next))
}

/// The argument the call at `line` of `sf` to `callee` (a `go` statement
/// when `via_go`) passed for parameter `pos` of the callee (`pos` 0 is the
/// receiver when it `has_receiver`).
pub(crate) fn argument_at(
    sf: &SourceFile,
    line: u32,
    (callee, via_go): (&str, bool),
    pos: usize,
    has_receiver: bool,
) -> Option<String> {
    let call = sf
        .function_at(line)?
        .calls
        .iter()
        .find(|c| c.line == line && c.callee == callee && (!via_go || c.is_go))?;
    match (has_receiver, pos) {
        (true, 0) => call.receiver.clone(),
        (true, p) => call.args.get(p - 1).cloned(),
        (false, p) => call.args.get(p).cloned(),
    }
}

pub(crate) fn wait_address<'d>(d: &'d Dump, g: &Goroutine, upto: usize) -> Option<&'d str> {
    g.frames[..upto.min(g.frames.len())].iter().find_map(|f| {
        address_function(d.str(f.function))?;
        first_arg(d.str(f.args))
    })
}

/// `main.main.gowrap1` (Go 1.22+): the compiler's wrapper for `go f(x)`. Its
/// line is the `go` statement in the parent function, whose later code this
/// goroutine never runs.
pub(crate) fn is_go_wrapper(function: &str) -> bool {
    // The name after the last '.' (found by bytes: asked for every frame).
    let last = function
        .bytes()
        .rposition(|c| c == b'.')
        .map_or(function, |i| &function[i + 1..]);
    last.strip_prefix("gowrap")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

/// Go 1.21 and older name the wrapper the compiler writes for `go f(x)` and
/// `defer f(x)` like a function literal (`main.main.func2`, where 1.22+
/// says `gowrap1`), at the statement's line. Frame `k` is such a wrapper
/// when it is named like a literal, no literal starts on its line, and that
/// line has a `go` or `defer` call of the function of the frame it called:
/// it runs none of the code around it and holds none of its locks.
pub(crate) fn is_statement_wrapper(d: &Dump, g: &Goroutine, k: usize, sf: &SourceFile) -> bool {
    let f = &g.frames[k];
    if k == 0
        || closure_depth(d.str(f.function)) == 0
        || sf.literal_depth_starting(f.line).is_some()
    {
        return false;
    }
    let inner = d.str(g.frames[k - 1].function);
    let callee = inner.rsplit('.').next().unwrap_or(inner);
    sf.function_at(f.line).is_some_and(|fi| {
        fi.calls
            .iter()
            .any(|c| c.line == f.line && (c.is_go || c.deferred) && c.callee == callee)
    })
}

/// Standard-library loops that start a goroutine per connection or request.
fn is_accept_loop(function: &str) -> bool {
    function.ends_with(").Serve")
        || function.ends_with(").ListenAndServe")
        || function.ends_with(").ListenAndServeTLS")
        || function.ends_with(").ServeTLS")
}

#[cfg(test)]
mod closure_tests {
    use super::closure_depth;

    #[test]
    fn closure_depth_counts_the_literal_parts() {
        assert_eq!(closure_depth("main.F"), 0);
        assert_eq!(closure_depth("main.(*T).M"), 0);
        assert_eq!(closure_depth("main.F.func2"), 1);
        assert_eq!(closure_depth("main.(*T).M.func1"), 1);
        assert_eq!(closure_depth("main.F.func1.3"), 2);
        assert_eq!(closure_depth("main.F.func1.2.1"), 3);
        // A `go` statement's wrapper is not a literal of the source.
        assert_eq!(closure_depth("main.main.gowrap1"), 0);
        assert_eq!(closure_depth("main.F.1"), 0);
    }
}

//! The wait-for graph between groups of goroutines (edges, self-locks,
//! unknown partners, strongly connected parts), and the finding constructor.

use gostuck_source::{same_class, OpKind};
use rustc_hash::FxHashMap;

use crate::facts::{Block, Facts};
use crate::kinds::Kind;
use crate::report::{Confidence, Finding};

/// Groups of at least this many goroutines parked at one site in a live
/// program are reported as a leak.
pub(crate) const LEAK_MIN: u64 = 10;

/// Why one goroutine waits for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EdgeWhy {
    /// `to` holds the lock `from` waits for (held expression, its line, holder frame).
    Holds {
        expr: String,
        line: u32,
        frame: usize,
    },
    /// `from` waits to read-lock an RWMutex that `to` waits to write-lock:
    /// a pending Lock blocks new readers, so `from` waits for `to` to get
    /// the lock and release it. (`to` holds nothing; `expr` is what it
    /// waits to lock, `frame` its blocked frame.)
    Queued { expr: String, frame: usize },
    /// `to` may later perform the complementary operation.
    Partner {
        kind: OpKind,
        line: u32,
        frame: usize,
        /// The called function the operation is in (see `Future::function`).
        function: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub from: usize,
    pub to: usize,
    pub why: EdgeWhy,
}

/// The wait-for graph over goroutine indices of one dump.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub edges: Vec<Edge>,
    /// Goroutines that hold the lock they wait for.
    pub self_locks: Vec<(usize, usize)>, // (goroutine, index into its held)
    /// Some goroutine whose code is unknown could be a partner.
    pub unknown_partner: Vec<bool>,
}

/// Whether an operation of kind `k` could end a wait of kind `block` on some
/// channel, whatever its name.
fn complements_kind(block: Block, k: OpKind) -> bool {
    match block {
        Block::Recv => matches!(k, OpKind::Send | OpKind::Close),
        Block::Send => matches!(k, OpKind::Recv | OpKind::Range),
        _ => false,
    }
}

/// Whether `b` is parked, right now, on the operation that would complete
/// `a`'s wait on a channel of the same class. The runtime pairs a parked
/// sender with a receiver on the same channel the moment both are there
/// (`runtime/chan.go`: a send first looks for a waiting receiver), so in one
/// consistent snapshot both parked means two instances of that class — a
/// reply channel made per call, a results channel of another request — and
/// whatever `b` does with that expression later is done on its own instance.
fn parked_on_another_instance(a: &Facts, b: &Facts) -> bool {
    let Some(class) = a.class.as_deref() else {
        return false;
    };
    let want_send = match a.block {
        Some(Block::Recv) if !a.ranging => true,
        Some(Block::Send) => false,
        _ => return false,
    };
    match b.block {
        Some(Block::Send) if want_send => b.class.as_deref().is_some_and(|c| same_class(c, class)),
        Some(Block::Recv) if !want_send => b.class.as_deref().is_some_and(|c| same_class(c, class)),
        Some(Block::Select) => b
            .cases
            .iter()
            .any(|(send, c)| *send == want_send && same_class(c, class)),
        _ => false,
    }
}

/// Whether `j`'s future operation `k` is the release half of a slot it has
/// not taken yet: a send (receive) on a channel that `j` first receives from
/// (sends on) further ahead — `<-tokens … tokens <- t`, `slots <- x … <-slots`.
/// It can only give back what it will take, so it frees nothing for a
/// goroutine waiting now (a token pool or semaphore run dry).
fn gives_back_only_what_it_takes(j: &Facts, k: usize) -> bool {
    let f = &j.future[k];
    let taking = |o: OpKind| match f.kind {
        OpKind::Send => matches!(o, OpKind::Recv | OpKind::Range),
        OpKind::Recv => o == OpKind::Send,
        _ => false,
    };
    // Deeper frames run first; within a frame, earlier lines.
    let before =
        |o: &crate::facts::Future| o.frame < f.frame || (o.frame == f.frame && o.line < f.line);
    j.future[..]
        .iter()
        .any(|o| taking(o.kind) && before(o) && same_class(&o.class, &f.class))
}

fn complements(b: &Facts, kind: OpKind, class: &str) -> bool {
    let same = |c: &str| same_class(c, class);
    match b.block {
        // A close also ends a blocked send (by panicking it): whoever would
        // close the channel is the sender's way out.
        Some(Block::Send) => {
            matches!(kind, OpKind::Recv | OpKind::Range | OpKind::Close)
                && b.class.as_deref().is_some_and(same)
        }
        Some(Block::Recv) => {
            matches!(kind, OpKind::Send | OpKind::Close) && b.class.as_deref().is_some_and(same)
        }
        Some(Block::Select) => b.cases.iter().any(|(send, c)| {
            same(c)
                && if *send {
                    matches!(kind, OpKind::Recv | OpKind::Range | OpKind::Close)
                } else {
                    matches!(kind, OpKind::Send | OpKind::Close)
                }
        }),
        Some(Block::WgWait) => {
            matches!(kind, OpKind::Done | OpKind::Add) && b.class.as_deref().is_some_and(same)
        }
        Some(Block::CondWait) => {
            matches!(kind, OpKind::Signal | OpKind::Broadcast)
                && b.class.as_deref().is_some_and(same)
        }
        _ => false,
    }
}

/// Whether the held lock `h` is the lock `expr` (of `class`) waited for in
/// frame `uf`: the same expression in that frame, or the same class in a caller.
fn is_waited_lock(h: &crate::facts::HeldLock, expr: &str, class: &str, uf: usize) -> bool {
    let same_text = h.expr == expr && h.frame == uf;
    // Strict equality here: an untyped `mu` in a caller may be any
    // struct's field, and claiming self-deadlock needs more than that.
    let caller_same_class = h.frame != uf && h.class == class;
    same_text || caller_same_class
}

/// Whether `f` waits to lock, for writing, a lock it already holds (or to
/// lock one it write-holds): the recursive locks `build` reports.
fn relocks(f: &Facts) -> bool {
    let (Some(block), Some(expr)) = (f.block, f.expr.as_deref()) else {
        return false;
    };
    let class = f.class.as_deref().unwrap_or(expr);
    let uf = f.user_frame.unwrap_or(0);
    block.is_lock()
        && f.held
            .iter()
            .any(|h| is_waited_lock(h, expr, class, uf) && (block == Block::Lock || !h.read))
}

/// `multi[i]`: group `i` stands for several goroutines, so it may wait on itself
/// (its members on each other).
/// `unknown[g]`: group `g` may act and its code is unknown, so it may be the
/// partner of any wait (from the liveness model).
pub(crate) fn build(facts: &[Facts], multi: &[bool], unknown: &[bool]) -> Graph {
    let mut g = Graph {
        unknown_partner: vec![false; facts.len()],
        ..Graph::default()
    };
    let index = Index::new(facts, unknown);
    for (i, a) in facts.iter().enumerate() {
        let Some(block) = a.block else { continue };
        if block.is_lock() {
            let Some(expr) = a.expr.as_deref() else {
                g.unknown_partner[i] = true;
                continue;
            };
            let class = a.class.as_deref().unwrap_or(expr);
            let uf = a.user_frame.unwrap_or(0);
            for (hi, h) in a.held.iter().enumerate() {
                let same = is_waited_lock(h, expr, class, uf);
                if same && (block == Block::Lock || !h.read) {
                    g.self_locks.push((i, hi));
                } else if same && block == Block::RLock && h.read {
                    // A second RLock of an RWMutex it read-holds waits behind a
                    // queued writer, which waits for the first RLock: recursive.
                    let writer = facts.iter().enumerate().any(|(j, b)| {
                        j != i
                            && b.block == Some(Block::Lock)
                            && b.rw
                            && b.class.as_deref().is_some_and(|c| same_class(c, class))
                    });
                    if writer {
                        g.self_locks.push((i, hi));
                    }
                }
            }
            g.unknown_partner[i] |= index.any_opaque(i, multi[i], &[]);
            for &j in index.lockers_of(class) {
                let b = &facts[j];
                if i == j && !multi[i] {
                    continue;
                }
                // A goroutine waiting on the very same lock does not hold it,
                // unless it is locking again a lock it holds.
                if i != j
                    && b.block.is_some_and(Block::is_lock)
                    && a.address.is_some()
                    && a.address == b.address
                    && !relocks(b)
                {
                    continue;
                }
                // A read-lock waits behind a pending writer of the same RWMutex.
                if block == Block::RLock
                    && b.block == Some(Block::Lock)
                    && b.rw
                    && b.class.as_deref().is_some_and(|c| same_class(c, class))
                {
                    g.edges.push(Edge {
                        from: i,
                        to: j,
                        why: EdgeWhy::Queued {
                            expr: b.expr.clone().unwrap_or_default(),
                            frame: b.user_frame.unwrap_or(0),
                        },
                    });
                    continue;
                }
                for h in &b.held {
                    if same_class(&h.class, class) && (block == Block::Lock || !h.read) {
                        g.edges.push(Edge {
                            from: i,
                            to: j,
                            why: EdgeWhy::Holds {
                                expr: h.expr.clone(),
                                line: h.line,
                                frame: h.frame,
                            },
                        });
                        break;
                    }
                }
            }
            continue;
        }
        if matches!(
            block,
            Block::NilSend | Block::NilRecv | Block::SelectEmpty | Block::Other
        ) {
            continue;
        }
        if a.expr.is_none() && a.cases.is_empty() {
            g.unknown_partner[i] = true;
        }
        let keys = a.class.iter().map(String::as_str);
        let keys = keys.chain(a.cases.iter().map(|c| c.1.as_str()));
        let mut matched: Vec<usize> = Vec::new();
        // The future operations on these classes, in (group, operation) order:
        // each group's first one that completes the wait gives its edge.
        for &(j, k) in index.ops(keys).iter() {
            if (i == j && !multi[i]) || matched.last() == Some(&j) {
                continue;
            }
            let f = &facts[j].future[k];
            if !complements(a, f.kind, &f.class) {
                continue;
            }
            // A fellow waiter — blocked on the same operation on the same
            // channel — reaches its later operation only once its own wait is
            // over, which needs the very partner this one lacks (a queue of
            // semaphore acquirers whose release comes after the acquire).
            // (Asked only of operations that would complete the wait: the
            // cheap test first, in a dump of thousands of groups.)
            let fellow = matches!(block, Block::Send | Block::Recv)
                && facts[j].block == Some(block)
                && a.class.is_some()
                && facts[j]
                    .class
                    .as_deref()
                    .zip(a.class.as_deref())
                    .is_some_and(|(x, y)| same_class(x, y));
            if fellow
                || f.fresh
                || gives_back_only_what_it_takes(&facts[j], k)
                || parked_on_another_instance(a, &facts[j])
            {
                continue;
            }
            matched.push(j);
            g.edges.push(Edge {
                from: i,
                to: j,
                why: EdgeWhy::Partner {
                    kind: f.kind,
                    line: f.line,
                    frame: f.frame,
                    function: f.function.clone(),
                },
            });
        }
        // A running goroutine whose code we cannot read might be the partner.
        g.unknown_partner[i] |= index.any_opaque(i, multi[i], &matched);
        // The channel escaped (sent on a channel, stored in a field or a
        // slice): names no longer identify it, so another goroutine that
        // performs the complementary operation under another name may be the
        // partner (a broker that keeps its subscribers' channels).
        g.unknown_partner[i] |= a.escaped
            && matched.is_empty()
            && facts
                .iter()
                .enumerate()
                .any(|(j, b)| j != i && b.future.iter().any(|f| complements_kind(block, f.kind)));
    }
    g
}

/// The part of a resource class that [`same_class`] always agrees on: two
/// classes it calls the same have the same key (the whole `type:T` class, else
/// the last name: `Account.mu` and `mu` are both `mu`).
fn class_key(c: &str) -> &str {
    if c.starts_with("type:") {
        c
    } else {
        c.rsplit_once('.').map_or(c, |(_, last)| last)
    }
}

/// Which groups can possibly complete a wait on a class, so that [`build`]
/// compares each waiting group with those only instead of every group (it was
/// quadratic in the number of groups: thousands in a big server's dump).
struct Index<'a> {
    /// Future operations on a class with this key: (group, index in its
    /// `future`), ascending.
    partners: FxHashMap<&'a str, Vec<(usize, usize)>>,
    /// Groups holding a lock of a class with this key, or waiting to write-lock
    /// an RWMutex of one, ascending.
    lockers: FxHashMap<&'a str, Vec<usize>>,
    /// Running groups whose code could not be read, ascending: any could be a partner.
    opaque: Vec<usize>,
}

impl<'a> Index<'a> {
    fn new(facts: &'a [Facts], unknown: &[bool]) -> Index<'a> {
        let mut partners: FxHashMap<&str, Vec<(usize, usize)>> = FxHashMap::default();
        let mut lockers: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut opaque = Vec::new();
        let add = |m: &mut FxHashMap<&'a str, Vec<usize>>, class: &'a str, j: usize| {
            let v = m.entry(class_key(class)).or_default();
            if v.last() != Some(&j) {
                v.push(j);
            }
        };
        for (j, b) in facts.iter().enumerate() {
            for (k, f) in b.future.iter().enumerate() {
                partners
                    .entry(class_key(&f.class))
                    .or_default()
                    .push((j, k));
            }
            for h in &b.held {
                add(&mut lockers, &h.class, j);
            }
            if let (Some(Block::Lock), true, Some(c)) = (b.block, b.rw, b.class.as_deref()) {
                add(&mut lockers, c, j);
            }
            if unknown[j] {
                opaque.push(j);
            }
        }
        Index {
            partners,
            lockers,
            opaque,
        }
    }

    /// The groups that hold, or wait to write-lock, a lock of `class`'s key, ascending.
    fn lockers_of(&self, class: &str) -> &[usize] {
        self.lockers
            .get(class_key(class))
            .map_or(&[], Vec::as_slice)
    }

    /// The future operations under any of `classes`' keys, ascending, once each.
    fn ops<'c>(
        &self,
        classes: impl IntoIterator<Item = &'c str>,
    ) -> std::borrow::Cow<'_, [(usize, usize)]> {
        let mut keys: Vec<&str> = classes.into_iter().map(class_key).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut lists = keys.iter().filter_map(|&k| self.partners.get(k));
        // Each list is ascending already (built in group order); one list,
        // the usual case, is lent as it is.
        let Some(first) = lists.next() else {
            return std::borrow::Cow::Borrowed(&[]);
        };
        let mut out: Vec<(usize, usize)> = Vec::new();
        for v in lists {
            out.extend(v);
        }
        if out.is_empty() {
            return std::borrow::Cow::Borrowed(first);
        }
        out.extend(first);
        out.sort_unstable();
        std::borrow::Cow::Owned(out)
    }

    /// Whether an opaque group other than `i` (or `i` itself when it stands for
    /// several goroutines) is not among `matched`.
    fn any_opaque(&self, i: usize, multi: bool, matched: &[usize]) -> bool {
        self.opaque
            .iter()
            .any(|&j| (j != i || multi) && !matched.contains(&j))
    }
}

/// Strongly connected components (Tarjan), iterative.
pub(crate) fn sccs(n: usize, edges: &[Edge]) -> Vec<Vec<usize>> {
    let mut adj = vec![Vec::new(); n];
    for e in edges {
        adj[e.from].push(e.to);
    }
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on[root] = true;
        while let Some(&mut (v, ref mut k)) = call.last_mut() {
            if *k < adj[v].len() {
                let w = adj[v][*k];
                *k += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on[w] = true;
                    call.push((w, 0));
                } else if on[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(p, _)) = call.last() {
                    low[p] = low[p].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    comp.sort_unstable();
                    out.push(comp);
                }
            }
        }
    }
    out
}

pub(crate) fn finding(
    kind: Kind,
    confidence: Confidence,
    title: String,
    explanation: String,
    fix: &str,
) -> Finding {
    Finding {
        id: String::new(),
        kind: kind.as_str(),
        confidence,
        title,
        explanation,
        fix: fix.to_string(),
        goroutines: Vec::new(),
        count: 0,
        resources: Vec::new(),
        locations: Vec::new(),
        snippets: Vec::new(),
        edges: Vec::new(),
    }
}

//! Sentences for findings: who is blocked, on what, and what the finding
//! kinds say, and the names, places and resources of groups ([`Ctx`]). The
//! passes decide; this module only words their decisions.

use gostuck_dump::{Dump, Frame};
use gostuck_source::OpKind;

use crate::facts::{Block, Facts};
use crate::findings::{Edge, EdgeWhy};
use crate::kinds::{Kind, Role};
use crate::report::{Finding, Location, Resource};

/// `goroutine 7`, or `each of 4 goroutines (4, 5, 6, 7)` for a group, so the
/// verb that follows stays singular.
pub(crate) fn who(ctx: &Ctx, gi: usize, count: u64, members: &[usize]) -> String {
    if count > 1 {
        let ids = ids_text(ctx.d, members);
        if ids.is_empty() {
            format!("each of {count} goroutines")
        } else {
            format!("each of {count} goroutines ({ids})")
        }
    } else {
        // One member: name it, not the group (it may not be the group's
        // representative when a finding covers a group only in part).
        match members {
            [only] => ctx.d.goroutines[*only]
                .id
                .map_or_else(|| ctx.name(gi), |id| format!("goroutine {id}")),
            _ => ctx.name(gi),
        }
    }
}

pub(crate) fn ids_text(d: &Dump, members: &[usize]) -> String {
    let ids: Vec<String> = members
        .iter()
        .filter_map(|&m| d.goroutines[m].id)
        .map(|i| i.to_string())
        .take(8)
        .collect();
    let more = members.len().saturating_sub(8);
    if more > 0 {
        format!("{} …", ids.join(", "))
    } else {
        ids.join(", ")
    }
}

/// Tells in `fi` that `subject` (members of group `gi`) is blocked behind
/// it: "Blocked behind it: … waits … (where){tail}." ("Also behind it:" after
/// the first), with the group's blocked location.
pub(crate) fn push_behind(fi: &mut Finding, ctx: &Ctx, gi: usize, subject: String, tail: &str) {
    let lead = if fi.explanation.contains(" Blocked behind it: ") {
        " Also behind it:"
    } else {
        " Blocked behind it:"
    };
    fi.explanation.push_str(&format!(
        "{lead} {subject} {} ({}){tail}.",
        ctx.what(gi),
        ctx.blocked_at(gi)
    ));
    if let Some(l) = ctx.blocked_loc(gi) {
        fi.locations.push(l);
    }
}

pub(crate) fn op_word(k: OpKind) -> &'static str {
    match k {
        OpKind::Send => "a send",
        OpKind::Recv => "a receive",
        OpKind::Range => "a range receive",
        OpKind::Close => "a close",
        OpKind::Done => "Done",
        OpKind::Add => "Add",
        OpKind::Signal => "Signal",
        OpKind::Broadcast => "Broadcast",
        OpKind::Unlock | OpKind::RUnlock => "an unlock",
        _ => "the operation",
    }
}

/// Title, why and fix of an orphaned wait of `kind` (group `gi`, `n` goroutines).
pub(crate) fn orphan_text(
    kind: Kind,
    ctx: &Ctx,
    gi: usize,
    n: u64,
) -> (String, &'static str, &'static str) {
    let f = &ctx.facts[gi];
    if let (true, Some(t)) = (kind == Kind::ChannelNoPartner, &f.stopped_timer) {
        return (
            format!("timer `{t}` already fired: receiving from `{t}.C` blocks forever"),
            "the receive runs only because Stop returned false: the timer had fired, and its value was received already (by another receive on the channel), so nothing is sent again until a Reset.",
            "Do not drain the channel after Stop when its value may have been received: since Go 1.23 Stop and Reset need no draining; before, drain without blocking (`select { case <-t.C: default: }`).",
        );
    }
    // Named when the source gave the expression; else a generic noun that
    // the titles below must not repeat ("WaitGroup a WaitGroup").
    let named = f.expr.is_some() || !f.cases.is_empty();
    let e = match (&f.expr, f.cases.is_empty()) {
        (Some(e), _) => format!("`{e}`"),
        (None, false) => {
            let names: Vec<String> = f.cases.iter().map(|c| format!("`{}`", c.1)).collect();
            names.join(", ")
        }
        (None, true) => match f.block {
            Some(Block::Lock | Block::RLock) => "a mutex".into(),
            Some(Block::WgWait) => "a WaitGroup".into(),
            Some(Block::CondWait) => "a Cond".into(),
            _ => "a channel".into(),
        },
    };
    // "WaitGroup `wg`", or just "a WaitGroup" when unnamed.
    let typed = |noun: &str| {
        if named {
            format!("{noun} {e}")
        } else {
            e.clone()
        }
    };
    match kind {

        Kind::NilChannel => (
            if named {
                format!("operation on a nil channel {e}")
            } else {
                "operation on a nil channel".to_string()
            },
            "a nil channel blocks forever: it was never made with make(chan …).",
            "Initialise the channel with make(chan T) before use (e.g. in the constructor), or remove the operation.",
        ),
        Kind::SelectNoCases => (
            "`select {}` blocks forever".into(),
            "an empty select never returns, and nothing else is left to run.",
            "Replace `select {}` with a wait on a real signal (a done channel, context, or signal.NotifyContext).",
        ),
        Kind::LockNeverReleased => (
            format!("{e} is locked and no live goroutine holds it"),
            "the lock was taken earlier and never unlocked — typically an early `return` or a panic path that skips Unlock.",
            "Use `mu.Lock(); defer mu.Unlock()` right after acquiring, or make every return path unlock.",
        ),
        Kind::SlotNeverReleased => (
            format!("every slot of {e} was taken and never given back"),
            "the channel is used as a semaphore or token pool, and the goroutines that took its slots returned without giving them back — an early `return` skipped the release — so every later taker waits for ever (none of the waiters holds a slot).",
            "Release right after acquiring with `defer func() { <-sem }()` (or give the token back in a defer), or make every return path release.",
        ),
        Kind::WaitgroupNeverDone => (
            format!("{} never reaches zero", typed("WaitGroup")),
            "no live goroutine will call Done: a worker returned without Done, or Add counted more than were started.",
            "Call `defer wg.Done()` as the first statement of every goroutine counted by Add, and Add exactly the number you start.",
        ),
        Kind::CondWaitForever => (
            format!("{} is never signalled", typed("Cond")),
            "no live goroutine will call Signal or Broadcast — the signal was sent before Wait started, or never.",
            "Wait in a loop on the condition (`for !ready { c.Wait() }`) and set the condition under the lock before Signal/Broadcast.",
        ),
        Kind::ChannelNeverClosed => (
            format!("range over {e} never ends"),
            "no live goroutine will send on or close the channel.",
            "Close the channel in the goroutine that owns the sending side once all sends are done (e.g. after wg.Wait() of the producers).",
        ),
        Kind::GoroutineLeak => (
            format!("{n} goroutines parked at {}", ctx.blocked_at(gi)),
            "no live goroutine can complete their operation while the program keeps running: they leak.",
            "Give the operation a way out: a buffered channel of size 1 for a result nobody may read, or select on ctx.Done()/a done channel.",
        ),
        Kind::ChannelNoPartner => (
            format!("no goroutine can complete the operation on {e}"),
            "no live goroutine will ever perform the matching send or receive.",
            "Make sure a receiver (or sender) exists for every operation, use a buffered channel when the partner may be gone, or select with a done channel/context.",
        ),
        _ => (
            "blocked forever".into(),
            "nothing can wake it.",
            "Check which goroutine should wake this one.",
        ),
    }
}

/// The words of a self-lock finding.
pub(crate) struct SelfLock {
    pub kind: Kind,
    pub title: String,
    pub fix: &'static str,
    /// Why it can never proceed (ends the explanation).
    pub why: &'static str,
}

/// A goroutine waits (`block`) for the lock `waited` it holds (`read`: read-holds).
pub(crate) fn self_lock(read: bool, block: Option<Block>, waited: &str) -> SelfLock {
    let (kind, title, fix) = if read && block == Some(Block::Lock) {
        (
            Kind::RwmutexUpgrade,
            format!("`{waited}` read-locked, then write-locked by the same goroutine"),
            "RWMutex cannot be upgraded: release the RLock before calling Lock (and re-check the state after), or take Lock from the start.",
        )
    } else if read && block == Some(Block::RLock) {
        (
            Kind::RecursiveLock,
            format!("`{waited}` read-locked again while a writer waits for it"),
            "A pending Lock blocks new RLocks, so a goroutine that read-locks an RWMutex twice deadlocks with any writer in between: pass the state down instead of locking again (e.g. a `fooLocked` helper that expects the read lock held).",
        )
    } else {
        (
            Kind::RecursiveLock,
            format!("`{waited}` locked again by the goroutine that holds it"),
            "Go mutexes are not reentrant: split the method into a locked public entry point and an unexported helper that expects the lock held (e.g. `fooLocked`), and call the helper.",
        )
    };
    let why = if read && block == Some(Block::RLock) {
        "a writer queued on the same RWMutex blocks the second read lock and waits for the first, so neither can proceed"
    } else {
        "nobody else can release it, so it waits for itself forever"
    };
    SelfLock {
        kind,
        title,
        fix,
        why,
    }
}

/// The title of a cycle of `total` goroutines.
pub(crate) fn cycle_title(total: u64, all_locks: bool, queued: bool) -> String {
    if all_locks && queued {
        // The queued writer holds nothing: it waits its turn.
        format!(
            "{total} goroutines wait for each other's locks (a read-lock queued behind a pending writer)"
        )
    } else if all_locks {
        format!("{total} goroutines each hold a lock the next one waits for")
    } else {
        format!("{total} goroutines wait for each other through locks, channels or WaitGroups")
    }
}

/// The fix of a cycle; `once`: a `sync.Once` in it (shown as called) and a
/// lock it holds.
pub(crate) fn cycle_fix(all_locks: bool, once: Option<(String, String)>) -> String {
    match once {
        Some((o, m)) if all_locks => format!(
            "`{o}` keeps the Once locked while its function runs, and every other caller waits until the function returns: do not call `{o}` while holding `{m}` if the function needs `{m}` too; call `{o}` before locking `{m}`, or release `{m}` first."
        ),
        _ if all_locks => "Acquire these locks in one global order everywhere (e.g. by account ID or address), or hold only one at a time.".into(),
        _ => "Break the cycle: do not block on a channel or WaitGroup while holding a lock the partner needs (release it first, or use a buffered channel / separate goroutine for the send), and drain results before waiting.".into(),
    }
}

/// Context shared by finding builders.
pub(crate) struct Ctx<'a> {
    pub d: &'a Dump,
    /// Facts per group.
    pub facts: &'a [Facts],
    /// The representative goroutine of each group.
    pub reps: Vec<usize>,
    pub global: bool,
}

impl Ctx<'_> {
    pub(crate) fn gid(&self, gi: usize) -> Option<u64> {
        self.d.goroutines[self.reps[gi]].id
    }
    pub(crate) fn name(&self, gi: usize) -> String {
        match self.gid(gi) {
            Some(id) => format!("goroutine {id}"),
            None => format!("{} goroutine(s)", self.d.goroutines[self.reps[gi]].count),
        }
    }
    pub(crate) fn frame(&self, gi: usize, k: usize) -> &Frame {
        &self.d.goroutines[self.reps[gi]].frames[k]
    }
    pub(crate) fn loc(&self, i: usize, k: usize, line: u32, role: Role) -> Location {
        let f = self.frame(i, k);
        Location {
            goroutine: self.gid(i),
            function: self.d.str(f.function).to_string(),
            file: self.d.str(f.file).to_string(),
            line,
            role: role.as_str(),
        }
    }
    pub(crate) fn blocked_loc(&self, i: usize) -> Option<Location> {
        let k = self.facts[i].user_frame?;
        Some(self.loc(i, k, self.frame(i, k).line, Role::Blocked))
    }
    /// [`Ctx::loc`] for an operation in `callee`, a function frame `k` calls
    /// (declared name, `(*Manager).syncOnce`), when there is one.
    pub(crate) fn loc_in(
        &self,
        i: usize,
        k: usize,
        line: u32,
        callee: Option<&str>,
        role: Role,
    ) -> Location {
        let mut l = self.loc(i, k, line, role);
        if let Some(c) = callee {
            l.function = format!("{}.{c}", gostuck_dump::classify::package_of(&l.function));
        }
        l
    }
    /// [`Ctx::at`] for an operation in `callee` (see [`Ctx::loc_in`]).
    pub(crate) fn at_in(&self, i: usize, k: usize, line: u32, callee: Option<&str>) -> String {
        match callee {
            Some(c) => format!(
                "{c}, {}:{line}",
                crate::short_path(self.d.str(self.frame(i, k).file))
            ),
            None => self.at(i, k, line),
        }
    }
    /// `main.transfer, main.go:19`
    pub(crate) fn at(&self, i: usize, k: usize, line: u32) -> String {
        let f = self.frame(i, k);
        format!(
            "{}, {}:{}",
            short_fn(self.d.str(f.function)),
            crate::short_path(self.d.str(f.file)),
            line
        )
    }
    pub(crate) fn blocked_at(&self, i: usize) -> String {
        match self.facts[i].user_frame {
            Some(k) => self.at(i, k, self.frame(i, k).line),
            None => "runtime code".into(),
        }
    }
    pub(crate) fn resource(&self, i: usize) -> Resource {
        let f = &self.facts[i];
        let b = f.block.unwrap_or(Block::Other);
        Resource {
            kind: b.resource_kind(f.rw),
            name: f.expr.clone().or_else(|| {
                (!f.cases.is_empty()).then(|| {
                    f.cases
                        .iter()
                        .map(|c| c.1.clone())
                        .collect::<Vec<_>>()
                        .join("|")
                })
            }),
            address: f.address.clone(),
        }
    }
    pub(crate) fn what(&self, i: usize) -> String {
        let f = &self.facts[i];
        let e = f.expr.as_deref().map(|e| format!("`{e}`"));
        let b = f.block.unwrap_or(Block::Other);
        match (b, e) {
            (Block::Lock, Some(_)) if f.once => {
                let e = f.expr.as_deref().unwrap_or_default();
                format!("waits for `{e}.Do` to return")
            }
            (Block::Lock, Some(e)) => format!("waits to lock {e}"),
            (Block::RLock, Some(e)) => format!("waits to read-lock {e}"),
            (Block::Send, Some(e)) => format!("waits to send on {e}"),
            (Block::Recv, Some(e)) if f.ranging => {
                format!("ranges over {e}, waiting for a value or a close")
            }
            (Block::Recv, Some(e)) => format!("waits to receive from {e}"),
            (Block::WgWait, Some(e)) => format!("waits on WaitGroup {e}"),
            (Block::CondWait, Some(e)) => format!("waits on Cond {e}"),
            (Block::Select, _) if !f.cases.is_empty() => {
                let cs: Vec<String> = f
                    .cases
                    .iter()
                    .map(|(s, c)| {
                        if *s {
                            format!("send on `{c}`")
                        } else {
                            format!("receive from `{c}`")
                        }
                    })
                    .collect();
                format!("waits in a select ({})", cs.join(", "))
            }
            (Block::Lock, None) => "waits to lock a mutex".to_string(),
            (Block::RLock, None) => "waits to read-lock an RWMutex".to_string(),
            (Block::Send, None) => "waits to send on a channel".to_string(),
            (Block::Recv, None) => "waits to receive from a channel".to_string(),
            (Block::WgWait, None) => "waits on a WaitGroup".to_string(),
            (Block::CondWait, None) => "waits on a Cond".to_string(),
            (Block::NilSend, _) => "sends on a nil channel".to_string(),
            (Block::NilRecv, _) => "receives from a nil channel".to_string(),
            (Block::SelectEmpty, _) => "waits in an empty `select {}`".to_string(),
            _ => format!(
                "is blocked in [{}]",
                self.d.str(self.d.goroutines[self.reps[i]].state)
            ),
        }
    }
}

impl Ctx<'_> {
    /// The report form of a wait-for edge between two groups.
    /// `member_ids[i]`: the member IDs of group `i`.
    pub(crate) fn wait_edge(
        &self,
        e: &Edge,
        groups: &[gostuck_dump::Group],
        member_ids: &[Vec<u64>],
    ) -> crate::report::WaitEdge {
        let ids = |gi: usize| -> Vec<u64> { member_ids[gi].clone() };
        let label = |gi: usize| -> String {
            let n = groups[gi].count;
            if n > 1 {
                format!("{n} goroutines")
            } else {
                self.name(gi)
            }
        };
        let f = &self.facts[e.from];
        crate::report::WaitEdge {
            from: ids(e.from),
            to: ids(e.to),
            from_label: label(e.from),
            to_label: label(e.to),
            resource: f.expr.clone().or_else(|| {
                (!f.cases.is_empty()).then(|| {
                    f.cases
                        .iter()
                        .map(|c| c.1.clone())
                        .collect::<Vec<_>>()
                        .join("|")
                })
            }),
            relation: match &e.why {
                // (A queued writer is reported as `holds`, as before the
                // variant existed: the JSON relation values are a contract.)
                EdgeWhy::Holds { .. } | EdgeWhy::Queued { .. } => "holds",
                EdgeWhy::Partner { kind, .. } => Role::of_partner(*kind).as_str(),
            },
        }
    }
}

/// `main.(*Account).transfer` → `(*Account).transfer`; `main.f` → `f`.
pub(crate) fn short_fn(f: &str) -> &str {
    let slash = f.rfind('/').map_or(0, |i| i + 1);
    match f[slash..].find('.') {
        Some(i) => &f[slash + i + 1..],
        None => f,
    }
}

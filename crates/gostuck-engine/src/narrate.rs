//! Sentences for findings: who is blocked, on what, and what the finding
//! kinds say. The passes decide; this module only words their decisions.

use gostuck_dump::Dump;
use gostuck_source::OpKind;

use crate::facts::Block;
use crate::findings::Ctx;
use crate::kinds::Kind;
use crate::report::Finding;

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
    match kind {

        Kind::NilChannel => (
            format!("operation on a nil channel {e}"),
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
            format!("WaitGroup {e} never reaches zero"),
            "no live goroutine will call Done: a worker returned without Done, or Add counted more than were started.",
            "Call `defer wg.Done()` as the first statement of every goroutine counted by Add, and Add exactly the number you start.",
        ),
        Kind::CondWaitForever => (
            format!("Cond {e} is never signalled"),
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

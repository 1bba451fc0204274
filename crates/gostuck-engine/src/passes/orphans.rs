//! Pass 3, orphaned waits: a group that waits for nobody — no goroutine holds
//! the lock, none can complete the operation.
//!
//! Input: groups no earlier pass explained, with no edge out and, outside a
//! global deadlock, no unknown partner (a goroutine whose code could not be
//! read). Rules (docs/findings-rules.in.md):
//! - *Time feeds a goroutine* and *the test harness*: a wait on a timer,
//!   ticker, context or signal channel, and a parent waiting in `t.Run` or
//!   `m.Run`, are never orphaned (`Liveness::MayAct(Timer)`, `Harness`).
//! - *A daemon's park is not a deadlock*: `select {}` while some goroutine
//!   works is skipped outside a deadlock, timeout, stall or leak proof.
//! - *A path that returns with the lock held is the evidence* and *a path that
//!   skips the give-back leaks the slot*: a leaking path in the user files
//!   (`gostuck-source` `leaky_locks`) reports the wait in a live program too
//!   (`lock-never-released`, `slot-never-released`), naming the path.
//! - Otherwise a wait is reported only when something vouches that nothing
//!   will end it: the runtime's deadlock report, a test timeout or `--stalled`,
//!   the goroutineleak profile, a nil channel, others blocked behind it, a
//!   closed world (no live goroutine can start new ones), no code any
//!   goroutine may still run that can reach the channel (`crate::reach`,
//!   *a wait no code can reach*), or a large parked
//!   group nobody waits for in a live program (`goroutine-leak`, at least
//!   `LEAK_MIN` goroutines).
//!
//! Output: one finding per (kind, resource class); further groups waiting on
//! the same orphaned resource join it ("Also: …"). Kinds by what it waits on:
//! `nil-channel`, `select-no-cases`, `lock-never-released`,
//! `waitgroup-never-done`, `cond-wait-forever`, `channel-never-closed`,
//! `channel-no-partner`, `slot-never-released`, `goroutine-leak`,
//! `stuck-unexplained`. `certain` for a nil channel, or under the runtime's
//! (or leak profile's) proof when source was read and no unknown partner
//! exists; `likely` under a proof, timeout, or a leaking path with source;
//! else `possible`.

use rustc_hash::FxHashMap;

use super::{leaky_locks_for, Cx, State};
use crate::facts::{Block, HeldLock, Sources};
use crate::findings::{finding, EdgeWhy, LEAK_MIN};
use crate::kinds::{Kind, Role};
use crate::liveness::{Acts, Liveness};
use crate::narrate::orphan_text;
use crate::reach::Reach;
use crate::report::{Confidence, Finding, Location};

/// Leaking paths found per (slot, class): asked once per class, a big
/// server has thousands of groups.
type LeakPathMemo = FxHashMap<(bool, Option<String>), bool>;

/// Adds the orphaned waits.
pub(crate) fn run(cx: &Cx, st: &mut State, src: &mut dyn Sources) {
    // No goroutine that may still run can start others: the set of goroutines
    // is closed, so partners can only be among them. A spawner that is
    // itself blocked starts nothing until something wakes it: it opens the
    // world only when a goroutine that may act (or one whose code is
    // unknown) could complete its wait.
    let wakeable = |gi: usize| {
        cx.graph.unknown_partner[gi] || cx.edges_from(gi).any(|e| cx.model.of[e.to].may_serve())
    };
    let closed_world = cx.facts.iter().enumerate().all(|(gi, f)| {
        st.explained[gi].is_some()
            || !cx.model.opens_world(gi, f)
            || (matches!(cx.model.of[gi], Liveness::Blocked | Liveness::Harness) && !wakeable(gi))
    });
    // (kind, resource key, finding)
    let mut orphan_of: Vec<(Kind, String, usize)> = Vec::new();
    let mut memo = LeakPathMemo::default();
    let mut reach = Reach::default();
    for gi in 0..cx.facts.len() {
        let Some((kind, conf, unreachable)) =
            judge(cx, st, gi, closed_world, (&mut memo, &mut reach), src)
        else {
            continue;
        };
        let f = &cx.facts[gi];
        // The same orphaned resource waited on from several sites is one finding.
        let key = f
            .class
            .clone()
            .or_else(|| f.address.clone())
            .unwrap_or_else(|| format!("#{gi}"));
        if let Some(&(_, _, fidx)) = orphan_of.iter().find(|(k, c, _)| *k == kind && *c == key) {
            let ctx = &cx.ctx;
            let fi = &mut st.out[fidx];
            fi.explanation.push_str(&format!(
                " Also: {} {} at {}.",
                cx.who(gi),
                ctx.what(gi),
                ctx.blocked_at(gi)
            ));
            fi.locations.extend(ctx.blocked_loc(gi));
            cx.add_group(fi, gi);
            st.explained[gi] = Some(fidx);
            continue;
        }
        orphan_of.push((kind, key, st.out.len()));
        let mut fi = orphan(cx, gi, kind, conf, src);
        if unreachable {
            fi.explanation.push_str(
                " No code any goroutine may still run, nor any it may start (handlers and callbacks included), operates on it: every file of its package was read.",
            );
        }
        st.push(fi, &[gi]);
    }
}

/// Whether group `gi` is an orphaned wait to report, and as what (and
/// whether only *a wait no code can reach* vouched for it).
fn judge(
    cx: &Cx,
    st: &State,
    gi: usize,
    closed_world: bool,
    (memo, reach): (&mut LeakPathMemo, &mut Reach),
    src: &mut dyn Sources,
) -> Option<(Kind, Confidence, bool)> {
    let (ctx, graph) = (&cx.ctx, cx.graph);
    let f = &cx.facts[gi];
    let block = f.block?;
    // In a global deadlock nothing runs, so a partner could only be a
    // blocked goroutine with known code; elsewhere an unknown one may exist.
    if st.explained[gi].is_some()
        || cx.waits_on_someone[gi]
        || (graph.unknown_partner[gi] && !ctx.global)
    {
        return None;
    }
    let rep = cx.members(gi)[0];
    let leaked = cx.d.goroutines[rep].flags.leaked;
    let (kind, certain_alone) = match block {
        // The runtime's wait reason is its word; the source's (no value
        // ever given, `nil_by_source`) vouches, but only as `likely`.
        Block::NilSend | Block::NilRecv => (Kind::NilChannel, !f.nil_by_source),
        Block::SelectEmpty => (Kind::SelectNoCases, false),
        Block::Lock | Block::RLock => (Kind::LockNeverReleased, false),
        Block::WgWait => (Kind::WaitgroupNeverDone, false),
        Block::CondWait => (Kind::CondWaitForever, false),
        Block::Recv if f.ranging => (Kind::ChannelNeverClosed, false),
        Block::Send | Block::Recv | Block::Select => (Kind::ChannelNoPartner, false),
        Block::Other => (Kind::StuckUnexplained, false),
    };
    // In a live program an orphaned wait is reported when others are
    // blocked behind it: a partial deadlock, not an idle worker.
    let dependents = cx.waited_on_by_others[gi];
    // A large parked group that nobody else waits for is a leak; one that
    // others are blocked behind keeps its specific kind (the root of a
    // partial deadlock).
    let live_leak = !ctx.global
        && !dependents
        && cx.count(gi) >= LEAK_MIN
        && matches!(block, Block::Send | Block::Recv | Block::Select);
    // Or when nothing alive can start new goroutines (no `go` statement
    // ahead in any live goroutine's code, no accept loop): then no future
    // goroutine can become its partner.
    // Timers, tickers and contexts are fed from outside the goroutines: a
    // wait on them is never orphaned in a program that still runs (the
    // liveness model: not under the runtime's proof of a deadlock or a
    // leak, nor a timer drained after Stop returned false).
    if matches!(
        cx.model.of[gi],
        Liveness::MayAct(Acts::Timer) | Liveness::Harness
    ) {
        return None;
    }
    // A daemon's park: `select {}` while other goroutines work is how a
    // server or a broker waits for ever by design; only a program with
    // nothing else to do is stuck there.
    if block == Block::SelectEmpty
        && !ctx.global
        && !cx.timed_out
        && !leaked
        && cx.model.someone_works()
    {
        return None;
    }
    let closed = closed_world;
    // The source shows a path that returns (or breaks) with this lock
    // held: the lock leaked, whoever else may still run.
    // (The same for a channel slot: a semaphore acquire or a token taken
    // and a path that returns without giving it back.)
    let slot = matches!(block, Block::Send | Block::Recv);
    // (Asked once per class: a big server has thousands of groups.)
    let leak_path = matches!(
        block,
        Block::Lock | Block::RLock | Block::Send | Block::Recv
    ) && !(slot && f.ranging)
        && *memo.entry((slot, f.class.clone())).or_insert_with(|| {
            leaky_locks_for(slot, &cx.user_files, f.class.as_deref(), src)
                .iter()
                .any(|(_, l)| l.exit != "hand-off")
        });
    let kind = if slot && leak_path {
        Kind::SlotNeverReleased
    } else {
        kind
    };

    let vouched = ctx.global
        || cx.timed_out
        || leaked
        || certain_alone
        || f.nil_by_source
        || live_leak
        || dependents
        || closed
        || leak_path;
    // A wait no code can reach: nothing any goroutine may still run, nor
    // any goroutine it may start, operates on that channel.
    // (Asked too when something else vouched but only weakly: the proof
    // gives the same confidence whichever evidence found the wait first.)
    let weak = !(ctx.global || leaked || cx.timed_out || certain_alone || leak_path);
    let unreachable = (!vouched || weak) && reach.unreachable(cx, gi, src);
    if !(vouched || unreachable) {
        return None;
    }
    f.user_frame?;
    let kind = if live_leak { Kind::GoroutineLeak } else { kind };
    let known = f.has_source && !graph.unknown_partner[gi];
    let conf = if certain_alone || ((ctx.global || leaked) && known) {
        Confidence::Certain
    } else if ctx.global
        || leaked
        || cx.timed_out
        || f.nil_by_source
        || ((leak_path || unreachable) && known)
    {
        Confidence::Likely
    } else {
        Confidence::Possible
    };
    Some((kind, conf, unreachable))
}

/// The finding for orphaned wait `gi`, with its members.
fn orphan(cx: &Cx, gi: usize, kind: Kind, conf: Confidence, src: &mut dyn Sources) -> Finding {
    let ctx = &cx.ctx;
    let f = &cx.facts[gi];
    let evidence = if f.has_source {
        ""
    } else {
        " (no source for this frame: judged from the stack alone)"
    };
    let who = cx.who(gi);
    let (title, why, fix) = orphan_text(kind, ctx, gi, cx.count(gi));
    let expl = format!(
        "{who} {} at {}{evidence}; {why}",
        ctx.what(gi),
        ctx.blocked_at(gi)
    );
    let mut fi = finding(kind, conf, title, expl, fix);
    fi.resources.push(ctx.resource(gi));
    fi.locations.extend(ctx.blocked_loc(gi));
    for h in &f.held {
        fi.locations
            .push(ctx.loc(gi, h.frame, h.line, Role::Acquired));
    }
    blocking_while_holding(cx, gi, &mut fi);
    if matches!(kind, Kind::LockNeverReleased | Kind::SlotNeverReleased) {
        leaking_paths(cx, gi, kind == Kind::SlotNeverReleased, &mut fi, src);
    }
    cx.add_group(&mut fi, gi);
    fi
}

/// Locks `gi` holds while it waits, that others wait for: whatever wakes
/// it, blocking while holding them is the second half of the bug (added to
/// the fix). (A reader queued behind a pending writer is a `Queued` edge:
/// the writer holds nothing.)
fn blocking_while_holding(cx: &Cx, gi: usize, fi: &mut Finding) {
    let f = &cx.facts[gi];
    let mut held_waited: Vec<&HeldLock> = Vec::new();
    let mut behind: Vec<usize> = Vec::new();
    for e in cx.edges_to(gi).filter(|e| e.from != gi) {
        let EdgeWhy::Holds { expr, line, frame } = &e.why else {
            continue;
        };
        let Some(h) = f
            .held
            .iter()
            .find(|h| h.expr == *expr && h.line == *line && h.frame == *frame)
        else {
            continue;
        };
        if !held_waited.iter().any(|x| std::ptr::eq(*x, h)) {
            held_waited.push(h);
        }
        if !behind.contains(&e.from) {
            behind.push(e.from);
        }
    }
    if held_waited.is_empty() {
        return;
    }
    let locks: Vec<String> = held_waited
        .iter()
        .map(|h| {
            let how = if h.once { "called" } else { "locked" };
            format!(
                "`{}` ({how} at {})",
                h.shown(),
                cx.ctx.at(gi, h.frame, h.line)
            )
        })
        .collect();
    let n = behind
        .iter()
        .fold(0u64, |n, &b| n.saturating_add(cx.count(b)));
    let it = if held_waited.len() == 1 { "it" } else { "them" };
    let (they, wait) = if n == 1 {
        ("goroutine", "waits")
    } else {
        ("goroutines", "wait")
    };
    let inside = if held_waited.iter().all(|h| h.once) {
        "inside"
    } else {
        "while holding"
    };
    fi.fix.push_str(&format!(
        " And do not block here {inside} {}: release {it} first, or block outside the critical section ({n} {they} {wait} for {it}).",
        locks.join(" and ")
    ));
}

/// The goroutine that locked it (or took the slot, `slot`) is gone; its code
/// may still show the path that returned with the lock held: told in `fi`,
/// with the locking line as `acquired`.
fn leaking_paths(cx: &Cx, gi: usize, slot: bool, fi: &mut Finding, src: &mut dyn Sources) {
    let d = cx.d;
    let f = &cx.facts[gi];
    let (locked, never_unlocks, leaves) = if slot {
        ("taken", "never gives it back", "leaves it taken")
    } else {
        ("locked", "never unlocks it", "leaves it locked")
    };
    for (file, leak) in leaky_locks_for(slot, &cx.user_files, f.class.as_deref(), src) {
        // A waiter's own Lock call is not a hand-off of the lock (a
        // return or break path past it is, even on a waiter's line).
        if leak.exit == "hand-off"
            && cx.groups.iter().any(|g| {
                d.goroutines[g.members[0]]
                    .frames
                    .iter()
                    .any(|fr| d.str(fr.file) == file && fr.line == leak.lock_line)
            })
        {
            continue;
        }
        let at = format!("{}:{}", crate::short_path(&file), leak.lock_line);
        fi.explanation.push_str(&if leak.exit == "hand-off" {
            format!(
                " `{}` is {locked} at {at} in {}, which {never_unlocks}: whoever called it had to, and did not.",
                leak.expr, leak.function
            )
        } else {
            format!(
                " `{}` is {locked} at {at} in {} and a `{}` at line {} {leaves}.",
                leak.expr, leak.function, leak.exit, leak.exit_line
            )
        });
        fi.locations.push(Location {
            goroutine: None,
            function: leak.function.clone(),
            file: file.clone(),
            line: leak.lock_line,
            role: Role::Acquired.as_str(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::passes::testing::{ids, kinds, Fixture};
    use crate::report::Confidence;

    #[test]
    fn a_waitgroup_nobody_will_count_down_is_reported_with_its_waiter() {
        let mut fx = Fixture::new("waitgroup-never-done.txt");
        let mut src = fx.take_src();
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_mut());
        assert_eq!(kinds(&st), ["waitgroup-never-done"]);
        assert_eq!(ids(&st.out[0]), [1]);
        assert_eq!(st.out[0].confidence, Confidence::Certain);
        assert_eq!(st.explained[fx.group_of(1)], Some(0));
    }

    #[test]
    fn a_parent_waiting_in_t_run_is_not_orphaned_its_subtest_is() {
        let mut fx = Fixture::new("gotest-subtest-chan.txt");
        let mut src = fx.take_src();
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_mut());
        assert_eq!(kinds(&st), ["channel-no-partner"]);
        assert_eq!(ids(&st.out[0]), [24]);
        assert_eq!(st.explained[fx.group_of(1)], None);
    }

    #[test]
    fn a_lock_left_held_by_an_early_return_is_reported_in_a_live_server_with_the_path() {
        let mut fx = Fixture::new("cache-refresh-early-return.txt");
        let mut src = fx.take_src();
        let (cx, mut st) = fx.cx();
        assert!(!cx.global && !cx.timed_out);
        run(&cx, &mut st, src.as_mut());
        assert_eq!(kinds(&st), ["lock-never-released"]);
        let f = &st.out[0];
        assert_eq!(f.confidence, Confidence::Likely);
        // Two groups waiting on the one lock: one finding, the second joins it.
        assert!(f.explanation.contains(" Also: "), "{}", f.explanation);
        assert_eq!(ids(f), [7, 8, 9, 10, 11, 12, 13]);
        // The leaking path: acquired by a goroutine that is gone.
        assert!(f
            .locations
            .iter()
            .any(|l| l.role == "acquired" && l.goroutine.is_none()));
    }

    #[test]
    fn without_source_the_leaking_path_is_unknown_and_the_live_server_keeps_its_lock_waiters() {
        let mut fx = Fixture::no_source("cache-refresh-early-return.txt");
        let mut src = fx.take_src();
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_mut());
        assert!(st.out.is_empty(), "{:?}", kinds(&st));
    }

    #[test]
    fn thirty_suppliers_parked_on_abandoned_results_are_a_leak() {
        let mut fx = Fixture::new("fanout-abandoned-results.txt");
        let mut src = fx.take_src();
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_mut());
        assert_eq!(kinds(&st), ["goroutine-leak"]);
        assert_eq!(st.out[0].count, 30);
        assert_eq!(st.out[0].confidence, Confidence::Possible);
    }
}

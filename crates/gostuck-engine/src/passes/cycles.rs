//! Pass 2, cycles: groups that wait for each other.
//!
//! Input: the wait-for graph's strongly connected parts (`findings::sccs`),
//! and groups no earlier pass explained. Output, per cyclic part (two or more
//! groups, or one group with an edge to itself — its members are distinct
//! instances, `diagnose::wait_graph`):
//! - `lock-cycle` when every edge is a lock (held, or a read-lock queued
//!   behind a pending writer), else `wait-cycle`; `certain` under the
//!   runtime's deadlock report or when the goroutineleak profile marks every
//!   member leaked, else `likely`. A `sync.Once` in a lock cycle gets the
//!   Once's own fix.
//!
//! Then [`blind`]: in a global deadlock without source, two or more lock
//! waiters on different addresses are most likely a lock cycle (`lock-cycle`,
//! `possible`: pass `--source` to confirm).

use gostuck_dump::Group;
use rustc_hash::FxHashSet;

use super::{Cx, State};
use crate::facts::{wait_address, Block};
use crate::findings::{finding, sccs, Edge, EdgeWhy};
use crate::kinds::{Kind, Role};
use crate::narrate::op_word;
use crate::report::{Confidence, Finding, Location};

/// Adds a finding per cycle of the graph none of whose groups is explained.
pub(crate) fn run(cx: &Cx, st: &mut State) {
    for comp in sccs(cx.facts.len(), &cx.graph.edges) {
        let cyclic = comp.len() > 1 || cx.edges_from(comp[0]).any(|e| e.to == comp[0]);
        if !cyclic || comp.iter().any(|&g| st.explained[g].is_some()) {
            continue;
        }
        let mut fi = cycle(cx, &comp);
        for &gi in &comp {
            cx.add_group(&mut fi, gi);
        }
        st.push(fi, &comp);
    }
}

/// The finding for the cyclic part `comp` (no members added yet).
fn cycle(cx: &Cx, comp: &[usize]) -> Finding {
    let ctx = &cx.ctx;
    let in_comp = |g: usize| comp.contains(&g);
    let edges: Vec<&Edge> = cx
        .graph
        .edges
        .iter()
        .filter(|e| in_comp(e.from) && in_comp(e.to))
        .collect();
    let all_locks = edges
        .iter()
        .all(|e| matches!(e.why, EdgeWhy::Holds { .. } | EdgeWhy::Queued { .. }));
    let kind = if all_locks {
        Kind::LockCycle
    } else {
        Kind::WaitCycle
    };
    let mut parts = Vec::new();
    let mut locs: Vec<Location> = Vec::new();
    let mut resources = Vec::new();
    for &gi in comp {
        parts.push(member(cx, gi, &edges, &mut locs));
        locs.extend(ctx.blocked_loc(gi));
        resources.push(ctx.resource(gi));
    }
    let wait_edges: Vec<_> = edges
        .iter()
        .map(|e| ctx.wait_edge(e, cx.groups, cx.ids))
        .collect();
    let total: u64 = comp.iter().map(|&g| cx.count(g)).sum();
    let queued = edges
        .iter()
        .any(|e| matches!(e.why, EdgeWhy::Queued { .. }));
    let title = crate::narrate::cycle_title(total, all_locks, queued);
    // A sync.Once in the cycle: its Do is the "lock" one side holds.
    let held = || comp.iter().flat_map(|&g| cx.facts[g].held.iter());
    let once = held().find(|h| h.once).zip(held().find(|h| !h.once));
    let once = once.map(|(o, m)| (o.shown(), m.shown()));
    let fix = crate::narrate::cycle_fix(all_locks, once);
    // The goroutineleak detector (Go 1.26+) proves the members can never run.
    let proven = comp.iter().all(|&g| all_leaked(cx, &cx.groups[g]));
    let conf = if ctx.global || proven {
        Confidence::Certain
    } else {
        Confidence::Likely
    };
    let mut fi = finding(kind, conf, title, format!("{}.", parts.join("; ")), &fix);
    fi.resources = resources;
    fi.edges = wait_edges;
    fi.locations = locs;
    fi
}

fn all_leaked(cx: &Cx, g: &Group) -> bool {
    g.members.iter().all(|&m| cx.d.goroutines[m].flags.leaked)
}

/// What member group `gi` of a cycle holds and waits for, and whom it waits
/// for along the first of `edges` out of it; the locations it names go to `locs`.
fn member(cx: &Cx, gi: usize, edges: &[&Edge], locs: &mut Vec<Location>) -> String {
    let ctx = &cx.ctx;
    let facts = cx.facts;
    let f = &facts[gi];
    let mut s = cx.who(gi);

    for h in &f.held {
        let holds = if h.once { "is running" } else { "holds" };
        s.push_str(&format!(
            " {holds} `{}` ({})",
            h.shown(),
            ctx.at(gi, h.frame, h.line)
        ));
        s.push_str(" and");
        locs.push(ctx.loc(gi, h.frame, h.line, Role::Acquired));
    }
    s.push_str(&format!(" {} ({})", ctx.what(gi), ctx.blocked_at(gi)));
    // The first edge out of each member narrates the chain.
    let Some(e) = edges.iter().find(|e| e.from == gi) else {
        return s;
    };
    let whom = if e.to == gi {
        "another goroutine of the same group".to_string()
    } else {
        ctx.name(e.to)
    };
    match &e.why {
        EdgeWhy::Holds { expr, .. } => {
            if facts[e.to].held.iter().any(|h| h.once && h.expr == *expr) {
                s.push_str(&format!(", which {whom} is running"))
            } else {
                s.push_str(&format!(", which {whom} holds as `{expr}`"))
            }
        }
        EdgeWhy::Queued { expr, .. } => s.push_str(&format!(
            ", behind {whom}, which waits to write-lock it as `{expr}` (a pending Lock blocks new readers)"
        )),
        EdgeWhy::Partner {
            kind,
            line,
            frame,
            function,
        } => {
            let role = Role::of_partner(*kind);
            s.push_str(&format!(
                ", which only {whom} would complete ({} at {})",
                op_word(*kind),
                ctx.at_in(e.to, *frame, *line, function.as_deref())
            ));
            locs.push(ctx.loc_in(e.to, *frame, *line, function.as_deref(), role));
        }
    }
    s
}

/// Adds, in a global deadlock, a possible `lock-cycle` for lock waits whose
/// lock has no name (no source) when they wait on two or more addresses.
pub(crate) fn blind(cx: &Cx, st: &mut State) {
    if !cx.global {
        return;
    }
    let (d, facts, ctx) = (cx.d, cx.facts, &cx.ctx);
    let blind: Vec<usize> = (0..facts.len())
        .filter(|&gi| {
            st.explained[gi].is_none()
                && facts[gi].block.is_some_and(Block::is_lock)
                && facts[gi].expr.is_none()
                && facts[gi].user_frame.is_some()
        })
        .collect();
    let waiters: u64 = blind.iter().map(|&gi| cx.count(gi)).sum();
    let addrs: FxHashSet<Option<&str>> = blind
        .iter()
        .flat_map(|&gi| {
            let upto = facts[gi].user_frame.unwrap_or(0);
            cx.members(gi)
                .iter()
                .map(move |&m| wait_address(d, &d.goroutines[m], upto))
        })
        .collect();
    if waiters < 2 || addrs.len() < 2 {
        return;
    }
    let parts: Vec<String> = blind
        .iter()
        .map(|&gi| format!("{} {} ({})", cx.who(gi), ctx.what(gi), ctx.blocked_at(gi)))
        .collect();
    let mut fi = finding(
        Kind::LockCycle,
        Confidence::Possible,
        format!("{waiters} goroutines wait on different mutexes while nothing else runs"),
        format!(
            "{}. Without the source, gostuck cannot see which locks they hold; pass --source DIR to confirm the cycle.",
            parts.join("; ")
        ),
        "Acquire these locks in one global order everywhere, or hold only one at a time.",
    );
    for &gi in &blind {
        fi.resources.push(ctx.resource(gi));
        fi.locations.extend(ctx.blocked_loc(gi));
        cx.add_group(&mut fi, gi);
    }
    st.push(fi, &blind);
}

#[cfg(test)]
mod tests {
    use super::{blind, run};
    use crate::passes::testing::{ids, kinds, Fixture};
    use crate::report::Confidence;

    #[test]
    fn abba_is_a_lock_cycle_of_the_two_transfers_and_nothing_more() {
        let fx = Fixture::new("abba.txt");
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st);
        assert_eq!(kinds(&st), ["lock-cycle"]);
        let f = &st.out[0];
        assert_eq!(ids(f), [6, 7]);
        assert_eq!(f.confidence, Confidence::Certain);
        assert_eq!(f.edges.len(), 2);
        assert_eq!(st.explained[fx.group_of(6)], Some(0));
        // main waits on the WaitGroup behind the cycle: not part of it.
        assert_eq!(st.explained[fx.group_of(1)], None);
    }

    #[test]
    fn a_cycle_through_a_channel_and_a_waitgroup_is_a_wait_cycle() {
        let fx = Fixture::new("wait-before-drain.txt");
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st);
        assert_eq!(kinds(&st), ["wait-cycle"]);
        assert_eq!(ids(&st.out[0]), [1, 6, 7, 8]);
    }

    #[test]
    fn a_once_in_a_lock_cycle_gets_the_once_fix() {
        let fx = Fixture::new("once-cycle.txt");
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st);
        assert_eq!(kinds(&st), ["lock-cycle"]);
        assert!(
            st.out[0].fix.contains("keeps the Once locked"),
            "{}",
            st.out[0].fix
        );
    }

    #[test]
    fn a_group_explained_before_is_no_part_of_a_cycle() {
        let fx = Fixture::new("abba.txt");
        let (cx, mut st) = fx.cx();
        st.explained[fx.group_of(6)] = Some(0);
        run(&cx, &mut st);
        assert!(st.out.is_empty());
    }

    #[test]
    fn without_source_lock_waits_on_two_addresses_in_a_deadlock_are_a_possible_cycle() {
        let fx = Fixture::no_source("abba.txt");
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st);
        assert!(st.out.is_empty(), "no lock has a name: no edges");
        blind(&cx, &mut st);
        assert_eq!(kinds(&st), ["lock-cycle"]);
        assert_eq!(ids(&st.out[0]), [6, 7]);
        assert_eq!(st.out[0].confidence, Confidence::Possible);
        // With source the locks have names, and the blind guess is not made.
        let fx = Fixture::new("abba.txt");
        let (cx, mut st) = fx.cx();
        blind(&cx, &mut st);
        assert!(st.out.is_empty());
    }
}

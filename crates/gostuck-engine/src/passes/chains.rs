//! Pass 5, chains: goroutines blocked behind goroutines already explained.
//!
//! [`run`]: a blocked group with a known partner (no unknown one) all of
//! whose edges lead to explained groups joins the finding of its first
//! target ("Blocked behind it: …"), with its wait edges; repeated until
//! nothing changes, so chains of any length are followed.
//!
//! [`waitgroup_parents`]: WaitGroup waiters of several copies of a
//! component, some copies stuck and some live. The group as a whole waits
//! for explained and unexplained workers alike, but each waiter waits for
//! the workers it started (`created by … in goroutine N`): a waiter whose
//! own workers (among the groups it waits for) are all in findings joins the
//! finding of the first of them (", for goroutines it started"). A group
//! whose members all join is explained; else those members are reported in
//! part.
//!
//! Neither pass adds a finding: they add goroutines to earlier ones.

use rustc_hash::FxHashMap;

use super::{add_members, group_index, Cx, State};
use crate::facts::Block;
use crate::narrate::{push_behind, who};

/// Joins the groups blocked only behind explained ones to those findings.
pub(crate) fn run(cx: &Cx, st: &mut State) {
    let ctx = &cx.ctx;
    loop {
        let mut changed = false;
        for gi in 0..cx.facts.len() {
            // A goroutine fed by a timer or context (a select with
            // ctx.Done()) gives up by itself: it is not blocked behind anyone.
            if st.explained[gi].is_some()
                || cx.facts[gi].block.is_none()
                || cx.model.of[gi]
                    == crate::liveness::Liveness::MayAct(crate::liveness::Acts::Timer)
            {
                continue;
            }
            let targets: Vec<usize> = cx.edges_from(gi).map(|e| e.to).collect();
            if targets.is_empty() || cx.graph.unknown_partner[gi] {
                continue;
            }
            let Some(fidx) = targets.iter().find_map(|&t| st.explained[t]) else {
                continue;
            };
            if !targets.iter().all(|&t| st.explained[t].is_some()) {
                continue;
            }

            let fi = &mut st.out[fidx];
            push_behind(fi, ctx, gi, cx.who(gi), "");
            for e in cx.edges_from(gi) {
                fi.edges.push(ctx.wait_edge(e, cx.groups, cx.ids));
            }
            cx.add_group(fi, gi);
            st.explained[gi] = Some(fidx);
            changed = true;
        }
        if !changed {
            break;
        }
    }
}

/// Goroutine → group, and parent ID → the goroutines it started.
struct Parentage {
    group_of: Vec<usize>,
    children: FxHashMap<u64, Vec<usize>>,
}

impl Parentage {
    fn new(cx: &Cx) -> Parentage {
        let mut children: FxHashMap<u64, Vec<usize>> = Default::default();
        for (i, g) in cx.d.goroutines.iter().enumerate() {
            if let Some(p) = g.created_by.as_ref().and_then(|c| c.parent) {
                children.entry(p).or_default().push(i);
            }
        }
        Parentage {
            group_of: group_index(cx.d, cx.groups),
            children,
        }
    }
}

/// Joins the WaitGroup waiters whose own workers are all in findings to the
/// finding of those workers.
pub(crate) fn waitgroup_parents(cx: &Cx, st: &mut State) {
    let (d, ctx) = (cx.d, &cx.ctx);
    // Computed once, when needed.
    let mut by_parent: Option<Parentage> = None;
    for gi in 0..cx.facts.len() {
        if st.explained[gi].is_some()
            || cx.facts[gi].block != Some(Block::WgWait)
            || cx.graph.unknown_partner[gi]
            || (cx.members(gi).len() as u64) < cx.count(gi)
        {
            continue;
        }
        let targets: Vec<usize> = cx.edges_from(gi).map(|e| e.to).collect();
        if !targets
            .iter()
            .any(|&t| st.explained[t].is_some() || !st.reported_in_part[t].is_empty())
        {
            continue;
        }
        let parentage = by_parent.get_or_insert_with(|| Parentage::new(cx));
        let behind = behind_own_workers(cx, st, gi, &targets, parentage);
        if behind.is_empty() {
            continue;
        }
        let fidx = behind[0].1;
        let ms: Vec<usize> = behind
            .iter()
            .filter(|&&(_, f)| f == fidx)
            .map(|&(m, _)| m)
            .collect();
        let fi = &mut st.out[fidx];
        let tail = if ms.len() == 1 {
            ", for goroutines it started"
        } else {
            ", for goroutines each started"
        };
        push_behind(fi, ctx, gi, who(ctx, gi, ms.len() as u64, &ms), tail);
        let gids: Vec<u64> = ms.iter().filter_map(|&m| d.goroutines[m].id).collect();
        add_members(fi, &gids, ms.len() as u64);
        if ms.len() == cx.members(gi).len() {
            st.explained[gi] = Some(fidx);
        } else {
            st.part_finding.extend(ms.iter().map(|&m| (m, fidx)));
            st.reported_in_part[gi].extend(ms);
        }
    }
}

/// The members of group `gi` whose workers among the groups `targets` are
/// all in findings, each with the finding of the first such worker.
fn behind_own_workers(
    cx: &Cx,
    st: &State,
    gi: usize,
    targets: &[usize],
    p: &Parentage,
) -> Vec<(usize, usize)> {
    let mut behind: Vec<(usize, usize)> = Vec::new(); // (member, finding)
    for &m in cx.members(gi) {
        let Some(kids) = cx.d.goroutines[m].id.and_then(|id| p.children.get(&id)) else {
            continue;
        };
        let mut finding_of = None;
        let mut all = true;
        for &k in kids {
            let kg = p.group_of[k];
            if kg == usize::MAX || !targets.contains(&kg) {
                continue;
            }
            let f = st.explained[kg].or_else(|| st.part_finding.get(&k).copied());
            match f {
                Some(f) => {
                    finding_of.get_or_insert(f);
                }
                None => all = false,
            }
        }
        if let (true, Some(f)) = (all, finding_of) {
            behind.push((m, f));
        }
    }
    behind
}

#[cfg(test)]
mod tests {
    use super::{run, waitgroup_parents};
    use crate::passes::testing::{ids, Fixture};
    use crate::passes::{cycles, orphans};

    #[test]
    fn main_waiting_on_the_waitgroup_is_put_behind_the_abba_cycle() {
        let fx = Fixture::new("abba.txt");
        let (cx, mut st) = fx.cx();
        // Alone, nothing is explained to be behind.
        run(&cx, &mut st);
        assert!(st.out.is_empty());
        cycles::run(&cx, &mut st);
        assert_eq!(ids(&st.out[0]), [6, 7]);
        let edges = st.out[0].edges.len();
        run(&cx, &mut st);
        assert_eq!(st.out.len(), 1, "a chain adds no finding");
        let f = &st.out[0];
        assert_eq!(ids(f), [1, 6, 7]);
        assert_eq!(f.count, 3);
        assert!(
            f.explanation
                .contains(" Blocked behind it: goroutine 1 waits on WaitGroup"),
            "{}",
            f.explanation
        );
        assert!(f.edges.len() > edges, "main's wait edges are added");
        assert_eq!(st.explained[fx.group_of(1)], Some(0));
    }

    #[test]
    fn a_waitgroup_waiter_joins_the_finding_of_the_workers_it_started_only() {
        let mut fx = Fixture::new("waitgroup-copies.txt");
        let mut src = fx.take_src();
        let (cx, mut st) = fx.cx();
        orphans::run(&cx, &mut st, src.as_mut());
        assert_eq!(ids(&st.out[0]), [10, 11]);
        // The waiters' group waits for stuck and sleeping workers alike: not
        // a plain chain.
        run(&cx, &mut st);
        assert_eq!(ids(&st.out[0]), [10, 11]);
        waitgroup_parents(&cx, &mut st);
        let f = &st.out[0];
        // 9 started 10 and 11; 6, 7 and 8 started the sleeping workers.
        assert_eq!(ids(f), [9, 10, 11]);
        assert!(f.explanation.ends_with(", for goroutines it started."));
        let g = fx.group_of(9);
        assert_eq!(fx.group_of(6), g);
        assert_eq!(st.explained[g], None);
        assert_eq!(st.reported_in_part[g].len(), 1);
    }
}

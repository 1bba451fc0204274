//! Pass 4, copies of one component: lock waiters that the graph joined, by
//! class, to holders of other copies, while by address nobody holds their
//! mutex.
//!
//! Input: groups no earlier pass explained that wait for some group, and
//! `instances::orphaned_copies` (rule *which instance*: identity by address
//! where the dump carries pointer arguments). Reported only with the code's
//! own evidence (rule *a path that returns with the lock held is the
//! evidence*): a `return` or `break` that leaves a write lock of this very
//! class held (`T.mu`, typed by the root of the locked expression).
//!
//! Output: one `lock-never-released` (`likely`) per class, naming the
//! addresses and the leaking paths (`acquired`); the goroutine that started
//! a stuck copy and is blocked waiting for it joins the finding ("Blocked
//! behind them"). A group all of whose members are reported is explained;
//! one with live members too is reported in part (`State::reported_in_part`,
//! `part_finding`), and stays open to later passes for the rest.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{group_index, leaky_locks_for, typed_class, Cx, State};
use crate::facts::Sources;
use crate::findings::finding;
use crate::instances::{Identity, Orphans};
use crate::kinds::{Kind, Role};
use crate::narrate::who;
use crate::report::{Confidence, Finding, Location};

type LeakyLocks = Vec<(String, gostuck_source::LeakyLock)>;

/// Adds a finding per class of copies whose mutex nobody holds.
pub(crate) fn run(cx: &Cx, st: &mut State, src: &mut dyn Sources) {
    let candidates: Vec<usize> = (0..cx.facts.len())
        .filter(|&gi| st.explained[gi].is_none() && cx.waits_on_someone[gi])
        .collect();
    let mut copies =
        crate::instances::orphaned_copies(cx.d, cx.groups, cx.facts, cx.model, &candidates, src);
    // Without usable addresses, by where the objects were made.
    if copies.is_empty() {
        copies = crate::instances::orphaned_by_origin(
            cx.d,
            cx.groups,
            cx.facts,
            cx.model,
            &candidates,
            src,
        );
    }
    if copies.is_empty() {
        return;
    }
    // Goroutine → group and ID → goroutine, only when there is something to
    // report (a million-goroutine dump seldom has).
    let group_of = group_index(cx.d, cx.groups);
    let index_of_id: FxHashMap<u64, usize> =
        cx.d.goroutines
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.id.map(|id| (id, i)))
            .collect();
    for o in copies {
        let leaks = class_leaks(cx, &o.class, src);
        if leaks.is_empty() {
            continue;
        }
        let mut fi = copies_finding(cx, &o, &leaks);
        parents_behind(cx, &o, &group_of, &index_of_id, &mut fi);
        // A group all of whose members are reported is explained (a group
        // with live members too stays open to the other passes, for the
        // members not reported here).
        let k = st.out.len();
        for (gi, ms) in &o.groups {
            let g = &cx.groups[*gi];
            if ms.len() == g.members.len() && g.count == ms.len() as u64 {
                st.explained[*gi] = Some(k);
            } else {
                st.reported_in_part[*gi].extend(ms.iter().copied());
                st.part_finding.extend(ms.iter().map(|&m| (m, k)));
            }
        }
        st.out.push(fi);
    }
}

/// A write lock of this very class (`T.mu` by the type of the expression's
/// root where the lock is taken), left held by a return.
fn class_leaks(cx: &Cx, class: &str, src: &mut dyn Sources) -> LeakyLocks {
    leaky_locks_for(false, &cx.user_files, Some(class), src)
        .into_iter()
        .filter(|(file, l)| {
            l.exit != "hand-off"
                && !l.read
                && typed_class(src, file, l.lock_line, &l.expr).as_deref() == Some(class)
        })
        .collect()
}

/// The finding for the stuck copies `o`, with the paths `leaks` that leave
/// their lock held.
fn copies_finding(cx: &Cx, o: &Orphans, leaks: &LeakyLocks) -> Finding {
    let (d, ctx) = (cx.d, &cx.ctx);
    let n: usize = o.groups.iter().map(|(_, m)| m.len()).sum();
    let mut parts = Vec::new();
    let mut locations = Vec::new();
    let mut gids: Vec<u64> = Vec::new();
    for (gi, ms) in &o.groups {
        parts.push(format!(
            "{} {} at {}",
            who(ctx, *gi, ms.len() as u64, ms),
            ctx.what(*gi),
            ctx.blocked_at(*gi)
        ));
        locations.extend(ctx.blocked_loc(*gi));
        gids.extend(ms.iter().filter_map(|&m| d.goroutines[m].id));
    }
    let first = &o.groups[0].0;
    let expr = cx.facts[*first].expr.clone().unwrap_or_default();
    let (one, mut expl) = match &o.by {
        Identity::Addresses(addresses) => {
            let shown: Vec<String> = addresses
                .iter()
                .take(4)
                .map(|a| format!("{a:#x}"))
                .collect();
            let more = if addresses.len() > 4 { ", …" } else { "" };
            let one = addresses.len() == 1;
            let expl = format!(
                "{}. Other copies of `{expr}` are held by live goroutines, but by address (the lock each goroutine waits on, and each holder's receiver) none holds {} ({}{more}): {} locked and never unlocked.",
                parts.join("; "),
                if one { "this one" } else { "these" },
                shown.join(", "),
                if one { "it was" } else { "they were" },
            );
            (one, expl)
        }
        Identity::Origins { waited, held } => {
            let at = |v: &[(String, u32)]| {
                v.iter()
                    .map(|(f, l)| format!("{}:{l}", crate::short_path(f)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let expl = format!(
                "{}. Other copies of `{expr}` are held by live goroutines, but those objects were made at {}, and the one waited on here at {}: no goroutine holds its lock, it was locked and never unlocked.",
                parts.join("; "),
                at(held),
                at(waited),
            );
            (waited.len() == 1, expl)
        }
    };
    for (file, leak) in leaks {
        let at = format!("{}:{}", crate::short_path(file), leak.lock_line);
        expl.push_str(&format!(
            " `{}` is locked at {at} in {} and a `{}` at line {} leaves it locked.",
            leak.expr, leak.function, leak.exit, leak.exit_line
        ));
        locations.push(Location {
            goroutine: None,
            function: leak.function.clone(),
            file: file.clone(),
            line: leak.lock_line,
            role: Role::Acquired.as_str(),
        });
    }
    let title = format!(
        "`{expr}` of {} {} locked and no goroutine holds {}",
        if one { "one copy" } else { "some copies" },
        if one { "is" } else { "are" },
        if one { "it" } else { "them" },
    );
    let mut fi = finding(
        Kind::LockNeverReleased,
        Confidence::Likely,
        title,
        expl,
        "Pair every Lock with `defer Unlock()`, or make every return path unlock.",
    );
    fi.resources.push(ctx.resource(*first));
    fi.locations = locations;
    fi.goroutines = gids;
    fi.count = n as u64;
    fi
}

/// The goroutine that started a stuck one, blocked where the graph (by
/// class) has it wait for the stuck one's group: it waits for its own child
/// (e.g. for the `close(done)` after the child's loop). Told in `fi`, and
/// added to its goroutines.
fn parents_behind(
    cx: &Cx,
    o: &Orphans,
    group_of: &[usize],
    index_of_id: &FxHashMap<u64, usize>,
    fi: &mut Finding,
) {
    let (d, ctx) = (cx.d, &cx.ctx);
    let orphaned: FxHashSet<usize> = o
        .groups
        .iter()
        .flat_map(|(_, ms)| ms.iter().copied())
        .collect();
    let mut behind: Vec<(usize, usize)> = Vec::new(); // (group, goroutine)
    for (gi, ms) in &o.groups {
        for &m in ms {
            let Some(parent) = d.goroutines[m].created_by.as_ref().and_then(|c| c.parent) else {
                continue;
            };
            let Some(&p) = index_of_id.get(&parent) else {
                continue;
            };
            let pg = group_of[p];
            if pg == usize::MAX
                || orphaned.contains(&p)
                || behind.iter().any(|&(_, q)| q == p)
                || cx.facts[pg].block.is_none()
                || !cx.edges_from(pg).any(|e| e.to == *gi)
            {
                continue;
            }
            behind.push((pg, p));
        }
    }
    if behind.is_empty() {
        return;
    }
    let mut by_group: Vec<(usize, Vec<usize>)> = Vec::new();
    for &(pg, p) in &behind {
        match by_group.iter_mut().find(|(g, _)| *g == pg) {
            Some((_, v)) => v.push(p),
            None => by_group.push((pg, vec![p])),
        }
    }
    let told: Vec<String> = by_group
        .iter()
        .map(|(pg, ps)| {
            format!(
                "{} {} at {}",
                who(ctx, *pg, ps.len() as u64, ps),
                ctx.what(*pg),
                ctx.blocked_at(*pg)
            )
        })
        .collect();
    fi.explanation.push_str(&format!(
        " Blocked behind them (each waits for a goroutine it started): {}.",
        told.join("; ")
    ));
    for (pg, ps) in &by_group {
        fi.locations.extend(ctx.blocked_loc(*pg));
        fi.goroutines
            .extend(ps.iter().filter_map(|&p| d.goroutines[p].id));
        fi.count += ps.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::passes::testing::{ids, kinds, Fixture};
    use crate::report::Confidence;

    #[test]
    fn the_one_copy_whose_mutex_nobody_holds_is_reported_apart_from_its_group() {
        let mut fx = Fixture::new("stuck-copy-lock.txt");
        let mut src = fx.take_src();
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_mut());
        assert_eq!(kinds(&st), ["lock-never-released"]);
        let f = &st.out[0];
        assert_eq!(ids(f), [24]);
        assert_eq!(f.confidence, Confidence::Likely);
        assert!(f
            .explanation
            .contains("a `return` at line 31 leaves it locked"));
        // Its group holds the live copies' waiters too: reported in part only.
        let g = fx.group_of(24);
        assert!(fx.groups[g].count > 1);
        assert_eq!(st.explained[g], None);
        let m24 = fx.groups[g]
            .members
            .iter()
            .copied()
            .find(|&m| fx.d.goroutines[m].id == Some(24))
            .unwrap();
        assert!(st.reported_in_part[g].contains(&m24));
        assert_eq!(st.reported_in_part[g].len(), 1);
        assert_eq!(st.part_finding.get(&m24), Some(&0));
    }

    #[test]
    fn without_the_leaking_path_in_the_source_no_copy_is_reported() {
        let mut fx = Fixture::no_source("stuck-copy-lock.txt");
        let mut src = fx.take_src();
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_mut());
        assert!(st.out.is_empty());
    }
}

//! Grouping of goroutines with identical stacks, near-linear in the number of
//! goroutines: each goroutine is hashed once and compared with one representative.

use std::hash::{Hash, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use crate::classify::is_std_frame;
use crate::intern::Sym;
use crate::model::{Dump, Goroutine};
use crate::waitreason::WaitReason;

/// Goroutines that share a stack and a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Indices into [`Dump::goroutines`], in input order.
    pub members: Vec<usize>,
    /// Goroutines represented (records in profiles stand for several).
    pub count: u64,
    /// The shared state.
    pub state: Sym,
    /// Smallest and largest `N minutes` among members, if any printed one.
    pub minutes: Option<(u32, u32)>,
    /// How interesting the group is: lower sorts first.
    pub rank: Rank,
    /// Index of the first frame that is user code, if any.
    pub top_user_frame: Option<usize>,
}

/// The order groups are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rank {
    /// User code blocked on a channel, lock, WaitGroup, Cond or select.
    BlockedUser,
    /// User code running, runnable or in a system call.
    ActiveUser,
    /// User code sleeping or waiting for I/O.
    WaitingUser,
    /// Goroutines with no user frame: runtime and standard-library housekeeping.
    Runtime,
}

/// How to compare stacks.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupOptions {
    /// Compare frame arguments too (`--exact`).
    pub exact: bool,
}

fn key_hash(g: &Goroutine, exact: bool) -> u64 {
    let mut h = FxHasher::default();
    g.state.hash(&mut h);
    g.flags.leaked.hash(&mut h);
    g.frames.len().hash(&mut h);
    for f in &g.frames {
        f.function.hash(&mut h);
        f.file.hash(&mut h);
        f.line.hash(&mut h);
        if exact {
            f.args.hash(&mut h);
        }
    }
    h.finish()
}

fn same(a: &Goroutine, b: &Goroutine, exact: bool) -> bool {
    a.state == b.state
        && a.flags.leaked == b.flags.leaked
        && a.frames.len() == b.frames.len()
        && a.frames.iter().zip(&b.frames).all(|(x, y)| {
            x.function == y.function
                && x.file == y.file
                && x.line == y.line
                && (!exact || x.args == y.args)
        })
}

/// Index of the first frame that belongs to user code.
pub fn top_user_frame(d: &Dump, g: &Goroutine) -> Option<usize> {
    g.frames
        .iter()
        .position(|f| !is_std_frame(d.str(f.function), d.str(f.file)))
}

/// Groups the goroutines of `d`, most interesting group first.
pub fn group(d: &Dump, opts: GroupOptions) -> Vec<Group> {
    let gs = &d.goroutines;
    // (hash, group index, representative goroutine): comparing with the
    // representative needs no trip through `groups`.
    let mut table: HashTable<(u64, usize, usize)> = HashTable::new();
    let mut groups: Vec<Group> = Vec::new();
    for (i, g) in gs.iter().enumerate() {
        let h = key_hash(g, opts.exact);
        let found = table
            .find(h, |&(hh, _, rep)| hh == h && same(&gs[rep], g, opts.exact))
            .map(|&(_, gi, _)| gi);
        let gi = match found {
            Some(gi) => gi,
            None => {
                let gi = groups.len();
                groups.push(Group {
                    members: Vec::new(),
                    count: 0,
                    state: g.state,
                    minutes: None,
                    rank: Rank::Runtime,
                    top_user_frame: None,
                });
                table.insert_unique(h, (h, gi, i), |&(hh, _, _)| hh);
                gi
            }
        };
        let grp = &mut groups[gi];
        grp.members.push(i);
        grp.count = grp.count.saturating_add(g.count);
        if let Some(m) = g.wait_minutes {
            grp.minutes = Some(match grp.minutes {
                None => (m, m),
                Some((lo, hi)) => (lo.min(m), hi.max(m)),
            });
        }
    }
    for grp in &mut groups {
        let g = &gs[grp.members[0]];
        if grp.minutes.is_some() && grp.members.iter().any(|&i| gs[i].wait_minutes.is_none()) {
            // Members under a minute print no minutes: the range starts at 0.
            grp.minutes = grp.minutes.map(|(_, hi)| (0, hi));
        }
        grp.top_user_frame = top_user_frame(d, g);
        grp.rank = match (grp.top_user_frame, g.wait_reason) {
            (None, _) => Rank::Runtime,
            (Some(_), r) if r.is_blocked() => Rank::BlockedUser,
            (Some(_), WaitReason::Sleep | WaitReason::IoWait) => Rank::WaitingUser,
            (Some(_), WaitReason::RuntimeInternal | WaitReason::Idle) => Rank::Runtime,
            (Some(_), _) => Rank::ActiveUser,
        };
    }
    // Stable: equal ranks and counts keep input order.
    groups.sort_by(|a, b| a.rank.cmp(&b.rank).then(b.count.cmp(&a.count)));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PprofTextReader;

    #[test]
    fn group_counts_beyond_u64_saturate() {
        // Two records with the same (empty) stack whose counts overflow when
        // added up (seen while writing fuzz/'s invariants, confirmed with fuzz/pprof_debug1).
        let mut r = PprofTextReader::new();
        for l in b"goroutine profile: total 1\n18446744073709551615 @ 0x1\n1 @ 0x1\n"
            .split(|&c| c == b'\n')
        {
            r.push_line(l);
        }
        let d = &r.finish()[0];
        let groups = group(d, GroupOptions::default());
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].members, [0, 1]);
        assert_eq!(groups[0].count, u64::MAX);
    }
}

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

/// Dumps with at least this many goroutines are hashed and checked on several threads.
const PARALLEL_MIN: usize = 100_000;

/// The group of each goroutine (groups numbered by first appearance) and each
/// group's representative (its first member).
fn assign(gs: &[Goroutine], exact: bool) -> (Vec<usize>, Vec<usize>) {
    if gs.len() >= PARALLEL_MIN {
        if let Some(a) = assign_parallel(gs, exact) {
            return a;
        }
    }
    assign_sequential(gs, exact)
}

fn assign_sequential(gs: &[Goroutine], exact: bool) -> (Vec<usize>, Vec<usize>) {
    // (hash, group index, representative goroutine): comparing with the
    // representative needs no trip through the representatives' list.
    let mut table: HashTable<(u64, usize, usize)> = HashTable::new();
    let mut reps = Vec::new();
    let mut of = Vec::with_capacity(gs.len());
    for (i, g) in gs.iter().enumerate() {
        let h = key_hash(g, exact);
        let found = table
            .find(h, |&(hh, _, rep)| hh == h && same(&gs[rep], g, exact))
            .map(|&(_, gi, _)| gi);
        of.push(found.unwrap_or_else(|| {
            let gi = reps.len();
            reps.push(i);
            table.insert_unique(h, (h, gi, i), |&(hh, _, _)| hh);
            gi
        }));
    }
    (of, reps)
}

/// [`assign`] with hashing and comparing spread over threads (the stacks of a
/// million goroutines do not fit in any cache; walking them is the cost). One
/// group per distinct hash, then every goroutine is checked against its
/// group's representative; if any differs (a hash collision), `None`, and the
/// sequential path decides. When all match, the result is the sequential one:
/// `same` is an equivalence, so no two groups can share a hash.
fn assign_parallel(gs: &[Goroutine], exact: bool) -> Option<(Vec<usize>, Vec<usize>)> {
    let hashes: Vec<u64> = crate::par::per_range(gs.len(), |r| {
        gs[r]
            .iter()
            .map(|g| key_hash(g, exact))
            .collect::<Vec<u64>>()
    })
    .concat();
    let mut table: HashTable<(u64, usize)> = HashTable::new();
    let mut reps = Vec::new();
    let of: Vec<usize> = hashes
        .iter()
        .enumerate()
        .map(|(i, &h)| match table.find(h, |&(hh, _)| hh == h) {
            Some(&(_, gi)) => gi,
            None => {
                let gi = reps.len();
                reps.push(i);
                table.insert_unique(h, (h, gi), |&(hh, _)| hh);
                gi
            }
        })
        .collect();
    let all_same = crate::par::per_range(gs.len(), |r| {
        r.into_iter().all(|i| same(&gs[reps[of[i]]], &gs[i], exact))
    });
    all_same.into_iter().all(|ok| ok).then_some((of, reps))
}

/// What a run of a group's members adds to it.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    count: u64,
    /// Smallest and largest `N minutes` printed.
    minutes: Option<(u32, u32)>,
    /// Some member printed no minutes (under a minute).
    unminuted: bool,
}

impl Tally {
    fn add(&mut self, g: &Goroutine) {
        self.count = self.count.saturating_add(g.count);
        match g.wait_minutes {
            Some(m) => {
                self.minutes = Some(match self.minutes {
                    None => (m, m),
                    Some((lo, hi)) => (lo.min(m), hi.max(m)),
                });
            }
            None => self.unminuted = true,
        }
    }
}

/// Groups the goroutines of `d`, most interesting group first.
pub fn group(d: &Dump, opts: GroupOptions) -> Vec<Group> {
    let gs = &d.goroutines;
    let (of, reps) = assign(gs, opts.exact);
    let mut groups: Vec<Group> = reps
        .iter()
        .map(|&rep| Group {
            members: Vec::new(),
            count: 0,
            state: gs[rep].state,
            minutes: None,
            rank: Rank::Runtime,
            top_user_frame: None,
        })
        .collect();
    // Members in input order, each group's list allocated at its final size;
    // this touches no goroutine.
    let mut sizes = vec![0usize; groups.len()];
    for &gi in &of {
        sizes[gi] += 1;
    }
    for (grp, &n) in groups.iter_mut().zip(&sizes) {
        grp.members = Vec::with_capacity(n);
    }
    for (i, &gi) in of.iter().enumerate() {
        groups[gi].members.push(i);
    }
    // Counts and minutes read every goroutine: per run of goroutines (on
    // several threads for big dumps), then added up in run order.
    let tally = |r: std::ops::Range<usize>| {
        let mut t = vec![Tally::default(); groups.len()];
        for (g, &gi) in gs[r.clone()].iter().zip(&of[r]) {
            t[gi].add(g);
        }
        t
    };
    let runs = if gs.len() >= PARALLEL_MIN {
        crate::par::per_range(gs.len(), tally)
    } else {
        vec![tally(0..gs.len())]
    };
    let mut unminuted = vec![false; groups.len()];
    for run in runs {
        for ((grp, t), un) in groups.iter_mut().zip(run).zip(&mut unminuted) {
            grp.count = grp.count.saturating_add(t.count);
            if let Some((lo, hi)) = t.minutes {
                grp.minutes = Some(match grp.minutes {
                    None => (lo, hi),
                    Some((a, b)) => (a.min(lo), b.max(hi)),
                });
            }
            *un |= t.unminuted;
        }
    }
    for (grp, unminuted) in groups.iter_mut().zip(unminuted) {
        let g = &gs[grp.members[0]];
        if grp.minutes.is_some() && unminuted {
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
    fn parallel_assignment_is_the_sequential_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured");
        let mut checked = 0;
        for v in std::fs::read_dir(dir).unwrap().flatten() {
            for f in std::fs::read_dir(v.path()).into_iter().flatten().flatten() {
                let Ok(bytes) = std::fs::read(f.path()) else {
                    continue;
                };
                let Ok(dumps) = crate::read_bytes(&bytes, &crate::ReadOptions::default()) else {
                    continue;
                };
                for d in &dumps {
                    for exact in [false, true] {
                        let want = assign_sequential(&d.goroutines, exact);
                        if d.goroutines.is_empty() {
                            continue;
                        }
                        let got = assign_parallel(&d.goroutines, exact);
                        assert_eq!(got.as_ref(), Some(&want), "{}", f.path().display());
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100, "only {checked} dumps checked");
    }

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

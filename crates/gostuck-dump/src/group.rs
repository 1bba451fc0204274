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
#[must_use]
pub fn top_user_frame(d: &Dump, g: &Goroutine) -> Option<usize> {
    g.frames
        .iter()
        .position(|f| !is_std_frame(d.str(f.function), d.str(f.file)))
}

/// Dumps with at least this many goroutines are grouped on several threads.
const PARALLEL_MIN: usize = 100_000;

/// How goroutines fall into groups: the group of each goroutine (groups
/// numbered by first appearance), each group's representative (its first
/// member) and what its members add up to.
#[derive(Debug, PartialEq)]
struct Assignment {
    of: Vec<usize>,
    reps: Vec<usize>,
    tallies: Vec<Tally>,
}

fn assign(gs: &[Goroutine], exact: bool) -> Assignment {
    if gs.len() >= PARALLEL_MIN {
        assign_parallel(gs, exact)
    } else {
        assign_sequential(gs, exact)
    }
}

fn assign_sequential(gs: &[Goroutine], exact: bool) -> Assignment {
    // (hash, group index, representative goroutine): comparing with the
    // representative needs no trip through the representatives' list.
    let mut table: HashTable<(u64, usize, usize)> = HashTable::new();
    let mut reps = Vec::new();
    let mut tallies: Vec<Tally> = Vec::new();
    let mut of = Vec::with_capacity(gs.len());
    for (i, g) in gs.iter().enumerate() {
        let h = key_hash(g, exact);
        let found = table
            .find(h, |&(hh, _, rep)| hh == h && same(&gs[rep], g, exact))
            .map(|&(_, gi, _)| gi);
        let gi = found.unwrap_or_else(|| {
            let gi = reps.len();
            reps.push(i);
            tallies.push(Tally::default());
            table.insert_unique(h, (h, gi, i), |&(hh, _, _)| hh);
            gi
        });
        tallies[gi].add(g);
        of.push(gi);
    }
    Assignment { of, reps, tallies }
}

/// [`assign_sequential`] on one run of goroutines per thread (the stacks of
/// a million goroutines fit in no cache: each is hashed and compared with its
/// run's representative while it is at hand), then the runs' groups are
/// joined in run order, which numbers them by first appearance exactly as
/// one pass does. Hash collisions are told apart by comparing stacks, in the
/// runs and in the join.
fn assign_parallel(gs: &[Goroutine], exact: bool) -> Assignment {
    let runs = crate::par::per_range(gs.len(), |r| (r.start, assign_sequential(&gs[r], exact)));
    let mut table: HashTable<(u64, usize)> = HashTable::new();
    let mut reps: Vec<usize> = Vec::new();
    let mut tallies: Vec<Tally> = Vec::new();
    let mut maps: Vec<Vec<usize>> = Vec::with_capacity(runs.len());
    for (base, run) in &runs {
        let map = run
            .reps
            .iter()
            .zip(&run.tallies)
            .map(|(&local, t)| {
                let i = base + local;
                let g = &gs[i];
                let h = key_hash(g, exact);
                let gi = match table.find(h, |&(hh, gi)| hh == h && same(&gs[reps[gi]], g, exact)) {
                    Some(&(_, gi)) => gi,
                    None => {
                        let gi = reps.len();
                        reps.push(i);
                        tallies.push(Tally::default());
                        table.insert_unique(h, (h, gi), |&(hh, _)| hh);
                        gi
                    }
                };
                tallies[gi].join(t);
                gi
            })
            .collect();
        maps.push(map);
    }
    let of = runs
        .iter()
        .zip(&maps)
        .flat_map(|((_, run), map)| run.of.iter().map(|&l| map[l]))
        .collect();
    Assignment { of, reps, tallies }
}

/// What a run of a group's members adds to it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
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

    /// Adds the tally of a later run of members.
    fn join(&mut self, t: &Tally) {
        self.count = self.count.saturating_add(t.count);
        if let Some((lo, hi)) = t.minutes {
            self.minutes = Some(match self.minutes {
                None => (lo, hi),
                Some((a, b)) => (a.min(lo), b.max(hi)),
            });
        }
        self.unminuted |= t.unminuted;
    }
}

/// Groups the goroutines of `d`, most interesting group first.
#[must_use]
pub fn group(d: &Dump, opts: GroupOptions) -> Vec<Group> {
    let gs = &d.goroutines;
    let Assignment { of, reps, tallies } = assign(gs, opts.exact);
    let mut groups: Vec<Group> = reps
        .iter()
        .zip(&tallies)
        .map(|(&rep, t)| Group {
            members: Vec::new(),
            count: t.count,
            state: gs[rep].state,
            minutes: t.minutes,
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
    let unminuted = tallies.iter().map(|t| t.unminuted);
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
                        assert_eq!(got, want, "{}", f.path().display());
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

//! From a dump (and its source) to findings: facts per group of identical
//! stacks (all source queries), the liveness model, the wait-for graph
//! between groups, then the passes of `crate::passes` in order, and the
//! verdict flags derived from their findings.

use gostuck_dump::{Dump, Group};
use rustc_hash::FxHashSet;

use crate::facts::{gather, wait_address, CallSites, Facts, Sources};
use crate::findings::{build, EdgeWhy, Graph};
use crate::kinds::Kind;
use crate::liveness::Model;
use crate::passes::{self, Cx, State};
use crate::report::{Finding, Snippet};

pub(crate) struct Diagnosis {
    pub findings: Vec<Finding>,
    /// User files that could not be found.
    pub missing: Vec<String>,
    /// Cycles or orphaned waits found (not only leaks).
    pub deadlocked: bool,
    /// Goroutines blocked with no cause found (`stuck-unexplained`).
    pub stuck: bool,
    pub leaks: bool,
    /// `--why N` for a goroutine of this dump.
    pub why: Option<crate::report::Why>,
}

/// `ids[i]`: the IDs of the members of `groups[i]` (those that have one).
pub(crate) fn diagnose(
    d: &Dump,
    groups: &[Group],
    ids: &[Vec<u64>],
    src: &mut dyn Sources,
    opts: &crate::Options,
) -> Diagnosis {
    let facts = gather_facts(d, groups, src);
    let mut missing: Vec<String> = facts
        .iter()
        .flat_map(|f| f.missing.iter().cloned())
        .collect();
    missing.sort();
    missing.dedup();
    // The binary chooses the sink (gostuck: GOSTUCK_DEBUG_FACTS=1).
    if log::log_enabled!(target: "gostuck_engine::facts", log::Level::Debug) {
        for f in &facts {
            log::debug!(target: "gostuck_engine::facts", "{f:?}");
        }
    }
    let model = Model::new(d, groups, &facts);
    let graph = wait_graph(d, groups, &facts, &model);
    let cx = Cx::new(d, groups, ids, &facts, &model, &graph, opts);
    let mut st = State::new(facts.len());
    passes::self_locks::run(&cx, &mut st);
    passes::cycles::run(&cx, &mut st);
    passes::cycles::blind(&cx, &mut st);
    passes::orphans::run(&cx, &mut st, src);
    passes::copies::run(&cx, &mut st, src);
    passes::chains::run(&cx, &mut st);
    passes::chains::waitgroup_parents(&cx, &mut st);
    passes::unexplained::run(&cx, &mut st, src);
    finish(&cx, st, src, missing)
}

/// The verdict flags, finding IDs and snippets, and `--why`, from what the
/// passes found.
fn finish(cx: &Cx, st: State, src: &mut dyn Sources, missing: Vec<String>) -> Diagnosis {
    let State {
        mut out, explained, ..
    } = st;
    // A goroutine blocked for a reason gostuck could not determine is stuck,
    // not deadlocked: that needs a cycle or an orphaned wait.
    let (leak, unexplained) = (
        Kind::GoroutineLeak.as_str(),
        Kind::StuckUnexplained.as_str(),
    );
    let deadlocked = out.iter().any(|f| f.kind != leak && f.kind != unexplained);
    let leaks = out.iter().any(|f| f.kind == leak);
    let stuck = out.iter().any(|f| f.kind == unexplained);
    for (k, f) in out.iter_mut().enumerate() {
        f.id = format!("F{}", k + 1);
        f.locations.dedup();
        attach_snippets(f, src);
    }
    let why = cx.opts.why.and_then(|id| {
        let finding_of: Vec<Option<String>> = explained
            .iter()
            .map(|e| e.map(|k| out[k].id.clone()))
            .collect();
        crate::why::explain(&cx.ctx, cx.groups, cx.model, cx.graph, &finding_of, id)
    });
    Diagnosis {
        findings: out,
        missing,
        deadlocked,
        stuck,
        leaks,
        why,
    }
}

fn attach_snippets(f: &mut Finding, src: &mut dyn Sources) {
    let mut seen = FxHashSet::default();
    for l in &f.locations {
        if !seen.insert((l.file.clone(), l.line)) {
            continue;
        }
        if let Some(sf) = src.file(&l.file) {
            let lines = sf
                .snippet(l.line.saturating_sub(1), l.line + 1)
                .into_iter()
                .map(|(n, t)| (n, t.to_string()))
                .collect::<Vec<_>>();
            if !lines.is_empty() {
                f.snippets.push(Snippet {
                    file: l.file.clone(),
                    line: l.line,
                    role: l.role,
                    lines,
                });
            }
        }
    }
}

/// The facts of each group, read off its first member: members share every
/// frame and line.
pub(crate) fn gather_facts(d: &Dump, groups: &[Group], src: &mut dyn Sources) -> Vec<Facts> {
    let sites = CallSites::from_stacks(d, groups.iter().map(|g| g.members[0]));
    groups
        .iter()
        .map(|g| gather(d, g.members[0], src, &sites))
        .collect()
}

/// The wait-for graph between groups, without the edges no instance can have.
pub(crate) fn wait_graph(d: &Dump, groups: &[Group], facts: &[Facts], model: &Model) -> Graph {
    // Members of one group are distinct instances unless they all wait on one address.
    // (Stops at the first member with no address or another address than the first's.)
    let distinct_addresses = |gi: usize| -> bool {
        let upto = facts[gi].user_frame.unwrap_or(0);
        let mut first = None;
        for &m in &groups[gi].members {
            match wait_address(d, &d.goroutines[m], upto) {
                None => return true,
                Some(a) if *first.get_or_insert(a) != a => return true,
                Some(_) => {}
            }
        }
        groups[gi].members.len() == 1 && groups[gi].count > 1
    };
    // Asked once per group, however many edges it has to itself.
    let mut distinct_memo: Vec<Option<bool>> = vec![None; groups.len()];
    let multi: Vec<bool> = groups.iter().map(|g| g.count > 1).collect();
    let mut graph = build(facts, &multi, &model.unknown);
    // A group may wait on itself only when its members are distinct instances.
    graph.edges.retain(|e| {
        if e.from != e.to {
            return true;
        }
        groups[e.from].count > 1
            && match e.why {
                EdgeWhy::Holds { .. } | EdgeWhy::Queued { .. } => {
                    *distinct_memo[e.from].get_or_insert_with(|| distinct_addresses(e.from))
                }
                EdgeWhy::Partner { .. } => true,
            }
    });
    // The goroutineleak profile (Go 1.26+) marks goroutines whose wait no
    // goroutine outside the leaked set can ever end: the collector found the
    // resource unreachable from every goroutine it did not mark, so none of
    // those holds the lock or could complete the operation. An edge from a
    // leaked group to a live one joins two instances of the same code that
    // share only the class (many copies of a component, one of them stuck).
    // (Groups never mix leaked and live goroutines.)
    let leaked_group = |g: usize| d.goroutines[groups[g].members[0]].flags.leaked;
    graph
        .edges
        .retain(|e| !leaked_group(e.from) || leaked_group(e.to));
    graph
}

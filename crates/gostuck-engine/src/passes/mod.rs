//! The passes that turn the facts of one dump into findings, run in this
//! order by `diagnose`:
//!
//! 1. [`self_locks`]: locks a goroutine already holds (`recursive-lock`,
//!    `rwmutex-upgrade`);
//! 2. [`cycles`]: strongly connected parts of the wait-for graph
//!    (`lock-cycle`, `wait-cycle`), and lock waits a global deadlock leaves
//!    without source (`lock-cycle`, possible);
//! 3. [`orphans`]: waits nobody can end (`lock-never-released`,
//!    `slot-never-released`, `channel-no-partner`, `goroutine-leak`, …);
//! 4. [`copies`]: copies of one component, told apart by address
//!    (`lock-never-released` of some copies);
//! 5. [`chains`]: goroutines blocked only behind explained ones, joined to
//!    those findings, and WaitGroup waiters behind the workers they started;
//! 6. [`unexplained`]: in a global deadlock or a stalled program, every
//!    blocked user goroutine left (`stuck-unexplained`).
//!
//! Every pass reads the same [`Cx`] (the dump, its groups, facts, the
//! liveness model and the wait-for graph) and adds to one [`State`]: the
//! findings so far and which group (or which members of a group) each
//! explains. A pass never looks at a group an earlier pass explained, so the
//! order is the precedence of the kinds. Sentences come from `crate::narrate`.

use gostuck_dump::{Dump, Group};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::facts::{Facts, Sources};
use crate::findings::{Edge, Graph};
use crate::liveness::Model;
use crate::narrate::Ctx;
use crate::report::Finding;

pub(crate) mod chains;
pub(crate) mod copies;
pub(crate) mod cycles;
pub(crate) mod orphans;
pub(crate) mod self_locks;
pub(crate) mod unexplained;

/// What every pass reads: one dump and everything derived from it before the
/// passes run.
pub(crate) struct Cx<'a> {
    pub d: &'a Dump,
    pub groups: &'a [Group],
    /// `ids[i]`: the IDs of the members of `groups[i]` (those that have one).
    pub ids: &'a [Vec<u64>],
    pub facts: &'a [Facts],
    pub model: &'a Model,
    /// The wait-for graph between groups.
    pub graph: &'a Graph,
    pub opts: &'a crate::Options,
    /// For narration: names, locations, resources of groups.
    pub ctx: Ctx<'a>,
    /// The runtime reported a global deadlock.
    pub global: bool,
    /// `go test -timeout` fired, or the user vouches (`--stalled`) that the
    /// program made no progress: blocked goroutines are suspects although
    /// the process was alive.
    pub timed_out: bool,
    /// Each group's edges out and in (indices into `graph.edges`, in edge order).
    out_edges: Vec<Vec<usize>>,
    in_edges: Vec<Vec<usize>>,
    /// The group waits for some group (maybe itself).
    pub waits_on_someone: Vec<bool>,
    /// Another group waits for this one.
    pub waited_on_by_others: Vec<bool>,
    /// Files of user frames, for searches that look beyond the stacks.
    pub user_files: Vec<String>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(
        d: &'a Dump,
        groups: &'a [Group],
        ids: &'a [Vec<u64>],
        facts: &'a [Facts],
        model: &'a Model,
        graph: &'a Graph,
        opts: &'a crate::Options,
    ) -> Cx<'a> {
        let global = d.runtime_reported_deadlock();
        // A `go test` timeout vouches that blocked goroutines are stuck only
        // when a running test is itself blocked: a test that serves, sleeps
        // or parks as a daemon just never returns ("slow is not stuck").
        let test_timeout = d.test_timed_out() && !model.tests_may_act(d, groups, facts);
        let timed_out = test_timeout || opts.stalled;
        let ctx = Ctx {
            d,
            facts,
            reps: groups.iter().map(|g| g.members[0]).collect(),
            global,
        };
        // Edges per group, once (walking all edges per group was quadratic
        // on dumps with thousands of groups).
        let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); facts.len()];
        let mut in_edges: Vec<Vec<usize>> = vec![Vec::new(); facts.len()];
        let mut waits_on_someone = vec![false; groups.len()];
        let mut waited_on_by_others = vec![false; groups.len()];
        for (k, e) in graph.edges.iter().enumerate() {
            out_edges[e.from].push(k);
            in_edges[e.to].push(k);
            waits_on_someone[e.from] = true;
            waited_on_by_others[e.to] |= e.from != e.to;
        }
        let mut user_files: Vec<String> = Vec::new();
        for g in groups {
            for f in &d.goroutines[g.members[0]].frames {
                let file = d.str(f.file);
                if !gostuck_dump::classify::is_std_frame(d.str(f.function), file)
                    && !user_files.iter().any(|u| u == file)
                {
                    user_files.push(file.to_string());
                }
            }
        }
        Cx {
            d,
            groups,
            ids,
            facts,
            model,
            graph,
            opts,
            ctx,
            global,
            timed_out,
            out_edges,
            in_edges,
            waits_on_someone,
            waited_on_by_others,
            user_files,
        }
    }

    /// How many goroutines group `gi` stands for.
    pub(crate) fn count(&self, gi: usize) -> u64 {
        self.groups[gi].count
    }

    /// The goroutines (indices into the dump) of group `gi`.
    pub(crate) fn members(&self, gi: usize) -> &'a [usize] {
        self.groups[gi].members.as_slice()
    }

    /// The edges out of group `gi`, in edge order.
    pub(crate) fn edges_from(&self, gi: usize) -> impl Iterator<Item = &'a Edge> + '_ {
        let edges = &self.graph.edges;
        self.out_edges[gi].iter().map(move |&k| &edges[k])
    }

    /// The edges into group `gi`, in edge order.
    pub(crate) fn edges_to(&self, gi: usize) -> impl Iterator<Item = &'a Edge> + '_ {
        let edges = &self.graph.edges;
        self.in_edges[gi].iter().map(move |&k| &edges[k])
    }

    /// `goroutine 7` or `each of 4 goroutines (…)`: the whole group `gi`.
    pub(crate) fn who(&self, gi: usize) -> String {
        crate::narrate::who(&self.ctx, gi, self.count(gi), self.members(gi))
    }

    /// Adds all of group `gi` to `fi`.
    pub(crate) fn add_group(&self, fi: &mut Finding, gi: usize) {
        add_members(fi, &self.ids[gi], self.count(gi));
    }
}

/// What the passes have found so far.
pub(crate) struct State {
    pub out: Vec<Finding>,
    /// Per group, the finding (index into `out`) that explains it.
    pub explained: Vec<Option<usize>>,
    /// Members of groups that a finding covers only in part.
    /// (Per group the members reported, and the finding of each: looked up
    /// per member, so sets and a map rather than lists.)
    pub reported_in_part: Vec<FxHashSet<usize>>,
    pub part_finding: FxHashMap<usize, usize>,
}

impl State {
    pub(crate) fn new(groups: usize) -> State {
        State {
            out: Vec::new(),
            explained: vec![None; groups],
            reported_in_part: vec![FxHashSet::default(); groups],
            part_finding: FxHashMap::default(),
        }
    }

    /// Adds `fi` as the finding that explains `groups`.
    pub(crate) fn push(&mut self, fi: Finding, groups: &[usize]) {
        for &gi in groups {
            self.explained[gi] = Some(self.out.len());
        }
        self.out.push(fi);
    }
}

/// Goroutine → the index of its group (`usize::MAX`: in none).
pub(crate) fn group_index(d: &Dump, groups: &[Group]) -> Vec<usize> {
    let mut group_of = vec![usize::MAX; d.goroutines.len()];
    for (gi, g) in groups.iter().enumerate() {
        for &m in &g.members {
            group_of[m] = gi;
        }
    }
    group_of
}

/// Adds members (their IDs `ids`, `count` goroutines) to a finding.
pub(crate) fn add_members(fi: &mut Finding, ids: &[u64], count: u64) {
    fi.goroutines.extend_from_slice(ids);
    fi.count += count;
}
/// Paths in `files` that leave a lock (`slot` false) or a channel slot
/// (`slot` true) of `class` taken.
pub(crate) fn leaky_locks_for(
    slot: bool,
    files: &[String],
    class: Option<&str>,
    src: &mut dyn Sources,
) -> Vec<(String, gostuck_source::LeakyLock)> {
    let Some(class) = class else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for file in files {
        if let Some(sf) = src.file(file) {
            for l in sf.leaky_locks().iter().filter(|l| l.slot == slot) {
                let mut c = gostuck_source::class_of(&l.expr).to_string();
                if gostuck_source::root_ident(&l.expr) == Some(c.as_str()) {
                    if let Some(t) = sf.type_of(l.lock_line, &c) {
                        c = format!("type:{t}");
                    }
                }
                if gostuck_source::same_class(&c, class) {
                    out.push((file.clone(), l.clone()));
                }
            }
        }
    }
    out
}

/// `T.field` for a one-level `root.field` whose root has the named type `T`
/// at `line` of `file` (a receiver, parameter, local or package variable).
pub(crate) fn typed_class(
    src: &mut dyn Sources,
    file: &str,
    line: u32,
    expr: &str,
) -> Option<String> {
    let root = gostuck_source::root_ident(expr)?;
    let field = expr.trim().strip_prefix(root)?.strip_prefix('.')?;
    if field.is_empty() || !field.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let t = src.file(file)?.type_of(line, root)?;
    Some(format!("{t}.{field}"))
}

/// Real captured dumps, gathered as `diagnose` gathers them, for the passes'
/// unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use gostuck_dump::{read_bytes, Dump, Group, GroupOptions, ReadOptions};
    use gostuck_source::{resolve::Resolver, SourceFile};

    use super::{Cx, State};
    use crate::facts::{Facts, NoSources, Sources};
    use crate::findings::Graph;
    use crate::liveness::Model;
    use crate::report::Finding;

    fn root() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"))
    }

    /// The scenarios' Go source, as `--source testdata/scenarios --source
    /// testdata/capture/inject` reads it (the capture matrix's way: the code a
    /// capture way adds is the program's own).
    pub(crate) struct Scenarios {
        resolver: Resolver,
        cache: HashMap<String, Option<SourceFile>>,
    }

    impl Scenarios {
        pub(crate) fn new() -> Scenarios {
            Scenarios {
                resolver: Resolver::new(
                    &[root().join("scenarios"), root().join("capture/inject")],
                    true,
                ),
                cache: HashMap::new(),
            }
        }
    }

    impl Sources for Scenarios {
        fn file(&mut self, dump_path: &str) -> Option<&SourceFile> {
            if !self.cache.contains_key(dump_path) {
                let parsed = self
                    .resolver
                    .find(dump_path)
                    .and_then(|p| std::fs::read(p).ok())
                    .and_then(|b| SourceFile::parse(&b).ok());
                self.cache.insert(dump_path.to_string(), parsed);
            }
            self.cache.get(dump_path).and_then(Option::as_ref)
        }

        fn package_files(&mut self, dump_path: &str) -> Option<Vec<String>> {
            let dir = self.resolver.find(dump_path)?.parent()?.to_path_buf();
            let mut out: Vec<String> = std::fs::read_dir(dir)
                .ok()?
                .flatten()
                .map(|e| e.path().to_string_lossy().into_owned())
                .filter(|p| p.ends_with(".go"))
                .collect();
            out.sort();
            Some(out)
        }
    }

    /// One captured dump (`testdata/captured/go1.27.3/NAME`) and everything
    /// the passes read.
    pub(crate) struct Fixture {
        pub d: Dump,
        pub groups: Vec<Group>,
        pub ids: Vec<Vec<u64>>,
        pub facts: Vec<Facts>,
        pub model: Model,
        pub graph: Graph,
        pub opts: crate::Options,
        src: Option<Box<dyn Sources>>,
    }

    impl Fixture {
        /// With the scenarios' source.
        pub(crate) fn new(name: &str) -> Fixture {
            Fixture::with(name, Box::new(Scenarios::new()))
        }

        /// From the stacks alone (`--no-source`).
        pub(crate) fn no_source(name: &str) -> Fixture {
            Fixture::with(name, Box::new(NoSources))
        }

        fn with(name: &str, mut src: Box<dyn Sources>) -> Fixture {
            let path = root().join("captured/go1.27.3").join(name);
            let bytes = std::fs::read(&path).unwrap();
            let d = read_bytes(&bytes, &ReadOptions::default())
                .unwrap()
                .pop()
                .unwrap();
            let groups = gostuck_dump::group(&d, GroupOptions { exact: false });
            let ids = groups
                .iter()
                .map(|g| {
                    g.members
                        .iter()
                        .filter_map(|&m| d.goroutines[m].id)
                        .collect()
                })
                .collect();
            let facts = crate::diagnose::gather_facts(&d, &groups, src.as_mut());
            let model = Model::new(&d, &groups, &facts);
            let graph = crate::diagnose::wait_graph(&d, &groups, &facts, &model);
            Fixture {
                d,
                groups,
                ids,
                facts,
                model,
                graph,
                opts: crate::Options::default(),
                src: Some(src),
            }
        }

        /// The context the passes read, and an empty state.
        pub(crate) fn cx(&self) -> (Cx<'_>, State) {
            let cx = Cx::new(
                &self.d,
                &self.groups,
                &self.ids,
                &self.facts,
                &self.model,
                &self.graph,
                &self.opts,
            );
            (cx, State::new(self.groups.len()))
        }

        /// The source the facts were read with, for the passes that read
        /// more of it (once).
        pub(crate) fn take_src(&mut self) -> Box<dyn Sources> {
            self.src.take().unwrap()
        }

        /// The group of goroutine `id`.
        pub(crate) fn group_of(&self, id: u64) -> usize {
            self.groups
                .iter()
                .position(|g| {
                    g.members
                        .iter()
                        .any(|&m| self.d.goroutines[m].id == Some(id))
                })
                .unwrap()
        }
    }

    /// A finding's goroutine IDs, sorted.
    pub(crate) fn ids(f: &Finding) -> Vec<u64> {
        let mut v = f.goroutines.clone();
        v.sort_unstable();
        v
    }

    /// The kinds of the findings, in order.
    pub(crate) fn kinds(st: &State) -> Vec<&'static str> {
        st.out.iter().map(|f| f.kind).collect()
    }
}

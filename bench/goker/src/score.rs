//! Ground truth of one run and the score of one gostuck report against it.
//!
//! * bug goroutines: marked `(leaked)` by the runtime AND matching one of the
//!   kernel's expected regexes (exactly upstream's test criterion);
//! * related goroutines: leaked, or matching an expected regex even when unmarked
//!   (blocked the expected way but still reachable): findings on them are never false;
//! * detected: every bug goroutine is in some finding's `goroutines`;
//! * classified: every bug goroutine is in a finding whose kind fits the bug
//!   ([`crate::spec::accepted_kinds`]);
//! * located: for every bug goroutine, the findings covering it name its blocking
//!   line (innermost frame in the kernel's code), and, when it waits for a lock,
//!   some line that acquires a lock of the same field (see [`lock_need`]) with
//!   role `acquired`;
//! * false finding: a finding whose goroutines are all unrelated.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::dump::Goroutine;
use crate::spec::{accepted_kinds, Kernel, Prim};

/// The part of a `gostuck.report.v1` document the scoring reads.
#[derive(Debug, Deserialize)]
pub struct Report {
    /// Schema id.
    pub schema: String,
    /// Inputs.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Findings.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Producing tool.
    pub tool: Option<Tool>,
}

/// `tool`.
#[derive(Debug, Deserialize)]
pub struct Tool {
    /// Version.
    #[serde(default)]
    pub version: String,
}

/// One input.
#[derive(Debug, Deserialize)]
pub struct Input {
    /// Source files the dump names that gostuck could not find.
    #[serde(default)]
    pub missing_source: Vec<String>,
}

/// One finding.
#[derive(Debug, Deserialize)]
pub struct Finding {
    /// Kind.
    pub kind: String,
    /// Goroutine IDs.
    #[serde(default)]
    pub goroutines: Vec<u64>,
    /// Locations.
    #[serde(default)]
    pub locations: Vec<Location>,
}

/// One location.
#[derive(Debug, Deserialize)]
pub struct Location {
    /// File as the dump printed it.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Role.
    pub role: String,
}

/// A goroutine of the bug.
#[derive(Debug, Clone)]
pub struct BugGoroutine {
    /// ID.
    pub id: u64,
    /// Wait reason.
    pub wait: String,
    /// Blocking site: innermost frame in the kernel's code (file base name, line).
    pub site: Option<(String, u32)>,
    /// For lock waits: which acquisitions would explain who holds the lock.
    pub lock: Option<LockNeed>,
}

impl BugGoroutine {
    fn describe(&self) -> String {
        match &self.site {
            Some((f, l)) => format!("{} at {f}:{l}", self.wait),
            None => self.wait.clone(),
        }
    }
}

/// The acquisitions that would name the held lock a goroutine waits for.
#[derive(Debug, Clone)]
pub struct LockNeed {
    /// Lock field, e.g. `coalescedMu` (or `<receiver>` for `x.Lock()` on an
    /// embedded mutex).
    pub field: String,
    /// Lines (file base name, line) of the kernel that Lock/RLock that field.
    pub candidates: BTreeSet<(String, u32)>,
}

/// Ground truth of one run.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// Goroutines of the bug.
    pub bug: Vec<BugGoroutine>,
    /// Goroutines findings may legitimately name.
    pub related: HashSet<u64>,
    /// Their blocking sites (innermost frame in the kernel's code): what a
    /// finding on an input without goroutine IDs can name instead.
    pub related_sites: HashSet<(String, u32)>,
    /// Goroutines the runtime marked leaked.
    pub leaked: usize,
    /// Goroutines in the dump.
    pub total: usize,
}

/// Source files of the kernels: base name → lines.
pub type Sources = HashMap<String, Vec<String>>;

/// Establish the ground truth of one run from its goroutineleak profile.
pub fn truth(kernel: &Kernel, gs: &[Goroutine], build_prefix: &str, src: &Sources) -> Truth {
    let mut t = Truth {
        total: gs.len(),
        ..Truth::default()
    };
    // Thousands of goroutines share a few blocking lines.
    let mut needs: HashMap<(String, u32), Option<LockNeed>> = HashMap::new();
    for g in gs {
        let matches = g
            .test_key
            .as_deref()
            .map(|k| kernel.expected.iter().any(|re| re.is_match(k)))
            .unwrap_or(false);
        if g.leaked {
            t.leaked += 1;
        }
        let site = g
            .top_user_frame(build_prefix)
            .map(|f| (base(&f.file).to_string(), f.line));
        if g.leaked || matches {
            t.related.insert(g.id);
            t.related_sites.extend(site.clone());
        }
        if !(g.leaked && matches) {
            continue;
        }
        let lock = match (&site, Prim::of_wait(&g.wait)) {
            (Some(site), Prim::Lock) => needs
                .entry(site.clone())
                .or_insert_with(|| lock_need(src, &site.0, site.1))
                .clone(),
            _ => None,
        };
        t.bug.push(BugGoroutine {
            id: g.id,
            wait: g.wait.clone(),
            site,
            lock,
        });
    }
    t
}

fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn lock_call_re() -> &'static Regex {
    use std::sync::OnceLock;
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"((?:[A-Za-z_]\w*(?:\[[^\]]*\]|\(\))*\.)*[A-Za-z_]\w*(?:\[[^\]]*\]|\(\))*)\.R?Lock\(\)")
            .unwrap()
    })
}

/// The lock field a `x.y.z.Lock()` / `.RLock()` call names: the last selector,
/// skipping a Cond's `.L`; indexing and calls are dropped (`l.m[url]` → `m`).
/// A bare receiver (`s.Lock()`, embedded mutex) is `<receiver>`: any bare
/// receiver's Lock then counts, since the receiver's name differs per method.
fn lock_fields(line: &str) -> Vec<String> {
    lock_call_re()
        .captures_iter(line)
        .map(|c| {
            let comps: Vec<String> = c[1]
                .split('.')
                .map(|p| p.split(['[', '(']).next().unwrap_or(p).to_string())
                .collect();
            let mut comps = comps.as_slice();
            if comps.len() > 1 && comps[comps.len() - 1] == "L" {
                comps = &comps[..comps.len() - 1];
            }
            if comps.len() == 1 {
                "<receiver>".to_string()
            } else {
                comps[comps.len() - 1].clone()
            }
        })
        .collect()
}

/// Rule for "the line where the held lock was acquired": the blocking line's
/// lock field (see [`lock_fields`]); every line of the same file that
/// Locks/RLocks that field, or a Cond made with `sync.NewCond` over it (`c.L.Lock()`),
/// is a candidate. Source-level and name-based: it accepts any struct's field of
/// that name.
pub fn lock_need(src: &Sources, file: &str, line: u32) -> Option<LockNeed> {
    let lines = src.get(file)?;
    let text = lines.get(line.checked_sub(1)? as usize)?;
    let field = lock_fields(code(text)).pop()?;
    // `c := sync.NewCond(&x.mu)` / `sync.NewCond(x.mu.RLocker())`: `c.L.Lock()` locks `mu`.
    let mut same = BTreeSet::from([field.clone()]);
    for l in lines {
        if let Some(c) = new_cond_re().captures(code(l)) {
            let (cond, locker) = (c[1].to_string(), c[2].to_string());
            if locker == field {
                same.insert(cond);
            } else if cond == field {
                same.insert(locker);
            }
        }
    }
    let candidates = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| lock_fields(code(l)).iter().any(|f| same.contains(f)))
        .map(|(i, _)| (file.to_string(), u32::try_from(i + 1).unwrap_or(u32::MAX)))
        .collect();
    Some(LockNeed { field, candidates })
}

/// A line without its `//` comment (the kernels have no `//` inside strings).
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or(line)
}

fn new_cond_re() -> &'static Regex {
    use std::sync::OnceLock;
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(\w+)\s*:?=\s*sync\.NewCond\(&?(?:[\w\[\]]+\.)*(\w+)(?:\.RLocker\(\))?\)")
            .unwrap()
    })
}

/// Why a report misses, at the first criterion it fails.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Miss {
    /// Stable category (`no finding`, `partly covered`, `wrong kind`…).
    pub category: String,
    /// Stable detail (no goroutine IDs or counts, so runs aggregate).
    pub detail: String,
}

/// The score of one report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Score {
    /// gostuck's exit code.
    pub exit: i32,
    /// Findings in the report.
    pub findings: usize,
    /// Bug goroutines.
    pub bug: usize,
    /// Bug goroutines some finding names.
    pub covered: usize,
    /// All bug goroutines covered.
    pub detected: bool,
    /// All covered by a finding of a fitting kind.
    pub classified: bool,
    /// All blocking lines (and held-lock acquisitions) named.
    pub located: bool,
    /// Findings on unrelated goroutines only.
    pub false_findings: usize,
    /// Their kinds.
    pub false_kinds: Vec<String>,
    /// Kinds of the findings covering bug goroutines.
    pub kinds_on_bug: Vec<String>,
    /// Source files gostuck could not find.
    pub missing_source: Vec<String>,
    /// First failed criterion, if any.
    pub miss: Option<Miss>,
    /// Located failure even when classification failed first (for the lead).
    pub location_gaps: Vec<String>,
}

/// Which findings name each goroutine (by ID) and each blocking site; counts
/// the false findings into `s`.
///
/// Findings on inputs without goroutine IDs (pprof debug=1 and debug=0
/// records) name no goroutines: they cover a goroutine by naming its blocking
/// site as `blocked`, and are false when no related goroutine blocks there.
fn index_findings(
    report: &Report,
    truth: &Truth,
    s: &mut Score,
) -> (FindingsBy<u64>, FindingsBy<(String, u32)>) {
    let mut by_g: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut by_site: HashMap<(String, u32), Vec<usize>> = HashMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        for &g in &f.goroutines {
            by_g.entry(g).or_default().push(i);
        }
        let sites: Vec<(String, u32)> = if f.goroutines.is_empty() {
            f.locations
                .iter()
                .filter(|l| l.role == "blocked")
                .map(|l| (base(&l.file).to_string(), l.line))
                .collect()
        } else {
            Vec::new()
        };
        for site in &sites {
            by_site.entry(site.clone()).or_default().push(i);
        }
        let related = if f.goroutines.is_empty() {
            sites.iter().any(|x| truth.related_sites.contains(x))
        } else {
            f.goroutines.iter().any(|g| truth.related.contains(g))
        };
        if !related {
            s.false_findings += 1;
            s.false_kinds.push(f.kind.clone());
        }
    }
    (by_g, by_site)
}

/// Finding indices by goroutine ID or by blocking site.
type FindingsBy<K> = HashMap<K, Vec<usize>>;

/// Score one report against the run's truth.
pub fn score(kernel: &Kernel, truth: &Truth, report: &Report, exit: i32) -> Score {
    let mut s = Score {
        exit,
        findings: report.findings.len(),
        bug: truth.bug.len(),
        ..Score::default()
    };
    s.missing_source = report
        .inputs
        .iter()
        .flat_map(|i| i.missing_source.iter().cloned())
        .collect();
    let (by_g, by_site) = index_findings(report, truth, &mut s);
    s.false_kinds.sort();
    s.false_kinds.dedup();

    let mut uncovered: BTreeSet<String> = BTreeSet::new();
    let mut wrong: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unlocated: BTreeSet<String> = BTreeSet::new();
    let mut kinds_on_bug = BTreeSet::new();
    for g in &truth.bug {
        let mut fs: Vec<usize> = by_g.get(&g.id).cloned().unwrap_or_default();
        if let Some(site) = &g.site {
            fs.extend(by_site.get(site).into_iter().flatten());
        }
        if fs.is_empty() {
            uncovered.insert(g.describe());
            continue;
        }
        s.covered += 1;
        let kinds: BTreeSet<&str> = fs
            .iter()
            .map(|&i| report.findings[i].kind.as_str())
            .collect();
        kinds_on_bug.extend(kinds.iter().map(|k| k.to_string()));
        let accepted = accepted_kinds(kernel.class, &g.wait);
        if !kinds.iter().any(|k| accepted.contains(k)) {
            let ks = kinds.iter().copied().collect::<Vec<_>>().join("+");
            wrong.entry(ks).or_default().insert(g.describe());
        }
        let locs: Vec<&Location> = fs
            .iter()
            .flat_map(|&i| report.findings[i].locations.iter())
            .collect();
        if let Some((file, line)) = &g.site {
            if !locs
                .iter()
                .any(|l| base(&l.file) == file && l.line == *line)
            {
                unlocated.insert(format!("blocking line {file}:{line} ({})", g.wait));
            }
        }
        if let Some(need) = &g.lock {
            let named = locs.iter().any(|l| {
                l.role == "acquired"
                    && need
                        .candidates
                        .contains(&(base(&l.file).to_string(), l.line))
            });
            if !named {
                let cands: Vec<String> = need.candidates.iter().map(|c| c.1.to_string()).collect();
                unlocated.insert(format!(
                    "acquisition of `{}` (lines {}) for {}",
                    need.field,
                    cands.join(","),
                    g.describe()
                ));
            }
        }
    }
    s.kinds_on_bug = kinds_on_bug.into_iter().collect();
    s.detected = !truth.bug.is_empty() && uncovered.is_empty();
    s.classified = s.detected && wrong.is_empty();
    s.located = s.detected && unlocated.is_empty();
    s.location_gaps = unlocated.iter().cloned().collect();

    let all_kinds = || {
        let ks: BTreeSet<&str> = report.findings.iter().map(|f| f.kind.as_str()).collect();
        ks.into_iter().collect::<Vec<_>>().join(", ")
    };
    s.miss = if truth.bug.is_empty() {
        None
    } else if exit != 0 && exit != 1 {
        Some(Miss {
            category: "gostuck error".into(),
            detail: format!("exit {exit}"),
        })
    } else if report.findings.is_empty() {
        Some(Miss {
            category: "no finding".into(),
            detail: String::new(),
        })
    } else if s.covered == 0 {
        Some(Miss {
            category: "bug not covered".into(),
            detail: format!("findings only elsewhere ({})", all_kinds()),
        })
    } else if !uncovered.is_empty() {
        Some(Miss {
            category: "partly covered".into(),
            detail: format!(
                "uncovered: {}",
                uncovered.into_iter().collect::<Vec<_>>().join("; ")
            ),
        })
    } else if !wrong.is_empty() {
        let d: Vec<String> = wrong
            .into_iter()
            .map(|(k, gs)| format!("{k} on {}", gs.into_iter().collect::<Vec<_>>().join(", ")))
            .collect();
        Some(Miss {
            category: "wrong kind".into(),
            detail: d.join("; "),
        })
    } else if !unlocated.is_empty() {
        let cat = if unlocated.iter().all(|u| u.starts_with("acquisition")) {
            "held-lock acquisition not named"
        } else {
            "blocking line not named"
        };
        Some(Miss {
            category: cat.into(),
            detail: unlocated.into_iter().collect::<Vec<_>>().join("; "),
        })
    } else {
        None
    };
    if let Some(m) = &mut s.miss {
        if !s.missing_source.is_empty() {
            m.detail.push_str(&format!(
                " [missing source: {}]",
                s.missing_source.join(", ")
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_fields_name_the_last_selector() {
        assert_eq!(
            lock_fields("\tr.store.coalescedMu.Lock() // L1"),
            vec!["coalescedMu"]
        );
        assert_eq!(
            lock_fields("e.systemConfigCond.L.Lock()"),
            vec!["systemConfigCond"]
        );
        assert_eq!(lock_fields("l.m[url].RLock()"), vec!["m"]);
        assert_eq!(lock_fields("s.Lock()"), vec!["<receiver>"]);
        assert!(lock_fields("s.Unlock()").is_empty());
    }

    #[test]
    fn candidates_are_every_lock_of_the_same_field() {
        let mut src = Sources::new();
        src.insert(
            "k.go".into(),
            vec![
                "a.mu.Lock()".into(),
                "b.other.Lock() // not a.mu.Lock()".into(),
                "// c.mu.Lock()".into(),
                "x.mu.RLock()".into(),
                "e.cond = sync.NewCond(e.mu.RLocker())".into(),
                "e.cond.L.Lock()".into(),
            ],
        );
        let need = lock_need(&src, "k.go", 4).unwrap();
        assert_eq!(need.field, "mu");
        let lines: Vec<u32> = need.candidates.iter().map(|c| c.1).collect();
        assert_eq!(lines, vec![1, 4, 6]);
    }

    fn channel_kernel() -> Kernel {
        Kernel {
            name: "K".into(),
            file: "k.go".into(),
            flaky: false,
            upstream_excluded: false,
            expected_src: vec![],
            expected: vec![],
            readme_type: "Communication / Channel".into(),
            class: crate::spec::BugClass::Channel,
            override_note: None,
            reading_note: None,
        }
    }

    fn finding(kind: &str, goroutines: Vec<u64>, blocked: &[u32]) -> Finding {
        Finding {
            kind: kind.into(),
            goroutines,
            locations: blocked
                .iter()
                .map(|&line| Location {
                    file: "/build/k.go".into(),
                    line,
                    role: "blocked".into(),
                })
                .collect(),
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            schema: "gostuck.report.v1".into(),
            inputs: vec![],
            findings,
            tool: None,
        }
    }

    /// A bug goroutine 7 blocked in `chan send` at k.go:29; goroutine 9 at
    /// k.go:40 is related (expected but still reachable).
    fn truth() -> Truth {
        let mut t = Truth {
            total: 3,
            leaked: 1,
            ..Truth::default()
        };
        t.bug.push(BugGoroutine {
            id: 7,
            wait: "chan send".into(),
            site: Some(("k.go".into(), 29)),
            lock: None,
        });
        t.related.extend([7, 9]);
        t.related_sites
            .extend([("k.go".to_string(), 29), ("k.go".to_string(), 40)]);
        t
    }

    #[test]
    fn findings_without_ids_cover_goroutines_by_their_blocking_line() {
        let k = channel_kernel();
        // An input without IDs (pprof debug=1/0): the blocked line stands in.
        let s = score(
            &k,
            &truth(),
            &report(vec![finding("channel-no-partner", vec![], &[29])]),
            1,
        );
        assert!(s.detected && s.classified && s.located, "{s:?}");
        assert_eq!(s.false_findings, 0);
        // Naming another line of a related goroutine covers nothing but is not false.
        let s = score(
            &k,
            &truth(),
            &report(vec![finding("channel-no-partner", vec![], &[40])]),
            1,
        );
        assert!(!s.detected);
        assert_eq!(s.false_findings, 0);
        // A line no related goroutine blocks at is a false finding.
        let s = score(
            &k,
            &truth(),
            &report(vec![finding("wait-cycle", vec![], &[55])]),
            1,
        );
        assert_eq!((s.detected, s.false_findings), (false, 1));
    }

    #[test]
    fn findings_with_ids_are_judged_by_ids_not_lines() {
        let k = channel_kernel();
        // The right line on the wrong goroutine does not cover the bug goroutine.
        let s = score(
            &k,
            &truth(),
            &report(vec![finding("channel-no-partner", vec![3], &[29])]),
            1,
        );
        assert_eq!((s.detected, s.false_findings), (false, 1));
        let s = score(
            &k,
            &truth(),
            &report(vec![finding("channel-no-partner", vec![7], &[29])]),
            1,
        );
        assert!(s.detected && s.located);
    }
}

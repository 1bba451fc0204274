//! What each GoKer kernel is expected to do, read from the Go tree itself:
//!
//! * `src/runtime/goroutineleakprofile_test.go` (`gokerTestCases`): per kernel the
//!   goroutines that must leak, as regexes over `"<entry function>(args) [<wait reason>]:"`,
//!   and whether the case is flaky (`makeFlakyTest`: default GOMAXPROCS) or simple
//!   (`makeTest`: GOMAXPROCS=1);
//! * `testdata/testgoroutineleakprofile/goker/README.md`: the bug's type and sub-type
//!   (GoBench's taxonomy);
//! * `testdata/testgoroutineleakprofile/goker/*.go`: which file registers which kernel.
//!
//! The mapping from a bug's type to the gostuck finding kinds that "fit" it lives
//! here too ([`accepted_kinds`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use regex::Regex;

/// GoBench's bug classes, as the README's Type/Sub-type columns name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BugClass {
    /// Resource / AB-BA deadlock (or "leak").
    AbBa,
    /// Resource / Double locking.
    DoubleLocking,
    /// Resource / RWR deadlock (recursive RLock with a writer queued in between).
    Rwr,
    /// Resource / Missing unlock.
    MissingUnlock,
    /// Communication / Channel.
    Channel,
    /// Communication / Channel & Context.
    ChannelContext,
    /// Communication / Channel & Condition Variable.
    ChannelCond,
    /// Communication / Condition Variable.
    Cond,
    /// Mixed / Channel & Lock.
    ChannelLock,
    /// Mixed / Channel & WaitGroup.
    ChannelWaitGroup,
    /// Mixed / Misuse WaitGroup.
    MisuseWaitGroup,
}

impl BugClass {
    fn from_readme(ty: &str, sub: &str) -> Option<BugClass> {
        let ty = ty.trim().to_ascii_lowercase();
        let sub = sub.trim().to_ascii_lowercase();
        Some(match (ty.as_str(), sub.as_str()) {
            ("resource", s) if s.starts_with("ab-ba") => BugClass::AbBa,
            ("resource", "double locking") => BugClass::DoubleLocking,
            ("resource", s) if s.starts_with("rwr") => BugClass::Rwr,
            ("resource", "missing unlock") => BugClass::MissingUnlock,
            ("communication", "channel") => BugClass::Channel,
            ("communication", "channel & context") => BugClass::ChannelContext,
            ("communication", "channel & condition variable") => BugClass::ChannelCond,
            ("communication", "condition variable") => BugClass::Cond,
            ("mixed", "channel & lock") => BugClass::ChannelLock,
            ("mixed", "channel & waitgroup") => BugClass::ChannelWaitGroup,
            ("mixed", "misuse waitgroup") => BugClass::MisuseWaitGroup,
            _ => return None,
        })
    }

    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            BugClass::AbBa => "AB-BA",
            BugClass::DoubleLocking => "double locking",
            BugClass::Rwr => "RWR",
            BugClass::MissingUnlock => "missing unlock",
            BugClass::Channel => "channel",
            BugClass::ChannelContext => "chan & context",
            BugClass::ChannelCond => "chan & cond",
            BugClass::Cond => "cond",
            BugClass::ChannelLock => "chan & lock",
            BugClass::ChannelWaitGroup => "chan & WaitGroup",
            BugClass::MisuseWaitGroup => "misused WaitGroup",
        }
    }

    /// The primitives the bug is about; goroutines blocked on anything else are
    /// victims further down the chain (e.g. `main` in `wg.Wait()` behind a lock bug).
    fn primary(self) -> &'static [Prim] {
        match self {
            BugClass::AbBa | BugClass::DoubleLocking | BugClass::Rwr | BugClass::MissingUnlock => {
                &[Prim::Lock]
            }
            BugClass::Channel | BugClass::ChannelContext => &[Prim::Chan],
            BugClass::ChannelCond => &[Prim::Chan, Prim::Cond],
            BugClass::Cond => &[Prim::Cond],
            BugClass::ChannelLock => &[Prim::Chan, Prim::Lock],
            BugClass::ChannelWaitGroup => &[Prim::Chan, Prim::WaitGroup],
            BugClass::MisuseWaitGroup => &[Prim::WaitGroup],
        }
    }

    /// Finding kinds that fit the bug itself.
    fn kinds(self) -> &'static [&'static str] {
        const CHAN: &[&str] = &[
            "channel-no-partner",
            "channel-never-closed",
            "wait-cycle",
            "goroutine-leak",
        ];
        match self {
            BugClass::AbBa => &["lock-cycle"],
            BugClass::DoubleLocking => &["recursive-lock", "lock-never-released"],
            // The RWR deadlock is a recursive RLock that a queued writer turns into
            // a cycle: G1 holds R, G2 waits W behind G1, G1 waits R behind G2.
            BugClass::Rwr => &[
                "rwmutex-upgrade",
                "lock-cycle",
                "wait-cycle",
                "recursive-lock",
            ],
            BugClass::MissingUnlock => &["lock-never-released", "recursive-lock"],
            BugClass::Channel | BugClass::ChannelContext => CHAN,
            BugClass::ChannelCond => &[
                "cond-wait-forever",
                "wait-cycle",
                "channel-no-partner",
                "channel-never-closed",
                "goroutine-leak",
            ],
            BugClass::Cond => &["cond-wait-forever", "wait-cycle"],
            BugClass::ChannelLock => &["wait-cycle", "lock-never-released"],
            // The sender with no receiver is the root, the waiter on the group its victim.
            BugClass::ChannelWaitGroup => &[
                "waitgroup-never-done",
                "wait-cycle",
                "channel-no-partner",
                "channel-never-closed",
            ],
            BugClass::MisuseWaitGroup => &["waitgroup-never-done", "wait-cycle"],
        }
    }
}

/// The primitive a goroutine waits on, from its wait reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prim {
    /// sync.Mutex / sync.RWMutex.
    Lock,
    /// chan send/receive, select.
    Chan,
    /// sync.Cond.Wait.
    Cond,
    /// sync.WaitGroup.Wait.
    WaitGroup,
    /// Anything else.
    Other,
}

impl Prim {
    /// Classify a wait reason as `runtime/runtime2.go: waitReasonStrings` spells it.
    pub fn of_wait(reason: &str) -> Prim {
        match reason {
            "sync.Mutex.Lock" | "sync.RWMutex.Lock" | "sync.RWMutex.RLock" => Prim::Lock,
            "sync.Cond.Wait" => Prim::Cond,
            "sync.WaitGroup.Wait" => Prim::WaitGroup,
            r if r.starts_with("chan ") || r.starts_with("select") => Prim::Chan,
            _ => Prim::Other,
        }
    }

    /// Kinds that describe a goroutine blocked on this primitive as a victim of
    /// a bug whose root is elsewhere.
    fn victim_kinds(self) -> &'static [&'static str] {
        match self {
            Prim::Lock => &[
                "lock-cycle",
                "lock-never-released",
                "recursive-lock",
                "wait-cycle",
            ],
            Prim::Chan => &[
                "channel-no-partner",
                "channel-never-closed",
                "wait-cycle",
                "goroutine-leak",
            ],
            Prim::Cond => &["cond-wait-forever", "wait-cycle"],
            Prim::WaitGroup => &["waitgroup-never-done", "wait-cycle"],
            Prim::Other => &[],
        }
    }
}

/// The finding kinds that classify a bug goroutine correctly: the bug class's own
/// kinds, plus, for a goroutine blocked on a primitive the bug is not about (a
/// victim), the kinds natural for that primitive.
pub fn accepted_kinds(class: BugClass, wait: &str) -> BTreeSet<&'static str> {
    let mut set: BTreeSet<&'static str> = class.kinds().iter().copied().collect();
    let prim = Prim::of_wait(wait);
    if !class.primary().contains(&prim) {
        set.extend(prim.victim_kinds().iter().copied());
    }
    set
}

/// One kernel and what is expected of it.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// Registered name, e.g. `Cockroach10214`.
    pub name: String,
    /// File that registers it, e.g. `cockroach10214.go`.
    pub file: String,
    /// `makeFlakyTest` (run with the machine's GOMAXPROCS) rather than `makeTest`
    /// (GOMAXPROCS=1).
    pub flaky: bool,
    /// Commented out of `gokerTestCases` upstream (kept runnable here).
    pub upstream_excluded: bool,
    /// The expected-leak regexes as written upstream.
    pub expected_src: Vec<String>,
    /// The same, compiled.
    pub expected: Vec<Regex>,
    /// README Type and Sub-type, verbatim.
    pub readme_type: String,
    /// The class the scoring uses (README's, or an override).
    pub class: BugClass,
    /// Why the class differs from the README's, if it does.
    pub override_note: Option<&'static str>,
    /// Why gostuck's kind may differ from the class it is scored by, when
    /// the kernel's own code and dumps support gostuck's reading.
    pub reading_note: Option<&'static str>,
}

/// README classifications that contradict the kernel's own code and description.
const OVERRIDES: &[(&str, BugClass, &str)] = &[(
    "Cockroach18101",
    BugClass::ChannelContext,
    "README table says Resource/Double Locking, but its text and code are a sender left \
     blocked after the context-cancelled reader returned",
)];

/// Kernels scored by the README's class whose dumps show another, real bug
/// shape; the table keeps scoring them by the README (a miss), the note says
/// what the dumps show.
const READINGS: &[(&str, &str)] = &[
    (
        "Hugo5379",
        "the dumps show a lock cycle, not a goroutine locking twice: the worker runs \
         `p.plainInit.Do` (the Once is held while its function runs) and waits for \
         `p.contentInitMu`, which the goroutine `initContent` started holds while it waits for \
         that same `Do` (scenario once-cycle); the README's double locking is the interleaving \
         where that goroutine enters the Once first, which these runs did not produce",
    ),
    (
        "Kubernetes58107",
        "the workers wait on a `sync.Cond` whose `Signal`s were all sent before they waited \
         (lost wake-ups) while holding `workerLock` for reading; `Sync`'s `Lock` and the other \
         worker's `RLock` queue behind them, but no goroutine holding a read lock waits for \
         the writer, so there is no read-write-read cycle: gostuck reports `cond-wait-forever` \
         with the RWMutex waits behind it",
    ),
];

/// Read every kernel's expectations from a GOROOT.
pub fn load(goroot: &Path) -> Result<Vec<Kernel>> {
    let goker = goroot.join("src/runtime/testdata/testgoroutineleakprofile/goker");
    let test = goroot.join("src/runtime/goroutineleakprofile_test.go");
    let test_src =
        fs::read_to_string(&test).with_context(|| format!("reading {}", test.display()))?;
    let readme_path = goker.join("README.md");
    let readme = fs::read_to_string(&readme_path)
        .with_context(|| format!("reading {}", readme_path.display()))?;
    let files = registrations(&goker)?;
    let readme = readme_types(&readme);
    let cases = goker_cases(&test_src)?;

    let mut out = Vec::new();
    for case in cases {
        let Some(file) = files.get(&case.name) else {
            bail!(
                "{} is in gokerTestCases but no goker/*.go registers it",
                case.name
            );
        };
        // README keys follow the file name (the registered name of moby25384.go is
        // Moby25348, a typo upstream).
        let stem = file.trim_end_matches(".go").to_ascii_lowercase();
        let (ty, sub) = readme
            .get(&stem)
            .cloned()
            .ok_or_else(|| anyhow!("README.md has no entry for {} ({file})", case.name))?;
        let readme_class = BugClass::from_readme(&ty, &sub)
            .ok_or_else(|| anyhow!("{}: unknown README type {ty:?}/{sub:?}", case.name))?;
        let reading_note = READINGS.iter().find(|r| r.0 == case.name).map(|r| r.1);
        let (class, override_note) = match OVERRIDES.iter().find(|o| o.0 == case.name) {
            Some(&(_, c, why)) => (c, Some(why)),
            None => (readme_class, None),
        };
        let expected = case
            .regexes
            .iter()
            .map(|r| Regex::new(r).with_context(|| format!("{}: regex {r}", case.name)))
            .collect::<Result<Vec<_>>>()?;
        out.push(Kernel {
            name: case.name,
            file: file.clone(),
            flaky: case.flaky,
            upstream_excluded: case.commented,
            expected_src: case.regexes,
            expected,
            readme_type: format!("{}/{}", ty.trim(), sub.trim()),
            class,
            override_note,
            reading_note,
        });
    }
    // A renamed kernel must not silently lose its note.
    for name in OVERRIDES
        .iter()
        .map(|o| o.0)
        .chain(READINGS.iter().map(|r| r.0))
    {
        if !out.iter().any(|k| k.name == name) {
            bail!("{name} has a note in spec.rs but is not a GoKer kernel of this GOROOT");
        }
    }
    Ok(out)
}

/// `register("Name", ...)` calls in goker/*.go: name → file name.
fn registrations(goker: &Path) -> Result<BTreeMap<String, String>> {
    let re = Regex::new(r#"register\("(\w+)""#).unwrap();
    let mut map = BTreeMap::new();
    for entry in fs::read_dir(goker).with_context(|| format!("listing {}", goker.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if !name.ends_with(".go") || name.ends_with("_test.go") {
            continue;
        }
        let src = fs::read_to_string(&path)?;
        for c in re.captures_iter(&src) {
            map.insert(c[1].to_string(), name.clone());
        }
    }
    if map.is_empty() {
        bail!("no kernels registered under {}", goker.display());
    }
    Ok(map)
}

/// README sections `## Project/Number` followed by the table row
/// `|[id]|[pull request]|[patch]| Type | Sub-type |`: "projectnumber" → (type, sub-type).
fn readme_types(readme: &str) -> BTreeMap<String, (String, String)> {
    let mut map = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            current = Some(h.replace('/', "").trim().to_ascii_lowercase());
        } else if line.starts_with("|[") {
            if let Some(key) = current.take() {
                let cells: Vec<&str> = line.split('|').collect();
                if cells.len() >= 6 {
                    map.insert(key, (cells[4].to_string(), cells[5].to_string()));
                }
            }
        }
    }
    map
}

struct Case {
    name: String,
    flaky: bool,
    commented: bool,
    regexes: Vec<String>,
}

/// Parse `gokerTestCases := []testCase{ ... }`. Each entry is
/// `makeTest("Name", `re`, ...)` or `makeFlakyTest(...)`; one is commented out
/// (`// makeTest(testCase{name: "Kubernetes1321"}, ...)`). Regexes are Go raw
/// strings, so an entry runs up to the next `make…Test(`.
fn goker_cases(src: &str) -> Result<Vec<Case>> {
    let start = src
        .find("gokerTestCases := []testCase{")
        .ok_or_else(|| anyhow!("goroutineleakprofile_test.go: gokerTestCases not found"))?;
    let rest = &src[start..];
    let end = rest
        .find("\n\t}\n")
        .ok_or_else(|| anyhow!("goroutineleakprofile_test.go: end of gokerTestCases not found"))?;
    let block = &rest[..end];
    let head = Regex::new(r"make(Flaky)?Test\(").unwrap();
    let name_re = Regex::new(r#""(\w+)""#).unwrap();
    let raw_re = Regex::new(r"`([^`]*)`").unwrap();
    let starts: Vec<(usize, bool)> = head
        .captures_iter(block)
        .map(|c| (c.get(0).unwrap().start(), c.get(1).is_some()))
        .collect();
    let mut cases = Vec::new();
    for (i, &(at, flaky)) in starts.iter().enumerate() {
        let chunk_end = starts.get(i + 1).map_or(block.len(), |s| s.0);
        let chunk = &block[at..chunk_end];
        let line_start = block[..at].rfind('\n').map_or(0, |p| p + 1);
        let commented = block[line_start..at].trim_start().starts_with("//");
        let name = name_re
            .captures(chunk)
            .ok_or_else(|| anyhow!("gokerTestCases: entry without a name: {chunk}"))?[1]
            .to_string();
        // A commented-out entry ends at its closing `)`; prose comments after it
        // hold no raw strings, so collecting every raw string is safe.
        let regexes = raw_re
            .captures_iter(chunk)
            .map(|c| c[1].to_string())
            .collect();
        cases.push(Case {
            name,
            flaky,
            commented,
            regexes,
        });
    }
    if cases.is_empty() {
        bail!("gokerTestCases: no entries parsed");
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn victims_of_a_lock_bug_accept_their_own_primitive_kinds() {
        let k = accepted_kinds(BugClass::DoubleLocking, "sync.WaitGroup.Wait");
        assert!(k.contains("waitgroup-never-done"));
        assert!(k.contains("recursive-lock"));
        let k = accepted_kinds(BugClass::AbBa, "sync.Mutex.Lock");
        assert_eq!(k.into_iter().collect::<Vec<_>>(), vec!["lock-cycle"]);
    }

    #[test]
    fn commented_entries_and_flakiness_are_parsed() {
        let src = "gokerTestCases := []testCase{\n\t\tmakeFlakyTest(\"A1\",\n\t\t\t`a\\(.* \\[x\\]`,\n\t\t),\n\t\t// makeTest(testCase{name: \"B2\"},\n\t\t// \t`b.*`,\n\t\t// \t`c.*`),\n\t\tmakeTest(\"C3\", `c`),\n\t}\n";
        let cases = goker_cases(src).unwrap();
        assert_eq!(cases.len(), 3);
        assert!(cases[0].flaky && !cases[0].commented);
        assert_eq!(cases[1].name, "B2");
        assert!(cases[1].commented && !cases[1].flaky);
        assert_eq!(cases[1].regexes, vec!["b.*", "c.*"]);
        assert_eq!(cases[2].regexes, vec!["c"]);
    }
}

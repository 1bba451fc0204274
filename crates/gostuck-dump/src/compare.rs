//! Compares two dumps of the same process goroutine by goroutine: what
//! `gostuck attach` read against the runtime's own SIGQUIT dump, or a dump
//! against itself written and read back. The result is a readable list of
//! differences, empty when the dumps agree.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::{CreatedBy, Dump, Frame, Goroutine};
use crate::waitreason::WaitReason;

/// What must agree.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Names of the two dumps in the differences (`attach`, `SIGQUIT`).
    pub names: [String; 2],
    /// How far wait minutes may differ (a minute boundary can pass between
    /// two captures); a missing value counts as 0.
    pub minutes_slack: u32,
    /// Also compare what only a text round trip keeps: frame arguments and
    /// kinds, labels, elisions, ancestors, bubbles and every header flag.
    pub strict: bool,
}

impl Default for CompareOptions {
    fn default() -> CompareOptions {
        CompareOptions {
            names: ["first".into(), "second".into()],
            minutes_slack: 0,
            strict: false,
        }
    }
}

/// The differences found, in goroutine ID order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// One readable sentence per difference.
    pub differences: Vec<String>,
    /// Goroutines found in both dumps.
    pub matched: usize,
}

impl Diff {
    /// Whether the dumps agree.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.differences.is_empty() {
            return write!(f, "{} goroutines agree", self.matched);
        }
        writeln!(
            f,
            "{} differences ({} goroutines in both):",
            self.differences.len(),
            self.matched
        )?;
        for d in &self.differences {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

/// Compares `a` and `b` goroutine by goroutine (matched by ID): the same IDs,
/// states, wait reasons, wait minutes (within the slack), locked-to-thread
/// and leaked flags, creators and frames (function, file, line). A goroutine
/// running in either dump is only required to exist in both: its stack and
/// state are a moment's, not the same moment's.
#[must_use]
pub fn compare(a: &Dump, b: &Dump, opts: &CompareOptions) -> Diff {
    let mut diff = Diff::default();
    let [na, nb] = &opts.names;
    let (ia, ib) = (by_id(a, na, &mut diff), by_id(b, nb, &mut diff));
    for (id, ga) in &ia {
        match ib.get(id) {
            None => diff.differences.push(format!(
                "goroutine {id} [{}] is only in {na}",
                a.str(ga.state)
            )),
            Some(gb) => {
                diff.matched += 1;
                let mut c = Cmp {
                    a,
                    b,
                    opts,
                    id: *id,
                    out: &mut diff.differences,
                };
                c.goroutine(ga, gb);
            }
        }
    }
    for (id, gb) in &ib {
        if !ia.contains_key(id) {
            diff.differences.push(format!(
                "goroutine {id} [{}] is only in {nb}",
                b.str(gb.state)
            ));
        }
    }
    diff
}

fn by_id<'d>(d: &'d Dump, name: &str, diff: &mut Diff) -> BTreeMap<u64, &'d Goroutine> {
    let mut m = BTreeMap::new();
    let without = d.goroutines.iter().filter(|g| g.id.is_none()).count();
    if without > 0 {
        diff.differences.push(format!(
            "{name} has {without} records without a goroutine ID (a pprof profile): they cannot be compared"
        ));
    }
    for g in &d.goroutines {
        if let Some(id) = g.id {
            if m.insert(id, g).is_some() {
                diff.differences
                    .push(format!("{name} holds goroutine {id} twice"));
            }
        }
    }
    m
}

struct Cmp<'a> {
    a: &'a Dump,
    b: &'a Dump,
    opts: &'a CompareOptions,
    id: u64,
    out: &'a mut Vec<String>,
}

impl Cmp<'_> {
    fn differ(&mut self, what: &str, va: impl fmt::Display, vb: impl fmt::Display) {
        let [na, nb] = &self.opts.names;
        self.out.push(format!(
            "goroutine {}: {what}: {na} has {va}, {nb} has {vb}",
            self.id
        ));
    }

    fn check<T: PartialEq + fmt::Debug>(&mut self, what: &str, va: T, vb: T) {
        if va != vb {
            self.differ(what, format!("{va:?}"), format!("{vb:?}"));
        }
    }

    fn goroutine(&mut self, ga: &Goroutine, gb: &Goroutine) {
        let running = |g: &Goroutine| g.wait_reason == WaitReason::Running;
        if running(ga) || running(gb) {
            return;
        }
        let (a, b) = (self.a, self.b);
        self.check("state", a.str(ga.state), b.str(gb.state));
        self.check("wait reason", ga.wait_reason, gb.wait_reason);
        let (ma, mb) = (ga.wait_minutes.unwrap_or(0), gb.wait_minutes.unwrap_or(0));
        if ma.abs_diff(mb) > self.opts.minutes_slack {
            self.differ("wait minutes", ma, mb);
        }
        self.check(
            "locked to thread",
            ga.flags.locked_to_thread,
            gb.flags.locked_to_thread,
        );
        self.check("leaked", ga.flags.leaked, gb.flags.leaked);
        self.created_by("creator", ga.created_by.as_ref(), gb.created_by.as_ref());
        self.frames("", &ga.frames, &gb.frames);
        if self.opts.strict {
            self.strict(ga, gb);
        }
    }

    fn strict(&mut self, ga: &Goroutine, gb: &Goroutine) {
        let (a, b) = (self.a, self.b);
        self.check("flags", ga.flags, gb.flags);
        self.check("bubble", ga.bubble, gb.bubble);
        self.check("elided", ga.elided, gb.elided);
        let labels = |d: &Dump, g: &Goroutine| -> Vec<(String, String)> {
            let s = |x| d.str(x).to_owned();
            g.labels.iter().map(|&(k, v)| (s(k), s(v))).collect()
        };
        self.check("labels", labels(a, ga), labels(b, gb));
        self.check("ancestors", ga.ancestors.len(), gb.ancestors.len());
        for (x, y) in ga.ancestors.iter().zip(&gb.ancestors) {
            self.check("ancestor", x.id, y.id);
            let what = format!("ancestor {}: ", x.id);
            self.frames(&what, &x.frames, &y.frames);
            self.created_by(
                &format!("{what}creator"),
                x.created_by.as_ref(),
                y.created_by.as_ref(),
            );
        }
    }

    fn created_by(&mut self, what: &str, ca: Option<&CreatedBy>, cb: Option<&CreatedBy>) {
        let show = |d: &Dump, c: Option<&CreatedBy>| match c {
            None => "none".to_owned(),
            Some(c) => {
                let parent = c.parent.map(|p| format!(" in goroutine {p}"));
                format!(
                    "{}{} at {}:{}",
                    d.str(c.function),
                    parent.unwrap_or_default(),
                    d.str(c.file),
                    c.line
                )
            }
        };
        let (sa, sb) = (show(self.a, ca), show(self.b, cb));
        if sa != sb {
            self.differ(what, sa, sb);
        }
    }

    fn frames(&mut self, what: &str, fa: &[Frame], fb: &[Frame]) {
        for (i, (x, y)) in fa.iter().zip(fb).enumerate() {
            let (sx, sy) = (self.frame(self.a, x), self.frame(self.b, y));
            if sx != sy {
                self.differ(&format!("{what}frame {i}"), sx, sy);
                return;
            }
        }
        if fa.len() != fb.len() {
            let extra = |d: &Dump, f: &[Frame]| match f.get(fa.len().min(fb.len())) {
                Some(f) => format!(" (then {})", d.str(f.function)),
                None => String::new(),
            };
            let (ea, eb) = (extra(self.a, fa), extra(self.b, fb));
            self.differ(
                &format!("{what}frame count"),
                format!("{}{ea}", fa.len()),
                format!("{}{eb}", fb.len()),
            );
        }
    }

    fn frame(&self, d: &Dump, f: &Frame) -> String {
        let mut s = format!("{} at {}:{}", d.str(f.function), d.str(f.file), f.line);
        if self.opts.strict {
            s.push_str(&format!(" ({}) {:?}", d.str(f.args), f.kind));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Stack;

    /// A real SIGQUIT dump of a stuck pipeline (scripts/capture.sh).
    fn sigquit() -> Dump {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captured/go1.27.3/sigquit-all.txt"
        );
        crate::read_bytes(&std::fs::read(p).unwrap(), &Default::default())
            .unwrap()
            .remove(0)
    }

    fn through_writer(d: &Dump) -> Dump {
        let text = crate::traceback_string(d).unwrap();
        crate::read_bytes(text.as_bytes(), &Default::default())
            .unwrap()
            .remove(0)
    }

    fn opts() -> CompareOptions {
        CompareOptions {
            names: ["attach".into(), "SIGQUIT".into()],
            minutes_slack: 1,
            strict: false,
        }
    }

    /// The index of the goroutine with the given ID.
    fn at(d: &Dump, id: u64) -> usize {
        d.goroutines.iter().position(|g| g.id == Some(id)).unwrap()
    }

    #[test]
    fn a_dump_equals_itself_through_the_writer() {
        let d = sigquit();
        let diff = compare(&d, &through_writer(&d), &opts());
        assert!(diff.is_empty(), "{diff}");
        assert_eq!(diff.matched, d.goroutines.len());
        assert!(diff.to_string().ends_with("goroutines agree"));
    }

    #[test]
    fn one_changed_frame_line_is_named() {
        let d = sigquit();
        let mut other = through_writer(&d);
        let i = at(&other, 1);
        let mut frames = other.goroutines[i].frames.to_vec();
        let last = frames
            .iter()
            .position(|f| other.strings.resolve(f.function) == "main.main")
            .unwrap();
        let was = frames[last].line;
        frames[last].line += 1;
        other.goroutines[i].frames = Stack::from(frames);
        let diff = compare(&d, &other, &opts());
        assert_eq!(diff.differences.len(), 1, "{diff}");
        let s = &diff.differences[0];
        assert!(
            s.starts_with(&format!(
                "goroutine 1: frame {last}: attach has main.main at "
            )),
            "{s}"
        );
        assert!(
            s.contains(&format!("main.go:{was}, SIGQUIT has main.main at ")),
            "{s}"
        );
        assert!(s.ends_with(&format!("main.go:{}", was + 1)), "{s}");
    }

    #[test]
    fn minutes_states_creators_and_missing_goroutines_are_named() {
        let d = sigquit();
        let mut other = through_writer(&d);
        let user: Vec<u64> = d
            .goroutines
            .iter()
            .filter(|g| {
                g.created_by
                    .is_some_and(|c| d.str(c.function) == "main.main")
            })
            .filter_map(|g| g.id)
            .collect();
        assert!(user.len() >= 3, "{user:?}");
        // One minute apart is within the slack, two are not.
        let (a, b, c) = (
            at(&other, user[0]),
            at(&other, user[1]),
            at(&other, user[2]),
        );
        other.goroutines[a].wait_minutes = Some(1);
        assert!(compare(&d, &other, &opts()).is_empty());
        other.goroutines[a].wait_minutes = Some(2);
        other.goroutines[b].state = other.strings.intern("select");
        other.goroutines[b].wait_reason = WaitReason::Select;
        if let Some(cb) = other.goroutines[c].created_by.as_mut() {
            cb.parent = Some(99);
        }
        let gone = other.goroutines.remove(at(&other, 1));
        let diff = compare(&d, &other, &opts());
        let text = diff.to_string();
        assert!(
            text.contains(&format!(
                "goroutine {}: wait minutes: attach has 0, SIGQUIT has 2",
                user[0]
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("goroutine {}: state: attach has \"", user[1])),
            "{text}"
        );
        assert!(
            text.contains(&format!("goroutine {}: wait reason: ", user[1])),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "goroutine {}: creator: attach has main.main in goroutine 1 at ",
                user[2]
            )),
            "{text}"
        );
        assert!(text.contains("in goroutine 99 at "), "{text}");
        assert!(
            text.contains(&format!(
                "goroutine 1 [{}] is only in attach",
                d.str(gone.state)
            )),
            "{text}"
        );
        assert_eq!(diff.differences.len(), 5, "{text}");
    }

    #[test]
    fn running_goroutines_need_only_exist_in_both() {
        let d = sigquit();
        let mut other = through_writer(&d);
        let i = at(&other, 1);
        other.goroutines[i].state = other.strings.intern("running");
        other.goroutines[i].wait_reason = WaitReason::Running;
        other.goroutines[i].frames = Stack::default();
        assert!(compare(&d, &other, &opts()).is_empty());
    }
}

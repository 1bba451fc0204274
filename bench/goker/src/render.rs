//! The terminal table and `docs/goker-results.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::score::{Miss, Score};
use crate::{KernelResult, Results, RunResult};

/// Which report of a run.
#[derive(Clone, Copy)]
pub enum Input {
    /// The dump without leak marks.
    Plain,
    /// The goroutineleak profile.
    Leak,
    /// Another capture way of the same instant (`crate::WAYS`).
    Way(&'static str),
}

impl Input {
    fn of(self, r: &RunResult) -> Option<&Score> {
        match self {
            Input::Plain => r.plain.as_ref(),
            Input::Leak => r.leak.as_ref(),
            Input::Way(w) => r.ways.get(w),
        }
    }

    /// Every input a run may have been scored on, with its title.
    fn all() -> Vec<(&'static str, Input)> {
        let mut v = vec![("plain dump", Input::Plain), ("leak profile", Input::Leak)];
        v.extend(crate::WAYS.iter().map(|(w, _)| (*w, Input::Way(w))));
        v
    }
}

/// Per-kernel aggregate over runs, for one input.
#[derive(Default)]
pub struct Agg {
    /// Runs that manifested and were scored.
    pub manifested: usize,
    /// Of those: detected, classified, located.
    pub det: usize,
    /// Classified.
    pub cls: usize,
    /// Located.
    pub loc: usize,
    /// False findings over all scored runs.
    pub false_findings: usize,
    /// Their kinds.
    pub false_kinds: Vec<String>,
    /// Most frequent first miss and in how many runs.
    pub miss: Option<(Miss, usize)>,
    /// Location gaps (even where an earlier criterion failed), most frequent.
    pub gaps: Option<(String, usize)>,
}

/// Aggregate one kernel.
pub fn agg(k: &KernelResult, input: Input) -> Agg {
    let mut a = Agg::default();
    let mut misses: BTreeMap<Miss, usize> = BTreeMap::new();
    let mut gaps: BTreeMap<String, usize> = BTreeMap::new();
    for r in &k.runs {
        let Some(s) = input.of(r) else { continue };
        a.false_findings += s.false_findings;
        for fk in &s.false_kinds {
            if !a.false_kinds.contains(fk) {
                a.false_kinds.push(fk.clone());
            }
        }
        if !r.manifested {
            continue;
        }
        a.manifested += 1;
        a.det += usize::from(s.detected);
        a.cls += usize::from(s.classified);
        a.loc += usize::from(s.located);
        if let Some(m) = &s.miss {
            *misses.entry(m.clone()).or_default() += 1;
        }
        if !s.location_gaps.is_empty() {
            *gaps.entry(s.location_gaps.join("; ")).or_default() += 1;
        }
    }
    a.miss = misses.into_iter().max_by_key(|(_, n)| *n);
    a.gaps = gaps.into_iter().max_by_key(|(_, n)| *n);
    a
}

fn frac(n: usize, of: usize) -> String {
    if of == 0 {
        "-".into()
    } else {
        format!("{n}/{of}")
    }
}

fn miss_text(a: &Agg) -> String {
    match &a.miss {
        None => String::new(),
        Some((m, n)) => {
            let mut s = m.category.clone();
            if !m.detail.is_empty() {
                s.push_str(": ");
                s.push_str(&m.detail);
            }
            if *n < a.manifested {
                s.push_str(&format!(" ({n}/{} runs)", a.manifested));
            }
            s
        }
    }
}

/// One line of progress for a run.
pub fn progress(r: &RunResult) -> String {
    if let Some(e) = &r.error {
        return format!("ERROR {e}");
    }
    let mark = |s: Option<&Score>| match s {
        None => "-".to_string(),
        Some(s) => format!(
            "{}{}{} {}f{}",
            if s.detected { 'D' } else { '.' },
            if s.classified { 'C' } else { '.' },
            if s.located { 'L' } else { '.' },
            s.findings,
            if s.false_findings > 0 {
                format!(" {}FP", s.false_findings)
            } else {
                String::new()
            }
        ),
    };
    let mut ways = String::new();
    for (w, sc) in &r.ways {
        let _ = write!(ways, " | {w} {}", mark(Some(sc)));
    }
    format!(
        "{} ({} bug / {} leaked / {} goroutines) plain {} | leak {}{ways}",
        if r.manifested {
            "manifested"
        } else {
            "not manifested"
        },
        r.bug,
        r.leaked,
        r.goroutines,
        mark(r.plain.as_ref()),
        mark(r.leak.as_ref())
    )
}

fn class_cell(k: &KernelResult) -> String {
    if k.override_note.is_some() {
        format!("{}*", k.class)
    } else {
        k.class.clone()
    }
}

/// Totals for one input.
struct Totals {
    det: usize,
    det_some: usize,
    cls: usize,
    loc: usize,
    runs_det: usize,
    runs_cls: usize,
    runs_loc: usize,
    runs_man: usize,
    false_findings: usize,
    false_kernels: usize,
}

fn totals(res: &Results, input: Input) -> Totals {
    let mut t = Totals {
        det: 0,
        det_some: 0,
        cls: 0,
        loc: 0,
        runs_det: 0,
        runs_cls: 0,
        runs_loc: 0,
        runs_man: 0,
        false_findings: 0,
        false_kernels: 0,
    };
    for k in &res.kernels {
        let a = agg(k, input);
        t.false_findings += a.false_findings;
        t.false_kernels += usize::from(a.false_findings > 0);
        if a.manifested == 0 {
            continue;
        }
        t.det += usize::from(a.det == a.manifested);
        t.det_some += usize::from(a.det > 0);
        t.cls += usize::from(a.cls == a.manifested);
        t.loc += usize::from(a.loc == a.manifested);
        t.runs_det += a.det;
        t.runs_cls += a.cls;
        t.runs_loc += a.loc;
        t.runs_man += a.manifested;
    }
    t
}

fn manifested_kernels(res: &Results) -> usize {
    res.kernels
        .iter()
        .filter(|k| k.runs.iter().any(|r| r.manifested))
        .count()
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n - 1).collect();
        format!("{t}…")
    }
}

/// The terminal table.
pub fn table(res: &Results) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<16} {:<18} {:>5} | {:>5} {:>5} {:>5} {:>3} | {:>5} {:>5} {:>5} {:>3} | miss (plain dump)",
        "kernel", "type", "man", "det", "cls", "loc", "fp", "det", "cls", "loc", "fp"
    );
    let _ = writeln!(
        o,
        "{:<41} | {:^23} | {:^23} |",
        "", "plain dump", "leak profile"
    );
    for k in &res.kernels {
        let p = agg(k, Input::Plain);
        let l = agg(k, Input::Leak);
        let man = k.runs.iter().filter(|r| r.manifested).count();
        let errs = k.runs.iter().filter(|r| r.error.is_some()).count();
        let mut miss = miss_text(&p);
        if man == 0 {
            miss = if errs > 0 {
                format!("{errs} run error(s)")
            } else {
                "never manifested".into()
            };
        }
        let _ = writeln!(
            o,
            "{:<16} {:<18} {:>5} | {:>5} {:>5} {:>5} {:>3} | {:>5} {:>5} {:>5} {:>3} | {}",
            k.name,
            class_cell(k),
            frac(man, k.runs.len()),
            frac(p.det, p.manifested),
            frac(p.cls, p.manifested),
            frac(p.loc, p.manifested),
            p.false_findings,
            frac(l.det, l.manifested),
            frac(l.cls, l.manifested),
            frac(l.loc, l.manifested),
            l.false_findings,
            truncate(&miss, 110)
        );
    }
    let m = manifested_kernels(res);
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "kernels: {} ({} runs each), manifested in at least one run: {m}",
        res.kernels.len(),
        res.runs
    );
    for (name, input) in Input::all() {
        let t = totals(res, input);
        if t.runs_man == 0 && t.false_findings == 0 && !matches!(input, Input::Plain) {
            continue;
        }
        let _ = writeln!(
            o,
            "{name:<20}: detected {}/{m} (some runs {}), classified {}/{m}, located {}/{m}; runs: detected {}/{}, classified {}/{}, located {}/{}; false findings {} in {} kernels",
            t.det, t.det_some, t.cls, t.loc, t.runs_det, t.runs_man, t.runs_cls, t.runs_man, t.runs_loc, t.runs_man,
            t.false_findings, t.false_kernels
        );
    }
    if let Some(n) = &res.gostuck_note {
        let _ = writeln!(o, "note: {n}");
    }
    o
}

/// Whether any run was scored on this input.
fn scored(res: &Results, input: Input) -> bool {
    res.kernels
        .iter()
        .any(|k| k.runs.iter().any(|r| input.of(r).is_some()))
}

/// One cell of the per-way table: totals and manifested kernels to text.
type Cell = fn(&Totals, usize) -> String;

/// The same instant captured every way: one column per capture way.
fn ways_section(o: &mut String, res: &Results, m: usize) {
    let inputs: Vec<(&str, Input)> = Input::all()
        .into_iter()
        .filter(|(_, i)| scored(res, *i))
        .collect();
    if inputs.len() <= 2 {
        return;
    }
    let _ = writeln!(o, "## Per capture way\n");
    let _ = writeln!(
        o,
        "Each run captures one stuck instant every way a user could have: the kernel's \
         goroutineleak profile (debug=2) and the same text without the leak marks \
         (`runtime.Stack`), then, from `bench/goker/go/ways.go`, the goroutine profile at \
         debug=1 and debug=0, the goroutineleak profile at debug=1, and a SIGQUIT dump \
         (`GOTRACEBACK=all`). Profiles at debug=1/0 carry no goroutine IDs: there a finding \
         covers a bug goroutine by naming its blocking line as `blocked`.\n"
    );
    let _ = write!(o, "| |");
    for (t, _) in &inputs {
        let _ = write!(o, " {t} |");
    }
    let _ = write!(o, "\n|---|");
    for _ in &inputs {
        let _ = write!(o, "---|");
    }
    let _ = writeln!(o);
    let ts: Vec<Totals> = inputs.iter().map(|(_, i)| totals(res, *i)).collect();
    let rows: [(&str, Cell); 5] = [
        ("detected", |t, m| format!("{}/{m}", t.det)),
        ("classified", |t, m| format!("{}/{m}", t.cls)),
        ("located", |t, m| format!("{}/{m}", t.loc)),
        ("runs detected", |t, _| {
            format!("{}/{}", t.runs_det, t.runs_man)
        }),
        ("false findings", |t, _| {
            format!("{} in {} kernels", t.false_findings, t.false_kernels)
        }),
    ];
    for (name, cell) in rows {
        let _ = write!(o, "| {name} |");
        for t in &ts {
            let _ = write!(o, " {} |", cell(t, m));
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o);
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The totals table of `docs/goker-results.md`.
fn md_totals(o: &mut String, res: &Results, m: usize) {
    let _ = writeln!(o, "## Totals\n");
    let _ = writeln!(o, "Kernels that manifested in at least one run: **{m} of {}**. A kernel counts as detected / classified / located when every manifested run is.\n", res.kernels.len());
    let _ = writeln!(o, "| | plain dump | leak profile |\n|---|---|---|");
    let p = totals(res, Input::Plain);
    let l = totals(res, Input::Leak);
    let _ = writeln!(o, "| detected | {}/{m} | {}/{m} |", p.det, l.det);
    let _ = writeln!(
        o,
        "| detected in some runs | {}/{m} | {}/{m} |",
        p.det_some, l.det_some
    );
    let _ = writeln!(o, "| classified | {}/{m} | {}/{m} |", p.cls, l.cls);
    let _ = writeln!(o, "| located | {}/{m} | {}/{m} |", p.loc, l.loc);
    let _ = writeln!(
        o,
        "| runs detected | {}/{} | {}/{} |",
        p.runs_det, p.runs_man, l.runs_det, l.runs_man
    );
    let _ = writeln!(
        o,
        "| runs classified | {}/{} | {}/{} |",
        p.runs_cls, p.runs_man, l.runs_cls, l.runs_man
    );
    let _ = writeln!(
        o,
        "| runs located | {}/{} | {}/{} |",
        p.runs_loc, p.runs_man, l.runs_loc, l.runs_man
    );
    let _ = writeln!(
        o,
        "| false findings (all runs) | {} in {} kernels | {} in {} kernels |\n",
        p.false_findings, p.false_kernels, l.false_findings, l.false_kernels
    );
}

/// The per-kernel table.
fn md_per_kernel(o: &mut String, res: &Results) {
    let _ = writeln!(o, "## Per kernel\n");
    let _ = writeln!(o, "Cells are runs passing / runs manifested; `fp` = false findings summed over all runs; `*` = class differs from the README's (see notes).\n");
    let _ = writeln!(o, "| kernel | type | manifested | det | cls | loc | fp | leak: det | cls | loc | fp | miss (plain dump) | miss (leak profile) |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for k in &res.kernels {
        let pa = agg(k, Input::Plain);
        let la = agg(k, Input::Leak);
        let man = k.runs.iter().filter(|r| r.manifested).count();
        let (pm, lm) = if man == 0 {
            ("never manifested".to_string(), String::new())
        } else {
            let pm = miss_text(&pa);
            let lm = miss_text(&la);
            let lm = if lm == pm && !lm.is_empty() {
                "same".to_string()
            } else {
                lm
            };
            (pm, lm)
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            k.name,
            class_cell(k),
            frac(man, k.runs.len()),
            frac(pa.det, pa.manifested),
            frac(pa.cls, pa.manifested),
            frac(pa.loc, pa.manifested),
            pa.false_findings,
            frac(la.det, la.manifested),
            frac(la.cls, la.manifested),
            frac(la.loc, la.manifested),
            la.false_findings,
            md_escape(&pm),
            md_escape(&lm)
        );
    }
}

/// Misses by reason, for each input.
fn md_misses(o: &mut String, res: &Results) {
    for (title, input) in Input::all() {
        if !scored(res, input) {
            continue;
        }
        let _ = writeln!(o, "\n## Misses by reason ({title})\n");
        let _ = writeln!(
            o,
            "First failed criterion, most frequent over the manifested runs.\n"
        );
        let mut by_cat: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for k in &res.kernels {
            let a = agg(k, input);
            if let Some((miss, n)) = &a.miss {
                let line = format!(
                    "{} ({}, {n}/{} runs){}",
                    k.name,
                    k.class,
                    a.manifested,
                    if miss.detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", miss.detail)
                    }
                );
                by_cat.entry(miss.category.clone()).or_default().push(line);
            }
        }
        if by_cat.is_empty() {
            let _ = writeln!(o, "None.");
        }
        for (cat, lines) in by_cat {
            let _ = writeln!(o, "### {cat} ({} kernels)\n", lines.len());
            for l in lines {
                let _ = writeln!(o, "- {}", md_escape(&l));
            }
            let _ = writeln!(o);
        }
    }
}

/// `docs/goker-results.md`.
pub fn markdown(res: &Results) -> String {
    let mut o = String::new();
    let m = manifested_kernels(res);
    let _ = writeln!(o, "# gostuck on GoKer\n");
    let _ = writeln!(
        o,
        "Generated by `{}` ({}, gostuck {}, {} kernels × {} runs, {} s). \
         Rules: [`bench/goker/README.md`](../bench/goker/README.md). \
         Raw per-run scores, dumps and reports: `target/goker/`.\n",
        res.command,
        res.go,
        res.gostuck_version,
        res.kernels.len(),
        res.runs,
        res.seconds
    );
    if let Some(n) = &res.gostuck_note {
        let _ = writeln!(o, "> **Note:** {n}\n");
    }
    md_totals(&mut o, res, m);
    ways_section(&mut o, res, m);

    md_per_kernel(&mut o, res);

    md_misses(&mut o, res);

    let _ = writeln!(o, "\n## Location gaps (plain dump)\n");
    let _ = writeln!(o, "Blocking lines and held-lock acquisitions not named by the findings covering the goroutine, also where detection or classification failed first.\n");
    let mut any = false;
    for k in &res.kernels {
        let a = agg(k, Input::Plain);
        if let Some((g, n)) = &a.gaps {
            any = true;
            let _ = writeln!(
                o,
                "- {} ({n}/{} runs): {}",
                k.name,
                a.manifested,
                md_escape(g)
            );
        }
    }
    if !any {
        let _ = writeln!(o, "None.");
    }

    let _ = writeln!(o, "\n## False findings\n");
    let mut any = false;
    for k in &res.kernels {
        let p = agg(k, Input::Plain);
        let l = agg(k, Input::Leak);
        if p.false_findings + l.false_findings > 0 {
            any = true;
            let _ = writeln!(
                o,
                "- {}: plain {} ({}), leak {} ({})",
                k.name,
                p.false_findings,
                p.false_kinds.join(", "),
                l.false_findings,
                l.false_kinds.join(", ")
            );
        }
    }
    if !any {
        let _ = writeln!(o, "None.");
    }

    let _ = writeln!(o, "\n## Never manifested (not counted as misses)\n");
    let never: Vec<&KernelResult> = res
        .kernels
        .iter()
        .filter(|k| !k.runs.iter().any(|r| r.manifested))
        .collect();
    if never.is_empty() {
        let _ = writeln!(o, "None.");
    }
    for k in never {
        let errs: Vec<String> = k.runs.iter().filter_map(|r| r.error.clone()).collect();
        let leaked: Vec<String> = k.runs.iter().map(|r| r.leaked.to_string()).collect();
        let _ = writeln!(
            o,
            "- {} ({}): leaked goroutines per run {}{}",
            k.name,
            k.class,
            leaked.join(","),
            if errs.is_empty() {
                String::new()
            } else {
                format!("; errors: {}", md_escape(&errs.join("; ")))
            }
        );
    }

    let notes: Vec<&KernelResult> = res
        .kernels
        .iter()
        .filter(|k| k.override_note.is_some() || k.reading_note.is_some() || k.upstream_excluded)
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(o, "\n## Notes\n");
        for k in notes {
            if let Some(n) = &k.override_note {
                let _ = writeln!(o, "- {}: scored as {} — {n}.", k.name, k.class);
            }
            if let Some(n) = &k.reading_note {
                let _ = writeln!(
                    o,
                    "- {}: scored as {} (the README's class); {n}.",
                    k.name, k.class
                );
            }
            if k.upstream_excluded {
                let _ = writeln!(o, "- {}: commented out of `gokerTestCases` upstream (rare crash in the kernel); run anyway, its crashes are not harness errors.", k.name);
            }
        }
    }
    if !res.harness_errors.is_empty() {
        let _ = writeln!(o, "\n## Harness errors\n");
        for e in &res.harness_errors {
            let _ = writeln!(o, "- {}", md_escape(e));
        }
    }
    o
}

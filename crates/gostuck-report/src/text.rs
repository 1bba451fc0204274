//! The default text report: verdict first, then inputs, counts and groups.

use std::io::{self, Write};

use gostuck_engine::{CreatedByOut, FrameOut, GroupOut, Report, Verdict};

use crate::style::escape_controls as e;
use crate::{RenderOptions, Style};

const MAX_IDS: usize = 12;
const MAX_FRAMES: usize = 14;

pub(crate) fn render(r: &Report, opts: &RenderOptions, w: &mut dyn Write) -> io::Result<()> {
    let s = opts.style;
    let verdict = match r.verdict {
        Verdict::GlobalDeadlock => s.red("GLOBAL DEADLOCK"),
        Verdict::PartialDeadlock => s.red("PARTIAL DEADLOCK"),
        Verdict::GoroutineLeak => s.red("GOROUTINE LEAK"),
        Verdict::Stuck => s.red("STUCK"),
        Verdict::Healthy => s.green("HEALTHY"),
        Verdict::Unknown => s.bold("NO VERDICT"),
    };
    writeln!(w, "{verdict}  {}", e(&r.summary))?;
    writeln!(w)?;

    for i in &r.inputs {
        let mut facts = vec![i.format.to_string()];
        if let Some(p) = &i.profile {
            facts.push(format!("{p} profile"));
        }
        if let Some(v) = &i.go_version {
            facts.push(v.clone());
        }
        facts.push(format!(
            "{} goroutine{}",
            i.goroutines,
            plural(i.goroutines)
        ));
        writeln!(
            w,
            "{} {}  {}",
            s.bold("input"),
            e(&i.path),
            s.dim(&facts.join(" · "))
        )?;
        if let Some(sig) = &i.signal {
            writeln!(w, "  signal: {}", e(sig))?;
        }
        for p in &i.panics {
            writeln!(w, "  panic: {}", e(p))?;
        }
        if let Some(f) = &i.fatal_error {
            writeln!(w, "  fatal error: {}", e(f))?;
        }
        if !i.running_tests.is_empty() {
            writeln!(w, "  running tests: {}", e(&i.running_tests.join(", ")))?;
        }
        for warn in &i.warnings {
            writeln!(w, "  {} {}", s.yellow("warning:"), e(warn))?;
        }
        for note in &i.notes {
            writeln!(w, "  {} {}", s.dim("note:"), e(note))?;
        }
    }
    writeln!(w)?;

    let g = &r.goroutines;
    let states: Vec<String> = g
        .by_state
        .iter()
        .map(|sc| format!("{} {}", sc.count, sc.state))
        .collect();
    write!(
        w,
        "{} {} total, {} blocked",
        s.bold("goroutines"),
        g.total,
        g.blocked
    )?;
    if !states.is_empty() {
        write!(w, " ({})", e(&states.join(", ")))?;
    }
    writeln!(w, ", {} group{}", g.groups, plural(g.groups as u64))?;

    for f in &r.findings {
        writeln!(w)?;
        writeln!(
            w,
            "{} {} [{}] {}",
            s.red(&f.id),
            f.kind,
            format_conf(f.confidence),
            s.bold(&f.title)
        )?;
        writeln!(w, "  {}", e(&f.explanation))?;
        for sn in &f.snippets {
            let local = opts
                .read_from
                .get(&sn.file)
                .map(|l| s.dim(&format!(" (read from {})", e(l))))
                .unwrap_or_default();
            writeln!(
                w,
                "  {} {}:{}{local}",
                s.dim(&format!("{:>13}", sn.role)),
                s.cyan(&sn.file),
                sn.line
            )?;
            for (n, text) in &sn.lines {
                let mark = if *n == sn.line { ">" } else { " " };
                let body = format!("{mark} {n:>5} | {}", text.trim_end());
                writeln!(
                    w,
                    "                {}",
                    if *n == sn.line {
                        s.bold(&body)
                    } else {
                        s.dim(&body)
                    }
                )?;
            }
        }
        if f.snippets.is_empty() {
            for l in &f.locations {
                let g = l
                    .goroutine
                    .map(|g| format!(" (goroutine {g})"))
                    .unwrap_or_default();
                writeln!(
                    w,
                    "  {} {}:{} in {}{g}",
                    s.dim(&format!("{:>13}", l.role)),
                    s.cyan(&l.file),
                    l.line,
                    e(&l.function)
                )?;
            }
        }
        writeln!(w, "  {} {}", s.green("fix:"), e(&f.fix))?;
    }
    if let Some(why) = &r.why {
        render_why(why, opts, w)?;
    }

    for grp in &r.groups {
        writeln!(w)?;
        render_group(grp, r.inputs.len() > 1, opts, w)?;
    }
    Ok(())
}

/// `--why N`: the liveness model's account of one goroutine.
fn render_why(
    why: &gostuck_engine::Why,
    opts: &RenderOptions,
    w: &mut dyn Write,
) -> io::Result<()> {
    let s = opts.style;
    writeln!(w)?;
    writeln!(
        w,
        "{} goroutine {}: {}",
        s.bold("why"),
        why.goroutine,
        why.liveness
    )?;
    writeln!(w, "  it {}", why.waits_for)?;
    if let Some(f) = &why.finding {
        writeln!(w, "  explained by: {f}")?;
    }
    for c in &why.candidates {
        let ids: Vec<String> = c.goroutines.iter().map(u64::to_string).collect();
        let who = if ids.is_empty() {
            String::new()
        } else {
            let more = if c.count > ids.len() as u64 {
                " …"
            } else {
                ""
            };
            format!("goroutine{} {}{more} ", plural(c.count), ids.join(" "))
        };
        let verdict = if c.verdict == "ruled in" {
            s.green(c.verdict)
        } else {
            s.dim(c.verdict)
        };
        let func = if c.function.is_empty() {
            String::new()
        } else {
            format!("({}) ", c.function)
        };
        writeln!(w, "  {verdict:>9}  {who}{func}{}", c.reason)?;
    }
    Ok(())
}

fn format_conf(c: gostuck_engine::Confidence) -> &'static str {
    match c {
        gostuck_engine::Confidence::Certain => "certain",
        gostuck_engine::Confidence::Likely => "likely",
        gostuck_engine::Confidence::Possible => "possible",
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn render_group(
    grp: &GroupOut,
    show_input: bool,
    opts: &RenderOptions,
    w: &mut dyn Write,
) -> io::Result<()> {
    let s = opts.style;
    let mut head = format!("{}× [{}", grp.count, grp.state);
    if grp.state_inferred {
        head.push('?');
    }
    if let Some([lo, hi]) = grp.minutes {
        if lo == hi {
            head.push_str(&format!(", {hi} minutes"));
        } else {
            head.push_str(&format!(", {lo}–{hi} minutes"));
        }
    }
    if grp.leaked {
        head.push_str(", leaked");
    }
    match grp.locked_to_thread.len() {
        0 => {}
        n if n == grp.goroutines.len() => head.push_str(", locked to thread"),
        n => head.push_str(&format!(", {n} locked to thread")),
    }
    head.push(']');
    write!(w, "{}", s.bold(&head))?;
    if !grp.goroutines.is_empty() {
        let n = grp.goroutines.len();
        let word = if n == 1 { "goroutine" } else { "goroutines" };
        // Only the IDs shown are formatted (a group may have a million).
        let shown = if opts.verbose { n } else { n.min(MAX_IDS) };
        let ids: Vec<String> = grp.goroutines[..shown].iter().map(u64::to_string).collect();
        write!(w, " {word} {}", ids.join(" "))?;
        if shown < n {
            write!(w, " … +{} more", n - shown)?;
        }
    }
    if show_input {
        write!(w, " {}", s.dim(&format!("(input {})", grp.input + 1)))?;
    }
    writeln!(w)?;
    if !grp.labels.is_empty() {
        let l: Vec<String> = grp.labels.iter().map(|[k, v]| format!("{k}={v}")).collect();
        writeln!(w, "    labels: {}", e(&l.join(", ")))?;
    }
    let width = grp
        .frames
        .iter()
        .map(|f| f.function.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for line in fold_frames(&grp.frames, grp.user_frame, opts.verbose) {
        match line {
            Shown::Frame(i) => {
                let f = &grp.frames[i];
                let marker = if Some(i) == grp.user_frame {
                    "→"
                } else {
                    " "
                };
                let loc = format!("{}:{}", display_path(f), f.line);
                let loc = if f.std { s.dim(&loc) } else { s.cyan(&loc) };
                writeln!(w, "  {marker} {:<width$}  {loc}", e(&f.function))?;
            }
            Shown::Folded(n) => {
                writeln!(
                    w,
                    "    {}",
                    s.dim(&format!("… {n} runtime/stdlib frame{} …", plural(n as u64)))
                )?;
            }
            Shown::More(n) => writeln!(
                w,
                "    {}",
                s.dim(&format!("… {n} more frame{} …", plural(n as u64)))
            )?,
        }
    }
    if let Some(e) = &grp.elided {
        let what = match e.frames {
            Some(n) => format!(
                "… {n} frame{} elided by the runtime (mid-stack) …",
                plural(u64::from(n))
            ),
            None => "… additional frames elided by the runtime …".to_string(),
        };
        writeln!(w, "    {}", s.dim(&what))?;
    }
    if !grp.creators.is_empty() {
        return render_creators(grp, opts, w);
    }
    if let Some(c) = &grp.created_by {
        writeln!(w, "    {}", created_by_line(c, s))?;
    }
    Ok(())
}

fn created_by_line(c: &CreatedByOut, s: Style) -> String {
    let parent = c
        .goroutine
        .map(|g| format!(" in goroutine {g}"))
        .unwrap_or_default();
    format!(
        "created by {}{parent} at {}",
        e(&c.function),
        s.cyan(&format!("{}:{}", e(&c.file), c.line))
    )
}

/// Members created by different goroutines or `go` statements: each creator
/// with the members it created.
fn render_creators(grp: &GroupOut, opts: &RenderOptions, w: &mut dyn Write) -> io::Result<()> {
    const MAX_CREATORS: usize = 5;
    let shown = if opts.verbose {
        grp.creators.len()
    } else {
        grp.creators.len().min(MAX_CREATORS)
    };
    for c in &grp.creators[..shown] {
        let n = c.goroutines.len();
        let cap = if opts.verbose { n } else { MAX_IDS };
        let ids: Vec<String> = c.goroutines.iter().take(cap).map(u64::to_string).collect();
        let more = if n > MAX_IDS && !opts.verbose {
            format!(" … +{} more", n - MAX_IDS)
        } else {
            String::new()
        };
        writeln!(
            w,
            "    {}: goroutine{} {}{more}",
            created_by_line(&c.created_by, opts.style),
            plural(n as u64),
            ids.join(" ")
        )?;
    }
    if shown < grp.creators.len() {
        let rest = grp.creators.len() - shown;
        writeln!(
            w,
            "    {}",
            opts.style.dim(&format!(
                "… {rest} more creator{} (-v shows all)",
                plural(rest as u64)
            ))
        )?;
    }
    Ok(())
}

enum Shown {
    Frame(usize),
    Folded(usize),
    More(usize),
}

/// Folds runtime/stdlib runs: above the first user frame only the innermost
/// standard-library API the user called is kept (`sync.(*Mutex).Lock`);
/// below it, runs of two or more such frames collapse into one line.
fn fold_frames(frames: &[FrameOut], user: Option<usize>, verbose: bool) -> Vec<Shown> {
    if verbose {
        return (0..frames.len()).map(Shown::Frame).collect();
    }
    let mut out = Vec::new();
    let start = match user {
        Some(u) if u > 0 => {
            // The API frame: the last non-runtime frame above the user frame.
            let api = (0..u)
                .rev()
                .find(|&i| !is_runtime(&frames[i].function))
                .unwrap_or(u - 1);
            if api > 0 {
                out.push(Shown::Folded(api));
            }
            for i in api..u {
                out.push(Shown::Frame(i));
            }
            u
        }
        _ => 0,
    };
    let mut i = start;
    let mut shown = 0;
    while i < frames.len() {
        if shown >= MAX_FRAMES {
            out.push(Shown::More(frames.len() - i));
            break;
        }
        if frames[i].std && user.is_some() {
            let run = frames[i..].iter().take_while(|f| f.std).count();
            if run >= 2 {
                out.push(Shown::Folded(run));
                i += run;
                continue;
            }
        }
        out.push(Shown::Frame(i));
        shown += 1;
        i += 1;
    }
    out
}

fn is_runtime(f: &str) -> bool {
    f.starts_with("runtime.") || f.starts_with("internal/") || f == "panic"
}

/// Standard-library paths are shown from GOROOT/src on (`sync/mutex.go`): the
/// toolchain's install directory says nothing about the bug.
fn display_path(f: &FrameOut) -> &str {
    if f.std {
        if let Some(i) = f.file.rfind("/src/") {
            return &f.file[i + 5..];
        }
    }
    &f.file
}

//! The self-contained HTML report: one file with its CSS, JS and SVG inline
//! (embedded with `include_str!`, as inferno embeds its flame graph script),
//! that works from `file://`, offline, and shows the core facts without
//! JavaScript. Design notes: docs/html-report.md.
//!
//! Everything taken from the report is untrusted (a dump can name any
//! function or file): it is written only through [`esc`], into text or
//! quoted attributes, never into a URL, a script or a style. The page's
//! Content-Security-Policy allows only this file's own script and style, by
//! hash, so even a missed escape could not run a script.

mod graph;
mod timeline;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use base64::Engine as _;
use gostuck_engine::{Finding, FrameOut, GroupOut, InputSummary, Report, Snippet, Verdict};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Findings linked from the verdict banner; the rest are one link away.
const MAX_TOC: usize = 8;

/// Goroutine IDs shown per group before folding the rest.
const MAX_IDS: usize = 40;

/// A count (nodes, rows, characters) as a layout factor: exact, since a report
/// has far fewer than 2^32 of them (larger saturates).
pub(crate) fn layout_count(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Escapes text for HTML text and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a page.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-…'` of an inline script or style, for the CSP.
fn csp_hash(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The page's Content-Security-Policy: nothing loads, nothing runs but this
/// file's own style and script.
pub(crate) fn csp() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; base-uri 'none'; form-action 'none'",
        csp_hash(CSS),
        csp_hash(JS)
    )
}

/// Where each goroutine's group is (anchor `#g{index}`).
pub(crate) struct Index {
    by_goroutine: HashMap<u64, usize>,
}

impl Index {
    fn new(r: &Report) -> Index {
        let mut by_goroutine = HashMap::new();
        for (i, g) in r.groups.iter().enumerate() {
            for &id in &g.goroutines {
                by_goroutine.entry(id).or_insert(i);
            }
        }
        Index { by_goroutine }
    }

    /// The group of the first of `ids` that has one.
    pub(crate) fn group_of(&self, ids: &[u64]) -> Option<usize> {
        ids.iter().find_map(|id| self.by_goroutine.get(id).copied())
    }
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::GlobalDeadlock => "Global deadlock",
        Verdict::PartialDeadlock => "Partial deadlock",
        Verdict::GoroutineLeak => "Goroutine leak",
        Verdict::Stuck => "Stuck",
        Verdict::Healthy => "Healthy",
        Verdict::Unknown => "No verdict",
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    crate::count(n, one, many)
}

/// Writes the whole page.
pub(crate) fn write(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let idx = Index::new(r);
    let mut p = String::with_capacity(64 << 10);
    let _ = write!(
        p,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"generator\" content=\"gostuck {}\">\n\
         <title>gostuck: {} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&csp()),
        esc(r.tool.version),
        verdict_label(r.verdict),
        esc(&r.summary),
    );
    header(&mut p, r);
    findings(&mut p, r, &idx);
    timeline::section(&mut p, r, &idx);
    groups(&mut p, r);
    let _ = write!(
        p,
        "<footer>Made by gostuck {} from {}. This file is self-contained: no network, no external files.</footer>\n\
         <script>{JS}</script>\n</body>\n</html>\n",
        esc(r.tool.version),
        plural(r.inputs.len() as u64, "input", "inputs"),
    );
    w.write_all(p.as_bytes())
}

fn header(p: &mut String, r: &Report) {
    let _ = write!(
        p,
        "<header class=\"verdict v-{}\">\n<div class=\"wrap\">\n<p class=\"badge\">{}</p>\n<h1>{}</h1>\n<p class=\"counts\">",
        r.verdict.as_str(),
        verdict_label(r.verdict),
        esc(&r.summary)
    );
    let g = &r.goroutines;
    let _ = write!(
        p,
        "{} · {} blocked · {} · {}",
        plural(g.total, "goroutine", "goroutines"),
        g.blocked,
        plural(g.groups as u64, "group", "groups"),
        plural(r.findings.len() as u64, "finding", "findings"),
    );
    p.push_str("</p>\n");
    if !r.findings.is_empty() {
        p.push_str("<nav class=\"toc\" aria-label=\"Findings\"><ol>");
        for (i, f) in r.findings.iter().enumerate().take(MAX_TOC) {
            let _ = write!(
                p,
                "<li><a href=\"#finding-{i}\"><span class=\"fid\">{}</span> <span class=\"kind\">{}</span> {}</a></li>",
                esc(&f.id),
                esc(f.kind),
                esc(&f.title)
            );
        }
        if r.findings.len() > MAX_TOC {
            let _ = write!(
                p,
                "<li><a class=\"more\" href=\"#finding-{MAX_TOC}\">and {} more</a></li>",
                r.findings.len() - MAX_TOC
            );
        }
        p.push_str("</ol></nav>\n");
    }
    p.push_str("</div>\n</header>\n<main class=\"wrap\">\n");
    inputs(p, &r.inputs);
}

fn inputs(p: &mut String, inputs: &[InputSummary]) {
    p.push_str("<section class=\"inputs\" aria-label=\"Inputs\">\n");
    for i in inputs {
        let mut facts = vec![i.format.to_string()];
        facts.extend(i.profile.iter().map(|p| format!("{p} profile")));
        facts.extend(i.go_version.iter().cloned());
        facts.push(plural(i.goroutines, "goroutine", "goroutines"));
        let _ = write!(
            p,
            "<div class=\"input\"><code>{}</code> <span class=\"dim\">{}</span>",
            esc(&i.path),
            esc(&facts.join(" · "))
        );
        let mut lines: Vec<(&str, String)> = Vec::new();
        lines.extend(i.signal.iter().map(|s| ("signal", s.clone())));
        lines.extend(i.panics.iter().map(|s| ("panic", s.clone())));
        lines.extend(i.fatal_error.iter().map(|s| ("fatal error", s.clone())));
        if !i.running_tests.is_empty() {
            lines.push(("running tests", i.running_tests.join(", ")));
        }
        lines.extend(i.warnings.iter().map(|s| ("warning", s.clone())));
        lines.extend(i.notes.iter().map(|s| ("note", s.clone())));
        if !i.missing_source.is_empty() {
            lines.push(("source not found", i.missing_source.join(", ")));
        }
        if !lines.is_empty() {
            p.push_str("<ul>");
            for (k, v) in lines {
                let _ = write!(p, "<li><span class=\"k\">{k}:</span> {}</li>", esc(&v));
            }
            p.push_str("</ul>");
        }
        p.push_str("</div>\n");
    }
    p.push_str("</section>\n");
}

fn findings(p: &mut String, r: &Report, idx: &Index) {
    if r.findings.is_empty() {
        p.push_str("<section id=\"findings\"><p class=\"none\">No findings: nothing in the inputs is stuck in a way gostuck can name.</p></section>\n");
        return;
    }
    p.push_str("<section id=\"findings\" aria-label=\"Findings\">\n");
    for (i, f) in r.findings.iter().enumerate() {
        finding(p, r, f, i, idx);
    }
    p.push_str("</section>\n");
}

fn finding(p: &mut String, r: &Report, f: &Finding, i: usize, idx: &Index) {
    let _ = write!(
        p,
        "<article class=\"finding c-{conf}\" id=\"finding-{i}\">\n<h2><span class=\"fid\">{}</span> <span class=\"kind\">{}</span> <span class=\"conf\">{conf}</span> {}</h2>\n\
         <p class=\"explanation\">{}</p>\n<p class=\"fix\"><strong>Fix</strong> {}</p>\n",
        esc(&f.id),
        esc(f.kind),
        esc(&f.title),
        esc(&f.explanation),
        esc(&f.fix),
        conf = conf(f),
    );
    if let Some(svg) = graph::svg(r, f, i, idx) {
        let _ = writeln!(
            p,
            "<figure class=\"graph\">{svg}<figcaption>Wait-for graph: goroutines (boxes) wait on resources (pills); an arrow points to what can release the waiter. Click a goroutine to see its stack.</figcaption></figure>"
        );
    }
    if f.snippets.is_empty() {
        locations(p, f);
    } else {
        p.push_str("<div class=\"snippets\">");
        for s in &f.snippets {
            snippet(p, s);
        }
        p.push_str("</div>\n");
    }
    let mut links: Vec<usize> = f
        .goroutines
        .iter()
        .filter_map(|g| idx.group_of(std::slice::from_ref(g)))
        .collect();
    links.dedup();
    let mut seen = Vec::new();
    links.retain(|g| {
        let new = !seen.contains(g);
        seen.push(*g);
        new
    });
    let _ = write!(
        p,
        "<p class=\"who\">{}",
        plural(f.count, "goroutine", "goroutines")
    );
    if !links.is_empty() {
        p.push_str(" in ");
        for (n, g) in links.iter().enumerate() {
            if n > 0 {
                p.push_str(", ");
            }
            let grp = &r.groups[*g];
            let _ = write!(
                p,
                "<a href=\"#g{g}\">group #{} ({}, {})</a>",
                g + 1,
                plural(grp.count, "goroutine", "goroutines"),
                esc(&grp.state)
            );
        }
    }
    p.push_str("</p>\n</article>\n");
}

fn conf(f: &Finding) -> &'static str {
    match f.confidence {
        gostuck_engine::Confidence::Certain => "certain",
        gostuck_engine::Confidence::Likely => "likely",
        gostuck_engine::Confidence::Possible => "possible",
    }
}

fn locations(p: &mut String, f: &Finding) {
    if f.locations.is_empty() {
        return;
    }
    p.push_str("<ul class=\"locations\">");
    for l in &f.locations {
        let g = l
            .goroutine
            .map(|g| format!(" (goroutine {g})"))
            .unwrap_or_default();
        let _ = write!(
            p,
            "<li><span class=\"role r-{}\">{}</span> <code>{}:{}</code> in <code>{}</code>{g}</li>",
            esc(l.role),
            esc(l.role),
            esc(&l.file),
            l.line,
            esc(&l.function)
        );
    }
    p.push_str("</ul>\n");
}

fn snippet(p: &mut String, s: &Snippet) {
    let _ = write!(
        p,
        "<figure class=\"snippet\"><figcaption><span class=\"role r-{}\">{}</span> <code>{}:{}</code></figcaption><pre>",
        esc(s.role),
        esc(s.role),
        esc(&s.file),
        s.line
    );
    for (n, text) in &s.lines {
        let mark = if *n == s.line {
            format!(" class=\"mark r-{}\"", esc(s.role))
        } else {
            String::new()
        };
        let _ = write!(
            p,
            "<span{mark}><span class=\"ln\">{n}</span>{}\n</span>",
            esc(text.trim_end())
        );
    }
    p.push_str("</pre></figure>");
}

/// `net/http.(*conn).serve` → `net/http`; `main.main` → `main`.
pub(crate) fn package(function: &str) -> &str {
    let slash = function.rfind('/').map_or(0, |i| i + 1);
    match function[slash..].find('.') {
        Some(dot) => &function[..slash + dot],
        None => function,
    }
}

fn groups(p: &mut String, r: &Report) {
    let _ = write!(
        p,
        "<section id=\"groups\" aria-label=\"Goroutine groups\">\n<h2>Goroutines <span class=\"dim\">{} in {}</span></h2>\n\
         <form id=\"filters\" class=\"filters\" hidden>\
         <input type=\"search\" name=\"q\" placeholder=\"Search functions, files, states…\" aria-label=\"Search\">\
         <select name=\"state\" aria-label=\"State\"><option value=\"\">all states</option></select>\
         <select name=\"pkg\" aria-label=\"Package\"><option value=\"\">all packages</option></select>\
         <output name=\"shown\"></output></form>\n",
        plural(r.goroutines.total, "goroutine", "goroutines"),
        plural(r.groups.len() as u64, "group", "groups"),
    );
    for (i, g) in r.groups.iter().enumerate() {
        group(p, r, g, i);
    }
    p.push_str("</section>\n</main>\n");
}

fn group(p: &mut String, r: &Report, g: &GroupOut, i: usize) {
    let mut pkgs: Vec<&str> = g
        .frames
        .iter()
        .filter(|f| !f.std)
        .map(|f| package(&f.function))
        .collect();
    pkgs.sort_unstable();
    pkgs.dedup();
    let mut text = format!("{} ", g.state);
    for f in &g.frames {
        let _ = write!(text, "{} {}:{} ", f.function, f.file, f.line);
    }
    if let Some(c) = &g.created_by {
        let _ = write!(text, "{} {}:{}", c.function, c.file, c.line);
    }
    for [k, v] in &g.labels {
        let _ = write!(text, " {k}={v}");
    }
    let _ = write!(
        p,
        "<article class=\"group\" id=\"g{i}\" data-state=\"{}\" data-pkgs=\"{}\" data-text=\"{}\">\n<h3><a class=\"anchor\" href=\"#g{i}\">#{}</a> <span class=\"count\">{}×</span> <span class=\"state\">{}</span>",
        esc(&g.state),
        esc(&pkgs.join(" ")),
        esc(&text.to_lowercase()),
        i + 1,
        g.count,
        esc(&g.state),
    );
    if g.state_inferred {
        p.push_str(" <span class=\"tag\">state inferred</span>");
    }
    if g.leaked {
        p.push_str(" <span class=\"tag leaked\">leaked</span>");
    }
    if let Some([lo, hi]) = g.minutes {
        let m = if lo == hi {
            format!("{lo} min")
        } else {
            format!("{lo}–{hi} min")
        };
        let _ = write!(p, " <span class=\"minutes\">waiting {m}</span>");
    }
    if r.inputs.len() > 1 {
        if let Some(inp) = r.inputs.get(g.input) {
            let _ = write!(p, " <span class=\"dim\">{}</span>", esc(&inp.path));
        }
    }
    p.push_str("</h3>\n");
    if !g.goroutines.is_empty() {
        let shown: Vec<String> = g
            .goroutines
            .iter()
            .take(MAX_IDS)
            .map(u64::to_string)
            .collect();
        let more = g.goroutines.len().saturating_sub(MAX_IDS);
        let _ = writeln!(
            p,
            "<p class=\"ids\">goroutine{} {}{}</p>",
            if g.goroutines.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    if !g.labels.is_empty() {
        p.push_str("<p class=\"labels\">");
        for [k, v] in &g.labels {
            let _ = write!(p, "<code>{}={}</code> ", esc(k), esc(v));
        }
        p.push_str("</p>\n");
    }
    frames(p, &g.frames, g.user_frame);
    if let Some(c) = &g.created_by {
        let by = c
            .goroutine
            .map(|g| format!(" in goroutine {g}"))
            .unwrap_or_default();
        let _ = writeln!(
            p,
            "<p class=\"created\">created by <code>{}</code>{by} at <code>{}:{}</code></p>",
            esc(&c.function),
            esc(&c.file),
            c.line
        );
    }
    p.push_str("</article>\n");
}

/// The stack, innermost first: user frames shown, runs of runtime/stdlib
/// frames folded into a `<details>` (open it to see them).
fn frames(p: &mut String, frames: &[FrameOut], user: Option<usize>) {
    p.push_str("<div class=\"frames\">");
    let mut i = 0;
    while i < frames.len() {
        if frames[i].std {
            let run = frames[i..].iter().take_while(|f| f.std).count();
            let api = &frames[i + run - 1];
            let _ = write!(
                p,
                "<details><summary>{} <span class=\"dim\">· {}</span></summary>",
                plural(run as u64, "runtime/stdlib frame", "runtime/stdlib frames"),
                esc(&api.function)
            );
            for (k, f) in frames[i..i + run].iter().enumerate() {
                frame(p, f, user == Some(i + k));
            }
            p.push_str("</details>");
            i += run;
        } else {
            frame(p, &frames[i], user == Some(i));
            i += 1;
        }
    }
    p.push_str("</div>\n");
}

fn frame(p: &mut String, f: &FrameOut, first_user: bool) {
    let class = match (f.std, first_user) {
        (_, true) => "frame user first",
        (false, false) => "frame user",
        (true, false) => "frame std",
    };
    let _ = write!(
        p,
        "<div class=\"{class}\"><code class=\"fn\">{}</code> <code class=\"at\">{}:{}</code></div>",
        esc(&f.function),
        esc(display_path(f)),
        f.line
    );
}

/// Standard-library paths from GOROOT/src on: the toolchain's install
/// directory says nothing about the bug.
fn display_path(f: &FrameOut) -> &str {
    if f.std {
        if let Some(i) = f.file.rfind("/src/") {
            return &f.file[i + 5..];
        }
    }
    &f.file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_untrusted_text_is_inert() {
        assert_eq!(
            esc("\"><img src=x onerror='alert(1)'>&"),
            "&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;"
        );
        assert_eq!(esc("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
    }

    #[test]
    fn packages_are_read_from_go_function_names() {
        assert_eq!(package("main.main"), "main");
        assert_eq!(package("net/http.(*conn).serve"), "net/http");
        assert_eq!(
            package("gostuck.test/x/pkg.(*T).m.func1"),
            "gostuck.test/x/pkg"
        );
        assert_eq!(package("weird"), "weird");
    }

    #[test]
    fn the_policy_allows_exactly_the_embedded_script_and_style() {
        let c = csp();
        assert!(c.starts_with("default-src 'none'"));
        assert!(c.contains(&csp_hash(JS)) && c.contains(&csp_hash(CSS)));
        assert!(!c.contains("unsafe"));
    }
}

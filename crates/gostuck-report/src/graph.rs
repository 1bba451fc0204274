//! Markdown (with a Mermaid graph per finding, as rendered by GitHub) and
//! Graphviz DOT renderings of the wait-for graph.

use std::io::{self, Write};

use gostuck_engine::{Finding, Report, WaitEdge};

fn node_id(ids: &[u64], label: &str) -> String {
    if ids.is_empty() {
        let h: u64 = label.bytes().fold(1469598103934665603, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(1099511628211)
        });
        format!("n{h:x}")
    } else {
        format!(
            "g{}",
            ids.iter().map(u64::to_string).collect::<Vec<_>>().join("_")
        )
    }
}

/// Text safe inside a Mermaid `"…"` label.
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('|', "#124;")
}

fn relation_text(e: &WaitEdge) -> String {
    let r = e.resource.as_deref().unwrap_or("?");
    match e.relation {
        "holds" => format!("waits for {r} (held)"),
        "would-send" => format!("waits on {r} (would send)"),
        "would-receive" => format!("waits on {r} (would receive)"),
        _ => format!("waits on {r}"),
    }
}

/// Node labels: who, and where they are blocked (id, who, location).
fn node_labels(f: &Finding) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<(String, String, Option<String>)> = Vec::new();
    let mut add = |ids: &[u64], label: &str| {
        let id = node_id(ids, label);
        if out.iter().any(|(i, _, _)| *i == id) {
            return;
        }
        let at = f
            .locations
            .iter()
            .find(|l| l.role == "blocked" && l.goroutine.is_some_and(|g| ids.contains(&g)))
            .map(|l| {
                format!(
                    "{}:{}",
                    l.file.rsplit(['/', '\\']).next().unwrap_or(&l.file),
                    l.line
                )
            });
        out.push((id, label.to_string(), at));
    };
    for e in &f.edges {
        add(&e.from, &e.from_label);
        add(&e.to, &e.to_label);
    }
    out
}

pub(crate) fn markdown(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "# gostuck report\n")?;
    writeln!(w, "**Verdict: {}** — {}\n", r.verdict.as_str(), r.summary)?;
    writeln!(w, "| input | format | Go | goroutines | warnings |")?;
    writeln!(w, "|---|---|---|---|---|")?;
    for i in &r.inputs {
        writeln!(
            w,
            "| `{}` | {} | {} | {} | {} |",
            i.path,
            i.format,
            i.go_version.as_deref().unwrap_or("?"),
            i.goroutines,
            i.warnings.len()
        )?;
    }
    writeln!(w)?;
    for f in &r.findings {
        writeln!(
            w,
            "## {} `{}` ({}) — {}\n",
            f.id,
            f.kind,
            conf(f),
            md_escape(&f.title)
        )?;
        writeln!(w, "{}\n", md_escape(&f.explanation))?;
        if !f.edges.is_empty() || !f.locations.is_empty() {
            writeln!(w, "```mermaid\ngraph LR")?;
            if f.edges.is_empty() {
                // An orphaned wait: nobody on the other side.
                for l in f.locations.iter().filter(|l| l.role == "blocked") {
                    let ids: Vec<u64> = l.goroutine.into_iter().collect();
                    let who = l.goroutine.map_or_else(
                        || crate::count(f.count, "goroutine", "goroutines"),
                        |g| format!("goroutine {g}"),
                    );
                    let id = node_id(&ids, &format!("{who}{}", l.line));
                    let file = l.file.rsplit(['/', '\\']).next().unwrap_or(&l.file);
                    let res = f
                        .resources
                        .first()
                        .and_then(|r| r.name.clone())
                        .unwrap_or_else(|| "it".into());
                    writeln!(
                        w,
                        "  {id}[\"{}<br/>{}:{}\"] -- \"{}\" --> nobody((\"no live partner\"))",
                        mermaid_text(&who),
                        mermaid_text(file),
                        l.line,
                        mermaid_text(&format!("waits on {res}"))
                    )?;
                }
            } else {
                for (id, who, at) in node_labels(f) {
                    let at = at
                        .map(|a| format!("<br/>{}", mermaid_text(&a)))
                        .unwrap_or_default();
                    writeln!(w, "  {id}[\"{}{at}\"]", mermaid_text(&who))?;
                }
                for e in &f.edges {
                    writeln!(
                        w,
                        "  {} -- \"{}\" --> {}",
                        node_id(&e.from, &e.from_label),
                        mermaid_text(&relation_text(e)),
                        node_id(&e.to, &e.to_label)
                    )?;
                }
            }
            writeln!(w, "```\n")?;
        }
        if !f.locations.is_empty() {
            writeln!(w, "| role | goroutine | function | location |")?;
            writeln!(w, "|---|---|---|---|")?;
            for l in &f.locations {
                writeln!(
                    w,
                    "| {} | {} | `{}` | `{}:{}` |",
                    l.role,
                    l.goroutine
                        .map_or_else(|| "–".to_string(), |g| g.to_string()),
                    l.function,
                    l.file,
                    l.line
                )?;
            }
            writeln!(w)?;
        }
        writeln!(w, "**Fix:** {}\n", md_escape(&f.fix))?;
    }
    writeln!(w, "## Goroutine groups\n")?;
    writeln!(w, "| count | state | where | created by |")?;
    writeln!(w, "|---|---|---|---|")?;
    for g in &r.groups {
        let at = g
            .user_frame
            .or(if g.frames.is_empty() { None } else { Some(0) })
            .map(|i| &g.frames[i])
            .map_or_else(String::new, |f| {
                format!("`{}` `{}:{}`", f.function, f.file, f.line)
            });
        let created = g
            .created_by
            .as_ref()
            .map_or_else(String::new, |c| format!("`{}`", c.function));
        writeln!(w, "| {} | {} | {} | {} |", g.count, g.state, at, created)?;
    }
    Ok(())
}

fn conf(f: &Finding) -> &'static str {
    match f.confidence {
        gostuck_engine::Confidence::Certain => "certain",
        gostuck_engine::Confidence::Likely => "likely",
        gostuck_engine::Confidence::Possible => "possible",
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('<', "&lt;")
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub(crate) fn dot(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "digraph waitfor {{")?;
    writeln!(w, "  rankdir=LR;")?;
    writeln!(
        w,
        "  label=\"{}\";",
        dot_text(&format!("gostuck: {} — {}", r.verdict.as_str(), r.summary))
    )?;
    writeln!(w, "  node [shape=box, fontname=\"monospace\"];")?;
    for f in &r.findings {
        writeln!(w, "  subgraph cluster_{} {{", f.id)?;
        writeln!(
            w,
            "    label=\"{}\";",
            dot_text(&format!("{} {} ({}): {}", f.id, f.kind, conf(f), f.title))
        )?;
        if f.edges.is_empty() {
            let ids = &f.goroutines;
            let label = if ids.len() == 1 {
                format!("goroutine {}", ids[0])
            } else {
                crate::count(f.count, "goroutine", "goroutines")
            };
            let at = f
                .locations
                .iter()
                .find(|l| l.role == "blocked")
                .map(|l| format!("\\n{}:{}", dot_text(&l.file), l.line))
                .unwrap_or_default();
            let id = format!("{}_{}", f.id, node_id(ids, &label));
            writeln!(w, "    {id} [label=\"{}{at}\"];", dot_text(&label))?;
            writeln!(
                w,
                "    {}_nobody [label=\"no live partner\", shape=ellipse, style=dashed];",
                f.id
            )?;
            let res = f
                .resources
                .first()
                .and_then(|r| r.name.clone())
                .unwrap_or_default();
            writeln!(
                w,
                "    {id} -> {}_nobody [label=\"{}\"];",
                f.id,
                dot_text(&res)
            )?;
        } else {
            for (id, who, at) in node_labels(f) {
                let at = at
                    .map(|a| format!("\\n{}", dot_text(&a)))
                    .unwrap_or_default();
                writeln!(w, "    {}_{id} [label=\"{}{at}\"];", f.id, dot_text(&who))?;
            }

            for e in &f.edges {
                writeln!(
                    w,
                    "    {}_{} -> {}_{} [label=\"{}\"{}];",
                    f.id,
                    node_id(&e.from, &e.from_label),
                    f.id,
                    node_id(&e.to, &e.to_label),
                    dot_text(&relation_text(e)),
                    if e.relation == "holds" {
                        ", color=red"
                    } else {
                        ""
                    }
                )?;
            }
        }
        writeln!(w, "  }}")?;
    }
    writeln!(w, "}}")
}

//! With an execution trace among the inputs: a timeline of the goroutines in
//! the findings, as far as the report carries it. The report keeps, per
//! goroutine, its last unblock (by whom, when) and the moment it entered its
//! final state, not every running/runnable interval, so each row shows:
//! active (from its last unblock, or the trace's start) until it blocked,
//! then blocked (with the reason) until the trace ends.

use std::fmt::Write as _;

use gostuck_engine::{Report, TraceGoroutineOut, TraceOut};

use super::{esc, layout_count, Index};

/// Rows drawn per trace.
const MAX_ROWS: usize = 30;
const ROW_H: f64 = 26.0;
const LEFT: f64 = 150.0;
const WIDTH: f64 = 760.0;

/// Nanoseconds as a float, for display and layout only.
#[allow(
    clippy::cast_precision_loss,
    reason = "display only: above 2^53 ns (104 days) the lost digits are far below what is shown"
)]
fn ns_f64(ns: i64) -> f64 {
    ns as f64
}

fn ms(ns: i64) -> String {
    use gostuck_dump::human::{format_duration, from_ns, DurationStyle};
    format_duration(from_ns(ns), DurationStyle::Spaced)
}

/// Goroutines of the trace worth a row: those in findings first, else every
/// blocked one.
fn rows<'a>(r: &Report, t: &'a TraceOut) -> Vec<&'a TraceGoroutineOut> {
    let in_findings = |g: &TraceGoroutineOut| {
        r.findings
            .iter()
            .any(|f| f.goroutines.contains(&g.goroutine))
    };
    let mut rows: Vec<&TraceGoroutineOut> =
        t.goroutines.iter().filter(|g| in_findings(g)).collect();
    if rows.is_empty() {
        rows = t
            .goroutines
            .iter()
            .filter(|g| g.state == "waiting")
            .collect();
    }
    rows.truncate(MAX_ROWS);
    rows
}

pub(crate) fn section(p: &mut String, r: &Report, idx: &Index) {
    if r.trace.is_empty() {
        return;
    }
    p.push_str(
        "<section id=\"timeline\" aria-label=\"Trace timeline\">\n<h2>Execution trace</h2>\n",
    );
    for t in &r.trace {
        let path = r.inputs.get(t.input).map_or("", |i| i.path.as_str());
        let _ = writeln!(
            p,
            "<p class=\"dim\"><code>{}</code> · {} · {} events · {}</p>",
            esc(path),
            esc(&t.format),
            t.events,
            ms(t.duration_ns)
        );
        let rows = rows(r, t);
        if rows.is_empty() || t.duration_ns <= 0 {
            p.push_str("<p>No goroutine was blocked when the trace ended.</p>\n");
            continue;
        }
        svg(p, t, &rows, idx);
    }
    p.push_str("</section>\n");
}

fn svg(p: &mut String, t: &TraceOut, rows: &[&TraceGoroutineOut], idx: &Index) {
    let span = ns_f64(t.duration_ns);
    let x = |ns: i64| LEFT + (ns_f64(ns.clamp(0, t.duration_ns)) / span) * (WIDTH - LEFT - 10.0);
    let h = ROW_H * layout_count(rows.len()) + 30.0;
    let _ = write!(
        p,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" viewBox=\"0 0 {WIDTH} {h}\" width=\"{WIDTH}\" height=\"{h}\" role=\"img\" aria-label=\"Timeline\">"
    );
    for (k, g) in rows.iter().enumerate() {
        let y = 8.0 + ROW_H * layout_count(k);
        let label = format!("goroutine {}", g.goroutine);
        let link = idx.group_of(&[g.goroutine]);
        let name = format!(
            "<text class=\"tl-name\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 8.0,
            y + 13.0,
            esc(&label)
        );
        match link {
            Some(grp) => {
                let _ = write!(p, "<a href=\"#g{grp}\">{name}</a>");
            }
            None => p.push_str(&name),
        }
        let from = g.last_unblock.as_ref().map_or(0, |u| u.at_ns);
        let since = match &g.last_unblock {
            Some(u) => match u.by {
                Some(by) => format!("{} (unblocked by goroutine {by})", ms(from)),
                None => format!("{} (unblocked by the runtime)", ms(from)),
            },
            None => "the start of the trace".to_string(),
        };
        let _ = write!(
            p,
            "<rect class=\"tl-active\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"16\"><title>active from {since} to {}</title></rect>",
            x(from),
            (x(g.since_ns) - x(from)).max(1.0),
            ms(g.since_ns)
        );
        // The reason reads beside the tick, on whichever side has room.
        let (rx, anchor) = if x(g.since_ns) > WIDTH * 0.7 {
            (x(g.since_ns) - 4.0, "end")
        } else {
            (x(g.since_ns) + 4.0, "start")
        };
        let class = if g.state == "waiting" {
            "tl-blocked"
        } else {
            "tl-other"
        };
        let _ = write!(
            p,
            "<rect class=\"{class}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"16\"><title>{} ({}) from {}</title></rect>\
             <line class=\"tl-stuck\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text class=\"tl-reason\" x=\"{rx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            x(g.since_ns),
            (x(t.duration_ns) - x(g.since_ns)).max(1.0),
            esc(g.state),
            esc(&g.reason),
            ms(g.since_ns),
            x(g.since_ns),
            x(g.since_ns),
            y - 2.0,
            y + 18.0,
            y + 12.0,
            esc(&g.reason),
        );
    }
    let _ = writeln!(
        p,
        "<text class=\"tl-axis\" x=\"{LEFT}\" y=\"{:.1}\">0</text><text class=\"tl-axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text></svg>",
        h - 6.0,
        WIDTH - 10.0,
        h - 6.0,
        ms(t.duration_ns)
    );
    p.push_str("<p class=\"dim\">Grey: active since the goroutine was last unblocked (running or runnable; the report does not split the two). Red: blocked from the moment it got stuck (the tick) until the trace ended.</p>\n");
}

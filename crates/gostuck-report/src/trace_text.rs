//! The text of `gostuck trace`: the `gostuck.trace.v1` document laid out for
//! a reader (blocked goroutines first, then who unblocked whom, tasks and
//! regions, and with `all` every goroutine and the per-goroutine table).

use std::io::{self, Write};

use gostuck_engine::trace_doc::{
    is_stuck_reason, BlockedDoc, FrameDoc, GoroutineDoc, IntervalDoc, TraceDoc, NO_GOROUTINE,
};

use crate::count;

fn dur(ns: i64) -> String {
    use gostuck_dump::human::{format_duration, from_ns, DurationStyle};
    format_duration(from_ns(ns), DurationStyle::Trace)
}

fn at(f: &FrameDoc) -> String {
    format!(
        "{} ({}:{})",
        f.function,
        gostuck_engine::short_path(&f.file),
        f.line
    )
}

fn who(g: i64) -> String {
    if g == NO_GOROUTINE {
        "the runtime".into()
    } else {
        format!("goroutine {g}")
    }
}

fn ids(v: &[i64], max: usize) -> String {
    let mut s: Vec<String> = v.iter().take(max).map(|i| i.to_string()).collect();
    if v.len() > max {
        s.push(format!("… {} more", v.len() - max));
    }
    s.join(", ")
}

const MAX_DETAILED: usize = 20;

/// Writes the text of `d`; `all`: every goroutine, not only the blocked
/// ones, and the per-goroutine table.
pub fn trace_text(w: &mut dyn Write, d: &TraceDoc, all: bool) -> io::Result<()> {
    let users = d.goroutines.iter().filter(|g| !g.system).count();
    writeln!(
        w,
        "trace {} ({}): {} over {}, {} ({users} user)",
        d.path,
        d.format,
        count(d.events, "event", "events"),
        dur(d.duration_ns),
        count(d.goroutines.len() as u64, "goroutine", "goroutines"),
    )?;
    if let Some(e) = &d.error {
        writeln!(w, "warning: the trace could not be read to the end; the events before this error are analysed: {e}")?;
    }

    blocked_text(w, d)?;

    // Goroutine details: blocked user goroutines, or every goroutine with --goroutines.
    let detailed: Vec<&GoroutineDoc> = d
        .goroutines
        .iter()
        .filter(|g| {
            if all {
                g.state != "unknown" || g.total_ns > 0
            } else {
                !g.system && g.state == "waiting"
            }
        })
        .collect();
    if !detailed.is_empty() {
        writeln!(
            w,
            "\n{}",
            if all {
                "Goroutines:"
            } else {
                "Blocked goroutines:"
            }
        )?;
    }
    let limit = if all { usize::MAX } else { MAX_DETAILED };
    for g in detailed.iter().take(limit) {
        goroutine_text(w, g)?;
    }
    if detailed.len() > limit {
        writeln!(
            w,
            "\n  … {} more (--goroutines shows all, --format json everything)",
            count(
                (detailed.len() - limit) as u64,
                "blocked goroutine",
                "blocked goroutines"
            )
        )?;
    }

    if !d.unblocks.is_empty() {
        writeln!(w, "\nWho unblocked whom (most often first):")?;
        for p in d.unblocks.iter().take(10) {
            writeln!(
                w,
                "  {} → goroutine {}: {}×",
                who(p.by),
                p.goroutine,
                p.count
            )?;
        }
        if d.unblocks.len() > 10 {
            writeln!(w, "  … {} more pairs", d.unblocks.len() - 10)?;
        }
    }

    tasks_text(w, d)?;

    if all {
        table(w, d)?;
    }
    Ok(())
}

fn goroutine_text(w: &mut dyn Write, g: &GoroutineDoc) -> io::Result<()> {
    let func = g.start_function.as_deref().unwrap_or("?");
    let state = match g.state {
        "waiting" if !g.reason.is_empty() => format!("waiting [{}]", g.reason),
        s => s.to_string(),
    };
    writeln!(
        w,
        "\n  goroutine {} {func}: {state} at the end, since {}",
        g.id,
        dur(g.since_ns)
    )?;
    match (g.created_by, &g.creation_site, g.created_at_ns) {
        (Some(c), Some(s), Some(t)) => writeln!(
            w,
            "    created by goroutine {c} at {}, {} into the trace",
            at(s),
            dur(t)
        )?,
        _ if g.existed_at_start => writeln!(w, "    existed before the trace started")?,
        _ => {}
    }
    let blocked: Vec<String> = {
        let mut v: Vec<(&String, &i64)> = g.blocked_ns.iter().filter(|(_, t)| **t > 0).collect();
        v.sort_by(|x, y| y.1.cmp(x.1));
        v.iter()
            .map(|(r, t)| {
                let r = if r.is_empty() { "unknown" } else { r.as_str() };
                format!("{r} {}", dur(**t))
            })
            .collect()
    };
    writeln!(
        w,
        "    running {}, runnable {}, syscall {}, blocked {}{}",
        dur(g.running_ns),
        dur(g.runnable_ns),
        dur(g.syscall_ns),
        dur(g.blocked_ns.values().sum()),
        if blocked.is_empty() {
            String::new()
        } else {
            format!(" ({})", blocked.join(", "))
        }
    )?;
    if g.blocks > 0 {
        writeln!(
            w,
            "    blocked {}; longest:",
            count(g.blocks, "time", "times")
        )?;
        let mut shown: Vec<&IntervalDoc> = g.longest_blocks.iter().collect();
        if let Some(c) = &g.current_block {
            shown.push(c);
            shown.sort_by_key(|b| std::cmp::Reverse(b.duration_ns));
        }
        for b in shown.iter().take(5) {
            let end = match b.end_ns {
                Some(e) => dur(e),
                None => "end".into(),
            };
            let site = b.site.as_ref().map_or("?".into(), at);
            let reason = if b.reason.is_empty() { "?" } else { &b.reason };
            let unblock = match (b.end_ns, b.unblocked_by) {
                (None, _) => "; never unblocked".to_string(),
                (Some(_), Some(by)) => format!(
                    "; unblocked by {}{}",
                    who(by),
                    b.unblock_site
                        .as_ref()
                        .map(|s| format!(" at {}", at(s)))
                        .unwrap_or_default()
                ),
                (Some(_), None) => String::new(),
            };
            writeln!(
                w,
                "      {}–{end} ({}) [{reason}] at {site}{unblock}",
                dur(b.start_ns),
                dur(b.duration_ns)
            )?;
        }
    }
    if let Some(u) = &g.last_unblock {
        let usite = u
            .site
            .as_ref()
            .map(|s| format!(" at {}", at(s)))
            .unwrap_or_default();
        let counts: Vec<String> = g
            .unblocked_by
            .iter()
            .take(4)
            .map(|c| format!("{} {}×", who(c.goroutine), c.count))
            .collect();
        writeln!(
            w,
            "    last unblocked by {}{usite}, {} into the trace (by: {})",
            who(u.by),
            dur(u.at_ns),
            counts.join(", ")
        )?;
    }
    let open: Vec<&str> = g
        .regions
        .iter()
        .filter(|r| r.end_ns.is_none())
        .map(|r| r.name.as_str())
        .collect();
    if !open.is_empty() {
        writeln!(w, "    in region {}", open.join(" > "))?;
    }
    if !g.stack.is_empty() && g.state != "exited" {
        writeln!(w, "    stack:")?;
        for f in &g.stack {
            writeln!(w, "      {}\n        {}:{}", f.function, f.file, f.line)?;
        }
    }
    Ok(())
}

/// The per-goroutine table, like the goroutine analysis page of
/// `go tool trace`: grouped by start function, longest-lived first.
fn table(w: &mut dyn Write, d: &TraceDoc) -> io::Result<()> {
    writeln!(
        w,
        "\nPer goroutine (ns precision rounded; sync block = chan/sync/select/Cond):"
    )?;
    writeln!(
        w,
        "  {:>7} {:<44} {:<9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9}",
        "id",
        "start function",
        "state",
        "total",
        "running",
        "runnable",
        "sync block",
        "network",
        "syscall",
        "other"
    )?;
    let mut rows: Vec<&GoroutineDoc> = d.goroutines.iter().collect();
    rows.sort_by(|x, y| {
        x.start_function
            .cmp(&y.start_function)
            .then(y.total_ns.cmp(&x.total_ns))
            .then(x.id.cmp(&y.id))
    });
    for g in rows {
        let sync: i64 = g
            .blocked_ns
            .iter()
            .filter(|(r, _)| is_stuck_reason(r))
            .map(|(_, t)| *t)
            .sum();
        let net: i64 = g.blocked_ns.get("network").copied().unwrap_or(0);
        let other: i64 = g.blocked_ns.values().sum::<i64>() - sync - net;
        let mut func = g.start_function.clone().unwrap_or_else(|| "?".into());
        let n = func.chars().count();
        if n > 44 {
            func = format!("…{}", func.chars().skip(n - 43).collect::<String>());
        }
        writeln!(
            w,
            "  {:>7} {:<44} {:<9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9}",
            g.id,
            func,
            g.state,
            dur(g.total_ns),
            dur(g.running_ns),
            dur(g.runnable_ns),
            dur(sync),
            dur(net),
            dur(g.syscall_ns),
            dur(other)
        )?;
    }
    Ok(())
}

/// The goroutines blocked when the trace ended, by site.
fn blocked_text(w: &mut dyn Write, d: &TraceDoc) -> io::Result<()> {
    let user_blocked: Vec<&BlockedDoc> = d.blocked_at_end.iter().filter(|b| !b.system).collect();
    let n_blocked: usize = user_blocked.iter().map(|b| b.count).sum();
    if user_blocked.is_empty() {
        writeln!(w, "\nNo user goroutine was blocked when the trace ended.")?;
    } else {
        writeln!(
            w,
            "\nBlocked when the trace ended, never unblocked ({} at {}):",
            count(n_blocked as u64, "goroutine", "goroutines"),
            count(user_blocked.len() as u64, "site", "sites")
        )?;
        for b in &user_blocked {
            let reason = if b.reason.is_empty() {
                "unknown reason"
            } else {
                &b.reason
            };
            let site = b.site.as_ref().map_or("an unknown site".into(), at);
            writeln!(
                w,
                "  {}× [{reason}] at {site}, for {} (since {} into the trace): goroutine{} {}",
                b.count,
                dur(b.blocked_for_ns),
                dur(b.since_ns),
                if b.count == 1 { "" } else { "s" },
                ids(&b.goroutines, 8)
            )?;
            if let (Some(c), Some(s)) = (b.created_by, &b.creation_site) {
                writeln!(w, "      created by goroutine {c} at {}", at(s))?;
            }
            if !b.regions.is_empty() {
                writeln!(w, "      in region {}", b.regions.join(" > "))?;
            }
        }
    }
    let sys: usize = d
        .blocked_at_end
        .iter()
        .filter(|b| b.system)
        .map(|b| b.count)
        .sum();
    if sys > 0 {
        writeln!(
            w,
            "  ({} waiting too: GC workers, finalizers, the trace reader…)",
            count(
                sys as u64,
                "runtime goroutine was",
                "runtime goroutines were"
            )
        )?;
    }
    Ok(())
}

/// User tasks, regions that never ended and the last log messages.
fn tasks_text(w: &mut dyn Write, d: &TraceDoc) -> io::Result<()> {
    if !d.tasks.is_empty() || !d.open_regions.is_empty() || !d.logs.is_empty() {
        writeln!(w, "\nUser tasks, regions and logs:")?;
        for t in d.tasks.iter().take(20) {
            let end = match (t.start_ns, t.end_ns) {
                (Some(s), Some(e)) => format!("{}–{} ({})", dur(s), dur(e), dur(e - s)),
                (Some(s), None) => format!("from {}, never ended", dur(s)),
                (None, Some(e)) => format!("began before the trace, ended at {}", dur(e)),
                (None, None) => "began before the trace, never ended".into(),
            };
            let by = t
                .created_by
                .map(|g| format!(", by goroutine {g}"))
                .unwrap_or_default();
            writeln!(w, "  task {} {:?}: {end}{by}", t.id, t.name)?;
        }
        if d.tasks.len() > 20 {
            writeln!(w, "  … {} more tasks", d.tasks.len() - 20)?;
        }
        for r in d.open_regions.iter().take(20) {
            let since = r.start_ns.map_or("before the trace".into(), dur);
            writeln!(
                w,
                "  region {:?} (task {}) on goroutine {} never ended: began at {since}; the goroutine was {} at the end",
                r.name, r.task, r.goroutine, r.goroutine_state
            )?;
        }
        let shown = d.logs.len().min(10);
        if shown > 0 {
            writeln!(
                w,
                "  last {shown} of {} log messages:",
                d.goroutines.iter().map(|g| g.logs).sum::<usize>()
            )?;
        }
        for l in &d.logs[d.logs.len() - shown..] {
            writeln!(
                w,
                "    {} goroutine {} task {} {}: {}",
                dur(l.at_ns),
                l.goroutine,
                l.task,
                l.category,
                l.message
            )?;
        }
    }
    Ok(())
}

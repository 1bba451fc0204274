//! `--why N`: for one goroutine, what it waits for, which goroutines could
//! complete it and why each is ruled in or out — read straight off the
//! liveness model and the wait-for graph the passes used, so it explains the
//! report rather than re-deriving it.

use gostuck_dump::{Dump, Group};

use crate::findings::{EdgeWhy, Graph};
use crate::liveness::{Liveness, Model};
use crate::narrate::Ctx;
use crate::report::{Why, WhyCandidate};

/// At most this many goroutine groups are listed as ruled out (a big server
/// has thousands); the rest are counted.
const MAX_RULED_OUT: usize = 20;

/// The explanation for goroutine `id`, or `None` when this dump has no such goroutine.
pub(crate) fn explain(
    ctx: &Ctx<'_>,
    groups: &[Group],
    model: &Model,
    graph: &Graph,
    finding_of: &[Option<String>],
    id: u64,
) -> Option<Why> {
    let d = ctx.d;
    let gi = groups
        .iter()
        .position(|g| g.members.iter().any(|&m| d.goroutines[m].id == Some(id)))?;
    let waits_for = match model.of[gi] {
        Liveness::Blocked | Liveness::Harness => {
            format!("{} at {}", ctx.what(gi), ctx.blocked_at(gi))
        }
        Liveness::MayAct(_) => "is not parked on a resource of the program".into(),
    };
    let mut candidates = Vec::new();
    let mut listed = vec![false; groups.len()];
    listed[gi] = true;
    if model.of[gi] == Liveness::Blocked {
        for e in graph.edges.iter().filter(|e| e.from == gi) {
            let reason = match &e.why {
                EdgeWhy::Holds { expr, line, frame } => {
                    format!("holds `{expr}` (locked at {})", ctx.at(e.to, *frame, *line))
                }
                EdgeWhy::Queued { expr, .. } => {
                    format!("waits to write-lock `{expr}`, and a pending writer blocks new readers")
                }
                EdgeWhy::Partner {
                    kind, line, frame, ..
                } => format!(
                    "may still perform {} at {}",
                    crate::narrate::op_word(*kind),
                    ctx.at(e.to, *frame, *line)
                ),
            };
            if e.to == gi {
                candidates.push(candidate(
                    d,
                    &groups[e.to],
                    "ruled in",
                    format!("another goroutine of its own group {reason}"),
                ));
            } else if !listed[e.to] {
                listed[e.to] = true;
                candidates.push(candidate(d, &groups[e.to], "ruled in", reason));
            }
        }
        for (j, _) in model.unknown.iter().enumerate().filter(|(_, u)| **u) {
            if !listed[j] {
                listed[j] = true;
                candidates.push(candidate(
                    d,
                    &groups[j],
                    "ruled in",
                    format!(
                        "{}, and its code could not be read: it may be the partner",
                        model.of[j].describe()
                    ),
                ));
            }
        }
        let mut more = 0usize;
        for j in 0..groups.len() {
            if listed[j] {
                continue;
            }
            let reason = match model.of[j] {
                Liveness::MayAct(_) if model.is_dumper(j) => model.of[j].describe().to_string(),
                Liveness::MayAct(_) => format!(
                    "{}; its code has no operation that completes this wait",
                    model.of[j].describe()
                ),
                Liveness::Blocked | Liveness::Harness => {
                    format!("blocked itself: {} at {}", ctx.what(j), ctx.blocked_at(j))
                }
            };
            if candidates.len() < MAX_RULED_OUT {
                candidates.push(candidate(d, &groups[j], "ruled out", reason));
            } else {
                more += 1;
            }
        }
        if more > 0 {
            candidates.push(WhyCandidate {
                goroutines: Vec::new(),
                count: more as u64,
                function: String::new(),
                verdict: "ruled out",
                reason: format!("{more} more groups not listed"),
            });
        }
    }
    Some(Why {
        goroutine: id,
        liveness: model.of[gi].describe().to_string(),
        waits_for,
        finding: finding_of[gi].clone(),
        candidates,
    })
}

fn candidate(d: &Dump, g: &Group, verdict: &'static str, reason: String) -> WhyCandidate {
    let rep = &d.goroutines[g.members[0]];
    let function = rep
        .frames
        .iter()
        .map(|f| d.str(f.function))
        .find(|f| {
            !f.starts_with("runtime.") && !f.starts_with("sync.") && !f.starts_with("internal/")
        })
        .unwrap_or("")
        .to_string();
    WhyCandidate {
        goroutines: g
            .members
            .iter()
            .filter_map(|&m| d.goroutines[m].id)
            .take(8)
            .collect(),
        count: g.count,
        function,
        verdict,
        reason,
    }
}

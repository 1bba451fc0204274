//! Pass 6, stuck-unexplained: in a global deadlock, a `go test` timeout or a
//! program known to have stalled (`--stalled`), every blocked user goroutine
//! deserves an answer.
//!
//! Input: groups still unexplained after every other pass, blocked in user
//! code and parked for good in the liveness model: not the test harness
//! (rule *a parent waiting for the test it runs is not a finding*), not a
//! wait a timer, a ticker or a signal ends (rule *a ticker loop is not
//! stuck*: it wakes by itself, however long the test ran). Rule *slow is not stuck*: under a test timeout
//! (not `--stalled`, not a global deadlock) a group waiting for a partner
//! that may still act — other than the goroutine that took the dump — is
//! skipped.
//!
//! Output: one `stuck-unexplained` (`possible`) per remaining group, for its
//! members no other finding reports (a group reported in part keeps the
//! rest), with why the cause was not found: a live partner gostuck cannot
//! follow (named, with its state), no source read, no partner in the source,
//! or the files not found.

use super::{Cx, State};
use crate::facts::Sources;
use crate::findings::{finding, Edge, EdgeWhy};
use crate::kinds::Kind;
use crate::liveness::Liveness;
use crate::narrate::{ids_text, who};
use crate::report::Confidence;

/// Adds a `stuck-unexplained` finding per blocked group left.
pub(crate) fn run(cx: &Cx, st: &mut State, src: &dyn Sources) {
    let (d, ctx, facts, model) = (cx.d, &cx.ctx, cx.facts, cx.model);
    if !(cx.global || cx.timed_out) {
        return;
    }
    let why_stuck = if cx.global {
        "the runtime says it can never wake up"
    } else if d.test_timed_out() {
        "was still waiting when the test timed out"
    } else {
        "was still waiting while the program made no progress"
    };
    for gi in 0..facts.len() {
        let f = &facts[gi];
        if st.explained[gi].is_some()
            || f.block.is_none()
            || f.user_frame.is_none()
            || model.of[gi] != Liveness::Blocked
        {
            continue;
        }

        // A partner the graph found that is not blocked on anything
        // gostuck follows (it sleeps, runs, is in a syscall): say who.
        let live_partner = cx
            .edges_from(gi)
            .find(|e| e.to != gi && facts[e.to].block.is_none());
        // A test that timed out may be slow, not stuck: a goroutine whose
        // partner may still act (and is not the dumper) is waiting on
        // work in progress, as the same state dumped before the deadline
        // shows. Only a program known to have stalled (`--stalled`, `run
        // --stall`) vouches that the partner makes no progress either.
        if !cx.global
            && !cx.opts.stalled
            && cx
                .edges_from(gi)
                .any(|e| e.to != gi && model.of[e.to].may_serve())
        {
            continue;
        }
        let missing_note = if let Some(e) = live_partner {
            partner_note(cx, gi, e)
        } else if !src.looks_for_source() {
            "source was not read (--no-source), so its partner could not be looked for".to_string()
        } else if f.missing.is_empty() {
            "its partner could not be identified from the source".to_string()
        } else {
            format!(
                "source not found for {}; pass --source DIR",
                f.missing.join(", ")
            )
        };
        // Members another finding already reports are left out.
        let part = &st.reported_in_part[gi];
        let (rest, n, rest_ids): (Vec<usize>, u64, Vec<u64>) = if part.is_empty() {
            (cx.members(gi).to_vec(), cx.count(gi), cx.ids[gi].clone())
        } else {
            let rest: Vec<usize> = cx
                .members(gi)
                .iter()
                .copied()
                .filter(|m| !part.contains(m))
                .collect();
            let rest_ids = rest.iter().filter_map(|&m| d.goroutines[m].id).collect();
            let n = rest.len() as u64;
            (rest, n, rest_ids)
        };
        if n == 0 {
            continue;
        }
        let subject = who(ctx, gi, n, &rest);
        let title = if n == 1 {
            subject.clone()
        } else {
            format!("{n} goroutines")
        };
        let mut fi = finding(
            Kind::StuckUnexplained,
            Confidence::Possible,
            format!("{title} blocked, cause not determined"),
            format!(
                "{subject} {} ({}) and {}; {missing_note}.",
                ctx.what(gi),
                ctx.blocked_at(gi),
                why_stuck
            ),
            "Look at who should complete this operation; gostuck could not find them in the dump.",
        );
        fi.resources.push(ctx.resource(gi));
        fi.locations.extend(ctx.blocked_loc(gi));
        super::add_members(&mut fi, &rest_ids, n);
        st.push(fi, &[gi]);
    }
}

/// `it waits for goroutine 9 [sleep] at …, which is not blocked on anything
/// gostuck can follow`: group `gi`'s partner along `e`.
fn partner_note(cx: &Cx, gi: usize, e: &Edge) -> String {
    let (d, ctx) = (cx.d, &cx.ctx);
    let t = e.to;
    let state = d.str(d.goroutines[cx.members(t)[0]].state);
    let (one, many) = (cx.count(gi) == 1, cx.count(t) > 1);
    let partner = if many {
        let ids = ids_text(d, cx.members(t));
        if ids.is_empty() {
            format!("{} goroutines", cx.count(t))
        } else {
            format!("goroutines {ids}")
        }
    } else {
        ctx.name(t)
    };
    let holds = match &e.why {
        EdgeWhy::Holds { expr, .. } => {
            format!(
                ", which {} `{expr}` and",
                if many { "hold" } else { "holds" }
            )
        }
        _ => ", which".to_string(),
    };
    format!(
        "{} for {partner} [{state}] at {}{holds} {} not blocked on anything gostuck can follow",
        if one { "it waits" } else { "they wait" },
        ctx.blocked_at(t),
        if many { "are" } else { "is" },
    )
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::passes::testing::{ids, kinds, Fixture};

    #[test]
    fn under_a_test_timeout_without_source_each_blocked_goroutine_is_unexplained() {
        let mut fx = Fixture::no_source("gotest-timeout.txt");
        let src = fx.take_src();
        let (cx, mut st) = fx.cx();
        assert!(cx.timed_out && !cx.global);
        run(&cx, &mut st, src.as_ref());
        assert_eq!(kinds(&st), ["stuck-unexplained", "stuck-unexplained"]);
        assert_eq!(ids(&st.out[0]), [19]);
        assert_eq!(ids(&st.out[1]), [20]);
        assert!(st.out[0].explanation.contains("(--no-source)"));
        // goroutine 1 waits in m.Run: the harness, never a finding.
        assert_eq!(st.explained[fx.group_of(1)], None);
    }

    #[test]
    fn slow_is_not_stuck_unless_the_program_is_known_to_have_stalled() {
        let mut fx = Fixture::new("testmain-watchdog-slow-test-timeout.txt");
        let src = fx.take_src();
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_ref());
        assert!(st.out.is_empty(), "{:?}", kinds(&st));
        fx.opts.stalled = true;
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_ref());
        assert_eq!(kinds(&st), ["stuck-unexplained"]);
        assert_eq!(ids(&st.out[0]), [8]);
        assert!(
            st.out[0]
                .explanation
                .contains("it waits for goroutine 9 [sleep]"),
            "{}",
            st.out[0].explanation
        );
    }

    #[test]
    fn a_live_program_has_nothing_unexplained_until_it_is_said_to_be_stalled() {
        let mut fx = Fixture::new("healthy-pool.txt");
        let src = fx.take_src();
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_ref());
        assert!(st.out.is_empty());
        fx.opts.stalled = true;
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st, src.as_ref());
        assert_eq!(st.out.len(), 2);
        assert_eq!(ids(&st.out[0]), [21, 22, 23, 24]);
        // The heartbeat's select has a ticker case: it wakes by itself,
        // however stalled the rest is.
        let heartbeat = fx.group_of(27);
        assert_eq!(
            cx.model.of[heartbeat],
            crate::liveness::Liveness::MayAct(crate::liveness::Acts::Timer)
        );
        assert!(st.out.iter().all(|f| !ids(f).contains(&27)));
    }
}

//! Pass 1, self-locks: a goroutine waits for a lock it already holds.
//!
//! Input: `graph.self_locks` (from `findings::build`: a wait on a lock whose
//! expression, or class in a caller, the goroutine holds; a second RLock
//! while a writer of the class waits). Output: one finding per such group,
//! which explains the group:
//! - `rwmutex-upgrade`: Lock of an RWMutex it read-holds;
//! - `recursive-lock`: Lock of a mutex it holds, or RLock of an RWMutex it
//!   read-holds while a writer is queued (a pending Lock blocks new readers).
//!
//! `certain` under the runtime's deadlock report, else `likely`. Locations:
//! where it blocks, and where it acquired the lock (`acquired`).

use super::{Cx, State};
use crate::kinds::Role;
use crate::report::{Confidence, Finding};

/// Adds the self-lock findings.
pub(crate) fn run(cx: &Cx, st: &mut State) {
    let ctx = &cx.ctx;
    for &(gi, hi) in &cx.graph.self_locks {
        if st.explained[gi].is_some() {
            continue;
        }
        let f = &cx.facts[gi];
        let h = &f.held[hi];
        let waited = f.expr.clone().unwrap_or_default();
        let t = crate::narrate::self_lock(h.read, f.block, &waited);
        let expl = format!(
            "{} holds `{}` (acquired at {}) and {} at {}; {}.",
            ctx.name(gi),
            h.expr,
            ctx.at(gi, h.frame, h.line),
            ctx.what(gi),
            ctx.blocked_at(gi),
            t.why,
        );
        let conf = if ctx.global {
            Confidence::Certain
        } else {
            Confidence::Likely
        };
        let mut fi: Finding = crate::findings::finding(t.kind, conf, t.title, expl, t.fix);
        fi.resources.push(ctx.resource(gi));
        fi.locations.extend(ctx.blocked_loc(gi));
        fi.locations
            .push(ctx.loc(gi, h.frame, h.line, Role::Acquired));
        cx.add_group(&mut fi, gi);
        st.push(fi, &[gi]);
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::passes::testing::{ids, kinds, Fixture};
    use crate::report::Confidence;

    #[test]
    fn a_mutex_locked_again_by_its_holder_is_a_recursive_lock() {
        let fx = Fixture::new("recursive-lock.txt");
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st);
        assert_eq!(kinds(&st), ["recursive-lock"]);
        let f = &st.out[0];
        // Only the goroutine that relocks: main, waiting for it, is a chain's job.
        assert_eq!(ids(f), [4]);
        assert_eq!(f.confidence, Confidence::Certain);
        assert!(f.locations.iter().any(|l| l.role == "acquired"));
        assert_eq!(st.explained[fx.group_of(4)], Some(0));
        assert_eq!(st.explained[fx.group_of(1)], None);
    }

    #[test]
    fn a_write_lock_under_a_read_lock_is_an_upgrade() {
        let fx = Fixture::new("rwmutex-upgrade.txt");
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st);
        assert_eq!(kinds(&st), ["rwmutex-upgrade"]);
        assert_eq!(ids(&st.out[0]), [18]);
    }

    #[test]
    fn two_goroutines_locking_in_opposite_orders_hold_no_lock_they_wait_for() {
        let fx = Fixture::new("abba.txt");
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st);
        assert!(st.out.is_empty());
    }

    #[test]
    fn without_source_the_lock_waited_for_has_no_name_to_match() {
        let fx = Fixture::no_source("recursive-lock.txt");
        let (cx, mut st) = fx.cx();
        run(&cx, &mut st);
        assert!(st.out.is_empty());
    }
}

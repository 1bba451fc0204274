//! Which object: a lock's instance by where the object was made.
//!
//! The wait-for graph joins lock waiters and holders by *class* (`Conn.mu`).
//! When a program makes many copies of a component, a waiter on one copy's
//! lock seems to wait for the holders of the others. Tracebacks rarely carry
//! usable addresses (register arguments print as `0x0?`), but the source
//! often tells copies apart: a method's receiver or a function's parameter
//! is followed to the argument its caller passed — up the stack, and
//! through the `go` statement that started the goroutine — until it is a
//! local its function declared with a new object (`c := &Conn{…}`, `T{…}`,
//! `new(T)`; gostuck-source `objects`). Two such declarations at different
//! places are different objects: whoever holds the lock of the one is not
//! whom a waiter on the other waits for.
//!
//! Contract: `Some((file, line))` only when the chain ends at such a
//! declaration that the function never assigns again; `None` (unknown, the
//! class decides as before) for anything else — a field read, a global, a
//! closure's captured variable, a chain longer than the stack.

use gostuck_dump::{Dump, Goroutine};
use gostuck_source::root_ident;

use crate::facts::{caller_argument, Sources};

/// Where the object of `expr` (seen in frame `k` of `g`) was made: the file
/// and line of the declaration, when the source shows one.
pub(crate) fn made_at(
    d: &Dump,
    g: &Goroutine,
    k: usize,
    expr: &str,
    src: &mut dyn Sources,
) -> Option<(String, u32)> {
    let mut expr = expr.trim().trim_start_matches(['&', '*', '(']).to_string();
    let mut k = k;
    // The function and line to look the root up in: a frame, or (after a
    // `go` statement) the creating function at that statement.
    let mut at = (d.str(g.frames.get(k)?.file).to_string(), g.frames[k].line);
    // Whether `at` is frame `k`'s own line (not a creator's `go` statement).
    let mut on_stack = true;
    for _ in 0..8 {
        let root = root_ident(&expr)?.to_string();
        let sf = src.file(&at.0)?;
        let func = sf.function_at(at.1)?;
        if let Some(&(_, line)) = func.objects.iter().find(|(n, _)| *n == root) {
            let reassigned = func.reassigned.iter().any(|(l, _)| *l == root);
            return (!reassigned).then(|| (at.0.clone(), line));
        }
        // Only a parameter (or receiver) of a frame leads to a caller.
        if !on_stack {
            return None;
        }
        let (arg, file, line, next) = caller_argument(d, g, k, &root, src)?;
        let rest = expr[root.len()..].to_string();
        expr = format!("{}{rest}", arg.trim().trim_start_matches('&'));
        at = (file.to_string(), line);
        match next {
            Some(n) => k = n,
            // The creator's own frame is not on this stack: only its locals.
            None => on_stack = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::passes::testing::Fixture;

    /// Where the Conn locked by the waiter (or the holder) `id` was made, in
    /// a capture-matrix dump of `leaked-instance-lock` (Go `ver`, SIGQUIT).
    fn made(ver: &str, id: u64, holder: bool) -> Option<u32> {
        let fx = Fixture::new(&format!("../matrix/{ver}/leaked-instance-lock/sigquit.txt"));
        let gi = fx.group_of(id);
        let f = &fx.facts[gi];
        if holder {
            f.held.first()?.made_at.as_ref().map(|o| o.1)
        } else {
            f.made_at.as_ref().map(|o| o.1)
        }
    }

    #[test]
    fn a_receiver_is_followed_through_the_go_statement_to_its_declaration() {
        for ver in ["go1.21.13", "go1.27.3"] {
            let fx = Fixture::new(&format!("../matrix/{ver}/leaked-instance-lock/sigquit.txt"));
            let d = &fx.d;
            let created_in = |name: &str| {
                d.goroutines
                    .iter()
                    .filter(|g| {
                        g.created_by.is_some_and(|c| d.str(c.function) == name)
                            && g.frames
                                .iter()
                                .any(|f| d.str(f.function) == "main.(*Conn).Use")
                    })
                    .filter_map(|g| g.id)
                    .collect::<Vec<u64>>()
            };
            let stuck = created_in("main.stuck");
            assert_eq!(stuck.len(), 1, "{ver}");
            // `c := &Conn{closing: true}` in stuck(); `c := &Conn{}` in healthy().
            assert_eq!(made(ver, stuck[0], false), Some(53), "{ver}");
            let healthy = created_in("main.healthy");
            assert!(!healthy.is_empty());
            let held: Vec<Option<u32>> = healthy
                .iter()
                .filter(|&&id| {
                    let gi = fx.group_of(id);
                    !fx.facts[gi].held.is_empty()
                })
                .map(|&id| made(ver, id, true))
                .collect();
            assert!(!held.is_empty(), "{ver}");
            assert!(held.iter().all(|h| *h == Some(46)), "{ver}: {held:?}");
        }
    }
}

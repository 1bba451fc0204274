//! Telling copies of one component apart by address.
//!
//! The wait-for graph joins goroutines by the *class* of a lock (`T.mu`): a
//! goroutine waiting for `c.mu` of one `*Conn` seems to wait for whoever holds
//! `c.mu` of any other. When a program runs many copies of a component and one
//! copy's lock was left locked (an early `return` past the Unlock), its waiters
//! look explained by the live holders of the other copies, and nothing is
//! reported (GoKer's Grpc3017).
//!
//! A traceback prints the arguments of each frame. The lock a goroutine waits
//! for is the first argument of the `sync` frame it waits in. For a method
//! with a pointer receiver, the first argument of its frame is the receiver.
//! A waiter blocked on `recv.mu` in a method of `*T` shows both, which gives
//! the field's offset in `T` (lock address minus receiver). A holder whose
//! hold is on `recv.mu` in a method of `*T` then holds the mutex at its
//! receiver plus that offset. When every holder of the class can be placed
//! that way, a waiter whose mutex is at none of those addresses waits for a
//! lock no goroutine holds.
//!
//! Only `sync.Mutex` (an RWMutex's readers wait on another of its fields), and
//! only values the runtime vouches for (printed without `?`). The offset must
//! be the same for at least two receivers and small (a mutex field held by
//! value; a `*sync.Mutex` field gives a different difference per copy), or
//! the source must declare the field as the first one of `T`, a `sync.Mutex`
//! by value: it is at offset 0 (waiters in closures, timer callbacks, have no
//! receiver to measure it from). A
//! receiver the method reassigns is not used (the traceback prints its value
//! at entry). Anything not known makes the class undecided: a holder of a
//! class that only loosely matches (`mu` for `T.mu`), a holder that cannot be
//! placed, or any goroutine whose source is missing. No finding rather than
//! a guess.

use std::collections::{HashMap, HashSet};

use gostuck_dump::{Dump, Group};
use gostuck_source::root_ident;

use crate::facts::{wait_address, Block, Facts, HeldLock, Sources};

/// Where an object was made: file and line of its declaration.
pub(crate) type Origin = (String, u32);

/// A `go` statement: its file and line.
type Site = (gostuck_dump::Sym, u32);

/// Waiters of one lock class whose mutex no goroutine holds.
pub(crate) struct Orphans {
    pub class: String,
    /// Per group, the members (goroutine indices) that wait on such a mutex.
    pub groups: Vec<(usize, Vec<usize>)>,
    /// How their mutexes were told apart from the held ones.
    pub by: Identity,
}

/// What tells copies of one lock apart.
pub(crate) enum Identity {
    /// The mutex addresses the waiters wait on, sorted.
    Addresses(Vec<u64>),
    /// Where the objects were made (`objects::made_at`): the waiters'
    /// objects' declarations and the holders', sorted.
    Origins {
        waited: Vec<Origin>,
        held: Vec<Origin>,
    },
}

/// Per class, the members of `candidates` whose identity (`key`) is none of
/// the identities of the class's holders (`holder`), with both sides'
/// identities sorted. A class is decided only when every hold of it is
/// placed (`holder` gives `Some`) and some is; a hold of a class that only
/// loosely matches (the graph joins `mu` and `T.mu`) may be the same mutex:
/// undecided.
struct Unheld<K> {
    class: String,
    groups: Vec<(usize, Vec<usize>)>,
    waited: Vec<K>,
    held: Vec<K>,
}

fn unheld<K: Eq + std::hash::Hash + Ord + Clone>(
    (groups, facts): (&[Group], &[Facts]),
    classes: &HashSet<&str>,
    candidates: &[usize],
    src: &mut dyn Sources,
    mut holder: impl FnMut(usize, &HeldLock, &str, &mut dyn Sources) -> Option<Vec<K>>,
    mut key: impl FnMut(usize, usize, &mut dyn Sources) -> Option<K>,
) -> Vec<Unheld<K>> {
    let mut held: HashMap<&str, Option<HashSet<K>>> = HashMap::new();
    for (g, f) in facts.iter().enumerate() {
        for h in &f.held {
            for &c in classes {
                if c != h.class && gostuck_source::same_class(c, &h.class) {
                    held.insert(c, None);
                }
            }
            let Some(&class) = classes.get(h.class.as_str()) else {
                continue;
            };
            let entry = held.entry(class).or_insert_with(|| Some(HashSet::new()));
            let Some(set) = entry.as_mut() else { continue };
            match holder(g, h, class, src) {
                Some(keys) => set.extend(keys),
                None => *entry = None,
            }
        }
    }
    let mut out: Vec<Unheld<K>> = Vec::new();
    for &g in candidates {
        let f = &facts[g];
        let Some(class) = f.class.as_deref().filter(|_| plain_mutex_wait(f)) else {
            continue;
        };
        // Some holder must be placed (else the graph would have no edge) and
        // all of them must be.
        let Some(Some(set)) = held.get(class) else {
            continue;
        };
        if set.is_empty() {
            continue;
        }
        let mut members = Vec::new();
        let mut keys = Vec::new();
        for &m in &groups[g].members {
            if let Some(k) = key(g, m, src).filter(|k| !set.contains(k)) {
                members.push(m);
                keys.push(k);
            }
        }
        if members.is_empty() {
            continue;
        }
        let u = match out.iter_mut().position(|u| u.class == class) {
            Some(i) => &mut out[i],
            None => {
                let mut held: Vec<K> = set.iter().cloned().collect();
                held.sort();
                out.push(Unheld {
                    class: class.to_string(),
                    groups: Vec::new(),
                    waited: Vec::new(),
                    held,
                });
                out.last_mut().expect("pushed")
            }
        };
        u.groups.push((g, members));
        u.waited.extend(keys);
    }
    for u in &mut out {
        u.waited.sort();
        u.waited.dedup();
    }
    out
}

/// The classes of plain mutex waits among `candidates`, or none when some
/// goroutine's code is unknown: it may hold anything (but the one that took
/// the dump is no one's partner: the liveness model).
fn decidable_classes<'a>(
    facts: &'a [Facts],
    model: &crate::liveness::Model,
    candidates: &[usize],
) -> HashSet<&'a str> {
    let unknown = facts
        .iter()
        .enumerate()
        .any(|(g, f)| f.user_frame.is_some() && !f.has_source && !model.is_dumper(g));
    if unknown {
        return HashSet::new();
    }
    candidates
        .iter()
        .filter(|&&g| plain_mutex_wait(&facts[g]))
        .filter_map(|&g| facts[g].class.as_deref())
        .collect()
}

/// A field's offset is below this (a mutex held by value in a struct).
const OFFSET_MAX: i128 = 1 << 12;

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

/// The first argument of a frame, when the runtime printed it without `?`.
fn first_arg(args: &str) -> Option<u64> {
    let a = args.split(',').next()?.trim();
    if a.ends_with('?') {
        return None;
    }
    hex(a)
}

/// Whether frame `k` of goroutine `m` is a method with a pointer receiver
/// (not a closure inside one) and `expr` is that receiver or a field of it
/// (`c`, `c.mu`): then the frame's first argument is the receiver.
fn on_receiver(d: &Dump, m: usize, k: usize, expr: &str, src: &mut dyn Sources) -> bool {
    let Some(frame) = d.goroutines[m].frames.get(k) else {
        return false;
    };
    let name = d.str(frame.function);
    // `pkg.(*T).Method`, not `pkg.(*T).Method.func1`; not a generic type's
    // method, whose first argument is its dictionary.
    let Some((_, method)) = name.rsplit_once(").") else {
        return false;
    };
    if !name.contains(".(*") || method.contains('.') || name.contains('[') {
        return false;
    }
    let Some(root) = root_ident(expr) else {
        return false;
    };
    let rest = &expr[expr.find(root).unwrap_or(0) + root.len()..];
    let one_level = rest.is_empty()
        || rest
            .strip_prefix('.')
            .is_some_and(|f| !f.is_empty() && f.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if !one_level || expr.trim_start().starts_with(['*', '&', '(']) {
        return false;
    }
    let Some(sf) = src.file(d.str(frame.file)) else {
        return false;
    };
    // The receiver as printed is its value at entry: not if the method
    // assigns to it (or declares a local of that name).
    sf.function_at(frame.line).is_some_and(|f| {
        f.has_receiver
            && f.params.first().map(String::as_str) == Some(root)
            && !f.locals.iter().any(|l| l == root)
            && !f.assigns.iter().any(|(l, _, _)| l == root)
    })
}

/// Classes `T.f` (one level) whose field `f` every declaration of `T` in the
/// stacks' source files has as its first field, a `sync.Mutex` by value: the
/// mutex is at the struct's own address.
fn first_field_mutexes<'a>(
    d: &Dump,
    groups: &[Group],
    facts: &[Facts],
    classes: &HashSet<&'a str>,
    src: &mut dyn Sources,
) -> HashSet<&'a str> {
    let mut files: Vec<&str> = facts
        .iter()
        .enumerate()
        .filter_map(|(g, f)| {
            let k = f.user_frame?;
            let &m = groups[g].members.first()?;
            Some(d.str(d.goroutines[m].frames.get(k)?.file))
        })
        .collect();
    files.sort_unstable();
    files.dedup();
    let mut out = HashSet::new();
    for &class in classes {
        let Some((ty, field)) = class.split_once('.') else {
            continue;
        };
        if field.contains('.') {
            continue;
        }
        let mut seen = 0;
        let mut all = true;
        for &file in &files {
            if let Some((f, t)) = src.file(file).and_then(|sf| sf.first_field(ty)) {
                seen += 1;
                all &= f == field && t == "sync.Mutex";
            }
        }
        if seen > 0 && all {
            out.insert(class);
        }
    }
    out
}

fn plain_mutex_wait(f: &Facts) -> bool {
    f.block == Some(Block::Lock) && !f.rw && !f.once
}

/// Per class, a field's offset in its struct and the receivers that gave
/// it (`None`: two waiters disagree, or it is out of range).
type Offsets<'a> = HashMap<&'a str, Option<(i128, HashSet<u64>)>>;

/// Field offsets of `classes`, from waiters on a field of their own receiver.
fn field_offsets<'a>(
    d: &Dump,
    groups: &[Group],
    facts: &'a [Facts],
    classes: &HashSet<&str>,
    src: &mut dyn Sources,
) -> Offsets<'a> {
    let mut offset: Offsets<'a> = HashMap::new();
    for (g, f) in facts.iter().enumerate() {
        let (Some(class), Some(expr), Some(k)) =
            (f.class.as_deref(), f.expr.as_deref(), f.user_frame)
        else {
            continue;
        };
        if !plain_mutex_wait(f) || !classes.contains(class) {
            continue;
        }
        let Some(&first) = groups[g].members.first() else {
            continue;
        };
        if !on_receiver(d, first, k, expr, src) {
            continue;
        }
        for &m in &groups[g].members {
            let g_m = &d.goroutines[m];
            let (Some(w), Some(r)) = (
                wait_address(d, g_m, k).and_then(hex),
                g_m.frames.get(k).and_then(|fr| first_arg(d.str(fr.args))),
            ) else {
                continue;
            };
            let off = i128::from(w) - i128::from(r);
            let e = offset
                .entry(class)
                .or_insert_with(|| Some((off, HashSet::new())));
            match e {
                Some((o, rs)) if *o == off && (0..OFFSET_MAX).contains(&off) => {
                    rs.insert(r);
                }
                _ => *e = None,
            }
        }
    }
    offset
}

/// Lock waiters among `candidates` (group indices) whose mutex, by address,
/// no goroutine holds, per class.
pub(crate) fn orphaned_copies(
    d: &Dump,
    groups: &[Group],
    facts: &[Facts],
    model: &crate::liveness::Model,
    candidates: &[usize],
    src: &mut dyn Sources,
) -> Vec<Orphans> {
    let classes = decidable_classes(facts, model, candidates);
    if classes.is_empty() {
        return Vec::new();
    }
    let offset = field_offsets(d, groups, facts, &classes, src);
    // Offset 0 by the source, for the first field of a struct.
    let at_zero = first_field_mutexes(d, groups, facts, &classes, src);
    // The addresses a hold is on (`None`: it cannot be placed).
    let holder = |g: usize, h: &HeldLock, class: &str, src: &mut dyn Sources| {
        // Two copies at least agree on the offset, or the source puts the
        // field first (and no waiter says otherwise).
        let zero = at_zero.contains(class);
        let off = match offset.get(class) {
            Some(Some((o, rs))) if (rs.len() >= 2 && !zero) || *o == 0 && zero => *o,
            None if zero => 0,
            _ => return None,
        };
        if h.read || h.once {
            return None;
        }
        let first = *groups[g].members.first()?;
        if !on_receiver(d, first, h.frame, &h.expr, src) {
            return None;
        }
        // A group known only by its count hides members' addresses.
        if (groups[g].members.len() as u64) < groups[g].count {
            return None;
        }
        let mut out = Vec::new();
        for &m in &groups[g].members {
            let fr = d.goroutines[m].frames.get(h.frame)?;
            let r = first_arg(d.str(fr.args))?;
            out.push(u64::try_from(i128::from(r) + off).ok()?);
        }
        Some(out)
    };
    let waits_on = |g: usize, m: usize, _: &mut dyn Sources| {
        let k = facts[g].user_frame?;
        wait_address(d, &d.goroutines[m], k).and_then(hex)
    };
    unheld((groups, facts), &classes, candidates, src, holder, waits_on)
        .into_iter()
        .map(|u| Orphans {
            class: u.class,
            groups: u.groups,
            by: Identity::Addresses(u.waited),
        })
        .collect()
}

/// Lock waiters among `candidates` whose object, by where it was made (the
/// receiver or argument followed up to a `c := &T{…}` declaration), is none
/// of the objects whose lock some goroutine holds, per class. The same
/// caution as by address: every holder of the class must be placed (its
/// group started by one `go` statement, its object's declaration known),
/// every goroutine's code known, only plain `sync.Mutex` waits.
pub(crate) fn orphaned_by_origin(
    d: &Dump,
    groups: &[Group],
    facts: &[Facts],
    model: &crate::liveness::Model,
    candidates: &[usize],
    src: &mut dyn Sources,
) -> Vec<Orphans> {
    let classes = decidable_classes(facts, model, candidates);
    if classes.is_empty() {
        return Vec::new();
    }
    // The `go` statement that started goroutine `m`.
    let site = |m: usize| d.goroutines[m].created_by.map(|c| (c.file, c.line));
    let holder = |g: usize, h: &HeldLock, _: &str, _: &mut dyn Sources| {
        let first = site(groups[g].members[0]);
        let one_creator = groups[g].members.iter().all(|&m| site(m) == first);
        match &h.made_at {
            Some(o) if !h.read && !h.once && one_creator => Some(vec![o.clone()]),
            _ => None,
        }
    };
    // Members started by different `go` statements may lock different
    // objects: one look-up per group and statement.
    let mut by_site: HashMap<(usize, Option<Site>), Option<Origin>> = HashMap::new();
    let made_at = |g: usize, m: usize, src: &mut dyn Sources| {
        let f = &facts[g];
        let (expr, k) = (f.expr.as_deref()?, f.user_frame?);
        by_site
            .entry((g, site(m)))
            .or_insert_with(|| crate::objects::made_at(d, &d.goroutines[m], k, expr, src))
            .clone()
    };
    unheld((groups, facts), &classes, candidates, src, holder, made_at)
        .into_iter()
        .map(|u| Orphans {
            class: u.class,
            groups: u.groups,
            by: Identity::Origins {
                waited: u.waited,
                held: u.held,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_arguments_the_runtime_vouches_for_are_read() {
        assert_eq!(
            first_arg("0x4baeef7e160, {0x4baef2e3fb0?, 0x0?}"),
            Some(0x4baeef7e160)
        );
        assert_eq!(first_arg("0x4baeef7e160?, 0x1"), None);
        assert_eq!(first_arg(""), None);
        assert_eq!(first_arg("{0x1, 0x2}"), None);
        assert_eq!(first_arg("0xzz"), None);
    }
}

//! Splitting work over the CPUs with scoped threads, for the few passes over
//! every goroutine of a huge dump (here and in the engine).

/// How many threads a pass over a dump uses: one per CPU, at most 8.
#[must_use]
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8)
}

/// Runs `f` over `0..n` cut into one range per CPU, on scoped threads, and
/// returns the results in range order.
pub fn per_range<T: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
    let threads = threads();
    let step = n.div_ceil(threads).max(1);
    let ranges: Vec<_> = (0..n).step_by(step).map(|a| a..(a + step).min(n)).collect();
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = ranges
            .iter()
            .skip(1)
            .map(|r| {
                let r = r.clone();
                std::thread::Builder::new()
                    .name("gostuck-par".into())
                    .spawn_scoped(s, move || f(r))
            })
            .collect();
        let mut out = Vec::with_capacity(ranges.len());
        out.extend(ranges.first().cloned().map(f));
        for (h, r) in handles.into_iter().zip(ranges.iter().skip(1)) {
            // A thread that could not start is done here; a panic goes on.
            out.push(match h.map(|h| h.join()) {
                Ok(Ok(v)) => v,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => f(r.clone()),
            });
        }
        out
    })
}

/// `items.iter().map(f).collect()`, one run of items per CPU.
pub fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    per_range(items.len(), |r| items[r].iter().map(&f).collect::<Vec<U>>())
        .into_iter()
        .flatten()
        .collect()
}

/// Calls `f` on every pair of `a[i]`, `b[i]` (the shorter length counts), one
/// run of pairs per CPU (on this thread alone below `parallel_from` pairs).
/// Every pair is done when it returns, even when some threads cannot start.
pub fn par_zip_mut<T: Send, U: Send>(
    a: &mut [T],
    b: &mut [U],
    parallel_from: usize,
    f: impl Fn(&mut T, &mut U) + Sync,
) {
    let n = a.len().min(b.len());
    let threads = threads();
    let step = n.div_ceil(threads).max(1);
    // A shared list of runs, taken by the threads that could start and by
    // this one, which finishes whatever is left.
    let runs = std::sync::Mutex::new(
        a[..n]
            .chunks_mut(step)
            .zip(b[..n].chunks_mut(step))
            .collect::<Vec<_>>(),
    );
    let work = || loop {
        let next = match runs.lock() {
            Ok(mut r) => r.pop(),
            Err(poisoned) => poisoned.into_inner().pop(),
        };
        let Some((x, y)) = next else { break };
        for (t, u) in x.iter_mut().zip(y) {
            f(t, u);
        }
    };
    std::thread::scope(|s| {
        if n >= parallel_from {
            for _ in 1..threads {
                let _ = std::thread::Builder::new()
                    .name("gostuck-par".into())
                    .spawn_scoped(s, work);
            }
        }
        work();
    });
}

/// Calls `f` on every item, one run of items per CPU (below `parallel_from`
/// items, on this thread alone).
pub fn par_each_mut<T: Send>(items: &mut [T], parallel_from: usize, f: impl Fn(&mut T) + Sync) {
    let mut unit = vec![(); items.len()];
    par_zip_mut(items, &mut unit, parallel_from, |t, _| f(t));
}

/// Moves every item of `src` to the end of `dst`, each through `take` (which
/// returns the item and leaves a cheap placeholder behind), one run of items
/// per CPU. Appending half a million goroutines is mostly page faults on the
/// new memory: taken on every CPU, they take a fraction of the time.
pub fn par_append<T: Send>(dst: &mut Vec<T>, src: &mut [T], take: impl Fn(&mut T) -> T + Sync) {
    let n = src.len();
    let old = dst.len();
    dst.reserve_exact(n);
    par_zip_mut(
        &mut dst.spare_capacity_mut()[..n],
        src,
        50_000,
        |slot, item| {
            slot.write(take(item));
        },
    );
    // SAFETY: `par_zip_mut` called the closure on each of the `n` slots after
    // `old` before returning, so each was written once (a panic in `take`
    // unwinds out of it, before this line).
    unsafe { dst.set_len(old + n) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_their_order_for_any_length() {
        for n in [0usize, 1, 2, 3, 7, 1000, 100_003] {
            let items: Vec<usize> = (0..n).collect();
            let want: Vec<String> = items.iter().map(|i| format!("{}", i * 3)).collect();
            assert_eq!(par_map(&items, |i| format!("{}", i * 3)), want, "{n} items");
            let sums: usize = per_range(n, |r| r.sum::<usize>()).into_iter().sum();
            assert_eq!(sums, items.iter().sum::<usize>(), "{n} items");
        }
    }

    #[test]
    fn par_append_moves_every_item_in_order() {
        for (old, n) in [
            (0usize, 0usize),
            (3, 1),
            (0, 7),
            (5, 60_001),
            (100_000, 100_003),
        ] {
            let mut dst: Vec<String> = (0..old).map(|i| format!("a{i}")).collect();
            let mut src: Vec<String> = (0..n).map(|i| format!("b{i}")).collect();
            par_append(&mut dst, &mut src, |s| {
                let mut t = std::mem::take(s);
                t.push('!');
                t
            });
            assert_eq!(dst.len(), old + n);
            assert!(dst[..old]
                .iter()
                .enumerate()
                .all(|(i, s)| *s == format!("a{i}")));
            assert!(dst[old..]
                .iter()
                .enumerate()
                .all(|(i, s)| *s == format!("b{i}!")));
            assert!(src.iter().all(String::is_empty), "placeholders left behind");
        }
    }
}

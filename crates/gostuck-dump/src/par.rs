//! Splitting work over the CPUs with scoped threads, for the few passes over
//! every goroutine of a huge dump (here and in the engine).

/// Runs `f` over `0..n` cut into one range per CPU, on scoped threads, and
/// returns the results in range order.
pub fn per_range<T: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8);
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
}

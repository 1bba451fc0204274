//! The set of goroutine IDs seen in a dump. IDs are small and dense in real
//! dumps (the runtime counts them up from 1), so a bit per possible ID beats a
//! hash set by far on million-goroutine dumps; IDs beyond a bound go to a hash
//! set so that a hostile ID cannot allocate a huge bitmap.

use rustc_hash::FxHashSet;

/// IDs below this use the bitmap (at most 8 MiB of it).
const DENSE_LIMIT: u64 = 1 << 26;

#[derive(Debug, Default, Clone)]
pub(crate) struct IdSet {
    bits: Vec<u64>,
    /// Words of `bits` that may be non-zero: `clear` zeroes only these (a file
    /// of many small dumps with high IDs must not zero megabytes per dump).
    dirty: std::ops::Range<usize>,
    sparse: FxHashSet<u64>,
}

impl IdSet {
    /// Adds `id`; false when it was already there.
    pub(crate) fn insert(&mut self, id: u64) -> bool {
        if id < DENSE_LIMIT {
            let (w, b) = ((id >> 6) as usize, id & 63);
            if w >= self.bits.len() {
                self.bits.resize((w + 1).next_power_of_two(), 0);
            }
            self.mark(w..w + 1);
            let had = self.bits[w] >> b & 1 == 1;
            self.bits[w] |= 1 << b;
            !had
        } else {
            self.sparse.insert(id)
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, id: u64) -> bool {
        if id < DENSE_LIMIT {
            self.bits
                .get((id >> 6) as usize)
                .is_some_and(|w| w >> (id & 63) & 1 == 1)
        } else {
            self.sparse.contains(&id)
        }
    }

    fn mark(&mut self, words: std::ops::Range<usize>) {
        if self.dirty.is_empty() {
            self.dirty = words;
        } else {
            self.dirty = self.dirty.start.min(words.start)..self.dirty.end.max(words.end);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.bits[self.dirty.clone()].fill(0);
        self.dirty = 0..0;
        self.sparse.clear();
    }

    /// Whether the two sets share an ID.
    pub(crate) fn intersects(&self, other: &IdSet) -> bool {
        self.bits.iter().zip(&other.bits).any(|(a, b)| a & b != 0)
            || self.sparse.iter().any(|id| other.sparse.contains(id))
    }

    /// Adds every ID of `other`.
    pub(crate) fn union_with(&mut self, other: &IdSet) {
        if self.bits.len() < other.bits.len() {
            self.bits.resize(other.bits.len(), 0);
        }
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= b;
        }
        if !other.dirty.is_empty() {
            self.mark(other.dirty.clone());
        }
        self.sparse.extend(other.sparse.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_ids_behave_like_a_set() {
        let mut a = IdSet::default();
        for id in [1, 64, 63, 1 << 30, u64::MAX, 7] {
            assert!(a.insert(id), "{id}");
            assert!(!a.insert(id), "{id} twice");
            assert!(a.contains(id));
        }
        assert!(!a.contains(2) && !a.contains((1 << 30) + 1) && !a.contains(1 << 20));
        let mut b = IdSet::default();
        b.insert(2);
        b.insert(1 << 31);
        assert!(!a.intersects(&b) && !b.intersects(&a));
        b.insert(u64::MAX);
        assert!(a.intersects(&b) && b.intersects(&a));
        let mut c = IdSet::default();
        c.insert(100_000);
        assert!(!c.intersects(&a));
        c.insert(64);
        assert!(c.intersects(&a) && a.intersects(&c));
        a.union_with(&b);
        assert!(a.contains(2) && a.contains(1 << 31));
        a.clear();
        assert!(!a.contains(1) && !a.contains(u64::MAX));
        assert!(a.bits.iter().all(|&w| w == 0) && !a.intersects(&b));
        // Only the words in use are zeroed, and a union marks the other's words.
        let mut c = IdSet::default();
        c.insert(60_000_000);
        assert!(c.dirty.len() == 1 && c.bits.len() > 900_000);
        let mut d = IdSet::default();
        d.insert(3);
        d.union_with(&c);
        assert!(d.contains(60_000_000) && d.contains(3));
        d.clear();
        assert!(d.bits.iter().all(|&w| w == 0));
        assert!(!d.contains(60_000_000) && !d.contains(3));
        assert!(d.insert(60_000_000));
    }
}

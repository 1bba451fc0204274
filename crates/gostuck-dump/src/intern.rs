//! A string interner: function names, file paths and wait reasons repeat
//! millions of times in a large dump, so each distinct string is stored once
//! and frames refer to it by a 4-byte [`Sym`].

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// A handle to an interned string. Only meaningful with the [`Interner`] that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(u32);

impl Sym {
    /// The empty string, present in every interner.
    pub const EMPTY: Sym = Sym(0);

    /// The index of this symbol in its interner.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Strings are packed into chunks of up to this size (one allocation per chunk,
/// not per string); a string longer than half a chunk gets a chunk of its own.
const CHUNK: usize = 256 * 1024;

/// Where one string lives: `chunks[chunk][start..start + len]`.
#[derive(Clone, Copy)]
struct Span {
    chunk: u32,
    start: u32,
    len: u32,
}

/// Owns each distinct string once.
///
/// Large dumps intern millions of distinct argument strings, so the layout is
/// built for that: strings are packed into big chunks, and each table entry
/// carries its string's hash, so lookups rarely touch the string and the table
/// grows without re-reading any string.
#[derive(Clone)]
pub struct Interner {
    spans: Vec<Span>,
    chunks: Vec<String>,
    /// The chunk being filled.
    cur: usize,
    /// (index into `spans`, 32-bit hash of the string)
    table: HashTable<(u32, u32)>,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.spans.len())
            .finish()
    }
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            spans: Vec::new(),
            chunks: Vec::new(),
            cur: 0,
            table: HashTable::new(),
        };
        let empty = i.intern("");
        debug_assert_eq!(empty, Sym::EMPTY);
        i
    }
}

fn hash32(b: &[u8]) -> u32 {
    let mut h = FxBuildHasher.build_hasher();
    h.write(b);
    (h.finish() >> 32) as u32
}

/// Spreads a stored 32-bit hash over the 64 bits the table uses (its top bits
/// pick the control byte, its low bits the bucket).
#[inline]
fn table_hash(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Interner {
    #[inline]
    fn span_str(&self, sp: Span) -> &str {
        let start = sp.start as usize;
        &self.chunks[sp.chunk as usize][start..start + sp.len as usize]
    }

    fn find(&self, b: &[u8], h: u32) -> Option<Sym> {
        self.table
            .find(table_hash(h), |&(i, hh)| {
                hh == h && self.span_str(self.spans[i as usize]).as_bytes() == b
            })
            .map(|&(i, _)| Sym(i))
    }

    /// Stores a string known to be absent.
    fn insert(&mut self, s: &str, h: u32) -> Sym {
        let i = u32::try_from(self.spans.len()).expect("more than 4 billion distinct strings");
        let chunk = if s.len() > CHUNK / 2 {
            self.chunks.push(String::with_capacity(s.len()));
            self.chunks.len() - 1
        } else {
            let fits = self
                .chunks
                .get(self.cur)
                .is_some_and(|c| c.capacity() - c.len() >= s.len());
            if !fits {
                // Small dumps stay small: chunks grow from 1 KiB up to CHUNK.
                let cap = (1024 << self.chunks.len().min(8)).min(CHUNK);
                self.chunks.push(String::with_capacity(cap));
                self.cur = self.chunks.len() - 1;
            }
            self.cur
        };
        let c = &mut self.chunks[chunk];
        let start = c.len();
        c.push_str(s);
        let span = Span {
            chunk: u32::try_from(chunk).expect("too many chunks"),
            start: u32::try_from(start).expect("chunk too large"),
            len: u32::try_from(s.len()).expect("string too long"),
        };
        self.spans.push(span);
        self.table
            .insert_unique(table_hash(h), (i, h), |&(_, hh)| table_hash(hh));
        Sym(i)
    }

    /// Returns the symbol for `s`, storing it if it is new.
    pub fn intern(&mut self, s: &str) -> Sym {
        let h = hash32(s.as_bytes());
        match self.find(s.as_bytes(), h) {
            Some(sym) => sym,
            None => self.insert(s, h),
        }
    }

    /// Interns bytes, replacing invalid UTF-8 (dumps are UTF-8 in practice, but a
    /// corrupt buffer must not stop the reader).
    pub fn intern_bytes(&mut self, b: &[u8]) -> Sym {
        // Look up the raw bytes first: only new strings need UTF-8 validation.
        let h = hash32(b);
        if let Some(sym) = self.find(b, h) {
            return sym;
        }
        match std::str::from_utf8(b) {
            Ok(s) => self.insert(s, h),
            Err(_) => self.intern(&String::from_utf8_lossy(b)),
        }
    }

    /// Interns every string of `other`, in its order; returns the new symbol of
    /// each of `other`'s symbols, by index.
    pub(crate) fn absorb(&mut self, other: &Interner) -> Vec<Sym> {
        other
            .table_order_spans()
            .map(|(sp, h)| {
                let s = other.span_str(sp);
                match self.find(s.as_bytes(), h) {
                    Some(sym) => sym,
                    None => self.insert(s, h),
                }
            })
            .collect()
    }

    /// Each string's span with its hash, by symbol index.
    fn table_order_spans(&self) -> impl Iterator<Item = (Span, u32)> + '_ {
        let mut hashes = vec![0u32; self.spans.len()];
        for &(i, h) in self.table.iter() {
            hashes[i as usize] = h;
        }
        self.spans.iter().copied().zip(hashes)
    }

    /// Looks up a string without storing it.
    #[must_use]
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.find(s.as_bytes(), hash32(s.as_bytes()))
    }

    /// The string behind a symbol.
    #[must_use]
    pub fn resolve(&self, sym: Sym) -> &str {
        self.span_str(self.spans[sym.index()])
    }

    /// Number of distinct strings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Always false: the empty string is always present.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_the_same_string_twice_gives_the_same_symbol() {
        let mut i = Interner::default();
        let a = i.intern("main.main");
        let b = i.intern("sync.(*Mutex).Lock");
        assert_ne!(a, b);
        assert_eq!(i.intern("main.main"), a);
        assert_eq!(i.resolve(b), "sync.(*Mutex).Lock");
        assert_eq!(i.get("main.main"), Some(a));
        assert_eq!(i.get("nope"), None);
        assert_eq!(i.intern(""), Sym::EMPTY);
    }

    #[test]
    fn many_strings_survive_table_growth() {
        let mut i = Interner::default();
        let syms: Vec<_> = (0..10_000).map(|n| i.intern(&format!("f{n}"))).collect();
        for (n, s) in syms.iter().enumerate() {
            assert_eq!(i.resolve(*s), format!("f{n}"));
            assert_eq!(i.intern(&format!("f{n}")), *s);
        }
    }
}

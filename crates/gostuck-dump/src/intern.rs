//! A string interner: function names, file paths and wait reasons repeat
//! millions of times in a large dump, so each distinct string is stored once
//! and frames refer to it by a 4-byte [`Sym`].

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// A handle to an interned string. Only meaningful with the [`Interner`] that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(u32);

impl Sym {
    /// The empty string, present in every interner.
    pub const EMPTY: Sym = Sym(0);

    /// The index of this symbol in its interner.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Owns each distinct string once.
#[derive(Clone)]
pub struct Interner {
    strings: Vec<Box<str>>,
    table: HashTable<u32>,
    hasher: FxBuildHasher,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.strings.len())
            .finish()
    }
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            strings: Vec::new(),
            table: HashTable::new(),
            hasher: FxBuildHasher,
        };
        let empty = i.intern("");
        debug_assert_eq!(empty, Sym::EMPTY);
        i
    }
}

impl Interner {
    fn hash(&self, s: &str) -> u64 {
        self.hasher.hash_one(s)
    }

    /// Returns the symbol for `s`, storing it if it is new.
    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hash(s);
        let strings = &self.strings;
        if let Some(&i) = self.table.find(hash, |&i| &*strings[i as usize] == s) {
            return Sym(i);
        }
        let i = u32::try_from(self.strings.len()).expect("more than 4 billion distinct strings");
        self.strings.push(s.into());
        let strings = &self.strings;
        let hasher = self.hasher;
        self.table
            .insert_unique(hash, i, |&j| hasher.hash_one(&*strings[j as usize]));
        Sym(i)
    }

    /// Interns bytes, replacing invalid UTF-8 (dumps are UTF-8 in practice, but a
    /// corrupt buffer must not stop the reader).
    pub fn intern_bytes(&mut self, b: &[u8]) -> Sym {
        match std::str::from_utf8(b) {
            Ok(s) => self.intern(s),
            Err(_) => self.intern(&String::from_utf8_lossy(b)),
        }
    }

    /// Looks up a string without storing it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let hash = self.hash(s);
        self.table
            .find(hash, |&i| &*self.strings[i as usize] == s)
            .map(|&i| Sym(i))
    }

    /// The string behind a symbol.
    pub fn resolve(&self, sym: Sym) -> &str {
        &self.strings[sym.index()]
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Always false: the empty string is always present.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
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

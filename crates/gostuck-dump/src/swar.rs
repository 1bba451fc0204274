//! Byte searches a word (8 bytes) at a time in a register, for the short
//! strings of dump lines (45 bytes on average): a `memchr` call costs more in
//! call and set-up than such a search.

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const ONES: u64 = 0x0101_0101_0101_0101;

/// The top bit of each byte of `w` equal to `b`, exactly (`(x & 0x7f) + 0x7f`
/// cannot carry into the next byte).
#[inline(always)]
pub(crate) fn eq_mask(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * u64::from(b));
    !(((x & LOW7) + LOW7) | x) & !LOW7
}

#[inline(always)]
fn word(c: &[u8]) -> u64 {
    u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
}

/// Calls `at` with the offset of every byte equal to `b`, in order: 64 bytes
/// at a time with SSE2 (part of every x86-64 CPU), then 8 at a time.
#[inline]
pub(crate) fn for_each_eq(hay: &[u8], b: u8, mut at: impl FnMut(usize)) {
    #[cfg(target_arch = "x86_64")]
    let (hay, mut base) = {
        let mut blocks = hay.chunks_exact(64);
        let mut base = 0;
        for block in &mut blocks {
            // SAFETY: SSE2 is part of the x86_64 baseline: every CPU this
            // target runs on has it (the compiler enables it by default).
            let mut m = unsafe { block_mask(block, b) };
            while m != 0 {
                at(base + m.trailing_zeros() as usize);
                m &= m - 1;
            }
            base += 64;
        }
        (blocks.remainder(), base)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let mut base = 0;
    let mut words = hay.chunks_exact(8);
    for w in &mut words {
        let mut m = eq_mask(word(w), b);
        while m != 0 {
            at(base + (m.trailing_zeros() / 8) as usize);
            m &= m - 1;
        }
        base += 8;
    }
    for (i, &c) in words.remainder().iter().enumerate() {
        if c == b {
            at(base + i);
        }
    }
}

/// Bit `i` set for each byte `block[i]` equal to `b` (`block` has 64 bytes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn block_mask(block: &[u8], b: u8) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8, _mm_set_epi64x};
    let needle = _mm_set1_epi8(b.cast_signed());
    let mut m = 0u64;
    for (k, v) in block.chunks_exact(16).enumerate() {
        let x = _mm_set_epi64x(word(&v[8..]).cast_signed(), word(v).cast_signed());
        let bits = u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(x, needle)).cast_unsigned());
        m |= bits << (16 * k);
    }
    m
}

/// The offset of the last byte equal to `b`.
#[inline]
pub(crate) fn rfind(hay: &[u8], b: u8) -> Option<usize> {
    let mut words = hay.rchunks_exact(8);
    let mut end = hay.len();
    for w in &mut words {
        end -= 8;
        let m = eq_mask(word(w), b);
        if m != 0 {
            return Some(end + (63 - m.leading_zeros() as usize) / 8);
        }
    }
    words.remainder().iter().rposition(|&c| c == b)
}

/// Whether `bad(i)` holds for some offset `i` of a byte equal to `a` or to
/// `b`; asked in order, until it does. 16 bytes at a time with SSE2 on x86-64.
#[inline]
pub(crate) fn any_eq2(hay: &[u8], a: u8, b: u8, mut bad: impl FnMut(usize) -> bool) -> bool {
    #[cfg(target_arch = "x86_64")]
    let (hay, mut base) = {
        let mut blocks = hay.chunks_exact(16);
        let mut base = 0;
        for block in &mut blocks {
            // SAFETY: SSE2 is part of the x86_64 baseline (see `for_each_eq`).
            let mut m = unsafe { block_mask2(block, a, b) };
            while m != 0 {
                if bad(base + m.trailing_zeros() as usize) {
                    return true;
                }
                m &= m - 1;
            }
            base += 16;
        }
        (blocks.remainder(), base)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let mut base = 0;
    let mut words = hay.chunks_exact(8);
    for w in &mut words {
        let w = word(w);
        let mut m = eq_mask(w, a) | eq_mask(w, b);
        while m != 0 {
            if bad(base + (m.trailing_zeros() / 8) as usize) {
                return true;
            }
            m &= m - 1;
        }
        base += 8;
    }
    let rest = words.remainder();
    (0..rest.len()).any(|i| (rest[i] == a || rest[i] == b) && bad(base + i))
}

/// Bit `i` set for each byte `block[i]` equal to `a` or `b` (`block` has 16 bytes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn block_mask2(block: &[u8], a: u8, b: u8) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x,
    };
    let x = _mm_set_epi64x(word(&block[8..]).cast_signed(), word(block).cast_signed());
    let hit = _mm_or_si128(
        _mm_cmpeq_epi8(x, _mm_set1_epi8(a.cast_signed())),
        _mm_cmpeq_epi8(x, _mm_set1_epi8(b.cast_signed())),
    );
    _mm_movemask_epi8(hit).cast_unsigned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random bytes, many of them equal or close (one bit off) to `b`.
    fn samples(b: u8) -> Vec<Vec<u8>> {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut out = Vec::new();
        for len in 0..80 {
            for _ in 0..100 {
                out.push(
                    (0..len)
                        .map(|_| {
                            rng ^= rng << 13;
                            rng ^= rng >> 7;
                            rng ^= rng << 17;
                            match rng % 4 {
                                0 => b,
                                1 => (rng >> 8).to_le_bytes()[0],
                                2 => b ^ (1u8 << ((rng >> 8) % 8)),
                                _ => b ^ 0x80,
                            }
                        })
                        .collect(),
                );
            }
        }
        out
    }

    #[test]
    fn searches_agree_with_memchr_at_every_offset() {
        for b in [b'\n', b'(', b':', 0, 0xff, 0x80, 0x7f] {
            for hay in samples(b) {
                let want: Vec<usize> = memchr::memchr_iter(b, &hay).collect();
                let mut got = Vec::new();
                for_each_eq(&hay, b, |i| got.push(i));
                assert_eq!(got, want, "{b} in {hay:?}");
                assert_eq!(rfind(&hay, b), memchr::memrchr(b, &hay), "{b} in {hay:?}");
                let want2: Vec<usize> = memchr::memchr2_iter(b, b'\t', &hay).collect();
                let mut got2 = Vec::new();
                assert!(!any_eq2(&hay, b, b'\t', |i| {
                    got2.push(i);
                    false
                }));
                assert_eq!(got2, want2, "{b} or tab in {hay:?}");
                let first = want2.first().copied();
                let mut stopped = None;
                assert_eq!(
                    any_eq2(&hay, b, b'\t', |i| {
                        stopped = Some(i);
                        true
                    }),
                    first.is_some()
                );
                assert_eq!(stopped, first);
            }
        }
    }
}

//! Conversions of numbers read from the target into numbers used here.
//!
//! gostuck-attach reads 64-bit Linux processes and cores only, where `usize`
//! is 64 bits wide: these conversions are then exact. On a narrower host a
//! value past `usize::MAX` saturates, so the bounds check that follows every
//! use refuses it instead of wrapping to a small, wrong index.

/// A length, offset or count read from the target, as an index here.
pub(crate) fn idx(x: u64) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

/// A process ID as the kernel's signed `pid_t`; `None` past `i32::MAX`
/// (no such process can exist).
pub(crate) fn pid_t(pid: u32) -> Option<i32> {
    i32::try_from(pid).ok()
}

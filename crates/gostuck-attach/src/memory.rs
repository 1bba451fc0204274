//! Where the target's bytes come from: a live process (`/proc/PID/mem`) or,
//! in other modules, a core file.

use std::fs::File;
use std::os::unix::fs::FileExt;

/// Somewhere goroutine structures can be read from: a live process or a core file.
pub trait Memory {
    /// Fill `buf` with the bytes at virtual address `addr` of the target, or fail.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError>;

    /// Reads `out.len() / addrs.len()` bytes at each address into consecutive
    /// pieces of `out`; says for each whether it was read. A live process
    /// does up to 1024 of them per system call; the default reads one by one.
    fn read_many(&self, addrs: &[u64], out: &mut [u8]) -> Vec<bool> {
        let len = out.len().checked_div(addrs.len()).unwrap_or(0);
        addrs
            .iter()
            .zip(out.chunks_mut(len.max(1)))
            .map(|(&a, b)| self.read(a, b).is_ok())
            .collect()
    }
}

/// Why bytes of the target could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// Nothing is mapped there (or only part of the range is).
    #[error("address {addr:#x} ({len} bytes) is not mapped in the target")]
    Unmapped {
        /// First address of the read.
        addr: u64,
        /// Bytes asked for.
        len: usize,
    },
    /// The operating system refused the read (`EPERM`, `ESRCH`, …).
    #[error("reading {addr:#x}: {source}")]
    Io {
        /// First address of the read.
        addr: u64,
        /// The system's error, kept whole so callers can explain it.
        #[source]
        source: std::io::Error,
    },
}

/// The memory of a live process, read through `/proc/PID/mem` with
/// positioned reads (no ptrace stop; the kernel checks the same
/// ptrace-access permission as for `PTRACE_ATTACH`).
#[derive(Debug)]
pub struct ProcessMemory {
    pid: u32,
    file: File,
}

impl ProcessMemory {
    /// Opens `/proc/PID/mem`. Permission problems (`EACCES`/`EPERM`) and a
    /// gone process (`ENOENT`/`ESRCH`) come back as the system's own error.
    pub fn open(pid: u32) -> std::io::Result<ProcessMemory> {
        let file = File::open(format!("/proc/{pid}/mem"))?;
        Ok(ProcessMemory { pid, file })
    }

    /// The process ID.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// How far the process loaded `bin` from its link-time addresses: its
    /// `AT_ENTRY` (from `/proc/PID/auxv`) minus the executable's entry; 0 for
    /// an executable that is not position-independent.
    pub fn load_bias(&self, bin: &crate::Binary) -> std::io::Result<u64> {
        if !bin.is_position_independent() {
            return Ok(0);
        }
        let auxv = std::fs::read(format!("/proc/{}/auxv", self.pid))?;
        const AT_ENTRY: u64 = 9;
        auxv.chunks_exact(16)
            .find(|kv| le(kv, 0, 8) == Some(AT_ENTRY))
            .and_then(|kv| le(kv, 8, 8))
            .map(|at_entry| at_entry.wrapping_sub(bin.entry()))
            .ok_or_else(|| std::io::Error::other("no AT_ENTRY in /proc/PID/auxv"))
    }
}

impl Memory for ProcessMemory {
    fn read_many(&self, addrs: &[u64], out: &mut [u8]) -> Vec<bool> {
        let len = out.len().checked_div(addrs.len()).unwrap_or(0);
        let mut ok = vec![false; addrs.len()];
        if len == 0 {
            return ok;
        }
        for (k, (group, dst)) in addrs
            .chunks(1024)
            .zip(out.chunks_mut(1024 * len))
            .enumerate()
        {
            let mut from = 0;
            // process_vm_readv stops at the first piece it cannot read: go
            // on after it, and read that one alone (to know why).
            while from < group.len() {
                let n = vm_readv(self.pid, &group[from..], &mut dst[from * len..], len);
                for i in from..from + n {
                    ok[k * 1024 + i] = true;
                }
                from += n;
                if from < group.len() {
                    let piece = &mut dst[from * len..(from + 1) * len];
                    ok[k * 1024 + from] = self.read(group[from], piece).is_ok();
                    from += 1;
                }
            }
        }
        ok
    }

    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        let mut done = 0;
        while done < buf.len() {
            let at = addr.wrapping_add(done as u64);
            match self.file.read_at(&mut buf[done..], at) {
                // A short read ends at the end of a mapping; 0 or EIO means
                // the next byte is not mapped.
                Ok(0) => return Err(unmapped(addr, buf.len())),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.raw_os_error() == Some(5) => return Err(unmapped(addr, buf.len())),
                Err(source) => return Err(MemoryError::Io { addr, source }),
            }
        }
        Ok(())
    }
}

/// One process_vm_readv of `len` bytes at each address into `dst`: how many
/// pieces were read whole.
fn vm_readv(pid: u32, addrs: &[u64], dst: &mut [u8], len: usize) -> usize {
    let local = [libc::iovec {
        iov_base: dst.as_mut_ptr().cast(),
        iov_len: addrs.len() * len,
    }];
    let remote: Vec<libc::iovec> = addrs
        .iter()
        .map(|&a| libc::iovec {
            iov_base: crate::num::idx(a) as *mut libc::c_void,
            iov_len: len,
        })
        .collect();
    debug_assert!(dst.len() >= addrs.len() * len);
    // SAFETY: the one local iovec covers `addrs.len() * len` bytes of `dst`,
    // which is at least that long; the remote iovecs are only read by the
    // kernel from the other process, never dereferenced here.
    let got = unsafe {
        libc::process_vm_readv(
            crate::num::pid_t(pid).unwrap_or(0),
            local.as_ptr(),
            1,
            remote.as_ptr(),
            remote.len() as libc::c_ulong,
            0,
        )
    };
    usize::try_from(got).map_or(0, |b| b / len)
}

fn unmapped(addr: u64, len: usize) -> MemoryError {
    MemoryError::Unmapped { addr, len }
}

/// Little-endian readers over any [`Memory`] (the targets are amd64 and arm64).
pub(crate) fn read_u64(mem: &dyn Memory, addr: u64) -> Result<u64, MemoryError> {
    let mut b = [0u8; 8];
    mem.read(addr, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Bytes `[off, off+width)` of `buf` as a little-endian unsigned number
/// (`width` 1, 2, 4 or 8); `None` when out of range.
pub(crate) fn le(buf: &[u8], off: usize, width: usize) -> Option<u64> {
    let b = buf.get(off..off.checked_add(width)?)?;
    let mut v = [0u8; 8];
    v.get_mut(..width)?.copy_from_slice(b);
    Some(u64::from_le_bytes(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_memory_and_reports_unmapped() {
        let me = ProcessMemory::open(std::process::id()).unwrap();
        let data: Box<[u8; 32]> = Box::new(std::array::from_fn(|i| u8::try_from(i * 3).unwrap()));
        let mut got = [0u8; 32];
        me.read(data.as_ptr() as u64, &mut got).unwrap();
        assert_eq!(&got, &*data);
        // The zero page is never mapped.
        let err = me.read(16, &mut got).unwrap_err();
        assert!(
            matches!(err, MemoryError::Unmapped { addr: 16, len: 32 }),
            "{err}"
        );
    }

    #[test]
    fn read_many_reads_each_piece_or_says_which_not() {
        let me = ProcessMemory::open(std::process::id()).unwrap();
        let data: Vec<u8> = (0..4096u32).map(|i| (i * 7).to_le_bytes()[0]).collect();
        let base = data.as_ptr() as u64;
        // 1500 pieces: two system calls' worth, with unmapped ones between.
        let addrs: Vec<u64> = (0..1500u64)
            .map(|i| if i % 500 == 7 { 8 } else { base + (i % 4000) })
            .collect();
        let mut out = vec![0u8; addrs.len() * 16];
        let ok = me.read_many(&addrs, &mut out);
        for (i, (&a, piece)) in addrs.iter().zip(out.chunks(16)).enumerate() {
            if a == 8 {
                assert!(!ok[i], "piece {i}");
                continue;
            }
            assert!(ok[i], "piece {i}");
            let off = crate::num::idx(a - base);
            assert_eq!(piece, &data[off..off + 16], "piece {i}");
        }
    }

    #[test]
    fn le_reads_widths_and_refuses_out_of_range() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(le(&b, 0, 1), Some(1));
        assert_eq!(le(&b, 1, 4), Some(0x05040302));
        assert_eq!(le(&b, 1, 8), Some(0x0908070605040302));
        assert_eq!(le(&b, 2, 8), None);
        assert_eq!(le(&b, usize::MAX, 2), None);
    }
}

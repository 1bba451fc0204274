//! [`Memory`] over an ELF core file (`ET_CORE`): kernel cores of
//! `GOTRACEBACK=crash` and `gcore` cores.
//!
//! The core is memory-mapped, never read whole: a read copies just the
//! bytes asked for. Its `PT_LOAD` segments hold the target's memory; what
//! the dumper left out (`p_filesz < p_memsz`: file-backed mappings that
//! `/proc/PID/coredump_filter` excludes, such as the executable's text and
//! read-only data) is read from the executable itself when it is given
//! ([`CoreMemory::set_binary`]), at the file offset the `NT_FILE` note
//! names. The notes also give each thread's registers (`NT_PRSTATUS`, amd64)
//! and the auxiliary vector, whose `AT_ENTRY` tells which mapping is the
//! executable.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use object::elf::{FileHeader64, EM_X86_64, ET_CORE, NT_AUXV, NT_FILE, NT_PRSTATUS, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

use crate::buildid::{self, BuildIds};
use crate::memory::{Memory, MemoryError};

/// `AT_ENTRY` in the auxiliary vector.
const AT_ENTRY: u64 = 9;
/// Entries in an `NT_FILE` note we accept (a process has at most
/// `vm.max_map_count`, 65530 by default, mappings).
const MAX_FILES: u64 = 1 << 20;

/// Why a core file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The file cannot be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// Not a 64-bit little-endian ELF core.
    #[error("{path} is not an ELF core file of a 64-bit little-endian machine ({reason})")]
    NotCore {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A mapping of a file in the target, from the `NT_FILE` note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// The file offset mapped at `start`, in bytes.
    pub offset: u64,
    /// The file's path when the core was written.
    pub path: String,
}

/// A thread of the target when the core was written (`NT_PRSTATUS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreThread {
    /// The thread ID.
    pub tid: u32,
    /// The signal that made the core (0 for gcore).
    pub signal: u16,
    /// Instruction pointer.
    pub rip: u64,
    /// Stack pointer.
    pub rsp: u64,
    /// Frame pointer.
    pub rbp: u64,
    /// The thread-local storage base (Go keeps `g` at a fixed offset from it).
    pub fs_base: u64,
}

/// One `PT_LOAD` segment.
#[derive(Debug, Clone, Copy)]
struct Load {
    vaddr: u64,
    memsz: u64,
    offset: u64,
    /// Bytes present in the core (already cut at the file's end).
    filesz: u64,
}

/// How much of the target's memory a core holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreStats {
    /// `PT_LOAD` segments.
    pub segments: usize,
    /// Bytes of memory in the core.
    pub present: u64,
    /// Bytes of mapped memory the dumper left out.
    pub left_out: u64,
}

/// What "now" was for a core: Go's wait times (`g.waitsince`) are
/// `nanotime()` stamps, CLOCK_MONOTONIC of the target's machine, and a core
/// records no clock reading. See [`CoreMemory::clock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreClock {
    /// CLOCK_MONOTONIC (Go's `nanotime()`) when the core was last written,
    /// from its modification time on this machine's current boot.
    Mtime {
        /// Nanoseconds.
        nanotime: u64,
    },
    /// Unknown: wait minutes must be left out.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// An ELF core file, read as the memory of the process it was taken from.
pub struct CoreMemory {
    path: PathBuf,
    map: memmap2::Mmap,
    /// Sorted by address.
    loads: Vec<Load>,
    files: Vec<FileMapping>,
    threads: Vec<CoreThread>,
    auxv: Vec<(u64, u64)>,
    modified: Option<SystemTime>,
    /// The executable, for the bytes of its mappings the core left out.
    binary: Option<(PathBuf, memmap2::Mmap)>,
}

impl std::fmt::Debug for CoreMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreMemory")
            .field("path", &self.path)
            .field("segments", &self.loads.len())
            .field("files", &self.files.len())
            .field("threads", &self.threads.len())
            .finish()
    }
}

/// Memory-maps a file read-only.
fn map(path: &Path) -> std::io::Result<memmap2::Mmap> {
    let f = std::fs::File::open(path)?;
    // SAFETY: a read-only private map, only read through bounds-checked slices
    // while it lives. Someone truncating the file meanwhile would make reads
    // fault (SIGBUS); cores and executables are not rewritten in place.
    unsafe { memmap2::Mmap::map(&f) }
}

impl CoreMemory {
    /// Opens a core file: memory-maps it and reads its program headers and notes.
    pub fn open(path: &Path) -> Result<CoreMemory, CoreError> {
        let read_err = |source| CoreError::Read {
            path: path.to_owned(),
            source,
        };
        let map = map(path).map_err(read_err)?;
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let mut core = CoreMemory {
            path: path.to_owned(),
            map,
            loads: Vec::new(),
            files: Vec::new(),
            threads: Vec::new(),
            auxv: Vec::new(),
            modified,
            binary: None,
        };
        core.index().map_err(|reason| CoreError::NotCore {
            path: path.to_owned(),
            reason,
        })?;
        Ok(core)
    }

    /// Reads the program headers and notes.
    fn index(&mut self) -> Result<(), String> {
        let data: &[u8] = &self.map;
        let h = FileHeader64::<Endianness>::parse(data).map_err(|e| e.to_string())?;
        let e = h.endian().map_err(|e| e.to_string())?;
        if e != Endianness::Little {
            return Err("big-endian".into());
        }
        if h.e_type(e) != ET_CORE {
            return Err(format!("ELF type {}, not ET_CORE", h.e_type(e)));
        }
        let amd64 = h.e_machine(e) == EM_X86_64;
        let len = data.len() as u64;
        for p in h.program_headers(e, data).map_err(|e| e.to_string())? {
            if p.p_type(e) == PT_LOAD {
                let (offset, filesz) = (p.p_offset(e), p.p_filesz(e));
                // A truncated core holds less than its headers say.
                let present = filesz.min(len.saturating_sub(offset));
                self.loads.push(Load {
                    vaddr: p.p_vaddr(e),
                    memsz: p.p_memsz(e).max(present),
                    offset,
                    filesz: present,
                });
            }
            let Ok(Some(mut notes)) = p.notes(e, data) else {
                continue;
            };
            while let Ok(Some(n)) = notes.next() {
                if n.name() != b"CORE" {
                    continue;
                }
                match n.n_type(e) {
                    NT_FILE => self.files = parse_nt_file(n.desc()).unwrap_or_default(),
                    NT_PRSTATUS if amd64 => self.threads.extend(parse_prstatus(n.desc())),
                    NT_AUXV => {
                        let w: Vec<u64> = words(n.desc()).collect();
                        self.auxv = w.chunks_exact(2).map(|p| (p[0], p[1])).collect();
                    }
                    _ => {}
                }
            }
        }
        if self.loads.is_empty() {
            return Err("no PT_LOAD segments".into());
        }
        self.loads.sort_by_key(|l| l.vaddr);
        Ok(())
    }

    /// How much of the target's memory the core holds.
    #[must_use]
    pub fn stats(&self) -> CoreStats {
        let sum = |f: fn(&Load) -> u64| self.loads.iter().fold(0u64, |n, l| n.saturating_add(f(l)));
        CoreStats {
            segments: self.loads.len(),
            present: sum(|l| l.filesz),
            left_out: sum(|l| l.memsz - l.filesz),
        }
    }

    /// The core's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file mappings (`NT_FILE`), in the note's order.
    #[must_use]
    pub fn files(&self) -> &[FileMapping] {
        &self.files
    }

    /// The threads (amd64 cores; empty for other machines).
    #[must_use]
    pub fn threads(&self) -> &[CoreThread] {
        &self.threads
    }

    /// The program's entry point as loaded (`AT_ENTRY`), from which the load
    /// bias of a position-independent executable follows.
    #[must_use]
    pub fn entry(&self) -> Option<u64> {
        self.auxv.iter().find(|a| a.0 == AT_ENTRY).map(|a| a.1)
    }

    /// The executable's mapping at file offset 0: the `NT_FILE` mapping
    /// holding the entry point (`AT_ENTRY`), then the first mapping of that
    /// file. `None` without those notes.
    #[must_use]
    pub fn executable(&self) -> Option<&FileMapping> {
        let entry = self.entry()?;
        let exe = self
            .files
            .iter()
            .find(|f| f.start <= entry && entry < f.end)?;
        self.files
            .iter()
            .filter(|f| f.path == exe.path && f.offset == 0)
            .min_by_key(|f| f.start)
    }

    /// The build IDs of the executable as the core holds them (the notes in
    /// its first page, which kernels dump for ELF mappings and gcore keeps),
    /// read without the binary.
    #[must_use]
    pub fn executable_ids(&self) -> Option<BuildIds> {
        let base = self.executable()?.start;
        let bare = CoreOnly(self);
        buildid::ids_in_memory(&bare, base)
    }

    /// Reads the bytes of the executable's mappings that the core left out
    /// from `path` (which must be the same build: check with
    /// [`CoreMemory::executable_ids`] first).
    pub fn set_binary(&mut self, path: &Path) -> Result<(), CoreError> {
        let m = map(path).map_err(|source| CoreError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.binary = Some((path.to_owned(), m));
        Ok(())
    }

    /// Go's `nanotime()` when the core was written, estimated from the
    /// core's modification time: now on CLOCK_MONOTONIC minus how long ago
    /// the core was modified. Right for a core written on this machine since
    /// its last boot and not modified since (the kernel and gcore write a
    /// core in seconds); unknown for a core from before the boot. A core
    /// copied from another machine gives a wrong time: the caller should
    /// check it against the newest `waitsince` it finds.
    #[must_use]
    pub fn clock(&self) -> CoreClock {
        let Some(modified) = self.modified else {
            return CoreClock::Unknown {
                reason: "the core file has no modification time".into(),
            };
        };
        let ago = SystemTime::now()
            .duration_since(modified)
            .unwrap_or_default();
        let now = u128::try_from(crate::target::monotonic_ns()).unwrap_or(0);
        match now.checked_sub(ago.as_nanos()) {
            Some(t) if t > 0 => CoreClock::Mtime {
                nanotime: u64::try_from(t).unwrap_or(u64::MAX),
            },
            _ => CoreClock::Unknown {
                reason: format!(
                    "the core was written {}s ago, before this machine's last boot: wait times cannot be computed",
                    ago.as_secs()
                ),
            },
        }
    }

    /// The bytes at `addr` that the core itself holds (at most `want`).
    fn in_core(&self, addr: u64, want: usize) -> Option<&[u8]> {
        let i = self
            .loads
            .partition_point(|l| l.vaddr <= addr)
            .checked_sub(1)?;
        let l = &self.loads[i];
        let off = addr - l.vaddr;
        if off >= l.filesz {
            return None;
        }
        let n = usize::try_from((l.filesz - off).min(want as u64)).ok()?;
        let start = usize::try_from(l.offset.checked_add(off)?).ok()?;
        self.map.get(start..start.checked_add(n)?)
    }

    /// The bytes at `addr` from the executable file (at most `want`).
    fn in_binary(&self, addr: u64, want: usize) -> Option<&[u8]> {
        let (_, bin) = self.binary.as_ref()?;
        let exe = &self.executable()?.path;
        let f = self
            .files
            .iter()
            .find(|f| &f.path == exe && f.start <= addr && addr < f.end)?;
        let at = f.offset.checked_add(addr - f.start)?;
        let n = (f.end - addr).min(want as u64);
        let start = usize::try_from(at).ok()?;
        let end = start.checked_add(crate::num::idx(n))?.min(bin.len());
        bin.get(start..end).filter(|b| !b.is_empty())
    }

    fn read_from(&self, addr: u64, buf: &mut [u8], binary: bool) -> Result<(), MemoryError> {
        let mut done = 0;
        while done < buf.len() {
            let at = addr.checked_add(done as u64).ok_or(MemoryError::Unmapped {
                addr,
                len: buf.len(),
            })?;
            let want = buf.len() - done;
            let got = self
                .in_core(at, want)
                .or_else(|| binary.then(|| self.in_binary(at, want)).flatten());
            match got {
                Some(b) => {
                    buf[done..done + b.len()].copy_from_slice(b);
                    done += b.len();
                }
                None => {
                    return Err(MemoryError::Unmapped {
                        addr: at,
                        len: want,
                    })
                }
            }
        }
        Ok(())
    }
}

impl Memory for CoreMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        self.read_from(addr, buf, true)
    }
}

/// The core alone, without the binary's bytes.
struct CoreOnly<'a>(&'a CoreMemory);

impl Memory for CoreOnly<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        self.0.read_from(addr, buf, false)
    }
}

/// Little-endian 64-bit words.
fn words(b: &[u8]) -> impl Iterator<Item = u64> + '_ {
    b.chunks_exact(8)
        .map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])))
}

/// `NT_FILE`: count, page size, `count` × (start, end, offset in pages),
/// then `count` NUL-terminated paths (`fs/binfmt_elf.c: fill_files_note`).
fn parse_nt_file(desc: &[u8]) -> Option<Vec<FileMapping>> {
    let mut w = words(desc);
    let (count, page) = (w.next()?, w.next()?);
    if count > MAX_FILES || (desc.len() as u64) < 16 + count * 24 {
        return None;
    }
    let ranges: Vec<u64> = w.take(crate::num::idx(count).saturating_mul(3)).collect();
    let mut paths = desc[16 + crate::num::idx(count) * 24..].split(|&c| c == 0);
    let mut out = Vec::with_capacity(crate::num::idx(count));
    for r in ranges.chunks_exact(3) {
        let path = String::from_utf8_lossy(paths.next()?).into_owned();
        out.push(FileMapping {
            start: r[0],
            end: r[1],
            offset: r[2].checked_mul(page)?,
            path,
        });
    }
    Some(out)
}

/// `struct elf_prstatus` of x86-64: pid at 32, `pr_reg` (27 registers of
/// `user_regs_struct`) at 112.
fn parse_prstatus(desc: &[u8]) -> Option<CoreThread> {
    let u32_at = |o: usize| Some(u32::from_le_bytes(desc.get(o..o + 4)?.try_into().ok()?));
    let reg = |i: usize| {
        let o = 112 + i * 8;
        Some(u64::from_le_bytes(desc.get(o..o + 8)?.try_into().ok()?))
    };
    Some(CoreThread {
        tid: u32_at(32)?,
        signal: u16::from_le_bytes(desc.get(12..14)?.try_into().ok()?),
        rbp: reg(4)?,
        rip: reg(16)?,
        rsp: reg(19)?,
        fs_base: reg(21)?,
    })
}

/// Whether the file at `path` is an ELF core file (by its first bytes); a
/// file that cannot be read is not.
#[must_use]
pub fn is_core_file(path: &std::path::Path) -> bool {
    let mut head = [0u8; 64];
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_exact(&mut &f, &mut head))
        .is_ok()
        && is_core(&head)
}

/// Whether `head` (the first bytes of a file) is an ELF core file.
#[must_use]
pub fn is_core(head: &[u8]) -> bool {
    head.len() >= 18
        && head.starts_with(b"\x7fELF")
        && head[4] == 2
        && head[5] == 1
        && u16::from_le_bytes([head[16], head[17]]) == ET_CORE
}

//! Build IDs: which build of a program a file, a process or a core is.
//!
//! The Go linker stamps every ELF executable with a Go build ID (the
//! `.note.go.buildid` note, type 4, owner `Go`, placed in the first page so
//! that it is in memory and in core dumps) and usually a GNU build ID
//! (`.note.gnu.build-id`, type 3, owner `GNU`). `strip` and
//! `objcopy --strip-debug` keep both, so a deployed stripped binary and the
//! unstripped build it was made from share them; `go build -ldflags=-s -w`
//! is a different link (other addresses, other IDs) and cannot stand in for
//! an unstripped build.

use std::fmt;
use std::path::{Path, PathBuf};

use object::elf::{FileHeader64, PT_LOAD, PT_NOTE, SHT_NOTE};
use object::read::elf::{FileHeader, NoteIterator, ProgramHeader, SectionHeader};
use object::Endianness;

use crate::memory::Memory;

/// `ELF_NOTE_GOBUILDID_TAG` (`cmd/link/internal/ld/elf.go`).
const NT_GO_BUILDID: u32 = 4;
/// `NT_GNU_BUILD_ID` (`elf.h`).
const NT_GNU_BUILD_ID: u32 = 3;
/// More note bytes than any build ID needs: a hostile header cannot make us read more.
const MAX_NOTES: u64 = 64 << 10;

/// The build IDs of one build of a program.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildIds {
    /// The Go build ID (`actionID(binary)/actionID(main.a)/contentID(main.a)/contentID(binary)`).
    pub go: Option<String>,
    /// The GNU build ID bytes.
    pub gnu: Option<Vec<u8>>,
}

impl BuildIds {
    /// Whether both name the same build: `Some(true)` or `Some(false)` when
    /// they carry an ID of the same kind (the Go one first), `None` when they
    /// have none in common.
    #[must_use]
    pub fn same_build(&self, other: &BuildIds) -> Option<bool> {
        match (&self.go, &other.go, &self.gnu, &other.gnu) {
            (Some(a), Some(b), _, _) => Some(a == b),
            (_, _, Some(a), Some(b)) => Some(a == b),
            _ => None,
        }
    }

    /// Whether there is no ID at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.go.is_none() && self.gnu.is_none()
    }

    /// Takes the build IDs from notes (owner, type, description).
    fn add_note(&mut self, name: &[u8], n_type: u32, desc: &[u8]) {
        let name = name.strip_suffix(b"\0").unwrap_or(name);
        match (name, n_type) {
            (b"Go", NT_GO_BUILDID) if self.go.is_none() => {
                self.go = Some(String::from_utf8_lossy(desc).into_owned())
            }
            (b"GNU", NT_GNU_BUILD_ID) if self.gnu.is_none() => self.gnu = Some(desc.to_vec()),
            _ => {}
        }
    }
}

impl fmt::Display for BuildIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(g) = &self.go {
            parts.push(format!("Go build ID {g}"));
        }
        if let Some(g) = &self.gnu {
            let hex: String = g.iter().map(|b| format!("{b:02x}")).collect();
            parts.push(format!("GNU build ID {hex}"));
        }
        if parts.is_empty() {
            return write!(f, "no build ID");
        }
        write!(f, "{}", parts.join(", "))
    }
}

/// Why a binary cannot be used or does not belong to the target.
#[derive(Debug, thiserror::Error)]
pub enum BuildIdError {
    /// The file cannot be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// Not a 64-bit little-endian ELF file.
    #[error("{path} is not a 64-bit little-endian ELF executable ({reason})")]
    NotElf {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No Go build ID note: not built by the Go linker.
    #[error("{path} is not a Go program (it has no Go build ID note); gostuck reads only the goroutines of Go programs")]
    NotGo {
        /// The file.
        path: PathBuf,
    },
    /// No symbol table or no DWARF: the goroutine structures cannot be found.
    #[error("{path} is stripped (it has no {missing}): gostuck needs the symbols and DWARF of the program to find its goroutines. Pass --binary with an unstripped build of the same program: the build you stripped with `strip`/`objcopy` (their build IDs match), not a new `go build -ldflags=\"-s -w\"`, which is a different link")]
    Stripped {
        /// The file.
        path: PathBuf,
        /// `symbol table`, `DWARF` or both.
        missing: String,
    },
    /// The binary is another build than the one the target runs.
    #[error("{binary} is not the program {target} runs: {binary} has {binary_ids}, {target} has {target_ids}. Pass --binary with the exact build the process was started from (an unstripped copy of it; `strip` keeps the build ID)")]
    Mismatch {
        /// The binary given.
        binary: PathBuf,
        /// Its IDs.
        binary_ids: Box<BuildIds>,
        /// The process or core, described.
        target: String,
        /// Its IDs.
        target_ids: Box<BuildIds>,
    },
}

/// What an ELF file holds that gostuck needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfFacts {
    /// Its build IDs.
    pub ids: BuildIds,
    /// Whether it has a non-empty `.symtab`.
    pub symtab: bool,
    /// Whether it has DWARF (`.debug_info`, compressed or not).
    pub dwarf: bool,
}

impl ElfFacts {
    /// Reads the facts of an ELF executable's bytes (memory-map big files).
    pub fn parse(path: &Path, data: &[u8]) -> Result<ElfFacts, BuildIdError> {
        let not_elf = |e: object::read::Error| BuildIdError::NotElf {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let h = FileHeader64::<Endianness>::parse(data).map_err(not_elf)?;
        let e = h.endian().map_err(not_elf)?;
        if e != Endianness::Little {
            return Err(BuildIdError::NotElf {
                path: path.to_owned(),
                reason: "big-endian".into(),
            });
        }
        let sections = h.sections(e, data).map_err(not_elf)?;
        let mut facts = ElfFacts {
            ids: BuildIds::default(),
            symtab: false,
            dwarf: false,
        };
        for s in sections.iter() {
            let name = sections.section_name(e, s).unwrap_or_default();
            let nonempty = s.sh_size(e) > 0;
            match name {
                b".symtab" => facts.symtab |= nonempty,
                b".debug_info" | b".zdebug_info" => facts.dwarf |= nonempty,
                _ => {}
            }
            if s.sh_type(e) == SHT_NOTE {
                if let Ok(Some(mut notes)) = s.notes(e, data) {
                    while let Ok(Some(n)) = notes.next() {
                        facts.ids.add_note(n.name(), n.n_type(e), n.desc());
                    }
                }
            }
        }
        // Without section headers, the program's notes are still in PT_NOTE.
        if facts.ids.is_empty() {
            for p in h.program_headers(e, data).map_err(not_elf)? {
                if let Ok(Some(mut notes)) = p.notes(e, data) {
                    while let Ok(Some(n)) = notes.next() {
                        facts.ids.add_note(n.name(), n.n_type(e), n.desc());
                    }
                }
            }
        }
        Ok(facts)
    }

    /// Reads the facts of the ELF file at `path` (memory-mapped).
    pub fn read(path: &Path) -> Result<ElfFacts, BuildIdError> {
        let read_err = |source| BuildIdError::Read {
            path: path.to_owned(),
            source,
        };
        let f = std::fs::File::open(path).map_err(read_err)?;
        // SAFETY: the map is read-only and private, read only while `map` lives; a file
        // truncated meanwhile by someone else would fault (SIGBUS), which we cannot
        // prevent for any mapped file and accept for executables, which are not
        // rewritten in place while they run.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(read_err)?;
        ElfFacts::parse(path, &map)
    }

    /// Refuses a file the Go linker did not make, and a binary without
    /// symbols or DWARF.
    pub fn require_unstripped(&self, path: &Path) -> Result<(), BuildIdError> {
        if self.ids.go.is_none() {
            return Err(BuildIdError::NotGo {
                path: path.to_owned(),
            });
        }
        let missing = match (self.symtab, self.dwarf) {
            (true, true) => return Ok(()),
            (false, true) => "symbol table",
            (true, false) => "DWARF",
            (false, false) => "symbol table and no DWARF",
        };
        Err(BuildIdError::Stripped {
            path: path.to_owned(),
            missing: missing.into(),
        })
    }
}

/// How a binary was matched with its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// The same build ID.
    Same(BuildIds),
    /// The target shows no build ID to compare with (say so to the user).
    Unverifiable(String),
}

/// Checks that `binary` (with `binary_ids`) is the build `target` runs.
pub fn verify(
    binary: &Path,
    binary_ids: &BuildIds,
    target: &str,
    target_ids: &BuildIds,
) -> Result<Verified, BuildIdError> {
    match binary_ids.same_build(target_ids) {
        Some(true) => Ok(Verified::Same(binary_ids.clone())),
        Some(false) => Err(BuildIdError::Mismatch {
            binary: binary.to_owned(),
            binary_ids: Box::new(binary_ids.clone()),
            target: target.to_owned(),
            target_ids: Box::new(target_ids.clone()),
        }),
        None => Ok(Verified::Unverifiable(format!(
            "{} could not be checked against {target}: {binary_ids} there, {target_ids} here",
            binary.display()
        ))),
    }
}

/// The build IDs of an ELF image loaded at `base` in a target's memory (a
/// process, or a core whose first page of the executable was dumped): its
/// `PT_NOTE` segments, read through the program headers in memory.
pub fn ids_in_memory(mem: &dyn Memory, base: u64) -> Option<BuildIds> {
    const EHDR: usize = 64;
    let mut ehdr = [0u8; EHDR];
    mem.read(base, &mut ehdr).ok()?;
    let h = FileHeader64::<Endianness>::parse(&ehdr[..]).ok()?;
    let e = h.endian().ok()?;
    let (phoff, phnum) = (h.e_phoff(e), u64::from(h.e_phnum(e)));
    if phnum == 0 || phnum > 256 || usize::from(h.e_phentsize(e)) != 56 {
        return None;
    }
    let mut phdrs = vec![0u8; crate::num::idx(phnum * 56)];
    mem.read(base.checked_add(phoff)?, &mut phdrs).ok()?;
    let phdrs: &[object::elf::ProgramHeader64<Endianness>] =
        object::pod::slice_from_all_bytes(&phdrs).ok()?;
    // The load bias: where the segment at file offset 0 was put.
    let first = phdrs
        .iter()
        .find(|p| p.p_type(e) == PT_LOAD && p.p_offset(e) == 0)?;
    let bias = base.wrapping_sub(first.p_vaddr(e));
    let mut ids = BuildIds::default();
    for p in phdrs.iter().filter(|p| p.p_type(e) == PT_NOTE) {
        let size = p.p_filesz(e);
        if size == 0 || size > MAX_NOTES {
            continue;
        }
        let mut notes = vec![0u8; crate::num::idx(size)];
        if mem
            .read(bias.wrapping_add(p.p_vaddr(e)), &mut notes)
            .is_err()
        {
            continue;
        }
        let Ok(mut it) = NoteIterator::<FileHeader64<Endianness>>::new(e, p.p_align(e), &notes)
        else {
            continue;
        };
        while let Ok(Some(n)) = it.next() {
            ids.add_note(n.name(), n.n_type(e), n.desc());
        }
    }
    (!ids.is_empty()).then_some(ids)
}

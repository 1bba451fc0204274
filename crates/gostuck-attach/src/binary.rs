//! The Go executable of the target: symbols, DWARF (line tables, inlining,
//! call-frame information, runtime type layouts) and its Go version.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, SymbolKind};
use rustc_hash::FxHashMap;

use crate::error::AttachError;
use crate::layout::Layouts;

/// The byte slices the DWARF readers work on (shared, so the executable's
/// file can be dropped once loaded).
pub(crate) type R = gimli::EndianArcSlice<gimli::LittleEndian>;

/// One function of the symbol table.
#[derive(Debug, Clone)]
pub(crate) struct Func {
    pub(crate) entry: u64,
    pub(crate) end: u64,
    pub(crate) name: Box<str>,
}

/// A data symbol: where it is and how big.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Global {
    /// Virtual address.
    pub addr: u64,
    /// Size in bytes from the symbol table.
    pub size: u64,
}

/// A loaded Go executable.
pub struct Binary {
    path: PathBuf,
    entry: u64,
    pie: bool,
    go_version: Option<String>,
    /// Its build IDs, read the one way `buildid.rs` reads every ELF file.
    ids: crate::buildid::BuildIds,
    /// Text symbols sorted by entry.
    funcs: Vec<Func>,
    data: FxHashMap<Box<str>, Global>,
    pub(crate) lines: addr2line::Context<R>,
    pub(crate) frames: crate::unwind::FrameTable,
    layouts: Layouts,
}

impl std::fmt::Debug for Binary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binary")
            .field("path", &self.path)
            .field("go_version", &self.go_version)
            .field("funcs", &self.funcs.len())
            .finish_non_exhaustive()
    }
}

impl Binary {
    /// Reads a Go executable: its symbols, DWARF and runtime layouts.
    pub fn open(path: &Path) -> Result<Binary, AttachError> {
        let bytes = std::fs::read(path).map_err(|source| AttachError::Open {
            path: path.to_owned(),
            source,
        })?;
        Binary::parse(path, &bytes)
    }

    /// Like [`Binary::open`], from the executable's bytes (`path` names it in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Binary, AttachError> {
        let p = path.to_owned();
        let file = object::File::parse(bytes).map_err(|e| AttachError::NotElf {
            path: p.clone(),
            reason: e.to_string(),
        })?;
        if file.format() != object::BinaryFormat::Elf {
            return Err(AttachError::NotElf {
                path: p,
                reason: format!("{:?} file", file.format()),
            });
        }
        if file.architecture() != object::Architecture::X86_64 {
            return Err(AttachError::UnsupportedArch {
                path: p,
                arch: format!("{:?}", file.architecture()),
            });
        }
        let (funcs, data) = symbols(&file);
        if funcs.is_empty() {
            return Err(AttachError::NoSymbols { path: p });
        }
        if !data.contains_key("runtime.allgs") {
            return Err(AttachError::NotGo { path: p });
        }
        let sections = load_dwarf(&file, &p)?;
        // Two views of the same section bytes: the Arcs are cloned, not the data.
        let dwarf = sections.borrow(R::clone);
        let frames = crate::unwind::FrameTable::load(&file, &p)?;
        let mut bin = Binary {
            ids: crate::buildid::ElfFacts::parse(path, bytes)
                .map(|f| f.ids)
                .unwrap_or_default(),
            path: p.clone(),
            entry: file.entry(),
            pie: file.kind() == object::ObjectKind::Dynamic,
            go_version: None,
            funcs,
            data,
            lines: addr2line::Context::from_dwarf(sections.borrow(R::clone)).map_err(|e| {
                AttachError::BadDwarf {
                    path: p.clone(),
                    reason: e.to_string(),
                }
            })?,
            frames,
            layouts: Layouts::default(),
        };
        bin.go_version = version_from_symbol(&file, &bin).or_else(|| buildinfo_version(&file));
        bin.layouts = Layouts::read(&dwarf, &bin)?;
        Ok(bin)
    }

    /// The executable's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry point's link-time address (with the process's `AT_ENTRY`
    /// it gives a position-independent executable's load bias).
    #[must_use]
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// Whether it is position-independent (`-buildmode=pie`): loaded at a
    /// bias that [`crate::SnapshotOptions::load_bias`] must give.
    #[must_use]
    pub fn is_position_independent(&self) -> bool {
        self.pie
    }

    /// The Go version it was built with (`go1.27.3`), when found.
    #[must_use]
    pub fn go_version(&self) -> Option<&str> {
        self.go_version.as_deref()
    }

    /// The GNU build ID note, when the linker wrote one.
    #[must_use]
    pub fn gnu_build_id(&self) -> Option<&[u8]> {
        self.ids.gnu.as_deref()
    }

    /// The Go build ID (`.note.go.buildid`), when present.
    #[must_use]
    pub fn go_build_id(&self) -> Option<&str> {
        self.ids.go.as_deref()
    }

    /// The runtime layouts read from DWARF.
    #[must_use]
    pub fn layouts(&self) -> &Layouts {
        &self.layouts
    }

    /// A data symbol (`runtime.allgs`).
    #[must_use]
    pub fn global(&self, name: &str) -> Option<Global> {
        self.data.get(name).copied()
    }

    /// The function containing `pc`.
    pub(crate) fn func_at(&self, pc: u64) -> Option<&Func> {
        let i = self.funcs.partition_point(|f| f.entry <= pc);
        let f = self.funcs.get(i.checked_sub(1)?)?;
        (pc < f.end || (f.end == f.entry && pc == f.entry)).then_some(f)
    }

    /// A function by name (the first of that name).
    pub(crate) fn func_named(&self, name: &str) -> Option<&Func> {
        self.funcs.iter().find(|f| &*f.name == name)
    }
}

/// `runtime.buildVersion` as the linker wrote it (a string header in the
/// data segment pointing into read-only data).
fn version_from_symbol(file: &object::File<'_>, bin: &Binary) -> Option<String> {
    let static_bytes = |addr: u64, len: u64| -> Option<Vec<u8>> {
        file.segments()
            .find_map(|seg| seg.data_range(addr, len).ok().flatten())
            .map(<[u8]>::to_vec)
    };
    let g = bin.global("runtime.buildVersion")?;
    let hdr = static_bytes(g.addr, 16)?;
    let ptr = crate::memory::le(&hdr, 0, 8)?;
    let len = crate::memory::le(&hdr, 8, 8)?;
    if len > 64 {
        return None;
    }
    let s = String::from_utf8(static_bytes(ptr, len)?).ok()?;
    s.starts_with("go").then_some(s)
}

type Symbols = (Vec<Func>, FxHashMap<Box<str>, Global>);

fn symbols(file: &object::File<'_>) -> Symbols {
    let mut funcs = Vec::new();
    let mut data = FxHashMap::default();
    for s in file.symbols() {
        let Ok(name) = s.name() else { continue };
        match s.kind() {
            // Assembly functions are `runtime.goexit.abi0` in the ELF
            // symbols; the runtime (and the DWARF) name them without the ABI.
            SymbolKind::Text => funcs.push(Func {
                entry: s.address(),
                end: s.address().saturating_add(s.size()),
                name: name.strip_suffix(".abi0").unwrap_or(name).into(),
            }),
            SymbolKind::Data | SymbolKind::Unknown => {
                data.entry(name.into()).or_insert(Global {
                    addr: s.address(),
                    size: s.size(),
                });
            }
            _ => {}
        }
    }
    funcs.sort_by_key(|f| f.entry);
    (funcs, data)
}

fn load_dwarf(
    file: &object::File<'_>,
    path: &Path,
) -> Result<gimli::DwarfSections<R>, AttachError> {
    let info = file
        .section_by_name(".debug_info")
        .and_then(|s| s.uncompressed_data().ok());
    if info.as_deref().is_none_or(<[u8]>::is_empty) {
        return Err(AttachError::NoDwarf {
            path: path.to_owned(),
        });
    }
    let load = |id: gimli::SectionId| -> Result<R, AttachError> { section(file, id.name(), path) };
    gimli::DwarfSections::load(load)
}

/// A (possibly compressed) section's bytes, empty when absent.
pub(crate) fn section(file: &object::File<'_>, name: &str, path: &Path) -> Result<R, AttachError> {
    let data = match file.section_by_name(name) {
        Some(s) => s.uncompressed_data().map_err(|e| AttachError::BadDwarf {
            path: path.to_owned(),
            reason: format!("{name}: {e}"),
        })?,
        None => Default::default(),
    };
    Ok(gimli::EndianArcSlice::new(
        Arc::from(&*data),
        gimli::LittleEndian,
    ))
}

/// The version from `.go.buildinfo` (Go 1.18+: `\xff Go buildinf:`, flags
/// bit 2 = inline strings, the version as a varint-prefixed string at 32).
fn buildinfo_version(file: &object::File<'_>) -> Option<String> {
    let d = file.section_by_name(".go.buildinfo")?.data().ok()?;
    if !d.starts_with(b"\xff Go buildinf:") || d.get(15)? & 2 == 0 {
        return None;
    }
    let (len, n) = uvarint(d.get(32..)?)?;
    let start = 32 + n;
    let s = d.get(start..start.checked_add(usize::try_from(len).ok()?)?)?;
    String::from_utf8(s.to_vec()).ok()
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &c) in b.iter().enumerate().take(10) {
        v |= u64::from(c & 0x7f) << (7 * i);
        if c < 0x80 {
            return Some((v, i + 1));
        }
    }
    None
}

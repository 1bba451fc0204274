//! Where the runtime keeps what a goroutine dump shows: field offsets of
//! `runtime.g` (and the `gobuf`/`stack` inside it), the status constants and
//! the addresses of the runtime's globals — all read from the executable's
//! DWARF and symbols, so a new Go release needs no table here.

use gimli::Reader;
use rustc_hash::FxHashMap;

use crate::binary::{Binary, Global, R};
use crate::error::AttachError;

/// A field: offset from the start of its outermost struct, and width.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Field {
    /// Byte offset.
    pub offset: u64,
    /// Byte width (1, 2, 4 or 8 for the fields read here).
    pub size: u64,
}

/// The `runtime._G*` status constants (runtime/runtime2.go), from the DWARF
/// constants the Go compiler emits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statuses {
    /// `_Grunning`.
    pub running: u32,
    /// `_Gsyscall`.
    pub syscall: u32,
    /// `_Gwaiting`.
    pub waiting: u32,
    /// `_Gdead`.
    pub dead: u32,
    /// `_Gscan`, the bit the GC sets while it scans a stack.
    pub scan: u32,
    /// `_Gleaked` (Go 1.26+: the goroutine-leak detector's verdict).
    pub leaked: Option<u32>,
    /// `_Gdeadextra` (Go 1.26+: an extra M's goroutine waiting for a cgo callback).
    pub deadextra: Option<u32>,
}

/// Offsets and addresses the snapshot needs, for this executable's Go version.
#[derive(Debug, Clone, Default)]
pub struct Layouts {
    /// `unsafe.Sizeof(runtime.g{})`.
    pub g_size: u64,
    /// `g.goid`.
    pub goid: Field,
    /// `g.atomicstatus` (the `value` inside `atomic.Uint32` from Go 1.20 on).
    pub atomicstatus: Field,
    /// `g.waitreason`.
    pub waitreason: Field,
    /// `g.waitsince` (nanotime when it blocked, set by the GC; 0 unknown).
    pub waitsince: Field,
    /// `g.gopc`: the pc of the `go` statement.
    pub gopc: Field,
    /// `g.startpc`: the goroutine's function.
    pub startpc: Field,
    /// `g.parentGoid` (Go 1.21+).
    pub parent_goid: Option<Field>,
    /// `g.lockedm` (non-zero: locked to its thread).
    pub lockedm: Field,
    /// `g.labels` (pprof labels; layout of what it points to varies).
    pub labels: Option<Field>,
    /// `g.m` (non-nil while on a thread).
    pub m: Field,
    /// `g.sched.pc`.
    pub sched_pc: Field,
    /// `g.sched.sp`.
    pub sched_sp: Field,
    /// `g.sched.bp` (amd64, arm64).
    pub sched_bp: Option<Field>,
    /// `g.syscallpc`.
    pub syscallpc: Field,
    /// `g.syscallsp`.
    pub syscallsp: Field,
    /// `g.syscallbp` (Go 1.23+).
    pub syscallbp: Option<Field>,
    /// `g.stack.lo`.
    pub stack_lo: Field,
    /// `g.stack.hi`.
    pub stack_hi: Field,
    /// Status constants.
    pub status: Statuses,
    /// `runtime.allgs` (a `[]*g`).
    pub allgs: Global,
    /// `runtime.allglen`.
    pub allglen: Global,
    /// `runtime.waitReasonStrings` (`[N]string`).
    pub wait_reason_strings: Global,
    /// `runtime.gStatusStrings` (`[N]string`).
    pub g_status_strings: Global,
    /// What `g.labels` points to, when the program uses pprof labels and
    /// keeps them in a list (Go 1.24+; before, a map, not read).
    pub label_list: Option<LabelList>,
}

/// Where the pprof labels are: `g.labels` points to a struct holding, at
/// `list`, a slice of `{key, value string}` of `elem_size` bytes each
/// (`internal/runtime/pprof/label.Set` in Go 1.26+, `runtime/pprof.labelMap`
/// in Go 1.24 and 1.25).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelList {
    /// Offset of the slice header in the pointed-to struct.
    pub list: u64,
    /// Size of one element.
    pub elem_size: u64,
    /// Offset of the key string in an element.
    pub key: u64,
    /// Offset of the value string in an element.
    pub value: u64,
}

/// The label-set types, newest first, with the path to their slice.
const LABEL_SETS: &[(&str, &[&str])] = &[
    ("internal/runtime/pprof/label.Set", &["List"]),
    ("runtime/pprof.labelMap", &["LabelSet", "list"]),
];

/// A DIE anywhere in `.debug_info`.
type Off = gimli::DebugInfoOffset<usize>;

/// The units of the DWARF, to follow type references across them.
struct Dies<'a> {
    dwarf: &'a gimli::Dwarf<R>,
    units: Vec<(Off, gimli::Unit<R>)>,
}

impl<'a> Dies<'a> {
    fn load(dwarf: &'a gimli::Dwarf<R>) -> gimli::Result<Dies<'a>> {
        let mut units = Vec::new();
        let mut it = dwarf.units();
        while let Some(h) = it.next()? {
            let Some(start) = h.offset().as_debug_info_offset() else {
                continue;
            };
            units.push((start, dwarf.unit(h)?));
        }
        Ok(Dies { dwarf, units })
    }

    /// The runtime's struct types and constants, by name (one pass over the
    /// top-level DIEs of every unit).
    fn named(&self) -> gimli::Result<(FxHashMap<String, Off>, FxHashMap<String, i64>)> {
        let mut structs = FxHashMap::default();
        let mut consts = FxHashMap::default();
        for (_, unit) in &self.units {
            let mut tree = unit.entries_tree(None)?;
            let root = tree.root()?;
            let mut kids = root.children();
            while let Some(node) = kids.next()? {
                let e = node.entry();
                let tag = e.tag();
                if tag != gimli::DW_TAG_structure_type && tag != gimli::DW_TAG_constant {
                    continue;
                }
                let Some(name) = self.name(unit, e)? else {
                    continue;
                };
                if tag == gimli::DW_TAG_constant && name.starts_with("runtime._G") {
                    let v = e.attr_value(gimli::DW_AT_const_value)?;
                    if let Some(v) =
                        v.and_then(|v| v.sdata_value().or(v.udata_value().map(u64::cast_signed)))
                    {
                        consts.insert(name, v);
                    }
                } else if tag == gimli::DW_TAG_structure_type
                    && (name == "runtime.g" || LABEL_SETS.iter().any(|(n, _)| *n == name))
                {
                    if let Some(off) = e.offset().to_debug_info_offset(&unit.header) {
                        structs.insert(name, off);
                    }
                }
            }
        }
        Ok((structs, consts))
    }

    fn name(
        &self,
        unit: &gimli::Unit<R>,
        e: &gimli::DebuggingInformationEntry<R>,
    ) -> gimli::Result<Option<String>> {
        match e.attr_value(gimli::DW_AT_name)? {
            Some(v) => Ok(Some(
                self.dwarf
                    .attr_string(unit, v)?
                    .to_string_lossy()?
                    .into_owned(),
            )),
            None => Ok(None),
        }
    }

    fn unit_of(&self, off: Off) -> Option<&gimli::Unit<R>> {
        let i = self.units.partition_point(|(s, _)| s.0 <= off.0);
        Some(&self.units.get(i.checked_sub(1)?)?.1)
    }

    /// The global offset of the type an entry refers to.
    fn type_of(
        &self,
        unit: &gimli::Unit<R>,
        e: &gimli::DebuggingInformationEntry<R>,
    ) -> Option<Off> {
        match e.attr_value(gimli::DW_AT_type).ok()?? {
            gimli::AttributeValue::UnitRef(u) => u.to_debug_info_offset(&unit.header),
            gimli::AttributeValue::DebugInfoRef(d) => Some(d),
            _ => None,
        }
    }

    /// Follows typedefs (at most a few) to the type itself: (tag, size, offset).
    fn resolve(&self, mut off: Off) -> Option<(gimli::DwTag, Option<u64>, Off)> {
        for _ in 0..8 {
            let unit = self.unit_of(off)?;
            let e = unit.entry(off.to_unit_offset(&unit.header)?).ok()?;
            let size = e
                .attr_value(gimli::DW_AT_byte_size)
                .ok()
                .flatten()
                .and_then(|v| v.udata_value());
            if e.tag() != gimli::DW_TAG_typedef {
                let size = size.or((e.tag() == gimli::DW_TAG_pointer_type).then_some(8));
                return Some((e.tag(), size, off));
            }
            off = self.type_of(unit, &e)?;
        }
        None
    }

    /// Member `name` of the struct at `off`: (offset in the struct, type).
    fn member(&self, off: Off, name: &str) -> Option<(u64, Off)> {
        let unit = self.unit_of(off)?;
        let mut tree = unit
            .entries_tree(Some(off.to_unit_offset(&unit.header)?))
            .ok()?;
        let root = tree.root().ok()?;
        let mut kids = root.children();
        while let Ok(Some(node)) = kids.next() {
            let e = node.entry();
            if e.tag() != gimli::DW_TAG_member || self.name(unit, e).ok()?.as_deref() != Some(name)
            {
                continue;
            }
            let at = e
                .attr_value(gimli::DW_AT_data_member_location)
                .ok()??
                .udata_value()?;
            return Some((at, self.type_of(unit, e)?));
        }
        None
    }

    /// The member at a path of member names: (offset, type).
    fn path(&self, root: Off, path: &[&str]) -> Option<(u64, Off)> {
        let mut offset = 0;
        let mut ty = root;
        for name in path {
            let (_, _, st) = self.resolve(ty)?;
            let (at, t) = self.member(st, name)?;
            offset += at;
            ty = t;
        }
        Some((offset, ty))
    }

    /// The pointed-to type of a pointer type.
    fn pointee(&self, ptr: Off) -> Option<Off> {
        let (_, _, p) = self.resolve(ptr)?;
        let unit = self.unit_of(p)?;
        let e = unit.entry(p.to_unit_offset(&unit.header)?).ok()?;
        self.type_of(unit, &e)
    }

    /// The label list layout, from the first label-set type present.
    fn label_list(&self, structs: &FxHashMap<String, Off>) -> Option<LabelList> {
        let (name, path) = LABEL_SETS.iter().find(|(n, _)| structs.contains_key(*n))?;
        let (list, slice) = self.path(structs[*name], path)?;
        let (_, _, slice) = self.resolve(slice)?;
        let (_, array) = self.member(slice, "array")?;
        let elem = self.pointee(array)?;
        let (_, elem_size, elem) = self.resolve(elem)?;
        let key = self
            .member(elem, "Key")
            .or_else(|| self.member(elem, "key"))?
            .0;
        let value = self
            .member(elem, "Value")
            .or_else(|| self.member(elem, "value"))?
            .0;
        Some(LabelList {
            list,
            elem_size: elem_size?,
            key,
            value,
        })
    }

    /// The field at a path of member names from the struct at `root`; a
    /// field of a one-`value` atomic wrapper type is that `value`.
    fn field(&self, root: Off, path: &[&str]) -> Option<Field> {
        let (mut offset, ty) = self.path(root, path)?;
        let (tag, mut size, st) = self.resolve(ty)?;
        if tag == gimli::DW_TAG_structure_type {
            if let Some((at, t)) = self.member(st, "value") {
                offset += at;
                size = self.resolve(t)?.1;
            }
        }
        Some(Field {
            offset,
            size: size.filter(|s| matches!(s, 1 | 2 | 4 | 8))?,
        })
    }
}

impl Layouts {
    /// Reads the layouts of `bin` from its DWARF (`dwarf`).
    pub(crate) fn read(dwarf: &gimli::Dwarf<R>, bin: &Binary) -> Result<Layouts, AttachError> {
        let version = bin.go_version().unwrap_or("unknown").to_owned();
        let missing = |what: &str| AttachError::MissingLayout {
            path: bin.path().to_owned(),
            what: what.to_owned(),
            version: version.clone(),
        };
        let bad = |e: gimli::Error| AttachError::BadDwarf {
            path: bin.path().to_owned(),
            reason: e.to_string(),
        };
        let dies = Dies::load(dwarf).map_err(bad)?;
        let (structs, consts) = dies.named().map_err(bad)?;
        let g = *structs
            .get("runtime.g")
            .ok_or_else(|| missing("type runtime.g"))?;
        let g_size = dies
            .resolve(g)
            .and_then(|t| t.1)
            .ok_or_else(|| missing("size of runtime.g"))?;
        let field = |path: &[&str]| dies.field(g, path);
        let need = |path: &[&str]| {
            field(path).ok_or_else(|| missing(&format!("runtime.g.{}", path.join("."))))
        };
        let konst = |name: &str| {
            consts
                .get(name)
                .and_then(|&v| u32::try_from(v).ok())
                .ok_or_else(|| missing(&format!("constant {name}")))
        };
        let global = |name: &str| {
            bin.global(name)
                .ok_or_else(|| missing(&format!("symbol {name}")))
        };
        Ok(Layouts {
            g_size,
            goid: need(&["goid"])?,
            atomicstatus: need(&["atomicstatus"])?,
            waitreason: need(&["waitreason"])?,
            waitsince: need(&["waitsince"])?,
            gopc: need(&["gopc"])?,
            startpc: need(&["startpc"])?,
            parent_goid: field(&["parentGoid"]),
            lockedm: need(&["lockedm"])?,
            labels: field(&["labels"]),
            m: need(&["m"])?,
            sched_pc: need(&["sched", "pc"])?,
            sched_sp: need(&["sched", "sp"])?,
            sched_bp: field(&["sched", "bp"]),
            syscallpc: need(&["syscallpc"])?,
            syscallsp: need(&["syscallsp"])?,
            syscallbp: field(&["syscallbp"]),
            stack_lo: need(&["stack", "lo"])?,
            stack_hi: need(&["stack", "hi"])?,
            status: Statuses {
                running: konst("runtime._Grunning")?,
                syscall: konst("runtime._Gsyscall")?,
                waiting: konst("runtime._Gwaiting")?,
                dead: konst("runtime._Gdead")?,
                scan: konst("runtime._Gscan")?,
                leaked: konst("runtime._Gleaked").ok(),
                deadextra: konst("runtime._Gdeadextra").ok(),
            },
            allgs: global("runtime.allgs")?,
            allglen: global("runtime.allglen")?,
            wait_reason_strings: global("runtime.waitReasonStrings")?,
            g_status_strings: global("runtime.gStatusStrings")?,
            label_list: dies.label_list(&structs),
        })
    }
}

//! Walking a parked goroutine's stack: from its saved pc and sp, the
//! call-frame information the Go linker writes to `.debug_frame` (generated
//! from the same pcsp tables the runtime's own unwinder reads) gives each
//! frame's size, so the return address and the caller's sp follow. This works
//! where frame pointers do not: a goroutine that has not run yet (pc at its
//! function's entry), and Go 1.21/1.22 syscalls (no `syscallbp`).

use std::path::Path;

use gimli::UnwindSection;
use rustc_hash::FxHashMap;

use crate::binary::{section, Binary, R};
use crate::error::AttachError;
use crate::memory::Memory;

/// `.debug_frame`, indexed by function.
pub(crate) struct FrameTable {
    frame: gimli::DebugFrame<R>,
    /// FDEs sorted by their first address.
    fdes: Vec<gimli::FrameDescriptionEntry<R>>,
}

impl FrameTable {
    pub(crate) fn load(file: &object::File<'_>, path: &Path) -> Result<FrameTable, AttachError> {
        let mut frame = gimli::DebugFrame::from(section(file, ".debug_frame", path)?);
        frame.set_address_size(8);
        let bases = gimli::BaseAddresses::default();
        let mut fdes = Vec::new();
        let mut entries = frame.entries(&bases);
        // A damaged entry ends the index; what was read stays usable.
        while let Ok(Some(e)) = entries.next() {
            if let gimli::CieOrFde::Fde(partial) = e {
                if let Ok(fde) = partial.parse(gimli::DebugFrame::cie_from_offset) {
                    fdes.push(fde);
                }
            }
        }
        fdes.sort_by_key(|f| f.initial_address());
        Ok(FrameTable { frame, fdes })
    }

    /// At `pc`: (CFA − sp, return address − CFA), when both are sp-relative.
    fn rule(&self, ctx: &mut gimli::UnwindContext<usize>, pc: u64) -> Option<(i64, i64)> {
        let i = self.fdes.partition_point(|f| f.initial_address() <= pc);
        let fde = self.fdes.get(i.checked_sub(1)?)?;
        if !fde.contains(pc) {
            return None;
        }
        let bases = gimli::BaseAddresses::default();
        let row = fde
            .unwind_info_for_address(&self.frame, &bases, ctx, pc)
            .ok()?;
        let cfa = match *row.cfa() {
            gimli::CfaRule::RegisterAndOffset { register, offset }
                if register == gimli::X86_64::RSP =>
            {
                offset
            }
            _ => return None,
        };
        let ra = match row.register(fde.cie().return_address_register()) {
            gimli::RegisterRule::Offset(o) => o,
            // The CIE's initial rule on amd64: the CALL pushed it just below the CFA.
            gimli::RegisterRule::Undefined => -8,
            _ => return None,
        };
        Some((cfa, ra))
    }
}

/// Largest number of physical frames walked for one goroutine.
pub const MAX_FRAMES: usize = 100_000;

/// Bytes of stack read at a time.
pub(crate) const WINDOW: u64 = 1024;

/// Why a walk ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WalkEnd {
    /// It reached `runtime.goexit` (or a zero return address): complete.
    Complete,
    /// Something else, said in words.
    Cut(String),
}

/// Walks stacks for one snapshot, caching the frame rule of each pc.
pub(crate) struct Unwinder<'b> {
    bin: &'b Binary,
    ctx: Box<gimli::UnwindContext<usize>>,
    rules: FxHashMap<u64, Option<(i64, i64)>>,
    goexit: Option<(u64, u64)>,
    window: (u64, Vec<u8>),
    /// Load bias: the target's pcs minus the executable's.
    bias: u64,
}

impl<'b> Unwinder<'b> {
    pub(crate) fn new(bin: &'b Binary, bias: u64) -> Unwinder<'b> {
        Unwinder {
            bin,
            ctx: Box::new(gimli::UnwindContext::new()),
            rules: FxHashMap::default(),
            goexit: bin.func_named("runtime.goexit").map(|f| (f.entry, f.end)),
            window: (0, Vec::new()),
            bias,
        }
    }

    fn rule(&mut self, pc: u64) -> Option<(i64, i64)> {
        if let Some(r) = self.rules.get(&pc) {
            return *r;
        }
        let r = self.bin.frames.rule(&mut self.ctx, pc);
        self.rules.insert(pc, r);
        r
    }

    /// The word at `addr` of a stack ending at `hi`, through a read-ahead window.
    fn word(&mut self, mem: &dyn Memory, addr: u64, hi: u64) -> Option<u64> {
        let (base, bytes) = &self.window;
        if let Some(off) = addr.checked_sub(*base) {
            if let Some(v) = crate::memory::le(bytes, usize::try_from(off).ok()?, 8) {
                return Some(v);
            }
        }
        let len = hi.checked_sub(addr)?.clamp(8, WINDOW);
        let mut buf = vec![0u8; len as usize];
        mem.read(addr, &mut buf).ok()?;
        self.window = (addr, buf);
        crate::memory::le(&self.window.1, 0, 8)
    }

    /// The return addresses of a goroutine stopped at `pc` with stack
    /// pointer `sp` on the stack `[lo, hi)`, innermost first (`pc` itself
    /// first), as the executable's link-time addresses.
    /// `window` holds the stack's bytes from `sp` on when they were read
    /// already.
    pub(crate) fn walk(
        &mut self,
        mem: &dyn Memory,
        (mut pc, mut sp): (u64, u64),
        (lo, hi): (u64, u64),
        window: Option<&[u8]>,
    ) -> (Vec<u64>, WalkEnd) {
        self.window = match window {
            // Only what lies inside the stack.
            Some(w) => {
                let n = crate::num::idx(hi.saturating_sub(sp).min(w.len() as u64));
                (sp, w[..n].to_vec())
            }
            None => (0, Vec::new()),
        };
        pc = pc.wrapping_sub(self.bias);
        let mut pcs = vec![pc];
        if sp < lo || sp >= hi {
            return (
                pcs,
                WalkEnd::Cut(format!("sp {sp:#x} outside its stack [{lo:#x}, {hi:#x})")),
            );
        }
        while pcs.len() < MAX_FRAMES {
            if self.goexit.is_some_and(|(a, b)| (a..b).contains(&pc)) {
                return (pcs, WalkEnd::Complete);
            }
            let Some((cfa_off, ra_off)) = self.rule(pc) else {
                return (
                    pcs,
                    WalkEnd::Cut(format!("no frame information for pc {pc:#x}")),
                );
            };
            let cfa = sp.wrapping_add_signed(cfa_off);
            if cfa <= sp || cfa > hi {
                return (
                    pcs,
                    WalkEnd::Cut(format!("frame of pc {pc:#x} leaves the stack")),
                );
            }
            let Some(ra) = self.word(mem, cfa.wrapping_add_signed(ra_off), hi) else {
                return (pcs, WalkEnd::Cut(format!("stack unreadable at {cfa:#x}")));
            };
            if ra == 0 {
                return (pcs, WalkEnd::Complete);
            }
            pc = ra.wrapping_sub(self.bias);
            pcs.push(pc);
            sp = cfa;
        }
        (
            pcs,
            WalkEnd::Cut(format!("deeper than {MAX_FRAMES} frames")),
        )
    }
}

//! Programming helpers: building translation tables in guest memory and issuing the
//! register commands every driver issues; the invalidation queue (`qi.rs`) and the
//! interrupt remapping table (`ir.rs`). Tests, benches and scenarios use them; the
//! reference driver (crate `vtd-driver`) is the full-featured programmer.

mod ir;
mod qi;

pub use ir::InterruptTable;
pub use qi::{InvalidationQueue, SyncError};

use crate::memory::{GuestMemory, MemError, PAGE_SIZE};
use crate::regs::{gcmd, offset as o};
use crate::tables::{fl, sl};
use crate::unit::Unit;

/// A bump allocator of zeroed 4 KiB pages in guest memory.
#[derive(Debug, Clone, Copy)]
pub struct PageAlloc {
    next: u64,
    end: u64,
}

impl PageAlloc {
    /// Hand out pages in `[start, end)`.
    pub fn new(start: u64, end: u64) -> Self {
        PageAlloc {
            next: start.next_multiple_of(PAGE_SIZE),
            end,
        }
    }

    /// A zeroed page.
    pub fn page<M: GuestMemory + ?Sized>(&mut self, mem: &mut M) -> Result<u64, MemError> {
        self.pages(mem, 1)
    }

    /// `n` contiguous zeroed pages; returns the first.
    pub fn pages<M: GuestMemory + ?Sized>(&mut self, mem: &mut M, n: u64) -> Result<u64, MemError> {
        let p = self.next;
        let len = n.saturating_mul(PAGE_SIZE);
        if p.saturating_add(len) > self.end {
            return Err(MemError {
                addr: p,
                len: len as usize,
                limit: self.end,
            });
        }
        self.next += len;
        for i in 0..n {
            mem.write(p + i * PAGE_SIZE, &[0; PAGE_SIZE as usize])?;
        }
        Ok(p)
    }
}

/// Rights and attributes of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapFlags {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// SNP (second level) — ignored for first level.
    pub snoop: bool,
    /// First level: user-accessible.
    pub user: bool,
}

impl MapFlags {
    /// Read-write.
    pub const RW: MapFlags = MapFlags {
        read: true,
        write: true,
        snoop: false,
        user: true,
    };
    /// Read-only.
    pub const RO: MapFlags = MapFlags {
        read: true,
        write: false,
        snoop: false,
        user: true,
    };
}

/// Which format a page table uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Second-level (R/W/SNP bits).
    Second,
    /// First-level (IA-32e: P, R/W, U/S).
    First,
}

/// A page table in guest memory.
#[derive(Debug, Clone, Copy)]
pub struct PageTable {
    /// Top-level table.
    pub root: u64,
    /// Levels (3–5).
    pub levels: u32,
    /// Format.
    pub format: Format,
}

impl PageTable {
    /// An empty table.
    pub fn new<M: GuestMemory + ?Sized>(
        mem: &mut M,
        alloc: &mut PageAlloc,
        levels: u32,
        format: Format,
    ) -> Result<Self, MemError> {
        Ok(PageTable {
            root: alloc.page(mem)?,
            levels,
            format,
        })
    }

    fn non_leaf(&self) -> u64 {
        match self.format {
            Format::Second => sl::R | sl::W,
            Format::First => fl::P | fl::RW | fl::US,
        }
    }

    fn leaf(&self, f: MapFlags, large: bool) -> u64 {
        let mut v = match self.format {
            Format::Second => {
                (if f.read { sl::R } else { 0 })
                    | (if f.write { sl::W } else { 0 })
                    | (if f.snoop { sl::SNP } else { 0 })
            }
            Format::First => {
                fl::P | (if f.write { fl::RW } else { 0 }) | (if f.user { fl::US } else { 0 })
            }
        };
        if large {
            v |= sl::PS;
        }
        v
    }

    /// The address of the entry for `iova` at `level`, creating missing tables above.
    fn slot<M: GuestMemory + ?Sized>(
        &self,
        mem: &mut M,
        alloc: &mut PageAlloc,
        iova: u64,
        level: u32,
    ) -> Result<u64, MemError> {
        let mut table = self.root;
        for l in (level + 1..=self.levels).rev() {
            let at = table + ((iova >> (12 + 9 * (l - 1))) & 0x1ff) * 8;
            let e = mem.read_u64(at)?;
            table = if e & self.non_leaf() != 0 && e & sl::PS == 0 {
                e & !0xfff & 0x000f_ffff_ffff_ffff
            } else {
                let t = alloc.page(mem)?;
                mem.write_u64(at, t | self.non_leaf())?;
                t
            };
        }
        Ok(table + ((iova >> (12 + 9 * (level - 1))) & 0x1ff) * 8)
    }

    /// Map `iova` to `hpa` with a page of `level` (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB).
    pub fn map<M: GuestMemory + ?Sized>(
        &self,
        mem: &mut M,
        alloc: &mut PageAlloc,
        iova: u64,
        hpa: u64,
        level: u32,
        flags: MapFlags,
    ) -> Result<(), MemError> {
        let at = self.slot(mem, alloc, iova, level)?;
        let size = 1u64 << (12 + 9 * (level - 1));
        mem.write_u64(at, (hpa & !(size - 1)) | self.leaf(flags, level > 1))
    }

    /// Map `pages` 4 KiB pages from `iova` to `hpa`, writing each leaf table once per
    /// run of entries that share it (for large 1:1 maps).
    pub fn map_4k_run<M: GuestMemory + ?Sized>(
        &self,
        mem: &mut M,
        alloc: &mut PageAlloc,
        iova: u64,
        hpa: u64,
        pages: u64,
        flags: MapFlags,
    ) -> Result<(), MemError> {
        let leaf = self.leaf(flags, false);
        let mut done = 0;
        while done < pages {
            let va = iova + done * PAGE_SIZE;
            let first = ((va >> 12) & 0x1ff) as usize;
            let n = (512 - first).min((pages - done) as usize);
            let at = self.slot(mem, alloc, va, 1)?;
            let mut buf = vec![0u8; n * 8];
            for (i, chunk) in buf.chunks_exact_mut(8).enumerate() {
                let pa = (hpa + (done + i as u64) * PAGE_SIZE) & !0xfff;
                chunk.copy_from_slice(&(pa | leaf).to_le_bytes());
            }
            mem.write(at, &buf)?;
            done += n as u64;
        }
        Ok(())
    }

    /// Clear the leaf of `iova` at `level` (tables above stay).
    pub fn unmap<M: GuestMemory + ?Sized>(
        &self,
        mem: &mut M,
        alloc: &mut PageAlloc,
        iova: u64,
        level: u32,
    ) -> Result<(), MemError> {
        let at = self.slot(mem, alloc, iova, level)?;
        mem.write_u64(at, 0)
    }
}

/// Legacy root and context tables.
#[derive(Debug, Clone, Copy)]
pub struct LegacyTables {
    /// Root table.
    pub root: u64,
}

impl LegacyTables {
    /// An empty root table.
    pub fn new<M: GuestMemory + ?Sized>(
        mem: &mut M,
        alloc: &mut PageAlloc,
    ) -> Result<Self, MemError> {
        Ok(LegacyTables {
            root: alloc.page(mem)?,
        })
    }

    /// Point `source_id` at `table` in domain `did` (TT = 0, or pass-through).
    pub fn set_context<M: GuestMemory + ?Sized>(
        &self,
        mem: &mut M,
        alloc: &mut PageAlloc,
        source_id: u16,
        did: u16,
        table: Option<&PageTable>,
        fpd: bool,
    ) -> Result<(), MemError> {
        let bus = u64::from(source_id >> 8);
        let devfn = u64::from(source_id & 0xff);
        let re = mem.read_u64(self.root + bus * 16)?;
        let ctx = if re & 1 != 0 {
            re & !0xfff
        } else {
            let t = alloc.page(mem)?;
            mem.write_u64(self.root + bus * 16, t | 1)?;
            t
        };
        let (lo, aw) = match table {
            Some(t) => (t.root, u64::from(t.levels - 2)),
            // Pass-through: TT = 10; AW the largest the unit offers (set by the caller
            // through `table`); here 39-bit.
            None => (2 << 2, 1),
        };
        let lo = lo | 1 | if fpd { 2 } else { 0 };
        mem.write_u64(ctx + devfn * 16 + 8, aw | u64::from(did) << 8)?;
        mem.write_u64(ctx + devfn * 16, lo)
    }

    /// Clear the context entry of `source_id`.
    pub fn clear_context<M: GuestMemory + ?Sized>(
        &self,
        mem: &mut M,
        source_id: u16,
    ) -> Result<(), MemError> {
        let re = mem.read_u64(self.root + u64::from(source_id >> 8) * 16)?;
        if re & 1 != 0 {
            mem.write_u64((re & !0xfff) + u64::from(source_id & 0xff) * 16, 0)?;
        }
        Ok(())
    }
}

/// A register write through the unit's MMIO interface (panics only on the helper's own
/// misuse: the offsets below are valid for every unit).
fn w<M: GuestMemory + ?Sized>(u: &mut Unit, mem: &mut M, offset: usize, size: usize, v: u64) {
    u.mmio_write(mem, offset, size, v)
        .expect("valid register access");
}

/// Issue a GCMD command the way software must: current persistent status, plus `bit`.
pub fn command<M: GuestMemory + ?Sized>(u: &mut Unit, mem: &mut M, bit: u32, on: bool) {
    let keep = u.gsts() & gcmd::KEEP;
    let v = if on { keep | bit } else { keep & !bit };
    w(u, mem, o::GCMD, 4, u64::from(v));
}

/// Global context-cache and IOTLB invalidation through the registers.
pub fn flush_all<M: GuestMemory + ?Sized>(u: &mut Unit, mem: &mut M) {
    w(u, mem, o::CCMD, 8, 1 << 63 | 1 << 61);
    let iro = u.ecap().iotlb_offset();
    w(u, mem, iro + 8, 8, 1 << 63 | 1 << 60);
}

/// Page-selective IOTLB invalidation of 2^`am` pages at `addr` in domain `did`.
pub fn flush_pages<M: GuestMemory + ?Sized>(
    u: &mut Unit,
    mem: &mut M,
    did: u16,
    addr: u64,
    am: u32,
    ih: bool,
) {
    let iro = u.ecap().iotlb_offset();
    w(
        u,
        mem,
        iro,
        8,
        (addr & !0xfff) | u64::from(am & 0x3f) | if ih { 0x40 } else { 0 },
    );
    w(u, mem, iro + 8, 8, 1 << 63 | 3 << 60 | u64::from(did) << 32);
}

/// Device-selective context-cache invalidation.
pub fn flush_context<M: GuestMemory + ?Sized>(u: &mut Unit, mem: &mut M, did: u16, source_id: u16) {
    w(
        u,
        mem,
        o::CCMD,
        8,
        1 << 63 | 3 << 61 | u64::from(source_id) << 16 | u64::from(did),
    );
}

/// Set the root table, flush everything, enable translation: the bring-up order of
/// Linux and Xen.
pub fn enable<M: GuestMemory + ?Sized>(u: &mut Unit, mem: &mut M, root: u64, scalable: bool) {
    w(
        u,
        mem,
        o::RTADDR,
        8,
        root | if scalable { 1 << 10 } else { 0 },
    );
    command(u, mem, gcmd::SRTP, true);
    flush_all(u, mem);
    command(u, mem, gcmd::TE, true);
}

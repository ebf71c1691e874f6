//! An interrupt remapping table in guest memory, and turning interrupt remapping on
//! in Linux 6.1's order (`iommu_set_irq_remapping`, `iommu_enable_irq_remapping`):
//! IRTA, SIRTP, a global interrupt-entry-cache invalidation (the caller's, through
//! the queue), IRE, and compatibility format off unless asked for.

use super::PageAlloc;
use crate::ir::Irte;
use crate::memory::{GuestMemory, MemError};
use crate::regs::{gcmd, offset as o};
use crate::unit::Unit;

/// A table of 2^(S+1) entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterruptTable {
    /// Base.
    pub base: u64,
    /// IRTA.S.
    pub s: u8,
    /// IRTA.EIME: x2APIC mode.
    pub x2apic: bool,
}

impl InterruptTable {
    /// An empty table (every entry not present).
    pub fn new<M: GuestMemory + ?Sized>(
        mem: &mut M,
        alloc: &mut PageAlloc,
        s: u8,
        x2apic: bool,
    ) -> Result<Self, MemError> {
        let s = s.min(15);
        let bytes = 16u64 << (s + 1);
        let base = alloc.pages(mem, bytes.div_ceil(4096))?;
        Ok(InterruptTable { base, s, x2apic })
    }

    /// Entries.
    pub fn entries(&self) -> u32 {
        2 << self.s
    }

    /// Write entry `index`.
    pub fn set<M: GuestMemory + ?Sized>(
        &self,
        mem: &mut M,
        index: u16,
        e: Irte,
    ) -> Result<(), MemError> {
        let at = self.base + 16 * u64::from(index);
        mem.write_u64(at + 8, e.hi)?;
        mem.write_u64(at, e.lo)
    }

    /// IRTA and SIRTP.
    pub fn install<M: GuestMemory + ?Sized>(&self, unit: &mut Unit, mem: &mut M) {
        let irta = self.base | u64::from(self.x2apic) << 11 | u64::from(self.s);
        unit.mmio_write(mem, o::IRTA, 8, irta)
            .expect("IRTA takes a 64-bit access");
        super::command(unit, mem, gcmd::SIRTP, true);
    }

    /// IRE on, and CFI as asked (Linux clears it; firmware may have left it set).
    pub fn enable<M: GuestMemory + ?Sized>(&self, unit: &mut Unit, mem: &mut M, cfi: bool) {
        super::command(unit, mem, gcmd::IRE, true);
        super::command(unit, mem, gcmd::CFI, cfi);
    }
}

//! A small rig: one unit over sparse memory, tables built with `vtd_model::program`.
#![allow(dead_code)]

use vtd_model::program::{self, Format, LegacyTables, MapFlags, PageAlloc, PageTable};
use vtd_model::regs::presets::{self, Preset};
use vtd_model::{Blocked, Request, SparseMemory, Translation, Unit, UnitConfig};

pub const DEV: u16 = 0x0008; // 00:01.0, where QEMU puts edu
pub const DID: u16 = 1;

pub struct Rig {
    pub mem: SparseMemory,
    pub unit: Unit,
    pub alloc: PageAlloc,
    pub tables: LegacyTables,
    pub pt: PageTable,
}

impl Rig {
    /// A unit with `preset`, legacy tables, DEV in domain DID with a page table of
    /// the unit's deepest supported level, translation enabled.
    pub fn legacy(preset: Preset) -> Self {
        Self::legacy_with(UnitConfig::new(preset))
    }

    pub fn legacy_with(config: UnitConfig) -> Self {
        let mut mem = SparseMemory::new(1 << 32);
        let mut unit = Unit::new(config).expect("preset is consistent");
        let mut alloc = PageAlloc::new(0x100_0000, 0x800_0000);
        let tables = LegacyTables::new(&mut mem, &mut alloc).unwrap();
        let levels = unit.cap().max_levels().unwrap();
        let pt = PageTable::new(&mut mem, &mut alloc, levels, Format::Second).unwrap();
        tables
            .set_context(&mut mem, &mut alloc, DEV, DID, Some(&pt), false)
            .unwrap();
        program::enable(&mut unit, &mut mem, tables.root, false);
        Rig {
            mem,
            unit,
            alloc,
            tables,
            pt,
        }
    }

    pub fn qemu() -> Self {
        Self::legacy(presets::QEMU_Q35)
    }

    pub fn map(&mut self, iova: u64, hpa: u64, flags: MapFlags) {
        self.pt
            .map(&mut self.mem, &mut self.alloc, iova, hpa, 1, flags)
            .unwrap();
    }

    pub fn map_large(&mut self, iova: u64, hpa: u64, level: u32) {
        self.pt
            .map(
                &mut self.mem,
                &mut self.alloc,
                iova,
                hpa,
                level,
                MapFlags::RW,
            )
            .unwrap();
    }

    pub fn unmap(&mut self, iova: u64) {
        self.pt
            .unmap(&mut self.mem, &mut self.alloc, iova, 1)
            .unwrap();
    }

    pub fn read(&mut self, iova: u64) -> Result<Translation, Blocked> {
        self.unit.translate(&self.mem, &Request::read(DEV, iova))
    }

    pub fn write(&mut self, iova: u64) -> Result<Translation, Blocked> {
        self.unit.translate(&self.mem, &Request::write(DEV, iova))
    }

    pub fn reg(&mut self, offset: usize, size: usize) -> u64 {
        self.unit.mmio_read(offset, size).unwrap()
    }

    pub fn set_reg(&mut self, offset: usize, size: usize, value: u64) {
        self.unit
            .mmio_write(&mut self.mem, offset, size, value)
            .unwrap();
    }

    pub fn flush_pages(&mut self, iova: u64, am: u32) {
        program::flush_pages(&mut self.unit, &mut self.mem, DID, iova, am, false);
    }

    pub fn flush_all(&mut self) {
        program::flush_all(&mut self.unit, &mut self.mem);
    }
}

/// The fault reason of a blocked request.
pub fn reason(r: Result<Translation, Blocked>) -> u8 {
    r.expect_err("should fault")
        .reason()
        .expect("a remapping fault")
        .0
}

/// QEMU's unit with device-TLB support and extended interrupt mode added (for the
/// descriptor types that need them).
pub fn qemu_dt() -> Preset {
    Preset {
        ecap: presets::QEMU_Q35.ecap | 1 << 2 | 1 << 4,
        ..presets::QEMU_Q35
    }
}

impl Rig {
    /// An invalidation queue of one page, enabled.
    pub fn queue(&mut self, width: vtd_model::qi::Width) -> program::InvalidationQueue {
        let mut q =
            program::InvalidationQueue::new(&mut self.mem, &mut self.alloc, 0, width).unwrap();
        q.enable(&mut self.unit, &mut self.mem);
        q
    }

    pub fn fsts(&mut self) -> u32 {
        self.reg(vtd_model::regs::offset::FSTS, 4) as u32
    }

    pub fn iqh(&mut self) -> u64 {
        self.reg(vtd_model::regs::offset::IQH, 8)
    }
}

//! A remapping unit with one device whose DMA window is mapped 1:1 from IOVA 0.

use vtd_model::cache::CacheConfig;
use vtd_model::program::{self, Format, LegacyTables, MapFlags, PageAlloc, PageTable};
use vtd_model::regs::presets;
use vtd_model::{Blocked, Request, SparseMemory, Translation, Unit, UnitConfig};

/// The device's requester ID (00:01.0).
pub const SOURCE_ID: u16 = 0x0008;

/// Mapping granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    /// 4 KiB pages.
    Small,
    /// 2 MiB pages.
    Large,
}

/// The unit, its memory and the device's page table.
pub struct Rig {
    /// The unit.
    pub unit: Unit,
    /// Guest memory holding the tables.
    pub mem: SparseMemory,
    /// The device's second-level table.
    pub table: PageTable,
    /// Table page allocator.
    pub alloc: PageAlloc,
}

impl Rig {
    /// A Tiger Lake unit (4-level tables, 2 MiB pages) with `caches`, the window
    /// `[0, window)` mapped with `pages`, caches cold, checker off.
    pub fn new(window: u64, pages: PageSize, caches: CacheConfig) -> Self {
        let mut mem = SparseMemory::new(1 << 40);
        let mut unit = Unit::new(UnitConfig {
            caches,
            checker: false,
            ..UnitConfig::new(presets::TIGER_LAKE)
        })
        .unwrap_or_else(|e| unreachable_preset(e));
        let mut alloc = PageAlloc::new(0x1_0000_0000, 0x8_0000_0000);
        let tables =
            LegacyTables::new(&mut mem, &mut alloc).unwrap_or_else(|e| unreachable_preset(e));
        let table = PageTable::new(&mut mem, &mut alloc, 4, Format::Second)
            .unwrap_or_else(|e| unreachable_preset(e));
        tables
            .set_context(&mut mem, &mut alloc, SOURCE_ID, 1, Some(&table), false)
            .unwrap_or_else(|e| unreachable_preset(e));
        let (step, level) = match pages {
            PageSize::Small => (1u64 << 12, 1),
            PageSize::Large => (1u64 << 21, 2),
        };
        let mut at = 0;
        while at < window.max(step) {
            table
                .map(
                    &mut mem,
                    &mut alloc,
                    at,
                    0x10_0000_0000 + at,
                    level,
                    MapFlags::RW,
                )
                .unwrap_or_else(|e| unreachable_preset(e));
            at += step;
        }
        program::enable(&mut unit, &mut mem, tables.root, false);
        Rig {
            unit,
            mem,
            table,
            alloc,
        }
    }

    /// Translate one request of the device.
    #[inline]
    pub fn translate(&mut self, addr: u64, write: bool) -> Result<Translation, Blocked> {
        let req = if write {
            Request::write(SOURCE_ID, addr)
        } else {
            Request::read(SOURCE_ID, addr)
        };
        self.unit.translate(&self.mem, &req)
    }
}

/// The rig's own inputs are fixed and valid; a failure here is a bug in the rig.
fn unreachable_preset<E: std::fmt::Debug>(e: E) -> ! {
    panic!("simulator rig: {e:?}")
}

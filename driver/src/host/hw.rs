//! Programming one remapping unit the way the production drivers do: through its
//! registers and structures in memory, with the model's programming helpers.

use vtd_model::ir::Irte;
use vtd_model::memory::{GuestMemory, MemError};
use vtd_model::program::{
    self, InterruptTable, InvalidationQueue, LegacyTables, PageAlloc, PageTable, SyncError,
};
use vtd_model::qi::descriptor::{ContextScope, IotlbGranularity};
use vtd_model::qi::{Descriptor, Width};
use vtd_model::regs::{gcmd, offset as o};
use vtd_model::{SparseMemory, Unit};

/// What the driver keeps for one unit.
#[derive(Debug, Clone)]
pub struct UnitState {
    /// Root and context tables (legacy mode), once the root pointer is set.
    pub tables: Option<LegacyTables>,
    /// The invalidation queue, when queued invalidation is on.
    pub queue: Option<InvalidationQueue>,
    /// The interrupt remapping table, when interrupt remapping is on.
    pub irt: Option<InterruptTable>,
    /// Page-table levels of the domains on this unit.
    pub levels: u32,
    /// The driver leaves this unit alone (Linux `drhd->ignored`, Xen's disabled IGD
    /// engine): no translation.
    pub ignored: bool,
    /// Domain IDs in use: (DID, domain).
    pub dids: Vec<(u16, u32)>,
}

/// An error while programming: memory for the structures ran out, or an invalidation
/// did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HwError {
    /// The driver's memory is exhausted or outside RAM.
    #[error("driver memory: {0}")]
    Memory(#[from] MemError),
    /// Queued invalidation failed.
    #[error("queued invalidation: {0}")]
    Queue(#[from] SyncError),
}

impl UnitState {
    /// A unit not yet programmed, with `levels`-level page tables.
    pub fn new(levels: u32) -> Self {
        UnitState {
            tables: None,
            queue: None,
            irt: None,
            levels,
            ignored: false,
            dids: Vec::new(),
        }
    }

    /// The DID of `domain`, if it has one on this unit.
    pub fn did_of(&self, domain: u32) -> Option<u16> {
        self.dids
            .iter()
            .find(|(_, d)| *d == domain)
            .map(|(did, _)| *did)
    }
}

fn w(u: &mut Unit, mem: &mut SparseMemory, offset: usize, size: usize, v: u64) {
    // The offsets used here exist on every unit.
    let _ = u.mmio_write(mem, offset, size, v);
}

/// Turn queued invalidation on with a ring of 2^`qs` pages of `width` descriptors.
pub fn enable_qi(
    u: &mut Unit,
    mem: &mut SparseMemory,
    st: &mut UnitState,
    alloc: &mut PageAlloc,
    qs: u8,
    width: Width,
) -> Result<(), HwError> {
    if st.queue.is_some() {
        return Ok(());
    }
    let mut q = InvalidationQueue::new(mem, alloc, qs, width)?;
    q.max_polls = 1 << 20;
    q.enable(u, mem);
    st.queue = Some(q);
    Ok(())
}

/// Submit descriptors and wait, or do the register-based equivalent.
pub fn invalidate(
    u: &mut Unit,
    mem: &mut SparseMemory,
    st: &mut UnitState,
    descriptors: &[Descriptor],
) -> Result<(), HwError> {
    if let Some(q) = st.queue.as_mut() {
        q.sync(u, mem, descriptors)?;
        return Ok(());
    }
    for d in descriptors {
        match *d {
            Descriptor::Context(ContextScope::Global) => {
                w(u, mem, o::CCMD, 8, 1 << 63 | 1 << 61);
            }
            Descriptor::Context(ContextScope::Domain(did)) => {
                w(u, mem, o::CCMD, 8, 1 << 63 | 2 << 61 | u64::from(did));
            }
            Descriptor::Context(ContextScope::Device { did, source_id, fm }) => {
                program::flush_context(u, mem, did, source_id);
                let _ = fm;
            }
            Descriptor::Iotlb {
                did, granularity, ..
            } => {
                let iro = u.ecap().iotlb_offset();
                match granularity {
                    IotlbGranularity::Global => w(u, mem, iro + 8, 8, 1 << 63 | 1 << 60),
                    IotlbGranularity::Domain => {
                        w(u, mem, iro + 8, 8, 1 << 63 | 2 << 60 | u64::from(did) << 32)
                    }
                    IotlbGranularity::Page { addr, am, ih } => {
                        program::flush_pages(u, mem, did, addr, u32::from(am), ih)
                    }
                }
            }
            // Only queued invalidation has these; without a queue there is nothing to do.
            _ => {}
        }
    }
    Ok(())
}

/// Global context-cache and IOTLB invalidation (Xen `iommu_flush_all`, Linux
/// `iommu_set_root_entry`'s flushes).
pub fn flush_all(u: &mut Unit, mem: &mut SparseMemory, st: &mut UnitState) -> Result<(), HwError> {
    invalidate(
        u,
        mem,
        st,
        &[
            Descriptor::Context(ContextScope::Global),
            Descriptor::Iotlb {
                did: 0,
                granularity: IotlbGranularity::Global,
                drain_reads: false,
                drain_writes: false,
            },
        ],
    )
}

/// Set the root table pointer (allocating the root table once).
pub fn set_root(
    u: &mut Unit,
    mem: &mut SparseMemory,
    st: &mut UnitState,
    alloc: &mut PageAlloc,
) -> Result<(), HwError> {
    let tables = match st.tables {
        Some(t) => t,
        None => {
            let t = LegacyTables::new(mem, alloc)?;
            st.tables = Some(t);
            t
        }
    };
    w(u, mem, o::RTADDR, 8, tables.root);
    program::command(u, mem, gcmd::SRTP, true);
    Ok(())
}

/// Interrupt remapping: a table of 2^(`s`+1) entries, IRTA and SIRTP, a global
/// interrupt-entry-cache flush (unless the unit has CAP.ESIRTPS and `skip_iec_on_esirtps`),
/// then IRE, with compatibility-format interrupts blocked.
pub fn enable_ir(
    u: &mut Unit,
    mem: &mut SparseMemory,
    st: &mut UnitState,
    alloc: &mut PageAlloc,
    s: u8,
    x2apic: bool,
    skip_iec_on_esirtps: bool,
) -> Result<(), HwError> {
    let irt = InterruptTable::new(mem, alloc, s, x2apic)?;
    irt.install(u, mem);
    if !(skip_iec_on_esirtps && u.cap().esirtps()) {
        invalidate(u, mem, st, &[Descriptor::InterruptEntry { block: None }])?;
    }
    irt.enable(u, mem, false);
    st.irt = Some(irt);
    Ok(())
}

/// Write an IRTE and invalidate it in the interrupt entry cache.
pub fn set_irte(
    u: &mut Unit,
    mem: &mut SparseMemory,
    st: &mut UnitState,
    index: u16,
    e: Irte,
) -> Result<(), HwError> {
    if let Some(irt) = st.irt {
        irt.set(mem, index, e)?;
        invalidate(
            u,
            mem,
            st,
            &[Descriptor::InterruptEntry {
                block: Some((index, 0)),
            }],
        )?;
    }
    Ok(())
}

/// Translation on.
pub fn enable_translation(u: &mut Unit, mem: &mut SparseMemory) {
    program::command(u, mem, gcmd::TE, true);
}

/// Protected memory regions off (if the unit has any): clear PMEN.EPM.
pub fn disable_pmr(u: &mut Unit, mem: &mut SparseMemory) {
    if u.cap().plmr() || u.cap().phmr() {
        w(u, mem, o::PMEN, 4, 0);
    }
}

/// Point `source_id`'s context entry at `table` (None: pass-through) with `did`.
pub fn set_context(
    mem: &mut SparseMemory,
    st: &UnitState,
    alloc: &mut PageAlloc,
    source_id: u16,
    did: u16,
    table: Option<&PageTable>,
) -> Result<(), HwError> {
    if let Some(t) = st.tables {
        t.set_context(mem, alloc, source_id, did, table, false)?;
    }
    Ok(())
}

/// Clear `source_id`'s context entry.
pub fn clear_context(
    mem: &mut SparseMemory,
    st: &UnitState,
    source_id: u16,
) -> Result<(), HwError> {
    if let Some(t) = st.tables {
        t.clear_context(mem, source_id)?;
    }
    Ok(())
}

/// The context entry currently written for `source_id`: (present, DID).
pub fn context_of<M: GuestMemory + ?Sized>(
    mem: &M,
    st: &UnitState,
    source_id: u16,
) -> Option<(bool, u16)> {
    let t = st.tables?;
    let re = mem.read_u64(t.root + u64::from(source_id >> 8) * 16).ok()?;
    if re & 1 == 0 {
        return Some((false, 0));
    }
    let at = (re & !0xfff) + u64::from(source_id & 0xff) * 16;
    let lo = mem.read_u64(at).ok()?;
    let hi = mem.read_u64(at + 8).ok()?;
    Some((lo & 1 != 0, (hi >> 8) as u16))
}

//! The booted system: the model platform, what the driver keeps per unit, domains with
//! their page tables and devices, and the RMRRs the driver registered.
//!
//! Everything the driver does to the hardware goes through `hw.rs` (registers,
//! queued invalidation, tables in memory); policies (which device goes where, which
//! ranges are mapped) are the personalities' (`crate::boot`, `crate::assign`).

pub mod hw;
pub mod ranges;
pub mod topology;

use crate::log::Log;
use crate::personality::Personality;
use hw::{HwError, UnitState};
use ranges::RangeSet;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use vtd_machine::{Bdf, E820Kind, Machine};
use vtd_model::program::{Format, MapFlags, PageAlloc, PageTable};
use vtd_model::qi::descriptor::{ContextScope, IotlbGranularity};
use vtd_model::qi::Descriptor;
use vtd_model::Platform;

/// A domain identifier: Xen's domid, or for Linux a number the reference driver gives
/// each IOMMU domain.
pub type DomainId = u32;

/// Xen's hardware domain, or Linux's first domain.
pub const DOM0: DomainId = 0;
/// Xen's `DOMID_IO`, where quarantined devices live.
pub const DOM_IO: DomainId = 0x7ff1;

/// What a domain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainKind {
    /// Xen's dom0 (hardware domain).
    Hardware,
    /// A Xen guest.
    Guest {
        /// HVM (true) or PV.
        hvm: bool,
    },
    /// Xen's `dom_io`: quarantined devices.
    Quarantine,
    /// Linux's identity domain (`si_domain`).
    Identity,
    /// A Linux DMA-API domain (one per IOMMU group).
    Dma,
    /// A Linux VFIO (unmanaged) domain.
    Vfio,
}

/// Guest memory: `pages` pages at guest-physical 0 backed by host memory at `host`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GuestRam {
    /// Host physical base.
    pub host: u64,
    /// Pages.
    pub pages: u64,
}

/// A domain.
#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    /// Identifier.
    pub id: DomainId,
    /// Name (`xl` name, or what the Linux domain is for).
    pub name: String,
    /// Kind.
    pub kind: DomainKind,
    /// Context entries use pass-through (TT=10b) instead of page tables.
    pub passthrough: bool,
    /// Devices in the domain.
    pub devices: BTreeSet<Bdf>,
    /// Ranges mapped 1:1.
    #[serde(skip)]
    pub identity: RangeSet,
    /// Guest RAM mapped gfn → host.
    pub ram: Option<GuestRam>,
    /// Devices as the guest sees them: (host function, virtual slot, virtual function).
    pub placed: Vec<(Bdf, u8, u8)>,
    /// Page tables, one per table shape (levels, 2 MiB pages, 1 GiB pages) the
    /// domain's units need: units of the same shape share one, as Xen and Linux
    /// share a domain's page table between units.
    #[serde(skip)]
    pub tables: BTreeMap<TableShape, PageTable>,
}

/// What a page table must look like for a unit: levels, and the large pages it may
/// use.
pub type TableShape = (u32, bool, bool);

/// An RMRR as the driver registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RmrrInfo {
    /// Offset of the structure in the table.
    pub offset: usize,
    /// First byte.
    pub base: u64,
    /// Last byte.
    pub end: u64,
    /// The endpoints and bridges its scope names (path ends that exist).
    pub devices: Vec<Bdf>,
    /// Bus ranges of bridge scope entries.
    pub buses: Vec<(u8, u8)>,
    /// Scope entries of any type, existing or not (Xen's `devices_cnt`).
    pub scope_count: usize,
}

impl RmrrInfo {
    /// Whether the RMRR's scope covers `bdf` (its own entry, or a bridge above it).
    pub fn covers(&self, bdf: Bdf) -> bool {
        self.devices.contains(&bdf) || self.buses.iter().any(|&(s, e)| (s..=e).contains(&bdf.bus))
    }
}

/// The booted system.
#[derive(Debug, Clone)]
pub struct Host {
    /// Whose policies apply.
    pub personality: Personality,
    /// The machine and its remapping units.
    pub platform: Platform,
    /// Per unit (same order as the platform's units).
    pub units: Vec<UnitState>,
    /// Domains by id.
    pub domains: BTreeMap<DomainId, Domain>,
    /// Who owns each DMA device.
    pub owner: BTreeMap<Bdf, DomainId>,
    /// Devices bound to the pass-through backend (pciback / vfio-pci).
    pub assignable: BTreeSet<Bdf>,
    /// RMRRs the driver registered.
    pub rmrrs: Vec<RmrrInfo>,
    /// What the driver printed after boot (assignment, hot-plug, faults).
    pub log: Log,
    /// Translation is on.
    pub translation: bool,
    /// Use superpages in the I/O page tables.
    pub superpages: bool,
    /// Set SNP in leaf entries (Xen `iommu_snoop`).
    pub snoop: bool,
    /// Xen 4.0.0 `iommu=pv`: PV guests' devices go through the IOMMU.
    pub pv_iommu: bool,
    /// Xen 4.17: de-assigned devices go to quarantine (`iommu=quarantine`, default on).
    pub quarantine: bool,
    /// Interrupt remapping came up.
    pub ir_enabled: bool,
    /// Linux: each device's default domain, and its IOMMU group number.
    pub default_domain: BTreeMap<Bdf, (DomainId, u32)>,
    /// Memory for the driver's structures.
    pub(crate) alloc: PageAlloc,
    /// Memory handed to guests.
    pub(crate) guest_alloc: PageAlloc,
    /// The driver's own memory (excluded from host mappings, like Xen's).
    pub driver_memory: (u64, u64),
}

/// The region the driver takes for its structures, and the one it gives guests: the
/// top of the largest RAM entry below 4 GiB (Xen keeps its heap there too).
fn memory_regions(m: &Machine, limit: u64) -> ((u64, u64), (u64, u64)) {
    const DRIVER: u64 = 48 << 20;
    const GUESTS: u64 = 128 << 20;
    let best = m
        .e820
        .iter()
        .filter(|e| e.kind == E820Kind::Ram && e.base < 1 << 32)
        .map(|e| {
            (
                e.base.next_multiple_of(1 << 21),
                e.end.min((1 << 32) - 1) + 1,
            )
        })
        .filter(|(b, e)| e > b)
        .max_by_key(|(b, e)| e - b);
    let (base, end) = best.unwrap_or((limit.saturating_sub(DRIVER + GUESTS), limit));
    let end = end & !((1 << 21) - 1);
    let driver = (end.saturating_sub(DRIVER).max(base), end);
    let guests = (driver.0.saturating_sub(GUESTS).max(base), driver.0);
    (driver, guests)
}

impl Host {
    /// A host on `platform`, nothing programmed yet.
    pub fn new(personality: Personality, platform: Platform, levels: &[u32]) -> Self {
        let limit = platform.memory.limit();
        let (driver, guests) = memory_regions(&platform.machine, limit);
        let units = levels.iter().map(|&l| UnitState::new(l)).collect();
        Host {
            personality,
            units,
            domains: BTreeMap::new(),
            owner: BTreeMap::new(),
            assignable: BTreeSet::new(),
            rmrrs: Vec::new(),
            log: Log::default(),
            translation: false,
            superpages: true,
            snoop: true,
            pv_iommu: true,
            quarantine: true,
            ir_enabled: false,
            default_domain: BTreeMap::new(),
            alloc: PageAlloc::new(driver.0, driver.1),
            guest_alloc: PageAlloc::new(guests.0, guests.1),
            driver_memory: driver,
            platform,
        }
    }

    /// The machine.
    pub fn machine(&self) -> &Machine {
        &self.platform.machine
    }

    /// Create a domain.
    pub fn add_domain(&mut self, id: DomainId, name: &str, kind: DomainKind) -> &mut Domain {
        self.domains.entry(id).or_insert_with(|| Domain {
            id,
            name: name.to_string(),
            kind,
            passthrough: false,
            devices: BTreeSet::new(),
            identity: RangeSet::default(),
            ram: None,
            placed: Vec::new(),
            tables: BTreeMap::new(),
        })
    }

    fn flags(&self) -> MapFlags {
        MapFlags {
            snoop: self.snoop,
            ..MapFlags::RW
        }
    }

    /// The large-page sizes unit `index` supports, if superpages are on.
    fn large(&self, index: usize) -> [bool; 2] {
        match self.platform.unit(index) {
            Some(u) if self.superpages => {
                let s = u.cap().sllps();
                [s & 1 != 0, s & 2 != 0]
            }
            _ => [false, false],
        }
    }

    /// The table shape unit `index` needs.
    fn shape(&self, unit: usize) -> TableShape {
        let levels = self.units.get(unit).map_or(4, |u| u.levels);
        let large = self.large(unit);
        (levels, large[0], large[1])
    }

    /// The page table of `domain` on `unit`, created (and filled with the domain's
    /// mappings) on first use.
    pub fn table(&mut self, domain: DomainId, unit: usize) -> Result<PageTable, HwError> {
        let shape = self.shape(unit);
        if let Some(t) = self.domains.get(&domain).and_then(|d| d.tables.get(&shape)) {
            return Ok(*t);
        }
        let (levels, l2, l1) = shape;
        let large = [l2, l1];
        let flags = self.flags();
        let mem = &mut self.platform.memory;
        let pt = PageTable::new(mem, &mut self.alloc, levels, Format::Second)?;
        if let Some(d) = self.domains.get_mut(&domain) {
            ranges::map_ranges(
                &pt,
                mem,
                &mut self.alloc,
                d.identity.ranges(),
                0,
                large,
                flags,
            )?;
            if let Some(r) = d.ram {
                ranges::map_ranges(
                    &pt,
                    mem,
                    &mut self.alloc,
                    &[(0, r.pages << 12)],
                    r.host as i64,
                    large,
                    flags,
                )?;
            }
            d.tables.insert(shape, pt);
        }
        Ok(pt)
    }

    /// Map `set` 1:1 into `domain` (its existing page tables too).
    pub fn map_identity(&mut self, domain: DomainId, set: &RangeSet) -> Result<(), HwError> {
        let Some(d) = self.domains.get_mut(&domain) else {
            return Ok(());
        };
        let new = set.minus(&d.identity);
        for &(a, b) in set.ranges() {
            d.identity.add(a, b);
        }
        let tables: Vec<(TableShape, PageTable)> = d.tables.iter().map(|(s, t)| (*s, *t)).collect();
        let flags = self.flags();
        for ((_, l2, l1), pt) in tables {
            let large = [l2, l1];
            ranges::map_ranges(
                &pt,
                &mut self.platform.memory,
                &mut self.alloc,
                new.ranges(),
                0,
                large,
                flags,
            )?;
        }
        Ok(())
    }

    /// The DID of `domain` on `unit`, allocated on first use: the lowest free one,
    /// skipping those `reserved` (DID 0 under caching mode, and Linux's).
    pub fn did(&mut self, domain: DomainId, unit: usize, reserved: &[u16]) -> u16 {
        let st = &mut self.units[unit];
        if let Some(d) = st.did_of(domain) {
            return d;
        }
        let did = (0..=u16::MAX)
            .find(|d| !reserved.contains(d) && st.dids.iter().all(|(x, _)| x != d))
            .unwrap_or(u16::MAX);
        st.dids.push((did, domain));
        did
    }

    /// Write the context entries of `sids` on `unit` for `domain` and flush them.
    pub fn map_context(
        &mut self,
        domain: DomainId,
        unit: usize,
        sids: &[u16],
        did: u16,
    ) -> Result<(), HwError> {
        let passthrough = self.domains.get(&domain).is_some_and(|d| d.passthrough);
        let table = if passthrough {
            None
        } else {
            Some(self.table(domain, unit)?)
        };
        let Some((u, mem)) = self.platform.unit_and_memory(unit) else {
            return Ok(());
        };
        let st = &mut self.units[unit];
        let mut flush = Vec::new();
        for &sid in sids {
            let old = hw::context_of(mem, st, sid);
            hw::set_context(mem, st, &mut self.alloc, sid, did, table.as_ref())?;
            // A present entry that changed owner needs its old DID flushed; a new one
            // needs nothing without caching mode (the production drivers' rule), but
            // the reference driver flushes the device either way.
            let old_did = old.filter(|(p, _)| *p).map_or(did, |(_, d)| d);
            flush.push(Descriptor::Context(ContextScope::Device {
                did: old_did,
                source_id: sid,
                fm: 0,
            }));
            flush.push(Descriptor::Iotlb {
                did: old_did,
                granularity: IotlbGranularity::Domain,
                drain_reads: false,
                drain_writes: false,
            });
        }
        if !flush.is_empty() {
            hw::invalidate(u, mem, st, &flush)?;
        }
        Ok(())
    }

    /// Clear the context entries of `sids` on `unit` and flush them.
    pub fn unmap_context(&mut self, unit: usize, sids: &[u16]) -> Result<(), HwError> {
        let Some((u, mem)) = self.platform.unit_and_memory(unit) else {
            return Ok(());
        };
        let st = &mut self.units[unit];
        let mut flush = Vec::new();
        for &sid in sids {
            let Some((true, did)) = hw::context_of(mem, st, sid) else {
                continue;
            };
            hw::clear_context(mem, st, sid)?;
            flush.push(Descriptor::Context(ContextScope::Device {
                did,
                source_id: sid,
                fm: 0,
            }));
            flush.push(Descriptor::Iotlb {
                did,
                granularity: IotlbGranularity::Domain,
                drain_reads: false,
                drain_writes: false,
            });
        }
        if !flush.is_empty() {
            hw::invalidate(u, mem, st, &flush)?;
        }
        Ok(())
    }

    /// Flush every unit's context cache and IOTLB.
    pub fn flush_all(&mut self) -> Result<(), HwError> {
        for i in 0..self.units.len() {
            if let Some((u, mem)) = self.platform.unit_and_memory(i) {
                hw::flush_all(u, mem, &mut self.units[i])?;
            }
        }
        Ok(())
    }

    /// Linux: the IOMMU group number of `b` (its alias group's).
    pub fn group_number(&self, b: Bdf) -> u32 {
        let leader = topology::alias_group(self.machine(), b)[0];
        self.default_domain
            .get(&leader)
            .or_else(|| self.default_domain.get(&b))
            .map_or(0, |(_, g)| *g)
    }

    /// Give `domain` `pages` pages of guest RAM at gfn 0.
    pub fn give_ram(&mut self, domain: DomainId, pages: u64) -> Result<(), HwError> {
        let host = self.guest_alloc.pages(&mut self.platform.memory, pages)?;
        if let Some(d) = self.domains.get_mut(&domain) {
            d.ram = Some(GuestRam { host, pages });
        }
        Ok(())
    }
}

//! The unit's caches: context cache, PASID cache, IOTLB, one paging-structure cache
//! per non-leaf level, and the interrupt entry cache. Each is set-associative with its
//! own geometry. Entries stay until an invalidation removes them or replacement evicts
//! them; nothing here looks at memory, so a stale entry is served exactly as hardware
//! serves it.

pub mod context;
pub mod iec;
pub mod iotlb;
pub mod paging;
pub mod pasid;
pub mod set_assoc;

use context::{CachedContext, ContextKey};
use iec::{CachedIrte, IecKey};
use iotlb::{IotlbEntry, IotlbKey};
use paging::{PscEntry, PscKey};
use pasid::{CachedPasid, PasidKey};
pub use set_assoc::{Geometry, Replacement, SetAssoc};

/// The shape of every cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Context cache.
    pub context: Geometry,
    /// PASID cache.
    pub pasid: Geometry,
    /// IOTLB.
    pub iotlb: Geometry,
    /// Each paging-structure cache (levels 2 to 5).
    pub paging: Geometry,
    /// Interrupt entry cache.
    pub interrupt: Geometry,
}

impl Default for CacheConfig {
    /// Sizes in the range published for client units (pcie-bench, SIGCOMM'18, finds
    /// 64–130 effective 4 KiB IOTLB entries); the timing issue calibrates them.
    fn default() -> Self {
        CacheConfig {
            context: Geometry::new(16, 4),
            pasid: Geometry::new(16, 4),
            iotlb: Geometry::new(32, 4),
            paging: Geometry::new(8, 4),
            interrupt: Geometry::new(16, 4),
        }
    }
}

impl CacheConfig {
    /// No caching at all (every translation walks memory).
    pub fn none() -> Self {
        let g = Geometry::new(0, 0);
        CacheConfig {
            context: g,
            pasid: g,
            iotlb: g,
            paging: g,
            interrupt: g,
        }
    }
}

/// Which translations an IOTLB invalidation reaches, by the stage that cached them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stages {
    /// Every entry the domain, PASID and range select (legacy mode, register-based
    /// invalidation, global invalidation, PASID-based invalidation of a whole PASID).
    #[default]
    All,
    /// A scalable-mode IOTLB descriptor (type 2): second-stage and pass-through
    /// entries in the range, and every first-stage or nested entry of the domain
    /// whatever its address ("IOTLB entries caching first-stage (PGTT=001b) or nested
    /// (PGTT=011b) mapping associated with specified domain-id are invalidated", as
    /// QEMU's `vtd_hash_remove_by_page` quotes the spec).
    SecondInRangeFirstAll,
    /// A page-selective PASID-based IOTLB descriptor (type 6): first-stage and nested
    /// entries only; "PASID-based-IOTLB Invalidation in page granularity doesn't
    /// invalidate IOTLB entries caching second-stage (PGTT=010b) or pass-through
    /// (PGTT=100b) mappings" (QEMU `vtd_hash_remove_by_page_piotlb`).
    FirstOnly,
}

/// What an IOTLB invalidation selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IotlbScope {
    /// Domain; None = every domain.
    pub did: Option<u16>,
    /// PASID tag; None = every PASID (and requests without one).
    pub pasid: Option<u32>,
    /// The 2^am pages containing the address; None = every address.
    pub range: Option<(u64, u32)>,
    /// Invalidation hint: only leaves changed, the paging-structure caches stay.
    pub ih: bool,
    /// Which stages' entries.
    pub stages: Stages,
}

/// All caches of one unit.
#[derive(Debug, Clone)]
pub struct Caches {
    /// Context cache.
    pub context: SetAssoc<ContextKey, CachedContext>,
    /// PASID cache.
    pub pasid: SetAssoc<PasidKey, CachedPasid>,
    /// IOTLB.
    pub iotlb: SetAssoc<IotlbKey, IotlbEntry>,
    /// Paging-structure caches for levels 2, 3, 4, 5.
    pub paging: [SetAssoc<PscKey, PscEntry>; 4],
    /// Interrupt entry cache.
    pub iec: SetAssoc<IecKey, CachedIrte>,
}

/// How many entries an invalidation removed, per cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Context cache.
    pub context: usize,
    /// PASID cache.
    pub pasid: usize,
    /// IOTLB.
    pub iotlb: usize,
    /// Paging-structure caches.
    pub paging: usize,
    /// Interrupt entry cache.
    pub iec: usize,
}

impl Caches {
    /// Empty caches of the given shapes.
    pub fn new(c: &CacheConfig) -> Self {
        Caches {
            context: SetAssoc::new(c.context),
            pasid: SetAssoc::new(c.pasid),
            iotlb: SetAssoc::new(c.iotlb),
            paging: std::array::from_fn(|_| SetAssoc::new(c.paging)),
            iec: SetAssoc::new(c.interrupt),
        }
    }

    /// The paging-structure cache of `level` (2–5).
    pub fn psc(&mut self, level: u32) -> Option<&mut SetAssoc<PscKey, PscEntry>> {
        self.paging.get_mut(level.checked_sub(2)? as usize)
    }

    /// Context-cache invalidation. `did` None = global; with `sid` = device-selective
    /// under the function mask `fm` (0 none, 1 bit 2, 2 bits 2:1, 3 bits 2:0). PASID-cache
    /// entries of the affected devices go too: they hang off the context entries.
    pub fn invalidate_context(&mut self, did: Option<u16>, sid: Option<(u16, u8)>) -> Removed {
        let matches_sid = |key: u16| match sid {
            None => true,
            Some((sid, fm)) => {
                // FM masks SID bit 2 (1), bits 2:1 (2) or bits 2:0 (3).
                let ignored: u16 = [0b000, 0b100, 0b110, 0b111][usize::from(fm.min(3))];
                key & !ignored == sid & !ignored
            }
        };
        let context = self.context.retain(|k, v| {
            let did_hit = did.is_none() || v.did().is_none() || v.did() == did;
            !(did_hit && matches_sid(k.0))
        });
        let pasid = self
            .pasid
            .retain(|k, _| !(did.is_none() && matches_sid(k.source_id)));
        Removed {
            context,
            pasid,
            ..Removed::default()
        }
    }

    /// PASID-cache invalidation: everything, a domain, or one PASID of a domain.
    pub fn invalidate_pasid(&mut self, did: Option<u16>, pasid: Option<u32>) -> Removed {
        let pasid = self.pasid.retain(|k, v| {
            let hit = did.is_none_or(|d| v.did() == d) && pasid.is_none_or(|p| k.pasid == p);
            !hit
        });
        Removed {
            pasid,
            ..Removed::default()
        }
    }

    /// IOTLB and paging-structure-cache invalidation.
    /// - `did` None: global.
    /// - `range` None: everything of the domain (and `pasid`, if given).
    /// - `range` Some((addr, am)): the 2^am pages containing `addr`; `ih` keeps the
    ///   paging-structure caches (only leaves changed).
    pub fn invalidate_iotlb(
        &mut self,
        did: Option<u16>,
        pasid: Option<u32>,
        range: Option<(u64, u32)>,
        ih: bool,
    ) -> Removed {
        self.invalidate_iotlb_scope(&IotlbScope {
            did,
            pasid,
            range,
            ih,
            stages: Stages::All,
        })
    }

    /// IOTLB and paging-structure-cache invalidation of what `s` selects.
    pub fn invalidate_iotlb_scope(&mut self, s: &IotlbScope) -> Removed {
        if let Some(r) = self.invalidate_by_probing(s) {
            return r;
        }
        let span = s.range.map(|(addr, am)| {
            let size = 1u64 << (12 + am.min(52));
            let base = addr & !(size - 1);
            (base, base + (size - 1))
        });
        let in_range = |b: u64, e: u64| span.is_none_or(|(lo, hi)| b <= hi && lo <= e);
        let tagged =
            |d: u16, p: u32| s.did.is_none_or(|x| x == d) && s.pasid.is_none_or(|x| x == p);
        let hit = |first: bool, b: u64, e: u64| match s.stages {
            Stages::All => in_range(b, e),
            Stages::SecondInRangeFirstAll => first || in_range(b, e),
            Stages::FirstOnly => first && in_range(b, e),
        };
        let iotlb = self.iotlb.retain(|k, v| {
            let (b, size) = (k.base(), k.size());
            let first = matches!(
                v,
                IotlbEntry::Map {
                    first_stage: true,
                    ..
                }
            );
            !(tagged(k.did(), k.pasid()) && hit(first, b, b + (size - 1)))
        });
        let mut paging = 0;
        if !(s.range.is_some() && s.ih) {
            for psc in &mut self.paging {
                paging += psc.retain(|k, _| {
                    let (b, e) = k.range();
                    !(tagged(k.did, k.pasid) && hit(k.first_level, b, e))
                });
            }
        }
        Removed {
            iotlb,
            paging,
            ..Removed::default()
        }
    }

    /// The common page-selective case (one domain, one PASID tag, a few pages, every
    /// stage) without scanning the caches: remove the keys that can hold the range,
    /// at every page size and paging-structure level. None when the scope is too wide
    /// for that to be cheaper than a scan.
    fn invalidate_by_probing(&mut self, s: &IotlbScope) -> Option<Removed> {
        const MAX_PAGES: u32 = 4;
        let (did, pasid, (addr, am)) = (s.did?, s.pasid?, s.range?);
        if s.stages != Stages::All || am > MAX_PAGES {
            return None;
        }
        let size = 1u64 << (12 + am);
        let lo = addr & !(size - 1);
        let mut iotlb = 0;
        // 4 KiB entries: one per page of the range. Larger pages, and every
        // paging-structure entry, cover the whole range (at most 16 pages) with one key.
        let mut page = if self.iotlb.is_empty() { lo + size } else { lo };
        while page < lo + size {
            iotlb += usize::from(self.iotlb.remove(&IotlbKey::new(did, pasid, 1, page)));
            page += 0x1000;
        }
        for level in 2..=3u8 {
            if self.iotlb.is_empty() {
                break;
            }
            iotlb += usize::from(self.iotlb.remove(&IotlbKey::new(did, pasid, level, lo)));
        }
        let mut paging = 0;
        if !s.ih {
            // Legacy-mode entries (the no-PASID tag) are all second-level.
            let first_too = pasid != iotlb::NO_PASID;
            for (i, psc) in self.paging.iter_mut().enumerate() {
                if psc.is_empty() {
                    continue;
                }
                let level = i as u8 + 2;
                paging += usize::from(psc.remove(&PscKey::new(did, pasid, level, lo, false)));
                if first_too {
                    paging += usize::from(psc.remove(&PscKey::new(did, pasid, level, lo, true)));
                }
            }
        }
        Some(Removed {
            iotlb,
            paging,
            ..Removed::default()
        })
    }

    /// Interrupt-entry-cache invalidation: everything, or the 2^`mask` entries of the
    /// naturally aligned block holding `index` (the IEC descriptor's IIDX and IM).
    pub fn invalidate_iec(&mut self, block: Option<(u16, u8)>) -> Removed {
        let iec = match block {
            None => self.iec.clear(),
            Some((index, mask)) => {
                let span = 1u32 << mask.min(16);
                let base = u32::from(index) & !(span - 1);
                self.iec
                    .retain(|k, _| !(base..base + span).contains(&u32::from(k.0)))
            }
        };
        Removed {
            iec,
            ..Removed::default()
        }
    }

    /// The IOTLB entry covering `addr` for (`did`, `pasid`), trying 4 KiB, then the large
    /// sizes `large` allows (index 0 = 2 MiB, 1 = 1 GiB); with its level.
    #[inline]
    pub fn iotlb_lookup(
        &mut self,
        did: u16,
        pasid: u32,
        addr: u64,
        large: [bool; 2],
    ) -> Option<(u8, IotlbEntry)> {
        for level in 1..=3u8 {
            if level > 1 && !large[usize::from(level - 2)] {
                continue;
            }
            if let Some(e) = self.iotlb.get(&IotlbKey::new(did, pasid, level, addr)) {
                return Some((level, *e));
            }
        }
        None
    }

    /// The deepest cached non-leaf entry on `addr`'s path, probing levels 2 up to
    /// `levels`; with the level it is at. `count` records each probe (level, hit).
    pub fn psc_deepest(
        &mut self,
        did: u16,
        pasid: u32,
        addr: u64,
        levels: u32,
        first_level: bool,
        mut count: impl FnMut(u32, bool),
    ) -> Option<(u32, PscEntry)> {
        for level in 2..=levels {
            let key = PscKey::new(did, pasid, level as u8, addr, first_level);
            let hit = self.psc(level)?.get(&key).copied();
            count(level, hit.is_some());
            if let Some(e) = hit {
                return Some((level, e));
            }
        }
        None
    }

    /// Drop every DMA-remapping entry (for SRTP on units with ESRTPS); the interrupt
    /// entry cache stays.
    pub fn clear(&mut self) -> Removed {
        Removed {
            context: self.context.clear(),
            pasid: self.pasid.clear(),
            iotlb: self.iotlb.clear(),
            paging: self.paging.iter_mut().map(SetAssoc::clear).sum(),
            iec: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Perm;

    fn map(out: u64) -> IotlbEntry {
        IotlbEntry::Map {
            out,
            perm: Perm::ALL,
            snoop: false,
            user: true,
            first_stage: false,
        }
    }

    #[test]
    fn page_selective_invalidation_respects_mask_domain_and_large_pages() {
        let mut c = Caches::new(&CacheConfig::default());
        for page in 0..8u64 {
            c.iotlb
                .insert(IotlbKey::new(1, iotlb::NO_PASID, 1, page << 12), map(page));
        }
        c.iotlb
            .insert(IotlbKey::new(2, iotlb::NO_PASID, 1, 0), map(99));
        c.iotlb
            .insert(IotlbKey::new(1, iotlb::NO_PASID, 2, 0x20_0000), map(7));
        // AM=2: pages 4..7 of domain 1.
        let r = c.invalidate_iotlb(Some(1), None, Some((0x5000, 2)), false);
        assert_eq!(r.iotlb, 4);
        assert!(c
            .iotlb
            .peek(&IotlbKey::new(1, iotlb::NO_PASID, 1, 0x3000))
            .is_some());
        assert!(c
            .iotlb
            .peek(&IotlbKey::new(2, iotlb::NO_PASID, 1, 0))
            .is_some());
        // A 4 KiB invalidation inside a 2 MiB entry removes it.
        let r = c.invalidate_iotlb(Some(1), None, Some((0x20_1000, 0)), false);
        assert_eq!(r.iotlb, 1);
        let r = c.invalidate_iotlb(None, None, None, false);
        assert_eq!(r.iotlb, 5);
    }

    proptest::proptest! {
        /// The probing shortcut for small page-selective invalidations removes exactly
        /// what a scan of every entry removes.
        #[test]
        fn probing_removes_what_scanning_removes(
            entries in proptest::collection::vec((0u16..3, 1u8..=3, 0u64..64), 0..80),
            psc in proptest::collection::vec((0u16..3, 2u8..=5, 0u64..64), 0..40),
            did in 0u16..3,
            page in 0u64..64,
            am in 0u32..=4,
            ih: bool,
        ) {
            let mut c = Caches::new(&CacheConfig::default());
            for (d, level, p) in entries {
                c.iotlb.insert(IotlbKey::new(d, iotlb::NO_PASID, level, p << 12), map(p));
            }
            for (d, level, p) in psc {
                c.psc(u32::from(level)).unwrap().insert(
                    PscKey::new(d, iotlb::NO_PASID, level, p << 12, false),
                    PscEntry { next: 0, perm: Perm::ALL, user: true },
                );
            }
            let mut scanned = c.clone();
            let scope = IotlbScope {
                did: Some(did),
                pasid: Some(iotlb::NO_PASID),
                range: Some((page << 12, am)),
                ih,
                stages: Stages::All,
            };
            let probed = c.invalidate_iotlb_scope(&scope);
            // No PASID named: the scan path.
            let scan = scanned.invalidate_iotlb_scope(&IotlbScope { pasid: None, ..scope });
            proptest::prop_assert_eq!(probed, scan);
            let keys = |c: &Caches| {
                let mut v: Vec<_> = c.iotlb.iter().map(|(k, _)| *k).collect();
                v.sort_by_key(|k| (k.did(), k.level(), k.base()));
                v
            };
            proptest::prop_assert_eq!(keys(&c), keys(&scanned));
        }
    }

    #[test]
    fn device_selective_context_invalidation_honours_the_function_mask() {
        let mut c = Caches::new(&CacheConfig::default());
        for f in 0..8u16 {
            c.context.insert(
                ContextKey(0x0100 | f),
                CachedContext::Fault(crate::fault::FaultReason::CONTEXT_NOT_PRESENT),
            );
        }
        // FM=2 masks bits 2:1: functions 0, 2, 4, 6 of device 01:00 match 01:00.0.
        let r = c.invalidate_context(Some(0), Some((0x0100, 2)));
        assert_eq!(r.context, 4);
        assert_eq!(c.context.len(), 4);
    }
}

//! Turning a request into a translation or a fault: context lookup (legacy and
//! scalable), PASID lookup, then the second-level, first-level or nested walk, each
//! step going through the caches when there are caches.
//!
//! The same code serves two callers: the unit, which passes its caches (so stale
//! entries are used exactly as hardware uses them), and the stale-translation checker,
//! which passes none (so it sees what memory says now).

mod first_level;
mod legacy;
mod scalable;
mod second_level;

use crate::cache::context::{CachedContext, ContextKey};
use crate::cache::iotlb::{IotlbEntry, NO_PASID};
use crate::cache::Caches;
use crate::fault::FaultReason;
use crate::memory::GuestMemory;
use crate::regs::{Cap, Ecap};
use crate::request::{Access, AddressType};
use crate::request::{Perm, Request, Translation, Via};
use crate::stats::Stats;
use crate::tables::TranslationType;

/// Where the root table is, as latched by the last SRTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RootPointer {
    /// Root table address.
    pub addr: u64,
    /// RTADDR.TTM was scalable mode (01).
    pub scalable: bool,
    /// RTADDR.TTM was abort-DMA mode (11) on a unit with ECAP.ADMS.
    pub abort: bool,
    /// RTADDR.TTM names a mode the unit does not support.
    pub invalid: bool,
    /// RTADDR.TTM as latched (10b is reserved).
    pub ttm: u8,
}

/// The hardware properties a translation depends on, decoded once per unit.
#[derive(Debug, Clone)]
pub(crate) struct Hw {
    pub cap: Cap,
    pub ecap: Ecap,
    /// Host address width: pointer bits at or above it are reserved.
    pub haw: u32,
    pub root: RootPointer,
    /// Caching mode: faulting lookups are cached too.
    pub negative: bool,
    /// MGAW + 1.
    pub mgaw: u32,
    /// Second-level large pages by level (index 2 = 2 MiB, 3 = 1 GiB).
    pub sl_large: [bool; 4],
    /// Second-level reserved masks by level (1–5) and leaf-large (index 1).
    pub sl_rsvd: [[u64; 2]; 6],
}

impl Hw {
    pub(crate) fn new(cap: Cap, ecap: Ecap, haw: u32) -> Self {
        let mut sl_rsvd = [[0; 2]; 6];
        for (level, masks) in sl_rsvd.iter_mut().enumerate().skip(1) {
            for (large, m) in masks.iter_mut().enumerate() {
                *m = crate::tables::sl::reserved(level as u32, large == 1, haw, ecap.sc());
            }
        }
        Hw {
            cap,
            ecap,
            haw,
            root: RootPointer::default(),
            negative: cap.cm(),
            mgaw: cap.mgaw_bits(),
            sl_large: [false, false, cap.sllps() & 1 != 0, cap.sllps() & 2 != 0],
            sl_rsvd,
        }
    }
}

/// A failed translation, before it is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Why.
    pub reason: FaultReason,
    /// Fault processing disabled by the entries on the way.
    pub fpd: bool,
}

pub(crate) type Step<T> = Result<T, Failure>;

pub(crate) fn fail<T>(reason: FaultReason, fpd: bool) -> Step<T> {
    Err(Failure { reason, fpd })
}

/// Memory, hardware properties, caches (if any) and counters for one translation.
pub(crate) struct Walker<'a, M: GuestMemory + ?Sized> {
    pub mem: &'a M,
    pub hw: &'a Hw,
    pub caches: Option<&'a mut Caches>,
    pub stats: &'a mut Stats,
}

impl<M: GuestMemory + ?Sized> Walker<'_, M> {
    /// Read a table quadword; `err` is the fault for an access error.
    pub(crate) fn read(&mut self, addr: u64, err: FaultReason, fpd: bool) -> Step<u64> {
        self.stats.table_reads += 1;
        self.mem
            .read_u64(addr)
            .map_err(|_| Failure { reason: err, fpd })
    }

    /// Translate `req` (translation enabled).
    pub(crate) fn resolve(&mut self, req: &Request) -> Step<Translation> {
        if self.hw.root.invalid {
            // RTA.1: the translation table mode is reserved or unsupported.
            return fail(FaultReason::SM_ROOT_TABLE_INVALID, false);
        }
        match self.context(req.source_id)? {
            CachedContext::Legacy(c) => legacy::translate(self, req, c, false),
            CachedContext::Scalable(c) => scalable::translate(self, req, c),
            CachedContext::Fault(reason) => fail(reason, false),
        }
    }

    /// Translate `req` (translation enabled). The common case goes short: an
    /// untranslated request without PASID from a device with a cached legacy context
    /// is answered from the IOTLB, or walked without probing the caches twice.
    #[inline]
    pub(crate) fn translate(&mut self, req: &Request) -> Step<Translation> {
        if req.pasid.is_some() || req.at != AddressType::Untranslated || self.hw.root.scalable {
            return self.resolve(req);
        }
        match self.probe(req) {
            Probe::Hit(t) => Ok(t),
            Probe::Context(c, probed) => legacy::translate(self, req, c, probed),
            Probe::Nothing => self.resolve(req),
        }
    }

    /// The context cache, then the IOTLB, for a legacy untranslated request.
    #[inline]
    fn probe(&mut self, req: &Request) -> Probe {
        let Some(caches) = self.caches.as_deref_mut() else {
            return Probe::Nothing;
        };
        let Some(&CachedContext::Legacy(c)) = caches.context.get(&ContextKey(req.source_id)) else {
            return Probe::Nothing;
        };
        self.stats.context.count(true);
        let width = (12 + 9 * c.levels).min(self.hw.mgaw);
        let usable = matches!(c.tt, TranslationType::Untranslated | TranslationType::All)
            && (width >= 64 || req.addr >> width == 0);
        if !usable || !caches.iotlb.enabled() {
            return Probe::Context(c, !caches.iotlb.enabled());
        }
        let large = [self.hw.sl_large[2], self.hw.sl_large[3]];
        let (level, out, perm, snoop) = match caches.iotlb_lookup(c.did, NO_PASID, req.addr, large)
        {
            None => return Probe::Context(c, true),
            Some((
                level,
                IotlbEntry::Map {
                    out, perm, snoop, ..
                },
            )) => (level, out, perm, snoop),
            // A cached fault (caching mode): the full walk path reports it.
            Some((_, IotlbEntry::Fault(_))) => return Probe::Context(c, false),
        };
        let allowed = (perm.read || !req.access.contains(Access::READ))
            && (perm.write || !req.access.contains(Access::WRITE));
        if !allowed {
            // The walk path finds the same entry and reports the fault.
            return Probe::Context(c, false);
        }
        self.stats.iotlb.count(true);
        let size = 1u64 << (12 + 9 * (u32::from(level) - 1));
        Probe::Hit(Translation {
            addr: out | (req.addr & (size - 1)),
            page_size: size,
            perm,
            snoop: !req.no_snoop || (self.hw.ecap.sc() && snoop),
            did: c.did,
            via: Via::Iotlb,
        })
    }

    /// The context entry of `source_id`, through the context cache.
    fn context(&mut self, source_id: u16) -> Step<CachedContext> {
        let key = ContextKey(source_id);
        if let Some(caches) = self.caches.as_deref_mut() {
            let hit = caches.context.get(&key).copied();
            self.stats.context.count(hit.is_some());
            if let Some(c) = hit {
                return Ok(c);
            }
        }
        let fetched = if self.hw.root.scalable {
            scalable::fetch_context(self, source_id)
        } else {
            legacy::fetch_context(self, source_id)
        };
        let negative = self.hw.negative;
        if let Some(caches) = self.caches.as_deref_mut() {
            match fetched {
                Ok(c) => {
                    caches.context.insert(key, c);
                }
                // Caching mode: a not-present entry may be cached (tagged DID 0).
                Err(f) if negative && is_not_present(f.reason) => {
                    caches.context.insert(key, CachedContext::Fault(f.reason));
                }
                Err(_) => {}
            }
        }
        fetched
    }
}

fn is_not_present(r: FaultReason) -> bool {
    matches!(
        r,
        FaultReason::CONTEXT_NOT_PRESENT | FaultReason::SM_CONTEXT_NOT_PRESENT
    )
}

/// What the short path found.
enum Probe {
    /// A complete answer from the IOTLB.
    Hit(Translation),
    /// The device's legacy context (counted as a hit); the rest is still to do, with
    /// the IOTLB already probed and missed (`true`) or not.
    Context(crate::cache::context::LegacyContext, bool),
    /// Nothing usable: take the full path.
    Nothing,
}

/// The identity translation used when translation is off or passed through.
pub(crate) fn identity(req: &Request, did: u16, via: Via) -> Translation {
    Translation {
        addr: req.addr,
        page_size: 4096,
        perm: Perm::ALL,
        snoop: !req.no_snoop,
        did,
        via,
    }
}

/// Whether `[base, base + size)` touches the interrupt address range 0xFEEx_xxxx.
pub(crate) fn in_interrupt_range(base: u64, size: u64) -> bool {
    base <= 0xfeef_ffff && 0xfee0_0000 < base.saturating_add(size)
}

/// The fault codes one walk reports; legacy and scalable mode name the same
/// conditions differently.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlCodes {
    pub top_read: FaultReason,
    pub read: FaultReason,
    pub write_perm: FaultReason,
    pub read_perm: FaultReason,
    pub reserved: FaultReason,
    pub beyond: FaultReason,
    pub interrupt: FaultReason,
}

pub(crate) const LEGACY_CODES: SlCodes = SlCodes {
    top_read: FaultReason::CONTEXT_INVALID,
    read: FaultReason::PAGING_ENTRY_INVALID,
    write_perm: FaultReason::WRITE,
    read_perm: FaultReason::READ,
    reserved: FaultReason::PAGING_RESERVED,
    beyond: FaultReason::ADDRESS_BEYOND_MGAW,
    interrupt: FaultReason::INTERRUPT_ADDRESS,
};

pub(crate) const SCALABLE_CODES: SlCodes = SlCodes {
    top_read: FaultReason::SM_SL_ROOT_INVALID,
    read: FaultReason::SM_SL_ACCESS,
    write_perm: FaultReason::SM_SL_PERMISSION,
    read_perm: FaultReason::SM_SL_PERMISSION,
    reserved: FaultReason::SM_SL_RESERVED,
    beyond: FaultReason::SM_ADDRESS_BEYOND,
    interrupt: FaultReason::SM_INTERRUPT_ADDRESS,
};

pub(crate) use second_level::SlWalk;

//! The IOTLB: leaf translations by domain, PASID and page.

use super::set_assoc::{mix, CacheKey};
use crate::fault::FaultReason;
use crate::request::Perm;

/// Requests without a PASID in legacy mode use this PASID tag.
pub const NO_PASID: u32 = u32::MAX;

/// Looked up by domain, PASID, page size (level) and page number at that size, packed
/// into two words so a lookup compares two integers per way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IotlbKey {
    /// DID (bits 15:0), level (23:16), PASID (55:24).
    tag: u64,
    /// Address >> (12 + 9·(level − 1)).
    page: u64,
}

impl IotlbKey {
    /// The key of `addr` at `level` (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB).
    #[inline]
    pub fn new(did: u16, pasid: u32, level: u8, addr: u64) -> Self {
        IotlbKey {
            tag: u64::from(did) | u64::from(level) << 16 | u64::from(pasid) << 24,
            page: addr >> page_shift(level),
        }
    }

    /// Domain.
    pub fn did(&self) -> u16 {
        self.tag as u16
    }

    /// Level.
    pub fn level(&self) -> u8 {
        (self.tag >> 16) as u8
    }

    /// PASID tag.
    pub fn pasid(&self) -> u32 {
        (self.tag >> 24) as u32
    }

    /// First byte the entry covers.
    pub fn base(&self) -> u64 {
        self.page << page_shift(self.level())
    }

    /// Bytes the entry covers.
    pub fn size(&self) -> u64 {
        1 << page_shift(self.level())
    }
}

/// log2 of the page size at `level`.
#[inline]
pub fn page_shift(level: u8) -> u32 {
    12 + 9 * (u32::from(level).max(1) - 1)
}

impl CacheKey for IotlbKey {
    #[inline]
    fn set_hash(&self) -> u64 {
        mix(self.page ^ self.tag.rotate_left(40))
    }
}

/// A cached translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IotlbEntry {
    /// A mapping.
    Map {
        /// Output address of the page.
        out: u64,
        /// Rights (the AND of every level's).
        perm: Perm,
        /// The leaf's SNP bit (or PGSNP).
        snoop: bool,
        /// First level: user-accessible (always true for second-level entries).
        user: bool,
        /// Cached by a first-stage or nested walk (PGTT 001b/011b), which PASID-based
        /// page invalidations reach and scalable-mode IOTLB descriptors remove for the
        /// whole domain; false for second-stage and pass-through entries.
        first_stage: bool,
    },
    /// A translation that faulted, cached because CAP.CM allows it.
    Fault(FaultReason),
}

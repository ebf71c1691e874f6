//! Paging-structure caches: non-leaf entries by level, so a walk after an IOTLB miss
//! can start below the top.

use super::set_assoc::{mix, CacheKey};
use crate::request::Perm;

/// A non-leaf entry at `level` (2 = PDE … 5 = PML5E), identified by the address bits
/// it and the levels above it index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PscKey {
    /// Domain.
    pub did: u16,
    /// PASID tag.
    pub pasid: u32,
    /// Level of the cached entry.
    pub level: u8,
    /// Address >> (12 + 9·(level − 1)).
    pub prefix: u64,
    /// First-level (true) or second-level (false) structure.
    pub first_level: bool,
}

impl PscKey {
    /// The key for `addr`'s entry at `level`.
    #[inline]
    pub fn new(did: u16, pasid: u32, level: u8, addr: u64, first_level: bool) -> Self {
        PscKey {
            did,
            pasid,
            level,
            prefix: addr >> (12 + 9 * (u32::from(level) - 1)),
            first_level,
        }
    }

    /// The address range the entry translates.
    pub fn range(&self) -> (u64, u64) {
        let shift = 12 + 9 * (u32::from(self.level) - 1);
        let base = self.prefix << shift;
        (base, base | ((1u64 << shift) - 1))
    }
}

impl CacheKey for PscKey {
    #[inline]
    fn set_hash(&self) -> u64 {
        mix(self.prefix
            ^ (u64::from(self.did) << 40)
            ^ u64::from(self.pasid) << 20
            ^ u64::from(self.level) << 60)
    }
}

/// A cached non-leaf entry: the table it points to and the rights accumulated down to
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PscEntry {
    /// The next-level table.
    pub next: u64,
    /// Rights so far.
    pub perm: Perm,
    /// First level: user-accessible so far.
    pub user: bool,
}

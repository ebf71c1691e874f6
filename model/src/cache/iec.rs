//! The interrupt entry cache: IRTEs by interrupt index, as read from the interrupt
//! remapping table. Like the other caches it keeps an entry until an interrupt-entry
//! cache invalidation (or, on units with CAP.ESIRTPS, a SIRTP) removes it, so a driver
//! that rewrites an IRTE without invalidating it keeps getting the old one.

use super::set_assoc::{mix, CacheKey};

/// Looked up by interrupt index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IecKey(pub u16);

impl CacheKey for IecKey {
    #[inline]
    fn set_hash(&self) -> u64 {
        mix(u64::from(self.0))
    }
}

/// A cached IRTE, both halves as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachedIrte {
    /// Bits 63:0.
    pub lo: u64,
    /// Bits 127:64.
    pub hi: u64,
}

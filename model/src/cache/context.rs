//! The context cache: decoded context entries by source-id.

use super::set_assoc::{mix, CacheKey};
use crate::fault::FaultReason;
use crate::tables::TranslationType;

/// Looked up by requester ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContextKey(pub u16);

impl CacheKey for ContextKey {
    #[inline]
    fn set_hash(&self) -> u64 {
        mix(u64::from(self.0))
    }
}

/// A legacy context entry, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyContext {
    /// Domain.
    pub did: u16,
    /// Fault processing disable.
    pub fpd: bool,
    /// Translation type.
    pub tt: TranslationType,
    /// Second-level table.
    pub slptptr: u64,
    /// Second-level levels (3–5).
    pub levels: u32,
}

/// A scalable-mode context entry, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalableContext {
    /// Fault processing disable.
    pub fpd: bool,
    /// Device-TLB enable.
    pub dte: bool,
    /// Requests with PASID allowed.
    pub paside: bool,
    /// PASID directory.
    pub pasid_dir: u64,
    /// Largest PASID the directory indexes.
    pub max_pasid: u32,
    /// PASID for requests without one.
    pub rid_pasid: u32,
}

/// What the cache holds for a source-id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachedContext {
    /// Legacy mode.
    Legacy(LegacyContext),
    /// Scalable mode.
    Scalable(ScalableContext),
    /// A not-present or invalid entry, cached because CAP.CM allows it.
    Fault(FaultReason),
}

impl CachedContext {
    /// The domain the entry is tagged with, if it has one.
    pub fn did(&self) -> Option<u16> {
        match self {
            CachedContext::Legacy(l) => Some(l.did),
            // Scalable-mode entries carry no DID; not-present ones are tagged DID 0
            // (caching mode).
            CachedContext::Scalable(_) => None,
            CachedContext::Fault(_) => Some(0),
        }
    }
}

//! The PASID cache: decoded scalable-mode PASID-table entries.

use super::set_assoc::{mix, CacheKey};
use crate::fault::FaultReason;
use crate::tables::Pgtt;

/// Looked up by requester and PASID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasidKey {
    /// Requester ID.
    pub source_id: u16,
    /// PASID.
    pub pasid: u32,
}

impl CacheKey for PasidKey {
    #[inline]
    fn set_hash(&self) -> u64 {
        mix(u64::from(self.source_id) << 20 ^ u64::from(self.pasid))
    }
}

/// A PASID entry, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasidInfo {
    /// Domain.
    pub did: u16,
    /// Fault processing disable (this entry's, or its directory entry's).
    pub fpd: bool,
    /// Translation type.
    pub pgtt: Pgtt,
    /// Second-level table and levels.
    pub sl: (u64, u32),
    /// First-level table and levels.
    pub fl: (u64, u32),
    /// Second-level execute enable.
    pub slee: bool,
    /// Page snoop.
    pub pgsnp: bool,
    /// Supervisor requests enable.
    pub sre: bool,
    /// Execute requests enable.
    pub ere: bool,
    /// No-execute enable.
    pub nxe: bool,
    /// Write-protect enable.
    pub wpe: bool,
    /// Supervisor-mode execute prevention.
    pub smep: bool,
}

/// What the cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachedPasid {
    /// A valid entry.
    Entry(PasidInfo),
    /// A not-present or invalid entry (caching mode).
    Fault(FaultReason),
}

impl CachedPasid {
    /// The domain the entry is tagged with.
    pub fn did(&self) -> u16 {
        match self {
            CachedPasid::Entry(p) => p.did,
            CachedPasid::Fault(_) => 0,
        }
    }
}

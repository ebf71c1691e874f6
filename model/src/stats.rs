//! Per-unit counters.

use crate::cache::Removed;
use crate::fault::FaultReason;
use std::collections::BTreeMap;

/// Hits and misses of one cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HitMiss {
    /// Lookups that found an entry.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
}

impl HitMiss {
    /// Count one lookup.
    #[inline]
    pub fn count(&mut self, hit: bool) {
        if hit {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
    }
}

/// What one unit has done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests translated (successfully or not).
    pub requests: u64,
    /// Context cache.
    pub context: HitMiss,
    /// PASID cache.
    pub pasid: HitMiss,
    /// IOTLB.
    pub iotlb: HitMiss,
    /// Paging-structure caches, levels 2–5.
    pub paging: [HitMiss; 4],
    /// Page walks started (IOTLB misses that reached memory).
    pub walks: u64,
    /// 8-byte reads of translation structures (root, context, PASID, paging).
    pub table_reads: u64,
    /// Faults by reason.
    pub faults: BTreeMap<u8, u64>,
    /// Faults written to a fault-recording register.
    pub faults_recorded: u64,
    /// Faults not recorded because of FPD.
    pub faults_suppressed: u64,
    /// Faults lost to overflow.
    pub faults_overflowed: u64,
    /// Entries removed by invalidations.
    pub invalidated: Removed,
    /// Invalidation requests processed.
    pub invalidations: u64,
    /// Fault-event interrupts sent.
    pub fault_interrupts: u64,
    /// Translations the stale checker found to differ from memory.
    pub stale: u64,
    /// Invalidation descriptors executed.
    pub descriptors: u64,
    /// Wait descriptors fetched.
    pub waits: u64,
    /// Wait descriptors aborted by an invalidation time-out or a QI disable.
    pub waits_aborted: u64,
    /// Device-TLB invalidations sent to devices.
    pub device_tlb_invalidations: u64,
    /// Invalidation-queue errors (IQE).
    pub queue_errors: u64,
    /// Invalidation-completion events sent.
    pub completion_interrupts: u64,
    /// Interrupt requests seen.
    pub interrupts: u64,
    /// Interrupts posted into a posted-interrupt descriptor.
    pub interrupts_posted: u64,
    /// Posted-interrupt notifications sent.
    pub posted_notifications: u64,
    /// Interrupt entry cache.
    pub iec: HitMiss,
    /// Interrupts the stale checker found remapped through an outdated cached IRTE.
    pub stale_interrupts: u64,
}

impl Stats {
    /// Count a fault.
    pub fn fault(&mut self, reason: FaultReason) {
        *self.faults.entry(reason.0).or_default() += 1;
    }

    /// Add an invalidation's removals.
    pub fn invalidated(&mut self, r: Removed) {
        self.invalidations += 1;
        self.invalidated.context += r.context;
        self.invalidated.pasid += r.pasid;
        self.invalidated.iotlb += r.iotlb;
        self.invalidated.paging += r.paging;
        self.invalidated.iec += r.iec;
    }
}

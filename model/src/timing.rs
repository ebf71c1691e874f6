//! Time: what an operation of the remapping hardware costs, in cycles of the unit's
//! clock (one cycle is one nanosecond at the default 1 GHz, so the published
//! nanosecond figures below read directly as cycles).
//!
//! Only queued invalidation is timed so far: in [`crate::qi::QiMode::Timed`] the queue
//! advances with [`crate::Unit::advance`], each descriptor taking the cycles this model
//! gives it, so a driver that polls a wait descriptor sees it complete later, and a
//! device-TLB invalidation that a device never answers times out. The timing issue
//! extends the model to translations and calibrates every parameter; the defaults here
//! are the published figures DESIGN.md §9 names.

/// Cycle costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingModel {
    /// One read of memory by the remapping hardware (a descriptor fetch, a table
    /// entry). "Fast & Safe IO Memory Protection" (SOSP'24) fits lm ≈ 197 ns per IOMMU
    /// memory read.
    pub memory_read: u64,
    /// One write of memory by the hardware (a wait descriptor's status, a
    /// posted-interrupt descriptor). Posted writes need no completion; taken as half a
    /// read until the timing issue measures it.
    pub memory_write: u64,
    /// Carrying out one invalidation in the unit's own caches once the descriptor is
    /// decoded. Of the order of the SOSP'24 fixed cost l0 ≈ 65 ns.
    pub invalidate: u64,
    /// An ATS invalidation request to a device and its completion message: a PCIe
    /// round trip through the device's translation agent, ≈ 1 µs (the ≈ 2 µs
    /// synchronous invalidation of DESIGN.md §9 includes it and the software side).
    pub device_tlb_round_trip: u64,
    /// How long the unit waits for a device-TLB invalidation completion before it
    /// reports an invalidation time-out (FSTS.ITE). The PCIe ATS specification gives
    /// the invalidate completion time-out as one minute (−0%/+50%).
    pub device_tlb_timeout: u64,
    /// Generating an interrupt message (fault, completion or notification event).
    pub interrupt: u64,
}

impl TimingModel {
    /// Every operation free: for the untimed queue modes.
    pub const fn instant() -> Self {
        TimingModel {
            memory_read: 0,
            memory_write: 0,
            invalidate: 0,
            device_tlb_round_trip: 0,
            device_tlb_timeout: 0,
            interrupt: 0,
        }
    }
}

impl Default for TimingModel {
    fn default() -> Self {
        TimingModel {
            memory_read: 197,
            memory_write: 98,
            invalidate: 65,
            device_tlb_round_trip: 1_000,
            device_tlb_timeout: 60_000_000_000,
            interrupt: 65,
        }
    }
}

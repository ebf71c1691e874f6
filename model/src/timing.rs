//! Time: what an operation of the remapping hardware costs, in cycles of the unit's
//! clock (one cycle is one nanosecond at the default 1 GHz, so the published
//! nanosecond figures below read directly as cycles).
//!
//! Queued invalidation is timed in the unit: in [`crate::qi::QiMode::Timed`] the queue
//! advances with [`crate::Unit::advance`], each descriptor taking the cycles this model
//! gives it, so a driver that polls a wait descriptor sees it complete later, and a
//! device-TLB invalidation that a device never answers times out.
//!
//! Translations are timed outside the functional path: a [`crate::Translation`] says
//! how it was obtained ([`crate::Via`]: an IOTLB hit, or a walk with its memory reads),
//! and [`TimingModel::translation`] prices it, so the model runs at full speed when
//! nobody asks for time. The trace simulator (`vtd-benches`, `sim`) adds what lies
//! outside the unit (the PCIe round trip, outstanding requests, walkers in flight).
//!
//! The defaults are the published figures DESIGN.md §9 names; they are inputs, and the
//! simulator's validation checks outputs (knees, drops, misses per KiB) against the
//! studies, never these numbers themselves.

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
    /// Looking a request up in the context cache and the IOTLB and answering a hit.
    /// pcie-bench (Neugebauer et al., SIGCOMM'18) sees no measurable latency for an
    /// IOTLB hit over no IOMMU at all; a few cycles of a pipelined lookup.
    pub lookup: u64,
    /// Page walks the unit carries out at the same time (its walkers, or page-miss
    /// handlers). Not published for Intel units; the simulator's pcie-bench experiment
    /// is where it is calibrated (`vtd-benches` `sim::calibration`).
    pub walkers: u32,
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
            lookup: 0,
            walkers: u32::MAX,
        }
    }

    /// The cycles a translation obtained `via` takes in the unit: the lookup, and for a
    /// walk one memory read per paging entry read (the walk's reads are sequential:
    /// each entry names the next table).
    #[inline]
    pub fn translation(&self, via: crate::Via) -> u64 {
        match via {
            crate::Via::Walk { reads } => self.lookup + u64::from(reads) * self.memory_read,
            _ => self.lookup,
        }
    }
}

impl TimingModel {
    /// The default: Rubin, Agarwal, Cai, Agarwal, "Fast & Safe IO Memory Protection"
    /// (SOSP'24), which fits lm ≈ 197 ns per IOMMU memory read and l0 ≈ 65 ns of fixed
    /// per-access cost on a Intel server (taken here for a table read and for carrying
    /// out an invalidation); an IOTLB hit is a few cycles (pcie-bench measures no
    /// latency over no IOMMU); 4 walkers until an experiment calibrates them.
    pub const fn sosp24() -> Self {
        TimingModel {
            memory_read: 197,
            memory_write: 98,
            invalidate: 65,
            device_tlb_round_trip: 1_000,
            device_tlb_timeout: 60_000_000_000,
            interrupt: 65,
            lookup: 5,
            walkers: 4,
        }
    }

    /// SOSP'24's costs with the walkers in flight calibrated on pcie-bench
    /// (Neugebauer et al., "Understanding PCIe performance for end host networking",
    /// SIGCOMM'18 §6.4): 6 walkers put the simulator's 64 B, 64 MiB throughput drop on
    /// the published ~65% (`vtd-benches`, `sim::experiments`), and with them the
    /// knee, the miss latency and the 2 MiB result come out inside pcie-bench's ranges.
    pub const fn pcie_bench() -> Self {
        TimingModel {
            walkers: PCIE_BENCH_WALKERS,
            ..Self::sosp24()
        }
    }

    /// A preset by name: `sosp24`, `pcie-bench` or `instant`.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "sosp24" => Some(Self::sosp24()),
            "pcie-bench" => Some(Self::pcie_bench()),
            "instant" => Some(Self::instant()),
            _ => None,
        }
    }

    /// The names [`TimingModel::preset`] knows.
    pub const PRESETS: [&'static str; 3] = ["sosp24", "pcie-bench", "instant"];
}

/// Walkers in flight, calibrated on pcie-bench's 64 MiB drop ([`TimingModel::pcie_bench`]).
pub const PCIE_BENCH_WALKERS: u32 = 6;

impl Default for TimingModel {
    /// [`TimingModel::sosp24`].
    fn default() -> Self {
        Self::sosp24()
    }
}

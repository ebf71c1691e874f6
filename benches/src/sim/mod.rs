//! The trace-driven simulator: DMA requests replayed through a booted `vtd-model` unit,
//! priced by its [`TimingModel`] and by what lies outside the unit (PCIe round trip,
//! outstanding requests, the link), to give throughput, latency and IOTLB behaviour.
//!
//! - `rig.rs`: a unit in legacy mode with one device whose window is mapped with 4 KiB
//!   or 2 MiB pages.
//! - `workload.rs`: request streams (sequential, random over a window) and the trace
//!   file format.
//! - `engine.rs`: the event loop: tags, walkers, the link.
//! - `experiments.rs`: the published experiments the simulator is validated against.
//! - `ring.rs`: a Linux receive ring with per-packet mapping, strict vs lazy (SOSP'24).
//! - `wall.rs`: a 200 Gbit/s NIC on 32 queues, 4 KiB vs 2 MiB buffers (the IOTLB wall).
//!
//! One replay is single-threaded and deterministic (seeded); independent
//! configurations run in parallel with rayon.

pub mod engine;
pub mod experiments;
pub mod rig;
pub mod ring;
pub mod wall;
pub mod workload;

pub use engine::{Device, Report};
pub use rig::{PageSize, Rig};
pub use workload::{Pattern, Req};

use vtd_model::timing::TimingModel;

/// One simulation: a mapped window, a device, a request stream.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bytes the device's buffers span (mapped from IOVA 0).
    pub window: u64,
    /// Page size of the mapping.
    pub pages: PageSize,
    /// Bytes per request.
    pub size: u32,
    /// Writes (else reads).
    pub write: bool,
    /// Access pattern.
    pub pattern: Pattern,
    /// Requests measured (after `warmup` unmeasured ones).
    pub requests: usize,
    /// Requests issued first to warm the caches, not measured.
    pub warmup: usize,
    /// The device and the link.
    pub device: Device,
    /// The unit's costs.
    pub timing: TimingModel,
    /// The unit's cache geometry.
    pub caches: vtd_model::cache::CacheConfig,
}

/// Run `c`.
pub fn run(c: &Config) -> Report {
    let mut rig = Rig::new(c.window, c.pages, c.caches);
    let reqs = workload::generate(c.pattern, c.window, c.size, c.write, c.warmup + c.requests);
    engine::replay(&mut rig, &reqs, c.warmup, &c.device, &c.timing)
}

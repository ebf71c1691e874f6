//! The "IOTLB wall" (Farshin, Rizzo, Elmeleegy, Kostić, "Overcoming the IOTLB wall for
//! multi-100-Gbps Linux-based networking", PeerJ Computer Science 9:e1385, 2023):
//! a 200 Gbit/s NIC receiving iperf traffic on many queues loses up to 20% of its
//! throughput to IOTLB misses against no IOMMU, and hugepage-backed receive buffers
//! recover all of it.
//!
//! The receive side as their testbed sets it up (the artefact's `experiments/iommu.npf`:
//! 32 queues, 1024 receive descriptors each, MTU 1500 to 9000, many connections so RSS
//! spreads packets over the queues): each queue hands its descriptors out in ring
//! order, each descriptor owns a page-pool buffer (two 2 KiB halves of a 4 KiB page at
//! MTU 1500, a run of whole pages above it), the NIC writes the frame into it and a
//! 64-byte completion entry into the queue's completion ring.
//!
//! Every timing input is the pcie-bench calibration's (the unit's walkers and lm); the
//! NIC's writes are posted, so nothing but the link and the unit's walkers limits
//! them (no tag limit, no round trip). The drop is therefore an output of the IOTLB
//! and paging-structure-cache geometry against the buffers' footprint and order.

use super::engine::{self, Device, Report};
use super::experiments;
use super::rig::{PageSize, Rig};
use super::workload::Req;

/// The testbed's receive side.
#[derive(Debug, Clone, Copy)]
pub struct WallConfig {
    /// MTU: bytes of each IP packet.
    pub mtu: u32,
    /// Receive queues (RSS).
    pub queues: u32,
    /// Descriptors per queue.
    pub ring: u32,
    /// Packets measured (after as many again to warm up).
    pub packets: usize,
    /// Buffer mapping granularity.
    pub pages: PageSize,
}

impl WallConfig {
    /// The artefact's configuration at `mtu`, with `pages`.
    pub fn testbed(mtu: u32, pages: PageSize) -> Self {
        WallConfig {
            mtu,
            queues: 32,
            ring: 1024,
            packets: 200_000,
            pages,
        }
    }

    /// Bytes of one receive buffer: half a page while a frame fits in 2 KiB (the page
    /// pool splits pages), else whole pages.
    pub fn buffer(&self) -> u64 {
        let frame = u64::from(self.mtu) + 14;
        if frame <= 2048 - 64 {
            2048
        } else {
            frame.div_ceil(4096) * 4096
        }
    }
}

/// A 200 Gbit/s NIC on a PCIe Gen4 x16 link writing posted: 25 GB/s of payload, 24
/// bytes of TLP framing per request, and no limit on writes in flight.
pub fn nic_200g() -> Device {
    Device {
        tags: 1 << 20,
        base_ns: 0.0,
        link_gbps: 25.0,
        overhead_bytes: 24,
    }
}

/// The requests: per packet the frame (one request per page it touches) and its
/// completion entry; queues chosen by a seeded RSS-like spread.
pub fn requests(c: &WallConfig) -> (Vec<Req>, u64) {
    let buffer = c.buffer();
    let buffers = u64::from(c.queues) * u64::from(c.ring) * buffer;
    let cq_base = buffers.next_multiple_of(1 << 21);
    let cq_bytes = u64::from(c.queues) * u64::from(c.ring) * 64;
    let window = cq_base + cq_bytes;
    let frame = c.mtu + 14;
    let mut next = vec![0u64; c.queues as usize];
    let mut rng = fastrand::Rng::with_seed(0x0002_006b);
    let mut reqs = Vec::with_capacity(2 * c.packets * 3);
    for _ in 0..2 * c.packets {
        let q = rng.u32(..c.queues) as u64;
        let slot = next[q as usize];
        next[q as usize] = (slot + 1) % u64::from(c.ring);
        let at = (q * u64::from(c.ring) + slot) * buffer;
        // The frame, split where it crosses a page.
        let mut off = 0u64;
        while off < u64::from(frame) {
            let addr = at + off;
            let len = (u64::from(frame) - off).min(4096 - addr % 4096);
            reqs.push(Req {
                addr,
                len: len as u32,
                write: true,
            });
            off += len;
        }
        reqs.push(Req {
            addr: cq_base + (q * u64::from(c.ring) + slot) * 64,
            len: 64,
            write: true,
        });
    }
    (reqs, window)
}

/// Replay the testbed's receive traffic.
pub fn run(c: &WallConfig) -> Report {
    let (reqs, window) = requests(c);
    let mut rig = Rig::new(window, c.pages, experiments::caches());
    let warmup = reqs.len() / 2;
    engine::replay(&mut rig, &reqs, warmup, &nic_200g(), &experiments::timing())
}

/// Throughput lost with 4 KiB pages against 2 MiB pages (whose IOTLB reach covers
/// the buffers: the no-IOMMU and hugepage case alike), 0..1.
pub fn drop(mtu: u32) -> (Report, Report, f64) {
    let small = run(&WallConfig::testbed(mtu, PageSize::Small));
    let large = run(&WallConfig::testbed(mtu, PageSize::Large));
    let d = if large.gbps > 0.0 {
        1.0 - small.gbps / large.gbps
    } else {
        0.0
    };
    (small, large, d)
}

//! A NIC receive ring with per-packet DMA mapping, as Linux's DMA API drives it, in
//! strict and lazy (flush-queue) invalidation modes: the workload behind SOSP'24's
//! T = p / (l0 + M·lm) ("Fast & Safe IO Memory Protection").
//!
//! Per packet the device reads its descriptor, writes the frame into the buffer the
//! driver mapped for the slot (from Linux's 66-byte headroom on, so a 4096-byte MTU
//! frame covers two pages), and writes the descriptor back; the driver then unmaps
//! the buffer and maps a fresh one. Strict mode invalidates the unmapped pages at
//! once, page-selective with the invalidation hint set as Linux 6.1 does when no
//! page-table page was freed (`intel_iommu_tlb_sync()` passes
//! `ih = list_empty(freelist)`), so the paging-structure caches survive, and the
//! allocator hands the same IOVA out again; lazy mode queues the unmap, the IOVA stays
//! allocated until the queue is flushed (one domain invalidation per `flush_every`
//! unmaps), so fresh IOVAs are used meanwhile.
//!
//! Two resources work in parallel, as on a real host: the device's DMA path costs
//! the SOSP'24 model's l0 plus lm per IOMMU memory read, per packet; the driver's
//! cores pay the synchronous invalidation (≈ 2 µs, DESIGN.md §9) in strict mode, or
//! their share of a flush in lazy mode. A packet takes as long as the busier of the
//! two ([`RingReport::with_cores`]).

use super::rig::Rig;
use vtd_model::program;
use vtd_model::timing::TimingModel;
use vtd_model::Via;

/// Invalidation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Invalidate every unmap synchronously.
    Strict,
    /// Queue unmaps; flush the domain every `flush_every`.
    Lazy,
}

/// Where a received frame lands in its buffer: Linux's `netdev_alloc_skb_ip_align()`
/// leaves NET_SKB_PAD (64) plus NET_IP_ALIGN (2) bytes of headroom.
pub const HEADROOM: u32 = 66;
/// Ethernet header in front of the IP packet.
pub const ETHERNET: u32 = 14;
/// IPv4 (20) and TCP with timestamps (32) headers inside the IP packet.
pub const IP_TCP: u32 = 52;

/// The ring experiment.
#[derive(Debug, Clone, Copy)]
pub struct RingConfig {
    /// MTU: bytes of each IP packet, headers included.
    pub mtu: u32,
    /// Packets measured.
    pub packets: usize,
    /// Descriptors in the ring (16 bytes each).
    pub ring: u32,
    /// Mode.
    pub mode: Mode,
    /// Lazy mode: unmaps per flush (Linux's flush queue holds 256).
    pub flush_every: u32,
    /// Per-packet fixed cost of the device's DMA path l0, ns (SOSP'24: ≈ 65 ns).
    pub l0_ns: f64,
    /// One synchronous invalidation as the CPU sees it, ns (≈ 2 µs).
    pub invalidation_ns: f64,
    /// CPUs running the driver's unmaps, maps and invalidation waits for the queue.
    pub cores: u32,
}

impl RingConfig {
    /// Linux's receive path at `mtu` in `mode`: a 256-entry ring, the flush queue's
    /// 256 unmaps per flush, SOSP'24's l0, a 2 µs synchronous invalidation, one core.
    pub fn linux(mtu: u32, mode: Mode) -> Self {
        RingConfig {
            mtu,
            packets: 10_000,
            ring: 256,
            mode,
            flush_every: 256,
            l0_ns: 65.0,
            invalidation_ns: 2000.0,
            cores: 1,
        }
    }

    /// TCP payload bytes per packet.
    pub fn payload(&self) -> u32 {
        self.mtu.saturating_sub(IP_TCP).max(1)
    }

    /// 4 KiB pages one receive buffer spans (headroom, Ethernet header, IP packet).
    pub fn pages(&self) -> u64 {
        u64::from((HEADROOM + ETHERNET + self.mtu).div_ceil(4096))
    }
}

/// What the ring measured.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RingReport {
    /// Packets.
    pub packets: u64,
    /// TCP payload bytes per packet.
    pub payload: u32,
    /// IOTLB misses.
    pub misses: u64,
    /// IOMMU memory reads (paging entries).
    pub reads: u64,
    /// The device's DMA path per packet: l0 plus lm per memory read of its walks, ns.
    pub device_ns: f64,
    /// The driver's per-packet IOMMU work on the CPU (invalidation waits), ns.
    pub cpu_ns: f64,
    /// Time per packet: the busier of the device and the driver's cores, ns.
    pub ns_per_packet: f64,
    /// Payload throughput, Gbit/s.
    pub gbit: f64,
}

impl RingReport {
    /// IOTLB misses per 4 KiB of payload.
    pub fn misses_per_4k(&self) -> f64 {
        self.misses as f64 * 4096.0 / (self.packets as f64 * f64::from(self.payload.max(1)))
    }

    /// Memory reads per packet.
    pub fn reads_per_packet(&self) -> f64 {
        self.reads as f64 / self.packets.max(1) as f64
    }

    /// The same packets with the driver's work spread over `cores` CPUs.
    pub fn with_cores(&self, cores: u32) -> RingReport {
        let ns = self.device_ns.max(self.cpu_ns / f64::from(cores.max(1)));
        RingReport {
            ns_per_packet: ns,
            gbit: f64::from(self.payload) * 8.0 / ns,
            ..*self
        }
    }
}

const RING_IOVA: u64 = 0;
const BUFFERS: u64 = 0x100_0000;
const DID: u16 = 1;

/// Run the ring.
pub fn run(c: &RingConfig, t: &TimingModel) -> RingReport {
    let pages = c.pages();
    let window = BUFFERS + 64 * 1024 * 1024;
    let mut rig = Rig::new(
        4096 * u64::from(c.ring.div_ceil(256)),
        super::PageSize::Small,
        t_caches(),
    );
    // Free IOVAs (LIFO, as Linux's per-CPU IOVA caches hand back the last freed).
    let mut free: Vec<u64> = Vec::new();
    let mut next = BUFFERS;
    let mut alloc = |free: &mut Vec<u64>| {
        free.pop().unwrap_or_else(|| {
            let a = next;
            next += pages * 4096;
            a
        })
    };
    let map = |rig: &mut Rig, iova: u64| {
        for p in 0..pages {
            let at = iova + p * 4096;
            let _ = rig.table.map(
                &mut rig.mem,
                &mut rig.alloc,
                at,
                0x10_0000_0000 + (at % window),
                1,
                program::MapFlags::RW,
            );
        }
    };
    let mut slots: Vec<u64> = (0..c.ring).map(|_| alloc(&mut free)).collect();
    for &s in &slots {
        map(&mut rig, s);
    }
    let mut queued: Vec<u64> = Vec::new();
    let mut r = RingReport {
        payload: c.payload(),
        ..RingReport::default()
    };
    let (mut device, mut cpu_total) = (0.0, 0.0);
    let warm = c.ring as usize * 2;
    for i in 0..warm + c.packets {
        let measured = i >= warm;
        let slot = i % c.ring as usize;
        let mut reads = 0u32;
        let mut misses = 0u32;
        let mut touch = |rig: &mut Rig, addr: u64, write: bool| {
            if let Ok(tr) = rig.translate(addr, write) {
                if let Via::Walk { reads: n } = tr.via {
                    reads += n;
                    misses += 1;
                }
            }
        };
        let desc = RING_IOVA + 16 * slot as u64;
        touch(&mut rig, desc, false);
        // The frame from the headroom on: every page of the buffer is written, from
        // its first byte written.
        for p in 0..pages {
            touch(
                &mut rig,
                slots[slot] + (p * 4096).max(u64::from(HEADROOM)),
                true,
            );
        }
        touch(&mut rig, desc, true);
        // The driver takes the packet: unmap, invalidate or queue, map a fresh buffer.
        let old = slots[slot];
        for p in 0..pages {
            let _ = rig
                .table
                .unmap(&mut rig.mem, &mut rig.alloc, old + p * 4096, 1);
        }
        let mut cpu = 0.0;
        match c.mode {
            Mode::Strict => {
                program::flush_pages(
                    &mut rig.unit,
                    &mut rig.mem,
                    DID,
                    old,
                    pages.next_power_of_two().trailing_zeros(),
                    true,
                );
                cpu += c.invalidation_ns;
                free.push(old);
            }
            Mode::Lazy => {
                queued.push(old);
                if queued.len() as u32 >= c.flush_every {
                    program::flush_all(&mut rig.unit, &mut rig.mem);
                    cpu += c.invalidation_ns;
                    free.append(&mut queued);
                }
            }
        }
        let fresh = alloc(&mut free);
        map(&mut rig, fresh);
        slots[slot] = fresh;
        if measured {
            r.packets += 1;
            r.misses += u64::from(misses);
            r.reads += u64::from(reads);
            device += c.l0_ns + f64::from(reads) * t.memory_read as f64;
            cpu_total += cpu;
        }
    }
    if r.packets > 0 {
        r.device_ns = device / r.packets as f64;
        r.cpu_ns = cpu_total / r.packets as f64;
        r = r.with_cores(c.cores);
    }
    r
}

fn t_caches() -> vtd_model::cache::CacheConfig {
    super::experiments::caches()
}

//! A NIC receive ring with per-packet DMA mapping, as Linux's DMA API drives it, in
//! strict and lazy (flush-queue) invalidation modes: the workload behind SOSP'24's
//! T = p / (l0 + M·lm) ("Fast & Safe IO Memory Protection").
//!
//! Per packet the device reads its descriptor, writes the packet into the buffer the
//! driver mapped for the slot, and writes the descriptor back; the driver then unmaps
//! the buffer and maps a fresh one. Strict mode invalidates the unmapped page at once,
//! page-selective with the invalidation hint set as Linux 6.1 does when no page-table
//! page was freed (`intel_iommu_tlb_sync()` passes `ih = list_empty(freelist)`), so the
//! paging-structure caches survive; the allocator hands the same IOVA out again; lazy mode queues the unmap, the
//! IOVA stays allocated until the queue is flushed (one domain invalidation per
//! `flush_every` unmaps), so fresh IOVAs are used meanwhile.
//!
//! Time per packet follows the SOSP'24 model: l0 (the per-packet fixed cost) plus lm
//! per IOMMU memory read, plus the CPU's synchronous invalidation in strict mode
//! (≈ 2 µs, DESIGN.md §9) or its share of a flush in lazy mode.

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

/// The ring experiment.
#[derive(Debug, Clone, Copy)]
pub struct RingConfig {
    /// Packet size, bytes.
    pub packet: u32,
    /// Packets measured.
    pub packets: usize,
    /// Descriptors in the ring (16 bytes each).
    pub ring: u32,
    /// Mode.
    pub mode: Mode,
    /// Lazy mode: unmaps per flush (Linux's flush queue holds 256).
    pub flush_every: u32,
    /// Per-packet fixed cost l0, ns (SOSP'24: ≈ 65 ns).
    pub l0_ns: f64,
    /// One synchronous invalidation as the CPU sees it, ns (≈ 2 µs).
    pub invalidation_ns: f64,
}

/// What the ring measured.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RingReport {
    /// Packets.
    pub packets: u64,
    /// IOTLB misses.
    pub misses: u64,
    /// IOMMU memory reads (paging entries).
    pub reads: u64,
    /// Time per packet, ns.
    pub ns_per_packet: f64,
    /// Throughput, Gbit/s.
    pub gbit: f64,
}

impl RingReport {
    /// IOTLB misses per 4 KiB of packet data.
    pub fn misses_per_4k(&self, packet: u32) -> f64 {
        self.misses as f64 * 4096.0 / (self.packets as f64 * f64::from(packet))
    }
}

const RING_IOVA: u64 = 0;
const BUFFERS: u64 = 0x100_0000;
const DID: u16 = 1;

/// Run the ring.
pub fn run(c: &RingConfig, t: &TimingModel) -> RingReport {
    let pages = u64::from(c.packet.div_ceil(4096).max(1));
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
    let mut r = RingReport::default();
    let mut total = 0.0;
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
        for p in 0..pages {
            touch(&mut rig, slots[slot] + p * 4096, true);
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
            total += c.l0_ns + f64::from(reads) * t.memory_read as f64 + cpu;
        }
    }
    if r.packets > 0 {
        r.ns_per_packet = total / r.packets as f64;
        r.gbit = f64::from(c.packet) * 8.0 / r.ns_per_packet;
    }
    r
}

fn t_caches() -> vtd_model::cache::CacheConfig {
    super::experiments::caches()
}

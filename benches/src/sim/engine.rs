//! The event loop. A device keeps up to `tags` requests outstanding; each request
//! occupies the link for its bytes plus TLP overhead, is translated by the unit (an
//! IOTLB hit costs the lookup; a miss waits for one of the unit's walkers and then
//! pays one memory read per paging entry it reads), and completes `base_ns` after its
//! translation (the PCIe round trip and the memory access for the data).

use super::rig::Rig;
use super::workload::Req;
use std::collections::VecDeque;
use vtd_model::timing::TimingModel;
use vtd_model::Via;

/// The device and its link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Device {
    /// Requests in flight at most (PCIe tags the DMA engine uses).
    pub tags: u32,
    /// Round trip of a request without the IOMMU: PCIe both ways and the memory access,
    /// nanoseconds.
    pub base_ns: f64,
    /// Link bandwidth, bytes per nanosecond (GB/s).
    pub link_gbps: f64,
    /// Per-request framing on the link (TLP headers, DLLP share), bytes.
    pub overhead_bytes: u32,
}

/// What a replay measured (over the measured requests only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Requests measured.
    pub requests: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// First issue to last completion, ns.
    pub elapsed_ns: f64,
    /// Payload throughput, GB/s (bytes per ns).
    pub gbps: f64,
    /// Mean request latency, ns.
    pub mean_ns: f64,
    /// Median latency, ns.
    pub p50_ns: f64,
    /// 99th percentile latency, ns.
    pub p99_ns: f64,
    /// IOTLB misses.
    pub misses: u64,
    /// Paging-entry memory reads.
    pub walk_reads: u64,
    /// Requests the unit blocked.
    pub faults: u64,
}

impl Report {
    /// IOTLB misses per KiB of payload.
    pub fn misses_per_kib(&self) -> f64 {
        if self.bytes == 0 {
            0.0
        } else {
            self.misses as f64 * 1024.0 / self.bytes as f64
        }
    }
}

/// Replay `reqs` on `rig`; the first `warmup` are issued but not measured.
pub fn replay(rig: &mut Rig, reqs: &[Req], warmup: usize, dev: &Device, t: &TimingModel) -> Report {
    let tags = dev.tags.max(1) as usize;
    let walkers = if t.walkers == u32::MAX {
        0
    } else {
        t.walkers.max(1) as usize
    };
    let mut walker_free = vec![0.0f64; walkers];
    // Completion times of the requests in flight, kept sorted. A new completion is
    // almost always the latest (requests issue in order and hits take the same time),
    // so insertion is usually a push at the back.
    let mut inflight: VecDeque<f64> = VecDeque::with_capacity(tags + 1);
    let mut link_free = 0.0f64;
    let mut ready = 0.0f64;
    let mut lat: Vec<f64> = Vec::with_capacity(reqs.len().saturating_sub(warmup));
    let mut r = Report::default();
    let mut start = None;
    let mut end = 0.0f64;
    let lm = t.memory_read as f64;
    let lookup = t.lookup as f64;
    for (i, q) in reqs.iter().enumerate() {
        if inflight.len() >= tags {
            if let Some(c) = inflight.pop_front() {
                ready = ready.max(c);
            }
        }
        let issue = ready.max(link_free);
        link_free = issue + f64::from(q.len + dev.overhead_bytes) / dev.link_gbps;
        let measured = i >= warmup;
        let done = match rig.translate(q.addr, q.write) {
            Ok(tr) => match tr.via {
                Via::Walk { reads } => {
                    let cost = f64::from(reads) * lm;
                    if measured {
                        r.misses += 1;
                        r.walk_reads += u64::from(reads);
                    }
                    match walker_free.iter_mut().min_by(|a, b| a.total_cmp(b)) {
                        Some(w) => {
                            let s = (issue + lookup).max(*w);
                            *w = s + cost;
                            *w
                        }
                        None => issue + lookup + cost,
                    }
                }
                _ => issue + lookup,
            },
            Err(_) => {
                if measured {
                    r.faults += 1;
                }
                issue + lookup
            }
        };
        let complete = done + dev.base_ns;
        let mut at = inflight.len();
        while at > 0 && inflight[at - 1] > complete {
            at -= 1;
        }
        inflight.insert(at, complete);
        if measured {
            start.get_or_insert(issue);
            end = end.max(complete);
            r.requests += 1;
            r.bytes += u64::from(q.len);
            lat.push(complete - issue);
        }
    }
    r.elapsed_ns = end - start.unwrap_or(0.0);
    if r.elapsed_ns > 0.0 {
        r.gbps = r.bytes as f64 / r.elapsed_ns;
    }
    if !lat.is_empty() {
        r.mean_ns = lat.iter().sum::<f64>() / lat.len() as f64;
        // Selection, not a sort: the percentiles in linear time.
        let n = lat.len();
        let k99 = (n * 99 / 100).min(n - 1);
        r.p99_ns = *lat.select_nth_unstable_by(k99, |a, b| a.total_cmp(b)).1;
        r.p50_ns = *lat[..k99.max(1)]
            .select_nth_unstable_by((n / 2).min(k99.max(1) - 1), |a, b| a.total_cmp(b))
            .1;
    }
    r
}

//! The event loop. A device keeps up to `tags` requests outstanding; each request
//! occupies the link for its bytes plus TLP overhead, is translated by the unit (an
//! IOTLB hit costs the lookup; a miss waits for one of the unit's walkers and then
//! pays one memory read per paging entry it reads), and completes `base_ns` after its
//! translation (the PCIe round trip and the memory access for the data).

use super::rig::Rig;
use super::workload::Req;
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
    /// Median latency, ns (to the nanosecond).
    pub p50_ns: f64,
    /// 99th percentile latency, ns (to the nanosecond).
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

/// Picoseconds per nanosecond: the replay keeps time in integer picoseconds, so the
/// per-request arithmetic is integer (no float conversions) and exact to 1 ps.
const PS: u64 = 1000;

fn ps(ns: f64) -> u64 {
    (ns * PS as f64).round().max(0.0) as u64
}

/// Replay `reqs` on `rig`; the first `warmup` are issued but not measured.
pub fn replay(rig: &mut Rig, reqs: &[Req], warmup: usize, dev: &Device, t: &TimingModel) -> Report {
    let tags = dev.tags.max(1) as usize;
    let walkers = if t.walkers == u32::MAX {
        0
    } else {
        t.walkers.max(1) as usize
    };
    let mut walker_free = vec![0u64; walkers];
    // Completion times of the requests in flight, kept sorted. A new completion is
    // almost always the latest (requests issue in order and hits take the same time),
    // so insertion is usually a push at the back.
    let mut inflight = Inflight::new(tags + 1);
    let mut link_free = 0u64;
    let mut ready = 0u64;
    // Latencies by whole nanosecond: percentiles in one pass over the histogram, no
    // sort or selection over every request.
    let mut hist: Vec<u32> = vec![0; 4096];
    let mut lat_sum = 0u64;
    let mut r = Report::default();
    let mut start = None;
    let mut end = 0u64;
    let lm = t.memory_read * PS;
    let lookup = t.lookup * PS;
    let base = ps(dev.base_ns);
    // The link time of a request, by length (a trace usually has one or two).
    let link = |len: u32| ps((f64::from(len) + f64::from(dev.overhead_bytes)) / dev.link_gbps);
    let (mut last_len, mut last_link) = (u32::MAX, 0u64);
    for (i, q) in reqs.iter().enumerate() {
        if inflight.len() >= tags {
            if let Some(c) = inflight.pop_front() {
                ready = ready.max(c);
            }
        }
        let issue = ready.max(link_free);
        if q.len != last_len {
            (last_len, last_link) = (q.len, link(q.len));
        }
        link_free = issue + last_link;
        let measured = i >= warmup;
        let done = match rig.translate(q.addr, q.write) {
            Ok(tr) => match tr.via {
                Via::Walk { reads } => {
                    let cost = u64::from(reads) * lm;
                    if measured {
                        r.misses += 1;
                        r.walk_reads += u64::from(reads);
                    }
                    match walker_free.iter_mut().min() {
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
        let complete = done + base;
        inflight.insert_sorted(complete);
        if measured {
            start.get_or_insert(issue);
            end = end.max(complete);
            r.requests += 1;
            r.bytes += u64::from(q.len);
            let l = complete - issue;
            lat_sum += l;
            let b = ((l + PS / 2) / PS) as usize;
            if b >= hist.len() {
                hist.resize(b + 1, 0);
            }
            hist[b] += 1;
        }
    }
    r.elapsed_ns = (end - start.unwrap_or(0)) as f64 / PS as f64;
    if r.elapsed_ns > 0.0 {
        r.gbps = r.bytes as f64 / r.elapsed_ns;
    }
    if r.requests > 0 {
        r.mean_ns = lat_sum as f64 / PS as f64 / r.requests as f64;
        let n = r.requests;
        let rank = |q: u64| {
            // The smallest latency with more than `q` requests at or below it.
            let mut seen = 0u64;
            hist.iter()
                .position(|&c| {
                    seen += u64::from(c);
                    seen > q
                })
                .unwrap_or(hist.len().saturating_sub(1)) as f64
        };
        r.p50_ns = rank(n / 2);
        r.p99_ns = rank((n * 99 / 100).min(n - 1));
    }
    r
}

/// The completion times in flight, sorted, in a ring of fixed capacity (the device's
/// tags): pops at the front, almost every insertion at the back.
struct Inflight {
    buf: Vec<u64>,
    head: usize,
    len: usize,
    mask: usize,
}

impl Inflight {
    fn new(capacity: usize) -> Self {
        let size = capacity.next_power_of_two();
        Inflight {
            buf: vec![0; size],
            head: 0,
            len: 0,
            mask: size - 1,
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn pop_front(&mut self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let v = self.buf[self.head];
        self.head = (self.head + 1) & self.mask;
        self.len -= 1;
        Some(v)
    }

    /// Insert `v` after every element not greater than it (capacity is never
    /// exceeded: the caller pops before it pushes past the tags).
    #[inline]
    fn insert_sorted(&mut self, v: u64) {
        let mut at = self.len;
        // Shift the (rare) later completions one place back.
        while at > 0 {
            let prev = self.buf[(self.head + at - 1) & self.mask];
            if prev <= v {
                break;
            }
            self.buf[(self.head + at) & self.mask] = prev;
            at -= 1;
        }
        self.buf[(self.head + at) & self.mask] = v;
        self.len += 1;
    }
}

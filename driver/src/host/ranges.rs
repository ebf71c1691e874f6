//! Sets of page ranges, and mapping them 1:1 with the largest pages a unit allows.

use vtd_model::memory::{GuestMemory, MemError};
use vtd_model::program::{MapFlags, PageAlloc, PageTable};

/// Disjoint, sorted, page-aligned `[start, end)` ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeSet(Vec<(u64, u64)>);

const PAGE: u64 = 0x1000;

impl RangeSet {
    /// The ranges.
    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.0
    }

    /// Add the pages that `[first, last]` (bytes, inclusive) touches.
    pub fn add_bytes(&mut self, first: u64, last: u64) {
        if last < first {
            return;
        }
        let start = first & !(PAGE - 1);
        let end = (last | (PAGE - 1)).saturating_add(1);
        self.add(start, end);
    }

    /// Add `[start, end)` (page-aligned).
    pub fn add(&mut self, start: u64, end: u64) {
        if end <= start {
            return;
        }
        let (mut s, mut e) = (start, end);
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let mut placed = false;
        for &(a, b) in &self.0 {
            if b < s {
                out.push((a, b));
            } else if e < a {
                if !placed {
                    out.push((s, e));
                    placed = true;
                }
                out.push((a, b));
            } else {
                s = s.min(a);
                e = e.max(b);
            }
        }
        if !placed {
            out.push((s, e));
        }
        out.sort_unstable();
        self.0 = out;
    }

    /// Remove `[start, end)`.
    pub fn remove(&mut self, start: u64, end: u64) {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        for &(a, b) in &self.0 {
            if b <= start || end <= a {
                out.push((a, b));
                continue;
            }
            if a < start {
                out.push((a, start));
            }
            if end < b {
                out.push((end, b));
            }
        }
        self.0 = out;
    }

    /// Whether the page holding `addr` is in the set.
    pub fn contains(&self, addr: u64) -> bool {
        self.0.iter().any(|&(a, b)| a <= addr && addr < b)
    }

    /// The pages in the set.
    pub fn pages(&self) -> u64 {
        self.0.iter().map(|(a, b)| (b - a) / PAGE).sum()
    }

    /// The parts of `self` not in `other`.
    pub fn minus(&self, other: &RangeSet) -> RangeSet {
        let mut r = self.clone();
        for &(a, b) in &other.0 {
            r.remove(a, b);
        }
        r
    }
}

/// Map every range of `set` 1:1 (`offset` added to the output: 0 for identity) into
/// `pt`, each piece with the largest page `large` allows (index 0: 2 MiB, 1: 1 GiB)
/// that fits its alignment.
pub fn map_ranges<M: GuestMemory + ?Sized>(
    pt: &PageTable,
    mem: &mut M,
    alloc: &mut PageAlloc,
    ranges: &[(u64, u64)],
    offset: i64,
    large: [bool; 2],
    flags: MapFlags,
) -> Result<(), MemError> {
    for &(start, end) in ranges {
        let mut a = start;
        while a < end {
            let out = a.wrapping_add_signed(offset);
            let level = [(3u32, 1u64 << 30, large[1]), (2, 1 << 21, large[0])]
                .into_iter()
                .find(|&(_, size, ok)| ok && a % size == 0 && out % size == 0 && a + size <= end)
                .map_or(1, |(l, ..)| l);
            if level > 1 {
                pt.map(mem, alloc, a, out, level, flags)?;
                a += 1u64 << (12 + 9 * (level - 1));
                continue;
            }
            // A run of 4 KiB pages up to the next boundary where a large page could
            // start (or the end).
            let next = [(1u64 << 30, large[1]), (1 << 21, large[0])]
                .into_iter()
                .filter(|&(_, ok)| ok)
                .map(|(size, _)| (a / size + 1) * size)
                .min()
                .unwrap_or(end)
                .min(end);
            let pages = (next - a) / 0x1000;
            pt.map_4k_run(mem, alloc, a, out, pages, flags)?;
            a = next;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_split() {
        let mut r = RangeSet::default();
        r.add_bytes(0x1000, 0x2fff);
        r.add_bytes(0x5000, 0x5000);
        r.add_bytes(0x2800, 0x4fff);
        assert_eq!(r.ranges(), &[(0x1000, 0x6000)]);
        r.remove(0x2000, 0x3000);
        assert_eq!(r.ranges(), &[(0x1000, 0x2000), (0x3000, 0x6000)]);
        assert!(r.contains(0x3fff) && !r.contains(0x2000));
        assert_eq!(r.pages(), 4);
        let mut o = RangeSet::default();
        o.add(0x4000, 0x10000);
        assert_eq!(r.minus(&o).ranges(), &[(0x1000, 0x2000), (0x3000, 0x4000)]);
    }
}

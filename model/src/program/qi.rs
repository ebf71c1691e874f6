//! Driving the invalidation queue as Linux 6.1 `qi_submit_sync` does
//! (`drivers/iommu/intel/dmar.c`; docs/sources/qi-ir.md §A.7): write the descriptors and
//! a wait descriptor with a status write at the tail, move IQT, poll the status word.
//! Unlike Linux, the poll gives up after a bounded number of polls and says why.

use super::PageAlloc;
use crate::memory::{GuestMemory, MemError};
use crate::qi::descriptor::encode;
use crate::qi::{Descriptor, Width};
use crate::regs::{fsts, gcmd, offset as o};
use crate::unit::Unit;

/// Why a synchronous submission did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The unit stopped the queue with IQE (the IQEI code) at descriptor `head`.
    #[error("invalidation queue error (IQEI {iqei}) at descriptor {head}")]
    QueueError {
        /// IQERCD.IQEI.
        iqei: u8,
        /// IQH as a descriptor index.
        head: u64,
    },
    /// A device-TLB invalidation timed out (ITE) for `source_id`; the wait was aborted.
    #[error("device-TLB invalidation time-out for source-id {source_id:#06x}")]
    TimedOut {
        /// IQERCD.ITESID.
        source_id: u16,
    },
    /// The ring has no room for the descriptors and the wait.
    #[error("invalidation queue full")]
    Full,
    /// The status word never showed completion within the polls allowed.
    #[error("wait descriptor not complete after {polls} polls")]
    Stuck {
        /// Polls made.
        polls: u64,
    },
    /// The ring or the status word is outside memory.
    #[error(transparent)]
    Memory(#[from] MemError),
}

/// An invalidation queue in guest memory, and the software side of it.
#[derive(Debug, Clone)]
pub struct InvalidationQueue {
    /// Ring base.
    pub base: u64,
    /// IQA.QS: 2^QS pages.
    pub qs: u8,
    /// Descriptor width.
    pub width: Width,
    /// Where wait descriptors write their status.
    pub status: u64,
    /// Cycles the unit's clock advances per poll of the status word (timed mode).
    pub poll_cycles: u64,
    /// Polls before [`SyncError::Stuck`].
    pub max_polls: u64,
    tail: u64,
    sequence: u32,
}

impl InvalidationQueue {
    /// A ring of 2^`qs` pages and a status page.
    pub fn new<M: GuestMemory + ?Sized>(
        mem: &mut M,
        alloc: &mut PageAlloc,
        qs: u8,
        width: Width,
    ) -> Result<Self, MemError> {
        let qs = qs.min(7);
        let base = alloc.pages(mem, 1 << qs)?;
        let status = alloc.page(mem)?;
        Ok(InvalidationQueue {
            base,
            qs,
            width,
            status,
            poll_cycles: 100,
            max_polls: 1 << 40,
            tail: 0,
            sequence: 0,
        })
    }

    /// Descriptors the ring holds.
    pub fn entries(&self) -> u64 {
        (1 << self.qs) * 4096 / self.width.bytes()
    }

    /// The tail software will write next, as a descriptor index.
    pub fn tail(&self) -> u64 {
        self.tail
    }

    /// IQT = 0, IQA, then GCMD.QIE: Linux's `__dmar_enable_qi` order.
    pub fn enable<M: GuestMemory + ?Sized>(&mut self, unit: &mut Unit, mem: &mut M) {
        self.tail = 0;
        let dw = u64::from(self.width == Width::Bits256) << 11;
        write(unit, mem, o::IQT, 0);
        write(unit, mem, o::IQA, self.base | dw | u64::from(self.qs));
        super::command(unit, mem, gcmd::QIE, true);
    }

    /// Write raw qwords at the tail (not yet visible to the unit).
    pub fn push_raw<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        raw: [u64; 4],
    ) -> Result<(), MemError> {
        let at = self.base + self.tail * self.width.bytes();
        let n = (self.width.bytes() / 8) as usize;
        for (i, q) in raw.iter().take(n).enumerate() {
            mem.write_u64(at + 8 * i as u64, *q)?;
        }
        self.tail = (self.tail + 1) % self.entries();
        Ok(())
    }

    /// Write `d` at the tail.
    pub fn push<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        d: &Descriptor,
    ) -> Result<(), MemError> {
        let [q0, q1] = encode(d);
        self.push_raw(mem, [q0, q1, 0, 0])
    }

    /// Move IQT to the tail: the unit sees what was pushed.
    pub fn submit<M: GuestMemory + ?Sized>(&self, unit: &mut Unit, mem: &mut M) {
        write(unit, mem, o::IQT, self.tail * self.width.bytes());
    }

    /// Submit `descriptors` followed by a wait descriptor with a status write, and poll
    /// the status until the wait completes (advancing the unit's clock between polls,
    /// which is what lets a timed unit make progress). Returns the polls it took.
    pub fn sync<M: GuestMemory + ?Sized>(
        &mut self,
        unit: &mut Unit,
        mem: &mut M,
        descriptors: &[Descriptor],
    ) -> Result<u64, SyncError> {
        let head = unit.mmio_read(o::IQH, 8).unwrap_or(0) / self.width.bytes();
        let used = (self.tail + self.entries() - head) % self.entries();
        if used + descriptors.len() as u64 + 2 > self.entries() {
            return Err(SyncError::Full);
        }
        self.sequence = self.sequence.wrapping_add(1).max(1);
        mem.write_u32(self.status, 0)?;
        for d in descriptors {
            self.push(mem, d)?;
        }
        self.push(
            mem,
            &Descriptor::Wait {
                interrupt: false,
                status: Some((self.status, self.sequence)),
                fence: false,
                page_drain: false,
            },
        )?;
        self.submit(unit, mem);
        let mut polls = 0;
        loop {
            let mut b = [0u8; 4];
            mem.read(self.status, &mut b)?;
            if u32::from_le_bytes(b) == self.sequence {
                return Ok(polls);
            }
            let f = unit.mmio_read(o::FSTS, 4).unwrap_or(0) as u32;
            let iqercd = unit.mmio_read(o::IQERCD, 8).unwrap_or(0);
            if f & fsts::IQE != 0 {
                let head = unit.mmio_read(o::IQH, 8).unwrap_or(0) / self.width.bytes();
                return Err(SyncError::QueueError {
                    iqei: (iqercd & 0xf) as u8,
                    head,
                });
            }
            if f & fsts::ITE != 0 {
                return Err(SyncError::TimedOut {
                    source_id: (iqercd >> 32) as u16,
                });
            }
            if polls >= self.max_polls {
                return Err(SyncError::Stuck { polls });
            }
            polls += 1;
            unit.advance(mem, self.poll_cycles);
        }
    }
}

fn write<M: GuestMemory + ?Sized>(unit: &mut Unit, mem: &mut M, offset: usize, v: u64) {
    unit.mmio_write(mem, offset, 8, v)
        .expect("the queue registers take 64-bit accesses");
}

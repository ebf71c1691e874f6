//! Guest physical memory, as the remapping hardware and the devices see it.
//!
//! The hardware reads its tables (root, context, PASID, paging structures, invalidation
//! queue, interrupt remapping table) and writes status and fault data through
//! [`GuestMemory`]. [`SparseMemory`] backs only the pages that were written, so a model
//! of a machine with gigabytes of RAM costs what the test touches.

use rustc_hash::FxHashMap;
use std::cell::Cell;

/// 4 KiB.
pub const PAGE_SIZE: u64 = 4096;

/// An access outside the memory the machine has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("guest physical address {addr:#x} (+{len}) is outside memory (limit {limit:#x})")]
pub struct MemError {
    /// First byte of the access.
    pub addr: u64,
    /// Bytes.
    pub len: usize,
    /// The first address past memory.
    pub limit: u64,
}

/// Guest physical memory.
pub trait GuestMemory {
    /// Read `buf.len()` bytes at `addr`.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError>;

    /// Write `data` at `addr`.
    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemError>;

    /// Read a little-endian u64 (the hardware's table reads).
    fn read_u64(&self, addr: u64) -> Result<u64, MemError> {
        let mut b = [0u8; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Write a little-endian u64.
    fn write_u64(&mut self, addr: u64, value: u64) -> Result<(), MemError> {
        self.write(addr, &value.to_le_bytes())
    }

    /// Write a little-endian u32.
    fn write_u32(&mut self, addr: u64, value: u32) -> Result<(), MemError> {
        self.write(addr, &value.to_le_bytes())
    }
}

/// Pages per chunk of the page index (2 MiB of memory).
const CHUNK_PAGES: usize = 512;

/// Memory backed page by page on first write; unwritten pages read as zero.
///
/// Pages are found through a two-level index: 2 MiB chunks by hash, then a direct
/// array of 512 page slots. The last chunk looked up is remembered, so a table walk,
/// whose tables usually sit in one chunk, costs no hashing.
#[derive(Debug, Clone)]
pub struct SparseMemory {
    limit: u64,
    chunks: FxHashMap<u64, u32>,
    slots: Vec<[u32; CHUNK_PAGES]>,
    pages: Vec<Box<[u8; PAGE_SIZE as usize]>>,
    /// The chunk number and index of the last chunk looked up.
    last: Cell<(u64, u32)>,
    /// Every read of hardware-visible memory, for the statistics.
    reads: Cell<u64>,
}

const NO_SLOT: u32 = u32::MAX;

impl SparseMemory {
    /// Memory of `limit` bytes (accesses at or above it fail).
    pub fn new(limit: u64) -> Self {
        SparseMemory {
            limit,
            chunks: FxHashMap::default(),
            slots: Vec::new(),
            pages: Vec::new(),
            last: Cell::new((u64::MAX, NO_SLOT)),
            reads: Cell::new(0),
        }
    }

    /// The first address past memory.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// How many pages are backed.
    pub fn backed_pages(&self) -> usize {
        self.pages.len()
    }

    /// How many reads went through [`GuestMemory::read`].
    pub fn reads(&self) -> u64 {
        self.reads.get()
    }

    fn check(&self, addr: u64, len: usize) -> Result<(), MemError> {
        let err = MemError {
            addr,
            len,
            limit: self.limit,
        };
        let end = addr.checked_add(len as u64).ok_or(err)?;
        if end > self.limit {
            return Err(err);
        }
        Ok(())
    }

    #[inline]
    fn chunk(&self, frame: u64) -> Option<u32> {
        let number = frame / CHUNK_PAGES as u64;
        let (n, c) = self.last.get();
        if n == number {
            return (c != NO_SLOT).then_some(c);
        }
        let c = self.chunks.get(&number).copied();
        self.last.set((number, c.unwrap_or(NO_SLOT)));
        c
    }

    #[inline]
    fn slot(&self, frame: u64) -> Option<u32> {
        let c = self.chunk(frame)?;
        let s = self.slots[c as usize][(frame % CHUNK_PAGES as u64) as usize];
        (s != NO_SLOT).then_some(s)
    }

    fn slot_mut(&mut self, frame: u64) -> u32 {
        if let Some(s) = self.slot(frame) {
            return s;
        }
        let chunk = match self.chunk(frame) {
            Some(c) => c,
            None => {
                let c = self.slots.len() as u32;
                self.slots.push([NO_SLOT; CHUNK_PAGES]);
                self.chunks.insert(frame / CHUNK_PAGES as u64, c);
                self.last.set((frame / CHUNK_PAGES as u64, c));
                c
            }
        };
        let s = u32::try_from(self.pages.len()).unwrap_or(NO_SLOT - 1);
        self.pages.push(Box::new([0; PAGE_SIZE as usize]));
        self.slots[chunk as usize][(frame % CHUNK_PAGES as u64) as usize] = s;
        s
    }
}

impl GuestMemory for SparseMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        self.check(addr, buf.len())?;
        self.reads.set(self.reads.get() + 1);
        let off = (addr % PAGE_SIZE) as usize;
        if off + buf.len() <= PAGE_SIZE as usize {
            // Within one page (descriptors, IRTEs, table entries): one copy.
            match self.slot(addr / PAGE_SIZE) {
                Some(s) => buf.copy_from_slice(&self.pages[s as usize][off..off + buf.len()]),
                None => buf.fill(0),
            }
            return Ok(());
        }
        let mut done = 0;
        while done < buf.len() {
            let a = addr + done as u64;
            let off = (a % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(buf.len() - done);
            let dst = &mut buf[done..done + n];
            match self.slot(a / PAGE_SIZE) {
                Some(s) => dst.copy_from_slice(&self.pages[s as usize][off..off + n]),
                None => dst.fill(0),
            }
            done += n;
        }
        Ok(())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemError> {
        self.check(addr, data.len())?;
        let off = (addr % PAGE_SIZE) as usize;
        if off + data.len() <= PAGE_SIZE as usize {
            let s = self.slot_mut(addr / PAGE_SIZE);
            self.pages[s as usize][off..off + data.len()].copy_from_slice(data);
            return Ok(());
        }
        let mut done = 0;
        while done < data.len() {
            let a = addr + done as u64;
            let off = (a % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(data.len() - done);
            let s = self.slot_mut(a / PAGE_SIZE);
            self.pages[s as usize][off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        Ok(())
    }

    fn read_u64(&self, addr: u64) -> Result<u64, MemError> {
        // The hot path of every table walk: one aligned read within a page.
        if addr % 8 == 0 && addr < self.limit.saturating_sub(7) {
            self.reads.set(self.reads.get() + 1);
            let off = (addr % PAGE_SIZE) as usize;
            return Ok(match self.slot(addr / PAGE_SIZE) {
                Some(s) => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&self.pages[s as usize][off..off + 8]);
                    u64::from_le_bytes(b)
                }
                None => 0,
            });
        }
        let mut b = [0u8; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritten_memory_reads_zero_and_writes_cross_pages() {
        let mut m = SparseMemory::new(1 << 20);
        assert_eq!(m.read_u64(0x1000).unwrap(), 0);
        m.write(0xffc, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let mut b = [0; 8];
        m.read(0xffc, &mut b).unwrap();
        assert_eq!(b, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(m.read_u64(0xffc).unwrap(), u64::from_le_bytes(b));
        assert_eq!(m.backed_pages(), 2);
    }

    #[test]
    fn accesses_past_the_limit_fail() {
        let mut m = SparseMemory::new(0x2000);
        assert!(m.read_u64(0x1ff8).is_ok());
        assert!(m.read_u64(0x1ffc).is_err());
        assert!(m.write(u64::MAX - 2, &[0; 8]).is_err());
    }
}

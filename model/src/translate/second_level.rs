//! The second-level walk (legacy mode, scalable mode with PGTT=010, and the second
//! stage of nested translation), through the IOTLB and paging-structure caches.

use super::{fail, SlCodes, Step, Walker};
use crate::cache::iotlb::{page_shift, IotlbEntry, IotlbKey};
use crate::cache::paging::{PscEntry, PscKey};
use crate::fault::FaultReason;
use crate::memory::GuestMemory;
use crate::request::{Access, Perm, Via};
use crate::tables::{above, sl, ADDR_MASK};

/// What a second-level walk needs to know.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlWalk {
    /// Domain (cache tag).
    pub did: u16,
    /// PASID (cache tag).
    pub pasid: u32,
    /// Top-level table.
    pub table: u64,
    /// Levels (3–5).
    pub levels: u32,
    /// Fault processing disabled.
    pub fpd: bool,
    /// Fault codes.
    pub codes: SlCodes,
    /// Second-level execute enable (X bits honoured).
    pub slee: bool,
    /// Use and fill the IOTLB and paging-structure caches.
    pub cache: bool,
    /// The IOTLB was already probed for this request and missed.
    pub probed: bool,
}

/// The result of a walk: the leaf's page and rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Leaf {
    /// Output address of the page.
    pub out: u64,
    /// 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB.
    pub level: u8,
    /// Rights along the walk.
    pub perm: Perm,
    /// The leaf's SNP bit.
    pub snoop: bool,
    /// How it was found.
    pub via: Via,
}

impl Leaf {
    /// The output address for `addr`.
    pub fn address(&self, addr: u64) -> u64 {
        self.out | (addr & (self.size() - 1))
    }

    /// Bytes the leaf maps.
    pub fn size(&self) -> u64 {
        1 << page_shift(self.level)
    }
}

/// Whether `perm` allows `access`; the fault to report if not.
fn permitted(perm: Perm, access: Access, slee: bool, codes: &SlCodes) -> Option<FaultReason> {
    if access.contains(Access::WRITE) && !perm.write {
        return Some(codes.write_perm);
    }
    if access.contains(Access::READ) && !perm.read {
        return Some(codes.read_perm);
    }
    if slee && access.contains(Access::EXEC) && !perm.exec {
        return Some(codes.read_perm);
    }
    None
}

impl<M: GuestMemory + ?Sized> Walker<'_, M> {
    /// The large-page levels this unit supports (2 = 2 MiB, 3 = 1 GiB).
    #[inline]
    fn large_ok(&self, level: u32) -> bool {
        self.hw
            .sl_large
            .get(level as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Walk (or look up) `addr`. `check` = enforce `access` (false for ATS
    /// translation requests, which return the rights instead).
    pub(crate) fn sl_walk(
        &mut self,
        w: &SlWalk,
        addr: u64,
        access: Access,
        check: bool,
    ) -> Step<Leaf> {
        let use_cache = w.cache && self.caches.as_ref().is_some_and(|c| c.iotlb.enabled());
        if use_cache && !w.probed {
            if let Some(hit) = self.iotlb_lookup(w, addr) {
                self.stats.iotlb.count(true);
                return match hit {
                    Ok(leaf) => match permitted(leaf.perm, access, w.slee, &w.codes) {
                        Some(reason) if check => fail(reason, w.fpd),
                        _ => Ok(leaf),
                    },
                    Err(reason) => fail(reason, w.fpd),
                };
            }
        }
        if use_cache {
            self.stats.iotlb.count(false);
        }
        self.stats.walks += 1;
        let result = self.sl_walk_memory(w, addr, access, check, use_cache);
        if let (Err(f), true, true) = (&result, use_cache, self.hw.negative) {
            // Caching mode: remember the failed translation of this page.
            if f.reason == w.codes.read_perm || f.reason == w.codes.write_perm {
                if let Some(c) = self.caches.as_deref_mut() {
                    c.iotlb.insert(
                        IotlbKey::new(w.did, w.pasid, 1, addr),
                        IotlbEntry::Fault(f.reason),
                    );
                }
            }
        }
        result
    }

    fn iotlb_lookup(&mut self, w: &SlWalk, addr: u64) -> Option<Result<Leaf, FaultReason>> {
        let large = [self.large_ok(2), self.large_ok(3)];
        let (level, e) = self
            .caches
            .as_deref_mut()?
            .iotlb_lookup(w.did, w.pasid, addr, large)?;
        Some(match e {
            IotlbEntry::Map {
                out, perm, snoop, ..
            } => Ok(Leaf {
                out,
                level,
                perm,
                snoop,
                via: Via::Iotlb,
            }),
            IotlbEntry::Fault(r) => Err(r),
        })
    }

    /// The deepest cached non-leaf entry on `addr`'s path: (level of the next table,
    /// its address, rights so far).
    fn psc_start(&mut self, w: &SlWalk, addr: u64) -> Option<(u32, u64, Perm)> {
        let stats = &mut self.stats.paging;
        let (level, e) = self.caches.as_deref_mut()?.psc_deepest(
            w.did,
            w.pasid,
            addr,
            w.levels,
            false,
            |l, hit| stats[l as usize - 2].count(hit),
        )?;
        Some((level - 1, e.next, e.perm))
    }

    fn sl_walk_memory(
        &mut self,
        w: &SlWalk,
        addr: u64,
        access: Access,
        check: bool,
        use_cache: bool,
    ) -> Step<Leaf> {
        let haw = self.hw.haw;
        let (mut level, mut table, mut perm) =
            match use_cache.then(|| self.psc_start(w, addr)).flatten() {
                Some(start) => start,
                None => (w.levels, w.table, Perm::ALL),
            };
        let mut reads = 0;
        loop {
            let index = (addr >> (12 + 9 * (level - 1))) & 0x1ff;
            let err = if level == w.levels {
                w.codes.top_read
            } else {
                w.codes.read
            };
            let entry = self.read(table + index * 8, err, w.fpd)?;
            reads += 1;
            let here = Perm {
                read: entry & sl::R != 0,
                write: entry & sl::W != 0,
                exec: !w.slee || entry & sl::X != 0,
            };
            perm = perm.and(here);
            // Not present (R = W = 0) or lacking the right: a permission fault at the
            // level where it shows, as QEMU and the spec's LGN.2/LGN.3 report it. A
            // translation request gets a completion with R = W = 0 instead and no fault
            // is recorded (§4.2.3); nothing is cached for it.
            if entry & (sl::R | sl::W) == 0 && !check {
                let size = 1u64 << (12 + 9 * (level - 1));
                return Ok(Leaf {
                    out: addr & !(size - 1),
                    level: level as u8,
                    perm: Perm {
                        read: false,
                        write: false,
                        exec: false,
                    },
                    snoop: false,
                    via: Via::Walk { reads },
                });
            }
            if entry & (sl::R | sl::W) == 0 {
                return fail(
                    if access.contains(Access::WRITE) {
                        w.codes.write_perm
                    } else {
                        w.codes.read_perm
                    },
                    w.fpd,
                );
            }
            if check {
                if let Some(reason) = permitted(perm, access, w.slee, &w.codes) {
                    return fail(reason, w.fpd);
                }
            }
            let large = (level == 2 || level == 3) && entry & sl::PS != 0;
            let rsvd = self.hw.sl_rsvd[level as usize][usize::from(large)];
            if entry & rsvd != 0 || (large && !self.large_ok(level)) {
                return fail(w.codes.reserved, w.fpd);
            }
            let next = entry & ADDR_MASK & !above(haw);
            if level == 1 || large {
                let size = 1u64 << (12 + 9 * (level - 1));
                let out = next & !(size - 1);
                if super::in_interrupt_range(out, size) {
                    return fail(w.codes.interrupt, w.fpd);
                }
                let leaf = Leaf {
                    out,
                    level: level as u8,
                    perm,
                    snoop: entry & sl::SNP != 0,
                    via: Via::Walk { reads },
                };
                if use_cache {
                    if let Some(c) = self.caches.as_deref_mut() {
                        c.iotlb.insert(
                            IotlbKey::new(w.did, w.pasid, level as u8, addr),
                            IotlbEntry::Map {
                                out,
                                perm,
                                snoop: leaf.snoop,
                                user: true,
                                first_stage: false,
                            },
                        );
                    }
                }
                return Ok(leaf);
            }
            if use_cache {
                if let Some(psc) = self.caches.as_deref_mut().and_then(|c| c.psc(level)) {
                    psc.insert(
                        PscKey::new(w.did, w.pasid, level as u8, addr, false),
                        PscEntry {
                            next,
                            perm,
                            user: true,
                        },
                    );
                }
            }
            table = next;
            level -= 1;
        }
    }
}

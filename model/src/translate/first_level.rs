//! The first-level (IA-32e format) walk, alone (PGTT=001) or as the first stage of
//! nested translation (PGTT=011), where every table address and the final output are
//! guest-physical and go through the second-level tables.

use super::second_level::Leaf;
use super::{fail, Failure, SlWalk, Step, Walker};
use crate::cache::iotlb::{IotlbEntry, IotlbKey};
use crate::cache::paging::{PscEntry, PscKey};
use crate::fault::FaultReason as R;
use crate::memory::GuestMemory;
use crate::request::{Access, Perm, Via};
use crate::tables::{above, fl, ADDR_MASK};

/// What a first-level walk needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlWalk {
    pub did: u16,
    pub pasid: u32,
    /// Top-level table (guest-physical when nested).
    pub table: u64,
    /// 4 or 5.
    pub levels: u32,
    pub fpd: bool,
    pub nxe: bool,
    pub wpe: bool,
    pub smep: bool,
    /// The second stage, for nested translation.
    pub stage2: Option<SlWalk>,
}

/// The first-level access check (spec §3.6.2): user requests need U/S on every level;
/// writes need R/W unless a supervisor request without WPE; executes need XD clear
/// (with NXE) and, for supervisor requests with SMEP, a supervisor page.
fn permitted(perm: Perm, user_page: bool, access: Access, f: &FlWalk) -> Option<R> {
    let supervisor = access.contains(Access::PRIV);
    if !supervisor && !user_page {
        return Some(R::SM_USER_SUPERVISOR);
    }
    if access.contains(Access::WRITE) && !perm.write && (!supervisor || f.wpe) {
        return Some(R::SM_WRITE);
    }
    if access.contains(Access::EXEC) && (!perm.exec || (supervisor && f.smep && user_page)) {
        return Some(R::SM_NO_EXECUTE);
    }
    None
}

impl<M: GuestMemory + ?Sized> Walker<'_, M> {
    /// Guest-physical → host-physical for a nested table access or output.
    fn stage2(&mut self, s2: &SlWalk, gpa: u64, access: Access, top: bool) -> Step<Leaf> {
        let width = (12 + 9 * s2.levels).min(self.hw.mgaw);
        if width < 64 && gpa >> width != 0 {
            return fail(R::SM_NESTED_FL_BEYOND, s2.fpd);
        }
        self.sl_walk(s2, gpa, access, true).map_err(|f| {
            // A permission failure fetching a first-level entry has its own codes.
            let perm = f.reason == s2.codes.read_perm || f.reason == s2.codes.write_perm;
            let table_fetch = access == Access::READ;
            Failure {
                reason: match (perm && table_fetch, top) {
                    (true, true) => R::SM_NESTED_FL_ROOT_READ,
                    (true, false) => R::SM_NESTED_FL_READ,
                    _ => f.reason,
                },
                fpd: f.fpd,
            }
        })
    }

    pub(crate) fn fl_walk(
        &mut self,
        f: &FlWalk,
        addr: u64,
        access: Access,
        check: bool,
    ) -> Step<Leaf> {
        // Canonical: the bits above the translated width copy its top bit.
        let top_bit = 12 + 9 * f.levels - 1;
        let high = addr >> top_bit;
        if high != 0 && high != u64::MAX >> top_bit {
            return fail(R::SM_NON_CANONICAL, f.fpd);
        }
        let use_cache = self.caches.is_some();
        if use_cache {
            if let Some(hit) = self.fl_iotlb(f, addr) {
                self.stats.iotlb.count(true);
                return match hit {
                    Ok((leaf, user)) => match permitted(leaf.perm, user, access, f) {
                        Some(r) if check => fail(r, f.fpd),
                        _ => Ok(leaf),
                    },
                    Err(r) => fail(r, f.fpd),
                };
            }
            self.stats.iotlb.count(false);
        }
        self.stats.walks += 1;
        self.fl_walk_memory(f, addr, access, check, use_cache)
    }

    fn fl_iotlb(&mut self, f: &FlWalk, addr: u64) -> Option<Result<(Leaf, bool), R>> {
        let large = [true, self.hw.cap.fl1gp()];
        let (level, e) = self
            .caches
            .as_deref_mut()?
            .iotlb_lookup(f.did, f.pasid, addr, large)?;
        Some(match e {
            IotlbEntry::Map {
                out,
                perm,
                snoop,
                user,
                ..
            } => Ok((
                Leaf {
                    out,
                    level,
                    perm,
                    snoop,
                    via: Via::Iotlb,
                },
                user,
            )),
            IotlbEntry::Fault(r) => Err(r),
        })
    }

    fn fl_walk_memory(
        &mut self,
        f: &FlWalk,
        addr: u64,
        access: Access,
        check: bool,
        use_cache: bool,
    ) -> Step<Leaf> {
        let haw = self.hw.haw;
        let nested = f.stage2;
        // Paging-structure caches hold host addresses of tables: only without nesting.
        let psc = use_cache && nested.is_none();
        let mut level = f.levels;
        let mut table = f.table;
        let mut perm = Perm::ALL;
        let mut user = true;
        if psc {
            let stats = &mut self.stats.paging;
            let start = self.caches.as_deref_mut().and_then(|c| {
                c.psc_deepest(f.did, f.pasid, addr, f.levels, true, |l, hit| {
                    stats[l as usize - 2].count(hit)
                })
            });
            if let Some((l, e)) = start {
                (level, table, perm, user) = (l - 1, e.next, e.perm, e.user);
            }
        }
        let mut reads = 0;
        loop {
            let top = level == f.levels;
            let index = (addr >> (12 + 9 * (level - 1))) & 0x1ff;
            let mut at = table + index * 8;
            if let Some(s2) = &nested {
                at = self.stage2(s2, at, Access::READ, top)?.address(at);
            }
            let err = if top {
                R::SM_FL_ROOT_ACCESS
            } else {
                R::SM_FL_ACCESS
            };
            let entry = self.read(at, err, f.fpd)?;
            reads += 1;
            if entry & fl::P == 0 {
                return fail(R::SM_FL_NOT_PRESENT, f.fpd);
            }
            let large = (level == 2 || level == 3) && entry & fl::PS != 0;
            if entry & fl::reserved(level, large, haw, f.nxe) != 0
                || (large && level == 3 && !self.hw.cap.fl1gp())
            {
                return fail(R::SM_FL_RESERVED, f.fpd);
            }
            perm = perm.and(Perm {
                read: true,
                write: entry & fl::RW != 0,
                exec: !(f.nxe && entry & fl::XD != 0),
            });
            user &= entry & fl::US != 0;
            if check {
                if let Some(r) = permitted(perm, user, access, f).filter(|_| level == 1 || large) {
                    return fail(r, f.fpd);
                }
            }
            let next = entry & ADDR_MASK & !above(haw);
            if level == 1 || large {
                let size = 1u64 << (12 + 9 * (level - 1));
                let mut out = next & !(size - 1);
                let mut leaf_level = level as u8;
                if let Some(s2) = &nested {
                    // The output is guest-physical: translate it with the request's access.
                    let gpa = out | (addr & (size - 1));
                    let l2 =
                        self.stage2(s2, gpa, access & (Access::READ | Access::WRITE), false)?;
                    perm = perm.and(l2.perm);
                    if l2.size() < size {
                        leaf_level = l2.level;
                    }
                    out = l2.address(gpa) & !((1u64 << (12 + 9 * (u32::from(leaf_level) - 1))) - 1);
                }
                let bytes = 1u64 << (12 + 9 * (u32::from(leaf_level) - 1));
                if super::in_interrupt_range(out, bytes) {
                    return fail(R::SM_INTERRUPT_ADDRESS, f.fpd);
                }
                let leaf = Leaf {
                    out,
                    level: leaf_level,
                    perm,
                    snoop: false,
                    via: Via::Walk { reads },
                };
                if use_cache {
                    if let Some(c) = self.caches.as_deref_mut() {
                        c.iotlb.insert(
                            IotlbKey::new(f.did, f.pasid, leaf_level, addr),
                            IotlbEntry::Map {
                                out,
                                perm,
                                snoop: false,
                                user,
                                first_stage: true,
                            },
                        );
                    }
                }
                return Ok(leaf);
            }
            if psc {
                if let Some(c) = self.caches.as_deref_mut().and_then(|c| c.psc(level)) {
                    c.insert(
                        PscKey::new(f.did, f.pasid, level as u8, addr, true),
                        PscEntry { next, perm, user },
                    );
                }
            }
            table = next;
            level -= 1;
        }
    }
}

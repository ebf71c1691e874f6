//! The remapping path: request format, index, interrupt entry cache or table read, and
//! the checks in the order QEMU and VirtualBox apply them (docs/sources/qi-ir.md §B.4):
//! reserved request fields (0x20), compatibility format (0x25), index beyond the table
//! (0x21), table read (0x23), present (0x22), reserved IRTE fields (0x24), source-id
//! (0x26), then posting (0x27, 0x28). Faults found once the IRTE was read are
//! suppressed by its FPD.

use super::message::{self, Format};
use super::posted;
use super::{Delivery, Interrupt, InterruptFault, InterruptRequest, IrVia, Irte, Posted};
use crate::cache::iec::{CachedIrte, IecKey};
use crate::checker::StaleInterrupt;
use crate::event::Event;
use crate::fault::record;
use crate::fault::FaultReason as R;
use crate::memory::GuestMemory;
use crate::regs::gcmd;
use crate::unit::Unit;

/// What an IRTE says to do with a request, before anything is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Deliver(Interrupt),
    Post { pid: u64, vector: u8, urgent: bool },
}

impl Unit {
    /// Remap one interrupt request: the MSI write `req.data` to `req.addr` from
    /// `req.source_id`. Posting writes the posted-interrupt descriptor in `mem`; a
    /// posted-interrupt notification and a fault event are left in the unit's events.
    pub fn remap_interrupt<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        req: &InterruptRequest,
    ) -> Result<Delivery, InterruptFault> {
        self.stats.interrupts += 1;
        let gsts = self.gsts();
        if gsts & gcmd::IRE == 0 {
            return Ok(Delivery::Interrupt(compatibility(req, IrVia::Disabled)));
        }
        match message::format(req) {
            None => Err(self.interrupt_fault(req, R::IR_REQUEST_RESERVED, None, false)),
            Some(Format::Compatibility) => {
                // CFI takes effect only in xAPIC mode: with EIME every
                // compatibility-format request is blocked.
                if self.irt.x2apic || gsts & gcmd::CFI == 0 {
                    Err(self.interrupt_fault(req, R::IR_COMPATIBILITY_BLOCKED, None, false))
                } else {
                    Ok(Delivery::Interrupt(compatibility(
                        req,
                        IrVia::Compatibility,
                    )))
                }
            }
            Some(Format::Remappable { index }) => self.remap_index(mem, req, index),
        }
    }

    /// What an I/O APIC's redirection-table entry `rte` becomes; `source_id` is the
    /// I/O APIC's id from its DMAR device scope.
    pub fn remap_ioapic<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        source_id: u16,
        rte: u64,
    ) -> Result<Delivery, InterruptFault> {
        self.remap_interrupt(mem, &message::from_ioapic_rte(source_id, rte))
    }

    fn read_irte<M: GuestMemory + ?Sized>(&self, mem: &M, index: u16) -> Option<Irte> {
        let at = self.irt.base + 16 * u64::from(index);
        let mut b = [0u8; 16];
        mem.read(at, &mut b).ok()?;
        let (lo, hi) = b.split_at(8);
        Some(Irte {
            lo: u64::from_le_bytes(lo.try_into().ok()?),
            hi: u64::from_le_bytes(hi.try_into().ok()?),
        })
    }

    fn decide(&self, e: Irte, req: &InterruptRequest, index: u16) -> Result<Decision, (R, bool)> {
        if !e.present() {
            return Err((R::IR_NOT_PRESENT, e.fpd()));
        }
        let x2apic = self.irt.x2apic;
        if e.invalid(x2apic, self.cap) {
            return Err((R::IR_IRTE_RESERVED, e.fpd()));
        }
        if !e.source_check().allows(req.source_id) {
            return Err((R::IR_SOURCE_ID, e.fpd()));
        }
        if e.posted() {
            return Ok(Decision::Post {
                pid: e.pid_address(),
                vector: e.vector(),
                urgent: e.urgent(),
            });
        }
        Ok(Decision::Deliver(Interrupt {
            vector: e.vector(),
            destination: e.destination(x2apic),
            x2apic,
            logical: e.logical(),
            delivery: e.delivery(),
            level: e.level(),
            redirection_hint: e.redirection_hint(),
            via: IrVia::Remapped {
                index,
                cached: false,
            },
        }))
    }

    fn remap_index<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        req: &InterruptRequest,
        index: u16,
    ) -> Result<Delivery, InterruptFault> {
        if u32::from(index) >= self.irt.entries {
            return Err(self.interrupt_fault(req, R::IR_INDEX_OVERFLOW, Some(index), false));
        }
        let cached = self.caches.iec.get(&IecKey(index)).copied();
        self.stats.iec.count(cached.is_some());
        let entry = match cached {
            Some(c) => Irte { lo: c.lo, hi: c.hi },
            None => match self.read_irte(mem, index) {
                Some(e) => e,
                None => {
                    return Err(self.interrupt_fault(req, R::IR_TABLE_ACCESS, Some(index), false))
                }
            },
        };
        let decision = self.decide(entry, req, index);
        if cached.is_some() {
            if self.config.checker {
                // The entry came from the cache: does memory still say the same?
                let fresh = self.read_irte(mem, index);
                let now = fresh.map(|f| self.decide(f, req, index).map_err(|(r, _)| r));
                if now != Some(decision.map_err(|(r, _)| r)) {
                    self.stats.stale_interrupts += 1;
                    self.stale_interrupts.push(StaleInterrupt {
                        request: *req,
                        index,
                        served: entry,
                        memory: fresh,
                    });
                }
            }
        } else if decision.is_ok() {
            self.caches.iec.insert(
                IecKey(index),
                CachedIrte {
                    lo: entry.lo,
                    hi: entry.hi,
                },
            );
        }
        let cached = cached.is_some();
        match decision {
            Err((reason, fpd)) => Err(self.interrupt_fault(req, reason, Some(index), fpd)),
            Ok(Decision::Deliver(mut i)) => {
                i.via = IrVia::Remapped { index, cached };
                Ok(Delivery::Interrupt(i))
            }
            Ok(Decision::Post {
                pid,
                vector,
                urgent,
            }) => {
                let x2apic = self.irt.x2apic;
                match posted::post(mem, pid, vector, urgent, x2apic, self.hw.haw) {
                    Err(reason) => Err(self.interrupt_fault(req, reason, Some(index), entry.fpd())),
                    Ok(p) => {
                        self.stats.interrupts_posted += 1;
                        if let Some((vector, destination)) = p.notify {
                            self.stats.posted_notifications += 1;
                            self.events.push(Event::PostedNotification {
                                vector,
                                destination,
                            });
                        }
                        Ok(Delivery::Posted(Posted {
                            index,
                            pid,
                            vector,
                            urgent,
                            notification: p.notify,
                            cached,
                        }))
                    }
                }
            }
        }
    }

    fn interrupt_fault(
        &mut self,
        req: &InterruptRequest,
        reason: R,
        index: Option<u16>,
        fpd: bool,
    ) -> InterruptFault {
        let encoded = record::encode_interrupt(reason, req.source_id, index.unwrap_or(0));
        let recorded = self.record_fault(reason, fpd, encoded);
        InterruptFault {
            reason,
            request: *req,
            index,
            recorded,
        }
    }
}

/// A message delivered as it is (remapping off, or a compatibility-format message
/// passed through).
fn compatibility(req: &InterruptRequest, via: IrVia) -> Interrupt {
    let c = message::compatibility(req);
    Interrupt {
        vector: c.vector,
        destination: u32::from(c.destination),
        x2apic: false,
        logical: c.logical,
        delivery: c.delivery,
        level: c.level,
        redirection_hint: c.redirection_hint,
        via,
    }
}

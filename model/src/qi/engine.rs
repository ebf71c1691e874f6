//! The invalidation queue engine: fetch at IQH, verify, execute, move IQH, until the
//! tail, an error, or a fence.
//!
//! Rules (docs/sources/qi-ir.md §A.1–A.5):
//! - IQH moves past a descriptor only once it was fetched and verified; an invalid one
//!   (IQEI 2–7) or a bad tail (IQEI 1, 6) sets FSTS.IQE and leaves IQH on it. Nothing
//!   more is fetched until software clears IQE; then fetching resumes at IQH (in
//!   [`QiMode::Qemu`], at the next IQT write).
//! - A wait descriptor completes when everything before it has: at once, unless a
//!   device-TLB invalidation is outstanding; then it is pending, and with FN set no
//!   further descriptor is fetched until it completes. Completing writes the status
//!   (SW) and then raises the invalidation-completion event (IF).
//! - A device-TLB invalidation to a device that never answers times out: FSTS.ITE with
//!   the device in IQERCD.ITESID, every pending wait is aborted (no status write), and
//!   nothing more is fetched until software clears ITE.

use super::descriptor::{
    self, ContextScope, Descriptor, DeviceTlbTarget, IotlbGranularity, Iqei, PasidCacheScope,
    Rules, Width,
};
use super::{PendingWait, QiMode, Queue};
use crate::cache::iotlb::NO_PASID;
use crate::cache::{IotlbScope, Removed, Stages};
use crate::event::Event;
use crate::fault::record;
use crate::memory::GuestMemory;
use crate::regs::{ectl, fsts, gcmd, offset as o};
use crate::tables::above;
use crate::timing::TimingModel;
use crate::unit::Unit;

/// What the engine does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// The oldest pending wait completes.
    Complete,
    /// Fetch and execute the descriptor at IQH.
    Fetch,
    /// The outstanding device-TLB invalidation times out.
    TimeOut,
}

impl Unit {
    fn qi_costs(&self) -> TimingModel {
        match self.config.qi {
            QiMode::Timed => self.config.timing,
            QiMode::Immediate | QiMode::Qemu => TimingModel::instant(),
        }
    }

    fn queue_offset(&self, index: u64) -> u64 {
        index * self.queue.width.bytes()
    }

    /// The tail as a descriptor index, or why it is invalid.
    fn queue_tail(&self) -> Result<u64, Iqei> {
        let t = self.regs.get(o::IQT) & 0x7_fff0;
        if self.queue.width == Width::Bits256 && t & 0x10 != 0 {
            return Err(Iqei::TailMisaligned);
        }
        let index = t / self.queue.width.bytes();
        if index >= self.queue.entries {
            return Err(Iqei::InvalidTail);
        }
        Ok(index)
    }

    fn queue_head(&self) -> u64 {
        self.regs.get(o::IQH) / self.queue.width.bytes()
    }

    fn queue_stopped(&self) -> bool {
        self.regs.get(o::FSTS) as u32 & (fsts::IQE | fsts::ITE) != 0
    }

    /// GCMD.QIE set: latch IQA and start at IQH = 0. QEMU processes a non-empty queue at
    /// once ("spec violation but Windows does it"); so does the model.
    pub(crate) fn qi_enable<M: GuestMemory + ?Sized>(&mut self, mem: &mut M) {
        let iqa = self.regs.get(o::IQA);
        let width = if iqa & (1 << 11) != 0 {
            Width::Bits256
        } else {
            Width::Bits128
        };
        let shift = match width {
            Width::Bits128 => 8,
            Width::Bits256 => 7,
        };
        self.queue = Queue {
            base: iqa & !0xfff & !above(self.hw.haw),
            entries: 1 << ((iqa & 7) + shift),
            width,
            next_at: self.now,
            ..Queue::default()
        };
        self.regs.set(o::IQH, 0);
        self.qi_run(mem, self.qi_horizon());
    }

    /// GCMD.QIE cleared: allowed only with the queue empty (IQH = IQT), and in QEMU
    /// mode only after a wait descriptor (`vtd_queued_inv_disable_check`). Returns
    /// whether QI is now off.
    pub(crate) fn qi_disable(&mut self) -> bool {
        let idle = self.regs.get(o::IQH) == self.regs.get(o::IQT) & 0x7_fff0;
        let qemu_ok = self.config.qi != QiMode::Qemu || self.queue.last_was_wait;
        if !(idle && qemu_ok) {
            return false;
        }
        self.regs.set(o::IQH, 0);
        self.stats.waits_aborted += self.queue.pending.len() as u64;
        self.queue = Queue::default();
        true
    }

    /// An IQT write.
    pub(crate) fn qi_tail_written<M: GuestMemory + ?Sized>(&mut self, mem: &mut M) {
        if self.gsts() & gcmd::QIE == 0 {
            return;
        }
        if self.regs.get(o::FSTS) as u32 & fsts::IQE != 0 {
            return;
        }
        if let Err(e) = self.queue_tail() {
            self.queue_error(e);
            return;
        }
        self.queue.next_at = self.queue.next_at.max(self.now);
        self.qi_run(mem, self.qi_horizon());
    }

    /// Software cleared IQE or ITE: fetching resumes at IQH (not in QEMU mode, which
    /// waits for the next tail write).
    pub(crate) fn qi_resume<M: GuestMemory + ?Sized>(&mut self, mem: &mut M) {
        if self.config.qi == QiMode::Qemu || self.gsts() & gcmd::QIE == 0 {
            return;
        }
        self.queue.next_at = self.queue.next_at.max(self.now);
        self.qi_run(mem, self.qi_horizon());
    }

    /// How far processing may run now: to the end in the untimed modes, to the
    /// unit's clock when timed.
    pub(crate) fn qi_horizon(&self) -> u64 {
        match self.config.qi {
            QiMode::Timed => self.now,
            QiMode::Immediate | QiMode::Qemu => u64::MAX,
        }
    }

    fn can_fetch(&self) -> bool {
        self.gsts() & gcmd::QIE != 0
            && !self.queue_stopped()
            && !self.queue.fenced()
            && self.regs.get(o::IQH) != self.regs.get(o::IQT) & 0x7_fff0
    }

    /// Run the queue: every step due by `until` (a descriptor is due when its fetch
    /// from memory completes), in time order (at equal times a
    /// completion first, then a fetch, then the time-out, so that an untimed run
    /// fetches everything it can before a device is declared silent). Each step
    /// retires a descriptor, a wait or the time-out, and fetching stops at the tail,
    /// so this ends.
    pub(crate) fn qi_run<M: GuestMemory + ?Sized>(&mut self, mem: &mut M, until: u64) {
        let fetch_cost = self.qi_costs().memory_read;
        loop {
            // Nothing outstanding: the next step can only be a fetch.
            if self.queue.pending.is_empty() && self.queue.timeout.is_none() {
                if !self.can_fetch() || self.queue.next_at + fetch_cost > until {
                    break;
                }
                self.fetch_and_execute(mem);
                continue;
            }
            let complete = self.queue.pending.front().and_then(|w| w.at);
            // A descriptor takes effect once fetched from memory.
            let fetch = self.can_fetch().then(|| self.queue.next_at + fetch_cost);
            let timeout = self.queue.timeout.map(|(_, at)| at);
            let next = [
                (complete, Step::Complete),
                (fetch, Step::Fetch),
                (timeout, Step::TimeOut),
            ]
            .into_iter()
            .filter_map(|(t, s)| Some((t?, s)))
            .min();
            let Some((at, step)) = next else { break };
            if at > until {
                break;
            }
            match step {
                Step::Complete => {
                    if let Some(w) = self.queue.pending.pop_front() {
                        if w.fence {
                            // Fetching resumes when the fence lifts.
                            self.queue.next_at = self.queue.next_at.max(at);
                        }
                        if let Err(e) = self.complete_wait(mem, &w) {
                            self.queue_error(e);
                        }
                    }
                }
                Step::Fetch => self.fetch_and_execute(mem),
                Step::TimeOut => self.device_tlb_timeout(),
            }
        }
    }

    fn fetch_and_execute<M: GuestMemory + ?Sized>(&mut self, mem: &mut M) {
        if let Err(e) = self.queue_tail() {
            self.queue_error(e);
            return;
        }
        if self.hw.root.ttm == 2 {
            self.queue_error(Iqei::InvalidTtm);
            return;
        }
        if self.hw.root.scalable && self.queue.width == Width::Bits128 {
            // Scalable mode needs 256-bit descriptors. VirtualBox reports the wait
            // descriptor as an invalid type here and weighs IQEI 5 in a comment; the
            // model says what is wrong: the width.
            self.queue_error(Iqei::InvalidWidth);
            return;
        }
        let head = self.queue_head();
        let bytes = self.queue.width.bytes() as usize;
        let mut buf = [0u8; 32];
        let at = self.queue.base + self.queue_offset(head);
        if mem.read(at, &mut buf[..bytes]).is_err() {
            self.queue_error(Iqei::FetchError);
            return;
        }
        let mut raw = [0u64; 4];
        for (q, chunk) in raw.iter_mut().zip(buf.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *q = u64::from_le_bytes(b);
        }
        let rules = Rules {
            cap: self.cap,
            ecap: self.ecap,
            width: self.queue.width,
            qemu: self.config.qi == QiMode::Qemu,
        };
        let d = match descriptor::decode(raw, &rules) {
            Ok(d) => d,
            Err(e) => {
                self.queue_error(e);
                return;
            }
        };
        let costs = self.qi_costs();
        let fetched = self.queue.next_at + costs.memory_read;
        let finished = match self.execute(mem, &d, fetched, &costs) {
            Ok(t) => t,
            Err(e) => {
                self.queue_error(e);
                return;
            }
        };
        self.stats.descriptors += 1;
        self.queue.last_was_wait = matches!(d, Descriptor::Wait { .. });
        self.queue.next_at = finished;
        let next = (head + 1) % self.queue.entries;
        self.regs.set(o::IQH, self.queue_offset(next));
    }

    /// Carry out `d`, fetched at `t`; returns when the engine is free again.
    fn execute<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        d: &Descriptor,
        t: u64,
        costs: &TimingModel,
    ) -> Result<u64, Iqei> {
        let done = t + costs.invalidate;
        let removed = match *d {
            Descriptor::Context(scope) => match scope {
                ContextScope::Global => self.caches.invalidate_context(None, None),
                ContextScope::Domain(did) => self.caches.invalidate_context(Some(did), None),
                ContextScope::Device { did, source_id, fm } => self
                    .caches
                    .invalidate_context(Some(did), Some((source_id, fm))),
            },
            Descriptor::Iotlb {
                did, granularity, ..
            } => {
                // In legacy mode every entry carries the no-PASID tag; naming it lets
                // a page invalidation probe instead of scanning.
                let (stages, pasid) = if self.hw.root.scalable {
                    (Stages::SecondInRangeFirstAll, None)
                } else {
                    (Stages::All, Some(NO_PASID))
                };
                let scope = match granularity {
                    IotlbGranularity::Global => IotlbScope::default(),
                    IotlbGranularity::Domain => IotlbScope {
                        did: Some(did),
                        pasid,
                        stages,
                        ..IotlbScope::default()
                    },
                    // Without CAP.PSI the unit invalidates the whole domain instead,
                    // as the register interface reports through IAIG.
                    IotlbGranularity::Page { .. } if !self.cap.psi() => IotlbScope {
                        did: Some(did),
                        pasid,
                        stages,
                        ..IotlbScope::default()
                    },
                    IotlbGranularity::Page { addr, am, ih } => IotlbScope {
                        did: Some(did),
                        pasid,
                        range: Some((addr, u32::from(am))),
                        ih,
                        stages,
                    },
                };
                self.caches.invalidate_iotlb_scope(&scope)
            }
            Descriptor::DeviceTlb(target) => {
                return Ok(self.device_tlb(&target, None, false, t, costs));
            }
            Descriptor::PasidDeviceTlb {
                target,
                pasid,
                all_pasids,
            } => {
                return Ok(self.device_tlb(&target, Some(pasid), all_pasids, t, costs));
            }
            Descriptor::InterruptEntry { block } => self.caches.invalidate_iec(block),
            Descriptor::Wait {
                interrupt,
                status,
                fence,
                ..
            } => {
                self.stats.waits += 1;
                let w = PendingWait {
                    at: None,
                    interrupt,
                    status,
                    fence,
                };
                let blocked = self.queue.timeout.is_some();
                let ready = self.queue.device_tlb_until;
                let write = if status.is_some() {
                    costs.memory_write
                } else {
                    0
                };
                if !blocked && ready <= t && self.queue.pending.is_empty() {
                    self.complete_wait(mem, &w)?;
                    return Ok(t + write);
                }
                // Completes when the device-TLB invalidations before it have, after
                // the waits before it.
                self.queue.pending.push_back(PendingWait {
                    at: (!blocked).then_some(ready.max(t) + write),
                    ..w
                });
                return Ok(t);
            }
            Descriptor::PasidIotlb { did, pasid, range } => {
                let scope = match range {
                    None => IotlbScope {
                        did: Some(did),
                        pasid: Some(pasid),
                        ..IotlbScope::default()
                    },
                    Some((addr, am, ih)) => IotlbScope {
                        did: Some(did),
                        pasid: Some(pasid),
                        range: Some((addr, u32::from(am))),
                        ih,
                        stages: Stages::FirstOnly,
                    },
                };
                self.caches.invalidate_iotlb_scope(&scope)
            }
            Descriptor::PasidCache { did, scope } => match scope {
                PasidCacheScope::Domain => self.caches.invalidate_pasid(Some(did), None),
                PasidCacheScope::Pasid(p) => self.caches.invalidate_pasid(Some(did), Some(p)),
                PasidCacheScope::Global => self.caches.invalidate_pasid(None, None),
            },
        };
        self.count_invalidation(removed);
        Ok(done)
    }

    fn count_invalidation(&mut self, removed: Removed) {
        self.stats.invalidated(removed);
    }

    /// Send an ATS invalidation to a device: it answers a round trip later, or never.
    fn device_tlb(
        &mut self,
        target: &DeviceTlbTarget,
        pasid: Option<u32>,
        all_pasids: bool,
        t: u64,
        costs: &TimingModel,
    ) -> u64 {
        self.stats.device_tlb_invalidations += 1;
        let (addr, size) = descriptor::device_tlb_range(target);
        self.events.push(Event::DeviceTlbInvalidation {
            source_id: target.source_id,
            pasid: if all_pasids { None } else { pasid },
            addr,
            size,
        });
        if self.silent_devices.contains(&target.source_id) {
            if self.queue.timeout.is_none() {
                self.queue.timeout = Some((target.source_id, t + costs.device_tlb_timeout));
            }
        } else {
            let answered = t + costs.device_tlb_round_trip;
            self.queue.device_tlb_until = self.queue.device_tlb_until.max(answered);
        }
        t + costs.invalidate
    }

    /// A wait descriptor completes: status write, then the completion event.
    fn complete_wait<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        w: &PendingWait,
    ) -> Result<(), Iqei> {
        if let Some((addr, data)) = w.status {
            mem.write_u32(addr, data).map_err(|_| Iqei::FetchError)?;
        }
        if w.interrupt {
            self.completion_event();
        }
        Ok(())
    }

    /// ICS.IWC and the invalidation-completion event: no new event while IWC is still
    /// set; masked (IECTL.IM) events stay pending in IECTL.IP.
    fn completion_event(&mut self) {
        let ics = self.regs.get(o::ICS);
        if ics & 1 != 0 {
            return;
        }
        self.regs.set(o::ICS, ics | 1);
        let iectl = self.regs.get(o::IECTL) as u32;
        if iectl & ectl::IM != 0 {
            self.regs.set(o::IECTL, u64::from(iectl | ectl::IP));
        } else {
            self.regs.set(o::IECTL, u64::from(iectl & !ectl::IP));
            self.send_completion_event();
        }
    }

    pub(crate) fn send_completion_event(&mut self) {
        self.stats.completion_interrupts += 1;
        self.events.push(Event::InvalidationComplete {
            addr: self.regs.get(o::IEUADDR) << 32 | self.regs.get(o::IEADDR),
            data: self.regs.get(o::IEDATA) as u32,
        });
    }

    /// After an ICS write: clearing IWC withdraws a pending event.
    pub(crate) fn after_ics_write(&mut self) {
        if self.regs.get(o::ICS) & 1 == 0 {
            self.regs.update(o::IECTL, |v| v & !u64::from(ectl::IP));
        }
    }

    /// After an IECTL write: unmasking with an event pending sends it.
    pub(crate) fn after_iectl_write(&mut self) {
        let c = self.regs.get(o::IECTL) as u32;
        if c & ectl::IP != 0 && c & ectl::IM == 0 {
            self.regs.set(o::IECTL, u64::from(c & !ectl::IP));
            self.send_completion_event();
        }
    }

    /// Stop the queue with IQE.
    fn queue_error(&mut self, e: Iqei) {
        self.stats.queue_errors += 1;
        self.regs
            .update(o::IQERCD, |v| (v & !0xf) | u64::from(e.code()));
        if let Some(ev) = record::set_condition(&mut self.regs, fsts::IQE) {
            self.stats.fault_interrupts += 1;
            self.events.push(ev);
        }
    }

    /// The device never answered: ITE, and every pending wait is aborted.
    fn device_tlb_timeout(&mut self) {
        let Some((sid, _)) = self.queue.timeout.take() else {
            return;
        };
        if self.regs.get(o::FSTS) as u32 & fsts::ITE == 0 {
            self.regs
                .update(o::IQERCD, |v| (v & !(0xffff << 32)) | u64::from(sid) << 32);
        }
        self.stats.waits_aborted += self.queue.pending.len() as u64;
        self.queue.pending.clear();
        if let Some(ev) = record::set_condition(&mut self.regs, fsts::ITE) {
            self.stats.fault_interrupts += 1;
            self.events.push(ev);
        }
    }

    /// A device-TLB invalidation completion the unit did not expect (wrong ITag, or
    /// from a device with nothing outstanding) arrives from `source_id`: FSTS.ICE with
    /// the device in IQERCD.ICESID. The queue keeps running.
    pub fn unexpected_invalidation_completion(&mut self, source_id: u16) {
        if self.regs.get(o::FSTS) as u32 & fsts::ICE == 0 {
            self.regs.update(o::IQERCD, |v| {
                (v & !(0xffff << 48)) | u64::from(source_id) << 48
            });
        }
        if let Some(ev) = record::set_condition(&mut self.regs, fsts::ICE) {
            self.stats.fault_interrupts += 1;
            self.events.push(ev);
        }
    }
}

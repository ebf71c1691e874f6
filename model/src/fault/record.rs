//! Primary fault logging (spec §7.2.1): the fault-recording registers, FSTS and the
//! fault event.
//!
//! Records go round-robin through the CAP.NFR+1 registers. A fault whose register still
//! holds an unread record (F=1) sets FSTS.PFO and is lost. The first pending fault (PPF
//! going from 0 to 1 while neither PFO nor IQE is set) raises the fault event: an MSI
//! to FEUADDR:FEADDR with FEDATA, or FECTL.IP if FECTL.IM masks it; clearing IM with IP
//! set sends it then. This is QEMU's `vtd_report_frcd_fault` logic, without its
//! same-source-id compression, which the spec does not describe.

use super::FaultReason;
use crate::regs::{ectl, fsts, offset as o, Cap, Registers};
use crate::request::{Access, Recorded, Request};

/// Something the unit sends to the rest of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A fault event: an MSI write of `data` to `addr`.
    FaultInterrupt {
        /// FEUADDR:FEADDR.
        addr: u64,
        /// FEDATA.
        data: u32,
    },
}

/// The 128-bit record for a fault (spec §11.4.14): FI in 63:12, SID 79:64, PP 95,
/// FR 103:96, PV 123:104, T 126 (1 = read), F 127.
pub fn encode(reason: FaultReason, req: &Request) -> (u64, u64) {
    let lo = req.addr & !0xfff;
    let mut hi = u64::from(req.source_id) | u64::from(reason.0) << 32;
    if let Some(p) = req.pasid {
        hi |= 1 << 31 | u64::from(p & 0xf_ffff) << 40;
    }
    if req.access.contains(Access::PRIV) {
        hi |= 1 << 29;
    }
    if req.access.contains(Access::EXEC) {
        hi |= 1 << 30;
    }
    if !req.is_write() {
        hi |= 1 << 62;
    }
    (lo, hi | 1 << 63)
}

/// Where the next record goes; reset with translation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recorder {
    next: usize,
}

impl Recorder {
    /// Start again at register 0.
    pub fn reset(&mut self) {
        self.next = 0;
    }

    /// Record a fault; returns what happened to it and the interrupt, if one is due.
    pub fn record(
        &mut self,
        regs: &mut Registers,
        cap: Cap,
        reason: FaultReason,
        req: &Request,
    ) -> (Recorded, Option<Event>) {
        let fsts_before = regs.get(o::FSTS) as u32;
        if fsts_before & fsts::PFO != 0 {
            return (Recorded::Overflow, None);
        }
        let count = cap.fault_records();
        let index = self.next % count;
        let at = cap.fault_recording_offset() + 16 * index;
        if regs.get(at + 8) & 1 << 63 != 0 {
            regs.update(o::FSTS, |v| v | u64::from(fsts::PFO));
            return (Recorded::Overflow, None);
        }
        let (lo, hi) = encode(reason, req);
        regs.set(at, lo);
        regs.set(at + 8, hi);
        self.next = (index + 1) % count;
        if fsts_before & fsts::PPF != 0 {
            return (Recorded::Logged { index }, None);
        }
        regs.update(o::FSTS, |v| {
            (v & !0xff00) | u64::from(fsts::PPF) | (index as u64) << fsts::FRI_SHIFT
        });
        let event = if fsts_before & (fsts::PFO | fsts::IQE) == 0 {
            raise(regs)
        } else {
            None
        };
        (Recorded::Logged { index }, event)
    }
}

/// The fault event: sent now, or left pending under the mask.
pub fn raise(regs: &mut Registers) -> Option<Event> {
    let fectl = regs.get(o::FECTL) as u32;
    if fectl & ectl::IM != 0 {
        regs.set(o::FECTL, u64::from(fectl | ectl::IP));
        None
    } else {
        regs.set(o::FECTL, u64::from(fectl & !ectl::IP));
        Some(message(regs))
    }
}

/// The fault-event MSI as currently programmed.
pub fn message(regs: &Registers) -> Event {
    Event::FaultInterrupt {
        addr: regs.get(o::FEUADDR) << 32 | regs.get(o::FEADDR),
        data: regs.get(o::FEDATA) as u32,
    }
}

/// Recompute FSTS.PPF from the records' F bits (after software clears one).
pub fn update_ppf(regs: &mut Registers, cap: Cap) {
    let any = (0..cap.fault_records())
        .any(|i| regs.get(cap.fault_recording_offset() + 16 * i + 8) & 1 << 63 != 0);
    regs.update(o::FSTS, |v| {
        if any {
            v | u64::from(fsts::PPF)
        } else {
            v & !u64::from(fsts::PPF)
        }
    });
}

/// After a write to FSTS: the pending event is withdrawn once no PFO, PPF or IQE is
/// left (QEMU `vtd_handle_fsts_write`).
pub fn after_fsts_write(regs: &mut Registers) {
    let f = regs.get(o::FSTS) as u32;
    if f & (fsts::PFO | fsts::PPF | fsts::IQE) == 0 {
        regs.update(o::FECTL, |v| v & !u64::from(ectl::IP));
    }
}

/// After a write to FECTL: unmasking with an event pending sends it.
pub fn after_fectl_write(regs: &mut Registers) -> Option<Event> {
    let c = regs.get(o::FECTL) as u32;
    if c & ectl::IP != 0 && c & ectl::IM == 0 {
        regs.set(o::FECTL, u64::from(c & !ectl::IP));
        return Some(message(regs));
    }
    None
}

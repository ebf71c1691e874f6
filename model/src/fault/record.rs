//! Primary fault logging (spec §7.2.1): the fault-recording registers, FSTS and the
//! fault event.
//!
//! Records go round-robin through the CAP.NFR+1 registers. A fault whose register still
//! holds an unread record (F=1) sets FSTS.PFO and is lost. The fault event (an MSI to
//! FEUADDR:FEADDR with FEDATA, or FECTL.IP if FECTL.IM masks it) is raised when an
//! interrupt condition appears while no other was pending: a first pending fault
//! (PPF), or an invalidation queue error, completion error or time-out (IQE, ICE,
//! ITE). "If any of the status fields in the Fault Status register was already Set at
//! the time of setting any of these fields, it is not treated as a new interrupt
//! condition" (FECTL register text, quoted in Intel datasheets; docs/sources/qi-ir.md
//! §A.4). Clearing IM with IP set sends the message then. QEMU's
//! `vtd_report_frcd_fault` works this way, without ICE/ITE and without its
//! same-source-id compression, which the spec does not describe.

use super::FaultReason;
use crate::event::Event;
use crate::regs::{ectl, fsts, offset as o, Cap, Registers};
use crate::request::{Access, Recorded, Request};

/// The FSTS bits that are interrupt conditions: while any is set, a new one raises no
/// new fault event, and IP stays pending until software has cleared them all.
pub const CONDITIONS: u32 =
    fsts::PFO | fsts::PPF | fsts::AFO | fsts::APF | fsts::IQE | fsts::ICE | fsts::ITE;

/// The 128-bit record for a DMA fault (spec §11.4.14): FI in 63:12, SID 79:64, PRIV 93,
/// EXE 94, PP 95, FR 103:96, PV 123:104, AT 125:124 (only on a unit with device-TLB
/// support, ECAP.DT; RsvdZ otherwise), T 126 (1 = read), F 127.
pub fn encode(reason: FaultReason, req: &Request, device_tlb: bool) -> (u64, u64) {
    let lo = req.addr & !0xfff;
    let mut hi = u64::from(req.source_id) | u64::from(reason.0) << 32;
    if device_tlb {
        hi |= match req.at {
            crate::request::AddressType::Untranslated => 0,
            crate::request::AddressType::TranslationRequest => 1 << 60,
            crate::request::AddressType::Translated => 2 << 60,
        };
    }
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

/// The record for an interrupt-remapping fault: FI[63:48] holds the interrupt index
/// (0 when the request could not be decoded), SID the requester; T, PP and PV are 0
/// (QEMU `vtd_report_ir_fault`, VirtualBox `dmarIrFaultRecord`).
pub fn encode_interrupt(reason: FaultReason, source_id: u16, index: u16) -> (u64, u64) {
    let lo = u64::from(index) << 48;
    let hi = u64::from(source_id) | u64::from(reason.0) << 32 | 1 << 63;
    (lo, hi)
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

    /// Record an encoded fault (`encode` or `encode_interrupt`); returns what happened
    /// to it and the interrupt, if one is due.
    pub fn record(
        &mut self,
        regs: &mut Registers,
        cap: Cap,
        (lo, hi): (u64, u64),
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
        regs.set(at, lo);
        regs.set(at + 8, hi);
        self.next = (index + 1) % count;
        if fsts_before & fsts::PPF != 0 {
            return (Recorded::Logged { index }, None);
        }
        regs.update(o::FSTS, |v| {
            (v & !0xff00) | u64::from(fsts::PPF) | (index as u64) << fsts::FRI_SHIFT
        });
        let event = if fsts_before & CONDITIONS == 0 {
            raise(regs)
        } else {
            None
        };
        (Recorded::Logged { index }, event)
    }
}

/// Set an error status bit (IQE, ICE or ITE) and raise the fault event if it is a new
/// interrupt condition.
pub fn set_condition(regs: &mut Registers, bit: u32) -> Option<Event> {
    let before = regs.get(o::FSTS) as u32;
    regs.set(o::FSTS, u64::from(before | bit));
    if before & CONDITIONS == 0 {
        raise(regs)
    } else {
        None
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

/// After a write to FSTS: the pending event is withdrawn once no interrupt condition
/// is left (QEMU `vtd_handle_fsts_write`, extended to ICE/ITE).
pub fn after_fsts_write(regs: &mut Registers) {
    let f = regs.get(o::FSTS) as u32;
    if f & CONDITIONS == 0 {
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

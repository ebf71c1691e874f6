//! Posting an interrupt into a posted-interrupt descriptor (VT-d spec rev 4.1 §5.2.3;
//! the descriptor layout of Linux 6.1 `struct pi_desc` and Xen's `docs/misc/vtd-pi.txt`,
//! docs/sources/qi-ir.md §B.7).
//!
//! The descriptor is 64 bytes: PIR (one bit per vector) in bytes 0–31, then ON (bit
//! 256), SN (257), NV (279:272) and NDST (319:288; the xAPIC id in NDST[15:8]). The
//! unit sets PIR[vector]; if ON was clear and the entry is urgent or SN is clear, it
//! sets ON and sends the notification vector NV to NDST. The read-modify-write is one
//! atomic step, as the hardware's locked access is.

use crate::fault::FaultReason;
use crate::memory::GuestMemory;
use crate::tables::above;

/// Reserved bits of the control qword (bits 319:256 of the descriptor): 271:258 and
/// 287:280.
const CONTROL_RESERVED: u64 = 0x0000_0000_ff00_fffc;
/// In xAPIC mode NDST holds the APIC id in bits 15:8 only.
const CONTROL_RESERVED_XAPIC: u64 = 0xffff_00ff_0000_0000;

/// What posting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// A notification is due: (NV, NDST as the APIC id).
    pub notify: Option<(u8, u32)>,
}

/// Post `vector` into the descriptor at `pid`.
pub fn post<M: GuestMemory + ?Sized>(
    mem: &mut M,
    pid: u64,
    vector: u8,
    urgent: bool,
    x2apic: bool,
    haw: u32,
) -> Result<Posting, FaultReason> {
    if pid & above(haw) != 0 {
        return Err(FaultReason::IR_PID_ACCESS);
    }
    let mut raw = [0u8; 64];
    mem.read(pid, &mut raw)
        .map_err(|_| FaultReason::IR_PID_ACCESS)?;
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&raw[i * 8..i * 8 + 8]);
        u64::from_le_bytes(b)
    };
    let control = word(4);
    let mut reserved = control & CONTROL_RESERVED != 0 || (5..8).any(|i| word(i) != 0);
    if !x2apic {
        reserved |= control & CONTROL_RESERVED_XAPIC != 0;
    }
    if reserved {
        return Err(FaultReason::IR_PID_RESERVED);
    }
    let slot = usize::from(vector / 64);
    let pir = word(slot) | 1 << (vector % 64);
    let on = control & 1 != 0;
    let sn = control & 2 != 0;
    let notify = !on && (urgent || !sn);
    let write = |mem: &mut M, at: usize, v: u64| {
        mem.write_u64(pid + 8 * at as u64, v)
            .map_err(|_| FaultReason::IR_PID_ACCESS)
    };
    write(mem, slot, pir)?;
    if !notify {
        return Ok(Posting { notify: None });
    }
    write(mem, 4, control | 1)?;
    let nv = (control >> 16) as u8;
    let ndst = (control >> 32) as u32;
    let dest = if x2apic { ndst } else { (ndst >> 8) & 0xff };
    Ok(Posting {
        notify: Some((nv, dest)),
    })
}

/// The control qword of a descriptor with notification vector `nv` to APIC `dest`.
pub fn control(nv: u8, dest: u32, x2apic: bool, suppress: bool) -> u64 {
    let ndst = if x2apic { dest } else { (dest & 0xff) << 8 };
    u64::from(suppress) << 1 | u64::from(nv) << 16 | u64::from(ndst) << 32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::SparseMemory;

    #[test]
    fn on_sn_and_urgent_decide_the_notification() {
        let mut m = SparseMemory::new(1 << 20);
        let pid = 0x1000;
        m.write_u64(pid + 32, control(0xf2, 1, true, false))
            .unwrap();
        let p = post(&mut m, pid, 0x45, false, true, 39).unwrap();
        assert_eq!(p.notify, Some((0xf2, 1)));
        assert_eq!(m.read_u64(pid + 8).unwrap(), 1 << 5, "PIR bit 0x45");
        assert_eq!(m.read_u64(pid + 32).unwrap() & 1, 1, "ON set");
        // ON already set: no second notification.
        assert_eq!(
            post(&mut m, pid, 0x46, true, true, 39).unwrap().notify,
            None
        );
        // SN suppresses non-urgent ones only.
        m.write_u64(pid + 32, control(0xf2, 1, true, true)).unwrap();
        assert_eq!(
            post(&mut m, pid, 0x47, false, true, 39).unwrap().notify,
            None
        );
        assert!(post(&mut m, pid, 0x47, true, true, 39)
            .unwrap()
            .notify
            .is_some());
    }

    #[test]
    fn bad_descriptors_fault() {
        let mut m = SparseMemory::new(1 << 20);
        assert_eq!(
            post(&mut m, 1 << 45, 0, false, true, 39),
            Err(FaultReason::IR_PID_ACCESS)
        );
        assert_eq!(
            post(&mut m, 1 << 21, 0, false, true, 39),
            Err(FaultReason::IR_PID_ACCESS),
            "outside memory"
        );
        m.write_u64(0x2000 + 40, 1).unwrap();
        assert_eq!(
            post(&mut m, 0x2000, 0, false, true, 39),
            Err(FaultReason::IR_PID_RESERVED)
        );
        m.write_u64(0x3000 + 32, control(0x20, 0x1ff, true, false))
            .unwrap();
        assert_eq!(
            post(&mut m, 0x3000, 0, false, false, 39),
            Err(FaultReason::IR_PID_RESERVED),
            "x2APIC-sized NDST in xAPIC mode"
        );
    }
}

//! Register-based invalidation: the context command (CCMD) and IOTLB invalidate
//! (IOTLB/IVA) registers. The actual granularity is reported in CAIG/IAIG; 0 means the
//! request was not performed.

use crate::cache::{Caches, Removed};
use crate::regs::Cap;

/// Process a CCMD value with ICC set; returns the value to leave in CCMD (ICC clear,
/// CAIG set) and what was removed.
pub fn context_command(caches: &mut Caches, ccmd: u64) -> (u64, Removed) {
    let cirg = (ccmd >> 61) & 3;
    let did = (ccmd & 0xffff) as u16;
    let sid = ((ccmd >> 16) & 0xffff) as u16;
    let fm = ((ccmd >> 32) & 3) as u8;
    let removed = match cirg {
        1 => caches.invalidate_context(None, None),
        2 => caches.invalidate_context(Some(did), None),
        3 => caches.invalidate_context(Some(did), Some((sid, fm))),
        _ => Removed::default(),
    };
    let caig = cirg;
    ((ccmd & !(1 << 63) & !(3 << 59)) | caig << 59, removed)
}

/// Process an IOTLB register value with IVT set (IVA holds the page address, IH and
/// AM); returns the value to leave (IVT clear, IAIG set) and what was removed.
pub fn iotlb_command(caches: &mut Caches, cap: Cap, iotlb: u64, iva: u64) -> (u64, Removed) {
    let iirg = (iotlb >> 60) & 3;
    let did = ((iotlb >> 32) & 0xffff) as u16;
    let addr = iva & !0xfff;
    let ih = iva & 0x40 != 0;
    let am = (iva & 0x3f) as u32;
    let (iaig, removed) = match iirg {
        1 => (1, caches.invalidate_iotlb(None, None, None, false)),
        2 => (2, caches.invalidate_iotlb(Some(did), None, None, false)),
        // Without PSI, hardware performs a domain-selective invalidation instead and
        // says so in IAIG.
        3 if !cap.psi() => (2, caches.invalidate_iotlb(Some(did), None, None, false)),
        3 if am > u32::from(cap.mamv()) => (0, Removed::default()),
        3 => (
            3,
            caches.invalidate_iotlb(Some(did), None, Some((addr, am)), ih),
        ),
        _ => (0, Removed::default()),
    };
    ((iotlb & !(1 << 63) & !(3 << 57)) | iaig << 57, removed)
}

//! Protected memory regions (spec §3.16, §11.4.13): with PMEN.EPM set and translation
//! disabled, DMA into the low region [PLMBASE, PLMLIMIT] or the high region
//! [PHMBASE, PHMLIMIT] is blocked and not reported as a remapping fault. Base and
//! limit hold the upper address bits down to the region alignment; the limit's lower
//! bits decode as all ones; a limit below its base disables that region. Accesses by
//! the remapping hardware itself (table walks) are never blocked.

use crate::regs::{offset as o, Registers};

/// The writable bits of PLMBASE/PLMLIMIT for a region aligned to 2^`bits` bytes.
pub fn low_mask(bits: u32) -> u32 {
    if bits >= 32 {
        0
    } else {
        !((1u32 << bits) - 1)
    }
}

/// The writable bits of PHMBASE/PHMLIMIT for a region aligned to 2^`bits` bytes
/// below `haw`.
pub fn high_mask(bits: u32, haw: u32) -> u64 {
    let top = if haw >= 64 {
        u64::MAX
    } else {
        (1u64 << haw) - 1
    };
    if bits >= 64 {
        0
    } else {
        top & !((1u64 << bits) - 1)
    }
}

/// Whether `addr` is in an enabled protected region.
pub fn protected(regs: &Registers, addr: u64) -> bool {
    if regs.get(o::PMEN) & 1 << 31 == 0 {
        return false;
    }
    // The region's granularity is the lowest writable bit; the limit's bits below it
    // read as ones.
    let region = |base: u64, limit: u64, writable: u64| {
        if writable == 0 {
            return false;
        }
        let below = (writable & writable.wrapping_neg()) - 1;
        let (lo, top) = (base & writable, limit & writable);
        lo <= top && (lo..=top | below).contains(&addr)
    };
    let rw = |offset: usize| {
        regs.specs()
            .iter()
            .find(|s| s.offset == offset)
            .map_or(0, |s| s.rw)
    };
    region(regs.get(o::PLMBASE), regs.get(o::PLMLIMIT), rw(o::PLMBASE))
        || region(regs.get(o::PHMBASE), regs.get(o::PHMLIMIT), rw(o::PHMBASE))
}

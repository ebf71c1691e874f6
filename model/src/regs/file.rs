//! The register page: every register declared once (offset, size, reset value,
//! writable / write-1-to-clear / write-only masks), and the access rules.
//!
//! A write stores `(old & !rw) | (value & rw)`, then clears the write-1-to-clear bits
//! written as 1; a read returns the stored value without its write-only bits. What a
//! write *does* (GCMD commands, invalidations, clearing faults) is the unit's business
//! (`crate::unit`); this file only keeps the bits.

use super::cap::{Cap, Ecap};
use super::offset as o;

/// One register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegSpec {
    /// Name as the spec spells it.
    pub name: &'static str,
    /// Byte offset in the register page.
    pub offset: usize,
    /// 4 or 8 bytes.
    pub size: usize,
    /// Value after reset.
    pub reset: u64,
    /// Bits software can write.
    pub rw: u64,
    /// Bits software clears by writing 1.
    pub w1c: u64,
    /// Bits that read back as 0 whatever was written.
    pub wo: u64,
}

const fn reg(
    name: &'static str,
    offset: usize,
    size: usize,
    reset: u64,
    rw: u64,
    w1c: u64,
) -> RegSpec {
    RegSpec {
        name,
        offset,
        size,
        reset,
        rw,
        w1c,
        wo: 0,
    }
}

/// A bad register access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MmioError {
    /// Only 4- and 8-byte accesses exist.
    #[error("register offset {offset:#x}: {size}-byte access (only 4 and 8 bytes are allowed)")]
    Size {
        /// Offset.
        offset: usize,
        /// Size tried.
        size: usize,
    },
    /// Accesses must be naturally aligned.
    #[error("register offset {offset:#x}: {size}-byte access is not naturally aligned")]
    Misaligned {
        /// Offset.
        offset: usize,
        /// Size.
        size: usize,
    },
    /// A 64-bit access to a 32-bit register.
    #[error("register offset {offset:#x} ({name}): 8-byte access to a 4-byte register")]
    Wide {
        /// Offset.
        offset: usize,
        /// Register.
        name: &'static str,
    },
    /// Past the register page.
    #[error("register offset {offset:#x} is outside the {limit:#x}-byte register page")]
    OutOfRange {
        /// Offset.
        offset: usize,
        /// Page size.
        limit: usize,
    },
}

/// Which register an access touched, and which part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    /// Index into [`Registers::specs`].
    pub index: usize,
    /// Whether the access covered the register's upper 32 bits (where the "go" bits
    /// of CCMD, IOTLB and the fault-recording F bit live).
    pub high: bool,
}

/// The register page of one unit.
#[derive(Debug, Clone)]
pub struct Registers {
    specs: Vec<RegSpec>,
    values: Vec<u64>,
    /// For each 4-byte slot of the page, the register there.
    slots: Vec<u16>,
    size: usize,
}

const NONE: u16 = u16::MAX;

/// The registers every unit has, with the masks of the VT-d spec (rev 4.1, §11.4).
/// PMR, QI and IR registers are writable only if the capability is present; `build`
/// adjusts them.
fn fixed(cap: Cap, ecap: Ecap, pmr_low_mask: u32, pmr_high_mask: u64) -> Vec<RegSpec> {
    let ver = 0x10;
    let pmr = cap.plmr() || cap.phmr();
    let qi = ecap.qi();
    let ir = ecap.ir();
    let mut v = vec![
        reg("VER", o::VER, 4, ver, 0, 0),
        reg("CAP", o::CAP, 8, cap.into_bits(), 0, 0),
        reg("ECAP", o::ECAP, 8, ecap.into_bits(), 0, 0),
        RegSpec {
            wo: 0xff80_0000,
            ..reg("GCMD", o::GCMD, 4, 0, 0xff80_0000, 0)
        },
        reg("GSTS", o::GSTS, 4, 0, 0, 0),
        reg("RTADDR", o::RTADDR, 8, 0, 0xffff_ffff_ffff_fc00, 0),
        reg("CCMD", o::CCMD, 8, 0, 0xe000_0003_ffff_ffff, 0),
        // PFO, AFO, APF, IQE, ICE, ITE, PRO are RW1C; PPF and FRI are hardware's.
        reg("FSTS", o::FSTS, 4, 0, 0, 0xfd),
        reg("FECTL", o::FECTL, 4, 0x8000_0000, 0x8000_0000, 0),
        reg("FEDATA", o::FEDATA, 4, 0, 0xffff_ffff, 0),
        reg("FEADDR", o::FEADDR, 4, 0, 0xffff_fffc, 0),
        reg("FEUADDR", o::FEUADDR, 4, 0, 0xffff_ffff, 0),
        reg(
            "AFLOG",
            o::AFLOG,
            8,
            0,
            if cap.afl() { 0xffff_ffff_ffff_fe00 } else { 0 },
            0,
        ),
        reg("PMEN", o::PMEN, 4, 0, if pmr { 0x8000_0000 } else { 0 }, 0),
        reg(
            "PLMBASE",
            o::PLMBASE,
            4,
            0,
            if cap.plmr() {
                u64::from(pmr_low_mask)
            } else {
                0
            },
            0,
        ),
        reg(
            "PLMLIMIT",
            o::PLMLIMIT,
            4,
            0,
            if cap.plmr() {
                u64::from(pmr_low_mask)
            } else {
                0
            },
            0,
        ),
        reg(
            "PHMBASE",
            o::PHMBASE,
            8,
            0,
            if cap.phmr() { pmr_high_mask } else { 0 },
            0,
        ),
        reg(
            "PHMLIMIT",
            o::PHMLIMIT,
            8,
            0,
            if cap.phmr() { pmr_high_mask } else { 0 },
            0,
        ),
        reg("IQH", o::IQH, 8, 0, 0, 0),
        reg("IQT", o::IQT, 8, 0, if qi { 0x7_fff0 } else { 0 }, 0),
        // DW (bit 11) only where 256-bit descriptors exist (ECAP.SMTS), as QEMU's
        // `vtd_update_iq_dw` does.
        reg(
            "IQA",
            o::IQA,
            8,
            0,
            match (qi, ecap.smts()) {
                (false, _) => 0,
                (true, true) => 0xffff_ffff_ffff_f807,
                (true, false) => 0xffff_ffff_ffff_f007,
            },
            0,
        ),
        reg("ICS", o::ICS, 4, 0, 0, if qi { 0x1 } else { 0 }),
        reg(
            "IECTL",
            o::IECTL,
            4,
            0x8000_0000,
            if qi { 0x8000_0000 } else { 0 },
            0,
        ),
        reg(
            "IEDATA",
            o::IEDATA,
            4,
            0,
            if qi { 0xffff_ffff } else { 0 },
            0,
        ),
        reg(
            "IEADDR",
            o::IEADDR,
            4,
            0,
            if qi { 0xffff_fffc } else { 0 },
            0,
        ),
        reg(
            "IEUADDR",
            o::IEUADDR,
            4,
            0,
            if qi { 0xffff_ffff } else { 0 },
            0,
        ),
        reg("IQERCD", o::IQERCD, 8, 0, 0, 0),
        // EIME (bit 11) only with ECAP.EIM.
        reg(
            "IRTA",
            o::IRTA,
            8,
            0,
            match (ir, ecap.eim()) {
                (false, _) => 0,
                (true, true) => 0xffff_ffff_ffff_f80f,
                (true, false) => 0xffff_ffff_ffff_f00f,
            },
            0,
        ),
    ];
    // IOTLB invalidation registers, located by ECAP.IRO.
    let iro = ecap.iotlb_offset();
    v.push(RegSpec {
        wo: 0xffff_ffff_ffff_f07f,
        ..reg("IVA", iro, 8, 0, 0xffff_ffff_ffff_f07f, 0)
    });
    v.push(reg("IOTLB", iro + 8, 8, 0, 0xb003_ffff_0000_0000, 0));
    // Fault-recording registers, located by CAP.FRO; F (bit 127) is RW1C.
    for i in 0..cap.fault_records() {
        let at = cap.fault_recording_offset() + 16 * i;
        v.push(reg("FRCD_LO", at, 8, 0, 0, 0));
        v.push(reg("FRCD_HI", at + 8, 8, 0, 0, 1 << 63));
    }
    v
}

impl Registers {
    /// The register page for a unit with these capabilities. `size` is the page size
    /// (4 KiB unless the DRHD says otherwise); it must hold every register.
    /// `pmr_low_mask`/`pmr_high_mask` are the writable bits of the PMR base/limit
    /// registers (their alignment).
    pub fn new(cap: Cap, ecap: Ecap, size: usize, pmr_low_mask: u32, pmr_high_mask: u64) -> Self {
        let specs = fixed(cap, ecap, pmr_low_mask, pmr_high_mask);
        let mut slots = vec![NONE; size / 4];
        for (i, s) in specs.iter().enumerate() {
            for k in 0..s.size / 4 {
                if let Some(slot) = slots.get_mut(s.offset / 4 + k) {
                    *slot = i as u16;
                }
            }
        }
        let values = specs.iter().map(|s| s.reset).collect();
        Registers {
            specs,
            values,
            slots,
            size,
        }
    }

    /// Every register, in declaration order.
    pub fn specs(&self) -> &[RegSpec] {
        &self.specs
    }

    /// The page size.
    pub fn size(&self) -> usize {
        self.size
    }

    fn check(&self, offset: usize, size: usize) -> Result<Option<usize>, MmioError> {
        if size != 4 && size != 8 {
            return Err(MmioError::Size { offset, size });
        }
        if offset % size != 0 {
            return Err(MmioError::Misaligned { offset, size });
        }
        if offset + size > self.size {
            return Err(MmioError::OutOfRange {
                offset,
                limit: self.size,
            });
        }
        let slot = self.slots.get(offset / 4).copied().unwrap_or(NONE);
        if slot == NONE {
            return Ok(None);
        }
        let index = usize::from(slot);
        let spec = &self.specs[index];
        if size == 8 && spec.size == 4 {
            return Err(MmioError::Wide {
                offset,
                name: spec.name,
            });
        }
        Ok(Some(index))
    }

    /// The bit shift and mask of an access within its register.
    fn lane(spec: &RegSpec, offset: usize, size: usize) -> (u32, u64) {
        let shift = ((offset - spec.offset) * 8) as u32;
        let mask = if size == 8 { u64::MAX } else { 0xffff_ffff };
        (shift, mask << shift)
    }

    /// Read `size` bytes at `offset`. Offsets that hold no register read as zero.
    pub fn read(&self, offset: usize, size: usize) -> Result<u64, MmioError> {
        let Some(index) = self.check(offset, size)? else {
            return Ok(0);
        };
        let spec = &self.specs[index];
        let (shift, mask) = Self::lane(spec, offset, size);
        Ok(((self.values[index] & !spec.wo) & mask) >> shift)
    }

    /// Write `size` bytes at `offset`; returns which register was touched (none for
    /// offsets that hold no register: the write is ignored).
    pub fn write(
        &mut self,
        offset: usize,
        size: usize,
        value: u64,
    ) -> Result<Option<Touched>, MmioError> {
        let Some(index) = self.check(offset, size)? else {
            return Ok(None);
        };
        let spec = self.specs[index];
        let (shift, lane) = Self::lane(&spec, offset, size);
        let v = (value << shift) & lane;
        let old = self.values[index];
        let rw = spec.rw & lane;
        let w1c = spec.w1c & lane;
        self.values[index] = ((old & !rw) | (v & rw)) & !(v & w1c);
        Ok(Some(Touched {
            index,
            high: spec.size == 4 || lane >> 32 != 0,
        }))
    }

    /// The stored value of the register at `offset` (hardware's view: write-only bits
    /// included).
    pub fn get(&self, offset: usize) -> u64 {
        self.slots
            .get(offset / 4)
            .filter(|&&s| s != NONE)
            .map_or(0, |&s| self.values[usize::from(s)])
    }

    /// Set the register at `offset` as hardware does (no masks).
    pub fn set(&mut self, offset: usize, value: u64) {
        if let Some(&s) = self.slots.get(offset / 4).filter(|&&s| s != NONE) {
            self.values[usize::from(s)] = value;
        }
    }

    /// Set or clear hardware-owned bits of the register at `offset`.
    pub fn update(&mut self, offset: usize, f: impl FnOnce(u64) -> u64) {
        let v = self.get(offset);
        self.set(offset, f(v));
    }

    /// The spec of register `index`.
    pub fn spec(&self, index: usize) -> &RegSpec {
        &self.specs[index]
    }

    /// Back to reset values.
    pub fn reset(&mut self) {
        for (v, s) in self.values.iter_mut().zip(&self.specs) {
            *v = s.reset;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qemu() -> Registers {
        Registers::new(
            Cap::from_bits(0x00d2_008c_2226_0206),
            Ecap::from_bits(0xf0_0f4a),
            0x1000,
            0,
            0,
        )
    }

    #[test]
    fn reset_values_and_read_only_registers() {
        let mut r = qemu();
        assert_eq!(r.read(o::VER, 4), Ok(0x10));
        assert_eq!(r.read(o::CAP, 8), Ok(0x00d2_008c_2226_0206));
        assert_eq!(r.read(o::CAP + 4, 4), Ok(0x00d2_008c));
        assert_eq!(r.read(o::FECTL, 4), Ok(0x8000_0000));
        r.write(o::CAP, 8, 0).unwrap();
        assert_eq!(r.read(o::CAP, 8), Ok(0x00d2_008c_2226_0206));
    }

    #[test]
    fn gcmd_reads_zero_and_reserved_bits_read_zero() {
        let mut r = qemu();
        r.write(o::GCMD, 4, 0xffff_ffff).unwrap();
        assert_eq!(r.read(o::GCMD, 4), Ok(0));
        assert_eq!(r.get(o::GCMD), 0xff80_0000);
        r.write(o::RTADDR, 8, u64::MAX).unwrap();
        assert_eq!(r.read(o::RTADDR, 8), Ok(0xffff_ffff_ffff_fc00));
    }

    #[test]
    fn halves_of_64_bit_registers_and_w1c() {
        let mut r = qemu();
        r.write(o::RTADDR + 4, 4, 0x1234).unwrap();
        assert_eq!(r.read(o::RTADDR, 8), Ok(0x1234_0000_0000));
        r.set(0x228, 1 << 63 | 0x42 << 32);
        let t = r.write(0x22c, 4, 0x8000_0000).unwrap().unwrap();
        assert!(t.high);
        assert_eq!(r.get(0x228), 0x42 << 32);
    }

    #[test]
    fn bad_accesses_are_typed_errors() {
        let mut r = qemu();
        assert!(matches!(
            r.read(o::GSTS, 8),
            Err(MmioError::Misaligned { .. })
        ));
        assert!(matches!(r.read(o::FECTL, 8), Err(MmioError::Wide { .. })));
        assert!(matches!(r.read(3, 4), Err(MmioError::Misaligned { .. })));
        assert!(matches!(r.write(0, 2, 0), Err(MmioError::Size { .. })));
        assert!(matches!(
            r.read(0x1000, 4),
            Err(MmioError::OutOfRange { .. })
        ));
        assert_eq!(r.read(0x300, 4), Ok(0), "no register there: reads as zero");
    }
}

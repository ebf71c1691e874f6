//! The Capability (CAP, offset 0x08) and Extended Capability (ECAP, offset 0x10)
//! registers: field layouts (VT-d spec rev 4.1, §11.4.2–11.4.3) and the consistency
//! rules between them.

use bitfield_struct::bitfield;

/// CAP_REG.
#[bitfield(u64)]
#[derive(PartialEq, Eq)]
pub struct Cap {
    /// Number of domains supported: 2^(4 + 2·ND).
    #[bits(3)]
    pub nd: u8,
    /// Advanced fault logging.
    pub afl: bool,
    /// Required write-buffer flushing.
    pub rwbf: bool,
    /// Protected low-memory region.
    pub plmr: bool,
    /// Protected high-memory region.
    pub phmr: bool,
    /// Caching mode: not-present and erroneous entries may be cached.
    pub cm: bool,
    /// Supported adjusted guest address widths: bit 1 39-bit (3-level), bit 2 48-bit
    /// (4-level), bit 3 57-bit (5-level).
    #[bits(5)]
    pub sagaw: u8,
    #[bits(3)]
    __: u8,
    /// Maximum guest address width minus one.
    #[bits(6)]
    pub mgaw: u8,
    /// Zero-length read.
    pub zlr: bool,
    /// (Deprecated.)
    __: bool,
    /// Fault-recording register offset, in 16-byte units.
    #[bits(10)]
    pub fro: u16,
    /// Second-level large pages: bit 0 2 MiB, bit 1 1 GiB.
    #[bits(4)]
    pub sllps: u8,
    __: bool,
    /// Page-selective invalidation.
    pub psi: bool,
    /// Number of fault-recording registers minus one.
    pub nfr: u8,
    /// Maximum address mask value for page-selective invalidation.
    #[bits(6)]
    pub mamv: u8,
    /// Write draining.
    pub dwd: bool,
    /// Read draining.
    pub drd: bool,
    /// First-level 1 GiB pages.
    pub fl1gp: bool,
    #[bits(2)]
    __: u8,
    /// Posted interrupts.
    pub pi: bool,
    /// First-level 5-level paging.
    pub fl5lp: bool,
    __: bool,
    /// Enhanced set interrupt remap table pointer support.
    pub esirtps: bool,
    /// Enhanced set root table pointer support.
    pub esrtps: bool,
}

/// ECAP_REG.
#[bitfield(u64)]
#[derive(PartialEq, Eq)]
pub struct Ecap {
    /// Page-walk coherency.
    pub c: bool,
    /// Queued invalidation.
    pub qi: bool,
    /// Device-TLB.
    pub dt: bool,
    /// Interrupt remapping.
    pub ir: bool,
    /// Extended interrupt mode (x2APIC).
    pub eim: bool,
    /// (Deprecated.)
    __: bool,
    /// Pass-through.
    pub pt: bool,
    /// Snoop control.
    pub sc: bool,
    /// IOTLB register offset, in 16-byte units.
    #[bits(10)]
    pub iro: u16,
    #[bits(2)]
    __: u8,
    /// Maximum handle mask value.
    #[bits(4)]
    pub mhmv: u8,
    /// (Deprecated ECS.)
    __: bool,
    /// Memory type.
    pub mts: bool,
    /// Nested translation.
    pub nest: bool,
    __: bool,
    /// (Deprecated.)
    __: bool,
    /// Page request.
    pub prs: bool,
    /// Execute request.
    pub ers: bool,
    /// Supervisor request.
    pub srs: bool,
    __: bool,
    /// No write flag.
    pub nwfs: bool,
    /// Extended accessed flag.
    pub eafs: bool,
    /// PASID size supported, minus one.
    #[bits(5)]
    pub pss: u8,
    /// PASID.
    pub pasid: bool,
    /// Device-TLB invalidation throttle.
    pub dit: bool,
    /// Page-request drain.
    pub pds: bool,
    /// Scalable-mode translation.
    pub smts: bool,
    /// Virtual command.
    pub vcs: bool,
    /// Second-level accessed/dirty.
    pub slads: bool,
    /// Second-level translation.
    pub slts: bool,
    /// First-level translation.
    pub flts: bool,
    /// Scalable-mode page-walk coherency.
    pub smpwcs: bool,
    /// RID-PASID.
    pub rps: bool,
    /// Abort DMA mode.
    pub adms: bool,
    /// RID_PRIV.
    pub rprivs: bool,
    #[bits(12)]
    __: u16,
}

impl Cap {
    /// Domains supported.
    pub fn domains(self) -> u32 {
        1u32 << (4 + 2 * u32::from(self.nd().min(6)))
    }

    /// Byte offset of the first fault-recording register.
    pub fn fault_recording_offset(self) -> usize {
        usize::from(self.fro()) * 16
    }

    /// Number of fault-recording registers.
    pub fn fault_records(self) -> usize {
        usize::from(self.nfr()) + 1
    }

    /// The guest address width in bits (MGAW + 1).
    pub fn mgaw_bits(self) -> u32 {
        u32::from(self.mgaw()) + 1
    }

    /// Whether a second-level table of `levels` (3, 4, 5) is supported.
    pub fn supports_levels(self, levels: u32) -> bool {
        match levels {
            3..=5 => self.sagaw() & (1 << (levels - 2)) != 0,
            _ => false,
        }
    }

    /// The deepest supported second-level table, in levels.
    pub fn max_levels(self) -> Option<u32> {
        (3..=5).rev().find(|&l| self.supports_levels(l))
    }
}

impl Ecap {
    /// Byte offset of the IOTLB invalidation registers (IVA, then IOTLB at +8).
    pub fn iotlb_offset(self) -> usize {
        usize::from(self.iro()) * 16
    }
}

/// A reason a CAP/ECAP pair cannot describe real hardware.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    /// SAGAW names no supported width.
    #[error("CAP.SAGAW {0:#x} supports no address width (bits 1–3: 39/48/57-bit)")]
    NoSagaw(u8),
    /// MGAW is narrower than the widest SAGAW table or wider than 57 bits.
    #[error("CAP.MGAW is {mgaw} bits but SAGAW's widest table translates {sagaw} bits")]
    MgawSagaw {
        /// MGAW + 1.
        mgaw: u32,
        /// Bits of the widest SAGAW level.
        sagaw: u32,
    },
    /// The fault-recording registers overlap the fixed registers or leave the page.
    #[error("fault-recording registers at {offset:#x} ({count} × 16 bytes) overlap other registers or pass {limit:#x}")]
    FaultRecords {
        /// Offset.
        offset: usize,
        /// How many.
        count: usize,
        /// End of the register space.
        limit: usize,
    },
    /// The IOTLB registers overlap the fixed registers or leave the page.
    #[error("IOTLB registers at {offset:#x} overlap other registers or pass {limit:#x}")]
    Iotlb {
        /// Offset.
        offset: usize,
        /// End of the register space.
        limit: usize,
    },
    /// IOTLB and fault-recording registers overlap each other.
    #[error("IOTLB registers at {iotlb:#x} overlap the fault-recording registers at {fro:#x}")]
    Overlap {
        /// IOTLB offset.
        iotlb: usize,
        /// Fault-recording offset.
        fro: usize,
    },
}

/// The fixed registers end after IRTA at 0xC0, or after the page-request registers at
/// 0xF0 on units with ECAP.PRS (QEMU puts its IOTLB registers at 0xF0).
fn fixed_end(ecap: Ecap) -> usize {
    if ecap.prs() {
        0xF0
    } else {
        0xC0
    }
}

/// Check that a capability pair is self-consistent within a register space of
/// `limit` bytes.
pub fn validate(cap: Cap, ecap: Ecap, limit: usize) -> Result<(), CapError> {
    let widest = cap.max_levels().ok_or(CapError::NoSagaw(cap.sagaw()))?;
    let sagaw_bits = 12 + 9 * widest;
    let mgaw = cap.mgaw_bits();
    // MGAW may be narrower than the widest table (a 4-level table on a 46-bit unit),
    // but never wider than what the widest supported table can translate.
    if mgaw > sagaw_bits || mgaw < 12 {
        return Err(CapError::MgawSagaw {
            mgaw,
            sagaw: sagaw_bits,
        });
    }
    let fro = cap.fault_recording_offset();
    let fr_end = fro + 16 * cap.fault_records();
    let fixed = fixed_end(ecap);
    if fro < fixed || fr_end > limit {
        return Err(CapError::FaultRecords {
            offset: fro,
            count: cap.fault_records(),
            limit,
        });
    }
    let iro = ecap.iotlb_offset();
    if iro < fixed || iro + 16 > limit {
        return Err(CapError::Iotlb { offset: iro, limit });
    }
    if iro < fr_end && fro < iro + 16 {
        return Err(CapError::Overlap { iotlb: iro, fro });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_default_decodes_as_qemu_documents_it() {
        let cap = Cap::from_bits(0x00d2_008c_2226_0206);
        let ecap = Ecap::from_bits(0xf0_0f4a);
        assert_eq!(cap.nd(), 6);
        assert_eq!(cap.sagaw(), 0b10);
        assert_eq!(cap.mgaw_bits(), 39);
        assert_eq!(cap.fault_recording_offset(), 0x220);
        assert_eq!(cap.fault_records(), 1);
        assert_eq!(cap.sllps(), 0b11);
        assert!(cap.psi() && cap.dwd() && cap.drd());
        assert_eq!(cap.mamv(), 18);
        assert!(ecap.qi() && ecap.ir() && ecap.pt() && !ecap.sc());
        assert_eq!(ecap.iotlb_offset(), 0xf0);
        assert_eq!(validate(cap, ecap, 0x1000), Ok(()));
    }
}

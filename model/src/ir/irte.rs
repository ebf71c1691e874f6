//! Interrupt remapping table entries (VT-d spec rev 4.1 §9.9, §9.10): the remapped
//! format (IM=0) and the posted format (IM=1). Field positions and reserved masks follow
//! VirtualBox's spec-derived `VTD_BF_0/1_IRTE_*`, Linux 6.1 `struct irte` and Xen 4.17
//! `iremap_entry` (docs/sources/qi-ir.md §B.2).

use crate::regs::Cap;

/// Bits a remapped-format IRTE must keep clear, qword 0, in x2APIC mode (EIME=1):
/// 14:12 and 31:24.
const REMAPPED_X2APIC: u64 = 0x0000_0000_ff00_7000;
/// The same in xAPIC mode: the destination is DST[15:8] (bits 47:40), so bits 39:32
/// and 63:48 are reserved too.
const REMAPPED_XAPIC: u64 = 0xffff_00ff_ff00_7000;
/// Qword 1 of a remapped-format IRTE: 127:84.
const REMAPPED_HI: u64 = 0xffff_ffff_fff0_0000;
/// Qword 0 of a posted-format IRTE: 7:2, 13:12, 37:24.
const POSTED_LO: u64 = 0x0000_003f_ff00_30fc;
/// Qword 1 of a posted-format IRTE: 95:84.
const POSTED_HI: u64 = 0x0000_0000_fff0_0000;

/// Delivery mode (DLM, or a compatibility MSI's data[10:8]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryMode {
    /// 000.
    Fixed,
    /// 001.
    LowestPriority,
    /// 010.
    Smi,
    /// 100.
    Nmi,
    /// 101.
    Init,
    /// 111.
    ExtInt,
    /// 011 or 110: reserved (an IRTE holding one is invalid; a compatibility-format
    /// message is passed through as it is).
    Reserved(u8),
}

impl DeliveryMode {
    /// From the 3-bit field.
    pub fn from_bits(v: u8) -> Self {
        match v & 7 {
            0 => DeliveryMode::Fixed,
            1 => DeliveryMode::LowestPriority,
            2 => DeliveryMode::Smi,
            4 => DeliveryMode::Nmi,
            5 => DeliveryMode::Init,
            7 => DeliveryMode::ExtInt,
            r => DeliveryMode::Reserved(r),
        }
    }

    /// The 3-bit field.
    pub fn bits(self) -> u8 {
        match self {
            DeliveryMode::Fixed => 0,
            DeliveryMode::LowestPriority => 1,
            DeliveryMode::Smi => 2,
            DeliveryMode::Nmi => 4,
            DeliveryMode::Init => 5,
            DeliveryMode::ExtInt => 7,
            DeliveryMode::Reserved(r) => r & 7,
        }
    }
}

/// Source-id verification (SVT, with SQ for SVT=1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceCheck {
    /// SVT=00: none.
    None,
    /// SVT=01: the requester-id must equal SID, ignoring function bits by SQ (0 none,
    /// 1 bit 2, 2 bits 2:1, 3 bits 2:0).
    Exact {
        /// SID.
        sid: u16,
        /// SQ.
        sq: u8,
    },
    /// SVT=10: the requester's bus must lie in SID[15:8] ..= SID[7:0] (start bus,
    /// end bus), as for devices behind a PCIe-to-PCI bridge.
    BusRange {
        /// First bus.
        start: u8,
        /// Last bus.
        end: u8,
    },
    /// SVT=11: reserved.
    Reserved,
}

impl SourceCheck {
    /// Whether a request from `source_id` passes.
    pub fn allows(self, source_id: u16) -> bool {
        match self {
            SourceCheck::None => true,
            SourceCheck::Exact { sid, sq } => {
                let mask: u16 = [0xffff, 0xfffb, 0xfff9, 0xfff8][usize::from(sq & 3)];
                source_id & mask == sid & mask
            }
            SourceCheck::BusRange { start, end } => {
                let bus = (source_id >> 8) as u8;
                start <= bus && bus <= end
            }
            SourceCheck::Reserved => false,
        }
    }
}

/// One IRTE as it sits in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Irte {
    /// Bits 63:0.
    pub lo: u64,
    /// Bits 127:64.
    pub hi: u64,
}

impl Irte {
    /// P.
    pub fn present(self) -> bool {
        self.lo & 1 != 0
    }

    /// FPD: faults found with this entry are not recorded.
    pub fn fpd(self) -> bool {
        self.lo & 2 != 0
    }

    /// IM: posted format.
    pub fn posted(self) -> bool {
        self.lo & (1 << 15) != 0
    }

    /// V: the vector (the virtual vector, in posted format).
    pub fn vector(self) -> u8 {
        (self.lo >> 16) as u8
    }

    /// DM: logical destination mode.
    pub fn logical(self) -> bool {
        self.lo & (1 << 2) != 0
    }

    /// RH: redirection hint.
    pub fn redirection_hint(self) -> bool {
        self.lo & (1 << 3) != 0
    }

    /// TM: level-triggered.
    pub fn level(self) -> bool {
        self.lo & (1 << 4) != 0
    }

    /// DLM.
    pub fn delivery(self) -> DeliveryMode {
        DeliveryMode::from_bits(((self.lo >> 5) & 7) as u8)
    }

    /// DST as the unit reads it: all 32 bits in x2APIC mode, DST[15:8] in xAPIC mode.
    pub fn destination(self, x2apic: bool) -> u32 {
        let dst = (self.lo >> 32) as u32;
        if x2apic {
            dst
        } else {
            (dst >> 8) & 0xff
        }
    }

    /// URG (posted format).
    pub fn urgent(self) -> bool {
        self.lo & (1 << 14) != 0
    }

    /// The posted-interrupt descriptor address: PDA[31:6] in bits 63:38, PDA[63:32] in
    /// bits 127:96.
    pub fn pid_address(self) -> u64 {
        ((self.lo >> 38) << 6) | (self.hi >> 32) << 32
    }

    /// SVT, SQ and SID.
    pub fn source_check(self) -> SourceCheck {
        let sid = self.hi as u16;
        match (self.hi >> 18) & 3 {
            0 => SourceCheck::None,
            1 => SourceCheck::Exact {
                sid,
                sq: ((self.hi >> 16) & 3) as u8,
            },
            2 => SourceCheck::BusRange {
                start: (sid >> 8) as u8,
                end: sid as u8,
            },
            _ => SourceCheck::Reserved,
        }
    }

    /// Whether a present entry is invalid: reserved bits set, or a field holding a
    /// value the spec reserves (DLM 011/110, SVT 11), or the posted format on a unit
    /// without CAP.PI. Fault 0x24.
    pub fn invalid(self, x2apic: bool, cap: Cap) -> bool {
        if self.source_check() == SourceCheck::Reserved {
            return true;
        }
        if self.posted() {
            return !cap.pi() || self.lo & POSTED_LO != 0 || self.hi & POSTED_HI != 0;
        }
        let lo_mask = if x2apic {
            REMAPPED_X2APIC
        } else {
            REMAPPED_XAPIC
        };
        self.lo & lo_mask != 0
            || self.hi & REMAPPED_HI != 0
            || matches!(self.delivery(), DeliveryMode::Reserved(_))
    }

    /// A present remapped-format entry.
    pub fn remapped(
        vector: u8,
        destination: u32,
        x2apic: bool,
        delivery: DeliveryMode,
        source: SourceCheck,
    ) -> Self {
        let dst = if x2apic {
            u64::from(destination)
        } else {
            u64::from(destination & 0xff) << 8
        };
        let lo = 1 | u64::from(delivery.bits()) << 5 | u64::from(vector) << 16 | dst << 32;
        Irte {
            lo,
            hi: source_bits(source),
        }
    }

    /// A present posted-format entry pointing at the 64-byte-aligned descriptor `pid`.
    pub fn posted_to(vector: u8, pid: u64, urgent: bool, source: SourceCheck) -> Self {
        let lo = 1
            | 1 << 15
            | u64::from(urgent) << 14
            | u64::from(vector) << 16
            | ((pid & 0xffff_ffff) >> 6) << 38;
        Irte {
            lo,
            hi: source_bits(source) | (pid >> 32) << 32,
        }
    }

    /// The same entry with FPD set.
    pub fn with_fpd(self) -> Self {
        Irte {
            lo: self.lo | 2,
            ..self
        }
    }
}

fn source_bits(s: SourceCheck) -> u64 {
    match s {
        SourceCheck::None => 0,
        SourceCheck::Exact { sid, sq } => u64::from(sid) | u64::from(sq & 3) << 16 | 1 << 18,
        SourceCheck::BusRange { start, end } => u64::from(start) << 8 | u64::from(end) | 2 << 18,
        SourceCheck::Reserved => 3 << 18,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_the_constructors() {
        let s = SourceCheck::BusRange { start: 5, end: 7 };
        let e = Irte::remapped(0x31, 3, false, DeliveryMode::LowestPriority, s);
        assert!(e.present() && !e.posted() && !e.fpd());
        assert_eq!(e.vector(), 0x31);
        assert_eq!(e.destination(false), 3);
        assert_eq!(e.delivery(), DeliveryMode::LowestPriority);
        assert_eq!(e.source_check(), s);
        let cap = Cap::new().with_pi(true);
        assert!(!e.invalid(false, cap));
        let p = Irte::posted_to(0x41, 0x1_2345_6780, true, SourceCheck::None);
        assert!(p.posted() && p.urgent());
        assert_eq!(p.pid_address(), 0x1_2345_6780);
        assert!(!p.invalid(true, cap));
        assert!(p.invalid(true, Cap::new()), "posted format needs CAP.PI");
    }

    #[test]
    fn xapic_mode_reserves_the_destination_bits_outside_15_8() {
        let e = Irte::remapped(0x20, 0x1234, true, DeliveryMode::Fixed, SourceCheck::None);
        assert!(!e.invalid(true, Cap::new()));
        assert!(
            e.invalid(false, Cap::new()),
            "DST[7:0] is reserved in xAPIC mode"
        );
        let dlm = Irte {
            lo: 1 | 3 << 5,
            hi: 0,
        };
        assert!(dlm.invalid(true, Cap::new()), "DLM 011 is reserved");
    }

    #[test]
    fn source_checks() {
        let exact = SourceCheck::Exact { sid: 0x0108, sq: 0 };
        assert!(exact.allows(0x0108) && !exact.allows(0x0109));
        let f = SourceCheck::Exact { sid: 0x0108, sq: 3 };
        assert!(f.allows(0x010f) && !f.allows(0x0110));
        let bus = SourceCheck::BusRange { start: 2, end: 4 };
        assert!(
            bus.allows(0x0300) && bus.allows(0x04ff) && !bus.allows(0x0500) && !bus.allows(0x0100)
        );
        assert!(!SourceCheck::Reserved.allows(0));
    }
}

//! The translation structures in memory: root and context entries (legacy and
//! scalable), PASID directory and table entries, second- and first-level paging
//! entries. Field layouts per VT-d spec rev 4.1 §9; reserved-bit masks as QEMU and the
//! spec-derived VirtualBox header define them (docs/sources/vtd-spec.md §6).
//!
//! `haw` below is the host address width in bits: address bits at or above it are
//! reserved in every pointer.

/// Address bits 63:12 of an entry.
pub const ADDR_MASK: u64 = !0xfff;

/// Bits at or above `haw`.
pub fn above(haw: u32) -> u64 {
    if haw >= 64 {
        0
    } else {
        !((1u64 << haw) - 1)
    }
}

/// A legacy root entry (128-bit; one per bus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootEntry {
    /// Bits 63:0.
    pub lo: u64,
    /// Bits 127:64.
    pub hi: u64,
}

impl RootEntry {
    /// Present.
    pub fn present(self) -> bool {
        self.lo & 1 != 0
    }

    /// Context-table pointer.
    pub fn ctp(self) -> u64 {
        self.lo & ADDR_MASK
    }

    /// Reserved bits set (bits 11:1, above HAW, all of the upper half).
    pub fn reserved(self, haw: u32) -> bool {
        self.hi != 0 || self.lo & (0xffe | above(haw)) != 0
    }

    /// Scalable mode: whether the half serving `devfn` is present.
    pub fn sm_present(self, devfn: u8) -> bool {
        if devfn >= 0x80 {
            self.hi & 1 != 0
        } else {
            self.lo & 1 != 0
        }
    }

    /// Scalable mode: the context table for `devfn` (LCTP for 0–127, UCTP for 128–255).
    pub fn sm_ctp(self, devfn: u8) -> u64 {
        if devfn >= 0x80 {
            self.hi & ADDR_MASK
        } else {
            self.lo & ADDR_MASK
        }
    }

    /// Scalable mode reserved bits (both halves are checked).
    pub fn sm_reserved(self, haw: u32) -> bool {
        (self.lo | self.hi) & (0xffe | above(haw)) != 0
    }
}

/// Legacy context entry translation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TranslationType {
    /// 00: untranslated requests through second-level tables; translated requests blocked.
    Untranslated,
    /// 01: also translated requests and translation requests (device-TLB).
    All,
    /// 10: pass-through (untranslated requests use their address).
    PassThrough,
    /// 11: reserved.
    Reserved,
}

/// A legacy context entry (128-bit; one per devfn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextEntry {
    /// Bits 63:0.
    pub lo: u64,
    /// Bits 127:64.
    pub hi: u64,
}

impl ContextEntry {
    /// Present.
    pub fn present(self) -> bool {
        self.lo & 1 != 0
    }

    /// Fault processing disable.
    pub fn fpd(self) -> bool {
        self.lo & 2 != 0
    }

    /// Translation type.
    pub fn tt(self) -> TranslationType {
        match (self.lo >> 2) & 3 {
            0 => TranslationType::Untranslated,
            1 => TranslationType::All,
            2 => TranslationType::PassThrough,
            _ => TranslationType::Reserved,
        }
    }

    /// Second-level page-table pointer.
    pub fn slptptr(self) -> u64 {
        self.lo & ADDR_MASK
    }

    /// Address width field: AGAW = 30 + 9·AW, levels = AW + 2.
    pub fn aw(self) -> u32 {
        (self.hi & 7) as u32
    }

    /// Domain identifier.
    pub fn did(self) -> u16 {
        ((self.hi >> 8) & 0xffff) as u16
    }

    /// Reserved bits: 11:4 and above HAW in the low half; 71 and 127:88 in the high.
    pub fn reserved(self, haw: u32) -> bool {
        self.lo & (0xff0 | above(haw)) != 0 || self.hi & 0xffff_ffff_ff00_0080 != 0
    }
}

/// A scalable-mode context entry (256-bit; 128 per table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmContextEntry {
    /// The four quadwords.
    pub q: [u64; 4],
}

impl SmContextEntry {
    /// Present.
    pub fn present(self) -> bool {
        self.q[0] & 1 != 0
    }

    /// Fault processing disable.
    pub fn fpd(self) -> bool {
        self.q[0] & 2 != 0
    }

    /// Device-TLB enable.
    pub fn dte(self) -> bool {
        self.q[0] & 4 != 0
    }

    /// PASID enable (requests with PASID allowed).
    pub fn paside(self) -> bool {
        self.q[0] & 8 != 0
    }

    /// Page-request enable.
    pub fn pre(self) -> bool {
        self.q[0] & 0x10 != 0
    }

    /// PASID directory size: 2^(PDTS + 7) entries.
    pub fn pdts(self) -> u32 {
        ((self.q[0] >> 9) & 7) as u32
    }

    /// PASID directory pointer.
    pub fn pasid_dir(self) -> u64 {
        self.q[0] & ADDR_MASK
    }

    /// The PASID used for requests without one.
    pub fn rid_pasid(self) -> u32 {
        (self.q[1] & 0xf_ffff) as u32
    }

    /// Reserved bits.
    pub fn reserved(self, haw: u32) -> bool {
        self.q[0] & (0x1e0 | above(haw)) != 0
            || self.q[1] & 0xffff_ffff_ffe0_0000 != 0
            || self.q[2] != 0
            || self.q[3] != 0
    }

    /// The largest PASID the directory can index.
    pub fn max_pasid(self) -> u32 {
        // 2^(PDTS+7) directory entries of 64 PASIDs each.
        (1u32 << (self.pdts() + 7 + 6)).saturating_sub(1)
    }
}

/// A PASID directory entry (64-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasidDirEntry(pub u64);

impl PasidDirEntry {
    /// Present.
    pub fn present(self) -> bool {
        self.0 & 1 != 0
    }

    /// Fault processing disable.
    pub fn fpd(self) -> bool {
        self.0 & 2 != 0
    }

    /// PASID table pointer.
    pub fn table(self) -> u64 {
        self.0 & ADDR_MASK
    }

    /// Reserved bits 11:2 and above HAW.
    pub fn reserved(self, haw: u32) -> bool {
        self.0 & (0xffc | above(haw)) != 0
    }
}

/// PASID-granular translation types (PASID entry bits 8:6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pgtt {
    /// First-level only.
    FirstLevel,
    /// Second-level only.
    SecondLevel,
    /// Nested: first-level output translated by second-level.
    Nested,
    /// Pass-through.
    PassThrough,
    /// Anything else.
    Reserved(u8),
}

/// A scalable-mode PASID table entry (512-bit; 64 per table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasidEntry {
    /// The eight quadwords.
    pub q: [u64; 8],
}

impl PasidEntry {
    /// Present.
    pub fn present(self) -> bool {
        self.q[0] & 1 != 0
    }

    /// Fault processing disable.
    pub fn fpd(self) -> bool {
        self.q[0] & 2 != 0
    }

    /// Second-level address width (levels = AW + 2).
    pub fn aw(self) -> u32 {
        ((self.q[0] >> 2) & 7) as u32
    }

    /// Second-level execute enable.
    pub fn slee(self) -> bool {
        self.q[0] & 0x20 != 0
    }

    /// Translation type.
    pub fn pgtt(self) -> Pgtt {
        match ((self.q[0] >> 6) & 7) as u8 {
            1 => Pgtt::FirstLevel,
            2 => Pgtt::SecondLevel,
            3 => Pgtt::Nested,
            4 => Pgtt::PassThrough,
            other => Pgtt::Reserved(other),
        }
    }

    /// Second-level page-table pointer.
    pub fn slptptr(self) -> u64 {
        self.q[0] & ADDR_MASK
    }

    /// Domain identifier.
    pub fn did(self) -> u16 {
        (self.q[1] & 0xffff) as u16
    }

    /// Page snoop: every access through this PASID is snooped.
    pub fn pgsnp(self) -> bool {
        self.q[1] & (1 << 24) != 0
    }

    /// Supervisor requests enable.
    pub fn sre(self) -> bool {
        self.q[2] & 1 != 0
    }

    /// Execute requests enable.
    pub fn ere(self) -> bool {
        self.q[2] & 2 != 0
    }

    /// First-level paging mode: 0 = 4-level, 1 = 5-level.
    pub fn flpm(self) -> u32 {
        ((self.q[2] >> 2) & 3) as u32
    }

    /// Write-protect enable (supervisor writes honour R/W).
    pub fn wpe(self) -> bool {
        self.q[2] & 0x10 != 0
    }

    /// No-execute enable (XD honoured).
    pub fn nxe(self) -> bool {
        self.q[2] & 0x20 != 0
    }

    /// Supervisor-mode execute prevention.
    pub fn smep(self) -> bool {
        self.q[2] & 0x40 != 0
    }

    /// First-level page-table pointer.
    pub fn flptptr(self) -> u64 {
        self.q[2] & ADDR_MASK
    }

    /// Reserved bits of the fields this model decodes: 11:10 of q0, 22:16 of q1,
    /// 11:8 of q2, and pointers above HAW. Quadwords 3–7 carry no fields in rev 4.1.
    pub fn reserved(self, haw: u32) -> bool {
        let pointer = |v: u64| v & ADDR_MASK & above(haw) != 0;
        self.q[0] & 0xc00 != 0
            || (self.pgtt() != Pgtt::FirstLevel && pointer(self.q[0]))
            || self.q[1] & 0x7f_0000 != 0
            || self.q[2] & 0xf00 != 0
            || (matches!(self.pgtt(), Pgtt::FirstLevel | Pgtt::Nested) && pointer(self.q[2]))
            || self.q[3..].iter().any(|&q| q != 0)
    }
}

/// Second-level paging entry bits.
pub mod sl {
    /// Read.
    pub const R: u64 = 1 << 0;
    /// Write.
    pub const W: u64 = 1 << 1;
    /// Execute (with SLEE).
    pub const X: u64 = 1 << 2;
    /// Page size (large page in a PDE or PDPE).
    pub const PS: u64 = 1 << 7;
    /// Snoop (leaf).
    pub const SNP: u64 = 1 << 11;
    /// Ignored bits 63 and 61:52, plus bit 10 (never reserved).
    pub const IGNORED: u64 = 0xbff0_0000_0000_0400;

    /// The reserved-bit mask of an entry at `level` (1 = PTE) under `haw`, for a
    /// leaf (`large` = PS set at level 2 or 3) or a non-leaf. SNP is reserved in
    /// non-leaf entries, and in leaves unless the unit has snoop control (`sc`);
    /// TM (bit 62) is reserved since rev 3.2.
    pub fn reserved(level: u32, large: bool, haw: u32, sc: bool) -> u64 {
        let addr = super::above(haw) & !IGNORED | (1 << 62);
        let leaf_snp = if sc { 0 } else { SNP };
        let low = match (level, large) {
            (1, _) => leaf_snp,
            (2, true) => 0x1f_f000 | leaf_snp,
            (3, true) => 0x3fff_f000 | leaf_snp,
            (2 | 3, false) => SNP,
            // PML4E / PML5E: PS is reserved too.
            _ => SNP | PS,
        };
        addr | low
    }
}

/// First-level (IA-32e) paging entry bits.
pub mod fl {
    /// Present.
    pub const P: u64 = 1 << 0;
    /// Writable.
    pub const RW: u64 = 1 << 1;
    /// User-accessible.
    pub const US: u64 = 1 << 2;
    /// Accessed.
    pub const A: u64 = 1 << 5;
    /// Dirty.
    pub const D: u64 = 1 << 6;
    /// Page size.
    pub const PS: u64 = 1 << 7;
    /// Execute disable.
    pub const XD: u64 = 1 << 63;

    /// Reserved bits of an entry at `level` under `haw`. Bits 62:52 are ignored; XD
    /// is reserved unless NXE is set.
    pub fn reserved(level: u32, large: bool, haw: u32, nxe: bool) -> u64 {
        let addr = super::above(haw) & 0x000f_ffff_ffff_ffff;
        let low = match (level, large) {
            (2, true) => 0x1f_e000,
            (3, true) => 0x3fff_e000,
            (1..=3, _) => 0,
            _ => PS,
        };
        addr | low | if nxe { 0 } else { XD }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_masks_match_qemus_for_39_and_48_bits() {
        // docs/sources/vtd-spec.md §6.7 (QEMU 9.2, stale-tm off).
        assert_eq!(sl::reserved(1, false, 39, false), 0x400f_ff80_0000_0800);
        assert_eq!(sl::reserved(1, false, 39, true), 0x400f_ff80_0000_0000);
        assert_eq!(sl::reserved(2, false, 39, true), 0x400f_ff80_0000_0800);
        assert_eq!(sl::reserved(4, false, 48, false), 0x400f_0000_0000_0880);
        assert_eq!(sl::reserved(2, true, 39, false), 0x400f_ff80_001f_f800);
        assert_eq!(sl::reserved(3, true, 48, false), 0x400f_0000_3fff_f800);
        assert_eq!(fl::reserved(4, false, 48, true), 0x000f_0000_0000_0080);
        assert_eq!(fl::reserved(2, true, 39, true), 0x000f_ff80_001f_e000);
    }

    #[test]
    fn entries_decode_their_fields() {
        let c = ContextEntry {
            lo: 0x1234_5000 | 0b0111,
            hi: 0x4201,
        };
        assert!(c.present() && c.fpd());
        assert_eq!(c.tt(), TranslationType::All);
        assert_eq!((c.slptptr(), c.aw(), c.did()), (0x1234_5000, 1, 0x42));
        assert!(!c.reserved(39));
        assert!(ContextEntry { lo: 1 << 40, hi: 0 }.reserved(39));
        let r = RootEntry {
            lo: 0x1000 | 1,
            hi: 0x2000 | 1,
        };
        assert_eq!((r.sm_ctp(0x7f), r.sm_ctp(0x80)), (0x1000, 0x2000));
        let p = PasidEntry {
            q: [0x5000 | 2 << 6 | 2 << 2 | 1, 7 | 1 << 24, 0, 0, 0, 0, 0, 0],
        };
        assert_eq!(
            (p.pgtt(), p.aw(), p.did(), p.pgsnp()),
            (Pgtt::SecondLevel, 2, 7, true)
        );
    }
}

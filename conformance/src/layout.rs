//! The VT-d register page and in-memory structures, written from the specification
//! (Intel VT-d architecture specification rev 4.1/5.0: §10 registers, §9 structures,
//! §6.5.2 descriptors, §5.1 interrupt remapping), independently of `vtd-model`: a
//! scenario spells out the bits it writes, so the model cannot agree with itself.

use serde::Serialize;

/// A register of the remapping unit's page. IVA/IOTLB and the fault recording
/// registers sit at offsets the capability registers give (ECAP.IRO, CAP.FRO), so a
/// scenario names them and the runner places them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Reg {
    /// Version (0x00).
    Ver,
    /// Capability (0x08).
    Cap,
    /// Extended capability (0x10).
    Ecap,
    /// Global command (0x18).
    Gcmd,
    /// Global status (0x1C).
    Gsts,
    /// Root table address (0x20).
    Rtaddr,
    /// Context command (0x28).
    Ccmd,
    /// Fault status (0x34).
    Fsts,
    /// Fault event control (0x38).
    Fectl,
    /// Fault event data (0x3C).
    Fedata,
    /// Fault event address (0x40).
    Feaddr,
    /// Fault event upper address (0x44).
    Feuaddr,
    /// Advanced fault log (0x58).
    Aflog,
    /// Protected memory enable (0x64).
    Pmen,
    /// Protected low-memory base (0x68).
    Plmbase,
    /// Protected low-memory limit (0x6C).
    Plmlimit,
    /// Protected high-memory base (0x70).
    Phmbase,
    /// Protected high-memory limit (0x78).
    Phmlimit,
    /// Invalidation queue head (0x80).
    Iqh,
    /// Invalidation queue tail (0x88).
    Iqt,
    /// Invalidation queue address (0x90).
    Iqa,
    /// Invalidation completion status (0x9C).
    Ics,
    /// Invalidation event control (0xA0).
    Iectl,
    /// Invalidation event data (0xA4).
    Iedata,
    /// Invalidation event address (0xA8).
    Ieaddr,
    /// Invalidation event upper address (0xAC).
    Ieuaddr,
    /// Invalidation queue error record (0xB0).
    Iqercd,
    /// Interrupt remapping table address (0xB8).
    Irta,
    /// Invalidate address (ECAP.IRO × 16).
    Iva,
    /// IOTLB invalidate (ECAP.IRO × 16 + 8).
    Iotlb,
    /// Fault recording register `n`, low quadword (fault info).
    FrcdLo(u8),
    /// Fault recording register `n`, high quadword (F, T, reason, SID).
    FrcdHi(u8),
    /// Any other offset.
    At(u32),
}

impl Reg {
    /// Every register a scenario can name, for the coverage table (fault recording
    /// registers as register 0).
    pub const ALL: [Reg; 33] = [
        Reg::Ver,
        Reg::Cap,
        Reg::Ecap,
        Reg::Gcmd,
        Reg::Gsts,
        Reg::Rtaddr,
        Reg::Ccmd,
        Reg::Fsts,
        Reg::Fectl,
        Reg::Fedata,
        Reg::Feaddr,
        Reg::Feuaddr,
        Reg::Aflog,
        Reg::Pmen,
        Reg::Plmbase,
        Reg::Plmlimit,
        Reg::Phmbase,
        Reg::Phmlimit,
        Reg::Iqh,
        Reg::Iqt,
        Reg::Iqa,
        Reg::Ics,
        Reg::Iectl,
        Reg::Iedata,
        Reg::Ieaddr,
        Reg::Ieuaddr,
        Reg::Iqercd,
        Reg::Irta,
        Reg::Iva,
        Reg::Iotlb,
        Reg::FrcdLo(0),
        Reg::FrcdHi(0),
        Reg::At(0xff8),
    ];

    /// The offset in the register page, given CAP and ECAP.
    pub fn offset(self, cap: u64, ecap: u64) -> u32 {
        let iro = ((ecap >> 8) & 0x3ff) as u32 * 16;
        let fro = ((cap >> 24) & 0x3ff) as u32 * 16;
        match self {
            Reg::Ver => 0x00,
            Reg::Cap => 0x08,
            Reg::Ecap => 0x10,
            Reg::Gcmd => 0x18,
            Reg::Gsts => 0x1c,
            Reg::Rtaddr => 0x20,
            Reg::Ccmd => 0x28,
            Reg::Fsts => 0x34,
            Reg::Fectl => 0x38,
            Reg::Fedata => 0x3c,
            Reg::Feaddr => 0x40,
            Reg::Feuaddr => 0x44,
            Reg::Aflog => 0x58,
            Reg::Pmen => 0x64,
            Reg::Plmbase => 0x68,
            Reg::Plmlimit => 0x6c,
            Reg::Phmbase => 0x70,
            Reg::Phmlimit => 0x78,
            Reg::Iqh => 0x80,
            Reg::Iqt => 0x88,
            Reg::Iqa => 0x90,
            Reg::Ics => 0x9c,
            Reg::Iectl => 0xa0,
            Reg::Iedata => 0xa4,
            Reg::Ieaddr => 0xa8,
            Reg::Ieuaddr => 0xac,
            Reg::Iqercd => 0xb0,
            Reg::Irta => 0xb8,
            Reg::Iva => iro,
            Reg::Iotlb => iro + 8,
            Reg::FrcdLo(n) => fro + u32::from(n) * 16,
            Reg::FrcdHi(n) => fro + u32::from(n) * 16 + 8,
            Reg::At(o) => o,
        }
    }

    /// The register's name as the spec writes it.
    pub fn name(self) -> String {
        match self {
            Reg::FrcdLo(n) => format!("FRCD{n}.lo"),
            Reg::FrcdHi(n) => format!("FRCD{n}.hi"),
            Reg::At(o) => format!("{o:#x}"),
            other => format!("{other:?}").to_uppercase(),
        }
    }

    /// The coverage key: fault recording registers count as one register.
    pub fn coverage_key(self) -> Reg {
        match self {
            Reg::FrcdLo(_) => Reg::FrcdLo(0),
            Reg::FrcdHi(_) => Reg::FrcdHi(0),
            Reg::At(_) => Reg::At(0xff8),
            r => r,
        }
    }
}

/// GCMD and GSTS bits (§11.4.4).
pub mod gcmd {
    /// Translation enable / status.
    pub const TE: u32 = 1 << 31;
    /// Set root table pointer / status.
    pub const SRTP: u32 = 1 << 30;
    /// Set fault log.
    pub const SFL: u32 = 1 << 29;
    /// Enable advanced fault logging.
    pub const EAFL: u32 = 1 << 28;
    /// Write buffer flush.
    pub const WBF: u32 = 1 << 27;
    /// Queued invalidation enable.
    pub const QIE: u32 = 1 << 26;
    /// Interrupt remapping enable.
    pub const IRE: u32 = 1 << 25;
    /// Set interrupt remap table pointer.
    pub const SIRTP: u32 = 1 << 24;
    /// Compatibility format interrupt.
    pub const CFI: u32 = 1 << 23;
    /// The bits software keeps when it writes GSTS back to GCMD (§11.4.4.1): the
    /// persistent enables, not the one-shot commands.
    pub const KEEP: u32 = 0x96ff_ffff;
}

/// FSTS bits (§11.4.9).
pub mod fsts {
    /// Primary fault overflow.
    pub const PFO: u64 = 1 << 0;
    /// Primary pending fault.
    pub const PPF: u64 = 1 << 1;
    /// Invalidation queue error.
    pub const IQE: u64 = 1 << 4;
    /// Invalidation completion error.
    pub const ICE: u64 = 1 << 5;
    /// Invalidation time-out error.
    pub const ITE: u64 = 1 << 6;
}

/// FECTL/IECTL bits.
pub mod ectl {
    /// Interrupt mask.
    pub const IM: u64 = 1 << 31;
    /// Interrupt pending.
    pub const IP: u64 = 1 << 30;
}

/// CCMD fields (§11.4.6).
pub mod ccmd {
    /// Invalidate context cache (and its busy bit).
    pub const ICC: u64 = 1 << 63;
    /// Global invalidation request.
    pub const GLOBAL: u64 = 1 << 61;
    /// Domain-selective request.
    pub const DOMAIN: u64 = 2 << 61;
    /// Device-selective request.
    pub const DEVICE: u64 = 3 << 61;
    /// The actual granularity field (CAIG, bits 60:59).
    pub const CAIG_MASK: u64 = 3 << 59;

    /// A domain- or device-selective request for `did` (and `sid`, `fm`).
    pub fn request(granularity: u64, did: u16, sid: u16, fm: u8) -> u64 {
        ICC | granularity | (u64::from(fm & 3) << 32) | (u64::from(sid) << 16) | u64::from(did)
    }
}

/// IOTLB invalidate register fields (§11.4.8.1).
pub mod iotlb {
    /// Invalidate IOTLB (and its busy bit).
    pub const IVT: u64 = 1 << 63;
    /// Global.
    pub const GLOBAL: u64 = 1 << 60;
    /// Domain-selective.
    pub const DOMAIN: u64 = 2 << 60;
    /// Page-selective within a domain.
    pub const PAGE: u64 = 3 << 60;
    /// The actual granularity field (IAIG, bits 58:57).
    pub const IAIG_MASK: u64 = 3 << 57;
    /// Drain reads.
    pub const DR: u64 = 1 << 49;
    /// Drain writes.
    pub const DW: u64 = 1 << 48;

    /// A request of `granularity` for `did`.
    pub fn request(granularity: u64, did: u16) -> u64 {
        IVT | granularity | (u64::from(did) << 32)
    }

    /// The IVA value for a page-selective request: address, invalidation hint, mask.
    pub fn iva(addr: u64, ih: bool, am: u8) -> u64 {
        (addr & !0xfff) | (u64::from(ih) << 6) | u64::from(am & 0x3f)
    }
}

/// Root and context entries (§9.1–§9.4).
pub mod entry {
    /// A legacy root entry's low quadword: the context table and Present.
    pub fn root(context_table: u64) -> u64 {
        (context_table & !0xfff) | 1
    }

    /// Context entry translation types (legacy).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Tt {
        /// Untranslated requests through second-level tables (00b).
        Multi = 0,
        /// As Multi, and translation requests allowed (01b, needs ECAP.DT).
        DeviceTlb = 1,
        /// Pass-through (10b, needs ECAP.PT).
        PassThrough = 2,
        /// Reserved (11b).
        Reserved = 3,
    }

    /// A legacy context entry: (low, high) quadwords.
    pub fn context(slptptr: u64, tt: Tt, aw: u8, did: u16, fpd: bool) -> (u64, u64) {
        let lo = (slptptr & !0xfff) | ((tt as u64) << 2) | (u64::from(fpd) << 1) | 1;
        let hi = (u64::from(did) << 8) | u64::from(aw & 7);
        (lo, hi)
    }

    /// A scalable-mode root entry: (lower context table pointer + LP, upper + UP).
    pub fn sm_root(lower: Option<u64>, upper: Option<u64>) -> (u64, u64) {
        let e = |p: Option<u64>| p.map_or(0, |a| (a & !0xfff) | 1);
        (e(lower), e(upper))
    }

    /// A scalable-mode context entry's first two quadwords: PASID directory, PDTS,
    /// and RID_PASID (the other two are reserved).
    pub fn sm_context(pasid_dir: u64, pdts: u8, rid_pasid: u32, fpd: bool) -> (u64, u64) {
        let lo = (pasid_dir & !0xfff) | (u64::from(pdts & 7) << 9) | (u64::from(fpd) << 1) | 1;
        (lo, u64::from(rid_pasid & 0xf_ffff))
    }

    /// A PASID directory entry.
    pub fn pasid_dir(table: u64) -> u64 {
        (table & !0xfff) | 1
    }

    /// PASID-granular translation types (PGTT, §9.6).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Pgtt {
        /// First-stage only.
        First = 1,
        /// Second-stage only.
        Second = 2,
        /// Nested.
        Nested = 3,
        /// Pass-through.
        PassThrough = 4,
    }

    /// A scalable-mode PASID table entry's first three quadwords (of eight).
    pub fn pasid(pgtt: Pgtt, sl_root: u64, aw: u8, did: u16, fl_root: u64) -> [u64; 3] {
        let q0 = (sl_root & !0xfff) | ((pgtt as u64) << 6) | (u64::from(aw & 7) << 2) | 1;
        let q1 = u64::from(did);
        let q2 = fl_root & !0xfff;
        [q0, q1, q2]
    }
}

/// Paging entries (§9.7, §9.8).
pub mod pte {
    /// Read.
    pub const R: u64 = 1 << 0;
    /// Write.
    pub const W: u64 = 1 << 1;
    /// Read and write.
    pub const RW: u64 = R | W;
    /// Page size (a large page at this level).
    pub const PS: u64 = 1 << 7;
    /// Snoop (second-level leaf, with ECAP.SC).
    pub const SNP: u64 = 1 << 11;
    /// Transient mapping.
    pub const TM: u64 = 1 << 62;

    /// A second-level entry: next table or page at `addr` with `bits`.
    pub fn sl(addr: u64, bits: u64) -> u64 {
        (addr & 0x000f_ffff_ffff_f000) | bits
    }

    /// First-level bits.
    pub mod fl {
        /// Present.
        pub const P: u64 = 1 << 0;
        /// Writable.
        pub const RW: u64 = 1 << 1;
        /// User.
        pub const US: u64 = 1 << 2;
        /// Accessed.
        pub const A: u64 = 1 << 5;
        /// Dirty.
        pub const D: u64 = 1 << 6;
        /// Page size.
        pub const PS: u64 = 1 << 7;
        /// Execute disable.
        pub const XD: u64 = 1 << 63;
    }

    /// The index of `iova` at `level` (1 = the 4 KiB level).
    pub fn index(iova: u64, level: u32) -> u64 {
        (iova >> (12 + 9 * (level - 1))) & 0x1ff
    }
}

/// Invalidation descriptors (§6.5.2), 128-bit: (low, high).
pub mod desc {
    /// Context-cache invalidation (type 1), global.
    pub fn cc_global() -> (u64, u64) {
        (0x1 | (1 << 4), 0)
    }

    /// Context-cache invalidation, domain-selective.
    pub fn cc_domain(did: u16) -> (u64, u64) {
        (0x1 | (2 << 4) | (u64::from(did) << 16), 0)
    }

    /// Context-cache invalidation, device-selective.
    pub fn cc_device(did: u16, sid: u16, fm: u8) -> (u64, u64) {
        (
            0x1 | (3 << 4)
                | (u64::from(did) << 16)
                | (u64::from(sid) << 32)
                | (u64::from(fm & 3) << 48),
            0,
        )
    }

    /// IOTLB invalidation (type 2), global, with drain bits.
    pub fn iotlb_global() -> (u64, u64) {
        (0x2 | (1 << 4), 0)
    }

    /// IOTLB invalidation, domain-selective.
    pub fn iotlb_domain(did: u16) -> (u64, u64) {
        (0x2 | (2 << 4) | (u64::from(did) << 16), 0)
    }

    /// IOTLB invalidation, page-selective within a domain.
    pub fn iotlb_page(did: u16, addr: u64, ih: bool, am: u8) -> (u64, u64) {
        (
            0x2 | (3 << 4) | (u64::from(did) << 16),
            (addr & !0xfff) | (u64::from(ih) << 6) | u64::from(am & 0x3f),
        )
    }

    /// Device-TLB invalidation (type 3): source-id, size bit, address.
    pub fn dev_tlb(sid: u16, addr: u64, s: bool) -> (u64, u64) {
        (
            0x3 | (u64::from(sid) << 32),
            (addr & !0xfff) | u64::from(s) << 11,
        )
    }

    /// PASID-based device-TLB invalidation (type 8): source-id, PASID, G (every PASID
    /// of the device), size bit, address.
    pub fn p_dev_tlb(sid: u16, pasid: u32, addr: u64, s: bool, all: bool) -> (u64, u64) {
        (
            0x8 | (u64::from(sid) << 16) | (u64::from(pasid & 0xf_ffff) << 32),
            (addr & !0xfff) | u64::from(s) << 11 | u64::from(all),
        )
    }

    /// Interrupt entry cache invalidation (type 4), global.
    pub fn iec_global() -> (u64, u64) {
        (0x4, 0)
    }

    /// Interrupt entry cache invalidation, index-selective with mask.
    pub fn iec_index(index: u16, im: u8) -> (u64, u64) {
        (
            0x4 | (1 << 4) | (u64::from(im & 0x1f) << 27) | (u64::from(index) << 32),
            0,
        )
    }

    /// Invalidation wait (type 5): interrupt flag, status write of `data` to `addr`,
    /// fence.
    pub fn wait(interrupt: bool, status: Option<(u64, u32)>, fence: bool) -> (u64, u64) {
        let mut lo = 0x5 | (u64::from(interrupt) << 4) | (u64::from(fence) << 6);
        let mut hi = 0;
        if let Some((addr, data)) = status {
            lo |= (1 << 5) | (u64::from(data) << 32);
            hi = addr & !3;
        }
        (lo, hi)
    }

    /// PASID-based IOTLB invalidation (type 6): granularity 2 = the non-global
    /// mappings of one PASID, 3 = pages of one PASID (hi: address, IH, AM); 0 and 1
    /// are reserved.
    pub fn p_iotlb(granularity: u8, did: u16, pasid: u32, addr: u64, am: u8) -> (u64, u64) {
        (
            0x6 | (u64::from(granularity & 3) << 4)
                | (u64::from(did) << 16)
                | (u64::from(pasid & 0xf_ffff) << 32),
            if granularity == 3 {
                (addr & !0xfff) | u64::from(am & 0x3f)
            } else {
                0
            },
        )
    }

    /// PASID-cache invalidation (type 7): granularity 0 = domain, 1 = one PASID,
    /// 3 = global.
    pub fn pc(granularity: u8, did: u16, pasid: u32) -> (u64, u64) {
        (
            0x7 | (u64::from(granularity & 3) << 4)
                | (u64::from(did) << 16)
                | (u64::from(pasid & 0xf_ffff) << 32),
            0,
        )
    }
}

/// Interrupt remapping (§5.1, §9.9, §9.10).
pub mod irte {
    /// A remapped-format IRTE: (low, high).
    #[derive(Debug, Clone, Copy)]
    pub struct Remapped {
        /// Vector.
        pub vector: u8,
        /// Destination ID (xAPIC: the APIC ID, placed in bits 15:8 of the field).
        pub dest: u32,
        /// Fault processing disable.
        pub fpd: bool,
        /// Logical destination mode.
        pub logical: bool,
        /// Level-triggered.
        pub level: bool,
        /// Source validation type (0 none, 1 SID with SQ, 2 bus range).
        pub svt: u8,
        /// Source-id qualifier.
        pub sq: u8,
        /// Source-id (or, for SVT=2, start bus in 15:8 and end bus in 7:0).
        pub sid: u16,
    }

    impl Remapped {
        /// A fixed, physical, edge-triggered entry for `vector` to APIC `apic` (xAPIC),
        /// no source validation.
        pub fn new(vector: u8, apic: u8) -> Self {
            Remapped {
                vector,
                dest: u32::from(apic) << 8,
                fpd: false,
                logical: false,
                level: false,
                svt: 0,
                sq: 0,
                sid: 0,
            }
        }

        /// With source-id verification of `sid`.
        pub fn verify(mut self, svt: u8, sq: u8, sid: u16) -> Self {
            self.svt = svt;
            self.sq = sq;
            self.sid = sid;
            self
        }

        /// The two quadwords (P set).
        pub fn encode(self) -> (u64, u64) {
            let lo = 1
                | (u64::from(self.fpd) << 1)
                | (u64::from(self.logical) << 2)
                | (u64::from(self.level) << 4)
                | (u64::from(self.vector) << 16)
                | (u64::from(self.dest) << 32);
            let hi = u64::from(self.sid)
                | (u64::from(self.sq & 3) << 16)
                | (u64::from(self.svt & 3) << 18);
            (lo, hi)
        }
    }

    /// A remappable-format MSI address for `handle` (SHV clear).
    pub fn msi_address(handle: u16) -> u64 {
        0xfee0_0000 | (u64::from(handle & 0x7fff) << 5) | (1 << 4) | (u64::from(handle >> 15) << 2)
    }

    /// A compatibility-format MSI address to xAPIC `apic` (physical).
    pub fn compat_address(apic: u8) -> u64 {
        0xfee0_0000 | (u64::from(apic) << 12)
    }
}

//! Invalidation descriptors: their fields, their reserved bits, and the checks hardware
//! applies before it accepts one (VT-d spec rev 4.1 §6.5.2). Field positions and
//! reserved masks follow VirtualBox's spec-derived `iommu-intel.h`, cross-checked with
//! QEMU 10.2 `intel_iommu_internal.h` and Linux 6.1 `iommu.h` (docs/sources/qi-ir.md
//! §A.2). Where QEMU is stricter, [`Rules::qemu`] selects its masks.

use crate::regs::{Cap, Ecap};

/// Descriptor width (IQA.DW).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Width {
    /// 128-bit descriptors (DW=0).
    #[default]
    Bits128,
    /// 256-bit descriptors (DW=1), needed in scalable mode.
    Bits256,
}

impl Width {
    /// Bytes per descriptor.
    pub fn bytes(self) -> u64 {
        match self {
            Width::Bits128 => 16,
            Width::Bits256 => 32,
        }
    }
}

/// Why the queue stopped: the IQEI code hardware writes to IQERCD[3:0] with FSTS.IQE
/// (VirtualBox `VTDIQEI`; the same meanings in the IQERCD text of Intel datasheets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Iqei {
    /// 1: the tail is beyond the queue.
    InvalidTail = 1,
    /// 2: reading the descriptor (or writing a wait descriptor's status) failed.
    FetchError = 2,
    /// 3: a type this unit does not support, or that this queue cannot hold.
    InvalidType = 3,
    /// 4: reserved bits set, or a field holds a value the spec reserves.
    Reserved = 4,
    /// 5: the descriptor width does not suit the translation mode (128-bit
    /// descriptors with a scalable-mode root table).
    InvalidWidth = 5,
    /// 6: IQT bit 4 set with 256-bit descriptors.
    TailMisaligned = 6,
    /// 7: RTADDR.TTM holds the reserved value 10b.
    InvalidTtm = 7,
}

impl Iqei {
    /// The code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// What it means.
    pub fn text(self) -> &'static str {
        match self {
            Iqei::InvalidTail => "invalid tail pointer",
            Iqei::FetchError => "descriptor fetch or status write error",
            Iqei::InvalidType => "invalid or unsupported descriptor type",
            Iqei::Reserved => "reserved field set in a descriptor",
            Iqei::InvalidWidth => "invalid descriptor width",
            Iqei::TailMisaligned => "queue tail misaligned for 256-bit descriptors",
            Iqei::InvalidTtm => "reserved translation table mode in RTADDR",
        }
    }
}

/// Context-cache invalidation granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextScope {
    /// Every context entry.
    Global,
    /// Every entry of a domain.
    Domain(u16),
    /// One device (source-id under the function mask) in a domain.
    Device {
        /// Domain.
        did: u16,
        /// Source-id.
        source_id: u16,
        /// Function mask: 0 none, 1 bit 2, 2 bits 2:1, 3 bits 2:0 ignored.
        fm: u8,
    },
}

/// IOTLB invalidation granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IotlbGranularity {
    /// Everything.
    Global,
    /// Every entry of the descriptor's domain.
    Domain,
    /// 2^`am` pages at `addr` in the domain.
    Page {
        /// Page address.
        addr: u64,
        /// Address mask.
        am: u8,
        /// Invalidation hint: only leaves changed.
        ih: bool,
    },
}

/// PASID-cache invalidation granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasidCacheScope {
    /// Every PASID entry of the domain (G=0).
    Domain,
    /// One PASID of the domain (G=1).
    Pasid(u32),
    /// Everything (G=3).
    Global,
}

/// A device-TLB (ATS) invalidation target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceTlbTarget {
    /// The device's source-id.
    pub source_id: u16,
    /// Physical-function source-id (with ECAP.DIT).
    pub pfsid: u16,
    /// Maximum invalidations pending.
    pub mip: u8,
    /// Page address (S=0) or the address that encodes the size (S=1).
    pub addr: u64,
    /// Size bit: the range is encoded by the lowest clear bit of ADDR[63:12].
    pub size: bool,
}

/// A decoded descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Descriptor {
    /// Type 1: context-cache invalidation.
    Context(ContextScope),
    /// Type 2: IOTLB invalidation.
    Iotlb {
        /// Domain (unused for global).
        did: u16,
        /// Granularity.
        granularity: IotlbGranularity,
        /// Drain reads.
        drain_reads: bool,
        /// Drain writes.
        drain_writes: bool,
    },
    /// Type 3: device-TLB invalidation.
    DeviceTlb(DeviceTlbTarget),
    /// Type 4: interrupt-entry-cache invalidation: everything, or the 2^mask entries
    /// of the block holding `index`.
    InterruptEntry {
        /// (IIDX, IM) for index-selective; None for global.
        block: Option<(u16, u8)>,
    },
    /// Type 5: invalidation wait.
    Wait {
        /// IF: raise the invalidation-completion event.
        interrupt: bool,
        /// SW: write this 32-bit value at this 4-byte-aligned address.
        status: Option<(u64, u32)>,
        /// FN: fetch nothing more until this completes.
        fence: bool,
        /// PD: drain page requests.
        page_drain: bool,
    },
    /// Type 6: PASID-based IOTLB invalidation.
    PasidIotlb {
        /// Domain.
        did: u16,
        /// PASID.
        pasid: u32,
        /// None: every entry of the PASID (G=2); Some: page-selective (G=3) with
        /// address, mask and hint.
        range: Option<(u64, u8, bool)>,
    },
    /// Type 7: PASID-cache invalidation.
    PasidCache {
        /// Domain.
        did: u16,
        /// Granularity.
        scope: PasidCacheScope,
    },
    /// Type 8: PASID-based device-TLB invalidation.
    PasidDeviceTlb {
        /// The device and range.
        target: DeviceTlbTarget,
        /// PASID.
        pasid: u32,
        /// G: every PASID of the device.
        all_pasids: bool,
    },
}

/// What decoding checks against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// CAP.
    pub cap: Cap,
    /// ECAP.
    pub ecap: Ecap,
    /// The queue's descriptor width.
    pub width: Width,
    /// QEMU's masks: PD and PFSID always reserved, a wait descriptor must set one of
    /// IF/SW/FN, every type is accepted whatever the capabilities say.
    pub qemu: bool,
}

/// Reserved bits of qword 0 and qword 1, per type (VirtualBox's fields; docs/sources/
/// qi-ir.md §A.2).
mod rsvd {
    pub const CONTEXT: (u64, u64) = (0xfffc_0000_0000_f1c0, u64::MAX);
    pub const IOTLB: (u64, u64) = (0xffff_ffff_0000_f100, 0xf80);
    /// PFSID (15:12, 63:52) is added when ECAP.DIT is clear.
    pub const DEVICE_TLB: (u64, u64) = (0x000f_0000_ffe0_01f0, 0xffe);
    pub const PFSID: u64 = 0xfff0_0000_0000_f000;
    pub const IEC: (u64, u64) = (0xffff_0000_07ff_f1e0, u64::MAX);
    /// PD (bit 7) is added when ECAP.PDS is clear.
    pub const WAIT: (u64, u64) = (0xffff_f100, 0x3);
    pub const PASID_IOTLB: (u64, u64) = (0xfff0_0000_0000_f1c0, 0xf80);
    pub const PASID_CACHE: (u64, u64) = (0xfff0_0000_0000_f1c0, u64::MAX);
    pub const PASID_DEVICE_TLB: (u64, u64) = (0, 0x7fe);
}

/// The descriptor type: qw0[3:0] with qw0[11:9] as bits 6:4.
pub fn type_of(qw0: u64) -> u8 {
    ((qw0 & 0xf) | (qw0 >> 5) & 0x70) as u8
}

fn check(raw: [u64; 4], (m0, m1): (u64, u64)) -> Result<(), Iqei> {
    if raw[0] & m0 != 0 || raw[1] & m1 != 0 || raw[2] != 0 || raw[3] != 0 {
        return Err(Iqei::Reserved);
    }
    Ok(())
}

fn device_tlb_target(qw0: u64, qw1: u64, sid: u16, mip: u8) -> DeviceTlbTarget {
    DeviceTlbTarget {
        source_id: sid,
        pfsid: (((qw0 >> 12) & 0xf) | ((qw0 >> 52) & 0xfff) << 4) as u16,
        mip,
        addr: qw1 & !0xfff,
        size: false,
    }
}

/// Decode and validate a descriptor. `raw` holds qwords 0–3 (2 and 3 are zero for a
/// 128-bit queue). The error is what hardware reports in IQERCD.IQEI.
pub fn decode(raw: [u64; 4], rules: &Rules) -> Result<Descriptor, Iqei> {
    let [q0, q1, ..] = raw;
    let wide = rules.width == Width::Bits256;
    let supported = |cap: bool| rules.qemu || cap;
    let did = ((q0 >> 16) & 0xffff) as u16;
    let pasid = ((q0 >> 32) & 0xf_ffff) as u32;
    let pfsid_rsvd = if rules.ecap.dit() && !rules.qemu {
        0
    } else {
        rsvd::PFSID
    };
    match type_of(q0) {
        1 => {
            check(raw, rsvd::CONTEXT)?;
            let scope = match (q0 >> 4) & 3 {
                1 => ContextScope::Global,
                2 => ContextScope::Domain(did),
                3 => ContextScope::Device {
                    did,
                    source_id: ((q0 >> 32) & 0xffff) as u16,
                    fm: ((q0 >> 48) & 3) as u8,
                },
                _ => return Err(Iqei::Reserved),
            };
            Ok(Descriptor::Context(scope))
        }
        2 => {
            check(raw, rsvd::IOTLB)?;
            let am = (q1 & 0x3f) as u8;
            let granularity = match (q0 >> 4) & 3 {
                1 => IotlbGranularity::Global,
                2 => IotlbGranularity::Domain,
                3 if am > rules.cap.mamv() => return Err(Iqei::Reserved),
                3 => IotlbGranularity::Page {
                    addr: q1 & !0xfff,
                    am,
                    ih: q1 & 0x40 != 0,
                },
                _ => return Err(Iqei::Reserved),
            };
            Ok(Descriptor::Iotlb {
                did,
                granularity,
                drain_reads: q0 & 0x80 != 0,
                drain_writes: q0 & 0x40 != 0,
            })
        }
        3 if supported(rules.ecap.dt()) => {
            let (m0, m1) = rsvd::DEVICE_TLB;
            let m0 = if rules.qemu {
                0xffff_0000_ffe0_f1f0
            } else {
                m0
            };
            check(raw, (m0 | pfsid_rsvd, m1))?;
            let sid = ((q0 >> 32) & 0xffff) as u16;
            let mut t = device_tlb_target(q0, q1, sid, ((q0 >> 16) & 0x1f) as u8);
            t.size = q1 & 1 != 0;
            Ok(Descriptor::DeviceTlb(t))
        }
        4 if supported(rules.ecap.ir()) => {
            check(raw, rsvd::IEC)?;
            let block = (q0 & 0x10 != 0)
                .then_some((((q0 >> 32) & 0xffff) as u16, ((q0 >> 27) & 0x1f) as u8));
            Ok(Descriptor::InterruptEntry { block })
        }
        5 => {
            let (mut m0, m1) = rsvd::WAIT;
            if rules.qemu || !rules.ecap.pds() {
                m0 |= 0x80;
            }
            check(raw, (m0, m1))?;
            let interrupt = q0 & 0x10 != 0;
            let sw = q0 & 0x20 != 0;
            let fence = q0 & 0x40 != 0;
            if rules.qemu && !(interrupt || sw || fence) {
                return Err(Iqei::Reserved);
            }
            Ok(Descriptor::Wait {
                interrupt,
                status: sw.then_some((q1 & !0x3, (q0 >> 32) as u32)),
                fence,
                page_drain: q0 & 0x80 != 0,
            })
        }
        6 if supported(rules.ecap.smts()) && wide => {
            check(raw, rsvd::PASID_IOTLB)?;
            let am = (q1 & 0x3f) as u8;
            let range = match (q0 >> 4) & 3 {
                2 => None,
                3 if am > rules.cap.mamv() => return Err(Iqei::Reserved),
                3 => Some((q1 & !0xfff, am, q1 & 0x40 != 0)),
                _ => return Err(Iqei::Reserved),
            };
            Ok(Descriptor::PasidIotlb { did, pasid, range })
        }
        7 if supported(rules.ecap.smts()) && wide => {
            check(raw, rsvd::PASID_CACHE)?;
            let scope = match (q0 >> 4) & 3 {
                0 => PasidCacheScope::Domain,
                1 => PasidCacheScope::Pasid(pasid),
                3 => PasidCacheScope::Global,
                _ => return Err(Iqei::Reserved),
            };
            Ok(Descriptor::PasidCache { did, scope })
        }
        8 if supported(rules.ecap.smts() && rules.ecap.dt()) && wide => {
            let m0 = if rules.qemu { 0xfff0_0000_0000_f000 } else { 0 };
            check(
                raw,
                (
                    rsvd::PASID_DEVICE_TLB.0 | m0 | pfsid_rsvd,
                    rsvd::PASID_DEVICE_TLB.1,
                ),
            )?;
            let sid = ((q0 >> 16) & 0xffff) as u16;
            let mut target = device_tlb_target(q0, q1, sid, ((q0 >> 4) & 0x1f) as u8);
            target.size = q1 & (1 << 11) != 0;
            Ok(Descriptor::PasidDeviceTlb {
                target,
                pasid,
                all_pasids: q1 & 1 != 0,
            })
        }
        _ => Err(Iqei::InvalidType),
    }
}

/// The descriptor's qwords 0 and 1 as software writes them (qwords 2 and 3 are zero).
pub fn encode(d: &Descriptor) -> [u64; 2] {
    let pfsid =
        |t: &DeviceTlbTarget| (u64::from(t.pfsid) & 0xf) << 12 | (u64::from(t.pfsid) >> 4) << 52;
    match *d {
        Descriptor::Context(scope) => {
            let q0 = match scope {
                ContextScope::Global => 1 << 4,
                ContextScope::Domain(did) => 2 << 4 | u64::from(did) << 16,
                ContextScope::Device { did, source_id, fm } => {
                    3 << 4
                        | u64::from(did) << 16
                        | u64::from(source_id) << 32
                        | u64::from(fm & 3) << 48
                }
            };
            [q0 | 1, 0]
        }
        Descriptor::Iotlb {
            did,
            granularity,
            drain_reads,
            drain_writes,
        } => {
            let (g, q1) = match granularity {
                IotlbGranularity::Global => (1, 0),
                IotlbGranularity::Domain => (2, 0),
                IotlbGranularity::Page { addr, am, ih } => (
                    3,
                    (addr & !0xfff) | u64::from(am & 0x3f) | u64::from(ih) << 6,
                ),
            };
            let q0 = 2
                | g << 4
                | u64::from(drain_writes) << 6
                | u64::from(drain_reads) << 7
                | u64::from(did) << 16;
            [q0, q1]
        }
        Descriptor::DeviceTlb(t) => [
            3 | pfsid(&t) | u64::from(t.mip & 0x1f) << 16 | u64::from(t.source_id) << 32,
            (t.addr & !0xfff) | u64::from(t.size),
        ],
        Descriptor::InterruptEntry { block } => {
            let q0 = match block {
                None => 4,
                Some((index, mask)) => {
                    4 | 1 << 4 | u64::from(mask & 0x1f) << 27 | u64::from(index) << 32
                }
            };
            [q0, 0]
        }
        Descriptor::Wait {
            interrupt,
            status,
            fence,
            page_drain,
        } => {
            let (addr, data) = status.unwrap_or((0, 0));
            let q0 = 5
                | u64::from(interrupt) << 4
                | u64::from(status.is_some()) << 5
                | u64::from(fence) << 6
                | u64::from(page_drain) << 7
                | u64::from(data) << 32;
            [q0, addr & !0x3]
        }
        Descriptor::PasidIotlb { did, pasid, range } => {
            let (g, q1) = match range {
                None => (2, 0),
                Some((addr, am, ih)) => (
                    3,
                    (addr & !0xfff) | u64::from(am & 0x3f) | u64::from(ih) << 6,
                ),
            };
            [
                6 | g << 4 | u64::from(did) << 16 | u64::from(pasid & 0xf_ffff) << 32,
                q1,
            ]
        }
        Descriptor::PasidCache { did, scope } => {
            let (g, pasid) = match scope {
                PasidCacheScope::Domain => (0, 0),
                PasidCacheScope::Pasid(p) => (1, p),
                PasidCacheScope::Global => (3, 0),
            };
            [
                7 | g << 4 | u64::from(did) << 16 | u64::from(pasid & 0xf_ffff) << 32,
                0,
            ]
        }
        Descriptor::PasidDeviceTlb {
            target: t,
            pasid,
            all_pasids,
        } => [
            8 | u64::from(t.mip & 0x1f) << 4
                | pfsid(&t)
                | u64::from(t.source_id) << 16
                | u64::from(pasid & 0xf_ffff) << 32,
            (t.addr & !0xfff) | u64::from(t.size) << 11 | u64::from(all_pasids),
        ],
    }
}

/// The byte range a device-TLB invalidation covers: one page, or with S=1 the
/// power-of-two range encoded by the lowest clear bit of ADDR[63:12] (PCIe ATS).
pub fn device_tlb_range(t: &DeviceTlbTarget) -> (u64, u64) {
    if !t.size {
        return (t.addr, 0x1000);
    }
    let ones = (t.addr >> 12).trailing_ones();
    if ones >= 52 {
        return (0, u64::MAX);
    }
    let size = 1u64 << (13 + ones);
    (t.addr & !(size - 1), size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(width: Width) -> Rules {
        Rules {
            cap: Cap::from_bits(0x00d2_008c_2226_0206),
            ecap: Ecap::from_bits(0xf00f4a).with_dt(true).with_smts(true),
            width,
            qemu: false,
        }
    }

    fn wide(d: [u64; 2]) -> [u64; 4] {
        [d[0], d[1], 0, 0]
    }

    #[test]
    fn every_descriptor_round_trips_through_encode_and_decode() {
        let t = DeviceTlbTarget {
            source_id: 0x0108,
            pfsid: 0,
            mip: 3,
            addr: 0x7000,
            size: true,
        };
        let all = [
            Descriptor::Context(ContextScope::Global),
            Descriptor::Context(ContextScope::Domain(7)),
            Descriptor::Context(ContextScope::Device {
                did: 7,
                source_id: 0x10,
                fm: 2,
            }),
            Descriptor::Iotlb {
                did: 3,
                granularity: IotlbGranularity::Page {
                    addr: 0x20_0000,
                    am: 9,
                    ih: true,
                },
                drain_reads: true,
                drain_writes: false,
            },
            Descriptor::DeviceTlb(t),
            Descriptor::InterruptEntry {
                block: Some((0x40, 3)),
            },
            Descriptor::InterruptEntry { block: None },
            Descriptor::Wait {
                interrupt: true,
                status: Some((0x1000, 0xdead)),
                fence: true,
                page_drain: false,
            },
            Descriptor::PasidIotlb {
                did: 2,
                pasid: 0x12345,
                range: Some((0x4000, 1, false)),
            },
            Descriptor::PasidCache {
                did: 2,
                scope: PasidCacheScope::Pasid(9),
            },
            Descriptor::PasidDeviceTlb {
                target: DeviceTlbTarget { size: false, ..t },
                pasid: 5,
                all_pasids: true,
            },
        ];
        for d in all {
            assert_eq!(
                decode(wide(encode(&d)), &rules(Width::Bits256)),
                Ok(d),
                "{d:?}"
            );
        }
    }

    #[test]
    fn reserved_bits_types_and_widths_are_rejected_with_their_codes() {
        let r = rules(Width::Bits128);
        let wait = encode(&Descriptor::Wait {
            interrupt: false,
            status: Some((0x1000, 1)),
            fence: false,
            page_drain: false,
        });
        assert!(decode(wide(wait), &r).is_ok());
        assert_eq!(
            decode([wait[0] | 1 << 8, wait[1], 0, 0], &r),
            Err(Iqei::Reserved)
        );
        assert_eq!(
            decode([wait[0] | 0x80, wait[1], 0, 0], &r),
            Err(Iqei::Reserved),
            "PD without ECAP.PDS"
        );
        assert_eq!(
            decode([wait[0], wait[1] | 1, 0, 0], &r),
            Err(Iqei::Reserved)
        );
        assert_eq!(
            decode([wait[0], wait[1], 1, 0], &r),
            Err(Iqei::Reserved),
            "qword 2"
        );
        assert_eq!(decode([0, 0, 0, 0], &r), Err(Iqei::InvalidType));
        assert_eq!(decode([9, 0, 0, 0], &r), Err(Iqei::InvalidType));
        assert_eq!(
            decode([1 | 1 << 9, 0, 0, 0], &r),
            Err(Iqei::InvalidType),
            "type[6:4]"
        );
        // Context-cache granularity 0 is reserved.
        assert_eq!(decode([1, 0, 0, 0], &r), Err(Iqei::Reserved));
        // AM above CAP.MAMV (18 on q35).
        let psi = encode(&Descriptor::Iotlb {
            did: 1,
            granularity: IotlbGranularity::Page {
                addr: 0,
                am: 19,
                ih: false,
            },
            drain_reads: false,
            drain_writes: false,
        });
        assert_eq!(decode(wide(psi), &r), Err(Iqei::Reserved));
        // PASID-based types need a 256-bit queue.
        let pc = encode(&Descriptor::PasidCache {
            did: 1,
            scope: PasidCacheScope::Global,
        });
        assert_eq!(decode(wide(pc), &r), Err(Iqei::InvalidType));
        assert!(decode(wide(pc), &rules(Width::Bits256)).is_ok());
        // PFSID is reserved without ECAP.DIT.
        let dev = encode(&Descriptor::DeviceTlb(DeviceTlbTarget {
            source_id: 8,
            pfsid: 0x11,
            mip: 0,
            addr: 0,
            size: false,
        }));
        assert_eq!(decode(wide(dev), &r), Err(Iqei::Reserved));
        let dit = Rules {
            ecap: r.ecap.with_dit(true),
            ..r
        };
        assert!(decode(wide(dev), &dit).is_ok());
    }

    #[test]
    fn qemu_rules_reject_an_empty_wait_and_accept_unsupported_types() {
        let empty = encode(&Descriptor::Wait {
            interrupt: false,
            status: None,
            fence: false,
            page_drain: false,
        });
        let mut r = rules(Width::Bits128);
        assert!(decode(wide(empty), &r).is_ok());
        r.qemu = true;
        assert_eq!(decode(wide(empty), &r), Err(Iqei::Reserved));
        r.ecap = r.ecap.with_ir(false);
        let iec = encode(&Descriptor::InterruptEntry { block: None });
        assert!(decode(wide(iec), &r).is_ok());
        r.qemu = false;
        assert_eq!(decode(wide(iec), &r), Err(Iqei::InvalidType));
    }

    #[test]
    fn device_tlb_size_encoding() {
        let t = |addr, size| DeviceTlbTarget {
            source_id: 0,
            pfsid: 0,
            mip: 0,
            addr,
            size,
        };
        assert_eq!(device_tlb_range(&t(0x5000, false)), (0x5000, 0x1000));
        assert_eq!(device_tlb_range(&t(0x4000, true)), (0x4000, 0x2000));
        assert_eq!(device_tlb_range(&t(0x5000, true)), (0x4000, 0x4000));
        assert_eq!(device_tlb_range(&t(0x7f_f000, true)), (0, 0x100_0000));
    }
}

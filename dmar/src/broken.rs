//! A structure-aware generator of broken tables, for fuzzing (`arbitrary` feature).
//!
//! Random bytes rarely get past a DMAR header; this describes tables the way firmware
//! writes them — a header, DRHDs, RMRRs, ATSRs, RHSAs, ANDDs, device scopes — and then
//! breaks them the ways firmware does: zero, short or overlong lengths, swapped RMRR
//! fields, odd scope paths, wrong checksums, truncation, trailing junk.

use crate::table::{
    Andd, Atsr, Body, DeviceScope, Drhd, RawStructure, Rhsa, Rmrr, Satc, ScopeKind, Sidp, Table,
};
use crate::text::Bytes;
use alloc::vec::Vec;
use arbitrary::{Arbitrary, Result, Unstructured};

/// How to break one length field.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum LengthFault {
    /// Keep the computed length.
    Keep,
    /// Zero.
    Zero,
    /// A small non-zero value below the header size.
    Tiny(u8),
    /// Computed length plus a delta (wrapping).
    Delta(i8),
}

/// A device scope to generate.
#[derive(Debug, Clone, Arbitrary)]
pub struct ScopeSpec {
    kind: u8,
    id: u8,
    bus: u8,
    path: Vec<(u8, u8)>,
    odd: Option<u8>,
    length: LengthFault,
}

/// A structure to generate.
#[derive(Debug, Clone, Arbitrary)]
pub enum StructureSpec {
    /// DRHD.
    Drhd {
        /// INCLUDE_PCI_ALL.
        include_all: bool,
        /// Segment.
        segment: u8,
        /// Base: one of a few realistic values or anything.
        base: BaseChoice,
        /// Scopes.
        scopes: Vec<ScopeSpec>,
        /// Length fault.
        length: LengthFault,
    },
    /// RMRR.
    Rmrr {
        /// Base page.
        base_page: u32,
        /// Pages.
        pages: u16,
        /// Swap base and end.
        swapped: bool,
        /// Unaligned by this many bytes.
        skew: u8,
        /// Scopes.
        scopes: Vec<ScopeSpec>,
        /// Length fault.
        length: LengthFault,
    },
    /// ATSR.
    Atsr {
        /// ALL_PORTS.
        all_ports: bool,
        /// Scopes.
        scopes: Vec<ScopeSpec>,
        /// Length fault.
        length: LengthFault,
    },
    /// RHSA.
    Rhsa {
        /// Base.
        base: BaseChoice,
        /// Domain.
        domain: u32,
        /// Length fault.
        length: LengthFault,
    },
    /// ANDD.
    Andd {
        /// Device number.
        number: u8,
        /// Name bytes (a NUL is added unless `unterminated`).
        name: Vec<u8>,
        /// Leave the NUL off.
        unterminated: bool,
        /// Length fault.
        length: LengthFault,
    },
    /// SATC.
    Satc {
        /// Scopes.
        scopes: Vec<ScopeSpec>,
    },
    /// SIDP.
    Sidp {
        /// Scopes.
        scopes: Vec<ScopeSpec>,
    },
    /// Anything else.
    Raw {
        /// Type code.
        code: u16,
        /// Body.
        bytes: Vec<u8>,
        /// Length fault.
        length: LengthFault,
    },
}

/// A register base.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum BaseChoice {
    /// 0xfed90000 + n pages.
    Typical(u8),
    /// Zero.
    Zero,
    /// All ones.
    AllOnes,
    /// Anything.
    Any(u64),
}

impl BaseChoice {
    fn value(self) -> u64 {
        match self {
            BaseChoice::Typical(n) => 0xfed9_0000 + (u64::from(n) << 12),
            BaseChoice::Zero => 0,
            BaseChoice::AllOnes => u64::MAX,
            BaseChoice::Any(v) => v,
        }
    }
}

/// A whole broken table.
#[derive(Debug, Clone, Arbitrary)]
pub struct BrokenTable {
    haw: u8,
    flags: u8,
    structures: Vec<StructureSpec>,
    header_length: LengthFault,
    bad_checksum: bool,
    truncate_by: Option<u8>,
    junk: Vec<u8>,
}

fn fault_u16(l: u16, f: LengthFault) -> u16 {
    match f {
        LengthFault::Keep => l,
        LengthFault::Zero => 0,
        LengthFault::Tiny(t) => u16::from(t % 4),
        LengthFault::Delta(d) => l.wrapping_add_signed(i16::from(d)),
    }
}

fn scopes(list: &[ScopeSpec]) -> Vec<DeviceScope> {
    list.iter()
        .take(8)
        .map(|s| {
            let path: Vec<(u8, u8)> = s.path.iter().take(4).copied().collect();
            let mut d = DeviceScope::new(ScopeKind::from_code(s.kind % 7), s.id, s.bus, &path);
            d.odd_byte = s.odd;
            d
        })
        .collect()
}

impl BrokenTable {
    /// Generate from fuzzer input.
    pub fn generate(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
        Ok(Self::arbitrary(u)?.bytes())
    }

    /// Build the table, then break it as described.
    pub fn bytes(&self) -> Vec<u8> {
        let mut t = Table::new("FUZZ", "BROKEN");
        t.host_address_width = self.haw;
        t.flags = crate::DmarFlags::from_bits_retain(self.flags);
        let mut faults = Vec::new();
        for s in self.structures.iter().take(12) {
            let (body, length, scope_specs): (Body, LengthFault, &[ScopeSpec]) = match s {
                StructureSpec::Drhd {
                    include_all,
                    segment,
                    base,
                    scopes: sc,
                    length,
                } => {
                    let mut d = Drhd::new(u16::from(*segment % 2), base.value());
                    if *include_all {
                        d = d.include_all();
                    }
                    d.scopes.entries = scopes(sc);
                    (d.into(), *length, sc)
                }
                StructureSpec::Rmrr {
                    base_page,
                    pages,
                    swapped,
                    skew,
                    scopes: sc,
                    length,
                } => {
                    let base = (u64::from(*base_page) << 12) + u64::from(*skew);
                    let end = base + (u64::from(*pages) << 12).max(1) - 1;
                    let mut r = if *swapped {
                        Rmrr::new(end, base)
                    } else {
                        Rmrr::new(base, end)
                    };
                    r.scopes.entries = scopes(sc);
                    (r.into(), *length, sc)
                }
                StructureSpec::Atsr {
                    all_ports,
                    scopes: sc,
                    length,
                } => {
                    let mut a = Atsr::new(0, *all_ports);
                    a.scopes.entries = scopes(sc);
                    (a.into(), *length, sc)
                }
                StructureSpec::Rhsa {
                    base,
                    domain,
                    length,
                } => (Rhsa::new(base.value(), *domain).into(), *length, &[]),
                StructureSpec::Andd {
                    number,
                    name,
                    unterminated,
                    length,
                } => {
                    let mut a = Andd::new(*number, "");
                    a.name = Bytes(name.iter().take(32).copied().filter(|&b| b != 0).collect());
                    if !*unterminated {
                        a.name.0.push(0);
                    }
                    (a.into(), *length, &[])
                }
                StructureSpec::Satc { scopes: sc } => {
                    let mut x = Satc::default();
                    x.scopes.entries = scopes(sc);
                    (x.into(), LengthFault::Keep, sc)
                }
                StructureSpec::Sidp { scopes: sc } => {
                    let mut x = Sidp::default();
                    x.scopes.entries = scopes(sc);
                    (x.into(), LengthFault::Keep, sc)
                }
                StructureSpec::Raw {
                    code,
                    bytes,
                    length,
                } => (
                    Body::Raw(RawStructure {
                        code: *code,
                        bytes: Bytes(bytes.iter().take(64).copied().collect()),
                    }),
                    *length,
                    &[],
                ),
            };
            faults.push((length, scope_specs));
            t = t.with(body);
        }
        if t.fix_lengths().is_err() {
            return t.encode();
        }
        for (s, (fault, specs)) in t.structures.iter_mut().zip(&faults) {
            s.length = fault_u16(s.length, *fault);
            if let Some(sc) = s.body.scopes_mut() {
                for (d, spec) in sc.entries.iter_mut().zip(specs.iter()) {
                    d.length = fault_u16(u16::from(d.length), spec.length) as u8;
                }
            }
        }
        let len = u16::try_from(t.header.length).unwrap_or(u16::MAX);
        t.header.length = u32::from(fault_u16(len, self.header_length));
        t.fix_checksum();
        if self.bad_checksum {
            t.header.checksum = t.header.checksum.wrapping_add(1);
        }
        let mut out = t.encode();
        if let Some(n) = self.truncate_by {
            out.truncate(out.len().saturating_sub(usize::from(n)));
        }
        out.extend(self.junk.iter().take(16));
        out
    }
}

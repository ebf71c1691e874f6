//! The owned, typed DMAR table.
//!
//! Every byte of the input has a home here, so [`Table::encode`] reproduces the input
//! exactly: stored lengths and checksums are kept as found (never recomputed unless
//! asked with [`Table::fix_lengths`] / [`Table::fix_checksum`]), reserved fields are
//! kept, unknown structure types are kept as raw bytes, and whatever a walk could not
//! decode is kept as [`Unparsed`] bytes together with the reason.

use crate::text::{Bytes, Id};
use crate::view::StopReason;
use alloc::vec::Vec;

bitflags::bitflags! {
    /// DMAR header flags (offset 37).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    #[cfg_attr(feature = "serde", serde(transparent))]
    pub struct DmarFlags: u8 {
        /// The platform supports interrupt remapping.
        const INTR_REMAP = 1 << 0;
        /// Firmware asks the OS not to enable x2APIC mode.
        const X2APIC_OPT_OUT = 1 << 1;
        /// Firmware has set up DMA protection and asks the OS to keep it (Thunderbolt
        /// "kernel DMA protection").
        const DMA_CTRL_PLATFORM_OPT_IN = 1 << 2;
        const _ = !0;
    }
}

bitflags::bitflags! {
    /// DRHD flags.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    #[cfg_attr(feature = "serde", serde(transparent))]
    pub struct DrhdFlags: u8 {
        /// The unit covers every PCI device of its segment not covered by another unit.
        const INCLUDE_PCI_ALL = 1 << 0;
        const _ = !0;
    }
}

bitflags::bitflags! {
    /// ATSR flags.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    #[cfg_attr(feature = "serde", serde(transparent))]
    pub struct AtsrFlags: u8 {
        /// Every root port of the segment supports ATS.
        const ALL_PORTS = 1 << 0;
        const _ = !0;
    }
}

bitflags::bitflags! {
    /// SATC flags.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    #[cfg_attr(feature = "serde", serde(transparent))]
    pub struct SatcFlags: u8 {
        /// The devices in scope require ATS to function.
        const ATC_REQUIRED = 1 << 0;
        const _ = !0;
    }
}

/// The ACPI header, field by field as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Header {
    /// `DMAR` (or `RMAD` once Xen has hidden it from dom0).
    pub signature: Id<4>,
    /// Declared table length.
    pub length: u32,
    /// Table revision.
    pub revision: u8,
    /// Stored checksum byte.
    pub checksum: u8,
    /// OEM ID.
    pub oem_id: Id<6>,
    /// OEM table ID.
    pub oem_table_id: Id<8>,
    /// OEM revision.
    pub oem_revision: u32,
    /// Creator (ASL compiler) ID.
    pub creator_id: Id<4>,
    /// Creator revision.
    pub creator_revision: u32,
}

/// A decoded DMAR table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Table {
    /// ACPI header.
    pub header: Header,
    /// Host address width field: the DMA address width minus one.
    pub host_address_width: u8,
    /// DMAR flags.
    pub flags: DmarFlags,
    /// The ten reserved bytes at offset 38.
    pub reserved: Bytes,
    /// Remapping structures in table order.
    pub structures: Vec<Structure>,
    /// Bytes of the structure area the walk could not decode, if it stopped early.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub unparsed: Option<Unparsed>,
    /// Input bytes past the declared table length.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Bytes::is_empty")
    )]
    pub excess: Bytes,
}

/// Bytes a walk could not decode, where it stopped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Unparsed {
    /// Absolute offset of the first undecoded byte.
    pub offset: usize,
    /// Why the walk stopped there.
    pub reason: StopReason,
    /// The undecoded bytes, up to the end of the enclosing region.
    pub bytes: Bytes,
}

/// One remapping structure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Structure {
    /// Absolute offset in the table (informational; ignored when encoding).
    #[cfg_attr(feature = "serde", serde(default))]
    pub offset: usize,
    /// The stored length field.
    pub length: u16,
    /// The typed contents.
    pub body: Body,
}

/// The contents of a remapping structure by type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
pub enum Body {
    /// DMA Remapping Hardware Unit Definition (type 0).
    Drhd(Drhd),
    /// Reserved Memory Region Reporting (type 1).
    Rmrr(Rmrr),
    /// Root Port ATS Capability Reporting (type 2).
    Atsr(Atsr),
    /// Remapping Hardware Static Affinity (type 3).
    Rhsa(Rhsa),
    /// ACPI Name-space Device Declaration (type 4).
    Andd(Andd),
    /// SoC Integrated Address Translation Cache (type 5).
    Satc(Satc),
    /// SoC Integrated Device Property (type 6).
    Sidp(Sidp),
    /// An unknown type, or a known type too short for its fields.
    Raw(RawStructure),
}

/// A structure kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RawStructure {
    /// The type field.
    pub code: u16,
    /// Everything after the 4-byte structure header.
    pub bytes: Bytes,
}

/// DRHD: one remapping unit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Drhd {
    /// Flags (`INCLUDE_PCI_ALL`).
    pub flags: DrhdFlags,
    /// Register set size field (2^N pages), zero before VT-d 3.0.
    pub size: u8,
    /// PCI segment.
    pub segment: u16,
    /// Register base address.
    pub register_base: u64,
    /// Device scopes.
    pub scopes: Scopes,
}

/// RMRR: memory a device DMAs to before and after the OS takes over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rmrr {
    /// Reserved field.
    pub reserved: u16,
    /// PCI segment.
    pub segment: u16,
    /// First byte.
    pub base: u64,
    /// Last byte (inclusive).
    pub end: u64,
    /// Device scopes.
    pub scopes: Scopes,
}

/// ATSR: root ports that support ATS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Atsr {
    /// Flags (`ALL_PORTS`).
    pub flags: AtsrFlags,
    /// Reserved byte.
    pub reserved: u8,
    /// PCI segment.
    pub segment: u16,
    /// Device scopes (bridges).
    pub scopes: Scopes,
}

/// RHSA: NUMA affinity of a remapping unit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rhsa {
    /// Reserved field.
    pub reserved: u32,
    /// Register base of the DRHD it describes.
    pub register_base: u64,
    /// Proximity domain.
    pub proximity_domain: u32,
    /// Bytes past the 20-byte layout.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Bytes::is_empty")
    )]
    pub tail: Bytes,
}

/// ANDD: an ACPI namespace device that issues DMA.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Andd {
    /// Reserved bytes.
    pub reserved: Bytes,
    /// ACPI device number, referenced by namespace-device scopes.
    pub device_number: u8,
    /// The namespace path bytes as stored (normally NUL-terminated).
    pub name: Bytes,
}

/// SATC: SoC-integrated devices with an address translation cache.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Satc {
    /// Flags (`ATC_REQUIRED`).
    pub flags: SatcFlags,
    /// Reserved byte.
    pub reserved: u8,
    /// PCI segment.
    pub segment: u16,
    /// Device scopes (endpoints).
    pub scopes: Scopes,
}

/// SIDP: SoC-integrated device properties.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sidp {
    /// Reserved field.
    pub reserved: u16,
    /// PCI segment.
    pub segment: u16,
    /// Device scopes.
    pub scopes: Scopes,
}

/// The device scopes of a structure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Scopes {
    /// Decoded entries in order.
    pub entries: Vec<DeviceScope>,
    /// Bytes the scope walk could not decode.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub unparsed: Option<Unparsed>,
}

/// Device scope types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// PCI endpoint device (1).
    Endpoint,
    /// PCI sub-hierarchy: a bridge and everything below it (2).
    Bridge,
    /// I/O APIC (3).
    IoApic,
    /// MSI-capable HPET (4).
    Hpet,
    /// ACPI namespace device (5).
    Namespace,
    /// Any other code.
    Other(u8),
}

impl ScopeKind {
    /// The type code.
    pub fn code(self) -> u8 {
        match self {
            ScopeKind::Endpoint => 1,
            ScopeKind::Bridge => 2,
            ScopeKind::IoApic => 3,
            ScopeKind::Hpet => 4,
            ScopeKind::Namespace => 5,
            ScopeKind::Other(c) => c,
        }
    }

    /// The kind for a type code.
    pub fn from_code(code: u8) -> Self {
        match code {
            1 => ScopeKind::Endpoint,
            2 => ScopeKind::Bridge,
            3 => ScopeKind::IoApic,
            4 => ScopeKind::Hpet,
            5 => ScopeKind::Namespace,
            c => ScopeKind::Other(c),
        }
    }

    /// Short name used in JSON and specs.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            ScopeKind::Endpoint => "endpoint",
            ScopeKind::Bridge => "bridge",
            ScopeKind::IoApic => "ioapic",
            ScopeKind::Hpet => "hpet",
            ScopeKind::Namespace => "namespace",
            ScopeKind::Other(_) => return None,
        })
    }

    /// Parse a short name.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ScopeKind::Endpoint,
            ScopeKind::Bridge,
            ScopeKind::IoApic,
            ScopeKind::Hpet,
            ScopeKind::Namespace,
        ]
        .into_iter()
        .find(|k| k.name() == Some(name))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ScopeKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.name() {
            Some(n) => s.serialize_str(n),
            None => s.serialize_u8(self.code()),
        }
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ScopeKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr<'a> {
            Code(u8),
            Name(&'a str),
        }
        match Repr::deserialize(d)? {
            Repr::Code(c) => Ok(ScopeKind::from_code(c)),
            Repr::Name(n) => ScopeKind::from_name(n).ok_or_else(|| {
                serde::de::Error::custom(alloc::format!(
                    "unknown scope type {n:?} (endpoint, bridge, ioapic, hpet, namespace, or a number)"
                ))
            }),
        }
    }
}

/// One hop of a scope path: device and function on the current bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PathEntry {
    /// Device number (0–31 when valid).
    pub device: u8,
    /// Function number (0–7 when valid).
    pub function: u8,
}

/// A scope path; almost every real one has one or two hops, kept inline.
pub type Path = smallvec::SmallVec<[PathEntry; 2]>;

/// A device scope entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeviceScope {
    /// Absolute offset in the table (informational; ignored when encoding).
    #[cfg_attr(feature = "serde", serde(default))]
    pub offset: usize,
    /// Scope type.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: ScopeKind,
    /// The stored length field.
    pub length: u8,
    /// Flags byte.
    #[cfg_attr(feature = "serde", serde(default))]
    pub flags: u8,
    /// Reserved byte.
    #[cfg_attr(feature = "serde", serde(default))]
    pub reserved: u8,
    /// IOAPIC ID / HPET number / ANDD device number.
    pub enumeration_id: u8,
    /// Bus the path starts on.
    pub start_bus: u8,
    /// Path hops from the start bus.
    pub path: Path,
    /// A trailing byte that does not form a whole hop.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub odd_byte: Option<u8>,
}

impl Bytes {
    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Body {
    /// The structure type code.
    pub fn code(&self) -> u16 {
        use crate::layout::kind;
        match self {
            Body::Drhd(_) => kind::DRHD,
            Body::Rmrr(_) => kind::RMRR,
            Body::Atsr(_) => kind::ATSR,
            Body::Rhsa(_) => kind::RHSA,
            Body::Andd(_) => kind::ANDD,
            Body::Satc(_) => kind::SATC,
            Body::Sidp(_) => kind::SIDP,
            Body::Raw(r) => r.code,
        }
    }

    /// The device scopes, for types that have them.
    pub fn scopes(&self) -> Option<&Scopes> {
        match self {
            Body::Drhd(d) => Some(&d.scopes),
            Body::Rmrr(r) => Some(&r.scopes),
            Body::Atsr(a) => Some(&a.scopes),
            Body::Satc(s) => Some(&s.scopes),
            Body::Sidp(s) => Some(&s.scopes),
            Body::Rhsa(_) | Body::Andd(_) | Body::Raw(_) => None,
        }
    }

    /// Mutable device scopes, for types that have them.
    pub fn scopes_mut(&mut self) -> Option<&mut Scopes> {
        match self {
            Body::Drhd(d) => Some(&mut d.scopes),
            Body::Rmrr(r) => Some(&mut r.scopes),
            Body::Atsr(a) => Some(&mut a.scopes),
            Body::Satc(s) => Some(&mut s.scopes),
            Body::Sidp(s) => Some(&mut s.scopes),
            Body::Rhsa(_) | Body::Andd(_) | Body::Raw(_) => None,
        }
    }
}

/// The full name of a structure type, as the VT-d specification and iasl use it.
pub fn structure_name(code: u16) -> &'static str {
    match code {
        0 => "Hardware Unit Definition",
        1 => "Reserved Memory Region",
        2 => "Root Port ATS Capability",
        3 => "Remapping Hardware Static Affinity",
        4 => "ACPI Namespace Device Declaration",
        5 => "SoC Integrated Address Translation Cache",
        6 => "SoC Integrated Device Property",
        _ => "Unknown Subtable Type",
    }
}

/// The short (acronym) name of a structure type.
pub fn structure_acronym(code: u16) -> &'static str {
    match code {
        0 => "DRHD",
        1 => "RMRR",
        2 => "ATSR",
        3 => "RHSA",
        4 => "ANDD",
        5 => "SATC",
        6 => "SIDP",
        _ => "unknown",
    }
}

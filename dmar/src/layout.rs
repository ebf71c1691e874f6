//! On-disk layouts of the DMAR table, as zerocopy views.
//!
//! Every struct here is `repr(C)`, unaligned and made of little-endian integers, so a
//! view can be taken at any byte offset of an untrusted buffer without copying and
//! without alignment faults. Sizes are checked at compile time against the VT-d
//! specification (rev 4.1, §8) and ACPICA's `actbl1.h`.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// The 36-byte header every ACPI system description table starts with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct AcpiHeader {
    /// `DMAR` for a DMA remapping table.
    pub signature: [u8; 4],
    /// Length of the whole table in bytes, header included.
    pub length: U32,
    /// Table revision (1 for every DMAR seen in the wild).
    pub revision: u8,
    /// The whole table sums to zero modulo 256.
    pub checksum: u8,
    /// OEM identification.
    pub oem_id: [u8; 6],
    /// OEM's model identification for this table.
    pub oem_table_id: [u8; 8],
    /// OEM revision; Linux's initrd table upgrade needs a higher one.
    pub oem_revision: U32,
    /// Vendor ID of the tool that built the table.
    pub creator_id: [u8; 4],
    /// Revision of that tool.
    pub creator_revision: U32,
}

/// The DMAR-specific fields that follow the ACPI header (offset 36).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct DmarHeader {
    /// Maximum DMA physical address width minus one (e.g. 38 for 39 bits).
    pub host_address_width: u8,
    /// `INTR_REMAP` (bit 0), `X2APIC_OPT_OUT` (bit 1), `DMA_CTRL_PLATFORM_OPT_IN` (bit 2).
    pub flags: u8,
    /// Reserved, zero.
    pub reserved: [u8; 10],
}

/// Type and length that open every remapping structure.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct StructureHeader {
    /// Structure type (DRHD 0 … SIDP 6).
    pub kind: U16,
    /// Length of the structure in bytes, this header and device scopes included.
    pub length: U16,
}

/// DMA Remapping Hardware Unit Definition (type 0), after the structure header.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct DrhdFixed {
    /// Bit 0 `INCLUDE_PCI_ALL`.
    pub flags: u8,
    /// Register set size as 2^N 4 KiB pages (VT-d 3.0+; ACPICA 20200925 calls it Reserved).
    pub size: u8,
    /// PCI segment the unit serves.
    pub segment: U16,
    /// Base address of the unit's register set.
    pub register_base: U64,
}

/// Reserved Memory Region Reporting (type 1), after the structure header.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct RmrrFixed {
    /// Reserved, zero.
    pub reserved: U16,
    /// PCI segment of the devices in scope.
    pub segment: U16,
    /// First byte of the region (4 KiB aligned).
    pub base: U64,
    /// Last byte of the region (inclusive; `end + 1` is 4 KiB aligned).
    pub end: U64,
}

/// Root Port ATS Capability Reporting (type 2), after the structure header.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct AtsrFixed {
    /// Bit 0 `ALL_PORTS`.
    pub flags: u8,
    /// Reserved, zero.
    pub reserved: u8,
    /// PCI segment.
    pub segment: U16,
}

/// Remapping Hardware Static Affinity (type 3), after the structure header.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct RhsaFixed {
    /// Reserved, zero.
    pub reserved: U32,
    /// Register base of the DRHD this affinity applies to.
    pub register_base: U64,
    /// NUMA proximity domain.
    pub proximity_domain: U32,
}

/// ACPI Name-space Device Declaration (type 4), after the structure header; the
/// NUL-terminated namespace path follows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct AnddFixed {
    /// Reserved, zero.
    pub reserved: [u8; 3],
    /// Matches the enumeration ID of namespace-device scopes.
    pub device_number: u8,
}

/// SoC Integrated Address Translation Cache (type 5), after the structure header.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct SatcFixed {
    /// Bit 0 `ATC_REQUIRED`.
    pub flags: u8,
    /// Reserved, zero.
    pub reserved: u8,
    /// PCI segment.
    pub segment: U16,
}

/// SoC Integrated Device Property (type 6), after the structure header.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct SidpFixed {
    /// Reserved, zero.
    pub reserved: U16,
    /// PCI segment.
    pub segment: U16,
}

/// The fixed part of a device scope entry; `(length - 6) / 2` path entries follow.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct ScopeFixed {
    /// Scope type (endpoint 1 … namespace device 5).
    pub kind: u8,
    /// Length of this entry, path included.
    pub length: u8,
    /// Flags (VT-d 4.0+: bit 0 `REQ_WO_PASID_NESTED_NOTALLOWED` in SIDP scopes).
    pub flags: u8,
    /// Reserved, zero.
    pub reserved: u8,
    /// IOAPIC ID, HPET number or ANDD device number, by scope type.
    pub enumeration_id: u8,
    /// The bus number the path starts on.
    pub start_bus: u8,
}

/// One hop of a device scope path.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct PathEntryRaw {
    /// PCI device number.
    pub device: u8,
    /// PCI function number.
    pub function: u8,
}

/// Byte sizes of the layouts, named once.
pub mod size {
    use super::*;
    use core::mem::size_of;
    /// ACPI header.
    pub const ACPI_HEADER: usize = size_of::<AcpiHeader>();
    /// ACPI header plus the DMAR fields: where the first structure starts.
    pub const TABLE_HEADER: usize = ACPI_HEADER + size_of::<DmarHeader>();
    /// Remapping structure header.
    pub const STRUCTURE_HEADER: usize = size_of::<StructureHeader>();
    /// Device scope fixed part.
    pub const SCOPE_HEADER: usize = size_of::<ScopeFixed>();
    /// Each path hop.
    pub const PATH_ENTRY: usize = size_of::<PathEntryRaw>();
    /// Minimum length of each known structure type, header included.
    pub const DRHD: usize = STRUCTURE_HEADER + size_of::<DrhdFixed>();
    /// RMRR minimum length.
    pub const RMRR: usize = STRUCTURE_HEADER + size_of::<RmrrFixed>();
    /// ATSR minimum length.
    pub const ATSR: usize = STRUCTURE_HEADER + size_of::<AtsrFixed>();
    /// RHSA length.
    pub const RHSA: usize = STRUCTURE_HEADER + size_of::<RhsaFixed>();
    /// ANDD minimum length (without the name).
    pub const ANDD: usize = STRUCTURE_HEADER + size_of::<AnddFixed>();
    /// SATC minimum length.
    pub const SATC: usize = STRUCTURE_HEADER + size_of::<SatcFixed>();
    /// SIDP minimum length.
    pub const SIDP: usize = STRUCTURE_HEADER + size_of::<SidpFixed>();
}

const _: () = {
    assert!(size::ACPI_HEADER == 36);
    assert!(size::TABLE_HEADER == 48);
    assert!(size::DRHD == 16);
    assert!(size::RMRR == 24);
    assert!(size::ATSR == 8);
    assert!(size::RHSA == 20);
    assert!(size::ANDD == 8);
    assert!(size::SATC == 8);
    assert!(size::SIDP == 8);
    assert!(size::SCOPE_HEADER == 6);
};

/// Remapping structure type codes (VT-d spec §8.2, table 8-1).
pub mod kind {
    /// DMA Remapping Hardware Unit Definition.
    pub const DRHD: u16 = 0;
    /// Reserved Memory Region Reporting.
    pub const RMRR: u16 = 1;
    /// Root Port ATS Capability Reporting.
    pub const ATSR: u16 = 2;
    /// Remapping Hardware Static Affinity.
    pub const RHSA: u16 = 3;
    /// ACPI Name-space Device Declaration.
    pub const ANDD: u16 = 4;
    /// SoC Integrated Address Translation Cache.
    pub const SATC: u16 = 5;
    /// SoC Integrated Device Property.
    pub const SIDP: u16 = 6;
}

/// Device scope type codes (VT-d spec §8.3.1).
pub mod scope_kind {
    /// PCI endpoint device.
    pub const ENDPOINT: u8 = 1;
    /// PCI sub-hierarchy (bridge).
    pub const BRIDGE: u8 = 2;
    /// I/O APIC.
    pub const IOAPIC: u8 = 3;
    /// MSI-capable HPET.
    pub const HPET: u8 = 4;
    /// ACPI namespace device.
    pub const NAMESPACE: u8 = 5;
}

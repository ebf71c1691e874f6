//! Constructors for synthetic tables.
//!
//! Build the owned types, then [`Table::finish`] fills in every length and the
//! checksum. To make a deliberately broken table, change a length or the checksum after
//! `finish` (or use [`crate::spec`], which has override fields for exactly that).
//!
//! ```
//! use dmar::{Table, Drhd, Rmrr, DeviceScope};
//! let mut t = Table::new("INTEL ", "EXAMPLE ")
//!     .with(Drhd::new(0, 0xfed9_0000).include_all().scope(DeviceScope::ioapic(2, 0xf0, &[(0x1f, 0)])))
//!     .with(Rmrr::new(0x7f00_0000, 0x7f0f_ffff).scope(DeviceScope::endpoint(0, &[(0x14, 0)])));
//! t.finish().unwrap();
//! let bytes = t.encode();
//! assert_eq!(dmar::parse(&bytes).unwrap(), t);
//! ```

use crate::table::{
    Andd, Atsr, AtsrFlags, Body, DeviceScope, DmarFlags, Drhd, DrhdFlags, Header, PathEntry, Rhsa,
    Rmrr, Satc, Scopes, Sidp, Structure, Table,
};
use crate::text::{Bytes, Id};
use alloc::vec::Vec;

impl Table {
    /// An empty table: revision 1, a 39-bit host address width, interrupt remapping
    /// supported, creator `VTD `. IDs shorter than their field are space-padded.
    pub fn new(oem_id: &str, oem_table_id: &str) -> Self {
        Table {
            header: Header {
                signature: Id(*b"DMAR"),
                length: 0,
                revision: 1,
                checksum: 0,
                oem_id: Id::from_text(oem_id).unwrap_or(Id(*b"VTD   ")),
                oem_table_id: Id::from_text(oem_table_id).unwrap_or(Id(*b"VTD     ")),
                oem_revision: 1,
                creator_id: Id(*b"VTD "),
                creator_revision: 1,
            },
            host_address_width: 38,
            flags: DmarFlags::INTR_REMAP,
            reserved: Bytes(alloc::vec![0; 10]),
            structures: Vec::new(),
            unparsed: None,
            excess: Bytes::default(),
        }
    }

    /// Append a structure (its length is filled in by [`Table::finish`]).
    pub fn with(mut self, body: impl Into<Body>) -> Self {
        self.structures.push(Structure {
            offset: 0,
            length: 0,
            body: body.into(),
        });
        self
    }
}

impl DeviceScope {
    /// A scope of any type; the length is filled in by [`Table::finish`].
    pub fn new(
        kind: crate::ScopeKind,
        enumeration_id: u8,
        start_bus: u8,
        path: &[(u8, u8)],
    ) -> Self {
        DeviceScope {
            offset: 0,
            kind,
            length: 0,
            flags: 0,
            reserved: 0,
            enumeration_id,
            start_bus,
            path: path
                .iter()
                .map(|&(device, function)| PathEntry { device, function })
                .collect(),
            odd_byte: None,
        }
    }

    /// A PCI endpoint.
    pub fn endpoint(start_bus: u8, path: &[(u8, u8)]) -> Self {
        Self::new(crate::ScopeKind::Endpoint, 0, start_bus, path)
    }

    /// A PCI sub-hierarchy (the bridge at the end of the path and all below it).
    pub fn bridge(start_bus: u8, path: &[(u8, u8)]) -> Self {
        Self::new(crate::ScopeKind::Bridge, 0, start_bus, path)
    }

    /// An I/O APIC with the given APIC ID.
    pub fn ioapic(id: u8, start_bus: u8, path: &[(u8, u8)]) -> Self {
        Self::new(crate::ScopeKind::IoApic, id, start_bus, path)
    }

    /// An MSI-capable HPET with the given number.
    pub fn hpet(id: u8, start_bus: u8, path: &[(u8, u8)]) -> Self {
        Self::new(crate::ScopeKind::Hpet, id, start_bus, path)
    }

    /// An ACPI namespace device declared by the ANDD with `device_number`.
    pub fn namespace(device_number: u8, start_bus: u8, path: &[(u8, u8)]) -> Self {
        Self::new(crate::ScopeKind::Namespace, device_number, start_bus, path)
    }
}

impl Scopes {
    /// Scopes from a list of entries.
    pub fn of(entries: Vec<DeviceScope>) -> Self {
        Scopes {
            entries,
            unparsed: None,
        }
    }
}

impl Drhd {
    /// A unit on `segment` with registers at `register_base`.
    pub fn new(segment: u16, register_base: u64) -> Self {
        Drhd {
            segment,
            register_base,
            ..Drhd::default()
        }
    }

    /// Set `INCLUDE_PCI_ALL`.
    pub fn include_all(mut self) -> Self {
        self.flags |= DrhdFlags::INCLUDE_PCI_ALL;
        self
    }

    /// Add a scope.
    pub fn scope(mut self, s: DeviceScope) -> Self {
        self.scopes.entries.push(s);
        self
    }
}

impl Rmrr {
    /// A reserved region `[base, end]` (end inclusive) on segment 0.
    pub fn new(base: u64, end: u64) -> Self {
        Rmrr {
            base,
            end,
            ..Rmrr::default()
        }
    }

    /// Add a scope.
    pub fn scope(mut self, s: DeviceScope) -> Self {
        self.scopes.entries.push(s);
        self
    }
}

impl Atsr {
    /// An ATSR for `segment`; `all_ports` sets `ALL_PORTS`.
    pub fn new(segment: u16, all_ports: bool) -> Self {
        Atsr {
            segment,
            flags: if all_ports {
                AtsrFlags::ALL_PORTS
            } else {
                AtsrFlags::empty()
            },
            ..Atsr::default()
        }
    }

    /// Add a scope.
    pub fn scope(mut self, s: DeviceScope) -> Self {
        self.scopes.entries.push(s);
        self
    }
}

impl Rhsa {
    /// The proximity domain of the unit at `register_base`.
    pub fn new(register_base: u64, proximity_domain: u32) -> Self {
        Rhsa {
            register_base,
            proximity_domain,
            ..Rhsa::default()
        }
    }
}

impl Andd {
    /// Declare ACPI device `device_number` with namespace path `name` (NUL added).
    pub fn new(device_number: u8, name: &str) -> Self {
        let mut bytes = name.as_bytes().to_vec();
        bytes.push(0);
        Andd {
            reserved: Bytes(alloc::vec![0; 3]),
            device_number,
            name: Bytes(bytes),
        }
    }
}

macro_rules! into_body {
    ($($t:ident),*) => {$(
        impl From<$t> for Body {
            fn from(v: $t) -> Body {
                Body::$t(v)
            }
        }
    )*};
}
into_body!(Drhd, Rmrr, Atsr, Rhsa, Andd, Satc, Sidp);

//! What the checks need to know about the machine.

/// E820 type codes, as the ACPI specification numbers them.
pub mod e820 {
    /// Usable RAM.
    pub const RAM: u32 = 1;
    /// Reserved.
    pub const RESERVED: u32 = 2;
    /// ACPI reclaimable.
    pub const ACPI: u32 = 3;
    /// ACPI non-volatile storage.
    pub const NVS: u32 = 4;
    /// Unusable.
    pub const UNUSABLE: u32 = 5;
}

/// A PCI function as the DMAR checks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PciFunction {
    /// Header type 1 (PCI-to-PCI bridge, including PCIe root and downstream ports).
    pub is_bridge: bool,
    /// For a bridge: the bus number behind it.
    pub secondary_bus: Option<u8>,
}

/// The machine a table is checked against: its memory map, PCI devices and I/O APICs.
///
/// Implemented by `vtd-machine` from a TOML description or from the running host.
pub trait Platform {
    /// Whether every byte of `[base, end]` (inclusive) lies in E820 ranges of type
    /// `kind` (see [`e820`]). Linux 6.1 accepts an RMRR in reserved or NVS memory
    /// (`arch_rmrr_sanity_check`); Xen 4.17 in reserved, NVS or ACPI memory
    /// (`e820_all_mapped` for each type in `acpi_parse_one_rmrr`).
    fn e820_covers(&self, base: u64, end: u64, kind: u32) -> bool;

    /// The PCI function at `segment:bus:device.function`, if present.
    fn pci_function(&self, segment: u16, bus: u8, device: u8, function: u8) -> Option<PciFunction>;

    /// The APIC IDs of the machine's I/O APICs (from the MADT), if known.
    fn ioapic_ids(&self) -> Option<&[u8]>;

    /// Whether the memory map is known (else memory checks are skipped).
    fn has_memory_map(&self) -> bool {
        true
    }

    /// Whether the PCI devices are known (else device checks are skipped).
    fn has_pci_devices(&self) -> bool {
        true
    }
}

/// Where a device-scope path leads on a machine, hop by hop from its start bus, reading
/// each bridge's secondary bus as Linux's `dmar_insert_dev_scope`, Xen's
/// `acpi_parse_dev_scope` and fwts do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathEnd {
    /// The function the last hop names, at `bus`.
    Found {
        /// The bus the last hop is on.
        bus: u8,
        /// The function found there.
        function: PciFunction,
    },
    /// Hop `hop` (0-based) names nothing at `bus`.
    Absent {
        /// Which hop.
        hop: usize,
        /// The bus it was looked for on.
        bus: u8,
    },
    /// Hop `hop`, before the last, is not a bridge: the rest of the path leads nowhere.
    NotBridge {
        /// Which hop.
        hop: usize,
        /// The bus it is on.
        bus: u8,
    },
}

/// Follow `path` (device, function hops) from `start_bus`; `None` for an empty path.
pub fn walk_path(
    p: &dyn Platform,
    segment: u16,
    start_bus: u8,
    path: impl ExactSizeIterator<Item = (u8, u8)>,
) -> Option<PathEnd> {
    let hops = path.len();
    let mut bus = start_bus;
    for (hop, (device, function)) in path.enumerate() {
        let Some(f) = p.pci_function(segment, bus, device, function) else {
            return Some(PathEnd::Absent { hop, bus });
        };
        if hop + 1 == hops {
            return Some(PathEnd::Found { bus, function: f });
        }
        match (f.is_bridge, f.secondary_bus) {
            (true, Some(secondary)) => bus = secondary,
            _ => return Some(PathEnd::NotBridge { hop, bus }),
        }
    }
    None
}

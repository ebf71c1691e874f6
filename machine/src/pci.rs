//! PCI functions.

use crate::Bdf;
use serde::Deserialize;

/// What a PCI function is, as far as DMA remapping cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PciKind {
    /// A PCI or PCIe endpoint (header type 0).
    #[default]
    Endpoint,
    /// A PCIe root port, switch port or PCI-PCI bridge (header type 1) whose children
    /// keep their own requester IDs.
    Bridge,
    /// A PCIe-to-PCI(-X) bridge: conventional devices behind it issue DMA with the
    /// bridge's requester ID (or secondary-bus alias), so VT-d cannot tell them apart
    /// and they must be assigned together.
    PcieToPciBridge,
}

impl PciKind {
    /// Header type 1.
    pub fn is_bridge(self) -> bool {
        matches!(self, PciKind::Bridge | PciKind::PcieToPciBridge)
    }
}

/// A memory BAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bar {
    /// Base address.
    pub base: u64,
    /// Size in bytes.
    pub size: u64,
}

/// One PCI function.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PciDevice {
    /// Address.
    pub bdf: Bdf,
    /// Endpoint or bridge.
    #[serde(default, rename = "type")]
    pub kind: PciKind,
    /// For bridges: the bus behind it.
    pub secondary_bus: Option<u8>,
    /// For bridges: the highest bus behind it.
    pub subordinate_bus: Option<u8>,
    /// Whether the function supports Function Level Reset.
    #[serde(default)]
    pub flr: bool,
    /// Class code (24 bits), e.g. 0x030000 for VGA.
    pub class: Option<u32>,
    /// Vendor ID; absent means Intel (0x8086), as on the VT-d boards described here.
    pub vendor: Option<u16>,
    /// Memory BARs.
    #[serde(default)]
    pub bars: Vec<Bar>,
    /// Free text (what the device is).
    #[serde(default)]
    pub name: String,
}

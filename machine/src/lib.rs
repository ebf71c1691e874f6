//! `vtd-machine`: the machine a DMAR table describes.
//!
//! A [`Machine`] is plain data: the E820 memory map, the PCI functions (with bridges,
//! FLR capability and BARs), the I/O APIC IDs from the MADT, the DMA its devices really
//! perform, and the dom0 type. It is read from TOML ([`Machine::from_toml`], the
//! `--machine FILE` flag and the `[machine]` table of a fixture) or from the running
//! host ([`Machine::from_host`], the `--host` flag), and it implements
//! [`dmar::Platform`] so the DMAR checks that need the machine can run.
//!
//! Where to start: [`Machine`]; the TOML format is documented on each field.
#![forbid(unsafe_code)]

mod bdf;
mod host;
mod memory;
mod pci;

pub use bdf::Bdf;
pub use memory::{E820Entry, E820Kind};
pub use pci::{Bar, PciDevice, PciKind};

use serde::Deserialize;
use std::path::Path;

/// A machine description.
///
/// ```toml
/// ioapics = [2]
/// dom0 = "pv"
/// x2apic = true
///
/// [[e820]]
/// base = 0x0
/// end = 0x9fbff
/// type = "ram"
///
/// [[pci]]
/// bdf = "00:1f.0"
///
/// [[dma]]
/// device = "00:1d.0"
/// base = 0x7f000000
/// end = 0x7f0fffff
/// note = "USB legacy keyboard emulation"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// The E820 memory map.
    #[serde(default)]
    pub e820: Vec<E820Entry>,
    /// PCI functions.
    #[serde(default)]
    pub pci: Vec<PciDevice>,
    /// APIC IDs of the I/O APICs (MADT); absent when unknown.
    pub ioapics: Option<Vec<u8>>,
    /// DMA the devices perform on their own (USB legacy emulation, IGD stolen memory,
    /// firmware agents): what RMRRs exist to keep working.
    #[serde(default)]
    pub dma: Vec<DeviceDma>,
    /// The Xen dom0 type, where it matters (inclusive mapping is PV-only in 4.17).
    pub dom0: Option<Dom0Kind>,
    /// Whether the CPU has x2APIC (Xen and Linux then turn interrupt remapping on in
    /// x2APIC mode early, before the rest of the IOMMU). Default true: every CPU since
    /// Nehalem-EP / Sandy Bridge.
    #[serde(default = "yes")]
    pub x2apic: bool,
}

/// DMA a device performs by itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDma {
    /// The requester.
    pub device: Bdf,
    /// First byte.
    pub base: u64,
    /// Last byte (inclusive).
    pub end: u64,
    /// Whether the device writes (else it only reads).
    #[serde(default = "yes")]
    pub write: bool,
    /// What it is.
    #[serde(default)]
    pub note: String,
}

fn yes() -> bool {
    true
}

/// Xen's dom0 flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dom0Kind {
    /// Paravirtualised dom0 (the classic one).
    Pv,
    /// PVH dom0.
    Pvh,
}

/// A machine description that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed or has an unknown field.
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: String,
        /// What is wrong, with line and column.
        source: toml::de::Error,
    },
    /// The description is inconsistent.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Machine {
    /// Parse a TOML description; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, Error> {
        let m: Machine = toml::from_str(text).map_err(|source| Error::Toml {
            path: origin.to_string(),
            source,
        })?;
        m.validate().map_err(|message| Error::Invalid {
            path: origin.to_string(),
            message,
        })?;
        Ok(m)
    }

    /// Read a TOML description from a file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Describe the running host from `/sys` (E820 from `/sys/firmware/memmap`, PCI from
    /// `/sys/bus/pci/devices`, I/O APICs from the MADT when readable).
    pub fn from_host() -> Result<Self, Error> {
        host::read(Path::new("/sys"))
    }

    /// Describe a host from a sysfs tree rooted elsewhere (for tests).
    pub fn from_sysfs(root: &Path) -> Result<Self, Error> {
        host::read(root)
    }

    fn validate(&self) -> Result<(), String> {
        for (i, e) in self.e820.iter().enumerate() {
            if e.end < e.base {
                return Err(format!(
                    "e820[{i}]: end 0x{:x} is below base 0x{:x}",
                    e.end, e.base
                ));
            }
        }
        for (i, d) in self.dma.iter().enumerate() {
            if d.end < d.base {
                return Err(format!(
                    "dma[{i}]: end 0x{:x} is below base 0x{:x}",
                    d.end, d.base
                ));
            }
        }
        for (i, p) in self.pci.iter().enumerate() {
            if let Some(j) = self.pci[..i].iter().position(|q| q.bdf == p.bdf) {
                return Err(format!("pci[{i}]: {} repeats pci[{j}]", p.bdf));
            }
        }
        Ok(())
    }

    /// The PCI function at `bdf`.
    pub fn device(&self, bdf: Bdf) -> Option<&PciDevice> {
        self.pci.iter().find(|p| p.bdf == bdf)
    }

    /// Whether `[base, end]` is covered by E820 entries of `kind` (adjacent entries
    /// join, as in Xen's `e820_all_mapped` and Linux's `e820__mapped_all`).
    pub fn e820_covers(&self, base: u64, end: u64, kind: E820Kind) -> bool {
        memory::covers(&self.e820, base, end, kind)
    }
}

impl dmar::Platform for Machine {
    fn e820_covers(&self, base: u64, end: u64, kind: u32) -> bool {
        Machine::e820_covers(self, base, end, E820Kind::from_code(kind))
    }

    fn pci_function(
        &self,
        segment: u16,
        bus: u8,
        device: u8,
        function: u8,
    ) -> Option<dmar::check::PciFunction> {
        let bdf = Bdf::new(segment, bus, device, function)?;
        self.device(bdf).map(|d| dmar::check::PciFunction {
            is_bridge: d.kind.is_bridge(),
            secondary_bus: d.secondary_bus,
        })
    }

    fn ioapic_ids(&self) -> Option<&[u8]> {
        self.ioapics.as_deref()
    }

    fn has_memory_map(&self) -> bool {
        !self.e820.is_empty()
    }

    fn has_pci_devices(&self) -> bool {
        !self.pci.is_empty()
    }
}

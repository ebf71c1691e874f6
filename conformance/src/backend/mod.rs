//! Backends: what runs a scenario. A backend opens a [`Session`] per scenario (a
//! fresh machine), and the runner drives the session with the scenario's steps.
//!
//! - `model`: `vtd-model` in process.
//! - `qemu`: QEMU's `intel-iommu` over qtest, DMA by QEMU's `edu` device.

pub mod apic;
pub mod model;
pub mod pci;
pub mod qemu;

use crate::scenario::{Config, DeviceEvent, Direction, DriverCase, Scenario, UnitOptions};
use vtd_machine::Bdf;

/// Why a backend could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The backend is not installed (e.g. no QEMU binary).
    #[error("{0}")]
    Missing(String),
    /// Starting or talking to the backend failed.
    #[error("{0}")]
    Io(String),
    /// The backend did not answer in time.
    #[error("time-out: {0}")]
    Timeout(String),
    /// The backend refused the access (e.g. a register access size the unit does not
    /// accept).
    #[error("refused: {0}")]
    Refused(String),
    /// The backend cannot do this at all.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// What a driver case came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverObserved {
    /// `booted`, `vtd_disabled`, `panic`, `hang`.
    pub outcome: String,
    /// The log.
    pub log: Vec<String>,
    /// Whether the machine's own DMA faulted after boot.
    pub faults: bool,
}

/// One open machine.
pub trait Session {
    /// Read `size` bytes of the unit's register page at `offset`.
    fn mmio_read(&mut self, offset: u32, size: u8) -> Result<u64, BackendError>;
    /// Write `size` bytes of the unit's register page at `offset`.
    fn mmio_write(&mut self, offset: u32, size: u8, value: u64) -> Result<(), BackendError>;
    /// Read guest memory.
    fn mem_read(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, BackendError>;
    /// Write guest memory.
    fn mem_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BackendError>;
    /// Read a PCI configuration dword.
    fn pci_read(&mut self, bdf: Bdf, offset: u8) -> Result<u32, BackendError>;
    /// Write a PCI configuration dword.
    fn pci_write(&mut self, bdf: Bdf, offset: u8, value: u32) -> Result<(), BackendError>;
    /// Run one DMA of the device's engine to completion.
    fn dma(
        &mut self,
        device: Bdf,
        dir: Direction,
        iova: u64,
        len: u16,
        buffer: u16,
    ) -> Result<(), BackendError>;
    /// The device signals an MSI.
    fn msi(&mut self, device: Bdf, addr: u64, data: u32) -> Result<(), BackendError>;
    /// Vectors pending in CPU 0's IRR, ascending.
    fn irr(&mut self) -> Result<Vec<u8>, BackendError>;
    /// A device event.
    fn device(&mut self, device: Bdf, event: DeviceEvent) -> Result<(), BackendError> {
        Err(BackendError::Unsupported(format!(
            "device event {event:?} at {device}"
        )))
    }
}

/// A backend.
pub trait Backend: Sync {
    /// Its name in reports (`model`, `qemu`).
    fn name(&self) -> &'static str;
    /// What it is, with its version, for the report.
    fn version(&self) -> String;
    /// Whether it runs `s`: `Err(deviation id)` names why not.
    fn supports(&self, s: &Scenario) -> Result<(), &'static str>;
    /// A fresh machine for `config`.
    fn open(&self, config: &Config) -> Result<Box<dyn Session>, BackendError>;
    /// Boot a driver case.
    fn driver(&self, case: &DriverCase) -> Result<DriverObserved, BackendError> {
        Err(BackendError::Unsupported(format!(
            "{} cannot boot {}",
            self.name(),
            case.personality
        )))
    }
}

/// VER, CAP and ECAP of QEMU 7.2's `intel-iommu` with these properties
/// (`hw/i386/intel_iommu.c` `vtd_init`; every combination the catalog uses is checked
/// against a running QEMU by `tests/catalog.rs`).
pub fn qemu_caps(o: &UnitOptions) -> (u32, u64, u64) {
    // FRO 0x22 (records at 0x220), NFR 0, ND 6 (16-bit DIDs), MAMV 18, PSI, SLLPS
    // 2M+1G, DRAIN (dma-drain defaults on), MGAW, SAGAW.
    let mgaw = u64::from(o.aw_bits - 1) << 16;
    let sagaw = if o.aw_bits == 48 { 0x6 << 8 } else { 0x2 << 8 };
    let mut cap = 0x00d2_008c_2200_0006 | mgaw | sagaw;
    if o.caching_mode {
        cap |= 1 << 7;
    }
    // QI, IRO 0xf0 (IVA at 0xf0), PT.
    let mut ecap = 0x2 | (0xf << 8) | (1 << 6);
    if o.intremap {
        ecap |= (1 << 3) | (0xf << 20);
    }
    if o.device_iotlb {
        ecap |= 1 << 2;
    }
    if o.snoop_control {
        ecap |= 1 << 7;
    }
    if o.scalable {
        // SMTS, SRS, SLTS.
        ecap |= (1 << 43) | (1 << 31) | (1 << 46);
    }
    if o.pasid {
        ecap |= 1 << 40;
    }
    (0x10, cap, ecap)
}

//! The model backend: `vtd-model` in process, with the scenario machine's devices
//! (edu's DMA engine and MSI capability) and CPU 0's local APIC around it.

use super::apic::Apic;
use super::pci::{self, ConfigSpace};
use super::{qemu_caps, Backend, BackendError, DriverObserved, Session};
use crate::builder::{EDU, EDU_BEHIND_BRIDGE};
use crate::scenario::{
    Config, DeviceEvent, Direction, DriverCase, Hardware, MachineKind, ReqAt, Scenario,
};
use std::collections::BTreeMap;
use vtd_machine::{Bdf, PciDevice, PciKind};
use vtd_model::ir::Delivery;
use vtd_model::regs::presets::{self, Preset};
use vtd_model::{GuestMemory, Platform, Unit, UnitConfig};

/// The unit's register base on every scenario machine.
pub const BASE: u64 = 0xfed9_0000;

/// `vtd-model`, as the spec describes the hardware (queued invalidation processed at
/// the tail write, the stale checker on).
#[derive(Debug, Clone, Copy, Default)]
pub struct ModelBackend;

/// The preset a configuration asks for.
pub fn preset(config: &Config) -> Result<Preset, BackendError> {
    let (ver, cap, ecap) = qemu_caps(&config.unit);
    let qemu = Preset {
        name: "qemu-7.2",
        description: "QEMU 7.2 intel-iommu with the scenario's properties",
        ver,
        cap,
        ecap,
        base: BASE,
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_init",
    };
    match config.hardware {
        Hardware::Qemu => Ok(qemu),
        Hardware::Preset(name) => presets::by_name(name)
            .map(|p| Preset { base: BASE, ..p })
            .ok_or_else(|| BackendError::Unsupported(format!("no preset named {name}"))),
        Hardware::Modified {
            cap_set,
            cap_clear,
            ecap_set,
            ecap_clear,
        } => Ok(Preset {
            cap: (cap | cap_set) & !cap_clear,
            ecap: (ecap | ecap_set) & !ecap_clear,
            ..qemu
        }),
    }
}

impl Backend for ModelBackend {
    fn name(&self) -> &'static str {
        "model"
    }

    fn version(&self) -> String {
        format!(
            "vtd-model {} in process (capability presets of vtd-model, QEMU 7.2's for QEMU-configured scenarios)",
            env!("CARGO_PKG_VERSION")
        )
    }

    fn supports(&self, _s: &Scenario) -> Result<(), &'static str> {
        Ok(())
    }

    fn open(&self, config: &Config) -> Result<Box<dyn Session>, BackendError> {
        Ok(Box::new(ModelSession::new(config)?))
    }

    fn driver(&self, case: &DriverCase) -> Result<DriverObserved, BackendError> {
        let personality: vtd_driver::Personality = case
            .personality
            .parse()
            .map_err(BackendError::Unsupported)?;
        let fixture = dmar_fixtures::get(case.fixture)
            .ok_or_else(|| BackendError::Unsupported(format!("no fixture {}", case.fixture)))?
            .map_err(|e| BackendError::Io(format!("fixture {}: {e}", case.fixture)))?;
        let boot = vtd_driver::boot(&vtd_driver::BootInput::new(
            personality,
            fixture.meta.machine.clone(),
            fixture.table.clone(),
            case.cmdline,
        ));
        let v = &boot.verdict;
        let outcome = serde_json::to_value(v.outcome)
            .ok()
            .and_then(|x| x.as_str().map(str::to_string))
            .unwrap_or_default();
        Ok(DriverObserved {
            outcome,
            log: v.log.iter().map(|l| l.text.clone()).collect(),
            faults: !v.faults.is_empty(),
        })
    }
}

/// One model machine.
pub struct ModelSession {
    platform: Platform,
    devices: BTreeMap<Bdf, Device>,
    apic: Apic,
}

/// An edu: its configuration space and DMA buffer.
struct Device {
    config: ConfigSpace,
    buffer: [u8; 4096],
}

impl ModelSession {
    /// A fresh machine for `config`.
    pub fn new(config: &Config) -> Result<Self, BackendError> {
        let preset = preset(config)?;
        let unit = Unit::new(UnitConfig::new(preset))
            .map_err(|e| BackendError::Unsupported(format!("capabilities: {e}")))?;
        let mut platform = Platform::q35(None);
        // Platform::q35 builds a default unit; replace it with ours.
        platform = Platform::new(
            platform.machine.clone(),
            vec![unit],
            vtd_model::platform::Scopes {
                include_all: vec![(0, 0)],
                ..Default::default()
            },
        );
        let mut devices = BTreeMap::new();
        devices.insert(
            EDU,
            Device {
                config: ConfigSpace::edu(pci::EDU_BAR),
                buffer: [0; 4096],
            },
        );
        if config.machine == MachineKind::Q35PciBridge {
            platform.add_device(PciDevice {
                bdf: pci::BRIDGE,
                kind: PciKind::PcieToPciBridge,
                secondary_bus: Some(1),
                subordinate_bus: Some(1),
                flr: false,
                class: Some(0x060400),
                vendor: Some(0x1b36),
                bars: Vec::new(),
                name: "pcie-pci-bridge".into(),
            });
            platform.add_device(PciDevice {
                bdf: EDU_BEHIND_BRIDGE,
                kind: PciKind::Endpoint,
                secondary_bus: None,
                subordinate_bus: None,
                flr: false,
                class: Some(0x00ff00),
                vendor: Some(0x1234),
                bars: Vec::new(),
                name: "QEMU edu".into(),
            });
            devices.insert(
                EDU_BEHIND_BRIDGE,
                Device {
                    config: ConfigSpace::edu(pci::EDU2_BAR),
                    buffer: [0; 4096],
                },
            );
        }
        Ok(ModelSession {
            platform,
            devices,
            apic: Apic::default(),
        })
    }

    /// Deliver the unit's own messages (fault and invalidation events) to the APIC.
    fn drain_events(&mut self) {
        for (_, e) in self.platform.take_events() {
            match e {
                vtd_model::event::Event::FaultInterrupt { addr, data }
                | vtd_model::event::Event::InvalidationComplete { addr, data } => {
                    self.apic.message(addr, data)
                }
                vtd_model::event::Event::PostedNotification {
                    vector,
                    destination,
                } => {
                    if destination == 0 {
                        self.apic.message(0xfee0_0000, u32::from(vector))
                    }
                }
                vtd_model::event::Event::DeviceTlbInvalidation { .. } => {}
            }
        }
    }

    fn device(&mut self, bdf: Bdf) -> Result<&mut Device, BackendError> {
        self.devices
            .get_mut(&bdf)
            .ok_or_else(|| BackendError::Unsupported(format!("no DMA-capable device at {bdf}")))
    }
}

impl Session for ModelSession {
    fn mmio_read(&mut self, offset: u32, size: u8) -> Result<u64, BackendError> {
        let v = self
            .platform
            .mmio_read(BASE + u64::from(offset), usize::from(size))
            .map_err(|e| BackendError::Refused(e.to_string()));
        self.drain_events();
        v
    }

    fn mmio_write(&mut self, offset: u32, size: u8, value: u64) -> Result<(), BackendError> {
        let r = self
            .platform
            .mmio_write(BASE + u64::from(offset), usize::from(size), value)
            .map_err(|e| BackendError::Refused(e.to_string()));
        self.drain_events();
        r
    }

    fn mem_read(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, BackendError> {
        let mut b = vec![0; len];
        self.platform
            .memory
            .read(addr, &mut b)
            .map_err(|e| BackendError::Refused(e.to_string()))?;
        Ok(b)
    }

    fn mem_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BackendError> {
        self.platform
            .memory
            .write(addr, data)
            .map_err(|e| BackendError::Refused(e.to_string()))
    }

    fn pci_read(&mut self, bdf: Bdf, offset: u8) -> Result<u32, BackendError> {
        Ok(self
            .devices
            .get(&bdf)
            .map_or(u32::MAX, |d| d.config.read(offset)))
    }

    fn pci_write(&mut self, bdf: Bdf, offset: u8, value: u32) -> Result<(), BackendError> {
        if let Some(d) = self.devices.get_mut(&bdf) {
            d.config.write(offset, value);
        }
        Ok(())
    }

    fn dma(
        &mut self,
        device: Bdf,
        dir: Direction,
        iova: u64,
        len: u16,
        buffer: u16,
    ) -> Result<(), BackendError> {
        let start = usize::from(buffer);
        let end = (start + usize::from(len)).min(4096);
        let dev = self.device(device)?;
        if !dev.config.bus_master() {
            // Without bus mastering the function issues no request at all.
            return Ok(());
        }
        let mut buf = dev.buffer;
        match dir {
            Direction::Read => {
                let mut data = vec![0u8; end - start];
                // A blocked read completes with an error; edu keeps what arrived
                // before it and zeros for the rest (QEMU reads unassigned memory as 0).
                if self.platform.dma_read(device, iova, &mut data).is_err() {
                    data.fill(0);
                }
                buf[start..end].copy_from_slice(&data);
            }
            Direction::Write if (0xfee0_0000..=0xfeef_ffff).contains(&iova) => {
                // A write to the interrupt address range is an interrupt request,
                // one per dword (the unit's interrupt window takes 4-byte writes).
                for (i, d) in buf[start..end].chunks_exact(4).enumerate() {
                    let data = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
                    let addr = iova + 4 * i as u64;
                    if let Ok(Delivery::Interrupt(x)) = self.platform.interrupt(device, addr, data)
                    {
                        self.apic.deliver(&x);
                    }
                }
            }
            Direction::Write => {
                // The unit records the fault; the write is dropped.
                let _ = self.platform.dma_write(device, iova, &buf[start..end]);
            }
        }
        self.device(device)?.buffer = buf;
        self.drain_events();
        Ok(())
    }

    fn msi(&mut self, device: Bdf, addr: u64, data: u32) -> Result<(), BackendError> {
        let dev = self.device(device)?;
        if !dev.config.bus_master() {
            return Ok(());
        }
        if let Ok(Delivery::Interrupt(i)) = self.platform.interrupt(device, addr, data) {
            self.apic.deliver(&i);
        }
        self.drain_events();
        Ok(())
    }

    fn device(&mut self, device: Bdf, event: DeviceEvent) -> Result<(), BackendError> {
        match event {
            DeviceEvent::Gone => self.platform.set_device_present(device, false),
            DeviceEvent::Request(r) => {
                use vtd_model::request::{Access, AddressType};
                let mut access = if r.write { Access::WRITE } else { Access::READ };
                access.set(Access::EXEC, r.exec);
                access.set(Access::PRIV, r.privileged);
                let at = match r.at {
                    ReqAt::Untranslated => AddressType::Untranslated,
                    ReqAt::TranslationRequest => AddressType::TranslationRequest,
                    ReqAt::Translated => AddressType::Translated,
                };
                // Translated or faulted: a fault is recorded by the unit, the
                // outcome of the request itself is not observed.
                let _ = self.platform.request(device, r.pasid, r.iova, access, at);
            }
            DeviceEvent::StrayCompletion => {
                let sid = self.platform.topology().source_id(device);
                if let Some(u) = self.platform.unit_mut(0) {
                    u.unexpected_invalidation_completion(sid);
                }
            }
        }
        self.drain_events();
        Ok(())
    }

    fn irr(&mut self) -> Result<Vec<u8>, BackendError> {
        self.drain_events();
        Ok(self.apic.pending())
    }
}

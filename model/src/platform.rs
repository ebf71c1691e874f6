//! A machine: guest memory, the PCI topology, and remapping units at their MMIO bases,
//! with device DMA routed to the unit whose scope covers the device.

use crate::event::Event;
use crate::ir::{Delivery, InterruptFault, InterruptRequest};
use crate::memory::{GuestMemory, MemError, SparseMemory, PAGE_SIZE};
use crate::regs::presets::{self, Preset};
use crate::regs::MmioError;
use crate::request::{Access, Request, Translation};
use crate::topology::Topology;
use crate::unit::{Blocked, Unit, UnitConfig};
use vtd_machine::{Bdf, E820Kind, Machine};

/// Which unit translates which devices (from the DRHD scopes).
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    /// Endpoints named by a DRHD: (device, unit).
    pub devices: Vec<(Bdf, usize)>,
    /// Buses behind a bridge named by a DRHD: (segment, first bus, last bus, unit).
    pub buses: Vec<(u16, u8, u8, usize)>,
    /// INCLUDE_PCI_ALL units by segment.
    pub include_all: Vec<(u16, usize)>,
}

impl Scopes {
    /// The unit for `bdf`.
    pub fn unit_for(&self, bdf: Bdf) -> Option<usize> {
        self.devices
            .iter()
            .find(|(d, _)| *d == bdf)
            .map(|(_, u)| *u)
            .or_else(|| {
                self.buses
                    .iter()
                    .find(|(s, lo, hi, _)| *s == bdf.segment && (*lo..=*hi).contains(&bdf.bus))
                    .map(|(.., u)| *u)
            })
            .or_else(|| {
                self.include_all
                    .iter()
                    .find(|(s, _)| *s == bdf.segment)
                    .map(|(_, u)| *u)
            })
    }
}

/// Why a device's DMA did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DmaError {
    /// No unit covers the device, and the machine has no such device.
    #[error("no device {0} on this machine")]
    NoDevice(Bdf),
    /// The unit blocked it.
    #[error("blocked by the remapping unit: {0:?}")]
    Blocked(Blocked),
    /// The translated address is outside memory.
    #[error(transparent)]
    Memory(#[from] MemError),
    /// A write to 0xFEEx_xxxx without PASID is an interrupt request, not DMA.
    #[error("address {0:#x} is in the interrupt range: use the interrupt path")]
    InterruptRange(u64),
}

/// Why a device's interrupt was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterruptError {
    /// No unit covers the device.
    #[error("no remapping unit covers {0}")]
    NoDevice(Bdf),
    /// The unit blocked it.
    #[error("{0}")]
    Fault(InterruptFault),
}

/// An MMIO access that reached no unit, or a bad register access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlatformMmioError {
    /// No unit's register page covers the address.
    #[error("no remapping unit at {0:#x}")]
    Unmapped(u64),
    /// The unit refused the access.
    #[error(transparent)]
    Register(#[from] MmioError),
}

/// Units, memory and devices.
#[derive(Debug, Clone)]
pub struct Platform {
    /// Guest physical memory.
    pub memory: SparseMemory,
    /// The machine description.
    pub machine: Machine,
    topology: Topology,
    units: Vec<Unit>,
    scopes: Scopes,
}

/// The E820 map and PCI devices of QEMU q35 with 512 MiB, `-device edu` at 00:01.0.
fn q35_machine() -> Machine {
    Machine::from_toml(
        r#"
        ioapics = [0]
        dom0 = "pv"
        [[e820]]
        base = 0x0
        end = 0x9fbff
        type = "ram"
        [[e820]]
        base = 0x9fc00
        end = 0x9ffff
        type = "reserved"
        [[e820]]
        base = 0xf0000
        end = 0xfffff
        type = "reserved"
        [[e820]]
        base = 0x100000
        end = 0x1ffdffff
        type = "ram"
        [[e820]]
        base = 0x1ffe0000
        end = 0x1fffffff
        type = "reserved"
        [[e820]]
        base = 0xb0000000
        end = 0xbfffffff
        type = "reserved"
        [[pci]]
        bdf = "00:00.0"
        name = "Q35 MCH"
        [[pci]]
        bdf = "00:01.0"
        name = "QEMU edu"
        [[pci]]
        bdf = "00:1f.0"
        name = "ICH9 LPC"
        [[pci]]
        bdf = "00:1f.2"
        name = "ICH9 AHCI"
        [[pci]]
        bdf = "00:1f.3"
        name = "ICH9 SMBus"
        "#,
        "q35",
    )
    .unwrap_or_default()
}

/// The top of RAM in the E820 map (memory beyond it does not answer reads).
fn ram_top(m: &Machine) -> u64 {
    m.e820
        .iter()
        .filter(|e| e.kind == E820Kind::Ram)
        .map(|e| e.end.saturating_add(1))
        .max()
        .unwrap_or(1 << 30)
}

impl Platform {
    /// QEMU q35 with 512 MiB, one unit (`preset`, default [`presets::QEMU_Q35`]) at
    /// 0xfed90000 covering every device.
    pub fn q35(preset: Option<Preset>) -> Self {
        let machine = q35_machine();
        let unit = Unit::new(UnitConfig::new(preset.unwrap_or(presets::QEMU_Q35)));
        let units = unit.into_iter().collect();
        Platform::new(
            machine,
            units,
            Scopes {
                include_all: vec![(0, 0)],
                ..Scopes::default()
            },
        )
    }

    /// A machine with these units and scopes; memory answers up to the top of RAM.
    pub fn new(machine: Machine, units: Vec<Unit>, scopes: Scopes) -> Self {
        Platform {
            memory: SparseMemory::new(ram_top(&machine)),
            topology: Topology::from_machine(&machine),
            machine,
            units,
            scopes,
        }
    }

    /// Units and scopes from a DMAR table: each DRHD becomes a unit with the preset
    /// `preset_for` picks for its register base (and the DRHD's base).
    pub fn from_dmar(
        table: &dmar::Table,
        machine: Machine,
        preset_for: impl Fn(u64) -> Preset,
    ) -> Result<Self, crate::regs::cap::CapError> {
        let mut units = Vec::new();
        let mut scopes = Scopes::default();
        for s in &table.structures {
            let dmar::Body::Drhd(d) = &s.body else {
                continue;
            };
            let index = units.len();
            let preset = Preset {
                base: d.register_base,
                ..preset_for(d.register_base)
            };
            units.push(Unit::new(UnitConfig::new(preset))?);
            if d.flags.contains(dmar::DrhdFlags::INCLUDE_PCI_ALL) {
                scopes.include_all.push((d.segment, index));
            }
            for sc in &d.scopes.entries {
                let hops = sc.path.iter().map(|p| (p.device, p.function));
                let Some(dmar::check::PathEnd::Found { bus, function }) =
                    dmar::check::walk_path(&machine, d.segment, sc.start_bus, hops)
                else {
                    continue;
                };
                let Some(last) = sc.path.last() else { continue };
                match (sc.kind, function.secondary_bus) {
                    (dmar::ScopeKind::Bridge, Some(sec)) => {
                        let sub = machine
                            .pci
                            .iter()
                            .find(|p| p.secondary_bus == Some(sec))
                            .and_then(|p| p.subordinate_bus)
                            .unwrap_or(sec);
                        scopes.buses.push((d.segment, sec, sub, index));
                    }
                    (dmar::ScopeKind::Endpoint, _) => {
                        if let Some(b) = Bdf::new(d.segment, bus, last.device, last.function) {
                            scopes.devices.push((b, index));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(Platform::new(machine, units, scopes))
    }

    /// The units.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// One unit.
    pub fn unit(&self, index: usize) -> Option<&Unit> {
        self.units.get(index)
    }

    /// One unit, mutably.
    pub fn unit_mut(&mut self, index: usize) -> Option<&mut Unit> {
        self.units.get_mut(index)
    }

    /// One unit and the memory, to program the unit directly.
    pub fn unit_and_memory(&mut self, index: usize) -> Option<(&mut Unit, &mut SparseMemory)> {
        Some((self.units.get_mut(index)?, &mut self.memory))
    }

    /// The PCI topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The unit that translates `device`'s DMA.
    pub fn unit_for(&self, device: Bdf) -> Option<usize> {
        self.scopes.unit_for(device)
    }

    fn locate(&self, addr: u64, size: usize) -> Result<(usize, usize), PlatformMmioError> {
        self.units
            .iter()
            .enumerate()
            .find_map(|(i, u)| {
                let off = addr.checked_sub(u.base())?;
                (off + size as u64 <= u.register_size() as u64).then_some((i, off as usize))
            })
            .ok_or(PlatformMmioError::Unmapped(addr))
    }

    /// Read `size` bytes of MMIO at `addr`.
    pub fn mmio_read(&mut self, addr: u64, size: usize) -> Result<u64, PlatformMmioError> {
        let (i, off) = self.locate(addr, size)?;
        Ok(self.units[i].mmio_read(off, size)?)
    }

    /// Write `size` bytes of MMIO at `addr`.
    pub fn mmio_write(
        &mut self,
        addr: u64,
        size: usize,
        value: u64,
    ) -> Result<(), PlatformMmioError> {
        let (i, off) = self.locate(addr, size)?;
        Ok(self.units[i].mmio_write(&mut self.memory, off, size, value)?)
    }

    /// Translate one access of `device` (its requester ID after aliasing), without
    /// touching memory.
    pub fn translate(
        &mut self,
        device: Bdf,
        pasid: Option<u32>,
        addr: u64,
        access: Access,
    ) -> Result<Translation, DmaError> {
        self.request(
            device,
            pasid,
            addr,
            access,
            crate::request::AddressType::Untranslated,
        )
    }

    /// Any request of `device`: with or without PASID, of any access (execute,
    /// privileged) and address type (an ATS translation request, or a translated
    /// request), without touching memory.
    pub fn request(
        &mut self,
        device: Bdf,
        pasid: Option<u32>,
        addr: u64,
        access: Access,
        at: crate::request::AddressType,
    ) -> Result<Translation, DmaError> {
        if pasid.is_none()
            && at == crate::request::AddressType::Untranslated
            && (0xfee0_0000..=0xfeef_ffff).contains(&addr)
            && access.contains(Access::WRITE)
        {
            return Err(DmaError::InterruptRange(addr));
        }
        let unit = self.unit_for(device).ok_or(DmaError::NoDevice(device))?;
        let req = Request {
            source_id: self.topology.source_id(device),
            pasid,
            addr,
            access,
            at,
            no_snoop: false,
        };
        self.units[unit]
            .translate(&self.memory, &req)
            .map_err(DmaError::Blocked)
    }

    /// `device` reads `buf.len()` bytes at `addr` (split at page boundaries, each page
    /// translated).
    pub fn dma_read(&mut self, device: Bdf, addr: u64, buf: &mut [u8]) -> Result<(), DmaError> {
        let mut done = 0;
        while done < buf.len() {
            let a = addr.wrapping_add(done as u64);
            let n = ((PAGE_SIZE - a % PAGE_SIZE) as usize).min(buf.len() - done);
            let t = self.translate(device, None, a, Access::READ)?;
            self.memory.read(t.addr, &mut buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    /// `device` writes `data` at `addr`.
    pub fn dma_write(&mut self, device: Bdf, addr: u64, data: &[u8]) -> Result<(), DmaError> {
        let mut done = 0;
        while done < data.len() {
            let a = addr.wrapping_add(done as u64);
            let n = ((PAGE_SIZE - a % PAGE_SIZE) as usize).min(data.len() - done);
            let t = self.translate(device, None, a, Access::WRITE)?;
            self.memory.write(t.addr, &data[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    /// `device` signals an MSI: a write of `data` to `addr`, remapped by the unit whose
    /// scope covers it, under the requester-id it arrives with (after bridges).
    pub fn interrupt(
        &mut self,
        device: Bdf,
        addr: u64,
        data: u32,
    ) -> Result<Delivery, InterruptError> {
        let unit = self
            .unit_for(device)
            .ok_or(InterruptError::NoDevice(device))?;
        let req = InterruptRequest {
            source_id: self.topology.source_id(device),
            addr,
            data,
        };
        self.units[unit]
            .remap_interrupt(&mut self.memory, &req)
            .map_err(InterruptError::Fault)
    }

    /// An I/O APIC at `ioapic` (its id in the DMAR device scope, as a requester-id)
    /// delivers redirection-table entry `rte`, through the unit whose scope covers it.
    pub fn ioapic_interrupt(&mut self, ioapic: Bdf, rte: u64) -> Result<Delivery, InterruptError> {
        let unit = self
            .unit_for(ioapic)
            .ok_or(InterruptError::NoDevice(ioapic))?;
        self.units[unit]
            .remap_ioapic(&mut self.memory, ioapic.requester_id(), rte)
            .map_err(InterruptError::Fault)
    }

    /// Let `cycles` pass on every unit (see [`Unit::advance`]).
    pub fn advance(&mut self, cycles: u64) {
        for u in &mut self.units {
            u.advance(&mut self.memory, cycles);
        }
    }

    /// A function appears (hot-plug): the machine and the requester-id topology learn
    /// it, and it answers device-TLB invalidations.
    pub fn add_device(&mut self, device: vtd_machine::PciDevice) {
        let bdf = device.bdf;
        self.machine.pci.retain(|p| p.bdf != bdf);
        self.machine.pci.push(device);
        self.machine.pci.sort_by_key(|p| p.bdf);
        self.topology = Topology::from_machine(&self.machine);
        self.set_device_present(bdf, true);
    }

    /// A function disappears (surprise removal): it leaves the machine and answers no
    /// device-TLB invalidation any more.
    pub fn remove_device(&mut self, bdf: Bdf) {
        self.set_device_present(bdf, false);
        self.machine.pci.retain(|p| p.bdf != bdf);
        self.topology = Topology::from_machine(&self.machine);
    }

    /// A device was removed (or came back): a removed device answers no device-TLB
    /// invalidation, so one sent to it times out.
    pub fn set_device_present(&mut self, device: Bdf, present: bool) {
        let sid = self.topology.source_id(device);
        if let Some(u) = self.unit_for(device) {
            self.units[u].set_device_responds(sid, present);
        }
    }

    /// Every unit's events since the last call, with the unit index.
    pub fn take_events(&mut self) -> Vec<(usize, Event)> {
        self.units
            .iter_mut()
            .enumerate()
            .flat_map(|(i, u)| u.take_events().into_iter().map(move |e| (i, e)))
            .collect()
    }
}

//! Device assignment: making devices assignable, giving them to guests, taking them
//! back, and hot-plug, with each personality's checks and messages
//! (`xen.rs`: xl + Xen 4.17 and xm/xend + Xen 4.0; `linux.rs`: VFIO on Linux 6.1).
//!
//! One rule is the reference driver's own, on top of every personality: conventional
//! PCI devices behind a PCIe-to-PCI bridge reach the remapping hardware with one
//! source-id, so they go to one domain together or not at all. The production
//! stacks differ here (Xen 4.17 re-points the shared context entries without a word;
//! xend checks it only for FLR-less devices of HVM guests; VFIO puts them in one IOMMU
//! group), and [`AssignError::production_refuses`] says whether the production stack
//! would have refused too.

pub mod bdf;
mod linux;
mod xen;

use crate::boot::common;
use crate::host::topology::alias_group;
use crate::host::{DomainId, DomainKind, Host, DOM0};
use crate::log::{Level, LogLine};
use crate::personality::Personality;
use vtd_machine::{Bdf, PciDevice};
use vtd_model::platform::DmaError;
use vtd_model::{Access, Translation};

/// Why a device did not move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AssignError {
    /// What the production toolstack, hypervisor or kernel prints.
    pub message: String,
    /// Whether the production stack refuses too (false: only the reference driver's
    /// alias rule stopped it; production would have gone ahead).
    pub production_refuses: bool,
    /// The reference driver's explanation.
    pub reason: String,
}

impl AssignError {
    fn production(message: impl Into<String>, reason: impl Into<String>) -> Self {
        AssignError {
            message: message.into(),
            production_refuses: true,
            reason: reason.into(),
        }
    }
}

/// Guest RAM every guest gets (4 MiB at guest-physical 0: enough to see where a
/// device's DMA lands; the driver's guest region holds 32 of them).
pub const GUEST_RAM_PAGES: u64 = 1024;

/// Virtual slots the device model takes in an HVM guest (qemu-dm 4.0: host bridge,
/// PIIX3, VGA, Xen platform device, one NIC; docs/sources/xen40-driver.md §4.8. The
/// same layout is assumed for QEMU under 4.17, which the sources leave unverified).
pub const EMULATED_SLOTS: [u8; 5] = [0, 1, 2, 3, 4];

impl Host {
    fn line(&mut self, level: Level, text: impl Into<String>) {
        self.log.0.push(LogLine::new(level, text));
    }

    /// Make `device` assignable: Xen `xl pci-assignable-add` / xm's pciback binding,
    /// Linux binding to vfio-pci.
    pub fn assignable_add(&mut self, device: Bdf) -> Result<(), AssignError> {
        if self.machine().device(device).is_none() {
            return Err(AssignError::production(
                format!("Couldn't lstat /sys/bus/pci/devices/{device}"),
                format!("the machine has no {device}"),
            ));
        }
        match self.personality {
            Personality::Xen417 => xen::assignable_add_417(self, device),
            Personality::Xen40 => {
                self.assignable.insert(device);
                Ok(())
            }
            Personality::Linux61 => {
                self.assignable.insert(device);
                Ok(())
            }
        }
    }

    /// Give `device` back to the host: `xl pci-assignable-remove`, unbinding.
    pub fn assignable_remove(&mut self, device: Bdf) -> Result<(), AssignError> {
        if let Some(&o) = self.owner.get(&device) {
            if !matches!(o, DOM0 | crate::host::DOM_IO) && self.personality.is_xen() {
                return Err(AssignError::production(
                    format!("failed to de-quarantine {device}"),
                    format!("{device} is still in domain {o}"),
                ));
            }
        }
        if self.personality == Personality::Xen417 {
            xen::dequarantine(self, device).map_err(|e| {
                AssignError::production(format!("failed to de-quarantine {device}"), e)
            })?;
        }
        self.assignable.remove(&device);
        Ok(())
    }

    /// The devices the toolstack lists as assignable (`xl pci-assignable-list`,
    /// `xm pci-list-assignable-devices`, devices bound to vfio-pci).
    pub fn assignable_list(&self) -> Vec<Bdf> {
        match self.personality {
            Personality::Xen40 => xen::xm_assignable(self),
            _ => self
                .assignable
                .iter()
                .copied()
                .filter(|b| {
                    self.owner.get(b).is_none_or(|o| {
                        matches!(*o, DOM0 | crate::host::DOM_IO)
                            || self.personality == Personality::Linux61
                    })
                })
                .collect(),
        }
    }

    /// Create a guest (`xl create` / `xm create` with `pci = [...]`; a VM with VFIO
    /// devices on Linux). Returns its id.
    pub fn create_guest(
        &mut self,
        name: &str,
        hvm: bool,
        pci: &[&str],
    ) -> Result<DomainId, AssignError> {
        let id = self
            .domains
            .keys()
            .filter(|&&k| (1..crate::host::DOM_IO).contains(&k))
            .max()
            .map_or(1, |k| k + 1)
            .max(if self.personality == Personality::Linux61 {
                1000
            } else {
                1
            });
        let kind = if self.personality == Personality::Linux61 {
            DomainKind::Vfio
        } else {
            DomainKind::Guest { hvm }
        };
        self.add_domain(id, name, kind);
        self.give_ram(id, GUEST_RAM_PAGES)
            .map_err(|e| AssignError::production(e.to_string(), "out of guest memory"))?;
        let result = match self.personality {
            Personality::Linux61 => linux::attach_all(self, id, pci),
            _ => xen::attach_all(self, id, pci, true),
        };
        if let Err(e) = result {
            self.domains.remove(&id);
            return Err(e);
        }
        Ok(id)
    }

    /// Hot-plug a device into a running guest (`xl pci-attach`, `xm pci-attach`).
    pub fn pci_attach(&mut self, guest: DomainId, spec: &str) -> Result<(), AssignError> {
        if !self.domains.contains_key(&guest) {
            return Err(AssignError::production(
                format!("domain {guest} does not exist"),
                "no such guest",
            ));
        }
        match self.personality {
            Personality::Linux61 => linux::attach_all(self, guest, &[spec]),
            _ => xen::attach_all(self, guest, &[spec], false),
        }
    }

    /// Hot-unplug a device from a guest (`xl pci-detach`, `xm pci-detach`, VFIO
    /// release).
    pub fn pci_detach(&mut self, guest: DomainId, device: Bdf) -> Result<(), AssignError> {
        if self.owner.get(&device) != Some(&guest) {
            return Err(AssignError::production(
                match self.personality {
                    Personality::Xen40 => format!("pci: device {device} is not attached!"),
                    _ => "PCI device not attached to this domain".to_string(),
                },
                format!("{device} is not in domain {guest}"),
            ));
        }
        match self.personality {
            Personality::Linux61 => linux::detach(self, guest, device),
            _ => xen::detach(self, guest, device),
        }
    }

    /// The devices of a guest: (host function, virtual slot, virtual function).
    pub fn pci_list(&self, guest: DomainId) -> Vec<(Bdf, u8, u8)> {
        self.domains
            .get(&guest)
            .map(|d| d.placed.clone())
            .unwrap_or_default()
    }

    /// A DMA by `device` at `addr` (guest-physical for a device in a guest).
    pub fn device_dma(
        &mut self,
        device: Bdf,
        addr: u64,
        write: bool,
    ) -> Result<Translation, DmaError> {
        let access = if write { Access::WRITE } else { Access::READ };
        self.platform.translate(device, None, addr, access)
    }

    /// A device appears (hot-plug into the host): the hypervisor or kernel adds it to
    /// the hardware domain / its default domain.
    pub fn hot_add(&mut self, device: PciDevice) -> Result<(), String> {
        let bdf = device.bdf;
        self.platform.add_device(device);
        match self.personality {
            Personality::Linux61 => linux::probe(self, bdf),
            _ => xen::hot_add(self, bdf),
        }
    }

    /// A device disappears (surprise removal): its context entries go, and it answers
    /// nothing any more (a device-TLB invalidation to it times out).
    pub fn hot_remove(&mut self, device: Bdf) -> Result<(), String> {
        let Some(unit) = self.platform.unit_for(device) else {
            self.platform.remove_device(device);
            return Ok(());
        };
        let sids = common::source_ids(self.personality, self.machine(), device);
        // Xen clears the bridge alias entries too, even with siblings still behind it
        // (vtd/iommu.c domain_context_unmap); Linux clears only the device's own and
        // its alias when no sibling needs it.
        let keep_alias = self.personality == Personality::Linux61
            && alias_group(self.machine(), device).len() > 1;
        let sids: Vec<u16> = if keep_alias {
            vec![device.requester_id()]
        } else {
            sids
        };
        self.unmap_context(unit, &sids).map_err(|e| e.to_string())?;
        if let Some(o) = self.owner.remove(&device) {
            if let Some(d) = self.domains.get_mut(&o) {
                d.devices.remove(&device);
                d.placed.retain(|p| p.0 != device);
            }
        }
        self.assignable.remove(&device);
        self.platform.remove_device(device);
        Ok(())
    }
}

/// The reference driver's alias rule: every device sharing `device`'s source-id must
/// be in `moving` (this request) or already in `target`.
fn alias_rule(host: &Host, target: DomainId, moving: &[Bdf]) -> Result<(), (Bdf, Vec<Bdf>)> {
    for &b in moving {
        let group = alias_group(host.machine(), b);
        if group.len() < 2 {
            continue;
        }
        let left: Vec<Bdf> = group
            .iter()
            .copied()
            .filter(|s| !moving.contains(s) && host.owner.get(s) != Some(&target))
            .collect();
        if !left.is_empty() {
            return Err((b, left));
        }
    }
    Ok(())
}

//! VFIO on Linux 6.1 (docs/sources/linux61-driver.md §4, §5).
//!
//! - A device is assignable once bound to vfio-pci; a group is viable only when every
//!   device in it is (otherwise QEMU: `group %d is not viable`).
//! - Claiming the group attaches an unmanaged domain; a device with an RMRR is refused
//!   there (`Device is ineligible for IOMMU domain attach due to platform RMRR
//!   requirement.  Contact your platform vendor.`) unless it is USB or graphics, whose
//!   RMRRs are simply not mapped in the VFIO domain.
//! - Type1 wants interrupt remapping (`No interrupt remapping support.  Use the module
//!   param "allow_unsafe_interrupts" …`).
//! - Guest RAM is mapped at IOVA = guest-physical; release puts the group back on its
//!   default domain.

use super::{alias_rule, AssignError};
use crate::boot::common;
use crate::host::ranges::RangeSet;
use crate::host::topology::{alias_group, is_display, is_usb};
use crate::host::{DomainId, DomainKind, Host};
use crate::log::Level;
use vtd_machine::Bdf;

/// Attach the groups of `specs` (plain BDFs) to the VFIO domain `guest`.
pub fn attach_all(host: &mut Host, guest: DomainId, specs: &[&str]) -> Result<(), AssignError> {
    let mut devices = Vec::new();
    for s in specs {
        let b: Bdf = s
            .parse()
            .map_err(|e| AssignError::production(format!("vfio: {e}"), "not a PCI address"))?;
        if host.machine().device(b).is_none() {
            return Err(AssignError::production(
                format!("vfio {b}: error getting device from group: No such device"),
                format!("the machine has no {b}"),
            ));
        }
        devices.push(b);
    }
    if !host.translation {
        return Err(AssignError::production(
            "vfio: No available IOMMU models",
            "DMA remapping is off",
        ));
    }
    // Every device of every group involved.
    let mut group_members: Vec<Bdf> = Vec::new();
    for &b in &devices {
        for g in alias_group(host.machine(), b) {
            if !group_members.contains(&g) {
                group_members.push(g);
            }
        }
    }
    for &g in &group_members {
        if !host.assignable.contains(&g) {
            let group = host.group_number(g);
            return Err(AssignError {
                message: format!(
                    "vfio {}: group {group} is not viable\nPlease ensure all devices within the iommu_group are bound to their vfio bus driver.",
                    devices[0]
                ),
                production_refuses: true,
                reason: format!("{g} shares the IOMMU group and is still bound to a host driver"),
            });
        }
    }
    if let Err((b, left)) = alias_rule(host, guest, &group_members) {
        return Err(AssignError {
            message: String::new(),
            production_refuses: false,
            reason: format!("{b} shares its source-id with {left:?}"),
        });
    }
    if !host.ir_enabled {
        return Err(AssignError::production(
            "vfio_iommu_type1_attach_group: No interrupt remapping support.  Use the module param \"allow_unsafe_interrupts\" to enable VFIO IOMMU support on this platform",
            "interrupt remapping is off",
        ));
    }
    for &g in &group_members {
        let locked = host.rmrrs.iter().any(|r| r.covers(g))
            && !host
                .machine()
                .device(g)
                .is_some_and(|d| is_usb(d) || is_display(d));
        if locked {
            let msg = format!(
                "vfio-pci {g}: Device is ineligible for IOMMU domain attach due to platform RMRR requirement.  Contact your platform vendor."
            );
            host.line(Level::Warning, msg.clone());
            return Err(AssignError::production(
                format!("{msg}\nFailed to set group container: Operation not permitted"),
                "the device has an RMRR and is not USB or graphics",
            ));
        }
    }
    for &g in &group_members {
        let unit = host.platform.unit_for(g);
        let reserved: &[u16] = &[0];
        common::attach(host, guest, g, reserved)
            .map_err(|e| AssignError::production(e.clone(), e))?;
        let _ = unit;
        if let Some(d) = host.domains.get_mut(&guest) {
            let n = d.placed.len() as u8;
            d.placed.push((g, n, 0));
        }
    }
    Ok(())
}

/// Release: back to the default domain.
pub fn detach(host: &mut Host, guest: DomainId, b: Bdf) -> Result<(), AssignError> {
    for g in alias_group(host.machine(), b) {
        if let Some(d) = host.domains.get_mut(&guest) {
            d.devices.remove(&g);
            d.placed.retain(|x| x.0 != g);
        }
        probe(host, g).map_err(|e| AssignError::production(e.clone(), e))?;
    }
    Ok(())
}

/// Probe `b` into its default domain (boot and hot-plug).
pub fn probe(host: &mut Host, b: Bdf) -> Result<(), String> {
    if !host.translation {
        return Ok(());
    }
    let group_leader = alias_group(host.machine(), b)[0];
    let known = host
        .default_domain
        .get(&b)
        .or_else(|| host.default_domain.get(&group_leader))
        .map(|(d, _)| *d)
        .filter(|d| host.domains.contains_key(d));
    let domain = match known {
        Some(d) => d,
        None => {
            let id = host
                .domains
                .keys()
                .filter(|k| **k < 1000)
                .max()
                .map_or(2, |k| k + 1);
            host.add_domain(id, &format!("DMA ({b})"), DomainKind::Dma);
            id
        }
    };
    let set: RangeSet = crate::boot::linux_direct_ranges(host, b);
    host.map_identity(domain, &set).map_err(|e| e.to_string())?;
    common::attach(host, domain, b, &[0])
}

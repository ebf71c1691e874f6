//! Xen's assignment paths.
//!
//! Xen 4.17 with xl (docs/sources/xen417-driver.md §3–4):
//! - `xl pci-assignable-add` binds the device to pciback and quarantines it in
//!   `dom_io` (basic quarantine: its context entries are cleared, or point at a table
//!   holding only its RMRRs).
//! - `xl create` / `pci-attach`: the device must be assignable (`PCI device %x:%x:%x.%x
//!   is not assignable`); for HVM the hypervisor is asked first whether another guest
//!   owns it. `intel_iommu_assign_device()` refuses a device whose RMRR is shared
//!   with other devices under the per-device default `rdm_policy=strict` (`[VT-D] It's
//!   disallowed to assign %pp with shared RMRR at %lx for %pd.`), identity-maps its
//!   RMRRs into the guest (refusing, when strict, an RMRR on top of guest RAM), and
//!   refuses to move a conventional device with an RMRR behind a bridge (-EOPNOTSUPP).
//!   The shared context entries of a PCIe-to-PCI bridge are re-pointed without a word.
//! - `xl pci-detach` sends the device back to quarantine.
//!
//! Xen 4.0 with xm/xend (docs/sources/xen40-driver.md §2.1, §3, §4): the device must be
//! owned by pciback (`pci: PCI Backend and pci-stub don't own device %s`), not in another
//! guest, have page-aligned MMIO BARs; an FLR-less device of an HVM guest drags its
//! co-assignment group (everything on its bus, or behind its uppermost PCI bridge),
//! which must all be owned by pciback and in no other guest. The hypervisor maps the
//! device's RMRRs into the guest except for USB controllers, then the guest's RAM. In
//! 4.0.0 a PV guest gets devices without the IOMMU unless `iommu=pv`. Detach returns
//! the device to dom0.

use super::bdf::{self, RdmPolicy, Spec};
use super::{alias_rule, AssignError, EMULATED_SLOTS};
use crate::boot::common::{self, source_ids};
use crate::host::ranges::RangeSet;
use crate::host::topology::{is_usb, upstream_bridge};
use crate::host::{DomainId, DomainKind, Host, DOM0, DOM_IO};
use crate::log::Level;
use crate::personality::Personality;
use vtd_machine::Bdf;

/// DIDs reserved on `unit` (DID 0 under caching mode).
fn reserved(host: &Host, unit: usize) -> Vec<u16> {
    host.platform
        .unit(unit)
        .filter(|u| u.cap().cm())
        .map_or(Vec::new(), |_| vec![0])
}

/// Point `device`'s context entries (with its aliases) at `domain`.
fn map(host: &mut Host, domain: DomainId, device: Bdf) -> Result<(), String> {
    let Some(unit) = host.platform.unit_for(device) else {
        host.owner.insert(device, domain);
        return Ok(());
    };
    let r = reserved(host, unit);
    let prev = host.owner.get(&device).copied();
    common::attach(host, domain, device, &r)?;
    if let Some(p) = prev.filter(|p| *p != domain) {
        if let Some(d) = host.domains.get_mut(&p) {
            d.devices.remove(&device);
            d.placed.retain(|x| x.0 != device);
        }
    }
    Ok(())
}

/// The RMRRs whose scope names `device` (Xen matches the exact BDF).
fn rmrrs_of(host: &Host, device: Bdf) -> Vec<(u64, u64, usize)> {
    host.rmrrs
        .iter()
        .filter(|r| r.devices.contains(&device))
        .map(|r| (r.base, r.end, r.scope_count))
        .collect()
}

fn pages(base: u64, end: u64) -> RangeSet {
    let mut s = RangeSet::default();
    if end > base {
        s.add(base & !0xfff, (end + 0xfff) & !0xfff);
    }
    s
}

/// `xl pci-assignable-add`: pciback, then quarantine in `dom_io`.
pub fn assignable_add_417(host: &mut Host, device: Bdf) -> Result<(), super::AssignError> {
    if host.assignable.contains(&device) {
        host.line(
            Level::Warning,
            format!("{device} already assigned to pciback"),
        );
        return Ok(());
    }
    host.assignable.insert(device);
    if !host.translation {
        return Err(AssignError::production(
            format!("failed to quarantine {device}"),
            "the IOMMU is off: XEN_DOMCTL_assign_device returns -EOPNOTSUPP",
        ));
    }
    quarantine(host, device)
        .map_err(|e| AssignError::production(format!("failed to quarantine {device}"), e))
}

/// Basic quarantine: an RMRR-only table under a pseudo-domain, or no context at all.
fn quarantine(host: &mut Host, device: Bdf) -> Result<(), String> {
    let rmrrs = rmrrs_of(host, device);
    let Some(unit) = host.platform.unit_for(device) else {
        host.owner.insert(device, DOM_IO);
        return Ok(());
    };
    let sids = source_ids(host.personality, host.machine(), device);
    if rmrrs.is_empty() {
        host.unmap_context(unit, &sids).map_err(|e| e.to_string())?;
        if let Some(o) = host.owner.insert(device, DOM_IO) {
            if let Some(d) = host.domains.get_mut(&o) {
                d.devices.remove(&device);
            }
        }
        host.add_domain(DOM_IO, "dom_io", DomainKind::Quarantine)
            .devices
            .insert(device);
        return Ok(());
    }
    // A per-device quarantine domain with the pseudo-domid 0x8000 | n.
    let pseudo = 0x8000
        + host
            .domains
            .keys()
            .filter(|&&k| k & 0xffff_8000 == 0x8000)
            .count() as u32;
    host.add_domain(
        pseudo,
        &format!("dom_io quarantine of {device}"),
        DomainKind::Quarantine,
    );
    let mut set = RangeSet::default();
    for (b, e, _) in rmrrs {
        for &(x, y) in pages(b, e).ranges() {
            set.add(x, y);
        }
    }
    host.map_identity(pseudo, &set).map_err(|e| e.to_string())?;
    let did = pseudo as u16;
    host.units[unit].dids.push((did, pseudo));
    host.map_context(pseudo, unit, &sids, did)
        .map_err(|e| e.to_string())?;
    if let Some(o) = host.owner.insert(device, pseudo) {
        if let Some(d) = host.domains.get_mut(&o) {
            d.devices.remove(&device);
        }
    }
    Ok(())
}

/// `xl pci-assignable-remove`: out of quarantine, back to dom0.
pub fn dequarantine(host: &mut Host, device: Bdf) -> Result<(), String> {
    match host.owner.get(&device) {
        Some(&o) if o == DOM_IO || o & 0xffff_8000 == 0x8000 => map(host, DOM0, device),
        _ => Ok(()),
    }
}

/// What `xm pci-list-assignable-devices` prints: pciback devices whose FLR group is
/// entirely in pciback, without non-page-aligned BARs, not in a guest.
pub fn xm_assignable(host: &Host) -> Vec<Bdf> {
    let m = host.machine();
    host.assignable
        .iter()
        .copied()
        .filter(|b| {
            let group = coassignment_group(host, *b, false);
            group.iter().all(|g| host.assignable.contains(g))
                && !group.iter().any(|g| bad_bar(host, *g))
                && group
                    .iter()
                    .all(|g| host.owner.get(g).is_none_or(|o| *o == DOM0))
                && m.device(*b).is_some()
        })
        .collect()
}

fn bad_bar(host: &Host, b: Bdf) -> bool {
    host.machine()
        .device(b)
        .is_some_and(|d| d.bars.iter().any(|bar| bar.base & 0xfff != 0))
}

/// xend's co-assignment group: devices on bus 0 are assumed FLR-capable and alone; an
/// FLR-less device elsewhere takes everything behind its uppermost PCI bridge (for a
/// conventional device) or on its bus (a PCIe endpoint). `hvm_strict`: only then does
/// xend enforce it at assignment.
fn coassignment_group(host: &Host, b: Bdf, _hvm_strict: bool) -> Vec<Bdf> {
    let m = host.machine();
    let Some(d) = m.device(b) else {
        return vec![b];
    };
    if b.bus == 0 || d.flr {
        return vec![b];
    }
    let mut v: Vec<Bdf> = match upstream_bridge(m, b) {
        Some(top) => m
            .pci
            .iter()
            .filter(|p| !p.kind.is_bridge() && upstream_bridge(m, p.bdf) == Some(top))
            .map(|p| p.bdf)
            .collect(),
        None => m
            .pci
            .iter()
            .filter(|p| !p.kind.is_bridge() && p.bdf.bus == b.bus && p.bdf.segment == b.segment)
            .map(|p| p.bdf)
            .collect(),
    };
    v.sort();
    v
}

/// The lowest slot whose 8 functions are free of emulated and passed-through devices.
fn free_slot(host: &Host, guest: DomainId) -> Option<u8> {
    let used: Vec<u8> = host
        .domains
        .get(&guest)
        .map(|d| d.placed.iter().map(|p| p.1).collect())
        .unwrap_or_default();
    (0..32u8).find(|s| !EMULATED_SLOTS.contains(s) && !used.contains(s))
}

/// Parse, check and assign every device of `specs` to `guest`.
pub fn attach_all(
    host: &mut Host,
    guest: DomainId,
    specs: &[&str],
    creating: bool,
) -> Result<(), AssignError> {
    let p = host.personality;
    let hvm = matches!(
        host.domains.get(&guest).map(|d| d.kind),
        Some(DomainKind::Guest { hvm: true })
    );
    let mut parsed: Vec<Spec> = Vec::new();
    for s in specs {
        let r = match p {
            Personality::Xen40 => bdf::parse_xm(s, host.machine()),
            _ => bdf::parse_xl(s, host.machine()).map_err(|e| {
                if creating {
                    format!("unable to parse PCI_SPEC_STRING `{s}' for passthrough ({e})")
                } else {
                    format!("pci-attach: malformed PCI_SPEC_STRING \"{s}\" ({e})")
                }
            }),
        };
        parsed.push(r.map_err(|e| AssignError::production(e, "the device string does not parse"))?);
    }
    let all: Vec<Bdf> = parsed
        .iter()
        .flat_map(|s| s.functions.iter().map(|f| f.bdf))
        .collect();
    if p == Personality::Xen40 {
        let mut seen = Vec::new();
        for b in &all {
            if seen.contains(b) {
                return Err(AssignError::production(
                    "pci: duplicate devices specified in guest config?",
                    "a device is listed twice",
                ));
            }
            seen.push(*b);
        }
    }
    // The toolstack's checks, device by device.
    for &b in &all {
        let owner = host.owner.get(&b).copied();
        let in_guest = owner.is_some_and(|o| o != DOM0 && o != DOM_IO && o & 0xffff_8000 != 0x8000);
        match p {
            Personality::Xen417 => {
                if hvm && in_guest {
                    return Err(AssignError::production(
                        format!(
                            "PCI device {:04x}:{:02x}:{:02x}.{} already assigned to a different guest?",
                            b.segment, b.bus, b.device, b.function
                        ),
                        format!("{b} belongs to domain {}", owner.unwrap_or(0)),
                    ));
                }
                let seize = parsed.iter().any(|s| s.seize);
                if seize && !host.assignable.contains(&b) {
                    host.assignable_add(b)?;
                }
                if !host.assignable.contains(&b) || in_guest {
                    return Err(AssignError::production(
                        format!(
                            "PCI device {:x}:{:x}:{:x}.{:x} is not assignable",
                            b.segment, b.bus, b.device, b.function
                        ),
                        format!("{b} is not bound to pciback (xl pci-assignable-add {b})"),
                    ));
                }
            }
            _ => {
                if in_guest {
                    return Err(AssignError::production(
                        format!("failed to assign device {b} that has already been assigned to other domain."),
                        format!("{b} belongs to domain {}", owner.unwrap_or(0)),
                    ));
                }
                if !host.assignable.contains(&b) {
                    return Err(AssignError::production(
                        format!("pci: PCI Backend and pci-stub don't own device {b}"),
                        format!(
                            "{b} is not bound to pciback (pciback.hide=({:02x}:{:02x}.{}))",
                            b.bus, b.device, b.function
                        ),
                    ));
                }
                if bad_bar(host, b) {
                    return Err(AssignError::production(
                        format!("pci: {b}: non-page-aligned MMIO BAR found."),
                        format!("{b} has a BAR that does not start on a page boundary"),
                    ));
                }
                if hvm {
                    for g in coassignment_group(host, b, true) {
                        if g == b || all.contains(&g) {
                            continue;
                        }
                        if !host.assignable.contains(&g) {
                            return Err(AssignError::production(
                                format!("pci: improper device assignment specified: pci: {g} must be co-assigned to the same guest with {b}, but it is not owned by pciback or pci-stub."),
                                format!("{b} has no FLR, so xend resets it with its bus and needs {g} too"),
                            ));
                        }
                        if host
                            .owner
                            .get(&g)
                            .is_some_and(|o| *o != DOM0 && *o != guest)
                        {
                            return Err(AssignError::production(
                                format!("pci: {g} must be co-assigned to the same guest with {b}"),
                                format!("{g} is in another guest"),
                            ));
                        }
                    }
                }
            }
        }
    }
    // The reference driver's rule: shared source-ids move together.
    if let Err((b, left)) = alias_rule(host, guest, &all) {
        let list: Vec<String> = left.iter().map(|x| x.to_string()).collect();
        let production = match p {
            Personality::Xen417 => false,
            // xend refuses only when a sibling is not in pciback (FLR-less HVM case).
            _ => hvm && left.iter().any(|g| !host.assignable.contains(g)),
        };
        let (bridge, sec) = upstream_bridge(host.machine(), b).unwrap_or((b, b.bus));
        return Err(AssignError {
            message: if production {
                format!("pci: improper device assignment specified: pci: {} must be co-assigned to the same guest with {b}, but it is not owned by pciback or pci-stub.", left[0])
            } else {
                String::new()
            },
            production_refuses: production,
            reason: format!(
                "{b} sits behind the PCIe-to-PCI bridge {bridge}: its DMA arrives as {:02x}:00.0, like that of {}; assign them together (the reference driver's rule{})",
                sec,
                list.join(", "),
                match p {
                    Personality::Xen417 => "; Xen 4.17 would go ahead and re-point the shared context entries of the bridge and of the secondary bus's 00.0 to this guest, behind the back of the siblings still in dom0",
                    _ => "; Xen 4.0's hypervisor would re-point the shared entries too",
                }
            ),
        });
    }
    // Assign, spec by spec, function by function.
    for spec in &parsed {
        let slot = if hvm {
            match spec.vslot {
                Some(s) => {
                    let taken = EMULATED_SLOTS.contains(&s)
                        || host
                            .domains
                            .get(&guest)
                            .is_some_and(|d| d.placed.iter().any(|p| p.1 == s));
                    if taken {
                        return Err(AssignError::production(
                            match p {
                                Personality::Xen40 => "Timed out waiting for device model action".to_string(),
                                _ => format!("libxl__device_pci_add failed for PCI device {} (device model refused slot {s:#x})", spec.functions[0].bdf),
                            },
                            format!("virtual slot {s:#x} is taken"),
                        ));
                    }
                    s
                }
                None => free_slot(host, guest).ok_or_else(|| {
                    AssignError::production(
                        match p {
                            Personality::Xen40 => {
                                "Timed out waiting for device model action".to_string()
                            }
                            _ => "no free virtual slot".to_string(),
                        },
                        "all 32 virtual slots are taken",
                    )
                })?,
            }
        } else {
            host.domains.get(&guest).map_or(0, |d| d.placed.len() as u8)
        };
        for f in &spec.functions {
            assign_one(host, guest, f.bdf, hvm, spec.rdm_policy)?;
            if let Some(d) = host.domains.get_mut(&guest) {
                d.placed.push((f.bdf, slot, f.vfunc));
            }
        }
    }
    Ok(())
}

/// The hypervisor side of one function.
fn assign_one(
    host: &mut Host,
    guest: DomainId,
    b: Bdf,
    hvm: bool,
    policy: RdmPolicy,
) -> Result<(), AssignError> {
    let p = host.personality;
    if !host.translation {
        return Err(AssignError::production(
            match p {
                Personality::Xen40 => "failed to assign device: maybe the platform doesn't support VT-d, or VT-d isn't enabled properly?".to_string(),
                _ => format!("PCI device {:04x}:{:02x}:{:02x}.{} cannot be assigned - no IOMMU?", b.segment, b.bus, b.device, b.function),
            },
            "VT-d is off",
        ));
    }
    let dname = format!("d{guest}");
    let rmrrs = rmrrs_of(host, b);
    if p == Personality::Xen40 {
        // 4.0.0: a PV guest without iommu=pv gets the device with no isolation: the
        // domctl returns ENOSYS, which xend takes for success.
        if !hvm && !host.pv_iommu {
            host.owner.insert(b, guest);
            if let Some(d) = host.domains.get_mut(&guest) {
                d.devices.insert(b);
            }
            host.line(
                Level::Warning,
                format!("(xend: XEN_DOMCTL_assign_device for {b} returned ENOSYS; the device keeps dom0's DMA mappings)"),
            );
            return Ok(());
        }
        // RMRRs first (not for USB), then the guest's RAM over them.
        let usb = host.machine().device(b).is_some_and(is_usb);
        if !usb {
            let mut set = RangeSet::default();
            for (base, end, _) in &rmrrs {
                for &(x, y) in pages(*base, *end).ranges() {
                    set.add(x, y);
                }
            }
            host.map_identity(guest, &set).map_err(|e| {
                AssignError::production("IOMMU: mapping reserved region failed", e.to_string())
            })?;
        }
        map(host, guest, b).map_err(|e| {
            AssignError::production(format!("Failed to assign device to IOMMU ({b})"), e)
        })?;
        return Ok(());
    }
    // Xen 4.17 intel_iommu_assign_device().
    for (base, _, count) in &rmrrs {
        if *count > 1 {
            match policy {
                RdmPolicy::Strict => {
                    let msg = format!("[VT-D] It's disallowed to assign {b} with shared RMRR at {base:x} for {dname}.");
                    host.line(Level::Error, msg.clone());
                    return Err(AssignError::production(
                        format!("{msg}\nlibxl__device_pci_add failed for PCI device {:x}:{:x}:{:x}.{:x} (rc -3)", b.segment, b.bus, b.device, b.function),
                        "the device shares an RMRR with other devices, and rdm_policy is strict (the default): add ,rdm_policy=relaxed to the device's spec to accept the risk",
                    ));
                }
                RdmPolicy::Relaxed => host.line(
                    Level::Warning,
                    format!(
                        "[VT-D] It's risky to assign {b} with shared RMRR at {base:x} for {dname}."
                    ),
                ),
            }
        }
    }
    let ram = host.domains.get(&guest).and_then(|d| d.ram);
    let mut set = RangeSet::default();
    for (base, end, _) in &rmrrs {
        if hvm {
            if let Some(r) = ram {
                if *base < r.pages << 12 {
                    let gfn = base >> 12;
                    let msg = format!(
                        "Cannot setup identity map d{guest}:{gfn:x}, gfn already mapped to {:x}.",
                        (r.host >> 12) + gfn
                    );
                    host.line(Level::Warning, msg.clone());
                    if policy == RdmPolicy::Strict {
                        return Err(AssignError::production(
                            msg,
                            "the RMRR lies in the guest's RAM and rdm_policy is strict",
                        ));
                    }
                    continue;
                }
            }
        }
        for &(x, y) in pages(*base, *end).ranges() {
            set.add(x, y);
        }
    }
    // A conventional device with an RMRR whose entry is live elsewhere cannot move.
    if !rmrrs.is_empty() && upstream_bridge(host.machine(), b).is_some() {
        let present = host
            .platform
            .unit_for(b)
            .and_then(|u| {
                crate::host::hw::context_of(&host.platform.memory, &host.units[u], b.requester_id())
            })
            .is_some_and(|(present, _)| present);
        if present {
            let msg = format!("{dname}: assign ({b}) failed (-95)");
            host.line(Level::Warning, msg.clone());
            return Err(AssignError::production(
                msg,
                "a conventional PCI device with an RMRR behind a bridge cannot be re-assigned (vtd/iommu.c domain_context_mapping, -EOPNOTSUPP)",
            ));
        }
    }
    host.map_identity(guest, &set).map_err(|e| {
        AssignError::production(
            format!("[VT-D]{dname}: cannot map reserved region: {e}"),
            e.to_string(),
        )
    })?;
    map(host, guest, b)
        .map_err(|e| AssignError::production(format!("{dname}: assign ({b}) failed ({e})"), e))?;
    Ok(())
}

/// Detach: 4.17 back to quarantine (default), 4.0 back to dom0.
pub fn detach(host: &mut Host, guest: DomainId, b: Bdf) -> Result<(), AssignError> {
    let r = match host.personality {
        Personality::Xen417 if host.quarantine => quarantine(host, b),
        _ => map(host, DOM0, b),
    };
    r.map_err(|e| AssignError::production(format!("d{guest}: deassign ({b}) failed ({e})"), e))?;
    if let Some(d) = host.domains.get_mut(&guest) {
        d.devices.remove(&b);
        d.placed.retain(|x| x.0 != b);
    }
    Ok(())
}

/// A device dom0 reports at run time: dom0 owns it; its RMRRs are mapped for dom0;
/// context entries follow.
pub fn hot_add(host: &mut Host, b: Bdf) -> Result<(), String> {
    if !host.translation {
        host.owner.insert(b, DOM0);
        return Ok(());
    }
    let mut set = RangeSet::default();
    for (base, end, _) in rmrrs_of(host, b) {
        for &(x, y) in pages(base, end).ranges() {
            set.add(x, y);
        }
    }
    if !host.domains.get(&DOM0).is_some_and(|d| d.passthrough) {
        host.map_identity(DOM0, &set).map_err(|e| e.to_string())?;
    }
    map(host, DOM0, b)
}

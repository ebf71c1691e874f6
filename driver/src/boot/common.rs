//! What every personality's bring-up shares: the units the table describes, the RMRRs
//! it registers, the source-ids a device's context entries cover, and the verdict's
//! view of the units.

use super::UnitVerdict;
use crate::host::topology::{self, upstream_bridge};
use crate::host::{DomainId, Host, RmrrInfo};
use crate::personality::Personality;
use crate::validate::Validation;
use dmar::check::{walk_path, PathEnd};
use dmar::{Body, DrhdFlags, ScopeKind, Table};
use std::collections::BTreeMap;
use vtd_machine::{Bdf, Machine};
use vtd_model::regs::presets::{self, Preset};
use vtd_model::regs::{gcmd, Cap};
use vtd_model::Platform;

/// The function a scope entry's path ends at, with its bus.
pub fn scope_end(m: &Machine, segment: u16, sc: &dmar::DeviceScope) -> Option<Bdf> {
    let last = sc.path.last()?;
    let hops = sc.path.iter().map(|p| (p.device, p.function));
    match walk_path(m, segment, sc.start_bus, hops)? {
        PathEnd::Found { bus, .. } => Bdf::new(segment, bus, last.device, last.function),
        _ => None,
    }
}

/// The preset for each DRHD when none is given: a unit whose scope is only display
/// devices is a graphics unit (Haswell's: no pass-through, no snoop control), the
/// rest are Haswell include-all units (pass-through, snoop control, QI, IR, EIM).
/// Both are cited in `vtd_model::regs::presets`.
fn auto_preset(m: &Machine, d: &dmar::Drhd) -> Preset {
    let ends: Vec<Bdf> = d
        .scopes
        .entries
        .iter()
        .filter(|e| e.kind == ScopeKind::Endpoint)
        .filter_map(|e| scope_end(m, d.segment, e))
        .collect();
    let gfx_only = !d.flags.contains(DrhdFlags::INCLUDE_PCI_ALL)
        && !ends.is_empty()
        && d.scopes
            .entries
            .iter()
            .all(|e| e.kind == ScopeKind::Endpoint)
        && ends
            .iter()
            .all(|b| m.device(*b).is_some_and(topology::is_display));
    if gfx_only {
        presets::HASWELL_GFX
    } else {
        presets::HASWELL
    }
}

/// Whether the DRHD's only devices are display devices (Xen `gfx_only`, Linux
/// `gfx_dedicated`).
pub fn gfx_only(m: &Machine, d: &dmar::Drhd) -> bool {
    auto_preset(m, d) == presets::HASWELL_GFX
}

/// The table without the DRHDs the parser dropped.
fn kept(v: &Validation) -> Option<Table> {
    let mut t = v.table.clone()?;
    t.structures
        .retain(|s| !v.dropped_drhds.contains(&s.offset));
    Some(t)
}

/// The DRHDs the units were built from, in unit order.
pub fn drhds(v: &Validation) -> Vec<dmar::Drhd> {
    kept(v)
        .map(|t| {
            t.structures
                .into_iter()
                .filter_map(|s| match s.body {
                    Body::Drhd(d) => Some(d),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Build the host: a unit at every DRHD register base (of an accepted table), the
/// page-table depth `levels` picks per unit, and the RMRRs registered.
pub fn build_host(
    personality: Personality,
    m: &Machine,
    v: Option<&Validation>,
    preset: Option<Preset>,
    levels: impl Fn(Cap) -> u32,
) -> Result<Host, String> {
    let table = v.and_then(kept);
    let platform = match &table {
        Some(t) => {
            let mut by_base: BTreeMap<u64, Preset> = BTreeMap::new();
            for s in &t.structures {
                if let Body::Drhd(d) = &s.body {
                    by_base.insert(d.register_base, preset.unwrap_or_else(|| auto_preset(m, d)));
                }
            }
            Platform::from_dmar(t, m.clone(), |base| {
                by_base.get(&base).copied().unwrap_or(presets::HASWELL)
            })
            .map_err(|e| format!("a unit's capabilities are inconsistent: {e}"))?
        }
        None => Platform::new(m.clone(), Vec::new(), Default::default()),
    };
    let lv: Vec<u32> = platform.units().iter().map(|u| levels(u.cap())).collect();
    let mut host = Host::new(personality, platform, &lv);
    if let (Some(t), Some(v)) = (&table, v) {
        for s in &t.structures {
            let Body::Rmrr(r) = &s.body else { continue };
            if v.dropped_rmrrs.contains(&s.offset) {
                continue;
            }
            let mut devices = Vec::new();
            let mut buses = Vec::new();
            for sc in &r.scopes.entries {
                let Some(b) = scope_end(m, r.segment, sc) else {
                    continue;
                };
                devices.push(b);
                if sc.kind == ScopeKind::Bridge {
                    if let Some(p) = m.device(b) {
                        if let Some(sec) = p.secondary_bus {
                            buses.push((sec, p.subordinate_bus.unwrap_or(sec)));
                        }
                    }
                }
            }
            host.rmrrs.push(RmrrInfo {
                offset: s.offset,
                base: r.base,
                end: r.end,
                devices,
                buses,
                scope_count: r.scopes.entries.len(),
            });
        }
    }
    Ok(host)
}

/// The source-ids whose context entries follow `bdf` (the device's own, and the
/// aliases of a conventional device behind a PCIe-to-PCI bridge).
/// - Xen 4.17 `domain_context_mapping()` for `DEV_TYPE_PCI`: the top-most bridge and
///   (secondary bus, 00.0) unless the device is that function.
/// - Xen 4.0.0: the same, including (secondary bus, 00.0) for the device that is it.
/// - Linux `pci_for_each_dma_alias()`: (secondary bus, 00.0) only.
pub fn source_ids(personality: Personality, m: &Machine, bdf: Bdf) -> Vec<u16> {
    let mut v = vec![bdf.requester_id()];
    if let Some((bridge, sec)) = upstream_bridge(m, bdf) {
        let alias = u16::from(sec) << 8;
        match personality {
            Personality::Linux61 => v.push(alias),
            Personality::Xen417 | Personality::Xen40 => {
                v.push(bridge.requester_id());
                let is_alias = bdf.bus == sec && bdf.device == 0 && bdf.function == 0;
                if !is_alias || personality == Personality::Xen40 {
                    v.push(alias);
                }
            }
        }
    }
    v.dedup();
    v
}

/// Put `bdf` in `domain`: context entries for all its source-ids on its unit, with the
/// domain's DID there (`reserved`: DIDs the personality never hands out).
pub fn attach(host: &mut Host, domain: DomainId, bdf: Bdf, reserved: &[u16]) -> Result<(), String> {
    let Some(unit) = host.platform.unit_for(bdf) else {
        // No unit covers it: its DMA is not remapped at all.
        host.owner.insert(bdf, domain);
        if let Some(d) = host.domains.get_mut(&domain) {
            d.devices.insert(bdf);
        }
        return Ok(());
    };
    let sids = source_ids(host.personality, host.machine(), bdf);
    let did = host.did(domain, unit, reserved);
    host.map_context(domain, unit, &sids, did)
        .map_err(|e| e.to_string())?;
    host.owner.insert(bdf, domain);
    if let Some(d) = host.domains.get_mut(&domain) {
        d.devices.insert(bdf);
    }
    Ok(())
}

/// The verdict's per-unit view.
pub fn unit_verdicts(host: &Host) -> Vec<UnitVerdict> {
    host.platform
        .units()
        .iter()
        .map(|u| {
            let g = u.gsts();
            UnitVerdict {
                base: u.base(),
                preset: u.config().preset.name.to_string(),
                qi: g & gcmd::QIE != 0,
                ir: g & gcmd::IRE != 0,
                translation: g & gcmd::TE != 0,
            }
        })
        .collect()
}

/// Whether every I/O APIC of the machine is under some DRHD's scope.
pub fn ioapics_covered(m: &Machine, drhds: &[dmar::Drhd]) -> bool {
    let Some(ids) = &m.ioapics else {
        return drhds
            .iter()
            .any(|d| d.scopes.entries.iter().any(|e| e.kind == ScopeKind::IoApic));
    };
    ids.iter().all(|id| {
        drhds.iter().any(|d| {
            d.scopes
                .entries
                .iter()
                .any(|e| e.kind == ScopeKind::IoApic && e.enumeration_id == *id)
        })
    })
}

//! Xen 4.0.0's VT-d bring-up and dom0 setup (docs/sources/xen40-driver.md §1–2).
//!
//! - The IOMMU is on by default; only `iommu=0|off|no|false|disable` turns it off.
//! - `intel_vtd_setup()`: feature intersection (snoop, pass-through, QI, IR over every
//!   unit), IR dropped without QI (`Interrupt Remapping disabled since Queued
//!   Invalidation isn't supported or enabled.`, printed: 4.0 prints its dprintks), the
//!   four `Intel VT-d … supported.` lines, then `init_vtd_hw()`: QI per unit, the
//!   I/O APIC coverage check, IR per unit, root pointers, global flush.
//! - `iommu_setup()`: `I/O virtualisation enabled|disabled`, `I/O virtualisation for
//!   PV guests enabled|disabled`; `IOMMU setup failed, crash Xen for security
//!   purpose!` under force.
//! - dom0 (`intel_iommu_domain_init()` for domain 0): `iommu_set_dom0_mapping()` (with
//!   the default inclusive mapping everything but unusable memory and Xen's, up to
//!   max(RAM, 4 GiB); without it conventional RAM only), context entries, every RMRR,
//!   flush, then per unit TE and PMRs off. dom0 has DID 0.

use super::common::{attach, build_host, drhds, ioapics_covered};
use super::xen417::levels;
use super::{finish, verdict, Boot, BootInput};
use crate::host::hw;
use crate::host::ranges::RangeSet;
use crate::host::{DomainKind, Host, DOM0};
use crate::log::{Level, Log, LogLine};
use crate::options::XenOptions;
use crate::personality::Personality;
use crate::validate::{self, Fate, ParseOptions};
use vtd_machine::{E820Kind, Machine};
use vtd_model::qi::Width;

pub fn boot(input: &BootInput, o: &XenOptions, log: Log) -> Boot {
    let m = &input.machine;
    let mut v = verdict(input, log);
    let mut o = o.clone();
    // acpi_parse_dmar() returns at once when the IOMMU is off.
    let val = o.enable.then(|| {
        validate::validate(
            Personality::Xen40,
            input.dmar.as_deref(),
            m,
            ParseOptions {
                force: o.force,
                workaround_bios_bug: o.workaround_bios_bug,
                verbose: o.verbose,
            },
        )
    });
    match &val {
        Some(val) => {
            v.table = val.fate;
            v.findings = val.findings.clone();
            v.log.extend(val.log.0.iter().cloned());
        }
        None => v.table = Fate::NotParsed,
    }
    let accepted = val.as_ref().filter(|x| x.fate == Fate::Accepted);
    let units = accepted.map(drhds).unwrap_or_default();
    let mut host = match build_host(Personality::Xen40, m, accepted, input.preset, levels) {
        Ok(h) => h,
        Err(e) => {
            v.notes.push(e);
            return Boot {
                verdict: v,
                host: None,
            };
        }
    };
    let n = host.units.len();
    let mut enabled = o.enable && n > 0;
    let mut intremap = o.intremap;
    if enabled {
        let ecaps: Vec<_> = host.platform.units().iter().map(|u| u.ecap()).collect();
        o.snoop &= ecaps.iter().all(|e| e.sc());
        o.dom0_passthrough &= ecaps.iter().all(|e| e.pt());
        o.qinval &= ecaps.iter().all(|e| e.qi());
        intremap &= ecaps.iter().all(|e| e.ir());
        if !o.qinval && intremap {
            v.log.push(LogLine::new(
                Level::Warning,
                "[VT-D]Interrupt Remapping disabled since Queued Invalidation isn't supported or enabled.",
            ));
            intremap = false;
        }
        // 4.0.0 enable_x2apic() runs before iommu_setup(); without EIM it says so.
        let eim = m.x2apic
            && o.qinval
            && intremap
            && ioapics_covered(m, &units)
            && ecaps.iter().all(|e| e.qi() && e.ir() && e.eim());
        if m.x2apic && !eim {
            v.log.push(LogLine::new(
                Level::Warning,
                "x2APIC would not be enabled without EIM.",
            ));
        }
        let sup = |b: bool| if b { "supported" } else { "not supported" };
        for (what, b) in [
            ("Snoop Control", o.snoop),
            ("DMA Passthrough", o.dom0_passthrough),
            ("Queued Invalidation", o.qinval),
            ("Interrupt Remapping", intremap),
        ] {
            v.log.push(LogLine::new(
                Level::Warning,
                format!("Intel VT-d {what} {}.", sup(b)),
            ));
        }
        // init_vtd_hw().
        for i in 0..n {
            let st = &mut host.units[i];
            if let Some((u, mem)) = host.platform.unit_and_memory(i) {
                if o.qinval {
                    if let Err(e) = hw::enable_qi(u, mem, st, &mut host.alloc, 0, Width::Bits128) {
                        v.notes.push(format!("unit {i}: {e}"));
                    }
                }
            }
        }
        if intremap {
            if let Some(id) = uncovered_ioapic(m, &units) {
                v.log.push(LogLine::new(
                    Level::Error,
                    format!(
                        "[VT-D]ioapic_to_iommu: ioapic {id:#x} (id: {id:#x}) is NULL! Will not try to enable Interrupt Remapping."
                    ),
                ));
                intremap = false;
            }
        }
        if intremap {
            for i in 0..n {
                let st = &mut host.units[i];
                if let Some((u, mem)) = host.platform.unit_and_memory(i) {
                    if let Err(e) = hw::enable_ir(u, mem, st, &mut host.alloc, 15, eim, false) {
                        v.notes.push(format!("unit {i}: {e}"));
                    }
                }
            }
            v.x2apic = eim;
        }
        for i in 0..n {
            let st = &mut host.units[i];
            if let Some((u, mem)) = host.platform.unit_and_memory(i) {
                if let Err(e) = hw::set_root(u, mem, st, &mut host.alloc) {
                    v.notes.push(format!("unit {i}: {e}"));
                    enabled = false;
                }
            }
        }
        if let Err(e) = host.flush_all() {
            v.notes.push(e.to_string());
        }
    }
    if o.force && !enabled {
        v.panic("IOMMU setup failed, crash Xen for security purpose!");
        return Boot {
            verdict: v,
            host: None,
        };
    }
    v.log.push(LogLine::new(
        Level::Warning,
        format!(
            "I/O virtualisation {}abled",
            if enabled { "en" } else { "dis" }
        ),
    ));
    if enabled {
        v.log.push(LogLine::new(
            Level::Warning,
            format!(
                "I/O virtualisation for PV guests {}abled",
                if o.pv { "en" } else { "dis" }
            ),
        ));
    } else {
        intremap = false;
        o.snoop = false;
        o.dom0_passthrough = false;
    }
    host.snoop = o.snoop;
    host.superpages = false;
    host.pv_iommu = o.pv;
    host.add_domain(DOM0, "Domain-0", DomainKind::Hardware)
        .passthrough = o.dom0_passthrough;
    if enabled {
        if let Err(e) = dom0_init(&mut host, &o) {
            v.notes.push(format!("dom0 setup: {e}"));
        }
    } else {
        for d in crate::host::topology::dma_devices(m) {
            host.owner.insert(d.bdf, DOM0);
        }
    }
    v.vtd_enabled = enabled && host.translation;
    v.translation = host.translation;
    v.qi = enabled && o.qinval;
    v.ir = enabled && intremap;
    host.ir_enabled = v.ir;
    v.passthrough = enabled && o.dom0_passthrough;
    v.snoop_control = enabled && o.snoop;
    finish(v, host)
}

/// The first machine I/O APIC no DRHD scope names.
fn uncovered_ioapic(m: &Machine, drhds: &[dmar::Drhd]) -> Option<u8> {
    m.ioapics.as_ref()?.iter().copied().find(|id| {
        !drhds.iter().any(|d| {
            d.scopes
                .entries
                .iter()
                .any(|e| e.kind == dmar::ScopeKind::IoApic && e.enumeration_id == *id)
        })
    })
}

/// `iommu_set_dom0_mapping()` (4.0.0 `vtd/x86/vtd.c`): every page up to max(RAM,
/// 4 GiB) that is conventional RAM, or with inclusive mapping anything but unusable
/// memory; never Xen's own.
pub fn dom0_ranges(m: &Machine, inclusive: bool, xen: (u64, u64)) -> RangeSet {
    let mut set = RangeSet::default();
    let top = m
        .e820
        .iter()
        .filter(|e| e.kind == E820Kind::Ram)
        .map(|e| e.end.saturating_add(1))
        .max()
        .unwrap_or(0)
        .max(1 << 32);
    if inclusive {
        set.add(0, top);
        for e in m.e820.iter().filter(|e| e.kind == E820Kind::Unusable) {
            set.remove(e.base & !0xfff, (e.end | 0xfff).saturating_add(1));
        }
    } else {
        for e in m.e820.iter().filter(|e| e.kind == E820Kind::Ram) {
            set.add_bytes(e.base, e.end);
        }
    }
    set.remove(xen.0, xen.1);
    set
}

fn dom0_init(host: &mut Host, o: &XenOptions) -> Result<(), String> {
    let m = host.machine().clone();
    let set = dom0_ranges(&m, o.dom0_inclusive, host.driver_memory);
    if !o.dom0_passthrough {
        host.map_identity(DOM0, &set).map_err(|e| e.to_string())?;
    }
    for d in crate::host::topology::dma_devices(&m) {
        attach(host, DOM0, d.bdf, &[])?;
    }
    // setup_dom0_rmrr(): every RMRR; the scope walk stops at BDF 00:00.0.
    let mut rmrr = RangeSet::default();
    for r in &host.rmrrs {
        if r.devices.first().is_some_and(|b| b.requester_id() == 0) || r.end < r.base {
            continue;
        }
        rmrr.add(r.base & !0xfff, (r.end + 0xfff) & !0xfff);
    }
    if !o.dom0_passthrough {
        host.map_identity(DOM0, &rmrr).map_err(|e| e.to_string())?;
    }
    host.flush_all().map_err(|e| e.to_string())?;
    for i in 0..host.units.len() {
        if let Some((u, mem)) = host.platform.unit_and_memory(i) {
            hw::enable_translation(u, mem);
            hw::disable_pmr(u, mem);
            host.translation = true;
        }
    }
    Ok(())
}

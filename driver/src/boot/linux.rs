//! Linux 6.1's Intel IOMMU bring-up as Debian builds it (docs/sources/linux61-driver.md).
//!
//! 1. Interrupt remapping first (`enable_IR_x2apic` → `intel_prepare_irq_remapping` →
//!    `intel_enable_irq_remapping`): the DMAR is parsed (a zero-length structure hangs
//!    here, whatever `intel_iommu=` says), QI is turned on for every unit, IRTA /
//!    SIRTP / global IEC flush (skipped with CAP.ESIRTPS), IRE, CFI cleared.
//! 2. `iommu_subsys_init`: the default domain type lines.
//! 3. `intel_iommu_init`: nothing more with `intel_iommu=off` or `iommu=off`. Else
//!    units that name no existing device, and graphics-only units under `igfx_off`, are
//!    ignored; per unit QI (`Using Queued invalidation`), hardware pass-through only if
//!    every unit has ECAP.PT, root pointer and global flushes (unless CAP.ESRTPS);
//!    every device gets its default domain (identity for pass-through, integrated
//!    graphics under Debian's default and `igfx_off`; a DMA-API domain per IOMMU group
//!    otherwise, with the RMRRs of its devices mapped 1:1); then TE per unit and
//!    PMRs off, and `Intel(R) Virtualization Technology for Directed I/O`.
//!
//! The reference driver programs legacy-mode tables even where Linux would choose
//! scalable mode (ECAP.SMTS with `sm_on`, the default): the verdict says so.

use super::common::{self, build_host, drhds, ioapics_covered, scope_end};
use super::{finish, verdict, Boot, BootInput, Outcome};
use crate::host::hw;
use crate::host::ranges::RangeSet;
use crate::host::topology::{alias_group, is_display, is_isa_bridge, is_usb};
use crate::host::{DomainId, DomainKind, Host};
use crate::log::{Level, Log, LogLine};
use crate::options::LinuxOptions;
use crate::personality::Personality;
use crate::validate::{self, Fate, ParseOptions};
use dmar::{Body, DmarFlags, DrhdFlags, ScopeKind};
use std::collections::BTreeMap;
use vtd_machine::{Bdf, E820Kind, PciDevice};
use vtd_model::qi::Width;
use vtd_model::regs::Cap;

/// The identity domain (`si_domain`).
pub const SI_DOMAIN: DomainId = 1;
/// The first DMA-API domain.
const FIRST_DMA: DomainId = 2;

/// The largest page-table depth the unit supports (the default domain width is 57).
fn levels(cap: Cap) -> u32 {
    cap.max_levels().unwrap_or(4)
}

/// Display class, Intel, on a root bus: Debian's `IS_INTGPU_DEVICE`.
fn is_intgpu(d: &PciDevice) -> bool {
    is_display(d) && d.vendor.unwrap_or(0x8086) == 0x8086 && d.bdf.bus == 0
}

pub fn boot(input: &BootInput, o: &LinuxOptions, log: Log) -> Boot {
    let m = &input.machine;
    let mut v = verdict(input, log);
    let val = validate::validate(
        Personality::Linux61,
        input.dmar.as_deref(),
        m,
        ParseOptions::default(),
    );
    v.table = val.fate;
    v.findings = val.findings.clone();
    v.taint = val.taint;
    if val.fate == Fate::Hang {
        v.log.extend(val.log.0.iter().cloned());
        v.outcome = Outcome::Hang;
        v.hang = val.hang.clone().or(Some("parsing the DMAR table".into()));
        v.notes.push(
            "Linux 6.1 walks the table in dmar_table_init()/dmar_dev_scope_init() before it \
             looks at intel_iommu=off, so no option avoids the hang"
                .into(),
        );
        return Boot {
            verdict: v,
            host: None,
        };
    }
    let accepted = (val.fate == Fate::Accepted).then_some(&val);
    let units = accepted.map(drhds).unwrap_or_default();
    let mut host = match build_host(Personality::Linux61, m, accepted, input.preset, levels) {
        Ok(h) => h,
        Err(e) => {
            v.notes.push(e);
            return Boot {
                verdict: v,
                host: None,
            };
        }
    };
    host.snoop = false;
    host.superpages = o.superpage;
    if let Some(t) = accepted.and_then(|x| x.table.as_ref()) {
        banner(&host, t, &mut v.log);
    }
    v.log.extend(val.log.0.iter().cloned());
    let n = host.units.len();
    let flags = accepted
        .and_then(|x| x.table.as_ref())
        .map_or(DmarFlags::empty(), |t| t.flags);
    let caps: Vec<_> = host
        .platform
        .units()
        .iter()
        .map(|u| (u.cap(), u.ecap()))
        .collect();
    let smts = caps.iter().any(|c| c.1.smts());

    // 1. Interrupt remapping.
    let mut ir = false;
    let mut eim = false;
    if o.intremap && n > 0 && flags.contains(DmarFlags::INTR_REMAP) {
        for (i, d) in units.iter().enumerate() {
            for e in d
                .scopes
                .entries
                .iter()
                .filter(|e| e.kind == ScopeKind::IoApic)
            {
                v.log.push(LogLine::new(
                    Level::Info,
                    format!(
                        "DMAR-IR: IOAPIC id {} under DRHD base  {:#x} IOMMU {i}",
                        e.enumeration_id, d.register_base
                    ),
                ));
            }
        }
        let covered = ioapics_covered(m, &units) && !val.ir_off;
        if !covered || !caps.iter().all(|c| c.1.ir()) {
            v.log.push(LogLine::new(
                Level::Info,
                "DMAR-IR: Not enabling interrupt remapping",
            ));
            if m.x2apic {
                v.log.push(LogLine::new(
                    Level::Warning,
                    "DMAR-IR: Failed to enable irq remapping. You are vulnerable to irq-injection attacks.",
                ));
            }
        } else {
            eim = m.x2apic;
            if eim && flags.contains(DmarFlags::X2APIC_OPT_OUT) && !o.no_x2apic_optout {
                v.log.push(LogLine::new(
                    Level::Info,
                    "DMAR-IR: x2apic is disabled because BIOS sets x2apic opt out bit.",
                ));
                v.log.push(LogLine::new(
                    Level::Info,
                    "DMAR-IR: Use 'intremap=no_x2apic_optout' to override the BIOS setting.",
                ));
                eim = false;
            }
            for (i, c) in caps.iter().enumerate() {
                if eim && !c.1.eim() {
                    v.log.push(LogLine::new(
                        Level::Info,
                        format!("DMAR-IR: dmar{i} does not support EIM"),
                    ));
                    eim = false;
                }
            }
            if eim {
                v.log.push(LogLine::new(
                    Level::Info,
                    "DMAR-IR: Queued invalidation will be enabled to support x2apic and Intr-remapping.",
                ));
            }
            ir = true;
            for i in 0..n {
                if let Err(e) = enable_qi(&mut host, i, smts).and_then(|_| {
                    let st = &mut host.units[i];
                    match host.platform.unit_and_memory(i) {
                        Some((u, mem)) => hw::enable_ir(u, mem, st, &mut host.alloc, 15, eim, true),
                        None => Ok(()),
                    }
                }) {
                    v.log.push(LogLine::new(
                        Level::Error,
                        format!("DMAR-IR: Failed to setup irq remapping for dmar{i}"),
                    ));
                    v.notes.push(e.to_string());
                    ir = false;
                }
            }
            if ir {
                v.log.push(LogLine::new(
                    Level::Info,
                    format!(
                        "DMAR-IR: Enabled IRQ remapping in {} mode",
                        if eim { "x2apic" } else { "xapic" }
                    ),
                ));
            }
        }
    }
    if m.x2apic && !(ir && eim) {
        v.log.push(LogLine::new(
            Level::Info,
            "x2apic: IRQ remapping doesn't support X2APIC mode",
        ));
    }

    // 2. iommu_subsys_init.
    let suffix = |cmd: bool| {
        if cmd {
            "(set via kernel command line)"
        } else {
            ""
        }
    };
    if o.passthrough {
        v.log.push(LogLine::new(
            Level::Info,
            format!(
                "iommu: Default domain type: Passthrough {}",
                suffix(o.passthrough_cmdline)
            ),
        ));
    } else {
        v.log.push(LogLine::new(
            Level::Info,
            format!(
                "iommu: Default domain type: Translated {}",
                suffix(o.passthrough_cmdline)
            ),
        ));
        v.log.push(LogLine::new(
            Level::Info,
            format!(
                "iommu: DMA domain TLB invalidation policy: {} mode {}",
                if o.strict && o.strict_cmdline {
                    "strict"
                } else {
                    "lazy"
                },
                suffix(o.strict_cmdline)
            ),
        ));
    }

    // 3. intel_iommu_init.
    let mut enabled = n > 0 && !o.no_iommu && !o.dmar_disabled;
    if n > 0 && !enabled {
        v.notes.push(
            "intel_iommu_init() stops here: translation stays off on every unit (the only \
             message is the one printed when the option was parsed)"
                .into(),
        );
    }
    if enabled {
        let t = accepted.and_then(|x| x.table.as_ref());
        for (kind, what) in [(1u16, "RMRR"), (2, "ATSR"), (5, "SATC")] {
            let any = t.is_some_and(|t| {
                t.structures.iter().any(|s| {
                    matches!(
                        (&s.body, kind),
                        (Body::Rmrr(_), 1) | (Body::Atsr(_), 2) | (Body::Satc(_), 5)
                    )
                })
            });
            if !any {
                v.log
                    .push(LogLine::new(Level::Info, format!("DMAR: No {what} found")));
            }
        }
        // init_no_remapping_devices().
        for (i, d) in units.iter().enumerate() {
            let include_all = d.flags.contains(DrhdFlags::INCLUDE_PCI_ALL);
            let any_device = d.scopes.entries.iter().any(|e| {
                matches!(e.kind, ScopeKind::Endpoint | ScopeKind::Bridge)
                    && scope_end(m, d.segment, e).is_some()
            });
            if (!include_all && !any_device) || (common::gfx_only(m, d) && !o.map_gfx) {
                host.units[i].ignored = true;
            }
        }
        if smts && o.scalable {
            v.notes.push(
                "Linux 6.1 would program scalable-mode tables on these units (ECAP.SMTS, \
                 sm_on by default); the reference driver programs legacy mode"
                    .into(),
            );
        }
        let mut hw_pt = true;
        #[allow(clippy::needless_range_loop)]
        for i in 0..n {
            if host.units[i].ignored {
                continue;
            }
            match enable_qi(&mut host, i, smts) {
                Ok(()) if host.units[i].queue.is_some() => v.log.push(LogLine::new(
                    Level::Info,
                    format!("DMAR: dmar{i}: Using Queued invalidation"),
                )),
                _ => v.log.push(LogLine::new(
                    Level::Info,
                    format!("DMAR: dmar{i}: Using Register based invalidation"),
                )),
            }
            hw_pt &= caps[i].1.pt();
        }
        for i in 0..n {
            if host.units[i].ignored {
                continue;
            }
            let st = &mut host.units[i];
            if let Some((u, mem)) = host.platform.unit_and_memory(i) {
                let esrtps = u.cap().esrtps();
                let r = hw::set_root(u, mem, st, &mut host.alloc).and_then(|_| {
                    if esrtps {
                        Ok(())
                    } else {
                        hw::flush_all(u, mem, st)
                    }
                });
                if let Err(e) = r {
                    v.notes.push(format!("dmar{i}: {e}"));
                    enabled = false;
                }
            }
        }
        if let Err(e) = domains(&mut host, o, hw_pt, &mut v.log) {
            v.notes.push(format!("domains: {e}"));
        }
        for (i, cap) in caps.iter().enumerate() {
            if let Some((u, mem)) = host.platform.unit_and_memory(i) {
                if cap.0.cm() {
                    v.log.push(LogLine::new(
                        Level::Info,
                        "DMAR: IOMMU batching disallowed due to virtualization",
                    ));
                }
                if !host.units[i].ignored {
                    hw::enable_translation(u, mem);
                    host.translation = true;
                }
                hw::disable_pmr(u, mem);
            }
        }
        v.log.push(LogLine::new(
            Level::Info,
            "DMAR: Intel(R) Virtualization Technology for Directed I/O",
        ));
        v.passthrough = o.passthrough;
        v.dom0_mode = Some(
            if o.passthrough {
                "Passthrough"
            } else {
                "Translated"
            }
            .into(),
        );
    }
    v.vtd_enabled = enabled && host.translation;
    v.translation = host.translation;
    v.qi = host.units.iter().any(|u| u.queue.is_some());
    v.ir = ir;
    host.ir_enabled = ir;
    v.x2apic = ir && eim;
    v.snoop_control = false;
    finish(v, host)
}

/// The parse-time lines (`parse_dmar_table`, `dmar_table_print_dmar_entry`,
/// `alloc_iommu`).
fn banner(host: &Host, t: &dmar::Table, log: &mut Vec<LogLine>) {
    log.push(LogLine::new(
        Level::Info,
        format!(
            "DMAR: Host address width {}",
            u32::from(t.host_address_width) + 1
        ),
    ));
    let mut unit = 0;
    for s in &t.structures {
        match &s.body {
            Body::Drhd(d) => {
                log.push(LogLine::new(
                    Level::Info,
                    format!(
                        "DMAR: DRHD base: {:#016x} flags: {:#x}",
                        d.register_base,
                        d.flags.bits()
                    ),
                ));
                if let Some(u) = host.platform.units().get(unit) {
                    let ver = u.config().preset.ver;
                    log.push(LogLine::new(
                        Level::Info,
                        format!(
                            "DMAR: dmar{unit}: reg_base_addr {:x} ver {}:{} cap {:x} ecap {:x}",
                            d.register_base,
                            ver >> 4,
                            ver & 0xf,
                            u.cap().into_bits(),
                            u.ecap().into_bits()
                        ),
                    ));
                }
                unit += 1;
            }
            Body::Rmrr(r) => log.push(LogLine::new(
                Level::Info,
                format!("DMAR: RMRR base: {:#016x} end: {:#016x}", r.base, r.end),
            )),
            _ => {}
        }
    }
}

/// QI on unit `i`: one page of 128-bit descriptors, or two pages of 256-bit ones on a
/// unit with scalable mode (`dmar_enable_qi`).
fn enable_qi(host: &mut Host, i: usize, smts: bool) -> Result<(), hw::HwError> {
    let st = &mut host.units[i];
    if let Some((u, mem)) = host.platform.unit_and_memory(i) {
        if u.ecap().qi() {
            let (qs, width) = if smts && u.ecap().smts() {
                (1, Width::Bits256)
            } else {
                (0, Width::Bits128)
            };
            hw::enable_qi(u, mem, st, &mut host.alloc, qs, width)?;
        }
    }
    Ok(())
}

/// The RMRR ranges that cover `bdf`, as `intel_iommu_get_resv_regions` reports them,
/// plus the floppy workaround's [0, 16 MiB) for an ISA bridge.
pub fn direct_ranges(host: &Host, bdf: Bdf) -> RangeSet {
    let mut set = RangeSet::default();
    for r in host.rmrrs.iter().filter(|r| r.covers(bdf)) {
        // iommu_create_device_direct_mappings(): start = ALIGN(base), end =
        // ALIGN(base + length).
        let start = (r.base + 0xfff) & !0xfff;
        let end = (r.end.wrapping_add(1) + 0xfff) & !0xfff;
        if end > start {
            set.add(start, end);
        }
    }
    if host.machine().device(bdf).is_some_and(is_isa_bridge) {
        set.add(0, 16 << 20);
    }
    set
}

/// Default domains for every device (`bus_iommu_probe`).
fn domains(
    host: &mut Host,
    o: &LinuxOptions,
    hw_pt: bool,
    log: &mut Vec<LogLine>,
) -> Result<(), String> {
    let m = host.machine().clone();
    // si_domain: pass-through where every unit allows it, else a 1:1 table of RAM and
    // of the RMRRs of the devices in scope now.
    host.add_domain(SI_DOMAIN, "identity (si_domain)", DomainKind::Identity)
        .passthrough = hw_pt;
    if !hw_pt {
        let mut set = RangeSet::default();
        for e in m.e820.iter().filter(|e| e.kind == E820Kind::Ram) {
            set.add_bytes(e.base, e.end);
        }
        for r in host.rmrrs.clone() {
            if r.end > r.base && !r.devices.is_empty() {
                set.add_bytes(r.base, r.end);
            }
        }
        host.map_identity(SI_DOMAIN, &set)
            .map_err(|e| e.to_string())?;
    }
    let mut groups: BTreeMap<Bdf, (u32, DomainId)> = BTreeMap::new();
    let mut next_group = 0u32;
    let mut next_domain = FIRST_DMA;
    for d in crate::host::topology::dma_devices(&m) {
        let Some(unit) = host.platform.unit_for(d.bdf) else {
            continue;
        };
        if host.units[unit].ignored {
            continue;
        }
        let leader = alias_group(&m, d.bdf)[0];
        let (group, dma_domain) = *groups.entry(leader).or_insert_with(|| {
            let g = (next_group, next_domain);
            next_group += 1;
            next_domain += 1;
            g
        });
        log.push(LogLine::new(
            Level::Info,
            format!("pci {}: Adding to iommu group {group}", d.bdf),
        ));
        let identity =
            o.passthrough || (is_display(d) && !o.map_gfx) || (is_intgpu(d) && !o.map_intgpu);
        let domain = if identity {
            SI_DOMAIN
        } else {
            if !host.domains.contains_key(&dma_domain) {
                host.add_domain(dma_domain, &format!("DMA (group {group})"), DomainKind::Dma);
            }
            let set = direct_ranges(host, d.bdf);
            host.map_identity(dma_domain, &set)
                .map_err(|e| e.to_string())?;
            dma_domain
        };
        let reserved: &[u16] =
            if o.scalable && host.platform.unit(unit).is_some_and(|u| u.ecap().smts()) {
                &[0, 1]
            } else {
                &[0]
            };
        common::attach(host, domain, d.bdf, reserved)?;
        host.default_domain.insert(d.bdf, (domain, group));
    }
    let _ = is_usb;
    Ok(())
}

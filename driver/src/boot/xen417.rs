//! Xen 4.17's VT-d bring-up and dom0 setup (docs/sources/xen417-driver.md).
//!
//! Order, as `__start_xen()` runs it:
//! 1. `acpi_iommu_init()`: the DMAR is parsed unless both `iommu=0` and
//!    `no-intremap` (`drivers/passthrough/x86/iommu.c`).
//! 2. `x2apic_bsp_setup()` (`arch/x86/apic.c`): on an x2APIC CPU whose units all have
//!    QI, IR and EIM and cover every I/O APIC, queued invalidation and interrupt
//!    remapping (EIM) are turned on now, and `force_iommu` is set.
//! 3. `iommu_setup()` → `vtd_setup()` → `init_vtd_hw()` (`vtd/iommu.c`): capability
//!    intersection and the `Intel VT-d … enabled.` lines, QI per unit (register-based
//!    invalidation as the fallback, impossible on VER ≥ 6 units), interrupt remapping,
//!    root pointers, global flushes; the `I/O virtualisation` lines; the force panics.
//! 4. dom0 build, `intel_iommu_hwdom_init()`: context entries for every device,
//!    identity maps of every RMRR, then `arch_iommu_hwdom_init()`'s bulk 1:1 maps,
//!    a global flush, and per unit translation on and PMRs off.

use super::common::{self, attach, build_host, drhds, ioapics_covered};
use super::{finish, verdict, Boot, BootInput};
use crate::host::hw;
use crate::host::ranges::RangeSet;
use crate::host::{DomainKind, Host, DOM0};
use crate::log::{Level, Log, LogLine};
use crate::options::XenOptions;
use crate::personality::Personality;
use crate::validate::{self, Fate, ParseOptions};
use dmar::DmarFlags;
use vtd_machine::{Dom0Kind, E820Kind, Machine};
use vtd_model::qi::Width;
use vtd_model::regs::Cap;

/// `agaw = fls(sagaw & 6) - 1` (4.17.3+): 4-level tables where the unit has them,
/// else 3-level.
pub fn levels(cap: Cap) -> u32 {
    if cap.sagaw() & 4 != 0 {
        4
    } else {
        3
    }
}

/// DIDs Xen never hands to a domain on a unit: DID 0 under caching mode.
pub fn reserved_dids(cap: Cap) -> Vec<u16> {
    if cap.cm() {
        vec![0]
    } else {
        Vec::new()
    }
}

pub fn boot(input: &BootInput, o: &XenOptions, log: Log) -> Boot {
    let m = &input.machine;
    let mut v = verdict(input, log);
    let mut o = o.clone();
    let pvh = m.dom0 == Some(Dom0Kind::Pvh);
    let parse = o.enable || o.intremap;
    let val = parse.then(|| {
        validate::validate(
            Personality::Xen417,
            input.dmar.as_deref(),
            m,
            ParseOptions {
                force: o.force,
                verbose: o.verbose,
                ..ParseOptions::default()
            },
        )
    });
    if let Some(val) = &val {
        v.table = val.fate;
        v.findings = val.findings.clone();
        v.log.extend(val.log.0.iter().cloned());
    } else {
        v.table = Fate::NotParsed;
    }
    let accepted = val.as_ref().filter(|x| x.fate == Fate::Accepted);
    let units = accepted.map(drhds).unwrap_or_default();
    let mut host = match build_host(Personality::Xen417, m, accepted, input.preset, levels) {
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
    let flags = accepted
        .and_then(|x| x.table.as_ref())
        .map_or(DmarFlags::empty(), |t| t.flags);

    // iommu_alloc(), per DRHD at parse time.
    if !o.qinval {
        if let Some(i) = host
            .platform
            .units()
            .iter()
            .position(|u| u.config().preset.ver >> 4 >= 6)
        {
            v.log.push(LogLine::new(
                Level::Warning,
                format!("[VT-D]IOMMU {i}: cannot disable Queued Invalidation"),
            ));
            o.qinval = true;
        }
    }
    let caps: Vec<(Cap, vtd_model::regs::Ecap, u32)> = host
        .platform
        .units()
        .iter()
        .map(|u| (u.cap(), u.ecap(), u.config().preset.ver))
        .collect();
    let all = |f: &dyn Fn(&(Cap, vtd_model::regs::Ecap, u32)) -> bool| n > 0 && caps.iter().all(f);
    let covered = ioapics_covered(m, &units) && !accepted.is_some_and(|x| x.ir_off);

    // x2apic_bsp_setup().
    let mut force = o.force;
    let mut eim = false;
    let supports_eim = m.x2apic
        && o.qinval
        && o.intremap
        && covered
        && all(&|c| c.1.qi() && c.1.ir() && c.1.eim());
    if supports_eim {
        let platform_x2apic =
            flags & (DmarFlags::INTR_REMAP | DmarFlags::X2APIC_OPT_OUT) == DmarFlags::INTR_REMAP;
        if !platform_x2apic {
            v.log.push(LogLine::new(
                Level::Warning,
                "Not enabling x2APIC (upon firmware request)",
            ));
        } else {
            for i in 0..n {
                if let Err(e) = enable_qi_ir(&mut host, i, true) {
                    v.notes.push(format!("unit {i}: {e}"));
                }
            }
            eim = true;
            force = true;
            v.notes.push(
                "x2APIC was enabled through interrupt remapping before iommu_setup(), which \
                 sets force_iommu (apic.c x2apic_bsp_setup)"
                    .into(),
            );
        }
    }

    // iommu_setup().
    if o.dom0_strict {
        o.dom0_passthrough = false;
    }
    let force_intremap = force && o.intremap;
    let mut enabled = false;
    let mut intremap = o.intremap;
    if o.enable && n > 0 {
        // vtd_setup().
        let mut large = [true, true];
        for (i, (cap, ..)) in caps.iter().enumerate() {
            let sps = cap.sllps();
            large[0] &= sps & 1 != 0;
            large[1] &= sps & 2 != 0;
            v.log.push(LogLine::new(
                Level::Warning,
                format!(
                    "Intel VT-d iommu {i} supported page sizes: 4kB{}{}",
                    if sps & 1 != 0 { ", 2MB" } else { "" },
                    if sps & 2 != 0 { ", 1GB" } else { "" }
                ),
            ));
        }
        o.snoop &= all(&|c| c.1.sc());
        o.dom0_passthrough &= all(&|c| c.1.pt());
        o.qinval &= all(&|c| c.1.qi());
        let reg_inval = all(&|c| c.2 >> 4 < 6);
        intremap &= all(&|c| c.1.ir());
        o.intpost &= intremap && all(&|c| c.0.pi());
        let ok = o.qinval || reg_inval;
        if ok {
            if !o.qinval && intremap {
                intremap = false;
            }
            let on = |b: bool| if b { "enabled" } else { "not enabled" };
            for (what, b) in [
                ("Snoop Control", o.snoop),
                ("Dom0 DMA Passthrough", o.dom0_passthrough),
                ("Queued Invalidation", o.qinval),
                ("Interrupt Remapping", intremap),
                ("Posted Interrupt", o.intpost),
                ("Shared EPT tables", false),
            ] {
                v.log.push(LogLine::new(
                    Level::Warning,
                    format!("Intel VT-d {what} {}.", on(b)),
                ));
            }
            // init_vtd_hw(): QI, IR, root, flush.
            enabled = true;
            for i in 0..n {
                if o.qinval && host.units[i].queue.is_none() {
                    if let Err(e) = enable_qi(&mut host, i) {
                        v.notes.push(format!("unit {i}: {e}"));
                        enabled = false;
                    }
                }
            }
            if intremap && !eim {
                if !covered {
                    intremap = false;
                } else if !flags.contains(DmarFlags::INTR_REMAP) {
                    v.log.push(LogLine::new(
                        Level::Error,
                        "[VT-D] Platform firmware does not support interrupt remapping",
                    ));
                    intremap = false;
                } else {
                    for i in 0..n {
                        if let Err(e) = enable_qi_ir(&mut host, i, false) {
                            v.notes.push(format!("unit {i}: {e}"));
                        }
                    }
                }
            }
            for i in 0..n {
                let (st, rest) = (&mut host.units[i], &mut host.platform);
                if let Some((u, mem)) = rest.unit_and_memory(i) {
                    if let Err(e) = hw::set_root(u, mem, st, &mut host.alloc) {
                        v.notes.push(format!("unit {i}: {e}"));
                        enabled = false;
                    }
                }
            }
            if let Err(e) = host.flush_all() {
                v.notes.push(e.to_string());
            }
            host.superpages = o.superpages;
            let _ = large;
        }
    }
    if !enabled {
        intremap = false;
        // A unit that enabled IR early keeps it; the verdict reports the registers.
    }
    if (force && !enabled) || (force_intremap && !intremap) {
        let what = if !enabled {
            "IOMMU"
        } else {
            "Interrupt Remapping"
        };
        // iommu_setup() panics before its "I/O virtualisation" line (the oracle's
        // recording of samsung-x460-no-dmar with iommu=force shows the order).
        v.panic(&format!("Couldn't enable {what} and iommu=required/force"));
        v.units = common::unit_verdicts(&host);
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
        let mode = if o.dom0_passthrough {
            "Passthrough"
        } else if o.dom0_strict {
            "Strict"
        } else {
            "Relaxed"
        };
        v.log.push(LogLine::new(
            Level::Warning,
            format!(" - Dom0 mode: {mode}"),
        ));
        v.log.push(LogLine::new(
            Level::Warning,
            format!(
                "Interrupt remapping {}abled",
                if intremap { "en" } else { "dis" }
            ),
        ));
    } else {
        o.snoop = false;
        o.dom0_passthrough = false;
        o.dom0_strict = false;
    }

    // dom0 build: check_hwdom_reqs().
    if pvh && !o.dom0_none {
        o.dom0_passthrough = false;
        o.dom0_strict = true;
        if !enabled {
            v.panic("Presently, iommu must be enabled for PVH hardware domain");
            return Boot {
                verdict: v,
                host: None,
            };
        }
    }
    host.snoop = o.snoop;
    host.quarantine = o.quarantine != crate::options::Quarantine::None;
    host.add_domain(DOM0, "Domain-0", DomainKind::Hardware)
        .passthrough = o.dom0_passthrough;
    if enabled {
        if let Err(e) = hwdom_init(&mut host, &o, pvh, &units, &mut v.log) {
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
    v.ir = intremap;
    host.ir_enabled = intremap;
    v.x2apic = eim;
    v.passthrough = enabled && o.dom0_passthrough;
    v.snoop_control = enabled && o.snoop;
    v.dom0_mode = enabled.then(|| {
        if o.dom0_passthrough {
            "Passthrough"
        } else if o.dom0_strict {
            "Strict"
        } else {
            "Relaxed"
        }
        .to_string()
    });
    finish(v, host)
}

/// `enable_qinval()`: a one-page ring of 128-bit descriptors.
fn enable_qi(host: &mut Host, i: usize) -> Result<(), hw::HwError> {
    let st = &mut host.units[i];
    if let Some((u, mem)) = host.platform.unit_and_memory(i) {
        if u.ecap().qi() {
            hw::enable_qi(u, mem, st, &mut host.alloc, 0, Width::Bits128)?;
        }
    }
    Ok(())
}

/// `enable_intremap()` (after QI): IRTA with the table of `IRTA_REG_TABLE_SIZE`
/// (2^(7+8) entries), SIRTP, global IEC flush, IRE.
fn enable_qi_ir(host: &mut Host, i: usize, eim: bool) -> Result<(), hw::HwError> {
    enable_qi(host, i)?;
    let st = &mut host.units[i];
    if st.irt.is_some() {
        return Ok(());
    }
    if let Some((u, mem)) = host.platform.unit_and_memory(i) {
        if u.ecap().ir() && st.queue.is_some() {
            hw::enable_ir(u, mem, st, &mut host.alloc, 14, eim, false)?;
        }
    }
    Ok(())
}

/// What `arch_iommu_hwdom_init()` maps 1:1 for dom0 (`hwdom_iommu_map()`,
/// `drivers/passthrough/x86/iommu.c`): every pfn up to max(top of RAM, 4 GiB) except
/// Xen's own memory and the interrupt range; conventional RAM unless strict; reserved
/// memory with map-reserved (default) or map-inclusive; other non-RAM (holes, ACPI,
/// NVS) only for a PV dom0 with map-inclusive, and only below 4 GiB; unusable never.
pub fn dom0_ranges(m: &Machine, o: &XenOptions, pvh: bool, xen: (u64, u64)) -> RangeSet {
    let mut set = RangeSet::default();
    let top = m
        .e820
        .iter()
        .filter(|e| e.kind == E820Kind::Ram)
        .map(|e| e.end.saturating_add(1))
        .max()
        .unwrap_or(0)
        .max(1 << 32);
    let typed = |kind: E820Kind| {
        m.e820
            .iter()
            .filter(move |e| e.kind == kind)
            .map(|e| (e.base, e.end))
    };
    if !o.dom0_strict {
        for (a, b) in typed(E820Kind::Ram) {
            set.add_bytes(a, b);
        }
    }
    if o.map_reserved() || o.dom0_inclusive {
        for (a, b) in typed(E820Kind::Reserved) {
            set.add_bytes(a, b.min(top - 1));
        }
    }
    if o.dom0_inclusive && !pvh {
        // Everything below 4 GiB that is not RAM, reserved or unusable.
        let mut low = RangeSet::default();
        low.add(0, 1 << 32);
        for e in &m.e820 {
            if matches!(
                e.kind,
                E820Kind::Ram | E820Kind::Reserved | E820Kind::Unusable
            ) {
                low.remove(e.base & !0xfff, (e.end | 0xfff).saturating_add(1));
            }
        }
        for &(a, b) in low.ranges() {
            set.add(a, b);
        }
    }
    for e in typed(E820Kind::Unusable) {
        set.remove(e.0 & !0xfff, (e.1 | 0xfff).saturating_add(1));
    }
    set.remove(0xfee0_0000, 0xfef0_0000);
    set.remove(xen.0, xen.1);
    set
}

/// `intel_iommu_hwdom_init()`.
fn hwdom_init(
    host: &mut Host,
    o: &XenOptions,
    pvh: bool,
    drhds: &[dmar::Drhd],
    log: &mut Vec<LogLine>,
) -> Result<(), String> {
    let m = host.machine().clone();
    // 1. Context entries for every device Xen's scan found (bridges get none).
    for d in crate::host::topology::dma_devices(&m) {
        let reserved = host
            .platform
            .unit_for(d.bdf)
            .and_then(|u| host.platform.unit(u))
            .map(|u| reserved_dids(u.cap()))
            .unwrap_or_default();
        if let Err(e) = attach(host, DOM0, d.bdf, &reserved) {
            log.push(LogLine::new(
                Level::Error,
                format!("setup {} for d0 failed ({e})", d.bdf),
            ));
        }
    }
    // 2. Every registered RMRR, whatever its scope: base >> 12 up to
    //    PAGE_ALIGN_4K(end) >> 12, exclusive; the walk stops at a scope entry 00:00.0.
    let mut rmrr = RangeSet::default();
    for r in &host.rmrrs {
        if r.devices.first().is_some_and(|b| b.requester_id() == 0) || r.end <= r.base {
            continue;
        }
        rmrr.add(r.base & !0xfff, (r.end + 0xfff) & !0xfff);
    }
    if !o.dom0_passthrough {
        host.map_identity(DOM0, &rmrr).map_err(|e| e.to_string())?;
    }
    // 3. arch_iommu_hwdom_init().
    if o.dom0_inclusive {
        log.push(LogLine::new(
            Level::Warning,
            "IOMMU inclusive mappings are deprecated and will be removed in future versions",
        ));
    }
    let mut o = o.clone();
    if o.dom0_inclusive && pvh {
        log.push(LogLine::new(
            Level::Warning,
            "IOMMU inclusive mappings are only supported on PV Dom0",
        ));
        o.dom0_inclusive = false;
    }
    if !o.dom0_passthrough {
        let set = dom0_ranges(&m, &o, pvh, host.driver_memory);
        host.map_identity(DOM0, &set).map_err(|e| e.to_string())?;
    }
    // 4. Flush; 5. per unit TE (IGD units with iommu=no-igfx stay off), PMRs off.
    host.flush_all().map_err(|e| e.to_string())?;
    for (i, d) in drhds.iter().enumerate() {
        if common::gfx_only(&m, d) && !o.igfx {
            log.push(LogLine::new(
                Level::Warning,
                "[VT-D] passed iommu=no-igfx option; disabling IGD VT-d engine",
            ));
            host.units[i].ignored = true;
            continue;
        }
        if let Some((u, mem)) = host.platform.unit_and_memory(i) {
            hw::enable_translation(u, mem);
            hw::disable_pmr(u, mem);
            host.translation = true;
        }
    }
    Ok(())
}

//! Every option word of every personality: what the parser makes of it (and prints),
//! and for the words that change the hardware, what the booted model looks like.

mod common;

use common::*;
use vtd_driver::options::{self, Options, Quarantine};
use vtd_driver::{Outcome, Personality};
use vtd_model::regs::gcmd;

fn xen(
    p: Personality,
    cmdline: &str,
) -> (vtd_driver::options::XenOptions, Vec<String>, Vec<String>) {
    let parsed = options::parse(p, cmdline);
    let log = parsed.log.0.iter().map(|l| l.text.clone()).collect();
    match parsed.options {
        Options::Xen(o) => (o, log, parsed.notes),
        Options::Linux(_) => unreachable!(),
    }
}

fn linux(cmdline: &str) -> (vtd_driver::options::LinuxOptions, Vec<String>) {
    let parsed = options::parse(LINUX, cmdline);
    let log = parsed.log.0.iter().map(|l| l.text.clone()).collect();
    match parsed.options {
        Options::Linux(o) => (o, log),
        Options::Xen(_) => unreachable!(),
    }
}

#[test]
fn xen_417_boolean_forms_of_iommu() {
    for off in ["0", "no", "off", "false", "disable"] {
        assert!(!xen(XEN, &format!("iommu={off}")).0.enable, "{off}");
    }
    for on in ["1", "on", "yes", "true", "enable"] {
        assert!(xen(XEN, &format!("iommu=0 iommu={on}")).0.enable, "{on}");
    }
    assert!(xen(XEN, "").0.enable, "on by default in 4.17");
}

#[test]
fn xen_417_words_and_their_negations() {
    let (o, log, _) = xen(
        XEN,
        "iommu=force,verbose,no-snoop,no-qinval,no-intremap,no-igfx,no-superpages,intpost",
    );
    assert!(
        o.force
            && o.verbose
            && !o.snoop
            && !o.qinval
            && !o.intremap
            && !o.igfx
            && !o.superpages
            && o.intpost
    );
    assert!(log.is_empty(), "{log:?}");
    assert!(xen(XEN, "iommu=required").0.force);
    let (o, ..) = xen(XEN, "iommu=debug");
    assert!(o.debug && o.verbose, "debug implies verbose");
    let (o, ..) = xen(XEN, "iommu=dom0-passthrough,dom0-strict");
    assert!(
        o.dom0_passthrough && o.dom0_strict,
        "deprecated but still accepted"
    );
    assert_eq!(
        xen(XEN, "iommu=quarantine=scratch-page").0.quarantine,
        Quarantine::ScratchPage
    );
    assert_eq!(
        xen(XEN, "iommu=no-quarantine").0.quarantine,
        Quarantine::None
    );
    assert_eq!(xen(XEN, "").0.quarantine, Quarantine::Basic);
    assert!(!xen(XEN, "iommu=snoop=0").0.snoop);
}

#[test]
fn xen_417_rejects_the_words_it_dropped() {
    for word in ["passthrough", "workaround_bios_bug", "pv", "no-pv"] {
        let (o, log, _) = xen(XEN, &format!("iommu=1,{word}"));
        assert!(o.enable, "{word}: the words before it still apply");
        assert_eq!(
            log,
            vec![format!(
                "parameter \"iommu\" has invalid value \"1,{word}\", rc=-22!"
            )],
            "{word}"
        );
        assert!(!o.workaround_bios_bug && !o.dom0_passthrough);
    }
}

#[test]
fn xen_417_dom0_iommu_and_inclusive_mapping() {
    let (o, ..) = xen(
        XEN,
        "dom0-iommu=passthrough,strict=0,map-inclusive,map-reserved=false",
    );
    assert!(o.dom0_passthrough && !o.dom0_strict && o.dom0_inclusive);
    assert_eq!(o.dom0_reserved, Some(false));
    assert!(!o.map_reserved());
    assert!(xen(XEN, "").0.map_reserved(), "map-reserved defaults on");
    assert!(
        !xen(XEN, "").0.dom0_inclusive,
        "map-inclusive defaults off in 4.17"
    );
    assert!(xen(XEN, "dom0-iommu=none").0.dom0_none);
    assert!(xen(XEN, "iommu_inclusive_mapping=1").0.dom0_inclusive);
    assert!(xen(XEN, "iommu_inclusive_mapping").0.dom0_inclusive);
    let (_, log, _) = xen(XEN, "dom0-iommu=map-everything");
    assert_eq!(
        log,
        vec!["parameter \"dom0-iommu\" has invalid value \"map-everything\", rc=-22!"]
    );
    let (o, log, _) = xen(XEN, "iommu_inclusive_mapping=maybe");
    assert!(!o.dom0_inclusive);
    assert_eq!(log.len(), 1);
}

#[test]
fn xen_40_exact_words_and_silent_ignoring() {
    let (o, log, notes) = xen(
        XEN40,
        "iommu=pv,workaround_bios_bug,passthrough,verbose,no-snoop,no-qinval,no-intremap,force",
    );
    assert!(o.pv && o.workaround_bios_bug && o.dom0_passthrough && o.verbose);
    assert!(!o.snoop && !o.qinval && !o.intremap && o.force);
    assert!(log.is_empty() && notes.is_empty());
    assert!(!xen(XEN40, "iommu=pv,no-pv").0.pv);
    for off in ["0", "no", "off", "false", "disable"] {
        assert!(!xen(XEN40, &format!("iommu={off}")).0.enable, "{off}");
    }
    // On by default; the HowTo's iommu=1 is a word 4.0.0 does not know, ignored in
    // silence. So are the HowTo's spelling pass-through and 4.0.1's dom0-passthrough.
    for word in ["1", "on", "pass-through", "dom0-passthrough", "dom0-strict"] {
        let (o, log, notes) = xen(XEN40, &format!("iommu={word}"));
        assert!(o.enable && !o.dom0_passthrough, "{word}");
        assert!(log.is_empty(), "no message: {log:?}");
        assert_eq!(notes.len(), 1, "the reference driver notes it: {word}");
    }
    assert!(
        xen(XEN40, "").0.dom0_inclusive,
        "inclusive mapping defaults on in 4.0"
    );
    assert!(!xen(XEN40, "iommu_inclusive_mapping=0").0.dom0_inclusive);
    assert!(xen(XEN40, "iommu_inclusive_mapping=maybe").0.dom0_inclusive);
}

#[test]
fn linux_intel_iommu_words() {
    let (o, log) = linux("intel_iommu=on,igfx_off,sp_off,sm_off,tboot_noforce");
    assert!(
        !o.dmar_disabled
            && o.map_intgpu
            && !o.map_gfx
            && !o.superpage
            && !o.scalable
            && o.tboot_noforce
    );
    assert_eq!(
        log,
        vec![
            "DMAR: IOMMU enabled",
            "DMAR: Disable GFX device mapping",
            "DMAR: Disable supported super page",
            "DMAR: Scalable mode is disallowed",
            "DMAR: Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot",
        ]
    );
    let (o, log) = linux("intel_iommu=off");
    assert!(o.dmar_disabled && o.no_platform_optin);
    assert_eq!(log, vec!["DMAR: IOMMU disabled"]);
    let (o, log) = linux("intel_iommu=strict,forcedac,sm_on,intgpu_off");
    assert!(o.strict && o.forcedac && o.scalable && !o.map_intgpu);
    assert!(log[0].contains("intel_iommu=strict deprecated; use iommu.strict=1 instead"));
    assert!(log[1].contains("intel_iommu=forcedac deprecated"));
    assert_eq!(log[3], "DMAR: Disable integrated GPU device mapping");
    let (_, log) = linux("intel_iommu=bogus,on");
    assert_eq!(
        log,
        vec!["DMAR: Unknown option - 'bogus,on'", "DMAR: IOMMU enabled"]
    );
    assert!(!linux("").0.dmar_disabled, "Debian: on by default");
    assert!(
        !linux("").0.map_intgpu,
        "Debian: integrated graphics identity-mapped"
    );
}

#[test]
fn linux_generic_iommu_words() {
    assert!(linux("iommu=pt").0.passthrough);
    assert!(!linux("iommu=pt iommu=nopt").0.passthrough);
    assert!(linux("iommu=off").0.no_iommu);
    assert!(linux("iommu.passthrough=1").0.passthrough);
    assert!(linux("iommu.passthrough=on").0.passthrough_cmdline);
    assert!(linux("iommu.strict=y").0.strict);
    let (o, log) = linux("iommu.strict=maybe");
    assert!(!o.strict);
    assert_eq!(log, vec!["Malformed early option 'iommu.strict'"]);
    let (_, log) = linux("iommu=nodac");
    assert_eq!(log, vec!["nodac option ignored."]);
    assert!(!linux("intremap=off").0.intremap);
    assert!(!linux("nointremap").0.intremap);
    let (o, _) = linux("intremap=nosid,no_x2apic_optout,nopost");
    assert!(o.intremap && o.intremap_nosid && o.no_x2apic_optout && o.intremap_nopost);
}

/// The booted QEMU-layout control table: one include-all-like unit.
fn control(p: Personality, cmdline: &str) -> vtd_driver::Boot {
    boot_fixture(p, "qemu-q35-control", cmdline)
}

#[test]
fn no_intremap_no_qinval_and_no_snoop_change_the_booted_xen_model() {
    let b = control(XEN, "iommu=1");
    assert!(b.verdict.vtd_enabled && b.verdict.qi && b.verdict.ir && b.verdict.snoop_control);
    let h = b.host.unwrap();
    let g = h.platform.units()[0].gsts();
    assert!(g & gcmd::QIE != 0 && g & gcmd::IRE != 0 && g & gcmd::TE != 0);
    // Snoop control on: dom0's leaf entries carry SNP (bit 11).
    let dev = bdf("00:01.0");
    let ctx = context(&h, dev, dev.requester_id()).unwrap();
    assert_eq!(tt(ctx), 0);
    assert_ne!(leaf(&h, ctx, 0x10_0000).unwrap() & (1 << 11), 0);

    let b = control(XEN, "iommu=1,no-intremap");
    assert!(!b.verdict.ir && b.verdict.qi);
    assert!(b.verdict.logged("Interrupt remapping disabled"));
    let g = b.host.unwrap().platform.units()[0].gsts();
    assert_eq!(g & gcmd::IRE, 0);

    let b = control(XEN, "iommu=1,no-qinval");
    assert!(!b.verdict.qi && !b.verdict.ir, "IR needs QI");
    assert!(b
        .verdict
        .logged("Intel VT-d Queued Invalidation not enabled."));
    assert_eq!(b.host.unwrap().platform.units()[0].gsts() & gcmd::QIE, 0);

    let b = control(XEN, "iommu=1,no-snoop");
    assert!(!b.verdict.snoop_control);
    let h = b.host.unwrap();
    let ctx = context(&h, dev, dev.requester_id()).unwrap();
    assert_eq!(leaf(&h, ctx, 0x10_0000).unwrap() & (1 << 11), 0);

    let b = control(XEN, "iommu=1,force,no-qinval");
    assert_eq!(b.verdict.outcome, Outcome::Panic);
    assert_eq!(
        b.verdict.panic.as_deref(),
        Some("Couldn't enable Interrupt Remapping and iommu=required/force")
    );
}

#[test]
fn dom0_passthrough_words_give_pass_through_context_entries() {
    for cmdline in ["iommu=1,dom0-passthrough", "dom0-iommu=passthrough"] {
        let b = control(XEN, cmdline);
        assert!(b.verdict.passthrough, "{cmdline}");
        assert!(b.verdict.logged(" - Dom0 mode: Passthrough"));
        let h = b.host.unwrap();
        let dev = bdf("00:01.0");
        assert_eq!(
            tt(context(&h, dev, dev.requester_id()).unwrap()),
            2,
            "{cmdline}"
        );
    }
    // Strict wins over pass-through.
    let b = control(XEN, "dom0-iommu=passthrough,strict");
    assert!(!b.verdict.passthrough && b.verdict.logged(" - Dom0 mode: Strict"));
    // 4.0.0's word.
    let b = control(XEN40, "iommu=passthrough");
    assert!(b.verdict.passthrough);
    assert!(b.verdict.logged("Intel VT-d DMA Passthrough supported."));
    // Linux iommu=pt: the identity domain in hardware pass-through.
    let b = control(LINUX, "iommu=pt");
    assert!(b.verdict.passthrough);
    assert!(b
        .verdict
        .logged("iommu: Default domain type: Passthrough (set via kernel command line)"));
    let h = b.host.unwrap();
    let dev = bdf("00:01.0");
    assert_eq!(tt(context(&h, dev, dev.requester_id()).unwrap()), 2);
}

#[test]
fn iommu_off_and_intel_iommu_off_leave_translation_off() {
    let b = control(XEN, "iommu=0,no-intremap");
    assert_eq!(b.verdict.outcome, Outcome::VtdDisabled);
    assert!(b.verdict.logged("I/O virtualisation disabled"));
    assert!(!b.verdict.ir);
    // iommu=0 alone on an x2APIC machine: IR comes up for x2APIC first and sets
    // force_iommu, so iommu_setup() panics (docs/sources/xen417-driver.md §1.9).
    let b = control(XEN, "iommu=0");
    assert_eq!(b.verdict.outcome, Outcome::Panic);
    let b = control(XEN40, "iommu=off");
    assert_eq!(b.verdict.outcome, Outcome::VtdDisabled);
    let b = control(LINUX, "intel_iommu=off");
    assert_eq!(b.verdict.outcome, Outcome::VtdDisabled);
    assert!(
        b.verdict.ir,
        "Linux brings interrupt remapping up whatever intel_iommu= says"
    );
    let h = b.host.unwrap();
    assert_eq!(h.platform.units()[0].gsts() & gcmd::TE, 0);
}

#[test]
fn linux_igfx_off_and_debian_intgpu_default() {
    // rmrr-outside-reserved has integrated graphics at 00:02.0 behind a graphics-only
    // unit; Debian maps it through the identity domain unless intel_iommu=on.
    let b = boot_fixture(LINUX, "rmrr-outside-reserved", "");
    let h = b.host.unwrap();
    let gfx = bdf("00:02.0");
    let ctx = context(&h, gfx, gfx.requester_id()).unwrap();
    assert_eq!(did(ctx), did(context(&h, gfx, gfx.requester_id()).unwrap()));
    let si = h.owner[&gfx];
    assert_eq!(si, 1, "si_domain");
    let b = boot_fixture(LINUX, "rmrr-outside-reserved", "intel_iommu=on");
    let h = b.host.unwrap();
    assert_ne!(h.owner[&gfx], 1, "a DMA domain with intel_iommu=on");
    // igfx_off: the graphics-only unit is ignored, translation stays off there.
    let b = boot_fixture(LINUX, "rmrr-outside-reserved", "intel_iommu=on,igfx_off");
    let gfx_unit = &b.verdict.units[0];
    assert!(!gfx_unit.translation && b.verdict.units[1].translation);
}

#[test]
fn remaining_xen_words_are_accepted_and_no_igfx_leaves_the_igd_unit_off() {
    for word in [
        "crash-disable",
        "sharept",
        "amd-iommu-perdev-intremap",
        "intpost",
        "igfx",
        "superpages",
        "verbose",
        "debug",
    ] {
        let (_, log, _) = xen(XEN, &format!("iommu={word}"));
        assert!(log.is_empty(), "{word}: {log:?}");
    }
    // The graphics-only unit of rmrr-outside-reserved keeps TE off with no-igfx.
    let b = boot_fixture(XEN, "rmrr-outside-reserved", "iommu=1,no-igfx");
    assert!(b
        .verdict
        .logged("[VT-D] passed iommu=no-igfx option; disabling IGD VT-d engine"));
    assert!(!b.verdict.units[0].translation && b.verdict.units[1].translation);
}

#[test]
fn linux_strict_and_superpage_words_reach_the_boot() {
    let b = control(LINUX, "iommu.strict=1");
    assert!(b.verdict.logged(
        "iommu: DMA domain TLB invalidation policy: strict mode (set via kernel command line)"
    ));
    let b = control(LINUX, "intel_iommu=strict");
    // The legacy option switches to strict after the summary line was printed.
    assert!(b
        .verdict
        .logged("iommu: DMA domain TLB invalidation policy: lazy mode "));
    let b = control(LINUX, "intel_iommu=sp_off");
    assert!(!b.host.unwrap().superpages);
}

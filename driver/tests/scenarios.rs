//! The workaround scenarios: what each production driver does with each broken
//! firmware, option by option, asserted cell by cell and shown as one table
//! (`snapshots/scenarios__matrix.snap`).

mod common;

use common::*;
use std::fmt::Write as _;
use vtd_driver::{Boot, Outcome, Personality};
use vtd_machine::Machine;

/// A short cell: the outcome, and the first declared-DMA fault.
fn cell(b: &Boot) -> String {
    let v = &b.verdict;
    let outcome = match v.outcome {
        Outcome::Booted => "VT-d on".to_string(),
        Outcome::VtdDisabled => "VT-d off".to_string(),
        Outcome::Panic => "PANIC".to_string(),
        Outcome::Hang => "HANG".to_string(),
    };
    match v.faults.first() {
        Some(f) => format!("{outcome}, DMA fault {:#04x} at {:#x}", f.reason, f.addr),
        None if v.outcome == Outcome::Booted => format!("{outcome}, no fault"),
        None => outcome,
    }
}

fn faults(b: &Boot) -> bool {
    !b.verdict.faults.is_empty()
}

// --- Scenario 1: an RMRR outside reserved memory, the USB controller DMAs into it. ---

#[test]
fn rmrr_outside_reserved_memory() {
    let f = "rmrr-outside-reserved";
    // Xen 4.17 warns at parse time and identity-maps the RMRR anyway.
    let b = boot_fixture(XEN, f, "iommu=1");
    assert!(b.verdict.logged(
        "[VT-D] RMRR [bd9f0000,bd9fffff] not in reserved memory; need \"iommu_inclusive_mapping=1\"?"
    ));
    assert_eq!(b.verdict.outcome, Outcome::Booted);
    assert!(!faults(&b), "{:?}", b.verdict.faults);
    let b = boot_fixture(XEN, f, "iommu=1 iommu_inclusive_mapping=1");
    assert!(!faults(&b));
    assert!(b
        .verdict
        .logged("IOMMU inclusive mappings are deprecated and will be removed in future versions"));
    // Xen 4.0: the warning suggests the option, which is on by default; the RMRR is
    // mapped by setup_dom0_rmrr() with or without it.
    for opts in ["", "iommu_inclusive_mapping=0", "iommu_inclusive_mapping=1"] {
        let b = boot_fixture(XEN40, f, opts);
        assert!(b.verdict.logged("RMRR address range not in reserved memory base = bd9f0000 end = bd9fffff; iommu_inclusive_mapping=1 parameter may be needed."), "{opts}");
        assert_eq!(b.verdict.outcome, Outcome::Booted, "{opts}");
        assert!(!faults(&b), "{opts}");
    }
    // Linux: FW_BUG twice, tainted, and the RMRR is still mapped for the device.
    let b = boot_fixture(LINUX, f, "intel_iommu=on");
    assert!(b.verdict.logged("DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [0x00000000bd9f0000-0x00000000bd9fffff], contact BIOS vendor for fixes"));
    assert!(b.verdict.logged("DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x00000000bd9f0000-0x00000000bd9fffff]"));
    assert!(b.verdict.taint);
    assert!(!faults(&b));
}

// --- Scenario 2: a wrong RMRR: the device DMAs into a range the table does not
// describe. Where that range sits in the E820 map decides what helps. ---

const TABLE: &str = r#"
oem_id = "ASUS"
oem_table_id = "WRONGRMR"
host_address_width = 38
flags = ["intr_remap"]

[[structure]]
type = "drhd"
flags = ["include_pci_all"]
register_base = 0xfed90000
scopes = [{ type = "ioapic", id = 2, bus = 0, path = ["1f.0"] }]

[[structure]]
type = "rmrr"
base = 0x7fe00000
end = 0x7fe0ffff
scopes = [{ type = "endpoint", bus = 0, path = ["1d.7"] }]
"#;

/// The machine: the USB controller really DMAs at 0x7ff00000, which the RMRR misses;
/// `kind` is what the E820 map says is there ("hole": nothing).
fn machine(kind: &str, dom0: &str) -> Machine {
    let (dma, region) = match kind {
        "ram" => (0x4000_0000u64, String::new()),
        "reserved" => (
            0x7ff0_0000,
            "[[e820]]\nbase = 0x7ff00000\nend = 0x7fffffff\ntype = \"reserved\"\n".to_string(),
        ),
        _ => (0x7ff0_0000, String::new()),
    };
    let text = format!(
        r#"
        ioapics = [2]
        dom0 = "{dom0}"
        [[e820]]
        base = 0x0
        end = 0x9fbff
        type = "ram"
        [[e820]]
        base = 0xf0000
        end = 0xfffff
        type = "reserved"
        [[e820]]
        base = 0x100000
        end = 0x7fdfffff
        type = "ram"
        [[e820]]
        base = 0x7fe00000
        end = 0x7fefffff
        type = "reserved"
        {region}
        [[e820]]
        base = 0xfec00000
        end = 0xffffffff
        type = "reserved"
        [[pci]]
        bdf = "00:00.0"
        class = 0x060000
        [[pci]]
        bdf = "00:1d.7"
        class = 0x0c0320
        name = "EHCI"
        [[pci]]
        bdf = "00:1f.0"
        class = 0x060100
        [[dma]]
        device = "00:1d.7"
        base = {dma:#x}
        end = {end:#x}
        note = "EHCI frame list where the firmware really put it"
        "#,
        end = dma + 0xffff,
    );
    Machine::from_toml(&text, kind).unwrap()
}

fn table() -> Vec<u8> {
    let spec: dmar::spec::TableSpec = toml::from_str(TABLE).unwrap();
    spec.build().unwrap().encode()
}

fn wrong_rmrr(p: Personality, kind: &str, dom0: &str, opts: &str) -> Boot {
    boot_with(p, machine(kind, dom0), Some(table()), opts, None)
}

#[test]
fn wrong_rmrr_into_a_hole_is_what_map_inclusive_is_for() {
    // Xen 4.17, PV dom0: a hole below 4 GiB is mapped only with map-inclusive.
    assert!(faults(&wrong_rmrr(XEN, "hole", "pv", "iommu=1")));
    for opts in [
        "iommu=1 dom0-iommu=map-inclusive",
        "iommu=1 iommu_inclusive_mapping=1",
    ] {
        assert!(!faults(&wrong_rmrr(XEN, "hole", "pv", opts)), "{opts}");
    }
    // PVH: map-inclusive does not apply (and says so).
    let b = wrong_rmrr(XEN, "hole", "pvh", "iommu=1 dom0-iommu=map-inclusive");
    assert!(faults(&b));
    assert!(b
        .verdict
        .logged("IOMMU inclusive mappings are only supported on PV Dom0"));
    // Xen 4.0: inclusive mapping is the default; turning it off brings the fault.
    assert!(!faults(&wrong_rmrr(XEN40, "hole", "pv", "")));
    assert!(faults(&wrong_rmrr(
        XEN40,
        "hole",
        "pv",
        "iommu_inclusive_mapping=0"
    )));
    // Linux: the device's DMA domain has its RMRR and nothing else.
    let b = wrong_rmrr(LINUX, "hole", "pv", "intel_iommu=on");
    assert!(faults(&b));
    assert!(b.verdict.logged("DMAR: [DMA Write NO_PASID] Request device [00:1d.7] fault addr 0x7ff00000 [fault reason 0x05] PTE Write access is not set"));
    // ... unless the device is passed through.
    assert!(!faults(&wrong_rmrr(
        LINUX,
        "hole",
        "pv",
        "intel_iommu=on iommu=pt"
    )));
}

#[test]
fn wrong_rmrr_into_reserved_memory_is_covered_by_map_reserved() {
    // 4.17's default map-reserved maps it, for PV and PVH dom0 alike.
    assert!(!faults(&wrong_rmrr(XEN, "reserved", "pv", "iommu=1")));
    assert!(!faults(&wrong_rmrr(XEN, "reserved", "pvh", "iommu=1")));
    let b = wrong_rmrr(XEN, "reserved", "pv", "iommu=1 dom0-iommu=map-reserved=0");
    assert!(faults(&b));
    assert!(b
        .verdict
        .logged("[VT-D]DMAR:[DMA Write] Request device [0000:00:1d.7] fault addr 7ff00000"));
    assert!(b
        .verdict
        .logged("[VT-D]DMAR: reason 05 - PTE Write access is not set"));
    assert!(!faults(&wrong_rmrr(XEN40, "reserved", "pv", "")));
    assert!(faults(&wrong_rmrr(
        XEN40,
        "reserved",
        "pv",
        "iommu_inclusive_mapping=0"
    )));
    assert!(faults(&wrong_rmrr(
        LINUX,
        "reserved",
        "pv",
        "intel_iommu=on"
    )));
}

#[test]
fn wrong_rmrr_into_ram_faults_only_where_dom0_is_strict() {
    // A relaxed PV dom0 has all of the host's RAM mapped 1:1 (hwdom_iommu_map), so a
    // stray DMA into RAM does not fault; strict (explicitly, or PVH) does.
    assert!(!faults(&wrong_rmrr(XEN, "ram", "pv", "iommu=1")));
    assert!(faults(&wrong_rmrr(
        XEN,
        "ram",
        "pv",
        "iommu=1 dom0-iommu=strict"
    )));
    assert!(faults(&wrong_rmrr(XEN, "ram", "pvh", "iommu=1")));
    assert!(faults(&wrong_rmrr(
        XEN,
        "ram",
        "pvh",
        "iommu=1 dom0-iommu=map-inclusive"
    )));
    assert!(!faults(&wrong_rmrr(
        XEN40,
        "ram",
        "pv",
        "iommu_inclusive_mapping=0"
    )));
    assert!(faults(&wrong_rmrr(LINUX, "ram", "pv", "intel_iommu=on")));
}

// --- Scenario 3: the zero-length entry of the Supermicro X7SB4 before BIOS 1.3. ---

#[test]
fn zero_length_entry() {
    let f = "supermicro-x7sb4-zero-length";
    let b = boot_fixture(XEN, f, "iommu=1");
    assert_eq!(b.verdict.outcome, Outcome::VtdDisabled);
    assert!(b.verdict.logged("[VT-D]Invalid ACPI DMAR entry length: 0"));
    assert!(b
        .verdict
        .logged("Failed to parse ACPI DMAR.  Disabling VT-d."));
    assert!(b.verdict.logged("I/O virtualisation disabled"));
    let b = boot_fixture(XEN, f, "iommu=force");
    assert_eq!(b.verdict.outcome, Outcome::Panic);
    assert_eq!(
        b.verdict.panic.as_deref(),
        Some("Couldn't enable IOMMU and iommu=required/force")
    );
    let b = boot_fixture(XEN40, f, "");
    assert_eq!(b.verdict.outcome, Outcome::VtdDisabled);
    assert!(b
        .verdict
        .logged("[VT-D]Invalid ACPI DMAR entry length: 0x0"));
    assert_eq!(
        boot_fixture(XEN40, f, "iommu=force")
            .verdict
            .panic
            .as_deref(),
        Some("IOMMU setup failed, crash Xen for security purpose!")
    );
    for opts in ["", "intel_iommu=on", "intel_iommu=off", "intremap=off"] {
        let b = boot_fixture(LINUX, f, opts);
        assert_eq!(b.verdict.outcome, Outcome::Hang, "{opts}");
        assert!(b.host.is_none());
    }
}

// --- Scenario 4: devices behind a PCIe-to-PCI bridge. ---

#[test]
fn bridge_siblings_go_together() {
    let nic = bdf("05:00.0");
    let serial = bdf("05:01.0");
    for p in [XEN, XEN40, LINUX] {
        let mut h = boot_fixture(p, "bridge-scoped-devices", "").host.unwrap();
        assert!(h.translation, "{p}");
        h.assignable_add(nic).unwrap();
        let err = h.create_guest("alone", true, &["05:00.0"]).unwrap_err();
        assert!(err.reason.contains("05:01.0"), "{p}: {}", err.reason);
        match p {
            // Xen 4.17 has no such check: the shared context entries would just move.
            Personality::Xen417 => assert!(!err.production_refuses),
            // xend: the FLR-less conventional NIC drags its co-assignment group.
            Personality::Xen40 => {
                assert!(err.production_refuses);
                assert!(
                    err.message
                        .contains("must be co-assigned to the same guest with 0000:05:00.0"),
                    "{}",
                    err.message
                );
            }
            Personality::Linux61 => {
                assert!(err.production_refuses);
                assert!(err.message.contains("is not viable"), "{}", err.message);
            }
        }
        // Together: both in, and DMA from each arrives as 05:00.0 and lands in the
        // guest's RAM.
        h.assignable_add(serial).unwrap();
        let g = h
            .create_guest("together", true, &["05:00.0", "05:01.0"])
            .unwrap_or_else(|e| panic!("{p}: {e:?}"));
        let ram = h.domains[&g].ram.unwrap();
        for dev in [nic, serial] {
            assert_eq!(h.platform.topology().source_id(dev), 0x0500);
            let t = h.device_dma(dev, 0x2000, true).unwrap();
            assert_eq!(t.addr, ram.host + 0x2000, "{p} {dev}");
        }
        let ctx = context(&h, nic, 0x0500).unwrap();
        assert_eq!(did(ctx), did(context(&h, nic, nic.requester_id()).unwrap()));
        assert!(h
            .platform
            .take_events()
            .iter()
            .all(|(_, e)| !matches!(e, vtd_model::event::Event::FaultInterrupt { .. })));
    }
}

// --- The table: every scenario, personality and option set. ---

#[test]
fn matrix() {
    let mut out = String::new();
    let mut row = |name: &str, b: Boot| {
        let v = &b.verdict;
        writeln!(
            out,
            "{name:<48} | {:<18} | {:<34} | {}",
            v.personality.describe(),
            if v.cmdline.is_empty() {
                "-"
            } else {
                &v.cmdline
            },
            cell(&b)
        )
        .unwrap();
    };
    for (p, opts) in [
        (XEN, "iommu=1"),
        (XEN, "iommu=1 iommu_inclusive_mapping=1"),
        (XEN40, ""),
        (XEN40, "iommu_inclusive_mapping=0"),
        (LINUX, "intel_iommu=on"),
    ] {
        row(
            "RMRR outside reserved memory",
            boot_fixture(p, "rmrr-outside-reserved", opts),
        );
    }
    for kind in ["hole", "reserved", "ram"] {
        for (p, dom0, opts) in [
            (XEN, "pv", "iommu=1"),
            (XEN, "pv", "iommu=1 dom0-iommu=map-inclusive"),
            (XEN, "pvh", "iommu=1 dom0-iommu=map-inclusive"),
            (XEN, "pv", "iommu=1 dom0-iommu=strict"),
            (XEN, "pv", "iommu=1 dom0-iommu=map-reserved=0"),
            (XEN40, "pv", ""),
            (XEN40, "pv", "iommu_inclusive_mapping=0"),
            (LINUX, "pv", "intel_iommu=on"),
            (LINUX, "pv", "intel_iommu=on iommu=pt"),
        ] {
            row(
                &format!(
                    "wrong RMRR, DMA into E820 {kind} ({} dom0)",
                    dom0.to_uppercase()
                ),
                wrong_rmrr(p, kind, dom0, opts),
            );
        }
    }
    for (p, opts) in [
        (XEN, "iommu=1"),
        (XEN, "iommu=force"),
        (XEN40, ""),
        (XEN40, "iommu=force"),
        (LINUX, "intel_iommu=on"),
        (LINUX, "intel_iommu=off"),
    ] {
        row(
            "zero-length entry (X7SB4)",
            boot_fixture(p, "supermicro-x7sb4-zero-length", opts),
        );
    }
    for (p, opts) in [
        (XEN, "iommu=1"),
        (XEN, "iommu=force"),
        (XEN40, ""),
        (LINUX, "intel_iommu=on"),
    ] {
        row(
            "overlapping RMRRs (Sabertooth X58)",
            boot_fixture(p, "asus-sabertooth-x58-second-rmrr", opts),
        );
    }
    insta::assert_snapshot!(out);
}

// --- Xen 4.0's workaround_bios_bug: only a DRHD whose devices are all missing goes,
// never an INCLUDE_ALL one, and iommu=force skips the check altogether. ---

#[test]
fn xen_40_workaround_bios_bug() {
    let f = "scope-absent-device";
    let b = boot_fixture(XEN40, f, "");
    assert_eq!(b.verdict.outcome, Outcome::VtdDisabled);
    assert!(b
        .verdict
        .logged("[VT-D]  Non-existent device (0:1b.0) is reported in this DRHD's scope!"));
    assert!(b
        .verdict
        .logged("Pls try option iommu=force or iommu=workaround_bios_bug if you really want VT-d"));
    let b = boot_fixture(XEN40, f, "iommu=workaround_bios_bug");
    assert_eq!(b.verdict.outcome, Outcome::Booted);
    assert!(b.verdict.logged("Workaround BIOS bug: ignore the DRHD due to all devices under its scope are not PCI discoverable!"));
    assert_eq!(
        b.verdict.units.len(),
        2,
        "the DRHD of the missing device is dropped"
    );
    let b = boot_fixture(XEN40, f, "iommu=force");
    assert_eq!(b.verdict.outcome, Outcome::Booted);
    assert_eq!(b.verdict.units.len(), 3, "force skips the existence check");
    // Xen 4.17 accepts the table without a word (the check is a dprintk).
    assert_eq!(
        boot_fixture(XEN, f, "iommu=1").verdict.outcome,
        Outcome::Booted
    );

    // A DRHD with one device present and one missing, or with an I/O APIC entry,
    // cannot be dropped: the table still fails.
    let m = fixture(f).meta.machine;
    for scopes in [
        r#"[{ type = "endpoint", bus = 0, path = ["1b.0"] }, { type = "endpoint", bus = 0, path = ["02.0"] }]"#,
        r#"[{ type = "endpoint", bus = 0, path = ["1b.0"] }, { type = "ioapic", id = 3, bus = 0, path = ["1e.1"] }]"#,
    ] {
        let text = format!(
            r#"
            flags = ["intr_remap"]
            [[structure]]
            type = "drhd"
            register_base = 0xfed92000
            scopes = {scopes}
            [[structure]]
            type = "drhd"
            flags = ["include_pci_all"]
            register_base = 0xfed91000
            scopes = [{{ type = "ioapic", id = 2, bus = 0xf0, path = ["1f.0"] }}]
            "#
        );
        let spec: dmar::spec::TableSpec = toml::from_str(&text).unwrap();
        let t = spec.build().unwrap().encode();
        let b = boot_with(XEN40, m.clone(), Some(t), "iommu=workaround_bios_bug", None);
        assert_eq!(b.verdict.outcome, Outcome::VtdDisabled, "{scopes}");
    }
}

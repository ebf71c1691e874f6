//! The reference driver's workaround scenarios (the driver issue's matrix, on the
//! bundled fixtures): what Xen 4.17, Xen 4.0 and Linux 6.1 do with each broken
//! firmware table and option. The model backend boots the reference driver; the
//! oracle backend (issue 8) will boot the production ones and must agree.

use crate::builder::{case, driver};
use crate::scenario::{DriverCase, Scenario};

fn with(mut c: DriverCase, logged: &[&'static str], faults: Option<bool>) -> DriverCase {
    c.logged = logged.to_vec();
    c.faults = faults;
    c
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let x7 = "supermicro-x7sb4-zero-length";
    let x58 = "asus-sabertooth-x58-second-rmrr";
    let rmrr = "rmrr-outside-reserved";
    vec![
        driver("x7sb4-xen417", "Xen 4.17 rejects the zero-length DMAR entry of the X7SB4 (BIOS before 1.3) and boots without VT-d",
            with(case("xen", x7, "iommu=1", "vtd_disabled"), &["[VT-D]Invalid ACPI DMAR entry length: 0", "Failed to parse ACPI DMAR.  Disabling VT-d."], None)),
        driver("x7sb4-xen417-force", "With iommu=force a rejected table panics Xen 4.17",
            with(case("xen", x7, "iommu=force", "panic"), &[], None)),
        driver("x7sb4-xen40", "Xen 4.0 (the HowTo era) rejects the zero-length entry too",
            with(case("xen-4.0", x7, "", "vtd_disabled"), &["[VT-D]Invalid ACPI DMAR entry length: 0x0"], None)),
        driver("x7sb4-linux", "Linux 6.1 hangs on the zero-length entry (dmar_dev_scope_init walks it with no length check)",
            case("linux", x7, "intel_iommu=on", "hang")),
        driver("x7sb4-linux-off", "intel_iommu=off does not avoid Linux 6.1's hang: the table is walked before the option is looked at",
            case("linux", x7, "intel_iommu=off", "hang")),
        driver("sabertooth-xen417", "Xen 4.17 rejects the Sabertooth X58's overlapping second RMRR",
            with(case("xen", x58, "iommu=1", "vtd_disabled"), &["[VT-D]Overlapping RMRRs [bf7ec000,bf7effff] and [bf7ef000,bf7f0000]"], None)),
        driver("sabertooth-xen40", "Xen 4.0 accepts the overlapping RMRRs and boots with VT-d",
            with(case("xen-4.0", x58, "", "booted"), &["I/O virtualisation enabled"], Some(false))),
        driver("sabertooth-linux", "Linux 6.1 accepts the overlapping RMRRs",
            with(case("linux", x58, "intel_iommu=on", "booted"), &[], Some(false))),
        driver("rmrr-outside-reserved-xen417", "Xen 4.17 warns about an RMRR outside reserved memory, suggests iommu_inclusive_mapping=1 and maps it anyway",
            with(case("xen", rmrr, "iommu=1", "booted"), &["not in reserved memory; need \"iommu_inclusive_mapping=1\"?"], Some(false))),
        driver("rmrr-outside-reserved-xen40", "Xen 4.0 warns the HowTo's way and maps the RMRR",
            with(case("xen-4.0", rmrr, "", "booted"), &["iommu_inclusive_mapping=1 parameter may be needed."], Some(false))),
        driver("rmrr-outside-reserved-linux", "Linux 6.1 calls the RMRR a firmware bug, taints, and still maps it for the device",
            with(case("linux", rmrr, "intel_iommu=on", "booted"), &["No firmware reserved region can cover this RMRR", "Your BIOS is broken; bad RMRR"], Some(false))),
        driver("drhd-base-zero-linux", "Linux 6.1 refuses a DRHD whose register base is 0 (Lenovo E15 Gen 2)",
            with(case("linux", "lenovo-e15-gen2-drhd-base-zero", "intel_iommu=on", "vtd_disabled"), &["DMAR reported at address 0!"], None)),
        driver("drhd-base-zero-xen417", "Xen 4.17 refuses a DRHD whose register base is 0",
            with(case("xen", "lenovo-e15-gen2-drhd-base-zero", "iommu=1", "vtd_disabled"), &["Failed to parse ACPI DMAR.  Disabling VT-d."], None)),
        driver("no-drhd-linux", "Linux 6.1 reports a table without DRHD as a firmware bug",
            with(case("linux", "no-drhd", "intel_iommu=on", "vtd_disabled"), &["No DRHD structure found in DMAR table"], None)),
        driver("rmrr-end-before-base-xen417", "Xen 4.17 rejects an RMRR whose end is below its base",
            with(case("xen", "rmrr-end-before-base", "iommu=1", "vtd_disabled"), &["Failed to parse ACPI DMAR."], None)),
        driver("rmrr-end-before-base-xen40", "Xen 4.0 names the incorrect RMRR",
            with(case("xen-4.0", "rmrr-end-before-base", "", "vtd_disabled"), &["is incorrect!"], None)),
        driver("rmrr-end-before-base-linux", "Linux 6.1 boots with VT-d on despite the inverted RMRR",
            case("linux", "rmrr-end-before-base", "intel_iommu=on", "booted")),
        driver("zero-length-scope-xen417", "Xen 4.17 rejects a device scope of length 0",
            with(case("xen", "zero-length-scope", "iommu=1", "vtd_disabled"), &["[VT-D]Invalid device scope"], None)),
        driver("missing-ioapic-scope-xen417", "Without an I/O APIC scope Xen 4.17 keeps DMA remapping but not interrupt remapping",
            case("xen", "missing-ioapic-scope", "iommu=1", "booted")),
        driver("qemu-control-xen417", "QEMU's own table boots Xen 4.17 with VT-d",
            with(case("xen", "qemu-q35-control", "iommu=1", "booted"), &[], Some(false))),
        driver("qemu-control-linux", "QEMU's own table boots Linux 6.1 with VT-d",
            with(case("linux", "qemu-q35-control", "intel_iommu=on", "booted"), &[], Some(false))),
    ]
}

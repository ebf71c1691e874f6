//! Remapping units (DRHD) and the I/O APICs and HPETs they cover.

use super::*;

/// No DRHD.
pub static NO_DRHD: Rule = Rule {
    id: "no-drhd",
    severity: Severity::Error,
    title: "No DRHD: the table describes no remapping hardware",
    xen: c(
        "vtd/iommu.c vtd_setup(): the DRHD list is empty → -ENODEV, silently",
        None,
        Outcome::RejectsTable,
    ),
    linux: c(
        "parse_dmar_table(): drhd_count == 0; dmar_table_init(): no DMAR devices",
        Some("DMAR: [Firmware Bug]: No DRHD structure found in DMAR table"),
        Outcome::RejectsTable,
    ),
    fwts: Some("InvalidDMAR"),
    advice: "VT-d cannot be used. Check that VT-d is enabled in the BIOS setup; boards that \
             ship without it (e.g. Samsung X460 has no DMAR at all) need a BIOS update.",
};

/// DRHD base 0.
pub static DRHD_BASE_ZERO: Rule = Rule {
    id: "drhd-base-zero",
    severity: Severity::Error,
    title: "A DRHD's Register Base Address is 0",
    xen: c(
        "acpi_parse_one_drhd(): !drhd->address → -ENODEV (then tries AMD IVRS)",
        XEN_FAILED,
        Outcome::RejectsTable,
    ),
    linux: c(
        "detect_intel_iommu() → dmar_validate_one_drhd() → warn_invalid_dmar()",
        Some("DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!"),
        Outcome::RejectsTable,
    ),
    fwts: None,
    advice: "Usually VT-d disabled in the BIOS setup while the table is still published; enable \
             it or update the BIOS. No boot option makes the unit usable.",
};

/// DRHD base all ones.
pub static DRHD_BASE_ALL_ONES: Rule = Rule {
    id: "drhd-base-all-ones",
    severity: Severity::Error,
    title: "A DRHD's Register Base Address is all ones",
    xen: c(
        "acpi_parse_one_drhd(): !(drhd->address + 1) → -ENODEV",
        XEN_FAILED,
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_validate_one_drhd(): no explicit check; early_ioremap() of the page past \
         2^64 fails (a WARN, then \"Can't validate DRHD address\"); intel_iommu_init() \
         parses the table anyway and map_iommu() cannot reserve the region (the oracle's \
         recording of drhd-base-all-ones)",
        Some("DMAR: Can't validate DRHD address: ffffffffffffffff\nDMAR: Can't reserve memory\nDMAR: Failed to map dmar0\nDMAR: Parse DMAR table failure."),
        Outcome::RejectsTable,
    ),
    fwts: Some("InvalidDRHDRegAddr"),
    advice: "A BIOS update is needed; no boot option makes the unit usable.",
};

/// DRHD base unaligned.
pub static DRHD_BASE_UNALIGNED: Rule = Rule {
    id: "drhd-base-unaligned",
    severity: Severity::Warning,
    title: "A DRHD's Register Base Address is not 4 KiB aligned",
    xen: c(
        "vtd/iommu.c iommu_alloc(): ioremap() of the page",
        None,
        Outcome::Accepts,
    ),
    linux: c("map_iommu(): ioremap() of the page", None, Outcome::Accepts),
    fwts: Some("InvalidDRHDRegAddr"),
    advice: "Drivers map the page it falls in and read registers at the wrong offsets. A BIOS \
             update is needed.",
};

/// Duplicate DRHD base.
pub static DRHD_DUPLICATE_BASE: Rule = Rule {
    id: "drhd-duplicate-base",
    severity: Severity::Warning,
    title: "Two DRHDs name the same register base",
    xen: c(
        "not checked: each gets its own iommu_alloc()",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "dmar_parse_one_drhd() → dmar_find_dmaru(): a later DRHD with the same segment and base \
         is skipped with its scopes; on another segment map_iommu() cannot reserve the page \
         (\"Can't reserve memory\") and the table is rejected",
        None,
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "Two drivers' views of one unit: Xen programs it twice. Remove the duplicate (BIOS \
             update).",
};

/// More than one INCLUDE_PCI_ALL per segment.
pub static MULTIPLE_INCLUDE_ALL: Rule = Rule {
    id: "multiple-include-all",
    severity: Severity::Error,
    title: "More than one INCLUDE_PCI_ALL DRHD for a segment",
    xen: c(
        "acpi_parse_one_drhd(): a second INCLUDE_ALL on segment 0 → -EINVAL (other segments \
         are not checked)",
        Some("[VT-D]Only one INCLUDE_ALL device scope is allowed"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_register_drhd_unit(): include-all units go to the list tail; the first matches",
        None,
        Outcome::Accepts,
    ),
    fwts: Some("MultipleDRHDSFlag"),
    advice: "Xen 4.17 turns VT-d off (segment 0); Linux uses the first. A BIOS update is needed.",
};

/// INCLUDE_PCI_ALL not last.
pub static INCLUDE_ALL_NOT_LAST: Rule = Rule {
    id: "include-all-not-last",
    severity: Severity::Info,
    title: "A DRHD follows the INCLUDE_PCI_ALL DRHD of its segment",
    xen: c(
        "acpi_register_drhd_unit(): include-all units are moved to the list tail",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "dmar_register_drhd_unit(): include-all units are moved to the list tail",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "The specification wants the INCLUDE_PCI_ALL unit last; both drivers reorder it, \
             so nothing breaks.",
};

/// DRHD without scope.
pub static DRHD_WITHOUT_SCOPE: Rule = Rule {
    id: "drhd-without-scope",
    severity: Severity::Warning,
    title: "A DRHD has neither INCLUDE_PCI_ALL nor any device scope",
    xen: XEN_NOT_CHECKED,
    linux: c(
        "iommu.c init_no_remapping_devices(): a unit whose scopes match no device is ignored",
        None,
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "The unit translates nothing; harmless unless devices were meant to be in its scope.",
};

/// Scopes not allowed in an INCLUDE_PCI_ALL unit.
pub static INCLUDE_ALL_WITH_DEVICE_SCOPES: Rule = Rule {
    id: "include-all-with-device-scopes",
    severity: Severity::Warning,
    title: "An INCLUDE_PCI_ALL DRHD lists PCI endpoints or bridges",
    xen: XEN_NOT_CHECKED,
    linux: LINUX_NOT_CHECKED,
    fwts: None,
    advice: "Against the specification (only IOAPIC, HPET and namespace devices belong there) \
             but harmless.",
};

/// Duplicate IOAPIC.
pub static DUPLICATE_IOAPIC_SCOPE: Rule = Rule {
    id: "duplicate-ioapic-scope",
    severity: Severity::Warning,
    title: "The same I/O APIC ID is listed twice",
    xen: c(
        "ioapic_to_drhd(): the first unit in list order wins",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "irq_remapping.c ir_parse_one_ioapic_scope(): accepted silently",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "Interrupts of that I/O APIC may be remapped by the wrong unit. A BIOS update is \
             needed.",
};

/// Duplicate HPET.
pub static DUPLICATE_HPET_SCOPE: Rule = Rule {
    id: "duplicate-hpet-scope",
    severity: Severity::Warning,
    title: "The same HPET number is listed twice",
    xen: c(
        "hpet_to_drhd(): the first unit wins",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "irq_remapping.c ir_parse_one_hpet_scope(): accepted silently",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "HPET MSIs may be remapped by the wrong unit.",
};

/// IOAPIC not under any DRHD.
pub static IOAPIC_SCOPE_MISSING: Rule = Rule {
    id: "ioapic-scope-missing",
    severity: Severity::Warning,
    title: "An I/O APIC is under no DRHD's scope: interrupt remapping will be off",
    xen: c(
        "vtd/iommu.c init_vtd_hw(): ioapic_to_iommu() == NULL (dprintk, silent in release \
         builds); panics under iommu=force",
        Some("Interrupt remapping disabled"),
        Outcome::DisablesInterruptRemapping,
    ),
    linux: c(
        "irq_remapping.c parse_ioapics_under_ir()",
        Some("DMAR-IR: [Firmware Bug]: ioapic N has no mapping iommu, interrupt remapping will be disabled"),
        Outcome::DisablesInterruptRemapping,
    ),
    fwts: None,
    advice: "Without interrupt remapping, x2APIC above 255 CPUs and safe MSI for assigned \
             devices are lost. Xen needs `iommu=no-intremap` to boot under `iommu=force`. A BIOS \
             update that adds the I/O APIC scope fixes it.",
};

//! Reserved memory regions (RMRR).

use super::*;

/// RMRR end < base.
pub static RMRR_END_BEFORE_BASE: Rule = Rule {
    id: "rmrr-end-before-base",
    severity: Severity::Error,
    title: "An RMRR's End Address is below its Base Address",
    xen: c(
        "register_one_rmrr(): base > end → -EFAULT (dprintk \"RMRR ... is incorrect!\" is silent \
         in release builds); an RMRR whose devices are all absent is dropped first",
        XEN_FAILED,
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_parse_one_rmrr() → rmrr_sanity_check(): end <= base",
        Some("DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [...]"),
        Outcome::WarnsAndTaints,
    ),
    fwts: Some("InvalidRMRRRangeAddr"),
    advice: "Xen 4.17 turns VT-d off (iommu_inclusive_mapping does not help: the table is \
             rejected before any mapping). Linux boots tainted. Update the BIOS, or boot a \
             repaired table (`vtd dmar repair` removes the RMRR; the device may then fault on \
             its RMRR DMA).",
};

/// RMRR unaligned.
pub static RMRR_UNALIGNED: Rule = Rule {
    id: "rmrr-unaligned",
    severity: Severity::Warning,
    title: "An RMRR is not page-aligned (base, or end + 1)",
    xen: c(
        "not checked; x86/iommu.c iommu_identity_mapping() maps base >> 12 up to \
         PAGE_ALIGN_4K(end) >> 12",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "rmrr_sanity_check(): !IS_ALIGNED(base) || !IS_ALIGNED(end + 1) || end <= base",
        Some("DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [...]"),
        Outcome::WarnsAndTaints,
    ),
    fwts: Some("InvalidRMRRRangeAddr"),
    advice: "Linux taints and maps the pages anyway; Xen maps the covering pages. Harmless for \
             DMA, but a sign the table was hand-edited; a BIOS update should fix it.",
};

/// RMRR without scope.
pub static RMRR_WITHOUT_SCOPE: Rule = Rule {
    id: "rmrr-without-scope",
    severity: Severity::Warning,
    title: "An RMRR names no device",
    xen: c(
        "acpi_parse_one_rmrr(): devices_cnt == 0 → the RMRR is dropped silently",
        None,
        Outcome::Ignores,
    ),
    linux: c(
        "dmar_parse_one_rmrr(): kept, but applies to no device",
        None,
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "Nothing is identity-mapped for it; harmless unless a device really needs it.",
};

/// RMRR overlaps another.
pub static RMRR_OVERLAP: Rule = Rule {
    id: "rmrr-overlap",
    severity: Severity::Error,
    title: "Two RMRRs overlap (or repeat)",
    xen: c(
        "acpi_parse_one_rmrr(): overlap with a registered RMRR → -EEXIST",
        Some("[VT-D]Overlapping RMRRs [...] and [...]"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "not checked: both are identity-mapped",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "Xen 4.17 turns VT-d off (since 4.5); Linux is fine. Shared regions should be one \
             RMRR listing every device: a BIOS update, or a table whose RMRRs are merged.",
};

/// RMRR outside reserved memory.
pub static RMRR_OUTSIDE_RESERVED: Rule = Rule {
    id: "rmrr-outside-reserved",
    severity: Severity::Warning,
    title: "An RMRR is not inside E820-reserved memory",
    xen: c(
        "acpi_parse_one_rmrr(): e820_all_mapped() for RESERVED, NVS and ACPI",
        Some("[VT-D] RMRR [...] not in reserved memory; need \"iommu_inclusive_mapping=1\"?"),
        Outcome::Warns,
    ),
    linux: c(
        "iommu.c rmrr_sanity_check() → arch_rmrr_sanity_check(): e820__get_entry_type() is \
         not RESERVED or NVS; then \"bad RMRR\" and the taint",
        Some("DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [...], contact BIOS vendor for fixes"),
        Outcome::WarnsAndTaints,
    ),
    fwts: None,
    advice: "The OS may hand that memory out while the device still DMAs into it. Both drivers \
             still identity-map the RMRR for its devices. On Xen 4.17 with a PV dom0, \
             `dom0-iommu=map-inclusive` (old spelling `iommu_inclusive_mapping=1`) also maps \
             all non-RAM below 4 GiB for dom0; the real fix is a BIOS that marks the range \
             reserved.",
};

/// RMRR in ACPI/NVS memory.
pub static RMRR_IN_ACPI_MEMORY: Rule = Rule {
    id: "rmrr-in-acpi-memory",
    severity: Severity::Info,
    title: "An RMRR lies in E820 ACPI-reclaimable memory rather than reserved memory",
    xen: c(
        "acpi_parse_one_rmrr(): RESERVED, NVS and ACPI are all accepted (since 4.14)",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "arch/x86/include/asm/iommu.h arch_rmrr_sanity_check(): e820__get_entry_type() must \
         be RESERVED or NVS; ACPI-reclaimable is not",
        Some("DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [...], contact BIOS vendor for fixes"),
        Outcome::WarnsAndTaints,
    ),
    fwts: None,
    advice: "Linux warns and taints; Xen 4.17 accepts. Both identity-map the RMRR. Marking the \
             range reserved (a BIOS update) silences Linux.",
};

//! Walking the remapping structures: lengths and types.

use super::*;

/// A zero-length structure: the X7SB4 defect.
pub static ZERO_LENGTH_STRUCTURE: Rule = Rule {
    id: "zero-length-structure",
    severity: Severity::Error,
    title: "A remapping structure has Length 0",
    xen: c(
        "acpi_parse_dmar() → acpi_dmar_check_length(): length < 4",
        Some("[VT-D]Invalid ACPI DMAR entry length: 0"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_walk_remapping_entries() stops quietly (pr_debug \"Invalid 0-length structure\") \
         and keeps the DRHDs before it; intel_iommu_init() → dmar_dev_scope_init() → \
         dmar_acpi_dev_scope_init() then walks the table again with \
         `andd += andd->header.length` and no zero check, before it looks at intel_iommu=off",
        None,
        Outcome::Hangs,
    ),
    fwts: None,
    advice: "Linux 6.1 hangs with or without intel_iommu=off; Xen 4.17 boots with VT-d off (or \
             panics under iommu=force). Update the BIOS (Supermicro X7SB4: BIOS 1.3 fixes it), or \
             boot a repaired table: `vtd dmar repair` removes the entry and prints how to load \
             the result (Linux initrd table upgrade, GRUB `acpi` for Xen).",
};

/// A zero-length structure before any DRHD.
pub static ZERO_LENGTH_BEFORE_DRHD: Rule = Rule {
    id: "zero-length-before-drhd",
    severity: Severity::Error,
    title: "A remapping structure has Length 0, before any DRHD",
    xen: c(
        "acpi_parse_dmar() → acpi_dmar_check_length(): length < 4",
        Some("[VT-D]Invalid ACPI DMAR entry length: 0"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_walk_remapping_entries() stops quietly; no DRHD was registered, so \
         dmar_table_init() fails and the hanging dev-scope walk is never reached",
        Some("DMAR: [Firmware Bug]: No DRHD structure found in DMAR table"),
        Outcome::RejectsTable,
    ),
    fwts: None,
    advice: "Both drivers boot with VT-d off (Xen panics under iommu=force; Linux panics when \
             DMA_CTRL_PLATFORM_OPT_IN forces the IOMMU on). Update the BIOS or boot a repaired \
             table (`vtd dmar repair`).",
};

/// Length 1–3.
pub static STRUCTURE_SHORTER_THAN_HEADER: Rule = Rule {
    id: "structure-shorter-than-header",
    severity: Severity::Error,
    title: "A remapping structure's Length is smaller than its 4-byte header",
    xen: c(
        "acpi_parse_dmar() → acpi_dmar_check_length(): length < 4",
        Some("[VT-D]Invalid ACPI DMAR entry length"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_walk_remapping_entries(): only zero is caught; it advances by the bad length and \
         reads the following bytes as a new header",
        None,
        Outcome::Misparses,
    ),
    fwts: None,
    advice: "A BIOS update is needed; `vtd dmar repair` can drop the entry and what follows.",
};

/// Overrun.
pub static STRUCTURE_OVERRUN: Rule = Rule {
    id: "structure-overrun",
    severity: Severity::Error,
    title: "A remapping structure runs past the end of the table",
    xen: c(
        "acpi_parse_dmar(): only checks that a structure starts inside the table; its device \
         scopes are read up to the structure's length",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    linux: c(
        "dmar_walk_remapping_entries(): next > end (in detect_intel_iommu(), so Intel IOMMU is \
         never initialised)",
        Some("DMAR: [Firmware Bug]: Record passes table end"),
        Outcome::RejectsTable,
    ),
    fwts: None,
    advice: "Linux turns VT-d off; Xen parses bytes that are not part of the table. \
             `vtd dmar repair` drops the overrunning entry.",
};

/// 1–3 trailing bytes.
pub static TRAILING_BYTES: Rule = Rule {
    id: "trailing-bytes",
    severity: Severity::Warning,
    title: "Fewer than 4 bytes are left after the last structure",
    xen: c(
        "acpi_parse_dmar(): reads a 4-byte header that extends past the table end",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    linux: c(
        "dmar_walk_remapping_entries(): reads a length from past the table end; zero stops the \
         walk, anything else fails the next > end test (\"Record passes table end\")",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    fwts: None,
    advice: "The Table Length includes padding the structures do not account for. `vtd dmar \
             repair` trims it.",
};

/// Known type, too short.
pub static STRUCTURE_TOO_SHORT: Rule = Rule {
    id: "structure-too-short",
    severity: Severity::Error,
    title: "A structure is shorter than the fixed fields of its type",
    xen: c(
        "acpi_parse_one_{drhd,rmrr,atsr,rhsa}() → acpi_dmar_check_length() (DRHD 16, RMRR 24, \
         ATSR 8, RHSA 20); acpi_parse_one_rmrr() reads the RMRR's base and end before that \
         check, past the table when a short RMRR ends it (xen-harness finding, \
         dmar-fixtures/findings/)",
        Some("[VT-D]Invalid ACPI DMAR entry length"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_parse_one_*(): casts the header to the full structure without a length check and \
         reads the fields from the bytes that follow",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    fwts: None,
    advice: "A BIOS update is needed; `vtd dmar repair` drops the entry.",
};

/// Type > 6.
pub static UNKNOWN_STRUCTURE_TYPE: Rule = Rule {
    id: "unknown-structure-type",
    severity: Severity::Warning,
    title: "A structure type not defined by VT-d",
    xen: c(
        "acpi_parse_dmar() default case (dprintk, silent in release builds)",
        None,
        Outcome::Ignores,
    ),
    linux: c(
        "dmar_walk_remapping_entries(): type >= ACPI_DMAR_TYPE_RESERVED (pr_debug)",
        None,
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "Both drivers skip it. If it is a newer VT-d structure, nothing is lost on these \
             drivers.",
};

/// SATC/SIDP.
pub static NEWER_STRUCTURE_TYPE: Rule = Rule {
    id: "newer-structure-type",
    severity: Severity::Info,
    title: "A VT-d 3.x/4.x structure (SATC, SIDP) that older drivers skip",
    xen: c(
        "acpi_parse_dmar() default case: 4.17 knows types 0–3 only (SATC parsing came in 4.19)",
        None,
        Outcome::Ignores,
    ),
    linux: c(
        "dmar_parse_one_satc() handles SATC; SIDP (type 6) is >= ACPI_DMAR_TYPE_RESERVED in 6.1",
        None,
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "Expected on recent platforms. Devices that need ATS (SATC ATC_REQUIRED) lose it \
             under Xen 4.17.",
};

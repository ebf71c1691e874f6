//! ATSR, RHSA and ANDD.

use super::*;

/// Two ALL_PORTS ATSRs.
pub static MULTIPLE_ALL_PORTS: Rule = Rule {
    id: "multiple-all-ports",
    severity: Severity::Error,
    title: "More than one ALL_PORTS ATSR for a segment",
    xen: c(
        "acpi_parse_one_atsr(): a second ALL_PORTS on segment 0 → -EINVAL",
        Some("[VT-D]Only one ALL_PORTS device scope is allowed"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_parse_one_atsr() → dmar_find_atsr(): an identical ATSR is skipped",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "Xen 4.17 turns VT-d off; a BIOS update is needed.",
};

/// ALL_PORTS with scopes.
pub static ATSR_ALL_PORTS_WITH_SCOPES: Rule = Rule {
    id: "atsr-all-ports-with-scopes",
    severity: Severity::Info,
    title: "An ALL_PORTS ATSR also lists device scopes",
    xen: c(
        "acpi_parse_one_atsr(): the scope is not parsed when ALL_PORTS is set",
        None,
        Outcome::Ignores,
    ),
    linux: c(
        "dmar_parse_one_atsr(): the scope is not parsed when include_all is set",
        None,
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "The scopes are redundant.",
};

/// RHSA for an unknown DRHD.
pub static RHSA_UNKNOWN_UNIT: Rule = Rule {
    id: "rhsa-unknown-unit",
    severity: Severity::Warning,
    title: "An RHSA names a register base no earlier DRHD has",
    xen: c("drhd_to_rhsa(): never matched", None, Outcome::Ignores),
    linux: c(
        "dmar_parse_one_rhsa(): searches only the DRHDs parsed so far (CONFIG_ACPI_NUMA)",
        Some("DMAR: [Firmware Bug]: Your BIOS is broken; RHSA refers to non-existent DMAR unit at ..."),
        Outcome::WarnsAndTaints,
    ),
    fwts: None,
    advice: "NUMA placement of that unit's tables is lost; nothing else. A BIOS update fixes it.",
};

/// ANDD name not terminated.
pub static ANDD_NAME_UNTERMINATED: Rule = Rule {
    id: "andd-name-unterminated",
    severity: Severity::Error,
    title: "An ANDD's namespace path is not NUL-terminated",
    xen: c("not parsed: type 4 is skipped", None, Outcome::Ignores),
    linux: c(
        "dmar_parse_one_andd(): strnlen() == length - 8 → -EINVAL, which aborts the walk",
        Some("DMAR: [Firmware Bug]: Your BIOS is broken; ANDD object name is not NUL-terminated"),
        Outcome::RejectsTable,
    ),
    fwts: None,
    advice: "Linux turns VT-d off. A BIOS update, or a repaired table, is needed.",
};

/// Namespace scope without ANDD.
pub static NAMESPACE_SCOPE_WITHOUT_ANDD: Rule = Rule {
    id: "namespace-scope-without-andd",
    severity: Severity::Warning,
    title: "A namespace-device scope names an ACPI device number no ANDD declares",
    xen: c(
        "not parsed: scope type 5 is skipped",
        None,
        Outcome::Ignores,
    ),
    linux: c(
        "dmar_acpi_dev_scope_init(): only scopes matching an ANDD are bound",
        None,
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "That ACPI device's DMA is not translated by the intended unit.",
};

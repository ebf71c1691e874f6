//! Device scopes.

use super::*;

/// Zero-length scope.
pub static ZERO_LENGTH_SCOPE: Rule = Rule {
    id: "zero-length-scope",
    severity: Severity::Error,
    title: "A device scope has Entry Length 0",
    xen: c(
        "scope_device_count(): length < MIN_SCOPE_LEN (8)",
        Some("[VT-D]Invalid device scope"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_alloc_dev_scope(): `start += scope->length` with no zero check, reached from \
         dmar_table_init() during interrupt-remapping setup (before the watchdog runs), or \
         from intel_iommu_init() with intremap=off; intel_iommu=off does not avoid it",
        None,
        Outcome::Hangs,
    ),
    fwts: Some("InvalidDevScope"),
    advice: "Linux 6.1 hangs silently, whatever intel_iommu= says; Xen 4.17 boots with VT-d off. \
             Update the BIOS or boot a repaired table (`vtd dmar repair` removes the scope).",
};

/// Scope length 1–5.
pub static SCOPE_SHORTER_THAN_HEADER: Rule = Rule {
    id: "scope-shorter-than-header",
    severity: Severity::Error,
    title: "A device scope's Entry Length is smaller than its 6-byte header",
    xen: c(
        "scope_device_count(): length < MIN_SCOPE_LEN (8)",
        Some("[VT-D]Invalid device scope"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_alloc_dev_scope(): advances by the bad length; the negative path count matches no \
         device",
        None,
        Outcome::Misparses,
    ),
    fwts: Some("InvalidDevScope"),
    advice: "A BIOS update is needed; `vtd dmar repair` removes the scope.",
};

/// Scope overrun.
pub static SCOPE_OVERRUN: Rule = Rule {
    id: "scope-overrun",
    severity: Severity::Error,
    title: "A device scope runs past the end of its structure",
    xen: c(
        "acpi_parse_dev_scope(): `while (start < end)`; the path is read to the scope's length",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    linux: c(
        "dmar_insert_dev_scope(): the path is read to the scope's length",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    fwts: None,
    advice: "Both drivers read the next structure's bytes as a PCI path. `vtd dmar repair` \
             removes the scope.",
};

/// 1 stray byte after scopes.
pub static SCOPE_TRAILING_BYTES: Rule = Rule {
    id: "scope-trailing-bytes",
    severity: Severity::Warning,
    title: "A stray byte follows the last device scope of a structure",
    xen: c(
        "scope_device_count(): reads a scope header past the structure",
        Some("[VT-D]Invalid device scope"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_alloc_dev_scope(): reads a scope header past the structure",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    fwts: Some("InvalidDevScope"),
    advice: "The structure's Length includes a byte its scopes do not. `vtd dmar repair` trims it.",
};

/// Scope with no path.
pub static SCOPE_EMPTY_PATH: Rule = Rule {
    id: "scope-empty-path",
    severity: Severity::Error,
    title: "A device scope has no path: it names no device",
    xen: c(
        "scope_device_count(): length < MIN_SCOPE_LEN (8)",
        Some("[VT-D]Invalid device scope"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_insert_dev_scope(): a path of length 0 matches no device",
        None,
        Outcome::Ignores,
    ),
    fwts: Some("InvalidDevScope"),
    advice: "Xen 4.17 turns VT-d off. `vtd dmar repair` removes the scope.",
};

/// Odd path length.
pub static SCOPE_ODD_LENGTH: Rule = Rule {
    id: "scope-odd-length",
    severity: Severity::Warning,
    title: "A device scope's path has an odd number of bytes",
    xen: c(
        "acpi_parse_dev_scope(): depth = (length - 6) / 2",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "dmar_insert_dev_scope(): (length - 6) / 2 hops",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "The half hop is ignored by both drivers.",
};

/// Unknown scope type.
pub static SCOPE_UNKNOWN_TYPE: Rule = Rule {
    id: "scope-unknown-type",
    severity: Severity::Warning,
    title: "A device scope type not defined by VT-d",
    xen: c(
        "scope_device_count(): not counted (message only with iommu=verbose)",
        None,
        Outcome::Ignores,
    ),
    linux: c(
        "dmar_alloc_dev_scope()",
        Some("DMAR: Unsupported device scope"),
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "Both drivers skip it.",
};

/// Scope type not allowed in its structure.
pub static SCOPE_TYPE_NOT_ALLOWED: Rule = Rule {
    id: "scope-type-not-allowed",
    severity: Severity::Warning,
    title: "A device scope type that does not belong in its structure",
    xen: c("not checked: stored as a BDF", None, Outcome::Accepts),
    linux: c("not checked", None, Outcome::Accepts),
    fwts: None,
    advice: "E.g. an I/O APIC in an RMRR or an endpoint in an ATSR: drivers treat it as a PCI \
             device. A BIOS update should fix it.",
};

/// Path hop out of range.
pub static SCOPE_PATH_INVALID: Rule = Rule {
    id: "scope-path-invalid",
    severity: Severity::Warning,
    title: "A device scope path names a device above 31 or a function above 7",
    xen: c(
        "acpi_parse_dev_scope(): PCI_BDF() truncates the fields",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "dmar_match_pci_path(): matches no device",
        None,
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "The scope names no real device.",
};

/// Scope device absent.
pub static SCOPE_DEVICE_ABSENT: Rule = Rule {
    id: "scope-device-absent",
    severity: Severity::Warning,
    title: "A device scope names a PCI device the machine does not have",
    xen: c(
        "acpi_parse_one_drhd(): pci_device_detect() (not under iommu=force, not for \
         INCLUDE_ALL); register_one_rmrr() drops an RMRR whose devices are all absent",
        Some("[VT-D] Non-existent device (SSSS:BB:DD.F) in this DRHD's scope!"),
        Outcome::Warns,
    ),
    linux: c(
        "dmar_pci_bus_add_dev(): only present devices are bound",
        None,
        Outcome::Ignores,
    ),
    fwts: Some("DevScopeDevNotFound"),
    advice: "Harmless if the device is really absent (a disabled on-board device). Xen 4.0 \
             rejected the whole table unless `iommu=workaround_bios_bug` (DRHDs whose devices \
             are all absent) or `iommu=force`; 4.13 and later only warn.",
};

/// A path hop that is not a bridge.
pub static SCOPE_PATH_NOT_BRIDGE: Rule = Rule {
    id: "scope-path-not-bridge",
    severity: Severity::Warning,
    title: "A hop in the middle of a scope path is not a bridge",
    xen: c(
        "acpi_parse_dev_scope(): reads PCI_SECONDARY_BUS of whatever is there",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "dmar_match_pci_path(): matches no device",
        None,
        Outcome::Ignores,
    ),
    fwts: Some("DevScopeDevNotFound"),
    advice: "The scope leads nowhere on this machine.",
};

/// Endpoint/bridge mismatch.
pub static SCOPE_TYPE_MISMATCH: Rule = Rule {
    id: "scope-type-mismatch",
    severity: Severity::Error,
    title: "An endpoint scope names a bridge, or a bridge scope an endpoint",
    xen: c("not checked: no header-type test", None, Outcome::Accepts),
    linux: c(
        "dmar_insert_dev_scope(): header type against scope type → -EINVAL, so \
         dmar_dev_scope_init() fails and intel_iommu_init() gives up (panics when the IOMMU is \
         forced on by tboot or DMA_CTRL_PLATFORM_OPT_IN)",
        Some("DMAR: Device scope type does not match for SSSS:BB:DD.F"),
        Outcome::DisablesDmaRemapping,
    ),
    fwts: Some("DevScopeTypeNoMatch"),
    advice: "Linux 6.1 does not enable DMA remapping at all (interrupt remapping stays). A BIOS \
             update is needed; a repaired table can correct the scope type.",
};

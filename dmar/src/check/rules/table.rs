//! The table header and its flags.

use super::*;

/// No DMAR table at all.
pub static NO_TABLE: Rule = Rule {
    id: "no-table",
    severity: Severity::Error,
    title: "The firmware publishes no DMAR table",
    xen: c(
        "x86/iommu.c acpi_iommu_init() → acpi_dmar_init(): -ENODEV, then AMD IVRS is tried",
        Some("I/O virtualisation disabled"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "dmar_table_detect(): no table, no message",
        None,
        Outcome::RejectsTable,
    ),
    fwts: None,
    advice: "VT-d is off or absent. Enable VT-d (\"Intel Virtualization Technology for Directed \
             I/O\") in the BIOS setup; some boards never publish one (the Xen VTd HowTo names the \
             Samsung X460). Xen panics under iommu=force.",
};

/// Fewer than 48 bytes.
pub static TABLE_TOO_SHORT: Rule = Rule {
    id: "table-too-short",
    severity: Severity::Error,
    title: "The table is shorter than its 48-byte header",
    xen: c(
        "acpi_parse_dmar(): reads width and flags without a length check",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    linux: c(
        "parse_dmar_table(): reads the header fields without a length check",
        None,
        Outcome::ReadsOutOfBounds,
    ),
    fwts: Some("InvalidDMAR"),
    advice: "The dump is truncated or not a DMAR table. Re-read /sys/firmware/acpi/tables/DMAR \
             as root; if the firmware really publishes this, a BIOS update is needed.",
};

/// Not a DMAR signature.
pub static NOT_DMAR: Rule = Rule {
    id: "not-dmar",
    severity: Severity::Error,
    title: "The signature is not DMAR",
    xen: c(
        "acpi_table_parse(ACPI_SIG_DMAR): looks the table up by signature",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "dmar_table_detect(): acpi_get_table(ACPI_SIG_DMAR)",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "This is another ACPI table; pass the DMAR (acpidump -n DMAR -b, or \
             /sys/firmware/acpi/tables/DMAR).",
};

/// `RMAD`: Xen has hidden it.
pub static ZAPPED_SIGNATURE: Rule = Rule {
    id: "zapped-signature",
    severity: Severity::Info,
    title: "The signature is RMAD: Xen renamed the table to hide it from dom0",
    xen: c(
        "acpi_dmar_zap(): writes \"RMAD\" over the signature after parsing, success or not",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "dmar_table_detect(): no DMAR found under Xen",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "Dumped from a Xen dom0: the bytes are otherwise the firmware's. Dump from bare metal \
             to be sure.",
};

/// Declared length beyond the input.
pub static LENGTH_BEYOND_INPUT: Rule = Rule {
    id: "length-beyond-input",
    severity: Severity::Error,
    title: "The header's Table Length is larger than the bytes present",
    xen: c(
        "acpi_parse_dmar(): walks to table->length",
        Some("ACPI Warning: Incorrect checksum in table [DMAR]"),
        Outcome::ReadsOutOfBounds,
    ),
    linux: c(
        "drivers/acpi/tables.c acpi_table_initrd_override(): refuses an override whose file \
         length differs",
        Some("ACPI OVERRIDE: File length does not match table length"),
        Outcome::Ignores,
    ),
    fwts: None,
    advice: "Usually a truncated dump: re-read the table. As an initrd override Linux ignores \
             it and keeps the firmware's table.",
};

/// Declared length below the header.
pub static LENGTH_BELOW_HEADER: Rule = Rule {
    id: "length-below-header",
    severity: Severity::Error,
    title: "The header's Table Length is smaller than the 48-byte header",
    xen: c(
        "acpi_parse_dmar(): no structure is walked",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "parse_dmar_table(): no structure is walked",
        None,
        Outcome::Accepts,
    ),
    fwts: Some("InvalidDMAR"),
    advice: "The table describes no hardware as far as any driver can tell: a BIOS update is \
             needed.",
};

/// Input past the declared length.
pub static EXCESS_BYTES: Rule = Rule {
    id: "excess-bytes",
    severity: Severity::Info,
    title: "Bytes follow the declared Table Length",
    xen: c("not read", None, Outcome::Accepts),
    linux: c("not read", None, Outcome::Accepts),
    fwts: None,
    advice:
        "Harmless in firmware memory; in a dump file it is padding from the tool that wrote it.",
};

/// Checksum.
pub static CHECKSUM: Rule = Rule {
    id: "checksum",
    severity: Severity::Warning,
    title: "The table checksum is wrong",
    xen: c(
        "drivers/acpi/tables/tbutils.c acpi_tb_verify_checksum() (ACPI_CHECKSUM_ABORT is FALSE)",
        Some("ACPI Warning (tbutils-NNNN): Incorrect checksum in table [DMAR]"),
        Outcome::Warns,
    ),
    linux: c(
        "ACPICA acpi_tb_verify_checksum(); an initrd override with a bad checksum is refused \
         (acpi_table_initrd_override)",
        Some("ACPI BIOS Warning (bug): Incorrect checksum in table [DMAR]"),
        Outcome::Warns,
    ),
    fwts: Some("ACPITableChecksum"),
    advice: "Drivers only warn. A repaired table for an initrd override must have a correct \
             checksum: `vtd dmar repair` writes one.",
};

/// HAW 0.
pub static HOST_ADDRESS_WIDTH_ZERO: Rule = Rule {
    id: "host-address-width-zero",
    severity: Severity::Error,
    title: "The Host Address Width field is 0",
    xen: c(
        "acpi_parse_dmar(): !dmar->width (the table is still zapped)",
        Some("[VT-D]Zero: Invalid DMAR width"),
        Outcome::RejectsTable,
    ),
    linux: c(
        "parse_dmar_table(): dmar->width < PAGE_SHIFT - 1",
        Some("DMAR: Invalid DMAR haw"),
        Outcome::RejectsTable,
    ),
    fwts: None,
    advice: "Both drivers turn VT-d off; no boot option helps. A BIOS update is needed.",
};

/// HAW 1–10.
pub static HOST_ADDRESS_WIDTH_SMALL: Rule = Rule {
    id: "host-address-width-small",
    severity: Severity::Error,
    title: "The Host Address Width is below 12 bits (field 1–10)",
    xen: c(
        "acpi_parse_dmar(): only a width of 0 is rejected",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "parse_dmar_table(): dmar->width < PAGE_SHIFT - 1",
        Some("DMAR: Invalid DMAR haw"),
        Outcome::RejectsTable,
    ),
    fwts: None,
    advice: "Linux turns VT-d off; Xen 4.17 does not use the field. A BIOS update is needed.",
};

/// HAW > 64 bits.
pub static HOST_ADDRESS_WIDTH_LARGE: Rule = Rule {
    id: "host-address-width-large",
    severity: Severity::Info,
    title: "The Host Address Width is above 64 bits",
    xen: c(
        "acpi_parse_dmar(): no upper bound; printed with iommu=verbose",
        None,
        Outcome::Accepts,
    ),
    linux: c(
        "parse_dmar_table(): no upper bound; the width is only printed",
        None,
        Outcome::Accepts,
    ),
    fwts: None,
    advice: "Neither driver uses the value beyond printing it.",
};

/// INTR_REMAP clear.
pub static NO_INTR_REMAP_FLAG: Rule = Rule {
    id: "no-intr-remap-flag",
    severity: Severity::Warning,
    title: "The INTR_REMAP flag is clear: interrupt remapping will be off",
    xen: c(
        "vtd/intremap.c enable_intremap() → platform_supports_intremap(); panics under \
         iommu=force unless iommu=no-intremap",
        Some("[VT-D] Platform firmware does not support interrupt remapping"),
        Outcome::DisablesInterruptRemapping,
    ),
    linux: c(
        "irq_remapping.c intel_prepare_irq_remapping() → dmar_ir_support(), silently; then \
         x2APIC is disabled on bare metal",
        Some("x2apic: IRQ remapping doesn't support X2APIC mode"),
        Outcome::DisablesInterruptRemapping,
    ),
    fwts: None,
    advice: "If the hardware supports interrupt remapping (ECAP.IR), the BIOS setup may have an \
             option for it. Xen under iommu=force needs iommu=no-intremap to boot.",
};

/// X2APIC_OPT_OUT set.
pub static X2APIC_OPT_OUT: Rule = Rule {
    id: "x2apic-opt-out",
    severity: Severity::Info,
    title: "The X2APIC_OPT_OUT flag asks the OS to stay in xAPIC mode",
    xen: c(
        "dmar.c platform_supports_x2apic(); apic.c x2apic_bsp_setup() panics if firmware \
         already enabled x2APIC",
        Some("Not enabling x2APIC (upon firmware request)"),
        Outcome::Warns,
    ),
    linux: c(
        "irq_remapping.c dmar_x2apic_optout(): interrupt remapping in xAPIC mode",
        Some("DMAR-IR: x2apic is disabled because BIOS sets x2apic opt out bit."),
        Outcome::Warns,
    ),
    fwts: None,
    advice: "CPUs with APIC IDs above 255 stay offline. Linux can override it with \
             intremap=no_x2apic_optout.",
};

/// DMA_CTRL_PLATFORM_OPT_IN set.
pub static PLATFORM_OPT_IN: Rule = Rule {
    id: "platform-opt-in",
    severity: Severity::Info,
    title: "DMA_CTRL_PLATFORM_OPT_IN: firmware asks the OS to keep DMA protection on",
    xen: c("not defined or read in 4.17", None, Outcome::Accepts),
    linux: c(
        "iommu.c platform_optin_force_iommu(): with an external-facing PCI port the IOMMU is \
         forced on even with iommu=off (not with intel_iommu=off), and any DMAR table or \
         device-scope error then panics (\"tboot: Failed to initialize DMAR ...\")",
        Some("DMAR: Intel-IOMMU force enabled due to platform opt in"),
        Outcome::Warns,
    ),
    fwts: None,
    advice: "Expected on Thunderbolt laptops. With a broken table, intel_iommu=off is the only \
             Linux option that avoids the forced-on panic.",
};

/// Reserved bits.
pub static RESERVED_NONZERO: Rule = Rule {
    id: "reserved-nonzero",
    severity: Severity::Info,
    title: "Reserved header bits or bytes are set",
    xen: XEN_NOT_CHECKED,
    linux: LINUX_NOT_CHECKED,
    fwts: None,
    advice: "Harmless today; a future VT-d revision may give these bits a meaning.",
};

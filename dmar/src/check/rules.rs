//! The catalogue of DMAR defects.
//!
//! Each [`Rule`] has a stable ID (never renamed; tools and fixtures match on it), a
//! severity, the check in each production driver that corresponds to it, what that
//! driver does, the fwts label where fwts checks it, and the advice for a board owner.
//!
//! Sources (read from the public trees, cited per rule):
//! - Xen 4.17.5 (`RELEASE-4.17.5`), `xen/drivers/passthrough/vtd/dmar.c` unless noted.
//!   In release builds (what distributions ship) `dprintk` is compiled out, so only
//!   `printk` lines are quoted as what the log shows. Any parse error ends in
//!   `Failed to parse ACPI DMAR.  Disabling VT-d.` and, under `iommu=force`/`required`,
//!   `panic("Couldn't enable IOMMU and iommu=required/force")` (`iommu.c:iommu_setup`).
//! - Linux 6.1, `drivers/iommu/intel/dmar.c` unless noted. `detect_intel_iommu()` walks
//!   the table once to validate DRHDs; an error there means Intel IOMMU support is never
//!   initialised. `intel_iommu_init()` then parses it again (`dmar_table_init`) and
//!   walks the device scopes (`dmar_dev_scope_init`) *before* it looks at
//!   `intel_iommu=off`; interrupt remapping parses it earlier still
//!   (`intel_prepare_irq_remapping`).
//! - fwts (`src/acpi/dmar/dmar.c`), whose failures are all `LOG_LEVEL_MEDIUM`.

use super::Severity;

/// What a production driver does when it meets the defect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Outcome {
    /// Not checked: the table is used as it is.
    Accepts,
    /// A message is printed; the table is used.
    Warns,
    /// A `[Firmware Bug]` warning and `TAINT_FIRMWARE_WORKAROUND`; the table is used.
    WarnsAndTaints,
    /// The structure, scope or device is dropped or skipped; the rest is used.
    Ignores,
    /// The whole table is rejected: DMA remapping (and interrupt remapping) stay off.
    /// Xen panics instead under `iommu=force`/`required`.
    RejectsTable,
    /// DMA remapping works but interrupt remapping is left off.
    DisablesInterruptRemapping,
    /// The boot never finishes: an endless loop in the parser.
    Hangs,
    /// The parser reads bytes outside the structure or the table.
    ReadsOutOfBounds,
    /// The parser advances by the bad length and reads the following bytes as the next
    /// entry.
    Misparses,
    /// Interrupt remapping works but DMA remapping is not enabled.
    DisablesDmaRemapping,
}

impl Outcome {
    /// How bad the outcome is for the boot, worst first (0 = hangs).
    pub fn rank(self) -> u8 {
        match self {
            Outcome::Hangs => 0,
            Outcome::RejectsTable => 1,
            Outcome::DisablesDmaRemapping => 2,
            Outcome::ReadsOutOfBounds => 3,
            Outcome::DisablesInterruptRemapping => 4,
            Outcome::Misparses => 5,
            Outcome::WarnsAndTaints => 6,
            Outcome::Warns => 7,
            Outcome::Ignores => 8,
            Outcome::Accepts => 9,
        }
    }

    /// A few words for a summary column.
    pub fn short(self) -> &'static str {
        match self {
            Outcome::Hangs => "HANG",
            Outcome::RejectsTable => "VT-d off",
            Outcome::DisablesDmaRemapping => "DMA remap off",
            Outcome::ReadsOutOfBounds => "reads OOB",
            Outcome::DisablesInterruptRemapping => "IR off",
            Outcome::Misparses => "misparses",
            Outcome::WarnsAndTaints => "taints",
            Outcome::Warns => "warns",
            Outcome::Ignores => "ignores",
            Outcome::Accepts => "ok",
        }
    }

    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Accepts => "does not check; uses the table as it is",
            Outcome::Warns => "warns and uses the table",
            Outcome::WarnsAndTaints => "warns [Firmware Bug], taints the kernel, uses the table",
            Outcome::Ignores => "ignores that entry and uses the rest",
            Outcome::RejectsTable => "rejects the whole table: VT-d stays off",
            Outcome::DisablesInterruptRemapping => {
                "keeps DMA remapping, disables interrupt remapping"
            }
            Outcome::Hangs => "hangs during boot",
            Outcome::ReadsOutOfBounds => "reads past the entry or the table",
            Outcome::Misparses => "reads the following bytes as the next entry",
            Outcome::DisablesDmaRemapping => {
                "keeps interrupt remapping, does not enable DMA remapping"
            }
        }
    }
}

/// One driver's reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Consequence {
    /// Where the check lives (file and function).
    pub check: &'static str,
    /// The line the driver prints, if any, in a release build.
    pub message: Option<&'static str>,
    /// What happens.
    pub outcome: Outcome,
}

/// A defect.
#[derive(Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Rule {
    /// Stable ID.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// One-line summary.
    pub title: &'static str,
    /// Xen 4.17.
    pub xen: Consequence,
    /// Linux 6.1.
    pub linux: Consequence,
    /// The fwts `dmar` failure label, if fwts checks it.
    pub fwts: Option<&'static str>,
    /// What helps: an option, a table repair, a BIOS update.
    pub advice: &'static str,
}

const fn c(check: &'static str, message: Option<&'static str>, outcome: Outcome) -> Consequence {
    Consequence {
        check,
        message,
        outcome,
    }
}

const XEN_NOT_CHECKED: Consequence = c("not checked", None, Outcome::Accepts);
const LINUX_NOT_CHECKED: Consequence = c("not checked", None, Outcome::Accepts);
const XEN_FAILED: Option<&str> = Some("Failed to parse ACPI DMAR.  Disabling VT-d.");

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
         ATSR 8, RHSA 20)",
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
        "dmar_validate_one_drhd(): no explicit check; early_ioremap() fails (\"Can't validate \
         DRHD address\") or CAP/ECAP read all ones",
        Some("DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address ffffffffffffffff returns all ones!"),
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

/// Every rule, for listings and documentation.
pub static RULES: &[&Rule] = &[
    &NO_TABLE,
    &TABLE_TOO_SHORT,
    &NOT_DMAR,
    &ZAPPED_SIGNATURE,
    &LENGTH_BEYOND_INPUT,
    &LENGTH_BELOW_HEADER,
    &EXCESS_BYTES,
    &CHECKSUM,
    &HOST_ADDRESS_WIDTH_ZERO,
    &HOST_ADDRESS_WIDTH_SMALL,
    &HOST_ADDRESS_WIDTH_LARGE,
    &NO_INTR_REMAP_FLAG,
    &X2APIC_OPT_OUT,
    &PLATFORM_OPT_IN,
    &RESERVED_NONZERO,
    &ZERO_LENGTH_STRUCTURE,
    &ZERO_LENGTH_BEFORE_DRHD,
    &STRUCTURE_SHORTER_THAN_HEADER,
    &STRUCTURE_OVERRUN,
    &TRAILING_BYTES,
    &STRUCTURE_TOO_SHORT,
    &UNKNOWN_STRUCTURE_TYPE,
    &NEWER_STRUCTURE_TYPE,
    &NO_DRHD,
    &DRHD_BASE_ZERO,
    &DRHD_BASE_ALL_ONES,
    &DRHD_BASE_UNALIGNED,
    &DRHD_DUPLICATE_BASE,
    &MULTIPLE_INCLUDE_ALL,
    &INCLUDE_ALL_NOT_LAST,
    &DRHD_WITHOUT_SCOPE,
    &INCLUDE_ALL_WITH_DEVICE_SCOPES,
    &RMRR_END_BEFORE_BASE,
    &RMRR_UNALIGNED,
    &RMRR_WITHOUT_SCOPE,
    &RMRR_OVERLAP,
    &RMRR_OUTSIDE_RESERVED,
    &RMRR_IN_ACPI_MEMORY,
    &MULTIPLE_ALL_PORTS,
    &ATSR_ALL_PORTS_WITH_SCOPES,
    &RHSA_UNKNOWN_UNIT,
    &ANDD_NAME_UNTERMINATED,
    &NAMESPACE_SCOPE_WITHOUT_ANDD,
    &DUPLICATE_IOAPIC_SCOPE,
    &DUPLICATE_HPET_SCOPE,
    &IOAPIC_SCOPE_MISSING,
    &ZERO_LENGTH_SCOPE,
    &SCOPE_SHORTER_THAN_HEADER,
    &SCOPE_OVERRUN,
    &SCOPE_TRAILING_BYTES,
    &SCOPE_EMPTY_PATH,
    &SCOPE_ODD_LENGTH,
    &SCOPE_UNKNOWN_TYPE,
    &SCOPE_TYPE_NOT_ALLOWED,
    &SCOPE_PATH_INVALID,
    &SCOPE_DEVICE_ABSENT,
    &SCOPE_PATH_NOT_BRIDGE,
    &SCOPE_TYPE_MISMATCH,
];

/// Find a rule by ID.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(
                r.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                r.id
            );
            assert!(
                RULES[..i].iter().all(|q| q.id != r.id),
                "duplicate {}",
                r.id
            );
            assert_eq!(by_id(r.id), Some(*r));
        }
    }
}

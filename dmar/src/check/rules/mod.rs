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

pub(super) const fn c(
    check: &'static str,
    message: Option<&'static str>,
    outcome: Outcome,
) -> Consequence {
    Consequence {
        check,
        message,
        outcome,
    }
}

pub(super) const XEN_NOT_CHECKED: Consequence = c("not checked", None, Outcome::Accepts);
pub(super) const LINUX_NOT_CHECKED: Consequence = c("not checked", None, Outcome::Accepts);
pub(super) const XEN_FAILED: Option<&str> = Some("Failed to parse ACPI DMAR.  Disabling VT-d.");

mod drhd;
mod others;
mod rmrr;
mod scope;
mod table;
mod walk;
pub use drhd::*;
pub use others::*;
pub use rmrr::*;
pub use scope::*;
pub use table::*;
pub use walk::*;

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

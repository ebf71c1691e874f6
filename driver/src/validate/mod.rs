//! What each production driver makes of a DMAR table before it touches the hardware:
//! accepted (with the lines it prints), rejected (VT-d off), hung, or accepted with
//! interrupt or DMA remapping left off.
//!
//! Xen 4.17 and Linux 6.1 are read from the rule catalogue (`dmar::check::rules`),
//! which records, per defect, the check in each code base and what follows; the lines
//! that carry addresses are rendered here with the table's values. Xen 4.0.0 has its
//! own parser (`xen40.rs`), older and different enough to be implemented on its own.

mod lines;
mod xen40;

use crate::log::{Level, Log};
use crate::personality::Personality;
use dmar::check::Outcome;
use serde::Serialize;
use vtd_machine::Machine;

/// What happened to the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// There is no DMAR table.
    Absent,
    /// The driver did not look at it (IOMMU and interrupt remapping both off).
    NotParsed,
    /// Used.
    Accepted,
    /// Rejected: VT-d stays off.
    Rejected,
    /// The parser never returns.
    Hang,
}

/// One finding as this personality sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule ID (`dmar rules ID` explains it).
    pub id: String,
    /// What exactly was found.
    pub detail: String,
    /// What this driver does about it.
    pub outcome: Outcome,
}

/// The validation of one table by one personality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// What became of the table.
    pub fate: Fate,
    /// What the driver prints while parsing.
    pub log: Log,
    /// Findings with this driver's outcome.
    pub findings: Vec<Finding>,
    /// The table leaves interrupt remapping off.
    pub ir_off: bool,
    /// The table leaves DMA remapping off while interrupt remapping works (Linux).
    pub dma_off: bool,
    /// Linux: `TAINT_FIRMWARE_WORKAROUND`.
    pub taint: bool,
    /// The parser reads outside the table or a structure (found by reading the source;
    /// nothing crashes on the model).
    pub reads_out_of_bounds: bool,
    /// Where the parser hangs, if it does.
    pub hang: Option<String>,
    /// Offsets of DRHDs the driver drops (Xen 4.0 `workaround_bios_bug`).
    pub dropped_drhds: Vec<usize>,
    /// Offsets of RMRRs the driver drops.
    pub dropped_rmrrs: Vec<usize>,
    /// The parsed table, when the bytes have a DMAR header.
    #[serde(skip)]
    pub table: Option<dmar::Table>,
}

impl Validation {
    fn new(fate: Fate) -> Self {
        Validation {
            fate,
            log: Log::default(),
            findings: Vec::new(),
            ir_off: false,
            dma_off: false,
            taint: false,
            reads_out_of_bounds: false,
            hang: None,
            dropped_drhds: Vec::new(),
            dropped_rmrrs: Vec::new(),
            table: None,
        }
    }
}

/// Knobs of the personality's options that change parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Xen `iommu=force`: 4.0 skips the DRHD device-existence check.
    pub force: bool,
    /// Xen 4.0 `iommu=workaround_bios_bug`.
    pub workaround_bios_bug: bool,
    /// Xen: `iommu=verbose` (prints the dprintk lines of 4.17).
    pub verbose: bool,
}

/// Validate `bytes` (None: no DMAR table) as `personality` does on `machine`.
pub fn validate(
    personality: Personality,
    bytes: Option<&[u8]>,
    machine: &Machine,
    opts: ParseOptions,
) -> Validation {
    let Some(bytes) = bytes else {
        return Validation::new(Fate::Absent);
    };
    if personality == Personality::Xen40 {
        return xen40::validate(bytes, machine, opts);
    }
    let report = dmar::check(bytes, Some(machine));
    let table = dmar::parse(bytes).ok();
    let mut v = Validation::new(Fate::Accepted);
    let xen = personality == Personality::Xen417;
    // Both parsers walk the structures in order and stop at the first one they reject
    // (Xen's acpi_parse_dmar() breaks out of its loop, Linux's
    // dmar_walk_remapping_entries() returns the error): structures after it print
    // nothing. The table-level rejection of a table without DRHDs comes after the walk.
    let stop = report
        .diagnostics
        .iter()
        .filter(|d| {
            let c = if xen { d.rule.xen } else { d.rule.linux };
            matches!(c.outcome, Outcome::RejectsTable | Outcome::Hangs)
                && d.id() != "no-drhd"
                && d.range.start >= 48
        })
        .map(|d| d.range.start)
        .min();
    // The structure a diagnostic is in (its offset).
    let structure_of = |at: usize| {
        table.as_ref().and_then(|t| {
            t.structures
                .iter()
                .find(|s| (s.offset..s.offset + usize::from(s.length).max(1)).contains(&at))
                .map(|s| s.offset)
        })
    };
    // Linux's rmrr_sanity_check() returns at the alignment and order checks before
    // arch_rmrr_sanity_check() looks at the E820 map: such an RMRR gets "bad RMRR" only
    // (the oracle's recording of hp-compaq-6730b-rmrr-zero, an RMRR [0,0]).
    let bad_range: Vec<usize> = report
        .diagnostics
        .iter()
        .filter(|d| matches!(d.id(), "rmrr-end-before-base" | "rmrr-unaligned"))
        .filter_map(|d| structure_of(d.range.start))
        .collect();
    for d in &report.diagnostics {
        let c = if xen { d.rule.xen } else { d.rule.linux };
        if stop.is_some_and(|s| d.range.start > s && d.range.start >= 48) {
            continue;
        }
        if !xen
            && d.id() == "rmrr-outside-reserved"
            && structure_of(d.range.start).is_some_and(|s| bad_range.contains(&s))
        {
            continue;
        }
        v.findings.push(Finding {
            id: d.id().to_string(),
            detail: d.message.clone(),
            outcome: c.outcome,
        });
        if let Some(text) = lines::render(personality, d, c.message, table.as_ref()) {
            let level = match c.outcome {
                // Xen 4.17 prints nothing for absent scope devices at boot: an RMRR's
                // go to dprintk(), compiled out of release builds such as Debian's, and
                // a DRHD's check is skipped because acpi_dmar_init() runs before PCI
                // segment 0 is known (pci_known_segment() is false). The oracle's
                // recordings and the Xen harness show both.
                _ if xen && d.id() == "scope-device-absent" => Level::Debug,
                Outcome::RejectsTable | Outcome::Hangs => Level::Error,
                Outcome::Accepts | Outcome::Ignores => Level::Info,
                _ => Level::Warning,
            };
            // The catalogue's Xen messages end in the table-level verdict; print that
            // once, below.
            for line in lines::split(&text) {
                if !(xen && line == "Failed to parse ACPI DMAR.  Disabling VT-d.") {
                    v.log.push(level, line);
                }
            }
        }
        match c.outcome {
            Outcome::Hangs => {
                v.fate = Fate::Hang;
                v.hang.get_or_insert_with(|| c.check.to_string());
            }
            Outcome::RejectsTable if v.fate != Fate::Hang => v.fate = Fate::Rejected,
            Outcome::DisablesInterruptRemapping => v.ir_off = true,
            Outcome::DisablesDmaRemapping => v.dma_off = true,
            Outcome::WarnsAndTaints => v.taint = true,
            Outcome::ReadsOutOfBounds => v.reads_out_of_bounds = true,
            _ => {}
        }
    }
    // Xen rejects a table without DRHDs later, in vtd_setup() (-ENODEV, silently), not
    // in acpi_parse_dmar(): no "Failed to parse" line then (the oracle's no-drhd boots).
    let only_no_drhd = report
        .diagnostics
        .iter()
        .filter(|d| d.rule.xen.outcome == Outcome::RejectsTable)
        .all(|d| d.id() == "no-drhd");
    // Interrupt-remapping setup reads the table only once it was accepted: a rejected
    // or hanging table prints none of its lines (x7sb4 and lenovo recordings).
    if matches!(v.fate, Fate::Rejected | Fate::Hang) {
        let ir: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| {
                let c = if xen { d.rule.xen } else { d.rule.linux };
                c.outcome == Outcome::DisablesInterruptRemapping
            })
            .filter_map(|d| {
                let c = if xen { d.rule.xen } else { d.rule.linux };
                lines::render(personality, d, c.message, table.as_ref())
            })
            .flat_map(|t| lines::split(&t).map(str::to_string).collect::<Vec<_>>())
            .collect();
        v.log.0.retain(|l| !ir.contains(&l.text));
    }
    if xen && v.fate == Fate::Rejected && !only_no_drhd {
        v.log
            .warn("Failed to parse ACPI DMAR.  Disabling VT-d.".to_string());
    }
    if let Some(t) = &table {
        // Structures the driver drops without a finding of its own: an RMRR that names
        // no device applies to nothing, in both drivers.
        for s in &t.structures {
            if let dmar::Body::Rmrr(r) = &s.body {
                if r.scopes.entries.is_empty() {
                    v.dropped_rmrrs.push(s.offset);
                }
            }
        }
    }
    v.table = table;
    v
}

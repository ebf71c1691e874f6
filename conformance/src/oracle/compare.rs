//! The reference driver against a recorded verdict: the same personality, the same
//! command line, the same table bytes (for Linux, the upgraded copy it really booted,
//! or QEMU's own table when Linux refused ours), on the machine QEMU emulates.
//!
//! QEMU has one remapping unit, at 0xfed90000. A table whose DRHDs name other bases
//! leaves the production driver reading unassigned MMIO after parsing, which the
//! reference driver (a unit at every DRHD base) does not reproduce; for those only
//! the parse verdict is compared (rejected, hang, or not), never what the hardware
//! did afterwards.

use super::verdict::{Ending, Lane, Verdict};
use serde::Serialize;
use vtd_driver::{BootInput, Outcome, Personality};
use vtd_machine::Machine;
use vtd_model::regs::presets;

/// QEMU's unit.
pub const QEMU_UNIT: u64 = 0xfed9_0000;

/// The machine QEMU emulates for the oracle (`machine.toml`).
pub fn machine() -> Machine {
    toml::from_str(include_str!("machine.toml")).unwrap_or_default()
}

/// One field on which the reference driver and the production driver differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The lane.
    pub lane: Lane,
    /// The option set.
    pub options: String,
    /// The field.
    pub field: &'static str,
    /// What the production driver did.
    pub production: String,
    /// What the reference driver did.
    pub reference: String,
}

/// How much of a verdict can be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Depth {
    /// Everything: ending, VT-d, QI, IR, taint.
    Full,
    /// Only whether the table was rejected or hung the parser: the table names units
    /// QEMU does not have.
    Parse,
}

/// Whether every DRHD of `table` is QEMU's unit.
pub fn depth(table: Option<&[u8]>) -> Depth {
    let Some(t) = table else {
        return Depth::Full;
    };
    match dmar::parse(t) {
        Ok(t)
            if t.structures.iter().all(|s| match &s.body {
                dmar::table::Body::Drhd(d) => d.register_base == QEMU_UNIT,
                _ => true,
            }) =>
        {
            Depth::Full
        }
        _ => Depth::Parse,
    }
}

fn ending(o: Outcome) -> Ending {
    match o {
        Outcome::Booted => Ending::Booted,
        Outcome::VtdDisabled => Ending::VtdDisabled,
        Outcome::Panic => Ending::Panic,
        Outcome::Hang => Ending::Hang,
    }
}

/// The table bytes the production driver of `v` really parsed.
pub fn booted_table(v: &Verdict, table: Option<&[u8]>, qemu_table: &[u8]) -> Option<Vec<u8>> {
    match v.lane {
        Lane::Xen => table.map(<[u8]>::to_vec),
        Lane::Linux if table.is_none() => None,
        Lane::Linux if v.table_taken => table.map(super::image::for_linux_upgrade),
        Lane::Linux => Some(qemu_table.to_vec()),
    }
}

/// The reference driver's verdict for the boot `v` recorded, on `booted` bytes.
fn reference(v: &Verdict, booted: Option<Vec<u8>>) -> vtd_driver::Verdict {
    let personality = match v.lane {
        Lane::Xen => Personality::Xen417,
        Lane::Linux => Personality::Linux61,
    };
    let mut input = BootInput::new(personality, machine(), booted, &v.options);
    input.preset = Some(presets::QEMU_Q35);
    vtd_driver::boot(&input).verdict
}

fn normal(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The warning and error lines the reference driver prints for `v`'s boot that the
/// production driver's log does not have (whitespace-insensitive). For a verdict
/// compared in full, every line of the boot; for one compared on its parse verdict
/// only, the lines of the parser (`vtd_driver::validate`), since what follows depends
/// on hardware QEMU does not have. A boot that hung is not compared line by line.
pub fn missing_lines(v: &Verdict, table: Option<&[u8]>, qemu_table: &[u8]) -> Vec<String> {
    if v.ending == Ending::Hang {
        return Vec::new();
    }
    let booted = booted_table(v, table, qemu_table);
    let lines: Vec<vtd_driver::LogLine> = match depth(booted.as_deref()) {
        Depth::Full => reference(v, booted).log,
        Depth::Parse => {
            let personality = match v.lane {
                Lane::Xen => Personality::Xen417,
                Lane::Linux => Personality::Linux61,
            };
            let opts = vtd_driver::validate::ParseOptions {
                force: v.options.contains("force"),
                ..Default::default()
            };
            vtd_driver::validate::validate(personality, booted.as_deref(), &machine(), opts)
                .log
                .lines()
                .to_vec()
        }
    };
    let parse_only = depth(booted_table(v, table, qemu_table).as_deref()) == Depth::Parse;
    let production: Vec<String> = v.lines.iter().chain(&v.last).map(|l| normal(l)).collect();
    lines
        .iter()
        .filter(|l| {
            matches!(
                l.level,
                vtd_driver::log::Level::Error
                    | vtd_driver::log::Level::Warning
                    | vtd_driver::log::Level::Emergency
            )
        })
        .map(|l| normal(&l.text))
        // Only the vocabulary a verdict keeps (verdict.rs), and not what depends on
        // the CPU model: TCG's `-cpu max` offers EPT, the reference machine has no CPU.
        .filter(|t| {
            let raw = match v.lane {
                Lane::Xen => format!("(XEN) {t}"),
                Lane::Linux => t.clone(),
            };
            super::verdict::relevant(v.lane, &raw, t) && !t.contains("Shared EPT tables")
        })
        // Interrupt-remapping setup runs on the units: with units QEMU lacks it fails
        // before its table lines, so at parse depth they are not comparable.
        .filter(|t| {
            !(parse_only
                && (t.contains("DMAR-IR")
                    || t.contains("IRQ remapping")
                    || t.contains("interrupt remapping")))
        })
        // Xen gets the table through GRUB's `acpi` command, after which Xen reports no
        // checksum error (length-beyond-input's recording): the Xen lane cannot see
        // checksum findings.
        .filter(|t| !(v.lane == Lane::Xen && t.contains("checksum")))
        .filter(|t| !production.iter().any(|p| p.contains(t.as_str())))
        .collect()
}

/// Compare the reference driver with the recorded verdict `v` of a fixture whose
/// table is `table` (QEMU's own DMAR is `qemu_table`).
pub fn compare(v: &Verdict, table: Option<&[u8]>, qemu_table: &[u8]) -> (Depth, Vec<Disagreement>) {
    let booted = booted_table(v, table, qemu_table);
    let depth = depth(booted.as_deref());
    let r = reference(v, booted);
    let mut out = Vec::new();
    let mut diff = |field: &'static str, production: String, reference: String| {
        if production != reference {
            out.push(Disagreement {
                lane: v.lane,
                options: v.options.clone(),
                field,
                production,
                reference,
            });
        }
    };
    let hang = |e: Ending| (e == Ending::Hang).to_string();
    diff("hang", hang(v.ending), hang(ending(r.outcome)));
    match depth {
        Depth::Full => {
            diff(
                "ending",
                format!("{:?}", v.ending),
                format!("{:?}", ending(r.outcome)),
            );
            diff("vtd", v.vtd.to_string(), r.vtd_enabled.to_string());
            diff("qi", v.qi.to_string(), r.qi.to_string());
            diff("ir", v.ir.to_string(), r.ir.to_string());
            if v.lane == Lane::Linux {
                diff("taint", v.taint.to_string(), r.taint.to_string());
            }
        }
        Depth::Parse => {
            if v.ending != Ending::Hang {
                diff(
                    "rejected",
                    v.rejected().to_string(),
                    (r.table == vtd_driver::validate::Fate::Rejected).to_string(),
                );
            }
        }
    }
    (depth, out)
}

//! `check`: one table, or every bundled fixture.

use super::{CheckFormat, Result};
use crate::exit;
use crate::input::{self, InputError};
use crate::machine_args::MachineArgs;
use dmar::check::{Driver, Report};
use std::path::PathBuf;

fn verdicts(report: &Report) -> serde_json::Value {
    serde_json::json!({
        "xen-4.17": report.outcome(Driver::Xen),
        "linux-6.1": report.outcome(Driver::Linux),
    })
}

fn summary(report: &Report) -> serde_json::Value {
    let (e, w, i) = report.counts();
    serde_json::json!({ "errors": e, "warnings": w, "infos": i })
}

/// One line per driver: what the whole table gets.
pub fn verdict_lines(report: &Report) -> String {
    [Driver::Xen, Driver::Linux]
        .iter()
        .map(|&d| {
            format!(
                "{:<10} {}\n",
                format!("{}:", d.name()),
                report.outcome(d).describe()
            )
        })
        .collect()
}

pub fn file(file: Option<PathBuf>, machine: &MachineArgs, format: CheckFormat) -> Result<u8> {
    let path = input::table_path(file);
    let bytes = input::read(&path)?;
    let machine = machine.load()?;
    let platform = machine.as_ref().map(|m| m as &dyn dmar::Platform);
    let report = dmar::check(&bytes, platform);
    match format {
        CheckFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "file": path.display().to_string(),
                "bytes": bytes.len(),
                "machine": machine.is_some(),
                "summary": summary(&report),
                "verdict": verdicts(&report),
                "diagnostics": report.diagnostics,
            }))?
        ),
        CheckFormat::Text => {
            match dmar::DmarView::new(&bytes) {
                Ok(v) => {
                    let h = v.header();
                    println!(
                        "{}: DMAR revision {}, OEM {:?} {:?}, {} bytes{}",
                        path.display(),
                        h.revision,
                        dmar::text::Ascii(&h.oem_id),
                        dmar::text::Ascii(&h.oem_table_id),
                        bytes.len(),
                        if machine.is_some() {
                            ", checked against the machine"
                        } else {
                            ""
                        }
                    );
                }
                Err(e) => println!("{}: {e}", path.display()),
            }
            println!();
            print!("{}", report.render());
            if !report.diagnostics.is_empty() {
                println!();
                print!("{}", verdict_lines(&report));
            }
            if machine.is_none() {
                println!(
                    "\n(no machine given: RMRR memory types and scope devices were not checked; \
                     add --host or --machine FILE)"
                );
            }
        }
    }
    Ok(if report.has_errors() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

pub fn fixtures(format: CheckFormat) -> Result<u8> {
    let fixtures = dmar_fixtures::all().map_err(|e| InputError(e.to_string()))?;
    let mut rows = Vec::new();
    let mut disagreements = 0;
    for f in &fixtures {
        let report = f.check().unwrap_or_else(dmar::check::no_table);
        let mut found = report.ids();
        found.sort_unstable();
        let mut expected: Vec<&str> = f.meta.expected.iter().map(String::as_str).collect();
        expected.sort_unstable();
        let agrees = found == expected;
        if !agrees {
            disagreements += 1;
        }
        rows.push((f, report, agrees));
    }
    match format {
        CheckFormat::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|(f, r, agrees)| {
                    serde_json::json!({
                        "fixture": f.name,
                        "board": f.meta.board,
                        "bug_class": f.meta.bug_class,
                        "summary": summary(r),
                        "verdict": verdicts(r),
                        "ids": r.ids(),
                        "expected": f.meta.expected,
                        "agrees": agrees,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        CheckFormat::Text => {
            println!(
                "{:<34} {:<24} {:>3} {:>3} {:>3}  {:<13} {:<13} as recorded",
                "fixture", "bug class", "err", "wrn", "inf", "Xen 4.17", "Linux 6.1"
            );
            for (f, r, agrees) in &rows {
                let (e, w, i) = r.counts();
                println!(
                    "{:<34} {:<24} {:>3} {:>3} {:>3}  {:<13} {:<13} {}",
                    f.name,
                    f.meta.bug_class,
                    e,
                    w,
                    i,
                    r.outcome(Driver::Xen).short(),
                    r.outcome(Driver::Linux).short(),
                    if *agrees { "yes" } else { "NO" }
                );
            }
            println!(
                "\n{} fixtures, {} as recorded. Details: vtd dmar check FILE --machine FILE, or \
                 `cargo test -p dmar-fixtures` for the snapshots.",
                rows.len(),
                rows.len() - disagreements
            );
        }
    }
    Ok(if disagreements == 0 {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

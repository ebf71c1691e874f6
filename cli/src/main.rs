//! `vtd`: the command-line face of the project.
#![forbid(unsafe_code)]

mod boot_cmd;
mod conformance_cmd;
mod dmar_cmd;
mod fixture_cmd;
mod input;
mod machine_args;
mod oracle_cmd;
mod sweep;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Model, check and test Intel VT-d remapping: DMAR tables, hardware, drivers.
#[derive(Parser)]
#[command(name = "vtd", version, about, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const LONG_ABOUT: &str = "\
Model, check and test Intel VT-d remapping.

`vtd conformance` runs about two hundred scenarios (registers, translation, every
fault reason, invalidation, interrupt remapping, driver workarounds) on the vtd model
and on QEMU's intel-iommu, and writes the conformance matrix.

`vtd dmar` reads ACPI DMAR tables (the firmware's description of the VT-d hardware):
it decodes them field by field, checks them against the VT-d specification, and says
for every defect what Xen 4.17 and Linux 6.1 do with it and which boot option or
repair helps.

Start with:
  vtd conformance                    the conformance catalog on the model
  vtd conformance -b all             on the model and QEMU (qemu-system-x86_64)
  vtd dmar check --fixtures          every bundled broken-firmware fixture, summarised
  sudo vtd dmar check --host         this machine's table, with its memory map and PCI devices
  vtd dmar rules                     the catalogue of defects
  vtd boot --fixture NAME            boot a fixture as Xen 4.17 (-p xen-4.0, -p linux)";

#[derive(Subcommand)]
enum Command {
    /// Decode, check, build and repair ACPI DMAR tables.
    Dmar(dmar_cmd::DmarArgs),
    /// Boot the VT-d model as Xen 4.17, Xen 4.0 or Linux 6.1 would, and say what happens.
    Boot(boot_cmd::BootArgs),
    /// Run the VT-d conformance scenarios on the model and QEMU; write the matrix.
    Conformance(conformance_cmd::ConformanceArgs),
    /// Boot the production drivers (Xen 4.17, Linux 6.1) under QEMU with a DMAR table.
    Oracle(oracle_cmd::OracleArgs),
    /// Add a fixture from a board's DMAR dump (board owners: see CONTRIBUTING.md).
    Fixture(fixture_cmd::FixtureArgs),
}

/// Exit statuses shared by the subcommands.
pub mod exit {
    /// Done, nothing of severity error.
    pub const OK: u8 = 0;
    /// Done; the table has a finding of severity error (or a fixture disagreed).
    pub const FINDINGS: u8 = 1;
    /// The input could not be read or understood.
    pub const INPUT: u8 = 2;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Dmar(args) => dmar_cmd::run(args),
        Command::Boot(args) => boot_cmd::run(args),
        Command::Conformance(args) => conformance_cmd::run(args).map_err(|e| e.into()),
        Command::Oracle(args) => oracle_cmd::run(args).map_err(|e| e.into()),
        Command::Fixture(args) => fixture_cmd::run(args).map_err(|e| e.into()),
    };
    match status {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("vtd: error: {e}");
            ExitCode::from(exit::INPUT)
        }
    }
}

//! `vtd dmar …`.

mod check;
mod codec;
mod repair;
mod rules;

use crate::machine_args::MachineArgs;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `vtd dmar`.
#[derive(Args)]
pub struct DmarArgs {
    #[command(subcommand)]
    command: DmarCommand,
}

#[derive(Subcommand)]
enum DmarCommand {
    /// Decode a table field by field, like `iasl -d`, with offsets.
    ///
    /// FILE defaults to /sys/firmware/acpi/tables/DMAR (root only). Structures the
    /// walk cannot trust are shown with the reason and their raw bytes.
    Decode {
        /// The table (default: the running machine's).
        file: Option<PathBuf>,
        /// `tree` for people, `json` for tools (re-encodes with `vtd dmar encode`).
        #[arg(long, value_enum, default_value_t = DecodeFormat::Tree)]
        format: DecodeFormat,
    },
    /// Check a table and say what Xen 4.17 and Linux 6.1 do with each defect.
    ///
    /// Exit status: 0 when nothing of severity error is found, 1 when something is,
    /// 2 when the input cannot be read. With --fixtures, every bundled fixture is
    /// checked and summarised; the status is 1 if any fixture's findings differ from
    /// what it records.
    Check {
        /// The table (default: the running machine's).
        #[arg(conflicts_with = "fixtures")]
        file: Option<PathBuf>,
        #[command(flatten)]
        machine: MachineArgs,
        /// `text` for people, `json` for tools.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Check every bundled fixture (each with its own machine) and print a summary.
        #[arg(long, conflicts_with_all = ["machine", "host"])]
        fixtures: bool,
    },
    /// Encode `vtd dmar decode --format json` output back to the identical bytes.
    Encode {
        /// The JSON file.
        json: PathBuf,
        /// Where to write the table.
        #[arg(short, long, value_name = "BIN")]
        output: PathBuf,
    },
    /// Build a synthetic table from a TOML spec (lengths and checksum computed unless
    /// the spec overrides them; see any dmar-fixtures/*/table.toml).
    Build {
        /// The spec.
        spec: PathBuf,
        /// Where to write the table.
        #[arg(short, long, value_name = "BIN")]
        output: PathBuf,
    },
    /// Remove or correct what the checks found, change nothing else, report each change,
    /// and print how to boot with the result.
    ///
    /// Zero-length and overrunning structures get the length their bytes imply, or are
    /// removed; an RMRR with End below Base is un-swapped or removed; broken or empty
    /// device scopes are resynchronised or removed; overlapping RMRRs are merged (Xen
    /// rejects them); with a machine, scopes naming absent devices are removed and
    /// endpoint/bridge types corrected. The OEM revision is raised by one and the
    /// checksum set, as Linux's initrd table upgrade requires.
    Repair {
        /// The broken table.
        file: PathBuf,
        /// Where to write the repaired table.
        #[arg(short, long, value_name = "FIXED.bin")]
        output: PathBuf,
        #[command(flatten)]
        machine: MachineArgs,
    },
    /// List the defects vtd knows, or explain one.
    Rules {
        /// A rule ID (e.g. zero-length-structure).
        id: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DecodeFormat {
    Tree,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Run `vtd dmar`.
pub fn run(args: DmarArgs) -> Result<u8> {
    match args.command {
        DmarCommand::Decode { file, format } => codec::decode(file, format),
        DmarCommand::Check {
            file,
            machine,
            format,
            fixtures,
        } => {
            if fixtures {
                check::fixtures(format)
            } else {
                check::file(file, &machine, format)
            }
        }
        DmarCommand::Encode { json, output } => codec::encode(&json, &output),
        DmarCommand::Build { spec, output } => codec::build(&spec, &output),
        DmarCommand::Repair {
            file,
            output,
            machine,
        } => repair::run(&file, &output, &machine),
        DmarCommand::Rules { id } => rules::run(id.as_deref()),
    }
}

//! `vtd oracle`: boot the production drivers (Debian's Xen 4.17 and Linux 6.1) under
//! QEMU with a DMAR table, record their verdicts, compare the reference driver with
//! them, and sweep a directory of tables.

use crate::exit;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use vtd_conformance::oracle::{self, compare, record, Lane, Oracle, Verdict};

/// Boot the production drivers under QEMU with a DMAR table and read their verdicts.
#[derive(Args, Debug)]
#[command(after_long_help = AFTER)]
pub struct OracleArgs {
    #[command(subcommand)]
    pub command: OracleCommand,
}

const AFTER: &str = "\
The oracle boots Debian's own binaries, pinned (vtd oracle pins): the Xen 4.17
hypervisor from a GRUB ISO that replaces QEMU's DMAR with the table (acpi
--exclude=DMAR), and the Linux 6.1 kernel with the table as an ACPI table upgrade of
QEMU's DMAR (same OEM ID and table ID, higher OEM revision, checksum fixed). QEMU 7.2
runs TCG with one intel-iommu at 0xfed90000. A boot stops as soon as the verdict is in
the serial log; nothing for 60 s is a HANG. Packages are cached in VTD_ORACLE_CACHE
(default ~/.cache/vtd-oracle).

Host packages: apt-get install qemu-system-x86 grub-common grub-pc-bin xorriso mtools

Examples:
  vtd oracle boot table.bin --lane linux -o intel_iommu=on
  vtd oracle record                        every fixture, both lanes (about 10 s a boot)
  vtd oracle record rmrr-outside-reserved
  vtd oracle compare                       the reference driver against every recording
  vtd oracle sweep ../shared/dmar-corpus/raw --out reports/oracle-sweep";

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum OracleCommand {
    /// Boot one table on one lane and print the verdict.
    Boot {
        /// The DMAR table (omit for a machine without one).
        table: Option<PathBuf>,
        /// Which driver.
        #[arg(long, short, value_enum, default_value_t = LaneArg::Xen)]
        lane: LaneArg,
        /// Driver options (default: iommu=1 for Xen, intel_iommu=on for Linux).
        #[arg(long, short, allow_hyphen_values = true)]
        options: Option<String>,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record both lanes' verdicts of fixtures into dmar-fixtures/<fixture>/verdicts/.
    Record {
        /// Fixtures (default: every fixture).
        fixtures: Vec<String>,
        /// The fixtures folder.
        #[arg(long, default_value = "dmar-fixtures")]
        dir: PathBuf,
        /// Only this lane.
        #[arg(long, value_enum)]
        lane: Option<LaneArg>,
    },
    /// Compare the reference driver with every recorded verdict.
    Compare {
        /// The fixtures folder.
        #[arg(long, default_value = "dmar-fixtures")]
        dir: PathBuf,
    },
    /// Boot both lanes over every table in a directory (resumable).
    Sweep {
        /// Directory of DMAR tables.
        dir: PathBuf,
        /// Output prefix: PREFIX.tsv (one line per boot, appended) and PREFIX.md.
        #[arg(long, default_value = "reports/oracle-sweep")]
        out: PathBuf,
        /// Stop after this many new boots (0: no limit).
        #[arg(long, default_value_t = 0)]
        limit: usize,
        /// Boot nothing: rewrite PREFIX.md from the boots in PREFIX.tsv.
        #[arg(long)]
        summary_only: bool,
    },
    /// Write reports/oracle.md from the recordings (no QEMU needed).
    Report {
        /// The fixtures folder.
        #[arg(long, default_value = "dmar-fixtures")]
        dir: PathBuf,
        /// The report file.
        #[arg(long, default_value = "reports/oracle.md")]
        out: PathBuf,
    },
    /// Print the pinned package versions.
    Pins,
}

/// Lanes.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LaneArg {
    /// Xen 4.17.
    Xen,
    /// Linux 6.1.
    Linux,
}

impl From<LaneArg> for Lane {
    fn from(l: LaneArg) -> Lane {
        match l {
            LaneArg::Xen => Lane::Xen,
            LaneArg::Linux => Lane::Linux,
        }
    }
}

fn prepare() -> Result<Oracle, String> {
    let cache = oracle::cache_dir();
    eprintln!("oracle: packages in {}", cache.display());
    Oracle::prepare(&cache).map_err(|e| e.to_string())
}

fn bar(n: usize, what: &str) -> ProgressBar {
    let b = ProgressBar::new(n as u64);
    b.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what} {{elapsed}} {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}

fn show(v: &Verdict) -> String {
    let mut s = format!(
        "{} `{}`: {:?}, VT-d {}, QI {}, IR {}{}{} ({} s)\n",
        v.lane.name(),
        v.options,
        v.ending,
        on(v.vtd),
        on(v.qi),
        on(v.ir),
        if v.taint { ", tainted" } else { "" },
        if v.table_taken {
            ""
        } else {
            ", TABLE NOT TAKEN"
        },
        v.seconds
    );
    for l in &v.lines {
        s.push_str(&format!("  | {l}\n"));
    }
    if !v.last.is_empty() {
        s.push_str("  last lines:\n");
        for l in &v.last {
            s.push_str(&format!("  > {l}\n"));
        }
    }
    s
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// Run the command.
pub fn run(args: OracleArgs) -> Result<u8, String> {
    match args.command {
        OracleCommand::Pins => {
            let p = oracle::PINS;
            println!("{} {}\n{} {}", p.xen.0, p.xen.1, p.linux.0, p.linux.1);
            Ok(exit::OK)
        }
        OracleCommand::Boot {
            table,
            lane,
            options,
            json,
        } => {
            let bytes = match &table {
                Some(p) => Some(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?),
                None => None,
            };
            let lane: Lane = lane.into();
            let options =
                options.unwrap_or_else(|| record::option_sets(lane, &[]).pop().unwrap_or_default());
            let o = prepare()?;
            let v = o
                .boot(lane, bytes.as_deref(), &options)
                .map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                print!("{}", show(&v));
            }
            Ok(exit::OK)
        }
        OracleCommand::Record {
            fixtures,
            dir,
            lane,
        } => record_cmd(&fixtures, &dir, lane.map(Lane::from)),
        OracleCommand::Compare { dir } => compare_cmd(&dir),
        OracleCommand::Report { dir, out } => {
            let md = oracle::report::markdown(&dir);
            if let Some(p) = out.parent() {
                std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
            }
            std::fs::write(&out, md).map_err(|e| format!("{}: {e}", out.display()))?;
            eprintln!("wrote {}", out.display());
            Ok(exit::OK)
        }
        OracleCommand::Sweep {
            dir,
            out,
            limit,
            summary_only,
        } => crate::sweep::run(&dir, &out, limit, summary_only),
    }
}

fn fixtures(names: &[String]) -> Result<Vec<dmar_fixtures::Fixture>, String> {
    let all = dmar_fixtures::all().map_err(|e| e.to_string())?;
    if names.is_empty() {
        return Ok(all);
    }
    names
        .iter()
        .map(|n| {
            all.iter()
                .find(|f| f.name == n.as_str())
                .cloned()
                .ok_or_else(|| format!("no fixture {n} (`vtd dmar check --fixtures` lists them)"))
        })
        .collect()
}

fn record_cmd(names: &[String], dir: &Path, lane: Option<Lane>) -> Result<u8, String> {
    let fx = fixtures(names)?;
    let o = prepare()?;
    let lanes: Vec<Lane> = lane.map_or(Lane::ALL.to_vec(), |l| vec![l]);
    let jobs: Vec<(&dmar_fixtures::Fixture, Lane)> = fx
        .iter()
        .flat_map(|f| lanes.iter().map(move |l| (f, *l)))
        .collect();
    let b = bar(jobs.len(), "fixture lanes");
    let results: Vec<Result<String, String>> = jobs
        .par_iter()
        .map(|(f, l)| {
            b.set_message(format!("{} {}", f.name, l.name()));
            let r = record::record(&o, dir, f.name, f.table.as_deref(), &f.meta.options, *l)
                .map(|rec| {
                    let mut s = format!("{} {}:\n", f.name, l.name());
                    for v in &rec.boots {
                        s.push_str(&show(v));
                    }
                    s
                })
                .map_err(|e| format!("{} {}: {e}", f.name, l.name()));
            b.inc(1);
            r
        })
        .collect();
    b.finish_and_clear();
    let mut failed = false;
    for r in results {
        match r {
            Ok(s) => print!("{s}"),
            Err(e) => {
                failed = true;
                eprintln!("vtd: {e}");
            }
        }
    }
    println!(
        "recorded into {}/<fixture>/verdicts/; commit them",
        dir.display()
    );
    Ok(if failed { exit::INPUT } else { exit::OK })
}

fn compare_cmd(dir: &Path) -> Result<u8, String> {
    let fx = fixtures(&[])?;
    let qemu = dmar_fixtures::get("qemu-q35-control")
        .and_then(Result::ok)
        .and_then(|f| f.table)
        .ok_or("the qemu-q35-control fixture is missing")?;
    let (mut agree, mut differ, mut missing) = (0, 0, 0);
    for f in &fx {
        for lane in Lane::ALL {
            let rec = match record::load(dir, f.name, lane) {
                Ok(r) => r,
                Err(e) => {
                    missing += 1;
                    println!("{} {}: no recording ({e})", f.name, lane.name());
                    continue;
                }
            };
            for v in &rec.boots {
                let (depth, d) = compare::compare(v, f.table.as_deref(), &qemu);
                for l in compare::missing_lines(v, f.table.as_deref(), &qemu) {
                    println!(
                        "{} {} `{}`: the reference prints a line the production log lacks: {l}",
                        f.name,
                        lane.name(),
                        v.options
                    );
                }
                if d.is_empty() {
                    agree += 1;
                } else {
                    differ += 1;
                    println!("{} {} `{}` ({depth:?}):", f.name, lane.name(), v.options);
                    for x in d {
                        println!(
                            "  {}: production {}, reference {}",
                            x.field, x.production, x.reference
                        );
                    }
                }
            }
        }
    }
    println!("{agree} boots agree, {differ} differ, {missing} recordings missing");
    Ok(if differ + missing > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

//! `vtd fixture add`: turn a board's DMAR dump into a fixture a board owner can
//! commit: the table, its metadata and machine, the check's findings as the expected
//! diagnostics, and the production drivers' recorded verdicts when the oracle can run.

use crate::exit;
use crate::machine_args::MachineArgs;
use clap::{Args, Subcommand};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use vtd_conformance::oracle::{self, record, Lane, Oracle};
use vtd_machine::{Machine, PciKind};

/// Manage the bundled fixtures.
#[derive(Args, Debug)]
pub struct FixtureArgs {
    #[command(subcommand)]
    pub command: FixtureCommand,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum FixtureCommand {
    /// Make a fixture from a DMAR dump (default: this machine's).
    #[command(after_long_help = ADD_HELP)]
    Add {
        /// The DMAR table.
        #[arg(default_value = "/sys/firmware/acpi/tables/DMAR")]
        dump: PathBuf,
        /// Folder name (default: from --board, else host-<first 8 hex of the sha256>).
        #[arg(long)]
        name: Option<String>,
        /// The board, vendor and model (default: /sys/class/dmi/id).
        #[arg(long)]
        board: Option<String>,
        /// The BIOS version (default: /sys/class/dmi/id/bios_version).
        #[arg(long)]
        bios: Option<String>,
        #[command(flatten)]
        machine: MachineArgs,
        /// The fixtures folder.
        #[arg(long, default_value = "dmar-fixtures")]
        dir: PathBuf,
        /// Do not boot the production drivers.
        #[arg(long)]
        no_oracle: bool,
    },
}

const ADD_HELP: &str = "\
Examples:
  sudo vtd fixture add --host                    this machine: table, memory map, PCI devices
  vtd fixture add dmar.bin --board \"ASUS P5Q\" --bios 2102 --machine m.toml

The fixture folder gets table.bin, fixture.toml (board, BIOS, source, the findings of
`vtd dmar check` as `expected`, boot option sets, the machine) and, when QEMU and the
oracle's packages are available, verdicts/ with what Xen 4.17 and Linux 6.1 did with the
table. Read fixture.toml, write the summary in your own words, then commit the folder
(CONTRIBUTING.md says how).";

fn dmi(field: &str) -> Option<String> {
    std::fs::read_to_string(format!("/sys/class/dmi/id/{field}"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn q(s: &str) -> String {
    format!("{s:?}")
}

/// The machine as the `[machine]` table of a fixture.toml.
pub fn machine_toml(m: &Machine) -> String {
    let mut s = String::from("[machine]\n");
    if let Some(ids) = &m.ioapics {
        let ids: Vec<String> = ids.iter().map(u8::to_string).collect();
        let _ = writeln!(s, "ioapics = [{}]", ids.join(", "));
    }
    if !m.x2apic {
        s.push_str("x2apic = false\n");
    }
    match m.dom0 {
        Some(vtd_machine::Dom0Kind::Pv) => s.push_str("dom0 = \"pv\"\n"),
        Some(vtd_machine::Dom0Kind::Pvh) => s.push_str("dom0 = \"pvh\"\n"),
        None => {}
    }
    for d in &m.dma {
        let _ = write!(
            s,
            "\n[[machine.dma]]\ndevice = {}\nbase = {:#x}\nend = {:#x}\nwrite = {}\nnote = {}\n",
            q(&d.device.to_string()),
            d.base,
            d.end,
            d.write,
            q(&d.note)
        );
    }
    for e in &m.e820 {
        let kind = e.kind.name().map_or(e.kind.code().to_string(), q);
        let _ = write!(
            s,
            "\n[[machine.e820]]\nbase = {:#x}\nend = {:#x}\ntype = {kind}\n",
            e.base, e.end
        );
    }
    for p in &m.pci {
        let _ = write!(s, "\n[[machine.pci]]\nbdf = {}\n", q(&p.bdf.to_string()));
        if !p.name.is_empty() {
            let _ = writeln!(s, "name = {}", q(&p.name));
        }
        if let Some(c) = p.class {
            let _ = writeln!(s, "class = {c:#08x}");
        }
        if let Some(v) = p.vendor {
            let _ = writeln!(s, "vendor = {v:#06x}");
        }
        match p.kind {
            PciKind::Endpoint => {}
            PciKind::Bridge => s.push_str("type = \"bridge\"\n"),
            PciKind::PcieToPciBridge => s.push_str("type = \"pcie-to-pci-bridge\"\n"),
        }
        if let (Some(a), Some(b)) = (p.secondary_bus, p.subordinate_bus) {
            let _ = writeln!(s, "secondary_bus = {a:#x}\nsubordinate_bus = {b:#x}");
        }
        if p.flr {
            s.push_str("flr = true\n");
        }
        if !p.bars.is_empty() {
            let bars: Vec<String> = p
                .bars
                .iter()
                .map(|b| format!("{{ base = {:#x}, size = {:#x} }}", b.base, b.size))
                .collect();
            let _ = writeln!(s, "bars = [{}]", bars.join(", "));
        }
    }
    s
}

/// Run the command.
pub fn run(args: FixtureArgs) -> Result<u8, String> {
    let FixtureCommand::Add {
        dump,
        name,
        board,
        bios,
        machine,
        dir,
        no_oracle,
    } = args.command;
    let table = std::fs::read(&dump).map_err(|e| {
        format!(
            "{}: {e} (reading the firmware's table needs root: sudo vtd fixture add --host)",
            dump.display()
        )
    })?;
    let sha = oracle::sha256(&table);
    let board = board
        .or_else(|| {
            let v = dmi("board_vendor").or_else(|| dmi("sys_vendor"))?;
            let n = dmi("board_name").or_else(|| dmi("product_name"))?;
            Some(format!("{v} {n}"))
        })
        .unwrap_or_else(|| "unknown board".into());
    let bios = bios.or_else(|| dmi("bios_version"));
    let name = name.unwrap_or_else(|| {
        let s = slug(&board);
        if s.is_empty() || s == "unknown-board" {
            format!("host-{}", &sha[..8])
        } else {
            s
        }
    });
    let folder = dir.join(&name);
    if folder.exists() {
        return Err(format!(
            "{} exists: choose another --name",
            folder.display()
        ));
    }
    let m = machine.load().map_err(|e| e.to_string())?;
    let report = dmar::check(&table, m.as_ref().map(|m| m as &dyn dmar::Platform));
    let mut expected: Vec<String> = report
        .diagnostics
        .iter()
        .map(|d| d.id().to_string())
        .collect();
    expected.sort();
    expected.dedup();
    let bug_class = report
        .diagnostics
        .first()
        .map_or("control".to_string(), |d| d.id().to_string());
    let findings: Vec<String> = report
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.id(), d.message))
        .collect();
    let mut toml = String::new();
    let _ = writeln!(toml, "board = {}", q(&board));
    if let Some(b) = &bios {
        let _ = writeln!(toml, "bios = {}", q(b));
    }
    let _ = writeln!(
        toml,
        "source = {}",
        q(&format!(
            "captured with `vtd fixture add` from {} (sha256 {sha})",
            dump.display()
        ))
    );
    let _ = writeln!(toml, "bug_class = {}", q(&bug_class));
    let _ = writeln!(
        toml,
        "summary = \"\"\"\nTODO: say in your own words what goes wrong on this board. vtd dmar check found:\n{}\"\"\"",
        if findings.is_empty() {
            "nothing.\n".to_string()
        } else {
            findings.iter().map(|f| format!("- {f}\n")).collect::<String>()
        }
        .replace('\\', "\\\\")
    );
    let list: Vec<String> = expected.iter().map(|e| q(e)).collect();
    let _ = writeln!(toml, "expected = [{}]", list.join(", "));
    let _ = writeln!(
        toml,
        "options = [\"iommu=1\", \"iommu=force\", \"intel_iommu=on\"]"
    );
    if let Some(m) = &m {
        toml.push('\n');
        toml.push_str(&machine_toml(m));
    }
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    std::fs::write(folder.join("table.bin"), &table).map_err(|e| e.to_string())?;
    std::fs::write(folder.join("fixture.toml"), &toml).map_err(|e| e.to_string())?;
    println!("created {}/ (table.bin, fixture.toml)", folder.display());
    println!(
        "vtd dmar check found {} finding(s): {}",
        expected.len(),
        if expected.is_empty() {
            "none".to_string()
        } else {
            expected.join(", ")
        }
    );
    if m.is_none() {
        println!("no machine given: the checks that need the memory map and PCI devices did not run (add --host or --machine FILE)");
    }
    let options: Vec<String> = ["iommu=1", "iommu=force", "intel_iommu=on"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut code = exit::OK;
    if no_oracle {
        println!("oracle skipped (--no-oracle): record later with `vtd oracle record {name}`");
    } else {
        match Oracle::prepare(&oracle::cache_dir()) {
            Ok(o) => {
                for lane in Lane::ALL {
                    match record::record(&o, &dir, &name, Some(&table), &options, lane) {
                        Ok(r) => {
                            for v in &r.boots {
                                println!(
                                    "{} `{}`: {:?}, VT-d {}, IR {}",
                                    lane.name(),
                                    v.options,
                                    v.ending,
                                    v.vtd,
                                    v.ir
                                );
                            }
                        }
                        Err(e) => {
                            eprintln!("vtd: oracle {}: {e}", lane.name());
                            code = exit::INPUT;
                        }
                    }
                }
            }
            Err(e) => {
                println!("oracle not run ({e}); record later with `vtd oracle record {name}`")
            }
        }
    }
    print!("{}", next_steps(&folder, &name));
    Ok(code)
}

fn next_steps(folder: &Path, name: &str) -> String {
    format!(
        "\nNext:\n  1. edit {0}/fixture.toml: write the summary, check board and BIOS\n  2. cargo test -p dmar-fixtures        (writes the decode/check snapshots; accept them with cargo insta accept)\n  3. cargo test -p vtd-conformance --test oracle   (the reference driver against the recorded verdicts)\n  4. git add {0} && git commit -m \"fixture: {name}\"\n",
        folder.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_toml_round_trips() {
        let text = "ioapics = [2]\ndom0 = \"pv\"\n[[dma]]\ndevice = \"00:1d.0\"\nbase = 0x7f000000\nend = 0x7f0fffff\nnote = \"USB\"\n[[e820]]\nbase = 0x0\nend = 0x9ffff\ntype = \"ram\"\n[[e820]]\nbase = 0xa0000\nend = 0xfffff\ntype = 4\n[[pci]]\nbdf = \"00:1e.0\"\nname = \"bridge\"\ntype = \"pcie-to-pci-bridge\"\nsecondary_bus = 5\nsubordinate_bus = 5\n[[pci]]\nbdf = \"05:00.0\"\nclass = 0x0c0320\nbars = [{ base = 0xf0000000, size = 0x1000 }]\n";
        let m: Machine = toml::from_str(text).unwrap();
        #[derive(serde::Deserialize)]
        struct F {
            machine: Machine,
        }
        let back: F = toml::from_str(&machine_toml(&m)).unwrap();
        assert_eq!(back.machine, m);
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("ASUSTeK Computer INC. P5Q"),
            "asustek-computer-inc-p5q"
        );
        assert_eq!(slug("  "), "");
    }
}

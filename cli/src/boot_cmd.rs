//! `vtd boot`: boot the model with a production driver's policies and say what
//! happens.

use crate::exit;
use crate::input::{self, InputError};
use crate::machine_args::MachineArgs;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use vtd_driver::{boot, BootInput, Outcome, Personality, Verdict};
use vtd_machine::Machine;
use vtd_model::regs::presets;

/// Boot the VT-d model as Xen 4.17, Xen 4.0 or Linux 6.1 would boot the real hardware.
#[derive(Args, Debug)]
#[command(after_long_help = AFTER)]
pub struct BootArgs {
    /// The DMAR table (default: this machine's, /sys/firmware/acpi/tables/DMAR, with its
    /// memory map and PCI devices).
    pub file: Option<PathBuf>,

    /// Whose driver: xen (4.17), xen-4.0 (the VTd HowTo era) or linux (6.1, Debian).
    #[arg(long, short, default_value = "xen")]
    pub personality: String,

    /// The hypervisor's or kernel's command line, e.g. "iommu=1
    /// dom0-iommu=map-inclusive" or "intel_iommu=on iommu=pt".
    #[arg(long, short, default_value = "", allow_hyphen_values = true)]
    pub options: String,

    #[command(flatten)]
    pub machine: MachineArgs,

    /// A bundled fixture: its table, its machine, and (without --options) each of the
    /// option sets it lists.
    #[arg(long, conflicts_with_all = ["file", "machine", "host"])]
    pub fixture: Option<String>,

    /// The capability preset of every unit (default: a Haswell graphics unit for a
    /// graphics-only DRHD, a Haswell include-all unit otherwise). `vtd boot --presets`
    /// lists them.
    #[arg(long)]
    pub preset: Option<String>,

    /// List the presets and exit.
    #[arg(long)]
    pub presets: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON object per boot (an array for a fixture's option sets).
    Json,
}

const AFTER: &str = "\
What it does: parses the options as the chosen driver does, validates the DMAR table
as it does (rejecting, warning, tainting or hanging where it would), builds a
remapping unit at every DRHD register base of the machine, brings them up in the
driver's order (queued invalidation, interrupt remapping, root tables, dom0 or host
mappings, RMRR identity maps, translation, PMRs), then replays the DMA the machine
declares its devices do by themselves ([[dma]] in a machine file) and lists the
faults it causes.

Examples:
  vtd boot --fixture supermicro-x7sb4-zero-length          Xen 4.17 with each listed option set
  vtd boot --fixture asus-sabertooth-x58-second-rmrr -p xen-4.0 -o iommu=1
  vtd boot --fixture rmrr-outside-reserved -p linux --format json
  sudo vtd boot -o 'iommu=1 dom0-iommu=map-inclusive'      this machine, Xen 4.17
  vtd boot table.bin                                        a dumped table, the machine it implies

Exit status: 0 booted with VT-d on and no fault from the declared DMA; 1 VT-d off,
a panic, a hang or DMA faults; 2 the input could not be read.";

fn personality(s: &str) -> Result<Personality, InputError> {
    s.parse().map_err(InputError)
}

pub fn run(args: BootArgs) -> Result<u8, Box<dyn std::error::Error>> {
    if args.presets {
        for p in presets::ALL {
            println!("{:<16} {}", p.name, p.description);
        }
        return Ok(exit::OK);
    }
    let personality = personality(&args.personality)?;
    let preset = match &args.preset {
        Some(name) => Some(presets::by_name(name).ok_or_else(|| {
            InputError(format!(
                "unknown preset '{name}'; `vtd boot --presets` lists them"
            ))
        })?),
        None => None,
    };
    let mut runs: Vec<(String, BootInput)> = Vec::new();
    if let Some(name) = &args.fixture {
        let f = dmar_fixtures::get(name).ok_or_else(|| {
            InputError(format!(
                "no fixture '{name}'; `vtd dmar check --fixtures` lists them"
            ))
        })??;
        let option_sets: Vec<String> = if args.options.is_empty() {
            let mine: Vec<String> = f
                .meta
                .options
                .iter()
                .filter(|o| o.contains("intel_iommu") == (personality == Personality::Linux61))
                .cloned()
                .collect();
            if mine.is_empty() {
                vec![String::new()]
            } else {
                mine
            }
        } else {
            vec![args.options.clone()]
        };
        for opts in option_sets {
            let mut inp =
                BootInput::new(personality, f.meta.machine.clone(), f.table.clone(), &opts);
            inp.preset = preset;
            runs.push((name.clone(), inp));
        }
    } else {
        let path = input::table_path(args.file.clone());
        let bytes = input::read(&path)?;
        let machine: Machine = match args.machine.load()? {
            Some(m) => m,
            None if args.file.is_none() => Machine::from_host()?,
            None => match dmar::parse(&bytes) {
                Ok(t) => vtd_driver::implied::machine(&t),
                Err(_) => Machine::default(),
            },
        };
        let mut inp = BootInput::new(personality, machine, Some(bytes), &args.options);
        inp.preset = preset;
        runs.push((path.display().to_string(), inp));
    }
    let verdicts: Vec<(String, Verdict)> = runs
        .iter()
        .map(|(name, inp)| (name.clone(), boot(inp).verdict))
        .collect();
    match args.format {
        Format::Json => {
            let v: Vec<&Verdict> = verdicts.iter().map(|(_, v)| v).collect();
            if v.len() == 1 {
                println!("{}", serde_json::to_string_pretty(v[0])?);
            } else {
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
        }
        Format::Text => {
            for (name, v) in &verdicts {
                print!("{}", render(name, v));
            }
        }
    }
    let good = verdicts
        .iter()
        .all(|(_, v)| v.outcome == Outcome::Booted && v.faults.is_empty());
    Ok(if good { exit::OK } else { exit::FINDINGS })
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// The verdict for people.
pub fn render(name: &str, v: &Verdict) -> String {
    let mut s = String::new();
    let opts = if v.cmdline.is_empty() {
        "no options".to_string()
    } else {
        format!("\"{}\"", v.cmdline)
    };
    s.push_str(&format!("{} booting {name} with {opts}\n", v.personality));
    let outcome = match v.outcome {
        Outcome::Booted => "booted, DMA remapping on".to_string(),
        Outcome::VtdDisabled => "booted without DMA remapping".to_string(),
        Outcome::Panic => format!("PANIC: {}", v.panic.as_deref().unwrap_or("")),
        Outcome::Hang => format!("HANGS ({})", v.hang.as_deref().unwrap_or("")),
    };
    s.push_str(&format!("  outcome:      {outcome}\n"));
    s.push_str(&format!(
        "  VT-d {}  QI {}  IR {}{}  translation {}{}\n",
        on(v.vtd_enabled),
        on(v.qi),
        on(v.ir),
        if v.x2apic { " (x2APIC)" } else { "" },
        on(v.translation),
        v.dom0_mode
            .as_ref()
            .map(|m| format!("  domain 0 / default domain: {m}"))
            .unwrap_or_default()
    ));
    if !v.units.is_empty() {
        s.push_str("  units:");
        for u in &v.units {
            s.push_str(&format!(
                " {:#x} ({}: QI {} IR {} TE {})",
                u.base,
                u.preset,
                on(u.qi),
                on(u.ir),
                on(u.translation)
            ));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "  log, as {} prints it:\n",
        match v.personality {
            Personality::Linux61 => "the kernel",
            _ => "Xen",
        }
    ));
    for l in &v.log {
        s.push_str(&format!("    {}\n", l.text));
    }
    if v.faults.is_empty() {
        s.push_str("  declared device DMA: no faults\n");
    } else {
        s.push_str("  declared device DMA that faults:\n");
        for f in &v.faults {
            s.push_str(&format!(
                "    {} {} at {:#x} ({} of {} pages probed): fault {:#04x} {}{}\n",
                f.device,
                if f.write { "write" } else { "read" },
                f.addr,
                f.pages_faulted,
                f.pages_probed,
                f.reason,
                f.reason_text,
                if f.note.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", f.note)
                }
            ));
        }
    }
    for n in &v.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    s.push('\n');
    s
}

//! Booting the model as a production driver boots real hardware, and the verdict.
//!
//! [`boot`] parses the command line, validates the DMAR table as the personality does,
//! builds the remapping units the table describes on the machine, runs the
//! personality's bring-up (`xen417.rs`, `xen40.rs`, `linux.rs`) and replays the DMA
//! the machine's devices perform by themselves (`dma.rs`), so the verdict lists the
//! faults a board owner would see.

pub(crate) mod common;
mod dma;
mod linux;
mod xen40;
mod xen417;

pub use dma::DmaFault;
pub(crate) use linux::direct_ranges as linux_direct_ranges;

use crate::host::Host;
use crate::log::{Level, Log, LogLine};
use crate::options::{self, Options};
use crate::personality::Personality;
use crate::validate::{Fate, Finding};
use serde::Serialize;
use vtd_machine::Machine;
use vtd_model::regs::presets::Preset;

/// What to boot.
#[derive(Debug, Clone)]
pub struct BootInput {
    /// Whose driver.
    pub personality: Personality,
    /// The hypervisor's or kernel's command line.
    pub cmdline: String,
    /// The machine.
    pub machine: Machine,
    /// The DMAR table, if the firmware has one.
    pub dmar: Option<Vec<u8>>,
    /// The capability preset of every unit; None picks one per DRHD (a graphics-only
    /// unit gets a Haswell graphics unit's capabilities, the others a Haswell
    /// include-all unit's).
    pub preset: Option<Preset>,
}

impl BootInput {
    /// `personality` booting `machine` with `dmar` and `cmdline`, presets chosen per DRHD.
    pub fn new(
        personality: Personality,
        machine: Machine,
        dmar: Option<Vec<u8>>,
        cmdline: &str,
    ) -> Self {
        BootInput {
            personality,
            cmdline: cmdline.to_string(),
            machine,
            dmar,
            preset: None,
        }
    }
}

/// How the boot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Booted with DMA remapping on.
    Booted,
    /// Booted, but without DMA remapping.
    VtdDisabled,
    /// The hypervisor or kernel panicked.
    Panic,
    /// The boot never finishes.
    Hang,
}

/// One remapping unit as the boot left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitVerdict {
    /// Register base.
    pub base: u64,
    /// The capability preset used.
    pub preset: String,
    /// GSTS.QIES.
    pub qi: bool,
    /// GSTS.IRES.
    pub ir: bool,
    /// GSTS.TES.
    pub translation: bool,
}

/// What booting came to.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The personality.
    pub personality: Personality,
    /// The command line.
    pub cmdline: String,
    /// How it ended.
    pub outcome: Outcome,
    /// DMA remapping (VT-d) is on.
    pub vtd_enabled: bool,
    /// Queued invalidation is on (on every unit that is in use).
    pub qi: bool,
    /// Interrupt remapping is on.
    pub ir: bool,
    /// Interrupt remapping in x2APIC mode.
    pub x2apic: bool,
    /// DMA translation is enabled on the units.
    pub translation: bool,
    /// The hardware domain (Xen) or the default domain (Linux) is in pass-through.
    pub passthrough: bool,
    /// Xen's " - Dom0 mode:" word, Linux's default domain type.
    pub dom0_mode: Option<String>,
    /// Snoop control in use (Xen `iommu_snoop`).
    pub snoop_control: bool,
    /// Linux: the kernel is tainted (firmware workaround).
    pub taint: bool,
    /// The table's fate in the parser.
    pub table: Fate,
    /// What the parser found, with this driver's outcome for each.
    pub findings: Vec<Finding>,
    /// The units.
    pub units: Vec<UnitVerdict>,
    /// The lines the production driver prints (release build, default log level).
    pub log: Vec<LogLine>,
    /// The reference driver's remarks: things the production code does silently, and
    /// where the model or the sources stop.
    pub notes: Vec<String>,
    /// DMA remapping faults the machine's own device DMA causes after boot.
    pub faults: Vec<DmaFault>,
    /// The panic message, for a panic.
    pub panic: Option<String>,
    /// Where it hangs, for a hang.
    pub hang: Option<String>,
}

/// A boot: the verdict, and the booted system when it got that far.
#[derive(Debug, Clone)]
pub struct Boot {
    /// The verdict.
    pub verdict: Verdict,
    /// The booted system (absent after a hang or panic).
    pub host: Option<Host>,
}

/// Boot `input`.
pub fn boot(input: &BootInput) -> Boot {
    let parsed = options::parse(input.personality, &input.cmdline);
    let mut b = match &parsed.options {
        Options::Xen(o) if input.personality == Personality::Xen417 => {
            xen417::boot(input, o, parsed.log.clone())
        }
        Options::Xen(o) => xen40::boot(input, o, parsed.log.clone()),
        Options::Linux(o) => linux::boot(input, o, parsed.log.clone()),
    };
    let v = &mut b.verdict;
    v.notes.extend(parsed.notes);
    if !parsed.ignored.is_empty() {
        v.notes.push(format!(
            "parameters {} are not IOMMU options this personality reads; ignored",
            parsed.ignored.join(", ")
        ));
    }
    b
}

/// The end every personality's boot shares once its host is up: the outcome from
/// whether DMA remapping came on, the machine's own device DMA replayed (its faults in
/// the driver's words), and the units as they were left.
pub(crate) fn finish(mut v: Verdict, mut host: Host) -> Boot {
    v.outcome = if v.vtd_enabled {
        Outcome::Booted
    } else {
        Outcome::VtdDisabled
    };
    let (faults, lines) = dma::replay(&mut host);
    v.faults = faults;
    v.log.extend(lines);
    v.units = common::unit_verdicts(&host);
    Boot {
        verdict: v,
        host: Some(host),
    }
}

/// A verdict with nothing decided yet.
pub(crate) fn verdict(input: &BootInput, log: Log) -> Verdict {
    Verdict {
        personality: input.personality,
        cmdline: input.cmdline.clone(),
        outcome: Outcome::VtdDisabled,
        vtd_enabled: false,
        qi: false,
        ir: false,
        x2apic: false,
        translation: false,
        passthrough: false,
        dom0_mode: None,
        snoop_control: false,
        taint: false,
        table: Fate::Absent,
        findings: Vec::new(),
        units: Vec::new(),
        log: log.0,
        notes: Vec::new(),
        faults: Vec::new(),
        panic: None,
        hang: None,
    }
}

impl Verdict {
    /// Record a panic.
    pub(crate) fn panic(&mut self, text: &str) {
        self.outcome = Outcome::Panic;
        self.log.push(LogLine::new(Level::Emergency, text));
        self.panic = Some(text.to_string());
    }

    /// Whether any log line contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.log.iter().any(|l| l.text.contains(needle))
    }
}

//! `--machine FILE` / `--host`: the machine description every subcommand that needs one
//! takes the same way.

use clap::Args;
use std::path::PathBuf;
use vtd_machine::Machine;

/// Where the machine description comes from.
#[derive(Args, Debug, Clone, Default)]
#[group(multiple = false)]
pub struct MachineArgs {
    /// A machine description (TOML: [[e820]], [[pci]], ioapics, [[dma]]; see a fixture's
    /// fixture.toml [machine] table). Enables the checks that need the machine: RMRRs
    /// inside reserved memory, scope devices present, I/O APICs covered.
    #[arg(long, value_name = "FILE")]
    pub machine: Option<PathBuf>,

    /// Describe this machine from /sys (memory map, PCI devices, MADT I/O APICs).
    #[arg(long)]
    pub host: bool,
}

impl MachineArgs {
    /// Load the description, if one was asked for.
    pub fn load(&self) -> Result<Option<Machine>, vtd_machine::Error> {
        if self.host {
            return Machine::from_host().map(Some);
        }
        self.machine.as_deref().map(Machine::from_file).transpose()
    }
}

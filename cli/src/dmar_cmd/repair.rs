//! `repair`.

use super::Result;
use crate::exit;
use crate::input::{self, InputError};
use crate::machine_args::MachineArgs;
use std::path::Path;

fn boot_instructions(out: &Path, oem_id: &str, oem_table_id: &str) -> String {
    let name = out.display();
    format!(
        "\
How to boot with the repaired table
  Linux (initrd ACPI table upgrade; CONFIG_ACPI_TABLE_UPGRADE=y, as in Debian; ignored
  under Secure Boot lockdown). The table keeps OEM ID {oem_id:?} and OEM table ID
  {oem_table_id:?} and has a higher OEM revision, so it replaces the firmware's DMAR:
      mkdir -p /tmp/dmar/kernel/firmware/acpi
      cp {name} /tmp/dmar/kernel/firmware/acpi/dmar.aml
      (cd /tmp/dmar && find kernel | cpio -H newc --create) > /boot/dmar-override.cpio
      cat /boot/dmar-override.cpio /boot/initrd.img-$(uname -r) > /boot/initrd-dmar.img
  then boot with initrd /boot/initrd-dmar.img. The log says
  'ACPI: Table Upgrade: override [DMAR-...]'. For a zero-length entry this is the only
  software workaround on Linux 6.1: intel_iommu=off still walks the table and hangs.

  Xen (GRUB, legacy BIOS boot): copy {name} to /boot/dmar-fixed.bin and put
      acpi --exclude=DMAR /boot/dmar-fixed.bin
  before the multiboot/multiboot2 line of the Xen entry (GRUB rebuilds the RSDT/XSDT
  without the firmware's DMAR and with this one).
"
    )
}

pub fn run(file: &Path, output: &Path, machine: &MachineArgs) -> Result<u8> {
    let bytes = input::read(file)?;
    let machine = machine.load()?;
    let platform = machine.as_ref().map(|m| m as &dyn dmar::Platform);
    let before = dmar::check(&bytes, platform);
    let repaired = dmar::repair::repair(&bytes, platform)
        .map_err(|e| InputError(format!("{}: {e}", file.display())))?;
    let fixed = repaired.table.encode();
    let after = dmar::check(&fixed, platform);
    println!(
        "{}: {} findings before repair",
        file.display(),
        before.diagnostics.len()
    );
    println!("\nChanges:");
    for c in &repaired.changes {
        match c.rule {
            Some(rule) => println!("  [{rule}] {}", c.description),
            None => println!("  {}", c.description),
        }
    }
    input::write(output, &fixed)?;
    println!("\nWrote {} bytes to {}.", fixed.len(), output.display());
    let (e, w, i) = after.counts();
    println!("After repair: {e} errors, {w} warnings, {i} notes.");
    for d in &after.diagnostics {
        println!("  {}[{}] {}", d.severity().as_str(), d.id(), d.message);
    }
    println!();
    print!("{}", super::check::verdict_lines(&after));
    println!();
    let h = &repaired.table.header;
    print!(
        "{}",
        boot_instructions(output, &h.oem_id.to_text(), &h.oem_table_id.to_text())
    );
    Ok(if after.has_errors() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

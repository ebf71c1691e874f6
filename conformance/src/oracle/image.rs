//! Boot images: the Linux initrd that upgrades QEMU's DMAR to ours, and the GRUB
//! rescue ISO that hands Xen our DMAR instead of QEMU's.

use super::OracleError;
use std::path::{Path, PathBuf};

/// QEMU's DMAR header identity, which Linux's ACPI table upgrade requires.
const OEM_ID: &[u8; 6] = b"BOCHS ";
const OEM_TABLE_ID: &[u8; 8] = b"BXPC    ";

/// An uncompressed newc cpio archive of `files` (path, bytes), with their parent
/// directories.
pub fn cpio(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ino = 1u32;
    let mut entry = |out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]| {
        let header = format!(
            "070701{ino:08x}{mode:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        ino += 1;
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    let mut dirs: Vec<String> = Vec::new();
    for (path, _) in files {
        let mut at = String::new();
        for part in path
            .split('/')
            .collect::<Vec<_>>()
            .iter()
            .rev()
            .skip(1)
            .rev()
        {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(part);
            if !dirs.contains(&at) {
                dirs.push(at.clone());
            }
        }
    }
    for d in &dirs {
        entry(&mut out, d, 0o040_755, &[]);
    }
    for (path, data) in files {
        entry(&mut out, path, 0o100_644, data);
    }
    entry(&mut out, "TRAILER!!!", 0, &[]);
    out
}

/// The table as Linux's ACPI table upgrade takes it in place of QEMU's: QEMU's OEM ID
/// and OEM table ID, an OEM revision above QEMU's (1), a checksum that is right again.
/// Tables too short for a header are passed as they are (Linux refuses them, and the
/// verdict says so).
pub fn for_linux_upgrade(table: &[u8]) -> Vec<u8> {
    let mut t = table.to_vec();
    if t.len() < 36 {
        return t;
    }
    t[10..16].copy_from_slice(OEM_ID);
    t[16..24].copy_from_slice(OEM_TABLE_ID);
    let rev = u32::from_le_bytes([t[24], t[25], t[26], t[27]]).max(2);
    t[24..28].copy_from_slice(&rev.to_le_bytes());
    let declared = u32::from_le_bytes([t[4], t[5], t[6], t[7]]) as usize;
    let n = declared.min(t.len());
    t[9] = 0;
    let sum = t[..n].iter().fold(0u8, |a, b| a.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

/// Write the Linux initrd: `kernel/firmware/acpi/dmar.aml` (no init: the kernel stops
/// at mounting a root after the IOMMU is up, which ends the boot).
pub fn linux_initrd(table: Option<&[u8]>, path: &Path) -> Result<(), OracleError> {
    let t = table.map(for_linux_upgrade);
    let files: Vec<(&str, &[u8])> = match &t {
        Some(t) => vec![("kernel/firmware/acpi/dmar.aml", t.as_slice())],
        None => vec![("vtd-oracle", b"no DMAR".as_slice())],
    };
    std::fs::write(path, cpio(&files))
        .map_err(|e| OracleError::Io(format!("{}: {e}", path.display())))
}

fn link_or_copy(from: &Path, to: &Path) -> Result<(), OracleError> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| OracleError::Io(format!("{} → {}: {e}", from.display(), to.display())))
}

/// Build the GRUB rescue ISO in `work`: GRUB drops the firmware's DMAR, loads ours (if
/// any) and boots Xen with `cmdline` and the kernel as dom0.
pub fn xen_iso(
    work: &Path,
    xen: &Path,
    vmlinuz: &Path,
    table: Option<&[u8]>,
    cmdline: &str,
) -> Result<PathBuf, OracleError> {
    let io = |p: &Path, e: std::io::Error| OracleError::Io(format!("{}: {e}", p.display()));
    let root = work.join("iso");
    let boot = root.join("boot");
    let grub = boot.join("grub");
    std::fs::create_dir_all(&grub).map_err(|e| io(&grub, e))?;
    link_or_copy(xen, &boot.join("xen"))?;
    link_or_copy(vmlinuz, &boot.join("vmlinuz"))?;
    let acpi = match table {
        Some(t) => {
            let p = boot.join("dmar.aml");
            std::fs::write(&p, t).map_err(|e| io(&p, e))?;
            "  acpi --exclude=DMAR /boot/dmar.aml\n"
        }
        None => "  acpi --exclude=DMAR\n",
    };
    let cfg = format!(
        "set timeout=0\nset default=0\nserial --unit=0 --speed=115200\nterminal_output serial\nmenuentry vtd {{\n{acpi}  multiboot /boot/xen {cmdline}\n  module /boot/vmlinuz console=hvc0\n}}\n"
    );
    let p = grub.join("grub.cfg");
    std::fs::write(&p, cfg).map_err(|e| io(&p, e))?;
    let iso = work.join("boot.iso");
    let out = std::process::Command::new("grub-mkrescue")
        .arg("-o")
        .arg(&iso)
        .arg(&root)
        .output()
        .map_err(|e| OracleError::Missing(format!("grub-mkrescue: {e}")))?;
    if !out.status.success() {
        return Err(OracleError::Io(format!(
            "grub-mkrescue failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpio_is_newc_with_directories_and_trailer() {
        let c = cpio(&[("kernel/firmware/acpi/dmar.aml", b"DMAR")]);
        let s = String::from_utf8_lossy(&c);
        assert!(s.starts_with("070701"));
        for name in [
            "kernel\0",
            "kernel/firmware\0",
            "kernel/firmware/acpi\0",
            "kernel/firmware/acpi/dmar.aml\0",
            "TRAILER!!!\0",
        ] {
            assert!(s.contains(name), "{name}");
        }
        assert_eq!(c.len() % 4, 0);
    }

    #[test]
    fn the_upgrade_copy_has_qemus_identity_a_higher_revision_and_a_right_checksum() {
        let mut t = vec![0u8; 48];
        t[..4].copy_from_slice(b"DMAR");
        t[4] = 48;
        t[9] = 0x55; // wrong on purpose
        let u = for_linux_upgrade(&t);
        assert_eq!(&u[10..16], b"BOCHS ");
        assert_eq!(&u[16..24], b"BXPC    ");
        assert_eq!(u32::from_le_bytes([u[24], u[25], u[26], u[27]]), 2);
        assert_eq!(u.iter().fold(0u8, |a, b| a.wrapping_add(*b)), 0);
        assert_eq!(for_linux_upgrade(&[1, 2, 3]), vec![1, 2, 3]);
    }
}

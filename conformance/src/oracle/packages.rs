//! The pinned Debian packages: fetched with `apt-get download` (one exact version
//! each), unpacked with `dpkg-deb -x` into the cache, once. Both pins are from
//! bookworm's main archive, so the booted Xen is the version whose source the Xen
//! harness compiles. When a pin leaves the archive, move it here and re-record
//! (`vtd oracle record`).

use super::OracleError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Package name and exact version of each lane's binary.
#[derive(Debug, Clone, Copy)]
pub struct Pins {
    /// The hypervisor.
    pub xen: (&'static str, &'static str),
    /// The kernel (the Linux lane, and dom0 in the Xen lane).
    pub linux: (&'static str, &'static str),
}

/// The pins.
pub const PINS: Pins = Pins {
    xen: ("xen-hypervisor-4.17-amd64", "4.17.5+72-g01140da4e8-1"),
    linux: ("linux-image-6.1.0-50-amd64-unsigned", "6.1.176-1"),
};

/// What the packages give.
pub struct Unpacked {
    /// The Xen multiboot image (gunzipped `boot/xen-4.17-amd64.gz`).
    pub xen: PathBuf,
    /// The kernel.
    pub vmlinuz: PathBuf,
}

fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>, OracleError> {
    let out = cmd
        .output()
        .map_err(|e| OracleError::Missing(format!("{what}: {e}")))?;
    if !out.status.success() {
        return Err(OracleError::Io(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

fn unpack(cache: &Path, pkg: &str, version: &str) -> Result<PathBuf, OracleError> {
    let dir = cache.join(format!("{pkg}_{version}"));
    if dir.join(".done").exists() {
        return Ok(dir);
    }
    let deb = cache.join(format!("{pkg}_{}_amd64.deb", version.replace(':', "%3a")));
    if !deb.exists() {
        run(
            Command::new("apt-get")
                .arg("download")
                .arg(format!("{pkg}={version}"))
                .current_dir(cache),
            &format!("apt-get download {pkg}={version} (the pin may have left the archive: see oracle/packages.rs)"),
        )?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    run(
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&dir),
        &format!("dpkg-deb -x {}", deb.display()),
    )?;
    std::fs::write(dir.join(".done"), b"")
        .map_err(|e| OracleError::Io(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

/// Fetch and unpack both pins.
pub fn fetch(cache: &Path, pins: &Pins) -> Result<Unpacked, OracleError> {
    let xen_dir = unpack(cache, pins.xen.0, pins.xen.1)?;
    let linux_dir = unpack(cache, pins.linux.0, pins.linux.1)?;
    let xen = xen_dir.join("xen.bin");
    if !xen.exists() {
        let gz = xen_dir.join("boot/xen-4.17-amd64.gz");
        let bytes = run(
            Command::new("gzip").arg("-dc").arg(&gz),
            &format!("gzip -dc {}", gz.display()),
        )?;
        std::fs::write(&xen, bytes)
            .map_err(|e| OracleError::Io(format!("{}: {e}", xen.display())))?;
    }
    let boot = linux_dir.join("boot");
    let vmlinuz = std::fs::read_dir(&boot)
        .map_err(|e| OracleError::Io(format!("{}: {e}", boot.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .ok_or_else(|| OracleError::Io(format!("no vmlinuz in {}", boot.display())))?;
    Ok(Unpacked { xen, vmlinuz })
}

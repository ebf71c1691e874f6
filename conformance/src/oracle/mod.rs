//! The production-driver oracle: Debian's Xen 4.17 and Linux 6.1 booted under QEMU
//! (TCG) with a DMAR table of our choice, the verdict read from the serial log
//! (../shared/ORACLE.md has the recipes this follows).
//!
//! - `packages.rs`: the pinned Debian packages, fetched with `apt-get download` into
//!   a cache directory and unpacked once.
//! - `image.rs`: the Linux initrd (an ACPI table upgrade of QEMU's own DMAR) and the
//!   GRUB rescue ISO that gives Xen our table instead of QEMU's.
//! - `serial.rs`: one QEMU, its serial console read line by line until the verdict is
//!   known or the time-out (a HANG) passes.
//! - `verdict.rs`: what each lane's log says: VT-d on or off, QI, IR, taint, panic,
//!   hang, and the driver's lines.
//! - `record.rs`: recorded verdicts in `dmar-fixtures/<fixture>/verdicts/`.
//! - `compare.rs`: the reference driver's personalities against a recorded verdict.

mod image;
mod packages;
mod serial;

pub mod compare;
pub mod record;
pub mod report;
pub mod verdict;

pub use image::for_linux_upgrade;
pub use packages::{Pins, PINS};
pub use verdict::{Lane, Verdict};

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the oracle cannot boot.
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    /// A host tool or package is missing.
    #[error("{0}")]
    Missing(String),
    /// A file or process failed.
    #[error("{0}")]
    Io(String),
}

/// Guest memory for both lanes (the machine the verdicts are compared on).
pub const MEMORY_MIB: u32 = 1024;

/// How long a boot may take before it counts as a hang.
pub const HANG_AFTER: Duration = Duration::from_secs(60);

/// The host tools a boot needs, with the Debian package that has each.
pub const TOOLS: &[(&str, &str)] = &[
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("grub-mkrescue", "grub-common grub-pc-bin"),
    ("xorriso", "xorriso"),
    ("mformat", "mtools"),
    ("dpkg-deb", "dpkg"),
    ("apt-get", "apt"),
];

/// The prepared oracle: unpacked kernel and hypervisor in the cache.
#[derive(Debug, Clone)]
pub struct Oracle {
    cache: PathBuf,
    xen: PathBuf,
    vmlinuz: PathBuf,
    qemu: PathBuf,
    /// `qemu-system-x86_64 --version`, first line.
    pub qemu_version: String,
}

/// The cache directory: `VTD_ORACLE_CACHE`, else `$XDG_CACHE_HOME/vtd-oracle`, else
/// `~/.cache/vtd-oracle`.
pub fn cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("VTD_ORACLE_CACHE") {
        return PathBuf::from(d);
    }
    let base = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(|_| std::env::temp_dir());
    base.join("vtd-oracle")
}

fn which(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

impl Oracle {
    /// Check the host tools, fetch and unpack the pinned packages into `cache` (once).
    pub fn prepare(cache: &Path) -> Result<Self, OracleError> {
        let missing: Vec<String> = TOOLS
            .iter()
            .filter(|(t, _)| !which(t))
            .map(|(t, p)| format!("{t} ({p})"))
            .collect();
        if !missing.is_empty() {
            return Err(OracleError::Missing(format!(
                "the oracle needs {}: apt-get install qemu-system-x86 grub-common grub-pc-bin xorriso mtools",
                missing.join(", ")
            )));
        }
        std::fs::create_dir_all(cache)
            .map_err(|e| OracleError::Io(format!("{}: {e}", cache.display())))?;
        let unpacked = packages::fetch(cache, &PINS)?;
        let qemu = PathBuf::from(
            std::env::var("VTD_QEMU").unwrap_or_else(|_| "qemu-system-x86_64".into()),
        );
        let out = std::process::Command::new(&qemu)
            .arg("--version")
            .output()
            .map_err(|e| OracleError::Missing(format!("{}: {e}", qemu.display())))?;
        Ok(Oracle {
            cache: cache.to_path_buf(),
            xen: unpacked.xen,
            vmlinuz: unpacked.vmlinuz,
            qemu,
            qemu_version: String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// Boot `lane` with `table` (None: QEMU's own DMAR) and the driver options
    /// `options`, and read the verdict.
    pub fn boot(
        &self,
        lane: Lane,
        table: Option<&[u8]>,
        options: &str,
    ) -> Result<Verdict, OracleError> {
        let work = tempdir(&self.cache)?;
        let (args, cmdline) = match lane {
            Lane::Linux => {
                let initrd = work.path.join("initrd.cpio");
                image::linux_initrd(table, &initrd)?;
                let cmdline = format!("console=ttyS0 panic=-1 loglevel=7 {options}");
                let args = vec![
                    "-kernel".into(),
                    self.vmlinuz.display().to_string(),
                    "-initrd".into(),
                    initrd.display().to_string(),
                    "-append".into(),
                    cmdline.clone(),
                ];
                (args, cmdline)
            }
            Lane::Xen => {
                let cmdline = format!(
                    "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot=false {options}"
                );
                let iso = image::xen_iso(&work.path, &self.xen, &self.vmlinuz, table, &cmdline)?;
                let args = vec![
                    "-cpu".into(),
                    "max,-smap".into(),
                    "-cdrom".into(),
                    iso.display().to_string(),
                    "-boot".into(),
                    "d".into(),
                ];
                (args, cmdline)
            }
        };
        let mut all = vec![
            "-M".to_string(),
            "q35,kernel-irqchip=split".into(),
            "-m".into(),
            MEMORY_MIB.to_string(),
            "-nographic".into(),
            "-no-reboot".into(),
        ];
        // QEMU writes a DMAR only for an intel-iommu: a machine without a table has
        // neither.
        if table.is_some() {
            all.extend(["-device".to_string(), "intel-iommu,intremap=on".into()]);
        }
        all.extend(args);
        let run = serial::run(&self.qemu, &all, lane, HANG_AFTER)?;
        let mut v = verdict::parse(lane, &run.lines, run.timed_out);
        v.options = options.to_string();
        v.cmdline = cmdline;
        v.seconds = (run.elapsed.as_secs_f64() * 10.0).round() / 10.0;
        v.versions = self.versions(lane);
        v.table_sha256 = table.map(sha256);
        Ok(v)
    }

    /// The pinned versions a verdict of `lane` names.
    pub fn versions(&self, lane: Lane) -> Vec<String> {
        let mut v = vec![match lane {
            Lane::Xen => format!("{} {}", PINS.xen.0, PINS.xen.1),
            Lane::Linux => format!("{} {}", PINS.linux.0, PINS.linux.1),
        }];
        if lane == Lane::Xen {
            v.push(format!("{} {} (dom0)", PINS.linux.0, PINS.linux.1));
        }
        v.push(self.qemu_version.clone());
        v
    }
}

/// The hex sha256 of `b`.
pub fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A directory removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempdir(cache: &Path) -> Result<TempDir, OracleError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let path = cache.join(format!(
        "boot-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&path)
        .map_err(|e| OracleError::Io(format!("{}: {e}", path.display())))?;
    Ok(TempDir { path })
}

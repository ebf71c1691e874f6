//! `xen-harness`: Xen 4.17's own DMAR parser (`xen/drivers/passthrough/vtd/dmar.c`,
//! fetched from Debian at build time and compiled unmodified) running in userspace,
//! with the machine and vtd's model behind it.
//!
//! `dmar.c` keeps static state that cannot be reset, so every table is parsed in a
//! fresh process: the `xen-dmar-parse` binary, which [`parse`] runs. The table ends
//! against an unreadable page, so a read past its end kills that process and the
//! verdict says so ([`Verdict::over_read`]) instead of depending on stray bytes.
//!
//! What answers Xen's hardware accesses (the machine QEMU emulates for the oracle, so
//! verdicts compare with the recorded Xen boots):
//! - MMIO at 0xfed90000: a `vtd-model` unit with QEMU 7.2's capabilities;
//! - MMIO in QEMU's PCIe MMCONFIG window (0xb000_0000–0xbfff_ffff): all ones;
//! - other MMIO: zeros (QEMU's unassigned memory);
//! - PCI configuration and the E820 map: `vtd_conformance::oracle::compare::machine()`.
//!
//! `iommu_alloc()` lives in Xen's `iommu.c`, which does not build in userspace; the
//! harness (`c/harness.c`) reimplements its register reads and checks.

pub mod bringup;
pub mod ffi;

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;

/// How Xen's files were compiled: a release build, as Debian ships the hypervisor
/// (`dprintk()` compiled out), or with the `debug-build` feature, as a CONFIG_DEBUG
/// hypervisor (`dprintk()` prints its extra reasons).
pub const XEN_BUILD: &str = if cfg!(feature = "debug-build") {
    "debug"
} else {
    "release"
};

/// Why the harness could not run.
#[derive(Debug)]
pub enum HarnessError {
    /// Built without the Xen source.
    Missing(&'static str),
    /// The parse process could not be run or answered nonsense.
    Io(String),
}

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HarnessError::Missing(why) => write!(f, "Xen source unavailable: {why}"),
            HarnessError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Whether the harness was built with Xen's source, or why not.
pub fn available() -> Result<(), HarnessError> {
    #[cfg(xen_missing)]
    return Err(HarnessError::Missing(env!("XEN_MISSING_REASON")));
    #[cfg(not(xen_missing))]
    Ok(())
}

/// What Xen's parser did with a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// `acpi_dmar_init()`'s return code (0: accepted).
    pub ret: i32,
    /// The lines Xen printed (release build, `loglvl=all`).
    pub log: Vec<String>,
    /// The parser read past the end of the table (the process died on the guard page).
    #[serde(default)]
    pub over_read: bool,
    /// The DRHD units Xen kept: register base, INCLUDE_PCI_ALL, devices in scope.
    #[serde(default)]
    pub drhds: Vec<(u64, bool, u32)>,
    /// The RMRR units Xen kept: base, end, devices in scope.
    #[serde(default)]
    pub rmrrs: Vec<(u64, u64, u32)>,
    /// With `--bring-up`, after an accepted parse: what Xen's bring-up did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bring_up: Option<bringup::BringUp>,
}

impl Verdict {
    /// Xen rejected the table while parsing it.
    pub fn rejected(&self) -> bool {
        self.ret != 0
    }
}

/// Parse `table` with Xen's `dmar.c` in a fresh `bin` process (`xen-dmar-parse`).
pub fn parse(
    bin: &Path,
    table: &[u8],
    verbose: bool,
    force: bool,
) -> Result<Verdict, HarnessError> {
    run(bin, table, verbose, force, None)
}

/// As [`parse`], then, if Xen accepted the table, its bring-up with the `iommu=`
/// value `iommu_option` (e.g. `force,no-intremap`): [`Verdict::bring_up`].
pub fn parse_and_bring_up(
    bin: &Path,
    table: &[u8],
    force: bool,
    iommu_option: &str,
) -> Result<Verdict, HarnessError> {
    run(bin, table, false, force, Some(iommu_option))
}

fn run(
    bin: &Path,
    table: &[u8],
    verbose: bool,
    force: bool,
    bring_up: Option<&str>,
) -> Result<Verdict, HarnessError> {
    available()?;
    let dir = std::env::temp_dir().join(format!("xen-harness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| HarnessError::Io(e.to_string()))?;
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let file = dir.join(format!("t{}.bin", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&file, table).map_err(|e| HarnessError::Io(e.to_string()))?;
    let mut cmd = Command::new(bin);
    cmd.arg(&file);
    if verbose {
        cmd.arg("--verbose");
    }
    if force {
        cmd.arg("--force");
    }
    if let Some(option) = bring_up {
        cmd.arg(format!("--bring-up={option}"));
    }
    let out = cmd
        .output()
        .map_err(|e| HarnessError::Io(format!("{}: {e}", bin.display())))?;
    let _ = std::fs::remove_file(&file);
    if !out.status.success() && out.stdout.is_empty() {
        // Killed on the guard page (or another fault inside Xen's code).
        return Ok(Verdict {
            ret: -1,
            log: String::from_utf8_lossy(&out.stderr)
                .lines()
                .map(str::to_string)
                .collect(),
            over_read: true,
            drhds: Vec::new(),
            rmrrs: Vec::new(),
            bring_up: None,
        });
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| HarnessError::Io(format!("xen-dmar-parse answered: {e}")))
}

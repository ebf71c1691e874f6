//! What a production driver's serial log says.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A production driver booted under QEMU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lane {
    /// Debian's Xen 4.17 hypervisor (dom0: the lane's Linux kernel).
    Xen,
    /// Debian's Linux 6.1 kernel, `intel-iommu` built in.
    Linux,
}

impl Lane {
    /// Both.
    pub const ALL: [Lane; 2] = [Lane::Xen, Lane::Linux];

    /// Its name in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Lane::Xen => "xen-4.17",
            Lane::Linux => "linux-6.1",
        }
    }

    /// Whether a fixture's option set is for this lane (`intel_iommu=` is Linux's).
    pub fn takes(self, options: &str) -> bool {
        (self == Lane::Linux) == options.contains("intel_iommu")
    }
}

/// How a boot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Reached dom0 (Xen) or the root mount (Linux) with DMA remapping on.
    Booted,
    /// Reached it with DMA remapping off.
    VtdDisabled,
    /// Xen or Linux panicked before that.
    Panic,
    /// Nothing more came before the time-out.
    Hang,
}

/// The verdict of one boot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The lane.
    pub lane: Lane,
    /// The fixture's option set.
    pub options: String,
    /// The whole command line.
    pub cmdline: String,
    /// The DMAR table booted (sha256 of the fixture's bytes), None for no table.
    pub table_sha256: Option<String>,
    /// Pinned package versions and QEMU.
    pub versions: Vec<String>,
    /// How it ended.
    pub ending: Ending,
    /// DMA remapping on.
    pub vtd: bool,
    /// Queued invalidation on.
    pub qi: bool,
    /// Interrupt remapping on.
    pub ir: bool,
    /// Linux: a `[Firmware Bug]` line (the kernel is tainted).
    pub taint: bool,
    /// Linux: the ACPI table upgrade replaced QEMU's DMAR with ours (false: Linux
    /// refused it and booted QEMU's own table, so the verdict is not about ours).
    pub table_taken: bool,
    /// The driver's lines (prefixes and time stamps removed).
    pub lines: Vec<String>,
    /// For a hang or panic: the last lines before it.
    pub last: Vec<String>,
    /// Boot wall time, seconds (TCG on the recording machine).
    pub seconds: f64,
}

impl Verdict {
    /// Whether the log says the driver rejected the table while parsing it.
    pub fn rejected(&self) -> bool {
        let has = |s: &str| self.lines.iter().any(|l| l.contains(s));
        match self.lane {
            Lane::Xen => has("Failed to parse ACPI DMAR"),
            Lane::Linux => {
                has("DMAR reported at address")
                    || has("No DRHD structure found")
                    || has("Record passes table end")
                    || has("Invalid 0-length structure")
                    || has("Parse DMAR table failure")
            }
        }
    }
}

/// Whether to stop reading.
pub enum Stop {
    /// Go on.
    No,
    /// The verdict is known.
    Now,
    /// The verdict is known once the lines in this time are in (a panic message).
    After(Duration),
}

/// Where each lane's verdict is complete.
pub fn stop(lane: Lane, line: &str) -> Stop {
    match lane {
        Lane::Xen => {
            if line.contains("*** Serial input to DOM0") || line.contains("Hardware Dom0 crashed") {
                Stop::Now
            } else if line.contains("Panic on CPU") {
                Stop::After(Duration::from_secs(2))
            } else {
                Stop::No
            }
        }
        Lane::Linux => {
            if line.contains("Kernel panic - not syncing") {
                Stop::Now
            } else {
                Stop::No
            }
        }
    }
}

/// Strip the `(XEN) ` prefix or the kernel's `[    1.234567] ` time stamp.
fn strip(line: &str) -> &str {
    let l = line.trim_start();
    if let Some(r) = l.strip_prefix("(XEN) ") {
        return r.trim_end();
    }
    if l.starts_with('[') {
        if let Some(i) = l.find("] ") {
            if l[1..i].trim().parse::<f64>().is_ok() {
                return l[i + 2..].trim_end();
            }
        }
    }
    l.trim_end()
}

/// Whether a verdict keeps `line` (`raw` as the console printed it, `line` without its
/// prefix): the driver's VT-d vocabulary, without per-device noise.
pub fn relevant(lane: Lane, raw: &str, line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    let keys = [
        "dmar",
        "vt-d",
        "iommu",
        "rmrr",
        "remapping",
        "firmware bug",
        "i/o virtualisation",
        "queued invalidation",
        "panic",
        "acpi: table upgrade",
        "file length",
    ];
    match lane {
        Lane::Xen => {
            raw.trim_start().starts_with("(XEN)")
                && keys.iter().any(|k| l.contains(k))
                && !l.contains("endpoint:")
                && !l.contains("dom0 kernel:")
        }
        Lane::Linux => {
            keys.iter().any(|k| l.contains(k))
                && !l.contains("adding to iommu group")
                && !l.contains("amd-vi")
                && !l.starts_with("command line:")
                && !l.starts_with("kernel command line:")
        }
    }
}

/// Read the verdict of `lane` from its serial `lines`.
pub fn parse(lane: Lane, lines: &[String], timed_out: bool) -> Verdict {
    let text: Vec<&str> = lines.iter().map(|l| strip(l)).collect();
    let has = |s: &str| text.iter().any(|l| l.contains(s));
    let (vtd, qi, ir, panic, taint, taken) = match lane {
        Lane::Xen => (
            has("I/O virtualisation enabled"),
            has("Queued Invalidation enabled"),
            has("Interrupt remapping enabled") || has("Interrupt Remapping enabled"),
            has("Panic on CPU"),
            false,
            true,
        ),
        Lane::Linux => (
            has("DMAR: Intel(R) Virtualization Technology for Directed I/O"),
            has("Using Queued invalidation"),
            has("Enabled IRQ remapping in"),
            text.iter().any(|l| {
                l.contains("Kernel panic - not syncing")
                    && !l.contains("VFS: Unable to mount root fs")
            }),
            has("[Firmware Bug]"),
            has("Table Upgrade: override [DMAR"),
        ),
    };
    let ending = if timed_out {
        Ending::Hang
    } else if panic {
        Ending::Panic
    } else if vtd {
        Ending::Booted
    } else {
        Ending::VtdDisabled
    };
    let mut out: Vec<String> = Vec::new();
    for (raw, l) in lines.iter().zip(&text) {
        if relevant(lane, raw, l) && !out.iter().any(|x| x == l) {
            out.push(l.to_string());
        }
    }
    let last = if matches!(ending, Ending::Hang | Ending::Panic) {
        let nonempty: Vec<&str> = text.iter().copied().filter(|l| !l.is_empty()).collect();
        nonempty[nonempty.len().saturating_sub(12)..]
            .iter()
            .map(|l| l.to_string())
            .collect()
    } else {
        Vec::new()
    };
    Verdict {
        lane,
        options: String::new(),
        cmdline: String::new(),
        table_sha256: None,
        versions: Vec::new(),
        ending,
        vtd,
        qi,
        ir,
        taint,
        table_taken: taken,
        lines: out,
        last,
        seconds: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn xen_log_with_vtd_qi_and_ir() {
        let v = parse(
            Lane::Xen,
            &lines("(XEN) [VT-D]Host address width 39\n(XEN) [VT-D] endpoint: 0000:00:00.0\n(XEN) Intel VT-d Queued Invalidation enabled.\n(XEN) Intel VT-d Interrupt Remapping enabled.\n(XEN) I/O virtualisation enabled\n(XEN) *** Serial input to DOM0"),
            false,
        );
        assert_eq!(v.ending, Ending::Booted);
        assert!(v.vtd && v.qi && v.ir);
        assert_eq!(v.lines[0], "[VT-D]Host address width 39");
        assert!(!v.lines.iter().any(|l| l.contains("endpoint")));
    }

    #[test]
    fn xen_rejection_and_panic() {
        let v = parse(Lane::Xen, &lines("(XEN) [VT-D]Invalid ACPI DMAR entry length: 0\n(XEN) Failed to parse ACPI DMAR.  Disabling VT-d.\n(XEN) I/O virtualisation disabled"), false);
        assert_eq!(v.ending, Ending::VtdDisabled);
        assert!(!v.vtd);
        let v = parse(Lane::Xen, &lines("(XEN) ****************************************\n(XEN) Panic on CPU 0:\n(XEN) Couldn't enable IOMMU and iommu=required/force"), false);
        assert_eq!(v.ending, Ending::Panic);
        assert!(v.last.iter().any(|l| l.contains("Couldn't enable IOMMU")));
    }

    #[test]
    fn linux_log_time_stamps_taint_and_hang() {
        let v = parse(
            Lane::Linux,
            &lines("[    0.029762] ACPI: Table Upgrade: override [DMAR-BOCHS -BXPC    ]\n[    0.2] DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x7f000-0x7efff]\n[    1.0] DMAR: Intel(R) Virtualization Technology for Directed I/O\n[    1.5] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"),
            false,
        );
        assert_eq!(v.ending, Ending::Booted);
        assert!(v.taint && v.table_taken && v.vtd && !v.ir);
        assert!(v
            .lines
            .iter()
            .any(|l| l.starts_with("DMAR: [Firmware Bug]")));
        let v = parse(
            Lane::Linux,
            &lines("[    0.1] DMAR: Host address width 39"),
            true,
        );
        assert_eq!(v.ending, Ending::Hang);
        assert_eq!(v.last, vec!["DMAR: Host address width 39"]);
    }

    #[test]
    fn option_sets_go_to_their_lane() {
        assert!(Lane::Linux.takes("intel_iommu=on"));
        assert!(Lane::Xen.takes("iommu=1 dom0-iommu=map-inclusive"));
        assert!(!Lane::Xen.takes("intel_iommu=off"));
    }
}

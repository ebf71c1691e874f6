//! Which production driver the reference driver behaves as.

use serde::Serialize;

/// A production driver whose policies the reference driver follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Personality {
    /// Xen 4.17 (4.17.5), what Debian bookworm ships and the oracle boots.
    Xen417,
    /// Xen 4.0.0, the era of the Xen VTd HowTo: `iommu=pv`/`no-pv`,
    /// `workaround_bios_bug`, `passthrough`, inclusive mapping on by default, xm/xend.
    Xen40,
    /// Linux 6.1 as Debian bookworm builds it (`CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF`).
    Linux61,
}

impl Personality {
    /// Every personality.
    pub const ALL: [Personality; 3] = [
        Personality::Xen417,
        Personality::Xen40,
        Personality::Linux61,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Personality::Xen417 => "xen",
            Personality::Xen40 => "xen-4.0",
            Personality::Linux61 => "linux",
        }
    }

    /// A longer description.
    pub fn describe(self) -> &'static str {
        match self {
            Personality::Xen417 => "Xen 4.17",
            Personality::Xen40 => "Xen 4.0.0",
            Personality::Linux61 => "Linux 6.1 (Debian)",
        }
    }

    /// Whether it is a Xen personality.
    pub fn is_xen(self) -> bool {
        matches!(self, Personality::Xen417 | Personality::Xen40)
    }
}

impl std::str::FromStr for Personality {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "xen" | "xen-4.17" | "xen4.17" => Ok(Personality::Xen417),
            "xen-4.0" | "xen4.0" | "xen-4.0.0" => Ok(Personality::Xen40),
            "linux" | "linux-6.1" | "linux6.1" => Ok(Personality::Linux61),
            _ => Err(format!(
                "unknown personality '{s}': use xen (4.17), xen-4.0 or linux (6.1)"
            )),
        }
    }
}

impl std::fmt::Display for Personality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

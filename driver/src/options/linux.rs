//! Linux 6.1's IOMMU command-line options, as Debian bookworm builds the kernel.
//!
//! Sources (docs/sources/linux-dmar.md §8):
//! - `intel_iommu=`: `intel_iommu_setup()` in `drivers/iommu/intel/iommu.c`: comma
//!   words matched by prefix, in a fixed order; an unknown word prints
//!   `Unknown option - '<rest of the string>'`. Debian's patches add `intgpu_off` and
//!   make `on` map integrated graphics too.
//! - `iommu=` (`arch/x86/kernel/pci-dma.c` `iommu_setup()`): `off`, `pt`, `nopt`, …;
//!   unknown words are ignored.
//! - `iommu.passthrough=` and `iommu.strict=` (`drivers/iommu/iommu.c`) read with
//!   `kstrtobool`; a bad value is `Malformed early option '…'`.
//! - `intremap=` (`drivers/iommu/irq_remapping.c`): on, off, nosid, no_x2apic_optout,
//!   nopost; `nointremap` is `intremap=off`.

use super::Parsed;
use crate::cmdline::{kstrtobool, params};
use crate::log::Level;
use serde::Serialize;

/// The effective Linux configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinuxOptions {
    /// `dmar_disabled`: Debian's `CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF` leaves it 0.
    pub dmar_disabled: bool,
    /// `no_platform_optin` (set by `intel_iommu=off`).
    pub no_platform_optin: bool,
    /// `no_iommu` (`iommu=off`).
    pub no_iommu: bool,
    /// `dmar_map_gfx` (`igfx_off` clears it): graphics devices get translation.
    pub map_gfx: bool,
    /// Debian's `dmar_map_intgpu`: integrated Intel graphics get translation (off by
    /// default on Debian; `intel_iommu=on` turns it on, `intgpu_off` off).
    pub map_intgpu: bool,
    /// `iommu_dma_forcedac`.
    pub forcedac: bool,
    /// Strict (synchronous) IOTLB invalidation instead of the lazy flush queue
    /// (x86 default lazy).
    pub strict: bool,
    /// Strict mode came from `iommu.strict=` (`IOMMU_CMD_LINE_STRICT`); the legacy
    /// `intel_iommu=strict` does not set it.
    pub strict_cmdline: bool,
    /// `intel_iommu_superpage`.
    pub superpage: bool,
    /// `intel_iommu_sm`: scalable mode where the hardware has it (Kconfig default y).
    pub scalable: bool,
    /// `intel_iommu_tboot_noforce`.
    pub tboot_noforce: bool,
    /// Default domain type: identity (pass-through) instead of translated.
    pub passthrough: bool,
    /// Whether the pass-through choice came from the command line.
    pub passthrough_cmdline: bool,
    /// Interrupt remapping allowed (`intremap=off`/`nointremap` clear it).
    pub intremap: bool,
    /// `intremap=nosid`: no source-id verification in IRTEs.
    pub intremap_nosid: bool,
    /// `intremap=no_x2apic_optout`: ignore the DMAR x2APIC opt-out flag.
    pub no_x2apic_optout: bool,
    /// `intremap=nopost`.
    pub intremap_nopost: bool,
}

impl Default for LinuxOptions {
    fn default() -> Self {
        LinuxOptions {
            dmar_disabled: false,
            no_platform_optin: false,
            no_iommu: false,
            map_gfx: true,
            map_intgpu: false,
            forcedac: false,
            strict: false,
            strict_cmdline: false,
            superpage: true,
            scalable: true,
            tboot_noforce: false,
            passthrough: false,
            passthrough_cmdline: false,
            intremap: true,
            intremap_nosid: false,
            no_x2apic_optout: false,
            intremap_nopost: false,
        }
    }
}

fn intel_iommu(out: &mut Parsed<LinuxOptions>, value: &str) {
    let mut rest = value;
    while !rest.is_empty() {
        let o = &mut out.options;
        let (level, text): (Level, Option<String>) = if rest.starts_with("on") {
            o.dmar_disabled = false;
            o.map_intgpu = true;
            (Level::Info, Some("DMAR: IOMMU enabled".into()))
        } else if rest.starts_with("off") {
            o.dmar_disabled = true;
            o.no_platform_optin = true;
            (Level::Info, Some("DMAR: IOMMU disabled".into()))
        } else if rest.starts_with("igfx_off") {
            o.map_gfx = false;
            (Level::Info, Some("DMAR: Disable GFX device mapping".into()))
        } else if rest.starts_with("intgpu_off") {
            o.map_intgpu = false;
            (
                Level::Info,
                Some("DMAR: Disable integrated GPU device mapping".into()),
            )
        } else if rest.starts_with("forcedac") {
            o.forcedac = true;
            (
                Level::Warning,
                Some("DMAR: intel_iommu=forcedac deprecated; use iommu.forcedac instead".into()),
            )
        } else if rest.starts_with("strict") {
            o.strict = true;
            (
                Level::Warning,
                Some("DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead".into()),
            )
        } else if rest.starts_with("sp_off") {
            o.superpage = false;
            (
                Level::Info,
                Some("DMAR: Disable supported super page".into()),
            )
        } else if rest.starts_with("sm_on") {
            o.scalable = true;
            (
                Level::Info,
                Some("DMAR: Enable scalable mode if hardware supports".into()),
            )
        } else if rest.starts_with("sm_off") {
            o.scalable = false;
            (
                Level::Info,
                Some("DMAR: Scalable mode is disallowed".into()),
            )
        } else if rest.starts_with("tboot_noforce") {
            o.tboot_noforce = true;
            (
                Level::Info,
                Some(
                    "DMAR: Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot"
                        .into(),
                ),
            )
        } else {
            (
                Level::Notice,
                Some(format!("DMAR: Unknown option - '{rest}'")),
            )
        };
        if let Some(t) = text {
            out.log.push(level, t);
        }
        rest = rest
            .find(',')
            .map_or("", |i| rest[i..].trim_start_matches(','));
    }
}

/// Parse a Linux command line.
pub fn parse(cmdline: &str) -> Parsed<LinuxOptions> {
    let mut out = Parsed::new(LinuxOptions::default());
    for (key, value) in params(cmdline) {
        match key {
            "intel_iommu" => intel_iommu(&mut out, value.unwrap_or("")),
            "iommu" => {
                for word in value.unwrap_or("").split(',') {
                    let o = &mut out.options;
                    // Every word is compared with every option, by prefix.
                    if word.starts_with("off") {
                        o.no_iommu = true;
                    }
                    if word.starts_with("pt") {
                        o.passthrough = true;
                        o.passthrough_cmdline = true;
                    }
                    if word.starts_with("nopt") {
                        o.passthrough = false;
                        o.passthrough_cmdline = true;
                    }
                    for w in ["forcesac", "allowdac", "nodac"] {
                        if word.starts_with(w) {
                            out.log.push(Level::Warning, format!("{w} option ignored."));
                        }
                    }
                }
            }
            "iommu.passthrough" | "iommu.strict" => match value.and_then(kstrtobool) {
                Some(b) if key == "iommu.passthrough" => {
                    out.options.passthrough = b;
                    out.options.passthrough_cmdline = true;
                }
                Some(b) => {
                    out.options.strict = b;
                    out.options.strict_cmdline = true;
                }
                None => out
                    .log
                    .push(Level::Warning, format!("Malformed early option '{key}'")),
            },
            "intremap" => {
                for word in value.unwrap_or("").split(',') {
                    let o = &mut out.options;
                    match word {
                        "on" => o.intremap = true,
                        "off" => o.intremap = false,
                        "nosid" => o.intremap_nosid = true,
                        "no_x2apic_optout" => o.no_x2apic_optout = true,
                        "nopost" => o.intremap_nopost = true,
                        _ => {}
                    }
                }
            }
            "nointremap" => out.options.intremap = false,
            _ => out.ignored.push(key.to_string()),
        }
    }
    out
}

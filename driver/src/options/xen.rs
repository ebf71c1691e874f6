//! Xen's IOMMU command-line options: 4.17 (`iommu=`, `dom0-iommu=`,
//! `iommu_inclusive_mapping=`) and 4.0.0 (`iommu=` with its exact-match words).
//!
//! Sources (docs/sources/xen-dmar.md §1.12 and §2.4):
//! - 4.17: `parse_iommu_param()` and `parse_dom0_iommu_param()` in
//!   `xen/drivers/passthrough/iommu.c`; `iommu_inclusive_mapping` is a
//!   `boolean_param` in `xen/drivers/passthrough/vtd/x86/vtd.c`; the generic parser
//!   (`xen/common/kernel.c`) prints `parameter "…" has invalid value "…", rc=-22!` for
//!   a value the handler refuses, after the handler has applied every word it knew.
//! - 4.0.0: `parse_iommu_param()` in `xen/drivers/passthrough/iommu.c` compares each
//!   comma-separated word with `strcmp`; unknown words are ignored without a message.

use super::Parsed;
use crate::cmdline::{params, xen_bool, xen_boolean};
use crate::log::Level;
use serde::Serialize;

/// `iommu=quarantine` modes (4.17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Quarantine {
    /// Devices de-assigned from a guest go back to dom0 directly.
    None,
    /// De-assigned devices are parked in `dom_io`, with no mappings (the default).
    Basic,
    /// As basic, with every address mapped to one scratch page.
    ScratchPage,
}

/// The effective Xen IOMMU configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XenOptions {
    /// `iommu_enable` (4.17) / `iommu_enabled` (4.0): DMA remapping wanted.
    pub enable: bool,
    /// `force_iommu` (`force`/`required`): panic rather than boot without the IOMMU.
    pub force: bool,
    /// `iommu_verbose`.
    pub verbose: bool,
    /// `iommu_debug` (4.17).
    pub debug: bool,
    /// `iommu_snoop`: use snoop control when every unit has it.
    pub snoop: bool,
    /// `iommu_qinval`.
    pub qinval: bool,
    /// `iommu_intremap`.
    pub intremap: bool,
    /// `iommu_intpost` (4.17).
    pub intpost: bool,
    /// `iommu_superpages` (4.17).
    pub superpages: bool,
    /// `iommu_igfx` (4.17): remap the integrated graphics device too.
    pub igfx: bool,
    /// `iommu_quarantine` (4.17).
    pub quarantine: Quarantine,
    /// `iommu_hwdom_passthrough` (4.17) / `iommu_passthrough` (4.0): dom0 DMA is not
    /// translated.
    pub dom0_passthrough: bool,
    /// `iommu_hwdom_strict` (4.17) / `iommu_dom0_strict` (4.0.1+): dom0 gets only its
    /// own memory mapped.
    pub dom0_strict: bool,
    /// `iommu_hwdom_inclusive`: 4.17 default off (map non-RAM below 4 GiB for a PV
    /// dom0); 4.0 default on (map everything but unusable memory).
    pub dom0_inclusive: bool,
    /// `iommu_hwdom_reserved` (4.17): map reserved regions; None is the default
    /// (-1), which `arch_iommu_hwdom_init` turns into on.
    pub dom0_reserved: Option<bool>,
    /// `dom0-iommu=none` (4.17): dom0 gets no IOMMU context at all.
    pub dom0_none: bool,
    /// `iommu=workaround_bios_bug` (4.0): drop a non-INCLUDE_ALL DRHD whose scope
    /// devices are all missing instead of rejecting the table.
    pub workaround_bios_bug: bool,
    /// `iommu=pv` / `no-pv` (4.0.0): the IOMMU also for PV guests.
    pub pv: bool,
}

impl XenOptions {
    /// Xen 4.17's defaults.
    pub fn xen417() -> Self {
        XenOptions {
            enable: true,
            force: false,
            verbose: false,
            debug: false,
            snoop: true,
            qinval: true,
            intremap: true,
            intpost: false,
            superpages: true,
            igfx: true,
            quarantine: Quarantine::Basic,
            dom0_passthrough: false,
            dom0_strict: false,
            dom0_inclusive: false,
            dom0_reserved: None,
            dom0_none: false,
            workaround_bios_bug: false,
            pv: true,
        }
    }

    /// Xen 4.0.0's defaults: the IOMMU on (`bool_t iommu_enabled = 1`, commit
    /// f1315aa62e "Enable IOMMU by default"; the HowTo's "disabled by default" is
    /// older), inclusive mapping on, the IOMMU not used for PV guests.
    pub fn xen40() -> Self {
        XenOptions {
            dom0_inclusive: true,
            dom0_reserved: Some(false),
            quarantine: Quarantine::None,
            superpages: false,
            pv: false,
            ..Self::xen417()
        }
    }

    /// Whether reserved regions are mapped for dom0 (4.17: default on).
    pub fn map_reserved(&self) -> bool {
        self.dom0_reserved.unwrap_or(true)
    }
}

fn invalid(out: &mut Parsed<XenOptions>, key: &str, value: &str) {
    out.log.push(
        Level::Warning,
        format!("parameter \"{key}\" has invalid value \"{value}\", rc=-22!"),
    );
}

/// One word of 4.17's `iommu=`.
fn iommu_word_417(o: &mut XenOptions, word: &str) -> bool {
    if let Some(v) = xen_bool(word) {
        o.enable = v;
        return true;
    }
    match word {
        "force" | "required" => {
            o.force = true;
            return true;
        }
        "quarantine=scratch-page" => {
            o.quarantine = Quarantine::ScratchPage;
            return true;
        }
        _ => {}
    }
    let flags: [(&str, &mut bool); 11] = [
        ("igfx", &mut o.igfx),
        ("qinval", &mut o.qinval),
        ("superpages", &mut o.superpages),
        ("verbose", &mut o.verbose),
        ("snoop", &mut o.snoop),
        ("intremap", &mut o.intremap),
        ("intpost", &mut o.intpost),
        ("dom0-passthrough", &mut o.dom0_passthrough),
        ("dom0-strict", &mut o.dom0_strict),
        ("crash-disable", &mut false),
        ("sharept", &mut false),
    ];
    for (name, var) in flags {
        match xen_boolean(name, word) {
            Some(Some(v)) => {
                *var = v;
                return true;
            }
            Some(None) => return false,
            None => {}
        }
    }
    match xen_boolean("debug", word) {
        Some(Some(v)) => {
            o.debug = v;
            o.verbose |= v;
            return true;
        }
        Some(None) => return false,
        None => {}
    }
    match xen_boolean("quarantine", word) {
        Some(Some(v)) => {
            o.quarantine = if v {
                Quarantine::Basic
            } else {
                Quarantine::None
            };
            return true;
        }
        Some(None) => return false,
        None => {}
    }
    xen_boolean("amd-iommu-perdev-intremap", word).is_some_and(|v| v.is_some())
}

/// One word of 4.17's `dom0-iommu=`.
fn dom0_word_417(o: &mut XenOptions, word: &str) -> bool {
    if word == "none" {
        o.dom0_none = true;
        return true;
    }
    let flags: [(&str, u8); 4] = [
        ("passthrough", 0),
        ("strict", 1),
        ("map-inclusive", 2),
        ("map-reserved", 3),
    ];
    for (name, which) in flags {
        match xen_boolean(name, word) {
            Some(Some(v)) => {
                match which {
                    0 => o.dom0_passthrough = v,
                    1 => o.dom0_strict = v,
                    2 => o.dom0_inclusive = v,
                    _ => o.dom0_reserved = Some(v),
                }
                return true;
            }
            Some(None) => return false,
            None => {}
        }
    }
    false
}

/// Parse a Xen 4.17 command line.
pub fn parse_417(cmdline: &str) -> Parsed<XenOptions> {
    let mut out = Parsed::new(XenOptions::xen417());
    for (key, value) in params(cmdline) {
        match key {
            "iommu" | "dom0-iommu" => {
                let v = value.unwrap_or("");
                let mut ok = true;
                for word in v.split(',').filter(|w| !w.is_empty()) {
                    let known = if key == "iommu" {
                        iommu_word_417(&mut out.options, word)
                    } else {
                        dom0_word_417(&mut out.options, word)
                    };
                    ok &= known;
                }
                if !ok || value.is_none() {
                    invalid(&mut out, key, v);
                }
            }
            "iommu_inclusive_mapping" => match value.map_or(Some(true), xen_bool) {
                Some(b) => out.options.dom0_inclusive = b,
                None => invalid(&mut out, key, value.unwrap_or("")),
            },
            "no-iommu_inclusive_mapping" => out.options.dom0_inclusive = false,
            _ => out.ignored.push(key.to_string()),
        }
    }
    out
}

/// Parse a Xen 4.0.0 command line. Unknown `iommu=` words are ignored silently, as
/// `parse_iommu_param` has no error path; the reference driver notes them.
pub fn parse_40(cmdline: &str) -> Parsed<XenOptions> {
    let mut out = Parsed::new(XenOptions::xen40());
    for (key, value) in params(cmdline) {
        match key {
            "iommu" => {
                for word in value.unwrap_or("").split(',') {
                    let o = &mut out.options;
                    match word {
                        "off" | "no" | "false" | "0" | "disable" => o.enable = false,
                        "pv" => o.pv = true,
                        "no-pv" => o.pv = false,
                        "force" | "required" => o.force = true,
                        "workaround_bios_bug" => o.workaround_bios_bug = true,
                        "passthrough" => o.dom0_passthrough = true,
                        "verbose" => o.verbose = true,
                        "no-snoop" => o.snoop = false,
                        "no-qinval" => o.qinval = false,
                        "no-intremap" => o.intremap = false,
                        "amd-iommu-debug" | "amd-iommu-perdev-intremap" => {}
                        "" => {}
                        other => out.notes.push(format!(
                            "Xen 4.0.0 ignores the iommu= word '{other}' without a message{}",
                            match other {
                                "1" | "on" | "yes" | "true" | "enable" =>
                                    " (the IOMMU is on by default anyway)",
                                "pass-through" =>
                                    " (the HowTo spells it pass-through; 4.0.0's word is passthrough)",
                                "dom0-passthrough" | "dom0-strict" =>
                                    " (it appeared in 4.0.1)",
                                _ => "",
                            }
                        )),
                    }
                }
            }
            // `boolean_param`: a value that is not one of the false words leaves it on.
            "iommu_inclusive_mapping" => {
                out.options.dom0_inclusive =
                    !matches!(value, Some("no" | "off" | "false" | "disable" | "0"))
            }
            "no-iommu_inclusive_mapping" => out.options.dom0_inclusive = false,
            _ => out.ignored.push(key.to_string()),
        }
    }
    out
}

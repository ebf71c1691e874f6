//! The lines the parsers print, with the table's values where the catalogue keeps a
//! template (`[...]`, `N`).
//!
//! Formats:
//! - Xen 4.17 `register_one_rmrr()` (`vtd/dmar.c`): `" RMRR [%"PRIx64",%"PRIx64"] not
//!   in reserved memory; need \"iommu_inclusive_mapping=1\"?"` after `VTDPREFIX`
//!   (`[VT-D]`), byte addresses; `"Overlapping RMRRs [%"PRIx64",%"PRIx64"] and
//!   [%"PRIx64",%"PRIx64"]"`, the earlier RMRR first.
//! - Linux 6.1 `arch_rmrr_sanity_check()` (`arch/x86/include/asm/iommu.h`) and
//!   `dmar_parse_one_rmrr()` (`drivers/iommu/intel/iommu.c`): `%#018Lx` addresses,
//!   `FW_BUG` = `[Firmware Bug]: `, `pr_fmt` = `DMAR: `.

use crate::personality::Personality;
use dmar::check::Diagnostic;
use dmar::{Body, Table};

/// The RMRR whose structure holds byte `at`.
fn rmrr_at(t: &Table, at: usize) -> Option<(usize, &dmar::Rmrr)> {
    t.structures.iter().find_map(|s| match &s.body {
        Body::Rmrr(r) if (s.offset..s.offset + usize::from(s.length).max(1)).contains(&at) => {
            Some((s.offset, r))
        }
        _ => None,
    })
}

/// `%#018Lx`.
fn hex18(v: u64) -> String {
    format!("{v:#018x}")
}

/// The line(s) `personality` prints for `d`; None when the check prints nothing.
pub fn render(
    personality: Personality,
    d: &Diagnostic,
    template: Option<&'static str>,
    table: Option<&Table>,
) -> Option<String> {
    let template = template?;
    let rmrr = table.and_then(|t| rmrr_at(t, d.range.start));
    let linux_bad = |r: &dmar::Rmrr| {
        format!(
            "DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [{}-{}]",
            hex18(r.base),
            hex18(r.end)
        )
    };
    let out = match (personality, d.id(), rmrr) {
        (Personality::Xen417, "rmrr-outside-reserved", Some((_, r))) => format!(
            "[VT-D] RMRR [{:x},{:x}] not in reserved memory; need \"iommu_inclusive_mapping=1\"?",
            r.base, r.end
        ),
        (Personality::Xen417, "rmrr-overlap", Some((at, r))) => {
            let earlier = table.and_then(|t| {
                t.structures.iter().find_map(|s| match &s.body {
                    Body::Rmrr(o) if s.offset < at && o.base <= r.end && r.base <= o.end => Some(o),
                    _ => None,
                })
            });
            match earlier {
                Some(o) => format!(
                    "[VT-D]Overlapping RMRRs [{:x},{:x}] and [{:x},{:x}]",
                    o.base, o.end, r.base, r.end
                ),
                None => template.to_string(),
            }
        }
        (Personality::Linux61, "rmrr-outside-reserved" | "rmrr-in-acpi-memory", Some((_, r))) => {
            format!(
                "DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [{}-{}], \
                 contact BIOS vendor for fixes\n{}",
                hex18(r.base),
                hex18(r.end),
                linux_bad(r)
            )
        }
        (Personality::Linux61, "rmrr-unaligned" | "rmrr-end-before-base", Some((_, r))) => {
            linux_bad(r)
        }
        (Personality::Linux61, "ioapic-scope-missing", _) => {
            // "the machine's I/O APIC with ID {id} is under no DRHD's device scope"
            match d
                .message
                .split("ID ")
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
            {
                Some(id) => template.replace("ioapic N", &format!("ioapic {id}")),
                None => template.to_string(),
            }
        }
        // Boot-stage lines the catalogue names as the visible consequence: the boot
        // prints them where they belong.
        (Personality::Xen417, _, _)
            if template == "Interrupt remapping disabled"
                || template == "I/O virtualisation disabled" =>
        {
            return None
        }
        _ if template.contains("SSSS:BB:DD.F") => match find_bdf(&d.message) {
            Some(b) => template.replace("SSSS:BB:DD.F", b),
            None => template.to_string(),
        },
        _ => template.to_string(),
    };
    Some(out)
}

/// The first `SSSS:BB:DD.F` in `text`.
fn find_bdf(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .find(|w| {
            let b = w.as_bytes();
            b.len() == 12
                && b[4] == b':'
                && b[7] == b':'
                && b[10] == b'.'
                && w.chars()
                    .enumerate()
                    .all(|(i, c)| matches!(i, 4 | 7 | 10) || c.is_ascii_hexdigit())
        })
}

/// Split a rendered message into its printed lines.
pub fn split(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
}

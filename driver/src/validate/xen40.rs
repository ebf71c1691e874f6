//! Xen 4.0.0's DMAR parser (`xen/drivers/passthrough/vtd/dmar.c` at RELEASE-4.0.0;
//! docs/sources/xen-dmar.md §2.1–2.3 list every check with its line).
//!
//! It differs from 4.17 in ways the HowTo's boards meet: a structure length below its
//! header or its type's fixed size fails the table (no hang); unknown structure types
//! (ANDD and later) are skipped; scope entries shorter than 8 bytes or of a type ≥ 5
//! (ACPI namespace devices) fail the table; RMRRs are not checked for overlap; a DRHD
//! that names a device the machine lacks fails the whole table unless `iommu=force`
//! (which skips the check) or `iommu=workaround_bios_bug` (which drops the DRHD when
//! *every* counted scope entry, I/O APIC and HPET entries included, is missing).
//!
//! In 4.0 every `dprintk` is printed, with a `file:line:` prefix after `[VT-D]` that the
//! reference driver leaves out.

use super::{Fate, Finding, ParseOptions, Validation};
use crate::log::Level;
use dmar::check::{walk_path, Outcome, PathEnd};
use dmar::{Body, DrhdFlags, ScopeKind};
use vtd_machine::{E820Kind, Machine};

const FAILED: &str = "Failed to parse ACPI DMAR.  Disabling VT-d.";

fn finding(v: &mut Validation, id: &str, detail: String, outcome: Outcome) {
    v.findings.push(Finding {
        id: id.to_string(),
        detail,
        outcome,
    });
}

/// Whether `page` is E820_RESERVED (4.0's `page_is_ram_type(pfn, RAM_TYPE_RESERVED)`:
/// ACPI and NVS memory are other types).
fn reserved_page(m: &Machine, addr: u64) -> bool {
    m.e820
        .iter()
        .any(|e| e.kind == E820Kind::Reserved && e.base <= addr && addr <= e.end)
}

/// Does the scope entry name an existing PCI function? (bus, device, function) of its
/// last hop, and whether it exists.
fn scope_device(m: &Machine, segment: u16, sc: &dmar::DeviceScope) -> Option<((u8, u8, u8), bool)> {
    let last = sc.path.last()?;
    let hops = sc.path.iter().map(|p| (p.device, p.function));
    match walk_path(m, segment, sc.start_bus, hops)? {
        PathEnd::Found { bus, .. } => Some(((bus, last.device, last.function), true)),
        PathEnd::Absent { bus, .. } | PathEnd::NotBridge { bus, .. } => {
            Some(((bus, last.device, last.function), false))
        }
    }
}

/// Validate as Xen 4.0.0.
pub fn validate(bytes: &[u8], m: &Machine, opts: ParseOptions) -> Validation {
    let mut v = Validation::new(Fate::Accepted);
    let Ok(t) = dmar::parse(bytes) else {
        // Not a DMAR table (or too short): acpi_table_parse finds none.
        v.fate = Fate::Absent;
        return v;
    };
    let fail = |v: &mut Validation, line: String, id: &str, detail: String| {
        v.log.push(Level::Warning, line);
        finding(v, id, detail, Outcome::RejectsTable);
        v.fate = Fate::Rejected;
    };
    if t.host_address_width == 0 {
        v.log.push(Level::Warning, "[VT-D]Zero: Invalid DMAR width");
        finding(
            &mut v,
            "host-address-width-zero",
            "Host Address Width is 0".into(),
            Outcome::RejectsTable,
        );
        // -EINVAL before any structure: no "Failed to parse" line, no units.
        v.fate = Fate::Rejected;
        v.table = Some(t);
        return v;
    }
    let mut include_all_seen = false;
    let mut all_ports_seen = false;
    'walk: for s in &t.structures {
        match &s.body {
            Body::Raw(r) if r.code <= 3 => {
                fail(
                    &mut v,
                    format!("[VT-D]Invalid ACPI DMAR entry length: {:#x}", s.length),
                    "structure-too-short",
                    format!(
                        "offset {}: type {} of length {}",
                        s.offset, r.code, s.length
                    ),
                );
                break 'walk;
            }
            Body::Raw(r) => {
                v.log.push(
                    Level::Warning,
                    format!("[VT-D]Ignore unknown DMAR structure type ({:#x})", r.code),
                );
            }
            Body::Andd(_) | Body::Satc(_) | Body::Sidp(_) => {
                let code = match &s.body {
                    Body::Andd(_) => 4,
                    Body::Satc(_) => 5,
                    _ => 6,
                };
                v.log.push(
                    Level::Warning,
                    format!("[VT-D]Ignore unknown DMAR structure type ({code:#x})"),
                );
            }
            Body::Drhd(d) => {
                if let Some(line) = bad_scope(&d.scopes) {
                    fail(
                        &mut v,
                        line,
                        "scope-invalid-4.0",
                        format!("DRHD at offset {}", s.offset),
                    );
                    break 'walk;
                }
                let include_all = d.flags.contains(DrhdFlags::INCLUDE_PCI_ALL);
                if include_all {
                    if include_all_seen {
                        fail(
                            &mut v,
                            "[VT-D]Only one INCLUDE_ALL device scope is allowed".into(),
                            "multiple-include-all",
                            format!("DRHD at offset {}", s.offset),
                        );
                        break 'walk;
                    }
                    include_all_seen = true;
                    continue;
                }
                if opts.force {
                    continue;
                }
                let counted = d
                    .scopes
                    .entries
                    .iter()
                    .filter(|e| {
                        matches!(
                            e.kind,
                            ScopeKind::Endpoint
                                | ScopeKind::Bridge
                                | ScopeKind::IoApic
                                | ScopeKind::Hpet
                        )
                    })
                    .count();
                let mut invalid = 0;
                for sc in d
                    .scopes
                    .entries
                    .iter()
                    .filter(|e| matches!(e.kind, ScopeKind::Endpoint | ScopeKind::Bridge))
                {
                    if let Some(((b, dev, f), false)) = scope_device(m, d.segment, sc) {
                        v.log.push(
                            Level::Warning,
                            format!(
                                "[VT-D]  Non-existent device ({b:x}:{dev:x}.{f:x}) is reported in this DRHD's scope!"
                            ),
                        );
                        invalid += 1;
                    }
                }
                if invalid > 0 {
                    if opts.workaround_bios_bug && invalid == counted {
                        v.log.push(
                            Level::Warning,
                            "[VT-D]  Workaround BIOS bug: ignore the DRHD due to all devices under its scope are not PCI discoverable!",
                        );
                        finding(
                            &mut v,
                            "scope-device-absent",
                            format!("DRHD at offset {}: every device absent", s.offset),
                            Outcome::Ignores,
                        );
                        v.dropped_drhds.push(s.offset);
                    } else {
                        fail(
                            &mut v,
                            "[VT-D]  The DRHD is invalid due to there are devices under its scope are not PCI discoverable! Pls try option iommu=force or iommu=workaround_bios_bug if you really want VT-d".into(),
                            "scope-device-absent",
                            format!("DRHD at offset {}: {invalid} device(s) absent", s.offset),
                        );
                        break 'walk;
                    }
                }
            }
            Body::Rmrr(r) => {
                // 4.0.0 checks two pages: pfn(base) and pfn(end) - 1.
                let last = (r.end >> 12).saturating_sub(1) << 12;
                if !reserved_page(m, r.base) || !reserved_page(m, last) {
                    v.log.push(
                        Level::Warning,
                        format!(
                            "[VT-D]  RMRR address range not in reserved memory base = {:x} end = {:x}; iommu_inclusive_mapping=1 parameter may be needed.",
                            r.base, r.end
                        ),
                    );
                    finding(
                        &mut v,
                        "rmrr-outside-reserved",
                        format!("RMRR [{:#x}, {:#x}]", r.base, r.end),
                        Outcome::Warns,
                    );
                }
                if let Some(line) = bad_scope(&r.scopes) {
                    fail(
                        &mut v,
                        line,
                        "scope-invalid-4.0",
                        format!("RMRR at offset {}", s.offset),
                    );
                    break 'walk;
                }
                let devices: Vec<_> = r
                    .scopes
                    .entries
                    .iter()
                    .filter(|e| matches!(e.kind, ScopeKind::Endpoint | ScopeKind::Bridge))
                    .collect();
                if devices.is_empty() {
                    v.dropped_rmrrs.push(s.offset);
                    continue;
                }
                let mut present = false;
                for sc in &devices {
                    match scope_device(m, r.segment, sc) {
                        Some((_, true)) => present = true,
                        Some(((b, dev, f), false)) => v.log.push(
                            Level::Warning,
                            format!(
                                "[VT-D]  Non-existent device ({b:x}:{dev:x}.{f:x}) is reported in RMRR ({:x}, {:x})'s scope!",
                                r.base, r.end
                            ),
                        ),
                        None => {}
                    }
                }
                if !present {
                    v.log.push(
                        Level::Warning,
                        format!(
                            "[VT-D]  Ignore the RMRR ({:x}, {:x}) due to devices under its scope are not PCI discoverable!",
                            r.base, r.end
                        ),
                    );
                    v.dropped_rmrrs.push(s.offset);
                    continue;
                }
                if r.base > r.end {
                    fail(
                        &mut v,
                        format!("[VT-D]  The RMRR ({:x}, {:x}) is incorrect!", r.base, r.end),
                        "rmrr-end-before-base",
                        format!("RMRR at offset {}", s.offset),
                    );
                    break 'walk;
                }
            }
            Body::Atsr(a) => {
                if let Some(line) = bad_scope(&a.scopes) {
                    fail(
                        &mut v,
                        line,
                        "scope-invalid-4.0",
                        format!("ATSR at offset {}", s.offset),
                    );
                    break 'walk;
                }
                if a.flags.contains(dmar::AtsrFlags::ALL_PORTS) {
                    if all_ports_seen {
                        fail(
                            &mut v,
                            "[VT-D]Only one ALL_PORTS device scope is allowed".into(),
                            "multiple-all-ports",
                            format!("ATSR at offset {}", s.offset),
                        );
                        break 'walk;
                    }
                    all_ports_seen = true;
                }
            }
            Body::Rhsa(_) => {}
        }
    }
    if v.fate == Fate::Accepted {
        if let Some(u) = &t.unparsed {
            // The walk stopped: a length below the 4-byte header is rejected by
            // acpi_dmar_check_length(); one past the end is not checked and is read
            // as it is.
            match u.reason {
                dmar::StopReason::ZeroLength | dmar::StopReason::ShorterThanHeader { .. } => {
                    let length = u
                        .bytes
                        .0
                        .get(2..4)
                        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
                    fail(
                        &mut v,
                        format!("[VT-D]Invalid ACPI DMAR entry length: {length:#x}"),
                        "zero-length-structure",
                        format!("offset {}", u.offset),
                    );
                }
                _ => {
                    v.reads_out_of_bounds = true;
                    finding(
                        &mut v,
                        "structure-overrun",
                        format!("offset {}", u.offset),
                        Outcome::ReadsOutOfBounds,
                    );
                }
            }
        }
    }
    if v.fate == Fate::Rejected {
        v.log.push(Level::Warning, FAILED);
    }
    v.table = Some(t);
    v
}

/// 4.0's `scope_device_count()`: an entry shorter than 8 bytes or of type ≥ 5 fails
/// the table (`Invalid device scope.`, with the dot); so does a scope area the walk
/// could not finish for a short length.
fn bad_scope(scopes: &dmar::Scopes) -> Option<String> {
    let bad_entry = scopes
        .entries
        .iter()
        .any(|e| e.length < 8 || e.kind.code() >= 5 || e.kind.code() == 0);
    let bad_tail = scopes.unparsed.as_ref().is_some_and(|u| {
        matches!(
            u.reason,
            dmar::StopReason::ZeroLength | dmar::StopReason::ShorterThanHeader { .. }
        )
    });
    (bad_entry || bad_tail).then(|| "[VT-D]Invalid device scope.".to_string())
}

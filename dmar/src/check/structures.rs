//! Checks of each remapping structure, and of what must hold across them.

use super::rules;
use super::scope::{self, Allowed};
use super::{Platform, Sink};
use crate::layout::{kind, size};
use crate::table::structure_acronym;
use crate::view::{BodyView, DmarView, StructureView};
use alloc::format;
use smallvec::SmallVec;

/// Per-table lists stay on the stack for every table in the corpus.
type List<T> = SmallVec<[T; 8]>;

/// What later checks need to remember about earlier structures.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) drhds: usize,
    /// (segment, offset) of each INCLUDE_PCI_ALL unit.
    include_all: List<(u16, usize)>,
    /// (register base, offset) of each DRHD.
    bases: List<(u64, usize)>,
    /// (APIC ID, offset) of each IOAPIC scope.
    pub(super) ioapics: List<(u8, usize)>,
    /// (HPET number, offset) of each HPET scope.
    pub(super) hpets: List<(u8, usize)>,
    /// (ANDD device number, offset) of each namespace-device scope.
    pub(super) namespace_scopes: List<(u8, usize)>,
    /// Device numbers declared by ANDD structures.
    andd_numbers: List<u8>,
    /// (register base, offset) of each RHSA.
    rhsas: List<(u64, usize)>,
    /// (base, end, offset) of each well-formed RMRR.
    rmrrs: List<(u64, u64, usize)>,
    /// (segment, offset) of each ALL_PORTS ATSR.
    all_ports: List<(u16, usize)>,
}

pub(super) fn check_one(
    s: &StructureView<'_>,
    platform: Option<&dyn Platform>,
    seen: &mut Seen,
    sink: &mut Sink,
) {
    let at = s.offset;
    let range = at..at + s.length();
    match s.body() {
        BodyView::Drhd(f, scopes) => {
            seen.drhds += 1;
            let base = f.register_base.get();
            let segment = f.segment.get();
            let field = at + 8;
            if base == 0 {
                sink.push(
                    &rules::DRHD_BASE_ZERO,
                    field..field + 8,
                    format!("offset {field} (0x{field:x}), DRHD Register Base Address: 0"),
                );
            } else if base == u64::MAX {
                sink.push(
                    &rules::DRHD_BASE_ALL_ONES,
                    field..field + 8,
                    format!(
                        "offset {field} (0x{field:x}), DRHD Register Base Address: \
                         0xffffffffffffffff"
                    ),
                );
            } else if base & 0xfff != 0 {
                sink.push(
                    &rules::DRHD_BASE_UNALIGNED,
                    field..field + 8,
                    format!(
                        "offset {field} (0x{field:x}), DRHD Register Base Address: 0x{base:x} is \
                         not 4 KiB aligned"
                    ),
                );
            }
            if let Some(&(_, first)) = seen.bases.iter().find(|(b, _)| *b == base) {
                sink.push(
                    &rules::DRHD_DUPLICATE_BASE,
                    range.clone(),
                    format!(
                        "offset {at} (0x{at:x}): DRHD at 0x{base:x} repeats the register base of \
                         the DRHD at offset {first}"
                    ),
                );
            }
            seen.bases.push((base, at));
            let include_all = f.flags & 1 != 0;
            if let Some(&(_, first)) = seen.include_all.iter().find(|(seg, _)| *seg == segment) {
                if include_all {
                    sink.push(
                        &rules::MULTIPLE_INCLUDE_ALL,
                        at + 4..at + 5,
                        format!(
                            "offset {} (0x{:x}), DRHD Flags: a second INCLUDE_PCI_ALL unit for \
                             segment {segment} (the first is at offset {first})",
                            at + 4,
                            at + 4
                        ),
                    );
                } else {
                    sink.push(
                        &rules::INCLUDE_ALL_NOT_LAST,
                        range.clone(),
                        format!(
                            "offset {at} (0x{at:x}): DRHD for segment {segment} follows the \
                             INCLUDE_PCI_ALL unit at offset {first}, which must be the last \
                             DRHD of its segment"
                        ),
                    );
                }
            }
            if include_all {
                seen.include_all.push((segment, at));
            }
            let allowed = if include_all {
                Allowed::IncludeAllDrhd
            } else {
                Allowed::Drhd
            };
            scope::check_all(at, segment, scopes, allowed, platform, seen, sink);
            if !include_all && scopes.bytes.is_empty() {
                sink.push(
                    &rules::DRHD_WITHOUT_SCOPE,
                    range,
                    format!(
                        "offset {at} (0x{at:x}): DRHD at 0x{base:x} has neither INCLUDE_PCI_ALL \
                         nor any device scope"
                    ),
                );
            }
        }
        BodyView::Rmrr(f, scopes) => {
            let base = f.base.get();
            let end = f.end.get();
            let field = at + 8;
            if end < base {
                sink.push(
                    &rules::RMRR_END_BEFORE_BASE,
                    field..field + 16,
                    format!(
                        "offset {field} (0x{field:x}), RMRR [0x{base:x}, 0x{end:x}]: End Address \
                         is below Base Address"
                    ),
                );
            } else if base & 0xfff != 0 || end.wrapping_add(1) & 0xfff != 0 {
                sink.push(
                    &rules::RMRR_UNALIGNED,
                    field..field + 16,
                    format!(
                        "offset {field} (0x{field:x}), RMRR [0x{base:x}, 0x{end:x}]: the base must \
                         be 4 KiB aligned and the end must be the last byte of a 4 KiB page"
                    ),
                );
            }
            if let Some(&(b, e, first)) = seen.rmrrs.iter().find(|(b, e, _)| base <= *e && *b <= end) {
                sink.push(
                    &rules::RMRR_OVERLAP,
                    field..field + 16,
                    format!(
                        "offset {field} (0x{field:x}), RMRR [0x{base:x}, 0x{end:x}] overlaps the \
                         RMRR [0x{b:x}, 0x{e:x}] at offset {first}"
                    ),
                );
            }
            if end >= base {
                seen.rmrrs.push((base, end, at));
            }
            if let Some(p) = platform.filter(|p| end >= base && p.has_memory_map()) {
                use super::e820;
                let message = |what: &str| {
                    format!(
                        "offset {field} (0x{field:x}), RMRR [0x{base:x}, 0x{end:x}] {what}"
                    )
                };
                let reserved =
                    p.e820_covers(base, end, e820::RESERVED) || p.e820_covers(base, end, e820::NVS);
                if reserved {
                    // Both drivers accept reserved and NVS memory.
                } else if p.e820_covers(base, end, e820::ACPI) {
                    sink.push(
                        &rules::RMRR_IN_ACPI_MEMORY,
                        field..field + 16,
                        message("lies in E820 ACPI-reclaimable memory, not reserved or NVS memory"),
                    );
                } else {
                    sink.push(
                        &rules::RMRR_OUTSIDE_RESERVED,
                        field..field + 16,
                        message("is not entirely inside E820-reserved memory"),
                    );
                }
            }
            scope::check_all(at, f.segment.get(), scopes, Allowed::Rmrr, platform, seen, sink);
            if scopes.bytes.is_empty() {
                sink.push(
                    &rules::RMRR_WITHOUT_SCOPE,
                    range,
                    format!(
                        "offset {at} (0x{at:x}): RMRR [0x{base:x}, 0x{end:x}] names no device"
                    ),
                );
            }
        }
        BodyView::Atsr(f, scopes) => {
            let segment = f.segment.get();
            if f.flags & 1 != 0 {
                if let Some(&(_, first)) = seen.all_ports.iter().find(|(s, _)| *s == segment) {
                    sink.push(
                        &rules::MULTIPLE_ALL_PORTS,
                        at + 4..at + 5,
                        format!(
                            "offset {} (0x{:x}), ATSR Flags: a second ALL_PORTS ATSR for segment \
                             {segment} (the first is at offset {first})",
                            at + 4,
                            at + 4
                        ),
                    );
                }
                seen.all_ports.push((segment, at));
            }
            // With ALL_PORTS neither driver parses the scopes, so their defects are moot.
            if f.flags & 1 == 0 {
                scope::check_all(at, segment, scopes, Allowed::Atsr, platform, seen, sink);
            } else if !scopes.bytes.is_empty() {
                sink.push(
                    &rules::ATSR_ALL_PORTS_WITH_SCOPES,
                    range,
                    format!(
                        "offset {at} (0x{at:x}): ATSR sets ALL_PORTS and also carries {} bytes of \
                         device scopes",
                        scopes.bytes.len()
                    ),
                );
            }
        }
        BodyView::Rhsa(f, _) => {
            let base = f.register_base.get();
            if !seen.bases.iter().any(|(b, _)| *b == base) {
                seen.rhsas.push((base, at));
            }
        }
        BodyView::Andd(f, name) => {
            seen.andd_numbers.push(f.device_number);
            if name.last() != Some(&0) {
                sink.push(
                    &rules::ANDD_NAME_UNTERMINATED,
                    at + size::ANDD..range.end,
                    format!(
                        "offset {} (0x{:x}), ANDD Device Name: the namespace path is not \
                         NUL-terminated within the structure's {} bytes",
                        at + size::ANDD,
                        at + size::ANDD,
                        s.length()
                    ),
                );
            }
        }
        BodyView::Satc(f, scopes) => {
            newer_type(s, sink);
            scope::check_all(at, f.segment.get(), scopes, Allowed::Satc, platform, seen, sink);
        }
        BodyView::Sidp(f, scopes) => {
            newer_type(s, sink);
            scope::check_all(at, f.segment.get(), scopes, Allowed::Sidp, platform, seen, sink);
        }
        BodyView::Raw(_) if s.kind <= kind::SIDP => sink.push(
            &rules::STRUCTURE_TOO_SHORT,
            range,
            format!(
                "offset {at} (0x{at:x}): {} has Length {}, shorter than its {} bytes of fixed fields",
                structure_acronym(s.kind),
                s.length(),
                min_length(s.kind)
            ),
        ),
        BodyView::Raw(_) => sink.push(
            &rules::UNKNOWN_STRUCTURE_TYPE,
            range,
            format!(
                "offset {at} (0x{at:x}): structure type {} is not defined by VT-d ({} bytes)",
                s.kind,
                s.length()
            ),
        ),
    }
}

fn min_length(code: u16) -> usize {
    match code {
        kind::DRHD => size::DRHD,
        kind::RMRR => size::RMRR,
        kind::ATSR => size::ATSR,
        kind::RHSA => size::RHSA,
        kind::ANDD => size::ANDD,
        kind::SATC => size::SATC,
        _ => size::SIDP,
    }
}

fn newer_type(s: &StructureView<'_>, sink: &mut Sink) {
    let at = s.offset;
    sink.push(
        &rules::NEWER_STRUCTURE_TYPE,
        at..at + s.length(),
        format!(
            "offset {at} (0x{at:x}): {} (type {}) was added in VT-d 3.x/4.x; older parsers skip it",
            structure_acronym(s.kind),
            s.kind
        ),
    );
}

pub(super) fn check_across(
    view: &DmarView<'_>,
    platform: Option<&dyn Platform>,
    seen: &Seen,
    sink: &mut Sink,
) {
    let whole = 0..view.region_end();
    if seen.drhds == 0 {
        sink.push(
            &rules::NO_DRHD,
            whole.clone(),
            "the table describes no remapping hardware unit (no DRHD structure)".into(),
        );
    }
    // RHSAs recorded here named no DRHD *before* them; Linux searches only those.
    for &(base, at) in &seen.rhsas {
        let message = match seen.bases.iter().find(|(b, _)| *b == base) {
            Some(&(_, drhd)) => format!(
                "offset {at} (0x{at:x}): RHSA names register base 0x{base:x}, whose DRHD comes \
                 later, at offset {drhd}"
            ),
            None => format!(
                "offset {at} (0x{at:x}): RHSA names register base 0x{base:x}, which no DRHD has"
            ),
        };
        sink.push(&rules::RHSA_UNKNOWN_UNIT, at..at + size::RHSA, message);
    }
    for &(number, at) in &seen.namespace_scopes {
        if !seen.andd_numbers.contains(&number) {
            sink.push(
                &rules::NAMESPACE_SCOPE_WITHOUT_ANDD,
                at..at + size::SCOPE_HEADER,
                format!(
                    "offset {at} (0x{at:x}): namespace-device scope names ACPI device number \
                     {number}, which no ANDD declares"
                ),
            );
        }
    }
    duplicates(
        &seen.ioapics,
        &rules::DUPLICATE_IOAPIC_SCOPE,
        "IOAPIC",
        sink,
    );
    duplicates(&seen.hpets, &rules::DUPLICATE_HPET_SCOPE, "HPET", sink);
    if seen.drhds == 0 {
        return;
    }
    let intr_remap = view.dmar_header().flags & 1 != 0;
    match platform.and_then(|p| p.ioapic_ids()) {
        Some(ids) => {
            for id in ids {
                if !seen.ioapics.iter().any(|(i, _)| i == id) {
                    sink.push(
                        &rules::IOAPIC_SCOPE_MISSING,
                        36..38,
                        format!(
                            "the machine's I/O APIC with ID {id} is under no DRHD's device scope"
                        ),
                    );
                }
            }
        }
        None if intr_remap && seen.ioapics.is_empty() => sink.push(
            &rules::IOAPIC_SCOPE_MISSING,
            37..38,
            "offset 37, Flags: INTR_REMAP is set but no DRHD lists an I/O APIC scope".into(),
        ),
        None => {}
    }
}

fn duplicates(list: &[(u8, usize)], rule: &'static rules::Rule, what: &str, sink: &mut Sink) {
    for (i, &(id, at)) in list.iter().enumerate() {
        if let Some(&(_, first)) = list.get(..i).and_then(|l| l.iter().find(|(x, _)| *x == id)) {
            sink.push(
                rule,
                at..at + size::SCOPE_HEADER,
                format!(
                    "offset {at} (0x{at:x}): {what} {id} is listed again (first at offset {first})"
                ),
            );
        }
    }
}

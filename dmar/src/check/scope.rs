//! Device scope checks.

use super::rules;
use super::structures::Seen;
use super::{walk_path, PathEnd, Platform, Sink};
use crate::layout::{scope_kind, size};
use crate::table::ScopeKind;
use crate::view::{ScopeView, ScopesView, StopReason};
use alloc::format;

/// Which scope types a structure may carry (VT-d spec §8.3–8.9).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Allowed {
    /// A DRHD without INCLUDE_PCI_ALL: any type.
    Drhd,
    /// An INCLUDE_PCI_ALL DRHD: only IOAPIC, HPET and namespace devices.
    IncludeAllDrhd,
    /// RMRR: endpoints and bridges.
    Rmrr,
    /// ATSR: bridges (root ports).
    Atsr,
    /// SATC: endpoints.
    Satc,
    /// SIDP: endpoints and namespace devices.
    Sidp,
}

impl Allowed {
    fn permits(self, kind: u8) -> bool {
        use scope_kind::*;
        match self {
            Allowed::Drhd => (ENDPOINT..=NAMESPACE).contains(&kind),
            Allowed::IncludeAllDrhd => matches!(kind, IOAPIC | HPET | NAMESPACE),
            Allowed::Rmrr => matches!(kind, ENDPOINT | BRIDGE),
            Allowed::Atsr => kind == BRIDGE,
            Allowed::Satc => kind == ENDPOINT,
            Allowed::Sidp => matches!(kind, ENDPOINT | NAMESPACE),
        }
    }

    fn owner(self) -> &'static str {
        match self {
            Allowed::Drhd => "DRHD",
            Allowed::IncludeAllDrhd => "INCLUDE_PCI_ALL DRHD",
            Allowed::Rmrr => "RMRR",
            Allowed::Atsr => "ATSR",
            Allowed::Satc => "SATC",
            Allowed::Sidp => "SIDP",
        }
    }
}

fn type_name(kind: u8) -> &'static str {
    match ScopeKind::from_code(kind) {
        ScopeKind::Endpoint => "endpoint",
        ScopeKind::Bridge => "bridge",
        ScopeKind::IoApic => "IOAPIC",
        ScopeKind::Hpet => "HPET",
        ScopeKind::Namespace => "namespace-device",
        ScopeKind::Other(_) => "unknown-type",
    }
}

/// Check every scope of one structure; returns how many decoded.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_all(
    owner_offset: usize,
    segment: u16,
    scopes: ScopesView<'_>,
    allowed: Allowed,
    platform: Option<&dyn Platform>,
    seen: &mut Seen,
    sink: &mut Sink,
) -> usize {
    let mut walk = scopes.iter();
    let mut count = 0;
    for s in walk.by_ref() {
        count += 1;
        one(owner_offset, segment, &s, allowed, platform, seen, sink);
    }
    if let Some(stop) = walk.stop() {
        let end = scopes.offset + scopes.bytes.len();
        let at = stop.offset;
        let owner = allowed.owner();
        let range = at..end;
        match stop.reason {
            StopReason::ZeroLength => sink.push(
                &rules::ZERO_LENGTH_SCOPE,
                range,
                format!(
                    "offset {at} (0x{at:x}): device scope {} of the {owner} at offset \
                     {owner_offset} has Entry Length 0",
                    count
                ),
            ),
            StopReason::ShorterThanHeader { length } => sink.push(
                &rules::SCOPE_SHORTER_THAN_HEADER,
                range,
                format!(
                    "offset {at} (0x{at:x}): device scope {count} of the {owner} at offset \
                     {owner_offset} has Entry Length {length}, shorter than its 6-byte header"
                ),
            ),
            StopReason::Overrun { length, available } => sink.push(
                &rules::SCOPE_OVERRUN,
                range,
                format!(
                    "offset {at} (0x{at:x}): device scope {count} of the {owner} at offset \
                     {owner_offset} has Entry Length {length} but only {available} bytes remain \
                     in the {owner}"
                ),
            ),
            StopReason::Truncated { remaining } => sink.push(
                &rules::SCOPE_TRAILING_BYTES,
                range,
                format!(
                    "offset {at} (0x{at:x}): {remaining} stray byte(s) after the last device scope \
                     of the {owner} at offset {owner_offset}"
                ),
            ),
        }
    }
    count
}

fn one(
    owner_offset: usize,
    segment: u16,
    s: &ScopeView<'_>,
    allowed: Allowed,
    platform: Option<&dyn Platform>,
    seen: &mut Seen,
    sink: &mut Sink,
) {
    let at = s.offset;
    let kind = s.fixed.kind;
    let length = usize::from(s.fixed.length);
    let range = at..at + length;
    let id = s.fixed.enumeration_id;
    match kind {
        scope_kind::IOAPIC => seen.ioapics.push((id, at)),
        scope_kind::HPET => seen.hpets.push((id, at)),
        scope_kind::NAMESPACE => seen.namespace_scopes.push((id, at)),
        _ => {}
    }
    if !(scope_kind::ENDPOINT..=scope_kind::NAMESPACE).contains(&kind) {
        sink.push(
            &rules::SCOPE_UNKNOWN_TYPE,
            at..at + 1,
            format!("offset {at} (0x{at:x}), Device Scope Type: {kind} is not defined by VT-d"),
        );
    } else if !allowed.permits(kind) {
        sink.push(
            &rules::SCOPE_TYPE_NOT_ALLOWED,
            at..at + 1,
            format!(
                "offset {at} (0x{at:x}): {} scope in the {} at offset {owner_offset}",
                type_name(kind),
                allowed.owner()
            ),
        );
    }
    if s.path.is_empty() {
        sink.push(
            &rules::SCOPE_EMPTY_PATH,
            range.clone(),
            format!(
                "offset {at} (0x{at:x}): {} scope with Entry Length {length} has no path: it \
                 names no device",
                type_name(kind)
            ),
        );
    }
    if s.odd_byte.is_some() {
        sink.push(
            &rules::SCOPE_ODD_LENGTH,
            range.clone(),
            format!(
                "offset {at} (0x{at:x}): Entry Length {length} leaves half a path entry ({} is \
                 odd)",
                length - size::SCOPE_HEADER
            ),
        );
    }
    for (i, p) in s.path.iter().enumerate() {
        if p.device > 31 || p.function > 7 {
            let o = at + size::SCOPE_HEADER + 2 * i;
            sink.push(
                &rules::SCOPE_PATH_INVALID,
                o..o + 2,
                format!(
                    "offset {o} (0x{o:x}), PCI Path: {:02x}.{:x} is not a PCI device.function \
                     (device ≤ 1f, function ≤ 7)",
                    p.device, p.function
                ),
            );
            return;
        }
    }
    let platform = platform.filter(|p| p.has_pci_devices());
    if let (Some(p), scope_kind::ENDPOINT | scope_kind::BRIDGE) = (platform, kind) {
        resolve(segment, s, p, sink);
    }
}

/// Follow the path through the machine's bridges and report what is missing or
/// mismatched.
fn resolve(segment: u16, s: &ScopeView<'_>, p: &dyn Platform, sink: &mut Sink) {
    let at = s.offset;
    let range = at..at + usize::from(s.fixed.length);
    let what = type_name(s.fixed.kind);
    let hops = s.path.iter().map(|h| (h.device, h.function));
    let bdf = |bus: u8, hop: usize| {
        let h = s
            .path
            .get(hop)
            .copied()
            .unwrap_or(crate::layout::PathEntryRaw {
                device: 0,
                function: 0,
            });
        format!("{segment:04x}:{bus:02x}:{:02x}.{:x}", h.device, h.function)
    };
    match walk_path(p, segment, s.fixed.start_bus, hops) {
        Some(PathEnd::Absent { hop, bus }) => {
            sink.push(
                &rules::SCOPE_DEVICE_ABSENT,
                range,
                format!(
                "offset {at} (0x{at:x}): {what} scope names {}{}, which the machine does not have",
                bdf(bus, hop),
                if hop + 1 < s.path.len() { " (a bridge on its path)" } else { "" }
            ),
            )
        }
        Some(PathEnd::NotBridge { hop, bus }) => sink.push(
            &rules::SCOPE_PATH_NOT_BRIDGE,
            range,
            format!(
                "offset {at} (0x{at:x}): path hop {} is not a bridge, so the rest of the path \
                 leads nowhere",
                bdf(bus, hop)
            ),
        ),
        Some(PathEnd::Found { bus, function })
            if function.is_bridge != (s.fixed.kind == scope_kind::BRIDGE) =>
        {
            sink.push(
                &rules::SCOPE_TYPE_MISMATCH,
                at..at + 1,
                format!(
                    "offset {at} (0x{at:x}): {what} scope names {}, which is {}",
                    bdf(bus, s.path.len().saturating_sub(1)),
                    if function.is_bridge {
                        "a bridge"
                    } else {
                        "an endpoint"
                    }
                ),
            );
        }
        Some(PathEnd::Found { .. }) | None => {}
    }
}

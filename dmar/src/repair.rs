//! Repair a broken table: remove or correct what the checks found, change nothing else,
//! and say what changed.
//!
//! Lengths are resynchronised where the bytes allow it: after a zero-length (or too
//! short) structure, the real length is the first boundary where the structure's own
//! device scopes end cleanly *and* a plausible structure header (or the table end)
//! follows. Device-scope headers can never pass for structure headers (their type and
//! length bytes read as a type of at least 0x600), so the first such boundary is the
//! right one. What cannot be resynchronised is removed. The result always has correct
//! lengths and checksum and an OEM revision one higher than the input's, so Linux's
//! initrd table upgrade accepts it in place of the firmware's table.

use crate::check::{walk_path, PathEnd, Platform};
use crate::layout::{kind, size};
use crate::table::{Body, Rmrr, ScopeKind, Scopes, Table};
use crate::view::{DmarView, ScopesView, StopReason, ViewError};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One change the repair made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Change {
    /// Offset in the input the change concerns.
    pub offset: usize,
    /// The rule whose finding it addresses, if any.
    pub rule: Option<&'static str>,
    /// What was done.
    pub description: String,
}

/// The outcome of [`repair`].
#[derive(Debug, Clone)]
pub struct Repaired {
    /// The repaired table (lengths and checksum final).
    pub table: Table,
    /// What changed, in order.
    pub changes: Vec<Change>,
}

struct Log {
    changes: Vec<Change>,
}

impl Log {
    fn push(&mut self, offset: usize, rule: Option<&'static str>, description: String) {
        self.changes.push(Change {
            offset,
            rule,
            description,
        });
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Whether `rest` starts like a remapping structure (or is empty).
fn plausible_next(rest: &[u8]) -> bool {
    if rest.is_empty() {
        return true;
    }
    match (u16_at(rest, 0), u16_at(rest, 2)) {
        (Some(t), Some(l)) => {
            let l = usize::from(l);
            t <= kind::SIDP && (l == 0 || (size::STRUCTURE_HEADER..=rest.len()).contains(&l))
        }
        _ => false,
    }
}

fn fixed_len(code: u16) -> Option<usize> {
    Some(match code {
        kind::DRHD => size::DRHD,
        kind::RMRR => size::RMRR,
        kind::ATSR => size::ATSR,
        kind::SATC => size::SATC,
        kind::SIDP => size::SIDP,
        _ => return None,
    })
}

/// The length a structure at the start of `bytes` must have, if its bytes say so.
fn resync_structure(bytes: &[u8]) -> Option<usize> {
    let code = u16_at(bytes, 0)?;
    match code {
        kind::RHSA => (bytes.len() >= size::RHSA && plausible_next(bytes.get(size::RHSA..)?))
            .then_some(size::RHSA),
        kind::ANDD => {
            let name = bytes.get(size::ANDD..)?;
            let nul = name.iter().position(|&b| b == 0)?;
            // Names are often NUL-padded: the structure ends where a header follows.
            (size::ANDD + nul + 1..=bytes.len()).find(|&l| {
                bytes
                    .get(size::ANDD + nul..l)
                    .is_some_and(|p| p.iter().all(|&b| b == 0))
                    && plausible_next(bytes.get(l..).unwrap_or_default())
            })
        }
        _ => {
            let fixed = fixed_len(code)?;
            if bytes.len() < fixed {
                return None;
            }
            // Candidate ends: after the fixed fields, then after each scope that walks.
            let mut at = fixed;
            loop {
                if plausible_next(bytes.get(at..)?) {
                    return Some(at);
                }
                let len = usize::from(*bytes.get(at + 1)?);
                if len < size::SCOPE_HEADER || at + len > bytes.len() {
                    return None;
                }
                at += len;
            }
        }
    }
}

/// Fix the structure walk on raw bytes: resynchronise or cut each structure whose
/// length cannot be trusted, and drop stray trailing bytes and excess.
fn repair_walk(input: &[u8], log: &mut Log) -> Result<Vec<u8>, ViewError> {
    let mut buf = input.to_vec();
    // Each round fixes the first stop; every fix either sets a length or removes bytes,
    // and a length is only set where the walk then advances, so this terminates.
    for _ in 0..buf.len() {
        let view = DmarView::new(&buf)?;
        let end = view.region_end();
        let excess = buf.len() - end;
        let mut walk = view.structures();
        walk.by_ref().for_each(drop);
        let Some(stop) = walk.stop() else {
            if excess > 0 {
                buf.truncate(end);
                log.push(
                    end,
                    Some("excess-bytes"),
                    format!("removed {excess} bytes past the declared Table Length"),
                );
            }
            return Ok(buf);
        };
        let at = stop.offset;
        let rest = buf.get(at..end).unwrap_or_default();
        let acronym = crate::table::structure_acronym(u16_at(rest, 0).unwrap_or(u16::MAX));
        let resync = match stop.reason {
            StopReason::ZeroLength | StopReason::ShorterThanHeader { .. } => resync_structure(rest),
            StopReason::Overrun { available, .. } => {
                // The structure is the last one: keep it if it ends cleanly in the bytes there are.
                resync_structure(rest).filter(|&l| l == available)
            }
            StopReason::Truncated { .. } => None,
        };
        let (rule, what) = match stop.reason {
            StopReason::ZeroLength => ("zero-length-structure", "Length 0".to_string()),
            StopReason::ShorterThanHeader { length } => (
                "structure-shorter-than-header",
                format!("Length {length}, shorter than its header"),
            ),
            StopReason::Overrun { length, available } => (
                "structure-overrun",
                format!("Length {length} with {available} bytes left"),
            ),
            StopReason::Truncated { remaining } => {
                ("trailing-bytes", format!("{remaining} stray bytes"))
            }
        };
        match resync.and_then(|l| u16::try_from(l).ok()) {
            Some(length) => {
                if let Some(field) = buf.get_mut(at + 2..at + 4) {
                    field.copy_from_slice(&length.to_le_bytes());
                }
                log.push(
                    at,
                    Some(rule),
                    format!(
                        "offset {at} (0x{at:x}): {acronym} had {what}; set Length to {length}, where its device scopes end and the next structure begins"
                    ),
                );
            }
            None => {
                let n = end - at;
                buf.drain(at..end);
                log.push(
                    at,
                    Some(rule),
                    format!("offset {at} (0x{at:x}): removed {n} bytes, from the {acronym} with {what} to the end of the table (no consistent length could be found)"),
                );
                // Fix the header length so the walk ends where the bytes now end.
                let new_len = u32::try_from(at).unwrap_or(u32::MAX);
                if let Some(field) = buf.get_mut(4..8) {
                    field.copy_from_slice(&new_len.to_le_bytes());
                }
            }
        }
    }
    Ok(buf)
}

/// The length a scope at the start of `bytes` must have for the rest to walk cleanly.
fn resync_scope(bytes: &[u8]) -> Option<usize> {
    (size::SCOPE_HEADER + size::PATH_ENTRY..=bytes.len())
        .step_by(size::PATH_ENTRY)
        .find(|&l| {
            let rest = bytes.get(l..).unwrap_or_default();
            let v = ScopesView {
                offset: 0,
                bytes: rest,
            };
            let mut walk = v.iter();
            walk.by_ref().for_each(drop);
            walk.stop().is_none()
        })
}

fn repair_scopes(owner: usize, what: &str, scopes: &mut Scopes, log: &mut Log) {
    let Some(u) = scopes.unparsed.take() else {
        return;
    };
    let at = u.offset;
    let mut bytes = u.bytes.0.clone();
    let (rule, fixed_len) = match u.reason {
        StopReason::ZeroLength => ("zero-length-scope", resync_scope(&bytes)),
        StopReason::ShorterThanHeader { .. } => ("scope-shorter-than-header", resync_scope(&bytes)),
        StopReason::Overrun { available, .. } => (
            "scope-overrun",
            // Keep the whole hops that are there.
            Some(available & !1).filter(|&l| l >= size::SCOPE_HEADER + size::PATH_ENTRY),
        ),
        StopReason::Truncated { .. } => ("scope-trailing-bytes", None),
    };
    match fixed_len.and_then(|l| u8::try_from(l).ok()) {
        Some(l) => {
            let old = bytes.get(1).copied().unwrap_or(0);
            if let Some(b) = bytes.get_mut(1) {
                *b = l;
            }
            // Overrun: the corrected scope is the last; an odd byte left over goes.
            if matches!(u.reason, StopReason::Overrun { .. }) {
                bytes.truncate(usize::from(l));
            }
            let decoded = Scopes::from_view(&bytes, ScopesView { offset: 0, bytes: &bytes });
            scopes.entries.extend(decoded.entries);
            log.push(
                at,
                Some(rule),
                format!("offset {at} (0x{at:x}): device scope of the {what} at offset {owner} had Entry Length {old}; set it to {l}"),
            );
        }
        None => log.push(
            at,
            Some(rule),
            format!(
                "offset {at} (0x{at:x}): removed {} undecodable byte(s) of device scopes from the {what} at offset {owner}",
                bytes.len()
            ),
        ),
    }
}

fn repair_scope_entries(
    what: &str,
    segment: u16,
    scopes: &mut Scopes,
    platform: Option<&dyn Platform>,
    log: &mut Log,
) {
    let platform = platform.filter(|p| p.has_pci_devices());
    scopes.entries.retain_mut(|s| {
        let at = s.offset;
        if s.path.is_empty() {
            log.push(at, Some("scope-empty-path"), format!("offset {at} (0x{at:x}): removed a {what} scope with no path (it names no device)"));
            return false;
        }
        if s.odd_byte.take().is_some() {
            log.push(at, Some("scope-odd-length"), format!("offset {at} (0x{at:x}): dropped the half path entry of a {what} scope"));
        }
        let pci = matches!(s.kind, ScopeKind::Endpoint | ScopeKind::Bridge);
        if let (Some(p), true) = (platform, pci) {
            let hops = s.path.iter().map(|h| (h.device, h.function));
            match walk_path(p, segment, s.start_bus, hops) {
                Some(PathEnd::Found { function: f, .. }) => {
                    let want = if f.is_bridge { ScopeKind::Bridge } else { ScopeKind::Endpoint };
                    if want != s.kind {
                        log.push(
                            at,
                            Some("scope-type-mismatch"),
                            format!("offset {at} (0x{at:x}): the {what} scope names a {}; corrected its type to {}", if f.is_bridge { "bridge" } else { "endpoint" }, want.name().unwrap_or("?")),
                        );
                        s.kind = want;
                    }
                }
                Some(PathEnd::Absent { .. } | PathEnd::NotBridge { .. }) | None => {
                    log.push(at, Some("scope-device-absent"), format!("offset {at} (0x{at:x}): removed a {what} scope naming a device the machine does not have"));
                    return false;
                }
            }
        }
        true
    });
}

/// Merge RMRRs that overlap an earlier one into it (union of ranges and scopes): Xen
/// 4.17 rejects the whole table on any overlap. A union can grow into an RMRR the pass
/// already went by, so passes repeat until one merges nothing.
fn merge_overlapping_rmrrs(t: &mut Table, log: &mut Log) {
    while merge_pass(t, log) {}
}

/// One pass; whether anything was merged.
fn merge_pass(t: &mut Table, log: &mut Log) -> bool {
    let mut merged_any = false;
    let mut i = 0;
    while i < t.structures.len() {
        let (head, tail) = t.structures.split_at_mut(i);
        let merged = match tail.first() {
            Some(s) => match &s.body {
                Body::Rmrr(r) if r.end >= r.base => {
                    head.iter_mut().find_map(|h| match &mut h.body {
                        Body::Rmrr(e) if e.end >= e.base && r.base <= e.end && e.base <= r.end => {
                            Some((h.offset, e))
                        }
                        _ => None,
                    })
                }
                _ => None,
            },
            None => None,
        };
        if let Some((first_at, earlier)) = merged {
            let at = tail.first().map(|s| s.offset).unwrap_or(0);
            if let Some(Body::Rmrr(r)) = tail.first().map(|s| s.body.clone()) {
                let (b, e) = (earlier.base.min(r.base), earlier.end.max(r.end));
                log.push(
                    at,
                    Some("rmrr-overlap"),
                    format!(
                        "offset {at} (0x{at:x}): merged RMRR [0x{:x}, 0x{:x}] into the overlapping RMRR at offset {first_at}, now [0x{b:x}, 0x{e:x}] with the devices of both",
                        r.base, r.end
                    ),
                );
                earlier.base = b;
                earlier.end = e;
                for s in r.scopes.entries {
                    if !earlier
                        .scopes
                        .entries
                        .iter()
                        .any(|x| x.kind == s.kind && x.start_bus == s.start_bus && x.path == s.path)
                    {
                        earlier.scopes.entries.push(s);
                    }
                }
            }
            t.structures.remove(i);
            merged_any = true;
        } else {
            i += 1;
        }
    }
    merged_any
}

fn repair_rmrr(at: usize, r: &mut Rmrr, log: &mut Log) -> bool {
    if r.end >= r.base {
        return true;
    }
    let aligned = |b: u64, e: u64| b & 0xfff == 0 && e.wrapping_add(1) & 0xfff == 0;
    if aligned(r.end, r.base) {
        log.push(
            at,
            Some("rmrr-end-before-base"),
            format!(
                "offset {at} (0x{at:x}): RMRR [0x{:x}, 0x{:x}] had its Base and End swapped; now [0x{:x}, 0x{:x}]",
                r.base, r.end, r.end, r.base
            ),
        );
        core::mem::swap(&mut r.base, &mut r.end);
        true
    } else {
        log.push(
            at,
            Some("rmrr-end-before-base"),
            format!(
                "offset {at} (0x{at:x}): removed RMRR [0x{:x}, 0x{:x}] (End below Base, not a swap); its devices may fault on the DMA it described",
                r.base, r.end
            ),
        );
        false
    }
}

/// Repair `input`. `platform`, when given, lets scopes naming absent devices be removed
/// and endpoint/bridge types be corrected.
pub fn repair(input: &[u8], platform: Option<&dyn Platform>) -> Result<Repaired, ViewError> {
    let mut log = Log {
        changes: Vec::new(),
    };
    let walked = repair_walk(input, &mut log)?;
    let mut t = crate::parse(&walked)?;
    t.structures.retain_mut(|s| {
        let at = s.offset;
        if let Body::Rmrr(r) = &mut s.body {
            if !repair_rmrr(at, r, &mut log) {
                return false;
            }
        }
        match &mut s.body {
            Body::Raw(r) if r.code <= kind::SIDP => {
                log.push(
                    at,
                    Some("structure-too-short"),
                    format!(
                        "offset {at} (0x{at:x}): removed a {} too short for its fields ({} bytes)",
                        crate::table::structure_acronym(r.code),
                        s.length
                    ),
                );
                return false;
            }
            Body::Andd(a) if a.name.0.last() != Some(&0) => {
                a.name.0.push(0);
                log.push(
                    at,
                    Some("andd-name-unterminated"),
                    format!("offset {at} (0x{at:x}): NUL-terminated the ANDD namespace path"),
                );
            }
            _ => {}
        }
        let what = crate::table::structure_acronym(s.body.code());
        let segment = match &s.body {
            Body::Drhd(d) => d.segment,
            Body::Rmrr(r) => r.segment,
            Body::Atsr(a) => a.segment,
            Body::Satc(x) => x.segment,
            Body::Sidp(x) => x.segment,
            _ => 0,
        };
        if let Some(scopes) = s.body.scopes_mut() {
            repair_scopes(at, what, scopes, &mut log);
            repair_scope_entries(what, segment, scopes, platform, &mut log);
        }
        true
    });
    merge_overlapping_rmrrs(&mut t, &mut log);
    let old_rev = t.header.oem_revision;
    t.header.oem_revision = old_rev.wrapping_add(1);
    log.push(24, None, format!("OEM Revision 0x{old_rev:x} → 0x{:x}, so Linux's initrd table upgrade prefers this table", t.header.oem_revision));
    let before = (t.header.length, t.header.checksum);
    t.fix_lengths()
        .map_err(|_| ViewError::TooShort { len: input.len() })?;
    t.fix_checksum();
    if before.0 != t.header.length {
        log.push(
            4,
            None,
            format!("Table Length {} → {}", before.0, t.header.length),
        );
    }
    log.push(
        9,
        None,
        format!("Checksum 0x{:02x} → 0x{:02x}", before.1, t.header.checksum),
    );
    Ok(Repaired {
        table: t,
        changes: log.changes,
    })
}

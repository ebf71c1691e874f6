//! Table-level checks: the header, the structure walk, and what spans structures.

use super::rules;
use super::{structures, Platform, Sink};
use crate::encode::checksum_ok;
use crate::layout::size;
use crate::text::Ascii;
use crate::view::{DmarView, StopReason, ViewError};
use alloc::format;

pub(super) fn check(bytes: &[u8], platform: Option<&dyn Platform>, sink: &mut Sink) {
    let view = match DmarView::new(bytes) {
        Ok(v) => v,
        Err(ViewError::TooShort { len }) => {
            sink.push(
                &rules::TABLE_TOO_SHORT,
                0..len,
                format!(
                    "{len} bytes cannot hold the {}-byte ACPI + DMAR header",
                    size::TABLE_HEADER
                ),
            );
            return;
        }
        Err(ViewError::Signature { found }) => {
            sink.push(
                &rules::NOT_DMAR,
                0..4,
                format!("offset 0, Signature: {:?} is not \"DMAR\"", Ascii(&found)),
            );
            return;
        }
    };
    header(&view, sink);
    let mut walk = view.structures();
    let mut seen = structures::Seen::default();
    for s in walk.by_ref() {
        structures::check_one(&s, platform, &mut seen, sink);
    }
    if let Some(stop) = walk.stop() {
        walk_stop(&view, stop.offset, stop.reason, seen.drhds > 0, sink);
    }
    structures::check_across(&view, platform, &seen, sink);
}

fn header(view: &DmarView<'_>, sink: &mut Sink) {
    let h = view.header();
    let d = view.dmar_header();
    let declared = view.declared_length();
    let file = view.bytes().len();
    if &h.signature == b"RMAD" {
        sink.push(
            &rules::ZAPPED_SIGNATURE,
            0..4,
            "offset 0, Signature: \"RMAD\": Xen renamed this table to hide it from dom0; it \
             is decoded as DMAR"
                .into(),
        );
    }
    if declared > file {
        sink.push(
            &rules::LENGTH_BEYOND_INPUT,
            4..8,
            format!(
                "offset 4, Table Length: {declared} (0x{declared:x}) but only {file} bytes are \
                 present; {} bytes are missing",
                declared - file
            ),
        );
    } else if declared < size::TABLE_HEADER {
        sink.push(
            &rules::LENGTH_BELOW_HEADER,
            4..8,
            format!(
                "offset 4, Table Length: {declared} is less than the {}-byte header",
                size::TABLE_HEADER
            ),
        );
    }
    if file > declared.max(size::TABLE_HEADER) {
        sink.push(
            &rules::EXCESS_BYTES,
            view.region_end()..file,
            format!(
                "{} bytes follow the declared Table Length of {declared}; they are not part of \
                 the table",
                file - view.region_end()
            ),
        );
    }
    if !checksum_ok(view.bytes(), declared) {
        let covered = declared.min(file);
        let sum = view
            .bytes()
            .get(..covered)
            .unwrap_or_default()
            .iter()
            .fold(0u8, |a, b| a.wrapping_add(*b));
        sink.push(
            &rules::CHECKSUM,
            9..10,
            format!(
                "offset 9, Checksum: the {covered} bytes sum to 0x{sum:02x}, not 0; a correct \
                 checksum byte would be 0x{:02x}",
                h.checksum.wrapping_sub(sum)
            ),
        );
    }
    let haw = d.host_address_width;
    let bits = u32::from(haw) + 1;
    let haw_rule = match haw {
        0 => Some(&rules::HOST_ADDRESS_WIDTH_ZERO),
        1..=10 => Some(&rules::HOST_ADDRESS_WIDTH_SMALL),
        64.. => Some(&rules::HOST_ADDRESS_WIDTH_LARGE),
        _ => None,
    };
    if let Some(rule) = haw_rule {
        sink.push(
            rule,
            36..37,
            format!("offset 36, Host Address Width: {haw} means {bits}-bit DMA addresses"),
        );
    }
    let flags = crate::DmarFlags::from_bits_retain(d.flags);
    if !flags.contains(crate::DmarFlags::INTR_REMAP) {
        sink.push(
            &rules::NO_INTR_REMAP_FLAG,
            37..38,
            format!(
                "offset 37, Flags: 0x{:02x} has INTR_REMAP (bit 0) clear",
                d.flags
            ),
        );
    }
    if flags.contains(crate::DmarFlags::X2APIC_OPT_OUT) {
        sink.push(
            &rules::X2APIC_OPT_OUT,
            37..38,
            format!(
                "offset 37, Flags: 0x{:02x} sets X2APIC_OPT_OUT (bit 1)",
                d.flags
            ),
        );
    }
    if flags.contains(crate::DmarFlags::DMA_CTRL_PLATFORM_OPT_IN) {
        sink.push(
            &rules::PLATFORM_OPT_IN,
            37..38,
            format!(
                "offset 37, Flags: 0x{:02x} sets DMA_CTRL_PLATFORM_OPT_IN (bit 2)",
                d.flags
            ),
        );
    }
    if d.flags & !0x07 != 0 {
        sink.push(
            &rules::RESERVED_NONZERO,
            37..38,
            format!(
                "offset 37, Flags: 0x{:02x} sets reserved bits 0x{:02x}",
                d.flags,
                d.flags & !0x07
            ),
        );
    }
    if d.reserved.iter().any(|&b| b != 0) {
        sink.push(
            &rules::RESERVED_NONZERO,
            38..48,
            "offset 38, Reserved: the ten reserved header bytes are not zero".into(),
        );
    }
}

fn walk_stop(
    view: &DmarView<'_>,
    offset: usize,
    reason: StopReason,
    after_drhd: bool,
    sink: &mut Sink,
) {
    let end = view.region_end();
    let kind = view.bytes().get(offset..offset + 2).map(|b| {
        u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ])
    });
    let what = kind
        .map(|k| format!("{} (type {k})", crate::table::structure_acronym(k)))
        .unwrap_or_default();
    match reason {
        StopReason::ZeroLength => sink.push(
            if after_drhd {
                &rules::ZERO_LENGTH_STRUCTURE
            } else {
                &rules::ZERO_LENGTH_BEFORE_DRHD
            },
            offset..end,
            format!(
                "offset {offset} (0x{offset:x}): {what} has Length 0; the {} bytes from here to \
                 the end of the table cannot be walked",
                end - offset
            ),
        ),
        StopReason::ShorterThanHeader { length } => sink.push(
            &rules::STRUCTURE_SHORTER_THAN_HEADER,
            offset..end,
            format!(
                "offset {offset} (0x{offset:x}): {what} has Length {length}, shorter than its \
                 own 4-byte header"
            ),
        ),
        StopReason::Overrun { length, available } => sink.push(
            &rules::STRUCTURE_OVERRUN,
            offset..end,
            format!(
                "offset {offset} (0x{offset:x}): {what} has Length {length} but only {available} \
                 bytes remain before the table end at {end}"
            ),
        ),
        StopReason::Truncated { remaining } => sink.push(
            &rules::TRAILING_BYTES,
            offset..end,
            format!(
                "offset {offset} (0x{offset:x}): {remaining} bytes after the last structure, too \
                 few for a structure header"
            ),
        ),
    }
}

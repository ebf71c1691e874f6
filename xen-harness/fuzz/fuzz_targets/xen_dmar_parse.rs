//! Xen 4.17's own DMAR parser on tables as firmware writes and breaks them
//! (`dmar::broken`), in process, with AddressSanitizer and coverage over Xen's code.
//!
//! Three classes are known and left out, so the fuzzer looks for new ones: tables whose
//! header length exceeds their bytes, structures running past the table's end (the
//! harness's fixtures test pins both down), and structures shorter than their type's
//! fixed fields (Xen reads a short RMRR's addresses before checking its length:
//! dmar-fixtures/findings/xen-rmrr-read-before-length-check).
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The known classes, found by walking the structures as Xen does: a structure header
/// or body past the table's end, or an RMRR shorter than its fixed 24 bytes.
fn known_over_read(t: &[u8]) -> bool {
    let mut at = 48;
    while at < t.len() {
        if at + 4 > t.len() {
            return true;
        }
        let kind = u16::from_le_bytes([t[at], t[at + 1]]);
        let len = usize::from(u16::from_le_bytes([t[at + 2], t[at + 3]]));
        if len < 4 {
            return false; // Xen rejects it (acpi_dmar_check_length) and stops.
        }
        if at + len > t.len() || (kind == 1 && len < 24) {
            return true;
        }
        // Device scopes (DRHD from 16, RMRR from 24, ATSR from 8): one running past
        // its structure makes Xen walk its path past it (acpi_parse_dev_scope()).
        let scopes = match kind {
            0 => Some(16),
            1 => Some(24),
            2 => Some(8),
            _ => None,
        };
        if let Some(first) = scopes {
            let end = at + len;
            let mut s = at + first;
            while s < end {
                if s + 2 > end {
                    return true;
                }
                let sl = usize::from(t[s + 1]);
                if sl < 6 {
                    break; // "Invalid device scope": rejected before any path read.
                }
                if s + sl > end {
                    return true;
                }
                s += sl;
            }
        }
        at += len;
    }
    false
}

fuzz_target!(|table: dmar::broken::BrokenTable| {
    let data = table.bytes();
    if data.len() < 48 {
        return;
    }
    let declared = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
    if declared != data.len() {
        return;
    }
    if known_over_read(&data) {
        return;
    }
    let (ret, log) = xen_harness::ffi::parse_in_process(&data, true, false);
    // The parser's verdict is a return code and lines, never more lines than bytes.
    assert!(ret <= 0, "acpi_dmar_init() returned {ret}");
    assert!(log.len() < 4 * data.len() + 64);
});

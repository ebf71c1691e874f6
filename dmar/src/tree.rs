//! A field-by-field dump in the format of `iasl -d`:
//! `[HexOffset DecimalOffset ByteLength]  FieldName : FieldValue`.
//!
//! Field names and value formats are those of ACPICA's disassembler (Debian's iasl
//! 20200925), so the two dumps can be compared line by line; where we know more than
//! that version (the DRHD Size field, SATC and SIDP, undecodable bytes), we print the
//! VT-d specification's names. Decoded meanings follow a value after ` // `.

use crate::table::{structure_name, Body, DeviceScope, ScopeKind, Scopes, Table, Unparsed};
use crate::text::Printable;
use crate::view::StopReason;
use alloc::format;
use alloc::string::String;
use core::fmt::Write;

/// Render `table` as text.
pub fn render(table: &Table) -> String {
    let mut t = Tree { out: String::new() };
    t.table(table);
    t.out
}

/// The iasl name of a device scope type.
pub fn scope_name(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Endpoint => "PCI Endpoint Device",
        ScopeKind::Bridge => "PCI Bridge Device",
        ScopeKind::IoApic => "IOAPIC Device",
        ScopeKind::Hpet => "Message-capable HPET Device",
        ScopeKind::Namespace => "Namespace Device",
        ScopeKind::Other(_) => "Reserved value",
    }
}

struct Tree {
    out: String,
}

fn until_nul(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or(b)
}

fn hex_list(b: &[u8]) -> String {
    let mut s = String::new();
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x:02X}");
    }
    s
}

fn flag_names(bits: u8, names: &[(u8, &str)]) -> String {
    let mut s = String::new();
    for (bit, name) in names {
        if bits & bit != 0 {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str(name);
        }
    }
    let known: u8 = names.iter().fold(0, |a, (b, _)| a | b);
    if bits & !known != 0 {
        if !s.is_empty() {
            s.push_str(", ");
        }
        let _ = write!(s, "reserved bits {:#04x}", bits & !known);
    }
    s
}

impl Tree {
    fn field(&mut self, offset: usize, len: usize, label: &str, value: &str, note: &str) {
        let _ = write!(
            self.out,
            "[{offset:03X}h {offset:04} {len:3}]{label:>29} : {value}"
        );
        if !note.is_empty() {
            let _ = write!(self.out, " // {note}");
        }
        self.out.push('\n');
    }

    /// A field shown as hex digits, two per byte, as iasl shows integers.
    fn hex(&mut self, offset: usize, len: usize, label: &str, value: u64, note: &str) {
        let value = format!("{value:0width$X}", width = 2 * len);
        self.field(offset, len, label, &value, note);
    }

    /// The layout ATSR and SATC share: a flags byte whose bit 0 is `bit0`, a reserved
    /// byte, a segment.
    fn flags_reserved_segment(
        &mut self,
        at: usize,
        (flags, bit0): (u8, &str),
        reserved: u8,
        segment: u16,
    ) {
        self.hex(
            at,
            1,
            "Flags",
            u64::from(flags),
            &flag_names(flags, &[(1, bit0)]),
        );
        self.hex(at + 1, 1, "Reserved", u64::from(reserved), "");
        self.hex(at + 2, 2, "PCI Segment Number", u64::from(segment), "");
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    fn table(&mut self, t: &Table) {
        let h = &t.header;
        self.out.push_str(
            "// Format: [HexOffset DecimalOffset ByteLength]  FieldName : FieldValue\n\n",
        );
        self.field(
            0,
            4,
            "Signature",
            &format!("\"{}\"    [DMA Remapping table]", Printable(&h.signature.0)),
            if &h.signature.0 == b"RMAD" {
                "renamed by Xen's acpi_dmar_zap(): the table as dom0 sees it"
            } else {
                ""
            },
        );
        self.hex(4, 4, "Table Length", u64::from(h.length), "");
        self.hex(8, 1, "Revision", u64::from(h.revision), "");
        self.hex(9, 1, "Checksum", u64::from(h.checksum), "");
        self.field(
            10,
            6,
            "Oem ID",
            &format!("\"{}\"", Printable(until_nul(&h.oem_id.0))),
            "",
        );
        self.field(
            16,
            8,
            "Oem Table ID",
            &format!("\"{}\"", Printable(until_nul(&h.oem_table_id.0))),
            "",
        );
        self.hex(24, 4, "Oem Revision", u64::from(h.oem_revision), "");
        self.field(
            28,
            4,
            "Asl Compiler ID",
            &format!("\"{}\"", Printable(until_nul(&h.creator_id.0))),
            "",
        );
        self.hex(
            32,
            4,
            "Asl Compiler Revision",
            u64::from(h.creator_revision),
            "",
        );
        self.blank();
        self.hex(
            36,
            1,
            "Host Address Width",
            u64::from(t.host_address_width),
            &format!("{}-bit DMA addresses", u32::from(t.host_address_width) + 1),
        );
        self.hex(
            37,
            1,
            "Flags",
            u64::from(t.flags.bits()),
            &flag_names(
                t.flags.bits(),
                &[
                    (1, "INTR_REMAP"),
                    (2, "X2APIC_OPT_OUT"),
                    (4, "DMA_CTRL_PLATFORM_OPT_IN"),
                ],
            ),
        );
        self.field(38, 10, "Reserved", &hex_list(&t.reserved.0), "");
        self.blank();
        for s in &t.structures {
            self.structure_header(s.offset, s.body.code(), s.length, "");
            self.blank();
            self.body(s.offset + 4, &s.body);
            self.blank();
        }
        if let Some(u) = &t.unparsed {
            self.unparsed(u, true);
        }
        if !t.excess.0.is_empty() {
            let at = t.header.length as usize;
            self.field(
                at,
                t.excess.0.len(),
                "Excess",
                &hex_list(&t.excess.0),
                "bytes past the declared Table Length",
            );
        }
    }

    fn structure_header(&mut self, offset: usize, code: u16, length: u16, note: &str) {
        self.field(
            offset,
            2,
            "Subtable Type",
            &format!("{code:04X} [{}]", structure_name(code)),
            "",
        );
        self.field(offset + 2, 2, "Length", &format!("{length:04X}"), note);
    }

    fn unparsed(&mut self, u: &Unparsed, structure: bool) {
        let b = &u.bytes.0;
        let why = match u.reason {
            StopReason::Truncated { remaining } => {
                format!("{remaining} bytes left, too few for a header: decoding stops")
            }
            StopReason::ZeroLength => String::from("zero length: decoding stops here"),
            StopReason::ShorterThanHeader { length } => {
                format!("length {length} is shorter than the header: decoding stops here")
            }
            StopReason::Overrun { length, available } => format!(
                "length {length} runs past the end ({available} bytes left): decoding stops here"
            ),
        };
        let header_len = if structure { 4 } else { 2 };
        if b.len() >= header_len && !matches!(u.reason, StopReason::Truncated { .. }) {
            let (rest_at, rest) = if structure {
                let code = u16::from_le_bytes([
                    b.first().copied().unwrap_or(0),
                    b.get(1).copied().unwrap_or(0),
                ]);
                let length = u16::from_le_bytes([
                    b.get(2).copied().unwrap_or(0),
                    b.get(3).copied().unwrap_or(0),
                ]);
                self.structure_header(u.offset, code, length, &why);
                (u.offset + 4, b.get(4..).unwrap_or_default())
            } else {
                let kind = ScopeKind::from_code(b.first().copied().unwrap_or(0));
                self.field(
                    u.offset,
                    1,
                    "Device Scope Type",
                    &format!("{:02X} [{}]", kind.code(), scope_name(kind)),
                    "",
                );
                self.hex(
                    u.offset + 1,
                    1,
                    "Entry Length",
                    u64::from(b.get(1).copied().unwrap_or(0)),
                    &why,
                );
                (u.offset + 2, b.get(2..).unwrap_or_default())
            };
            if !rest.is_empty() {
                self.field(rest_at, rest.len(), "Undecoded", &hex_list(rest), "");
            }
        } else {
            self.field(u.offset, b.len(), "Undecoded", &hex_list(b), &why);
        }
        self.blank();
    }

    fn body(&mut self, at: usize, body: &Body) {
        match body {
            Body::Drhd(d) => {
                self.hex(
                    at,
                    1,
                    "Flags",
                    u64::from(d.flags.bits()),
                    &flag_names(d.flags.bits(), &[(1, "INCLUDE_PCI_ALL")]),
                );
                let size_note = if d.size == 0 {
                    String::new()
                } else {
                    format!("register set of 2^{} pages", d.size & 0x0f)
                };
                self.hex(at + 1, 1, "Size", u64::from(d.size), &size_note);
                self.hex(at + 2, 2, "PCI Segment Number", u64::from(d.segment), "");
                self.hex(at + 4, 8, "Register Base Address", d.register_base, "");
                self.scopes(&d.scopes);
            }
            Body::Rmrr(r) => {
                self.hex(at, 2, "Reserved", u64::from(r.reserved), "");
                self.hex(at + 2, 2, "PCI Segment Number", u64::from(r.segment), "");
                self.hex(at + 4, 8, "Base Address", r.base, "");
                let size = match (r.end.checked_sub(r.base), r.end.wrapping_sub(r.base)) {
                    (None, _) => String::from("end below base"),
                    (Some(_), u64::MAX) => String::from("2^64 bytes"),
                    (Some(d), _) => format!("{} bytes", d + 1),
                };
                self.hex(at + 12, 8, "End Address (limit)", r.end, &size);
                self.scopes(&r.scopes);
            }
            Body::Atsr(a) => {
                let flags = (a.flags.bits(), "ALL_PORTS");
                self.flags_reserved_segment(at, flags, a.reserved, a.segment);
                self.scopes(&a.scopes);
            }
            Body::Rhsa(r) => {
                self.hex(at, 4, "Reserved", u64::from(r.reserved), "");
                self.hex(at + 4, 8, "Base Address", r.register_base, "");
                self.hex(
                    at + 12,
                    4,
                    "Proximity Domain",
                    u64::from(r.proximity_domain),
                    "",
                );
                if !r.tail.0.is_empty() {
                    self.field(
                        at + 16,
                        r.tail.0.len(),
                        "Undecoded",
                        &hex_list(&r.tail.0),
                        "",
                    );
                }
            }
            Body::Andd(a) => {
                let mut reserved = String::new();
                for b in a.reserved.0.iter().rev() {
                    let _ = write!(reserved, "{b:02X}");
                }
                self.field(at, 3, "Reserved", &reserved, "");
                self.hex(at + 3, 1, "Device Number", u64::from(a.device_number), "");
                let name = until_nul(&a.name.0);
                let terminated = name.len() < a.name.0.len();
                let shown = name.len() + usize::from(terminated);
                self.field(
                    at + 4,
                    shown,
                    "Device Name",
                    &format!("\"{}\"", Printable(name)),
                    if terminated { "" } else { "not NUL-terminated" },
                );
                if let Some(pad) = a.name.0.get(shown..).filter(|p| !p.is_empty()) {
                    self.field(at + 4 + shown, pad.len(), "Padding", &hex_list(pad), "");
                }
            }
            Body::Satc(s) => {
                let flags = (s.flags.bits(), "ATC_REQUIRED");
                self.flags_reserved_segment(at, flags, s.reserved, s.segment);
                self.scopes(&s.scopes);
            }
            Body::Sidp(s) => {
                self.hex(at, 2, "Reserved", u64::from(s.reserved), "");
                self.hex(at + 2, 2, "PCI Segment Number", u64::from(s.segment), "");
                self.scopes(&s.scopes);
            }
            Body::Raw(r) => {
                let note = if r.code <= crate::layout::kind::SIDP {
                    "too short for this structure type"
                } else {
                    "structure type not defined by VT-d"
                };
                self.field(at, r.bytes.0.len(), "Raw Data", &hex_list(&r.bytes.0), note);
            }
        }
    }

    fn scopes(&mut self, scopes: &Scopes) {
        for s in &scopes.entries {
            self.blank();
            self.scope(s);
        }
        if let Some(u) = &scopes.unparsed {
            self.blank();
            self.unparsed(u, false);
        }
    }

    fn scope(&mut self, s: &DeviceScope) {
        let at = s.offset;
        self.field(
            at,
            1,
            "Device Scope Type",
            &format!("{:02X} [{}]", s.kind.code(), scope_name(s.kind)),
            "",
        );
        self.hex(at + 1, 1, "Entry Length", u64::from(s.length), "");
        let reserved = u16::from_le_bytes([s.flags, s.reserved]);
        let note = if s.flags != 0 {
            format!("flags {:#04x}", s.flags)
        } else {
            String::new()
        };
        self.field(at + 2, 2, "Reserved", &format!("{reserved:04X}"), &note);
        self.hex(at + 4, 1, "Enumeration ID", u64::from(s.enumeration_id), "");
        self.hex(at + 5, 1, "PCI Bus Number", u64::from(s.start_bus), "");
        self.blank();
        for (i, p) in s.path.iter().enumerate() {
            self.field(
                at + 6 + 2 * i,
                2,
                "PCI Path",
                &format!("{:02X},{:02X}", p.device, p.function),
                "",
            );
        }
        if let Some(b) = s.odd_byte {
            self.field(
                at + 6 + 2 * s.path.len(),
                1,
                "Undecoded",
                &format!("{b:02X}"),
                "half a path entry",
            );
        }
    }
}

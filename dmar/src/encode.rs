//! [`Table`] → bytes, and the two repairs a builder needs (lengths and checksum).

use crate::layout::{
    size, AcpiHeader, AnddFixed, AtsrFixed, DmarHeader, DrhdFixed, PathEntryRaw, RhsaFixed,
    RmrrFixed, SatcFixed, ScopeFixed, SidpFixed, StructureHeader,
};
use crate::table::{Body, DeviceScope, Scopes, Structure, Table};
use alloc::vec::Vec;
use zerocopy::IntoBytes;

/// A length that does not fit its field when lengths are recomputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthError {
    /// A device scope longer than 255 bytes.
    Scope {
        /// Index of the structure.
        structure: usize,
        /// Index of the scope within it.
        scope: usize,
        /// The length it would need.
        length: usize,
    },
    /// A structure longer than 65535 bytes.
    Structure {
        /// Index of the structure.
        structure: usize,
        /// The length it would need.
        length: usize,
    },
}

impl core::fmt::Display for LengthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LengthError::Scope {
                structure,
                scope,
                length,
            } => write!(
                f,
                "structure {structure}, scope {scope}: {length} bytes do not fit the 8-bit Entry Length"
            ),
            LengthError::Structure { structure, length } => write!(
                f,
                "structure {structure}: {length} bytes do not fit the 16-bit Length"
            ),
        }
    }
}

/// Copy `bytes` into exactly `n` bytes, zero-padded or cut.
fn fixed<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    out
}

impl DeviceScope {
    /// The number of bytes this scope encodes to.
    pub fn encoded_len(&self) -> usize {
        size::SCOPE_HEADER
            + self.path.len() * size::PATH_ENTRY
            + usize::from(self.odd_byte.is_some())
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        let fixed = ScopeFixed {
            kind: self.kind.code(),
            length: self.length,
            flags: self.flags,
            reserved: self.reserved,
            enumeration_id: self.enumeration_id,
            start_bus: self.start_bus,
        };
        out.extend_from_slice(fixed.as_bytes());
        for p in &self.path {
            out.extend_from_slice(
                PathEntryRaw {
                    device: p.device,
                    function: p.function,
                }
                .as_bytes(),
            );
        }
        out.extend(self.odd_byte);
    }
}

impl Scopes {
    /// The number of bytes the scopes encode to.
    pub fn encoded_len(&self) -> usize {
        self.entries
            .iter()
            .map(DeviceScope::encoded_len)
            .sum::<usize>()
            + self.unparsed.as_ref().map_or(0, |u| u.bytes.0.len())
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        for s in &self.entries {
            s.encode_into(out);
        }
        if let Some(u) = &self.unparsed {
            out.extend_from_slice(&u.bytes.0);
        }
    }
}

impl Body {
    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Body::Drhd(d) => {
                out.extend_from_slice(
                    DrhdFixed {
                        flags: d.flags.bits(),
                        size: d.size,
                        segment: d.segment.into(),
                        register_base: d.register_base.into(),
                    }
                    .as_bytes(),
                );
                d.scopes.encode_into(out);
            }
            Body::Rmrr(r) => {
                out.extend_from_slice(
                    RmrrFixed {
                        reserved: r.reserved.into(),
                        segment: r.segment.into(),
                        base: r.base.into(),
                        end: r.end.into(),
                    }
                    .as_bytes(),
                );
                r.scopes.encode_into(out);
            }
            Body::Atsr(a) => {
                out.extend_from_slice(
                    AtsrFixed {
                        flags: a.flags.bits(),
                        reserved: a.reserved,
                        segment: a.segment.into(),
                    }
                    .as_bytes(),
                );
                a.scopes.encode_into(out);
            }
            Body::Rhsa(r) => {
                out.extend_from_slice(
                    RhsaFixed {
                        reserved: r.reserved.into(),
                        register_base: r.register_base.into(),
                        proximity_domain: r.proximity_domain.into(),
                    }
                    .as_bytes(),
                );
                out.extend_from_slice(&r.tail.0);
            }
            Body::Andd(a) => {
                out.extend_from_slice(
                    AnddFixed {
                        reserved: fixed(&a.reserved.0),
                        device_number: a.device_number,
                    }
                    .as_bytes(),
                );
                out.extend_from_slice(&a.name.0);
            }
            Body::Satc(s) => {
                out.extend_from_slice(
                    SatcFixed {
                        flags: s.flags.bits(),
                        reserved: s.reserved,
                        segment: s.segment.into(),
                    }
                    .as_bytes(),
                );
                s.scopes.encode_into(out);
            }
            Body::Sidp(s) => {
                out.extend_from_slice(
                    SidpFixed {
                        reserved: s.reserved.into(),
                        segment: s.segment.into(),
                    }
                    .as_bytes(),
                );
                s.scopes.encode_into(out);
            }
            Body::Raw(r) => out.extend_from_slice(&r.bytes.0),
        }
    }

    /// The number of bytes the body encodes to (without the structure header).
    pub fn encoded_len(&self) -> usize {
        use core::mem::size_of;
        match self {
            Body::Drhd(d) => size_of::<DrhdFixed>() + d.scopes.encoded_len(),
            Body::Rmrr(r) => size_of::<RmrrFixed>() + r.scopes.encoded_len(),
            Body::Atsr(a) => size_of::<AtsrFixed>() + a.scopes.encoded_len(),
            Body::Rhsa(r) => size_of::<RhsaFixed>() + r.tail.0.len(),
            Body::Andd(a) => size_of::<AnddFixed>() + a.name.0.len(),
            Body::Satc(x) => size_of::<SatcFixed>() + x.scopes.encoded_len(),
            Body::Sidp(x) => size_of::<SidpFixed>() + x.scopes.encoded_len(),
            Body::Raw(r) => r.bytes.0.len(),
        }
    }
}

impl Structure {
    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            StructureHeader {
                kind: self.body.code().into(),
                length: self.length.into(),
            }
            .as_bytes(),
        );
        self.body.encode_into(out);
    }
}

impl Table {
    /// Encode the table exactly as stored: lengths, checksum, reserved and undecoded
    /// bytes are written as they are, so `parse(b)?.encode() == b`. The reserved
    /// header fields are written at their fixed sizes (zero-padded or cut).
    pub fn encode(&self) -> Vec<u8> {
        let h = &self.header;
        // The stored length is untrusted: size the buffer by what is actually written.
        let mut out = Vec::with_capacity(size::TABLE_HEADER + self.content_len());
        out.extend_from_slice(
            AcpiHeader {
                signature: h.signature.0,
                length: h.length.into(),
                revision: h.revision,
                checksum: h.checksum,
                oem_id: h.oem_id.0,
                oem_table_id: h.oem_table_id.0,
                oem_revision: h.oem_revision.into(),
                creator_id: h.creator_id.0,
                creator_revision: h.creator_revision.into(),
            }
            .as_bytes(),
        );
        out.extend_from_slice(
            DmarHeader {
                host_address_width: self.host_address_width,
                flags: self.flags.bits(),
                reserved: fixed(&self.reserved.0),
            }
            .as_bytes(),
        );
        for s in &self.structures {
            s.encode_into(&mut out);
        }
        if let Some(u) = &self.unparsed {
            out.extend_from_slice(&u.bytes.0);
        }
        out.extend_from_slice(&self.excess.0);
        out
    }

    /// Bytes after the table header: structures (by their encoded size), undecoded and
    /// excess bytes.
    fn content_len(&self) -> usize {
        self.structures
            .iter()
            .map(|s| size::STRUCTURE_HEADER + s.body.encoded_len())
            .sum::<usize>()
            + self.unparsed.as_ref().map_or(0, |u| u.bytes.0.len())
            + self.excess.0.len()
    }

    /// Recompute every scope, structure and table length from the contents, and the
    /// offsets. Undecoded and excess bytes count as they are: the header length covers
    /// the undecoded tail but not the excess.
    pub fn fix_lengths(&mut self) -> Result<(), LengthError> {
        let mut offset = size::TABLE_HEADER;
        for (si, s) in self.structures.iter_mut().enumerate() {
            s.offset = offset;
            if let Some(scopes) = s.body.scopes_mut() {
                for (ci, sc) in scopes.entries.iter_mut().enumerate() {
                    let length = sc.encoded_len();
                    sc.length = u8::try_from(length).map_err(|_| LengthError::Scope {
                        structure: si,
                        scope: ci,
                        length,
                    })?;
                }
            }
            let length = size::STRUCTURE_HEADER + s.body.encoded_len();
            s.length = u16::try_from(length).map_err(|_| LengthError::Structure {
                structure: si,
                length,
            })?;
            // Scope offsets follow from the structure's.
            let mut at = offset + size::STRUCTURE_HEADER + fixed_len(&s.body);
            if let Some(scopes) = s.body.scopes_mut() {
                for sc in &mut scopes.entries {
                    sc.offset = at;
                    at += sc.encoded_len();
                }
                if let Some(u) = &mut scopes.unparsed {
                    u.offset = at;
                }
            }
            offset += length;
        }
        if let Some(u) = &mut self.unparsed {
            u.offset = offset;
            offset += u.bytes.0.len();
        }
        self.header.length = u32::try_from(offset).unwrap_or(u32::MAX);
        Ok(())
    }

    /// Set the checksum byte so the declared length sums to zero.
    pub fn fix_checksum(&mut self) {
        self.header.checksum = 0;
        let bytes = self.encode();
        let covered = bytes
            .get(..self.header.length as usize)
            .unwrap_or(bytes.as_slice());
        let sum = covered.iter().fold(0u8, |a, b| a.wrapping_add(*b));
        self.header.checksum = 0u8.wrapping_sub(sum);
    }

    /// [`fix_lengths`](Self::fix_lengths) then [`fix_checksum`](Self::fix_checksum).
    pub fn finish(&mut self) -> Result<(), LengthError> {
        self.fix_lengths()?;
        self.fix_checksum();
        Ok(())
    }
}

/// Size of the fixed fields after the structure header, for types with scopes.
fn fixed_len(body: &Body) -> usize {
    use core::mem::size_of;
    match body {
        Body::Drhd(_) => size_of::<DrhdFixed>(),
        Body::Rmrr(_) => size_of::<RmrrFixed>(),
        Body::Atsr(_) => size_of::<AtsrFixed>(),
        Body::Satc(_) => size_of::<SatcFixed>(),
        Body::Sidp(_) => size_of::<SidpFixed>(),
        Body::Rhsa(_) | Body::Andd(_) | Body::Raw(_) => 0,
    }
}

/// Whether the bytes sum to zero modulo 256 over `len` bytes (or all, if shorter).
pub fn checksum_ok(bytes: &[u8], len: usize) -> bool {
    bytes
        .get(..len)
        .unwrap_or(bytes)
        .iter()
        .fold(0u8, |a, b| a.wrapping_add(*b))
        == 0
}

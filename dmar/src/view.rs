//! Zero-copy walk over DMAR bytes.
//!
//! [`DmarView`] borrows the input and hands out typed views of each remapping
//! structure and device scope. The walk never panics and never loops: each step
//! advances by a length that is at least the size of the header it just read, and it
//! stops — recording where and why in [`Stop`] — at the first length that is zero,
//! shorter than its header, or past the end of the enclosing region. Production parsers
//! differ in what they do at that point (Linux 6.1 breaks out of one walk and spins
//! forever in another, Xen 4.17 rejects the table); the checks in [`crate::check`]
//! name those consequences. Our decoder stops, because after a bad length there is no
//! way to know where the next structure begins.

use crate::layout::{
    kind, size, AcpiHeader, AnddFixed, AtsrFixed, DmarHeader, DrhdFixed, PathEntryRaw, RhsaFixed,
    RmrrFixed, SatcFixed, ScopeFixed, SidpFixed, StructureHeader,
};
use zerocopy::FromBytes;

/// Why the input cannot be viewed as a DMAR table at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewError {
    /// Fewer bytes than the 48-byte ACPI + DMAR header.
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// The signature is neither `DMAR` nor Xen's zapped `RMAD`.
    Signature {
        /// The four bytes found at offset 0.
        found: [u8; 4],
    },
}

impl core::fmt::Display for ViewError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ViewError::TooShort { len } => write!(
                f,
                "offset 0: {len} bytes cannot hold the {}-byte ACPI + DMAR header",
                size::TABLE_HEADER
            ),
            ViewError::Signature { found } => write!(
                f,
                "offset 0, field Signature: {:?} is not a DMAR table (expected \"DMAR\")",
                crate::text::Ascii(found)
            ),
        }
    }
}

/// Where and why a walk over structures or device scopes stopped before the end of its
/// region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "kind"))]
pub enum StopReason {
    /// Fewer bytes remain than a header needs.
    Truncated {
        /// Bytes left in the region.
        remaining: usize,
    },
    /// The length field is zero: the walk cannot advance.
    ZeroLength,
    /// The length field is non-zero but smaller than the header it is part of.
    ShorterThanHeader {
        /// The length field's value.
        length: usize,
    },
    /// The length field reaches past the end of the enclosing region.
    Overrun {
        /// The length field's value.
        length: usize,
        /// Bytes actually left in the region.
        available: usize,
    },
}

/// A stopped walk: the offset (from the start of the table) of the entry whose header
/// could not be trusted, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    /// Absolute byte offset of the offending entry.
    pub offset: usize,
    /// What was wrong with it.
    pub reason: StopReason,
}

/// A borrowed DMAR table.
#[derive(Debug, Clone, Copy)]
pub struct DmarView<'a> {
    bytes: &'a [u8],
    header: &'a AcpiHeader,
    dmar: &'a DmarHeader,
}

impl<'a> DmarView<'a> {
    /// View `bytes` as a DMAR table. Only a missing header or a foreign signature is an
    /// error; every other defect is left for the walk and the checks to report.
    pub fn new(bytes: &'a [u8]) -> Result<Self, ViewError> {
        let too_short = ViewError::TooShort { len: bytes.len() };
        let (header, rest) = AcpiHeader::ref_from_prefix(bytes).map_err(|_| too_short)?;
        let (dmar, _) = DmarHeader::ref_from_prefix(rest).map_err(|_| too_short)?;
        if &header.signature != b"DMAR" && &header.signature != b"RMAD" {
            return Err(ViewError::Signature {
                found: header.signature,
            });
        }
        Ok(Self {
            bytes,
            header,
            dmar,
        })
    }

    /// All input bytes, including any past the declared length.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The ACPI header.
    pub fn header(&self) -> &'a AcpiHeader {
        self.header
    }

    /// The DMAR fields after the ACPI header.
    pub fn dmar_header(&self) -> &'a DmarHeader {
        self.dmar
    }

    /// The length the header declares.
    pub fn declared_length(&self) -> usize {
        self.header.length.get() as usize
    }

    /// End of the region the structures are walked in: the declared length, clipped to
    /// the input and never before the end of the table header.
    pub fn region_end(&self) -> usize {
        self.declared_length()
            .max(size::TABLE_HEADER)
            .min(self.bytes.len())
    }

    /// Input bytes past the declared length (a dump that kept trailing garbage).
    pub fn excess(&self) -> &'a [u8] {
        self.bytes.get(self.region_end()..).unwrap_or_default()
    }

    /// Walk the remapping structures.
    pub fn structures(&self) -> Structures<'a> {
        Structures {
            walk: Walk::new(self.bytes, size::TABLE_HEADER, self.region_end()),
        }
    }
}

/// The shared walking logic for structures (4-byte header, 16-bit length) and device
/// scopes (6-byte header, 8-bit length at offset 1).
#[derive(Debug, Clone)]
struct Walk<'a> {
    bytes: &'a [u8],
    offset: usize,
    end: usize,
    stop: Option<Stop>,
}

impl<'a> Walk<'a> {
    fn new(bytes: &'a [u8], offset: usize, end: usize) -> Self {
        Self {
            bytes,
            offset,
            end,
            stop: None,
        }
    }

    /// Take the next entry of `length` bytes (read by `read_len` from the remaining
    /// bytes) whose header is `header` bytes long.
    fn next_entry(
        &mut self,
        header: usize,
        read_len: impl Fn(&[u8]) -> Option<usize>,
    ) -> Option<(usize, &'a [u8])> {
        if self.stop.is_some() || self.offset >= self.end {
            return None;
        }
        let rest = self.bytes.get(self.offset..self.end)?;
        let reason = match read_len(rest) {
            None => StopReason::Truncated {
                remaining: rest.len(),
            },
            Some(0) => StopReason::ZeroLength,
            Some(length) if length < header => StopReason::ShorterThanHeader { length },
            Some(length) if length > rest.len() => StopReason::Overrun {
                length,
                available: rest.len(),
            },
            Some(length) => {
                let at = self.offset;
                self.offset += length;
                return rest.get(..length).map(|entry| (at, entry));
            }
        };
        self.stop = Some(Stop {
            offset: self.offset,
            reason,
        });
        None
    }
}

/// Iterator over the remapping structures of a table.
#[derive(Debug, Clone)]
pub struct Structures<'a> {
    walk: Walk<'a>,
}

impl<'a> Structures<'a> {
    /// Why the walk ended early, once the iterator is exhausted; `None` when it reached
    /// the end of the table exactly.
    pub fn stop(&self) -> Option<Stop> {
        self.walk.stop
    }

    /// Offset of the next structure (after exhaustion: where the walk stopped).
    pub fn offset(&self) -> usize {
        self.walk.offset
    }
}

impl<'a> Iterator for Structures<'a> {
    type Item = StructureView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (offset, bytes) = self.walk.next_entry(size::STRUCTURE_HEADER, |rest| {
            StructureHeader::ref_from_prefix(rest)
                .ok()
                .map(|(h, _)| usize::from(h.length.get()))
        })?;
        let (header, _) = StructureHeader::ref_from_prefix(bytes).ok()?;
        Some(StructureView {
            offset,
            kind: header.kind.get(),
            bytes,
        })
    }
}

/// One remapping structure, with its header.
#[derive(Debug, Clone, Copy)]
pub struct StructureView<'a> {
    /// Absolute offset in the table.
    pub offset: usize,
    /// Structure type code.
    pub kind: u16,
    /// All `length` bytes of the structure, header included.
    pub bytes: &'a [u8],
}

/// A typed view of a structure's body.
#[derive(Debug, Clone, Copy)]
pub enum BodyView<'a> {
    /// Type 0.
    Drhd(&'a DrhdFixed, ScopesView<'a>),
    /// Type 1.
    Rmrr(&'a RmrrFixed, ScopesView<'a>),
    /// Type 2.
    Atsr(&'a AtsrFixed, ScopesView<'a>),
    /// Type 3, and any bytes past its 20-byte layout.
    Rhsa(&'a RhsaFixed, &'a [u8]),
    /// Type 4, and the bytes of the namespace path.
    Andd(&'a AnddFixed, &'a [u8]),
    /// Type 5.
    Satc(&'a SatcFixed, ScopesView<'a>),
    /// Type 6.
    Sidp(&'a SidpFixed, ScopesView<'a>),
    /// A type this codec does not know, or a known type whose length is smaller than
    /// its fixed fields: the bytes after the structure header.
    Raw(&'a [u8]),
}

impl<'a> StructureView<'a> {
    /// The structure's length field.
    pub fn length(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the type is one VT-d defines but the length cannot hold its fields.
    pub fn is_short_known_type(&self) -> bool {
        matches!(self.body(), BodyView::Raw(_)) && self.kind <= kind::SIDP
    }

    /// Decode the body by type.
    pub fn body(&self) -> BodyView<'a> {
        let body = self.bytes.get(size::STRUCTURE_HEADER..).unwrap_or_default();
        let scoped = |fixed_len: usize| ScopesView {
            offset: self.offset + size::STRUCTURE_HEADER + fixed_len,
            bytes: body.get(fixed_len..).unwrap_or_default(),
        };
        fn fixed<T: FromBytes + zerocopy::KnownLayout + zerocopy::Immutable>(
            body: &[u8],
        ) -> Option<(&T, &[u8])> {
            T::ref_from_prefix(body).ok()
        }
        let typed = match self.kind {
            kind::DRHD => fixed::<DrhdFixed>(body)
                .map(|(f, _)| BodyView::Drhd(f, scoped(core::mem::size_of::<DrhdFixed>()))),
            kind::RMRR => fixed::<RmrrFixed>(body)
                .map(|(f, _)| BodyView::Rmrr(f, scoped(core::mem::size_of::<RmrrFixed>()))),
            kind::ATSR => fixed::<AtsrFixed>(body)
                .map(|(f, _)| BodyView::Atsr(f, scoped(core::mem::size_of::<AtsrFixed>()))),
            kind::RHSA => fixed::<RhsaFixed>(body).map(|(f, rest)| BodyView::Rhsa(f, rest)),
            kind::ANDD => fixed::<AnddFixed>(body).map(|(f, rest)| BodyView::Andd(f, rest)),
            kind::SATC => fixed::<SatcFixed>(body)
                .map(|(f, _)| BodyView::Satc(f, scoped(core::mem::size_of::<SatcFixed>()))),
            kind::SIDP => fixed::<SidpFixed>(body)
                .map(|(f, _)| BodyView::Sidp(f, scoped(core::mem::size_of::<SidpFixed>()))),
            _ => None,
        };
        typed.unwrap_or(BodyView::Raw(body))
    }

    /// The device scopes, for the structure types that have them.
    pub fn scopes(&self) -> Option<ScopesView<'a>> {
        match self.body() {
            BodyView::Drhd(_, s)
            | BodyView::Rmrr(_, s)
            | BodyView::Atsr(_, s)
            | BodyView::Satc(_, s)
            | BodyView::Sidp(_, s) => Some(s),
            _ => None,
        }
    }
}

/// The device-scope area of a structure.
#[derive(Debug, Clone, Copy)]
pub struct ScopesView<'a> {
    /// Absolute offset of the first scope.
    pub offset: usize,
    /// The bytes from the first scope to the end of the structure.
    pub bytes: &'a [u8],
}

impl<'a> ScopesView<'a> {
    /// Walk the scopes.
    pub fn iter(&self) -> Scopes<'a> {
        Scopes {
            base: self.offset,
            walk: Walk::new(self.bytes, 0, self.bytes.len()),
        }
    }
}

impl<'a> IntoIterator for ScopesView<'a> {
    type Item = ScopeView<'a>;
    type IntoIter = Scopes<'a>;
    fn into_iter(self) -> Scopes<'a> {
        self.iter()
    }
}

/// Iterator over the device scopes of one structure.
#[derive(Debug, Clone)]
pub struct Scopes<'a> {
    base: usize,
    walk: Walk<'a>,
}

impl<'a> Scopes<'a> {
    /// Why the walk ended early (absolute offset), once the iterator is exhausted.
    pub fn stop(&self) -> Option<Stop> {
        self.walk.stop.map(|s| Stop {
            offset: self.base + s.offset,
            reason: s.reason,
        })
    }
}

impl<'a> Iterator for Scopes<'a> {
    type Item = ScopeView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (at, bytes) = self.walk.next_entry(size::SCOPE_HEADER, |rest| {
            rest.get(1).map(|&l| usize::from(l))
        })?;
        let (fixed, path_bytes) = ScopeFixed::ref_from_prefix(bytes).ok()?;
        let even = path_bytes.len() & !1;
        let path = <[PathEntryRaw]>::ref_from_bytes(path_bytes.get(..even)?).ok()?;
        Some(ScopeView {
            offset: self.base + at,
            fixed,
            path,
            odd_byte: path_bytes.get(even).copied(),
        })
    }
}

/// One device scope.
#[derive(Debug, Clone, Copy)]
pub struct ScopeView<'a> {
    /// Absolute offset in the table.
    pub offset: usize,
    /// The fixed fields.
    pub fixed: &'a ScopeFixed,
    /// The path hops.
    pub path: &'a [PathEntryRaw],
    /// A final byte that does not make a whole hop (length − 6 is odd).
    pub odd_byte: Option<u8>,
}

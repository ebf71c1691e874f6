//! Bytes → [`Table`], through the zero-copy walk.

use crate::table::{
    Andd, Atsr, AtsrFlags, Body, DeviceScope, DmarFlags, Drhd, DrhdFlags, Header, PathEntry,
    RawStructure, Rhsa, Rmrr, Satc, SatcFlags, ScopeKind, Scopes, Sidp, Structure, Table, Unparsed,
};
use crate::text::{Bytes, Id};
use crate::view::{BodyView, DmarView, ScopesView, Stop, StructureView, ViewError};

/// Decode a DMAR table. Fails only when the input is shorter than the 48-byte header
/// or carries a foreign signature; every other defect is decoded as found and left for
/// [`crate::check`] to report.
pub fn parse(bytes: &[u8]) -> Result<Table, ViewError> {
    DmarView::new(bytes).map(|view| Table::from_view(&view))
}

fn unparsed(all: &[u8], stop: Option<Stop>, end: usize) -> Option<Unparsed> {
    stop.map(|stop| Unparsed {
        offset: stop.offset,
        reason: stop.reason,
        bytes: all.get(stop.offset..end).unwrap_or_default().into(),
    })
}

impl Table {
    /// Build the owned table from a view.
    pub fn from_view(view: &DmarView<'_>) -> Self {
        let h = view.header();
        let d = view.dmar_header();
        let mut walk = view.structures();
        let structures = walk
            .by_ref()
            .map(|s| Structure::from_view(view, &s))
            .collect();
        Table {
            header: Header {
                signature: Id(h.signature),
                length: h.length.get(),
                revision: h.revision,
                checksum: h.checksum,
                oem_id: Id(h.oem_id),
                oem_table_id: Id(h.oem_table_id),
                oem_revision: h.oem_revision.get(),
                creator_id: Id(h.creator_id),
                creator_revision: h.creator_revision.get(),
            },
            host_address_width: d.host_address_width,
            flags: DmarFlags::from_bits_retain(d.flags),
            reserved: Bytes(d.reserved.to_vec()),
            structures,
            unparsed: unparsed(view.bytes(), walk.stop(), view.region_end()),
            excess: view.excess().into(),
        }
    }
}

impl Structure {
    fn from_view(table: &DmarView<'_>, s: &StructureView<'_>) -> Self {
        let scopes = |v: ScopesView<'_>| Scopes::from_view(table.bytes(), v);
        let body = match s.body() {
            BodyView::Drhd(f, sc) => Body::Drhd(Drhd {
                flags: DrhdFlags::from_bits_retain(f.flags),
                size: f.size,
                segment: f.segment.get(),
                register_base: f.register_base.get(),
                scopes: scopes(sc),
            }),
            BodyView::Rmrr(f, sc) => Body::Rmrr(Rmrr {
                reserved: f.reserved.get(),
                segment: f.segment.get(),
                base: f.base.get(),
                end: f.end.get(),
                scopes: scopes(sc),
            }),
            BodyView::Atsr(f, sc) => Body::Atsr(Atsr {
                flags: AtsrFlags::from_bits_retain(f.flags),
                reserved: f.reserved,
                segment: f.segment.get(),
                scopes: scopes(sc),
            }),
            BodyView::Rhsa(f, tail) => Body::Rhsa(Rhsa {
                reserved: f.reserved.get(),
                register_base: f.register_base.get(),
                proximity_domain: f.proximity_domain.get(),
                tail: tail.into(),
            }),
            BodyView::Andd(f, name) => Body::Andd(Andd {
                reserved: Bytes(f.reserved.to_vec()),
                device_number: f.device_number,
                name: name.into(),
            }),
            BodyView::Satc(f, sc) => Body::Satc(Satc {
                flags: SatcFlags::from_bits_retain(f.flags),
                reserved: f.reserved,
                segment: f.segment.get(),
                scopes: scopes(sc),
            }),
            BodyView::Sidp(f, sc) => Body::Sidp(Sidp {
                reserved: f.reserved.get(),
                segment: f.segment.get(),
                scopes: scopes(sc),
            }),
            BodyView::Raw(bytes) => Body::Raw(RawStructure {
                code: s.kind,
                bytes: bytes.into(),
            }),
        };
        Structure {
            offset: s.offset,
            // The walk only yields structures whose length fits in the 16-bit field.
            length: u16::try_from(s.length()).unwrap_or(u16::MAX),
            body,
        }
    }
}

impl Scopes {
    pub(crate) fn from_view(all: &[u8], v: ScopesView<'_>) -> Self {
        let mut walk = v.iter();
        let entries = walk
            .by_ref()
            .map(|s| DeviceScope {
                offset: s.offset,
                kind: ScopeKind::from_code(s.fixed.kind),
                length: s.fixed.length,
                flags: s.fixed.flags,
                reserved: s.fixed.reserved,
                enumeration_id: s.fixed.enumeration_id,
                start_bus: s.fixed.start_bus,
                path: s
                    .path
                    .iter()
                    .map(|p| PathEntry {
                        device: p.device,
                        function: p.function,
                    })
                    .collect(),
                odd_byte: s.odd_byte,
            })
            .collect();
        Scopes {
            entries,
            unparsed: unparsed(all, walk.stop(), v.offset + v.bytes.len()),
        }
    }
}

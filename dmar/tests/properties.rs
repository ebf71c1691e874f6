//! Invariants of the codec on arbitrary input and on arbitrary well-formed tables.

use dmar::{Andd, Atsr, Body, DeviceScope, Drhd, Rhsa, Rmrr, ScopeKind, Table};
use proptest::prelude::*;

/// A DMAR-looking prefix followed by arbitrary bytes, so the walk gets exercised.
fn dmar_like() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..400),
        any::<bool>(),
    )
        .prop_map(|(haw, body, honest_length)| {
            let mut b = b"DMAR".to_vec();
            let len = if honest_length {
                48 + body.len()
            } else {
                usize::from(haw) * 3
            };
            b.extend_from_slice(&(len as u32).to_le_bytes());
            b.extend_from_slice(&[1, 0]);
            b.extend_from_slice(b"VTDOEMVTDTABLE\0\0");
            b.extend_from_slice(&[0; 12]);
            b.push(haw);
            b.extend_from_slice(&[1; 11]);
            b.extend_from_slice(&body);
            b
        })
}

fn scope() -> impl Strategy<Value = DeviceScope> {
    (
        prop_oneof![
            Just(ScopeKind::Endpoint),
            Just(ScopeKind::Bridge),
            Just(ScopeKind::IoApic),
            Just(ScopeKind::Hpet),
            Just(ScopeKind::Namespace),
            any::<u8>().prop_map(ScopeKind::from_code),
        ],
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec((0u8..32, 0u8..8), 0..4),
    )
        .prop_map(|(kind, id, bus, path)| DeviceScope::new(kind, id, bus, &path))
}

fn body() -> impl Strategy<Value = Body> {
    let scopes = || prop::collection::vec(scope(), 0..5);
    prop_oneof![
        (any::<u16>(), any::<u64>(), any::<bool>(), scopes()).prop_map(|(seg, base, all, s)| {
            let mut d = Drhd::new(seg, base);
            if all {
                d = d.include_all();
            }
            d.scopes.entries = s;
            d.into()
        }),
        (any::<u64>(), any::<u64>(), scopes()).prop_map(|(b, e, s)| {
            let mut r = Rmrr::new(b, e);
            r.scopes.entries = s;
            r.into()
        }),
        (any::<u16>(), any::<bool>(), scopes()).prop_map(|(seg, all, s)| {
            let mut a = Atsr::new(seg, all);
            a.scopes.entries = s;
            a.into()
        }),
        (any::<u64>(), any::<u32>()).prop_map(|(b, p)| Rhsa::new(b, p).into()),
        (any::<u8>(), "[A-Z_.\\\\]{0,20}").prop_map(|(n, name)| Andd::new(n, &name).into()),
        (7u16..100, prop::collection::vec(any::<u8>(), 0..16)).prop_map(|(code, bytes)| {
            Body::Raw(dmar::RawStructure {
                code,
                bytes: dmar::text::Bytes(bytes),
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_parse_without_panic_and_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(t) = dmar::parse(&bytes) {
            prop_assert_eq!(t.encode(), bytes);
        }
    }

    #[test]
    fn dmar_like_bytes_round_trip_and_check_stays_in_bounds(bytes in dmar_like()) {
        let t = dmar::parse(&bytes).expect("has a DMAR header");
        prop_assert_eq!(t.encode(), &bytes[..]);
        let _ = dmar::tree::render(&t);
        let report = dmar::check(&bytes, None);
        for d in &report.diagnostics {
            prop_assert!(d.range.start <= d.range.end && d.range.end <= bytes.len(),
                "{} range {:?} outside {} bytes", d.id(), d.range, bytes.len());
        }
        prop_assert_eq!(report, dmar::check(&bytes, None));
    }

    #[test]
    fn built_tables_decode_to_themselves(bodies in prop::collection::vec(body(), 0..8), haw in any::<u8>()) {
        let mut t = Table::new("OEMID", "TABLEID");
        t.host_address_width = haw;
        for b in bodies {
            t = t.with(b);
        }
        t.finish().expect("lengths fit");
        let bytes = t.encode();
        prop_assert!(dmar::checksum_ok(&bytes, bytes.len()));
        prop_assert_eq!(bytes.len(), t.header.length as usize);
        let back = dmar::parse(&bytes).unwrap();
        prop_assert_eq!(&back, &t);
        prop_assert!(back.unparsed.is_none());
        let report = dmar::check(&bytes, None);
        for id in ["zero-length-structure", "structure-overrun", "checksum", "trailing-bytes", "zero-length-scope", "scope-overrun"] {
            prop_assert!(!report.ids().contains(&id), "{} on a built table", id);
        }
    }
}

#[test]
fn json_round_trip_keeps_unknown_flag_bits_and_odd_ids() {
    let mut t = Table::new("hex:ab", "TABLE");
    t.header.oem_id = dmar::text::Id([0, 1, 2, b'A', 0xff, b' ']);
    t.flags = dmar::DmarFlags::from_bits_retain(0xf3);
    t = t.with(Drhd::new(0, 0xfed9_0000).scope(DeviceScope::ioapic(2, 0xf0, &[(0x1f, 0)])));
    t.finish().unwrap();
    let json = serde_json::to_string(&t).unwrap();
    let back: Table = serde_json::from_str(&json).unwrap();
    assert_eq!(back.encode(), t.encode(), "{json}");
}

/// Found by `dmar_parse` in its first minutes: the RMRR size note overflowed for the
/// whole address space.
#[test]
fn rmrr_spanning_the_whole_address_space_renders() {
    let mut t = Table::new("OEM", "TABLE").with(Rmrr::new(0, u64::MAX));
    t.finish().unwrap();
    assert!(dmar::tree::render(&t).contains("2^64 bytes"));
}

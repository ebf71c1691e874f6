//! Broken-table invariants, seeded with every fixture and a sample of the corpus and
//! mutated the ways firmware breaks tables: lengths zeroed or wrong, bytes flipped,
//! tables cut short. Whatever the input: decoding round-trips, check ranges stay in
//! bounds, and repair yields a table that walks cleanly and has no structural defect.

use proptest::prelude::*;

const STRUCTURAL: &[&str] = &[
    "zero-length-structure",
    "zero-length-before-drhd",
    "structure-shorter-than-header",
    "structure-overrun",
    "trailing-bytes",
    "structure-too-short",
    "zero-length-scope",
    "scope-shorter-than-header",
    "scope-overrun",
    "scope-trailing-bytes",
    "scope-empty-path",
    "scope-odd-length",
    "rmrr-end-before-base",
    "rmrr-overlap",
    "checksum",
    "length-beyond-input",
    "length-below-header",
    "excess-bytes",
    "andd-name-unterminated",
];

fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(load_seeds)
}

fn load_seeds() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = dmar_fixtures::all()
        .unwrap()
        .into_iter()
        .filter_map(|f| f.table)
        .collect();
    if let Some(dir) = dmar_fixtures::corpus::locate() {
        let corpus = dmar_fixtures::corpus::load(&dir).unwrap();
        v.extend(corpus.into_iter().step_by(20).map(|e| e.bytes));
    }
    v
}

#[derive(Debug, Clone)]
enum Mutation {
    SetU16 { at: usize, value: u16 },
    SetByte { at: usize, value: u8 },
    Truncate { keep: usize },
    ZeroLengthAt { nth: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (
            any::<usize>(),
            prop_oneof![Just(0u16), Just(1), Just(7), any::<u16>()]
        )
            .prop_map(|(at, value)| Mutation::SetU16 { at, value }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        any::<usize>().prop_map(|nth| Mutation::ZeroLengthAt { nth }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match *m {
        Mutation::SetU16 { at, value } => {
            let at = at % n;
            for (i, b) in value.to_le_bytes().into_iter().enumerate() {
                if let Some(x) = bytes.get_mut(at + i) {
                    *x = b;
                }
            }
        }
        Mutation::SetByte { at, value } => {
            if let Some(x) = bytes.get_mut(at % n) {
                *x = value;
            }
        }
        Mutation::Truncate { keep } => bytes.truncate(keep % (n + 1)),
        Mutation::ZeroLengthAt { nth } => {
            // Zero the length of the nth structure, as the X7SB4 BIOS did.
            let Ok(view) = dmar::DmarView::new(bytes) else {
                return;
            };
            let offsets: Vec<usize> = view.structures().map(|s| s.offset).collect();
            if let Some(&o) = offsets.get(nth % offsets.len().max(1)) {
                bytes[o + 2] = 0;
                bytes[o + 3] = 0;
            }
        }
    }
}

fn walks_cleanly(t: &dmar::Table) -> bool {
    t.unparsed.is_none()
        && t.structures
            .iter()
            .all(|s| s.body.scopes().is_none_or(|sc| sc.unparsed.is_none()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn broken_tables_decode_check_and_repair(
        seed in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let seeds = seeds();
        let mut bytes = seed.get(seeds).clone();
        for m in &muts {
            apply(&mut bytes, m);
        }
        if let Ok(t) = dmar::parse(&bytes) {
            prop_assert_eq!(t.encode(), &bytes[..]);
            let _ = dmar::tree::render(&t);
        }
        let report = dmar::check(&bytes, None);
        for d in &report.diagnostics {
            prop_assert!(d.range.end <= bytes.len().max(48), "{} {:?}", d.id(), d.range);
        }
        if let Ok(r) = dmar::repair::repair(&bytes, None) {
            let fixed = r.table.encode();
            let back = dmar::parse(&fixed).expect("repaired tables decode");
            prop_assert!(walks_cleanly(&back), "repair left undecodable bytes");
            let after = dmar::check(&fixed, None);
            for id in after.ids() {
                prop_assert!(!STRUCTURAL.contains(&id), "{} survives repair ({:?})", id, muts);
            }
            // A second repair finds nothing left to change but the revision and checksum.
            let again = dmar::repair::repair(&fixed, None).unwrap();
            prop_assert!(again.changes.iter().all(|c| c.rule.is_none()), "{:?}", again.changes);
        }
    }
}

#[test]
fn every_fixture_repairs_to_a_clean_walk() {
    for f in dmar_fixtures::all().unwrap() {
        let Some(bytes) = &f.table else { continue };
        let platform = &f.meta.machine as &dyn dmar::Platform;
        let r = dmar::repair::repair(bytes, Some(platform)).unwrap();
        let fixed = r.table.encode();
        let after = dmar::check(&fixed, Some(platform));
        for id in after.ids() {
            assert!(
                !STRUCTURAL.contains(&id),
                "{}: {id} survives repair",
                f.name
            );
        }
        assert!(
            !after.ids().contains(&"scope-type-mismatch")
                && !after.ids().contains(&"scope-device-absent"),
            "{}: scope defects survive repair with the machine",
            f.name
        );
    }
}

//! Every fixture: its table decodes, round-trips and reports exactly the diagnostics its
//! `fixture.toml` expects; `decode` and `check` output is snapshotted next to it.

use std::path::Path;

fn snapshot_settings(name: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(name)
            .join("snapshots"),
    );
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

#[test]
fn every_fixture_reports_what_it_expects() {
    let fixtures = dmar_fixtures::all().expect("fixtures load");
    assert!(fixtures.len() >= 15, "only {} fixtures", fixtures.len());
    let mut failures = Vec::new();
    for f in &fixtures {
        let report = match &f.table {
            Some(bytes) => {
                let table = dmar::parse(bytes);
                if let Ok(t) = &table {
                    assert_eq!(&t.encode(), bytes, "{}: round trip", f.name);
                }
                let decoded = match &table {
                    Ok(t) => dmar::tree::render(t),
                    Err(e) => format!("not decodable: {e}\n"),
                };
                snapshot_settings(f.name).bind(|| insta::assert_snapshot!("decode", decoded));
                f.check().unwrap()
            }
            None => dmar::check::no_table(),
        };
        snapshot_settings(f.name).bind(|| insta::assert_snapshot!("check", report.render()));
        let mut found: Vec<&str> = report.ids();
        found.sort_unstable();
        let mut expected: Vec<&str> = f.meta.expected.iter().map(String::as_str).collect();
        expected.sort_unstable();
        if found != expected {
            failures.push(format!(
                "{}: expected {expected:?}, found {found:?}",
                f.name
            ));
        }
        for id in &f.meta.expected {
            assert!(
                dmar::check::rules::by_id(id).is_some(),
                "{}: unknown rule {id}",
                f.name
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_seed_bug_class_has_a_fixture() {
    let fixtures = dmar_fixtures::all().unwrap();
    for class in [
        "control",
        "zero-length-structure",
        "wrong-rmrr-range",
        "rmrr-outside-reserved",
        "rmrr-end-before-base",
        "drhd-base-zero",
        "drhd-base-all-ones",
        "no-drhd",
        "no-table",
        "missing-ioapic-scope",
        "scope-absent-device",
        "bridge-scoped-devices",
        "corpus-anomaly",
    ] {
        assert!(
            fixtures.iter().any(|f| f.meta.bug_class == class),
            "no fixture of class {class}"
        );
    }
}

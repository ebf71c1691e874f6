//! Every real table of the shared corpus: decodes without panic, re-encodes byte for
//! byte (directly and through JSON), renders, and checks; the per-rule counts are
//! snapshotted so a change in what the linter finds on real firmware is reviewed.

use dmar_fixtures::corpus;
use std::collections::BTreeMap;

#[test]
fn corpus_round_trips_and_checks() {
    let Some(dir) = corpus::require("corpus_round_trips_and_checks") else {
        return;
    };
    let entries = corpus::load(&dir).expect("read the corpus");
    assert!(entries.len() >= 440, "only {} corpus tables", entries.len());
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut tables_with: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut bytes, mut structures, mut with_errors) = (0usize, 0usize, 0usize);
    for e in &entries {
        let table = dmar::parse(&e.bytes).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        assert_eq!(table.encode(), e.bytes, "{}: re-encoding differs", e.file);
        let json = serde_json::to_string(&table).unwrap();
        let back: dmar::Table = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.encode(),
            e.bytes,
            "{}: JSON round trip differs",
            e.file
        );
        assert!(
            table.unparsed.is_none(),
            "{}: real table with undecodable bytes",
            e.file
        );
        let tree = dmar::tree::render(&table);
        assert!(tree.contains("Subtable Type"), "{}", e.file);
        let report = dmar::check(&e.bytes, None);
        // What the collector recorded must agree with what we find.
        if let Some(ok) = e.checksum_ok {
            assert_eq!(
                !report.ids().contains(&"checksum"),
                ok,
                "{}: checksum_ok",
                e.file
            );
        }
        if let Some(len) = e.length {
            assert_eq!(len, e.bytes.len(), "{}: length column", e.file);
        }
        if report.has_errors() {
            with_errors += 1;
        }
        for id in report.ids() {
            *tables_with.entry(id).or_default() += 1;
        }
        for d in &report.diagnostics {
            *counts.entry(d.id()).or_default() += 1;
        }
        if !e.notes.is_empty() {
            println!(
                "{} ({}): noted {:?}; found {:?}",
                e.file,
                e.source,
                e.notes,
                report.ids()
            );
        }
        bytes += e.bytes.len();
        structures += table.structures.len();
    }
    let mut summary = format!(
        "{} tables, {} bytes, {} structures; {} with errors\nrule: findings (tables)\n",
        entries.len(),
        bytes,
        structures,
        with_errors
    );
    for (id, n) in &counts {
        summary.push_str(&format!("{id}: {n} ({})\n", tables_with[id]));
    }
    println!("{summary}");
    insta::assert_snapshot!("corpus_findings", summary);
}

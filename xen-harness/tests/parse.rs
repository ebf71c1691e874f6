//! Xen 4.17's own `dmar.c`, run in userspace, against the real Xen booted under QEMU:
//! every fixture's recorded Xen boot and the corpus sweep's Xen parse verdicts. The
//! harness answers hardware accesses as QEMU's machine does, so the parse verdicts and
//! the parser's lines must match. Skipped with a printed reason when the Xen source
//! could not be fetched at build time, unless VTD_REQUIRE_XEN=1 (CI), which fails.
// Compared with recordings of Debian's release build: not for the debug-build feature.
#![cfg(not(feature = "debug-build"))]

mod common;
use common::{bin, production_rejected, ready, root};

use vtd_conformance::oracle::{record, verdict, Lane};

#[test]
fn xens_parser_agrees_with_every_recorded_xen_boot() {
    if !ready("xens_parser_agrees_with_every_recorded_xen_boot") {
        return;
    }
    let mut problems = Vec::new();
    let mut compared = 0;
    let mut over_read = std::collections::BTreeSet::new();
    for f in dmar_fixtures::all().unwrap() {
        let Some(table) = &f.table else {
            continue;
        };
        let Ok(rec) = record::load(&root().join("dmar-fixtures"), f.name, Lane::Xen) else {
            continue;
        };
        for boot in &rec.boots {
            let verbose = boot.options.contains("verbose");
            let force = boot.options.contains("force");
            let v = xen_harness::parse(bin(), table, verbose, force).unwrap();
            if v.over_read {
                over_read.insert(f.name);
                continue;
            }
            compared += 1;
            if v.rejected() != production_rejected(boot) {
                problems.push(format!(
                    "{} `{}`: harness rejected={} (ret {}), Xen under QEMU rejected={}",
                    f.name,
                    boot.options,
                    v.rejected(),
                    v.ret,
                    production_rejected(boot)
                ));
            }
            for l in v.log.iter().filter(|l| !l.contains("iommu->reg = ")) {
                let kept = verdict::relevant(Lane::Xen, &format!("(XEN) {l}"), l);
                if !boot.lines.iter().any(|p| p == l) && kept {
                    problems.push(format!(
                        "{} `{}`: the harness printed {l:?}, the boot did not",
                        f.name, boot.options
                    ));
                }
            }
        }
    }
    assert!(compared >= 30, "only {compared} boots compared");
    // Findings, not comparisons: Xen 4.17's parser reads past the end of these tables
    // (a header length beyond the bytes given; a structure running past the table's
    // end), so its verdict depends on whatever follows the table in memory.
    assert_eq!(
        over_read.into_iter().collect::<Vec<_>>(),
        KNOWN_OVER_READS,
        "the fixtures on which Xen's parser reads past the table changed"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Fixtures on which Xen 4.17's `acpi_parse_dmar()` reads past the table.
const KNOWN_OVER_READS: &[&str] = &["length-beyond-input", "structure-overrun"];

#[test]
fn xens_parser_agrees_with_the_corpus_sweep() {
    if !ready("xens_parser_agrees_with_the_corpus_sweep") {
        return;
    }
    let Some(dir) = dmar_fixtures::corpus::locate() else {
        eprintln!("SKIPPED xens_parser_agrees_with_the_corpus_sweep: no corpus (../shared/dmar-corpus/raw or VTD_CORPUS)");
        return;
    };
    let tsv = std::fs::read_to_string(root().join("reports/oracle-sweep.tsv")).unwrap();
    let (mut agree, mut over, mut differ) = (0, Vec::new(), Vec::new());
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 5 || f[1] != "xen-4.17" {
            continue;
        }
        let Ok(table) = std::fs::read(dir.join(f[0])) else {
            continue;
        };
        let v = xen_harness::parse(bin(), &table, false, false).unwrap();
        if v.over_read {
            over.push(f[0].to_string());
        } else if v.rejected() == (f[4] == "rejected") {
            agree += 1;
        } else {
            differ.push(format!(
                "{} (QEMU boot {}, harness ret {})",
                f[0], f[4], v.ret
            ));
        }
    }
    eprintln!(
        "corpus: {agree} agree, {} over-read, {} differ",
        over.len(),
        differ.len()
    );
    assert!(agree >= 400, "only {agree} tables agree");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn the_recorded_findings_still_reproduce() {
    if !ready("the_recorded_findings_still_reproduce") {
        return;
    }
    // dmar-fixtures/findings/ with a table.bin: tables on which Xen's parser reads out
    // of bounds. (Findings without a table, such as xen-ats-timeout-hang, are pinned
    // by the bring-up tests.)
    let dir = root().join("dmar-fixtures/findings");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let Ok(table) = std::fs::read(e.path().join("table.bin")) else {
            continue;
        };
        let v = xen_harness::parse(bin(), &table, false, false).unwrap();
        assert!(
            v.over_read,
            "{}: Xen no longer reads past the table",
            e.path().display()
        );
        n += 1;
    }
    assert!(n >= 1);
}

#[test]
fn the_units_xen_keeps_come_from_the_table() {
    if !ready("the_units_xen_keeps_come_from_the_table") {
        return;
    }
    let mut tables: Vec<(String, Vec<u8>)> = dmar_fixtures::all()
        .unwrap()
        .into_iter()
        .filter_map(|f| f.table.map(|t| (f.name.to_string(), t)))
        .collect();
    if let Some(dir) = dmar_fixtures::corpus::locate() {
        for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
            if e.path().extension().is_some_and(|x| x == "bin") {
                tables.push((
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                ));
            }
        }
    }
    let (mut checked, mut rmrrs_dropped) = (0, 0);
    for (name, t) in &tables {
        let Ok(parsed) = dmar::parse(t) else {
            continue;
        };
        let v = xen_harness::parse(bin(), t, false, false).unwrap();
        if v.over_read || v.rejected() {
            continue;
        }
        checked += 1;
        let drhds: Vec<u64> = parsed
            .structures
            .iter()
            .filter_map(|s| match &s.body {
                dmar::Body::Drhd(d) => Some(d.register_base),
                _ => None,
            })
            .collect();
        let rmrrs: Vec<(u64, u64)> = parsed
            .structures
            .iter()
            .filter_map(|s| match &s.body {
                dmar::Body::Rmrr(r) => Some((r.base, r.end)),
                _ => None,
            })
            .collect();
        // An accepted table keeps every DRHD (acpi_register_drhd_unit() puts the
        // INCLUDE_PCI_ALL one last, so compare as sets).
        let mut kept: Vec<u64> = v.drhds.iter().map(|d| d.0).collect();
        let mut want = drhds.clone();
        kept.sort_unstable();
        want.sort_unstable();
        assert_eq!(kept, want, "{name}: DRHDs");
        // RMRRs: only the table's, possibly fewer (Xen ignores an RMRR whose devices
        // are all absent, silently in a release build).
        for r in &v.rmrrs {
            assert!(
                rmrrs.contains(&(r.0, r.1)),
                "{name}: RMRR {r:?} is not in the table"
            );
        }
        rmrrs_dropped += rmrrs.len() - v.rmrrs.len().min(rmrrs.len());
    }
    eprintln!("units: {checked} accepted tables checked; Xen ignored {rmrrs_dropped} RMRRs whose devices QEMU's machine lacks");
    assert!(checked >= 20, "only {checked} tables checked");
}

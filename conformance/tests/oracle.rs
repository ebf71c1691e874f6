//! The production-driver oracle: every fixture has recorded Xen 4.17 and Linux 6.1
//! verdicts for its current table, the reference driver agrees with every one of them
//! (fast, no QEMU), and a live smoke boots one table per lane so the oracle itself
//! cannot rot (skipped with a printed reason when the oracle's tools are missing,
//! unless VTD_REQUIRE_ORACLE=1, which `.ci/run` sets).

use std::path::PathBuf;
use vtd_conformance::oracle::{self, compare, record, Lane, Oracle};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dmar-fixtures")
}

fn qemu_table() -> Vec<u8> {
    dmar_fixtures::get("qemu-q35-control")
        .and_then(Result::ok)
        .and_then(|f| f.table)
        .expect("the control fixture")
}

#[test]
fn every_fixture_has_current_recordings_for_both_lanes() {
    let mut problems = Vec::new();
    for f in dmar_fixtures::all().unwrap() {
        for lane in Lane::ALL {
            match record::load(&dir(), f.name, lane) {
                Err(e) => problems.push(format!("{} {}: missing ({e})", f.name, lane.name())),
                Ok(r) => {
                    let sha = f.table.as_deref().map(oracle::sha256);
                    if r.table_sha256 != sha {
                        problems.push(format!(
                            "{} {}: recorded for another table (sha256 {:?}, now {:?})",
                            f.name,
                            lane.name(),
                            r.table_sha256,
                            sha
                        ));
                    }
                    let want = record::option_sets(lane, &f.meta.options);
                    let got: Vec<String> = r.boots.iter().map(|b| b.options.clone()).collect();
                    if want != got {
                        problems.push(format!(
                            "{} {}: option sets {got:?}, the fixture lists {want:?}",
                            f.name,
                            lane.name()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "re-record with `cargo run -p vtd-cli -- oracle record FIXTURE` and commit:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_reference_driver_agrees_with_every_recording() {
    let qemu = qemu_table();
    let mut problems = Vec::new();
    let mut boots = 0;
    for f in dmar_fixtures::all().unwrap() {
        for lane in Lane::ALL {
            let Ok(r) = record::load(&dir(), f.name, lane) else {
                continue;
            };
            for v in &r.boots {
                boots += 1;
                let (_, d) = compare::compare(v, f.table.as_deref(), &qemu);
                for x in d {
                    problems.push(format!(
                        "{} {} `{}`: {} production {} reference {}",
                        f.name,
                        lane.name(),
                        v.options,
                        x.field,
                        x.production,
                        x.reference
                    ));
                }
                for l in compare::missing_lines(v, f.table.as_deref(), &qemu) {
                    problems.push(format!(
                        "{} {} `{}`: the reference prints {l:?}, the production driver does not",
                        f.name,
                        lane.name(),
                        v.options
                    ));
                }
            }
        }
    }
    assert!(boots >= 50, "only {boots} recorded boots");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn live_smoke_one_boot_per_lane_matches_its_recording() {
    let required = std::env::var("VTD_REQUIRE_ORACLE").is_ok_and(|v| v == "1");
    let o = match Oracle::prepare(&oracle::cache_dir()) {
        Ok(o) => o,
        Err(e) if !required => {
            eprintln!("SKIPPED live_smoke_one_boot_per_lane_matches_its_recording: {e} (VTD_REQUIRE_ORACLE=1 makes this a failure)");
            return;
        }
        Err(e) => panic!("VTD_REQUIRE_ORACLE=1 but the oracle cannot run: {e}"),
    };
    let f = dmar_fixtures::get("qemu-q35-control").unwrap().unwrap();
    for lane in Lane::ALL {
        let rec = record::load(&dir(), f.name, lane).unwrap();
        let want = &rec.boots[0];
        let got = o.boot(lane, f.table.as_deref(), &want.options).unwrap();
        assert_eq!(
            (
                got.ending,
                got.vtd,
                got.qi,
                got.ir,
                got.taint,
                got.table_taken
            ),
            (
                want.ending,
                want.vtd,
                want.qi,
                want.ir,
                want.taint,
                want.table_taken
            ),
            "{}: {:#?}",
            lane.name(),
            got.lines
        );
    }
}

#[test]
fn the_committed_oracle_report_is_current() {
    let fresh = oracle::report::markdown(&dir());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reports/oracle.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "reports/oracle.md is stale: regenerate it with `cargo run -p vtd-cli -- oracle report`"
    );
}

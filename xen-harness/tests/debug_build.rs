//! Xen's parser compiled as a CONFIG_DEBUG hypervisor (`--features debug-build`):
//! `dprintk()` prints the reasons Debian's release build keeps to itself. The verdicts
//! must be the release build's (dprintk has no side effects), and the lines the
//! release boots did not print are the debug build's extra reasons, listed per fixture
//! for board owners. Without the feature this file is empty.
#![cfg(feature = "debug-build")]

use std::path::{Path, PathBuf};
use vtd_conformance::oracle::{record, Lane};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn a_debug_xen_rejects_what_a_release_xen_rejects_and_says_why() {
    match xen_harness::available() {
        Ok(()) => {}
        Err(e) if std::env::var("VTD_REQUIRE_XEN").is_ok_and(|v| v == "1") => {
            panic!("VTD_REQUIRE_XEN=1 but {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED a_debug_xen_rejects_what_a_release_xen_rejects_and_says_why: {e}");
            return;
        }
    }
    assert_eq!(xen_harness::XEN_BUILD, "debug");
    let bin = Path::new(env!("CARGO_BIN_EXE_xen-dmar-parse"));
    let mut extra_total = 0;
    let mut problems = Vec::new();
    for f in dmar_fixtures::all().unwrap() {
        let Some(table) = &f.table else { continue };
        let Ok(rec) = record::load(&root().join("dmar-fixtures"), f.name, Lane::Xen) else {
            continue;
        };
        let Some(boot) = rec.boots.first() else {
            continue;
        };
        let v = xen_harness::parse(bin, table, false, boot.options.contains("force")).unwrap();
        if v.over_read {
            continue;
        }
        let production_rejected =
            boot.rejected() || boot.lines.iter().any(|l| l.contains("Invalid DMAR width"));
        if v.rejected() != production_rejected {
            problems.push(format!(
                "{}: debug build rejected={}, the release boot rejected={production_rejected}",
                f.name,
                v.rejected()
            ));
        }
        let extra: Vec<&String> = v
            .log
            .iter()
            .filter(|l| !boot.lines.contains(l) && l.starts_with("[VT-D]"))
            .collect();
        if !extra.is_empty() {
            eprintln!("{}: a debug Xen also says", f.name);
            for l in &extra {
                eprintln!("    {l}");
            }
        }
        extra_total += extra.len();
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        extra_total > 0,
        "no fixture made dprintk() print: is the build a release one?"
    );
}

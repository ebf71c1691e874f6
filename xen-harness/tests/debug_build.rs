//! Xen's parser compiled as a CONFIG_DEBUG hypervisor (`--features debug-build`):
//! `dprintk()` prints the reasons Debian's release build keeps to itself. The verdicts
//! must be the release build's (dprintk has no side effects), and the lines the
//! release boots did not print are the debug build's extra reasons, listed per fixture
//! for board owners. Without the feature this file is empty.
#![cfg(feature = "debug-build")]

mod common;
use common::{bin, production_rejected, ready, root};

use vtd_conformance::oracle::{record, Lane};

#[test]
fn a_debug_xen_rejects_what_a_release_xen_rejects_and_says_why() {
    if !ready("a_debug_xen_rejects_what_a_release_xen_rejects_and_says_why") {
        return;
    }
    assert_eq!(xen_harness::XEN_BUILD, "debug");
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
        let v = xen_harness::parse(bin(), table, false, boot.options.contains("force")).unwrap();
        if v.over_read {
            continue;
        }
        let production_rejected = production_rejected(boot);
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

//! Every real table of the corpus, booted by every personality on the machine it
//! implies: nothing panics, a hang is only ever Linux's, and the outcome follows from
//! what the parser made of the table.

use vtd_driver::validate::Fate;
use vtd_driver::{boot, BootInput, Outcome, Personality};
use vtd_model::regs::presets;

#[test]
fn every_corpus_table_boots_under_every_personality() {
    let Some(dir) =
        dmar_fixtures::corpus::require("every_corpus_table_boots_under_every_personality")
    else {
        return;
    };
    let entries = dmar_fixtures::corpus::load(&dir).unwrap();
    assert!(entries.len() >= 400);
    let mut counts = std::collections::BTreeMap::new();
    for e in &entries {
        let Ok(table) = dmar::parse(&e.bytes) else {
            continue;
        };
        let machine = vtd_driver::implied::machine(&table);
        for p in Personality::ALL {
            let mut input = BootInput::new(p, machine.clone(), Some(e.bytes.clone()), "");
            // Tiger Lake units have 2 MiB and 1 GiB pages: the dom0 maps stay small.
            input.preset = Some(presets::TIGER_LAKE);
            let v = boot(&input).verdict;
            if v.outcome == Outcome::Hang {
                assert_eq!(p, Personality::Linux61, "{}: only Linux hangs", e.file);
            }
            if v.table == Fate::Rejected {
                assert_ne!(v.outcome, Outcome::Booted, "{} {p}", e.file);
            }
            *counts
                .entry((p.name(), format!("{:?}", v.outcome)))
                .or_insert(0) += 1;
        }
    }
    println!("{counts:#?}");
    assert!(
        counts
            .get(&("xen", "Booted".to_string()))
            .copied()
            .unwrap_or(0)
            > 300
    );
}

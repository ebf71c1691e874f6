//! Checking and repairing any input: findings stay inside the input, and a repaired
//! table walks cleanly and repairs to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_and_repair(data);
});

fn check_and_repair(data: &[u8]) {
    let report = dmar::check(data, None);
    for d in &report.diagnostics {
        assert!(
            d.range.start <= d.range.end && d.range.end <= data.len().max(48),
            "{} {:?}",
            d.id(),
            d.range
        );
        let _ = d.render();
    }
    if let Ok(r) = dmar::repair::repair(data, None) {
        let fixed = r.table.encode();
        let back = dmar::parse(&fixed).expect("a repaired table decodes");
        assert!(back.unparsed.is_none(), "repair left an undecodable tail");
        for s in &back.structures {
            if let Some(sc) = s.body.scopes() {
                assert!(sc.unparsed.is_none(), "repair left undecodable scopes");
            }
        }
        let again = dmar::repair::repair(&fixed, None).expect("repaired tables repair");
        assert!(
            again.changes.iter().all(|c| c.rule.is_none()),
            "repair is not idempotent: {:?}",
            again.changes
        );
    }
}

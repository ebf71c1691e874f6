//! Structure-aware: tables as firmware writes them, broken as firmware breaks them
//! (see `dmar::broken`), through decode, check and repair.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|table: dmar::broken::BrokenTable| {
    let data = table.bytes();
    if let Ok(t) = dmar::parse(&data) {
        assert_eq!(t.encode(), data);
        let _ = dmar::tree::render(&t);
    }
    let report = dmar::check(&data, None);
    for d in &report.diagnostics {
        assert!(d.range.end <= data.len().max(48));
    }
    if let Ok(r) = dmar::repair::repair(&data, None) {
        let fixed = r.table.encode();
        let after = dmar::check(&fixed, None);
        for id in [
            "zero-length-structure",
            "zero-length-before-drhd",
            "structure-overrun",
            "zero-length-scope",
            "scope-overrun",
            "rmrr-overlap",
            "rmrr-end-before-base",
            "checksum",
        ] {
            assert!(!after.ids().contains(&id), "{id} survives repair");
        }
    }
});

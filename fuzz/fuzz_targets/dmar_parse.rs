//! parse → encode is the identity, parse(encode(t)) == t, and rendering and checking
//! never panic, on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = dmar::parse(data) {
        let bytes = table.encode();
        assert_eq!(bytes, data, "encode(parse(b)) != b");
        assert_eq!(
            dmar::parse(&bytes).as_ref(),
            Ok(&table),
            "parse(encode(t)) != t"
        );
        let _ = dmar::tree::render(&table);
    }
    let _ = dmar::check(data, None);
});

//! Embeds every fixture directory (one holding a `fixture.toml`) into the crate, so the
//! `vtd` binary carries them and works on a machine without the source tree.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // At run time, not env!(): a build script binary can be reused from another
    // checkout of the same crate (shared target directories), and then its compile-time
    // path is not this one.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest);
    println!("cargo:rerun-if-changed={}", root.display());
    let mut names: Vec<String> = std::fs::read_dir(root)
        .expect("read dmar-fixtures/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("fixture.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = String::from(
        "/// Every embedded fixture, by directory name.\npub static EMBEDDED: &[Embedded] = &[\n",
    );
    for name in &names {
        let dir = root.join(name);
        println!("cargo:rerun-if-changed={}", dir.display());
        for f in ["fixture.toml", "table.toml", "table.bin"] {
            println!("cargo:rerun-if-changed={}", dir.join(f).display());
        }
        let file = |f: &str, bytes: bool| {
            let p = dir.join(f);
            if p.is_file() {
                let mac = if bytes {
                    "include_bytes"
                } else {
                    "include_str"
                };
                format!("Some({mac}!({:?}))", p.display().to_string())
            } else {
                "None".to_string()
            }
        };
        writeln!(
            out,
            "    Embedded {{ name: {name:?}, fixture_toml: include_str!({:?}), table_toml: {}, table_bin: {} }},",
            dir.join("fixture.toml").display().to_string(),
            file("table.toml", false),
            file("table.bin", true),
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(dest, out).unwrap();
}

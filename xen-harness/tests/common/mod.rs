//! What the harness's test files share.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};

/// Whether the harness has Xen's source; when it has not, print why the test skips,
/// or fail under VTD_REQUIRE_XEN=1 (CI).
pub fn ready(test: &str) -> bool {
    match xen_harness::available() {
        Ok(()) => true,
        Err(e) if std::env::var("VTD_REQUIRE_XEN").is_ok_and(|v| v == "1") => {
            panic!("VTD_REQUIRE_XEN=1 but {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED {test}: {e}");
            false
        }
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The one-table-per-process parser.
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_xen-dmar-parse"))
}

/// The recorded boot rejected the table; a zero DMAR width makes Xen give up without
/// its "Failed to parse" line.
pub fn production_rejected(boot: &vtd_conformance::oracle::Verdict) -> bool {
    boot.rejected() || boot.lines.iter().any(|l| l.contains("Invalid DMAR width"))
}

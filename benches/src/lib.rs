//! Benchmarks of the project's hot paths. `cargo bench -p vtd-benches` runs them; the
//! inputs come from here so benches and their sanity tests share them.
#![forbid(unsafe_code)]

pub mod report;
pub mod sim;

/// Every table a DMAR bench runs over: the shared corpus when present, else the
/// bundled fixtures (so the bench still runs on a machine without the corpus).
pub fn dmar_inputs() -> (Vec<Vec<u8>>, &'static str) {
    if let Some(dir) = dmar_fixtures::corpus::locate() {
        if let Ok(entries) = dmar_fixtures::corpus::load(&dir) {
            return (entries.into_iter().map(|e| e.bytes).collect(), "corpus");
        }
    }
    let tables = dmar_fixtures::all()
        .map(|v| v.into_iter().filter_map(|f| f.table).collect())
        .unwrap_or_default();
    (tables, "fixtures")
}

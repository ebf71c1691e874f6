//! The shared corpus of real DMAR tables (`../shared/dmar-corpus/raw/`, with an
//! `index.tsv` saying where each came from). It is not part of this repository; tests
//! that need it find it through [`locate`] and fail in CI when it is missing.

use std::path::{Path, PathBuf};

/// One corpus table.
#[derive(Debug, Clone)]
pub struct Entry {
    /// File name (`<hash>.bin`).
    pub file: String,
    /// The `source` column: where it was captured.
    pub source: String,
    /// The `notes` column: anomalies the collector noted.
    pub notes: String,
    /// The `checksum_ok` column (`yes`/`no`), if present.
    pub checksum_ok: Option<bool>,
    /// The `length` column, if present.
    pub length: Option<usize>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Where to look, in order: `$VTD_CORPUS`, `../shared/dmar-corpus/raw` beside the
/// workspace, `/work/shared/dmar-corpus/raw`.
pub fn candidates() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("VTD_CORPUS") {
        v.push(PathBuf::from(p));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    v.push(workspace.join("../shared/dmar-corpus/raw"));
    v.push(PathBuf::from("/work/shared/dmar-corpus/raw"));
    v
}

/// The corpus directory, if one of the [`candidates`] has an `index.tsv`.
pub fn locate() -> Option<PathBuf> {
    candidates()
        .into_iter()
        .find(|p| p.join("index.tsv").is_file())
}

/// For tests: the corpus directory, or — when absent — a panic under CI (`CI` set) and
/// a printed skip reason otherwise.
pub fn require(test: &str) -> Option<PathBuf> {
    if let Some(p) = locate() {
        return Some(p);
    }
    let looked: Vec<String> = candidates()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let msg = format!(
        "{test}: the DMAR corpus is missing (looked in {}); set VTD_CORPUS to its raw/ directory",
        looked.join(", ")
    );
    if std::env::var_os("CI").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED {msg}");
    None
}

/// Read `index.tsv` and every table it lists.
pub fn load(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let index = std::fs::read_to_string(dir.join("index.tsv"))?;
    let mut lines = index.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (file_col, source_col, notes_col) = (col("filename"), col("source"), col("notes"));
    let (checksum_col, length_col) = (col("checksum_ok"), col("length"));
    let mut out = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let get = |c: Option<usize>| c.and_then(|c| fields.get(c)).copied().unwrap_or("");
        let file = get(file_col).to_string();
        let bytes = std::fs::read(dir.join(&file))?;
        out.push(Entry {
            source: get(source_col).to_string(),
            notes: get(notes_col).to_string(),
            checksum_ok: match get(checksum_col) {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            length: get(length_col).parse().ok(),
            file,
            bytes,
        });
    }
    Ok(out)
}

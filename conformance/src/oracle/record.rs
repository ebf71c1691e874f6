//! Recorded verdicts: `dmar-fixtures/<fixture>/verdicts/<lane>.json`, one boot per
//! option set of the fixture that the lane takes, with the table's sha256 and the
//! pinned versions. Re-recording is deliberate (`vtd oracle record`), committed with
//! the change that needs it.

use super::{sha256, Lane, Oracle, OracleError, Verdict};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One lane's recording for one fixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// The fixture.
    pub fixture: String,
    /// The lane.
    pub lane: Lane,
    /// sha256 of the fixture's table bytes (None: the fixture has no DMAR).
    pub table_sha256: Option<String>,
    /// One verdict per option set.
    pub boots: Vec<Verdict>,
}

/// The option sets of `options` that `lane` boots; a lane with none boots its
/// default (`iommu=1`, `intel_iommu=on`).
pub fn option_sets(lane: Lane, options: &[String]) -> Vec<String> {
    let mut v: Vec<String> = options.iter().filter(|o| lane.takes(o)).cloned().collect();
    if v.is_empty() {
        v.push(match lane {
            Lane::Xen => "iommu=1".into(),
            Lane::Linux => "intel_iommu=on".into(),
        });
    }
    v
}

/// Where `fixture`'s recording for `lane` lives under `dir` (the fixtures folder).
pub fn path(dir: &Path, fixture: &str, lane: Lane) -> PathBuf {
    dir.join(fixture)
        .join("verdicts")
        .join(format!("{}.json", lane.name()))
}

/// Read a recording.
pub fn load(dir: &Path, fixture: &str, lane: Lane) -> Result<Recording, String> {
    let p = path(dir, fixture, lane);
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}

/// Boot every option set of `lane` for a fixture and write the recording.
pub fn record(
    oracle: &Oracle,
    dir: &Path,
    fixture: &str,
    table: Option<&[u8]>,
    options: &[String],
    lane: Lane,
) -> Result<Recording, OracleError> {
    let mut boots = Vec::new();
    for o in option_sets(lane, options) {
        boots.push(oracle.boot(lane, table, &o)?);
    }
    let rec = Recording {
        fixture: fixture.to_string(),
        lane,
        table_sha256: table.map(sha256),
        boots,
    };
    let p = path(dir, fixture, lane);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| OracleError::Io(format!("{}: {e}", parent.display())))?;
    }
    let text = serde_json::to_string_pretty(&rec).unwrap_or_default() + "\n";
    std::fs::write(&p, text).map_err(|e| OracleError::Io(format!("{}: {e}", p.display())))?;
    Ok(rec)
}

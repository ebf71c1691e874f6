//! Reading inputs and writing outputs, with errors that name the file.

use std::fmt;
use std::path::{Path, PathBuf};

/// The table the running kernel exposes.
pub const HOST_DMAR: &str = "/sys/firmware/acpi/tables/DMAR";

/// An input or output problem, with the file it concerns.
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Read a file; for the default host table, explain the usual reasons it is missing.
pub fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    std::fs::read(path).map_err(|e| {
        let mut msg = format!("cannot read {}: {e}", path.display());
        if path == Path::new(HOST_DMAR) {
            msg.push_str(match e.kind() {
                std::io::ErrorKind::NotFound => {
                    "\n  this machine publishes no DMAR table (VT-d disabled in the firmware setup, \
                     not an Intel platform, or a VM without a virtual IOMMU);\n  try `vtd dmar \
                     check --fixtures`, or pass a dumped table (acpidump -n DMAR -b)"
                }
                std::io::ErrorKind::PermissionDenied => {
                    "\n  the ACPI tables are readable by root only: run with sudo, or pass a copy"
                }
                _ => "",
            });
        }
        InputError(msg)
    })
}

/// Read a text file.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())))
}

/// Write a file.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), InputError> {
    std::fs::write(path, bytes)
        .map_err(|e| InputError(format!("cannot write {}: {e}", path.display())))
}

/// The file to read, defaulting to the host's table.
pub fn table_path(file: Option<PathBuf>) -> PathBuf {
    file.unwrap_or_else(|| PathBuf::from(HOST_DMAR))
}

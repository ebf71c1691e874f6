//! `decode`, `encode`, `build`.

use super::{DecodeFormat, Result};
use crate::exit;
use crate::input::{self, InputError};
use std::path::{Path, PathBuf};

pub fn decode(file: Option<PathBuf>, format: DecodeFormat) -> Result<u8> {
    let path = input::table_path(file);
    let bytes = input::read(&path)?;
    let table = dmar::parse(&bytes).map_err(|e| InputError(format!("{}: {e}", path.display())))?;
    match format {
        DecodeFormat::Tree => print!("{}", dmar::tree::render(&table)),
        DecodeFormat::Json => println!("{}", serde_json::to_string_pretty(&table)?),
    }
    Ok(exit::OK)
}

pub fn encode(json: &Path, output: &Path) -> Result<u8> {
    let text = input::read_text(json)?;
    let table: dmar::Table = serde_json::from_str(&text).map_err(|e| {
        InputError(format!(
            "{}: line {}, column {}: {e}",
            json.display(),
            e.line(),
            e.column()
        ))
    })?;
    let bytes = table.encode();
    input::write(output, &bytes)?;
    eprintln!("wrote {} bytes to {}", bytes.len(), output.display());
    Ok(exit::OK)
}

pub fn build(spec: &Path, output: &Path) -> Result<u8> {
    let text = input::read_text(spec)?;
    let spec_value: dmar::spec::TableSpec =
        toml::from_str(&text).map_err(|e| InputError(format!("{}: {e}", spec.display())))?;
    let table = spec_value
        .build()
        .map_err(|e| InputError(format!("{}: {e}", spec.display())))?;
    let bytes = table.encode();
    input::write(output, &bytes)?;
    eprintln!(
        "wrote {} bytes ({} structures) to {}",
        bytes.len(),
        table.structures.len(),
        output.display()
    );
    Ok(exit::OK)
}

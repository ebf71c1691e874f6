//! `dmar-fixtures`: broken (and control) DMAR tables with the machines they come from
//! and the verdicts they must produce, embedded in the binary; and access to the shared
//! corpus of real tables.
//!
//! A fixture is a directory `dmar-fixtures/<name>/` with
//! - `fixture.toml`: board, BIOS, source, bug class, summary, the diagnostic IDs
//!   `vtd dmar check` must report (`expected`), the boot options worth trying, and the
//!   `[machine]` (E820 map, PCI devices, I/O APICs, the DMA devices perform, dom0 type);
//! - `table.toml` (a [`dmar::spec`] description of a synthetic table) or `table.bin` (a
//!   captured table), or neither for a machine that has no DMAR at all;
//! - `snapshots/`: insta snapshots of `decode` and `check`.
//!
//! Where to start: [`all`], [`Fixture`]; [`corpus`] for the real tables.
#![forbid(unsafe_code)]

pub mod corpus;

use serde::Deserialize;
use std::fmt;
use vtd_machine::Machine;

/// A fixture as compiled into the crate.
#[derive(Debug, Clone, Copy)]
pub struct Embedded {
    /// Directory name.
    pub name: &'static str,
    /// `fixture.toml`.
    pub fixture_toml: &'static str,
    /// `table.toml`, if the table is synthetic.
    pub table_toml: Option<&'static str>,
    /// `table.bin`, if the table was captured.
    pub table_bin: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// `fixture.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The board (vendor and model).
    pub board: String,
    /// The BIOS version that shows the defect.
    pub bios: Option<String>,
    /// Where the table or the defect report comes from.
    pub source: String,
    /// The bug class (DESIGN.md §8).
    pub bug_class: String,
    /// One paragraph for a reader.
    pub summary: String,
    /// Every diagnostic ID `check` must report (with the machine), no more, no fewer.
    #[serde(default)]
    pub expected: Vec<String>,
    /// Boot option sets worth trying on this board (each a command-line fragment).
    #[serde(default)]
    pub options: Vec<String>,
    /// The machine.
    #[serde(default)]
    pub machine: Machine,
}

/// A loaded fixture.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Directory name.
    pub name: &'static str,
    /// Metadata and machine.
    pub meta: Meta,
    /// The table bytes; `None` for a machine without a DMAR.
    pub table: Option<Vec<u8>>,
    /// Whether the table is synthetic (built from `table.toml`).
    pub synthetic: bool,
}

/// A fixture that does not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    /// Fixture name.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fixture {}: {}", self.name, self.message)
    }
}

impl std::error::Error for FixtureError {}

impl Embedded {
    /// Parse the metadata and build or copy the table.
    pub fn load(&self) -> Result<Fixture, FixtureError> {
        let err = |message: String| FixtureError {
            name: self.name.to_string(),
            message,
        };
        let meta: Meta =
            toml::from_str(self.fixture_toml).map_err(|e| err(format!("fixture.toml: {e}")))?;
        let table = match (self.table_toml, self.table_bin) {
            (Some(_), Some(_)) => return Err(err("has both table.toml and table.bin".into())),
            (Some(text), None) => {
                let spec: dmar::spec::TableSpec =
                    toml::from_str(text).map_err(|e| err(format!("table.toml: {e}")))?;
                let table = spec.build().map_err(|e| err(format!("table.toml: {e}")))?;
                Some(table.encode())
            }
            (None, Some(bytes)) => Some(bytes.to_vec()),
            (None, None) => None,
        };
        Ok(Fixture {
            name: self.name,
            meta,
            table,
            synthetic: self.table_toml.is_some(),
        })
    }
}

/// Load every embedded fixture.
pub fn all() -> Result<Vec<Fixture>, FixtureError> {
    EMBEDDED.iter().map(Embedded::load).collect()
}

/// Load one fixture by name.
pub fn get(name: &str) -> Option<Result<Fixture, FixtureError>> {
    EMBEDDED.iter().find(|e| e.name == name).map(Embedded::load)
}

impl Fixture {
    /// Check the table against the fixture's machine.
    pub fn check(&self) -> Option<dmar::check::Report> {
        self.table
            .as_deref()
            .map(|t| dmar::check(t, Some(&self.meta.machine as &dyn dmar::Platform)))
    }
}

//! Diagnostics: what is wrong with a DMAR table, and what each production driver does
//! about it.
//!
//! [`check`] works on bytes, through the zero-copy [`view`](crate::view), so it runs on
//! any input (including tables [`parse`](crate::parse) would refuse) without building
//! the owned table. Each [`Diagnostic`] points at a [`Rule`] from the catalogue in
//! [`rules`]: a stable ID, a severity, the matching check in Xen 4.17, Linux 6.1 and
//! fwts, what each driver then does, and what a board owner can do about it.
//!
//! Checks that need the machine (is an RMRR inside E820-reserved memory, does a scope
//! name a device that exists) run only when a [`Platform`] is given.

mod platform;
mod render;
pub mod rules;
mod scope;
mod structures;
mod table;

pub use platform::{e820, walk_path, PathEnd, PciFunction, Platform};
pub use rules::{Consequence, Outcome, Rule, RULES};

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

/// The production drivers whose behaviour the rules record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Driver {
    /// Xen 4.17.
    Xen,
    /// Linux 6.1.
    Linux,
}

impl Driver {
    /// Name and version.
    pub fn name(self) -> &'static str {
        match self {
            Driver::Xen => "Xen 4.17",
            Driver::Linux => "Linux 6.1",
        }
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Severity {
    /// A production driver rejects the table, hangs, or reads out of bounds; or DMA
    /// protection is silently lost.
    Error,
    /// Against the specification; drivers cope, warn, or need a boot option.
    Warning,
    /// Worth knowing; nothing breaks.
    Info,
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Diagnostic {
    /// The rule it violates.
    pub rule: &'static Rule,
    /// The bytes it concerns.
    pub range: Range<usize>,
    /// What exactly was found: field, value, offset.
    pub message: String,
}

impl Diagnostic {
    /// The rule's severity.
    pub fn severity(&self) -> Severity {
        self.rule.severity
    }

    /// The rule's stable ID.
    pub fn id(&self) -> &'static str {
        self.rule.id
    }
}

/// All findings for one table, in byte order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    /// The findings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Whether any finding has severity [`Severity::Error`].
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }

    /// The IDs found, in order, without repetition.
    pub fn ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = Vec::new();
        for d in &self.diagnostics {
            if !ids.contains(&d.id()) {
                ids.push(d.id());
            }
        }
        ids
    }

    /// Count by severity: (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.diagnostics
            .iter()
            .fold((0, 0, 0), |(e, w, i), d| match d.severity() {
                Severity::Error => (e + 1, w, i),
                Severity::Warning => (e, w + 1, i),
                Severity::Info => (e, w, i + 1),
            })
    }
}

/// Collects findings.
pub(crate) struct Sink {
    out: Vec<Diagnostic>,
}

impl Sink {
    pub(crate) fn push(&mut self, rule: &'static Rule, range: Range<usize>, message: String) {
        self.out.push(Diagnostic {
            rule,
            range,
            message,
        });
    }
}

/// The report for a machine that has no DMAR table at all.
pub fn no_table() -> Report {
    Report {
        diagnostics: alloc::vec![Diagnostic {
            rule: &rules::NO_TABLE,
            range: 0..0,
            message: "no DMAR table was found".into(),
        }],
    }
}

/// Check a DMAR table. `platform`, when given, enables the checks that need the
/// machine's memory map and PCI devices.
pub fn check(bytes: &[u8], platform: Option<&dyn Platform>) -> Report {
    let mut sink = Sink { out: Vec::new() };
    table::check(bytes, platform, &mut sink);
    let mut diagnostics = sink.out;
    diagnostics.sort_by_key(|d| (d.range.start, d.rule.severity));
    Report { diagnostics }
}

//! Command lines as each production driver reads them: the effective configuration,
//! the lines the parsers print, and what the reference driver notes about words the
//! production code ignores in silence.

pub mod linux;
pub mod xen;

pub use linux::LinuxOptions;
pub use xen::{Quarantine, XenOptions};

use crate::log::Log;
use crate::personality::Personality;
use serde::Serialize;

/// The result of parsing a command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parsed<T> {
    /// The effective configuration.
    pub options: T,
    /// What the production parser prints.
    pub log: Log,
    /// What the reference driver has to say that the production code does not print
    /// (words ignored in silence, and why).
    pub notes: Vec<String>,
    /// Parameters this personality does not read (not IOMMU options, or another
    /// code base's).
    pub ignored: Vec<String>,
}

impl<T> Parsed<T> {
    fn new(options: T) -> Self {
        Parsed {
            options,
            log: Log::default(),
            notes: Vec::new(),
            ignored: Vec::new(),
        }
    }
}

/// A personality's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Options {
    /// Xen 4.17 or 4.0.
    Xen(XenOptions),
    /// Linux 6.1.
    Linux(LinuxOptions),
}

/// Parse `cmdline` as `personality` reads it.
pub fn parse(personality: Personality, cmdline: &str) -> Parsed<Options> {
    fn wrap<T>(p: Parsed<T>, f: impl FnOnce(T) -> Options) -> Parsed<Options> {
        Parsed {
            options: f(p.options),
            log: p.log,
            notes: p.notes,
            ignored: p.ignored,
        }
    }
    match personality {
        Personality::Xen417 => wrap(xen::parse_417(cmdline), Options::Xen),
        Personality::Xen40 => wrap(xen::parse_40(cmdline), Options::Xen),
        Personality::Linux61 => wrap(linux::parse(cmdline), Options::Linux),
    }
}

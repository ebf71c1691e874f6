//! The stale-translation checker: after every translation the unit serves, walk memory
//! again without caches and compare. A difference means a cached entry no longer
//! matches the tables: the driver changed them without the invalidation the change
//! needs (or, with CAP.CM, mapped a page it had not invalidated).

use crate::fault::FaultReason;
use crate::request::{Perm, Request, Translation};

/// What a translation came to, for comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Translated: output address, page size, rights, snoop.
    Mapped {
        /// Output address.
        addr: u64,
        /// Page size.
        page_size: u64,
        /// Rights.
        perm: Perm,
        /// Snooped.
        snoop: bool,
    },
    /// Blocked with this reason.
    Fault(FaultReason),
}

impl Outcome {
    /// From a translation result.
    pub fn of(r: &Result<Translation, FaultReason>) -> Self {
        match r {
            Ok(t) => Outcome::Mapped {
                addr: t.addr,
                page_size: t.page_size,
                perm: t.perm,
                snoop: t.snoop,
            },
            Err(reason) => Outcome::Fault(*reason),
        }
    }
}

/// A translation served from the caches that memory no longer supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleTranslation {
    /// The request.
    pub request: Request,
    /// What the unit answered (from its caches).
    pub served: Outcome,
    /// What the tables in memory say now.
    pub memory: Outcome,
}

impl std::fmt::Display for StaleTranslation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.request;
        let show = |o: &Outcome| match o {
            Outcome::Mapped { addr, perm, .. } => format!(
                "{addr:#x} ({}{})",
                if perm.read { "r" } else { "-" },
                if perm.write { "w" } else { "-" }
            ),
            Outcome::Fault(reason) => format!("fault {reason}"),
        };
        write!(
            f,
            "stale translation for {:02x}:{:02x}.{} at {:#x}: served {} but memory says {} \
             (a missed invalidation)",
            r.source_id >> 8,
            (r.source_id >> 3) & 0x1f,
            r.source_id & 7,
            r.addr,
            show(&self.served),
            show(&self.memory)
        )
    }
}

/// An interrupt remapped through a cached IRTE that memory no longer holds: the driver
/// rewrote the entry without an interrupt-entry-cache invalidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleInterrupt {
    /// The request.
    pub request: crate::ir::InterruptRequest,
    /// Its interrupt index.
    pub index: u16,
    /// The cached entry the unit used.
    pub served: crate::ir::Irte,
    /// The entry in memory now (None if the table cannot be read).
    pub memory: Option<crate::ir::Irte>,
}

impl std::fmt::Display for StaleInterrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |e: &crate::ir::Irte| {
            if !e.present() {
                "a not-present entry".to_string()
            } else if e.posted() {
                format!("vector {:#x} posted to {:#x}", e.vector(), e.pid_address())
            } else {
                format!("vector {:#x} to destination {:#x}", e.vector(), e.lo >> 32)
            }
        };
        let r = &self.request;
        write!(
            f,
            "stale interrupt entry {:#x} for {:02x}:{:02x}.{}: served {} but memory holds {} \
             (a missed interrupt-entry-cache invalidation)",
            self.index,
            r.source_id >> 8,
            (r.source_id >> 3) & 0x1f,
            r.source_id & 7,
            show(&self.served),
            self.memory
                .map_or_else(|| "nothing readable".to_string(), |m| show(&m))
        )
    }
}

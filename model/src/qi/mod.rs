//! Queued invalidation (VT-d spec rev 4.1 §6.5.2): software writes descriptors into a
//! ring in memory (IQA), moves the tail (IQT), and the unit fetches and executes them
//! in order, moving the head (IQH) past each descriptor it has verified.
//!
//! - `descriptor.rs`: the descriptor formats and the checks that make a descriptor
//!   invalid (IQE with an IQEI code).
//! - `engine.rs`: fetching, executing, wait descriptors (status write, completion
//!   event, fence), device-TLB invalidations that complete later or never (ITE), and
//!   the error stops and how software resumes the queue.
//!
//! When the queue runs is [`QiMode`]: at the tail write (QEMU's way, and the
//! default), or as the unit's clock advances, each descriptor costing the cycles of the
//! [`crate::timing::TimingModel`].

pub mod descriptor;
mod engine;

pub use descriptor::{Descriptor, Iqei, Width};

use std::collections::VecDeque;

/// When the unit processes its invalidation queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QiMode {
    /// During the IQT write, to the tail, and again when software clears IQE or ITE;
    /// no time passes. Device-TLB invalidations to devices that do not answer time out
    /// at once, after everything fetchable was fetched.
    #[default]
    Immediate,
    /// As QEMU 10.2 does it (`vtd_handle_iqt_write`): processing only at an IQT write
    /// (or QIE enable), so clearing IQE does not resume the queue until the next tail
    /// write; QEMU's stricter descriptor masks (PD and PFSID reserved, a wait must set
    /// IF, SW or FN); every descriptor type accepted whatever ECAP says.
    Qemu,
    /// As hardware does it: the queue advances with [`crate::Unit::advance`]; each
    /// descriptor costs a fetch and its execution, device-TLB invalidations complete a
    /// round trip later, a wait descriptor completes when everything before it has,
    /// and a fence holds further fetches until then.
    Timed,
}

/// A wait descriptor that was fetched but has not completed, because device-TLB
/// invalidations before it are still outstanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingWait {
    /// When it completes; None while a device that never answers holds it.
    pub at: Option<u64>,
    /// IF.
    pub interrupt: bool,
    /// SW: address and data.
    pub status: Option<(u64, u32)>,
    /// FN.
    pub fence: bool,
}

/// The invalidation queue as latched when software enabled it, and the engine's
/// progress through it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Queue {
    /// Ring base (IQA[63:12] at enable).
    pub base: u64,
    /// Descriptors in the ring.
    pub entries: u64,
    /// Descriptor width.
    pub width: Width,
    /// When the engine can start on the next descriptor.
    pub next_at: u64,
    /// When every device-TLB invalidation issued so far will have completed.
    pub device_tlb_until: u64,
    /// A device-TLB invalidation that will never complete: (source-id, deadline).
    pub timeout: Option<(u16, u64)>,
    /// Fetched waits, oldest first.
    pub pending: VecDeque<PendingWait>,
    /// The last descriptor processed was a wait (QEMU's condition for disabling QI).
    pub last_was_wait: bool,
}

impl Queue {
    /// A fence among the pending waits holds further fetches.
    pub fn fenced(&self) -> bool {
        self.pending.iter().any(|w| w.fence)
    }
}

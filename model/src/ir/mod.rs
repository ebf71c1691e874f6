//! Interrupt remapping (VT-d spec rev 4.1 ch. 5): an interrupt request (an MSI write,
//! or what an I/O APIC sends) is looked up in the interrupt remapping table the last
//! SIRTP latched, through the interrupt entry cache, and comes out as an interrupt for
//! the local APICs, a posting into a posted-interrupt descriptor, or a fault.
//!
//! - `message.rs`: request formats (compatibility, remappable, I/O APIC RTE).
//! - `irte.rs`: the table entries and their validity.
//! - `posted.rs`: posting into a PID.
//! - `remap.rs`: the lookup, the checks in the order hardware applies them, fault
//!   recording and the stale-entry check.

pub mod irte;
pub mod message;
pub mod posted;
mod remap;

pub use irte::{DeliveryMode, Irte, SourceCheck};
pub use message::InterruptRequest;

use crate::fault::FaultReason;
use crate::request::Recorded;

/// The interrupt remapping table as the last SIRTP latched it from IRTA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Irt {
    /// Table base (IRTA[63:12], below the host address width).
    pub base: u64,
    /// Entries: 2^(IRTA.S + 1).
    pub entries: u32,
    /// IRTA.EIME: x2APIC mode (32-bit destinations; compatibility format blocked).
    pub x2apic: bool,
}

/// How an interrupt got through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IrVia {
    /// Interrupt remapping is off: the message is delivered as it is.
    Disabled,
    /// A compatibility-format message passed through (GSTS.CFIS set, xAPIC mode).
    Compatibility,
    /// Remapped through IRTE `index`; `cached` if the IRTE came from the interrupt
    /// entry cache.
    Remapped {
        /// Interrupt index.
        index: u16,
        /// From the interrupt entry cache.
        cached: bool,
    },
}

/// An interrupt for the local APICs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interrupt {
    /// Vector.
    pub vector: u8,
    /// Destination: a 32-bit x2APIC id when `x2apic`, else an 8-bit xAPIC id.
    pub destination: u32,
    /// Whether `destination` is an x2APIC id.
    pub x2apic: bool,
    /// Logical (true) or physical destination mode.
    pub logical: bool,
    /// Delivery mode.
    pub delivery: DeliveryMode,
    /// Level-triggered (true) or edge.
    pub level: bool,
    /// Redirection hint.
    pub redirection_hint: bool,
    /// How it got through.
    pub via: IrVia,
}

/// An interrupt posted into a posted-interrupt descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Posted {
    /// Interrupt index.
    pub index: u16,
    /// The descriptor's address.
    pub pid: u64,
    /// The virtual vector set in PIR.
    pub vector: u8,
    /// The IRTE's URG bit.
    pub urgent: bool,
    /// The notification sent, if one was: (NV, NDST).
    pub notification: Option<(u8, u32)>,
    /// The IRTE came from the interrupt entry cache.
    pub cached: bool,
}

/// What became of an interrupt request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Delivered to the local APICs.
    Interrupt(Interrupt),
    /// Posted.
    Posted(Posted),
}

/// An interrupt request the unit blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterruptFault {
    /// Why (0x20–0x28).
    pub reason: FaultReason,
    /// The request.
    pub request: InterruptRequest,
    /// The interrupt index, once the request was decoded.
    pub index: Option<u16>,
    /// What happened to the record.
    pub recorded: Recorded,
}

impl std::fmt::Display for InterruptFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.request;
        write!(
            f,
            "interrupt from {:02x}:{:02x}.{} (write of {:#x} to {:#x}){}: fault {}",
            r.source_id >> 8,
            (r.source_id >> 3) & 0x1f,
            r.source_id & 7,
            r.data,
            r.addr,
            self.index
                .map(|i| format!(" index {i:#x}"))
                .unwrap_or_default(),
            self.reason
        )
    }
}

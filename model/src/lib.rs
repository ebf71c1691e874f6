//! `vtd-model`: Intel VT-d remapping hardware as a pure state machine.
//!
//! A [`Unit`] is programmed the way a driver programs real hardware: through 32- and
//! 64-bit register accesses and tables in guest memory. DMA requests go through
//! [`Unit::translate`], which answers with a translation or a fault (recorded in the
//! fault-recording registers, with the fault event), using caches that keep stale
//! entries until they are invalidated or evicted. The optional stale-translation
//! checker compares every answer with a fresh walk of memory, which is how a driver's
//! missing invalidation is caught. Queued invalidation (`qi/`) executes the descriptors
//! software puts in its ring and stops on errors as the spec says; interrupt remapping
//! (`ir/`) turns MSIs and I/O APIC entries into interrupts, postings or faults through
//! the interrupt entry cache, with the same stale check. [`Platform`] puts units, guest
//! memory and the PCI topology together and routes device DMA and interrupts.
//!
//! No threads, no I/O, no unsafe code. Where to start: `unit.rs`, then
//! `translate/mod.rs`, `qi/engine.rs` and `ir/remap.rs`; the bit layouts are in
//! `tables.rs`, `regs/`, `qi/descriptor.rs` and `ir/irte.rs`.
#![forbid(unsafe_code)]

pub mod cache;
pub mod checker;
pub mod event;
pub mod fault;
pub mod invalidate;
pub mod ir;
pub mod memory;
pub mod platform;
pub mod pmr;
pub mod program;
pub mod qi;
pub mod regs;
pub mod request;
pub mod stats;
pub mod tables;
pub mod timing;
pub mod topology;
pub mod translate;
pub mod unit;

pub use memory::{GuestMemory, SparseMemory};
pub use platform::Platform;
pub use request::{Access, AddressType, Fault, Recorded, Request, Translation, Via};
pub use unit::{Blocked, Discard, Unit, UnitConfig};

//! `vtd-conformance`: VT-d conformance scenarios, the backends that run them, and the
//! conformance matrix.
//!
//! A [`Scenario`] is data: a unit configuration (QEMU `intel-iommu` properties, or a
//! real unit's capabilities), a program of primitive steps (register and memory
//! accesses, PCI configuration, device DMA and MSIs, the APIC's pending vectors) with
//! the value every read must return, or a driver boot with its expected verdict. The
//! catalog (`catalog/`, one file per area) holds them; [`run`] runs them on a
//! [`Backend`] (`model`: `vtd-model` in process; `qemu`: QEMU's VT-d over qtest) and
//! judges each observation, accepting a difference only when it names a deviation of
//! that backend ([`deviation`]). [`coverage`] and [`report`] make the tables.
//!
//! Where to start: `scenario.rs`, `builder.rs`, then an area in `catalog/`.
#![forbid(unsafe_code)]

pub mod backend;
pub mod builder;
pub mod catalog;
pub mod coverage;
pub mod deviation;
pub mod layout;
pub mod oracle;
pub mod report;
pub mod run;
pub mod scenario;

pub use backend::{Backend, BackendError, Session};
pub use run::{run, run_all, Outcome, Status};
pub use scenario::{Area, Scenario};

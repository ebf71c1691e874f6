//! `dmar`: a lossless codec for the ACPI DMA Remapping (DMAR) table of Intel VT-d, and
//! a linter whose findings say what each production driver does with a defect.
//!
//! # What it owns
//! - [`layout`]: zerocopy views of every on-disk structure (ACPI header, DMAR header,
//!   DRHD, RMRR, ATSR, RHSA, ANDD, SATC, SIDP, device scopes and paths).
//! - [`view`]: a borrowing walk over untrusted bytes that never panics, never loops and
//!   never reads out of bounds; it stops at the first untrustworthy length and says why.
//! - [`Table`] ([`table`]): the owned, typed model. [`parse`] builds it, [`Table::encode`]
//!   writes it back byte for byte, [`builder`] and [`spec`] make synthetic tables.
//! - [`check`]: diagnostics with stable IDs, byte ranges, the matching checks of Xen 4.17,
//!   Linux 6.1 and fwts, what each production driver then does, and the workaround.
//! - [`tree`]: a field-by-field dump in the format of `iasl -d`.
//!
//! # Invariants
//! - `parse(b).map(|t| t.encode()) == Ok(b)` for every input that has a 48-byte header
//!   and a DMAR signature, whatever follows.
//! - No function in this crate panics on any input (enforced by clippy lints below and
//!   by the fuzz targets in `fuzz/`).
//!
//! # Where to start reading
//! [`view`] for how bytes are walked, then [`check::rules`] for the catalogue of defects.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable
    )
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "arbitrary")]
pub mod broken;
pub mod builder;
pub mod check;
mod decode;
mod encode;
pub mod layout;
pub mod repair;
#[cfg(feature = "serde")]
pub mod spec;
pub mod table;
pub mod text;
pub mod tree;
pub mod view;

pub use check::{check, Diagnostic, Platform, Severity};
pub use decode::parse;
pub use encode::{checksum_ok, LengthError};
pub use table::{
    Andd, Atsr, AtsrFlags, Body, DeviceScope, DmarFlags, Drhd, DrhdFlags, Header, Path, PathEntry,
    RawStructure, Rhsa, Rmrr, Satc, SatcFlags, ScopeKind, Scopes, Sidp, Structure, Table, Unparsed,
};
pub use view::{DmarView, StopReason, ViewError};

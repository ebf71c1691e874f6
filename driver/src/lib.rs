//! `vtd-driver`: a reference hypervisor driver that boots the `vtd-model` hardware the
//! way Xen 4.17, Xen 4.0 (the era of the Xen VTd HowTo) and Linux 6.1 boot real
//! hardware, with their command-line options, DMAR validation, bring-up order, domain
//! 0 mappings and device-assignment policies, each read from the production source and
//! cited where it is implemented.
//!
//! Where to start: [`boot()`] and `boot/xen417.rs` (the bring-up order), then
//! [`options`] (command lines), [`validate`] (what each parser makes of a table),
//! [`host`] (the booted system and how it programs the units) and [`assign`] (guests).
//! Invariants: the driver programs the model only through registers and memory, as
//! a driver programs hardware; a verdict's `log` holds only lines the production
//! driver prints, the reference driver's own remarks go to `notes`.
#![forbid(unsafe_code)]

pub mod cmdline;
pub mod log;
pub mod options;
pub mod personality;

pub use log::{Level, Log, LogLine};
pub use personality::Personality;
pub mod boot;
pub mod host;
pub mod validate;

pub use boot::{boot, Boot, BootInput, Outcome, Verdict};
pub mod assign;
pub mod implied;

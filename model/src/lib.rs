//! `vtd-model`: Intel VT-d remapping hardware as a pure state machine.
#![forbid(unsafe_code)]

pub mod cache;
pub mod fault;
pub mod memory;
pub mod regs;
pub mod tables;
pub mod topology;

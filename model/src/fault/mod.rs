//! Faults: reasons, and recording them as the hardware does.

mod reason;
pub mod record;

pub use reason::FaultReason;

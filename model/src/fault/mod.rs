//! Faults: reasons, and recording them as the hardware does.

mod reason;

pub use reason::FaultReason;

//! Registers: offsets, fields, the register page, capability presets.

pub mod cap;
pub mod file;
pub mod presets;

pub use cap::{Cap, Ecap};
pub use file::{MmioError, Registers};

/// Register offsets (VT-d spec rev 4.1, §11.4; Linux `drivers/iommu/intel/iommu.h`).
pub mod offset {
    /// Version.
    pub const VER: usize = 0x00;
    /// Capability.
    pub const CAP: usize = 0x08;
    /// Extended capability.
    pub const ECAP: usize = 0x10;
    /// Global command.
    pub const GCMD: usize = 0x18;
    /// Global status.
    pub const GSTS: usize = 0x1c;
    /// Root table address.
    pub const RTADDR: usize = 0x20;
    /// Context command.
    pub const CCMD: usize = 0x28;
    /// Fault status.
    pub const FSTS: usize = 0x34;
    /// Fault event control.
    pub const FECTL: usize = 0x38;
    /// Fault event data.
    pub const FEDATA: usize = 0x3c;
    /// Fault event address.
    pub const FEADDR: usize = 0x40;
    /// Fault event upper address.
    pub const FEUADDR: usize = 0x44;
    /// Advanced fault log.
    pub const AFLOG: usize = 0x58;
    /// Protected memory enable.
    pub const PMEN: usize = 0x64;
    /// Protected low-memory base.
    pub const PLMBASE: usize = 0x68;
    /// Protected low-memory limit.
    pub const PLMLIMIT: usize = 0x6c;
    /// Protected high-memory base.
    pub const PHMBASE: usize = 0x70;
    /// Protected high-memory limit.
    pub const PHMLIMIT: usize = 0x78;
    /// Invalidation queue head.
    pub const IQH: usize = 0x80;
    /// Invalidation queue tail.
    pub const IQT: usize = 0x88;
    /// Invalidation queue address.
    pub const IQA: usize = 0x90;
    /// Invalidation completion status.
    pub const ICS: usize = 0x9c;
    /// Invalidation event control.
    pub const IECTL: usize = 0xa0;
    /// Invalidation event data.
    pub const IEDATA: usize = 0xa4;
    /// Invalidation event address.
    pub const IEADDR: usize = 0xa8;
    /// Invalidation event upper address.
    pub const IEUADDR: usize = 0xac;
    /// Invalidation queue error record.
    pub const IQERCD: usize = 0xb0;
    /// Interrupt remapping table address.
    pub const IRTA: usize = 0xb8;
}

/// GCMD/GSTS bits.
pub mod gcmd {
    /// Translation enable (persistent).
    pub const TE: u32 = 1 << 31;
    /// Set root table pointer (one-shot).
    pub const SRTP: u32 = 1 << 30;
    /// Set fault log (one-shot).
    pub const SFL: u32 = 1 << 29;
    /// Enable advanced fault logging (persistent).
    pub const EAFL: u32 = 1 << 28;
    /// Write buffer flush (one-shot).
    pub const WBF: u32 = 1 << 27;
    /// Queued invalidation enable (persistent).
    pub const QIE: u32 = 1 << 26;
    /// Interrupt remapping enable (persistent).
    pub const IRE: u32 = 1 << 25;
    /// Set interrupt remap table pointer (one-shot).
    pub const SIRTP: u32 = 1 << 24;
    /// Compatibility format interrupt (persistent).
    pub const CFI: u32 = 1 << 23;
    /// The persistent status bits software writes back: `(GSTS & KEEP) | bit`.
    pub const KEEP: u32 = 0x96ff_ffff;
}

/// FSTS bits.
pub mod fsts {
    /// Primary fault overflow.
    pub const PFO: u32 = 1 << 0;
    /// Primary pending fault.
    pub const PPF: u32 = 1 << 1;
    /// Advanced fault overflow.
    pub const AFO: u32 = 1 << 2;
    /// Advanced pending fault.
    pub const APF: u32 = 1 << 3;
    /// Invalidation queue error.
    pub const IQE: u32 = 1 << 4;
    /// Invalidation completion error.
    pub const ICE: u32 = 1 << 5;
    /// Invalidation time-out error.
    pub const ITE: u32 = 1 << 6;
    /// Fault record index shift (bits 15:8).
    pub const FRI_SHIFT: u32 = 8;
}

/// FECTL / IECTL bits.
pub mod ectl {
    /// Interrupt mask.
    pub const IM: u32 = 1 << 31;
    /// Interrupt pending.
    pub const IP: u32 = 1 << 30;
}

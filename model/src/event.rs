//! What a unit sends to the rest of the machine: interrupt messages it generates itself
//! (fault events, invalidation-completion events, posted-interrupt notifications).
//! Remapped device interrupts are the return value of `Unit::remap_interrupt`, not
//! events.

/// A message the unit sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A fault event (FECTL/FEDATA/FEADDR/FEUADDR): an MSI write of `data` to `addr`.
    FaultInterrupt {
        /// FEUADDR:FEADDR.
        addr: u64,
        /// FEDATA.
        data: u32,
    },
    /// An invalidation-completion event (IECTL/IEDATA/IEADDR/IEUADDR), raised by an
    /// invalidation wait descriptor with IF=1.
    InvalidationComplete {
        /// IEUADDR:IEADDR.
        addr: u64,
        /// IEDATA.
        data: u32,
    },
    /// A device-TLB (ATS) invalidation request the unit sent to a device, from a
    /// device-TLB or PASID-based device-TLB invalidation descriptor.
    DeviceTlbInvalidation {
        /// The device.
        source_id: u16,
        /// The PASID, for a PASID-based invalidation of one PASID.
        pasid: Option<u32>,
        /// First byte of the range.
        addr: u64,
        /// Bytes in the range.
        size: u64,
    },
    /// A posted-interrupt notification: the notification vector NV sent to the
    /// physical APIC NDST of a posted-interrupt descriptor whose ON bit the unit set.
    PostedNotification {
        /// NV.
        vector: u8,
        /// NDST (the 8-bit xAPIC ID in xAPIC mode).
        destination: u32,
    },
}

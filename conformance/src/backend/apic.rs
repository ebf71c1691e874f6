//! CPU 0's local APIC as the scenarios observe it: the set of requested vectors
//! (IRR). The CPU sits in HLT with interrupts disabled, so nothing is ever
//! acknowledged and IRR only grows, in QEMU as here.

use vtd_model::ir::{DeliveryMode, Interrupt};

/// IRR of the local APIC with ID 0, in xAPIC mode (its state after reset).
#[derive(Debug, Clone, Default)]
pub struct Apic {
    irr: [u64; 4],
}

impl Apic {
    /// Pending vectors, ascending.
    pub fn pending(&self) -> Vec<u8> {
        (0..=255u8)
            .filter(|v| self.irr[usize::from(*v / 64)] & (1 << (*v % 64)) != 0)
            .collect()
    }

    /// A remapped interrupt arrives: fixed and lowest-priority interrupts for APIC 0
    /// (physical ID 0, or the xAPIC broadcast 0xff) set their vector. With flat logical
    /// mode and LDR 0, a logical destination matches nothing.
    pub fn deliver(&mut self, i: &Interrupt) {
        if !matches!(
            i.delivery,
            DeliveryMode::Fixed | DeliveryMode::LowestPriority
        ) {
            return;
        }
        let broadcast = if i.x2apic { u32::MAX } else { 0xff };
        let ours = if i.logical {
            i.destination == broadcast
        } else {
            i.destination == 0 || i.destination == broadcast
        };
        if ours {
            self.set(i.vector);
        }
    }

    /// A compatibility-format MSI the unit sends itself (fault and invalidation
    /// events): address 0xFEEx_xxxx with the destination in 19:12, vector in data 7:0,
    /// delivery mode in data 10:8.
    pub fn message(&mut self, addr: u64, data: u32) {
        if addr >> 20 != 0xfee {
            return;
        }
        let dest = ((addr >> 12) & 0xff) as u32;
        let logical = addr & (1 << 2) != 0;
        let mode = (data >> 8) & 7;
        if mode > 1 {
            return;
        }
        let ours = if logical {
            dest == 0xff
        } else {
            dest == 0 || dest == 0xff
        };
        if ours {
            self.set(data as u8);
        }
    }

    fn set(&mut self, vector: u8) {
        // Vectors 0–15 are illegal: the APIC records a receive error instead.
        if vector >= 16 {
            self.irr[usize::from(vector / 64)] |= 1 << (vector % 64);
        }
    }
}

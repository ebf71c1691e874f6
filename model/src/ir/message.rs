//! Interrupt requests as they reach the unit: MSI writes to 0xFEEx_xxxx in the
//! compatibility or the remappable format, and what an I/O APIC sends for a
//! redirection-table entry (VT-d spec rev 4.1 §5.1.2, §5.1.5; docs/sources/qi-ir.md
//! §B.3).

use super::irte::DeliveryMode;

/// An interrupt request: a DMA write of `data` to `addr` by `source_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterruptRequest {
    /// Requester-id after bridge aliasing (for an I/O APIC or HPET, the id its DMAR
    /// device scope gives it).
    pub source_id: u16,
    /// The address written.
    pub addr: u64,
    /// The 32-bit data written.
    pub data: u32,
}

/// How a request is to be interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Address bit 4 clear: the message carries its own destination and vector.
    Compatibility,
    /// Address bit 4 set: an index into the interrupt remapping table.
    Remappable {
        /// HANDLE, plus SUBHANDLE (data[15:0]) when SHV is set, modulo 2^16.
        index: u16,
    },
}

/// Decode the format. A request whose address is not 0x0000_0000_FEEx_xxxx, or a
/// remappable request with data[31:16] set, has reserved fields set (fault 0x20): the
/// address check is QEMU's (`vtd_interrupt_remap_msi`), the data check VirtualBox's
/// (`VTD_BF_REMAPPABLE_MSI_DATA_RSVD`).
pub fn format(req: &InterruptRequest) -> Option<Format> {
    if req.addr >> 20 != 0xfee {
        return None;
    }
    if req.addr & (1 << 4) == 0 {
        return Some(Format::Compatibility);
    }
    if req.data >> 16 != 0 {
        return None;
    }
    let handle = ((req.addr >> 5) & 0x7fff) as u16 | (((req.addr >> 2) & 1) as u16) << 15;
    let shv = req.addr & (1 << 3) != 0;
    let index = if shv {
        handle.wrapping_add(req.data as u16)
    } else {
        handle
    };
    Some(Format::Remappable { index })
}

/// The fields of a compatibility-format message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compatibility {
    /// Vector, data[7:0].
    pub vector: u8,
    /// Destination APIC id, address[19:12].
    pub destination: u8,
    /// Logical destination mode, address bit 2.
    pub logical: bool,
    /// Redirection hint, address bit 3.
    pub redirection_hint: bool,
    /// Delivery mode, data[10:8].
    pub delivery: DeliveryMode,
    /// Level-triggered, data bit 15.
    pub level: bool,
}

/// Read a message as compatibility format.
pub fn compatibility(req: &InterruptRequest) -> Compatibility {
    Compatibility {
        vector: req.data as u8,
        destination: (req.addr >> 12) as u8,
        logical: req.addr & (1 << 2) != 0,
        redirection_hint: req.addr & (1 << 3) != 0,
        delivery: DeliveryMode::from_bits(((req.data >> 8) & 7) as u8),
        level: req.data & (1 << 15) != 0,
    }
}

/// A remappable MSI for interrupt-table `index`; with `subhandle`, SHV is set and the
/// index is the handle plus the subhandle, as Linux and Xen program multi-vector MSI.
pub fn remappable_msi(handle: u16, subhandle: Option<u16>) -> (u64, u32) {
    let mut addr =
        0xfee0_0000 | u64::from(handle & 0x7fff) << 5 | 1 << 4 | u64::from(handle >> 15) << 2;
    let mut data = 0;
    if let Some(s) = subhandle {
        addr |= 1 << 3;
        data = u32::from(s);
    }
    (addr, data)
}

/// What an I/O APIC writes for redirection-table entry `rte`. In the remappable format
/// (bit 48) the index is bits 63:49 with bit 11 as index[15], and no subhandle; the
/// vector field (7:0) and trigger mode (15) travel in the data, where remapping
/// ignores them. In the compatibility format the destination is bits 63:56.
pub fn from_ioapic_rte(source_id: u16, rte: u64) -> InterruptRequest {
    let vector = rte & 0xff;
    let level = (rte >> 15) & 1;
    if rte & (1 << 48) != 0 {
        let index = ((rte >> 49) & 0x7fff) as u16 | (((rte >> 11) & 1) as u16) << 15;
        let (addr, _) = remappable_msi(index, None);
        InterruptRequest {
            source_id,
            addr,
            data: (vector | level << 15) as u32,
        }
    } else {
        let dest = (rte >> 56) & 0xff;
        let logical = (rte >> 11) & 1;
        let delivery = (rte >> 8) & 7;
        InterruptRequest {
            source_id,
            addr: 0xfee0_0000 | dest << 12 | logical << 2,
            data: (vector | delivery << 8 | level << 15) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_and_subhandles() {
        let (addr, data) = remappable_msi(0x8005, Some(3));
        let r = InterruptRequest {
            source_id: 0,
            addr,
            data,
        };
        assert_eq!(format(&r), Some(Format::Remappable { index: 0x8008 }));
        let ioapic = from_ioapic_rte(0xf0f8, 1 << 48 | 0x1234 << 49 | 1 << 11 | 0x30);
        assert_eq!(format(&ioapic), Some(Format::Remappable { index: 0x9234 }));
        let bad = InterruptRequest { data: 1 << 16, ..r };
        assert_eq!(format(&bad), None);
        let not_msi = InterruptRequest {
            addr: 0xfed0_0000,
            ..r
        };
        assert_eq!(format(&not_msi), None);
    }

    #[test]
    fn compatibility_fields() {
        let r = from_ioapic_rte(0, 0x0300_0000_0000_0000 | 1 << 15 | 1 << 8 | 0x41);
        assert_eq!(format(&r), Some(Format::Compatibility));
        let c = compatibility(&r);
        assert_eq!(
            (c.vector, c.destination, c.level, c.delivery),
            (0x41, 3, true, DeliveryMode::LowestPriority)
        );
    }
}

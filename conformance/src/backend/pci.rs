//! The PCI side of the machines: where the firmware of a scenario machine puts BARs
//! and bus numbers (the QEMU backend programs them over configuration cycles, since
//! its firmware is a page of HLT), and a small configuration space for the model
//! backend's devices with the same values QEMU's `edu` and `pcie-pci-bridge` show.

use vtd_machine::Bdf;

/// edu's PCI ID (vendor 1234, device 11e8).
pub const EDU_ID: u32 = 0x11e8_1234;
/// BAR0 of the edu at 00:01.0 (1 MiB).
pub const EDU_BAR: u64 = 0xe000_0000;
/// BAR0 of the edu behind the bridge.
pub const EDU2_BAR: u64 = 0xe010_0000;
/// The bridge's function.
pub const BRIDGE: Bdf = Bdf {
    segment: 0,
    bus: 0,
    device: 2,
    function: 0,
};
/// Offset of edu's MSI capability.
pub const MSI_CAP: u8 = 0x40;
/// edu's DMA buffer, as a device address.
pub const EDU_DMA_START: u64 = 0x40000;
/// PCI command: memory space and bus master enable.
pub const COMMAND_MEM_BME: u32 = 0x6;
/// The bus master enable bit.
pub const BME: u32 = 1 << 2;

/// A function's configuration space (the first 256 bytes) with write masks.
#[derive(Debug, Clone)]
pub struct ConfigSpace {
    bytes: [u8; 256],
    writable: [u8; 256],
}

impl ConfigSpace {
    /// An edu function: ID, class 00ff00 rev 0x10, BAR0 1 MiB, a 64-bit MSI capability
    /// at 0x40, BAR and command as the scenario firmware leaves them.
    pub fn edu(bar: u64) -> Self {
        let mut c = ConfigSpace {
            bytes: [0; 256],
            writable: [0; 256],
        };
        c.set32(0x00, EDU_ID);
        c.set32(0x04, 0x0010_0000 | COMMAND_MEM_BME);
        c.set32(0x08, 0x00ff_0010);
        c.set32(0x10, bar as u32);
        c.set32(0x2c, 0x1100_1af4);
        c.bytes[0x34] = MSI_CAP;
        c.bytes[0x3d] = 1;
        c.set32(u32::from(MSI_CAP), 0x0080_0005);
        // Command (bits 10:0), BAR0 (1 MiB aligned), interrupt line, MSI enable and
        // message address/data.
        c.mask32(0x04, 0x0000_07ff);
        c.mask32(0x10, 0xfff0_0000);
        c.writable[0x3c] = 0xff;
        c.mask32(u32::from(MSI_CAP), 0x0001_0000);
        c.mask32(u32::from(MSI_CAP) + 4, 0xffff_fffc);
        c.mask32(u32::from(MSI_CAP) + 8, 0xffff_ffff);
        c.mask32(u32::from(MSI_CAP) + 12, 0x0000_ffff);
        c
    }

    fn set32(&mut self, off: u32, v: u32) {
        let o = off as usize;
        self.bytes[o..o + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn mask32(&mut self, off: u32, m: u32) {
        let o = off as usize;
        self.writable[o..o + 4].copy_from_slice(&m.to_le_bytes());
    }

    /// Read a dword (offset rounded down to 4).
    pub fn read(&self, offset: u8) -> u32 {
        let o = usize::from(offset & 0xfc);
        u32::from_le_bytes([
            self.bytes[o],
            self.bytes[o + 1],
            self.bytes[o + 2],
            self.bytes[o + 3],
        ])
    }

    /// Write a dword through the write mask.
    pub fn write(&mut self, offset: u8, value: u32) {
        let o = usize::from(offset & 0xfc);
        for (i, b) in value.to_le_bytes().into_iter().enumerate() {
            let m = self.writable[o + i];
            self.bytes[o + i] = (self.bytes[o + i] & !m) | (b & m);
        }
    }

    /// Bus master enable.
    pub fn bus_master(&self) -> bool {
        self.read(0x04) & BME != 0
    }
}

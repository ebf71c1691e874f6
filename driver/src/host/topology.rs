//! The PCI facts the drivers' policies turn on: which bridge a conventional device sits
//! behind, which source-ids its DMA can carry, which devices share them.

use vtd_machine::{Bdf, Machine, PciDevice, PciKind};

/// The bridge whose secondary..subordinate range holds `bus`.
fn parent(m: &Machine, segment: u16, bus: u8) -> Option<&PciDevice> {
    m.pci.iter().find(|p| {
        p.bdf.segment == segment
            && p.kind.is_bridge()
            && p.secondary_bus.is_some_and(|s| {
                let e = p.subordinate_bus.unwrap_or(s);
                (s..=e).contains(&bus) && p.bdf.bus != bus
            })
    })
}

/// The top-most PCIe-to-PCI bridge above `bdf` and its secondary bus (Xen's
/// `find_upstream_bridge()`, which follows `bus2bridge` to the top; PCIe ports are not
/// recorded there, so only PCIe-to-PCI bridges count).
pub fn upstream_bridge(m: &Machine, bdf: Bdf) -> Option<(Bdf, u8)> {
    let mut bus = bdf.bus;
    let mut found = None;
    for _ in 0..256 {
        let Some(p) = parent(m, bdf.segment, bus) else {
            break;
        };
        if p.kind == PciKind::PcieToPciBridge {
            found = Some((p.bdf, p.secondary_bus.unwrap_or(bus)));
        }
        if p.bdf.bus == bus {
            break;
        }
        bus = p.bdf.bus;
    }
    found
}

/// Whether `bdf` is a conventional PCI device (Xen's `DEV_TYPE_PCI`): the model knows
/// this only for devices behind a PCIe-to-PCI bridge.
pub fn conventional(m: &Machine, bdf: Bdf) -> bool {
    upstream_bridge(m, bdf).is_some()
}

/// Every endpoint that shares `bdf`'s PCIe-to-PCI bridge (itself included), in BDF
/// order; just `bdf` for a device with its own requester-id.
pub fn alias_group(m: &Machine, bdf: Bdf) -> Vec<Bdf> {
    let Some(bridge) = upstream_bridge(m, bdf) else {
        return vec![bdf];
    };
    let mut v: Vec<Bdf> = m
        .pci
        .iter()
        .filter(|p| !p.kind.is_bridge() && upstream_bridge(m, p.bdf) == Some(bridge))
        .map(|p| p.bdf)
        .collect();
    v.sort();
    v
}

/// Whether the function is a display controller (base class 0x03).
pub fn is_display(d: &PciDevice) -> bool {
    d.class.is_some_and(|c| c >> 16 == 0x03)
}

/// Whether the function is a USB controller (class 0x0c03).
pub fn is_usb(d: &PciDevice) -> bool {
    d.class.is_some_and(|c| c >> 8 == 0x0c03)
}

/// Whether the function is a host bridge (class 0x0600).
pub fn is_host_bridge(d: &PciDevice) -> bool {
    d.class.is_some_and(|c| c >> 8 == 0x0600)
}

/// Whether the function is an ISA bridge (class 0x0601).
pub fn is_isa_bridge(d: &PciDevice) -> bool {
    d.class.is_some_and(|c| c >> 8 == 0x0601)
}

/// The endpoints that DMA: every function that is not a bridge or a host bridge.
pub fn dma_devices(m: &Machine) -> impl Iterator<Item = &PciDevice> {
    m.pci
        .iter()
        .filter(|p| !p.kind.is_bridge() && !is_host_bridge(p))
}

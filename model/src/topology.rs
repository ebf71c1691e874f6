//! Which requester ID (source-id) a device's DMA carries.
//!
//! PCIe functions tag their requests with their own bus/device/function. Conventional
//! PCI devices behind a PCIe-to-PCI bridge cannot: the bridge takes ownership and the
//! request arrives with the bridge's secondary bus number and devfn 0 (PCIe-to-PCI/X
//! Bridge spec 1.0, §2.3; Linux `pci_for_each_dma_alias()`, QEMU
//! `PCI_REQ_ID_SECONDARY_BUS`). Behind a conventional PCI-to-PCI bridge on such a bus,
//! the alias is the bridge's own BDF. VT-d therefore sees one source-id for all of
//! them, which is why they must be assigned together.

use vtd_machine::{Bdf, Machine, PciKind};

/// A function, its kind, and for a bridge the (secondary, subordinate) bus range.
type Node = (Bdf, PciKind, Option<(u8, u8)>);

/// The PCI topology as DMA sees it.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    devices: Vec<Node>,
}

impl Topology {
    /// From a machine description.
    pub fn from_machine(m: &Machine) -> Self {
        Topology {
            devices: m
                .pci
                .iter()
                .map(|d| {
                    let range = match (d.secondary_bus, d.subordinate_bus) {
                        (Some(s), Some(e)) => Some((s, e)),
                        (Some(s), None) => Some((s, s)),
                        _ => None,
                    };
                    (d.bdf, d.kind, range)
                })
                .collect(),
        }
    }

    /// Whether the machine has this function.
    pub fn contains(&self, bdf: Bdf) -> bool {
        self.devices.iter().any(|d| d.0 == bdf)
    }

    /// The bridge directly above `bus` (the one whose secondary bus it is).
    fn parent_bridge(&self, segment: u16, bus: u8) -> Option<(Bdf, PciKind)> {
        self.devices
            .iter()
            .find(|(b, k, r)| {
                b.segment == segment && k.is_bridge() && r.is_some_and(|(s, _)| s == bus)
            })
            .map(|(b, k, _)| (*b, *k))
    }

    /// The requester ID a request from `bdf` arrives with at the root complex: walk
    /// up the bridges; the last PCIe-to-PCI bridge crossed (or a conventional bridge
    /// below it) decides the alias.
    pub fn requester_id(&self, bdf: Bdf) -> Bdf {
        let mut rid = bdf;
        let mut bus = bdf.bus;
        // Bounded by the number of buses: a malformed topology cannot loop.
        for _ in 0..256 {
            let Some((bridge, kind)) = self.parent_bridge(bdf.segment, bus) else {
                break;
            };
            if kind == PciKind::PcieToPciBridge {
                rid = Bdf {
                    segment: bdf.segment,
                    bus,
                    device: 0,
                    function: 0,
                };
            }
            if bridge.bus == bus {
                break;
            }
            bus = bridge.bus;
        }
        rid
    }

    /// The 16-bit source-id of [`requester_id`](Self::requester_id).
    pub fn source_id(&self, bdf: Bdf) -> u16 {
        self.requester_id(bdf).requester_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Machine {
        Machine::from_toml(
            r#"
            [[pci]]
            bdf = "00:1e.0"
            type = "pcie-to-pci-bridge"
            secondary_bus = 5
            subordinate_bus = 5
            [[pci]]
            bdf = "05:01.0"
            [[pci]]
            bdf = "05:02.0"
            [[pci]]
            bdf = "00:1c.0"
            type = "bridge"
            secondary_bus = 2
            [[pci]]
            bdf = "02:00.0"
            "#,
            "test",
        )
        .unwrap()
    }

    #[test]
    fn conventional_devices_behind_a_pcie_to_pci_bridge_share_one_source_id() {
        let t = Topology::from_machine(&machine());
        let a: Bdf = "05:01.0".parse().unwrap();
        let b: Bdf = "05:02.0".parse().unwrap();
        assert_eq!(t.source_id(a), 0x0500);
        assert_eq!(t.source_id(a), t.source_id(b));
    }

    #[test]
    fn pcie_devices_keep_their_own_id() {
        let t = Topology::from_machine(&machine());
        let d: Bdf = "02:00.0".parse().unwrap();
        assert_eq!(t.source_id(d), 0x0200);
    }
}

//! Requester-id aliasing (§3.4.1): a conventional PCI device behind a PCIe-to-PCI
//! bridge reaches the unit with the bridge's requester-id (secondary bus, device 0,
//! function 0), so its context entry, fault records and interrupt source-id are the
//! alias's, not its own.

use crate::builder::{data, fault_record, scenario, BRIDGE_ALIAS, EDU_BEHIND_BRIDGE};
use crate::layout::{entry, irte, pte, Reg};
use crate::scenario::{Area, Scenario};

const A: [u8; 4] = [0xb1, 0xb2, 0xb3, 0xb4];

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let alias = BRIDGE_ALIAS.requester_id();
    let own = EDU_BEHIND_BRIDGE.requester_id();
    let b = |name: &str, intent: &str| {
        scenario(Area::Bridges, name, intent)
            .bridge_machine()
            .load_buffer(EDU_BEHIND_BRIDGE, &A)
    };
    let mut v = Vec::new();
    {
        let (s, root) = b(
            "alias-context",
            "The device behind the bridge is translated by the context entry of the alias 01:00.0",
        )
        .spec("§3.4.1 requester-id of devices behind PCIe-to-PCI bridges")
        .legacy_device(alias, 3);
        v.push(
            s.map(root, 0x1000, data(1), pte::RW)
                .root_table(false)
                .translation(true)
                .dma_write(EDU_BEHIND_BRIDGE, 0x1000, 4, 0)
                .expect_mem(data(1), &A)
                .no_fault()
                .build(),
        );
    }
    {
        let (s, root) = b("own-context-unused", "A context entry for the device's own BDF (01:03.0) is not used: the request faults as the alias (context not present)")
            .spec("§3.4.1")
            .legacy_device(own, 3);
        v.push(
            s.map(root, 0x1000, data(1), pte::RW)
                .root_table(false)
                .translation(true)
                .dma_write(EDU_BEHIND_BRIDGE, 0x1000, 4, 0)
                .expect_mem(data(1), &[0; 4])
                .expect_fault(0, fault_record(0x02, alias, 0x1000, false))
                .build(),
        );
    }
    {
        let (lo, hi) = entry::context(0, entry::Tt::PassThrough, 1, 4, false);
        v.push(
            b("alias-pass-through", "A pass-through context entry for the alias lets the device behind the bridge DMA untranslated")
                .spec("§3.4.1, §9.3 TT=10b")
                .root_entry(1)
                .context_entry(alias, lo, hi)
                .root_table(false)
                .translation(true)
                .dma_write(EDU_BEHIND_BRIDGE, data(2), 4, 0)
                .expect_mem(data(2), &A)
                .no_fault()
                .build(),
        );
    }
    v.push(
        b("interrupt-source-is-alias", "An IRTE verifying the alias's source-id (SVT=01b) delivers the MSI of the device behind the bridge")
            .spec("§3.4.1, §9.10 IRTE SID")
            .ir_on(7)
            .irte(30, irte::Remapped::new(0xa0, 0).verify(1, 0, alias).encode())
            .msi(EDU_BEHIND_BRIDGE, irte::msi_address(30), 0)
            .irr(&[0xa0])
            .build(),
    );
    v.push(
        b("interrupt-own-sid-rejected", "An IRTE verifying the device's own BDF rejects its MSI: the request carries the alias (fault 0x26)")
            .spec("§3.4.1, §9.10 IRTE SID")
            .ir_on(7)
            .irte(31, irte::Remapped::new(0xa1, 0).verify(1, 0, own).encode())
            .msi(EDU_BEHIND_BRIDGE, irte::msi_address(31), 0)
            .irr(&[])
            .read_or(Reg::Fsts, 2, "qemu-ir-faults-not-recorded", 0)
            .build(),
    );
    v
}

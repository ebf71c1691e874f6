//! Snoop control (§3.9, §9.8 SNP, §11.4.3 ECAP.SC): the SNP bit of a second-level
//! leaf is honoured only on units with snoop control; elsewhere it is reserved.

use crate::builder::{data, fault_record, scenario, EDU};
use crate::layout::{pte, Reg};
use crate::scenario::{Area, Scenario};

const A: [u8; 4] = [0x0c, 0x0d, 0x0e, 0x0f];

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let s = |name: &str, intent: &str| scenario(Area::Snoop, name, intent).data(0, &A);
    let mut v = Vec::new();
    {
        let (b, root) = s(
            "snp-with-sc",
            "With ECAP.SC, a leaf with SNP set translates normally",
        )
        .spec("§9.8 SL-PTE SNP; §11.4.3 ECAP.SC")
        .snoop_control()
        .legacy_setup();
        v.push(
            b.map(root, 0x1000, data(0), pte::R | pte::SNP)
                .map(root, 0x2000, data(1), pte::RW | pte::SNP)
                .translation(true)
                .copy(EDU, 0x1000, 0x2000, 4)
                .expect_mem(data(1), &A)
                .no_fault()
                .build(),
        );
    }
    {
        let (b, root) = s(
            "snp-large-page-with-sc",
            "With ECAP.SC, a 2 MiB leaf with SNP set translates normally",
        )
        .spec("§9.8 SL-PDE (PS=1) SNP")
        .snoop_control()
        .legacy_setup();
        let base = crate::builder::DATA;
        v.push(
            b.map(root, 0x1000, data(0), pte::R)
                .map_sl(root, 3, 0x20_0000, base, 0x20_0000, pte::RW | pte::SNP)
                .translation(true)
                .copy(EDU, 0x1000, 0x20_0000 + 0x8000, 4)
                .expect_mem(base + 0x8000, &A)
                .no_fault()
                .build(),
        );
    }
    {
        let (b, root) = s(
            "snp-reserved-without-sc",
            "Without ECAP.SC, SNP in a leaf is a reserved bit: fault 0x0C",
        )
        .spec("§9.8: SNP is reserved when ECAP.SC is clear")
        .legacy_setup();
        v.push(
            b.map(root, 0x1000, data(0), pte::RW | pte::SNP)
                .translation(true)
                .dma_read(EDU, 0x1000, 4, 0)
                .read(Reg::Fsts, 2)
                .expect_fault(0, fault_record(0x0c, 0x0008, 0x1000, true))
                .build(),
        );
    }
    {
        let (b, root) = s(
            "snp-non-leaf-with-sc",
            "Even with ECAP.SC, bit 11 of a non-leaf second-level entry is reserved: fault 0x0C",
        )
        .spec("§9.8: SNP exists only in leaf entries")
        .snoop_control()
        .legacy_setup();
        let b = b.map(root, 0x1000, data(0), pte::RW);
        // Set bit 11 in the top-level entry that leads to the leaf.
        let top = crate::layout::pte::sl(crate::builder::TABLES + 0x2000, pte::RW | pte::SNP);
        v.push(
            b.mem64(root, top)
                .translation(true)
                .dma_read(EDU, 0x1000, 4, 0)
                .read(Reg::Fsts, 2)
                .expect_fault(0, fault_record(0x0c, 0x0008, 0x1000, true))
                .build(),
        );
    }
    v
}

//! Legacy-mode translation (§3.4-§3.6, §9.1-§9.3, §9.8): root and context entries,
//! 3- and 4-level second-level tables, 4 KiB, 2 MiB and 1 GiB pages, pass-through,
//! several devices and domains.

use crate::builder::{context_table, data, scenario, Builder, EDU, TABLES};
use crate::layout::{entry, pte};
use crate::scenario::{Area, Scenario};

const A: [u8; 8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];

fn legacy(name: &str, intent: &str) -> Builder {
    scenario(Area::Legacy, name, intent).data(0, &A)
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    // A page read and written through the tables, 3-level and 4-level.
    for (aw48, name) in [(false, "4k-3level"), (true, "4k-4level")] {
        let mut b = legacy(name, "A 4 KiB mapping translates a device read and a device write (the write lands at the mapped page's offset)")
            .spec("§3.6 second-level translation, §9.8 second-level paging entries");
        if aw48 {
            b = b.aw48();
        }
        let (b, root) = b.legacy_setup();
        v.push(
            b.map(root, 0x40_0000, data(0), pte::RW)
                .map(root, 0x40_1000, data(1), pte::RW)
                .translation(true)
                .copy(EDU, 0x40_0000, 0x40_1010, 8)
                .expect_mem(data(1) + 0x10, &A)
                .no_fault()
                .build(),
        );
    }
    // Large pages: the IOVA's offset inside the large page is kept.
    for (size, name, spec) in [
        (
            0x20_0000u64,
            "2m-page",
            "§9.8 SL-PDE with PS=1 (CAP.SLLPS bit 0)",
        ),
        (
            0x4000_0000u64,
            "1g-page",
            "§9.8 SL-PDPE with PS=1 (CAP.SLLPS bit 1)",
        ),
    ] {
        let (b, root) = legacy(
            name,
            "A large page maps a whole aligned range; the offset inside it is kept",
        )
        .spec(spec)
        .legacy_setup();
        let iova = size * 2;
        // The large page maps [iova, iova+size) onto an aligned physical range that
        // holds the data pages.
        let pa = crate::builder::DATA & !(size - 1);
        let off = 0x1_4340;
        let target = crate::builder::DATA + off;
        v.push(
            b.map(root, 0x1000, data(0), pte::RW)
                .map_sl(root, 3, iova, pa, size, pte::RW)
                .translation(true)
                .dma_read(EDU, 0x1000, 8, 0)
                .dma_write(EDU, iova + (target - pa), 8, 0)
                .expect_mem(target, &A)
                .no_fault()
                .build(),
        );
    }
    {
        let (lo, hi) = entry::context(0, entry::Tt::PassThrough, 1, 1, false);
        v.push(
            legacy("pass-through", "A context entry with TT=10b passes the device's DMA through untranslated (ECAP.PT)")
                .spec("§9.3 context entry TT, §11.4.3 ECAP.PT")
                .root_entry(0)
                .context_entry(EDU.requester_id(), lo, hi)
                .root_table(false)
                .translation(true)
                .copy(EDU, data(0), data(1), 8)
                .expect_mem(data(1), &A)
                .no_fault()
                .build(),
        );
    }
    {
        let (b, root) = legacy(
            "3level-on-48bit-unit",
            "A unit with SAGAW 39+48 walks 3-level tables for a context entry with AW=1",
        )
        .spec("§9.3 context entry AW, §11.4.2 CAP.SAGAW")
        .aw48()
        .legacy_setup();
        // legacy_setup used AW=2; rewrite the context entry for AW=1 and 3 levels.
        let (lo, hi) = entry::context(root, entry::Tt::Multi, 1, 1, false);
        v.push(
            b.context_entry(EDU.requester_id(), lo, hi)
                .map_sl(root, 3, 0x8000, data(0), 0x1000, pte::RW)
                .map_sl(root, 3, 0x9000, data(1), 0x1000, pte::RW)
                .translation(true)
                .copy(EDU, 0x8000, 0x9008, 8)
                .expect_mem(data(1) + 8, &A)
                .no_fault()
                .build(),
        );
    }
    {
        let (b, root) = legacy("cross-page-dma", "A DMA that crosses a page boundary is translated page by page into non-contiguous pages")
            .spec("§3.6: each page of a request is translated")
            .legacy_setup();
        v.push(
            b.map(root, 0x20_0000, data(0), pte::RW)
                .map(root, 0x30_0000, data(5), pte::RW)
                .map(root, 0x30_1000, data(3), pte::RW)
                .translation(true)
                .dma_read(EDU, 0x20_0000, 8, 0)
                .dma_write(EDU, 0x30_0ffc, 8, 0)
                .expect_mem(data(5) + 0xffc, &A[..4])
                .expect_mem(data(3), &A[4..])
                .no_fault()
                .build(),
        );
    }
    {
        let (b, root) = legacy(
            "alias-mappings",
            "Two IOVAs mapped to the same page see the same memory",
        )
        .spec("§3.6")
        .legacy_setup();
        v.push(
            b.map(root, 0x1000, data(0), pte::RW)
                .map(root, 0x7000, data(1), pte::RW)
                .map(root, 0x9000, data(1), pte::RW)
                .translation(true)
                .dma_read(EDU, 0x1000, 8, 0)
                .dma_write(EDU, 0x7000, 8, 0)
                .dma_read(EDU, 0x9000, 8, 0x100)
                .dma_write(EDU, 0x9020, 8, 0x100)
                .expect_mem(data(1) + 0x20, &A)
                .no_fault()
                .build(),
        );
    }
    {
        // Read-only source, write-only destination.
        let (b, root) = legacy(
            "permissions-honoured",
            "A read-only page can be read and a write-only page written",
        )
        .spec("§9.8 second-level R and W bits")
        .legacy_setup();
        v.push(
            b.map(root, 0x1000, data(0), pte::R)
                .map(root, 0x2000, data(1), pte::W)
                .translation(true)
                .copy(EDU, 0x1000, 0x2000, 8)
                .expect_mem(data(1), &A)
                .no_fault()
                .build(),
        );
    }
    {
        // The same device in another domain after its context entry changes, with a
        // device-selective context invalidation and a domain IOTLB flush.
        let (b, root) = legacy("context-reassign", "Moving a device to another domain (new context entry, device-selective context flush, IOTLB flush of the old domain) switches its tables")
            .spec("§6.5.3.1 context-cache invalidation when a context entry changes")
            .legacy_setup();
        let mut b = b
            .map(root, 0x1000, data(0), pte::RW)
            .translation(true)
            .dma_read(EDU, 0x1000, 8, 0);
        let root2 = b.new_table();
        let aw = b.aw();
        let (lo, hi) = entry::context(root2, entry::Tt::Multi, aw, 2, false);
        v.push(
            b.map(root2, 0x1000, data(4), pte::RW)
                .context_entry(EDU.requester_id(), lo, hi)
                .write(
                    crate::layout::Reg::Ccmd,
                    crate::layout::ccmd::request(
                        crate::layout::ccmd::DEVICE,
                        1,
                        EDU.requester_id(),
                        0,
                    ),
                )
                .poll(crate::layout::Reg::Ccmd, crate::layout::ccmd::ICC, 0)
                .write(
                    crate::layout::Reg::Iotlb,
                    crate::layout::iotlb::request(crate::layout::iotlb::DOMAIN, 1),
                )
                .poll(crate::layout::Reg::Iotlb, crate::layout::iotlb::IVT, 0)
                .dma_write(EDU, 0x1000, 8, 0)
                .expect_mem(data(4), &A)
                .expect_mem(data(0), &A)
                .no_fault()
                .covers(crate::scenario::Cover::RegisterInvalidation(
                    "ccmd", "device",
                ))
                .covers(crate::scenario::Cover::RegisterInvalidation(
                    "iotlb", "domain",
                ))
                .build(),
        );
    }
    {
        // The default root at TABLES; the context table for bus 0 built by hand at
        // its standard place, with a high-memory page.
        let (lo, hi) = entry::context(TABLES, entry::Tt::Multi, 1, 7, false);
        v.push(
            legacy("high-iova", "The top of the 39-bit space (IOVA 0x7f_ffff_f000) translates through the last entry of every level")
                .spec("§3.6, §9.8")
                .mem64(crate::builder::ROOT, entry::root(context_table(0)))
                .context_entry(EDU.requester_id(), lo, hi)
                .map_sl(TABLES, 3, 0x1000, data(0), 0x1000, pte::RW)
                .map_sl(TABLES, 3, 0x7f_ffff_f000, data(2), 0x1000, pte::RW)
                .root_table(false)
                .translation(true)
                .copy(EDU, 0x1000, 0x7f_ffff_f100, 8)
                .expect_mem(data(2) + 0x100, &A)
                .no_fault()
                .build(),
        );
    }
    v
}

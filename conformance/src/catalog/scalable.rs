//! Scalable-mode translation (§3.5, §9.2, §9.4-§9.7): scalable root and context
//! entries, the PASID directory and table, RID_PASID, second-stage tables of 3 and 4
//! levels with large pages, pass-through, first-stage tables (on a unit with
//! ECAP.FLTS, which QEMU 7.2 lacks), and the scalable-mode faults of the structures.

use crate::builder::{
    context_table, data, fault_record, scenario, Builder, EDU, PASID_DIR, ROOT, TABLES,
};
use crate::layout::{entry, pte, Reg};
use crate::scenario::{Area, Cover, Req, Scenario};

const A: [u8; 4] = [0x31, 0x32, 0x33, 0x34];
const SID: u16 = 0x0008;
/// ECAP.FLTS (first-stage translation support).
const FLTS: u64 = 1 << 47;
/// ECAP.NEST (nested translation support).
const NEST: u64 = 1 << 26;

/// Scalable mode, aw48, root and context entries for edu with RID_PASID `rid_pasid`;
/// the PASID table for directory entry `rid_pasid >> 6` at PASID_DIR + 0x1000.
fn sm(name: &str, intent: &str, rid_pasid: u32) -> Builder {
    let ctx = context_table(0) + u64::from(SID & 0xff) * 32;
    let (r_lo, r_hi) = entry::sm_root(Some(context_table(0)), None);
    let (c_lo, c_hi) = entry::sm_context(PASID_DIR, 0, rid_pasid, false);
    scenario(Area::Scalable, name, intent)
        .scalable()
        .aw48()
        .load_buffer(EDU, &A)
        .mem64(ROOT, r_lo)
        .mem64(ROOT + 8, r_hi)
        .mem64(ctx, c_lo)
        .mem64(ctx + 8, c_hi)
        .mem64(
            PASID_DIR + u64::from(rid_pasid >> 6) * 8,
            entry::pasid_dir(PASID_DIR + 0x1000),
        )
}

/// Write the PASID entry for `pasid` (table at PASID_DIR + 0x1000).
fn pasid_entry(b: Builder, pasid: u32, q: [u64; 3]) -> Builder {
    let at = PASID_DIR + 0x1000 + u64::from(pasid & 0x3f) * 64;
    b.mem64(at, q[0]).mem64(at + 8, q[1]).mem64(at + 16, q[2])
}

fn on(b: Builder) -> Builder {
    b.root_table(true).translation(true)
}

/// The first-stage entries for `iova` → `pa` (4-level, 4 KiB), non-leaf P|RW|US|A,
/// leaf P|RW|US|A|D plus `extra`, with tables from TABLES + 0x10000.
fn map_fl(mut b: Builder, iova: u64, pa: u64, leaf: u64) -> Builder {
    use crate::layout::pte::fl;
    let mut table = TABLES;
    for level in (2..=4).rev() {
        let next = TABLES + 0x1_0000 + u64::from(5 - level) * 0x1000;
        b = b.mem64(
            table + pte::index(iova, level) * 8,
            next | fl::P | fl::RW | fl::US | fl::A,
        );
        table = next;
    }
    b.mem64(table + pte::index(iova, 1) * 8, (pa & !0xfff) | leaf)
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    use crate::layout::pte::fl;
    let mut v = Vec::new();
    let sl = |_levels: u32, aw: u8| entry::pasid(entry::Pgtt::Second, TABLES, aw, 1, 0);
    v.push(
        on(pasid_entry(
            sm(
                "sl-3level",
                "A PASID entry with AW=1 walks 3-level second-stage tables",
                0,
            ),
            0,
            sl(3, 1),
        )
        .map_sl(TABLES, 3, 0x1000, data(1), 0x1000, pte::RW))
        .spec("§9.6 PASID entry AW")
        .dma_write(EDU, 0x1000, 4, 0)
        .expect_mem(data(1), &A)
        .no_fault()
        .build(),
    );
    v.push(
        on(pasid_entry(
            sm("sl-2m", "A 2 MiB second-stage page in scalable mode", 0),
            0,
            sl(4, 2),
        )
        .map_sl(
            TABLES,
            4,
            0x4000_0000,
            crate::builder::DATA,
            0x20_0000,
            pte::RW,
        ))
        .spec("§9.8 SL-PDE PS in scalable mode")
        .dma_write(EDU, 0x4000_0000 + 0x5010, 4, 0)
        .expect_mem(crate::builder::DATA + 0x5010, &A)
        .no_fault()
        .build(),
    );
    v.push(
        on(pasid_entry(sm("rid-pasid", "Requests without PASID use the context entry's RID_PASID (5) to select the PASID entry", 5), 5, sl(4, 2))
            .map_sl(TABLES, 4, 0x2000, data(2), 0x1000, pte::RW))
        .spec("§9.4 scalable-mode context entry RID_PASID")
        .dma_write(EDU, 0x2000, 4, 0)
        .expect_mem(data(2), &A)
        .no_fault()
        .build(),
    );
    v.push(
        on(pasid_entry(
            sm(
                "rid-pasid-second-directory-entry",
                "RID_PASID 70 is found through PASID directory entry 1, table entry 6",
                70,
            ),
            70,
            sl(4, 2),
        )
        .map_sl(TABLES, 4, 0x3000, data(3), 0x1000, pte::RW))
        .spec("§3.5.3, §9.5 PASID directory entry")
        .dma_write(EDU, 0x3000, 4, 0)
        .expect_mem(data(3), &A)
        .no_fault()
        .build(),
    );
    v.push(
        on(pasid_entry(
            sm(
                "pasid-fpd",
                "A PASID entry with FPD suppresses qualified faults of the walk",
                0,
            ),
            0,
            {
                let mut q = sl(4, 2);
                q[0] |= 2;
                q
            },
        ))
        .spec("§9.6 PASID entry FPD")
        .dma_write(EDU, 0x9000, 4, 0)
        .no_fault()
        .build(),
    );
    v.push(
        on(pasid_entry(
            sm(
                "sm-context-fpd",
                "A scalable-mode context entry with FPD suppresses qualified faults below it",
                0,
            ),
            0,
            sl(4, 2),
        ))
        .spec("§9.4 scalable-mode context entry FPD")
        .mem64(
            context_table(0) + u64::from(SID & 0xff) * 32,
            entry::sm_context(PASID_DIR, 0, 0, true).0,
        )
        .dma_write(EDU, 0x9000, 4, 0)
        .no_fault()
        .build(),
    );
    // First stage, on a unit with FLTS (model only).
    let fl_entry = entry::pasid(entry::Pgtt::First, 0, 2, 1, TABLES);
    let fl = |name: &str, intent: &str| {
        pasid_entry(sm(name, intent, 0).modified(0, 0, FLTS, 0), 0, fl_entry)
    };
    v.push(
        on(map_fl(
            fl(
                "fl-4k",
                "First-stage translation (PGTT=001b, 4-level, user pages) maps a device write",
            ),
            0x5000,
            data(5),
            fl::P | fl::RW | fl::US | fl::A | fl::D,
        ))
        .spec("§3.6 first-stage translation, §9.7 first-stage paging entries")
        .dma_write(EDU, 0x5000, 4, 0)
        .expect_mem(data(5), &A)
        .no_fault()
        .build(),
    );
    v.push(
        on(map_fl(
            fl(
                "fl-not-present",
                "A first-stage leaf with P clear faults with 0x71",
            ),
            0x5000,
            data(5),
            0,
        ))
        .spec("§7.1.3 SFL.2")
        .dma_write(EDU, 0x5000, 4, 0)
        .expect_fault(0, fault_record(0x71, SID, 0x5000, false))
        .covers(Cover::DmaFault(0x71))
        .build(),
    );
    v.push(
        on(map_fl(fl("fl-reserved", "A first-stage leaf with a reserved bit (bit 51 above the address width) faults with 0x72"), 0x5000, data(5) | 1 << 51, fl::P | fl::RW | fl::US | fl::A | fl::D))
            .spec("§7.1.3 SFL.3")
            .dma_write(EDU, 0x5000, 4, 0)
            .expect_fault(0, fault_record(0x72, SID, 0x5000, false))
            .covers(Cover::DmaFault(0x72))
            .build(),
    );
    v.push(
        on(map_fl(
            fl(
                "fl-write-read-only",
                "A write through a first-stage leaf without R/W faults with 0x85",
            ),
            0x5000,
            data(5),
            fl::P | fl::US | fl::A | fl::D,
        ))
        .spec("§7.1.3 SGN.6")
        .dma_write(EDU, 0x5000, 4, 0)
        .expect_fault(0, fault_record(0x85, SID, 0x5000, false))
        .covers(Cover::DmaFault(0x85))
        .build(),
    );
    v.push(
        on(map_fl(fl("fl-supervisor-page", "A request without PASID is a user request (SRE clear): a first-stage leaf without U/S faults with 0x81"), 0x5000, data(5), fl::P | fl::RW | fl::A | fl::D))
            .spec("§7.1.3 SGN.2")
            .dma_write(EDU, 0x5000, 4, 0)
            .expect_fault(0, fault_record(0x81, SID, 0x5000, false))
            .covers(Cover::DmaFault(0x81))
            .build(),
    );
    v.push(
        on(fl("fl-non-canonical", "A first-stage address that is not canonical (bit 47 set, 63:48 clear) faults with 0x80"))
            .spec("§7.1.3 SGN.1")
            .dma_write(EDU, 0x8000_0000_0000, 4, 0)
            .expect_fault(0, fault_record(0x80, SID, 0x8000_0000_0000, false))
            .covers(Cover::DmaFault(0x80))
            .build(),
    );
    v.push(
        on(pasid_entry(
            sm(
                "fl-root-access",
                "A first-stage root outside memory cannot be read: fault 0x73",
                0,
            )
            .modified(0, 0, FLTS, 0),
            0,
            entry::pasid(entry::Pgtt::First, 0, 2, 1, 0x7f_0000_0000),
        ))
        .spec("§7.1.3 SFL.4")
        .dma_write(EDU, 0x5000, 4, 0)
        .expect_fault(0, fault_record(0x73, SID, 0x5000, false))
        .covers(Cover::DmaFault(0x73))
        .build(),
    );
    v.push(
        on(fl("fl-table-access", "A first-stage PML4 entry pointing outside memory makes the next table unreadable: fault 0x70")
            .mem64(TABLES, 0x7f_0000_0000 | fl::P | fl::RW | fl::US | fl::A))
            .spec("§7.1.3 SFL.1")
            .dma_write(EDU, 0x5000, 4, 0)
            .expect_fault(0, fault_record(0x70, SID, 0x5000, false))
            .covers(Cover::DmaFault(0x70))
            .build(),
    );
    // An execute request with PASID (model only: edu cannot make one).
    {
        let mut q = entry::pasid(entry::Pgtt::First, 0, 2, 1, TABLES);
        q[2] |= 0x2 | 0x20; // ERE, NXE
        let (c_lo, _) = entry::sm_context(PASID_DIR, 0, 0, false);
        v.push(
            on(map_fl(
                pasid_entry(
                    sm("fl-no-execute", "An execute request with PASID to a first-stage page with XD set (NXE, ERE on) faults with 0x82, EXE and PP in the record", 0)
                        .modified(0, 0, FLTS | 1 << 30, 0),
                    0,
                    q,
                )
                .mem64(context_table(0) + u64::from(SID & 0xff) * 32, c_lo | 8),
                0x5000,
                data(5),
                fl::P | fl::RW | fl::US | fl::A | fl::D | fl::XD,
            ))
            .spec("§7.1.3 SGN.3; §9.6 PASID entry NXE, ERE")
            .request(EDU, Req::read(0x5000).pasid(0).exec())
            .read(Reg::Fsts, 0x2)
            .expect_fault(0, {
                let (lo, hi) = fault_record(0x82, SID, 0x5000, true);
                (lo, hi | 1 << 31 | 1 << 30)
            })
            .covers(Cover::DmaFault(0x82))
            .build(),
        );
    }
    // Nested translation (PGTT=011b) on a unit with FLTS and NEST (model only): the
    // first-stage table pointers are guest-physical and go through the second stage.
    let nested = |name: &str, intent: &str, sl_aw: u8, fl_root: u64| {
        pasid_entry(
            sm(name, intent, 0).modified(0, 0, FLTS | NEST, 0),
            0,
            entry::pasid(entry::Pgtt::Nested, TABLES, sl_aw, 1, fl_root),
        )
    };
    const G: u64 = 0x1a00_0000;
    v.push(
        on(nested("nested-4k", "Nested: first-stage tables at guest-physical addresses the second stage maps 1:1, a first-stage leaf to a guest page the second stage maps elsewhere", 2, G)
            .map_sl(TABLES, 4, G, G, 0x1000, pte::RW)
            .map_sl(TABLES, 4, G + 0x1000, G + 0x1000, 0x1000, pte::RW)
            .map_sl(TABLES, 4, G + 0x2000, G + 0x2000, 0x1000, pte::RW)
            .map_sl(TABLES, 4, G + 0x3000, G + 0x3000, 0x1000, pte::RW)
            .map_sl(TABLES, 4, 0x3000_0000, data(8), 0x1000, pte::RW)
            .mem64(G, (G + 0x1000) | fl::P | fl::RW | fl::US | fl::A)
            .mem64(G + 0x1000, (G + 0x2000) | fl::P | fl::RW | fl::US | fl::A)
            .mem64(G + 0x2000, (G + 0x3000) | fl::P | fl::RW | fl::US | fl::A)
            .mem64(G + 0x3000 + 5 * 8, 0x3000_0000 | fl::P | fl::RW | fl::US | fl::A | fl::D))
            .spec("§3.8 nested translation")
            .dma_write(EDU, 0x5000, 4, 0)
            .expect_mem(data(8), &A)
            .no_fault()
            .build(),
    );
    v.push(
        on(nested("nested-fl-beyond", "Nested: a first-stage root at a guest-physical address beyond what a 3-level second stage covers (2^40 > 2^39) faults with 0x74", 1, 1 << 40))
            .spec("§7.1.3 SFL.5")
            .dma_read(EDU, 0x5000, 4, 0)
            .expect_fault(0, fault_record(0x74, SID, 0x5000, true))
            .covers(Cover::DmaFault(0x74))
            .build(),
    );
    v.push(
        on(nested("nested-fl-root-read", "Nested: the second stage maps the first-stage root write-only, so reading it faults with 0x75", 2, G)
            .map_sl(TABLES, 4, G, G, 0x1000, pte::W))
            .spec("§7.1.3 SFL.6")
            .dma_read(EDU, 0x5000, 4, 0)
            .expect_fault(0, fault_record(0x75, SID, 0x5000, true))
            .covers(Cover::DmaFault(0x75))
            .build(),
    );
    v.push(
        on(nested("nested-fl-table-read", "Nested: the second stage maps the next first-stage table write-only, so reading it faults with 0x76", 2, G)
            .map_sl(TABLES, 4, G, G, 0x1000, pte::RW)
            .map_sl(TABLES, 4, G + 0x1000, G + 0x1000, 0x1000, pte::W)
            .mem64(G, (G + 0x1000) | fl::P | fl::RW | fl::US | fl::A))
            .spec("§7.1.3 SFL.7")
            .dma_read(EDU, 0x5000, 4, 0)
            .expect_fault(0, fault_record(0x76, SID, 0x5000, true))
            .covers(Cover::DmaFault(0x76))
            .build(),
    );
    // Scalable-mode structure faults the model provokes through memory it cannot read.
    v.push(
        scenario(
            Area::Scalable,
            "sm-root-access",
            "Scalable mode: a root table outside memory cannot be read: fault 0x38",
        )
        .scalable()
        .aw48()
        .spec("§7.1.3 SRT.1")
        .write(Reg::Rtaddr, 0x7f_0000_0000 | 1 << 10)
        .command(crate::layout::gcmd::SRTP, true)
        .translation(true)
        .dma_read(EDU, 0x1000, 4, 0)
        .expect_fault_or(
            0,
            fault_record(0x38, SID, 0x1000, true),
            "qemu-legacy-fault-codes-in-scalable-mode",
            fault_record(0x08, SID, 0x1000, true),
        )
        .covers(Cover::DmaFault(0x38))
        .build(),
    );
    v.push(
        scenario(Area::Scalable, "sm-root-table-invalid", "A root table pointer with the reserved translation table mode (TTM=10b) makes every request fault with 0x30")
            .scalable()
            .aw48()
            .spec("§7.1.3 RTA.1; §11.4.5 RTADDR_REG TTM")
            .write(Reg::Rtaddr, ROOT | 2 << 10)
            .command(crate::layout::gcmd::SRTP, true)
            .translation(true)
            .dma_read(EDU, 0x1000, 4, 0)
            .expect_fault_or(0, fault_record(0x30, SID, 0x1000, true), "qemu-reserved-ttm-ignored", fault_record(0x01, SID, 0x1000, true))
            .covers(Cover::DmaFault(0x30))
            .build(),
    );
    v.push(
        on(scenario(
            Area::Scalable,
            "sm-context-table-access",
            "Scalable mode: a root entry pointing at a context table outside memory: fault 0x40",
        )
        .scalable()
        .aw48()
        .spec("§7.1.3 SCT.1")
        .mem64(ROOT, entry::sm_root(Some(0x7f_0000_0000), None).0))
        .dma_read(EDU, 0x1000, 4, 0)
        .expect_fault_or(
            0,
            fault_record(0x40, SID, 0x1000, true),
            "qemu-legacy-fault-codes-in-scalable-mode",
            fault_record(0x09, SID, 0x1000, true),
        )
        .covers(Cover::DmaFault(0x40))
        .build(),
    );
    {
        let ctx = context_table(0) + u64::from(SID & 0xff) * 32;
        let (r_lo, _) = entry::sm_root(Some(context_table(0)), None);
        v.push(
            on(scenario(
                Area::Scalable,
                "sm-pasid-dir-access",
                "Scalable mode: a PASID directory outside memory: fault 0x50",
            )
            .scalable()
            .aw48()
            .spec("§7.1.3 SPD.1")
            .mem64(ROOT, r_lo)
            .mem64(ctx, entry::sm_context(0x7f_0000_0000, 0, 0, false).0))
            .dma_read(EDU, 0x1000, 4, 0)
            .expect_fault_or(
                0,
                fault_record(0x50, SID, 0x1000, true),
                "qemu-pasid-faults-are-0x58",
                fault_record(0x58, SID, 0x1000, true),
            )
            .covers(Cover::DmaFault(0x50))
            .build(),
        );
        v.push(
            on(scenario(Area::Scalable, "sm-pasid-table-access", "Scalable mode: a PASID directory entry pointing at a table outside memory: fault 0x58")
                .scalable()
                .aw48()
                .spec("§7.1.3 SPT.1")
                .mem64(ROOT, r_lo)
                .mem64(ctx, entry::sm_context(PASID_DIR, 0, 0, false).0)
                .mem64(PASID_DIR, entry::pasid_dir(0x7f_0000_0000)))
            .dma_read(EDU, 0x1000, 4, 0)
            .expect_fault(0, fault_record(0x58, SID, 0x1000, true))
            .covers(Cover::DmaFault(0x58))
            .build(),
        );
        v.push(
            on(scenario(Area::Scalable, "sm-pasid-dir-reserved", "Scalable mode: a PASID directory entry with a reserved bit (bit 2) faults with 0x52")
                .scalable()
                .aw48()
                .spec("§7.1.3 SPD.3, §9.5")
                .mem64(ROOT, r_lo)
                .mem64(ctx, entry::sm_context(PASID_DIR, 0, 0, false).0)
                .mem64(PASID_DIR, entry::pasid_dir(PASID_DIR + 0x1000) | 4)
                .mem64(PASID_DIR + 0x1000, entry::pasid(entry::Pgtt::PassThrough, 0, 2, 1, 0)[0]))
            .dma_read(EDU, 0x1000, 4, 0)
            .expect_fault_or(0, fault_record(0x52, SID, 0x1000, true), "qemu-pasid-entry-reserved-unchecked", (0, 0))
            .covers(Cover::DmaFault(0x52))
            .build(),
        );
    }
    v.push(
        on(pasid_entry(sm("sm-sl-root-invalid", "Scalable mode: a PASID entry whose second-stage table pointer is outside memory: fault 0x7B", 0), 0, entry::pasid(entry::Pgtt::Second, 0x7f_0000_0000, 2, 1, 0)))
            .spec("§7.1.3 SSL.4")
            .dma_read(EDU, 0x1000, 4, 0)
            .expect_fault_or(0, fault_record(0x7b, SID, 0x1000, true), "qemu-legacy-fault-codes-in-scalable-mode", {
                let mut r = fault_record(0x03, SID, 0x1000, true);
                r.1 |= 1 << 31;
                r
            })
            .covers(Cover::DmaFault(0x7b))
            .build(),
    );
    v.push(
        on(pasid_entry(
            sm(
                "sm-sl-table-access",
                "Scalable mode: a non-leaf second-stage entry pointing outside memory: fault 0x78",
                0,
            ),
            0,
            sl(4, 2),
        )
        .mem64(TABLES, pte::sl(0x7f_0000_0000, pte::RW)))
        .spec("§7.1.3 SSL.1")
        .dma_read(EDU, 0x1000, 4, 0)
        .expect_fault_or(
            0,
            fault_record(0x78, SID, 0x1000, true),
            "qemu-legacy-fault-codes-in-scalable-mode",
            {
                let mut r = fault_record(0x07, SID, 0x1000, true);
                r.1 |= 1 << 31;
                r
            },
        )
        .covers(Cover::DmaFault(0x78))
        .build(),
    );
    v.push(
        on(pasid_entry(
            sm(
                "sm-pt",
                "A PASID entry with PGTT=100b (pass-through) lets the request through untranslated",
                0,
            ),
            0,
            entry::pasid(entry::Pgtt::PassThrough, 0, 2, 1, 0),
        ))
        .spec("§9.6 PGTT=100b")
        .dma_write(EDU, data(6), 4, 0)
        .expect_mem(data(6), &A)
        .no_fault()
        .build(),
    );
    v
}

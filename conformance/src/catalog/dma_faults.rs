//! Every DMA remapping fault reason a device's untranslated request can provoke
//! (§7.1.3 fault conditions): the fault is recorded in FRCD0 with the reason, the
//! requester and the page, FSTS.PPF is set, and the request does not complete.

use crate::builder::{
    context_table, data, fault_record, scenario, Builder, EDU, PASID_DIR, ROOT, TABLES,
};
use crate::layout::{entry, gcmd, pte, Reg};
use crate::scenario::{Area, Cover, Req, ReqAt, Scenario};

/// A fault case: the builder after setup (translation on), the DMA to issue, the
/// reason and the record address.
struct Case {
    name: &'static str,
    intent: &'static str,
    spec: &'static str,
    reason: u8,
    write: bool,
    iova: u64,
}

const SID: u16 = 0x0008;

fn finish(b: Builder, c: &Case) -> Scenario {
    let b = if c.write {
        b.dma_write(EDU, c.iova, 4, 0)
    } else {
        b.dma_read(EDU, c.iova, 4, 0)
    };
    b.read(Reg::Fsts, 0x2)
        .expect_fault(0, fault_record(c.reason, SID, c.iova, !c.write))
        .covers(Cover::DmaFault(c.reason))
        .build()
}

/// A scalable-mode case QEMU 7.2 records differently: with `reason` instead, and with
/// PP set and PASID 0 (RID_PASID) when `pp`.
fn finish_sm(b: Builder, c: &Case, deviation: &'static str, reason: u8, pp: bool) -> Scenario {
    let b = if c.write {
        b.dma_write(EDU, c.iova, 4, 0)
    } else {
        b.dma_read(EDU, c.iova, 4, 0)
    };
    let mut alt = fault_record(reason, SID, c.iova, !c.write);
    if pp {
        alt.1 |= 1 << 31;
    }
    b.read(Reg::Fsts, 0x2)
        .expect_fault_or(
            0,
            fault_record(c.reason, SID, c.iova, !c.write),
            deviation,
            alt,
        )
        .covers(Cover::DmaFault(c.reason))
        .build()
}

const LEGACY_CODES: &str = "qemu-legacy-fault-codes-in-scalable-mode";
const PASID_0X58: &str = "qemu-pasid-faults-are-0x58";
const PGTT: &str = "qemu-pgtt-first-stage-walked-as-second";

fn start(c: &Case) -> Builder {
    scenario(Area::DmaFaults, c.name, c.intent).spec(c.spec)
}

fn legacy() -> Vec<Scenario> {
    let mut v = Vec::new();
    let c = Case {
        name: "root-not-present",
        intent: "An empty root entry for the device's bus faults with reason 0x01",
        spec: "§7.1.3 LRT.2",
        reason: 0x01,
        write: false,
        iova: 0x1000,
    };
    v.push(finish(start(&c).root_table(false).translation(true), &c));
    let c = Case {
        name: "context-not-present",
        intent: "A present root entry with an empty context entry faults with reason 0x02",
        spec: "§7.1.3 LCT.2",
        reason: 0x02,
        write: true,
        iova: 0x2000,
    };
    v.push(finish(
        start(&c).root_entry(0).root_table(false).translation(true),
        &c,
    ));
    let ctx = |c: &Case, lo: u64, hi: u64| {
        start(c)
            .root_entry(0)
            .context_entry(SID, lo, hi)
            .root_table(false)
            .translation(true)
    };
    let c = Case {
        name: "context-aw-unsupported",
        intent: "A context entry whose AW names a table depth SAGAW does not support (AW=3, 5-level, on a 39-bit unit) is invalid: reason 0x03",
        spec: "§7.1.3 LCT.4, §9.3 context entry AW",
        reason: 0x03,
        write: false,
        iova: 0x3000,
    };
    let (lo, hi) = entry::context(TABLES, entry::Tt::Multi, 3, 1, false);
    v.push(finish(ctx(&c, lo, hi), &c));
    let c = Case {
        name: "context-tt-reserved",
        intent: "A context entry with the reserved translation type 11b is invalid: reason 0x03",
        spec: "§7.1.3 LCT.4, §9.3 context entry TT",
        reason: 0x03,
        write: false,
        iova: 0x3000,
    };
    let (lo, hi) = entry::context(TABLES, entry::Tt::Reserved, 1, 1, false);
    v.push(finish(ctx(&c, lo, hi), &c));
    let c = Case {
        name: "address-beyond-mgaw",
        intent: "An IOVA above what the context entry's AW covers (2^39 with 3 levels) faults with reason 0x04",
        spec: "§7.1.3 LGN.1",
        reason: 0x04,
        write: false,
        iova: 0x80_0000_0000,
    };
    let (lo, hi) = entry::context(TABLES, entry::Tt::Multi, 1, 1, false);
    v.push(finish(ctx(&c, lo, hi), &c));
    let c = Case {
        name: "write-to-read-only",
        intent: "A write through a read-only leaf faults with reason 0x05",
        spec: "§7.1.3 LGN.2",
        reason: 0x05,
        write: true,
        iova: 0x5000,
    };
    v.push(finish(
        ctx(&c, lo, hi).map_sl(TABLES, 3, 0x5000, data(0), 0x1000, pte::R),
        &c,
    ));
    let c = Case {
        name: "read-of-write-only",
        intent: "A read through a write-only leaf faults with reason 0x06",
        spec: "§7.1.3 LGN.3",
        reason: 0x06,
        write: false,
        iova: 0x6000,
    };
    v.push(finish(
        ctx(&c, lo, hi).map_sl(TABLES, 3, 0x6000, data(0), 0x1000, pte::W),
        &c,
    ));
    let c = Case {
        name: "not-present-leaf-read",
        intent: "A read through a leaf with neither R nor W (not present) faults with reason 0x06",
        spec: "§7.1.3 LGN.3: a not-present second-level entry is one with R=W=0",
        reason: 0x06,
        write: false,
        iova: 0x7000,
    };
    v.push(finish(
        ctx(&c, lo, hi).map_sl(TABLES, 3, 0x7000, data(0), 0x1000, 0),
        &c,
    ));
    let c = Case {
        name: "not-present-table-write",
        intent: "A write through an empty top-level entry faults with reason 0x05",
        spec: "§7.1.3 LGN.2",
        reason: 0x05,
        write: true,
        iova: 0x40_0000_0000,
    };
    v.push(finish(ctx(&c, lo, hi), &c));
    let c = Case {
        name: "paging-entry-invalid",
        intent:
            "A non-leaf entry pointing outside memory makes the next table unreadable: reason 0x07",
        spec: "§7.1.3 LSL.1",
        reason: 0x07,
        write: false,
        iova: 0x1000,
    };
    v.push(finish(
        ctx(&c, lo, hi).mem64(TABLES, pte::sl(0x7f_0000_0000, pte::RW)),
        &c,
    ));
    let c = Case {
        name: "root-table-invalid",
        intent: "A root table outside memory cannot be read: reason 0x08",
        spec: "§7.1.3 LRT.1",
        reason: 0x08,
        write: false,
        iova: 0x1000,
    };
    v.push(finish(
        start(&c)
            .write(Reg::Rtaddr, 0x7f_0000_0000)
            .command(gcmd::SRTP, true)
            .translation(true),
        &c,
    ));
    let c = Case {
        name: "context-table-invalid",
        intent: "A root entry pointing at a context table outside memory: reason 0x09",
        spec: "§7.1.3 LCT.1",
        reason: 0x09,
        write: false,
        iova: 0x1000,
    };
    v.push(finish(
        start(&c)
            .mem64(ROOT, entry::root(0x7f_0000_0000))
            .root_table(false)
            .translation(true),
        &c,
    ));
    let c = Case {
        name: "root-reserved",
        intent: "A root entry with a reserved bit set (bit 1) faults with reason 0x0A",
        spec: "§7.1.3 LRT.3, §9.1 root entry",
        reason: 0x0a,
        write: false,
        iova: 0x1000,
    };
    v.push(finish(
        start(&c)
            .mem64(ROOT, entry::root(context_table(0)) | 2)
            .root_table(false)
            .translation(true),
        &c,
    ));
    let c = Case {
        name: "context-reserved",
        intent:
            "A context entry with a reserved bit set (bit 104, above DID) faults with reason 0x0B",
        spec: "§7.1.3 LCT.3, §9.3 context entry",
        reason: 0x0b,
        write: false,
        iova: 0x1000,
    };
    v.push(finish(ctx(&c, lo, hi | 1 << 40), &c));
    let c = Case {
        name: "paging-reserved",
        intent: "A leaf with an address bit above the host address width faults with reason 0x0C",
        spec: "§7.1.3 LSL.2, §9.8",
        reason: 0x0c,
        write: false,
        iova: 0xc000,
    };
    v.push(finish(
        ctx(&c, lo, hi).map_sl(TABLES, 3, 0xc000, data(0) | 1 << 45, 0x1000, pte::RW),
        &c,
    ));
    let c = Case {
        name: "translated-to-interrupt-range",
        intent: "A mapping whose output is the interrupt address range 0xFEEx_xxxx faults with reason 0x0E",
        spec: "§7.1.3 LGN.4, §3.14",
        reason: 0x0e,
        write: true,
        iova: 0xe000,
    };
    v.push(finish(
        ctx(&c, lo, hi).map_sl(TABLES, 3, 0xe000, 0xfee0_0000, 0x1000, pte::RW),
        &c,
    ));
    v
}

/// Faults only requests edu cannot make provoke: an ATS translation request, a
/// request with PASID, execute and privileged requests (model only; QEMU declines them
/// by name).
fn requests() -> Vec<Scenario> {
    let mut v = Vec::new();
    let (lo, hi) = entry::context(TABLES, entry::Tt::Multi, 1, 1, false);
    let legacy = |name: &str, intent: &str| {
        scenario(Area::DmaFaults, name, intent)
            .device_iotlb()
            .root_entry(0)
            .context_entry(SID, lo, hi)
            .map_sl(TABLES, 3, 0x1000, data(0), 0x1000, pte::RW)
            .root_table(false)
            .translation(true)
    };
    v.push(
        legacy(
            "translation-request-blocked",
            "A context entry with TT=00b (untranslated requests only) blocks an ATS translation request: reason 0x0D, AT=01b in the record (the unit has device-TLB support)",
        )
        .spec("§7.1.3 LCT.5; §11.4.14 FRCD AT")
        .request(EDU, Req::read(0x1000).at(ReqAt::TranslationRequest))
        .read(Reg::Fsts, 0x2)
        .expect_fault(0, {
            let (lo, hi) = fault_record(0x0d, SID, 0x1000, true);
            (lo, hi | 1 << 60)
        })
        .covers(Cover::DmaFault(0x0d))
        .build(),
    );
    let (dlo, dhi) = entry::context(TABLES, entry::Tt::DeviceTlb, 1, 1, false);
    v.push(
        scenario(
            Area::DmaFaults,
            "translation-request-not-present-is-no-fault",
            "Under TT=01b a translation request for an unmapped page is answered with R=W=0 and no fault is recorded; an untranslated read of it faults with 0x06",
        )
        .spec("§4.2.3 translation requests: not-present and permission conditions are reported in the completion, not as faults")
        .device_iotlb()
        .root_entry(0)
        .context_entry(SID, dlo, dhi)
        .root_table(false)
        .translation(true)
        .request(EDU, Req::read(0x9000).at(ReqAt::TranslationRequest))
        .no_fault()
        .request(EDU, Req::read(0x9000))
        .read(Reg::Fsts, 0x2)
        .expect_fault(0, fault_record(0x06, SID, 0x9000, true))
        .build(),
    );
    v.push(
        legacy(
            "pasid-request-in-legacy-mode",
            "Legacy mode has no PASID tables: a request with PASID 5 faults with reason 0x31, PP set and PV 5 in the record",
        )
        .spec("§7.1.3 RTA.2; §11.4.14 FRCD PP, PV")
        .request(EDU, Req::read(0x1000).pasid(5))
        .read(Reg::Fsts, 0x2)
        .expect_fault(0, {
            let (lo, hi) = fault_record(0x31, SID, 0x1000, true);
            (lo, hi | 1 << 31 | 5 << 40)
        })
        .covers(Cover::DmaFault(0x31))
        .build(),
    );
    v.push(
        legacy(
            "translated-request-blocked",
            "A translated request (AT=10b) under TT=00b is blocked too: reason 0x0D, AT=10b and T=write in the record",
        )
        .spec("§7.1.3 LCT.5")
        .request(EDU, Req::read(0x1000).write().at(ReqAt::Translated))
        .read(Reg::Fsts, 0x2)
        .expect_fault(0, {
            let (lo, hi) = fault_record(0x0d, SID, 0x1000, false);
            (lo, hi | 2 << 60)
        })
        .covers(Cover::DmaFault(0x0d))
        .build(),
    );
    v
}

/// Scalable mode: the same conditions found in scalable-mode structures use the
/// scalable-mode reasons (0x30 and up).
fn scalable() -> Vec<Scenario> {
    let mut v = Vec::new();
    let sm = |c: &Case| start(c).scalable().aw48();
    let enable = |b: Builder| b.root_table(true).translation(true);
    let ctx_at = context_table(0) + u64::from(SID & 0xff) * 32;
    let pasid_table = PASID_DIR + 0x1000;
    let good_context = |b: Builder| {
        let (r_lo, r_hi) = entry::sm_root(Some(context_table(0)), None);
        let (c_lo, c_hi) = entry::sm_context(PASID_DIR, 0, 0, false);
        b.mem64(ROOT, r_lo)
            .mem64(ROOT + 8, r_hi)
            .mem64(ctx_at, c_lo)
            .mem64(ctx_at + 8, c_hi)
    };
    let pasid = |b: Builder, q: [u64; 3]| {
        b.mem64(PASID_DIR, entry::pasid_dir(pasid_table))
            .mem64(pasid_table, q[0])
            .mem64(pasid_table + 8, q[1])
            .mem64(pasid_table + 16, q[2])
    };
    let c = Case {
        name: "sm-root-not-present",
        intent: "Scalable mode: an empty root entry faults with reason 0x39",
        spec: "§7.1.3 SRT.2",
        reason: 0x39,
        write: false,
        iova: 0x1000,
    };
    v.push(finish_sm(enable(sm(&c)), &c, LEGACY_CODES, 0x01, false));
    let c = Case {
        name: "sm-context-not-present",
        intent: "Scalable mode: an empty context entry faults with reason 0x41",
        spec: "§7.1.3 SCT.2",
        reason: 0x41,
        write: false,
        iova: 0x1000,
    };
    let (r_lo, _) = entry::sm_root(Some(context_table(0)), None);
    v.push(finish_sm(
        enable(sm(&c).mem64(ROOT, r_lo)),
        &c,
        LEGACY_CODES,
        0x02,
        false,
    ));
    let c = Case {
        name: "sm-root-reserved",
        intent: "Scalable mode: a root entry with a reserved bit (bit 1) faults with reason 0x3A",
        spec: "§7.1.3 SRT.3, §9.2 scalable-mode root entry",
        reason: 0x3a,
        write: false,
        iova: 0x1000,
    };
    v.push(finish_sm(
        enable(sm(&c).mem64(ROOT, r_lo | 2)),
        &c,
        LEGACY_CODES,
        0x0a,
        false,
    ));
    let c = Case {
        name: "sm-context-reserved",
        intent:
            "Scalable mode: a context entry with a reserved bit (bit 127) faults with reason 0x42",
        spec: "§7.1.3 SCT.3, §9.4 scalable-mode context entry",
        reason: 0x42,
        write: false,
        iova: 0x1000,
    };
    v.push(finish_sm(
        enable(good_context(sm(&c)).mem64(ctx_at + 8, 1 << 63)),
        &c,
        LEGACY_CODES,
        0x0b,
        false,
    ));
    let c = Case {
        name: "sm-pasid-dir-not-present",
        intent: "Scalable mode: an empty PASID directory entry faults with reason 0x51",
        spec: "§7.1.3 SPD.2",
        reason: 0x51,
        write: false,
        iova: 0x1000,
    };
    v.push(finish_sm(
        enable(good_context(sm(&c))),
        &c,
        PASID_0X58,
        0x58,
        false,
    ));
    let c = Case {
        name: "sm-pasid-not-present",
        intent: "Scalable mode: an empty PASID table entry faults with reason 0x59",
        spec: "§7.1.3 SPT.2",
        reason: 0x59,
        write: false,
        iova: 0x1000,
    };
    v.push(finish_sm(
        enable(pasid(good_context(sm(&c)), [0, 0, 0])),
        &c,
        PASID_0X58,
        0x58,
        false,
    ));
    let c = Case {
        name: "sm-pasid-reserved",
        intent: "Scalable mode: a PASID entry with a reserved bit (bit 10) faults with reason 0x5A",
        spec: "§7.1.3 SPT.3, §9.6 PASID entry",
        reason: 0x5a,
        write: false,
        iova: 0x1000,
    };
    let pe = entry::pasid(entry::Pgtt::Second, TABLES, 2, 1, 0);
    v.push(finish_sm(
        enable(pasid(good_context(sm(&c)), [pe[0] | 1 << 10, pe[1], 0])),
        &c,
        "qemu-pasid-entry-reserved-unchecked",
        0x06,
        true,
    ));
    let c = Case {
        name: "sm-pgtt-invalid",
        intent: "Scalable mode: a PASID entry with a PGTT the unit does not support (first-stage without ECAP.FLTS) is invalid: reason 0x5B",
        spec: "§7.1.3 SPT.4",
        reason: 0x5b,
        write: false,
        iova: 0x1000,
    };
    let fl = entry::pasid(entry::Pgtt::First, 0, 2, 1, TABLES);
    v.push(finish_sm(
        enable(pasid(good_context(sm(&c)), fl)),
        &c,
        PGTT,
        0x06,
        true,
    ));
    let c = Case {
        name: "sm-sl-not-present",
        intent: "Scalable mode: a second-stage walk that meets an empty entry faults with reason 0x79 (no permission)",
        spec: "§7.1.3 SSL.2",
        reason: 0x79,
        write: false,
        iova: 0x1000,
    };
    v.push(finish_sm(
        enable(pasid(good_context(sm(&c)), pe)),
        &c,
        LEGACY_CODES,
        0x06,
        true,
    ));
    let c = Case {
        name: "sm-sl-write-read-only",
        intent:
            "Scalable mode: a write through a read-only second-stage leaf faults with reason 0x79",
        spec: "§7.1.3 SSL.2",
        reason: 0x79,
        write: true,
        iova: 0x2000,
    };
    v.push(finish_sm(
        enable(pasid(good_context(sm(&c)), pe).map_sl(TABLES, 4, 0x2000, data(0), 0x1000, pte::R)),
        &c,
        LEGACY_CODES,
        0x05,
        true,
    ));
    let c = Case {
        name: "sm-sl-reserved",
        intent: "Scalable mode: a second-stage leaf with an address bit above the host address width faults with reason 0x7A",
        spec: "§7.1.3 SSL.3",
        reason: 0x7a,
        write: false,
        iova: 0x3000,
    };
    v.push(finish_sm(
        enable(pasid(good_context(sm(&c)), pe).map_sl(
            TABLES,
            4,
            0x3000,
            data(0) | 1 << 50,
            0x1000,
            pte::RW,
        )),
        &c,
        LEGACY_CODES,
        0x0c,
        true,
    ));
    let c = Case {
        name: "sm-context-dte-without-dt",
        intent: "Scalable mode: a context entry with DTE set on a unit without device-TLB support (ECAP.DT clear) is invalid: reason 0x43",
        spec: "§7.1.3 SCT.4, §9.4 scalable-mode context entry DTE",
        reason: 0x43,
        write: false,
        iova: 0x1000,
    };
    v.push(finish_sm(
        enable(
            pasid(good_context(sm(&c)), pe)
                .mem64(ctx_at, entry::sm_context(PASID_DIR, 0, 0, false).0 | 4),
        ),
        &c,
        "qemu-sm-context-dte-unchecked",
        0x06,
        true,
    ));
    let c = Case {
        name: "sm-interrupt-address",
        intent: "Scalable mode: a second-stage leaf whose output is in the interrupt range (0xFEEx_xxxx) faults with reason 0x87",
        spec: "§7.1.3 SGN.8, §3.14",
        reason: 0x87,
        write: true,
        iova: 0xe000,
    };
    v.push(finish_sm(
        enable(pasid(good_context(sm(&c)), pe).map_sl(
            TABLES,
            4,
            0xe000,
            0xfee0_0000,
            0x1000,
            pte::RW,
        )),
        &c,
        "qemu-pp-set-without-pasid",
        0x87,
        true,
    ));
    // Requests edu cannot make: model only.
    let req_fault = |b: Builder, req: Req, reason: u8| {
        let mut rec = fault_record(reason, SID, req.iova, !req.write);
        if let Some(p) = req.pasid {
            rec.1 |= 1 << 31 | u64::from(p) << 40;
        }
        if req.exec {
            rec.1 |= 1 << 30;
        }
        if req.privileged {
            rec.1 |= 1 << 29;
        }
        // AT (the unit of a non-untranslated request has device-TLB support).
        rec.1 |= match req.at {
            ReqAt::Untranslated => 0,
            ReqAt::TranslationRequest => 1 << 60,
            ReqAt::Translated => 2 << 60,
        };
        b.request(EDU, req)
            .read(Reg::Fsts, 0x2)
            .expect_fault(0, rec)
            .covers(Cover::DmaFault(reason))
            .build()
    };
    let (c_lo, _) = entry::sm_context(PASID_DIR, 0, 0, false);
    let mapped = |b: Builder| b.map_sl(TABLES, 4, 0x1000, data(0), 0x1000, pte::RW);
    v.push(req_fault(
        enable(mapped(pasid(good_context(scenario(Area::DmaFaults, "sm-dte-clear", "Scalable mode: an ATS translation request through a context entry with DTE clear faults with reason 0x44").spec("§7.1.3 SCT.5").scalable().aw48().device_iotlb()), pe))),
        Req::read(0x1000).at(ReqAt::TranslationRequest),
        0x44,
    ));
    v.push(req_fault(
        enable(mapped(pasid(good_context(scenario(Area::DmaFaults, "sm-paside-clear", "Scalable mode: a request with PASID through a context entry with PASIDE clear faults with reason 0x45").spec("§7.1.3 SCT.6").scalable().aw48()), pe))),
        Req::read(0x1000).pasid(0),
        0x45,
    ));
    let paside = |b: Builder| b.mem64(ctx_at, c_lo | 8);
    v.push(req_fault(
        enable(paside(mapped(pasid(good_context(scenario(Area::DmaFaults, "sm-pasid-too-large", "Scalable mode: PDTS=0 allows 2^7 directory entries (PASIDs 0-8191); a request with PASID 8192 faults with reason 0x46").spec("§7.1.3 SCT.7, §9.4 PDTS").scalable().aw48()), pe)))),
        Req::read(0x1000).pasid(8192),
        0x46,
    ));
    v.push(req_fault(
        enable(paside(mapped(pasid(good_context(scenario(Area::DmaFaults, "sm-ere-clear", "Scalable mode: an execute request with PASID whose PASID entry has ERE clear faults with reason 0x5C").spec("§7.1.3 SPT.5").scalable().aw48()), pe)))),
        Req::read(0x1000).pasid(0).exec(),
        0x5c,
    ));
    v.push(req_fault(
        enable(paside(mapped(pasid(good_context(scenario(Area::DmaFaults, "sm-sre-clear", "Scalable mode: a privileged request with PASID whose PASID entry has SRE clear faults with reason 0x5D").spec("§7.1.3 SPT.6").scalable().aw48()), pe)))),
        Req::read(0x1000).pasid(0).privileged(),
        0x5d,
    ));
    v.push(
        enable(paside(mapped(pasid(good_context(scenario(Area::DmaFaults, "sm-pasid-request-translates", "Scalable mode with PASIDE: a write with PASID 0 through its PASID entry's second-stage tables passes, no fault").spec("§3.4.3, §9.4 PASIDE").scalable().aw48()), pe))))
            .request(EDU, Req::read(0x1000).pasid(0).write())
            .no_fault()
            .build(),
    );
    let c = Case {
        name: "sm-address-beyond",
        intent: "Scalable mode: an IOVA above what the PASID entry's AW covers (2^48 with 4 levels) faults with reason 0x83",
        spec: "§7.1.3 SGN.4",
        reason: 0x83,
        write: false,
        iova: 0x1_0000_0000_0000,
    };
    v.push(finish_sm(
        enable(pasid(good_context(sm(&c)), pe)),
        &c,
        LEGACY_CODES,
        0x04,
        true,
    ));
    v
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let mut v = legacy();
    v.extend(requests());
    v.extend(scalable());
    v
}

//! The intent of the public VT-d tests, ported as scenarios (facts, not code; see
//! docs/sources/vtd-tests-presets.md):
//! - kvm-unit-tests `x86/intel-iommu.c` with `lib/x86/intel-iommu.c`: the init
//!   sequence and its GSTS checks, the 4-byte DMA memcpy through 3-level tables, and
//!   the IR MSI test.
//! - QEMU `tests/qtest/intel-iommu-test.c`: fixed CAP/ECAP bits, SAGAW and MGAW, and
//!   register values that reads do not change.
//! - QEMU `tests/qtest/iommu-intel-test.c` (iommu-testdev): a 4-byte DMA write at IOVA
//!   0x10200567 in legacy pass-through, legacy translated, scalable pass-through and
//!   scalable second-stage modes (edu stands in for iommu-testdev).

use crate::builder::{context_table, data, scenario, Builder, EDU, PASID_DIR, ROOT, TABLES};
use crate::layout::{entry, gcmd, irte, pte, Reg};
use crate::scenario::{Area, Scenario};

const KUT: &str = "kvm-unit-tests x86/intel-iommu.c";
const PATTERN: [u8; 4] = [0x78, 0x56, 0x34, 0x12];

/// kvm-unit-tests' `vtd_init`: GCMD written as GSTS | command, unmasked, so SRTP and
/// SIRTP are written again with every later command.
fn kut_init(b: Builder) -> Builder {
    let gsts = |b: Builder, cmd: u32, wait: Option<u32>| {
        let b = b.write(Reg::Gcmd, u64::from(cmd));
        match wait {
            Some(bit) => b.poll(Reg::Gsts, u64::from(bit), u64::from(bit)),
            None => b,
        }
    };
    let b = b.read_masked(Reg::Ver, 0x10, 0xff);
    let b = gsts(b, gcmd::QIE, Some(gcmd::QIE));
    let b = b.write(Reg::Rtaddr, ROOT);
    let b = gsts(b, gcmd::QIE | gcmd::SRTP, None);
    let b = b.write(Reg::Irta, crate::builder::IRT | 0xf);
    let b = gsts(b, gcmd::QIE | gcmd::SRTP | gcmd::SIRTP, None);
    let b = gsts(b, 0xc500_0000, Some(gcmd::TE));
    gsts(b, 0xc700_0000, Some(gcmd::IRE)).assume_gsts(0xc700_0000)
}

fn kvm_unit_tests() -> Vec<Scenario> {
    let sid = EDU.requester_id();
    vec![
        kut_init(scenario(
            Area::Ported,
            "kut-init",
            "kvm-unit-tests vtd_init: QI, root table, IR table, DMAR and IR enabled by unmasked GSTS|cmd writes leave GSTS = 0xC7000000 and no fault",
        ))
        .spec("§10.4.4 GCMD_REG, §10.4.5 GSTS_REG")
        .ports("kvm-unit-tests x86/intel-iommu.c main() lines 141-150")
        .read(Reg::Fsts, 0)
        .read(Reg::Gsts, 0xc700_0000)
        .read_masked(Reg::Cap, 0x200, 0x200)
        .read_masked(Reg::Cap, 3 << 34, 3 << 34)
        .build(),
        {
            // The DMA test: 3-level tables (AW=1), context FPD=1, DID = the BDF, no
            // invalidation after writing the entries (not-present entries are never
            // cached when CM=0).
            let b = kut_init(scenario(
                Area::Ported,
                "kut-dma-memcpy",
                "kvm-unit-tests DMAR 4B memcpy: entries written after TE without invalidation; edu reads IOVA 0 and writes IOVA 4 of the same page",
            ))
            .spec("§6.1 caching of not-present entries, §3.6 second-level translation")
            .ports("kvm-unit-tests x86/intel-iommu.c vtd_test_dmar lines 25-64");
            let page = data(0);
            let (lo, hi) = entry::context(TABLES, entry::Tt::Multi, 1, sid, true);
            b.mem(page, &PATTERN)
                .root_entry(0)
                .context_entry(sid, lo, hi)
                .map_sl(TABLES, 3, 0, page, 0x1000, pte::RW)
                .dma_read(EDU, 0, 4, 0)
                .dma_write(EDU, 4, 4, 0)
                .expect_mem(page + 4, &PATTERN)
                .read(Reg::Fsts, 0)
                .build()
        },
        {
            let e = irte::Remapped {
                fpd: true,
                ..irte::Remapped::new(0xee, 0).verify(1, 0, sid)
            };
            kut_init(scenario(
                Area::Ported,
                "kut-ir-msi",
                "kvm-unit-tests IR MSI: IRTE 2 (vector 0xEE, SVT=1 SID=edu) written after IRE without invalidation; edu's MSI to 0xFEE00050 arrives as vector 0xEE",
            ))
            .spec("§5.1.2 remappable format, §9.10 IRTE")
            .ports("kvm-unit-tests x86/intel-iommu.c vtd_test_ir lines 111-128")
            .irte(2, e.encode())
            .msi(EDU, irte::msi_address(2), 0)
            .irr(&[0xee])
            .read(Reg::Fsts, 0)
            .build()
        },
    ]
}

fn qemu_qtest() -> Vec<Scenario> {
    let mut v = vec![
        scenario(
            Area::Ported,
            "qtest-caps-aw48",
            "intel-iommu-test: with aw-bits=48, CAP has FRO, NFR, ND, MAMV, PSI and both large page sizes, SAGAW = 39+48 bits, MGAW = 47; ECAP has QI, IR, IRO and MHMV",
        )
        .spec("§10.4.2 CAP_REG, §10.4.3 ECAP_REG")
        .ports("QEMU tests/qtest/intel-iommu-test.c lines 34-44")
        .aw48()
        .read_masked(Reg::Cap, 0x0012_008c_2200_0006, 0x0012_008c_2200_0006)
        .read_masked(Reg::Cap, 0x600, 0x1f00)
        .read_masked(Reg::Cap, 47 << 16, 0x3f << 16)
        .read_masked(Reg::Ecap, 0xf0_0f0a, 0xf0_0f0a)
        .build(),
        scenario(
            Area::Ported,
            "qtest-caps-scalable",
            "intel-iommu-test (stage-1 intent on QEMU 7.2): scalable mode advertises SMTS, SLTS and SRS on top of the fixed bits",
        )
        .spec("§10.4.3 ECAP_REG SMTS/SLTS")
        .ports("QEMU tests/qtest/intel-iommu-test.c lines 43-44")
        .aw48()
        .scalable()
        .read_masked(Reg::Ecap, (1 << 43) | (1 << 46), (1 << 43) | (1 << 46))
        .build(),
    ];
    // Every register twice: reads have no side effects and the page keeps its
    // power-on values (intel-iommu-test compares 0x230 bytes around a reset).
    let mut b = scenario(
        Area::Ported,
        "qtest-reads-side-effect-free",
        "intel-iommu-test reset snapshot: reading every defined register twice returns the power-on values both times",
    )
    .spec("§10.4 register descriptions (reset values)")
    .ports("QEMU tests/qtest/intel-iommu-test.c lines 46-53");
    for _ in 0..2 {
        b = b
            .read(Reg::Ver, 0x10)
            .read(Reg::Cap, 0x00d2_008c_2226_0206)
            .read(Reg::Ecap, 0xf0_0f4a)
            .read(Reg::Gsts, 0)
            .read(Reg::Rtaddr, 0)
            .read(Reg::Ccmd, 0)
            .read(Reg::Fsts, 0)
            .read(Reg::Fectl, 0x8000_0000)
            .read(Reg::Iqh, 0)
            .read(Reg::Iqt, 0)
            .read(Reg::Iqa, 0)
            .read(Reg::Irta, 0)
            .read(Reg::Iotlb, 0)
            .read(Reg::FrcdHi(0), 0);
    }
    v.push(b.build());
    v
}

/// iommu-intel-test's four modes QEMU 7.2 has, with edu: the pattern is loaded into
/// edu's buffer while translation is off, then written to IOVA 0x10200567.
fn iommu_testdev() -> Vec<Scenario> {
    const IOVA: u64 = 0x1020_0567;
    const TARGET: u64 = 0x1010_0000;
    let sid = EDU.requester_id();
    let start = |name: &str, intent: &str| {
        scenario(Area::Ported, name, intent)
            .aw48()
            .ports("QEMU tests/qtest/iommu-intel-test.c (iommu-testdev cases)")
            .load_buffer(EDU, &PATTERN)
    };
    let legacy_pt = {
        let (lo, hi) = entry::context(0, entry::Tt::PassThrough, 2, 0, false);
        start("testdev-legacy-pt", "iommu-intel-test legacy-pt: a pass-through context entry; the write lands at GPA = IOVA")
            .spec("§9.3 context entry TT=10b")
            .root_entry(0)
            .context_entry(sid, lo, hi)
            .root_table(false)
            .translation(true)
            .dma_write(EDU, IOVA, 4, 0)
            .expect_mem(IOVA, &PATTERN)
            .no_fault()
            .build()
    };
    let legacy_trans = {
        let (lo, hi) = entry::context(TABLES, entry::Tt::Multi, 2, 0, false);
        start(
            "testdev-legacy-trans",
            "iommu-intel-test legacy-trans: 4-level tables map IOVA 0x10200567 to 0x10100567",
        )
        .spec("§3.6 second-level translation, 4-level")
        .root_entry(0)
        .context_entry(sid, lo, hi)
        .map_sl(TABLES, 4, IOVA & !0xfff, TARGET, 0x1000, pte::RW)
        .root_table(false)
        .translation(true)
        .dma_write(EDU, IOVA, 4, 0)
        .expect_mem(TARGET + 0x567, &PATTERN)
        .no_fault()
        .build()
    };
    let scalable = |name: &str, intent: &str, pgtt: entry::Pgtt| {
        let (r_lo, r_hi) = entry::sm_root(Some(context_table(0)), None);
        let (c_lo, c_hi) = entry::sm_context(PASID_DIR, 0, 0, false);
        let pasid_table = PASID_DIR + 0x1000;
        let pe = entry::pasid(
            pgtt,
            if pgtt == entry::Pgtt::Second {
                TABLES
            } else {
                0
            },
            2,
            0,
            0,
        );
        let mut b = start(name, intent)
            .scalable()
            .spec("§9.4 scalable-mode context entry, §9.6 PASID entry")
            .mem64(ROOT, r_lo)
            .mem64(ROOT + 8, r_hi)
            .mem64(context_table(0) + u64::from(sid & 0xff) * 32, c_lo)
            .mem64(context_table(0) + u64::from(sid & 0xff) * 32 + 8, c_hi)
            .mem64(PASID_DIR, entry::pasid_dir(pasid_table))
            .mem64(pasid_table, pe[0])
            .mem64(pasid_table + 8, pe[1])
            .mem64(pasid_table + 16, pe[2]);
        if pgtt == entry::Pgtt::Second {
            b = b.map_sl(TABLES, 4, IOVA & !0xfff, TARGET, 0x1000, pte::RW);
        }
        let target = if pgtt == entry::Pgtt::Second {
            TARGET + 0x567
        } else {
            IOVA
        };
        b.root_table(true)
            .translation(true)
            .dma_write(EDU, IOVA, 4, 0)
            .expect_mem(target, &PATTERN)
            .no_fault()
            .build()
    };
    vec![
        legacy_pt,
        legacy_trans,
        scalable(
            "testdev-scalable-pt",
            "iommu-intel-test scalable-pt: PASID entry PGTT=100b (pass-through) for RID_PASID 0",
            entry::Pgtt::PassThrough,
        ),
        scalable(
            "testdev-scalable-slt",
            "iommu-intel-test scalable-slt: PASID entry PGTT=010b, 4-level second stage",
            entry::Pgtt::Second,
        ),
    ]
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let _ = KUT;
    let mut v = kvm_unit_tests();
    v.extend(qemu_qtest());
    v.extend(iommu_testdev());
    v
}

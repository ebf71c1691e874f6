//! Queued invalidation (§6.5.2): every descriptor type and granularity, acting on
//! the caches the way its register counterpart does; the head moving past each
//! descriptor; the ring wrapping.

use crate::builder::{context_table, data, scenario, Builder, EDU, IQ, PASID_DIR, ROOT};
use crate::layout::{desc, entry, pte, Reg};
use crate::scenario::{Area, Cover, Scenario};

const A: [u8; 4] = [0x5a, 0x5a, 0x5a, 0x5a];
const IOVA: u64 = 0x40_0000;

/// Legacy mode, QI on, IOVA cached (written once) to page 1, then the leaf moved to
/// page 2.
fn cached(name: &str, intent: &str) -> (Builder, u64) {
    let (b, root) = scenario(Area::Qi, name, intent)
        .load_buffer(EDU, &A)
        .legacy_setup();
    let b = b
        .qi_on()
        .map(root, IOVA, data(1), pte::RW)
        .translation(true)
        .dma_write(EDU, IOVA, 4, 0)
        .remap(root, IOVA, data(2), pte::RW)
        .mem(data(1), &[0; 4]);
    (b, root)
}

/// After the invalidation (or none), the next write lands in page 1 (stale) or 2.
fn lands(b: Builder, stale: bool) -> Scenario {
    b.lands(IOVA, &A, stale)
}

/// Scalable mode with RID_PASID 0, second-stage tables at `root`; QI with 256-bit
/// descriptors; IOVA cached to page 1, then the leaf moved to page 2.
fn sm_cached(name: &str, intent: &str) -> Builder {
    let sid = EDU.requester_id();
    let ctx = context_table(0) + u64::from(sid & 0xff) * 32;
    let pasid_table = PASID_DIR + 0x1000;
    let mut b = scenario(Area::Qi, name, intent)
        .scalable()
        .aw48()
        .load_buffer(EDU, &A);
    let root = b.new_table();
    let (r_lo, r_hi) = entry::sm_root(Some(context_table(0)), None);
    let (c_lo, c_hi) = entry::sm_context(PASID_DIR, 0, 0, false);
    let pe = entry::pasid(entry::Pgtt::Second, root, 2, 1, 0);
    b.mem64(ROOT, r_lo)
        .mem64(ROOT + 8, r_hi)
        .mem64(ctx, c_lo)
        .mem64(ctx + 8, c_hi)
        .mem64(PASID_DIR, entry::pasid_dir(pasid_table))
        .mem64(pasid_table, pe[0])
        .mem64(pasid_table + 8, pe[1])
        .map_sl(root, 4, IOVA, data(1), 0x1000, pte::RW)
        .root_table(true)
        .qi_on_wide()
        .translation(true)
        .dma_write(EDU, IOVA, 4, 0)
        .remap(root, IOVA, data(2), pte::RW)
        .mem(data(1), &[0; 4])
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    for (g, name, d) in [
        ("global", "iotlb-global", desc::iotlb_global()),
        ("domain", "iotlb-domain", desc::iotlb_domain(1)),
        ("page", "iotlb-page", desc::iotlb_page(1, IOVA, false, 0)),
    ] {
        let (b, _) = cached(name, "An IOTLB invalidation descriptor of this granularity, followed by a wait, makes the new leaf visible");
        let b = b
            .spec("§6.5.2.3 IOTLB invalidate descriptor")
            .qi_sync(d, 0, 0x1111)
            .covers(Cover::Descriptor(2, g))
            .covers(Cover::Descriptor(5, "status-write"));
        v.push(lands(b, false));
    }
    let (b, _) = cached(
        "iotlb-page-mask",
        "A page-selective IOTLB descriptor with AM=3 covers the 8 pages around its address",
    );
    v.push(lands(
        b.spec("§6.5.2.3 ADDR and AM")
            .qi_sync(desc::iotlb_page(1, IOVA + 0x7000, false, 3), 0, 1),
        false,
    ));
    let (b, _) = cached(
        "iotlb-page-other",
        "A page-selective IOTLB descriptor for another page leaves the stale entry",
    );
    v.push(lands(
        b.spec("§6.5.2.3")
            .qi_sync(desc::iotlb_page(1, IOVA + 0x1000, false, 0), 0, 1),
        true,
    ));
    let (b, _) = cached(
        "iotlb-domain-other",
        "A domain-selective IOTLB descriptor for another domain leaves the stale entry",
    );
    v.push(lands(
        b.spec("§6.5.2.3").qi_sync(desc::iotlb_domain(9), 0, 1),
        true,
    ));
    let (b, _) = cached(
        "iotlb-page-hint",
        "A page-selective descriptor with IH (leaf only) still invalidates the leaf's translation",
    );
    v.push(lands(
        b.spec("§6.5.2.3 IH")
            .qi_sync(desc::iotlb_page(1, IOVA, true, 0), 0, 1),
        false,
    ));
    // Context-cache descriptors: the device moves to new tables.
    for (g, name, d) in [
        ("global", "cc-global", desc::cc_global()),
        ("domain", "cc-domain", desc::cc_domain(1)),
        (
            "device",
            "cc-device",
            desc::cc_device(1, EDU.requester_id(), 0),
        ),
    ] {
        let (b, root) = scenario(Area::Qi, name, "A context-cache invalidation descriptor of this granularity, then an IOTLB descriptor, makes a changed context entry visible")
            .spec("§6.5.2.2 context-cache invalidate descriptor")
            .load_buffer(EDU, &A)
            .legacy_setup();
        let mut b = b
            .qi_on()
            .map(root, IOVA, data(1), pte::RW)
            .translation(true)
            .dma_write(EDU, IOVA, 4, 0)
            .mem(data(1), &[0; 4]);
        let root2 = b.new_table();
        let aw = b.aw();
        let (lo, hi) = entry::context(root2, entry::Tt::Multi, aw, 1, false);
        let b = b
            .map(root2, IOVA, data(2), pte::RW)
            .context_entry(EDU.requester_id(), lo, hi)
            .queue(d)
            .qi_sync(desc::iotlb_domain(1), 0, 2)
            .covers(Cover::Descriptor(1, g));
        v.push(lands(b, false));
    }
    {
        let (b, root) = scenario(Area::Qi, "cc-device-function-mask", "A device-selective context descriptor with FM=3 (ignore the function number) covers every function of the device")
            .spec("§6.5.2.2 FM")
            .load_buffer(EDU, &A)
            .legacy_setup();
        let mut b = b
            .qi_on()
            .map(root, IOVA, data(1), pte::RW)
            .translation(true)
            .dma_write(EDU, IOVA, 4, 0)
            .mem(data(1), &[0; 4]);
        let root2 = b.new_table();
        let aw = b.aw();
        let (lo, hi) = entry::context(root2, entry::Tt::Multi, aw, 1, false);
        let b = b
            .map(root2, IOVA, data(2), pte::RW)
            .context_entry(EDU.requester_id(), lo, hi)
            .queue(desc::cc_device(1, EDU.requester_id() | 7, 3))
            .qi_sync(desc::iotlb_domain(1), 0, 2);
        v.push(lands(b, false));
    }
    {
        let (b, _) = cached("iqh-advances", "The head moves past every descriptor the unit has executed: three descriptors leave IQH at 0x30");
        v.push(
            b.spec("§11.4.9.1 IQH_REG")
                .queue(desc::iotlb_global())
                .queue(desc::cc_global())
                .queue(desc::wait(false, Some((crate::builder::STATUS, 7)), false))
                .submit()
                .read(Reg::Iqh, 0x30)
                .read(Reg::Iqt, 0x30)
                .expect_mem32(crate::builder::STATUS, 7)
                .build(),
        );
    }
    {
        // Fill the ring to its end and wrap: 256 entries, 253 IOTLB flushes, then a
        // wait in entries 253..=255 and 0..2.
        let mut b = scenario(Area::Qi, "ring-wraps", "The ring of 256 descriptors wraps: descriptors after entry 255 are fetched from entry 0, and IQH follows")
            .spec("§6.5.2 the queue is circular")
            .qi_on();
        for _ in 0..250 {
            b = b.queue(desc::iotlb_global());
        }
        b = b.submit().read(Reg::Iqh, 250 * 16);
        for _ in 0..7 {
            b = b.queue(desc::iotlb_global());
        }
        let status = crate::builder::STATUS;
        v.push(
            b.queue(desc::wait(false, Some((status, 0xabcd)), false))
                .submit()
                .read(Reg::Iqh, 2 * 16)
                .expect_mem32(status, 0xabcd)
                .no_fault()
                .build(),
        );
        let _ = IQ;
    }
    {
        let (b, _) = cached("device-tlb", "A device-TLB invalidation descriptor (ECAP.DT) to an ATS device completes before a following wait's status write");
        v.push(
            b.device_iotlb()
                .spec("§6.5.2.5 device-TLB invalidate descriptor")
                .qi_sync(desc::dev_tlb(EDU.requester_id(), IOVA, false), 1, 0x3333)
                .covers(Cover::Descriptor(3, "device-tlb"))
                .build(),
        );
    }
    {
        // Type 8 goes to the device's device-TLB only: the IOTLB keeps its stale entry.
        let status = crate::builder::STATUS;
        let b = sm_cached("pasid-device-tlb", "Scalable mode: a PASID-based device-TLB invalidation (type 8) for RID_PASID 0 completes before the following wait and leaves the IOTLB alone (the stale translation stays)")
            .device_iotlb()
            .spec("§6.5.2.7 PASID-based device-TLB invalidate descriptor")
            .mem32(status, 0)
            .queue(desc::p_dev_tlb(EDU.requester_id(), 0, IOVA, false, false))
            .queue(desc::wait(false, Some((status, 0x8888)), false))
            .submit()
            .read_or(Reg::Fsts, 0, "qemu-no-pasid-device-tlb-descriptor", 0x10)
            .expect_mem_or(status, &0x8888u32.to_le_bytes(), "qemu-no-pasid-device-tlb-descriptor", &[0; 4])
            .covers(Cover::Descriptor(8, "pasid-device-tlb"));
        v.push(
            b.dma_write(EDU, IOVA, 4, 0)
                .expect_mem(data(1), &A)
                .expect_mem(data(2), &[0; 4])
                .build(),
        );
    }
    // PASID-based descriptors, scalable mode, 256-bit queue.
    let b = sm_cached("piotlb-pasid", "Scalable mode: a PASID-selective PASID-based IOTLB invalidation (G=10b) for RID_PASID 0 removes the PASID's cached translations, second-stage ones included")
        .spec("§6.5.2.4 PASID-based IOTLB invalidate descriptor")
        .qi_sync(desc::p_iotlb(2, 1, 0, 0, 0), 0, 0x6666)
        .covers(Cover::Descriptor(6, "pasid"));
    v.push(lands_sm(b, PASID_NOOP));
    let b = sm_cached("piotlb-page-not-second-stage", "Scalable mode: a page-selective PASID-based IOTLB invalidation (G=11b) does not touch a second-stage-only (PGTT=010b) translation: the stale entry stays, software must use a type 2 descriptor")
        .spec("§6.5.2.4: page-granular PASID-based invalidation covers first-stage and nested mappings only")
        .qi_sync(desc::p_iotlb(3, 1, 0, IOVA, 0), 0, 0x6666)
        .covers(Cover::Descriptor(6, "pasid-page"));
    v.push(lands(b, true));
    let b = sm_cached("iotlb-in-scalable-mode", "Scalable mode: the second-stage-only domain IOTLB descriptor (type 2) also flushes the PASID-tagged entries of the domain")
        .spec("§6.5.2.3: type 2 in scalable mode invalidates second-stage mappings of the domain")
        .qi_sync(desc::iotlb_domain(1), 0, 0x2222);
    v.push(lands(b, false));
    for (g, name, d) in [
        ("domain", "pc-domain", desc::pc(0, 1, 0)),
        ("pasid", "pc-pasid", desc::pc(1, 1, 0)),
        ("global", "pc-global", desc::pc(3, 0, 0)),
    ] {
        let b = sm_cached(name, "Scalable mode: a PASID-cache invalidation of this granularity (with a PASID-based IOTLB flush) completes and makes the changed leaf visible")
            .spec("§6.5.2.6 PASID-cache invalidate descriptor")
            .queue(d)
            .qi_sync(desc::p_iotlb(2, 1, 0, 0, 0), 0, 0x7777)
            .covers(Cover::Descriptor(7, g));
        v.push(lands_sm(b, PASID_NOOP));
    }
    v
}

const PASID_NOOP: &str = "qemu-pasid-descriptors-no-op";

/// After a PASID-based flush the new leaf is visible; QEMU 7.2 ignores PASID-based
/// descriptors, so its IOTLB keeps the stale entry.
fn lands_sm(b: Builder, deviation: &'static str) -> Scenario {
    b.dma_write(EDU, IOVA, 4, 0)
        .expect_mem_or(data(2), &A, deviation, &[0; 4])
        .expect_mem_or(data(1), &[0; 4], deviation, &A)
        .no_fault()
        .build()
}

//! Caching and register-based invalidation (§6.1-§6.5.1, §11.4.6, §11.4.8): a unit
//! keeps using what it cached after software changes the tables, until an invalidation
//! of the right granularity; not-present entries are not cached (CM=0). Both backends
//! cache context entries and IOTLB entries, which the spec permits, so a missing
//! invalidation is observable.

use crate::builder::{data, scenario, Builder, EDU};
use crate::layout::{ccmd, entry, iotlb, pte, Reg};
use crate::scenario::{Area, Cover, Scenario};

const A: [u8; 4] = [0xaa, 0xaa, 0xaa, 0xaa];
const IOVA: u64 = 0x40_0000;

/// edu's buffer holds A; IOVA maps to page 1 and has been written once (cached);
/// then the leaf is changed to page 2. Returns the builder and the SL root.
fn cached_then_remapped(name: &str, intent: &str) -> (Builder, u64) {
    let (b, root) = scenario(Area::Caching, name, intent)
        .load_buffer(EDU, &A)
        .legacy_setup();
    let b = b
        .map(root, IOVA, data(1), pte::RW)
        .translation(true)
        .dma_write(EDU, IOVA, 4, 0)
        .expect_mem(data(1), &A)
        .remap(root, IOVA, data(2), pte::RW)
        .mem(data(1), &[0; 4]);
    (b, root)
}

/// After the invalidation (or none), the next write lands in page 1 (stale) or 2.
fn lands(b: Builder, stale: bool) -> Scenario {
    b.lands(IOVA, &A, stale)
}

fn iotlb_reg(b: Builder, value: u64, iva: Option<u64>) -> Builder {
    let b = match iva {
        Some(a) => b.write(Reg::Iva, a),
        None => b,
    };
    b.write(Reg::Iotlb, value).poll(Reg::Iotlb, iotlb::IVT, 0)
}

fn ccmd_reg(b: Builder, value: u64) -> Builder {
    b.write(Reg::Ccmd, value).poll(Reg::Ccmd, ccmd::ICC, 0)
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    let (b, _) = cached_then_remapped(
        "iotlb-stale-without-invalidation",
        "After a leaf changes without invalidation, the cached translation is still used",
    );
    v.push(lands(
        b.spec("§6.1 caching; §6.5 software must invalidate"),
        true,
    ));
    let (b, _) = cached_then_remapped("iotlb-global-register", "A global IOTLB invalidation through the register makes the new leaf visible; IAIG reports global");
    let b = iotlb_reg(
        b.spec("§11.4.8.1 IOTLB_REG IIRG=01"),
        iotlb::request(iotlb::GLOBAL, 0),
        None,
    )
    .read_masked(Reg::Iotlb, 1 << 57, iotlb::IVT | iotlb::IAIG_MASK)
    .covers(Cover::RegisterInvalidation("iotlb", "global"));
    v.push(lands(b, false));
    let (b, _) = cached_then_remapped(
        "iotlb-domain-register",
        "A domain-selective IOTLB invalidation of the device's domain makes the new leaf visible",
    );
    let b = iotlb_reg(
        b.spec("§11.4.8.1 IOTLB_REG IIRG=10"),
        iotlb::request(iotlb::DOMAIN, 1),
        None,
    )
    .read_masked(Reg::Iotlb, 0, iotlb::IVT)
    .covers(Cover::RegisterInvalidation("iotlb", "domain"));
    v.push(lands(b, false));
    let (b, _) = cached_then_remapped(
        "iotlb-domain-other",
        "A domain-selective IOTLB invalidation of another domain leaves the device's stale entry",
    );
    let b = iotlb_reg(
        b.spec("§6.5.1.2 domain-selective invalidation"),
        iotlb::request(iotlb::DOMAIN, 2),
        None,
    );
    v.push(lands(b, true));
    let (b, _) = cached_then_remapped(
        "iotlb-page-register",
        "A page-selective IOTLB invalidation (IVA = the page, AM 0) makes the new leaf visible",
    );
    let b = iotlb_reg(
        b.spec("§11.4.8.1 IIRG=11, §11.4.8.2 IVA_REG"),
        iotlb::request(iotlb::PAGE, 1),
        Some(iotlb::iva(IOVA, false, 0)),
    )
    .covers(Cover::RegisterInvalidation("iotlb", "page"));
    v.push(lands(b, false));
    let (b, _) = cached_then_remapped(
        "iotlb-page-other",
        "A page-selective invalidation of another page leaves the stale entry",
    );
    let b = iotlb_reg(
        b.spec("§6.5.1.2 page-selective invalidation"),
        iotlb::request(iotlb::PAGE, 1),
        Some(iotlb::iva(IOVA + 0x1000, false, 0)),
    );
    v.push(lands(b, true));
    let (b, _) = cached_then_remapped(
        "iotlb-page-mask",
        "A page-selective invalidation with AM=2 covers the four pages around the address",
    );
    let b = iotlb_reg(
        b.spec("§11.4.8.2 IVA_REG AM"),
        iotlb::request(iotlb::PAGE, 1),
        Some(iotlb::iva(IOVA + 0x3000, false, 2)),
    );
    v.push(lands(b, false));
    let (b, _) = cached_then_remapped(
        "iotlb-drain-bits",
        "An IOTLB invalidation with DR and DW (drain reads and writes) completes like one without",
    );
    let b = iotlb_reg(
        b.spec("§11.4.8.1 IOTLB_REG DR/DW"),
        iotlb::request(iotlb::GLOBAL, 0) | iotlb::DR | iotlb::DW,
        None,
    );
    v.push(lands(b, false));
    // Context cache.
    let ctx_switch = |name: &str, intent: &str| {
        let (b, root) = scenario(Area::Caching, name, intent)
            .load_buffer(EDU, &A)
            .legacy_setup();
        let mut b = b
            .map(root, IOVA, data(1), pte::RW)
            .translation(true)
            .dma_write(EDU, IOVA, 4, 0)
            .mem(data(1), &[0; 4]);
        // A new context entry: other tables mapping IOVA to page 2, same domain.
        let root2 = b.new_table();
        let aw = b.aw();
        let (lo, hi) = entry::context(root2, entry::Tt::Multi, aw, 1, false);
        b.map(root2, IOVA, data(2), pte::RW)
            .context_entry(EDU.requester_id(), lo, hi)
    };
    let b = ctx_switch("context-stale-without-invalidation", "After a context entry changes, an IOTLB flush alone is not enough: the cached context entry still selects the old tables");
    let b = iotlb_reg(
        b.spec("§6.5.3.1: context-cache invalidation, then IOTLB"),
        iotlb::request(iotlb::GLOBAL, 0),
        None,
    );
    v.push(lands(b, true));
    for (g, name, value) in [
        ("global", "ccmd-global", ccmd::ICC | ccmd::GLOBAL),
        (
            "domain",
            "ccmd-domain",
            ccmd::request(ccmd::DOMAIN, 1, 0, 0),
        ),
        (
            "device",
            "ccmd-device",
            ccmd::request(ccmd::DEVICE, 1, EDU.requester_id(), 0),
        ),
    ] {
        let b = ctx_switch(name, "A context-cache invalidation of this granularity through CCMD, then a global IOTLB flush, makes the new context entry visible");
        let b = ccmd_reg(b.spec("§11.4.6 CCMD_REG CIRG"), value)
            .read_masked(Reg::Ccmd, 0, ccmd::ICC)
            .covers(Cover::RegisterInvalidation("ccmd", g));
        let b = iotlb_reg(b, iotlb::request(iotlb::GLOBAL, 0), None);
        v.push(lands(b, false));
    }
    let b = ctx_switch("ccmd-device-other", "A device-selective context invalidation naming another device leaves the stale context entry");
    let b = ccmd_reg(
        b.spec("§6.5.1.1 device-selective context-cache invalidation"),
        ccmd::request(ccmd::DEVICE, 1, 0x0010, 0),
    );
    let b = iotlb_reg(b, iotlb::request(iotlb::GLOBAL, 0), None);
    v.push(lands(b, true));
    let b = ctx_switch(
        "ccmd-global-caig",
        "A global context-cache invalidation reports CAIG global (01b) when it completes",
    );
    let b = ccmd_reg(b.spec("§11.4.6 CCMD_REG CAIG"), ccmd::ICC | ccmd::GLOBAL).read_masked(
        Reg::Ccmd,
        1 << 59,
        ccmd::ICC | ccmd::CAIG_MASK,
    );
    let b = iotlb_reg(b, iotlb::request(iotlb::GLOBAL, 0), None);
    v.push(lands(b, false));
    // Not-present entries are not cached.
    {
        let (b, root) = scenario(Area::Caching, "not-present-not-cached", "A DMA that faults on a not-present context entry leaves nothing cached: once software writes the entry the next DMA succeeds without an invalidation (CM=0)")
            .spec("§6.1: with CAP.CM clear, not-present and erroneous entries are not cached")
            .load_buffer(EDU, &A)
            .root_entry(0)
            .root_table(false)
            .translation(true)
            .dma_write(EDU, IOVA, 4, 0)
            .read(Reg::Fsts, 2)
            .clear_fault(0)
            .legacy_device(EDU.requester_id(), 1);
        let b = b.map(root, IOVA, data(3), pte::RW);
        v.push(
            b.dma_write(EDU, IOVA, 4, 0)
                .expect_mem(data(3), &A)
                .read(Reg::Fsts, 0)
                .build(),
        );
    }
    {
        let (b, root) = scenario(Area::Caching, "not-present-leaf-not-cached", "A DMA that faults on a not-present leaf leaves nothing cached: writing the leaf is enough")
            .spec("§6.1: not-present entries are not cached (CM=0)")
            .load_buffer(EDU, &A)
            .legacy_setup();
        let b = b
            .map(root, IOVA + 0x1000, data(5), pte::RW)
            .translation(true)
            .dma_write(EDU, IOVA, 4, 0)
            .read(Reg::Fsts, 2)
            .clear_fault(0)
            .map(root, IOVA, data(4), pte::RW);
        v.push(
            b.dma_write(EDU, IOVA, 4, 0)
                .expect_mem(data(4), &A)
                .read(Reg::Fsts, 0)
                .build(),
        );
    }
    {
        let (b, _) = cached_then_remapped("srtp-no-implicit-flush", "Re-latching the same root table (SRTP) does not invalidate anything: the stale translation is still used until software invalidates");
        let b = b
            .spec("§6.5: invalidation is software's job; SRTP only latches RTADDR")
            .command(crate::layout::gcmd::SRTP, true);
        let (hit_alt, _) = (data(2), ());
        let b = b
            .dma_write(EDU, IOVA, 4, 0)
            .expect_mem_or(data(1), &A, "qemu-srtp-te-flush-caches", &[0; 4])
            .expect_mem_or(hit_alt, &[0; 4], "qemu-srtp-te-flush-caches", &A)
            .no_fault();
        v.push(b.build());
    }
    v
}

//! GCMD/GSTS commands (§10.4.4, §10.4.5): one-shot commands latch their status,
//! persistent enables are kept by writing GSTS back, and each command's effect on
//! DMA and the queue.

use crate::builder::{data, scenario, EDU, ROOT};
use crate::layout::{desc, gcmd, pte, Reg};
use crate::scenario::{Area, Scenario};

const PATTERN: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let c = |name: &str, intent: &str| scenario(Area::Commands, name, intent);
    let mut v = vec![
        c("srtp-latches", "SRTP latches RTADDR and sets GSTS.RTPS; GCMD still reads 0")
            .spec("§11.4.4 GCMD_REG SRTP, §11.4.5 GSTS_REG RTPS")
            .write(Reg::Rtaddr, ROOT)
            .command(gcmd::SRTP, true)
            .read(Reg::Gsts, u64::from(gcmd::SRTP))
            .read(Reg::Gcmd, 0)
            .read(Reg::Rtaddr, ROOT)
            .build(),
        c("te-on-off", "TE sets and clears GSTS.TES; RTPS stays set")
            .spec("§11.4.4 GCMD_REG TE")
            .root_table(false)
            .translation(true)
            .read(Reg::Gsts, u64::from(gcmd::TE | gcmd::SRTP))
            .translation(false)
            .read(Reg::Gsts, u64::from(gcmd::SRTP))
            .build(),
        c("te-off-dma-untranslated", "With TE clear, DMA reaches the physical address it names, whatever the tables say")
            .spec("§3.1: requests are not remapped while translation is disabled")
            .data(0, &PATTERN)
            .root_table(false)
            .copy(EDU, data(0), data(1), 4)
            .expect_mem(data(1), &PATTERN)
            .no_fault()
            .build(),
        c("te-keep-mask", "Writing GSTS & 0x96FFFFFF | TE keeps QIES and IRES and does not re-issue one-shot commands")
            .spec("§11.4.4.1 recommended GCMD read-modify-write")
            .write(Reg::Iqa, crate::builder::IQ)
            .command(gcmd::QIE, true)
            .write(Reg::Irta, crate::builder::IRT | 7)
            .command(gcmd::SIRTP, true)
            .command(gcmd::IRE, true)
            .root_table(false)
            .translation(true)
            .read(Reg::Gsts, u64::from(gcmd::TE | gcmd::SRTP | gcmd::QIE | gcmd::IRE | gcmd::SIRTP))
            .build(),
        c("qie-on-resets-head", "Enabling QI sets QIES and starts with IQH 0")
            .spec("§11.4.4 GCMD_REG QIE, §6.5.2")
            .qi_on()
            .read(Reg::Gsts, u64::from(gcmd::QIE))
            .read(Reg::Iqh, 0)
            .build(),
        c("qie-off-after-wait", "QI turns off when the queue is empty (IQH == IQT) after a wait descriptor; IQH reads 0 afterwards")
            .spec("§6.5.2.2: disabling queued invalidation")
            .qi_on()
            .qi_sync(desc::iotlb_global(), 0, 0x1234)
            .read(Reg::Iqh, 0x20)
            .command(gcmd::QIE, false)
            .read(Reg::Gsts, 0)
            .read(Reg::Iqh, 0)
            .build(),
        c("sirtp-latches", "SIRTP latches IRTA and sets IRTPS; IRE sets IRES")
            .spec("§11.4.4 GCMD_REG SIRTP, IRE")
            .write(Reg::Irta, crate::builder::IRT | 7)
            .command(gcmd::SIRTP, true)
            .read(Reg::Gsts, u64::from(gcmd::SIRTP))
            .command(gcmd::IRE, true)
            .read(Reg::Gsts, u64::from(gcmd::SIRTP | gcmd::IRE))
            .command(gcmd::IRE, false)
            .read(Reg::Gsts, u64::from(gcmd::SIRTP))
            .build(),
        c("wbf-without-rwbf", "WBF on a unit without CAP.RWBF does nothing: WBFS never sets")
            .spec("§11.4.4 GCMD_REG WBF (valid only with CAP.RWBF)")
            .write(Reg::Gcmd, u64::from(gcmd::WBF))
            .read(Reg::Gsts, 0)
            .build(),
        c("sfl-without-afl", "SFL on a unit without advanced fault logging does nothing")
            .spec("§11.4.4 GCMD_REG SFL (valid only with CAP.AFL)")
            .write(Reg::Gcmd, u64::from(gcmd::SFL))
            .read(Reg::Gsts, 0)
            .build(),
    ];
    // SRTP while translating: a new root table takes effect once the caches are
    // flushed.
    {
        let (b, root) = c(
            "srtp-switches-root",
            "SRTP while TE is set switches to a new root table; after a global context and IOTLB flush DMA uses it",
        )
        .spec("§6.6 root table switch: SRTP, then global context-cache and IOTLB invalidation")
        .data(0, &PATTERN)
        .legacy_setup();
        let b = b
            .map(root, 0x10_0000, data(0), pte::RW)
            .translation(true)
            .dma_read(EDU, 0x10_0000, 4, 0);
        // The second root table maps the same IOVA to page 1.
        let second = 0x1008_0000;
        let ctx2 = 0x1008_1000;
        let mut b = b;
        let sl2 = b.new_table();
        let (lo, hi) =
            crate::layout::entry::context(sl2, crate::layout::entry::Tt::Multi, b.aw(), 1, false);
        let b = b
            .mem64(second, crate::layout::entry::root(ctx2))
            .mem64(ctx2 + 8 * 16, lo)
            .mem64(ctx2 + 8 * 16 + 8, hi)
            .map(sl2, 0x10_0000, data(1), pte::RW)
            .write(Reg::Rtaddr, second)
            .command(gcmd::SRTP, true)
            .write(
                Reg::Ccmd,
                crate::layout::ccmd::ICC | crate::layout::ccmd::GLOBAL,
            )
            .poll(Reg::Ccmd, crate::layout::ccmd::ICC, 0)
            .iotlb_global_register()
            .dma_write(EDU, 0x10_0000, 4, 0)
            .expect_mem(data(1), &PATTERN)
            .no_fault();
        v.push(b.build());
    }
    v
}

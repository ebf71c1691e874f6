//! Queue errors (§6.5.2.10, §11.4.9.9 IQERCD): an invalid descriptor stops the queue
//! with IQH on it, sets FSTS.IQE with the reason in IQERCD.IQEI and raises the fault
//! event; software repairs the queue and clears IQE. Device-TLB time-outs (ITE) and
//! unexpected completions (ICE).

use crate::builder::{scenario, Builder, EDU, IQ, ROOT, STATUS};
use crate::layout::{desc, fsts, gcmd, Reg};
use crate::scenario::{Area, Cover, DeviceEvent, Expect, Scenario};

const NO_IQERCD: &str = "qemu-no-iqercd";

fn q(name: &str, intent: &str) -> Builder {
    scenario(Area::QueueErrors, name, intent)
}

/// Expect IQE with IQEI `code`, the head at descriptor `head`.
fn iqe(b: Builder, code: u8, head: u64) -> Builder {
    b.read(Reg::Fsts, fsts::IQE)
        .read(Reg::Iqh, head * 16)
        .read_expect(
            Reg::Iqercd,
            Expect {
                alternatives: vec![(NO_IQERCD, 0, 0xf)],
                ..Expect::masked(u64::from(code), 0xf)
            },
        )
        .covers(Cover::QueueError("IQE", code))
}

/// As [`iqe`], for an error QEMU does not detect (deviation `id`): it goes on and
/// leaves the head at `qemu_head` bytes.
fn iqe_or(b: Builder, code: u8, head: u64, id: &'static str, qemu_head: u64) -> Builder {
    b.read_or(Reg::Fsts, fsts::IQE, id, 0)
        .read_or(Reg::Iqh, head * 16, id, qemu_head)
        .read_expect(
            Reg::Iqercd,
            Expect {
                alternatives: vec![(NO_IQERCD, 0, 0xf), (id, 0, 0xf)],
                ..Expect::masked(u64::from(code), 0xf)
            },
        )
        .covers(Cover::QueueError("IQE", code))
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let bad_iotlb = (0x2 | 1 << 4 | 1 << 8, 0);
    let mut v = vec![
        iqe(
            q("iqe-reserved", "A descriptor with a reserved bit set stops the queue: IQE, IQEI 4, IQH on it, the wait after it not executed")
                .spec("§6.5.2.10 IQE; §11.4.9.9 IQERCD IQEI=4")
                .qi_on()
                .mem32(STATUS, 0)
                .queue(desc::iotlb_global())
                .queue(bad_iotlb)
                .queue(desc::wait(false, Some((STATUS, 5)), false))
                .submit(),
            4,
            1,
        )
        .expect_mem32(STATUS, 0)
        .build(),
        iqe(
            q("iqe-invalid-type", "A descriptor of an undefined type (15) stops the queue with IQEI 3")
                .spec("§6.5.2.10; IQERCD IQEI=3")
                .qi_on()
                .queue((0xf, 0))
                .submit(),
            3,
            0,
        )
        .build(),
        iqe(
            q("iqe-fetch-error", "A queue outside memory cannot be fetched: IQE with IQEI 2")
                .spec("§6.5.2.10; IQERCD IQEI=2")
                .write(Reg::Iqa, 0x7f_0000_0000)
                .write(Reg::Iqt, 0)
                .command(gcmd::QIE, true)
                .write(Reg::Iqt, 0x10),
            2,
            0,
        )
        .build(),
        iqe(
            q("iqe-status-write-error", "A wait whose status address is outside memory fails its status write: IQE with IQEI 2")
                .spec("§6.5.2.10; IQERCD IQEI=2 (descriptor fetch or status write)")
                .qi_on()
                .queue(desc::wait(false, Some((0x7f_0000_0000, 1)), false))
                .submit(),
            2,
            0,
        )
        .build(),
        iqe(
            q("iqe-tail-beyond-queue", "A tail beyond the end of a 256-entry queue is invalid: IQE with IQEI 1")
                .spec("§6.5.2.10; IQERCD IQEI=1")
                .qi_on()
                .write(Reg::Iqt, 0x1000),
            1,
            0,
        )
        .build(),
        q("iqe-fault-event", "IQE raises the fault event like a primary fault")
            .spec("§7.3: IQE is a fault event condition")
            .fault_event(0x60)
            .qi_on()
            .queue((0xf, 0))
            .submit()
            .irr(&[0x60])
            .read(Reg::Fsts, fsts::IQE)
            .build(),
        q("iqe-recovery", "Software repairs the bad descriptor and clears IQE: the queue resumes from IQH")
            .spec("§6.5.2.10: after IQE software fixes the descriptor at IQH and clears IQE")
            .qi_on()
            .mem32(STATUS, 0)
            .queue(bad_iotlb)
            .queue(desc::wait(false, Some((STATUS, 6)), false))
            .submit()
            .read(Reg::Fsts, fsts::IQE)
            // Repair descriptor 0 in place, then clear IQE.
            .mem64(IQ, desc::iotlb_global().0)
            .write(Reg::Fsts, fsts::IQE)
            .read(Reg::Fsts, 0)
            .read_or(Reg::Iqh, 0x20, "qemu-iqe-resume-needs-tail-write", 0)
            .expect_mem_or(STATUS, &6u32.to_le_bytes(), "qemu-iqe-resume-needs-tail-write", &[0; 4])
            // Writing the same tail again is harmless and resumes QEMU too.
            .write(Reg::Iqt, 0x20)
            .expect_mem32(STATUS, 6)
            .read(Reg::Iqh, 0x20)
            .build(),
        iqe_or(
            q("iqe-width-in-scalable-mode", "In scalable mode (RTADDR.TTM=01b latched) a queue of 128-bit descriptors is invalid: IQE with IQEI 5")
                .spec("§6.5.2.10; IQERCD IQEI=5")
                .scalable()
                .aw48()
                .write(Reg::Rtaddr, ROOT | 1 << 10)
                .command(gcmd::SRTP, true)
                .qi_on()
                .queue(desc::iotlb_global())
                .submit(),
            5,
            0,
            "qemu-narrow-descriptors-in-scalable-mode",
            0x10,
        )
        .build(),
        iqe_or(
            q("iqe-tail-misaligned", "With 256-bit descriptors, a tail with bit 4 set is misaligned: IQE with IQEI 6")
                .spec("§11.4.9.2 IQT_REG; IQERCD IQEI=6")
                .scalable()
                .aw48()
                .qi_on_wide()
                .write(Reg::Iqt, 0x10),
            6,
            0,
            "qemu-misaligned-tail-ignored",
            0,
        )
        .build(),
        iqe_or(
            q("iqe-reserved-ttm", "With the reserved translation table mode (RTADDR.TTM=10b) latched, queued invalidation reports IQE with IQEI 7")
                .spec("§11.4.5 RTADDR_REG TTM; IQERCD IQEI=7")
                .scalable()
                .aw48()
                .write(Reg::Rtaddr, ROOT | 2 << 10)
                .command(gcmd::SRTP, true)
                .qi_on_wide()
                .queue(desc::iotlb_global())
                .submit(),
            7,
            0,
            "qemu-reserved-ttm-ignored",
            0x20,
        )
        .build(),
    ];
    // ATS errors: model only (QEMU has no ATS device).
    v.push(
        q("ite-device-gone", "A device-TLB invalidation to a device that stopped answering times out: ITE, IQERCD.ITESID names it, the wait after it does not complete")
            .spec("§6.5.2.10 ITE; §11.4.9.9 ITESID")
            .device_iotlb()
            .qi_on()
            .device_event(EDU, DeviceEvent::Gone)
            .mem32(STATUS, 0)
            .queue(desc::dev_tlb(EDU.requester_id(), 0x1000, false))
            .queue(desc::wait(false, Some((STATUS, 9)), false))
            .submit()
            .read(Reg::Fsts, fsts::ITE)
            .read_masked(Reg::Iqercd, u64::from(EDU.requester_id()) << 32, 0xffff << 32)
            .expect_mem32(STATUS, 0)
            .covers(Cover::QueueError("ITE", 0))
            .build(),
    );
    v.push(
        q("ice-stray-completion", "An invalidation completion nobody waits for sets ICE with the device in IQERCD.ICESID and raises the fault event")
            .spec("§6.5.2.10 ICE; §11.4.9.9 ICESID")
            .device_iotlb()
            .fault_event(0x61)
            .qi_on()
            .device_event(EDU, DeviceEvent::StrayCompletion)
            .read(Reg::Fsts, fsts::ICE)
            .read_masked(Reg::Iqercd, u64::from(EDU.requester_id()) << 48, 0xffff << 48)
            .irr(&[0x61])
            .write(Reg::Fsts, fsts::ICE)
            .read(Reg::Fsts, 0)
            .covers(Cover::QueueError("ICE", 0))
            .build(),
    );
    v
}

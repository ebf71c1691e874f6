//! Queued invalidation: every descriptor type on the caches it acts on, the wait
//! descriptor's status write, completion event and fence, the queue errors (IQE with
//! each IQEI code, ITE, ICE) with the head where the spec leaves it and software's
//! recovery, the QIE rules, and the timed mode.

mod common;

use common::*;
use vtd_model::event::Event;
use vtd_model::fault::FaultReason as R;
use vtd_model::program::{self, MapFlags, SyncError};
use vtd_model::qi::descriptor::{ContextScope, DeviceTlbTarget, IotlbGranularity, PasidCacheScope};
use vtd_model::qi::{Descriptor, QiMode, Width};
use vtd_model::regs::{ectl, fsts, gcmd, offset as o};
use vtd_model::{GuestMemory, UnitConfig, Via};

const W128: Width = Width::Bits128;

fn page(addr: u64) -> Descriptor {
    Descriptor::Iotlb {
        did: DID,
        granularity: IotlbGranularity::Page {
            addr,
            am: 0,
            ih: false,
        },
        drain_reads: false,
        drain_writes: false,
    }
}

fn wait(status: Option<(u64, u32)>, interrupt: bool, fence: bool) -> Descriptor {
    Descriptor::Wait {
        interrupt,
        status,
        fence,
        page_drain: false,
    }
}

fn devtlb(source_id: u16) -> Descriptor {
    Descriptor::DeviceTlb(DeviceTlbTarget {
        source_id,
        pfsid: 0,
        mip: 0,
        addr: 0x4000,
        size: false,
    })
}

#[test]
fn enabling_latches_the_queue_and_register_invalidation_waits_while_it_is_on() {
    let mut r = Rig::qemu();
    let q = r.queue(W128);
    assert_ne!(r.unit.gsts() & gcmd::QIE, 0, "QIES");
    assert_eq!(r.iqh(), 0);
    assert_eq!(q.entries(), 256, "2^(QS+8) 128-bit descriptors");
    // A register-based command while QI is on stays pending (ICC set), as QEMU leaves it.
    r.set_reg(o::CCMD, 8, 1 << 63 | 1 << 61);
    assert_eq!(r.reg(o::CCMD, 8) >> 63, 1);
}

#[test]
fn a_synchronous_page_invalidation_after_unmap_leaves_nothing_stale() {
    // The driver-like scenario: map, DMA, unmap, invalidate through the queue and wait
    // for the status write, DMA again.
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    assert_eq!(r.read(0x1000).unwrap().addr, 0x20_0000);
    r.unmap(0x1000);
    let polls = q.sync(&mut r.unit, &mut r.mem, &[page(0x1000)]).unwrap();
    assert_eq!(polls, 0, "immediate mode: done at the tail write");
    assert_eq!(reason(r.read(0x1000)), R::READ.0);
    assert!(r.unit.take_stale().is_empty());
    assert_eq!(r.iqh(), 2 * 16, "IQH past the invalidation and the wait");
    assert_eq!(r.unit.stats().descriptors, 2);
}

#[test]
fn the_same_scenario_without_the_invalidation_is_caught_by_the_checker() {
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    r.read(0x1000).unwrap();
    r.unmap(0x1000);
    // The buggy driver waits for the queue but never queued the IOTLB invalidation.
    q.sync(&mut r.unit, &mut r.mem, &[]).unwrap();
    assert_eq!(r.read(0x1000).unwrap().via, Via::Iotlb, "served stale");
    let stale = r.unit.take_stale();
    assert_eq!(stale.len(), 1);
    assert!(stale[0].to_string().contains("missed invalidation"));
}

#[test]
fn context_cache_descriptors_of_each_granularity() {
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    let other = DEV + 1;
    r.tables
        .set_context(&mut r.mem, &mut r.alloc, other, 2, Some(&r.pt), false)
        .unwrap();
    let fill = |r: &mut Rig| {
        r.read(0x1000).unwrap();
        r.unit
            .translate(&r.mem, &vtd_model::Request::read(other, 0x1000))
            .unwrap();
        assert_eq!(r.unit.caches().context.len(), 2);
    };
    fill(&mut r);
    let device = ContextScope::Device {
        did: DID,
        source_id: DEV,
        fm: 0,
    };
    q.sync(&mut r.unit, &mut r.mem, &[Descriptor::Context(device)])
        .unwrap();
    assert_eq!(r.unit.caches().context.len(), 1);
    fill(&mut r);
    q.sync(
        &mut r.unit,
        &mut r.mem,
        &[Descriptor::Context(ContextScope::Domain(2))],
    )
    .unwrap();
    assert_eq!(r.unit.caches().context.len(), 1);
    fill(&mut r);
    q.sync(
        &mut r.unit,
        &mut r.mem,
        &[Descriptor::Context(ContextScope::Global)],
    )
    .unwrap();
    assert!(r.unit.caches().context.is_empty());
}

#[test]
fn iotlb_descriptors_global_domain_page_and_mask() {
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    for p in 0..4u64 {
        r.map(p << 12, 0x40_0000 + (p << 12), MapFlags::RW);
        r.read(p << 12).unwrap();
    }
    let psi = Descriptor::Iotlb {
        did: DID,
        granularity: IotlbGranularity::Page {
            addr: 0x2000,
            am: 1,
            ih: false,
        },
        drain_reads: true,
        drain_writes: true,
    };
    q.sync(&mut r.unit, &mut r.mem, &[psi]).unwrap();
    assert_eq!(r.unit.caches().iotlb.len(), 2, "pages 2 and 3");
    let other_domain = Descriptor::Iotlb {
        did: DID + 1,
        granularity: IotlbGranularity::Domain,
        drain_reads: false,
        drain_writes: false,
    };
    q.sync(&mut r.unit, &mut r.mem, &[other_domain]).unwrap();
    assert_eq!(r.unit.caches().iotlb.len(), 2);
    let global = Descriptor::Iotlb {
        did: 0,
        granularity: IotlbGranularity::Global,
        drain_reads: false,
        drain_writes: false,
    };
    q.sync(&mut r.unit, &mut r.mem, &[global]).unwrap();
    assert!(r.unit.caches().iotlb.is_empty());
}

#[test]
fn device_tlb_invalidations_reach_the_device() {
    let mut r = Rig::legacy(qemu_dt());
    let mut q = r.queue(W128);
    let d = Descriptor::DeviceTlb(DeviceTlbTarget {
        source_id: DEV,
        pfsid: 0,
        mip: 0,
        addr: 0x5000,
        size: true,
    });
    q.sync(&mut r.unit, &mut r.mem, &[d]).unwrap();
    assert_eq!(
        r.unit.take_events(),
        vec![Event::DeviceTlbInvalidation {
            source_id: DEV,
            pasid: None,
            addr: 0x4000,
            size: 0x4000
        }]
    );
    assert_eq!(r.unit.stats().device_tlb_invalidations, 1);
}

#[test]
fn a_wait_writes_its_status_then_raises_the_completion_event_once() {
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    r.set_reg(o::IEDATA, 4, 0x49);
    r.set_reg(o::IEADDR, 4, 0xfee0_0000);
    let slot = q.status + 8;
    // IECTL.IM is set at reset: the event waits in IP.
    q.push(&mut r.mem, &wait(Some((slot, 7)), true, false))
        .unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    assert_eq!(r.mem.read_u64(slot).unwrap() as u32, 7);
    assert_eq!(r.reg(o::ICS, 4), 1, "IWC");
    assert_ne!(r.reg(o::IECTL, 4) as u32 & ectl::IP, 0);
    assert!(r.unit.take_events().is_empty());
    // Unmasking sends it.
    r.set_reg(o::IECTL, 4, 0);
    assert_eq!(
        r.unit.take_events(),
        vec![Event::InvalidationComplete {
            addr: 0xfee0_0000,
            data: 0x49
        }]
    );
    assert_eq!(r.reg(o::IECTL, 4) as u32 & ectl::IP, 0);
    // While IWC is still set, another IF wait raises nothing.
    q.push(&mut r.mem, &wait(None, true, false)).unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    assert!(r.unit.take_events().is_empty());
    // Clear IWC (write 1), and the next one is sent at once (unmasked).
    r.set_reg(o::ICS, 4, 1);
    assert_eq!(r.reg(o::ICS, 4), 0);
    q.push(&mut r.mem, &wait(None, true, true)).unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    assert_eq!(r.unit.take_events().len(), 1);
    assert_eq!(r.unit.stats().completion_interrupts, 2);
}

#[test]
fn clearing_iwc_withdraws_a_masked_completion_event() {
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    q.push(&mut r.mem, &wait(None, true, false)).unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    assert_ne!(r.reg(o::IECTL, 4) as u32 & ectl::IP, 0);
    r.set_reg(o::ICS, 4, 1);
    assert_eq!(r.reg(o::IECTL, 4) as u32 & ectl::IP, 0);
    r.set_reg(o::IECTL, 4, 0);
    assert!(
        r.unit.take_events().is_empty(),
        "nothing was pending any more"
    );
}

/// Push raw qwords, submit, and return (FSTS, IQERCD, IQH as an index).
fn run_raw(r: &mut Rig, q: &mut program::InvalidationQueue, raws: &[[u64; 4]]) -> (u32, u64, u64) {
    for raw in raws {
        q.push_raw(&mut r.mem, *raw).unwrap();
    }
    q.submit(&mut r.unit, &mut r.mem);
    let bytes = q.width.bytes();
    (r.fsts(), r.reg(o::IQERCD, 8), r.iqh() / bytes)
}

#[test]
fn an_invalid_descriptor_stops_the_queue_on_itself_with_its_code() {
    let ok = vtd_model::qi::descriptor::encode(&wait(None, false, true));
    let ok = [ok[0], ok[1], 0, 0];
    for (raw, iqei) in [
        ([0xf, 0, 0, 0], 3),                 // type 15 does not exist
        ([1 | 1 << 9, 0, 0, 0], 3),          // type[6:4] set: type 17
        ([1, 0, 0, 0], 4),                   // context-cache granularity 0
        ([2 | 3 << 4 | 1 << 8, 0, 0, 0], 4), // reserved bit 8
        ([2 | 3 << 4, 19, 0, 0], 4),         // AM 19 > MAMV 18
        ([ok[0], 1, 0, 0], 4),               // status address bit 0
        ([4, 0, 0, 0], 4),                   // IEC: fine type, but qword 1 is reserved?
    ] {
        let mut r = Rig::qemu();
        let mut q = r.queue(W128);
        let (f, iqercd, head) = run_raw(&mut r, &mut q, &[ok, raw, ok]);
        if raw == [4, 0, 0, 0] {
            // The global IEC descriptor is valid: the queue ran to the end.
            assert_eq!((f & fsts::IQE, head), (0, 3));
            continue;
        }
        assert_ne!(f & fsts::IQE, 0, "{raw:x?}");
        assert_eq!(iqercd & 0xf, iqei, "{raw:x?}");
        assert_eq!(head, 1, "IQH stays on the bad descriptor");
        assert_eq!(r.unit.stats().descriptors, 1);
    }
}

#[test]
fn iqe_raises_the_fault_event_and_linux_recovery_resumes_the_queue() {
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    r.set_reg(o::FECTL, 4, 0);
    r.set_reg(o::FEDATA, 4, 0x55);
    r.set_reg(o::FEADDR, 4, 0xfee0_0000);
    let status = q.status;
    let bad = [0xf, 0, 0, 0];
    let w = vtd_model::qi::descriptor::encode(&wait(Some((status, 2)), false, false));
    let (f, iqercd, head) = run_raw(&mut r, &mut q, &[bad, [w[0], w[1], 0, 0]]);
    assert_ne!(f & fsts::IQE, 0);
    assert_eq!((iqercd & 0xf, head), (3, 0));
    assert_eq!(
        r.unit.take_events(),
        vec![Event::FaultInterrupt {
            addr: 0xfee0_0000,
            data: 0x55
        }]
    );
    assert_eq!(
        r.mem.read_u64(status).unwrap() as u32,
        0,
        "wait not reached"
    );
    // Linux's qi_check_fault: copy the wait descriptor over the bad one, then clear
    // IQE. The unit fetches at IQH again and runs to the tail.
    r.mem.write_u64(q.base, w[0]).unwrap();
    r.mem.write_u64(q.base + 8, w[1]).unwrap();
    r.set_reg(o::FSTS, 4, u64::from(fsts::IQE));
    assert_eq!(r.fsts() & fsts::IQE, 0);
    assert_eq!(r.iqh() / 16, 2);
    assert_eq!(r.mem.read_u64(status).unwrap() as u32, 2);
}

#[test]
fn qemu_mode_resumes_only_at_the_next_tail_write() {
    let mut cfg = UnitConfig::new(vtd_model::regs::presets::QEMU_Q35);
    cfg.qi = QiMode::Qemu;
    let mut r = Rig::legacy_with(cfg);
    let mut q = r.queue(W128);
    let w = vtd_model::qi::descriptor::encode(&wait(Some((q.status, 2)), false, false));
    run_raw(&mut r, &mut q, &[[0xf, 0, 0, 0], [w[0], w[1], 0, 0]]);
    r.mem.write_u64(q.base, w[0]).unwrap();
    r.mem.write_u64(q.base + 8, w[1]).unwrap();
    r.set_reg(o::FSTS, 4, u64::from(fsts::IQE));
    assert_eq!(r.iqh(), 0, "QEMU: clearing IQE does not fetch");
    q.submit(&mut r.unit, &mut r.mem);
    assert_eq!(r.iqh() / 16, 2);
    // QEMU rejects a wait descriptor with none of IF, SW, FN.
    let empty = vtd_model::qi::descriptor::encode(&wait(None, false, false));
    let (f, iqercd, head) = run_raw(&mut r, &mut q, &[[empty[0], empty[1], 0, 0]]);
    assert_ne!(f & fsts::IQE, 0);
    assert_eq!((iqercd & 0xf, head), (4, 2));
}

#[test]
fn tail_errors_fetch_errors_width_and_ttm() {
    // Tail beyond the queue (IQEI 1).
    let mut r = Rig::qemu();
    let _q = r.queue(W128);
    r.set_reg(o::IQT, 8, 256 * 16);
    assert_eq!(r.reg(o::IQERCD, 8) & 0xf, 1);
    assert_ne!(r.fsts() & fsts::IQE, 0);

    // A queue outside memory (IQEI 2).
    let mut r = Rig::qemu();
    r.set_reg(o::IQA, 8, 0xff_ffff_f000);
    program::command(&mut r.unit, &mut r.mem, gcmd::QIE, true);
    r.set_reg(o::IQT, 8, 16);
    assert_eq!(r.reg(o::IQERCD, 8) & 0xf, 2);
    assert_eq!(r.iqh(), 0);

    // 256-bit queue: IQT bit 4 set (IQEI 6).
    let mut r = Rig::legacy(vtd_model::regs::presets::SAPPHIRE_RAPIDS);
    let mut q = r.queue(Width::Bits256);
    assert_eq!(q.entries(), 128, "2^(QS+7) 256-bit descriptors");
    r.set_reg(o::IQT, 8, 0x10);
    assert_eq!(r.reg(o::IQERCD, 8) & 0xf, 6);
    // Clearing IQE with the tail still misaligned stops the queue again at once.
    r.set_reg(o::FSTS, 4, u64::from(fsts::IQE));
    assert_ne!(r.fsts() & fsts::IQE, 0);
    r.set_reg(o::IQT, 8, 0);
    r.set_reg(o::FSTS, 4, u64::from(fsts::IQE));
    assert_eq!(r.fsts() & fsts::IQE, 0);
    // The second half of a 256-bit descriptor is checked: a nonzero qword 2 is IQEI 4.
    let (f, iqercd, head) = run_raw(&mut r, &mut q, &[[0x5 | 1 << 6, 0, 1, 0]]);
    assert_ne!(f & fsts::IQE, 0);
    assert_eq!((iqercd & 0xf, head), (4, 0));

    // A scalable-mode root table with a 128-bit queue (IQEI 5).
    let mut r = Rig::legacy(vtd_model::regs::presets::SAPPHIRE_RAPIDS);
    let mut q = r.queue(W128);
    let root = r.tables.root;
    program::enable(&mut r.unit, &mut r.mem, root, true);
    let (_, iqercd, _) = run_raw(&mut r, &mut q, &[[0x5 | 1 << 6, 0, 0, 0]]);
    assert_eq!(iqercd & 0xf, 5);

    // RTADDR.TTM = 10b, reserved (IQEI 7).
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    r.set_reg(o::RTADDR, 8, 2 << 10);
    program::command(&mut r.unit, &mut r.mem, gcmd::SRTP, true);
    let (_, iqercd, _) = run_raw(&mut r, &mut q, &[[0x5 | 1 << 6, 0, 0, 0]]);
    assert_eq!(iqercd & 0xf, 7);
}

#[test]
fn a_silent_device_times_out_aborts_the_waits_and_recovery_resubmits() {
    let mut r = Rig::legacy(qemu_dt());
    let mut q = r.queue(W128);
    r.set_reg(o::FECTL, 4, 0);
    r.unit.set_device_responds(DEV, false);
    // Linux: the device-TLB invalidation, then its wait (no fence), then more work.
    let err = q.sync(&mut r.unit, &mut r.mem, &[devtlb(DEV)]).unwrap_err();
    assert_eq!(err, SyncError::TimedOut { source_id: DEV });
    assert_ne!(r.fsts() & fsts::ITE, 0);
    assert_eq!(r.reg(o::IQERCD, 8) >> 32 & 0xffff, u64::from(DEV), "ITESID");
    assert_eq!(
        r.mem.read_u64(q.status).unwrap() as u32,
        0,
        "the wait was aborted"
    );
    assert_eq!(r.iqh() / 16, 2, "both fetched");
    assert_eq!(r.unit.stats().waits_aborted, 1);
    assert!(r
        .unit
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::FaultInterrupt { .. })));
    // Software clears ITE; the device answers again (hot-unplug finished, say) and the
    // resubmitted batch completes.
    r.set_reg(o::FSTS, 4, u64::from(fsts::ITE));
    r.unit.set_device_responds(DEV, true);
    q.sync(&mut r.unit, &mut r.mem, &[devtlb(DEV)]).unwrap();
}

#[test]
fn a_fence_holds_fetching_until_the_time_out() {
    let mut r = Rig::legacy(qemu_dt());
    let mut q = r.queue(W128);
    r.unit.set_device_responds(DEV, false);
    q.push(&mut r.mem, &devtlb(DEV)).unwrap();
    q.push(&mut r.mem, &wait(Some((q.status, 1)), false, true))
        .unwrap();
    q.push(&mut r.mem, &page(0x1000)).unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    assert_ne!(r.fsts() & fsts::ITE, 0);
    assert_eq!(
        r.iqh() / 16,
        2,
        "the fenced wait was fetched, not what follows"
    );
    // Clearing ITE resumes at IQH.
    r.set_reg(o::FSTS, 4, u64::from(fsts::ITE));
    assert_eq!(r.iqh() / 16, 3);
}

#[test]
fn an_unexpected_completion_sets_ice_without_stopping_the_queue() {
    let mut r = Rig::legacy(qemu_dt());
    let mut q = r.queue(W128);
    r.set_reg(o::FECTL, 4, 0);
    r.unit.unexpected_invalidation_completion(0x0310);
    assert_ne!(r.fsts() & fsts::ICE, 0);
    assert_eq!(r.reg(o::IQERCD, 8) >> 48, 0x0310, "ICESID");
    assert_eq!(r.unit.take_events().len(), 1, "fault event");
    q.sync(&mut r.unit, &mut r.mem, &[page(0)]).unwrap();
    // A second condition while ICE is pending raises no new event.
    r.unit.unexpected_invalidation_completion(0x0311);
    assert!(r.unit.take_events().is_empty());
    assert_eq!(
        r.reg(o::IQERCD, 8) >> 48,
        0x0310,
        "ICESID kept while ICE is set"
    );
    r.set_reg(o::FSTS, 4, u64::from(fsts::ICE));
    assert_eq!(r.fsts() & fsts::ICE, 0);
}

#[test]
fn qi_disable_needs_an_empty_queue() {
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    // A pending tail: stopped by an error so that IQH != IQT.
    run_raw(&mut r, &mut q, &[[0xf, 0, 0, 0]]);
    program::command(&mut r.unit, &mut r.mem, gcmd::QIE, false);
    assert_ne!(r.unit.gsts() & gcmd::QIE, 0, "refused: IQH != IQT");
    // Recover and drain, then disable: IQH resets to 0.
    let w = vtd_model::qi::descriptor::encode(&wait(None, false, true));
    r.mem.write_u64(q.base, w[0]).unwrap();
    r.mem.write_u64(q.base + 8, w[1]).unwrap();
    r.set_reg(o::FSTS, 4, u64::from(fsts::IQE));
    program::command(&mut r.unit, &mut r.mem, gcmd::QIE, false);
    assert_eq!(r.unit.gsts() & gcmd::QIE, 0);
    assert_eq!(r.iqh(), 0);
    // With QI off, register-based invalidation works again.
    r.set_reg(o::CCMD, 8, 1 << 63 | 1 << 61);
    assert_eq!(r.reg(o::CCMD, 8) >> 63, 0);
}

#[test]
fn scalable_mode_pasid_descriptors_and_register_invalidation_not_performed() {
    use vtd_model::program::{Format, PageTable};
    let mut r = Rig::legacy(vtd_model::regs::presets::SAPPHIRE_RAPIDS);
    // Scalable tables: 03:00.0 with PASID enabled and a PASID table.
    let root = r.alloc.page(&mut r.mem).unwrap();
    let ctx = r.alloc.page(&mut r.mem).unwrap();
    let dir = r.alloc.page(&mut r.mem).unwrap();
    let table = r.alloc.page(&mut r.mem).unwrap();
    r.mem.write_u64(root + 3 * 16, ctx | 1).unwrap();
    r.mem.write_u64(ctx, dir | 1 | 8).unwrap();
    r.mem.write_u64(dir, table | 1).unwrap();
    let fl = PageTable::new(&mut r.mem, &mut r.alloc, 4, Format::First).unwrap();
    let sl = PageTable::new(&mut r.mem, &mut r.alloc, 4, Format::Second).unwrap();
    for t in [&fl, &sl] {
        t.map(&mut r.mem, &mut r.alloc, 0x1000, 0x20_0000, 1, MapFlags::RW)
            .unwrap();
    }
    let did = 5u64;
    // PASID 0: second level (PGTT 010); PASID 1: first level (PGTT 001).
    r.mem
        .write_u64(table, sl.root | 2 << 6 | 2 << 2 | 1)
        .unwrap();
    r.mem.write_u64(table + 8, did).unwrap();
    r.mem.write_u64(table + 64, 1 << 6 | 1).unwrap();
    r.mem.write_u64(table + 64 + 8, did).unwrap();
    r.mem.write_u64(table + 64 + 16, fl.root).unwrap();
    let mut q = r.queue(Width::Bits256);
    program::enable(&mut r.unit, &mut r.mem, root, true);
    // Version 6 units and scalable mode: the register command is not performed.
    q.sync(
        &mut r.unit,
        &mut r.mem,
        &[Descriptor::Context(ContextScope::Global)],
    )
    .unwrap();
    let dev = 0x0300;
    let go = |r: &mut Rig, pasid: Option<u32>| {
        let mut req = vtd_model::Request::read(dev, 0x1000);
        req.pasid = pasid;
        r.unit.translate(&r.mem, &req)
    };
    go(&mut r, None).unwrap();
    go(&mut r, Some(1)).unwrap();
    assert_eq!(r.unit.caches().iotlb.len(), 2);
    assert_eq!(r.unit.caches().pasid.len(), 2);
    // A page-selective PASID-based invalidation reaches first-stage entries only.
    let p = |pasid, range| Descriptor::PasidIotlb {
        did: did as u16,
        pasid,
        range,
    };
    q.sync(&mut r.unit, &mut r.mem, &[p(0, Some((0x1000, 0, false)))])
        .unwrap();
    assert_eq!(r.unit.caches().iotlb.len(), 2, "second-stage entry stays");
    q.sync(&mut r.unit, &mut r.mem, &[p(1, Some((0x1000, 0, false)))])
        .unwrap();
    assert_eq!(r.unit.caches().iotlb.len(), 1);
    // A scalable-mode IOTLB descriptor removes every first-stage entry of the domain,
    // whatever the address, and second-stage ones in range.
    go(&mut r, Some(1)).unwrap();
    let far = Descriptor::Iotlb {
        did: did as u16,
        granularity: IotlbGranularity::Page {
            addr: 0x7000_0000,
            am: 0,
            ih: false,
        },
        drain_reads: false,
        drain_writes: false,
    };
    q.sync(&mut r.unit, &mut r.mem, &[far]).unwrap();
    assert_eq!(
        r.unit.caches().iotlb.len(),
        1,
        "the second-stage entry, out of range"
    );
    // PASID-cache granularities.
    q.sync(
        &mut r.unit,
        &mut r.mem,
        &[Descriptor::PasidCache {
            did: did as u16,
            scope: PasidCacheScope::Pasid(1),
        }],
    )
    .unwrap();
    assert_eq!(r.unit.caches().pasid.len(), 1);
    q.sync(
        &mut r.unit,
        &mut r.mem,
        &[Descriptor::PasidCache {
            did: did as u16,
            scope: PasidCacheScope::Domain,
        }],
    )
    .unwrap();
    assert!(r.unit.caches().pasid.is_empty());
    // PASID-based device-TLB invalidation.
    let d = Descriptor::PasidDeviceTlb {
        target: DeviceTlbTarget {
            source_id: dev,
            pfsid: 0,
            mip: 0,
            addr: 0x1000,
            size: false,
        },
        pasid: 1,
        all_pasids: false,
    };
    q.sync(&mut r.unit, &mut r.mem, &[d]).unwrap();
    assert!(r
        .unit
        .take_events()
        .contains(&Event::DeviceTlbInvalidation {
            source_id: dev,
            pasid: Some(1),
            addr: 0x1000,
            size: 0x1000
        }));
    assert!(r.unit.take_stale().is_empty());
    // And the register interface reports "not performed" in scalable mode.
    program::command(&mut r.unit, &mut r.mem, gcmd::QIE, false);
    r.set_reg(o::CCMD, 8, 1 << 63 | 1 << 61);
    let ccmd = r.reg(o::CCMD, 8);
    assert_eq!((ccmd >> 63, ccmd >> 59 & 3), (0, 0));
}

fn timed(preset: vtd_model::regs::presets::Preset) -> Rig {
    let mut cfg = UnitConfig::new(preset);
    cfg.qi = QiMode::Timed;
    Rig::legacy_with(cfg)
}

#[test]
fn timed_mode_completes_waits_as_the_clock_advances() {
    let mut r = timed(qemu_dt());
    let mut q = r.queue(W128);
    let t = r.unit.config().timing;
    q.push(&mut r.mem, &page(0x1000)).unwrap();
    q.push(&mut r.mem, &wait(Some((q.status, 9)), false, false))
        .unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    assert_eq!(r.iqh(), 0, "nothing happens at the tail write itself");
    // The first descriptor takes effect once fetched; the engine is busy with it for
    // the invalidation; then the wait is fetched and completes.
    r.unit.advance(&mut r.mem, t.memory_read - 1);
    assert_eq!(r.iqh(), 0);
    r.unit.advance(&mut r.mem, 1);
    assert_eq!(r.iqh(), 16);
    r.unit.advance(&mut r.mem, t.invalidate + t.memory_read - 1);
    assert_eq!(r.mem.read_u64(q.status).unwrap() as u32, 0);
    r.unit.advance(&mut r.mem, 1);
    assert_eq!(r.mem.read_u64(q.status).unwrap() as u32, 9);
    assert_eq!(r.iqh(), 32);
}

#[test]
fn timed_mode_a_wait_after_a_device_tlb_invalidation_waits_for_the_round_trip() {
    let mut r = timed(qemu_dt());
    let mut q = r.queue(W128);
    let t = r.unit.config().timing;
    let polls = q.sync(&mut r.unit, &mut r.mem, &[devtlb(DEV)]).unwrap();
    let waited = polls * q.poll_cycles;
    assert!(
        waited >= t.device_tlb_round_trip,
        "the wait completed after {waited} cycles, before the round trip"
    );
    assert!(waited < t.device_tlb_round_trip + 4 * t.memory_read + q.poll_cycles);
    // A device that never answers: the sync returns the time-out after a minute.
    r.unit.set_device_responds(DEV, false);
    q.poll_cycles = 1_000_000_000;
    let before = r.unit.now();
    let err = q.sync(&mut r.unit, &mut r.mem, &[devtlb(DEV)]).unwrap_err();
    assert_eq!(err, SyncError::TimedOut { source_id: DEV });
    let took = r.unit.now() - before;
    assert!((t.device_tlb_timeout..t.device_tlb_timeout + 2_000_000_000).contains(&took));
}

#[test]
fn timed_mode_a_fence_holds_later_descriptors_until_its_wait_completes() {
    let mut r = timed(qemu_dt());
    let mut q = r.queue(W128);
    let t = r.unit.config().timing;
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    r.read(0x1000).unwrap();
    q.push(&mut r.mem, &devtlb(DEV)).unwrap();
    q.push(&mut r.mem, &wait(Some((q.status, 1)), false, true))
        .unwrap();
    q.push(&mut r.mem, &page(0x1000)).unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    // Both fetched after two reads and an invalidation; the page invalidation waits.
    r.unit.advance(&mut r.mem, 2 * t.memory_read + t.invalidate);
    assert_eq!(r.iqh() / 16, 2);
    assert_eq!(
        r.unit.caches().iotlb.len(),
        1,
        "fenced: not yet invalidated"
    );
    // The device answers a round trip after the invalidation was sent; the wait
    // completes and the fence lifts.
    let lifted = t.memory_read + t.device_tlb_round_trip + t.memory_write;
    r.unit.advance(&mut r.mem, lifted - r.unit.now());
    assert_eq!(r.mem.read_u64(q.status).unwrap() as u32, 1);
    // Then the next descriptor is fetched.
    r.unit.advance(&mut r.mem, t.memory_read - 1);
    assert_eq!(r.iqh() / 16, 2);
    r.unit.advance(&mut r.mem, 1);
    assert_eq!(r.iqh() / 16, 3);
    assert!(r.unit.caches().iotlb.is_empty());
}

#[test]
fn a_status_write_outside_memory_is_a_queue_error_on_the_wait() {
    let mut r = Rig::qemu();
    let mut q = r.queue(W128);
    q.push(&mut r.mem, &page(0x1000)).unwrap();
    q.push(&mut r.mem, &wait(Some((1 << 40, 1)), false, false))
        .unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    assert_ne!(r.fsts() & fsts::IQE, 0);
    assert_eq!(r.reg(o::IQERCD, 8) & 0xf, 2);
    assert_eq!(r.iqh() / 16, 1, "IQH on the wait whose write failed");
}

#[test]
fn qemu_mode_disables_qi_only_after_a_wait() {
    let mut cfg = UnitConfig::new(vtd_model::regs::presets::QEMU_Q35);
    cfg.qi = QiMode::Qemu;
    let mut r = Rig::legacy_with(cfg);
    let mut q = r.queue(W128);
    q.push(&mut r.mem, &page(0)).unwrap();
    q.submit(&mut r.unit, &mut r.mem);
    program::command(&mut r.unit, &mut r.mem, gcmd::QIE, false);
    assert_ne!(
        r.unit.gsts() & gcmd::QIE,
        0,
        "the last descriptor was not a wait"
    );
    q.sync(&mut r.unit, &mut r.mem, &[]).unwrap();
    program::command(&mut r.unit, &mut r.mem, gcmd::QIE, false);
    assert_eq!(r.unit.gsts() & gcmd::QIE, 0);
}

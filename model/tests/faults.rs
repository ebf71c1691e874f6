//! Primary fault logging: records, FSTS, overflow, FPD, and the fault event.

mod common;

use common::*;
use vtd_model::event::Event;
use vtd_model::fault::FaultReason as R;
use vtd_model::program::MapFlags;
use vtd_model::regs::presets;
use vtd_model::regs::{ectl, fsts, offset as o};
use vtd_model::{Blocked, Recorded, Request};

const FRO: usize = 0x220; // QEMU preset: CAP.FRO = 0x22

#[test]
fn a_fault_fills_the_record_sets_ppf_and_raises_the_masked_event_later() {
    let mut r = Rig::qemu();
    // FECTL resets with IM set: the event stays pending.
    assert_eq!(r.reg(o::FECTL, 4), u64::from(ectl::IM));
    r.set_reg(o::FEADDR, 4, 0xfee0_0000);
    r.set_reg(o::FEDATA, 4, 0x41);
    let f = r.write(0x7000).unwrap_err();
    let Blocked::Fault(f) = f else {
        panic!("{f:?}")
    };
    assert_eq!(f.recorded, Recorded::Logged { index: 0 });
    let fsts_now = r.reg(o::FSTS, 4) as u32;
    assert_eq!(fsts_now & fsts::PPF, fsts::PPF);
    assert_eq!((fsts_now >> 8) & 0xff, 0, "FRI points at record 0");
    let lo = r.reg(FRO, 8);
    let hi = r.reg(FRO + 8, 8);
    assert_eq!(lo, 0x7000, "FI: the faulting page");
    assert_eq!(hi & 0xffff, u64::from(DEV), "SID");
    assert_eq!((hi >> 32) & 0xff, u64::from(R::WRITE.0), "FR");
    assert_eq!(hi >> 62 & 1, 0, "T = 0: a write");
    assert_eq!(hi >> 63, 1, "F");
    assert!(r.unit.take_events().is_empty());
    assert_eq!(r.reg(o::FECTL, 4) as u32, ectl::IM | ectl::IP);
    // Unmasking sends the pending MSI.
    r.set_reg(o::FECTL, 4, 0);
    assert_eq!(
        r.unit.take_events(),
        vec![Event::FaultInterrupt {
            addr: 0xfee0_0000,
            data: 0x41
        }]
    );
    assert_eq!(r.reg(o::FECTL, 4), 0);
    // Software clears F (write 1 to bit 127 = bit 31 of the dword at +12): PPF drops.
    r.set_reg(FRO + 12, 4, 0x8000_0000);
    assert_eq!(r.reg(o::FSTS, 4) as u32 & fsts::PPF, 0);
}

#[test]
fn one_record_overflows_and_pfo_is_write_one_to_clear() {
    let mut r = Rig::qemu();
    r.set_reg(o::FECTL, 4, 0);
    assert!(
        matches!(r.read(0x1000), Err(Blocked::Fault(f)) if f.recorded == Recorded::Logged { index: 0 })
    );
    assert_eq!(r.unit.take_events().len(), 1);
    // The only record is still full: the next fault is lost and PFO set, no new event.
    assert!(matches!(r.read(0x2000), Err(Blocked::Fault(f)) if f.recorded == Recorded::Overflow));
    assert_eq!(r.reg(o::FSTS, 4) as u32 & fsts::PFO, fsts::PFO);
    assert!(r.unit.take_events().is_empty());
    // While PFO is set, faults are not recorded at all.
    r.set_reg(FRO + 12, 4, 0x8000_0000);
    assert!(matches!(r.read(0x3000), Err(Blocked::Fault(f)) if f.recorded == Recorded::Overflow));
    r.set_reg(o::FSTS, 4, u64::from(fsts::PFO));
    assert_eq!(r.reg(o::FSTS, 4) as u32 & fsts::PFO, 0);
    assert!(
        matches!(r.read(0x3000), Err(Blocked::Fault(f)) if f.recorded == Recorded::Logged { index: 0 })
    );
    assert_eq!(r.unit.stats().faults_overflowed, 2);
}

#[test]
fn records_go_round_robin_on_units_with_many() {
    // Xeon SKX: NFR+1 = 8 records at FRO 0x100.
    let mut r = Rig::legacy(presets::XEON_SKX);
    for i in 0..8u64 {
        let f = r.read(0x1000 * (i + 1)).unwrap_err();
        assert!(
            matches!(f, Blocked::Fault(f) if f.recorded == Recorded::Logged { index: i as usize })
        );
    }
    for i in 0..8usize {
        assert_eq!(r.reg(0x100 + 16 * i, 8), 0x1000 * (i as u64 + 1));
    }
    assert!(matches!(r.read(0x9000), Err(Blocked::Fault(f)) if f.recorded == Recorded::Overflow));
}

#[test]
fn fault_processing_disable_suppresses_qualified_faults_only() {
    let mut r = Rig::qemu();
    r.tables
        .set_context(
            &mut r.mem,
            &mut r.alloc,
            DEV,
            DID,
            Some(&r.pt.clone()),
            true,
        )
        .unwrap();
    r.flush_all();
    assert!(matches!(r.read(0x1000), Err(Blocked::Fault(f)) if f.recorded == Recorded::Suppressed));
    assert_eq!(r.reg(o::FSTS, 4), 0);
    // A root-entry fault is not qualified: recorded whatever FPD says.
    let t = r.unit.translate(&r.mem, &Request::read(0x0500, 0));
    assert!(
        matches!(t, Err(Blocked::Fault(f)) if f.reason == R::ROOT_NOT_PRESENT && f.recorded == Recorded::Logged { index: 0 })
    );
}

#[test]
fn every_fault_reason_is_named_and_counted() {
    let mut r = Rig::qemu();
    r.map(0x1000, 0x20_0000, MapFlags::RO);
    let _ = r.write(0x1000);
    let _ = r.read(0x8000);
    let _ = r.read(0x8000);
    let faults = &r.unit.stats().faults;
    assert_eq!(faults.get(&R::WRITE.0), Some(&1));
    assert_eq!(faults.get(&R::READ.0), Some(&2));
    for reason in R::ALL {
        assert_ne!(reason.text(), "Unknown");
        assert_ne!(reason.condition(), "?");
    }
}

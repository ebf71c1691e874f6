//! Caches keep what they hold until an invalidation removes it, exactly as hardware
//! does; the stale-translation checker reports every answer memory no longer supports.

mod common;

use common::*;
use vtd_model::cache::CacheConfig;
use vtd_model::checker::Outcome;
use vtd_model::fault::FaultReason as R;
use vtd_model::program::{self, MapFlags};
use vtd_model::regs::presets::{self, Preset};
use vtd_model::regs::{gcmd, offset as o};
use vtd_model::{UnitConfig, Via};

#[test]
fn an_unmap_without_invalidation_is_served_stale_and_reported() {
    let mut r = Rig::qemu();
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    assert_eq!(r.read(0x1000).unwrap().addr, 0x20_0000);
    // The driver unmaps but forgets the IOTLB invalidation: hardware keeps serving the
    // old translation, and the checker says so.
    r.unmap(0x1000);
    let t = r.read(0x1000).unwrap();
    assert_eq!((t.addr, t.via), (0x20_0000, Via::Iotlb));
    let stale = r.unit.take_stale();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].memory, Outcome::Fault(R::READ));
    assert!(
        stale[0].to_string().contains("missed invalidation"),
        "{}",
        stale[0]
    );
    // After the page-selective invalidation the fault shows, and nothing is stale.
    r.flush_pages(0x1000, 0);
    assert_eq!(reason(r.read(0x1000)), R::READ.0);
    assert!(r.unit.take_stale().is_empty());
}

#[test]
fn a_driver_that_forgets_to_invalidate_after_a_remap_is_caught() {
    // The seeded bug: a buggy "driver" remaps an IOVA to a new page and only flushes
    // the write buffer. The device's DMA still lands in the old page.
    let mut r = Rig::qemu();
    let iova = 0x10_0000;
    r.map(iova, 0x30_0000, MapFlags::RW);
    r.write(iova).unwrap();
    r.map(iova, 0x31_0000, MapFlags::RW);
    program::command(&mut r.unit, &mut r.mem, gcmd::WBF, true);
    assert_eq!(
        r.write(iova).unwrap().addr,
        0x30_0000,
        "stale: the old page"
    );
    let stale = r.unit.take_stale();
    assert_eq!(stale.len(), 1);
    assert!(matches!(
        stale[0].memory,
        Outcome::Mapped {
            addr: 0x31_0000,
            ..
        }
    ));
    // The correct driver invalidates: fresh translation, no report.
    r.flush_pages(iova, 0);
    assert_eq!(r.write(iova).unwrap().addr, 0x31_0000);
    assert!(r.unit.take_stale().is_empty());
}

#[test]
fn srtp_keeps_the_caches_unless_the_unit_has_esrtps() {
    for (preset, esrtps) in [
        (presets::QEMU_Q35, false),
        (with_esrtps(presets::QEMU_Q35), true),
    ] {
        let mut r = Rig::legacy(preset);
        r.map(0x1000, 0x20_0000, MapFlags::RW);
        r.read(0x1000).unwrap();
        program::command(&mut r.unit, &mut r.mem, gcmd::SRTP, true);
        assert_eq!(r.unit.caches().iotlb.is_empty(), esrtps, "ESRTPS={esrtps}");
    }
}

fn with_esrtps(p: Preset) -> Preset {
    Preset {
        cap: p.cap | 1 << 63,
        ..p
    }
}

#[test]
fn invalidation_granularities_and_their_reported_actual_granularity() {
    let mut r = Rig::qemu();
    for page in 0..4u64 {
        r.map(page << 12, 0x40_0000 + (page << 12), MapFlags::RW);
        r.read(page << 12).unwrap();
    }
    assert_eq!(r.unit.caches().iotlb.len(), 4);
    let iro = r.unit.ecap().iotlb_offset();
    // PSI of 2 pages (AM=1) at page 2.
    r.flush_pages(0x2000, 1);
    assert_eq!(r.unit.caches().iotlb.len(), 2);
    assert_eq!(r.reg(iro + 8, 8) >> 57 & 3, 3, "IAIG = page");
    assert_eq!(r.reg(iro + 8, 8) >> 63, 0, "IVT cleared");
    // AM above MAMV (18): not performed, IAIG = 0.
    program::flush_pages(&mut r.unit, &mut r.mem, DID, 0, 19, false);
    assert_eq!(r.reg(iro + 8, 8) >> 57 & 3, 0);
    assert_eq!(r.unit.caches().iotlb.len(), 2);
    // Domain-selective for another domain leaves ours.
    r.set_reg(iro + 8, 8, 1 << 63 | 2 << 60 | 9 << 32);
    assert_eq!(r.unit.caches().iotlb.len(), 2);
    assert_eq!(r.reg(iro + 8, 8) >> 57 & 3, 2);
    // Context command: global → CAIG 1, ICC clear.
    r.set_reg(o::CCMD, 8, 1 << 63 | 1 << 61);
    let ccmd = r.reg(o::CCMD, 8);
    assert_eq!((ccmd >> 63, ccmd >> 59 & 3), (0, 1));
    assert!(r.unit.caches().context.is_empty());
}

#[test]
fn a_unit_without_psi_reports_a_domain_invalidation() {
    // Haswell graphics units have no page-selective invalidation.
    let mut r = Rig::legacy(presets::HASWELL_GFX);
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    r.map(0x9000, 0x29_0000, MapFlags::RW);
    r.read(0x1000).unwrap();
    r.read(0x9000).unwrap();
    r.flush_pages(0x1000, 0);
    let iro = r.unit.ecap().iotlb_offset();
    assert_eq!(r.reg(iro + 8, 8) >> 57 & 3, 2, "IAIG = domain");
    assert!(r.unit.caches().iotlb.is_empty());
}

#[test]
fn the_invalidation_hint_keeps_paging_structure_caches() {
    let mut r = Rig::qemu();
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    r.read(0x1000).unwrap();
    let psc: usize = r.unit.caches().paging.iter().map(|c| c.len()).sum();
    assert_eq!(psc, 2, "PDE and PDPE cached for a 3-level walk");
    program::flush_pages(&mut r.unit, &mut r.mem, DID, 0x1000, 0, true);
    assert_eq!(
        r.unit
            .caches()
            .paging
            .iter()
            .map(|c| c.len())
            .sum::<usize>(),
        2
    );
    // The next miss walks only the last level.
    let t = r.read(0x1000).unwrap();
    assert_eq!(t.via, Via::Walk { reads: 1 });
    program::flush_pages(&mut r.unit, &mut r.mem, DID, 0x1000, 0, false);
    assert_eq!(
        r.unit
            .caches()
            .paging
            .iter()
            .map(|c| c.len())
            .sum::<usize>(),
        0
    );
}

#[test]
fn caching_mode_caches_not_present_entries_until_invalidated() {
    let cm = Preset {
        cap: presets::QEMU_Q35.cap | 1 << 7,
        ..presets::QEMU_Q35
    };
    let mut r = Rig::legacy(cm);
    assert_eq!(reason(r.read(0x5000)), R::READ.0);
    // Mapping without the invalidation CM requires: still the cached fault.
    r.map(0x5000, 0x50_0000, MapFlags::RW);
    assert_eq!(reason(r.read(0x5000)), R::READ.0);
    assert_eq!(r.unit.take_stale().len(), 1);
    // With the invalidation Linux issues under CM (PSI on map): translated.
    r.flush_pages(0x5000, 0);
    assert_eq!(r.read(0x5000).unwrap().addr, 0x50_0000);
    // Without CM nothing negative is cached (the kvm-unit-tests expectation).
    let mut r = Rig::qemu();
    assert_eq!(reason(r.read(0x5000)), R::READ.0);
    r.map(0x5000, 0x50_0000, MapFlags::RW);
    assert_eq!(r.read(0x5000).unwrap().addr, 0x50_0000);
}

#[test]
fn capacity_limits_evict_and_no_cache_means_every_request_walks() {
    let small = UnitConfig {
        caches: CacheConfig {
            iotlb: vtd_model::cache::Geometry::fully_associative(2),
            ..CacheConfig::default()
        },
        ..UnitConfig::new(presets::QEMU_Q35)
    };
    let mut r = Rig::legacy_with(small);
    for p in 0..3u64 {
        r.map(p << 12, 0x40_0000 + (p << 12), MapFlags::RW);
        r.read(p << 12).unwrap();
    }
    assert_eq!(r.unit.caches().iotlb.len(), 2);
    let none = UnitConfig {
        caches: CacheConfig::none(),
        ..UnitConfig::new(presets::QEMU_Q35)
    };
    let mut r = Rig::legacy_with(none);
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    r.read(0x1000).unwrap();
    assert_eq!(r.read(0x1000).unwrap().via, Via::Walk { reads: 3 });
}

#[test]
fn context_changes_need_a_context_invalidation() {
    let mut r = Rig::qemu();
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    r.read(0x1000).unwrap();
    // Move the device to pass-through without invalidating the context cache.
    r.tables
        .set_context(&mut r.mem, &mut r.alloc, DEV, 3, None, false)
        .unwrap();
    assert_eq!(r.read(0x1000).unwrap().addr, 0x20_0000);
    assert_eq!(r.unit.take_stale().len(), 1);
    program::flush_context(&mut r.unit, &mut r.mem, DID, DEV);
    assert_eq!(r.read(0x1000).unwrap().via, Via::PassThrough);
    assert!(r.unit.take_stale().is_empty());
}

//! The platform: device DMA end to end, requester-id aliasing, and units and scopes
//! from a DMAR table.

use vtd_machine::Bdf;
use vtd_model::platform::DmaError;
use vtd_model::program::{self, Format, LegacyTables, MapFlags, PageAlloc, PageTable};
use vtd_model::regs::presets;
use vtd_model::{Blocked, GuestMemory, Platform};

fn bdf(s: &str) -> Bdf {
    s.parse().unwrap()
}

#[test]
fn kvm_unit_tests_dma_through_a_3_level_table() {
    // x86/intel-iommu.c vtd_test_dmar: the edu device (00:01.0) reads IOVA 0 and writes
    // IOVA 4 of one mapped page; DID = the device's BDF; no invalidation after mapping.
    let mut p = Platform::q35(None);
    let edu = bdf("00:01.0");
    let mut alloc = PageAlloc::new(0x100_0000, 0x200_0000);
    let tables = LegacyTables::new(&mut p.memory, &mut alloc).unwrap();
    let pt = PageTable::new(&mut p.memory, &mut alloc, 3, Format::Second).unwrap();
    let sid = edu.requester_id();
    tables
        .set_context(&mut p.memory, &mut alloc, sid, sid, Some(&pt), false)
        .unwrap();
    let (unit, mem) = p.unit_and_memory(0).unwrap();
    program::enable(unit, mem, tables.root, false);
    let page = 0x300_0000 - 0x1000;
    pt.map(&mut p.memory, &mut alloc, 0, page, 1, MapFlags::RW)
        .unwrap();
    p.memory.write(page, &[0xde, 0xad, 0xbe, 0xef]).unwrap();
    let mut buf = [0u8; 4];
    p.dma_read(edu, 0, &mut buf).unwrap();
    assert_eq!(buf, [0xde, 0xad, 0xbe, 0xef]);
    p.dma_write(edu, 4, &buf).unwrap();
    let mut back = [0u8; 8];
    p.memory.read(page, &mut back).unwrap();
    assert_eq!(back, [0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef]);
    // Unmapped IOVA: the unit faults and records it.
    let err = p.dma_read(edu, 0x10_0000, &mut buf).unwrap_err();
    assert!(
        matches!(err, DmaError::Blocked(Blocked::Fault(_))),
        "{err:?}"
    );
    assert_eq!(
        p.mmio_read(0xfed9_0034, 4).unwrap() & 2,
        2,
        "FSTS.PPF via MMIO"
    );
    // Writes into the interrupt range are not DMA.
    assert!(matches!(
        p.dma_write(edu, 0xfee0_0000, &[0; 4]),
        Err(DmaError::InterruptRange(_))
    ));
}

#[test]
fn units_and_scopes_from_a_dmar_fixture_and_bridge_aliasing() {
    let f = dmar_fixtures::get("bridge-scoped-devices")
        .unwrap()
        .unwrap();
    let table = dmar::parse(f.table.as_deref().unwrap()).unwrap();
    let p = Platform::from_dmar(&table, f.meta.machine.clone(), |_| presets::XEON_SKX).unwrap();
    assert_eq!(p.units().len(), 2);
    assert_eq!(p.units()[0].base(), 0xfbff_c000);
    // The NVMe behind root port 00:1c.0 is named by the first unit's 2-hop scope; the
    // conventional devices on bus 5 by its bridge scope; the rest go to include-all.
    assert_eq!(p.unit_for(bdf("02:00.0")), Some(0));
    assert_eq!(p.unit_for(bdf("05:01.0")), Some(0));
    assert_eq!(p.unit_for(bdf("04:00.0")), Some(1));
    // Conventional devices behind the PCIe-to-PCI bridge share its alias (05:00.0).
    assert_eq!(p.topology().source_id(bdf("05:01.0")), 0x0500);
    assert_eq!(p.topology().source_id(bdf("05:00.0")), 0x0500);
    assert_eq!(p.topology().source_id(bdf("02:00.0")), 0x0200);
}

#[test]
fn mmio_outside_any_unit_is_an_error() {
    let mut p = Platform::q35(None);
    assert!(p.mmio_read(0xfed8_0000, 4).is_err());
    assert_eq!(p.mmio_read(0xfed9_0000, 4).unwrap(), 0x10);
}

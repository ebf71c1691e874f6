//! Legacy-mode translation: root → context → second-level tables, and every legacy
//! fault reason (spec appendix A) with the condition that raises it.

mod common;

use common::*;
use vtd_model::fault::FaultReason as R;
use vtd_model::program::MapFlags;
use vtd_model::regs::offset as o;
use vtd_model::regs::presets;
use vtd_model::{Access, AddressType, GuestMemory, Request, Via};

#[test]
fn a_mapped_page_translates_then_hits_the_iotlb() {
    let mut r = Rig::qemu();
    r.map(0x1000, 0x20_0000, MapFlags::RW);
    let t = r.read(0x1234).unwrap();
    assert_eq!(t.addr, 0x20_0234);
    assert_eq!(t.page_size, 4096);
    assert!(t.perm.read && t.perm.write);
    assert_eq!(t.did, DID);
    assert_eq!(
        t.via,
        Via::Walk { reads: 3 },
        "3-level table, nothing cached"
    );
    let t = r.write(0x1ff8).unwrap();
    assert_eq!(t.via, Via::Iotlb);
    assert_eq!(t.addr, 0x20_0ff8);
    assert_eq!(r.unit.stats().iotlb.hits, 1);
    assert!(r.unit.take_stale().is_empty());
}

#[test]
fn superpages_translate_with_their_size() {
    let mut r = Rig::qemu();
    r.map_large(0x4000_0000, 0x8000_0000, 3);
    r.map_large(0x20_0000, 0x60_0000, 2);
    let t = r.read(0x4123_4567).unwrap();
    assert_eq!((t.addr, t.page_size), (0x8123_4567, 1 << 30));
    let t = r.read(0x2f_fff0).unwrap();
    assert_eq!((t.addr, t.page_size), (0x6f_fff0, 2 << 20));
}

#[test]
fn large_pages_the_unit_does_not_support_are_reserved() {
    // Ivy Bridge client units have SLLPS = 0: PS in a PDE is a reserved bit.
    let mut r = Rig::legacy(presets::IVY_BRIDGE);
    r.map_large(0x20_0000, 0x60_0000, 2);
    assert_eq!(reason(r.read(0x20_0000)), R::PAGING_RESERVED.0);
}

#[test]
fn each_legacy_fault_reason_has_its_condition() {
    let mut r = Rig::qemu();
    r.map(0x1000, 0x20_0000, MapFlags::RO);
    // 0x5 write to a read-only page; 0x6 read of a not-present page.
    assert_eq!(reason(r.write(0x1000)), R::WRITE.0);
    assert_eq!(reason(r.read(0x5000)), R::READ.0);
    // 0x4 beyond the 39-bit width.
    assert_eq!(reason(r.read(1 << 39)), R::ADDRESS_BEYOND_MGAW.0);
    // 0x1 no root entry for bus 3.
    let t = r.unit.translate(&r.mem, &Request::read(0x0300, 0));
    assert_eq!(reason(t), R::ROOT_NOT_PRESENT.0);
    // 0x2 bus 0 has a context table but devfn 0x10 is not present.
    assert_eq!(
        reason(r.unit.translate(&r.mem, &Request::read(0x0010, 0))),
        R::CONTEXT_NOT_PRESENT.0
    );
    // 0xD a translated request with TT = 00.
    let translated = Request {
        at: AddressType::Translated,
        ..Request::read(DEV, 0x1000)
    };
    assert_eq!(
        reason(r.unit.translate(&r.mem, &translated)),
        R::TRANSLATION_TYPE.0
    );
    // 0x31 a request with PASID in legacy mode.
    let with_pasid = Request::read(DEV, 0x1000).with_pasid(5);
    assert_eq!(
        reason(r.unit.translate(&r.mem, &with_pasid)),
        R::SM_TTM_PASID.0
    );
}

#[test]
fn table_structure_faults() {
    let mut r = Rig::qemu();
    let ctx = r.mem.read_u64(r.tables.root).unwrap() & !0xfff;
    let entry = ctx + u64::from(DEV & 0xff) * 16;
    // 0xB reserved bit 4 of the context entry.
    let lo = r.mem.read_u64(entry).unwrap();
    r.mem.write_u64(entry, lo | 0x10).unwrap();
    r.flush_all();
    assert_eq!(reason(r.read(0)), R::CONTEXT_RESERVED.0);
    // 0x3 TT = 11.
    r.mem.write_u64(entry, (lo & !0xc) | 0xc).unwrap();
    r.flush_all();
    assert_eq!(reason(r.read(0)), R::CONTEXT_INVALID.0);
    // 0x3 AW = 2 (48-bit) on a unit with SAGAW 39-bit only.
    r.mem.write_u64(entry, lo).unwrap();
    let hi = r.mem.read_u64(entry + 8).unwrap();
    r.mem.write_u64(entry + 8, (hi & !7) | 2).unwrap();
    r.flush_all();
    assert_eq!(reason(r.read(0)), R::CONTEXT_INVALID.0);
    r.mem.write_u64(entry + 8, hi).unwrap();
    // 0xA reserved bit 1 of the root entry.
    let root = r.mem.read_u64(r.tables.root).unwrap();
    r.mem.write_u64(r.tables.root, root | 2).unwrap();
    r.flush_all();
    assert_eq!(reason(r.read(0)), R::ROOT_RESERVED.0);
    r.mem.write_u64(r.tables.root, root).unwrap();
    // 0x9 the context table lies beyond memory.
    r.mem
        .write_u64(r.tables.root, 0xffff_0000 | 1 | (1 << 32))
        .unwrap();
    r.flush_all();
    assert_eq!(reason(r.read(0)), R::CONTEXT_TABLE_INVALID.0);
    r.mem.write_u64(r.tables.root, root).unwrap();
    r.flush_all();
    // 0xC reserved bits in a PTE (bit 62, TM).
    r.map(0x3000, 0x40_0000, MapFlags::RW);
    let t = r.read(0x3000).unwrap();
    assert_eq!(t.addr, 0x40_0000);
    let pte = leaf_address(&r, 0x3000);
    let v = r.mem.read_u64(pte).unwrap();
    r.mem.write_u64(pte, v | 1 << 62).unwrap();
    r.flush_all();
    assert_eq!(reason(r.read(0x3000)), R::PAGING_RESERVED.0);
    // 0x7 a next-level pointer beyond memory.
    let top = r.pt.root;
    r.mem
        .write_u64(top + 8, (0x80_0000_0000 - 0x1000) | 3)
        .unwrap();
    r.flush_all();
    assert_eq!(reason(r.read(1 << 30)), R::PAGING_ENTRY_INVALID.0);
    // 0xE output in the interrupt range.
    r.map(0x9000, 0xfee0_0000, MapFlags::RW);
    assert_eq!(reason(r.read(0x9000)), R::INTERRUPT_ADDRESS.0);
}

#[test]
fn a_root_table_beyond_memory_is_0x8() {
    let mut r = Rig::qemu();
    r.set_reg(o::RTADDR, 8, 0xffff_f000 + 0x1_0000_0000);
    vtd_model::program::command(&mut r.unit, &mut r.mem, vtd_model::regs::gcmd::SRTP, true);
    r.flush_all();
    assert_eq!(reason(r.read(0)), R::ROOT_TABLE_INVALID.0);
}

#[test]
fn pass_through_and_translation_disabled() {
    let mut r = Rig::qemu();
    r.tables
        .set_context(&mut r.mem, &mut r.alloc, 0x0010, 7, None, false)
        .unwrap();
    r.flush_all();
    let t = r
        .unit
        .translate(&r.mem, &Request::write(0x0010, 0x1234_5678))
        .unwrap();
    assert_eq!((t.addr, t.via, t.did), (0x1234_5678, Via::PassThrough, 7));
    vtd_model::program::command(&mut r.unit, &mut r.mem, vtd_model::regs::gcmd::TE, false);
    let t = r.read(0xdead_0000).unwrap();
    assert_eq!((t.addr, t.via), (0xdead_0000, Via::Disabled));
}

#[test]
fn translation_requests_return_rights_instead_of_faulting() {
    let mut r = Rig::legacy(presets::XEON_SKX);
    // TT = 01 (device-TLB) on a unit with ECAP.DT.
    let ctx = r.mem.read_u64(r.tables.root).unwrap() & !0xfff;
    let entry = ctx + u64::from(DEV & 0xff) * 16;
    let lo = r.mem.read_u64(entry).unwrap();
    r.mem.write_u64(entry, (lo & !0xc) | 0x4).unwrap();
    r.flush_all();
    r.map(0x1000, 0x20_0000, MapFlags::RO);
    let tr = Request {
        at: AddressType::TranslationRequest,
        access: Access::WRITE,
        ..Request::read(DEV, 0x1000)
    };
    let t = r.unit.translate(&r.mem, &tr).unwrap();
    assert!(t.perm.read && !t.perm.write);
    let translated = Request {
        at: AddressType::Translated,
        ..Request::write(DEV, 0x20_0000)
    };
    assert_eq!(
        r.unit.translate(&r.mem, &translated).unwrap().addr,
        0x20_0000
    );
}

/// The address of the 4 KiB leaf entry of `iova` in the rig's table.
fn leaf_address(r: &Rig, iova: u64) -> u64 {
    let mut table = r.pt.root;
    for level in (2..=r.pt.levels).rev() {
        let e = r
            .mem
            .read_u64(table + ((iova >> (12 + 9 * (level - 1))) & 0x1ff) * 8)
            .unwrap();
        table = e & !0xfff & 0xf_ffff_ffff_ffff;
    }
    table + ((iova >> 12) & 0x1ff) * 8
}

#[test]
fn five_level_tables_on_a_57_bit_unit() {
    // Sapphire Rapids: SAGAW 48- and 57-bit; the rig uses the deepest (5 levels).
    let mut r = Rig::legacy(presets::SAPPHIRE_RAPIDS);
    assert_eq!(r.pt.levels, 5);
    let iova = 0x1_2345_6789_a000;
    r.map(iova, 0x20_0000, MapFlags::RW);
    let t = r.read(iova | 0x10).unwrap();
    assert_eq!((t.addr, t.via), (0x20_0010, Via::Walk { reads: 5 }));
    assert_eq!(reason(r.read(1 << 57)), R::ADDRESS_BEYOND_MGAW.0);
}

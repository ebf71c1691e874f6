//! Scalable mode: scalable root/context entries, PASID directory and table, and the
//! second-level, first-level, nested and pass-through translation types.

use vtd_model::fault::FaultReason as R;
use vtd_model::program::{self, Format, MapFlags, PageAlloc, PageTable};
use vtd_model::regs::presets;
use vtd_model::{Access, Blocked, GuestMemory, Request, SparseMemory, Unit, UnitConfig, Via};

const DEV: u16 = 0x0300; // 03:00.0
const DID: u16 = 5;

struct Sm {
    mem: SparseMemory,
    unit: Unit,
    alloc: PageAlloc,
    pasid_table: u64,
}

/// Sapphire Rapids unit in scalable mode; DEV's context has PASID enabled, RID_PASID
/// 0 and a one-page PASID directory whose first table is `pasid_table`.
fn setup() -> Sm {
    let mut mem = SparseMemory::new(1 << 32);
    let mut unit = Unit::new(UnitConfig::new(presets::SAPPHIRE_RAPIDS)).unwrap();
    let mut alloc = PageAlloc::new(0x100_0000, 0x800_0000);
    let root = alloc.page(&mut mem).unwrap();
    let ctx = alloc.page(&mut mem).unwrap();
    let dir = alloc.page(&mut mem).unwrap();
    let pasid_table = alloc.page(&mut mem).unwrap();
    mem.write_u64(root + 3 * 16, ctx | 1).unwrap();
    // Context entry for devfn 0: P, PASIDE (bit 3), PDTS 0, directory pointer.
    mem.write_u64(ctx, dir | 1 | 8).unwrap();
    mem.write_u64(dir, pasid_table | 1).unwrap();
    program::enable(&mut unit, &mut mem, root, true);
    Sm {
        mem,
        unit,
        alloc,
        pasid_table,
    }
}

impl Sm {
    /// Write PASID entry `pasid` (< 64): qword 0, 1, 2.
    fn pasid(&mut self, pasid: u64, q0: u64, q1: u64, q2: u64) {
        let at = self.pasid_table + pasid * 64;
        for (i, q) in [q0, q1, q2].into_iter().enumerate() {
            self.mem.write_u64(at + 8 * i as u64, q).unwrap();
        }
    }

    fn table(&mut self, levels: u32, format: Format) -> PageTable {
        PageTable::new(&mut self.mem, &mut self.alloc, levels, format).unwrap()
    }

    fn go(&mut self, req: Request) -> Result<vtd_model::Translation, Blocked> {
        self.unit.translate(&self.mem, &req)
    }
}

fn reason(r: Result<vtd_model::Translation, Blocked>) -> u8 {
    r.expect_err("should fault").reason().expect("fault").0
}

#[test]
fn second_level_through_rid_pasid_and_with_pasid() {
    let mut s = setup();
    let pt = s.table(4, Format::Second);
    pt.map(&mut s.mem, &mut s.alloc, 0x1000, 0x20_0000, 1, MapFlags::RW)
        .unwrap();
    // PGTT = 010 (second level), AW = 2 (4-level), DID in qword 1.
    s.pasid(0, pt.root | 2 << 6 | 2 << 2 | 1, u64::from(DID), 0);
    let t = s.go(Request::read(DEV, 0x1080)).unwrap();
    assert_eq!((t.addr, t.did), (0x20_0080, DID));
    s.pasid(7, pt.root | 2 << 6 | 2 << 2 | 1, u64::from(DID), 0);
    let t = s.go(Request::write(DEV, 0x1000).with_pasid(7)).unwrap();
    assert_eq!(t.addr, 0x20_0000);
    assert!(s.unit.take_stale().is_empty());
}

#[test]
fn first_level_four_levels_with_user_supervisor_and_write_checks() {
    let mut s = setup();
    let pt = s.table(4, Format::First);
    pt.map(
        &mut s.mem,
        &mut s.alloc,
        0x7000_0000,
        0x30_0000,
        1,
        MapFlags::RO,
    )
    .unwrap();
    let kernel = MapFlags {
        user: false,
        ..MapFlags::RW
    };
    pt.map(&mut s.mem, &mut s.alloc, 0x7000_1000, 0x31_0000, 1, kernel)
        .unwrap();
    // PGTT = 001, FLPTPTR in qword 2, SRE set.
    s.pasid(9, 1 << 6 | 1, u64::from(DID), pt.root | 1);
    let user_read = Request::read(DEV, 0x7000_0010).with_pasid(9);
    assert_eq!(s.go(user_read).unwrap().addr, 0x30_0010);
    let user_write = Request::write(DEV, 0x7000_0010).with_pasid(9);
    assert_eq!(reason(s.go(user_write)), R::SM_WRITE.0);
    let user_on_kernel = Request::read(DEV, 0x7000_1000).with_pasid(9);
    assert_eq!(reason(s.go(user_on_kernel)), R::SM_USER_SUPERVISOR.0);
    let supervisor = Request {
        access: Access::READ | Access::PRIV,
        ..Request::read(DEV, 0x7000_1000).with_pasid(9)
    };
    assert_eq!(s.go(supervisor).unwrap().addr, 0x31_0000);
    let non_canonical = Request::read(DEV, 0x8000_0000_0000).with_pasid(9);
    assert_eq!(reason(s.go(non_canonical)), R::SM_NON_CANONICAL.0);
    assert_eq!(
        reason(s.go(Request::read(DEV, 0x1000).with_pasid(9))),
        R::SM_FL_NOT_PRESENT.0
    );
}

#[test]
fn nested_translates_table_pointers_and_output_through_the_second_level() {
    let mut s = setup();
    // Guest tables live at guest-physical addresses; the second level maps guest
    // physical 0..16 MiB to host 0x400_0000.. (identity offset).
    let host_base = 0x400_0000u64;
    let sl = s.table(4, Format::Second);
    for page in 0..(16u64 << 20 >> 12) {
        sl.map(
            &mut s.mem,
            &mut s.alloc,
            page << 12,
            host_base + (page << 12),
            1,
            MapFlags::RW,
        )
        .unwrap();
    }
    // Build the first-level table in host memory at host_base + gpa, pointing at gpas.
    let mut guest_alloc = PageAlloc::new(0x10_0000, 0x20_0000);
    let mut shifted = Shifted {
        mem: &mut s.mem,
        offset: host_base,
    };
    let fl = PageTable::new(&mut shifted, &mut guest_alloc, 4, Format::First).unwrap();
    fl.map(
        &mut shifted,
        &mut guest_alloc,
        0x5000,
        0x30_0000,
        1,
        MapFlags::RW,
    )
    .unwrap();
    s.pasid(3, sl.root | 3 << 6 | 2 << 2 | 1, u64::from(DID), fl.root);
    let t = s.go(Request::write(DEV, 0x5040).with_pasid(3)).unwrap();
    assert_eq!(t.addr, host_base + 0x30_0040);
    assert!(s.unit.take_stale().is_empty());
}

/// Guest memory seen at an offset (the guest's view of its physical memory).
struct Shifted<'a> {
    mem: &'a mut SparseMemory,
    offset: u64,
}

impl GuestMemory for Shifted<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), vtd_model::memory::MemError> {
        self.mem.read(addr + self.offset, buf)
    }
    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), vtd_model::memory::MemError> {
        self.mem.write(addr + self.offset, data)
    }
}

#[test]
fn pass_through_and_pasid_structure_faults() {
    let mut s = setup();
    s.pasid(0, 4 << 6 | 1, u64::from(DID), 0);
    let t = s.go(Request::write(DEV, 0xabcd_e000)).unwrap();
    assert_eq!((t.addr, t.via), (0xabcd_e000, Via::PassThrough));
    // PASID 2's entry is not present.
    assert_eq!(
        reason(s.go(Request::read(DEV, 0).with_pasid(2))),
        R::SM_PASID_NOT_PRESENT.0
    );
    // PASID 64 needs directory entry 1, which is not present.
    assert_eq!(
        reason(s.go(Request::read(DEV, 0).with_pasid(64))),
        R::SM_PASID_DIR_NOT_PRESENT.0
    );
    // PASID beyond PDTS=0's 128 × 64 PASIDs.
    assert_eq!(
        reason(s.go(Request::read(DEV, 0).with_pasid(1 << 14))),
        R::SM_PASID_TOO_LARGE.0
    );
    // PGTT = 101 is reserved.
    s.pasid(4, 5 << 6 | 1, u64::from(DID), 0);
    assert_eq!(
        reason(s.go(Request::read(DEV, 0).with_pasid(4))),
        R::SM_PASID_INVALID.0
    );
    // A supervisor request without SRE.
    s.pasid(5, 4 << 6 | 1, u64::from(DID), 0);
    let sup = Request {
        access: Access::READ | Access::PRIV,
        ..Request::read(DEV, 0).with_pasid(5)
    };
    assert_eq!(reason(s.go(sup)), R::SM_SRE_CLEAR.0);
    // No context for devfn 1: scalable codes.
    assert_eq!(
        reason(s.go(Request::read(DEV | 1, 0))),
        R::SM_CONTEXT_NOT_PRESENT.0
    );
    assert_eq!(
        reason(s.go(Request::read(0x0400, 0))),
        R::SM_ROOT_NOT_PRESENT.0
    );
}

#[test]
fn scalable_second_level_faults_use_scalable_codes() {
    let mut s = setup();
    let pt = s.table(4, Format::Second);
    pt.map(&mut s.mem, &mut s.alloc, 0x1000, 0x20_0000, 1, MapFlags::RO)
        .unwrap();
    s.pasid(0, pt.root | 2 << 6 | 2 << 2 | 1, u64::from(DID), 0);
    assert_eq!(
        reason(s.go(Request::write(DEV, 0x1000))),
        R::SM_SL_PERMISSION.0
    );
    assert_eq!(
        reason(s.go(Request::read(DEV, 1 << 50))),
        R::SM_ADDRESS_BEYOND.0
    );
}

#[test]
fn page_snoop_and_five_level_first_level_tables() {
    let mut s = setup();
    let pt = s.table(5, Format::First);
    let va = 0x00ff_8000_0000_0000u64 | 0x1000; // needs the 5th level
    pt.map(&mut s.mem, &mut s.alloc, va, 0x30_0000, 1, MapFlags::RW)
        .unwrap();
    // PGTT = 001, FLPM = 1 (5-level), PGSNP (qword 1 bit 24).
    s.pasid(11, 1 << 6 | 1, u64::from(DID) | 1 << 24, pt.root | 1 << 2);
    let req = Request {
        no_snoop: true,
        ..Request::read(DEV, va).with_pasid(11)
    };
    let t = s.go(req).unwrap();
    assert_eq!(t.addr, 0x30_0000);
    assert!(t.snoop, "PGSNP snoops every access of the PASID");
}

#[test]
fn execute_requests_need_ere_and_the_x_bit_with_slee() {
    let mut s = setup();
    let pt = s.table(4, Format::Second);
    pt.map(&mut s.mem, &mut s.alloc, 0x1000, 0x20_0000, 1, MapFlags::RW)
        .unwrap();
    let exec = |pasid| Request {
        access: Access::READ | Access::EXEC,
        ..Request::read(DEV, 0x1000).with_pasid(pasid)
    };
    // SL with SLEE (bit 5) and ERE (qword 2 bit 1): the leaf lacks X.
    s.pasid(
        12,
        pt.root | 2 << 6 | 1 << 5 | 2 << 2 | 1,
        u64::from(DID),
        2,
    );
    assert_eq!(reason(s.go(exec(12))), R::SM_SL_PERMISSION.0);
    // Without ERE the request is refused before the walk.
    s.pasid(
        13,
        pt.root | 2 << 6 | 1 << 5 | 2 << 2 | 1,
        u64::from(DID),
        0,
    );
    assert_eq!(reason(s.go(exec(13))), R::SM_ERE_CLEAR.0);
}

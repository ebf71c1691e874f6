//! Register behaviour, including the checks of QEMU's qtest `intel-iommu-test.c` and
//! the bring-up of kvm-unit-tests `lib/x86/intel-iommu.c` (docs/sources/vtd-tests-presets.md).

mod common;

use common::*;
use vtd_model::regs::presets::{self, ALL};
use vtd_model::regs::{gcmd, offset as o, MmioError};
use vtd_model::{GuestMemory, SparseMemory, Unit, UnitConfig};

fn unit(p: vtd_model::regs::presets::Preset) -> (Unit, SparseMemory) {
    (
        Unit::new(UnitConfig::new(p)).unwrap(),
        SparseMemory::new(1 << 30),
    )
}

#[test]
fn qemu_qtest_capability_checks_hold_for_the_aw48_preset() {
    // intel-iommu-test.c: CAP ⊇ 0x0012008C22000006, SAGAW == 0x6, MGAW == 47,
    // ECAP ⊇ 0x880000F00F0A is for its scalable config; the non-scalable part
    // (QI, IR, PT, IRO 0xf) must hold here.
    let (mut u, _) = unit(presets::QEMU_Q35_AW48);
    let cap = u.mmio_read(o::CAP, 8).unwrap();
    assert_eq!(cap & 0x0012_008c_2200_0006, 0x0012_008c_2200_0006);
    assert_eq!((cap >> 8) & 0x1f, 0x6);
    assert_eq!((cap >> 16) & 0x3f, 47);
    let ecap = u.mmio_read(o::ECAP, 8).unwrap();
    assert_eq!(ecap & 0xf00f0a, 0xf00f0a);
}

#[test]
fn reset_values_of_every_register() {
    for p in ALL {
        let (mut u, _) = unit(*p);
        assert_eq!(
            u.mmio_read(o::VER, 4).unwrap(),
            u64::from(p.ver),
            "{}",
            p.name
        );
        assert_eq!(u.mmio_read(o::CAP, 8).unwrap(), p.cap);
        assert_eq!(u.mmio_read(o::ECAP, 8).unwrap(), p.ecap);
        for (reg, size, reset) in [
            (o::GCMD, 4, 0),
            (o::GSTS, 4, 0),
            (o::RTADDR, 8, 0),
            (o::CCMD, 8, 0),
            (o::FSTS, 4, 0),
            (o::FECTL, 4, 0x8000_0000),
            (o::FEDATA, 4, 0),
            (o::FEADDR, 4, 0),
            (o::PMEN, 4, 0),
            (o::IQH, 8, 0),
            (o::IQT, 8, 0),
            (o::IQA, 8, 0),
            (o::ICS, 4, 0),
            (o::IECTL, 4, 0x8000_0000),
            (o::IRTA, 8, 0),
        ] {
            assert_eq!(
                u.mmio_read(reg, size).unwrap(),
                reset,
                "{} reg {reg:#x}",
                p.name
            );
        }
        let fro = u.cap().fault_recording_offset();
        for i in 0..u.cap().fault_records() {
            assert_eq!(u.mmio_read(fro + 16 * i + 8, 8).unwrap(), 0);
        }
    }
}

#[test]
fn gsts_follows_each_command_and_gcmd_reads_zero() {
    let (mut u, mut mem) = unit(presets::QEMU_Q35);
    let root = 0x10_0000;
    u.mmio_write(&mut mem, o::RTADDR, 8, root).unwrap();
    for (bit, status) in [
        (gcmd::SRTP, gcmd::SRTP),
        (gcmd::TE, gcmd::TE | gcmd::SRTP),
        (gcmd::QIE, gcmd::TE | gcmd::SRTP | gcmd::QIE),
        (gcmd::SIRTP, gcmd::TE | gcmd::SRTP | gcmd::QIE | gcmd::SIRTP),
        (
            gcmd::IRE,
            gcmd::TE | gcmd::SRTP | gcmd::QIE | gcmd::SIRTP | gcmd::IRE,
        ),
    ] {
        vtd_model::program::command(&mut u, &mut mem, bit, true);
        assert_eq!(u.gsts(), status, "after {bit:#x}");
        assert_eq!(u.mmio_read(o::GCMD, 4).unwrap(), 0);
    }
    // kvm-unit-tests' final expectation: GSTS = 0xC7000000 (TES, RTPS, QIES, IRES, IRTPS).
    assert_eq!(u.gsts(), 0xc700_0000);
    // Writing a one-shot bit without keeping the persistent ones turns them off:
    // every bit of GCMD acts.
    u.mmio_write(&mut mem, o::GCMD, 4, u64::from(gcmd::SRTP))
        .unwrap();
    assert_eq!(u.gsts() & (gcmd::TE | gcmd::IRE), 0);
    assert!(!u.translation_enabled());
}

#[test]
fn kvm_unit_tests_bring_up_writes_gsts_or_bit_without_masking() {
    // lib/x86/intel-iommu.c writes `GSTS | bit` for each command (no 0x96FFFFFF mask),
    // re-sending the one-shot bits; the status must still end at 0xC7000000.
    let (mut u, mut mem) = unit(presets::QEMU_Q35);
    let cmd = |u: &mut Unit, mem: &mut SparseMemory, bit: u32| {
        let v = u.gsts() | bit;
        u.mmio_write(mem, o::GCMD, 4, u64::from(v)).unwrap();
    };
    cmd(&mut u, &mut mem, gcmd::QIE);
    u.mmio_write(&mut mem, o::RTADDR, 8, 0x20_0000).unwrap();
    cmd(&mut u, &mut mem, gcmd::SRTP);
    u.mmio_write(&mut mem, o::IRTA, 8, 0x30_0000 | 0xf).unwrap();
    cmd(&mut u, &mut mem, gcmd::SIRTP);
    cmd(&mut u, &mut mem, gcmd::TE);
    cmd(&mut u, &mut mem, gcmd::IRE);
    assert_eq!(u.gsts(), 0xc700_0000);
    assert_eq!(u.mmio_read(o::FSTS, 4).unwrap(), 0);
}

#[test]
fn commands_for_missing_capabilities_are_ignored() {
    // Haswell graphics units have no pass-through, IR is present; a unit without IR
    // ignores IRE. Build one from QEMU's CAP with ECAP.IR clear.
    let p = vtd_model::regs::presets::Preset {
        ecap: presets::QEMU_Q35.ecap & !(1 << 3),
        ..presets::QEMU_Q35
    };
    let (mut u, mut mem) = unit(p);
    vtd_model::program::command(&mut u, &mut mem, gcmd::IRE, true);
    assert_eq!(u.gsts() & gcmd::IRE, 0);
    // And IRTA is read-only on it.
    u.mmio_write(&mut mem, o::IRTA, 8, 0x1000).unwrap();
    assert_eq!(u.mmio_read(o::IRTA, 8).unwrap(), 0);
}

#[test]
fn bad_accesses_are_errors_not_panics() {
    let (mut u, mut mem) = unit(presets::QEMU_Q35);
    assert!(matches!(
        u.mmio_read(o::GSTS, 8),
        Err(MmioError::Misaligned { .. })
    ));
    assert!(matches!(
        u.mmio_write(&mut mem, 0x1000, 4, 0),
        Err(MmioError::OutOfRange { .. })
    ));
    assert!(matches!(
        u.mmio_write(&mut mem, o::VER, 1, 0),
        Err(MmioError::Size { .. })
    ));
}

#[test]
fn pmr_blocks_dma_with_translation_off_and_is_not_a_fault() {
    // Haswell units have PLMR and PHMR; default alignment 2 MiB.
    let mut r = Rig::legacy(presets::HASWELL);
    vtd_model::program::command(&mut r.unit, &mut r.mem, gcmd::TE, false);
    r.set_reg(o::PLMBASE, 4, 0x0020_0000);
    r.set_reg(o::PLMLIMIT, 4, 0x003f_ffff);
    assert_eq!(
        r.reg(o::PLMLIMIT, 4),
        0x0020_0000,
        "bits below the alignment are RO 0"
    );
    // The high region is disabled by a limit below its base (zeros would protect the
    // first 2 MiB granule: base == limit is a one-granule region).
    r.set_reg(o::PHMBASE, 8, 0x1_0000_0000);
    assert!(r.read(0x20_0000).is_ok(), "EPM clear: nothing is protected");
    r.set_reg(o::PMEN, 4, 0x8000_0000);
    assert_eq!(r.reg(o::PMEN, 4), 0x8000_0001, "PRS follows EPM");
    for (addr, blocked) in [
        (0x1f_ffff, false),
        (0x20_0000, true),
        (0x3f_ffff, true),
        (0x40_0000, false),
    ] {
        let t = r.read(addr);
        assert_eq!(
            matches!(
                t,
                Err(vtd_model::Blocked::Discarded {
                    why: vtd_model::Discard::ProtectedMemory,
                    ..
                })
            ),
            blocked,
            "{addr:#x}"
        );
    }
    assert_eq!(r.reg(o::FSTS, 4), 0, "not a remapping fault");
    // With translation on, the unit translates instead (implementation choice).
    vtd_model::program::command(&mut r.unit, &mut r.mem, gcmd::TE, true);
    r.map(0x20_0000, 0x60_0000, vtd_model::program::MapFlags::RW);
    assert_eq!(r.read(0x20_0000).unwrap().addr, 0x60_0000);
}

#[test]
fn snoop_control_forces_snoop_and_snp_is_reserved_without_it() {
    // Xeon SKX has ECAP.SC: a leaf with SNP snoops even a no-snoop request.
    let mut r = Rig::legacy(presets::XEON_SKX);
    let snp = vtd_model::program::MapFlags {
        snoop: true,
        ..vtd_model::program::MapFlags::RW
    };
    r.map(0x1000, 0x20_0000, snp);
    r.map(0x2000, 0x21_0000, vtd_model::program::MapFlags::RW);
    let ns = |a| vtd_model::Request {
        no_snoop: true,
        ..vtd_model::Request::read(DEV, a)
    };
    assert!(r.unit.translate(&r.mem, &ns(0x1000)).unwrap().snoop);
    assert!(!r.unit.translate(&r.mem, &ns(0x2000)).unwrap().snoop);
    // QEMU's unit has no snoop control: SNP in a leaf is a reserved bit.
    let mut q = Rig::qemu();
    q.map(0x1000, 0x20_0000, snp);
    assert_eq!(
        reason(q.read(0x1000)),
        vtd_model::fault::FaultReason::PAGING_RESERVED.0
    );
    let _ = q.mem.read_u64(0);
}

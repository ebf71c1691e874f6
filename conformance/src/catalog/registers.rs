//! Every register's reset value and access rules (§10.4, §11.4 register
//! descriptions): read-only registers ignore writes, GCMD reads 0, writable fields
//! keep exactly their bits, 32-bit halves of 64-bit registers, W1C status bits.

use crate::builder::{scenario, Builder};
use crate::layout::Reg;
use crate::scenario::{Area, Scenario};

fn reg(name: &str, intent: &str) -> Builder {
    scenario(Area::Registers, name, intent)
}

/// (register, value after writing all ones, the bits the spec fixes) for the
/// registers whose writable bits do not depend on the capabilities. The data
/// registers' bits 31:16 (EIMD) exist only on units with 32-bit message data, so only
/// IMD (15:0) is compared.
const WRITABLE: &[(Reg, &str, u64, u64, &str)] = &[
    (
        Reg::Fedata,
        "fedata",
        0xffff,
        0xffff,
        "§11.4.10.2 FEDATA_REG: IMD 15:0",
    ),
    (
        Reg::Feaddr,
        "feaddr",
        0xffff_fffc,
        u64::MAX,
        "§11.4.10.3 FEADDR_REG: bits 1:0 reserved",
    ),
    (
        Reg::Iedata,
        "iedata",
        0xffff,
        0xffff,
        "§11.4.9.5 IEDATA_REG: IMD 15:0",
    ),
    (
        Reg::Ieaddr,
        "ieaddr",
        0xffff_fffc,
        u64::MAX,
        "§11.4.9.6 IEADDR_REG: bits 1:0 reserved",
    ),
];

/// ECAP.EIM (bit 4).
const EIM: u64 = 1 << 4;

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    // Reset values, one scenario per register group.
    let mut v = vec![
        reg(
            "reset-identification",
            "VER, CAP and ECAP hold QEMU 7.2's values for intremap=on, aw-bits=39",
        )
        .spec("§11.4.1-§11.4.3")
        .read(Reg::Ver, 0x10)
        .read(Reg::Cap, 0x00d2_008c_2226_0206)
        .read(Reg::Ecap, 0xf0_0f4a)
        .build(),
        reg(
            "reset-control",
            "GCMD, GSTS, RTADDR, CCMD read 0 after reset",
        )
        .spec("§11.4.4-§11.4.6 reset values")
        .read(Reg::Gcmd, 0)
        .read(Reg::Gsts, 0)
        .read(Reg::Rtaddr, 0)
        .read(Reg::Ccmd, 0)
        .build(),
        reg(
            "reset-fault",
            "FSTS 0, FECTL with IM set, FEDATA/FEADDR/FEUADDR 0, FRCD 0 after reset",
        )
        .spec("§11.4.9-§11.4.10, §11.4.14")
        .read(Reg::Fsts, 0)
        .read(Reg::Fectl, 0x8000_0000)
        .read(Reg::Fedata, 0)
        .read(Reg::Feaddr, 0)
        .read(Reg::Feuaddr, 0)
        .read(Reg::FrcdLo(0), 0)
        .read(Reg::FrcdHi(0), 0)
        .build(),
        reg(
            "reset-queue",
            "IQH, IQT, IQA, ICS 0, IECTL with IM set, IEDATA/IEADDR/IEUADDR 0, IQERCD 0",
        )
        .spec("§11.4.9 invalidation queue registers")
        .read(Reg::Iqh, 0)
        .read(Reg::Iqt, 0)
        .read(Reg::Iqa, 0)
        .read(Reg::Ics, 0)
        .read(Reg::Iectl, 0x8000_0000)
        .read(Reg::Iedata, 0)
        .read(Reg::Ieaddr, 0)
        .read(Reg::Ieuaddr, 0)
        .read(Reg::Iqercd, 0)
        .build(),
        reg(
            "reset-other",
            "IRTA, IVA, IOTLB, AFLOG and the PMR registers read 0 (no PLMR/PHMR)",
        )
        .spec("§11.4.8, §11.4.11-§11.4.13, §11.4.16")
        .read(Reg::Irta, 0)
        .read(Reg::Iva, 0)
        .read(Reg::Iotlb, 0)
        .read(Reg::Aflog, 0)
        .read(Reg::Pmen, 0)
        .read(Reg::Plmbase, 0)
        .read(Reg::Plmlimit, 0)
        .read(Reg::Phmbase, 0)
        .read(Reg::Phmlimit, 0)
        .build(),
    ];
    for (r, name) in [
        (Reg::Ver, "ver"),
        (Reg::Cap, "cap"),
        (Reg::Ecap, "ecap"),
        (Reg::Gsts, "gsts"),
    ] {
        let reset = match r {
            Reg::Ver => 0x10,
            Reg::Cap => 0x00d2_008c_2226_0206,
            Reg::Ecap => 0xf0_0f4a,
            _ => 0,
        };
        v.push(
            reg(
                &format!("{name}-read-only"),
                &format!("{} ignores a write of all ones", r.name()),
            )
            .spec("§11.4 register attributes: RO")
            .write(r, u64::MAX)
            .read(r, reset)
            .build(),
        );
    }
    for (r, name, after, mask, spec) in WRITABLE {
        v.push(
            reg(
                &format!("{name}-writable-bits"),
                &format!("{} keeps exactly its writable bits", r.name()),
            )
            .spec(spec)
            .write(*r, u64::MAX)
            .read_masked(*r, *after, *mask)
            .write(*r, 0)
            .read(*r, 0)
            .build(),
        );
    }
    v.push(
        reg(
            "gcmd-reads-zero",
            "GCMD is write-only: after a command it still reads 0",
        )
        .spec("§11.4.4 GCMD_REG")
        .write(Reg::Gcmd, 0x0100_0000)
        .read(Reg::Gcmd, 0)
        .build(),
    );
    v.push(
        reg(
            "rtaddr-writable",
            "RTADDR keeps the root table address and TTM; bits 9:0 are reserved",
        )
        .spec("§11.4.5 RTADDR_REG")
        .write(Reg::Rtaddr, u64::MAX)
        .read(Reg::Rtaddr, 0xffff_ffff_ffff_fc00)
        .build(),
    );
    v.push(
        reg(
            "rtaddr-halves",
            "RTADDR written as two dwords reads back as one quadword",
        )
        .spec("§10.2 register access: 64-bit registers accessed as two 32-bit halves")
        .write_sized(Reg::Rtaddr, 4, 0x1234_5000)
        .write_sized(Reg::At(0x24), 4, 0x0000_0001)
        .read(Reg::Rtaddr, 0x1_1234_5000)
        .read_sized(Reg::Rtaddr, 4, crate::scenario::Expect::exact(0x1234_5000))
        .read_sized(Reg::At(0x24), 4, crate::scenario::Expect::exact(1))
        .build(),
    );
    v.push(
        reg("iqa-writable", "IQA keeps the queue base and size; bits 10:3 are reserved (DW, bit 11, exists only with SMTS)")
            .spec("§11.4.9.3 IQA_REG")
            .write(Reg::Iqa, 0x1002_0007)
            .read_or(Reg::Iqa, 0x1002_0007, "qemu-iqa-reads-latched-base", 0x7)
            .write(Reg::Iqa, u64::MAX)
            .read_expect(
                Reg::Iqa,
                crate::scenario::Expect {
                    alternatives: vec![("qemu-iqa-reads-latched-base", 0x7, !(1 << 11))],
                    ..crate::scenario::Expect::masked(0xffff_ffff_ffff_f007, !(1 << 11))
                },
            )
            .build(),
    );
    v.push(
        reg(
            "iqt-writable",
            "IQT keeps the tail (bits 18:4); bits 3:0 are reserved",
        )
        .spec("§11.4.9.2 IQT_REG")
        .write(Reg::Iqt, u64::MAX)
        .read(Reg::Iqt, 0x7fff0)
        .build(),
    );
    v.push(
        reg("iqh-read-only", "IQH is read-only for software")
            .spec("§11.4.9.1 IQH_REG")
            .write(Reg::Iqh, 0x100)
            .read(Reg::Iqh, 0)
            .build(),
    );
    v.push(
        reg("irta-writable", "IRTA keeps the table address and S; bits 10:4 are reserved (EIME, bit 11, is valid only with ECAP.EIM)")
            .spec("§11.4.11.1 IRTA_REG")
            .write(Reg::Irta, u64::MAX)
            .read_masked(Reg::Irta, 0xffff_ffff_ffff_f00f, !(1 << 11))
            .build(),
    );
    v.push(
        reg("irta-eime", "With ECAP.EIM, IRTA.EIME is writable")
            .spec("§11.4.11.1 IRTA_REG EIME")
            .modified(0, 0, EIM, 0)
            .write(Reg::Irta, 0x1004_080f)
            .read(Reg::Irta, 0x1004_080f)
            .build(),
    );
    v.push(
        reg("fectl-im", "FECTL: IM is writable, IP is read-only")
            .spec("§11.4.10.1 FECTL_REG")
            .write(Reg::Fectl, 0)
            .read(Reg::Fectl, 0)
            .write(Reg::Fectl, 0x4000_0000)
            .read(Reg::Fectl, 0)
            .write(Reg::Fectl, 0x8000_0000)
            .read(Reg::Fectl, 0x8000_0000)
            .build(),
    );
    v.push(
        reg("iectl-im", "IECTL: IM is writable, IP is read-only")
            .spec("§11.4.9.4 IECTL_REG")
            .write(Reg::Iectl, 0)
            .read(Reg::Iectl, 0)
            .write(Reg::Iectl, 0xc000_0000)
            .read(Reg::Iectl, 0x8000_0000)
            .build(),
    );
    v.push(
        reg("feuaddr-writable", "With ECAP.EIM, FEUADDR holds the upper message address (x2APIC destinations); without EIM it may be read-only 0")
            .spec("§11.4.10.4 FEUADDR_REG")
            .modified(0, 0, EIM, 0)
            .write(Reg::Feuaddr, 0xffff_ffff)
            .read(Reg::Feuaddr, 0xffff_ffff)
            .build(),
    );
    v.push(
        reg(
            "ieuaddr-writable",
            "With ECAP.EIM, IEUADDR holds the upper message address",
        )
        .spec("§11.4.9.7 IEUADDR_REG")
        .modified(0, 0, EIM, 0)
        .write(Reg::Ieuaddr, 0xffff_ffff)
        .read(Reg::Ieuaddr, 0xffff_ffff)
        .build(),
    );
    v.push(
        reg(
            "fsts-w1c-idle",
            "FSTS: writing ones with nothing pending leaves it 0",
        )
        .spec("§11.4.10 FSTS_REG RW1CS")
        .write(Reg::Fsts, 0xffff_ffff)
        .read(Reg::Fsts, 0)
        .build(),
    );
    v.push(
        reg(
            "ics-w1c-idle",
            "ICS: writing ones with nothing pending leaves it 0",
        )
        .spec("§11.4.9.8 ICS_REG RW1CS")
        .write(Reg::Ics, 0xffff_ffff)
        .read(Reg::Ics, 0)
        .build(),
    );
    v.push(
        reg(
            "ccmd-reads-idle",
            "CCMD: a write without ICC does nothing and reads back its fields",
        )
        .spec("§11.4.6 CCMD_REG")
        .write(Reg::Ccmd, 0x0000_0003_1234_0001)
        .read_masked(Reg::Ccmd, 0, 1 << 63)
        .build(),
    );
    v.push(
        reg("iva-write-only", "IVA is write-only: it reads 0")
            .spec("§11.4.8.2 IVA_REG")
            .write(Reg::Iva, 0x1234_5000)
            .read(Reg::Iva, 0)
            .build(),
    );
    v.push(
        reg(
            "undefined-offsets",
            "Offsets between the defined registers read 0 and ignore writes",
        )
        .spec("§10.4: reserved register space reads 0")
        .write(Reg::At(0x50), 0xffff_ffff)
        .read_sized(Reg::At(0x50), 4, crate::scenario::Expect::exact(0))
        .read_sized(Reg::At(0xc0), 8, crate::scenario::Expect::exact(0))
        .build(),
    );
    v.push(
        reg(
            "pmen-without-pmr",
            "PMEN is reserved (reads 0, ignores EPM) when CAP reports neither PLMR nor PHMR",
        )
        .spec("§11.4.12 PMEN_REG")
        .write(Reg::Pmen, 0x8000_0000)
        .read(Reg::Pmen, 0)
        .build(),
    );
    v.push(
        reg(
            "cap-aw48",
            "aw-bits=48: CAP advertises SAGAW 39+48 and MGAW 47",
        )
        .spec("§11.4.2 CAP_REG SAGAW, MGAW")
        .aw48()
        .read(Reg::Cap, 0x00d2_008c_222f_0606)
        .build(),
    );
    v.push(
        reg("cap-caching-mode", "caching-mode=on: CAP.CM set")
            .spec("§11.4.2 CAP_REG CM")
            .caching_mode()
            .read(Reg::Cap, 0x00d2_008c_2226_0286)
            .build(),
    );
    v.push(
        reg(
            "ecap-options",
            "ECAP for scalable mode, snoop control and device-TLB: SMTS, SLTS, SRS, SC, DT",
        )
        .spec("§11.4.3 ECAP_REG")
        .scalable()
        .snoop_control()
        .device_iotlb()
        .read(Reg::Ecap, 0x0000_4800_80f0_0fce)
        .build(),
    );
    v.push(
        reg(
            "ecap-no-intremap",
            "intremap=off: ECAP has neither IR nor MHMV",
        )
        .spec("§11.4.3 ECAP_REG IR")
        .no_intremap()
        .read(Reg::Ecap, 0xf42)
        .build(),
    );
    v
}

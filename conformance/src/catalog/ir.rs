//! Interrupt remapping (§5.1, §9.9-§9.11): remappable and compatibility formats,
//! IRTE checks and every interrupt-remapping fault reason, source-id verification,
//! the interrupt entry cache and its invalidation, x2APIC mode and posted interrupts.

use crate::builder::{
    ir_fault_record, scenario, Builder, BRIDGE_ALIAS, EDU, EDU_BEHIND_BRIDGE, IRT,
};
use crate::layout::{desc, gcmd, irte, Reg};
use crate::scenario::{Area, Cover, Scenario};

const NOT_RECORDED: &str = "qemu-ir-faults-not-recorded";
const SID: u16 = 0x0008;
/// CAP.PI (posted interrupts).
const PI: u64 = 1 << 59;
/// ECAP.EIM.
const EIM: u64 = 1 << 4;

/// IR on with a 256-entry table.
fn ir(name: &str, intent: &str) -> Builder {
    scenario(Area::Ir, name, intent).ir_on(7)
}

/// The MSI is dropped and recorded with `reason` (QEMU drops it unrecorded).
fn faults(b: Builder, reason: u8, sid: u16, index: u16) -> Builder {
    b.irr(&[])
        .read_or(Reg::Fsts, 2, NOT_RECORDED, 0)
        .expect_fault_or(0, ir_fault_record(reason, sid, index), NOT_RECORDED, (0, 0))
        .covers(Cover::IrFault(reason))
}

fn entry(vector: u8) -> (u64, u64) {
    irte::Remapped::new(vector, 0).encode()
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let mut v = vec![
        ir("remap", "A remappable-format MSI (handle 5) is delivered with the IRTE's vector to APIC 0")
            .spec("§5.1.2.2 remappable interrupt request, §9.10 IRTE")
            .irte(5, entry(0x70))
            .msi(EDU, irte::msi_address(5), 0)
            .irr(&[0x70])
            .no_fault()
            .build(),
        ir("subhandle", "With SHV set, the index is HANDLE + data[15:0]")
            .spec("§5.1.2.2 SHV and SUBHANDLE")
            .irte(4, entry(0x71))
            .irte(6, entry(0x72))
            .msi(EDU, irte::msi_address(4) | 1 << 3, 2)
            .irr(&[0x72])
            .build(),
        ir("handle-bit-15", "Handle bit 15 comes from address bit 2")
            .spec("§5.1.2.2 HANDLE[15]")
            .ir_on(15)
            .irte(0x8003, entry(0x73))
            .msi(EDU, irte::msi_address(0x8003), 0)
            .irr(&[0x73])
            .build(),
        faults(
            ir("index-overflow", "A handle beyond the table (300 in a 256-entry table) faults with 0x21")
                .spec("§5.1.4.1; fault 0x21")
                .msi(EDU, irte::msi_address(300), 0),
            0x21,
            SID,
            300,
        )
        .build(),
        faults(
            ir("not-present", "An IRTE with P clear faults with 0x22")
                .spec("§9.10 IRTE P; fault 0x22")
                .irte(7, (entry(0x74).0 & !1, 0))
                .msi(EDU, irte::msi_address(7), 0),
            0x22,
            SID,
            7,
        )
        .build(),
        faults(
            ir("table-access", "An interrupt remapping table outside memory cannot be read: fault 0x23")
                .spec("§5.1.4.1; fault 0x23")
                .write(Reg::Irta, 0x7f_0000_0000 | 7)
                .command(gcmd::SIRTP, true)
                .msi(EDU, irte::msi_address(1), 0),
            0x23,
            SID,
            1,
        )
        .build(),
        faults(
            ir("irte-reserved", "An IRTE with a reserved bit (bit 12) faults with 0x24")
                .spec("§9.10 IRTE reserved fields; fault 0x24")
                .irte(8, (entry(0x75).0 | 1 << 12, 0))
                .msi(EDU, irte::msi_address(8), 0),
            0x24,
            SID,
            8,
        )
        .build(),
        ir("compat-blocked", "With IRE set and CFIS clear, a compatibility-format MSI is blocked with fault 0x25")
            .spec("§5.1.2.1 compatibility format; §11.4.4 CFI; fault 0x25")
            .msi(EDU, irte::compat_address(0), 0x76)
            .irr_or(&[], "qemu-no-cfi", &[0x76])
            .read_or(Reg::Fsts, 2, "qemu-no-cfi", 0)
            .expect_fault_or(0, ir_fault_record(0x25, SID, 0), "qemu-no-cfi", (0, 0))
            .covers(Cover::IrFault(0x25))
            .build(),
        ir("compat-cfis", "With CFI set (GSTS.CFIS), a compatibility-format MSI passes through unchanged")
            .spec("§11.4.4 GCMD_REG CFI, §5.1.2.1")
            .write(Reg::Gcmd, u64::from(gcmd::SIRTP | gcmd::IRE | gcmd::CFI) & u64::from(gcmd::KEEP | gcmd::CFI))
            .read_or(Reg::Gsts, u64::from(gcmd::SIRTP | gcmd::IRE | gcmd::CFI), "qemu-no-cfi", u64::from(gcmd::SIRTP | gcmd::IRE))
            .msi(EDU, irte::compat_address(0), 0x77)
            .irr(&[0x77])
            .no_fault()
            .build(),
        ir("ir-off-compat", "With IRE clear every interrupt passes through: a compatibility-format MSI arrives as sent")
            .spec("§5.1: interrupt remapping disabled")
            .command(gcmd::IRE, false)
            .msi(EDU, irte::compat_address(0), 0x78)
            .irr(&[0x78])
            .build(),
        faults(
            ir("request-reserved", "A remappable request with data[31:16] set (an edu DMA write of 0x00010000 into the interrupt window, SHV set) has reserved fields: fault 0x20")
                .spec("§5.1.2.2: data[31:16] reserved; fault 0x20")
                .irte(9, entry(0x79))
                .load_buffer(EDU, &0x0001_0000u32.to_le_bytes())
                .dma_write(EDU, irte::msi_address(9) | 1 << 3, 4, 0),
            0x20,
            SID,
            0,
        )
        .build(),
        faults(
            ir("sid-mismatch", "SVT=01b with another requester's SID blocks the MSI: fault 0x26")
                .spec("§9.10 IRTE SVT/SQ/SID; fault 0x26")
                .irte(10, irte::Remapped::new(0x7a, 0).verify(1, 0, 0x0010).encode())
                .msi(EDU, irte::msi_address(10), 0),
            0x26,
            SID,
            10,
        )
        .build(),
        ir("sid-match", "SVT=01b with the requester's SID delivers")
            .spec("§9.10 IRTE SVT=01b")
            .irte(11, irte::Remapped::new(0x7b, 0).verify(1, 0, SID).encode())
            .msi(EDU, irte::msi_address(11), 0)
            .irr(&[0x7b])
            .build(),
        ir("sid-qualifier", "SQ=11b ignores function bits 2:0: SID 0x000f matches requester 0x0008")
            .spec("§9.10 IRTE SQ")
            .irte(12, irte::Remapped::new(0x7c, 0).verify(1, 3, 0x000f).encode())
            .msi(EDU, irte::msi_address(12), 0)
            .irr(&[0x7c])
            .build(),
        ir("svt-bus-range", "SVT=10b: the requester's bus must lie in [SID[15:8], SID[7:0]]; bus 0 is in [0, 1]")
            .spec("§9.10 IRTE SVT=10b")
            .irte(13, irte::Remapped::new(0x7d, 0).verify(2, 0, 0x0001).encode())
            .msi(EDU, irte::msi_address(13), 0)
            .irr_or(&[0x7d], "qemu-svt-bus-range-reversed", &[])
            .build(),
        faults(
            ir("svt-bus-range-outside", "SVT=10b with a range that excludes the requester's bus (bus 1 against [2, 3]) blocks: fault 0x26")
                .spec("§9.10 IRTE SVT=10b; fault 0x26")
                .bridge_machine()
                .irte(14, irte::Remapped::new(0x7e, 0).verify(2, 0, 0x0203).encode())
                .msi(EDU_BEHIND_BRIDGE, irte::msi_address(14), 0),
            0x26,
            BRIDGE_ALIAS.requester_id(),
            14,
        )
        .build(),
        ir("fpd-suppresses", "An IRTE with FPD set suppresses the record of a qualified fault (0x26); the MSI is still dropped")
            .spec("§9.10 IRTE FPD")
            .irte(15, irte::Remapped { fpd: true, ..irte::Remapped::new(0x7f, 0).verify(1, 0, 0x0010) }.encode())
            .msi(EDU, irte::msi_address(15), 0)
            .irr(&[])
            .no_fault()
            .build(),
        ir("logical-no-match", "A logical-mode destination that names no CPU (flat model, LDR 0) is accepted by the unit but no APIC takes it")
            .spec("§9.10 IRTE DM")
            .irte(16, irte::Remapped { logical: true, ..irte::Remapped::new(0x80, 0) }.encode())
            .msi(EDU, irte::msi_address(16), 0)
            .irr(&[])
            .no_fault()
            .build(),
        ir("dma-write-is-interrupt", "A device's DMA write into the interrupt window 0xFEEx_xxxx is an interrupt request and is remapped")
            .spec("§3.14 handling of requests to the interrupt address range; §5.1")
            .irte(17, entry(0x81))
            .load_buffer(EDU, &0u32.to_le_bytes())
            .dma_write(EDU, irte::msi_address(17), 4, 0)
            .irr(&[0x81])
            .build(),
    ];
    // The interrupt entry cache.
    let cached = |name: &str, intent: &str| {
        ir(name, intent)
            .qi_on()
            .irte(20, entry(0x90))
            .msi(EDU, irte::msi_address(20), 0)
            .irte(20, entry(0x91))
    };
    v.push(
        cached(
            "iec-stale",
            "After an IRTE changes without invalidation, the cached entry is still used",
        )
        .spec("§6.2.2 interrupt entry cache")
        .msi(EDU, irte::msi_address(20), 0)
        .irr_or(&[0x90], "qemu-no-interrupt-entry-cache", &[0x90, 0x91])
        .build(),
    );
    v.push(
        cached(
            "iec-global",
            "A global interrupt-entry-cache invalidation makes the changed IRTE visible",
        )
        .spec("§6.5.2.7 IEC invalidate descriptor, global")
        .qi_sync(desc::iec_global(), 0, 0x44)
        .msi(EDU, irte::msi_address(20), 0)
        .irr(&[0x90, 0x91])
        .covers(Cover::Descriptor(4, "global"))
        .build(),
    );
    v.push(
        cached("iec-index", "An index-selective interrupt-entry-cache invalidation of that index makes the changed IRTE visible")
            .spec("§6.5.2.7 IEC invalidate descriptor, index-selective")
            .qi_sync(desc::iec_index(20, 0), 0, 0x45)
            .msi(EDU, irte::msi_address(20), 0)
            .irr(&[0x90, 0x91])
            .covers(Cover::Descriptor(4, "index"))
            .build(),
    );
    v.push(
        cached(
            "iec-index-mask",
            "An index-selective invalidation with IM=2 covers the 4 aligned entries 20..23",
        )
        .spec("§6.5.2.7 IM")
        .qi_sync(desc::iec_index(21, 2), 0, 0x46)
        .msi(EDU, irte::msi_address(20), 0)
        .irr(&[0x90, 0x91])
        .build(),
    );
    v.push(
        cached(
            "iec-index-other",
            "An index-selective invalidation of another index leaves the stale entry",
        )
        .spec("§6.5.2.7")
        .qi_sync(desc::iec_index(40, 0), 0, 0x47)
        .msi(EDU, irte::msi_address(20), 0)
        .irr_or(&[0x90], "qemu-no-interrupt-entry-cache", &[0x90, 0x91])
        .build(),
    );
    v.push(
        ir("sirtp-keeps-iec", "Without ECAP.ESIRTPS, SIRTP does not invalidate the interrupt entry cache: a changed IRTE stays invisible until an IEC invalidation")
            .spec("§11.4.4 GCMD_REG SIRTP; §11.4.3 ECAP.ESIRTPS (implicit IEC invalidation only when set)")
            .irte(21, entry(0x92))
            .msi(EDU, irte::msi_address(21), 0)
            .irte(21, entry(0x93))
            .command(gcmd::SIRTP, true)
            .msi(EDU, irte::msi_address(21), 0)
            .irr_or(&[0x92], "qemu-no-interrupt-entry-cache", &[0x92, 0x93])
            .build(),
    );
    // x2APIC mode and posted interrupts: capabilities QEMU under TCG does not offer.
    v.push(
        scenario(Area::Ir, "eime-blocks-compat", "In x2APIC mode (IRTA.EIME) compatibility-format interrupts are blocked even with CFI set: fault 0x25")
            .spec("§11.4.4 CFI: effective only with EIME clear")
            .modified(0, 0, EIM, 0)
            .write(Reg::Irta, IRT | 1 << 11 | 7)
            .command(gcmd::SIRTP, true)
            .command(gcmd::IRE, true)
            .command(gcmd::CFI, true)
            .msi(EDU, irte::compat_address(0), 0x94)
            .irr(&[])
            .expect_fault(0, ir_fault_record(0x25, SID, 0))
            .build(),
    );
    v.push(
        scenario(
            Area::Ir,
            "eime-x2apic-destination",
            "In x2APIC mode the IRTE destination is the full 32-bit APIC ID (0 here)",
        )
        .spec("§9.10 IRTE DST with EIME")
        .modified(0, 0, EIM, 0)
        .write(Reg::Irta, IRT | 1 << 11 | 7)
        .command(gcmd::SIRTP, true)
        .command(gcmd::IRE, true)
        .irte(
            3,
            irte::Remapped {
                dest: 0,
                ..irte::Remapped::new(0x95, 0)
            }
            .encode(),
        )
        .msi(EDU, irte::msi_address(3), 0)
        .irr(&[0x95])
        .build(),
    );
    {
        // A posted IRTE (IM=1): PDA in 127:70 / 63:38 as the spec lays them out.
        let pid = crate::builder::data(0x40);
        let posted = |vector: u8| -> (u64, u64) {
            let lo = 1 | 1 << 15 | u64::from(vector) << 16 | ((pid >> 6) & 0x3ff_ffff) << 38;
            let hi = (pid >> 32) << 32;
            (lo, hi)
        };
        v.push(
            scenario(Area::Ir, "posted", "A posted IRTE sets the vector in the descriptor's PIR and ON, and sends the notification vector to NDST")
                .spec("§5.2 interrupt posting; §9.11 posted-interrupt descriptor")
                .modified(PI, 0, 0, 0)
                .ir_on(7)
                // NV 0xe0, NDST APIC 0 (xAPIC: bits 15:8 of NDST).
                .mem64(pid + 32, 0xe0 << 16)
                .irte(2, posted(0x33))
                .msi(EDU, irte::msi_address(2), 0)
                .expect_mem(pid, &[0, 0, 0, 0, 0, 0, 0x08, 0])
                .expect_mem(pid + 32, &[1, 0, 0xe0, 0, 0, 0, 0, 0])
                .irr(&[0xe0])
                .build(),
        );
        let bad_pid = 0x7f_0000_0000u64;
        let lo = 1 | 1 << 15 | 0x34 << 16 | ((bad_pid >> 6) & 0x3ff_ffff) << 38;
        v.push(
            scenario(
                Area::Ir,
                "posted-descriptor-access",
                "A posted IRTE whose descriptor is outside memory faults with 0x27",
            )
            .spec("§5.2.3; fault 0x27")
            .modified(PI, 0, 0, 0)
            .ir_on(7)
            .irte(2, (lo, (bad_pid >> 32) << 32))
            .msi(EDU, irte::msi_address(2), 0)
            .expect_fault(0, ir_fault_record(0x27, SID, 2))
            .covers(Cover::IrFault(0x27))
            .build(),
        );
        v.push(
            scenario(Area::Ir, "posted-descriptor-reserved", "A posted-interrupt descriptor with a reserved bit set (bit 264, in the reserved bits 271:258 after ON and SN) faults with 0x28")
                .spec("§9.11 posted-interrupt descriptor reserved fields; fault 0x28")
                .modified(PI, 0, 0, 0)
                .ir_on(7)
                .mem64(pid + 32, 0xe0 << 16 | 1 << 8)
                .irte(2, posted(0x35))
                .msi(EDU, irte::msi_address(2), 0)
                .expect_fault(0, ir_fault_record(0x28, SID, 2))
                .covers(Cover::IrFault(0x28))
                .build(),
        );
    }
    v
}

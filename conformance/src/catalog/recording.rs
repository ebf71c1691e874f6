//! Primary fault logging (§7.2.1, §11.4.9-§11.4.10, §11.4.14): what a fault leaves in
//! FSTS and the fault recording registers, how software clears it, overflow, fault
//! processing disable, and the fault event interrupt with its mask.

use crate::builder::{
    data, fault_record, scenario, Builder, BRIDGE_ALIAS, EDU, EDU_BEHIND_BRIDGE, ROOT, TABLES,
};
use crate::layout::{ectl, entry, fsts, pte, Reg};
use crate::scenario::{Area, Scenario};

const SID: u16 = 0x0008;

/// Translation on with an empty root table: every DMA of any device faults 0x01.
fn empty(name: &str, intent: &str) -> Builder {
    scenario(Area::Recording, name, intent)
        .root_table(false)
        .translation(true)
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    let mut v = vec![
        empty("ppf-and-clear", "A fault sets F in FRCD0 and FSTS.PPF with FRI 0; writing F back clears the record's F and PPF")
            .spec("§11.4.9 FSTS_REG PPF/FRI, §11.4.14 FRCD_REG F (RW1C)")
            .dma_read(EDU, 0x1000, 4, 0)
            .read(Reg::Fsts, fsts::PPF)
            .expect_fault(0, fault_record(0x01, SID, 0x1000, true))
            .clear_fault(0)
            .read_masked(Reg::FrcdHi(0), 0, 1 << 63)
            .read(Reg::Fsts, 0)
            .build(),
        empty("fault-event", "With FECTL.IM clear, a fault sends the fault event: FEDATA's vector to FEADDR (APIC 0); IP is clear afterwards")
            .spec("§7.3 fault event, §11.4.10.1 FECTL_REG")
            .fault_event(0x40)
            .dma_read(EDU, 0x1000, 4, 0)
            .irr(&[0x40])
            .read(Reg::Fectl, 0)
            .build(),
        empty("fault-event-masked", "With FECTL.IM set a fault leaves IP pending and sends nothing; clearing IM sends the event and clears IP")
            .spec("§7.3 fault event, §11.4.10.1 FECTL_REG IM/IP")
            .write(Reg::Fedata, 0x41)
            .write(Reg::Feaddr, crate::builder::EVENT_ADDR)
            .dma_write(EDU, 0x1000, 4, 0)
            .read(Reg::Fectl, ectl::IM | ectl::IP)
            .irr(&[])
            .write(Reg::Fectl, 0)
            .irr(&[0x41])
            .read(Reg::Fectl, 0)
            .build(),
        empty("fault-event-once-per-condition", "A second fault while PPF is still set raises no second fault event; after the record is cleared a new fault raises one")
            .spec("§7.3: an event is raised when a condition appears while none was pending")
            .fault_event(0x42)
            .dma_read(EDU, 0x1000, 4, 0)
            .write(Reg::Fedata, 0x43)
            .clear_fault(0)
            .read(Reg::Fsts, 0)
            .dma_read(EDU, 0x2000, 4, 0)
            .irr(&[0x42, 0x43])
            .expect_fault(0, fault_record(0x01, SID, 0x2000, true))
            .build(),
    ];
    // Overflow: one record (QEMU's NFR=0), a second fault while it is full.
    v.push(
        empty("overflow-other-source", "With the only record full, a fault from another requester sets FSTS.PFO and is lost; the record keeps the first fault")
            .spec("§7.2.1: overflow of the fault recording registers sets PFO")
            .bridge_machine()
            .dma_read(EDU, 0x1000, 4, 0)
            .dma_read(EDU_BEHIND_BRIDGE, 0x2000, 4, 0)
            .read(Reg::Fsts, fsts::PPF | fsts::PFO)
            .expect_fault(0, fault_record(0x01, SID, 0x1000, true))
            .write(Reg::Fsts, fsts::PFO)
            .read(Reg::Fsts, fsts::PPF)
            .build(),
    );
    v.push(
        empty(
            "overflow-same-source",
            "With the only record full, a second fault from the same requester also sets PFO",
        )
        .spec("§7.2.1: overflow of the fault recording registers sets PFO")
        .dma_read(EDU, 0x1000, 4, 0)
        .dma_read(EDU, 0x2000, 4, 0)
        .read_or(
            Reg::Fsts,
            fsts::PPF | fsts::PFO,
            "qemu-same-source-fault-dropped",
            fsts::PPF,
        )
        .expect_fault(0, fault_record(0x01, SID, 0x1000, true))
        .build(),
    );
    v.push(
        empty("record-after-clear", "Once software clears the record, the next fault is recorded again (in the next register round-robin, here the only one)")
            .spec("§7.2.1")
            .dma_read(EDU, 0x1000, 4, 0)
            .clear_fault(0)
            .dma_write(EDU, 0x3000, 4, 0)
            .read(Reg::Fsts, fsts::PPF)
            .expect_fault(0, fault_record(0x01, SID, 0x3000, false))
            .build(),
    );
    v.push(
        empty("bridge-requester-recorded", "A device behind a PCIe-to-PCI bridge is recorded with the bridge's requester-id (secondary bus, 00.0)")
            .spec("§3.4.1 requester-id of conventional PCI devices; §11.4.14 FRCD SID")
            .bridge_machine()
            .dma_read(EDU_BEHIND_BRIDGE, 0x5000, 4, 0)
            .expect_fault(0, fault_record(0x01, BRIDGE_ALIAS.requester_id(), 0x5000, true))
            .build(),
    );
    {
        let (lo, hi) = entry::context(TABLES, entry::Tt::Multi, 1, 1, true);
        v.push(
            scenario(Area::Recording, "fpd-suppresses", "A context entry with FPD set suppresses recording of qualified faults; the DMA is still blocked")
                .spec("§7.1.2 fault processing disable")
                .data(0, &[1, 2, 3, 4])
                .root_entry(0)
                .context_entry(SID, lo, hi)
                .map_sl(TABLES, 3, 0x1000, data(0), 0x1000, pte::R)
                .root_table(false)
                .translation(true)
                .dma_read(EDU, 0x1000, 4, 0)
                .dma_write(EDU, 0x1000, 4, 0)
                .dma_read(EDU, 0x2000, 4, 0)
                .no_fault()
                .build(),
        );
        let (lo, hi) = entry::context(TABLES, entry::Tt::Multi, 1, 1, true);
        v.push(
            scenario(Area::Recording, "fpd-not-for-non-qualified", "FPD does not suppress a non-qualified fault: a root entry with reserved bits is recorded even if the context entry it would reach has FPD")
                .spec("§7.1.3: LRT faults are non-qualified")
                .mem64(ROOT, entry::root(crate::builder::context_table(0)) | 4)
                .context_entry(SID, lo, hi)
                .root_table(false)
                .translation(true)
                .dma_read(EDU, 0x1000, 4, 0)
                .expect_fault(0, fault_record(0x0a, SID, 0x1000, true))
                .build(),
        );
    }
    // Several records (a Skylake-SP unit: NFR 8, FRO 0x100).
    v.push(
        scenario(Area::Recording, "round-robin-records", "On a unit with 8 fault recording registers, successive faults fill them in order; FRI names the register PPF was set for and keeps it while PPF stays set")
            .spec("§7.2.1 primary fault logging, §11.4.9 FSTS_REG FRI")
            .preset("xeon-skx")
            .aw48()
            .root_table(false)
            .translation(true)
            .dma_read(EDU, 0x1000, 4, 0)
            .dma_write(EDU, 0x2000, 4, 0)
            .dma_read(EDU, 0x3000, 4, 0)
            .read(Reg::Fsts, fsts::PPF)
            .expect_fault(0, fault_record(0x01, SID, 0x1000, true))
            .expect_fault(1, fault_record(0x01, SID, 0x2000, false))
            .expect_fault(2, fault_record(0x01, SID, 0x3000, true))
            .read(Reg::FrcdHi(3), 0)
            // FRI is the record "to which the first pending fault was recorded when
            // PPF was Set": clearing record 0 leaves PPF set, and FRI unchanged.
            .clear_fault(0)
            .read(Reg::Fsts, fsts::PPF)
            .build(),
    );
    v.push(
        scenario(Area::Recording, "records-overflow-wraps", "When every one of 8 records holds a fault, the next one sets PFO; after software clears record 0, the next fault goes to the register after the last used (round robin), not to record 0")
            .spec("§7.2.1")
            .preset("xeon-skx")
            .aw48()
            .root_table(false)
            .translation(true)
            .dma_read(EDU, 0x1000, 4, 0)
            .dma_read(EDU, 0x2000, 4, 0)
            .dma_read(EDU, 0x3000, 4, 0)
            .dma_read(EDU, 0x4000, 4, 0)
            .dma_read(EDU, 0x5000, 4, 0)
            .dma_read(EDU, 0x6000, 4, 0)
            .dma_read(EDU, 0x7000, 4, 0)
            .dma_read(EDU, 0x8000, 4, 0)
            .dma_read(EDU, 0x9000, 4, 0)
            .read(Reg::Fsts, fsts::PPF | fsts::PFO)
            .expect_fault(7, fault_record(0x01, SID, 0x8000, true))
            .build(),
    );
    v
}

//! Protected memory regions (§3.8, §11.4.12-§11.4.13), on a Haswell graphics unit
//! (CAP.PLMR and PHMR set; QEMU has neither): with PMEN.EPM set, DMA into the
//! regions is blocked while translation is off, without a fault record.

use crate::builder::{data, scenario, Builder, DATA, EDU};
use crate::layout::Reg;
use crate::scenario::{Area, Scenario};

const A: [u8; 4] = [0x9a, 0x9b, 0x9c, 0x9d];
const EPM: u64 = 1 << 31;
const PRS: u64 = 1;

fn pmr(name: &str, intent: &str) -> Builder {
    scenario(Area::Pmr, name, intent)
        .preset("haswell-gfx")
        .aw48()
        .load_buffer(EDU, &A)
}

/// The low region covers the 2 MiB at DATA (data pages 0..512).
fn protect_low(b: Builder) -> Builder {
    b.write(Reg::Plmbase, DATA)
        .write(Reg::Plmlimit, DATA + 0x1f_ffff)
        .write(Reg::Pmen, EPM)
        .poll(Reg::Pmen, PRS, PRS)
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        pmr("registers", "PLMBASE/PLMLIMIT keep bits 31:21 and PHMBASE/PHMLIMIT bits up to the host address width (2 MiB alignment on this unit)")
            .spec("§11.4.13 PLMBASE/PLMLIMIT/PHMBASE/PHMLIMIT")
            .write(Reg::Plmbase, 0xffff_ffff)
            .read(Reg::Plmbase, 0xffe0_0000)
            .write(Reg::Plmlimit, 0xffff_ffff)
            .read(Reg::Plmlimit, 0xffe0_0000)
            .write(Reg::Phmbase, u64::MAX)
            .read(Reg::Phmbase, 0x7f_ffe0_0000)
            .write(Reg::Phmlimit, u64::MAX)
            .read(Reg::Phmlimit, 0x7f_ffe0_0000)
            .build(),
        protect_low(pmr("epm-sets-prs", "Setting PMEN.EPM enables protection and PMEN.PRS reports it"))
            .spec("§11.4.12 PMEN_REG EPM/PRS")
            .read(Reg::Pmen, EPM | PRS)
            .build(),
        protect_low(pmr("blocks-dma", "With EPM set and translation off, a DMA write into the low region is blocked and nothing is recorded"))
            .spec("§3.8 protected memory regions")
            .dma_write(EDU, data(3), 4, 0)
            .expect_mem(data(3), &[0; 4])
            .no_fault()
            .build(),
        protect_low(pmr("outside-passes", "A DMA outside the protected region passes"))
            .spec("§3.8")
            .dma_write(EDU, DATA + 0x20_0000, 4, 0)
            .expect_mem(DATA + 0x20_0000, &A)
            .build(),
        protect_low(pmr("high-region", "The high region protects its range too"))
            .spec("§3.8, §11.4.13 PHMBASE/PHMLIMIT")
            .write(Reg::Phmbase, 0x1000_0000)
            .write(Reg::Phmlimit, 0x1000_0000 + 0x1f_ffff)
            .dma_write(EDU, 0x1000_8000, 4, 0)
            .expect_mem(0x1000_8000, &[0; 4])
            .build(),
        protect_low(pmr("disable", "Clearing EPM clears PRS and lets DMA into the region through"))
            .spec("§11.4.12")
            .write(Reg::Pmen, 0)
            .poll(Reg::Pmen, PRS, 0)
            .dma_write(EDU, data(3), 4, 0)
            .expect_mem(data(3), &A)
            .build(),
    ]
}

//! Replaying the DMA a machine's devices perform on their own (USB legacy emulation,
//! integrated graphics reading stolen memory, firmware agents) through the booted
//! model, and the fault lines each production driver's fault handler prints for it.
//!
//! Formats:
//! - Xen 4.17 `iommu_page_fault_do_one()` (`vtd/iommu.c`): `[VT-D]DMAR:[DMA Read]
//!   Request device [SSSS:BB:DD.F] fault addr <hex>` then `[VT-D]DMAR: reason %02x -
//!   <text>` (docs/sources/xen417-driver.md §1.10).
//! - Xen 4.0: `[VT-D]DMAR:[DMA Read] Request device [BB:DD.F] fault addr <hex>, iommu
//!   reg = <va>` then `[VT-D]DMAR:[fault reason %02xh] <text>`
//!   (docs/sources/xen40-driver.md §1.8); the register pointer is a hypervisor virtual
//!   address, shown here as the unit's physical base.
//! - Linux 6.1 `dmar_fault_do_one()`: `DMAR: [DMA Read NO_PASID] Request device
//!   [BB:DD.F] fault addr 0x<hex> [fault reason 0x%02x] <text>`.

use crate::host::Host;
use crate::log::{Level, LogLine};
use crate::personality::Personality;
use serde::Serialize;
use vtd_machine::Bdf;
use vtd_model::platform::DmaError;
use vtd_model::{Access, Blocked};

/// DMA the machine declares that the booted system blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmaFault {
    /// The device.
    pub device: Bdf,
    /// What the DMA is (from the machine description).
    pub note: String,
    /// The first address that faulted.
    pub addr: u64,
    /// A write (else a read).
    pub write: bool,
    /// The fault reason code.
    pub reason: u8,
    /// Its text.
    pub reason_text: String,
    /// Pages of the range that faulted, of those probed.
    pub pages_faulted: u64,
    /// Pages probed.
    pub pages_probed: u64,
}

/// At most this many pages are probed per declared range (evenly spread).
const MAX_PROBES: u64 = 4096;

/// Replay every declared DMA; returns the faults and the fault handler's lines.
pub fn replay(host: &mut Host) -> (Vec<DmaFault>, Vec<LogLine>) {
    let mut faults = Vec::new();
    let mut lines = Vec::new();
    let personality = host.personality;
    for d in host.machine().dma.clone() {
        let first = d.base & !0xfff;
        let pages = ((d.end | 0xfff) - first) / 0x1000 + 1;
        let step = pages.div_ceil(MAX_PROBES).max(1);
        let access = if d.write { Access::WRITE } else { Access::READ };
        let mut probed = 0;
        let mut faulted = 0;
        let mut firstf: Option<(u64, u8, String, u64)> = None;
        let mut p = 0;
        while p < pages {
            let addr = if p == 0 { d.base } else { first + p * 0x1000 };
            probed += 1;
            match host.platform.translate(d.device, None, addr, access) {
                Err(DmaError::Blocked(Blocked::Fault(f))) => {
                    faulted += 1;
                    if firstf.is_none() {
                        let base = host
                            .platform
                            .unit_for(d.device)
                            .and_then(|u| host.platform.unit(u))
                            .map_or(0, |u| u.base());
                        firstf = Some((addr, f.reason.0, f.reason.text().to_string(), base));
                    }
                }
                Err(DmaError::Blocked(Blocked::Discarded { .. })) => faulted += 1,
                _ => {}
            }
            p += step;
        }
        if let Some((addr, reason, text, base)) = firstf {
            lines.extend(fault_lines(
                personality,
                d.device,
                addr,
                d.write,
                reason,
                &text,
                base,
            ));
            faults.push(DmaFault {
                device: d.device,
                note: d.note.clone(),
                addr,
                write: d.write,
                reason,
                reason_text: text,
                pages_faulted: faulted,
                pages_probed: probed,
            });
        }
    }
    (faults, lines)
}

/// What the personality's fault handler prints for one fault record.
pub fn fault_lines(
    personality: Personality,
    device: Bdf,
    addr: u64,
    write: bool,
    reason: u8,
    text: &str,
    unit_base: u64,
) -> Vec<LogLine> {
    let kind = if write { "DMA Write" } else { "DMA Read" };
    let short = format!(
        "{:02x}:{:02x}.{}",
        device.bus, device.device, device.function
    );
    let addr = addr & !0xfff;
    let lines = match personality {
        Personality::Xen417 => vec![
            format!("[VT-D]DMAR:[{kind}] Request device [{device}] fault addr {addr:x}"),
            format!("[VT-D]DMAR: reason {reason:02x} - {text}"),
        ],
        Personality::Xen40 => vec![
            format!(
                "[VT-D]DMAR:[{kind}] Request device [{short}] fault addr {addr:x}, iommu reg = {unit_base:x}"
            ),
            format!("[VT-D]DMAR:[fault reason {reason:02x}h] {text}"),
        ],
        Personality::Linux61 => vec![format!(
            "DMAR: [{kind} NO_PASID] Request device [{short}] fault addr {addr:#x} [fault reason {reason:#04x}] {text}"
        )],
    };
    let level = match personality {
        Personality::Linux61 => Level::Error,
        _ => Level::Warning,
    };
    lines.into_iter().map(|t| LogLine::new(level, t)).collect()
}

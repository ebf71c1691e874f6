//! Xen 4.17's queued-invalidation and interrupt-remapping code (`qinval.c`,
//! `intremap.c`) driving the model through random hypervisor days: map and unmap
//! ranges (Xen's flush choice: page-selective for aligned power-of-two ranges, else
//! domain-selective), DMA, MSIs programmed, re-targeted and freed through Xen's IRTE
//! code, interrupt-entry-cache and global flushes, with and without queued
//! invalidation and interrupt remapping.
//!
//! Every step is checked against a plain reference (what is mapped, which IRTE says
//! what): a DMA or interrupt answered differently, a stale translation or interrupt
//! the checker flags, a queue error (IQE/ITE/ICE) or a hang or panic in Xen's code is a
//! finding. The control table (QEMU's layout, no INCLUDE_PCI_ALL) is parsed once per
//! process; every input brings the unit up afresh.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::collections::BTreeMap;
use vtd_model::ir::Delivery;
use xen_harness::bringup::{Features, Sbdf, Session};

/// The control table's DRHD scope (QEMU q35: host bridge, VGA, LPC, SATA, SMBus).
const DEVICES: [u8; 5] = [0, 1 << 3, 0x1f << 3, 0x1f << 3 | 2, 0x1f << 3 | 3];

fn dev(i: u8) -> Sbdf {
    Sbdf {
        seg: 0,
        bus: 0,
        devfn: DEVICES[usize::from(i) % DEVICES.len()],
    }
}

#[derive(Debug, Arbitrary)]
enum Op {
    Attach {
        dev: u8,
    },
    Map {
        dfn: u8,
        count: u8,
        pfn: u16,
        write: bool,
    },
    Unmap {
        dfn: u8,
        count: u8,
    },
    Dma {
        dev: u8,
        dfn: u8,
        write: bool,
    },
    Msi {
        slot: u8,
        dev: u8,
        vector: u8,
        dest: u8,
    },
    FreeMsi {
        slot: u8,
    },
    Interrupt {
        slot: u8,
    },
    FlushIec {
        global: bool,
        index: u8,
    },
    FlushAll,
}

#[derive(Debug, Arbitrary)]
struct Day {
    no_qinval: bool,
    no_intremap: bool,
    ops: Vec<Op>,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

fn control() -> Vec<u8> {
    dmar_fixtures::all()
        .expect("fixtures")
        .into_iter()
        .find(|f| f.name == "qemu-q35-control")
        .and_then(|f| f.table)
        .expect("the control fixture")
}

/// Frames 0x1000.. of the domain's space (pages 4 KiB), so page tables and the
/// harness's guest memory never alias the mapped range.
const BASE_DFN: u64 = 0x1000;
const MSI_SLOTS: u8 = 4;

fn day(s: &mut Session, d: &Day) {
    let features = Features {
        qinval: !d.no_qinval,
        intremap: !d.no_intremap,
        snoop: true,
    };
    let up = s.bring_up(features);
    assert_eq!(up.stopped, None, "bring-up: {up:?}");
    assert_eq!(up.ret, 0, "bring-up: {up:?}");
    assert_eq!(up.qi, features.qinval, "{up:?}");
    assert_eq!(up.ir, features.qinval && features.intremap, "{up:?}");
    let mut attached = [false; DEVICES.len()];
    let mut mapped: BTreeMap<u64, (u64, bool)> = BTreeMap::new();
    let mut msis: BTreeMap<u8, (Sbdf, u8, u8, u32, u32)> = BTreeMap::new();
    let mut freed: BTreeMap<u8, (Sbdf, u32, u32)> = BTreeMap::new();
    for (step, op) in d.ops.iter().take(64).enumerate() {
        match *op {
            Op::Attach { dev: i } => {
                let k = usize::from(i) % DEVICES.len();
                if !attached[k] {
                    assert_eq!(s.attach(dev(i)), 0, "step {step}: attach");
                    attached[k] = true;
                }
            }
            Op::Map {
                dfn,
                count,
                pfn,
                write,
            } => {
                let (dfn, count) = (BASE_DFN + u64::from(dfn), u64::from(count % 32) + 1);
                let pa = 0x4000_0000 + (u64::from(pfn) << 12);
                assert_eq!(s.map(dfn, count, pa, write, true), 0, "step {step}: {op:?}");
                for i in 0..count {
                    mapped.insert(dfn + i, (pa + (i << 12), write));
                }
            }
            Op::Unmap { dfn, count } => {
                let (dfn, count) = (BASE_DFN + u64::from(dfn), u64::from(count % 32) + 1);
                assert_eq!(s.unmap(dfn, count, true), 0, "step {step}: {op:?}");
                for i in 0..count {
                    mapped.remove(&(dfn + i));
                }
            }
            Op::Dma { dev: i, dfn, write } => {
                let dfn = BASE_DFN + u64::from(dfn);
                let r = s.dma(dev(i), (dfn << 12) | 0x18, write);
                let k = usize::from(i) % DEVICES.len();
                match (attached[k], mapped.get(&dfn), &r) {
                    (true, Some(&(pa, w)), Ok(t)) if !write || w => {
                        assert_eq!(t.addr, pa | 0x18, "step {step}: {op:?}")
                    }
                    (true, Some(&(_, w)), Err(_)) if write && !w => {}
                    (true, None, Err(_)) | (false, _, Err(_)) => {}
                    _ => panic!(
                        "step {step}: {op:?}: attached {} mapping {:?}, the unit answered {r:?}",
                        attached[k],
                        mapped.get(&dfn)
                    ),
                }
            }
            Op::Msi {
                slot,
                dev: i,
                vector,
                dest,
            } => {
                if !up.ir {
                    continue;
                }
                let slot = slot % MSI_SLOTS;
                // A slot keeps its device, as an msi_desc does.
                let device = msis.get(&slot).map_or(dev(i), |m| m.0);
                let vector = vector.max(0x20);
                let (addr, data) = s
                    .msi(u32::from(slot), device, vector, dest)
                    .unwrap_or_else(|e| panic!("step {step}: {op:?}: {e}"));
                freed.remove(&slot);
                msis.insert(slot, (device, vector, dest, addr, data));
            }
            Op::FreeMsi { slot } => {
                let slot = slot % MSI_SLOTS;
                if let Some((device, _, _, addr, data)) = msis.remove(&slot) {
                    assert_eq!(s.free_msi(u32::from(slot)), 0, "step {step}: {op:?}");
                    freed.insert(slot, (device, addr, data));
                }
            }
            Op::Interrupt { slot } => {
                let slot = slot % MSI_SLOTS;
                if let Some(&(device, vector, dest, addr, data)) = msis.get(&slot) {
                    match s.interrupt(device, addr, data) {
                        Ok(Delivery::Interrupt(i)) => assert_eq!(
                            (i.vector, i.destination),
                            (vector, u32::from(dest)),
                            "step {step}: {op:?}"
                        ),
                        other => panic!("step {step}: {op:?}: {other:?}"),
                    }
                } else if let Some(&(device, addr, data)) = freed.get(&slot) {
                    // Unless another slot took the same entry since.
                    let reused = msis.values().any(|m| (m.3, m.4) == (addr, data));
                    if !reused {
                        let r = s.interrupt(device, addr, data);
                        assert!(r.is_err(), "step {step}: freed IRTE still delivers: {r:?}");
                    }
                }
            }
            Op::FlushIec { global, index } => {
                if up.ir {
                    assert_eq!(s.flush_iec(global, u16::from(index)), 0, "step {step}");
                }
            }
            Op::FlushAll => assert_eq!(s.flush_all(), 0, "step {step}"),
        }
        let (stale, stale_irq) = s.take_stale();
        assert!(stale.is_empty(), "step {step}: {op:?}: {stale:?}");
        assert!(stale_irq.is_empty(), "step {step}: {op:?}: {stale_irq:?}");
        assert_eq!(s.fsts() & 0x70, 0, "step {step}: {op:?}: queue error");
    }
}

fuzz_target!(|d: Day| {
    SESSION.with(|cell| {
        let mut cell = cell.borrow_mut();
        let s = cell.get_or_insert_with(|| {
            let s = Session::open(&control(), false, false).expect("the harness has Xen");
            assert_eq!(s.parse.0, 0, "{:?}", s.parse.1);
            s
        });
        day(s, &d);
    });
});

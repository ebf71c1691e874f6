//! Property tests of the invalidation queue over random descriptor streams (valid
//! descriptors of every type mixed with random qwords, random tail moves, IQE
//! recovery): nothing panics, IQH never passes IQT, every descriptor the unit moved
//! past is valid, the queue stops exactly on the first invalid one with its IQEI code,
//! and the timed mode ends where the immediate mode does.

use proptest::prelude::*;
use vtd_model::qi::descriptor::{
    self, ContextScope, DeviceTlbTarget, IotlbGranularity, PasidCacheScope, Rules,
};
use vtd_model::qi::{Descriptor, QiMode, Width};
use vtd_model::regs::presets::{self, Preset};
use vtd_model::regs::{fsts, gcmd, offset as o};
use vtd_model::{GuestMemory, SparseMemory, Unit, UnitConfig};

const RING: u64 = 0x10_0000;
const STATUS: u64 = 0x20_0000;

fn descriptor() -> impl Strategy<Value = Descriptor> {
    let did = 0u16..4;
    prop_oneof![
        Just(Descriptor::Context(ContextScope::Global)),
        did.clone()
            .prop_map(|d| Descriptor::Context(ContextScope::Domain(d))),
        (did.clone(), any::<u16>(), 0u8..4).prop_map(|(did, source_id, fm)| {
            Descriptor::Context(ContextScope::Device { did, source_id, fm })
        }),
        (did.clone(), 0u64..64, 0u8..20, any::<bool>()).prop_map(|(did, p, am, ih)| {
            Descriptor::Iotlb {
                did,
                granularity: IotlbGranularity::Page {
                    addr: p << 12,
                    am,
                    ih,
                },
                drain_reads: false,
                drain_writes: false,
            }
        }),
        did.clone().prop_map(|did| Descriptor::Iotlb {
            did,
            granularity: IotlbGranularity::Domain,
            drain_reads: true,
            drain_writes: true,
        }),
        (any::<u16>(), any::<bool>()).prop_map(|(source_id, size)| Descriptor::DeviceTlb(
            DeviceTlbTarget {
                source_id,
                pfsid: 0,
                mip: 0,
                addr: 0x1000,
                size,
            }
        )),
        proptest::option::of((any::<u16>(), 0u8..8))
            .prop_map(|block| Descriptor::InterruptEntry { block }),
        (any::<bool>(), any::<bool>(), 0u64..64, any::<u32>()).prop_map(
            |(interrupt, fence, slot, data)| Descriptor::Wait {
                interrupt,
                status: Some((STATUS + 4 * slot, data)),
                fence,
                page_drain: false,
            }
        ),
        (did.clone(), 0u32..8).prop_map(|(did, pasid)| Descriptor::PasidIotlb {
            did,
            pasid,
            range: Some((0x1000, 0, false)),
        }),
        (did, 0u32..8).prop_map(|(did, p)| Descriptor::PasidCache {
            did,
            scope: PasidCacheScope::Pasid(p),
        }),
    ]
}

/// One ring slot: a well-formed descriptor (mostly) or random bits.
fn slot() -> impl Strategy<Value = [u64; 4]> {
    prop_oneof![
        8 => descriptor().prop_map(|d| {
            let [a, b] = descriptor::encode(&d);
            [a, b, 0, 0]
        }),
        1 => any::<[u64; 4]>(),
        1 => (0u64..16, any::<u64>()).prop_map(|(t, q1)| [t | (t & 0x70) << 5, q1, 0, 0]),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    /// Write `n` more slots and move the tail past them.
    Submit(Vec<[u64; 4]>),
    /// Write a random value to IQT.
    Tail(u64),
    /// Clear IQE (and ITE).
    Recover,
    /// Let time pass (timed mode).
    Advance(u64),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::collection::vec(slot(), 1..12).prop_map(Op::Submit),
            1 => any::<u64>().prop_map(Op::Tail),
            2 => Just(Op::Recover),
            2 => (0u64..3000).prop_map(Op::Advance),
        ],
        1..24,
    )
}

struct Run {
    unit: Unit,
    mem: SparseMemory,
    width: Width,
    tail: u64,
}

impl Run {
    fn new(preset: Preset, width: Width, mode: QiMode) -> Self {
        let mut cfg = UnitConfig::new(preset);
        cfg.qi = mode;
        let mut unit = Unit::new(cfg).unwrap();
        let mut mem = SparseMemory::new(1 << 32);
        let dw = u64::from(width == Width::Bits256) << 11;
        unit.mmio_write(&mut mem, o::IQA, 8, RING | dw).unwrap();
        unit.mmio_write(&mut mem, o::GCMD, 4, u64::from(gcmd::QIE))
            .unwrap();
        Run {
            unit,
            mem,
            width,
            tail: 0,
        }
    }

    fn entries(&self) -> u64 {
        4096 / self.width.bytes()
    }

    fn head(&mut self) -> u64 {
        self.unit.mmio_read(o::IQH, 8).unwrap() / self.width.bytes()
    }

    fn read_slot(&self, index: u64) -> [u64; 4] {
        let mut raw = [0u64; 4];
        let n = (self.width.bytes() / 8) as usize;
        for (i, q) in raw.iter_mut().take(n).enumerate() {
            *q = self
                .mem
                .read_u64(RING + index * self.width.bytes() + 8 * i as u64)
                .unwrap();
        }
        raw
    }

    fn rules(&self) -> Rules {
        Rules {
            cap: self.unit.cap(),
            ecap: self.unit.ecap(),
            width: self.width,
            qemu: false,
        }
    }

    /// Apply one op and check the invariants around it.
    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let before = self.head();
        let done_before = self.unit.stats().descriptors;
        let fsts_before = self.unit.mmio_read(o::FSTS, 4).unwrap() as u32;
        match op {
            Op::Submit(slots) => {
                for raw in slots {
                    let n = (self.width.bytes() / 8) as usize;
                    for (i, q) in raw.iter().take(n).enumerate() {
                        let at = RING + self.tail * self.width.bytes() + 8 * i as u64;
                        self.mem.write_u64(at, *q).unwrap();
                    }
                    self.tail = (self.tail + 1) % self.entries();
                    // Never lap the head: software keeps one slot free.
                    if self.tail == before {
                        break;
                    }
                }
                let v = self.tail * self.width.bytes();
                self.unit.mmio_write(&mut self.mem, o::IQT, 8, v).unwrap();
            }
            Op::Tail(v) => {
                self.unit.mmio_write(&mut self.mem, o::IQT, 8, *v).unwrap();
                self.tail = (v & 0x7_fff0) / self.width.bytes() % self.entries();
            }
            Op::Recover => {
                let both = u64::from(fsts::IQE | fsts::ITE);
                self.unit
                    .mmio_write(&mut self.mem, o::FSTS, 4, both)
                    .unwrap();
            }
            Op::Advance(c) => self.unit.advance(&mut self.mem, *c),
        }
        let after = self.head();
        let entries = self.entries();
        let moved = (after + entries - before) % entries;
        let done = self.unit.stats().descriptors - done_before;
        prop_assert_eq!(moved, done, "IQH moved by exactly the descriptors executed");
        let iqt = self.unit.mmio_read(o::IQT, 8).unwrap() & 0x7_fff0;
        let tail = (iqt / self.width.bytes()).min(entries);
        let span = (tail + entries - before) % entries;
        if fsts_before & fsts::IQE == 0 || matches!(op, Op::Recover) {
            prop_assert!(moved <= span, "IQH passed IQT: moved {} of {}", moved, span);
        }
        for k in 0..moved {
            let raw = self.read_slot((before + k) % entries);
            prop_assert!(
                descriptor::decode(raw, &self.rules()).is_ok(),
                "moved past an invalid descriptor {:x?}",
                raw
            );
        }
        let f = self.unit.mmio_read(o::FSTS, 4).unwrap() as u32;
        let code = self.unit.mmio_read(o::IQERCD, 8).unwrap() & 0xf;
        if f & fsts::IQE != 0 && fsts_before & fsts::IQE == 0 && (code == 3 || code == 4) {
            // Stopped on a descriptor: it is the first invalid one, with its code.
            let raw = self.read_slot(after);
            let want = descriptor::decode(raw, &self.rules())
                .err()
                .map(|e| u64::from(e.code()));
            prop_assert_eq!(Some(code), want, "IQH {} holds {:x?}", after, raw);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn descriptor_streams_keep_the_queue_invariants(ops in ops(), wide in any::<bool>()) {
        let (preset, width) = if wide {
            (presets::SAPPHIRE_RAPIDS, Width::Bits256)
        } else {
            (Preset { ecap: presets::QEMU_Q35.ecap | 1 << 2, ..presets::QEMU_Q35 }, Width::Bits128)
        };
        let mut run = Run::new(preset, width, QiMode::Immediate);
        for op in &ops {
            run.apply(op)?;
        }
    }

    #[test]
    fn the_timed_queue_ends_where_the_immediate_one_does(ops in ops()) {
        let preset = Preset { ecap: presets::QEMU_Q35.ecap | 1 << 2, ..presets::QEMU_Q35 };
        let mut now = Run::new(preset, Width::Bits128, QiMode::Immediate);
        let mut later = Run::new(preset, Width::Bits128, QiMode::Timed);
        for op in &ops {
            now.apply(op)?;
            later.apply(op)?;
            // Give the timed unit all the time it needs before the next step, so
            // software sees the same queue in both.
            later.unit.advance(&mut later.mem, 1 << 20);
            prop_assert_eq!(now.head(), later.head());
            let f = |r: &mut Run| r.unit.mmio_read(o::FSTS, 4).unwrap();
            prop_assert_eq!(f(&mut now), f(&mut later));
        }
        for slot in 0..64 {
            let a = now.mem.read_u64(STATUS + 4 * slot).unwrap();
            let b = later.mem.read_u64(STATUS + 4 * slot).unwrap();
            prop_assert_eq!(a, b, "status slot {}", slot);
        }
    }
}

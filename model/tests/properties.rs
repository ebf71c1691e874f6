//! Property tests: cached translation equals a walk whenever the tables did not change
//! since the last invalidation that covers them (a state machine against a unit with no
//! caches), and no register sequence panics.

mod common;

use common::*;
use proptest::prelude::*;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use std::collections::{BTreeMap, BTreeSet};
use vtd_model::cache::{CacheConfig, Geometry};
use vtd_model::checker::Outcome;
use vtd_model::program::{self, MapFlags};
use vtd_model::regs::presets;
use vtd_model::{Request, Unit, UnitConfig};

const PAGES: u64 = 16;

#[derive(Debug, Clone)]
enum Step {
    Map {
        page: u64,
        frame: u64,
        writable: bool,
    },
    Unmap {
        page: u64,
    },
    Psi {
        page: u64,
        am: u32,
    },
    Dsi,
    Global,
    Translate {
        page: u64,
        write: bool,
    },
}

/// What the tables say, and which pages changed since an invalidation covered them.
#[derive(Debug, Clone, Default)]
struct Model {
    map: BTreeMap<u64, (u64, bool)>,
    dirty: BTreeSet<u64>,
}

impl ReferenceStateMachine for Model {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<Step> {
        prop_oneof![
            4 => (0..PAGES, 0..64u64, any::<bool>()).prop_map(|(page, frame, writable)| Step::Map { page, frame, writable }),
            2 => (0..PAGES).prop_map(|page| Step::Unmap { page }),
            2 => (0..PAGES, 0..3u32).prop_map(|(page, am)| Step::Psi { page, am }),
            1 => Just(Step::Dsi),
            1 => Just(Step::Global),
            8 => (0..PAGES, any::<bool>()).prop_map(|(page, write)| Step::Translate { page, write }),
        ]
        .boxed()
    }

    fn apply(mut s: Model, t: &Step) -> Model {
        match *t {
            Step::Map {
                page,
                frame,
                writable,
            } => {
                s.map.insert(page, (frame, writable));
                s.dirty.insert(page);
            }
            Step::Unmap { page } => {
                s.map.remove(&page);
                s.dirty.insert(page);
            }
            Step::Psi { page, am } => {
                let base = page & !((1 << am) - 1);
                for p in base..base + (1 << am) {
                    s.dirty.remove(&p);
                }
            }
            Step::Dsi | Step::Global => s.dirty.clear(),
            Step::Translate { .. } => {}
        }
        s
    }
}

struct Sut {
    rig: Rig,
    reference: Unit,
}

/// Tiny caches so that eviction, set conflicts and the paging-structure caches all
/// take part.
fn small_caches() -> CacheConfig {
    CacheConfig {
        context: Geometry::new(1, 2),
        pasid: Geometry::new(1, 2),
        iotlb: Geometry::new(2, 2),
        paging: Geometry::new(1, 2),
        interrupt: Geometry::new(1, 2),
    }
}

impl StateMachineTest for Sut {
    type SystemUnderTest = Sut;
    type Reference = Model;

    fn init_test(_: &Model) -> Sut {
        let rig = Rig::legacy_with(UnitConfig {
            caches: small_caches(),
            ..UnitConfig::new(presets::QEMU_Q35)
        });
        let mut reference = Unit::new(UnitConfig {
            caches: CacheConfig::none(),
            checker: false,
            ..UnitConfig::new(presets::QEMU_Q35)
        })
        .unwrap();
        let mut mem = rig.mem.clone();
        program::enable(&mut reference, &mut mem, rig.tables.root, false);
        Sut { rig, reference }
    }

    fn apply(mut s: Sut, model: &Model, t: Step) -> Sut {
        let r = &mut s.rig;
        match t {
            Step::Map {
                page,
                frame,
                writable,
            } => {
                let flags = if writable { MapFlags::RW } else { MapFlags::RO };
                r.map(page << 12, 0x400_0000 + (frame << 12), flags);
            }
            Step::Unmap { page } => r.unmap(page << 12),
            Step::Psi { page, am } => r.flush_pages(page << 12, am),
            Step::Dsi => {
                let iro = r.unit.ecap().iotlb_offset();
                r.set_reg(iro + 8, 8, 1 << 63 | 2 << 60 | u64::from(DID) << 32);
            }
            Step::Global => r.flush_all(),
            Step::Translate { page, write } => {
                let req = if write {
                    Request::write(DEV, page << 12)
                } else {
                    Request::read(DEV, page << 12)
                };
                let served = Outcome::of(
                    &r.unit
                        .translate(&r.mem, &req)
                        .map_err(|b| b.reason().unwrap()),
                );
                let walked = Outcome::of(
                    &s.reference
                        .translate(&r.mem, &req)
                        .map_err(|b| b.reason().unwrap()),
                );
                let stale = r.unit.take_stale();
                // The walk agrees with what the tables say.
                let expected = match model.map.get(&page) {
                    Some(&(frame, writable)) if writable || !write => {
                        Some(0x400_0000 + (frame << 12))
                    }
                    _ => None,
                };
                match (walked, expected) {
                    (Outcome::Mapped { addr, .. }, Some(e)) => assert_eq!(addr, e),
                    (Outcome::Fault(_), None) => {}
                    other => panic!("walk disagrees with the tables: {other:?}"),
                }
                // Cached answers equal the walk unless the page changed without an
                // invalidation since, and then the checker says so.
                if !model.dirty.contains(&page) {
                    assert_eq!(
                        served, walked,
                        "page {page} was invalidated after its last change"
                    );
                    assert!(stale.is_empty(), "{stale:?}");
                } else {
                    assert_eq!(stale.is_empty(), served == walked);
                }
            }
        }
        s
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]
    #[test]
    fn cached_translation_equals_a_fresh_walk_after_invalidation(sequential 1..60 => Sut);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_register_sequence_panics(
        preset in prop::sample::select(presets::ALL),
        ops in prop::collection::vec((0usize..0x1100, prop::sample::select(vec![1usize, 2, 4, 8]), any::<u64>(), any::<bool>()), 1..64),
    ) {
        let mut unit = Unit::new(UnitConfig::new(preset)).unwrap();
        let mut mem = vtd_model::SparseMemory::new(1 << 24);
        for (offset, size, value, write) in ops {
            // Bias towards real registers: every other access is 4- or 8-aligned.
            let offset = if value & 1 == 0 { offset & !7 } else { offset };
            if write {
                let _ = unit.mmio_write(&mut mem, offset, size, value);
            } else {
                let _ = unit.mmio_read(offset, size);
            }
            let _ = unit.translate(&mem, &Request::read((value >> 8) as u16, value));
        }
    }
}

//! The catalog is well formed: these checks keep scenario authors honest (a coverage
//! tag without the fault record that proves it, a deviation nobody can name, a DMA
//! edu cannot perform) without running anything.

use std::collections::BTreeSet;
use vtd_conformance::coverage::{self, GROUPS};
use vtd_conformance::deviation::{self, ALL};
use vtd_conformance::layout::Reg;
use vtd_conformance::scenario::{Body, Cover, Step};
use vtd_conformance::{catalog, Area, Scenario};

fn all() -> Vec<Scenario> {
    catalog::all()
}

#[test]
fn at_least_150_scenarios_with_unique_ids_named_for_their_area() {
    let s = all();
    assert!(s.len() >= 150, "only {} scenarios", s.len());
    let mut seen = BTreeSet::new();
    for x in &s {
        assert!(seen.insert(x.id.clone()), "duplicate id {}", x.id);
        let prefix = format!("{}/", x.area.name());
        assert!(x.id.starts_with(&prefix), "{} is not under {prefix}", x.id);
        assert!(!x.intent.is_empty(), "{} says nothing", x.id);
        if matches!(x.body, Body::Program(_)) {
            assert!(!x.spec.is_empty(), "{} cites no spec section", x.id);
        }
    }
    for area in Area::ALL {
        assert!(
            s.iter().any(|x| x.area == area),
            "area {} has no scenario",
            area.name()
        );
    }
}

/// Deviations the QEMU backend names itself (not through a scenario).
const BACKEND_LEVEL: &[&str] = &["qemu-no-driver-boot", "qemu-fixed-capabilities"];

#[test]
fn every_named_deviation_exists_and_every_deviation_is_named() {
    let mut used = BTreeSet::new();
    for s in all() {
        for id in s.deviation_ids() {
            assert!(
                deviation::get(id).is_some(),
                "{} names unknown deviation {id}",
                s.id
            );
            used.insert(id);
        }
    }
    for id in BACKEND_LEVEL {
        assert!(deviation::get(id).is_some(), "{id}");
        used.insert(id);
    }
    let mut ids = BTreeSet::new();
    for d in ALL {
        assert!(ids.insert(d.id), "deviation {} listed twice", d.id);
        assert!(
            d.id.starts_with(&format!("{}-", d.backend)),
            "{} should start with its backend",
            d.id
        );
        // A backend that observes something else must say which section decides.
        if d.kind == deviation::Kind::Differs {
            assert!(
                d.spec.contains('§'),
                "{} names no spec section: {}",
                d.id,
                d.spec
            );
        }
        assert!(!d.source.is_empty() && !d.what.is_empty(), "{}", d.id);
        assert!(
            used.contains(d.id),
            "deviation {} is listed but no scenario names it",
            d.id
        );
    }
}

/// The FRCD high quadwords a scenario expects, with the F bit set.
fn expected_records(s: &Scenario) -> Vec<u64> {
    s.steps()
        .iter()
        .filter_map(|st| match st {
            Step::Read {
                reg: Reg::FrcdHi(_),
                expect,
                ..
            } if expect.value >> 63 == 1 => Some(expect.value),
            _ => None,
        })
        .collect()
}

#[test]
fn fault_coverage_tags_are_backed_by_an_expected_fault_record() {
    for s in all() {
        let records = expected_records(&s);
        for c in &s.covers {
            let code = match c {
                Cover::DmaFault(c) | Cover::IrFault(c) => *c,
                _ => continue,
            };
            assert!(
                records.iter().any(|hi| (hi >> 32) as u8 == code),
                "{} claims fault {code:#x} but expects no record with it",
                s.id
            );
        }
    }
}

#[test]
fn every_coverage_item_is_exercised_or_says_why_not() {
    let lines = coverage::table(&all());
    for l in &lines {
        assert!(GROUPS.contains(&l.group), "group {}", l.group);
        match l.uncovered {
            None => assert!(!l.scenarios.is_empty()),
            Some(why) => {
                assert!(
                    l.scenarios.is_empty(),
                    "{} {} has scenarios and a reason",
                    l.group,
                    l.item
                );
                assert!(
                    why != "no scenario yet",
                    "{} {} is uncovered without a reason",
                    l.group,
                    l.item
                );
            }
        }
    }
    // Every register, IR fault, descriptor, register invalidation and queue error is
    // exercised; only DMA fault reasons may be left, each with its reason.
    for l in lines.iter().filter(|l| l.uncovered.is_some()) {
        assert_eq!(l.group, "dma-fault", "{} {}", l.group, l.item);
    }
}

#[test]
fn dmas_fit_edus_engine() {
    for s in all() {
        for st in s.steps() {
            if let Step::Dma { len, buffer, .. } = st {
                assert!(*len > 0, "{}: empty DMA", s.id);
                assert!(
                    usize::from(*buffer) + usize::from(*len) <= 4096,
                    "{}: DMA past edu's 4 KiB buffer",
                    s.id
                );
            }
        }
    }
}

/// 32-bit registers: an 8-byte access would also hit the next register.
const NARROW: &[Reg] = &[
    Reg::Ver,
    Reg::Gcmd,
    Reg::Gsts,
    Reg::Fsts,
    Reg::Fectl,
    Reg::Fedata,
    Reg::Feaddr,
    Reg::Feuaddr,
    Reg::Pmen,
    Reg::Plmbase,
    Reg::Plmlimit,
    Reg::Ics,
    Reg::Iectl,
    Reg::Iedata,
    Reg::Ieaddr,
    Reg::Ieuaddr,
];

#[test]
fn wide_accesses_to_32_bit_registers_only_in_the_access_rule_scenarios() {
    for s in all() {
        if s.area == Area::Registers {
            continue;
        }
        for st in s.steps() {
            let (reg, size) = match st {
                Step::Write { reg, size, .. }
                | Step::Read { reg, size, .. }
                | Step::Poll { reg, size, .. } => (reg, size),
                _ => continue,
            };
            assert!(
                !(NARROW.contains(reg) && *size == 8),
                "{}: 8-byte access to 32-bit {}",
                s.id,
                reg.name()
            );
            assert!(*size == 4 || *size == 8, "{}: {size}-byte access", s.id);
        }
    }
}

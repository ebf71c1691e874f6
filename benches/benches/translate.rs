//! The model's hot paths (targets on this 2-core machine, DESIGN.md §9):
//! IOTLB hit ≤ 10 ns; context cache + IOTLB hit ≤ 15 ns; a miss with a 4-level walk
//! in hot memory ≤ 60 ns; and a 2 MiB superpage hit.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use vtd_model::cache::iotlb::{IotlbEntry, IotlbKey, NO_PASID};
use vtd_model::cache::{CacheConfig, Caches, Geometry};
use vtd_model::program::{self, Format, LegacyTables, MapFlags, PageAlloc, PageTable};
use vtd_model::regs::presets;
use vtd_model::request::Perm;
use vtd_model::{Request, SparseMemory, Unit, UnitConfig};

const DEV: u16 = 0x0008;

/// A Tiger Lake unit (4-level tables) with 64 pages mapped at IOVA 0 and a 2 MiB page
/// at 1 GiB; checker off.
fn rig(caches: CacheConfig) -> (Unit, SparseMemory) {
    let mut mem = SparseMemory::new(1 << 32);
    let mut unit = Unit::new(UnitConfig {
        caches,
        checker: false,
        ..UnitConfig::new(presets::TIGER_LAKE)
    })
    .unwrap();
    let mut alloc = PageAlloc::new(0x100_0000, 0x800_0000);
    let tables = LegacyTables::new(&mut mem, &mut alloc).unwrap();
    let pt = PageTable::new(&mut mem, &mut alloc, 4, Format::Second).unwrap();
    tables
        .set_context(&mut mem, &mut alloc, DEV, 1, Some(&pt), false)
        .unwrap();
    for p in 0..64u64 {
        pt.map(
            &mut mem,
            &mut alloc,
            p << 12,
            0x1000_0000 + (p << 12),
            1,
            MapFlags::RW,
        )
        .unwrap();
    }
    pt.map(&mut mem, &mut alloc, 1 << 30, 0x4000_0000, 2, MapFlags::RW)
        .unwrap();
    program::enable(&mut unit, &mut mem, tables.root, false);
    (unit, mem)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("translate");

    // The IOTLB structure alone: a hit in a 32×4 set-associative cache.
    let mut caches = Caches::new(&CacheConfig::default());
    for p in 0..64u64 {
        caches.iotlb.insert(
            IotlbKey::new(1, NO_PASID, 1, p << 12),
            IotlbEntry::Map {
                out: p << 12,
                perm: Perm::ALL,
                snoop: false,
                user: true,
                first_stage: false,
            },
        );
    }
    let mut i = 0u64;
    g.bench_function("iotlb hit (cache lookup)", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(
                caches
                    .iotlb
                    .get(&IotlbKey::new(1, NO_PASID, 1, black_box(i << 12)))
                    .copied(),
            )
        })
    });

    // A full translate() served by the context cache and the IOTLB.
    let (mut unit, mem) = rig(CacheConfig::default());
    for p in 0..64u64 {
        unit.translate(&mem, &Request::read(DEV, p << 12)).unwrap();
    }
    let mut i = 0u64;
    g.bench_function("context cache + iotlb hit (translate)", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(
                unit.translate(&mem, &Request::read(DEV, black_box(i << 12)))
                    .is_ok(),
            )
        })
    });

    // 2 MiB superpage hits across the page.
    unit.translate(&mem, &Request::read(DEV, 1 << 30)).unwrap();
    let mut i = 0u64;
    g.bench_function("2 MiB superpage hit (translate)", |b| {
        b.iter(|| {
            i = (i + 4096) & 0x1f_ffff;
            black_box(
                unit.translate(&mem, &Request::read(DEV, black_box((1 << 30) | i)))
                    .is_ok(),
            )
        })
    });

    // IOTLB and paging-structure caches off, context cache on: every request walks all
    // four levels; the tables stay hot in the host's caches.
    let no_tlb = CacheConfig {
        iotlb: Geometry::new(0, 0),
        paging: Geometry::new(0, 0),
        ..CacheConfig::default()
    };
    let (mut unit, mem) = rig(no_tlb);
    let mut i = 0u64;
    g.bench_function("iotlb miss, 4-level walk (translate)", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(
                unit.translate(&mem, &Request::read(DEV, black_box(i << 12)))
                    .is_ok(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

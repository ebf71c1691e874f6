//! Remapped-interrupt lookup latency: a remappable MSI through an IRTE that is in the
//! interrupt entry cache, and one that is read from the table every time (cache off).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use vtd_model::cache::{CacheConfig, Geometry};
use vtd_model::ir::message::remappable_msi;
use vtd_model::ir::{DeliveryMode, InterruptRequest, Irte, SourceCheck};
use vtd_model::program::{InterruptTable, PageAlloc};
use vtd_model::regs::presets;
use vtd_model::{SparseMemory, Unit, UnitConfig};

const DEV: u16 = 0x0008;

fn rig(caches: CacheConfig) -> (Unit, SparseMemory) {
    let mut mem = SparseMemory::new(1 << 32);
    let mut unit = Unit::new(UnitConfig {
        caches,
        checker: false,
        ..UnitConfig::new(presets::TIGER_LAKE)
    })
    .unwrap();
    let mut alloc = PageAlloc::new(0x100_0000, 0x800_0000);
    let irt = InterruptTable::new(&mut mem, &mut alloc, 7, true).unwrap();
    for i in 0..64u16 {
        let e = Irte::remapped(
            0x40 + i as u8,
            u32::from(i % 4),
            true,
            DeliveryMode::Fixed,
            SourceCheck::Exact { sid: DEV, sq: 0 },
        );
        irt.set(&mut mem, i, e).unwrap();
    }
    irt.install(&mut unit, &mut mem);
    irt.enable(&mut unit, &mut mem, false);
    (unit, mem)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("interrupt");
    let requests: Vec<InterruptRequest> = (0..64u16)
        .map(|i| {
            let (addr, data) = remappable_msi(0, Some(i));
            InterruptRequest {
                source_id: DEV,
                addr,
                data,
            }
        })
        .collect();
    for (name, caches) in [
        ("remap, interrupt entry cache hit", CacheConfig::default()),
        (
            "remap, IRTE read from memory",
            CacheConfig {
                interrupt: Geometry::new(0, 0),
                ..CacheConfig::default()
            },
        ),
    ] {
        let (mut unit, mut mem) = rig(caches);
        let mut i = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) & 63;
                black_box(
                    unit.remap_interrupt(&mut mem, black_box(&requests[i]))
                        .is_ok(),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

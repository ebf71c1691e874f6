//! The trace simulator's speed: translations replayed per second on one core (target
//! ≥ 50 M/s, DESIGN.md §9), for a window the IOTLB covers and one it does not.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vtd_benches::sim::{engine, experiments, workload, PageSize, Pattern, Rig};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sim");
    for (name, window) in [
        ("replay, IOTLB hits (256 KiB)", 256u64 << 10),
        ("replay, IOTLB misses (64 MiB)", 64 << 20),
    ] {
        let reqs = workload::generate(Pattern::Random { seed: 1 }, window, 64, false, 100_000);
        let mut rig = Rig::new(window, PageSize::Small, experiments::caches());
        let dev = experiments::pcie_bench_device();
        let t = experiments::timing();
        engine::replay(&mut rig, &reqs, 0, &dev, &t);
        g.throughput(Throughput::Elements(reqs.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(engine::replay(&mut rig, &reqs, 0, &dev, &t)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

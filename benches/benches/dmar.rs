//! DMAR decode and check throughput over the corpus (bytes per second of table).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let (tables, source) = vtd_benches::dmar_inputs();
    let bytes: usize = tables.iter().map(Vec::len).sum();
    eprintln!(
        "dmar bench: {} tables, {bytes} bytes from the {source}",
        tables.len()
    );
    let mut g = c.benchmark_group("dmar");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("check (zero-copy walk + all rules)", |b| {
        b.iter(|| {
            for t in &tables {
                black_box(dmar::check(black_box(t), None));
            }
        })
    });
    g.bench_function("parse (owned table)", |b| {
        b.iter(|| {
            for t in &tables {
                black_box(dmar::parse(black_box(t)).ok());
            }
        })
    });
    g.bench_function("decode (owned Table) + check", |b| {
        b.iter(|| {
            for t in &tables {
                black_box(dmar::parse(black_box(t)).ok());
                black_box(dmar::check(black_box(t), None));
            }
        })
    });
    let parsed: Vec<dmar::Table> = tables.iter().filter_map(|t| dmar::parse(t).ok()).collect();
    g.bench_function("encode", |b| {
        b.iter(|| {
            for t in &parsed {
                black_box(black_box(t).encode());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

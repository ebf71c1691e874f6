//! Queued-invalidation throughput (target ≥ 20 M descriptors/s, DESIGN.md §9): a ring
//! of IOTLB page-selective invalidations, each followed by a wait descriptor with a
//! status write (what Linux's `qi_flush_iotlb` + `qi_submit_sync` put in the queue),
//! processed by the unit at each tail write. The ring is written once; each iteration
//! moves IQT by a batch, so what is measured is the unit's side: fetch, decode,
//! invalidate, write status. Two cases: every invalidation removes a cached
//! translation (a fresh copy of a unit whose IOTLB and paging-structure caches hold
//! the 64 pages, the copy made outside the measurement), and invalidations that find
//! the caches already empty.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use vtd_model::program::{
    self, Format, InvalidationQueue, LegacyTables, MapFlags, PageAlloc, PageTable,
};
use vtd_model::qi::descriptor::IotlbGranularity;
use vtd_model::qi::{Descriptor, Width};
use vtd_model::regs::{offset as o, presets};
use vtd_model::{Request, SparseMemory, Unit, UnitConfig};

const DEV: u16 = 0x0008;
/// Descriptors per tail write: 64 invalidation + wait pairs in a 256-entry ring.
const BATCH: u64 = 128;

fn rig() -> (Unit, SparseMemory, InvalidationQueue) {
    let mut mem = SparseMemory::new(1 << 32);
    let mut unit = Unit::new(UnitConfig {
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
    program::enable(&mut unit, &mut mem, tables.root, false);
    // Fill the IOTLB so that invalidations find something.
    for p in 0..64u64 {
        unit.translate(&mem, &Request::read(DEV, p << 12)).unwrap();
    }
    let mut q = InvalidationQueue::new(&mut mem, &mut alloc, 0, Width::Bits128).unwrap();
    q.enable(&mut unit, &mut mem);
    for i in 0..q.entries() / 2 {
        let psi = Descriptor::Iotlb {
            did: 1,
            granularity: IotlbGranularity::Page {
                addr: (i % 64) << 12,
                am: 0,
                ih: false,
            },
            drain_reads: false,
            drain_writes: true,
        };
        let wait = Descriptor::Wait {
            interrupt: false,
            status: Some((q.status, 1)),
            fence: false,
            page_drain: false,
        };
        q.push(&mut mem, &psi).unwrap();
        q.push(&mut mem, &wait).unwrap();
    }
    (unit, mem, q)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("qi");
    g.throughput(Throughput::Elements(BATCH));
    let (base, mut mem, q) = rig();
    g.bench_function(
        "iotlb page invalidation + wait, hitting cached entries",
        |b| {
            b.iter_batched(
                || base.clone(),
                |mut unit| {
                    unit.mmio_write(&mut mem, o::IQT, 8, black_box(BATCH * 16))
                        .unwrap();
                    unit
                },
                BatchSize::SmallInput,
            )
        },
    );
    let mut unit = base;
    let entries = q.entries();
    let mut tail = 0u64;
    g.bench_function("iotlb page invalidation + wait, caches empty", |b| {
        b.iter(|| {
            tail = (tail + BATCH) % entries;
            unit.mmio_write(&mut mem, o::IQT, 8, black_box(tail * 16))
                .unwrap();
        })
    });
    assert_eq!(unit.mmio_read(o::IQH, 8).unwrap(), tail * 16);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

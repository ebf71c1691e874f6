//! The simulator against pcie-bench (SIGCOMM'18 §6.4). The walkers in flight are
//! calibrated on the 64 MiB drop for 64 B reads (`experiments::WALKERS`); everything
//! else here is an output of the model's cache geometry and its published costs, held
//! to the published figures: a point within 10% of it, a range by its bounds.

use vtd_benches::sim::experiments::{self, drop, knee, window_sweep};
use vtd_benches::sim::PageSize;

fn within(value: f64, point: f64, tolerance: f64) -> bool {
    (value - point).abs() <= tolerance * point
}

#[test]
fn four_kib_pages_drop_about_65_percent_for_64_byte_reads_at_64_mib() {
    let s = window_sweep(PageSize::Small, 64, 32);
    let d = drop(&s);
    assert!(within(d, 0.65, 0.10), "drop {:.1}%", 100.0 * d);
}

#[test]
fn the_knee_sits_at_64_to_130_effective_iotlb_entries() {
    let s = window_sweep(PageSize::Small, 64, 32);
    let entries = knee(&s) / 4096;
    assert!((64..=130).contains(&entries), "knee at {entries} entries");
    // And it is a knee: the next window is clearly slower.
    let next = s
        .iter()
        .find(|(w, _)| *w == knee(&s) * 2)
        .map(|(_, r)| r.gbps);
    assert!(next.is_some_and(|g| g < 0.9 * s[0].1.gbps));
}

#[test]
fn two_mib_pages_remove_the_penalty() {
    let s = window_sweep(PageSize::Large, 64, 32);
    assert!(drop(&s) < 0.05, "drop {:.1}%", 100.0 * drop(&s));
}

#[test]
fn an_iotlb_miss_adds_230_to_300_ns_to_a_lone_request() {
    // One request at a time: the latency difference between a window the IOTLB covers
    // and one it cannot is the miss penalty pcie-bench measures.
    let s = window_sweep(PageSize::Small, 64, 1);
    let small = s.first().map(|(_, r)| r.mean_ns).unwrap_or_default();
    let large = s.last().map(|(_, r)| r.mean_ns).unwrap_or_default();
    let penalty = large - small;
    assert!(
        (230.0..=300.0).contains(&penalty),
        "miss penalty {penalty:.0} ns"
    );
}

#[test]
fn the_calibrated_walkers_are_what_the_experiments_use() {
    assert_eq!(experiments::timing().walkers, experiments::WALKERS);
}

/// SOSP'24: 1.3–2.2 IOTLB misses per 4 KiB under Linux's allocator. An output of the
/// receive buffers' layout (Linux's 66-byte headroom), the ring and the caches, in
/// both invalidation modes, at the jumbo MTUs; at MTU 1500 a packet takes a page of
/// its own and the count is higher (reported, not claimed).
#[test]
fn a_linux_receive_ring_misses_1_3_to_2_2_times_per_4_kib_at_jumbo_mtus() {
    use vtd_benches::sim::ring::{self, Mode, RingConfig};
    for mtu in [4096, 9000] {
        for mode in [Mode::Lazy, Mode::Strict] {
            let r = ring::run(&RingConfig::linux(mtu, mode), &experiments::timing());
            let m = r.misses_per_4k();
            assert!(
                (1.3..=2.2).contains(&m),
                "MTU {mtu} {mode:?}: {m:.2} misses per 4 KiB"
            );
        }
    }
}

/// The structure the strict-vs-lazy comparison rests on: the device's DMA path costs
/// about the same in both modes (Linux's invalidation hint keeps the paging-structure
/// caches; lazy mode's periodic domain flush costs the device a little: ~1%), strict
/// is never better than that, and enough driver cores hide the invalidation waits.
#[test]
fn strict_costs_driver_time_not_device_time() {
    use vtd_benches::sim::ring::{self, Mode, RingConfig};
    for mtu in [1500, 4096, 9000] {
        let lazy = ring::run(&RingConfig::linux(mtu, Mode::Lazy), &experiments::timing());
        let strict = ring::run(
            &RingConfig::linux(mtu, Mode::Strict),
            &experiments::timing(),
        );
        assert!(within(strict.device_ns, lazy.device_ns, 0.05), "MTU {mtu}");
        for cores in [1, 2, 4, 8] {
            assert!(strict.with_cores(cores).gbit <= lazy.with_cores(cores).gbit * 1.02);
        }
        assert!(strict.with_cores(1).gbit < 0.5 * lazy.with_cores(1).gbit);
        assert!(within(
            strict.with_cores(16).gbit,
            lazy.with_cores(16).gbit,
            0.05
        ));
    }
}

/// The IOTLB wall's mechanism (PeerJ CS 2023): when the unit's walkers cannot keep
/// up with a 200 Gbit/s NIC's misses, 4 KiB buffers lose throughput and 2 MiB buffers
/// recover all of it. With pcie-bench's calibration (6 walkers) the unit keeps up and
/// nothing is lost (reported, not claimed as the published 20%); with 1 walker, the
/// wall appears.
#[test]
fn hugepage_buffers_recover_the_iotlb_wall() {
    use vtd_benches::sim::wall::{self, WallConfig};
    use vtd_benches::sim::{engine, Rig};
    let c = WallConfig {
        packets: 50_000,
        ..WallConfig::testbed(1500, PageSize::Small)
    };
    let one_walker = vtd_model::timing::TimingModel {
        walkers: 1,
        ..experiments::timing()
    };
    let run = |pages| {
        let c = WallConfig { pages, ..c };
        let (reqs, window) = wall::requests(&c);
        let mut rig = Rig::new(window, pages, experiments::caches());
        engine::replay(
            &mut rig,
            &reqs,
            reqs.len() / 2,
            &wall::nic_200g(),
            &one_walker,
        )
    };
    let (small, large) = (run(PageSize::Small), run(PageSize::Large));
    let d = 1.0 - small.gbps / large.gbps;
    assert!(d > 0.1, "one walker: drop {:.1}%", 100.0 * d);
    assert!(
        large.gbps * 8.0 > 190.0,
        "2 MiB buffers run at line rate: {:.1}",
        large.gbps * 8.0
    );
    let (_, _, calibrated) = wall::drop(1500);
    assert!(
        calibrated < 0.02,
        "calibrated walkers keep up: {:.1}%",
        100.0 * calibrated
    );
}

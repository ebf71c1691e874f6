//! `hot KIND N`: N operations of one hot path, for instruction counting under
//! callgrind (`benches/callgrind.sh` runs it twice and takes the difference, so the
//! setup cancels out). KIND: iotlb-hit, superpage-hit, walk, sim-replay.

use std::hint::black_box;
use vtd_benches::sim::{engine, experiments, workload, PageSize, Pattern, Rig};
use vtd_model::cache::{CacheConfig, Geometry};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().map(String::as_str).unwrap_or("");
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    match kind {
        "iotlb-hit" | "superpage-hit" | "walk" => {
            let (pages, caches, window) = match kind {
                "iotlb-hit" => (PageSize::Small, CacheConfig::default(), 64u64 << 12),
                "superpage-hit" => (PageSize::Large, CacheConfig::default(), 2 << 20),
                _ => (
                    PageSize::Small,
                    CacheConfig {
                        iotlb: Geometry::new(0, 0),
                        paging: Geometry::new(0, 0),
                        ..CacheConfig::default()
                    },
                    64 << 12,
                ),
            };
            let mut rig = Rig::new(window, pages, caches);
            // 4 KiB steps: 64 small pages, or 64 places in one 2 MiB page.
            let step = 4096u64;
            for i in 0..64 {
                let _ = rig.translate((i * step) % window, false);
            }
            for i in 0..n {
                black_box(
                    rig.translate(black_box((i & 63) * step % window), false)
                        .is_ok(),
                );
            }
        }
        "sim-replay" => {
            let reqs = workload::generate(
                Pattern::Random { seed: 1 },
                256 << 10,
                64,
                false,
                n as usize,
            );
            let mut rig = Rig::new(256 << 10, PageSize::Small, experiments::caches());
            black_box(engine::replay(
                &mut rig,
                &reqs,
                0,
                &experiments::pcie_bench_device(),
                &experiments::timing(),
            ));
        }
        _ => {
            eprintln!("usage: hot iotlb-hit|superpage-hit|walk|sim-replay N");
            return std::process::ExitCode::from(2);
        }
    }
    std::process::ExitCode::SUCCESS
}

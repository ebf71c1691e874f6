//! `sim`: replay DMA through the model and print throughput, latency and IOTLB misses.
//!
//! `cargo run --release -p vtd-benches --bin sim -- pcie-bench` runs the pcie-bench
//! window sweep; `sim trace FILE` replays a trace (`r|w ADDRESS LENGTH` per line).

use std::process::ExitCode;
use vtd_benches::report::human;
use vtd_benches::sim::{self, experiments, PageSize};

fn usage() -> ExitCode {
    eprintln!("usage: sim pcie-bench [SIZE] | sim trace FILE [--large-pages]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("pcie-bench") => {
            let size: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(64);
            for (pages, name) in [
                (PageSize::Small, "4 KiB pages"),
                (PageSize::Large, "2 MiB pages"),
            ] {
                let sweep =
                    experiments::window_sweep(pages, size, experiments::pcie_bench_device().tags);
                println!("{size} B random reads, {name}:");
                println!(
                    "{:>10} {:>9} {:>9} {:>9} {:>12}",
                    "window", "GB/s", "mean ns", "p99 ns", "misses/KiB"
                );
                for (w, r) in &sweep {
                    println!(
                        "{:>10} {:>9.3} {:>9.0} {:>9.0} {:>12.3}",
                        human(*w),
                        r.gbps,
                        r.mean_ns,
                        r.p99_ns,
                        r.misses_per_kib()
                    );
                }
                println!(
                    "knee at {}, drop at {} {:.1}%\n",
                    human(experiments::knee(&sweep)),
                    human(sweep.last().map_or(0, |x| x.0)),
                    100.0 * experiments::drop(&sweep)
                );
            }
            ExitCode::SUCCESS
        }
        Some("ring") => {
            use vtd_benches::sim::ring::{self, Mode, RingConfig};
            println!(
                "{:>7} {:>7} {:>10} {:>10} {:>9} {:>9}",
                "packet", "mode", "misses/4K", "reads/pkt", "ns/pkt", "Gbit/s"
            );
            for packet in [64u32, 512, 1500, 4096, 9000] {
                let mut gbit = [0.0; 2];
                for (k, mode) in [Mode::Lazy, Mode::Strict].into_iter().enumerate() {
                    let c = RingConfig {
                        packet,
                        packets: 20_000,
                        ring: 256,
                        mode,
                        flush_every: 256,
                        l0_ns: 65.0,
                        invalidation_ns: 2000.0,
                    };
                    let r = ring::run(&c, &experiments::timing());
                    gbit[k] = r.gbit;
                    println!(
                        "{:>7} {:>7} {:>10.2} {:>10.2} {:>9.0} {:>9.2}",
                        packet,
                        format!("{mode:?}"),
                        r.misses_per_4k(packet),
                        r.reads as f64 / r.packets as f64,
                        r.ns_per_packet,
                        r.gbit
                    );
                }
                println!(
                    "{:>7} strict loss {:.0}%",
                    "",
                    100.0 * (1.0 - gbit[1] / gbit[0])
                );
            }
            ExitCode::SUCCESS
        }
        Some("trace") => {
            let Some(path) = args.get(1) else {
                return usage();
            };
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("sim: {path}: {e}");
                    return ExitCode::from(2);
                }
            };
            let reqs = match sim::workload::parse_trace(&text) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("sim: {path}: {e}");
                    return ExitCode::from(2);
                }
            };
            let window = reqs
                .iter()
                .map(|r| r.addr + u64::from(r.len))
                .max()
                .unwrap_or(4096);
            let pages = if args.iter().any(|a| a == "--large-pages") {
                PageSize::Large
            } else {
                PageSize::Small
            };
            let mut rig = sim::Rig::new(window, pages, Default::default());
            let r = sim::engine::replay(
                &mut rig,
                &reqs,
                0,
                &experiments::pcie_bench_device(),
                &experiments::timing(),
            );
            println!(
                "{} requests, {} bytes: {:.3} GB/s, mean {:.0} ns, p50 {:.0} ns, p99 {:.0} ns, {} IOTLB misses ({:.3}/KiB), {} walk reads, {} faults",
                r.requests, r.bytes, r.gbps, r.mean_ns, r.p50_ns, r.p99_ns, r.misses, r.misses_per_kib(), r.walk_reads, r.faults
            );
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}

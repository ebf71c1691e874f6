//! `sim`: replay DMA through the model and print throughput, latency and IOTLB misses.
//!
//! `cargo run --release -p vtd-benches --bin sim -- pcie-bench` runs the pcie-bench
//! window sweep; `sim ring` the SOSP'24 receive ring (strict vs lazy); `sim trace FILE`
//! replays a trace (`r|w ADDRESS LENGTH` per line).

use std::process::ExitCode;
use vtd_benches::report::human;
use vtd_benches::sim::{self, experiments, PageSize};

const USAGE: &str = "\
usage: sim pcie-bench [SIZE]          pcie-bench's window sweep (SIZE-byte random reads, default 64)
       sim ring                       a Linux receive ring, strict vs lazy invalidation (SOSP'24)
       sim wall                       a 200 Gbit/s NIC on 32 queues, 4 KiB vs 2 MiB buffers (IOTLB wall)
       sim trace FILE [--large-pages] [--timing PRESET]
                                      replay FILE: one `r|w ADDRESS LENGTH` per line
PRESET: sosp24, pcie-bench (default), instant";

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
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
                "{:>5} {:>7} {:>10} {:>10} {:>10} {:>8} {:>28}",
                "MTU",
                "mode",
                "misses/4K",
                "reads/pkt",
                "device ns",
                "cpu ns",
                "Gbit/s with 1 2 4 8 cores"
            );
            for mtu in [1500u32, 4096, 9000] {
                for mode in [Mode::Lazy, Mode::Strict] {
                    let r = ring::run(&RingConfig::linux(mtu, mode), &experiments::timing());
                    let by_cores: Vec<String> = [1, 2, 4, 8]
                        .iter()
                        .map(|&n| format!("{:6.1}", r.with_cores(n).gbit))
                        .collect();
                    println!(
                        "{:>5} {:>7} {:>10.2} {:>10.2} {:>10.0} {:>8.0} {:>28}",
                        mtu,
                        format!("{mode:?}"),
                        r.misses_per_4k(),
                        r.reads_per_packet(),
                        r.device_ns,
                        r.cpu_ns,
                        by_cores.join(" ")
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Some("wall") => {
            use vtd_benches::sim::wall;
            println!(
                "{:>5} {:>12} {:>12} {:>10} {:>12} {:>8}",
                "MTU", "Gbit/s 4K", "Gbit/s 2M", "drop", "misses/MiB", "reads/miss"
            );
            for mtu in [1500u32, 3000, 4500, 9000] {
                let (s, l, d) = wall::drop(mtu);
                println!(
                    "{:>5} {:>12.1} {:>12.1} {:>9.1}% {:>12.1} {:>8.2}",
                    mtu,
                    s.gbps * 8.0,
                    l.gbps * 8.0,
                    100.0 * d,
                    s.misses as f64 * 1024.0 * 1024.0 / s.bytes.max(1) as f64,
                    s.walk_reads as f64 / s.misses.max(1) as f64
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
            let timing = match args.iter().position(|a| a == "--timing") {
                None => experiments::timing(),
                Some(i) => match args
                    .get(i + 1)
                    .and_then(|n| vtd_model::timing::TimingModel::preset(n))
                {
                    Some(t) => t,
                    None => {
                        eprintln!(
                            "sim: --timing takes one of {}",
                            vtd_model::timing::TimingModel::PRESETS.join(", ")
                        );
                        return ExitCode::from(2);
                    }
                },
            };
            let mut rig = sim::Rig::new(window, pages, experiments::caches());
            let r = sim::engine::replay(
                &mut rig,
                &reqs,
                0,
                &experiments::pcie_bench_device(),
                &timing,
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

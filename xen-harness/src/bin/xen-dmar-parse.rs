//! `xen-dmar-parse TABLE [--verbose] [--force] [--bring-up[=IOMMU_OPTION]]`: parse one
//! DMAR table with Xen 4.17's `dmar.c` and print the verdict as JSON (`ret`, `log`,
//! the units kept). With `--bring-up`, an accepted table is then brought up on the
//! model by Xen's `qinval.c` and `intremap.c` with the features of the `iommu=` value
//! (e.g. `--bring-up=force,no-intremap`). One table per process: dmar.c keeps state.

use std::process::ExitCode;

const USAGE: &str = "usage: xen-dmar-parse TABLE [--verbose] [--force] [--bring-up[=IOMMU_OPTION]]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if let Err(e) = xen_harness::available() {
        eprintln!("xen-dmar-parse: {e}");
        return ExitCode::from(2);
    }
    let table = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("xen-dmar-parse: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let bring_up = args.iter().find_map(|a| {
        a.strip_prefix("--bring-up")
            .map(|rest| rest.strip_prefix('=').unwrap_or(rest).to_string())
    });
    run(
        &table,
        args.iter().any(|a| a == "--verbose"),
        args.iter().any(|a| a == "--force"),
        bring_up.as_deref(),
    )
}

#[cfg(not(xen_missing))]
fn run(table: &[u8], verbose: bool, force: bool, bring_up: Option<&str>) -> ExitCode {
    use xen_harness::bringup::{Features, Session};
    let mut s = match Session::open(table, verbose, force) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("xen-dmar-parse: {e}");
            return ExitCode::from(2);
        }
    };
    let (ret, log) = s.parse.clone();
    let up = match bring_up {
        Some(option) if ret == 0 => Some(s.bring_up(Features::from_iommu_option(option))),
        _ => None,
    };
    let v = xen_harness::Verdict {
        ret,
        log,
        over_read: false,
        drhds: s
            .units
            .iter()
            .filter(|u| u.0 == 0)
            .map(|u| (u.1, u.2 != 0, u.3))
            .collect(),
        rmrrs: s
            .units
            .iter()
            .filter(|u| u.0 == 1)
            .map(|u| (u.1, u.2, u.3))
            .collect(),
        bring_up: up,
    };
    println!("{}", serde_json::to_string(&v).unwrap_or_default());
    ExitCode::SUCCESS
}

#[cfg(xen_missing)]
fn run(_: &[u8], _: bool, _: bool, _: Option<&str>) -> ExitCode {
    ExitCode::from(2)
}

//! `xen-dmar-parse TABLE [--verbose] [--force]`: parse one DMAR table with Xen 4.17's
//! `dmar.c` and print `{"ret": N, "log": [...]}`. One table per process.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: xen-dmar-parse TABLE [--verbose] [--force]");
        return std::process::ExitCode::from(2);
    };
    if let Err(e) = xen_harness::available() {
        eprintln!("xen-dmar-parse: {e}");
        return std::process::ExitCode::from(2);
    }
    let table = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("xen-dmar-parse: {path}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    run(
        &table,
        args.iter().any(|a| a == "--verbose"),
        args.iter().any(|a| a == "--force"),
    )
}

#[cfg(not(xen_missing))]
fn run(table: &[u8], verbose: bool, force: bool) -> std::process::ExitCode {
    let (ret, log, units) = xen_harness::ffi::parse_in_process_units(table, verbose, force);
    let v = xen_harness::Verdict {
        ret,
        log,
        over_read: false,
        drhds: units
            .iter()
            .filter(|u| u.0 == 0)
            .map(|u| (u.1, u.2 != 0, u.3))
            .collect(),
        rmrrs: units
            .iter()
            .filter(|u| u.0 == 1)
            .map(|u| (u.1, u.2, u.3))
            .collect(),
    };
    println!("{}", serde_json::to_string(&v).unwrap_or_default());
    std::process::ExitCode::SUCCESS
}

#[cfg(xen_missing)]
fn run(_: &[u8], _: bool, _: bool) -> std::process::ExitCode {
    std::process::ExitCode::from(2)
}

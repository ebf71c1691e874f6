//! `report`: write reports/perf.md and its plots (run `cargo bench -p vtd-benches`
//! first for the bench table).

fn main() -> std::process::ExitCode {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "reports".into()));
    let criterion = std::path::PathBuf::from(
        std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()),
    )
    .join("criterion");
    match vtd_benches::report::write(&out, &criterion) {
        Ok(_) => {
            eprintln!("wrote {}/perf.md and its plots", out.display());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("report: {}: {e}", out.display());
            std::process::ExitCode::from(2)
        }
    }
}

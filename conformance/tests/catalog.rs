//! The whole catalog on every backend: `cargo test -p vtd-conformance`.
//!
//! The model always runs. QEMU runs when `qemu-system-x86_64` (or `VTD_QEMU`) is
//! there; when it is not, the test says so and skips, unless `VTD_REQUIRE_QEMU=1`
//! (set by `.ci/run`), which makes a missing QEMU a failure.

use vtd_conformance::backend::model::ModelBackend;
use vtd_conformance::backend::qemu::QemuBackend;
use vtd_conformance::{catalog, run_all, Backend, Outcome, Status};

fn report(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    for o in outcomes {
        if let Status::Fail { failure } = &o.status {
            s.push_str(&format!("\n  {} on {}: {failure}", o.scenario, o.backend));
        }
    }
    s
}

fn run_on(b: &dyn Backend) -> Vec<Outcome> {
    let filter = std::env::var("VTD_FILTER").unwrap_or_default();
    let scenarios = catalog::filtered(&filter);
    run_all(&scenarios, &[b], &|_| {})
}

#[test]
fn catalog_passes_on_the_model() {
    let out = run_on(&ModelBackend);
    let failed: Vec<_> = out.iter().filter(|o| o.failed()).cloned().collect();
    assert!(
        failed.is_empty(),
        "{} of {} scenarios failed on the model:{}",
        failed.len(),
        out.len(),
        report(&failed)
    );
}

#[test]
fn catalog_passes_on_qemu() {
    let required = std::env::var("VTD_REQUIRE_QEMU").is_ok_and(|v| v == "1");
    let qemu = match QemuBackend::detect() {
        Ok(q) => q,
        Err(e) if !required => {
            eprintln!("SKIPPED catalog_passes_on_qemu: {e} (set VTD_REQUIRE_QEMU=1 to make this a failure)");
            return;
        }
        Err(e) => panic!("VTD_REQUIRE_QEMU=1 but QEMU is unusable: {e}"),
    };
    let out = run_on(&qemu);
    let failed: Vec<_> = out.iter().filter(|o| o.failed()).cloned().collect();
    assert!(
        failed.is_empty(),
        "{} of {} scenarios failed on {}:{}",
        failed.len(),
        out.len(),
        qemu.version,
        report(&failed)
    );
}

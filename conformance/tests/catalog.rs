//! The whole catalog on every backend: `cargo test -p vtd-conformance`.
//!
//! The model always runs. QEMU runs when `qemu-system-x86_64` (or `VTD_QEMU`) is
//! there; when it is not, the test says so and skips, unless `VTD_REQUIRE_QEMU=1`
//! (set by `.ci/run`), which makes a missing QEMU a failure. With both backends the
//! committed matrix, `reports/conformance.md` and `.json`, must be what a fresh run
//! writes (`vtd conformance -b all` regenerates it).

use std::sync::OnceLock;
use vtd_conformance::backend::model::ModelBackend;
use vtd_conformance::backend::qemu::QemuBackend;
use vtd_conformance::report::{BackendInfo, Report};
use vtd_conformance::{catalog, run_all, Backend, Outcome, Status};

fn failures(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    for o in outcomes.iter().filter(|o| o.failed()) {
        if let Status::Fail { failure } = &o.status {
            s.push_str(&format!("\n  {} on {}: {failure}", o.scenario, o.backend));
        }
    }
    s
}

fn filter() -> String {
    std::env::var("VTD_FILTER").unwrap_or_default()
}

fn run_on(b: &dyn Backend) -> Vec<Outcome> {
    run_all(&catalog::filtered(&filter()), &[b], &|_| {})
}

fn model() -> &'static Vec<Outcome> {
    static M: OnceLock<Vec<Outcome>> = OnceLock::new();
    M.get_or_init(|| run_on(&ModelBackend))
}

/// QEMU's outcomes and version, or why QEMU did not run (None: skipped).
fn qemu() -> &'static Option<(Vec<Outcome>, String)> {
    static Q: OnceLock<Option<(Vec<Outcome>, String)>> = OnceLock::new();
    Q.get_or_init(|| {
        let required = std::env::var("VTD_REQUIRE_QEMU").is_ok_and(|v| v == "1");
        match QemuBackend::detect() {
            Ok(q) => Some((run_on(&q), q.version())),
            Err(e) if !required => {
                eprintln!("SKIPPED: the QEMU backend: {e} (set VTD_REQUIRE_QEMU=1 to make this a failure)");
                None
            }
            Err(e) => panic!("VTD_REQUIRE_QEMU=1 but QEMU is unusable: {e}"),
        }
    })
}

#[test]
fn catalog_passes_on_the_model() {
    let out = model();
    let n = out.iter().filter(|o| o.failed()).count();
    assert!(
        n == 0,
        "{n} of {} scenarios failed on the model:{}",
        out.len(),
        failures(out)
    );
}

#[test]
fn catalog_passes_on_qemu() {
    let Some((out, version)) = qemu() else {
        eprintln!("SKIPPED catalog_passes_on_qemu: no QEMU");
        return;
    };
    let n = out.iter().filter(|o| o.failed()).count();
    assert!(
        n == 0,
        "{n} of {} scenarios failed on {version}:{}",
        out.len(),
        failures(out)
    );
    // QEMU really ran: most scenarios are not declined.
    let ran = out
        .iter()
        .filter(|o| !matches!(o.status, Status::NotRun { .. }))
        .count();
    assert!(ran * 2 > out.len(), "QEMU ran only {ran} of {}", out.len());
}

/// The report without its backend version lines (which name the QEMU build).
fn comparable(s: &str) -> String {
    s.lines()
        .filter(|l| !l.starts_with("- **") && !l.trim_start().starts_with("\"version\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn committed_report_is_current() {
    if !filter().is_empty() {
        eprintln!("SKIPPED committed_report_is_current: VTD_FILTER is set");
        return;
    }
    let Some((q, qv)) = qemu() else {
        eprintln!("SKIPPED committed_report_is_current: the committed report needs QEMU");
        return;
    };
    let m = model();
    let outcomes: Vec<Outcome> = m.iter().chain(q.iter()).cloned().collect();
    let report = Report::new(
        &catalog::all(),
        &outcomes,
        vec![
            BackendInfo {
                name: "model",
                version: ModelBackend.version(),
            },
            BackendInfo {
                name: "qemu",
                version: qv.clone(),
            },
        ],
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports");
    for (file, fresh) in [
        ("conformance.md", report.markdown()),
        ("conformance.json", report.json() + "\n"),
    ] {
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            comparable(&committed) == comparable(&fresh),
            "reports/{file} is stale: regenerate it with `cargo run -p vtd-cli -- conformance -b all`"
        );
    }
}

/// The model backend gives QEMU-configured scenarios the VER/CAP/ECAP that
/// `backend::qemu_caps` computes; every unit configuration the catalog uses must read
/// back the same from a running QEMU.
#[test]
fn qemu_caps_match_a_running_qemu_for_every_configuration_used() {
    use vtd_conformance::backend::qemu_caps;
    use vtd_conformance::scenario::{Config, Hardware};
    if qemu().is_none() {
        eprintln!("SKIPPED qemu_caps_match_a_running_qemu_for_every_configuration_used: no QEMU");
        return;
    }
    let Ok(q) = QemuBackend::detect() else {
        return;
    };
    let mut configs: Vec<Config> = Vec::new();
    for s in catalog::all() {
        if s.config.hardware == Hardware::Qemu
            && !configs.iter().any(|c| c.unit == s.config.unit)
            && q.supports(&s).is_ok()
        {
            configs.push(s.config);
        }
    }
    assert!(configs.len() >= 4, "only {} configurations", configs.len());
    for c in &configs {
        let mut sess = q.open(c).expect("QEMU starts");
        let (ver, cap, ecap) = qemu_caps(&c.unit);
        let seen = (
            sess.mmio_read(0, 4).unwrap() as u32,
            sess.mmio_read(8, 8).unwrap(),
            sess.mmio_read(0x10, 8).unwrap(),
        );
        assert_eq!(seen, (ver, cap, ecap), "{:?}", c.unit);
    }
}

#[test]
fn irr_is_parsed_from_info_lapic() {
    use vtd_conformance::backend::qemu::parse_irr;
    let info = "dumping local APIC state for CPU 0\n\nLVT0\t 0x00010700 active-hi edge  masked\nISR\t (none)\nIRR\t 65 120\n";
    assert_eq!(parse_irr(info), vec![65, 120]);
    assert_eq!(parse_irr("IRR\t (none)\n"), Vec::<u8>::new());
    assert_eq!(parse_irr("nothing"), Vec::<u8>::new());
}

//! `vtd conformance`: run the scenario catalog on the model and QEMU's VT-d and write
//! the conformance matrix.

use crate::exit;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use vtd_conformance::backend::model::ModelBackend;
use vtd_conformance::backend::qemu::QemuBackend;
use vtd_conformance::report::{BackendInfo, Report};
use vtd_conformance::{catalog, coverage, deviation, run_all, Backend, Outcome, Status};

/// Run the VT-d conformance scenarios and write the conformance matrix.
#[derive(Args, Debug)]
#[command(after_long_help = AFTER)]
pub struct ConformanceArgs {
    /// Where to run: the model (in process, always there), QEMU's intel-iommu over qtest
    /// (needs qemu-system-x86_64, or VTD_QEMU=/path), or both.
    #[arg(long, short, value_enum, default_value_t = Which::Model)]
    pub backend: Which,

    /// Only the scenarios whose id contains this (e.g. `qi-`, `ir-fault`, `driver-`).
    #[arg(long, short, default_value = "")]
    pub filter: String,

    /// What to print: a summary for people, or the whole report as JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Directory for the report files.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,

    /// Do not write report files.
    #[arg(long)]
    pub no_write: bool,

    /// Print the whole coverage table, not only its summary.
    #[arg(long)]
    pub coverage: bool,

    /// List the scenarios (id, area, what each checks) and exit.
    #[arg(long)]
    pub list: bool,

    /// Run one scenario and print every step with what the backend answered.
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,
}

/// Backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Which {
    /// The vtd model, in process.
    Model,
    /// QEMU's intel-iommu over qtest.
    Qemu,
    /// Both: the committed matrix, reports/conformance.md.
    All,
}

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// A summary: the matrix, the failures, the deviations used, coverage.
    Text,
    /// The report as JSON on stdout.
    Json,
}

const AFTER: &str = "\
Each scenario is a program of register, memory, PCI, DMA and interrupt steps with the
value every read must return (or a driver boot with its verdict). A backend passes a
scenario when every observation matches; it may differ only by naming a documented
deviation (see the Deviations table in the report).

Files: `--backend all` writes reports/conformance.md and reports/conformance.json, the
matrix committed in the repository; a single backend writes
reports/conformance-BACKEND.{md,json}, so a quick model run does not overwrite it.

Exit status: 0 every scenario passed (or passed through a named deviation), 1 a
scenario failed, 2 a backend is missing or a file could not be written.

Examples:
  vtd conformance                               the catalog on the model
  vtd conformance -b all                        model and QEMU, regenerate the matrix
  vtd conformance -b qemu -f qi-                the queued-invalidation scenarios on QEMU
  vtd conformance --trace dma-fault-0x05-write-permission -b qemu";

fn backends(which: Which) -> Result<Vec<Box<dyn Backend>>, String> {
    let mut v: Vec<Box<dyn Backend>> = Vec::new();
    if which != Which::Qemu {
        v.push(Box::new(ModelBackend));
    }
    if which != Which::Model {
        let q = QemuBackend::detect().map_err(|e| e.to_string())?;
        v.push(Box::new(q));
    }
    Ok(v)
}

fn info(b: &dyn Backend) -> BackendInfo {
    BackendInfo {
        name: b.name(),
        version: b.version(),
    }
}

/// Run the command.
pub fn run(args: ConformanceArgs) -> Result<u8, String> {
    let scenarios = catalog::filtered(&args.filter);
    if args.list {
        for s in &scenarios {
            println!("{:<52} {:<13} {}", s.id, s.area.name(), s.intent);
        }
        return Ok(exit::OK);
    }
    if scenarios.is_empty() {
        eprintln!(
            "vtd: no scenario id contains {:?} (`vtd conformance --list` lists them)",
            args.filter
        );
        return Ok(exit::INPUT);
    }
    let backends = match backends(args.backend) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("vtd: {e}");
            return Ok(exit::INPUT);
        }
    };
    if let Some(id) = &args.trace {
        return Ok(trace(id, &scenarios, &backends));
    }
    let refs: Vec<&dyn Backend> = backends.iter().map(|b| b.as_ref()).collect();
    let bar = ProgressBar::new((scenarios.len() * refs.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} scenarios, {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let outcomes = run_all(&scenarios, &refs, &|o: &Outcome| {
        if o.failed() {
            let n = failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            bar.set_message(format!("{n} failed"));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    let report = Report::new(
        &scenarios,
        &outcomes,
        refs.iter().map(|b| info(*b)).collect(),
    );
    match args.format {
        Format::Json => println!("{}", report.json()),
        Format::Text => print!("{}", summary(&report, &outcomes, args.coverage)),
    }
    if !args.no_write {
        let stem = match args.backend {
            Which::All => "conformance".to_string(),
            Which::Model | Which::Qemu => {
                format!("conformance-{}", refs.first().map_or("model", |x| x.name()))
            }
        };
        if let Err(e) = write(&args.out, &stem, &report) {
            eprintln!("vtd: {e}");
            return Ok(exit::INPUT);
        }
        eprintln!(
            "wrote {0}/{stem}.md and {0}/{stem}.json",
            args.out.display()
        );
    }
    Ok(if outcomes.iter().any(Outcome::failed) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn write(dir: &Path, stem: &str, report: &Report) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (ext, text) in [("md", report.markdown()), ("json", report.json() + "\n")] {
        let p = dir.join(format!("{stem}.{ext}"));
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

fn trace(id: &str, scenarios: &[vtd_conformance::Scenario], backends: &[Box<dyn Backend>]) -> u8 {
    let Some(s) = scenarios.iter().find(|s| s.id == id) else {
        eprintln!("vtd: no scenario {id:?} (`vtd conformance --list` lists them)");
        return exit::INPUT;
    };
    println!(
        "{} [{}] {}\n  spec: {}",
        s.id,
        s.area.name(),
        s.intent,
        s.spec
    );
    let mut code = exit::OK;
    for b in backends {
        println!("\non {}:", b.name());
        for l in vtd_conformance::run::trace(s, b.as_ref()) {
            println!("  {l}");
        }
        let o = vtd_conformance::run(s, b.as_ref());
        println!("  => {}", status_word(&o.status));
        if o.failed() {
            code = exit::FINDINGS;
        }
    }
    code
}

fn status_word(s: &Status) -> String {
    match s {
        Status::Pass => "pass".into(),
        Status::Deviation { ids } => format!("pass through deviation {}", ids.join(", ")),
        Status::Fail { failure } => format!("FAIL: {failure}"),
        Status::NotRun { id } => format!("not run: {id}"),
    }
}

/// The text summary: matrix, failures, deviations used, coverage.
fn summary(report: &Report, outcomes: &[Outcome], full_coverage: bool) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let names: Vec<&str> = report.backends.iter().map(|b| b.name).collect();
    let _ = writeln!(s, "{:<14} {:>9}  {}", "area", "scenarios", cols(&names));
    for (area, n, cells) in report.rows() {
        let _ = writeln!(s, "{:<14} {:>9}  {}", area, n, cols(&cells));
    }
    let totals: Vec<String> = names
        .iter()
        .map(|b| report.totals.get(b).map_or("-".into(), |c| c.short()))
        .collect();
    let _ = writeln!(
        s,
        "{:<14} {:>9}  {}",
        "all",
        report.scenarios.len(),
        cols(&totals)
    );
    for b in &report.backends {
        let _ = writeln!(s, "  {}: {}", b.name, b.version);
    }

    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| o.failed()).collect();
    if !failures.is_empty() {
        let _ = writeln!(s, "\nFAILED ({}):", failures.len());
        for o in failures {
            if let Status::Fail { failure } = &o.status {
                let _ = writeln!(s, "  {} on {}\n    {failure}", o.scenario, o.backend);
            }
        }
        let _ = writeln!(
            s,
            "  (`vtd conformance --trace ID -b BACKEND` shows every step of one)"
        );
    }

    let used: Vec<_> = report
        .deviations
        .iter()
        .filter(|d| !d.scenarios.is_empty())
        .collect();
    if !used.is_empty() {
        let _ = writeln!(s, "\nDeviations used ({}):", used.len());
        for d in used {
            let _ = writeln!(
                s,
                "  {:<48} {:>3} scenarios  {}",
                d.deviation.id,
                d.scenarios.len(),
                d.deviation.spec
            );
        }
    }

    let lines = &report.coverage;
    let covered = lines.iter().filter(|l| l.uncovered.is_none()).count();
    let _ = writeln!(
        s,
        "\nCoverage: {covered} of {} items exercised",
        lines.len()
    );
    for group in coverage::GROUPS {
        let g: Vec<_> = lines.iter().filter(|l| l.group == *group).collect();
        let c = g.iter().filter(|l| l.uncovered.is_none()).count();
        let _ = writeln!(s, "  {group:<22} {c:>3} of {:>3}", g.len());
    }
    for l in lines {
        match l.uncovered {
            Some(why) => {
                let _ = writeln!(s, "  uncovered {} {}: {why}", l.group, l.item);
            }
            None if full_coverage => {
                let _ = writeln!(
                    s,
                    "  {:<22} {:<48} {}",
                    l.group,
                    l.item,
                    l.scenarios.join(" ")
                );
            }
            None => {}
        }
    }
    let _ = writeln!(s, "\n{} deviations documented", deviation::ALL.len());
    s
}

fn cols<S: AsRef<str>>(c: &[S]) -> String {
    c.iter()
        .map(|x| format!("{:<34}", x.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end()
        .to_string()
}

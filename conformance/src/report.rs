//! The conformance matrix: `reports/conformance.md` (area × backend, the deviation
//! table, the coverage table, every scenario's result) and `reports/conformance.json`.
//! Both are deterministic (no timings) so the committed report can be compared with a
//! fresh run.

use crate::coverage::{self, Line};
use crate::deviation::{self, Deviation};
use crate::run::{Outcome, Status};
use crate::scenario::{Area, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A backend as the report names it.
#[derive(Debug, Clone, Serialize)]
pub struct BackendInfo {
    /// `model`, `qemu`.
    pub name: &'static str,
    /// What it is, with its version.
    pub version: String,
}

/// Counts for one cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Passed.
    pub pass: usize,
    /// Passed through named deviations.
    pub deviation: usize,
    /// Failed.
    pub fail: usize,
    /// Not run (a named unsupported deviation).
    pub not_run: usize,
}

impl Counts {
    fn add(&mut self, s: &Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Deviation { .. } => self.deviation += 1,
            Status::Fail { .. } => self.fail += 1,
            Status::NotRun { .. } => self.not_run += 1,
        }
    }

    fn cell(&self) -> String {
        self.words("**")
    }

    /// The counts in words, for a terminal: "180 pass, 4 deviation, 1 FAIL".
    pub fn short(&self) -> String {
        self.words("")
    }

    fn words(&self, strong: &str) -> String {
        let mut parts = vec![format!("{} pass", self.pass)];
        if self.deviation > 0 {
            parts.push(format!("{} deviation", self.deviation));
        }
        if self.fail > 0 {
            parts.push(format!("{strong}{} FAIL{strong}", self.fail));
        }
        if self.not_run > 0 {
            parts.push(format!("{} not run", self.not_run));
        }
        parts.join(", ")
    }
}

/// Everything the report says.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The backends that ran.
    pub backends: Vec<BackendInfo>,
    /// Per backend, per area.
    pub matrix: BTreeMap<&'static str, BTreeMap<Area, Counts>>,
    /// Per backend, all areas.
    pub totals: BTreeMap<&'static str, Counts>,
    /// The deviation table, with how many scenarios each one decided per backend run.
    pub deviations: Vec<DeviationUse>,
    /// The coverage table.
    pub coverage: Vec<Line>,
    /// Every scenario with its results.
    pub scenarios: Vec<ScenarioResult>,
}

/// A deviation and its use.
#[derive(Debug, Clone, Serialize)]
pub struct DeviationUse {
    /// The deviation.
    #[serde(flatten)]
    pub deviation: Deviation,
    /// Scenarios it decided (deviation or not run).
    pub scenarios: Vec<String>,
}

/// What the report says of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioSummary {
    /// Id.
    pub id: String,
    /// Area.
    pub area: Area,
    /// What it checks.
    pub intent: String,
    /// The spec sections that decide.
    pub spec: &'static str,
    /// The public test it ports, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<&'static str>,
}

/// One scenario's results (its steps are in the catalog, not in the report).
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The scenario.
    #[serde(flatten)]
    pub scenario: ScenarioSummary,
    /// Backend → status.
    pub results: BTreeMap<&'static str, Status>,
}

impl Report {
    /// Put the outcomes together.
    pub fn new(scenarios: &[Scenario], outcomes: &[Outcome], backends: Vec<BackendInfo>) -> Self {
        let mut matrix: BTreeMap<&'static str, BTreeMap<Area, Counts>> = BTreeMap::new();
        let mut totals: BTreeMap<&'static str, Counts> = BTreeMap::new();
        let mut results: BTreeMap<&str, BTreeMap<&'static str, Status>> = BTreeMap::new();
        let mut uses: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for o in outcomes {
            matrix
                .entry(o.backend)
                .or_default()
                .entry(o.area)
                .or_default()
                .add(&o.status);
            totals.entry(o.backend).or_default().add(&o.status);
            results
                .entry(o.scenario.as_str())
                .or_default()
                .insert(o.backend, o.status.clone());
            let ids: Vec<&str> = match &o.status {
                Status::Deviation { ids } => ids.to_vec(),
                Status::NotRun { id } => vec![id],
                _ => vec![],
            };
            for id in ids {
                let v = uses.entry(id).or_default();
                if !v.contains(&o.scenario) {
                    v.push(o.scenario.clone());
                }
            }
        }
        let ran: Vec<&str> = backends.iter().map(|b| b.name).collect();
        let deviations = deviation::ALL
            .iter()
            .filter(|d| ran.contains(&d.backend))
            .map(|d| DeviationUse {
                deviation: *d,
                scenarios: {
                    let mut s = uses.get(d.id).cloned().unwrap_or_default();
                    s.sort();
                    s
                },
            })
            .collect();
        let coverage = coverage::table(scenarios);
        let scenarios: Vec<ScenarioResult> = scenarios
            .iter()
            .map(|s| ScenarioResult {
                scenario: ScenarioSummary {
                    id: s.id.clone(),
                    area: s.area,
                    intent: s.intent.clone(),
                    spec: s.spec,
                    ports: s.ports,
                },
                results: results.get(s.id.as_str()).cloned().unwrap_or_default(),
            })
            .collect();
        Report {
            matrix,
            totals,
            deviations,
            coverage,
            scenarios,
            backends,
        }
    }

    /// The matrix rows: area, scenario count, one cell per backend (areas without
    /// scenarios left out).
    pub fn rows(&self) -> Vec<(&'static str, usize, Vec<String>)> {
        self.rows_with(Counts::short)
    }

    fn rows_with(&self, cell: fn(&Counts) -> String) -> Vec<(&'static str, usize, Vec<String>)> {
        Area::ALL
            .into_iter()
            .filter_map(|area| {
                let n = self
                    .scenarios
                    .iter()
                    .filter(|r| r.scenario.area == area)
                    .count();
                let cells = self
                    .backends
                    .iter()
                    .map(|b| {
                        self.matrix
                            .get(b.name)
                            .and_then(|m| m.get(&area))
                            .map_or("-".into(), cell)
                    })
                    .collect();
                (n > 0).then_some((area.name(), n, cells))
            })
            .collect()
    }

    /// The markdown report.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# VT-d conformance matrix\n");
        let _ = writeln!(
            s,
            "Generated by `vtd conformance --backend {}` from the catalog in `conformance/src/catalog/`. Do not edit: regenerate.\n",
            if self.backends.len() > 1 { "all".to_string() } else { self.backends.first().map_or("model".into(), |b| b.name.to_string()) }
        );
        for b in &self.backends {
            let _ = writeln!(s, "- **{}**: {}", b.name, b.version);
        }
        let _ = writeln!(
            s,
            "\n{} scenarios. A cell counts scenarios that passed, passed only through a named deviation of that backend, failed, or were not run on it (for a named reason).\n",
            self.scenarios.len()
        );
        let names: Vec<&str> = self.backends.iter().map(|b| b.name).collect();
        let _ = writeln!(s, "## Matrix\n");
        let _ = writeln!(s, "| area | scenarios | {} |", names.join(" | "));
        let _ = writeln!(s, "|---|---:|{}", "---|".repeat(names.len()));
        for (area, n, cells) in self.rows_with(Counts::cell) {
            let _ = writeln!(s, "| {area} | {n} | {} |", cells.join(" | "));
        }
        let cells: Vec<String> = names
            .iter()
            .map(|b| {
                self.totals
                    .get(b)
                    .map_or("-".into(), |c| format!("**{}**", c.cell()))
            })
            .collect();
        let _ = writeln!(
            s,
            "| **all** | **{}** | {} |",
            self.scenarios.len(),
            cells.join(" | ")
        );

        let _ = writeln!(s, "\n## Deviations\n");
        let _ = writeln!(s, "Where a backend differs from the VT-d specification. A scenario accepts a different observation only by naming one of these; a backend declines a scenario only by naming one.\n");
        let _ = writeln!(s, "| id | backend | kind | what the backend does | what the spec says | source | scenarios |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---:|");
        for d in &self.deviations {
            let kind = match d.deviation.kind {
                deviation::Kind::Unsupported => "not run",
                deviation::Kind::Differs => "differs",
            };
            let _ = writeln!(
                s,
                "| `{}` | {} | {kind} | {} | {} | {} | {} |",
                d.deviation.id,
                d.deviation.backend,
                esc(d.deviation.what),
                esc(d.deviation.spec),
                esc(d.deviation.source),
                d.scenarios.len()
            );
        }

        let _ = writeln!(s, "\n## Coverage\n");
        let covered = self
            .coverage
            .iter()
            .filter(|l| l.uncovered.is_none())
            .count();
        let _ = writeln!(s, "{covered} of {} items are exercised. Every item lists its scenarios, or why none can exercise it.\n", self.coverage.len());
        let _ = writeln!(s, "| group | item | scenarios |");
        let _ = writeln!(s, "|---|---|---|");
        for l in &self.coverage {
            let cell = match l.uncovered {
                Some(why) => format!("uncovered: {why}"),
                None => {
                    let shown: Vec<String> = l
                        .scenarios
                        .iter()
                        .take(4)
                        .map(|x| format!("`{x}`"))
                        .collect();
                    let more = l.scenarios.len().saturating_sub(4);
                    if more > 0 {
                        format!("{} and {more} more", shown.join(", "))
                    } else {
                        shown.join(", ")
                    }
                }
            };
            let _ = writeln!(s, "| {} | {} | {cell} |", l.group, esc(&l.item));
        }

        let _ = writeln!(s, "\n## Scenarios\n");
        let _ = writeln!(
            s,
            "| scenario | what it checks | spec | {} |",
            names.join(" | ")
        );
        let _ = writeln!(s, "|---|---|---|{}", "---|".repeat(names.len()));
        for r in &self.scenarios {
            let cells: Vec<String> = names
                .iter()
                .map(|b| match r.results.get(b) {
                    None => "-".into(),
                    Some(Status::Pass) => "pass".into(),
                    Some(Status::Deviation { ids }) => format!(
                        "deviation: {}",
                        ids.iter()
                            .map(|i| format!("`{i}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some(Status::Fail { failure }) => {
                        format!("**FAIL**: {}", esc(&failure.to_string()))
                    }
                    Some(Status::NotRun { id }) => format!("not run: `{id}`"),
                })
                .collect();
            let mut intent = esc(&r.scenario.intent);
            if let Some(p) = r.scenario.ports {
                intent.push_str(&format!(" (ports {})", esc(p)));
            }
            let _ = writeln!(
                s,
                "| `{}` | {intent} | {} | {} |",
                r.scenario.id,
                esc(r.scenario.spec),
                cells.join(" | ")
            );
        }
        s
    }

    /// The JSON report.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

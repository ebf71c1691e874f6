//! Reports as text for people.

use super::{Consequence, Diagnostic, Driver, Outcome, Report, Severity};
use alloc::format;
use alloc::string::String;
use core::fmt::Write;

fn consequence(out: &mut String, who: &str, c: &Consequence) {
    let _ = writeln!(out, "  {who:<10} {}", c.outcome.describe());
    let _ = writeln!(out, "  {:<10} check: {}", "", c.check);
    if let Some(m) = c.message {
        for (i, line) in m.split('\n').enumerate() {
            let label = if i == 0 { "log:" } else { "" };
            let _ = writeln!(out, "  {:<10} {label:<6} {line}", "");
        }
    }
}

impl Diagnostic {
    /// The diagnostic as a paragraph: what, where, what each driver does, what helps.
    pub fn render(&self) -> String {
        let r = self.rule;
        let mut out = format!(
            "{}[{}] bytes {}..{} (0x{:x}..0x{:x}): {}\n  {}\n",
            r.severity.as_str(),
            r.id,
            self.range.start,
            self.range.end,
            self.range.start,
            self.range.end,
            r.title,
            self.message
        );
        consequence(&mut out, "Xen 4.17:", &r.xen);
        consequence(&mut out, "Linux 6.1:", &r.linux);
        if let Some(label) = r.fwts {
            let _ = writeln!(out, "  {:<10} {label}", "fwts:");
        }
        let _ = writeln!(out, "  {:<10} {}", "advice:", r.advice);
        out
    }
}

impl Report {
    /// All diagnostics, then a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&d.render());
            out.push('\n');
        }
        let (e, w, i) = self.counts();
        let _ = writeln!(
            out,
            "{e} error{}, {w} warning{}, {i} note{}",
            if e == 1 { "" } else { "s" },
            if w == 1 { "" } else { "s" },
            if i == 1 { "" } else { "s" }
        );
        out
    }

    /// What a production driver does with the whole table: the worst outcome among the
    /// findings (`Accepts` when there are none).
    pub fn outcome(&self, driver: Driver) -> Outcome {
        self.diagnostics
            .iter()
            .map(|d| match driver {
                Driver::Xen => d.rule.xen.outcome,
                Driver::Linux => d.rule.linux.outcome,
            })
            .min_by_key(|o| o.rank())
            .unwrap_or(Outcome::Accepts)
    }

    /// The worst severity found.
    pub fn worst(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|d| d.severity()).min()
    }
}

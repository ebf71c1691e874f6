//! `rules`.

use super::Result;
use crate::exit;
use crate::input::InputError;
use dmar::check::rules::{by_id, Rule, RULES};

fn explain(r: &Rule) {
    println!("{} ({}): {}", r.id, r.severity.as_str(), r.title);
    for (who, c) in [("Xen 4.17", &r.xen), ("Linux 6.1", &r.linux)] {
        println!("  {who}: {}", c.outcome.describe());
        println!("    check: {}", c.check);
        if let Some(m) = c.message {
            for (i, line) in m.split('\n').enumerate() {
                println!("    {:<6} {line}", if i == 0 { "log:" } else { "" });
            }
        }
    }
    if let Some(f) = r.fwts {
        println!("  fwts: {f}");
    }
    println!("  advice: {}", r.advice);
}

pub fn run(id: Option<&str>) -> Result<u8> {
    match id {
        Some(id) => {
            let r = by_id(id).ok_or_else(|| {
                InputError(format!("no rule {id:?}; `vtd dmar rules` lists them"))
            })?;
            explain(r);
        }
        None => {
            println!(
                "{:<34} {:<8} {:<14} {:<14} title",
                "id", "severity", "Xen 4.17", "Linux 6.1"
            );
            for r in RULES {
                println!(
                    "{:<34} {:<8} {:<14} {:<14} {}",
                    r.id,
                    r.severity.as_str(),
                    r.xen.outcome.short(),
                    r.linux.outcome.short(),
                    r.title
                );
            }
        }
    }
    Ok(exit::OK)
}

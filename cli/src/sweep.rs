//! `vtd oracle sweep`: both lanes over a directory of DMAR tables. Each boot appends a
//! line to PREFIX.tsv as soon as it ends, so an interrupted sweep resumes where it
//! stopped; PREFIX.md summarises the TSV.

use crate::exit;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use vtd_conformance::oracle::{self, compare, Lane, Oracle, Verdict};

const HEADER: &str = "table\tlane\tsha256\tdepth\tparse\tending\tvtd\tqi\tir\ttaint\ttable_taken\tseconds\tfirst_message";

/// The parse verdict in words: did the driver reject the table, hang in it, or use it.
fn parse_verdict(v: &Verdict) -> &'static str {
    if v.ending == oracle::verdict::Ending::Hang {
        return "hang";
    }
    if v.lane == Lane::Linux && !v.table_taken {
        return "not-taken";
    }
    if v.rejected() {
        "rejected"
    } else {
        "accepted"
    }
}

/// The first warning-like line: what the driver complained about first.
fn first_message(v: &Verdict) -> String {
    let keys = [
        "Firmware Bug",
        "Invalid ",
        "invalid ",
        "Failed",
        "not in reserved",
        "bad RMRR",
        "No DRHD",
        "reported at address",
        "passes table end",
        "no mapping iommu",
        "WARN",
        "Panic",
    ];
    v.lines
        .iter()
        .find(|l| keys.iter().any(|k| l.contains(k)))
        .cloned()
        .unwrap_or_default()
        .replace('\t', " ")
}

fn row(name: &str, v: &Verdict, depth: compare::Depth) -> String {
    format!(
        "{name}\t{}\t{}\t{}\t{}\t{:?}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        v.lane.name(),
        v.table_sha256.clone().unwrap_or_default(),
        match depth {
            compare::Depth::Full => "full",
            compare::Depth::Parse => "parse",
        },
        parse_verdict(v),
        v.ending,
        v.vtd,
        v.qi,
        v.ir,
        v.taint,
        v.table_taken,
        v.seconds,
        first_message(v)
    )
}

/// Run the sweep.
pub fn run(dir: &Path, out: &Path, limit: usize, summary_only: bool) -> Result<u8, String> {
    let mut tables: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "tsv" && x != "md"))
        .collect();
    tables.sort();
    let tsv = out.with_extension("tsv");
    if let Some(p) = tsv.parent() {
        std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let done: BTreeSet<(String, String)> = std::fs::read_to_string(&tsv)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect();
    if !tsv.exists() {
        std::fs::write(&tsv, format!("{HEADER}\n"))
            .map_err(|e| format!("{}: {e}", tsv.display()))?;
    }
    let mut jobs: Vec<(std::path::PathBuf, String, Lane)> = Vec::new();
    for t in &tables {
        let name = t
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for lane in Lane::ALL {
            if !done.contains(&(name.clone(), lane.name().to_string())) {
                jobs.push((t.clone(), name.clone(), lane));
            }
        }
    }
    if summary_only {
        jobs.clear();
    } else if limit > 0 {
        jobs.truncate(limit);
    }
    eprintln!(
        "sweep: {} tables, {} boots done before, {} to go",
        tables.len(),
        done.len(),
        jobs.len()
    );
    if !jobs.is_empty() {
        let o = Oracle::prepare(&oracle::cache_dir()).map_err(|e| e.to_string())?;
        let file = Mutex::new(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&tsv)
                .map_err(|e| format!("{}: {e}", tsv.display()))?,
        );
        let b = indicatif::ProgressBar::new(jobs.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} boots {elapsed} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        jobs.par_iter().for_each(|(path, name, lane)| {
            let Ok(bytes) = std::fs::read(path) else {
                return;
            };
            let options = if *lane == Lane::Xen {
                "iommu=1"
            } else {
                "intel_iommu=on"
            };
            match o.boot(*lane, Some(&bytes), options) {
                Ok(v) => {
                    let depth = compare::depth(Some(&bytes));
                    let line = row(name, &v, depth);
                    if let Ok(mut f) = file.lock() {
                        let _ = writeln!(f, "{line}");
                    }
                }
                Err(e) => b.println(format!("{name} {}: {e}", lane.name())),
            }
            b.set_message(name.clone());
            b.inc(1);
        });
        b.finish_and_clear();
    }
    let md = summary(&std::fs::read_to_string(&tsv).unwrap_or_default(), dir);
    let mdp = out.with_extension("md");
    std::fs::write(&mdp, &md).map_err(|e| format!("{}: {e}", mdp.display()))?;
    print!("{md}");
    eprintln!("wrote {} and {}", tsv.display(), mdp.display());
    Ok(exit::OK)
}

/// `msg` with every run of hex digits that holds a decimal digit replaced by `N`.
fn without_numbers(msg: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().any(|c| c.is_ascii_digit()) {
            out.push('N');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in msg.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The markdown summary of a sweep TSV.
pub fn summary(tsv: &str, dir: &Path) -> String {
    use std::fmt::Write as _;
    let rows: Vec<Vec<&str>> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() >= 13)
        .collect();
    let mut s = String::new();
    let _ = writeln!(s, "# Production drivers over the DMAR corpus\n");
    let _ = writeln!(
        s,
        "Generated by `vtd oracle sweep {}` ({} boots). Each table is booted by Debian's Xen {} (`iommu=1`) and Linux {} (`intel_iommu=on`) under QEMU 7.2 TCG with one VT-d unit at 0xfed90000 ({} and {}).\n",
        dir.display(),
        rows.len(),
        oracle::PINS.xen.1,
        oracle::PINS.linux.1,
        oracle::PINS.xen.0,
        oracle::PINS.linux.0,
    );
    let _ = writeln!(s, "The **parse verdict** is what the driver decided about the table: accepted, rejected, hung in the parser, or (Linux) refused the table upgrade so QEMU's own table booted. It is valid for every table. What happened **after parsing** (VT-d, QI and IR on or off) depends on the hardware: a table whose DRHDs name register bases other than QEMU's unit (depth `parse`) makes the driver read unassigned MMIO, so those columns describe QEMU, not the board; they are counted separately. One caveat: both drivers read each unit's CAP and ECAP while parsing (Linux's `dmar_validate_one_drhd()`, Xen's `iommu_alloc()`), so a unit whose address reads all ones under QEMU (for example inside QEMU's PCIe MMCONFIG window at 0xb0000000) is rejected at parse time although the board has it. The reference driver, which gives every DRHD a unit, accepts such a table; that is where it differs below.\n");
    for lane in Lane::ALL {
        let r: Vec<&Vec<&str>> = rows.iter().filter(|f| f[1] == lane.name()).collect();
        if r.is_empty() {
            continue;
        }
        let _ = writeln!(s, "## {} ({} tables)\n", lane.name(), r.len());
        let mut parse: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &r {
            *parse.entry(f[4]).or_default() += 1;
        }
        let _ = writeln!(s, "| parse verdict | tables |\n|---|---:|");
        for (k, n) in &parse {
            let _ = writeln!(s, "| {k} | {n} |");
        }
        let _ = writeln!(s, "\n| after parsing (accepted tables) | QEMU's unit only (full) | other bases (parse) |\n|---|---:|---:|");
        for ending in ["Booted", "VtdDisabled", "Panic"] {
            let count = |d: &str| {
                r.iter()
                    .filter(|f| f[4] == "accepted" && f[3] == d && f[5] == ending)
                    .count()
            };
            let _ = writeln!(
                s,
                "| ending: {ending} | {} | {} |",
                count("full"),
                count("parse")
            );
        }
        for (label, col) in [("VT-d on", 6), ("QI on", 7), ("IR on", 8), ("tainted", 9)] {
            let count = |d: &str| {
                r.iter()
                    .filter(|f| f[4] == "accepted" && f[3] == d && f[col] == "true")
                    .count()
            };
            let _ = writeln!(s, "| {label} | {} | {} |", count("full"), count("parse"));
        }
        let mut why: BTreeMap<String, usize> = BTreeMap::new();
        for f in r.iter().filter(|f| f[4] != "accepted" || !f[12].is_empty()) {
            let msg = f[12].trim();
            // (Rows of early sweeps may hold Xen's "Queued Invalidation not enabled".)
            if !msg.is_empty() && !msg.starts_with("Intel VT-d") {
                // Group messages by their text without numbers and addresses.
                let key = without_numbers(msg);
                *why.entry(key).or_default() += 1;
            }
        }
        let mut why: Vec<(String, usize)> = why.into_iter().collect();
        why.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if !why.is_empty() {
            let _ = writeln!(s, "\nWhat it complained about first (numbers as N), most frequent first:\n\n| message | tables |\n|---|---:|");
            for (m, n) in why.iter().take(20) {
                let _ = writeln!(s, "| `{}` | {n} |", m.replace('|', "\\|").replace('`', "'"));
            }
        }
        // The reference driver's parse verdict for the same bytes on QEMU's machine.
        let personality = match lane {
            Lane::Xen => vtd_driver::Personality::Xen417,
            Lane::Linux => vtd_driver::Personality::Linux61,
        };
        let mut differ: Vec<String> = Vec::new();
        let mut compared = 0;
        for f in &r {
            if f[4] == "not-taken" {
                continue;
            }
            let Ok(bytes) = std::fs::read(dir.join(f[0])) else {
                continue;
            };
            let bytes = if lane == Lane::Linux {
                vtd_conformance::oracle::for_linux_upgrade(&bytes)
            } else {
                bytes
            };
            compared += 1;
            let fate = vtd_driver::validate::validate(
                personality,
                Some(&bytes),
                &compare::machine(),
                Default::default(),
            )
            .fate;
            let reference = match fate {
                vtd_driver::validate::Fate::Rejected => "rejected",
                vtd_driver::validate::Fate::Hang => "hang",
                _ => "accepted",
            };
            if reference != f[4] {
                differ.push(format!(
                    "{} (production {}, reference {reference})",
                    f[0], f[4]
                ));
            }
        }
        let _ = writeln!(
            s,
            "\nThe reference driver (`vtd boot`) reaches the same parse verdict on {} of {compared} tables.{}",
            compared - differ.len(),
            if differ.is_empty() { String::new() } else { format!(" It differs on: {}.", differ.join(", ")) }
        );
        let hangs: Vec<&str> = r.iter().filter(|f| f[4] == "hang").map(|f| f[0]).collect();
        if !hangs.is_empty() {
            let _ = writeln!(s, "\nHangs: {}\n", hangs.join(", "));
        }
        let _ = writeln!(s);
    }
    s
}

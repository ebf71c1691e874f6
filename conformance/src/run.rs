//! Running scenarios on backends and judging what they observe.
//!
//! Every read in a scenario carries its expectation, so two backends that both pass
//! observed the same values; a value that only matches an alternative is accepted
//! when the alternative names a deviation of that backend (`deviation.rs`), and the
//! outcome says so.

use crate::backend::{Backend, BackendError, Session};
use crate::deviation;
use crate::layout::Reg;
use crate::scenario::{Body, DriverCase, Expect, Scenario, Step};
use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;

/// Where a scenario went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Step index (0-based), or None for a driver case or the session start.
    pub step: Option<usize>,
    /// The step, in words.
    pub what: String,
    /// Expected.
    pub expected: String,
    /// Observed.
    pub observed: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.step {
            Some(i) => write!(f, "step {i}: {}: ", self.what)?,
            None => write!(f, "{}: ", self.what)?,
        }
        write!(f, "expected {}, observed {}", self.expected, self.observed)
    }
}

/// How a scenario went on one backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// Every expectation held.
    Pass,
    /// Every expectation held, some only through these named deviations.
    Deviation {
        /// Deviation ids.
        ids: Vec<&'static str>,
    },
    /// An expectation failed, or the backend failed.
    Fail {
        /// Where.
        failure: Failure,
    },
    /// Not run on this backend, for this named deviation.
    NotRun {
        /// Deviation id.
        id: &'static str,
    },
}

/// One scenario on one backend.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Scenario id.
    pub scenario: String,
    /// Area.
    pub area: crate::scenario::Area,
    /// Backend name.
    pub backend: &'static str,
    /// Result.
    #[serde(flatten)]
    pub status: Status,
    /// Wall time, microseconds (not in the JSON report, which stays deterministic).
    #[serde(skip)]
    pub micros: u64,
}

impl Outcome {
    /// Whether it counts as a failure.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Fail { .. })
    }
}

/// Run `s` on `backend`.
pub fn run(s: &Scenario, backend: &dyn Backend) -> Outcome {
    let t = Instant::now();
    let status = match backend.supports(s) {
        Err(id) => Status::NotRun { id },
        Ok(()) => match &s.body {
            Body::Program(steps) => run_program(steps, s, backend),
            Body::Driver(case) => run_driver(case, backend),
        },
    };
    Outcome {
        scenario: s.id.clone(),
        area: s.area,
        backend: backend.name(),
        status,
        micros: t.elapsed().as_micros() as u64,
    }
}

/// Run every scenario on every backend, in parallel, calling `progress` after each.
pub fn run_all(
    scenarios: &[Scenario],
    backends: &[&dyn Backend],
    progress: &(dyn Fn(&Outcome) + Sync),
) -> Vec<Outcome> {
    let jobs: Vec<(&Scenario, &dyn Backend)> = backends
        .iter()
        .flat_map(|b| scenarios.iter().map(move |s| (s, *b)))
        .collect();
    jobs.par_iter()
        .map(|(s, b)| {
            let o = run(s, *b);
            progress(&o);
            o
        })
        .collect()
}

fn fail(step: Option<usize>, what: String, expected: String, observed: String) -> Status {
    Status::Fail {
        failure: Failure {
            step,
            what,
            expected,
            observed,
        },
    }
}

fn backend_error(step: Option<usize>, what: String, e: BackendError) -> Status {
    fail(step, what, "the backend to answer".into(), e.to_string())
}

/// Judge one observation: Ok(None) matched, Ok(Some(id)) matched through deviation
/// `id` of this backend, Err(()) failed.
fn judge(expect: &Expect, observed: u64, backend: &str) -> Result<Option<&'static str>, ()> {
    if expect.matches(observed) {
        return Ok(None);
    }
    match expect.deviation(observed) {
        Some(id) if deviation::applies(id, backend) => Ok(Some(id)),
        _ => Err(()),
    }
}

fn show_expect(e: &Expect, size: u8) -> String {
    let w = usize::from(size) * 2 + 2;
    let mut s = if e.mask == u64::MAX || (size == 4 && e.mask == 0xffff_ffff) {
        format!("{:#0w$x}", e.value)
    } else {
        format!("{:#0w$x} under mask {:#x}", e.value, e.mask)
    };
    for (id, v, _) in &e.alternatives {
        s.push_str(&format!(" (or {v:#x} under deviation {id})"));
    }
    s
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A step in words.
pub fn describe(step: &Step) -> String {
    match step {
        Step::Write { reg, size, value } => {
            format!("write {} ({size} bytes) = {value:#x}", reg.name())
        }
        Step::Read { reg, size, .. } => format!("read {} ({size} bytes)", reg.name()),
        Step::Poll {
            reg,
            mask,
            value,
            tries,
            ..
        } => {
            format!(
                "poll {} until & {mask:#x} == {value:#x} ({tries} tries)",
                reg.name()
            )
        }
        Step::MemWrite { addr, data } => format!("memory write {addr:#x} = {}", hex(data)),
        Step::MemRead { addr, expect, .. } => {
            format!("memory read {addr:#x} ({} bytes)", expect.len())
        }
        Step::PciWrite { bdf, offset, value } => {
            format!("PCI config write {bdf} {offset:#x} = {value:#x}")
        }
        Step::PciRead { bdf, offset, .. } => format!("PCI config read {bdf} {offset:#x}"),
        Step::Dma {
            device,
            dir,
            iova,
            len,
            buffer,
        } => format!(
            "{device} DMA {} {len} bytes at IOVA {iova:#x} (buffer +{buffer:#x})",
            match dir {
                crate::scenario::Direction::Read => "read",
                crate::scenario::Direction::Write => "write",
            }
        ),
        Step::Msi { device, addr, data } => format!("{device} MSI write {data:#x} to {addr:#x}"),
        Step::Irr { .. } => "CPU 0 IRR".into(),
        Step::Device { device, event } => format!("{device} {event:?}"),
    }
}

/// Run `s` on `backend` and describe every step with what the backend answered, for
/// debugging a failure (`vtd conformance --trace`).
pub fn trace(s: &Scenario, backend: &dyn Backend) -> Vec<String> {
    let mut out = Vec::new();
    let mut session = match backend.open(&s.config) {
        Ok(x) => x,
        Err(e) => return vec![format!("start: {e}")],
    };
    let cap = session.mmio_read(0x08, 8).unwrap_or(0);
    let ecap = session.mmio_read(0x10, 8).unwrap_or(0);
    for (i, step) in s.steps().iter().enumerate() {
        let r = execute(session.as_mut(), step, cap, ecap, backend.name());
        let seen = match step {
            Step::Read { reg, size, .. } | Step::Poll { reg, size, .. } => session
                .mmio_read(reg.offset(cap, ecap), *size)
                .map(|v| format!(" -> {v:#x}"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let verdict = match r {
            Ok(None) => "ok".to_string(),
            Ok(Some(id)) => format!("deviation {id}"),
            Err((e, o)) => format!("FAIL: expected {e}, observed {o}"),
        };
        out.push(format!("{i:3} {}{seen}: {verdict}", describe(step)));
    }
    out
}

fn run_program(steps: &[Step], s: &Scenario, backend: &dyn Backend) -> Status {
    let mut session = match backend.open(&s.config) {
        Ok(x) => x,
        Err(e) => return backend_error(None, "start a machine".into(), e),
    };
    // Where IVA/IOTLB and the fault records are.
    let caps = session
        .mmio_read(0x08, 8)
        .and_then(|c| Ok((c, session.mmio_read(0x10, 8)?)));
    let (cap, ecap) = match caps {
        Ok(x) => x,
        Err(e) => return backend_error(None, "read CAP and ECAP".into(), e),
    };
    let mut deviations: Vec<&'static str> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        match execute(session.as_mut(), step, cap, ecap, backend.name()) {
            Ok(Some(id)) => {
                if !deviations.contains(&id) {
                    deviations.push(id)
                }
            }
            Ok(None) => {}
            Err((expected, observed)) => return fail(Some(i), describe(step), expected, observed),
        }
    }
    if deviations.is_empty() {
        Status::Pass
    } else {
        Status::Deviation { ids: deviations }
    }
}

type StepResult = Result<Option<&'static str>, (String, String)>;

fn execute(sess: &mut dyn Session, step: &Step, cap: u64, ecap: u64, backend: &str) -> StepResult {
    let off = |r: Reg| r.offset(cap, ecap);
    let err = |e: BackendError| ("the backend to answer".to_string(), e.to_string());
    match step {
        Step::Write { reg, size, value } => {
            sess.mmio_write(off(*reg), *size, *value).map_err(err)?;
            Ok(None)
        }
        Step::Read { reg, size, expect } => {
            let v = sess.mmio_read(off(*reg), *size).map_err(err)?;
            judge(expect, v, backend).map_err(|()| (show_expect(expect, *size), format!("{v:#x}")))
        }
        Step::Poll {
            reg,
            size,
            mask,
            value,
            tries,
        } => {
            let mut last = 0;
            for _ in 0..*tries {
                last = sess.mmio_read(off(*reg), *size).map_err(err)?;
                if last & mask == *value {
                    return Ok(None);
                }
            }
            Err((
                format!("{value:#x} under mask {mask:#x}"),
                format!("{last:#x} after {tries} reads"),
            ))
        }
        Step::MemWrite { addr, data } => {
            sess.mem_write(*addr, data).map_err(err)?;
            Ok(None)
        }
        Step::MemRead {
            addr,
            expect,
            alternatives,
        } => {
            let v = sess.mem_read(*addr, expect.len()).map_err(err)?;
            if v == *expect {
                return Ok(None);
            }
            match alternatives.iter().find(|(_, a)| *a == v) {
                Some((id, _)) if deviation::applies(id, backend) => Ok(Some(id)),
                _ => Err((hex(expect), hex(&v))),
            }
        }
        Step::PciWrite { bdf, offset, value } => {
            sess.pci_write(*bdf, *offset, *value).map_err(err)?;
            Ok(None)
        }
        Step::PciRead {
            bdf,
            offset,
            expect,
        } => {
            let v = u64::from(sess.pci_read(*bdf, *offset).map_err(err)?);
            judge(expect, v, backend).map_err(|()| (show_expect(expect, 4), format!("{v:#x}")))
        }
        Step::Dma {
            device,
            dir,
            iova,
            len,
            buffer,
        } => {
            sess.dma(*device, *dir, *iova, *len, *buffer).map_err(err)?;
            Ok(None)
        }
        Step::Msi { device, addr, data } => {
            sess.msi(*device, *addr, *data).map_err(err)?;
            Ok(None)
        }
        Step::Device { device, event } => {
            sess.device(*device, *event).map_err(err)?;
            Ok(None)
        }
        Step::Irr {
            expect,
            alternatives,
        } => {
            let v = sess.irr().map_err(err)?;
            if v == *expect {
                return Ok(None);
            }
            let show = |x: &[u8]| {
                let v: Vec<String> = x.iter().map(|b| format!("{b:#04x}")).collect();
                format!("[{}]", v.join(", "))
            };
            match alternatives.iter().find(|(_, a)| *a == v) {
                Some((id, _)) if deviation::applies(id, backend) => Ok(Some(id)),
                _ => Err((show(expect), show(&v))),
            }
        }
    }
}

fn run_driver(case: &DriverCase, backend: &dyn Backend) -> Status {
    let o = match backend.driver(case) {
        Ok(o) => o,
        Err(e) => return backend_error(None, format!("boot {}", case.personality), e),
    };
    let what = format!(
        "{} `{}` on {}",
        case.personality, case.cmdline, case.fixture
    );
    if o.outcome != case.outcome {
        return fail(
            None,
            format!("{what}: outcome"),
            case.outcome.into(),
            o.outcome,
        );
    }
    for l in &case.logged {
        if !o.log.iter().any(|x| x.contains(l)) {
            return fail(
                None,
                format!("{what}: log"),
                format!("a line containing {l:?}"),
                format!("{} lines without it", o.log.len()),
            );
        }
    }
    if let Some(f) = case.faults {
        if f != o.faults {
            return fail(
                None,
                format!("{what}: DMA faults after boot"),
                f.to_string(),
                o.faults.to_string(),
            );
        }
    }
    Status::Pass
}

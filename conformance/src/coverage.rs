//! The coverage table: every register, DMA fault reason, invalidation descriptor type
//! and granularity, queue error and interrupt-remapping fault reason, with the
//! scenarios that exercise it, or the reason nothing does.

use crate::layout::Reg;
use crate::scenario::{Cover, Scenario};
use serde::Serialize;

/// The groups of the table, in order.
pub const GROUPS: &[&str] = &[
    "register",
    "dma-fault",
    "ir-fault",
    "descriptor",
    "register-invalidation",
    "queue-error",
];

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Group: register, dma-fault, descriptor, register-invalidation, queue-error,
    /// ir-fault.
    pub group: &'static str,
    /// The item.
    pub item: String,
    /// Scenario ids.
    pub scenarios: Vec<String>,
    /// Why it is uncovered, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncovered: Option<&'static str>,
}

/// The DMA remapping fault reasons of the spec (§7.1.3 table), with the reason a
/// reason cannot be provoked by any scenario, if so.
pub const DMA_FAULTS: &[(u8, &str, Option<&str>)] = &[
    (0x01, "root entry not present", None),
    (0x02, "context entry not present", None),
    (0x03, "invalid context entry", None),
    (0x04, "address beyond MGAW", None),
    (0x05, "write permission", None),
    (0x06, "read permission", None),
    (0x07, "next paging structure invalid", None),
    (0x08, "root table address invalid", None),
    (0x09, "context table pointer invalid", None),
    (0x0a, "root entry reserved bits", None),
    (0x0b, "context entry reserved bits", None),
    (0x0c, "paging entry reserved bits", None),
    (0x0d, "translation type blocks the request", None),
    (0x0e, "address in the interrupt range", None),
    (0x30, "SM: invalid root table address", None),
    (0x31, "SM: TTM 0 for a request with PASID", None),
    (0x38, "SM: root entry access error", None),
    (0x39, "SM: root entry not present", None),
    (0x3a, "SM: root entry reserved bits", None),
    (0x40, "SM: context entry access error", None),
    (0x41, "SM: context entry not present", None),
    (0x42, "SM: context entry reserved bits", None),
    (0x43, "SM: invalid context entry", None),
    (0x44, "SM: DTE clear", None),
    (0x45, "SM: PASIDE clear", None),
    (0x46, "SM: PASID larger than the context allows", None),
    (0x48, "SM: RID_PASID error", Some("model gap: SCT.9 is not modelled; a RID_PASID beyond the PASID directory is looked up like any PASID and faults as a PASID-directory error")),
    (0x50, "SM: PASID directory access error", None),
    (0x51, "SM: PASID directory entry not present", None),
    (0x52, "SM: PASID directory entry reserved bits", None),
    (0x58, "SM: PASID table access error", None),
    (0x59, "SM: PASID entry not present", None),
    (0x5a, "SM: PASID entry reserved bits", None),
    (0x5b, "SM: invalid PASID entry", None),
    (0x5c, "SM: ERE clear", None),
    (0x5d, "SM: SRE clear", None),
    (0x70, "SM: first-level entry access error", None),
    (0x71, "SM: first-level entry not present", None),
    (0x72, "SM: first-level entry reserved bits", None),
    (0x73, "SM: FL-PML4 access error", None),
    (0x74, "SM: nested first-level entry beyond MGAW", None),
    (0x75, "SM: nested FL-PML4 read permission", None),
    (0x76, "SM: nested first-level read permission", None),
    (0x77, "SM: nested first-level write permission", Some("model gap: the model does not set first-stage A/D bits (software must pre-set them), so it never writes a first-stage entry through the second stage")),
    (0x78, "SM: second-level entry access error", None),
    (0x79, "SM: second-level permission", None),
    (0x7a, "SM: second-level entry reserved bits", None),
    (0x7b, "SM: invalid second-level table pointer", None),
    (0x80, "SM: non-canonical first-level address", None),
    (0x81, "SM: user/supervisor", None),
    (0x82, "SM: no execute", None),
    (0x83, "SM: address beyond the DMA hardware max", None),
    (0x84, "SM: second-level output beyond the max", Some("model gap: a second-stage output above the host address width is reported as reserved bits (0x7A), the check the walk makes first")),
    (0x85, "SM: write permission", None),
    (0x86, "SM: read permission", Some("model gap: first-stage entries are always readable and scalable-mode second-stage read failures are 0x79; the model has no path to SGN.7")),
    (0x87, "SM: interrupt address", None),
];

/// The interrupt-remapping fault reasons (§7.1.3, 0x20–0x28).
pub const IR_FAULTS: &[(u8, &str, Option<&str>)] = &[
    (0x20, "reserved fields in the request", None),
    (0x21, "index beyond the table", None),
    (0x22, "IRTE not present", None),
    (0x23, "table access error", None),
    (0x24, "IRTE reserved fields", None),
    (0x25, "compatibility format blocked", None),
    (0x26, "source-id verification", None),
    (0x27, "posted-interrupt descriptor access error", None),
    (0x28, "posted-interrupt descriptor reserved fields", None),
];

/// Descriptor types and granularities (§6.5.2).
pub const DESCRIPTORS: &[(u8, &str, Option<&str>)] = &[
    (1, "global", None),
    (1, "domain", None),
    (1, "device", None),
    (2, "global", None),
    (2, "domain", None),
    (2, "page", None),
    (3, "device-tlb", None),
    (4, "global", None),
    (4, "index", None),
    (5, "status-write", None),
    (5, "interrupt", None),
    (5, "fence", None),
    (6, "pasid", None),
    (6, "pasid-page", None),
    (7, "domain", None),
    (7, "pasid", None),
    (7, "global", None),
    (8, "pasid-device-tlb", None),
];

/// Register-based invalidation granularities (§11.4.6, §11.4.8).
pub const REGISTER_INVALIDATIONS: &[(&str, &str, Option<&str>)] = &[
    ("ccmd", "global", None),
    ("ccmd", "domain", None),
    ("ccmd", "device", None),
    ("iotlb", "global", None),
    ("iotlb", "domain", None),
    ("iotlb", "page", None),
];

/// Queue errors (§6.5.2.10): IQE by IQEI code (0: a unit without IQERCD), ITE, ICE.
pub const QUEUE_ERRORS: &[(&str, u8, Option<&str>)] = &[
    ("IQE", 1, None),
    ("IQE", 2, None),
    ("IQE", 3, None),
    ("IQE", 4, None),
    ("IQE", 5, None),
    ("IQE", 6, None),
    ("IQE", 7, None),
    ("ITE", 0, None),
    ("ICE", 0, None),
];

/// Registers nothing exercises on purpose.
const REGISTER_REASONS: &[(Reg, &str)] = &[];

fn ids(scenarios: &[Scenario], f: impl Fn(&Scenario) -> bool) -> Vec<String> {
    scenarios
        .iter()
        .filter(|s| f(s))
        .map(|s| s.id.clone())
        .collect()
}

/// The table for `scenarios`.
pub fn table(scenarios: &[Scenario]) -> Vec<Line> {
    let mut out = Vec::new();
    for r in Reg::ALL {
        let sc = ids(scenarios, |s| s.registers().any(|x| x == r));
        let why = REGISTER_REASONS
            .iter()
            .find(|(x, _)| *x == r)
            .map(|(_, w)| *w);
        out.push(Line {
            group: "register",
            item: match r {
                Reg::FrcdLo(_) => "FRCD (fault info)".into(),
                Reg::FrcdHi(_) => "FRCD (status)".into(),
                Reg::At(_) => "undefined offsets".into(),
                r => r.name(),
            },
            uncovered: if sc.is_empty() {
                Some(why.unwrap_or("no scenario yet"))
            } else {
                None
            },
            scenarios: sc,
        });
    }
    let mut group = |name: &'static str, item: String, cover: Cover, why: Option<&'static str>| {
        let sc = ids(scenarios, |s| s.covers.contains(&cover));
        out.push(Line {
            group: name,
            item,
            uncovered: if sc.is_empty() {
                Some(why.unwrap_or("no scenario yet"))
            } else {
                None
            },
            scenarios: sc,
        });
    };
    for (code, text, why) in DMA_FAULTS {
        group(
            "dma-fault",
            format!("{code:#04x} {text}"),
            Cover::DmaFault(*code),
            *why,
        );
    }
    for (code, text, why) in IR_FAULTS {
        group(
            "ir-fault",
            format!("{code:#04x} {text}"),
            Cover::IrFault(*code),
            *why,
        );
    }
    for (ty, g, why) in DESCRIPTORS {
        group(
            "descriptor",
            format!("type {ty} {g}"),
            Cover::Descriptor(*ty, g),
            *why,
        );
    }
    for (r, g, why) in REGISTER_INVALIDATIONS {
        group(
            "register-invalidation",
            format!("{r} {g}"),
            Cover::RegisterInvalidation(r, g),
            *why,
        );
    }
    for (e, code, why) in QUEUE_ERRORS {
        let item = if *code == 0 {
            e.to_string()
        } else {
            format!("{e} IQEI {code}")
        };
        group("queue-error", item, Cover::QueueError(e, *code), *why);
    }
    out
}

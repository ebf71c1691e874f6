//! The named deviations: where a backend differs from the VT-d specification on
//! purpose or by limitation. A scenario may accept a backend's different observation
//! only by naming one of these, and a backend may decline a scenario only by naming
//! one; the report prints this table.

use serde::Serialize;

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The backend cannot run such scenarios at all.
    Unsupported,
    /// The backend runs them and observes something else.
    Differs,
}

/// One deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deviation {
    /// Id, used by scenarios.
    pub id: &'static str,
    /// The backend it belongs to.
    pub backend: &'static str,
    /// Kind.
    pub kind: Kind,
    /// What the backend does.
    pub what: &'static str,
    /// The spec section that decides, and what it says.
    pub spec: &'static str,
    /// Where the backend's behaviour comes from.
    pub source: &'static str,
}

/// Every deviation.
pub const ALL: &[Deviation] = &[
    Deviation {
        id: "qemu-fixed-capabilities",
        backend: "qemu",
        kind: Kind::Unsupported,
        what: "QEMU's capability registers follow from its device properties; real-hardware presets and hand-modified capabilities (several fault records, PLMR/PHMR, 5-level SAGAW, other IRO/FRO) cannot be configured",
        spec: "§11.4.2 CAP_REG, §11.4.3 ECAP_REG: implementation-specific values",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_init",
    },
    Deviation {
        id: "qemu-no-driver-boot",
        backend: "qemu",
        kind: Kind::Unsupported,
        what: "driver scenarios boot a hypervisor's VT-d driver; over qtest nothing executes guest code. The production drivers run under QEMU in the oracle backend (issue 8)",
        spec: "not a spec matter",
        source: "ORACLE.md",
    },
];

/// The deviation named `id`.
pub fn get(id: &str) -> Option<&'static Deviation> {
    ALL.iter().find(|d| d.id == id)
}

/// Whether deviation `id` belongs to `backend`.
pub fn applies(id: &str, backend: &str) -> bool {
    get(id).is_some_and(|d| d.backend == backend)
}

/// The scenario features a backend lacks: a scenario that covers one of these is not
/// run there. (Covers tag what a scenario depends on, so the table is by cover.)
pub fn unsupported_by(s: &crate::scenario::Scenario, backend: &str) -> Option<&'static str> {
    UNSUPPORTED
        .iter()
        .find(|(b, cover, _)| *b == backend && s.covers.contains(cover))
        .map(|(_, _, id)| *id)
}

/// (backend, cover, deviation id).
const UNSUPPORTED: &[(&str, crate::scenario::Cover, &str)] = &[];

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
    Deviation {
        id: "qemu-iqa-reads-latched-base",
        backend: "qemu",
        kind: Kind::Differs,
        what: "IQA reads return the queue base latched at the last QI enable (0 before the first) ORed with QS, not the value written",
        spec: "§11.4.9.3 IQA_REG: IQA 63:12 and QS 2:0 are RW",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_mem_read case DMAR_IQA_REG (s->iq)",
    },
    Deviation {
        id: "qemu-legacy-fault-codes-in-scalable-mode",
        backend: "qemu",
        kind: Kind::Differs,
        what: "in scalable mode, root-entry, context-entry and second-stage faults are recorded with the legacy reasons (0x01, 0x02, 0x04-0x0C) instead of the scalable-mode ones (0x39, 0x41, 0x42, 0x79, 0x7A, 0x83); a walk after the PASID entry records PP=1 with PASID 0 for a request without PASID",
        spec: "§7.1.3 fault conditions, SRT/SCT/SSL/SGN rows; §11.4.14 FRCD_REG PP (set only for requests with PASID)",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_dev_to_context_entry, vtd_iova_to_slpte, vtd_report_dmar_fault",
    },
    Deviation {
        id: "qemu-pasid-faults-are-0x58",
        backend: "qemu",
        kind: Kind::Differs,
        what: "every PASID-directory and PASID-table fault (not present, reserved bits, bad PGTT or AW) is recorded as 0x58 (PASID table access error)",
        spec: "§7.1.3 SPD.2 (0x51), SPT.2 (0x59), SPT.3 (0x5A), SPT.4 (0x5B)",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_get_pe_in_pasid_leaf_table, vtd_get_pe_from_pasid_table (VTD_FR_PASID_TABLE_INV)",
    },
    Deviation {
        id: "qemu-pgtt-first-stage-walked-as-second",
        backend: "qemu",
        kind: Kind::Differs,
        what: "a PASID entry with PGTT first-stage (001b) or nested (011b) is accepted on a unit without first-stage support and walked as second-stage tables",
        spec: "§9.6 PASID entry PGTT: values the unit does not support (ECAP.FLTS/NEST clear) make the entry invalid (SPT.4, 0x5B)",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_pe_type_check",
    },
    Deviation {
        id: "qemu-sm-context-dte-unchecked",
        backend: "qemu",
        kind: Kind::Differs,
        what: "a scalable-mode context entry's DTE bit is not checked against ECAP.DT: the walk goes on to the PASID entry",
        spec: "§9.4 scalable-mode context entry DTE; §7.1.3 SCT.4 (0x43)",
        source: "QEMU 7.2 hw/i386/intel_iommu_internal.h VTD_SM_CONTEXT_ENTRY_RSVD_VAL0 (0x1e0, bit 2 not included); vtd_context_entry_rsvd_bits_check",
    },
    Deviation {
        id: "qemu-pp-set-without-pasid",
        backend: "qemu",
        kind: Kind::Differs,
        what: "a scalable-mode fault of a request without PASID is recorded with PP set and PV = RID_PASID, as if the request had carried a PASID (the legacy-code faults of qemu-legacy-fault-codes-in-scalable-mode carry the same PP)",
        spec: "§11.4.14 FRCD PP: set when the faulted request has a PASID prefix",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_do_iommu_translate (pasid becomes RID_PASID in scalable mode, then vtd_report_fault(..., pasid != PCI_NO_PASID, pasid))",
    },
    Deviation {
        id: "qemu-pasid-entry-reserved-unchecked",
        backend: "qemu",
        kind: Kind::Differs,
        what: "PASID-directory and PASID-table entries are not checked for reserved bits; the walk goes on with them set",
        spec: "§9.5, §9.6 reserved fields; §7.1.3 SPD.3 (0x52), SPT.3 (0x5A)",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_get_pe_from_pdire, vtd_get_pe_in_pasid_leaf_table (no reserved mask)",
    },
    Deviation {
        id: "qemu-same-source-fault-dropped",
        backend: "qemu",
        kind: Kind::Differs,
        what: "a fault from a requester that already has a pending record is dropped silently, without setting PFO, whatever its reason or address",
        spec: "§7.2.1: a fault that finds no free fault recording register sets FSTS.PFO",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_report_dmar_fault (vtd_try_collapse_fault)",
    },
    Deviation {
        id: "qemu-srtp-te-flush-caches",
        backend: "qemu",
        kind: Kind::Differs,
        what: "SRTP and every change of TE flush the IOTLB and the context cache, so a translation cached before them is gone afterwards",
        spec: "§6.5: the unit invalidates nothing by itself; software follows SRTP with global invalidations",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_handle_gcmd_srtp, vtd_handle_gcmd_te (vtd_reset_caches)",
    },
    Deviation {
        id: "qemu-no-pasid-device-tlb-descriptor",
        backend: "qemu",
        kind: Kind::Differs,
        what: "the PASID-based device-TLB invalidate descriptor (type 8) is an unknown type: IQE, and the queue stops at it",
        spec: "§6.5.2.7 PASID-based device-TLB invalidate descriptor",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_process_inv_desc (no case for type 8: default, unknown type)",
    },
    Deviation {
        id: "qemu-pasid-descriptors-no-op",
        backend: "qemu",
        kind: Kind::Differs,
        what: "PASID-based IOTLB (type 6) and PASID-cache (type 7) descriptors are accepted and do nothing: second-stage translations cached for RID_PASID stay until a type 2 (IOTLB) descriptor",
        spec: "§6.5.2.4 PASID-based IOTLB invalidate, §6.5.2.6 PASID-cache invalidate",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_process_inv_desc (VTD_INV_DESC_PC, VTD_INV_DESC_PIOTLB: reserved check only)",
    },
    Deviation {
        id: "qemu-wait-needs-sw-or-if",
        backend: "qemu",
        kind: Kind::Differs,
        what: "an invalidation wait with neither SW nor IF is rejected as an invalid descriptor (IQE), the head stays on it",
        spec: "§6.5.2.8: SW, IF and FN are independent; a wait without them is a no-op",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_process_wait_desc",
    },
    Deviation {
        id: "qemu-wait-sw-and-if-aborts",
        backend: "qemu",
        kind: Kind::Unsupported,
        what: "an invalidation wait with both SW and IF hits an assertion and QEMU aborts",
        spec: "§6.5.2.8: SW and IF together write the status, then raise the event",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_process_wait_desc (assert)",
    },
    Deviation {
        id: "qemu-no-iqercd",
        backend: "qemu",
        kind: Kind::Differs,
        what: "there is no IQERCD register (offset 0xB0 reads 0): an IQE does not say why",
        spec: "§11.4.9.9 IQERCD_REG (VT-d 3.0 and later): IQEI gives the reason for IQE",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_init (no DMAR_IQERCD_REG)",
    },
    Deviation {
        id: "qemu-iqe-resume-needs-tail-write",
        backend: "qemu",
        kind: Kind::Differs,
        what: "clearing FSTS.IQE does not resume the queue; processing starts again only at the next IQT write",
        spec: "§6.5.2.10: once software clears IQE, hardware fetches from IQH again",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_handle_fsts_write, vtd_handle_iqt_write",
    },
    Deviation {
        id: "qemu-no-ats",
        backend: "qemu",
        kind: Kind::Unsupported,
        what: "no device has an ATS device-TLB: device-TLB invalidations complete at once, a device that stops answering cannot be made (no hot-unplug on pcie.0), no invalidation completion can go astray; ITE and ICE are not implemented",
        spec: "§6.5.2.5 device-TLB invalidation, §6.5.2.10 ITE/ICE",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_process_device_iotlb_desc; vtd_init defines no IQERCD",
    },
    Deviation {
        id: "qemu-no-pasid-requests",
        backend: "qemu",
        kind: Kind::Unsupported,
        what: "no device issues a request with a PASID, an execute or a privileged request: edu's DMA is untranslated and without PASID, so requests-with-PASID faults (0x31, 0x45, 0x46, 0x5C, 0x5D, 0x82) cannot be provoked",
        spec: "§3.4.3 requests with PASID, §7.1.3 RTA.2, SCT.6, SCT.7, SPT.5, SPT.6, SGN.3",
        source: "QEMU 7.2 hw/misc/edu.c edu_dma_timer: pci_dma_read/pci_dma_write with unspecified attributes",
    },
    Deviation {
        id: "qemu-narrow-descriptors-in-scalable-mode",
        backend: "qemu",
        kind: Kind::Differs,
        what: "with a scalable-mode root table, a queue of 128-bit descriptors is processed as usual",
        spec: "§6.5.2: scalable mode requires 256-bit descriptors; IQERCD IQEI=5 (invalid descriptor width)",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_fetch_inv_desc (no width check against RTADDR.TTM)",
    },
    Deviation {
        id: "qemu-misaligned-tail-ignored",
        backend: "qemu",
        kind: Kind::Differs,
        what: "with 256-bit descriptors, an IQT with bit 4 set is taken as the tail rounded down; no IQE",
        spec: "§11.4.9.2 IQT_REG: with DW=1, bit 4 must be 0; IQERCD IQEI=6 (tail misaligned)",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_handle_iqt_write (VTD_IQT_QT)",
    },
    Deviation {
        id: "qemu-reserved-ttm-ignored",
        backend: "qemu",
        kind: Kind::Differs,
        what: "a root table pointer with the reserved TTM 10b is latched without complaint and queued invalidation goes on",
        spec: "§11.4.5 RTADDR_REG TTM=10b is reserved; IQERCD IQEI=7 (invalid TTM)",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_root_table_setup (only bit 10, SMT, is read)",
    },
    Deviation {
        id: "qemu-ir-faults-not-recorded",
        backend: "qemu",
        kind: Kind::Differs,
        what: "an interrupt-remapping fault drops the interrupt without a fault record, PPF or fault event (and IRTE.FPD has nothing to suppress)",
        spec: "§7.1.3: interrupt-remapping faults 0x20-0x28 are recorded like DMA faults, FI[63:48] holding the index",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_mem_ir_write (\"TODO: report error\")",
    },
    Deviation {
        id: "qemu-no-cfi",
        backend: "qemu",
        kind: Kind::Differs,
        what: "compatibility-format interrupts always pass through while IRE is set; GCMD.CFI is ignored and GSTS.CFIS never sets",
        spec: "§5.1.2.1, §11.4.4 GCMD_REG CFI: with IRE set and CFIS clear (or EIME set) compatibility-format requests are blocked (fault 0x25)",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_interrupt_remap_msi (\"This is compatible mode\"), vtd_handle_gcmd_write",
    },
    Deviation {
        id: "qemu-svt-bus-range-reversed",
        backend: "qemu",
        kind: Kind::Differs,
        what: "source validation by bus range (SVT=10b) takes SID[7:0] as the first bus and SID[15:8] as the last, the reverse of the spec",
        spec: "§9.10 IRTE SVT=10b: SID[15:8] is the start bus, SID[7:0] the end bus",
        source: "QEMU 7.2 hw/i386/intel_iommu.c vtd_irte_get (VTD_SVT_BUS)",
    },
    Deviation {
        id: "qemu-no-interrupt-entry-cache",
        backend: "qemu",
        kind: Kind::Differs,
        what: "with TCG there is no interrupt entry cache: an IRTE change takes effect without any invalidation",
        spec: "§6.2.2: IRTEs may be cached until an interrupt-entry-cache invalidation (the model keeps them, as hardware does)",
        source: "QEMU 7.2 hw/i386/x86-iommu.c (IEC notifiers only for KVM routes); vtd_remap_irq_get reads the IRTE every time",
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

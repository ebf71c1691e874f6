//! A scenario: a unit configuration, a program of primitive steps (or a driver boot),
//! and the observations expected. Scenarios are data; the builders in `builder.rs`
//! write them and `catalog/` holds them, one file per area.

use crate::layout::Reg;
use serde::Serialize;
use vtd_machine::Bdf;

/// The areas of the catalog, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// Reset values and access rules of every register.
    Registers,
    /// GCMD/GSTS commands.
    Commands,
    /// Legacy-mode translation, every page size.
    Legacy,
    /// Scalable-mode translation.
    Scalable,
    /// Every DMA remapping fault reason.
    DmaFaults,
    /// Fault recording registers, overflow and the fault event.
    Recording,
    /// Caching and register-based invalidation.
    Caching,
    /// Queued invalidation: descriptors and granularities.
    Qi,
    /// Invalidation wait semantics.
    Wait,
    /// Queue errors (IQE, ITE, ICE) and recovery.
    QueueErrors,
    /// Interrupt remapping and its faults.
    Ir,
    /// Snoop control.
    Snoop,
    /// Protected memory regions.
    Pmr,
    /// Requester-id aliasing behind bridges.
    Bridges,
    /// The intent of QEMU's and kvm-unit-tests' VT-d tests.
    Ported,
    /// The reference driver's workaround scenarios.
    Driver,
}

impl Area {
    /// Every area.
    pub const ALL: [Area; 16] = [
        Area::Registers,
        Area::Commands,
        Area::Legacy,
        Area::Scalable,
        Area::DmaFaults,
        Area::Recording,
        Area::Caching,
        Area::Qi,
        Area::Wait,
        Area::QueueErrors,
        Area::Ir,
        Area::Snoop,
        Area::Pmr,
        Area::Bridges,
        Area::Ported,
        Area::Driver,
    ];

    /// The kebab-case name scenario ids start with.
    pub fn name(self) -> &'static str {
        match self {
            Area::Registers => "registers",
            Area::Commands => "commands",
            Area::Legacy => "legacy",
            Area::Scalable => "scalable",
            Area::DmaFaults => "dma-faults",
            Area::Recording => "recording",
            Area::Caching => "caching",
            Area::Qi => "qi",
            Area::Wait => "wait",
            Area::QueueErrors => "queue-errors",
            Area::Ir => "ir",
            Area::Snoop => "snoop",
            Area::Pmr => "pmr",
            Area::Bridges => "bridges",
            Area::Ported => "ported",
            Area::Driver => "driver",
        }
    }
}

/// The remapping unit's configuration, in the words of QEMU's `intel-iommu` device
/// properties; the model backend builds the capability registers QEMU 7.2 would
/// advertise for them (`backend::qemu_caps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UnitOptions {
    /// `aw-bits` (39 or 48).
    pub aw_bits: u8,
    /// `x-scalable-mode`.
    pub scalable: bool,
    /// `caching-mode`.
    pub caching_mode: bool,
    /// `snoop-control`.
    pub snoop_control: bool,
    /// `device-iotlb`.
    pub device_iotlb: bool,
    /// `intremap`.
    pub intremap: bool,
    /// `x-pasid-mode`.
    pub pasid: bool,
}

impl Default for UnitOptions {
    fn default() -> Self {
        UnitOptions {
            aw_bits: 39,
            scalable: false,
            caching_mode: false,
            snoop_control: false,
            device_iotlb: false,
            intremap: true,
            pasid: false,
        }
    }
}

/// Which machine the scenario runs on. The DMA-capable device is QEMU's `edu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MachineKind {
    /// q35, 512 MiB, one unit at 0xfed90000, `edu` at 00:01.0.
    Q35,
    /// As Q35, plus a PCIe-to-PCI bridge at 00:02.0 (secondary bus 1) with a second
    /// `edu` at 01:03.0 behind it, whose requests arrive as 01:00.0.
    Q35PciBridge,
}

/// The unit, when a scenario needs something QEMU's properties cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hardware {
    /// Capabilities from [`UnitOptions`], as QEMU builds them.
    Qemu,
    /// A real unit's capabilities, by preset name (`vtd_model::regs::presets`).
    Preset(&'static str),
    /// QEMU's capabilities with bits changed: (CAP set, CAP clear, ECAP set, ECAP clear).
    Modified {
        /// CAP bits to set.
        cap_set: u64,
        /// CAP bits to clear.
        cap_clear: u64,
        /// ECAP bits to set.
        ecap_set: u64,
        /// ECAP bits to clear.
        ecap_clear: u64,
    },
}

/// Everything about the system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Config {
    /// QEMU-style unit options.
    pub unit: UnitOptions,
    /// Where the capabilities come from.
    pub hardware: Hardware,
    /// The machine.
    pub machine: MachineKind,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            unit: UnitOptions::default(),
            hardware: Hardware::Qemu,
            machine: MachineKind::Q35,
        }
    }
}

/// An expected value: `observed & mask == value`, or one of the alternatives a
/// backend is allowed by a named deviation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expect {
    /// Expected value (under the mask).
    pub value: u64,
    /// The bits compared.
    pub mask: u64,
    /// Deviations: (deviation id, value, mask).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<(&'static str, u64, u64)>,
}

impl Expect {
    /// Exactly `value`.
    pub fn exact(value: u64) -> Self {
        Expect {
            value,
            mask: u64::MAX,
            alternatives: Vec::new(),
        }
    }

    /// `value` under `mask`.
    pub fn masked(value: u64, mask: u64) -> Self {
        Expect {
            value: value & mask,
            mask,
            alternatives: Vec::new(),
        }
    }

    /// Whether `observed` matches the main expectation.
    pub fn matches(&self, observed: u64) -> bool {
        observed & self.mask == self.value
    }

    /// The deviation whose alternative `observed` matches.
    pub fn deviation(&self, observed: u64) -> Option<&'static str> {
        self.alternatives
            .iter()
            .find(|(_, v, m)| observed & m == *v)
            .map(|(id, ..)| *id)
    }
}

/// Which way a device's DMA goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The device reads memory at the IOVA into its buffer.
    Read,
    /// The device writes its buffer to memory at the IOVA.
    Write,
}

/// Something a device does that is not a DMA: the ATS side of device-TLB
/// invalidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceEvent {
    /// The device stops answering (surprise removal): device-TLB invalidations sent
    /// to it never complete.
    Gone,
    /// The device sends an invalidation completion nobody asked for.
    StrayCompletion,
    /// The device issues one request edu cannot make (with a PASID, an execute or
    /// privileged request, an ATS translation request or a translated request); it is
    /// translated and faults like any other, without touching memory.
    Request(Req),
}

/// A request with every attribute a PCIe function can give it (§3.4, §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Req {
    /// The address.
    pub iova: u64,
    /// A write (else a read).
    pub write: bool,
    /// The PASID prefix.
    pub pasid: Option<u32>,
    /// Execute-requested (with PASID).
    pub exec: bool,
    /// Privileged-mode-requested (with PASID).
    pub privileged: bool,
    /// The address type.
    pub at: ReqAt,
}

impl Req {
    /// An untranslated read of `iova` without PASID.
    pub fn read(iova: u64) -> Self {
        Req {
            iova,
            write: false,
            pasid: None,
            exec: false,
            privileged: false,
            at: ReqAt::Untranslated,
        }
    }

    /// The same with PASID `p`.
    pub fn pasid(self, p: u32) -> Self {
        Req {
            pasid: Some(p),
            ..self
        }
    }

    /// The same as a write.
    pub fn write(self) -> Self {
        Req {
            write: true,
            ..self
        }
    }

    /// The same, execute-requested.
    pub fn exec(self) -> Self {
        Req { exec: true, ..self }
    }

    /// The same, privileged.
    pub fn privileged(self) -> Self {
        Req {
            privileged: true,
            ..self
        }
    }

    /// The same with address type `at`.
    pub fn at(self, at: ReqAt) -> Self {
        Req { at, ..self }
    }
}

/// The PCIe AT field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReqAt {
    /// An ordinary request.
    Untranslated,
    /// An ATS translation request.
    TranslationRequest,
    /// A request with an address from the device-TLB.
    Translated,
}

/// One primitive step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Step {
    /// Write a register (4 or 8 bytes).
    Write {
        /// Register.
        reg: Reg,
        /// Bytes.
        size: u8,
        /// Value.
        value: u64,
    },
    /// Read a register and compare.
    Read {
        /// Register.
        reg: Reg,
        /// Bytes.
        size: u8,
        /// Expected.
        expect: Expect,
    },
    /// Read a register until `value & mask == expect`, at most `tries` times.
    Poll {
        /// Register.
        reg: Reg,
        /// Bytes.
        size: u8,
        /// Mask.
        mask: u64,
        /// Value under the mask.
        value: u64,
        /// Reads before giving up.
        tries: u32,
    },
    /// Write guest memory.
    MemWrite {
        /// Address.
        addr: u64,
        /// Bytes.
        #[serde(serialize_with = "hex")]
        data: Vec<u8>,
    },
    /// Read guest memory and compare.
    MemRead {
        /// Address.
        addr: u64,
        /// Expected bytes.
        #[serde(serialize_with = "hex")]
        expect: Vec<u8>,
        /// Deviations: (id, bytes).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        alternatives: Vec<(&'static str, Vec<u8>)>,
    },
    /// Write a PCI configuration register (4 bytes).
    PciWrite {
        /// Function.
        bdf: Bdf,
        /// Offset.
        offset: u8,
        /// Value.
        value: u32,
    },
    /// Read a PCI configuration register (4 bytes) and compare.
    PciRead {
        /// Function.
        bdf: Bdf,
        /// Offset.
        offset: u8,
        /// Expected.
        expect: Expect,
    },
    /// The device at `device` copies `len` bytes between memory at `iova` and its
    /// DMA buffer at `buffer` (edu's DMA engine); the step waits for completion.
    Dma {
        /// The device.
        device: Bdf,
        /// Direction.
        dir: Direction,
        /// Bus address.
        iova: u64,
        /// Bytes.
        len: u16,
        /// Offset in the device's 4 KiB buffer.
        buffer: u16,
    },
    /// The device signals an MSI: a write of `data` to `addr` (edu's MSI capability).
    Msi {
        /// The device.
        device: Bdf,
        /// Address.
        addr: u64,
        /// Data.
        data: u32,
    },
    /// A device event.
    Device {
        /// The device.
        device: Bdf,
        /// What it does.
        event: DeviceEvent,
    },
    /// The vectors pending in CPU 0's local APIC (IRR), which nothing acknowledges
    /// during a scenario: every interrupt the unit delivered or generated so far.
    Irr {
        /// Pending vectors, ascending.
        expect: Vec<u8>,
        /// Deviations: (id, vectors).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        alternatives: Vec<(&'static str, Vec<u8>)>,
    },
}

fn hex<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let t: String = b.iter().map(|x| format!("{x:02x}")).collect();
    s.serialize_str(&t)
}

/// A driver scenario: boot the reference driver (and, with the oracle backend, the
/// production one) on a fixture and compare the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriverCase {
    /// `xen`, `xen-4.0` or `linux`.
    pub personality: &'static str,
    /// The fixture whose table and machine are booted.
    pub fixture: &'static str,
    /// The command line.
    pub cmdline: &'static str,
    /// Expected outcome: `booted`, `vtd_disabled`, `panic`, `hang`.
    pub outcome: &'static str,
    /// Log lines that must appear (substrings).
    pub logged: Vec<&'static str>,
    /// Whether the machine's own DMA faults after boot.
    pub faults: Option<bool>,
}

/// What a scenario does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Body {
    /// Primitive steps.
    Program(Vec<Step>),
    /// A driver boot.
    Driver(DriverCase),
}

/// What a scenario exercises, for the coverage table; registers are read off the
/// steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cover {
    /// A DMA remapping fault reason.
    DmaFault(u8),
    /// An interrupt remapping fault reason.
    IrFault(u8),
    /// An invalidation descriptor type and granularity name.
    Descriptor(u8, &'static str),
    /// A register-based invalidation: `ccmd` or `iotlb`, and granularity.
    RegisterInvalidation(&'static str, &'static str),
    /// A queue error: IQE (with its IQEI code, or 0 when the unit records none), ITE,
    /// ICE.
    QueueError(&'static str, u8),
}

/// A scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// `area/name`.
    pub id: String,
    /// Area.
    pub area: Area,
    /// What it checks, in one sentence.
    pub intent: String,
    /// The spec section that decides it.
    pub spec: &'static str,
    /// The public test whose intent it ports, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<&'static str>,
    /// The system.
    pub config: Config,
    /// The steps or the driver case.
    pub body: Body,
    /// What it covers beyond registers.
    pub covers: Vec<Cover>,
    /// Deviations (of kind unsupported) that keep it off a backend: what the
    /// scenario needs that the backend cannot do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<&'static str>,
}

impl Scenario {
    /// The steps (empty for a driver case).
    pub fn steps(&self) -> &[Step] {
        match &self.body {
            Body::Program(s) => s,
            Body::Driver(_) => &[],
        }
    }

    /// Every deviation id the scenario names: its skips and the alternatives of its
    /// expectations.
    pub fn deviation_ids(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self.skip.clone();
        for s in self.steps() {
            match s {
                Step::Read { expect, .. } | Step::PciRead { expect, .. } => {
                    v.extend(expect.alternatives.iter().map(|a| a.0))
                }
                Step::MemRead { alternatives, .. } | Step::Irr { alternatives, .. } => {
                    v.extend(alternatives.iter().map(|a| a.0))
                }
                _ => {}
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Registers the steps touch.
    pub fn registers(&self) -> impl Iterator<Item = Reg> + '_ {
        self.steps().iter().filter_map(|s| match s {
            Step::Write { reg, .. } | Step::Read { reg, .. } | Step::Poll { reg, .. } => {
                Some(reg.coverage_key())
            }
            _ => None,
        })
    }
}

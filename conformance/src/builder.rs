//! Writing scenarios: a fluent builder over [`Step`]s, with the helpers a driver
//! writer would use (tables, mappings, GCMD commands, queued descriptors) expanding
//! to primitive memory and register steps. The builder keeps a shadow of what it has
//! written (GSTS as expected, paging structures, the queue tail), so a helper never
//! needs a value read back at run time.
//!
//! Guest memory layout (QEMU's edu masks DMA addresses to 28 bits, so IOVAs stay below
//! 256 MiB; the structures sit above, as QEMU's libqos VT-d helpers put them):
//!
//! | address | what |
//! |---|---|
//! | 0x1000_0000 | root table |
//! | 0x1000_1000 + bus × 0x2000 | context tables (8 KiB each, room for scalable mode) |
//! | 0x1002_0000 | invalidation queue (4 KiB) |
//! | 0x1003_0000 | wait status words |
//! | 0x1004_0000 | interrupt remapping table |
//! | 0x1005_0000 | PASID directory, then PASID tables |
//! | 0x1010_0000 | the default paging-structure root, then tables allocated upwards |
//! | 0x1800_0000 | data pages ([`data`]) |

use crate::layout::{desc, entry, gcmd, iotlb, pte, Reg};
use crate::scenario::{
    Area, Body, Config, Cover, Direction, DriverCase, Expect, Hardware, MachineKind, Scenario, Step,
};
use std::collections::HashMap;
use vtd_machine::Bdf;

/// The root table.
pub const ROOT: u64 = 0x1000_0000;
/// The invalidation queue.
pub const IQ: u64 = 0x1002_0000;
/// Wait status words.
pub const STATUS: u64 = 0x1003_0000;
/// The interrupt remapping table.
pub const IRT: u64 = 0x1004_0000;
/// The PASID directory.
pub const PASID_DIR: u64 = 0x1005_0000;
/// The first paging-structure page: the default second-level (or first-level) root,
/// which scenarios name directly; [`Builder::new_table`] allocates after it.
pub const TABLES: u64 = 0x1010_0000;
/// The first data page.
pub const DATA: u64 = 0x1800_0000;
/// The fault event and invalidation event MSI address (APIC 0, physical).
pub const EVENT_ADDR: u64 = 0xfee0_0000;

/// The context table of `bus`.
pub fn context_table(bus: u8) -> u64 {
    0x1000_1000 + u64::from(bus) * 0x2000
}

/// Data page `n`.
pub fn data(n: u64) -> u64 {
    DATA + n * 0x1000
}

/// QEMU's edu at 00:01.0.
pub const EDU: Bdf = Bdf {
    segment: 0,
    bus: 0,
    device: 1,
    function: 0,
};

/// The second edu, behind the PCIe-to-PCI bridge ([`MachineKind::Q35PciBridge`]).
pub const EDU_BEHIND_BRIDGE: Bdf = Bdf {
    segment: 0,
    bus: 1,
    device: 3,
    function: 0,
};

/// The requester-id the bridge gives it.
pub const BRIDGE_ALIAS: Bdf = Bdf {
    segment: 0,
    bus: 1,
    device: 0,
    function: 0,
};

/// A register's natural access size.
pub fn natural_size(reg: Reg) -> u8 {
    match reg {
        Reg::Cap
        | Reg::Ecap
        | Reg::Rtaddr
        | Reg::Ccmd
        | Reg::Aflog
        | Reg::Phmbase
        | Reg::Phmlimit
        | Reg::Iqh
        | Reg::Iqt
        | Reg::Iqa
        | Reg::Irta
        | Reg::Iqercd
        | Reg::Iva
        | Reg::Iotlb
        | Reg::FrcdLo(_)
        | Reg::FrcdHi(_) => 8,
        _ => 4,
    }
}

/// A fault record as the spec lays it out (§11.4.14): (lo, hi).
pub fn fault_record(reason: u8, sid: u16, addr: u64, read: bool) -> (u64, u64) {
    (
        addr & !0xfff,
        1 << 63 | u64::from(read) << 62 | u64::from(reason) << 32 | u64::from(sid),
    )
}

/// The FRCD high-quadword bits a record's expectation compares: PV (123:104, bits
/// 59:40 here) only when PP (95, bit 31 here) is set.
pub fn record_mask(hi: u64) -> u64 {
    if hi & (1 << 31) != 0 {
        u64::MAX
    } else {
        !(0xf_ffff << 40)
    }
}

/// An interrupt-remapping fault record: the index in FI[63:48].
pub fn ir_fault_record(reason: u8, sid: u16, index: u16) -> (u64, u64) {
    (
        u64::from(index) << 48,
        1 << 63 | u64::from(reason) << 32 | u64::from(sid),
    )
}

/// Start a scenario.
pub fn scenario(area: Area, name: &str, intent: &str) -> Builder {
    Builder {
        s: Scenario {
            id: format!("{}/{name}", area.name()),
            area,
            intent: intent.to_string(),
            spec: "",
            ports: None,
            config: Config::default(),
            body: Body::Program(Vec::new()),
            covers: Vec::new(),
            skip: Vec::new(),
        },
        gsts: 0,
        tables: HashMap::new(),
        next_table: TABLES + 0x1000,
        tail: 0,
        queue_entries: 256,
        width: 16,
    }
}

/// A driver scenario.
pub fn driver(name: &str, intent: &str, case: DriverCase) -> Scenario {
    Scenario {
        id: format!("{}/{name}", Area::Driver.name()),
        area: Area::Driver,
        intent: intent.to_string(),
        spec: "",
        ports: None,
        config: Config::default(),
        body: Body::Driver(case),
        covers: Vec::new(),
        skip: Vec::new(),
    }
}

/// Builds a [`Scenario`].
#[derive(Debug, Clone)]
pub struct Builder {
    s: Scenario,
    /// GSTS as it should be now.
    gsts: u32,
    /// Paging-structure entries written: (table, index) → entry.
    tables: HashMap<(u64, u64), u64>,
    next_table: u64,
    /// Queue tail, in descriptors.
    tail: u64,
    queue_entries: u64,
    /// Descriptor bytes.
    width: u64,
}

impl Builder {
    /// The scenario.
    pub fn build(self) -> Scenario {
        self.s
    }

    fn push(&mut self, step: Step) {
        if let Body::Program(steps) = &mut self.s.body {
            steps.push(step);
        }
    }

    /// The spec section.
    pub fn spec(mut self, section: &'static str) -> Self {
        self.s.spec = section;
        self
    }

    /// The public test it ports.
    pub fn ports(mut self, test: &'static str) -> Self {
        self.s.ports = Some(test);
        self
    }

    /// What it covers.
    pub fn covers(mut self, c: Cover) -> Self {
        self.s.covers.push(c);
        self
    }

    /// The scenario needs something backends with deviation `id` (of kind
    /// unsupported) cannot do.
    pub fn skip_on(mut self, id: &'static str) -> Self {
        self.s.skip.push(id);
        self
    }

    /// `aw-bits=48`: 3- and 4-level tables.
    pub fn aw48(mut self) -> Self {
        self.s.config.unit.aw_bits = 48;
        self
    }

    /// `x-scalable-mode=on`.
    pub fn scalable(mut self) -> Self {
        self.s.config.unit.scalable = true;
        self
    }

    /// `caching-mode=on`.
    pub fn caching_mode(mut self) -> Self {
        self.s.config.unit.caching_mode = true;
        self
    }

    /// `snoop-control=on`.
    pub fn snoop_control(mut self) -> Self {
        self.s.config.unit.snoop_control = true;
        self
    }

    /// `device-iotlb=on`.
    pub fn device_iotlb(mut self) -> Self {
        self.s.config.unit.device_iotlb = true;
        self
    }

    /// `intremap=off`.
    pub fn no_intremap(mut self) -> Self {
        self.s.config.unit.intremap = false;
        self
    }

    /// A real unit's capabilities (model only).
    pub fn preset(mut self, name: &'static str) -> Self {
        self.s.config.hardware = Hardware::Preset(name);
        self
    }

    /// QEMU's capabilities with bits changed (model only).
    pub fn modified(
        mut self,
        cap_set: u64,
        cap_clear: u64,
        ecap_set: u64,
        ecap_clear: u64,
    ) -> Self {
        self.s.config.hardware = Hardware::Modified {
            cap_set,
            cap_clear,
            ecap_set,
            ecap_clear,
        };
        self
    }

    /// The machine with a PCIe-to-PCI bridge.
    pub fn bridge_machine(mut self) -> Self {
        self.s.config.machine = MachineKind::Q35PciBridge;
        self
    }

    /// Levels of the second-level tables this unit's default AGAW uses.
    fn levels(&self) -> u32 {
        if self.s.config.unit.aw_bits == 48 {
            4
        } else {
            3
        }
    }

    /// The context entry AW field for the default levels.
    pub fn aw(&self) -> u8 {
        (self.levels() - 2) as u8
    }

    // --- primitives ---

    /// Write a register at its natural size.
    pub fn write(mut self, reg: Reg, value: u64) -> Self {
        let size = natural_size(reg);
        self.push(Step::Write { reg, size, value });
        self
    }

    /// Write a register with an explicit access size.
    pub fn write_sized(mut self, reg: Reg, size: u8, value: u64) -> Self {
        self.push(Step::Write { reg, size, value });
        self
    }

    /// Read a register and expect exactly `value`.
    pub fn read(self, reg: Reg, value: u64) -> Self {
        self.read_expect(reg, Expect::exact(value))
    }

    /// Read a register and expect `value` under `mask`.
    pub fn read_masked(self, reg: Reg, value: u64, mask: u64) -> Self {
        self.read_expect(reg, Expect::masked(value, mask))
    }

    /// Read a register and expect `value`, or `alt` on a backend with deviation `id`.
    pub fn read_or(self, reg: Reg, value: u64, id: &'static str, alt: u64) -> Self {
        self.read_expect(
            reg,
            Expect {
                alternatives: vec![(id, alt, u64::MAX)],
                ..Expect::exact(value)
            },
        )
    }

    /// Read a register with a full expectation.
    pub fn read_expect(mut self, reg: Reg, expect: Expect) -> Self {
        let size = natural_size(reg);
        self.push(Step::Read { reg, size, expect });
        self
    }

    /// Read with an explicit size.
    pub fn read_sized(mut self, reg: Reg, size: u8, expect: Expect) -> Self {
        self.push(Step::Read { reg, size, expect });
        self
    }

    /// Poll until `reg & mask == value`.
    pub fn poll(mut self, reg: Reg, mask: u64, value: u64) -> Self {
        let size = natural_size(reg);
        self.push(Step::Poll {
            reg,
            size,
            mask,
            value: value & mask,
            tries: 1000,
        });
        self
    }

    /// Write guest memory.
    pub fn mem(mut self, addr: u64, data: &[u8]) -> Self {
        self.push(Step::MemWrite {
            addr,
            data: data.to_vec(),
        });
        self
    }

    /// Write a little-endian u64.
    pub fn mem64(self, addr: u64, value: u64) -> Self {
        self.mem(addr, &value.to_le_bytes())
    }

    /// Write a little-endian u32.
    pub fn mem32(self, addr: u64, value: u32) -> Self {
        self.mem(addr, &value.to_le_bytes())
    }

    /// Expect guest memory bytes.
    pub fn expect_mem(mut self, addr: u64, bytes: &[u8]) -> Self {
        self.push(Step::MemRead {
            addr,
            expect: bytes.to_vec(),
            alternatives: Vec::new(),
        });
        self
    }

    /// Expect guest memory bytes, or other bytes under a named deviation.
    pub fn expect_mem_or(
        mut self,
        addr: u64,
        bytes: &[u8],
        deviation: &'static str,
        alt: &[u8],
    ) -> Self {
        self.push(Step::MemRead {
            addr,
            expect: bytes.to_vec(),
            alternatives: vec![(deviation, alt.to_vec())],
        });
        self
    }

    /// Expect a little-endian u32 in memory.
    pub fn expect_mem32(self, addr: u64, value: u32) -> Self {
        self.expect_mem(addr, &value.to_le_bytes())
    }

    /// Write a PCI configuration dword.
    pub fn pci_write(mut self, bdf: Bdf, offset: u8, value: u32) -> Self {
        self.push(Step::PciWrite { bdf, offset, value });
        self
    }

    /// Read a PCI configuration dword.
    pub fn pci_read(mut self, bdf: Bdf, offset: u8, expect: Expect) -> Self {
        self.push(Step::PciRead {
            bdf,
            offset,
            expect,
        });
        self
    }

    /// The device reads `len` bytes at `iova` into its buffer at `buffer`.
    pub fn dma_read(mut self, device: Bdf, iova: u64, len: u16, buffer: u16) -> Self {
        self.push(Step::Dma {
            device,
            dir: Direction::Read,
            iova,
            len,
            buffer,
        });
        self
    }

    /// The device writes `len` bytes of its buffer at `buffer` to `iova`.
    pub fn dma_write(mut self, device: Bdf, iova: u64, len: u16, buffer: u16) -> Self {
        self.push(Step::Dma {
            device,
            dir: Direction::Write,
            iova,
            len,
            buffer,
        });
        self
    }

    /// The device signals an MSI.
    pub fn msi(mut self, device: Bdf, addr: u64, data: u32) -> Self {
        self.push(Step::Msi { device, addr, data });
        self
    }

    /// A device event (model only: QEMU's devices have no ATS).
    pub fn device_event(mut self, device: Bdf, event: crate::scenario::DeviceEvent) -> Self {
        self.push(Step::Device { device, event });
        self.skip_on("qemu-no-ats")
    }

    /// The device issues a request edu cannot make (model only: QEMU's edu issues
    /// untranslated requests without PASID).
    pub fn request(mut self, device: Bdf, req: crate::scenario::Req) -> Self {
        self.push(Step::Device {
            device,
            event: crate::scenario::DeviceEvent::Request(req),
        });
        if req.at == crate::scenario::ReqAt::Untranslated {
            self.skip_on("qemu-no-pasid-requests")
        } else {
            self.skip_on("qemu-no-ats")
        }
    }

    /// Expect these vectors pending at CPU 0.
    pub fn irr(mut self, vectors: &[u8]) -> Self {
        let mut v = vectors.to_vec();
        v.sort_unstable();
        v.dedup();
        self.push(Step::Irr {
            expect: v,
            alternatives: Vec::new(),
        });
        self
    }

    /// Expect these vectors, or others under a named deviation.
    pub fn irr_or(mut self, vectors: &[u8], deviation: &'static str, alt: &[u8]) -> Self {
        let mut v = vectors.to_vec();
        v.sort_unstable();
        let mut a = alt.to_vec();
        a.sort_unstable();
        self.push(Step::Irr {
            expect: v,
            alternatives: vec![(deviation, a)],
        });
        self
    }

    // --- commands ---

    /// GSTS as the builder expects it now.
    pub fn gsts(&self) -> u32 {
        self.gsts
    }

    /// Issue a GCMD command the way software does: write `(GSTS & KEEP) | bit` (or
    /// without `bit` to turn an enable off) and wait for the status.
    pub fn command(mut self, bit: u32, on: bool) -> Self {
        let keep = self.gsts & gcmd::KEEP;
        let value = if on { keep | bit } else { keep & !bit };
        self = self.write(Reg::Gcmd, u64::from(value));
        // One-shot commands latch a status bit of their own (SRTP→RTPS, SIRTP→IRTPS,
        // SFL→FLS); WBF's status clears when the flush is done.
        let status_after = match bit {
            gcmd::WBF | gcmd::SFL => None,
            _ => Some(on),
        };
        if let Some(set) = status_after {
            self = self.poll(
                Reg::Gsts,
                u64::from(bit),
                if set { u64::from(bit) } else { 0 },
            );
            if set {
                self.gsts |= bit;
            } else {
                self.gsts &= !bit;
            }
        } else if bit == gcmd::WBF {
            self = self.poll(Reg::Gsts, u64::from(gcmd::WBF), 0);
        }
        self
    }

    /// Tell the builder GSTS changed by itself (e.g. a bit the scenario expects the
    /// hardware to clear).
    pub fn assume_gsts(mut self, gsts: u32) -> Self {
        self.gsts = gsts;
        self
    }

    /// Point RTADDR at the root table (legacy, or scalable with SMT) and latch it.
    pub fn root_table(self, scalable: bool) -> Self {
        let rta = ROOT | if scalable { 1 << 10 } else { 0 };
        self.write(Reg::Rtaddr, rta).command(gcmd::SRTP, true)
    }

    /// Enable translation.
    pub fn translation(self, on: bool) -> Self {
        self.command(gcmd::TE, on)
    }

    // --- structures ---

    /// A legacy root entry for `bus` pointing at its context table.
    pub fn root_entry(self, bus: u8) -> Self {
        self.mem64(ROOT + u64::from(bus) * 16, entry::root(context_table(bus)))
    }

    /// A legacy context entry for `sid`.
    pub fn context_entry(self, sid: u16, lo: u64, hi: u64) -> Self {
        let at = context_table((sid >> 8) as u8) + u64::from(sid & 0xff) * 16;
        self.mem64(at, lo).mem64(at + 8, hi)
    }

    /// A new, empty paging structure page.
    pub fn new_table(&mut self) -> u64 {
        let t = self.next_table;
        self.next_table += 0x1000;
        t
    }

    /// Legacy mode for `device` (root entry of its bus, a context entry with a new
    /// second-level root, domain `did`, the default AW): returns the builder and the
    /// second-level root.
    pub fn legacy_device(mut self, sid: u16, did: u16) -> (Self, u64) {
        let root = self.new_table();
        let aw = self.aw();
        let (lo, hi) = entry::context(root, entry::Tt::Multi, aw, did, false);
        let b = self.root_entry((sid >> 8) as u8).context_entry(sid, lo, hi);
        (b, root)
    }

    /// Legacy mode for edu, domain 1, root table latched, translation not yet on:
    /// returns the second-level root.
    pub fn legacy_setup(self) -> (Self, u64) {
        let (b, root) = self.legacy_device(EDU.requester_id(), 1);
        (b.root_table(false), root)
    }

    /// Map `iova` → `pa` (`size` 4 KiB, 2 MiB or 1 GiB) with leaf bits `bits` in the
    /// second-level tables at `root` of `levels` levels; intermediate entries are R/W.
    pub fn map_sl(
        mut self,
        root: u64,
        levels: u32,
        iova: u64,
        pa: u64,
        size: u64,
        bits: u64,
    ) -> Self {
        let leaf_level = match size {
            0x4000_0000 => 3,
            0x20_0000 => 2,
            _ => 1,
        };
        let mut table = root;
        for level in (leaf_level + 1..=levels).rev() {
            let idx = pte::index(iova, level);
            let next = match self.tables.get(&(table, idx)) {
                Some(e) => e & 0x000f_ffff_ffff_f000,
                None => {
                    let t = self.new_table();
                    let e = pte::sl(t, pte::RW);
                    self.tables.insert((table, idx), e);
                    self = self.mem64(table + idx * 8, e);
                    t
                }
            };
            table = next;
        }
        let idx = pte::index(iova, leaf_level);
        let ps = if leaf_level > 1 { pte::PS } else { 0 };
        let e = pte::sl(pa, bits | ps);
        self.tables.insert((table, idx), e);
        self.mem64(table + idx * 8, e)
    }

    /// Map a 4 KiB page with the default levels.
    pub fn map(self, root: u64, iova: u64, pa: u64, bits: u64) -> Self {
        let levels = self.levels();
        self.map_sl(root, levels, iova, pa, 0x1000, bits)
    }

    /// The address of the leaf entry for `iova` in tables at `root` (after `map`).
    pub fn leaf_entry(&self, root: u64, levels: u32, iova: u64) -> Option<u64> {
        let mut table = root;
        for level in (1..=levels).rev() {
            let idx = pte::index(iova, level);
            let e = *self.tables.get(&(table, idx))?;
            if level == 1 || e & pte::PS != 0 {
                return Some(table + idx * 8);
            }
            table = e & 0x000f_ffff_ffff_f000;
        }
        None
    }

    /// Rewrite the leaf entry of `iova` (as software changes a mapping).
    pub fn remap(mut self, root: u64, iova: u64, pa: u64, bits: u64) -> Self {
        let levels = self.levels();
        let Some(at) = self.leaf_entry(root, levels, iova) else {
            return self;
        };
        let old = self
            .tables
            .iter()
            .find(|(k, _)| k.0 + k.1 * 8 == at)
            .map(|(k, v)| (*k, *v));
        let ps = old.map_or(0, |(_, v)| v & pte::PS);
        let e = if bits == 0 && pa == 0 {
            0
        } else {
            pte::sl(pa, bits | ps)
        };
        if let Some((k, _)) = old {
            self.tables.insert(k, e);
        }
        self.mem64(at, e)
    }

    /// Fill data page `n` with `pattern` at offset 0.
    pub fn data(self, n: u64, pattern: &[u8]) -> Self {
        self.mem(data(n), pattern)
    }

    /// Put `pattern` in the device's buffer at offset 0: a DMA read of a scratch data
    /// page (0xff). Use it while translation is off, when DMA is not remapped.
    pub fn load_buffer(self, device: Bdf, pattern: &[u8]) -> Self {
        let len = pattern.len() as u16;
        self.mem(data(0xff), pattern)
            .dma_read(device, data(0xff), len, 0)
    }

    /// The device copies `len` bytes from `src` to `dst` through its buffer: a DMA
    /// read then a DMA write.
    pub fn copy(self, device: Bdf, src: u64, dst: u64, len: u16) -> Self {
        self.dma_read(device, src, len, 0)
            .dma_write(device, dst, len, 0)
    }

    /// Expect fault recording register `n` to hold this record. PV (bits 123:104) is
    /// compared only when PP says it is valid.
    pub fn expect_fault(self, n: u8, record: (u64, u64)) -> Self {
        self.read_masked(Reg::FrcdHi(n), record.1, record_mask(record.1))
            .read(Reg::FrcdLo(n), record.0)
    }

    /// Expect fault recording register `n` to hold this record, or (under a named
    /// deviation) another.
    pub fn expect_fault_or(
        self,
        n: u8,
        record: (u64, u64),
        deviation: &'static str,
        alt: (u64, u64),
    ) -> Self {
        let hi = Expect {
            alternatives: vec![(deviation, alt.1 & record_mask(alt.1), record_mask(alt.1))],
            ..Expect::masked(record.1, record_mask(record.1))
        };
        let lo = Expect {
            alternatives: vec![(deviation, alt.0, u64::MAX)],
            ..Expect::exact(record.0)
        };
        self.read_expect(Reg::FrcdHi(n), hi)
            .read_expect(Reg::FrcdLo(n), lo)
    }

    /// The end of a caching scenario: `iova` was cached to page `data(1)` and then
    /// remapped to `data(2)`; edu writes `bytes` through it once more, which must land
    /// in page 1 when the translation is still `stale`, else in page 2, without a fault.
    pub fn lands(self, iova: u64, bytes: &[u8; 4], stale: bool) -> Scenario {
        let (hit, miss) = if stale {
            (data(1), data(2))
        } else {
            (data(2), data(1))
        };
        self.dma_write(EDU, iova, 4, 0)
            .expect_mem(hit, bytes)
            .expect_mem(miss, &[0; 4])
            .no_fault()
            .build()
    }

    /// Expect no fault at all (FSTS clear).
    pub fn no_fault(self) -> Self {
        self.read(Reg::Fsts, 0)
    }

    /// Clear fault record `n` (write F back) and the PPF-derived state.
    pub fn clear_fault(self, n: u8) -> Self {
        self.write(Reg::FrcdHi(n), 1 << 63)
    }

    // --- queued invalidation ---

    /// Set up the queue (IQA at [`IQ`], 256 × 128-bit entries) and enable QI.
    pub fn qi_on(mut self) -> Self {
        self.tail = 0;
        self.width = 16;
        self.queue_entries = 256;
        self.write(Reg::Iqa, IQ)
            .write(Reg::Iqt, 0)
            .command(gcmd::QIE, true)
    }

    /// Set up a queue of 256-bit descriptors (DW=1, 128 entries) and enable QI: what
    /// scalable mode needs.
    pub fn qi_on_wide(mut self) -> Self {
        self.tail = 0;
        self.width = 32;
        self.queue_entries = 128;
        self.write(Reg::Iqa, IQ | 1 << 11)
            .write(Reg::Iqt, 0)
            .command(gcmd::QIE, true)
    }

    /// Put a descriptor in the queue (not yet submitted); a 256-bit queue gets zero
    /// upper quadwords.
    pub fn queue(mut self, d: (u64, u64)) -> Self {
        let at = IQ + self.tail * self.width;
        self.tail = (self.tail + 1) % self.queue_entries;
        let b = self.mem64(at, d.0).mem64(at + 8, d.1);
        if b.width == 32 {
            b.mem64(at + 16, 0).mem64(at + 24, 0)
        } else {
            b
        }
    }

    /// Move the tail to everything queued so far.
    pub fn submit(self) -> Self {
        let t = self.tail * self.width;
        self.write(Reg::Iqt, t)
    }

    /// The tail, in descriptors.
    pub fn tail(&self) -> u64 {
        self.tail
    }

    /// Queue `d` and a wait with a status write to `STATUS + slot*8`, submit, and
    /// expect the status word: the way software synchronises.
    pub fn qi_sync(self, d: (u64, u64), slot: u64, token: u32) -> Self {
        let status = STATUS + slot * 8;
        self.mem32(status, 0)
            .queue(d)
            .queue(desc::wait(false, Some((status, token)), false))
            .submit()
            .expect_mem32(status, token)
    }

    /// Global IOTLB flush through the register interface (domain `did` ignored).
    pub fn iotlb_global_register(self) -> Self {
        self.write(Reg::Iotlb, iotlb::request(iotlb::GLOBAL, 0))
            .poll(Reg::Iotlb, iotlb::IVT, 0)
    }

    // --- interrupt remapping ---

    /// Write IRTE `index` in the table at [`IRT`].
    pub fn irte(self, index: u16, e: (u64, u64)) -> Self {
        let at = IRT + u64::from(index) * 16;
        self.mem64(at, e.0).mem64(at + 8, e.1)
    }

    /// Point IRTA at [`IRT`] with 2^(s+1) entries (EIME clear), latch it, enable IR.
    pub fn ir_on(self, s: u8) -> Self {
        self.write(Reg::Irta, IRT | u64::from(s & 0xf))
            .command(gcmd::SIRTP, true)
            .command(gcmd::IRE, true)
    }

    /// Unmask the fault event to vector `vector` at APIC 0.
    pub fn fault_event(self, vector: u8) -> Self {
        self.write(Reg::Fedata, u64::from(vector))
            .write(Reg::Feaddr, EVENT_ADDR)
            .write(Reg::Feuaddr, 0)
            .write(Reg::Fectl, 0)
    }
}

/// The driver-case shorthand.
pub fn case(
    personality: &'static str,
    fixture: &'static str,
    cmdline: &'static str,
    outcome: &'static str,
) -> DriverCase {
    DriverCase {
        personality,
        fixture,
        cmdline,
        outcome,
        logged: Vec::new(),
        faults: None,
    }
}

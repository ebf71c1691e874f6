//! One remapping unit: its register page, the state latched by commands, its caches,
//! fault recording, statistics and the stale checkers.
//!
//! Inputs are MMIO accesses ([`Unit::mmio_read`], [`Unit::mmio_write`]), DMA requests
//! ([`Unit::translate`]), interrupt requests ([`Unit::remap_interrupt`], in `ir/`) and
//! time ([`Unit::advance`]); outputs are register values, translations, interrupts or
//! faults, memory writes (wait status, posted interrupts), and [`Event`]s collected
//! until [`Unit::take_events`]. Queued invalidation lives in `qi/`.

use crate::cache::{CacheConfig, Caches};
use crate::checker::{Outcome, StaleInterrupt, StaleTranslation};
use crate::event::Event;
use crate::fault::record::{self, Recorder};
use crate::fault::FaultReason;
use crate::invalidate;
use crate::ir::Irt;
use crate::memory::GuestMemory;
use crate::pmr;
use crate::qi::{QiMode, Queue};
use crate::regs::cap::CapError;
use crate::regs::presets::Preset;
use crate::regs::{fsts, gcmd, offset as o, Cap, Ecap, MmioError, Registers};
use crate::request::{Fault, Recorded, Request, Translation, Via};
use crate::stats::Stats;
use crate::tables::above;
use crate::timing::TimingModel;
use crate::translate::{identity, Hw, RootPointer, Walker};
use rustc_hash::FxHashSet;

/// How to build a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitConfig {
    /// VER, CAP, ECAP and register base.
    pub preset: Preset,
    /// Host address width (pointer bits at or above it are reserved); default MGAW+1.
    pub haw: Option<u32>,
    /// Cache shapes.
    pub caches: CacheConfig,
    /// Run the stale-translation checker on every translation.
    pub checker: bool,
    /// Register page size.
    pub register_size: usize,
    /// PMR alignment: the low bits of PLMBASE/PLMLIMIT and PHMBASE/PHMLIMIT that are
    /// not writable (21 = 2 MiB).
    pub pmr_alignment: u32,
    /// Whether protected memory regions also block DMA while translation is enabled
    /// (the spec leaves it to the implementation; most block only with TE=0).
    pub pmr_when_translating: bool,
    /// When the invalidation queue is processed.
    pub qi: QiMode,
    /// Cycle costs (used by [`QiMode::Timed`]).
    pub timing: TimingModel,
}

impl UnitConfig {
    /// A unit with `preset`'s registers and default caches, checker on.
    pub fn new(preset: Preset) -> Self {
        UnitConfig {
            preset,
            haw: None,
            caches: CacheConfig::default(),
            checker: true,
            register_size: 0x1000,
            pmr_alignment: 21,
            pmr_when_translating: false,
            qi: QiMode::Immediate,
            timing: TimingModel::default(),
        }
    }
}

/// Why a request was dropped without a remapping fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    /// It hit a protected memory region (PMEN.EPM).
    ProtectedMemory,
    /// The root table pointer selects abort-DMA mode (RTADDR.TTM = 11, ECAP.ADMS).
    AbortDmaMode,
}

/// A request the unit did not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// A remapping fault.
    Fault(Fault),
    /// Dropped without a fault record.
    Discarded {
        /// The request.
        request: Request,
        /// Why.
        why: Discard,
    },
}

impl Blocked {
    /// The fault reason, for a remapping fault.
    pub fn reason(&self) -> Option<FaultReason> {
        match self {
            Blocked::Fault(f) => Some(f.reason),
            Blocked::Discarded { .. } => None,
        }
    }
}

/// A remapping unit.
#[derive(Debug, Clone)]
pub struct Unit {
    pub(crate) config: UnitConfig,
    pub(crate) cap: Cap,
    pub(crate) ecap: Ecap,
    pub(crate) regs: Registers,
    te: bool,
    /// PMEN.EPM, kept here so the translation path need not read the register.
    pmr_enabled: bool,
    pub(crate) hw: Hw,
    pub(crate) caches: Caches,
    recorder: Recorder,
    pub(crate) stats: Stats,
    pub(crate) events: Vec<Event>,
    stale: Vec<StaleTranslation>,
    pub(crate) stale_interrupts: Vec<StaleInterrupt>,
    /// The invalidation queue as latched at QIE enable.
    pub(crate) queue: Queue,
    /// The interrupt remapping table as latched by SIRTP.
    pub(crate) irt: Irt,
    /// The unit's clock, in cycles.
    pub(crate) now: u64,
    /// Devices that do not answer device-TLB invalidations (removed, or broken).
    pub(crate) silent_devices: FxHashSet<u16>,
}

impl Unit {
    /// Build a unit; fails if the capabilities are inconsistent.
    pub fn new(config: UnitConfig) -> Result<Self, CapError> {
        let cap = config.preset.cap();
        let ecap = config.preset.ecap();
        crate::regs::cap::validate(cap, ecap, config.register_size)?;
        let haw = config.haw.unwrap_or(cap.mgaw_bits());
        let mut regs = Registers::new(
            cap,
            ecap,
            config.register_size,
            pmr::low_mask(config.pmr_alignment),
            pmr::high_mask(config.pmr_alignment, haw),
        );
        regs.set(o::VER, u64::from(config.preset.ver));
        Ok(Unit {
            config,
            cap,
            ecap,
            regs,
            te: false,
            pmr_enabled: false,
            hw: Hw::new(cap, ecap, haw),
            caches: Caches::new(&config.caches),
            recorder: Recorder::default(),
            stats: Stats::default(),
            events: Vec::new(),
            stale: Vec::new(),
            stale_interrupts: Vec::new(),
            queue: Queue::default(),
            irt: Irt::default(),
            now: 0,
            silent_devices: FxHashSet::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &UnitConfig {
        &self.config
    }

    /// CAP.
    pub fn cap(&self) -> Cap {
        self.cap
    }

    /// ECAP.
    pub fn ecap(&self) -> Ecap {
        self.ecap
    }

    /// MMIO base address.
    pub fn base(&self) -> u64 {
        self.config.preset.base
    }

    /// Register page size.
    pub fn register_size(&self) -> usize {
        self.regs.size()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The caches, for inspection.
    pub fn caches(&self) -> &Caches {
        &self.caches
    }

    /// GSTS.
    pub fn gsts(&self) -> u32 {
        self.regs.get(o::GSTS) as u32
    }

    /// Whether DMA remapping is enabled.
    pub fn translation_enabled(&self) -> bool {
        self.te
    }

    /// Interrupts and other events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Stale translations found by the checker since the last call.
    pub fn take_stale(&mut self) -> Vec<StaleTranslation> {
        std::mem::take(&mut self.stale)
    }

    /// Interrupts remapped through an outdated cached IRTE since the last call.
    pub fn take_stale_interrupts(&mut self) -> Vec<StaleInterrupt> {
        std::mem::take(&mut self.stale_interrupts)
    }

    /// The unit's clock, in cycles.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Let `cycles` pass: in [`QiMode::Timed`] the invalidation queue makes the
    /// progress due by then (descriptors, wait completions, time-outs).
    pub fn advance<M: GuestMemory + ?Sized>(&mut self, mem: &mut M, cycles: u64) {
        self.now = self.now.saturating_add(cycles);
        if self.config.qi == QiMode::Timed {
            self.qi_run(mem, self.now);
        }
    }

    /// Whether the device with `source_id` answers device-TLB invalidations (a device
    /// that was surprise-removed, or hangs, does not: the unit then reports an
    /// invalidation time-out).
    pub fn set_device_responds(&mut self, source_id: u16, responds: bool) {
        if responds {
            self.silent_devices.remove(&source_id);
        } else {
            self.silent_devices.insert(source_id);
        }
    }

    /// The interrupt remapping table as the last SIRTP latched it.
    pub fn interrupt_table(&self) -> Irt {
        self.irt
    }

    /// Turn the stale-translation checker on or off.
    pub fn set_checker(&mut self, on: bool) {
        self.config.checker = on;
    }

    /// Back to the state after reset.
    pub fn reset(&mut self) {
        self.regs.reset();
        self.regs.set(o::VER, u64::from(self.config.preset.ver));
        self.te = false;
        self.pmr_enabled = false;
        self.hw.root = RootPointer::default();
        self.caches = Caches::new(&self.config.caches);
        self.recorder.reset();
        self.queue = Queue::default();
        self.irt = Irt::default();
    }

    /// Read a register.
    pub fn mmio_read(&mut self, offset: usize, size: usize) -> Result<u64, MmioError> {
        self.regs.read(offset, size)
    }

    /// Write a register and carry out what the write commands.
    pub fn mmio_write<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        offset: usize,
        size: usize,
        value: u64,
    ) -> Result<(), MmioError> {
        let fsts_before = self.regs.get(o::FSTS) as u32;
        let Some(t) = self.regs.write(offset, size, value)? else {
            return Ok(());
        };
        let reg = self.regs.spec(t.index).offset;
        let iro = self.ecap.iotlb_offset();
        let fro = self.cap.fault_recording_offset();
        let fr_end = fro + 16 * self.cap.fault_records();
        match reg {
            o::GCMD => self.command(mem, self.regs.get(o::GCMD) as u32),
            o::CCMD if t.high => self.context_command(),
            o::FSTS => {
                record::after_fsts_write(&mut self.regs);
                let f = self.regs.get(o::FSTS) as u32;
                if fsts_before & (fsts::IQE | fsts::ITE) != 0 && f & (fsts::IQE | fsts::ITE) == 0 {
                    self.qi_resume(mem);
                }
            }
            o::IQT => self.qi_tail_written(mem),
            o::ICS => self.after_ics_write(),
            o::IECTL => self.after_iectl_write(),
            o::FECTL => {
                if let Some(e) = record::after_fectl_write(&mut self.regs) {
                    self.stats.fault_interrupts += 1;
                    self.events.push(e);
                }
            }
            o::PMEN => {
                // PRS follows EPM at once: the model has no DMA in flight to drain.
                let epm = self.regs.get(o::PMEN) >> 31 & 1;
                self.regs.update(o::PMEN, |v| (v & !1) | epm);
                self.pmr_enabled = epm == 1;
            }
            r if r == iro + 8 && t.high => self.iotlb_command(),
            r if (fro..fr_end).contains(&r) && (r - fro) % 16 == 8 && t.high => {
                record::update_ppf(&mut self.regs, self.cap);
                record::after_fsts_write(&mut self.regs);
            }
            _ => {}
        }
        Ok(())
    }

    /// GCMD: every bit of the written value acts (spec §11.4.4): persistent enables take
    /// the written value, one-shot commands run when set. Commands the unit lacks the
    /// capability for are ignored.
    fn command<M: GuestMemory + ?Sized>(&mut self, mem: &mut M, v: u32) {
        let gsts = self.gsts();
        let mut new = gsts;
        let mut set = |bit: u32, on: bool| {
            if on {
                new |= bit;
            } else {
                new &= !bit;
            }
        };
        if (v ^ gsts) & gcmd::TE != 0 {
            self.te = v & gcmd::TE != 0;
            set(gcmd::TE, self.te);
            if !self.te {
                self.recorder.reset();
            }
        }
        if v & gcmd::SRTP != 0 {
            let rtaddr = self.regs.get(o::RTADDR);
            let ttm = (rtaddr >> 10) & 3;
            self.hw.root = RootPointer {
                addr: rtaddr & !0xfff,
                scalable: ttm == 1,
                abort: ttm == 3 && self.ecap.adms(),
                invalid: (ttm == 1 && !self.ecap.smts())
                    || ttm == 2
                    || (ttm == 3 && !self.ecap.adms()),
                ttm: ttm as u8,
            };
            set(gcmd::SRTP, true);
            // Without ESRTPS the caches keep what they hold: software must invalidate
            // globally after setting the root pointer, and the checker notices if not.
            if self.cap.esrtps() {
                let r = self.caches.clear();
                self.stats.invalidated(r);
            }
        }
        if self.cap.afl() {
            if v & gcmd::SFL != 0 {
                set(gcmd::SFL, true);
            }
            set(gcmd::EAFL, v & gcmd::EAFL != 0);
        }
        // WBF completes at once: the model has no write buffer.
        let mut qi_enabled = false;
        if self.ecap.qi() && (v ^ gsts) & gcmd::QIE != 0 {
            if v & gcmd::QIE != 0 {
                set(gcmd::QIE, true);
                qi_enabled = true;
            } else if self.qi_disable() {
                set(gcmd::QIE, false);
            }
        }
        if self.ecap.ir() {
            if v & gcmd::SIRTP != 0 {
                let irta = self.regs.get(o::IRTA);
                self.irt = Irt {
                    base: irta & !0xfff & !above(self.hw.haw),
                    entries: 2 << (irta & 0xf),
                    x2apic: irta & (1 << 11) != 0,
                };
                set(gcmd::SIRTP, true);
                // Without ESIRTPS the interrupt entry cache keeps what it holds:
                // software must invalidate it globally after SIRTP.
                if self.cap.esirtps() {
                    let r = self.caches.invalidate_iec(None);
                    self.stats.invalidated(r);
                }
            }
            set(gcmd::IRE, v & gcmd::IRE != 0);
            set(gcmd::CFI, v & gcmd::CFI != 0);
        }
        self.regs.set(o::GSTS, u64::from(new));
        if qi_enabled {
            self.qi_enable(mem);
        }
    }

    fn qi_enabled(&self) -> bool {
        self.gsts() & gcmd::QIE != 0
    }

    /// Register-based invalidation is for legacy mode on units before VT-d version 6
    /// (spec rev 3.3 §6.5, as Xen's `has_register_based_invalidation` cites it; the
    /// VirtualBox model checks the same): with a scalable-mode root table or a later
    /// unit the command completes with granularity 0, "not performed".
    fn register_invalidation_supported(&self) -> bool {
        !self.hw.root.scalable && self.config.preset.ver >> 4 < 6
    }

    fn context_command(&mut self) {
        let ccmd = self.regs.get(o::CCMD);
        // Register-based invalidation is not available while queued invalidation is
        // enabled: the command is left pending (ICC stays set), as QEMU does.
        if ccmd >> 63 == 0 || self.qi_enabled() {
            return;
        }
        if !self.register_invalidation_supported() {
            self.regs.set(o::CCMD, ccmd & !(1 << 63) & !(3 << 59));
            return;
        }
        let (done, removed) = invalidate::context_command(&mut self.caches, ccmd);
        self.stats.invalidated(removed);
        self.regs.set(o::CCMD, done);
    }

    fn iotlb_command(&mut self) {
        let at = self.ecap.iotlb_offset();
        let cmd = self.regs.get(at + 8);
        if cmd >> 63 == 0 || self.qi_enabled() {
            return;
        }
        if !self.register_invalidation_supported() {
            self.regs.set(at + 8, cmd & !(1 << 63) & !(3 << 57));
            return;
        }
        let iva = self.regs.get(at);
        let (done, removed) = invalidate::iotlb_command(&mut self.caches, self.cap, cmd, iva);
        self.stats.invalidated(removed);
        self.regs.set(at + 8, done);
    }

    /// Translate a DMA request.
    pub fn translate<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &M,
        req: &Request,
    ) -> Result<Translation, Blocked> {
        self.stats.requests += 1;
        let pmr_applies = !self.te || self.config.pmr_when_translating;
        let discard = |why| Err(Blocked::Discarded { request: *req, why });
        if pmr_applies && pmr::protected(&self.regs, req.addr) {
            return discard(Discard::ProtectedMemory);
        }
        if !self.te {
            return Ok(identity(req, 0, Via::Disabled));
        }
        if self.hw.root.abort {
            return discard(Discard::AbortDmaMode);
        }
        let hw = &self.hw;
        let mut walker = Walker {
            mem,
            hw,
            caches: Some(&mut self.caches),
            stats: &mut self.stats,
        };
        let result = walker.translate(req);
        if let (Ok(t), false) = (&result, self.config.checker) {
            return Ok(*t);
        }
        self.settle(mem, req, result)
    }

    /// The rest of a translation that was not a plain success: the stale checker's
    /// second walk and fault recording. Kept out of line so the common path of
    /// [`Unit::translate`] stays small.
    #[inline(never)]
    fn settle<M: GuestMemory + ?Sized>(
        &mut self,
        mem: &M,
        req: &Request,
        result: crate::translate::Step<Translation>,
    ) -> Result<Translation, Blocked> {
        let hw = &self.hw;
        if self.config.checker {
            let mut scratch = Stats::default();
            let fresh = Walker {
                mem,
                hw,
                caches: None,
                stats: &mut scratch,
            }
            .resolve(req);
            let served = Outcome::of(&result.map_err(|f| f.reason));
            let memory = Outcome::of(&fresh.map_err(|f| f.reason));
            if served != memory {
                self.stats.stale += 1;
                self.stale.push(StaleTranslation {
                    request: *req,
                    served,
                    memory,
                });
            }
        }
        result.map_err(|failure| {
            let encoded = record::encode(failure.reason, req, self.ecap.dt());
            let recorded = self.record_fault(failure.reason, failure.fpd, encoded);
            Blocked::Fault(Fault {
                reason: failure.reason,
                request: *req,
                recorded,
            })
        })
    }

    /// Count a fault and record it (unless fault processing is disabled for it),
    /// raising the fault event when one is due.
    pub(crate) fn record_fault(
        &mut self,
        reason: FaultReason,
        fpd: bool,
        encoded: (u64, u64),
    ) -> Recorded {
        self.stats.fault(reason);
        if fpd && reason.qualified() {
            self.stats.faults_suppressed += 1;
            return Recorded::Suppressed;
        }
        let (recorded, event) = self.recorder.record(&mut self.regs, self.cap, encoded);
        match recorded {
            Recorded::Logged { .. } => self.stats.faults_recorded += 1,
            _ => self.stats.faults_overflowed += 1,
        }
        if let Some(e) = event {
            self.stats.fault_interrupts += 1;
            self.events.push(e);
        }
        recorded
    }
}

//! Xen 4.17's `qinval.c` and `intremap.c` bringing the model up, and a hypervisor's
//! life afterwards (mappings, unmaps with Xen's flushes, MSIs through Xen's IRTE code,
//! device DMA and interrupts through the model), with the stale checker on.
//!
//! Xen's code keeps process-wide state (dmar.c's unit lists, the per-CPU poll slot),
//! so there is one [`Session`] per process at a time; [`Session::open`] waits for it.
//! The C side is `c/bringup.c`, which says which steps are Xen's code and which are
//! reimplementations of `iommu.c`.

use crate::ffi::{self, with, Ram};
use crate::HarnessError;
use std::ffi::{c_char, c_int, CStr};
use std::sync::{Mutex, MutexGuard};
use vtd_model::checker::{StaleInterrupt, StaleTranslation};
use vtd_model::ir::{Delivery, InterruptFault, InterruptRequest};
use vtd_model::{Blocked, Request, Translation};

/// Which features the bring-up may use (Xen's `iommu=` sub-options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `qinval` (default on).
    pub qinval: bool,
    /// `intremap` (default on).
    pub intremap: bool,
    /// `snoop` (default on).
    pub snoop: bool,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            qinval: true,
            intremap: true,
            snoop: true,
        }
    }
}

impl Features {
    /// From an `iommu=` value such as `force,no-intremap` (other words are ignored:
    /// they do not change what the bring-up does).
    pub fn from_iommu_option(value: &str) -> Features {
        let mut f = Features::default();
        for word in value.split(',') {
            let (on, name) = match word.strip_prefix("no-") {
                Some(rest) => (false, rest),
                None => (true, word),
            };
            match name {
                "qinval" => f.qinval = on,
                "intremap" => f.intremap = on,
                "snoop" => f.snoop = on,
                _ => {}
            }
        }
        f
    }
}

/// What the bring-up came to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BringUp {
    /// `vtd_setup()` / `init_vtd_hw()`'s return (0: up).
    pub ret: i32,
    /// Xen's code hung (a wait that never ended) or panicked; the reason.
    pub stopped: Option<String>,
    /// GSTS of the first unit afterwards: queued invalidation, interrupt remapping,
    /// translation enabled.
    pub qi: bool,
    /// See `qi`.
    pub ir: bool,
    /// See `qi`.
    pub te: bool,
    /// The lines Xen printed during the bring-up.
    pub log: Vec<String>,
}

#[repr(C)]
#[derive(Default)]
struct CBringUp {
    ret: c_int,
    stopped: c_int,
    qi: c_int,
    ir: c_int,
    te: c_int,
}

#[cfg(not(xen_missing))]
extern "C" {
    fn vtd_harness_bring_up(out: *mut CBringUp, qinval: c_int, intremap: c_int, snoop: c_int);
    fn vtd_harness_stop_reason() -> *const c_char;
    fn vtd_harness_attach(seg: u16, bus: u8, devfn: u8) -> c_int;
    fn vtd_harness_map(dfn: u64, count: u64, pa: u64, write: c_int, flush: c_int) -> c_int;
    fn vtd_harness_msi(
        slot: u32,
        seg: u16,
        bus: u8,
        devfn: u8,
        vector: c_int,
        dest: u32,
        addr_lo: *mut u32,
        data: *mut u32,
    ) -> c_int;
    fn vtd_harness_flush_iec(global: c_int, index: u16) -> c_int;
    fn vtd_harness_dev_iotlb(seg: u16, bus: u8, devfn: u8) -> c_int;
    fn vtd_harness_flush_all() -> c_int;
}

/// Xen's code stopped (hung or panicked) in a call: `-EINTR` from the C side.
pub const STOPPED: i32 = -4;

static SESSION: Mutex<()> = Mutex::new(());

/// The process's one run of Xen's VT-d code against the model.
pub struct Session {
    _only: MutexGuard<'static, ()>,
    /// What Xen's parser said about the table: return code, lines.
    pub parse: (i32, Vec<String>),
    /// The units Xen's lists hold after the parse (see [`ffi::Unit4`]).
    pub units: Vec<ffi::Unit4>,
}

/// A device, as `seg:bus:devfn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sbdf {
    /// Segment.
    pub seg: u16,
    /// Bus.
    pub bus: u8,
    /// Device << 3 | function.
    pub devfn: u8,
}

impl Sbdf {
    /// The requester ID (bus << 8 | devfn).
    pub fn source_id(self) -> u16 {
        u16::from(self.bus) << 8 | u16::from(self.devfn)
    }
}

#[cfg(not(xen_missing))]
impl Session {
    /// Parse `table` with Xen's `dmar.c` (the units stay for [`Session::bring_up`]);
    /// the session exists whatever the parse said (see [`Session::parse`]).
    ///
    /// `dmar.c`'s function-local `include_all` survives a parse (see
    /// `c/dmar_unit.c`): in one process, open at most one table with an
    /// INCLUDE_PCI_ALL unit, or use the `xen-dmar-parse --bring-up` process per table.
    pub fn open(table: &[u8], verbose: bool, force: bool) -> Result<Session, HarnessError> {
        Self::open_with(table, ffi::qemu_unit, verbose, force)
    }

    /// Take the process's session, put the unit `unit` makes behind Xen's MMIO, and
    /// parse `table` (the unit is made once the session is held, so a concurrent
    /// session never sees it).
    fn open_with(
        table: &[u8],
        unit: impl FnOnce() -> vtd_model::Unit,
        verbose: bool,
        force: bool,
    ) -> Result<Session, HarnessError> {
        crate::available()?;
        let only = SESSION.lock().unwrap_or_else(|p| p.into_inner());
        let unit = unit();
        with(|e| e.unit = unit);
        let (ret, log, units) = ffi::parse_in_process_units(table, verbose, force);
        Ok(Session {
            _only: only,
            parse: (ret, log),
            units,
        })
    }

    /// Xen's `vtd_setup()` and `init_vtd_hw()` (see `c/bringup.c`), then translation
    /// on. May be repeated: the model is reset and Xen's allocations are redone.
    pub fn bring_up(&mut self, features: Features) -> BringUp {
        with(|e| {
            e.unit.reset();
            let _ = e.unit.take_stale();
            let _ = e.unit.take_stale_interrupts();
        });
        let mut out = CBringUp::default();
        // SAFETY: `out` is a valid, exclusively borrowed struct of the C layout.
        unsafe {
            vtd_harness_bring_up(
                &mut out,
                c_int::from(features.qinval),
                c_int::from(features.intremap),
                c_int::from(features.snoop),
            )
        };
        let stopped = (out.stopped != 0).then(|| self.stop_reason());
        BringUp {
            ret: out.ret,
            stopped,
            qi: out.qi != 0,
            ir: out.ir != 0,
            te: out.te != 0,
            log: ffi::take_log(),
        }
    }

    /// Point `dev`'s context entry at the one domain's page table (Xen's context
    /// flushes follow). Returns Xen's error code (0, negative errno, [`STOPPED`]).
    pub fn attach(&mut self, dev: Sbdf) -> i32 {
        // SAFETY: plain values.
        unsafe { vtd_harness_attach(dev.seg, dev.bus, dev.devfn) }
    }

    /// Map `count` 4 KiB pages at frame `dfn` to `pa`, and flush as Xen's
    /// `iommu_flush_iotlb()` does when `flush` (non-present-entry flush: nothing on
    /// QEMU's unit, which does not cache non-present entries).
    pub fn map(&mut self, dfn: u64, count: u64, pa: u64, write: bool, flush: bool) -> i32 {
        // SAFETY: plain values.
        unsafe { vtd_harness_map(dfn, count, pa, c_int::from(write), c_int::from(flush)) }
    }

    /// Unmap `count` pages at `dfn`; with `flush`, Xen's page-selective invalidation.
    pub fn unmap(&mut self, dfn: u64, count: u64, flush: bool) -> i32 {
        // SAFETY: plain values.
        unsafe { vtd_harness_map(dfn, count, u64::MAX, 0, c_int::from(flush)) }
    }

    /// Program MSI `slot` of `dev` for `vector` on APIC `dest` through Xen's
    /// `msi_msg_write_remap_rte()`; the remappable message Xen wrote (address, data).
    pub fn msi(&mut self, slot: u32, dev: Sbdf, vector: u8, dest: u8) -> Result<(u32, u32), i32> {
        let (mut addr, mut data) = (0u32, 0u32);
        // SAFETY: the out-pointers are valid for the call.
        let rc = unsafe {
            vtd_harness_msi(
                slot,
                dev.seg,
                dev.bus,
                dev.devfn,
                c_int::from(vector),
                u32::from(dest),
                &mut addr,
                &mut data,
            )
        };
        if rc == 0 {
            Ok((addr, data))
        } else {
            Err(rc)
        }
    }

    /// Free MSI `slot`'s IRTE through Xen's code (it clears the entry and flushes it).
    pub fn free_msi(&mut self, slot: u32) -> i32 {
        let (mut a, mut d) = (0u32, 0u32);
        // SAFETY: as in `msi`.
        unsafe { vtd_harness_msi(slot, 0, 0, 0, -1, 0, &mut a, &mut d) }
    }

    /// Open like [`Session::open`] on a unit built from `config` instead of QEMU's
    /// (for example one with device-TLB support, or other time-outs).
    pub fn open_on(
        table: &[u8],
        config: vtd_model::UnitConfig,
        force: bool,
    ) -> Result<Session, HarnessError> {
        let unit = vtd_model::Unit::new(config)
            .map_err(|e| HarnessError::Io(format!("unit configuration: {e:?}")))?;
        Self::open_with(table, || unit, false, force)
    }

    /// Xen's device-TLB invalidation and wait for `dev` as an ATS device
    /// (`qinval_device_iotlb_sync()`); 0, a negative errno, or [`STOPPED`] when Xen's
    /// wait never ended (see [`Session::stop_reason`]).
    pub fn dev_iotlb(&mut self, dev: Sbdf) -> i32 {
        // SAFETY: plain values.
        unsafe { vtd_harness_dev_iotlb(dev.seg, dev.bus, dev.devfn) }
    }

    /// Why the last call that returned [`STOPPED`] stopped.
    pub fn stop_reason(&self) -> String {
        // SAFETY: the C side returns its own NUL-terminated buffer.
        unsafe { CStr::from_ptr(vtd_harness_stop_reason()) }
            .to_string_lossy()
            .into_owned()
    }

    /// Xen's interrupt-entry-cache flush: global, or one index.
    pub fn flush_iec(&mut self, global: bool, index: u16) -> i32 {
        // SAFETY: plain values.
        unsafe { vtd_harness_flush_iec(c_int::from(global), index) }
    }

    /// Xen's global context, IOTLB and IEC flushes.
    pub fn flush_all(&mut self) -> i32 {
        // SAFETY: no arguments.
        unsafe { vtd_harness_flush_all() }
    }
}

impl Session {
    /// A DMA by `dev` at `iova` through the model.
    pub fn dma(&mut self, dev: Sbdf, iova: u64, write: bool) -> Result<Translation, Blocked> {
        let ram = Ram::get();
        let req = if write {
            Request::write(dev.source_id(), iova)
        } else {
            Request::read(dev.source_id(), iova)
        };
        with(|e| e.unit.translate(&ram, &req))
    }

    /// An MSI write by `dev` (`addr`, `data`) through the model's interrupt remapping.
    pub fn interrupt(
        &mut self,
        dev: Sbdf,
        addr: u32,
        data: u32,
    ) -> Result<Delivery, InterruptFault> {
        let mut ram = Ram::get();
        let req = InterruptRequest {
            source_id: dev.source_id(),
            addr: u64::from(addr),
            data,
        };
        with(|e| e.unit.remap_interrupt(&mut ram, &req))
    }

    /// Translations and interrupts the stale checker flagged since the last call.
    pub fn take_stale(&mut self) -> (Vec<StaleTranslation>, Vec<StaleInterrupt>) {
        with(|e| (e.unit.take_stale(), e.unit.take_stale_interrupts()))
    }

    /// Whether `dev` answers device-TLB invalidations (a device that does not makes the
    /// unit report an invalidation time-out, FSTS.ITE).
    pub fn set_device_responds(&mut self, dev: Sbdf, responds: bool) {
        with(|e| e.unit.set_device_responds(dev.source_id(), responds));
    }

    /// The unit's fault status register (IQE, ITE, ICE, PPF…).
    pub fn fsts(&mut self) -> u32 {
        with(|e| e.unit.mmio_read(0x34, 4).unwrap_or(0) as u32)
    }

    /// Lines Xen printed since the last call.
    pub fn log(&mut self) -> Vec<String> {
        ffi::take_log()
    }
}

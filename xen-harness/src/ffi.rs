//! The C side's callbacks, answered from the machine QEMU emulates and a vtd-model
//! unit, and the one entry point into Xen's code.

use std::ffi::{c_char, c_int, CStr};
use std::sync::{Mutex, OnceLock};
use vtd_machine::{Bdf, E820Kind, Machine, PciKind};
use vtd_model::memory::MemError;
use vtd_model::qi::QiMode;
use vtd_model::regs::presets;
use vtd_model::{GuestMemory, Unit, UnitConfig};

/// QEMU's unit.
const QEMU_UNIT: u64 = 0xfed9_0000;
/// QEMU q35's PCIe MMCONFIG window: config space of absent devices reads all ones.
const MMCONFIG: std::ops::RangeInclusive<u64> = 0xb000_0000..=0xbfff_ffff;

pub(crate) struct Env {
    pub(crate) machine: Machine,
    pub(crate) unit: Unit,
    log: Vec<String>,
    units: Vec<Unit4>,
}

fn env() -> &'static Mutex<Env> {
    static E: OnceLock<Mutex<Env>> = OnceLock::new();
    E.get_or_init(|| {
        let unit = qemu_unit();
        Mutex::new(Env {
            machine: vtd_conformance::oracle::compare::machine(),
            unit,
            log: Vec::new(),
            units: Vec::new(),
        })
    })
}

/// QEMU 7.2's unit, its queue running as the unit's clock advances (cpu_relax() in
/// Xen's wait loops lets it run), so Xen's polling is exercised as on hardware.
pub(crate) fn qemu_unit() -> Unit {
    let mut config = UnitConfig::new(presets::QEMU_Q35);
    config.qi = QiMode::Timed;
    Unit::new(config).unwrap_or_else(|e| panic!("the QEMU preset is valid: {e:?}"))
}

pub(crate) fn with<T>(f: impl FnOnce(&mut Env) -> T) -> T {
    let mut g = env().lock().unwrap_or_else(|p| p.into_inner());
    f(&mut g)
}

#[no_mangle]
extern "C" fn vtd_harness_mmio_read(addr: u64, size: u32) -> u64 {
    if (QEMU_UNIT..QEMU_UNIT + 0x1000).contains(&addr) {
        return with(|e| {
            e.unit
                .mmio_read((addr - QEMU_UNIT) as usize, size as usize)
                .unwrap_or(u64::MAX)
        });
    }
    if MMCONFIG.contains(&addr) {
        return if size == 8 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
    }
    0
}

/// The machine's guest memory: the C side's buffer (`c/bringup.c`), at
/// `base..base + len` in machine addresses. The model reads and writes it while Xen's
/// code, which writes it through pointers, is not running (one thread).
pub(crate) struct Ram {
    ptr: *mut u8,
    base: u64,
    len: u64,
}

#[cfg(not(xen_missing))]
extern "C" {
    fn vtd_harness_ram(base: *mut u64, len: *mut u64) -> *mut u8;
}

impl Ram {
    #[cfg(not(xen_missing))]
    pub(crate) fn get() -> Ram {
        let (mut base, mut len) = (0u64, 0u64);
        // SAFETY: the C side maps the buffer once and never unmaps it.
        let ptr = unsafe { vtd_harness_ram(&mut base, &mut len) };
        Ram { ptr, base, len }
    }

    #[cfg(xen_missing)]
    pub(crate) fn get() -> Ram {
        Ram {
            ptr: std::ptr::null_mut(),
            base: 0,
            len: 0,
        }
    }

    fn offset(&self, addr: u64, n: usize) -> Result<usize, MemError> {
        let err = MemError {
            addr,
            len: n,
            limit: self.base + self.len,
        };
        let off = addr.checked_sub(self.base).ok_or(err)?;
        match off.checked_add(n as u64) {
            Some(end) if end <= self.len => Ok(off as usize),
            _ => Err(err),
        }
    }
}

impl GuestMemory for Ram {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let off = self.offset(addr, buf.len())?;
        // SAFETY: `off + buf.len()` is inside the buffer (checked above).
        unsafe { std::ptr::copy_nonoverlapping(self.ptr.add(off), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemError> {
        let off = self.offset(addr, data.len())?;
        // SAFETY: as in `read`.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.add(off), data.len()) };
        Ok(())
    }
}

#[no_mangle]
extern "C" fn vtd_harness_mmio_write(addr: u64, size: u32, value: u64) {
    if (QEMU_UNIT..QEMU_UNIT + 0x1000).contains(&addr) {
        let mut ram = Ram::get();
        // A write the register file refuses (bad size or alignment) is dropped, as
        // QEMU drops it.
        with(|e| {
            let _ = e
                .unit
                .mmio_write(&mut ram, (addr - QEMU_UNIT) as usize, size as usize, value);
        });
    }
}

/// `ns` of Xen's waiting (one `cpu_relax()`): the unit's clock runs on (1 cycle = 1 ns).
#[no_mangle]
extern "C" fn vtd_harness_relax(ns: u64) {
    let mut ram = Ram::get();
    with(|e| e.unit.advance(&mut ram, ns));
}

/// Xen's `enum pdev_type` for a function of the machine (`xen/include/xen/pci.h`):
/// bridges by kind; a device behind a PCIe-to-PCI bridge is conventional PCI, any
/// other an endpoint (what `pdev_type()` reads from the PCIe capability).
const DEV_TYPE_PCIE_ENDPOINT: c_int = 1;
const DEV_TYPE_PCIE_BRIDGE: c_int = 2;
const DEV_TYPE_PCIE2PCI_BRIDGE: c_int = 3;
const DEV_TYPE_PCI: c_int = 7;

fn bridge_of(m: &Machine, seg: u16, bus: u8) -> Option<&vtd_machine::PciDevice> {
    m.pci
        .iter()
        .find(|d| d.bdf.segment == seg && d.kind.is_bridge() && d.secondary_bus == Some(bus))
}

#[no_mangle]
extern "C" fn vtd_harness_pci_kind(seg: u32, bus: u32, devfn: u32) -> c_int {
    with(|e| {
        let (Ok(seg), Ok(bus)) = (u16::try_from(seg), u8::try_from(bus)) else {
            return DEV_TYPE_PCIE_ENDPOINT;
        };
        let dev = device(e, seg.into(), bus.into(), devfn >> 3, devfn & 7);
        match dev.map(|d| d.kind) {
            Some(PciKind::Bridge) => DEV_TYPE_PCIE_BRIDGE,
            Some(PciKind::PcieToPciBridge) => DEV_TYPE_PCIE2PCI_BRIDGE,
            _ if bridge_of(&e.machine, seg, bus)
                .is_some_and(|b| b.kind == PciKind::PcieToPciBridge) =>
            {
                DEV_TYPE_PCI
            }
            _ => DEV_TYPE_PCIE_ENDPOINT,
        }
    })
}

/// The bridge whose secondary bus is `bus`, as `bus << 8 | devfn`, or -1.
#[no_mangle]
extern "C" fn vtd_harness_bridge_of(seg: u32, bus: u32) -> c_int {
    with(|e| {
        let (Ok(seg), Ok(bus)) = (u16::try_from(seg), u8::try_from(bus)) else {
            return -1;
        };
        bridge_of(&e.machine, seg, bus).map_or(-1, |b| {
            c_int::from(b.bdf.bus) << 8
                | c_int::from(b.bdf.device) << 3
                | c_int::from(b.bdf.function)
        })
    })
}

fn device(e: &Env, seg: u32, bus: u32, dev: u32, fn_: u32) -> Option<&vtd_machine::PciDevice> {
    let bdf = Bdf::new(
        u16::try_from(seg).ok()?,
        u8::try_from(bus).ok()?,
        u8::try_from(dev).ok()?,
        u8::try_from(fn_).ok()?,
    )?;
    e.machine.device(bdf)
}

#[no_mangle]
extern "C" fn vtd_harness_pci_present(seg: u32, bus: u32, dev: u32, fn_: u32) -> c_int {
    with(|e| c_int::from(device(e, seg, bus, dev, fn_).is_some()))
}

#[no_mangle]
extern "C" fn vtd_harness_pci_read8(seg: u32, bus: u32, dev: u32, fn_: u32, reg: u32) -> u32 {
    with(|e| {
        let Some(d) = device(e, seg, bus, dev, fn_) else {
            return 0xff;
        };
        let bridge = d.kind.is_bridge();
        match reg {
            0x00 => 0x86,
            0x01 => 0x80,
            0x0e => u32::from(bridge),
            0x19 => u32::from(d.secondary_bus.unwrap_or(0)),
            0x1a => u32::from(d.subordinate_bus.unwrap_or(0)),
            _ => 0,
        }
    })
}

#[no_mangle]
extern "C" fn vtd_harness_e820_all_mapped(start: u64, end: u64, kind: u32) -> c_int {
    // Xen's e820_all_mapped(): [start, end) wholly covered by entries of `kind`; an
    // empty range is covered.
    with(|e| {
        c_int::from(
            end <= start
                || e.machine
                    .e820_covers(start, end - 1, E820Kind::from_code(kind)),
        )
    })
}

#[no_mangle]
extern "C" fn vtd_harness_log(line: *const c_char) {
    if line.is_null() {
        return;
    }
    // SAFETY: the C side passes a NUL-terminated buffer it owns for the call.
    let s = unsafe { CStr::from_ptr(line) }
        .to_string_lossy()
        .into_owned();
    with(|e| e.log.push(s));
}

/// Lines Xen printed since the last parse or call.
pub(crate) fn take_log() -> Vec<String> {
    with(|e| std::mem::take(&mut e.log))
}

/// A unit Xen kept: kind (0 DRHD, 1 RMRR, 2 ATSR), two values, devices in scope.
pub type Unit4 = (u32, u64, u64, u32);

#[no_mangle]
extern "C" fn vtd_harness_unit(kind: u32, a: u64, b: u64, devices: u32) {
    with(|e| e.units.push((kind, a, b, devices)));
}

#[cfg(not(xen_missing))]
extern "C" {
    fn vtd_harness_parse(bytes: *const u8, len: usize, verbose: c_int, force: c_int) -> c_int;
}

/// Parse `table` in this process. dmar.c's file-scope state is reset first; the
/// function-local `include_all` of `acpi_parse_one_drhd()` is not (see
/// `c/dmar_unit.c`), so for comparisons run one table per process (`parse`).
#[cfg(not(xen_missing))]
pub fn parse_in_process(table: &[u8], verbose: bool, force: bool) -> (i32, Vec<String>) {
    let (ret, log, _) = parse_in_process_units(table, verbose, force);
    (ret, log)
}

/// As [`parse_in_process`], with the units Xen's lists hold afterwards:
/// (kind 0 DRHD / 1 RMRR / 2 ATSR, a, b, devices in scope).
#[cfg(not(xen_missing))]
pub fn parse_in_process_units(
    table: &[u8],
    verbose: bool,
    force: bool,
) -> (i32, Vec<String>, Vec<Unit4>) {
    with(|e| e.units.clear());
    // SAFETY: the C side copies `len` bytes from `bytes` before it returns.
    let ret = unsafe {
        vtd_harness_parse(
            table.as_ptr(),
            table.len(),
            c_int::from(verbose),
            c_int::from(force),
        )
    };
    with(|e| {
        (
            ret,
            std::mem::take(&mut e.log),
            std::mem::take(&mut e.units),
        )
    })
}

//! The C side's callbacks, answered from the machine QEMU emulates and a vtd-model
//! unit, and the one entry point into Xen's code.

use std::ffi::{c_char, c_int, CStr};
use std::sync::{Mutex, OnceLock};
use vtd_machine::{Bdf, E820Kind, Machine};
use vtd_model::regs::presets;
use vtd_model::{Unit, UnitConfig};

/// QEMU's unit.
const QEMU_UNIT: u64 = 0xfed9_0000;
/// QEMU q35's PCIe MMCONFIG window: config space of absent devices reads all ones.
const MMCONFIG: std::ops::RangeInclusive<u64> = 0xb000_0000..=0xbfff_ffff;

struct Env {
    machine: Machine,
    unit: Unit,
    log: Vec<String>,
    units: Vec<Unit4>,
}

fn env() -> &'static Mutex<Env> {
    static E: OnceLock<Mutex<Env>> = OnceLock::new();
    E.get_or_init(|| {
        let unit = Unit::new(UnitConfig::new(presets::QEMU_Q35))
            .unwrap_or_else(|e| panic!("the QEMU preset is valid: {e:?}"));
        Mutex::new(Env {
            machine: vtd_conformance::oracle::compare::machine(),
            unit,
            log: Vec::new(),
            units: Vec::new(),
        })
    })
}

fn with<T>(f: impl FnOnce(&mut Env) -> T) -> T {
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

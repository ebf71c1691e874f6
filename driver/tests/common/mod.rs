//! Helpers: boot a fixture, and read what the driver left in the model.
#![allow(dead_code)]

use vtd_driver::host::Host;
use vtd_driver::{boot, Boot, BootInput, Personality};
use vtd_machine::{Bdf, Machine};
use vtd_model::regs::presets::Preset;
use vtd_model::GuestMemory;

pub const XEN: Personality = Personality::Xen417;
pub const XEN40: Personality = Personality::Xen40;
pub const LINUX: Personality = Personality::Linux61;

pub fn fixture(name: &str) -> dmar_fixtures::Fixture {
    dmar_fixtures::get(name)
        .expect("fixture exists")
        .expect("fixture loads")
}

/// Boot a fixture's table and machine.
pub fn boot_fixture(p: Personality, name: &str, cmdline: &str) -> Boot {
    let f = fixture(name);
    boot(&BootInput::new(
        p,
        f.meta.machine.clone(),
        f.table.clone(),
        cmdline,
    ))
}

/// Boot with every unit given `preset`.
pub fn boot_with(
    p: Personality,
    machine: Machine,
    table: Option<Vec<u8>>,
    cmdline: &str,
    preset: Option<Preset>,
) -> Boot {
    let mut i = BootInput::new(p, machine, table, cmdline);
    i.preset = preset;
    boot(&i)
}

pub fn bdf(s: &str) -> Bdf {
    s.parse().unwrap()
}

/// The legacy context entry of `sid` on the unit covering `device`: (lo, hi).
pub fn context(host: &Host, device: Bdf, sid: u16) -> Option<(u64, u64)> {
    let unit = host.platform.unit_for(device)?;
    let root = host.units[unit].tables?.root;
    let mem = &host.platform.memory;
    let re = mem.read_u64(root + u64::from(sid >> 8) * 16).ok()?;
    if re & 1 == 0 {
        return None;
    }
    let at = (re & !0xfff) + u64::from(sid & 0xff) * 16;
    let lo = mem.read_u64(at).ok()?;
    (lo & 1 != 0).then_some((lo, mem.read_u64(at + 8).ok()?))
}

/// The translation type of a context entry.
pub fn tt(ctx: (u64, u64)) -> u64 {
    (ctx.0 >> 2) & 3
}

/// The DID of a context entry.
pub fn did(ctx: (u64, u64)) -> u16 {
    (ctx.1 >> 8) as u16
}

/// The second-level leaf entry for `iova` under the context entry (4-level walk,
/// honouring large pages).
pub fn leaf(host: &Host, ctx: (u64, u64), iova: u64) -> Option<u64> {
    let mem = &host.platform.memory;
    let levels = (ctx.1 & 7) as u32 + 2;
    let mut table = ctx.0 & !0xfff;
    for l in (1..=levels).rev() {
        let e = mem
            .read_u64(table + ((iova >> (12 + 9 * (l - 1))) & 0x1ff) * 8)
            .ok()?;
        if e & 3 == 0 {
            return None;
        }
        if l == 1 || e & (1 << 7) != 0 {
            return Some(e);
        }
        table = e & 0x000f_ffff_ffff_f000;
    }
    None
}

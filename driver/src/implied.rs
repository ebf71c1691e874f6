//! The machine a DMAR table implies when nobody describes the real one: the PCI
//! functions its scopes name (with the bridges their paths cross), the I/O APICs its
//! scopes name, and a plain memory map in which every RMRR is reserved, so that a
//! board's table boots as on the board rather than as on QEMU.

use dmar::{Body, ScopeKind, Table};
use vtd_machine::{Bdf, E820Entry, E820Kind, Machine, PciDevice, PciKind};

fn device(bdf: Bdf, kind: PciKind, name: &str) -> PciDevice {
    PciDevice {
        bdf,
        kind,
        secondary_bus: None,
        subordinate_bus: None,
        flr: false,
        class: None,
        vendor: None,
        bars: Vec::new(),
        name: name.to_string(),
    }
}

fn e820(base: u64, end: u64, kind: E820Kind) -> E820Entry {
    E820Entry { base, end, kind }
}

/// The implied machine.
pub fn machine(t: &Table) -> Machine {
    let mut m = Machine {
        x2apic: true,
        dom0: Some(vtd_machine::Dom0Kind::Pv),
        ..Machine::default()
    };
    let mut next_bus: u16 = 0x40;
    let mut ioapics = Vec::new();
    let mut rmrrs = Vec::new();
    let mut add = |m: &mut Machine, bdf: Bdf, kind: PciKind| -> Option<u8> {
        if let Some(p) = m.pci.iter().find(|p| p.bdf == bdf) {
            return p.secondary_bus;
        }
        let mut d = device(bdf, kind, "named by the DMAR table");
        if kind.is_bridge() {
            let bus = u8::try_from(next_bus).ok()?;
            next_bus += 1;
            d.secondary_bus = Some(bus);
            d.subordinate_bus = Some(bus);
        }
        m.pci.push(d);
        m.pci.last().and_then(|p| p.secondary_bus)
    };
    for s in &t.structures {
        let (segment, scopes) = match &s.body {
            Body::Drhd(d) => (d.segment, &d.scopes),
            Body::Rmrr(r) => {
                rmrrs.push((r.base, r.end));
                (r.segment, &r.scopes)
            }
            Body::Atsr(a) => (a.segment, &a.scopes),
            _ => continue,
        };
        for e in &scopes.entries {
            match e.kind {
                ScopeKind::IoApic => ioapics.push(e.enumeration_id),
                ScopeKind::Endpoint | ScopeKind::Bridge => {
                    let mut bus = e.start_bus;
                    let hops = e.path.len();
                    for (i, hop) in e.path.iter().enumerate() {
                        let Some(bdf) = Bdf::new(segment, bus, hop.device, hop.function) else {
                            break;
                        };
                        let last = i + 1 == hops;
                        let kind = if !last || e.kind == ScopeKind::Bridge {
                            PciKind::Bridge
                        } else {
                            PciKind::Endpoint
                        };
                        match add(&mut m, bdf, kind) {
                            Some(sec) => bus = sec,
                            None if last => {}
                            None => break,
                        }
                    }
                }
                _ => {}
            }
        }
    }
    m.pci.sort_by_key(|p| p.bdf);
    ioapics.sort_unstable();
    ioapics.dedup();
    m.ioapics = Some(ioapics);
    m.e820 = vec![
        e820(0, 0x9_fbff, E820Kind::Ram),
        e820(0x9_fc00, 0xf_ffff, E820Kind::Reserved),
        e820(0x10_0000, 0x7fff_ffff, E820Kind::Ram),
        e820(0xfec0_0000, 0xffff_ffff, E820Kind::Reserved),
    ];
    // Each RMRR reserved: the board's firmware (we assume) reserves what it reports.
    for (base, end) in rmrrs.into_iter().filter(|(b, e)| e >= b) {
        let (b, e) = (base & !0xfff, end | 0xfff);
        let mut out = Vec::new();
        for r in m.e820.drain(..) {
            if r.end < b || e < r.base {
                out.push(r);
                continue;
            }
            if r.base < b {
                out.push(e820(r.base, b - 1, r.kind));
            }
            if e < r.end {
                out.push(e820(e + 1, r.end, r.kind));
            }
        }
        out.push(e820(b, e, E820Kind::Reserved));
        out.sort_by_key(|r| r.base);
        m.e820 = out;
    }
    m
}

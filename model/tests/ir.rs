//! Interrupt remapping: remappable and compatibility formats, I/O APIC entries, every
//! IR fault reason with FPD and its fault record, source-id verification (exact, with
//! SQ, by bus range behind a PCIe-to-PCI bridge), the interrupt entry cache with its
//! invalidation and the stale checker, and posted interrupts.

mod common;

use common::*;
use vtd_model::event::Event;
use vtd_model::fault::FaultReason as R;
use vtd_model::ir::message::remappable_msi;
use vtd_model::ir::{Delivery, DeliveryMode, InterruptRequest, IrVia, Irte, SourceCheck};
use vtd_model::program::{self, InterruptTable, InvalidationQueue};
use vtd_model::qi::{Descriptor, Width};
use vtd_model::regs::presets::Preset;
use vtd_model::regs::{gcmd, offset as o};
use vtd_model::request::Recorded;
use vtd_model::{GuestMemory, Platform};

struct Ir {
    r: Rig,
    q: InvalidationQueue,
    irt: InterruptTable,
}

fn with_pi(p: Preset) -> Preset {
    Preset {
        cap: p.cap | 1 << 59,
        ..p
    }
}

/// A unit with an interrupt table of 256 entries (x2APIC or not), installed with
/// SIRTP, the interrupt entry cache invalidated, IRE on, fault events unmasked.
fn setup(preset: Preset, x2apic: bool) -> Ir {
    let mut r = Rig::legacy(preset);
    let mut q = r.queue(Width::Bits128);
    let irt = InterruptTable::new(&mut r.mem, &mut r.alloc, 7, x2apic).unwrap();
    irt.install(&mut r.unit, &mut r.mem);
    q.sync(
        &mut r.unit,
        &mut r.mem,
        &[Descriptor::InterruptEntry { block: None }],
    )
    .unwrap();
    irt.enable(&mut r.unit, &mut r.mem, false);
    r.set_reg(o::FECTL, 4, 0);
    Ir { r, q, irt }
}

impl Ir {
    fn set(&mut self, index: u16, e: Irte) {
        self.irt.set(&mut self.r.mem, index, e).unwrap();
    }

    fn msi(&mut self, source_id: u16, handle: u16, sub: Option<u16>) -> Result<Delivery, R> {
        let (addr, data) = remappable_msi(handle, sub);
        self.send(source_id, addr, data)
    }

    fn send(&mut self, source_id: u16, addr: u64, data: u32) -> Result<Delivery, R> {
        let req = InterruptRequest {
            source_id,
            addr,
            data,
        };
        self.r
            .unit
            .remap_interrupt(&mut self.r.mem, &req)
            .map_err(|f| f.reason)
    }

    fn invalidate(&mut self, block: Option<(u16, u8)>) {
        self.q
            .sync(
                &mut self.r.unit,
                &mut self.r.mem,
                &[Descriptor::InterruptEntry { block }],
            )
            .unwrap();
    }
}

fn exact(sid: u16) -> SourceCheck {
    SourceCheck::Exact { sid, sq: 0 }
}

fn interrupt(d: Delivery) -> vtd_model::ir::Interrupt {
    match d {
        Delivery::Interrupt(i) => i,
        Delivery::Posted(p) => panic!("posted: {p:?}"),
    }
}

#[test]
fn a_remappable_msi_with_a_subhandle_is_remapped_and_then_cached() {
    let mut s = setup(qemu_dt(), true);
    let mut e = Irte::remapped(
        0x41,
        0x1_0002,
        true,
        DeliveryMode::LowestPriority,
        exact(DEV),
    );
    e.lo |= 1 << 2 | 1 << 3 | 1 << 4; // logical, redirection hint, level
    s.set(0x23, e);
    // Handle 0x20 plus subhandle 3, as Linux programs multi-vector MSI.
    let i = interrupt(s.msi(DEV, 0x20, Some(3)).unwrap());
    assert_eq!(
        (i.vector, i.destination, i.x2apic, i.delivery),
        (0x41, 0x1_0002, true, DeliveryMode::LowestPriority)
    );
    assert!(i.logical && i.redirection_hint && i.level);
    assert_eq!(
        i.via,
        IrVia::Remapped {
            index: 0x23,
            cached: false
        }
    );
    let again = interrupt(s.msi(DEV, 0x23, None).unwrap());
    assert_eq!(
        again.via,
        IrVia::Remapped {
            index: 0x23,
            cached: true
        }
    );
    assert_eq!(s.r.unit.stats().iec.hits, 1);
}

#[test]
fn xapic_mode_takes_the_destination_from_dst_15_8() {
    let mut s = setup(qemu_dt(), false);
    s.set(
        5,
        Irte::remapped(0x30, 0x07, false, DeliveryMode::Fixed, exact(DEV)),
    );
    let i = interrupt(s.msi(DEV, 5, None).unwrap());
    assert_eq!((i.destination, i.x2apic), (7, false));
}

#[test]
fn an_ioapic_entry_in_remappable_format_uses_its_index() {
    let mut s = setup(qemu_dt(), true);
    let ioapic = 0xf0f8; // f0:1f.0, where firmware usually names the I/O APIC
    s.set(
        0x11,
        Irte::remapped(0x61, 0, true, DeliveryMode::Fixed, exact(ioapic)),
    );
    let rte = 1 << 48 | 0x11 << 49 | 1 << 15 | 0x02; // vector field holds the pin
    let d = s.r.unit.remap_ioapic(&mut s.r.mem, ioapic, rte).unwrap();
    assert_eq!(interrupt(d).vector, 0x61);
}

#[test]
fn compatibility_format_depends_on_cfi_and_eime_and_ire() {
    let compat = |dest: u64| 0xfee0_0000 | dest << 12;
    let mut s = setup(qemu_dt(), false);
    assert_eq!(
        s.send(DEV, compat(1), 0x31),
        Err(R::IR_COMPATIBILITY_BLOCKED)
    );
    s.irt.enable(&mut s.r.unit, &mut s.r.mem, true);
    assert_ne!(s.r.unit.gsts() & gcmd::CFI, 0);
    let i = interrupt(s.send(DEV, compat(1), 0x31).unwrap());
    assert_eq!(
        (i.vector, i.destination, i.via),
        (0x31, 1, IrVia::Compatibility)
    );
    // x2APIC mode blocks compatibility format whatever CFI says.
    let mut s = setup(qemu_dt(), true);
    s.irt.enable(&mut s.r.unit, &mut s.r.mem, true);
    assert_eq!(
        s.send(DEV, compat(1), 0x31),
        Err(R::IR_COMPATIBILITY_BLOCKED)
    );
    // With IRE off everything passes as it is.
    program::command(&mut s.r.unit, &mut s.r.mem, gcmd::IRE, false);
    assert_eq!(
        interrupt(s.send(DEV, compat(2), 0x32).unwrap()).via,
        IrVia::Disabled
    );
}

#[test]
fn every_interrupt_fault_reason_and_what_fpd_does_to_it() {
    let mut s = setup(with_pi(qemu_dt()), true);
    let fixed = |sid| Irte::remapped(0x40, 1, true, DeliveryMode::Fixed, exact(sid));
    s.set(1, fixed(DEV));
    s.set(2, Irte { lo: 2, hi: 0 }); // not present, FPD set
    s.set(3, Irte { lo: 0, hi: 0 }); // not present
    let mut reserved = fixed(DEV);
    reserved.lo |= 1 << 12;
    s.set(4, reserved);
    s.set(5, fixed(DEV + 1));
    s.set(
        6,
        Irte::posted_to(0x50, 0xff_ffff_ffc0, false, SourceCheck::None),
    );
    let pid = s.r.alloc.page(&mut s.r.mem).unwrap();
    s.r.mem.write_u64(pid + 48, 1).unwrap(); // a reserved PID bit
    s.set(7, Irte::posted_to(0x50, pid, false, SourceCheck::None));
    s.set(
        8,
        Irte {
            lo: 1 | 3 << 5,
            hi: 0,
        },
    ); // DLM 011 reserved
    s.set(
        9,
        Irte::remapped(0x40, 1, true, DeliveryMode::Fixed, SourceCheck::Reserved),
    );

    let (addr, _) = remappable_msi(1, Some(0));
    let cases = [
        (s.send(DEV, addr, 1 << 16), R::IR_REQUEST_RESERVED),
        (s.send(DEV, 0x1_fee0_0010, 0), R::IR_REQUEST_RESERVED),
        (s.msi(DEV, 256, None), R::IR_INDEX_OVERFLOW),
        (s.msi(DEV, 3, None), R::IR_NOT_PRESENT),
        (s.msi(DEV, 4, None), R::IR_IRTE_RESERVED),
        (s.msi(DEV, 8, None), R::IR_IRTE_RESERVED),
        (s.msi(DEV, 9, None), R::IR_IRTE_RESERVED),
        (s.msi(DEV, 5, None), R::IR_SOURCE_ID),
        (s.msi(DEV, 6, None), R::IR_PID_ACCESS),
        (s.msi(DEV, 7, None), R::IR_PID_RESERVED),
    ];
    for (got, want) in cases {
        assert_eq!(got.map(|_| ()), Err(want));
    }
    // FPD suppresses the qualified ones only.
    let req = |h| {
        let (addr, data) = remappable_msi(h, None);
        InterruptRequest {
            source_id: DEV,
            addr,
            data,
        }
    };
    let f = s.r.unit.remap_interrupt(&mut s.r.mem, &req(2)).unwrap_err();
    assert_eq!(
        (f.reason, f.recorded),
        (R::IR_NOT_PRESENT, Recorded::Suppressed)
    );
    assert!(s.r.unit.stats().faults_suppressed >= 1);
    // The table beyond memory: 0x23.
    s.r.set_reg(o::IRTA, 8, 0xff_ffff_f000 | 7);
    program::command(&mut s.r.unit, &mut s.r.mem, gcmd::SIRTP, true);
    s.invalidate(None);
    assert_eq!(s.msi(DEV, 1, None).map(|_| ()), Err(R::IR_TABLE_ACCESS));
}

#[test]
fn an_interrupt_fault_record_holds_the_index_in_fi_63_48() {
    let mut s = setup(qemu_dt(), true);
    s.set(
        0x2a,
        Irte::remapped(0x40, 1, true, DeliveryMode::Fixed, exact(DEV + 1)),
    );
    assert_eq!(s.msi(DEV, 0x2a, None).map(|_| ()), Err(R::IR_SOURCE_ID));
    let fro = s.r.unit.cap().fault_recording_offset();
    let lo = s.r.reg(fro, 8);
    let hi = s.r.reg(fro + 8, 8);
    assert_eq!(lo, 0x2a << 48);
    assert_eq!(hi & 0xffff, u64::from(DEV));
    assert_eq!((hi >> 32) & 0xff, 0x26);
    assert_eq!(hi >> 63, 1, "F");
    assert!(s
        .r
        .unit
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::FaultInterrupt { .. })));
}

#[test]
fn source_id_verification_with_sq_and_bus_ranges() {
    let mut s = setup(qemu_dt(), true);
    s.set(
        1,
        Irte::remapped(
            0x40,
            1,
            true,
            DeliveryMode::Fixed,
            SourceCheck::Exact { sid: 0x0100, sq: 3 },
        ),
    );
    assert!(s.msi(0x0107, 1, None).is_ok(), "SQ=3 ignores the function");
    assert_eq!(s.msi(0x0108, 1, None).map(|_| ()), Err(R::IR_SOURCE_ID));
    s.set(
        2,
        Irte::remapped(
            0x40,
            1,
            true,
            DeliveryMode::Fixed,
            SourceCheck::BusRange { start: 4, end: 6 },
        ),
    );
    assert!(s.msi(0x0500, 2, None).is_ok());
    assert_eq!(s.msi(0x0700, 2, None).map(|_| ()), Err(R::IR_SOURCE_ID));
}

#[test]
fn a_device_behind_a_pcie_to_pci_bridge_passes_a_bus_range_check() {
    // What Linux's set_msi_sid programs for a conventional device behind a
    // PCIe-to-PCI bridge: SVT=2 from the bridge's secondary bus to the device's bus.
    let machine = vtd_machine::Machine::from_toml(
        r#"
        [[e820]]
        base = 0x0
        end = 0x3fffffff
        type = "ram"
        [[pci]]
        bdf = "00:1e.0"
        type = "pcie-to-pci-bridge"
        secondary_bus = 5
        subordinate_bus = 5
        [[pci]]
        bdf = "05:02.0"
        "#,
        "bridge",
    )
    .unwrap();
    let unit = vtd_model::Unit::new(vtd_model::UnitConfig::new(qemu_dt())).unwrap();
    let mut p = Platform::new(
        machine,
        vec![unit],
        vtd_model::platform::Scopes {
            include_all: vec![(0, 0)],
            ..Default::default()
        },
    );
    let mut alloc = program::PageAlloc::new(0x100_0000, 0x200_0000);
    let (u, mem) = p.unit_and_memory(0).unwrap();
    let irt = InterruptTable::new(mem, &mut alloc, 3, true).unwrap();
    let check = SourceCheck::BusRange { start: 5, end: 5 };
    irt.set(
        mem,
        0,
        Irte::remapped(0x45, 3, true, DeliveryMode::Fixed, check),
    )
    .unwrap();
    irt.set(
        mem,
        1,
        Irte::remapped(0x46, 3, true, DeliveryMode::Fixed, exact(0x0510)),
    )
    .unwrap();
    irt.install(u, mem);
    irt.enable(u, mem, false);
    let dev: vtd_machine::Bdf = "05:02.0".parse().unwrap();
    let (addr, data) = remappable_msi(0, None);
    assert!(p.interrupt(dev, addr, data).is_ok());
    // The device's own BDF never reaches the unit: the bridge took the requester-id.
    let (addr, data) = remappable_msi(1, None);
    let err = p.interrupt(dev, addr, data).unwrap_err();
    assert!(err.to_string().contains("0x26"), "{err}");
}

#[test]
fn a_rewritten_irte_without_invalidation_is_served_stale_and_reported() {
    let mut s = setup(qemu_dt(), true);
    s.set(
        9,
        Irte::remapped(0x40, 1, true, DeliveryMode::Fixed, exact(DEV)),
    );
    assert_eq!(interrupt(s.msi(DEV, 9, None).unwrap()).vector, 0x40);
    // The driver moves the interrupt to vector 0x41 but forgets the IEC invalidation.
    s.set(
        9,
        Irte::remapped(0x41, 1, true, DeliveryMode::Fixed, exact(DEV)),
    );
    assert_eq!(
        interrupt(s.msi(DEV, 9, None).unwrap()).vector,
        0x40,
        "stale"
    );
    let stale = s.r.unit.take_stale_interrupts();
    assert_eq!(stale.len(), 1);
    assert!(stale[0].to_string().contains("vector 0x41"), "{}", stale[0]);
    // An index-selective invalidation of the aligned block of 4 holding index 9.
    s.invalidate(Some((8, 2)));
    assert_eq!(interrupt(s.msi(DEV, 9, None).unwrap()).vector, 0x41);
    assert!(s.r.unit.take_stale_interrupts().is_empty());
    // An invalidation of another block leaves it cached.
    s.set(
        9,
        Irte::remapped(0x42, 1, true, DeliveryMode::Fixed, exact(DEV)),
    );
    s.invalidate(Some((12, 2)));
    assert_eq!(interrupt(s.msi(DEV, 9, None).unwrap()).vector, 0x41);
    s.invalidate(None);
    assert_eq!(interrupt(s.msi(DEV, 9, None).unwrap()).vector, 0x42);
}

#[test]
fn sirtp_clears_the_interrupt_entry_cache_only_with_esirtps() {
    for (esirtps, cleared) in [(false, false), (true, true)] {
        let preset = Preset {
            cap: qemu_dt().cap | u64::from(esirtps) << 62,
            ..qemu_dt()
        };
        let mut s = setup(preset, true);
        s.set(
            1,
            Irte::remapped(0x40, 1, true, DeliveryMode::Fixed, exact(DEV)),
        );
        s.msi(DEV, 1, None).unwrap();
        s.irt.install(&mut s.r.unit, &mut s.r.mem);
        assert_eq!(
            s.r.unit.caches().iec.is_empty(),
            cleared,
            "ESIRTPS={esirtps}"
        );
    }
}

#[test]
fn posted_interrupts_set_pir_and_notify_once() {
    let mut s = setup(with_pi(qemu_dt()), true);
    let pid = s.r.alloc.page(&mut s.r.mem).unwrap();
    s.r.mem
        .write_u64(
            pid + 32,
            vtd_model::ir::posted::control(0xf2, 3, true, false),
        )
        .unwrap();
    s.set(4, Irte::posted_to(0x61, pid, false, exact(DEV)));
    let Delivery::Posted(p) = s.msi(DEV, 4, None).unwrap() else {
        panic!("not posted")
    };
    assert_eq!((p.vector, p.notification), (0x61, Some((0xf2, 3))));
    assert_eq!(s.r.mem.read_u64(pid + 8).unwrap(), 1 << (0x61 - 64));
    assert_eq!(
        s.r.unit.take_events(),
        vec![Event::PostedNotification {
            vector: 0xf2,
            destination: 3
        }]
    );
    let Delivery::Posted(p) = s.msi(DEV, 4, None).unwrap() else {
        panic!("not posted")
    };
    assert_eq!(p.notification, None, "ON was set");
    // Without CAP.PI the posted format is invalid.
    let mut s = setup(qemu_dt(), true);
    s.set(4, Irte::posted_to(0x61, pid, false, exact(DEV)));
    assert_eq!(s.msi(DEV, 4, None).map(|_| ()), Err(R::IR_IRTE_RESERVED));
}

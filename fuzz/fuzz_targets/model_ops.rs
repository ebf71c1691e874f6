//! The remapping unit under anything a guest or a device can do: register writes of
//! any width and value, memory writes (tables, queue descriptors, IRTEs, PIDs), DMA
//! requests, interrupt requests, I/O APIC entries, time, silent devices and stray
//! invalidation completions, on several presets in every queue mode. The unit must
//! answer with a value, a fault or an error, never panic, and keep IQH inside the
//! queue.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vtd_model::ir::InterruptRequest;
use vtd_model::qi::QiMode;
use vtd_model::regs::{offset as o, presets};
use vtd_model::{Access, AddressType, GuestMemory, Request, SparseMemory, Unit, UnitConfig};

#[derive(Debug, Arbitrary)]
enum Op {
    Mmio {
        offset: u16,
        wide: bool,
        value: u64,
    },
    Read {
        offset: u16,
        wide: bool,
    },
    Mem {
        page: u8,
        offset: u16,
        value: u64,
    },
    Dma {
        sid: u16,
        page: u16,
        write: bool,
        pasid: Option<u32>,
        translated: bool,
    },
    Interrupt {
        sid: u16,
        addr: u32,
        data: u32,
    },
    Ioapic {
        sid: u16,
        rte: u64,
    },
    Advance(u32),
    Silent(u16),
    Stray(u16),
}

#[derive(Debug, Arbitrary)]
struct Input {
    preset: u8,
    mode: u8,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let all = presets::ALL;
    let preset = all[usize::from(input.preset) % all.len()];
    let mut config = UnitConfig::new(preset);
    config.qi = [QiMode::Immediate, QiMode::Qemu, QiMode::Timed][usize::from(input.mode % 3)];
    config.timing.device_tlb_timeout = 10_000;
    let Ok(mut unit) = Unit::new(config) else {
        return;
    };
    // 16 MiB of memory: the structures the fuzzer writes are within reach.
    let mut mem = SparseMemory::new(1 << 24);
    for op in input.ops.iter().take(256) {
        match *op {
            Op::Mmio {
                offset,
                wide,
                value,
            } => {
                let size = if wide { 8 } else { 4 };
                let _ = unit.mmio_write(&mut mem, usize::from(offset) & 0xfff, size, value);
            }
            Op::Read { offset, wide } => {
                let _ = unit.mmio_read(usize::from(offset) & 0xfff, if wide { 8 } else { 4 });
            }
            Op::Mem {
                page,
                offset,
                value,
            } => {
                let addr = u64::from(page) << 12 | u64::from(offset & 0xff8);
                let _ = mem.write_u64(addr, value);
            }
            Op::Dma {
                sid,
                page,
                write,
                pasid,
                translated,
            } => {
                let req = Request {
                    source_id: sid,
                    pasid,
                    addr: u64::from(page) << 12,
                    access: if write { Access::WRITE } else { Access::READ },
                    at: if translated {
                        AddressType::Translated
                    } else {
                        AddressType::Untranslated
                    },
                    no_snoop: false,
                };
                let _ = unit.translate(&mem, &req);
            }
            Op::Interrupt { sid, addr, data } => {
                let req = InterruptRequest {
                    source_id: sid,
                    addr: 0xfee0_0000 | u64::from(addr & 0xf_ffff),
                    data,
                };
                let _ = unit.remap_interrupt(&mut mem, &req);
            }
            Op::Ioapic { sid, rte } => {
                let _ = unit.remap_ioapic(&mut mem, sid, rte);
            }
            Op::Advance(c) => unit.advance(&mut mem, u64::from(c)),
            Op::Silent(sid) => unit.set_device_responds(sid, false),
            Op::Stray(sid) => unit.unexpected_invalidation_completion(sid),
        }
        let iqh = unit.mmio_read(o::IQH, 8).unwrap_or(0);
        assert!(iqh <= 0x7_fff0, "IQH {iqh:#x} outside the register field");
        let _ = unit.take_events();
        let _ = unit.take_stale();
        let _ = unit.take_stale_interrupts();
    }
});

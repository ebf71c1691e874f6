//! Invalidation wait descriptors (§6.5.2.8): the status write, the invalidation
//! completion interrupt with ICS.IWC and IECTL's mask, and the fence.

use crate::builder::{scenario, Builder, EVENT_ADDR, STATUS};
use crate::layout::{desc, ectl, Reg};
use crate::scenario::{Area, Cover, Scenario};

fn wait(name: &str, intent: &str) -> Builder {
    scenario(Area::Wait, name, intent).qi_on()
}

fn event(b: Builder, vector: u8) -> Builder {
    b.write(Reg::Iedata, u64::from(vector))
        .write(Reg::Ieaddr, EVENT_ADDR)
        .write(Reg::Iectl, 0)
}

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        wait("status-write", "A wait with SW writes its 32-bit status data to the status address once everything before it is done")
            .spec("§6.5.2.8 SW, status address and data")
            .mem32(STATUS, 0)
            .queue(desc::iotlb_global())
            .queue(desc::wait(false, Some((STATUS, 0xfeed_f00d)), false))
            .submit()
            .expect_mem32(STATUS, 0xfeed_f00d)
            .read(Reg::Ics, 0)
            .covers(Cover::Descriptor(5, "status-write"))
            .build(),
        wait("status-write-only-4-bytes", "The status write touches exactly four bytes")
            .spec("§6.5.2.8: 32-bit status data")
            .mem(STATUS, &[0xee; 8])
            .queue(desc::wait(false, Some((STATUS, 0x0102_0304)), false))
            .submit()
            .expect_mem(STATUS, &[4, 3, 2, 1, 0xee, 0xee, 0xee, 0xee])
            .build(),
        wait("status-writes-in-order", "Two waits write their status in queue order")
            .spec("§6.5.2 descriptors execute in order")
            .queue(desc::wait(false, Some((STATUS, 1)), false))
            .queue(desc::wait(false, Some((STATUS + 8, 2)), false))
            .queue(desc::wait(false, Some((STATUS, 3)), false))
            .submit()
            .expect_mem32(STATUS, 3)
            .expect_mem32(STATUS + 8, 2)
            .build(),
        event(wait("interrupt", "A wait with IF sets ICS.IWC and sends the invalidation completion event (IEDATA to IEADDR); IECTL.IP stays clear"), 0x50)
            .spec("§6.5.2.8 IF; §11.4.9.4 IECTL_REG; §11.4.9.8 ICS_REG IWC")
            .queue(desc::wait(true, None, false))
            .submit()
            .read(Reg::Ics, 1)
            .irr(&[0x50])
            .read(Reg::Iectl, 0)
            .covers(Cover::Descriptor(5, "interrupt"))
            .build(),
        wait("interrupt-masked", "With IECTL.IM set, a wait with IF sets IWC and IP and sends nothing; clearing IM sends the event and clears IP")
            .spec("§11.4.9.4 IECTL_REG IM/IP")
            .write(Reg::Iedata, 0x51)
            .write(Reg::Ieaddr, EVENT_ADDR)
            .queue(desc::wait(true, None, false))
            .submit()
            .read(Reg::Ics, 1)
            .read(Reg::Iectl, ectl::IM | ectl::IP)
            .irr(&[])
            .write(Reg::Iectl, 0)
            .irr(&[0x51])
            .read(Reg::Iectl, 0)
            .build(),
        event(wait("iwc-gates-events", "While ICS.IWC is set, another wait with IF sends no new event; after software clears IWC (W1C) the next one does"), 0x52)
            .spec("§6.5.2.8: the event is generated when IWC goes from 0 to 1")
            .queue(desc::wait(true, None, false))
            .submit()
            .write(Reg::Iedata, 0x53)
            .queue(desc::wait(true, None, false))
            .submit()
            .irr(&[0x52])
            .write(Reg::Ics, 1)
            .read(Reg::Ics, 0)
            .queue(desc::wait(true, None, false))
            .submit()
            .irr(&[0x52, 0x53])
            .build(),
        wait("fence", "A wait with FN and SW completes like a plain wait when nothing is outstanding; descriptors after it run too")
            .spec("§6.5.2.8 FN")
            .queue(desc::wait(false, Some((STATUS, 0x1f), ), true))
            .queue(desc::wait(false, Some((STATUS + 8, 0x2f)), false))
            .submit()
            .expect_mem32(STATUS, 0x1f)
            .expect_mem32(STATUS + 8, 0x2f)
            .read(Reg::Iqh, 0x20)
            .covers(Cover::Descriptor(5, "fence"))
            .build(),
        wait("no-op-wait", "A wait with none of SW, IF, FN is a valid no-op: the head moves past it and nothing is flagged")
            .spec("§6.5.2.8")
            .queue(desc::wait(false, None, false))
            .submit()
            .read_or(Reg::Fsts, 0, "qemu-wait-needs-sw-or-if", 0x10)
            .read_or(Reg::Iqh, 0x10, "qemu-wait-needs-sw-or-if", 0)
            .build(),
        event(wait("status-and-interrupt", "A wait with both SW and IF writes the status and then sends the completion event"), 0x54)
            .spec("§6.5.2.8")
            .skip_on("qemu-wait-sw-and-if-aborts")
            .queue(desc::wait(true, Some((STATUS, 0x99)), false))
            .submit()
            .expect_mem32(STATUS, 0x99)
            .read(Reg::Ics, 1)
            .irr(&[0x54])
            .build(),
    ]
}

//! Device assignment, per personality: assignability, RMRRs at assignment, virtual
//! slots and the BDF notations, detach, and hot-plug.

mod common;

use common::*;
use vtd_driver::host::{DOM0, DOM_IO};
use vtd_driver::Personality;
use vtd_machine::{Machine, PciDevice, PciKind};

/// A machine with a NIC that has an RMRR of its own (a BMC-shared NIC, say), a USB
/// pair sharing one RMRR, a GPU, and a card behind a PCIe switch.
const MACHINE: &str = r#"
ioapics = [2]
dom0 = "pv"
[[e820]]
base = 0x0
end = 0x9fbff
type = "ram"
[[e820]]
base = 0x100000
end = 0x7fdfffff
type = "ram"
[[e820]]
base = 0x7fe00000
end = 0x7fffffff
type = "reserved"
[[e820]]
base = 0xfec00000
end = 0xffffffff
type = "reserved"
[[pci]]
bdf = "00:00.0"
class = 0x060000
[[pci]]
bdf = "00:02.0"
class = 0x030000
name = "IGD"
[[pci]]
bdf = "00:19.0"
class = 0x020000
name = "NIC with an RMRR"
flr = true
[[pci]]
bdf = "00:1d.0"
class = 0x0c0300
[[pci]]
bdf = "00:1d.7"
class = 0x0c0320
[[pci]]
bdf = "00:1c.0"
type = "bridge"
secondary_bus = 1
subordinate_bus = 1
[[pci]]
bdf = "01:00.0"
class = 0x020000
name = "dual-port NIC, port 0"
flr = true
bars = [{ base = 0xf7000000, size = 0x20000 }]
[[pci]]
bdf = "01:00.1"
class = 0x020000
name = "dual-port NIC, port 1"
flr = true
bars = [{ base = 0xf7020800, size = 0x800 }]
[[pci]]
bdf = "00:1f.0"
class = 0x060100
"#;

const TABLE: &str = r#"
host_address_width = 38
flags = ["intr_remap"]
[[structure]]
type = "drhd"
flags = ["include_pci_all"]
register_base = 0xfed90000
scopes = [{ type = "ioapic", id = 2, bus = 0, path = ["1f.0"] }]
[[structure]]
type = "rmrr"
base = 0x7fe00000
end = 0x7fe0ffff
scopes = [{ type = "endpoint", bus = 0, path = ["19.0"] }]
[[structure]]
type = "rmrr"
base = 0x7ff00000
end = 0x7ff0ffff
scopes = [
    { type = "endpoint", bus = 0, path = ["1d.0"] },
    { type = "endpoint", bus = 0, path = ["1d.7"] },
]
"#;

fn host(p: Personality, opts: &str) -> vtd_driver::host::Host {
    let m = Machine::from_toml(MACHINE, "assign").unwrap();
    let spec: dmar::spec::TableSpec = toml::from_str(TABLE).unwrap();
    let t = spec.build().unwrap().encode();
    let b = boot_with(p, m, Some(t), opts, None);
    assert_eq!(
        b.verdict.outcome,
        vtd_driver::Outcome::Booted,
        "{:?}",
        b.verdict.log
    );
    b.host.unwrap()
}

#[test]
fn xl_needs_assignable_devices_and_quarantines_them() {
    let mut h = host(XEN, "iommu=1");
    let nic = bdf("01:00.0");
    let err = h.create_guest("g", true, &["01:00.0"]).unwrap_err();
    assert_eq!(err.message, "PCI device 0:1:0.0 is not assignable");
    h.assignable_add(nic).unwrap();
    assert_eq!(h.owner[&nic], DOM_IO, "quarantined");
    assert!(
        context(&h, nic, nic.requester_id()).is_none(),
        "basic quarantine: no context entry"
    );
    assert!(
        h.device_dma(nic, 0x1000, false).is_err(),
        "quarantined DMA faults"
    );
    let g = h.create_guest("g", true, &["01:00.0"]).unwrap();
    assert_eq!(
        h.pci_list(g),
        vec![(nic, 5, 0)],
        "the first slot after the emulated devices"
    );
    // Another guest cannot have it.
    let err = h.create_guest("h", true, &["01:00.0"]).unwrap_err();
    assert!(
        err.message
            .contains("already assigned to a different guest?"),
        "{}",
        err.message
    );
    // Detach: back to quarantine, still assignable.
    h.pci_detach(g, nic).unwrap();
    assert_eq!(h.owner[&nic], DOM_IO);
    assert!(h.assignable_list().contains(&nic));
    h.assignable_remove(nic).unwrap();
    assert_eq!(h.owner[&nic], DOM0);
    assert!(
        h.device_dma(nic, 0x1000, false).is_ok(),
        "dom0's 1:1 map again"
    );
}

#[test]
fn xen_417_rmrr_policy_at_assignment() {
    let mut h = host(XEN, "iommu=1");
    // The USB controllers share one RMRR: refused under the default strict policy.
    let ehci = bdf("00:1d.7");
    h.assignable_add(ehci).unwrap();
    let err = h.create_guest("g", false, &["00:1d.7"]).unwrap_err();
    assert!(
        err.message.starts_with(
            "[VT-D] It's disallowed to assign 0000:00:1d.7 with shared RMRR at 7ff00000 for d"
        ),
        "{}",
        err.message
    );
    // Relaxed: a warning, and the RMRR is mapped into the guest.
    let g = h
        .create_guest("g", false, &["00:1d.7,rdm_policy=relaxed"])
        .unwrap();
    assert!(h
        .log
        .contains("[VT-D] It's risky to assign 0000:00:1d.7 with shared RMRR at 7ff00000"));
    assert_eq!(
        h.device_dma(ehci, 0x7ff0_0000, true).unwrap().addr,
        0x7ff0_0000
    );
    // The NIC's own RMRR (not shared) is mapped without a word.
    let nic = bdf("00:19.0");
    h.assignable_add(nic).unwrap();
    h.pci_attach(g, "00:19.0").unwrap();
    assert_eq!(
        h.device_dma(nic, 0x7fe0_0000, false).unwrap().addr,
        0x7fe0_0000
    );
    // Quarantine of a device with an RMRR keeps only its RMRR mapped.
    h.pci_detach(g, nic).unwrap();
    assert!(h.device_dma(nic, 0x7fe0_0000, false).is_ok());
    assert!(h.device_dma(nic, 0x10_0000, false).is_err());
}

#[test]
fn linux_vfio_refuses_rmrr_devices_except_usb_and_graphics() {
    let mut h = host(LINUX, "intel_iommu=on");
    let nic = bdf("00:19.0");
    h.assignable_add(nic).unwrap();
    let err = h.create_guest("vm", true, &["00:19.0"]).unwrap_err();
    assert!(err.message.starts_with("vfio-pci 0000:00:19.0: Device is ineligible for IOMMU domain attach due to platform RMRR requirement.  Contact your platform vendor."), "{}", err.message);
    // USB is exempt, but its RMRR is not mapped in the VFIO domain: DMA there faults.
    let ehci = bdf("00:1d.7");
    h.assignable_add(ehci).unwrap();
    let vm = h.create_guest("vm", true, &["00:1d.7"]).unwrap();
    assert!(h.device_dma(ehci, 0x7ff0_0000, true).is_err());
    let ram = h.domains[&vm].ram.unwrap();
    assert_eq!(
        h.device_dma(ehci, 0x3000, true).unwrap().addr,
        ram.host + 0x3000
    );
    // Release: back to its DMA-API default domain, RMRR mapped again.
    h.pci_detach(vm, ehci).unwrap();
    assert_eq!(
        h.device_dma(ehci, 0x7ff0_0000, true).unwrap().addr,
        0x7ff0_0000
    );
    // A device still bound to its host driver: not viable.
    let err = h.create_guest("vm2", true, &["00:1d.0"]).unwrap_err();
    assert!(err.message.contains("is not viable"));
}

#[test]
fn xm_assignability_policy() {
    let mut h = host(XEN40, "");
    // Not owned by pciback.
    let err = h.create_guest("hvm", true, &["01:00.0"]).unwrap_err();
    assert_eq!(
        err.message,
        "pci: PCI Backend and pci-stub don't own device 0000:01:00.0"
    );
    // Port 1's BAR does not start on a page boundary.
    let p1 = bdf("01:00.1");
    h.assignable_add(p1).unwrap();
    let err = h.create_guest("hvm", true, &["01:00.1"]).unwrap_err();
    assert_eq!(
        err.message,
        "pci: 0000:01:00.1: non-page-aligned MMIO BAR found."
    );
    assert!(!h.assignable_list().contains(&p1));
    // Bus 0 devices are assumed FLR-capable: listed; the NIC's RMRR is mapped into the
    // guest; USB RMRRs are not ("FIXME: ... ignore USB RMRR temporarily").
    let nic = bdf("00:19.0");
    let ehci = bdf("00:1d.7");
    h.assignable_add(nic).unwrap();
    h.assignable_add(ehci).unwrap();
    assert!(h.assignable_list().contains(&nic));
    let g = h
        .create_guest("hvm", true, &["00:19.0", "00:1d.7@7"])
        .unwrap();
    assert_eq!(
        h.device_dma(nic, 0x7fe0_0000, false).unwrap().addr,
        0x7fe0_0000
    );
    assert!(h.device_dma(ehci, 0x7ff0_0000, false).is_err());
    assert_eq!(h.pci_list(g), vec![(nic, 5, 0), (ehci, 7, 0)]);
    // A slot the device model holds.
    let port0 = bdf("01:00.0");
    h.assignable_add(port0).unwrap();
    let err = h.pci_attach(g, "01:00.0@2").unwrap_err();
    assert_eq!(err.message, "Timed out waiting for device model action");
    h.pci_attach(g, "01:00.0@8").unwrap();
    // Detach goes straight back to dom0.
    h.pci_detach(g, nic).unwrap();
    assert_eq!(h.owner[&nic], DOM0);
}

#[test]
fn xen_40_pv_guests_without_iommu_pv_keep_dom0_mappings() {
    let mut h = host(XEN40, "");
    let nic = bdf("00:19.0");
    h.assignable_add(nic).unwrap();
    h.create_guest("pv", false, &["00:19.0"]).unwrap();
    // ENOSYS taken for success: the device is the guest's, its DMA still dom0's.
    assert_eq!(h.device_dma(nic, 0x40_0000, true).unwrap().addr, 0x40_0000);
    assert!(h.log.contains("returned ENOSYS"));
    let mut h = host(XEN40, "iommu=pv");
    h.assignable_add(nic).unwrap();
    let g = h.create_guest("pv", false, &["00:19.0"]).unwrap();
    let ram = h.domains[&g].ram.unwrap();
    assert_eq!(
        h.device_dma(nic, 0x4_0000, true).unwrap().addr,
        ram.host + 0x4_0000
    );
}

#[test]
fn multi_function_specs() {
    // xm: a function list into one slot; xl: '*' needs a slot.
    let mut h = host(XEN40, "");
    for f in ["01:00.0", "01:00.1"] {
        h.assignable_add(bdf(f)).unwrap();
    }
    let err = h.create_guest("g", true, &["01:00.0,1@6"]).unwrap_err();
    assert!(
        err.message.contains("non-page-aligned"),
        "port 1 is refused: {}",
        err.message
    );
    let mut h = host(XEN, "iommu=1");
    for f in ["01:00.0", "01:00.1"] {
        h.assignable_add(bdf(f)).unwrap();
    }
    let err = h.create_guest("g", true, &["01:00.*"]).unwrap_err();
    assert!(err
        .message
        .contains("Must specify a v-slot for multi-function devices"));
    let g = h.create_guest("g", true, &["01:00.*@6"]).unwrap();
    assert_eq!(
        h.pci_list(g),
        vec![(bdf("01:00.0"), 6, 0), (bdf("01:00.1"), 6, 1)]
    );
}

#[test]
fn hot_plug_and_surprise_removal() {
    for p in [XEN, XEN40, LINUX] {
        let mut h = host(p, "");
        let card = PciDevice {
            bdf: bdf("01:00.2"),
            kind: PciKind::Endpoint,
            secondary_bus: None,
            subordinate_bus: None,
            flr: true,
            class: Some(0x010802),
            vendor: None,
            bars: Vec::new(),
            name: "hot-plugged NVMe".into(),
        };
        h.hot_add(card).unwrap();
        let t = h.device_dma(bdf("01:00.2"), 0x20_0000, true);
        match p {
            // dom0's relaxed 1:1 map, and Linux's empty DMA domain (the driver maps
            // nothing yet).
            Personality::Linux61 => assert!(t.is_err(), "{p}"),
            _ => assert_eq!(t.unwrap().addr, 0x20_0000, "{p}"),
        }
        h.hot_remove(bdf("01:00.2")).unwrap();
        assert!(
            context(&h, bdf("01:00.0"), 0x0102).is_none(),
            "{p}: context cleared"
        );
        assert!(h.device_dma(bdf("01:00.2"), 0x20_0000, true).is_err());
    }
}

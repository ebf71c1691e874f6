//! Describe the running host from sysfs.

use crate::{Bar, Bdf, E820Entry, E820Kind, Error, Machine, PciDevice, PciKind};
use std::fs;
use std::path::Path;

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn read_hex(path: &Path) -> Option<u64> {
    let s = fs::read_to_string(path).ok()?;
    let s = s.trim();
    u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

pub(crate) fn read(root: &Path) -> Result<Machine, Error> {
    let memmap = root.join("firmware/memmap");
    let mut e820 = Vec::new();
    let entries = fs::read_dir(&memmap).map_err(|e| io(&memmap, e))?;
    for entry in entries {
        let dir = entry.map_err(|e| io(&memmap, e))?.path();
        let (Some(base), Some(end)) = (read_hex(&dir.join("start")), read_hex(&dir.join("end")))
        else {
            continue;
        };
        let kind = fs::read_to_string(dir.join("type"))
            .ok()
            .and_then(|t| E820Kind::from_name(&t))
            .unwrap_or(E820Kind::Other(0));
        e820.push(E820Entry { base, end, kind });
    }
    e820.sort_by_key(|e| e.base);

    let pci_root = root.join("bus/pci/devices");
    let mut pci = Vec::new();
    if let Ok(devices) = fs::read_dir(&pci_root) {
        for entry in devices.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(bdf) = name.parse::<Bdf>() else {
                continue;
            };
            pci.push(device(&entry.path(), bdf));
        }
    }
    pci.sort_by_key(|d| d.bdf);

    let ioapics = fs::read(root.join("firmware/acpi/tables/APIC"))
        .ok()
        .map(|madt| madt_ioapic_ids(&madt));
    Ok(Machine {
        e820,
        pci,
        ioapics,
        dma: Vec::new(),
        dom0: None,
        // /proc is not under the sysfs root; a tree without cpuinfo is taken as a
        // modern CPU.
        x2apic: fs::read_to_string(root.join("../proc/cpuinfo"))
            .map(|c| {
                c.lines()
                    .any(|l| l.starts_with("flags") && l.contains(" x2apic"))
            })
            .unwrap_or(true),
    })
}

fn device(dir: &Path, bdf: Bdf) -> PciDevice {
    let config = fs::read(dir.join("config")).unwrap_or_default();
    let byte = |o: usize| config.get(o).copied();
    let is_bridge = byte(0x0e).map(|h| h & 0x7f == 1).unwrap_or(false);
    let class = read_hex(&dir.join("class")).and_then(|c| u32::try_from(c).ok());
    // A PCIe-to-PCI bridge has a PCI Express capability whose port type is 7.
    let pcie = find_capability(&config, 0x10);
    let port_type = pcie.and_then(|at| byte(at + 2)).map(|v| (v >> 4) & 0xf);
    let kind = match (is_bridge, port_type) {
        (true, Some(7)) => PciKind::PcieToPciBridge,
        (true, _) => PciKind::Bridge,
        (false, _) => PciKind::Endpoint,
    };
    let flr = pcie
        .and_then(|at| config.get(at + 4..at + 8))
        .map(|d| u32::from_le_bytes([d[0], d[1], d[2], d[3]]) & (1 << 28) != 0)
        .unwrap_or(false);
    let bars = fs::read_to_string(dir.join("resource"))
        .map(|text| memory_bars(&text))
        .unwrap_or_default();
    PciDevice {
        bdf,
        kind,
        secondary_bus: if is_bridge { byte(0x19) } else { None },
        subordinate_bus: if is_bridge { byte(0x1a) } else { None },
        flr,
        class,
        vendor: read_hex(&dir.join("vendor")).and_then(|v| u16::try_from(v).ok()),
        bars,
        name: String::new(),
    }
}

/// Walk the capability list (bounded: at most 48 hops, as Linux does).
fn find_capability(config: &[u8], id: u8) -> Option<usize> {
    let status = config.get(0x06)?;
    if status & 0x10 == 0 {
        return None;
    }
    let mut at = usize::from(*config.get(0x34)? & 0xfc);
    for _ in 0..48 {
        if at < 0x40 {
            return None;
        }
        if *config.get(at)? == id {
            return Some(at);
        }
        at = usize::from(*config.get(at + 1)? & 0xfc);
    }
    None
}

/// The first six lines of sysfs `resource` are the BARs: `start end flags`.
fn memory_bars(text: &str) -> Vec<Bar> {
    const IORESOURCE_MEM: u64 = 0x200;
    text.lines()
        .take(6)
        .filter_map(|line| {
            let mut f = line
                .split_whitespace()
                .map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).ok());
            let (start, end, flags) = (f.next()??, f.next()??, f.next()??);
            (flags & IORESOURCE_MEM != 0 && end > start).then(|| Bar {
                base: start,
                size: end - start + 1,
            })
        })
        .collect()
}

/// I/O APIC IDs from a MADT (entry type 1, ID at offset 2).
pub(crate) fn madt_ioapic_ids(madt: &[u8]) -> Vec<u8> {
    let len = madt
        .get(4..8)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .unwrap_or(0)
        .min(madt.len());
    let mut ids = Vec::new();
    let mut at = 44;
    while at + 2 <= len {
        let (kind, length) = (madt[at], usize::from(madt[at + 1]));
        if length < 2 {
            break;
        }
        if kind == 1 {
            if let Some(&id) = madt.get(at + 2) {
                ids.push(id);
            }
        }
        at += length;
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_sysfs_tree() {
        let root = tempfile::tempdir().unwrap();
        let mm = root.path().join("firmware/memmap");
        for (i, (s, e, t)) in [
            ("0x0", "0x9fbff", "System RAM"),
            ("0x7f000000", "0x7fffffff", "Reserved"),
        ]
        .iter()
        .enumerate()
        {
            let d = mm.join(i.to_string());
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join("start"), s).unwrap();
            fs::write(d.join("end"), e).unwrap();
            fs::write(d.join("type"), format!("{t}\n")).unwrap();
        }
        let dev = root.path().join("bus/pci/devices/0000:00:1c.0");
        fs::create_dir_all(&dev).unwrap();
        let mut config = vec![0u8; 64];
        config[0x0e] = 0x81;
        config[0x19] = 2;
        config[0x1a] = 3;
        fs::write(dev.join("config"), &config).unwrap();
        fs::write(dev.join("class"), "0x060400\n").unwrap();
        let m = read(root.path()).unwrap();
        assert_eq!(m.e820.len(), 2);
        assert_eq!(m.e820[1].kind, E820Kind::Reserved);
        assert!(m.e820_covers(0x7f000000, 0x7f0fffff, E820Kind::Reserved));
        let d = &m.pci[0];
        assert_eq!(d.kind, PciKind::Bridge);
        assert_eq!((d.secondary_bus, d.subordinate_bus), (Some(2), Some(3)));
        assert_eq!(d.class, Some(0x060400));
        assert_eq!(m.ioapics, None);
    }

    #[test]
    fn madt_walk_stops_on_a_zero_length_entry() {
        let mut madt = vec![0u8; 44];
        madt.extend_from_slice(&[1, 12, 2, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0]);
        madt.extend_from_slice(&[1, 0, 9, 0]);
        let len = madt.len() as u32;
        madt[4..8].copy_from_slice(&len.to_le_bytes());
        assert_eq!(madt_ioapic_ids(&madt), vec![2]);
    }

    #[test]
    fn memory_bars_skip_io_and_empty_lines() {
        let text = "0x00000000f0000000 0x00000000f0ffffff 0x0000000000040200\n\
                    0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
                    0x000000000000e000 0x000000000000e01f 0x0000000000040101\n";
        assert_eq!(
            memory_bars(text),
            vec![Bar {
                base: 0xf000_0000,
                size: 0x100_0000
            }]
        );
    }
}

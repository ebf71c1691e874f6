//! The QEMU backend: QEMU's `intel-iommu` on q35, driven over qtest (ORACLE.md).
//!
//! QEMU runs with a firmware of HLT bytes instead of `-S`, so time runs and edu's DMA
//! timer fires; `-icount shift=0,sleep=off` makes an idle machine's virtual clock jump
//! to the next timer, so edu's 100 ms DMA completes in about a millisecond of wall time.
//! The backend plays firmware: it gives each edu a BAR and bus mastering and, on the
//! bridge machine, programs the bridge's bus numbers and window. DMA is edu's own
//! (its DMA registers), so translations and faults are QEMU's. edu's DMA mask is
//! raised to 64 bits so scenarios can reach addresses beyond MGAW. MSIs are edu's MSI
//! capability; what the local APIC received is read with QMP `info lapic`.

mod qtest;

pub use qtest::parse_irr;

use super::pci::{self, EDU_DMA_START, MSI_CAP};
use super::{Backend, BackendError, Session};
use crate::builder::{EDU, EDU_BEHIND_BRIDGE};
use crate::scenario::{Body, Config, Direction, Hardware, MachineKind, Scenario};
use qtest::Qtest;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use vtd_machine::Bdf;

/// The unit's register base.
const BASE: u64 = 0xfed9_0000;

/// QEMU's VT-d.
#[derive(Debug, Clone)]
pub struct QemuBackend {
    binary: PathBuf,
    bios: PathBuf,
    /// `qemu-system-x86_64 --version`, first line.
    pub version: String,
}

impl QemuBackend {
    /// Find QEMU (`VTD_QEMU`, else `qemu-system-x86_64` on PATH) and write the HLT
    /// firmware.
    pub fn detect() -> Result<Self, BackendError> {
        let binary = PathBuf::from(
            std::env::var("VTD_QEMU").unwrap_or_else(|_| "qemu-system-x86_64".to_string()),
        );
        let out = std::process::Command::new(&binary)
            .arg("--version")
            .output()
            .map_err(|e| {
                BackendError::Missing(format!(
                    "{} cannot run ({e}): install QEMU with `apt-get install qemu-system-x86`, or set VTD_QEMU",
                    binary.display()
                ))
            })?;
        let version = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        // One firmware file for every run: its content never changes, so it is written
        // once (through a temporary name, renamed into place) and left for the next run
        // instead of a directory per process.
        let bios = std::env::temp_dir().join("vtd-conformance-hlt-64k.bin");
        let current =
            std::fs::read(&bios).is_ok_and(|b| b.len() == 65536 && b.iter().all(|x| *x == 0xf4));
        if !current {
            let tmp = std::env::temp_dir()
                .join(format!("vtd-conformance-hlt-{}.tmp", std::process::id()));
            std::fs::write(&tmp, vec![0xf4u8; 65536])
                .and_then(|()| std::fs::rename(&tmp, &bios))
                .map_err(|e| BackendError::Io(format!("{}: {e}", bios.display())))?;
        }
        Ok(QemuBackend {
            binary,
            bios,
            version,
        })
    }

    /// The command line for `config`.
    pub fn args(&self, config: &Config) -> Vec<String> {
        let u = &config.unit;
        let on = |b: bool| if b { "on" } else { "off" };
        let mut a: Vec<String> = [
            "-M",
            "q35,kernel-irqchip=split",
            "-m",
            "512",
            "-display",
            "none",
            "-nodefaults",
            "-icount",
            "shift=0,sleep=off",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.push("-bios".into());
        a.push(self.bios.display().to_string());
        a.push("-device".into());
        a.push(format!(
            "intel-iommu,intremap={},aw-bits={},x-scalable-mode={},caching-mode={},snoop-control={},device-iotlb={},x-pasid-mode={}",
            on(u.intremap),
            u.aw_bits,
            on(u.scalable),
            on(u.caching_mode),
            on(u.snoop_control),
            on(u.device_iotlb),
            on(u.pasid),
        ));
        a.push("-device".into());
        a.push("edu,addr=01.0,dma_mask=0xffffffffffffffff".into());
        if config.machine == MachineKind::Q35PciBridge {
            a.push("-device".into());
            a.push("pcie-pci-bridge,id=br0,bus=pcie.0,addr=02.0".into());
            a.push("-device".into());
            a.push("edu,bus=br0,addr=03.0,dma_mask=0xffffffffffffffff".into());
        }
        a
    }
}

impl Backend for QemuBackend {
    fn name(&self) -> &'static str {
        "qemu"
    }

    fn version(&self) -> String {
        format!(
            "{}: intel-iommu on q35 over qtest, DMA by the edu device",
            self.version
        )
    }

    fn supports(&self, s: &Scenario) -> Result<(), &'static str> {
        if matches!(s.body, Body::Driver(_)) {
            return Err("qemu-no-driver-boot");
        }
        if s.config.hardware != Hardware::Qemu {
            return Err("qemu-fixed-capabilities");
        }
        if let Some(id) = s
            .skip
            .iter()
            .find(|id| crate::deviation::applies(id, "qemu"))
        {
            return Err(id);
        }
        Ok(())
    }

    fn open(&self, config: &Config) -> Result<Box<dyn Session>, BackendError> {
        let q = Qtest::start(&self.binary, &self.args(config))?;
        // Firmware: BARs, bus mastering, the bridge.
        let mut s = QemuSession {
            q,
            machine: config.machine,
        };
        s.pci_write(EDU, 0x10, pci::EDU_BAR as u32)?;
        s.pci_write(EDU, 0x04, pci::COMMAND_MEM_BME)?;
        if config.machine == MachineKind::Q35PciBridge {
            s.pci_write(pci::BRIDGE, 0x18, 0x0001_0100)?;
            let w = (pci::EDU2_BAR >> 16) as u32 & 0xfff0;
            s.pci_write(pci::BRIDGE, 0x20, w | (w << 16))?;
            s.pci_write(pci::BRIDGE, 0x04, pci::COMMAND_MEM_BME)?;
            s.pci_write(EDU_BEHIND_BRIDGE, 0x10, pci::EDU2_BAR as u32)?;
            s.pci_write(EDU_BEHIND_BRIDGE, 0x04, pci::COMMAND_MEM_BME)?;
        }
        Ok(Box::new(s))
    }
}

/// One QEMU.
pub struct QemuSession {
    q: Qtest,
    machine: MachineKind,
}

impl QemuSession {
    fn bar(&self, device: Bdf) -> Result<u64, BackendError> {
        match device {
            d if d == EDU => Ok(pci::EDU_BAR),
            d if d == EDU_BEHIND_BRIDGE && self.machine == MachineKind::Q35PciBridge => {
                Ok(pci::EDU2_BAR)
            }
            d => Err(BackendError::Unsupported(format!("no edu at {d}"))),
        }
    }

    fn config_address(bdf: Bdf, offset: u8) -> u32 {
        0x8000_0000
            | u32::from(bdf.bus) << 16
            | u32::from(bdf.device) << 11
            | u32::from(bdf.function) << 8
            | u32::from(offset & 0xfc)
    }
}

fn size_suffix(size: u8) -> Result<char, BackendError> {
    match size {
        1 => Ok('b'),
        2 => Ok('w'),
        4 => Ok('l'),
        8 => Ok('q'),
        n => Err(BackendError::Refused(format!("no {n}-byte access"))),
    }
}

impl Session for QemuSession {
    fn mmio_read(&mut self, offset: u32, size: u8) -> Result<u64, BackendError> {
        let s = size_suffix(size)?;
        self.q
            .value(&format!("read{s} {:#x}", BASE + u64::from(offset)))
    }

    fn mmio_write(&mut self, offset: u32, size: u8, value: u64) -> Result<(), BackendError> {
        let s = size_suffix(size)?;
        self.q
            .cmd(&format!(
                "write{s} {:#x} {value:#x}",
                BASE + u64::from(offset)
            ))
            .map(|_| ())
    }

    fn mem_read(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, BackendError> {
        self.q.read(addr, len)
    }

    fn mem_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BackendError> {
        self.q.write(addr, data)
    }

    fn pci_read(&mut self, bdf: Bdf, offset: u8) -> Result<u32, BackendError> {
        self.q.cmd(&format!(
            "outl 0xcf8 {:#x}",
            Self::config_address(bdf, offset)
        ))?;
        Ok(self.q.value("inl 0xcfc")? as u32)
    }

    fn pci_write(&mut self, bdf: Bdf, offset: u8, value: u32) -> Result<(), BackendError> {
        self.q.cmd(&format!(
            "outl 0xcf8 {:#x}",
            Self::config_address(bdf, offset)
        ))?;
        self.q.cmd(&format!("outl 0xcfc {value:#x}")).map(|_| ())
    }

    fn dma(
        &mut self,
        device: Bdf,
        dir: Direction,
        iova: u64,
        len: u16,
        buffer: u16,
    ) -> Result<(), BackendError> {
        let bar = self.bar(device)?;
        let dev = EDU_DMA_START + u64::from(buffer);
        let (src, dst, cmd) = match dir {
            Direction::Read => (iova, dev, 0x1),
            Direction::Write => (dev, iova, 0x3),
        };
        self.q.cmd(&format!("writeq {:#x} {src:#x}", bar + 0x80))?;
        self.q.cmd(&format!("writeq {:#x} {dst:#x}", bar + 0x88))?;
        self.q.cmd(&format!("writeq {:#x} {len:#x}", bar + 0x90))?;
        self.q.cmd(&format!("writeq {:#x} {cmd:#x}", bar + 0x98))?;
        let start = Instant::now();
        loop {
            if self.q.value(&format!("readq {:#x}", bar + 0x98))? & 1 == 0 {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(10) {
                return Err(BackendError::Timeout(format!(
                    "edu at {device}: DMA still running after 10 s"
                )));
            }
        }
    }

    fn msi(&mut self, device: Bdf, addr: u64, data: u32) -> Result<(), BackendError> {
        let bar = self.bar(device)?;
        let cap = MSI_CAP;
        self.pci_write(device, cap + 4, addr as u32)?;
        self.pci_write(device, cap + 8, (addr >> 32) as u32)?;
        self.pci_write(device, cap + 12, data & 0xffff)?;
        let ctrl = self.pci_read(device, cap)?;
        self.pci_write(device, cap, ctrl | 1 << 16)?;
        // Raise edu's interrupt status bit 0 (an MSI), then acknowledge it.
        self.q.cmd(&format!("writel {:#x} 0x1", bar + 0x60))?;
        self.q.cmd(&format!("writel {:#x} 0x1", bar + 0x64))?;
        Ok(())
    }

    fn irr(&mut self) -> Result<Vec<u8>, BackendError> {
        let info = self.q.hmp("info lapic")?;
        Ok(parse_irr(&info))
    }
}

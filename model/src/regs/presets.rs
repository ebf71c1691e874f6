//! Capability presets: QEMU's defaults and real units, each from a public kernel log
//! line (`DMAR: dmarN: reg_base_addr … ver M:m cap … ecap …`), cited. Research notes
//! with every source are in `docs/sources/vtd-tests-presets.md`.

use super::cap::{validate, Cap, CapError, Ecap};

/// A remapping unit's identity registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Short name, used on the command line and in scenarios.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// VER (major in bits 7:4, minor in 3:0).
    pub ver: u32,
    /// CAP.
    pub cap: u64,
    /// ECAP.
    pub ecap: u64,
    /// Register base on the machine it comes from.
    pub base: u64,
    /// Where the values were published.
    pub source: &'static str,
}

impl Preset {
    /// CAP decoded.
    pub fn cap(&self) -> Cap {
        Cap::from_bits(self.cap)
    }

    /// ECAP decoded.
    pub fn ecap(&self) -> Ecap {
        Ecap::from_bits(self.ecap)
    }

    /// Whether the pair is self-consistent in a 4 KiB register page.
    pub fn validate(&self) -> Result<(), CapError> {
        validate(self.cap(), self.ecap(), 0x1000)
    }
}

/// QEMU 9.2 `-device intel-iommu,intremap=on` (aw-bits=39), as ../shared/ORACLE.md read
/// it over qtest; CAP composed in `vtd_cap_init` (hw/i386/intel_iommu.c).
pub const QEMU_Q35: Preset = Preset {
    name: "qemu",
    description: "QEMU q35 intel-iommu, aw-bits=39 (3-level), intremap=on",
    ver: 0x10,
    cap: 0x00d2_008c_2226_0206,
    ecap: 0xf0_0f4a,
    base: 0xfed9_0000,
    source: "QEMU 9.2.4 hw/i386/intel_iommu.c vtd_cap_init; qtest readq on QEMU 7.2 (ORACLE.md)",
};

/// QEMU with `aw-bits=48` (the default from QEMU 10, which also sets ESRTPS).
pub const QEMU_Q35_AW48: Preset = Preset {
    name: "qemu-aw48",
    description: "QEMU q35 intel-iommu, aw-bits=48 (3- and 4-level), intremap=on",
    ver: 0x10,
    cap: 0x00d2_008c_222f_0606,
    ecap: 0xf0_0f4a,
    base: 0xfed9_0000,
    source: "QEMU 9.2.4 vtd_cap_init with aw-bits=48 (SAGAW bits 1 and 2, MGAW 47)",
};

/// Haswell client, graphics unit (dmar0 of the pair below).
pub const HASWELL_GFX: Preset = Preset {
    name: "haswell-gfx",
    description: "Haswell client graphics unit: 4-level only, no PSI, no pass-through",
    ver: 0x10,
    cap: 0x00c0_0000_2066_0462,
    ecap: 0xf0_101a,
    base: 0xfed9_0000,
    source: "Dell Latitude E7240 (i7-4600U) dmesg 'IOMMU 0: reg_base_addr fed90000 ver 1:0 cap c0000020660462 ecap f0101a'; linux-surface issue #478 (Surface Pro 3)",
};

/// Haswell client, the include-all unit.
pub const HASWELL: Preset = Preset {
    name: "haswell",
    description: "Haswell client include-all unit: 4-level, PSI, pass-through, snoop control",
    ver: 0x10,
    cap: 0x00d2_0080_2066_0462,
    ecap: 0xf0_10da,
    base: 0xfed9_1000,
    source: "Dell Latitude E7240 (i7-4600U) dmesg 'IOMMU 1: reg_base_addr fed91000 ver 1:0 cap d2008020660462 ecap f010da'; linux-surface issue #478",
};

/// Ivy Bridge client graphics unit (the "Chromebook" pair of the issue is Ivy Bridge).
pub const IVY_BRIDGE_GFX: Preset = Preset {
    name: "ivybridge-gfx",
    description: "Ivy Bridge client graphics unit: 3-level only",
    ver: 0x10,
    cap: 0x00c0_0000_20e6_0262,
    ecap: 0xf0_101a,
    base: 0xfed9_0000,
    source: "intel-gfx, T. Ursulin, 2020-09-11, <50a04eb6-a820-0426-0a84-f0a37c0ae961@linux.intel.com>, CI machine fi-ivb-3770: 'dmar0: reg_base_addr fed90000 ver 1:0 cap c0000020e60262 ecap f0101a'",
};

/// Ivy Bridge / Sandy Bridge client include-all unit.
pub const IVY_BRIDGE: Preset = Preset {
    name: "ivybridge",
    description: "Ivy/Sandy Bridge client include-all unit: 3-level, PSI (MAMV 9), pass-through",
    ver: 0x10,
    cap: 0x00c9_0080_2066_0262,
    ecap: 0xf0_105a,
    base: 0xfed9_1000,
    source: "intel-gfx, same message, fi-ivb-3770: 'dmar1: reg_base_addr fed91000 ver 1:0 cap c9008020660262 ecap f0105a'",
};

/// Multi-socket Xeon (Skylake-SP / Broadwell-EP) unit: 8 fault records, coherent walks.
pub const XEON_SKX: Preset = Preset {
    name: "xeon-skx",
    description: "Skylake-SP / Broadwell-EP server unit: 4-level, 8 fault records, device-TLB, coherent",
    ver: 0x10,
    cap: 0x08d2_078c_106f_0466,
    ecap: 0xf0_20df,
    base: 0xfbff_c000,
    source: "LKML, Longpeng, 2021-03-17, <670baaf8-4ff8-4e84-4be3-030b95ab5a5e@huawei.com> (Xeon Gold 6146); qemu-devel, P. Xu, 2023-05-18, <ZGaAVAI9u4K4vy1/@x1n>: 'dmar0: reg_base_addr fbffc000 ver 1:0 cap 8d2078c106f0466 ecap f020df'",
};

/// Westmere-EP (Intel 5520 IOH): a VT-d 1.0-era unit.
pub const WESTMERE_EP: Preset = Preset {
    name: "westmere-ep",
    description: "Westmere-EP / 5520 IOH unit: 4-level, 8 fault records, MAMV 9",
    ver: 0x10,
    cap: 0x00c9_0780_106f_0462,
    ecap: 0xf0_207e,
    base: 0xefff_e000,
    source: "HP ProLiant blade, 2 × Xeon X5650, CentOS 6: 'dmar: IOMMU 0: reg_base_addr efffe000 ver 1:0 cap c90780106f0462 ecap f0207e'",
};

/// Tiger Lake client include-all unit.
pub const TIGER_LAKE: Preset = Preset {
    name: "tigerlake",
    description: "Tiger Lake client include-all unit: 4-level, 2M/1G, PSI, snoop control",
    ver: 0x10,
    cap: 0x00d2_008c_4066_0462,
    ecap: 0xf0_50da,
    base: 0xfed9_1000,
    source: "linux-wireless, T. Høiland-Jørgensen, 2022-04-19, <87mtghs3y2.fsf@toke.dk> (ThinkPad X1 Carbon Gen 9): 'dmar3: reg_base_addr fed91000 ver 1:0 cap d2008c40660462 ecap f050da'",
};

/// Sapphire Rapids server unit: scalable mode, first and second level, 5-level.
pub const SAPPHIRE_RAPIDS: Preset = Preset {
    name: "sapphire-rapids",
    description: "Sapphire Rapids server unit: VT-d 6.0, scalable mode, FL+SL, 4/5-level",
    ver: 0x60,
    cap: 0x19ed_008c_4078_0c66,
    ecap: 0x3_ee9e_86f0_50df,
    base: 0xd97f_c000,
    source: "github.com/intel/intel-device-plugins-for-kubernetes issue #1836 (Intel M50FCP): 'dmar0: reg_base_addr d97fc000 ver 6:0 cap 19ed008c40780c66 ecap 3ee9e86f050df'",
};

/// Every preset.
pub const ALL: &[Preset] = &[
    QEMU_Q35,
    QEMU_Q35_AW48,
    HASWELL_GFX,
    HASWELL,
    IVY_BRIDGE_GFX,
    IVY_BRIDGE,
    XEON_SKX,
    WESTMERE_EP,
    TIGER_LAKE,
    SAPPHIRE_RAPIDS,
];

/// A preset by name.
pub fn by_name(name: &str) -> Option<Preset> {
    ALL.iter().copied().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_self_consistent() {
        for p in ALL {
            assert_eq!(p.validate(), Ok(()), "{}", p.name);
        }
    }

    #[test]
    fn decoded_fields_match_the_published_decodes() {
        let x = XEON_SKX.cap();
        assert_eq!(
            (
                x.sagaw(),
                x.mgaw_bits(),
                x.fault_recording_offset(),
                x.fault_records()
            ),
            (0b100, 48, 0x100, 8)
        );
        assert_eq!(XEON_SKX.ecap().iotlb_offset(), 0x200);
        assert!(XEON_SKX.ecap().c() && XEON_SKX.ecap().dt());
        let ivb = IVY_BRIDGE.cap();
        assert_eq!((ivb.sagaw(), ivb.mamv()), (0b10, 9));
        let hsw = HASWELL_GFX.cap();
        assert!(hsw.plmr() && hsw.phmr() && !hsw.psi());
        assert_eq!(hsw.max_levels(), Some(4));
        let spr = SAPPHIRE_RAPIDS;
        assert!(spr.ecap().smts() && spr.ecap().slts() && spr.ecap().flts());
        assert_eq!(spr.cap().sagaw(), 0b1100);
        assert_eq!(spr.cap().mgaw_bits(), 57);
    }
}

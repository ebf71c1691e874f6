//! A human-writable description of a synthetic table (`vtd dmar build SPEC.toml`).
//!
//! Lengths, offsets and the checksum are computed unless a field overrides them, which
//! is how fixtures make deliberately broken tables:
//!
//! ```toml
//! oem_id = "SUPERM"
//! oem_table_id = "X7SB4"
//! flags = ["intr_remap"]
//!
//! [[structure]]
//! type = "drhd"
//! flags = ["include_pci_all"]
//! register_base = 0xfed90000
//! length = 0                 # the X7SB4 defect: a zero-length entry
//! scopes = [{ type = "ioapic", id = 2, bus = 0xf0, path = ["1f.0"] }]
//! ```
//!
//! Paths are written as lspci writes them: `"dd.f"`, device in hex, function 0–7.

use crate::table::{
    Andd, Atsr, AtsrFlags, Body, DeviceScope, DmarFlags, Drhd, DrhdFlags, PathEntry, RawStructure,
    Rhsa, Rmrr, Satc, SatcFlags, ScopeKind, Scopes, Sidp, Structure, Table, Unparsed,
};
use crate::text::{from_hex, Bytes, Id};
use crate::view::StopReason;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Deserialize;

/// A table description.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Signature (default `DMAR`).
    pub signature: Option<String>,
    /// Header length override.
    pub length: Option<u32>,
    /// Revision (default 1).
    pub revision: Option<u8>,
    /// Checksum override (default: computed).
    pub checksum: Option<u8>,
    /// OEM ID (space-padded).
    pub oem_id: Option<String>,
    /// OEM table ID (space-padded).
    pub oem_table_id: Option<String>,
    /// OEM revision (default 1).
    pub oem_revision: Option<u32>,
    /// Creator ID (default `VTD `).
    pub creator_id: Option<String>,
    /// Creator revision (default 1).
    pub creator_revision: Option<u32>,
    /// Host address width field (default 38, i.e. 39-bit).
    pub host_address_width: Option<u8>,
    /// DMAR flags: names (`intr_remap`, `x2apic_opt_out`, `dma_ctrl_platform_opt_in`) or bits.
    pub flags: Option<Flags>,
    /// The remapping structures.
    #[serde(default, rename = "structure")]
    pub structures: Vec<StructureSpec>,
    /// Hex bytes after the last structure, inside the declared length.
    pub trailing: Option<String>,
    /// Hex bytes after the declared length.
    pub excess: Option<String>,
}

/// Flags as names or a number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Flags {
    /// Raw bits.
    Bits(u8),
    /// Flag names.
    Names(Vec<String>),
}

/// One structure.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StructureSpec {
    /// `drhd`, `rmrr`, `atsr`, `rhsa`, `andd`, `satc`, `sidp` or `raw`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Length override.
    pub length: Option<u16>,
    /// Flags (DRHD `include_pci_all`, ATSR `all_ports`, SATC `atc_required`) or bits.
    pub flags: Option<Flags>,
    /// PCI segment.
    #[serde(default)]
    pub segment: u16,
    /// DRHD/RHSA register base.
    pub register_base: Option<u64>,
    /// DRHD size field.
    #[serde(default)]
    pub size: u8,
    /// RMRR base.
    pub base: Option<u64>,
    /// RMRR end (inclusive).
    pub end: Option<u64>,
    /// RHSA proximity domain.
    #[serde(default)]
    pub proximity_domain: u32,
    /// ANDD device number.
    #[serde(default)]
    pub device_number: u8,
    /// ANDD namespace path (NUL added).
    pub name: Option<String>,
    /// Raw structure type code.
    pub code: Option<u16>,
    /// Raw structure body, hex.
    pub bytes: Option<String>,
    /// Device scopes.
    #[serde(default)]
    pub scopes: Vec<ScopeSpec>,
    /// Hex bytes after the scopes, inside the structure.
    pub trailing: Option<String>,
}

/// One device scope.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScopeSpec {
    /// `endpoint`, `bridge`, `ioapic`, `hpet`, `namespace`, or a number.
    #[serde(rename = "type")]
    pub kind: ScopeKindSpec,
    /// Enumeration ID (IOAPIC ID, HPET number, ANDD device number).
    #[serde(default)]
    pub id: u8,
    /// Start bus.
    #[serde(default)]
    pub bus: u8,
    /// Path hops, `"dd.f"`.
    #[serde(default)]
    pub path: Vec<String>,
    /// Length override.
    pub length: Option<u8>,
    /// Flags byte.
    #[serde(default)]
    pub flags: u8,
}

/// A scope type by name or number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ScopeKindSpec {
    /// Type code.
    Code(u8),
    /// Type name.
    Name(String),
}

impl Default for ScopeKindSpec {
    fn default() -> Self {
        ScopeKindSpec::Code(1)
    }
}

/// A spec that cannot be turned into a table; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl core::fmt::Display for SpecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError(msg.into()))
}

fn hex_field(what: &str, s: &Option<String>) -> Result<Vec<u8>, SpecError> {
    match s {
        None => Ok(Vec::new()),
        Some(s) => from_hex(s).ok_or_else(|| SpecError(format!("{what}: {s:?} is not hex"))),
    }
}

fn flag_bits(what: &str, f: &Option<Flags>, names: &[(&str, u8)]) -> Result<u8, SpecError> {
    match f {
        None => Ok(0),
        Some(Flags::Bits(b)) => Ok(*b),
        Some(Flags::Names(list)) => list.iter().try_fold(0u8, |acc, n| {
            let n = n.to_ascii_lowercase();
            match names.iter().find(|(name, _)| *name == n) {
                Some((_, bit)) => Ok(acc | bit),
                None => {
                    let known: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                    err(format!(
                        "{what}: unknown flag {n:?} (known: {})",
                        known.join(", ")
                    ))
                }
            }
        }),
    }
}

/// Parse `"dd.f"` (hex device, decimal function).
pub fn parse_path_entry(s: &str) -> Option<PathEntry> {
    let (d, f) = s.split_once('.')?;
    let device = u8::from_str_radix(d, 16).ok()?;
    let function = f.parse::<u8>().ok()?;
    Some(PathEntry { device, function })
}

fn id<const N: usize>(what: &str, s: &Option<String>, default: &str) -> Result<Id<N>, SpecError> {
    Id::from_text(s.as_deref().unwrap_or(default)).map_err(|e| SpecError(format!("{what}: {e}")))
}

impl ScopeSpec {
    fn build(&self, at: &str) -> Result<DeviceScope, SpecError> {
        let kind = match &self.kind {
            ScopeKindSpec::Code(c) => ScopeKind::from_code(*c),
            ScopeKindSpec::Name(n) => ScopeKind::from_name(n).ok_or_else(|| {
                SpecError(format!(
                    "{at}: unknown scope type {n:?} (endpoint, bridge, ioapic, hpet, namespace, or a number)"
                ))
            })?,
        };
        let path = self
            .path
            .iter()
            .map(|p| {
                parse_path_entry(p).ok_or_else(|| {
                    SpecError(format!(
                        "{at}: path entry {p:?} is not \"dd.f\" (e.g. \"1f.0\")"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut s = DeviceScope::new(kind, self.id, self.bus, &[]);
        s.path = path.into();
        s.flags = self.flags;
        Ok(s)
    }
}

impl StructureSpec {
    fn build(&self, index: usize) -> Result<Body, SpecError> {
        let at = format!("structure[{index}] ({})", self.kind);
        let scopes = || -> Result<Scopes, SpecError> {
            let entries = self
                .scopes
                .iter()
                .enumerate()
                .map(|(i, s)| s.build(&format!("{at}.scopes[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            let trailing = hex_field(&format!("{at}.trailing"), &self.trailing)?;
            Ok(Scopes {
                entries,
                unparsed: (!trailing.is_empty()).then_some(Unparsed {
                    offset: 0,
                    reason: StopReason::Truncated {
                        remaining: trailing.len(),
                    },
                    bytes: Bytes(trailing),
                }),
            })
        };
        let need = |field: &str, v: Option<u64>| {
            v.ok_or_else(|| SpecError(format!("{at}: missing field `{field}`")))
        };
        Ok(match self.kind.as_str() {
            "drhd" => Body::Drhd(Drhd {
                flags: DrhdFlags::from_bits_retain(flag_bits(
                    &at,
                    &self.flags,
                    &[("include_pci_all", 1)],
                )?),
                size: self.size,
                segment: self.segment,
                register_base: need("register_base", self.register_base)?,
                scopes: scopes()?,
            }),
            "rmrr" => Body::Rmrr(Rmrr {
                reserved: 0,
                segment: self.segment,
                base: need("base", self.base)?,
                end: need("end", self.end)?,
                scopes: scopes()?,
            }),
            "atsr" => Body::Atsr(Atsr {
                flags: AtsrFlags::from_bits_retain(flag_bits(&at, &self.flags, &[("all_ports", 1)])?),
                reserved: 0,
                segment: self.segment,
                scopes: scopes()?,
            }),
            "rhsa" => Body::Rhsa(Rhsa {
                register_base: need("register_base", self.register_base)?,
                proximity_domain: self.proximity_domain,
                ..Rhsa::default()
            }),
            "andd" => Andd::new(self.device_number, self.name.as_deref().unwrap_or("")).into(),
            "satc" => Body::Satc(Satc {
                flags: SatcFlags::from_bits_retain(flag_bits(
                    &at,
                    &self.flags,
                    &[("atc_required", 1)],
                )?),
                reserved: 0,
                segment: self.segment,
                scopes: scopes()?,
            }),
            "sidp" => Body::Sidp(Sidp {
                reserved: 0,
                segment: self.segment,
                scopes: scopes()?,
            }),
            "raw" => Body::Raw(RawStructure {
                code: self
                    .code
                    .ok_or_else(|| SpecError(format!("{at}: missing field `code`")))?,
                bytes: Bytes(hex_field(&format!("{at}.bytes"), &self.bytes)?),
            }),
            other => {
                return err(format!(
                    "{at}: unknown structure type {other:?} (drhd, rmrr, atsr, rhsa, andd, satc, sidp, raw)"
                ))
            }
        })
    }
}

impl TableSpec {
    /// Build the table: contents, then computed lengths, then overrides, then the
    /// checksum (unless overridden), so a checksum is right for overridden lengths.
    pub fn build(&self) -> Result<Table, SpecError> {
        let mut t = Table::new("", "");
        let h = &mut t.header;
        h.signature = id("signature", &self.signature, "DMAR")?;
        h.revision = self.revision.unwrap_or(1);
        h.oem_id = id("oem_id", &self.oem_id, "VTD")?;
        h.oem_table_id = id("oem_table_id", &self.oem_table_id, "VTD")?;
        h.oem_revision = self.oem_revision.unwrap_or(1);
        h.creator_id = id("creator_id", &self.creator_id, "VTD")?;
        h.creator_revision = self.creator_revision.unwrap_or(1);
        t.host_address_width = self.host_address_width.unwrap_or(38);
        t.flags = DmarFlags::from_bits_retain(match &self.flags {
            None => DmarFlags::INTR_REMAP.bits(),
            f => flag_bits(
                "flags",
                f,
                &[
                    ("intr_remap", 1),
                    ("x2apic_opt_out", 2),
                    ("dma_ctrl_platform_opt_in", 4),
                ],
            )?,
        });
        for (i, s) in self.structures.iter().enumerate() {
            t.structures.push(Structure {
                offset: 0,
                length: 0,
                body: s.build(i)?,
            });
        }
        let trailing = hex_field("trailing", &self.trailing)?;
        if !trailing.is_empty() {
            t.unparsed = Some(Unparsed {
                offset: 0,
                reason: StopReason::Truncated {
                    remaining: trailing.len(),
                },
                bytes: Bytes(trailing),
            });
        }
        t.excess = Bytes(hex_field("excess", &self.excess)?);
        t.fix_lengths().map_err(|e| SpecError(e.to_string()))?;
        for (s, spec) in t.structures.iter_mut().zip(&self.structures) {
            if let Some(l) = spec.length {
                s.length = l;
            }
            if let Some(scopes) = s.body.scopes_mut() {
                for (sc, sspec) in scopes.entries.iter_mut().zip(&spec.scopes) {
                    if let Some(l) = sspec.length {
                        sc.length = l;
                    }
                }
            }
        }
        if let Some(l) = self.length {
            t.header.length = l;
        }
        match self.checksum {
            Some(c) => t.header.checksum = c,
            None => t.fix_checksum(),
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_entries_parse_like_lspci() {
        assert_eq!(
            parse_path_entry("1f.3"),
            Some(PathEntry {
                device: 0x1f,
                function: 3
            })
        );
        assert_eq!(parse_path_entry("1f"), None);
        assert_eq!(parse_path_entry("zz.0"), None);
    }

    #[test]
    fn unknown_flag_names_are_rejected_with_the_known_ones() {
        let spec = TableSpec {
            flags: Some(Flags::Names(alloc::vec!["intr_remapping".into()])),
            ..TableSpec::default()
        };
        let e = spec.build().unwrap_err();
        assert!(e.0.contains("intr_remap, x2apic_opt_out"), "{e}");
    }
}

//! The E820 memory map.

use serde::{Deserialize, Deserializer};

/// E820 range types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum E820Kind {
    /// Usable RAM (1).
    Ram,
    /// Reserved (2).
    Reserved,
    /// ACPI reclaimable (3).
    Acpi,
    /// ACPI NVS (4).
    Nvs,
    /// Unusable (5).
    Unusable,
    /// Persistent memory (7).
    Pmem,
    /// Anything else.
    Other(u32),
}

impl E820Kind {
    /// From the numeric type.
    pub fn from_code(code: u32) -> Self {
        match code {
            1 => E820Kind::Ram,
            2 => E820Kind::Reserved,
            3 => E820Kind::Acpi,
            4 => E820Kind::Nvs,
            5 => E820Kind::Unusable,
            7 => E820Kind::Pmem,
            c => E820Kind::Other(c),
        }
    }

    /// The numeric type (the inverse of [`E820Kind::from_code`]).
    pub fn code(self) -> u32 {
        match self {
            E820Kind::Ram => 1,
            E820Kind::Reserved => 2,
            E820Kind::Acpi => 3,
            E820Kind::Nvs => 4,
            E820Kind::Unusable => 5,
            E820Kind::Pmem => 7,
            E820Kind::Other(c) => c,
        }
    }

    /// Our name for it (what [`E820Kind::from_name`] reads back); None for a numeric
    /// type without one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            E820Kind::Ram => "ram",
            E820Kind::Reserved => "reserved",
            E820Kind::Acpi => "acpi",
            E820Kind::Nvs => "nvs",
            E820Kind::Unusable => "unusable",
            E820Kind::Pmem => "pmem",
            E820Kind::Other(_) => return None,
        })
    }

    /// From a name: ours (`ram`, `reserved`, `acpi`, `nvs`, `unusable`, `pmem`) or the
    /// ones Linux writes to `/sys/firmware/memmap/*/type`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.trim() {
            "ram" | "System RAM" | "usable" => E820Kind::Ram,
            "reserved" | "Reserved" => E820Kind::Reserved,
            "acpi" | "ACPI Tables" | "ACPI data" => E820Kind::Acpi,
            "nvs" | "ACPI Non-volatile Storage" | "ACPI NVS" => E820Kind::Nvs,
            "unusable" | "Unusable memory" => E820Kind::Unusable,
            "pmem" | "Persistent Memory" | "Persistent Memory (legacy)" => E820Kind::Pmem,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for E820Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Code(u32),
            Name(String),
        }
        match Repr::deserialize(d)? {
            Repr::Code(c) => Ok(E820Kind::from_code(c)),
            Repr::Name(n) => E820Kind::from_name(&n).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown E820 type {n:?} (ram, reserved, acpi, nvs, unusable, pmem, or a number)"
                ))
            }),
        }
    }
}

/// One E820 range, `[base, end]` inclusive as Linux prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct E820Entry {
    /// First byte.
    pub base: u64,
    /// Last byte.
    pub end: u64,
    /// Type.
    pub kind: E820Kind,
}

impl<'de> Deserialize<'de> for E820Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Repr {
            base: u64,
            end: Option<u64>,
            size: Option<u64>,
            #[serde(rename = "type")]
            kind: E820Kind,
        }
        let r = Repr::deserialize(d)?;
        let end = match (r.end, r.size) {
            (Some(end), None) => end,
            (None, Some(0)) => return Err(serde::de::Error::custom("e820 entry: size is 0")),
            (None, Some(size)) => r.base.checked_add(size - 1).ok_or_else(|| {
                serde::de::Error::custom("e820 entry: base + size overflows 64 bits")
            })?,
            _ => {
                return Err(serde::de::Error::custom(
                    "e820 entry: give exactly one of `end` (inclusive) or `size`",
                ))
            }
        };
        Ok(E820Entry {
            base: r.base,
            end,
            kind: r.kind,
        })
    }
}

/// Whether `[base, end]` is covered by entries of `kind`. Entries may be unsorted and
/// adjacent entries join.
pub(crate) fn covers(map: &[E820Entry], base: u64, end: u64, kind: E820Kind) -> bool {
    let mut ranges: Vec<(u64, u64)> = map
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| (e.base, e.end))
        .collect();
    ranges.sort_unstable();
    let mut next = base;
    for (b, e) in ranges {
        if b > next {
            break;
        }
        if e >= next {
            if e >= end {
                return true;
            }
            next = e + 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for c in 0..10 {
            assert_eq!(E820Kind::from_code(c).code(), c);
            let k = E820Kind::from_code(c);
            if let Some(n) = k.name() {
                assert_eq!(E820Kind::from_name(n), Some(k));
            }
        }
        assert_eq!(E820Kind::Other(6).name(), None);
    }

    fn e(base: u64, end: u64, kind: E820Kind) -> E820Entry {
        E820Entry { base, end, kind }
    }

    #[test]
    fn coverage_joins_adjacent_entries_in_any_order() {
        let map = [
            e(0x2000, 0x2fff, E820Kind::Reserved),
            e(0x1000, 0x1fff, E820Kind::Reserved),
            e(0x3000, 0x3fff, E820Kind::Nvs),
        ];
        assert!(covers(&map, 0x1000, 0x2fff, E820Kind::Reserved));
        assert!(covers(&map, 0x1800, 0x1800, E820Kind::Reserved));
        assert!(!covers(&map, 0x1000, 0x3fff, E820Kind::Reserved));
        assert!(!covers(&map, 0x0, 0x1fff, E820Kind::Reserved));
        assert!(covers(&map, 0x3000, 0x3fff, E820Kind::Nvs));
    }

    #[test]
    fn coverage_reaches_the_top_of_the_address_space() {
        let map = [e(0xffff_f000, u64::MAX, E820Kind::Reserved)];
        assert!(covers(&map, 0xffff_f000, u64::MAX, E820Kind::Reserved));
    }
}

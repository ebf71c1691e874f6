//! PCI addresses in the notation lspci and Xen use: `[ssss:]bb:dd.f`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Segment, bus, device (0–31) and function (0–7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bdf {
    /// PCI segment (domain).
    pub segment: u16,
    /// Bus.
    pub bus: u8,
    /// Device, 0–31.
    pub device: u8,
    /// Function, 0–7.
    pub function: u8,
}

impl Bdf {
    /// A BDF, if device and function are in range.
    pub fn new(segment: u16, bus: u8, device: u8, function: u8) -> Option<Self> {
        (device < 32 && function < 8).then_some(Bdf {
            segment,
            bus,
            device,
            function,
        })
    }

    /// The 16-bit requester ID (source-id) a DMA request carries.
    pub fn requester_id(self) -> u16 {
        u16::from(self.bus) << 8 | u16::from(self.device) << 3 | u16::from(self.function)
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{}",
            self.segment, self.bus, self.device, self.function
        )
    }
}

/// Why a BDF string does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BdfError(String);

impl fmt::Display for BdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a PCI address like \"00:1f.0\" or \"0000:00:1f.0\" (hex bus and \
             device ≤ 1f, function 0–7)",
            self.0
        )
    }
}

impl std::error::Error for BdfError {}

impl FromStr for Bdf {
    type Err = BdfError;
    fn from_str(s: &str) -> Result<Self, BdfError> {
        let bad = || BdfError(s.to_string());
        let (head, function) = s.rsplit_once('.').ok_or_else(bad)?;
        let mut parts: Vec<&str> = head.split(':').collect();
        let device = parts.pop().ok_or_else(bad)?;
        let bus = parts.pop().ok_or_else(bad)?;
        let segment = match parts.as_slice() {
            [] => 0,
            [seg] => u16::from_str_radix(seg, 16).map_err(|_| bad())?,
            _ => return Err(bad()),
        };
        let bus = u8::from_str_radix(bus, 16).map_err(|_| bad())?;
        let device = u8::from_str_radix(device, 16).map_err(|_| bad())?;
        let function = function.parse::<u8>().map_err(|_| bad())?;
        Bdf::new(segment, bus, device, function).ok_or_else(bad)
    }
}

impl<'de> Deserialize<'de> for Bdf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Bdf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_short_and_long_forms() {
        let b: Bdf = "00:1f.3".parse().unwrap();
        assert_eq!(b, Bdf::new(0, 0, 0x1f, 3).unwrap());
        let b: Bdf = "0001:80:04.7".parse().unwrap();
        assert_eq!(b.to_string(), "0001:80:04.7");
        assert_eq!(b.requester_id(), 0x8027);
    }

    #[test]
    fn rejects_out_of_range_and_garbage() {
        for s in [
            "00:20.0",
            "00:1f.8",
            "1f.0",
            "x:00:00.0",
            "00:00",
            "0:0:0:0.0",
        ] {
            assert!(s.parse::<Bdf>().is_err(), "{s}");
        }
    }
}

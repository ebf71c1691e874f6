//! Byte strings as people read them: ACPI IDs as text, everything else as hex, in a
//! form that converts back to the same bytes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Displays bytes as a quoted string, escaping anything that is not printable ASCII.
pub struct Ascii<'a>(pub &'a [u8]);

impl fmt::Debug for Ascii<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        fmt::Display::fmt(self, f)?;
        f.write_str("\"")
    }
}

impl fmt::Display for Ascii<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            match b {
                b'"' | b'\\' => write!(f, "\\{}", b as char)?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        Ok(())
    }
}

/// Displays bytes as iasl does: printable ASCII as it is, anything else as `\xNN`.
pub struct Printable<'a>(pub &'a [u8]);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            match b {
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        Ok(())
    }
}

/// Bytes as lowercase hex without separators.
pub fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parse hex (whitespace allowed between bytes); `None` on odd length or a non-hex digit.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (*pair.first()? as char).to_digit(16)?;
            let lo = (*pair.get(1)? as char).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

/// A fixed-size ACPI identifier (signature, OEM ID, …). Serialised as text when every
/// byte is printable ASCII, else as `hex:…`, so any value survives a JSON round trip.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Id<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for Id<N> {
    fn default() -> Self {
        Id([b' '; N])
    }
}

impl<const N: usize> Id<N> {
    /// The text form used in JSON and TOML.
    pub fn to_text(&self) -> String {
        let printable = self.0.iter().all(|b| (0x20..=0x7e).contains(b));
        if printable && !self.0.starts_with(b"hex:") {
            self.0.iter().map(|&b| b as char).collect()
        } else {
            alloc::format!("hex:{}", to_hex(&self.0))
        }
    }

    /// Parse the text form; plain text shorter than `N` is padded with spaces, as ACPI
    /// IDs are.
    pub fn from_text(s: &str) -> Result<Self, String> {
        let bytes = match s.strip_prefix("hex:") {
            Some(hex) => from_hex(hex).ok_or_else(|| alloc::format!("{s:?} is not valid hex"))?,
            None => {
                let mut v = s.as_bytes().to_vec();
                if v.len() < N {
                    v.resize(N, b' ');
                }
                v
            }
        };
        <[u8; N]>::try_from(bytes.as_slice())
            .map(Id)
            .map_err(|_| alloc::format!("{s:?} is not {N} bytes"))
    }
}

impl<const N: usize> fmt::Debug for Id<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Ascii(&self.0), f)
    }
}

/// Owned bytes, serialised as hex.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hex:{}", to_hex(&self.0))
    }
}

impl From<&[u8]> for Bytes {
    fn from(b: &[u8]) -> Self {
        Bytes(b.to_vec())
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{from_hex, to_hex, Bytes, Id};
    use alloc::string::String;
    use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

    impl<const N: usize> Serialize for Id<N> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&self.to_text())
        }
    }

    impl<'de, const N: usize> Deserialize<'de> for Id<N> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            Id::from_text(&s).map_err(de::Error::custom)
        }
    }

    impl Serialize for Bytes {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&to_hex(&self.0))
        }
    }

    impl<'de> Deserialize<'de> for Bytes {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            from_hex(&s)
                .map(Bytes)
                .ok_or_else(|| de::Error::custom(alloc::format!("{s:?} is not valid hex")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        for raw in [*b"INTEL ", *b"hex:ab", [0, 1, 2, 0xff, b'A', b' ']] {
            let id = Id(raw);
            assert_eq!(Id::<6>::from_text(&id.to_text()), Ok(id));
        }
        assert_eq!(Id::<6>::from_text("ABC"), Ok(Id(*b"ABC   ")));
        assert!(Id::<4>::from_text("TOOLONG").is_err());
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(
            from_hex(&to_hex(&[0, 0x7f, 0xff])),
            Some(alloc::vec![0, 0x7f, 0xff])
        );
        assert_eq!(from_hex("0a 0B"), Some(alloc::vec![0x0a, 0x0b]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}

//! InfluxDB IDs: non-zero 64-bit numbers written as exactly 16 lowercase hex characters.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not an [`Id`]. The messages are InfluxDB's own (`kit/platform/id.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("id must have a length of 16 bytes")]
    Length,
    #[error("invalid ID")]
    Invalid,
}

/// A non-zero 64-bit identifier of an authorization, user, org or bucket.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(u64);

impl Id {
    /// Wraps a raw value; zero is not an ID.
    pub fn new(value: u64) -> Option<Self> {
        (value != 0).then_some(Self(value))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The 16 lowercase hex digits. (Every answer carries several IDs; `{:016x}` through `fmt` costs several times
    /// this.)
    pub fn hex(self) -> [u8; 16] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 16];
        for (i, digit) in out.iter_mut().enumerate() {
            *digit = DIGITS[((self.0 >> (60 - 4 * i)) & 0xf) as usize];
        }
        out
    }

    fn with_str<T>(self, f: impl FnOnce(&str) -> T) -> T {
        let hex = self.hex();
        // Hex digits are ASCII, so this never fails.
        f(std::str::from_utf8(&hex).unwrap_or_default())
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|hex| f.pad(hex))
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({self})")
    }
}

impl FromStr for Id {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 16 {
            return Err(IdError::Length);
        }
        // Sixteen hex digits (either case) fit a u64 exactly; no sign, no prefix.
        let mut value = 0u64;
        for byte in s.bytes() {
            let digit = match byte {
                b'0'..=b'9' => byte - b'0',
                b'a'..=b'f' => byte - b'a' + 10,
                b'A'..=b'F' => byte - b'A' + 10,
                _ => return Err(IdError::Invalid),
            };
            value = (value << 4) | u64::from(digit);
        }
        Id::new(value).ok_or(IdError::Invalid)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_str(|hex| serializer.serialize_str(hex))
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A hasher for the in-memory maps of the request path, keyed by [`Id`]s or token hashes (`TokenHash`): a
/// multiply-rotate per word instead of SipHash, ten times cheaper. SipHash guards a map against keys chosen to
/// collide; these maps only ever hold keys the server made (IDs) or SHA-256 hashes of tokens that exist, so no
/// client can choose what goes in. Lookups with any key stay correct, only their cost varies.
#[derive(Debug, Default, Clone, Copy)]
pub struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        for &byte in chunks.remainder() {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

/// A `HashMap` with [`WordHasher`].
pub type WordMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<WordHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_sixteen_hex_chars() {
        let id: Id = "0a6f4bfc1b2f9000".parse().unwrap();
        assert_eq!(id.get(), 0x0a6f_4bfc_1b2f_9000);
        assert_eq!(id.to_string(), "0a6f4bfc1b2f9000");
    }

    proptest::proptest! {
        #[test]
        fn writes_what_format_writes(value in 1u64..) {
            let id = Id::new(value).unwrap();
            proptest::prop_assert_eq!(id.to_string(), format!("{value:016x}"));
            proptest::prop_assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{value:016x}\""));
            proptest::prop_assert_eq!(id.to_string().parse::<Id>().unwrap(), id);
        }

        #[test]
        fn parses_as_the_standard_library_does(text in "[0-9a-fA-FxX+ -]{16}") {
            let expected = if text.bytes().all(|b| b.is_ascii_hexdigit()) {
                u64::from_str_radix(&text, 16).ok().and_then(Id::new).ok_or(IdError::Invalid)
            } else {
                Err(IdError::Invalid)
            };
            proptest::prop_assert_eq!(text.parse::<Id>(), expected);
        }
    }

    #[test]
    fn rejects_bad_ids_with_influxdb_messages() {
        assert_eq!("abc".parse::<Id>(), Err(IdError::Length));
        assert_eq!("".parse::<Id>(), Err(IdError::Length));
        assert_eq!("0000000000000000".parse::<Id>(), Err(IdError::Invalid));
        assert_eq!("zzzzzzzzzzzzzzzz".parse::<Id>(), Err(IdError::Invalid));
        assert_eq!("+a6f4bfc1b2f9000".parse::<Id>(), Err(IdError::Invalid));
        assert_eq!("0a6f4bfc1b2f90é".parse::<Id>(), Err(IdError::Invalid));
    }
}

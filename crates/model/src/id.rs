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
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IdError::Invalid);
        }
        let value = u64::from_str_radix(s, 16).map_err(|_| IdError::Invalid)?;
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

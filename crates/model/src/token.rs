//! API tokens and the SHA-256 hashes the store indexes them by.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A plaintext API token. `Debug` never shows it, so it cannot leak through a log line.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: for the one response that returns it, and for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(self.0.as_bytes())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Unsalted SHA-256 of a token, as InfluxDB 2.8+ stores it (`influxdb2-sha256`). Deterministic, because it is
/// also the key of the token index.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    const PHC_PREFIX: &'static str = "$influxdb2-sha256$";

    pub fn of(secret: &[u8]) -> Self {
        Self(Sha256::digest(secret).into())
    }

    /// The index key of a v1 authorization's user name. The first byte hashed is `0xFF`, which never starts a UTF-8
    /// string, so no v2 token (always text) hashes to the key of a v1 name: the two kinds share one unique index
    /// without colliding.
    pub fn of_v1_username(name: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update([0xFF]);
        hasher.update(name.as_bytes());
        Self(hasher.finalize().into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Compares in constant time.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// The PHC-style string InfluxDB shows as `hashedToken`: `$influxdb2-sha256$<base64url>`.
    pub fn to_phc(&self) -> String {
        format!("{}{}", Self::PHC_PREFIX, URL_SAFE.encode(self.0))
    }

    pub fn from_phc(text: &str) -> Option<Self> {
        let encoded = text.strip_prefix(Self::PHC_PREFIX)?;
        let bytes = URL_SAFE.decode(encoded).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

impl Serialize for TokenHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_phc())
    }
}

impl<'de> Deserialize<'de> for TokenHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_phc(&text).ok_or_else(|| serde::de::Error::custom("not an influxdb2-sha256 hash"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let token = Token::new("super-secret");
        assert_eq!(format!("{token:?}"), "Token(***)");
        assert!(!format!("{:?}", token.hash()).contains("super"));
    }

    #[test]
    fn v1_names_and_v2_tokens_never_share_a_key() {
        let name = TokenHash::of_v1_username("telegraf");
        assert!(!name.matches(&Token::new("telegraf").hash()));
        assert!(!name.matches(&Token::new("\u{ff}telegraf").hash()));
        assert!(name.matches(&TokenHash::of_v1_username("telegraf")));
    }

    #[test]
    fn phc_form_round_trips() {
        let hash = Token::new("abc").hash();
        let phc = hash.to_phc();
        assert!(phc.starts_with("$influxdb2-sha256$"));
        assert_eq!(phc.len(), "$influxdb2-sha256$".len() + 44);
        assert!(TokenHash::from_phc(&phc).unwrap().matches(&hash));
        assert!(TokenHash::from_phc("$influxdb2-sha512$AAAA").is_none());
    }
}

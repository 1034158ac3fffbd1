//! Passwords: checked for length as InfluxDB does, stored as Argon2id PHC strings.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Argon2, PasswordHash, PasswordVerifier};

use crate::ServiceError;

pub(crate) const MIN_LENGTH: usize = 8;

pub(crate) fn validate(password: &str) -> Result<(), ServiceError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(ServiceError::Invalid(
            "passwords must be at least 8 characters long".into(),
        ));
    }
    Ok(())
}

pub(crate) fn hash(password: &str) -> Result<String, ServiceError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ServiceError::Internal(format!("no randomness for a salt: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hash: {e}")))
}

pub(crate) fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Spends the time of one verification, for a user that does not exist.
pub(crate) fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(stored) = DUMMY.get_or_init(|| hash("influx-authz dummy password").ok()) {
        let _ = verify(password, stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash("password123").unwrap();
        let b = hash("password123").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("password123", &a));
        assert!(!verify("password124", &a));
        assert!(validate("short").is_err());
        assert!(validate("12345678").is_ok());
    }
}

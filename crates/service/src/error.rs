use store::{Conflict, StoreError};
use thiserror::Error;

/// A failed use case, in InfluxDB's vocabulary. The message is what the client sees (but for `Internal`).
#[derive(Debug, Error)]
pub enum ServiceError {
    /// 400 `invalid`.
    #[error("{0}")]
    Invalid(String),
    /// 401 `unauthorized`: a missing permission or an inactive token.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `forbidden`.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not found`.
    #[error("{0}")]
    NotFound(String),
    /// 422 `conflict`.
    #[error("{0}")]
    Conflict(String),
    /// 422 `unprocessable entity`.
    #[error("{0}")]
    Unprocessable(String),
    /// 503 `unavailable`.
    #[error("{0}")]
    Unavailable(String),
    /// 500; the detail is logged, not shown.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(Conflict::TokenExists) => ServiceError::Conflict("token already exists".into()),
            StoreError::Conflict(Conflict::AlreadySetUp) => {
                ServiceError::Conflict("onboarding has already been completed".into())
            }
            // Another replica deleted the org or user between the service's check and the write.
            StoreError::Conflict(Conflict::MissingOrg) => ServiceError::NotFound("organization not found".into()),
            StoreError::Conflict(Conflict::MissingUser) => ServiceError::NotFound("user not found".into()),
            StoreError::Unavailable(reason) => {
                tracing::warn!(%reason, "storage unavailable");
                ServiceError::Unavailable(
                    "storage is unavailable (disk full, read-only, or the database unreachable); nothing was written"
                        .into(),
                )
            }
            other => ServiceError::Store(other),
        }
    }
}

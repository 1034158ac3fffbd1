use store::{Conflict, StoreError};

/// What went wrong inside the engine, with redb's own errors kept for the log; it becomes a
/// [`store::StoreError`] at the crate's edge.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the database is already open in another process")]
    AlreadyOpen,
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The disk is full, read-only or failing: writes cannot be made durable now. Nothing was written.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage: {0}")]
    Storage(redb::Error),
    #[error("record encoding: {0}")]
    Encoding(serde_json::Error),
    /// A failure shared by several writes (their common transaction could not commit), or a write interrupted.
    #[error("storage: {0}")]
    Failed(String),
}

impl Error {
    /// The same failure again, for each other write of a batch that failed together.
    pub(crate) fn replicate(&self) -> Error {
        match self {
            Error::AlreadyOpen => Error::AlreadyOpen,
            Error::Conflict(conflict) => Error::Conflict(*conflict),
            Error::Unavailable(reason) => Error::Unavailable(reason.clone()),
            other => Error::Failed(other.to_string()),
        }
    }
}

impl From<Error> for StoreError {
    fn from(error: Error) -> Self {
        match error {
            Error::AlreadyOpen => StoreError::AlreadyOpen,
            Error::Conflict(conflict) => StoreError::Conflict(conflict),
            Error::Unavailable(reason) => StoreError::Unavailable(reason),
            Error::Storage(error) => StoreError::Storage(error.to_string()),
            Error::Encoding(error) => StoreError::Encoding(error.to_string()),
            Error::Failed(reason) => StoreError::Failed(reason),
        }
    }
}

impl From<redb::Error> for Error {
    fn from(error: redb::Error) -> Self {
        match error {
            redb::Error::Io(_) | redb::Error::PreviousIo | redb::Error::DatabaseClosed | redb::Error::Backend(_) => {
                Error::Unavailable(error.to_string())
            }
            other => Error::Storage(other),
        }
    }
}

/// Lets `?` lift each of redb's error types straight into [`Error`].
macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Error {
            fn from(error: $ty) -> Self {
                Error::from(redb::Error::from(error))
            }
        }
    )*};
}

from_redb!(
    redb::TableError,
    redb::StorageError,
    redb::TransactionError,
    redb::CommitError,
    redb::DatabaseError
);

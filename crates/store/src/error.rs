use thiserror::Error;

/// A write that would break a uniqueness rule. Nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Conflict {
    #[error("token already exists")]
    TokenExists,
    #[error("id already taken")]
    IdTaken,
    #[error("user name already exists")]
    UserName,
    #[error("organization name already exists")]
    OrgName,
    #[error("bucket name already exists in this organization")]
    BucketName,
    #[error("organization does not exist")]
    MissingOrg,
    #[error("user does not exist")]
    MissingUser,
    #[error("setup has already been completed")]
    AlreadySetUp,
}

#[derive(Debug, Error)]
pub enum StoreError {
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

impl StoreError {
    /// The same failure again, for each other write of a batch that failed together.
    pub(crate) fn replicate(&self) -> StoreError {
        match self {
            StoreError::AlreadyOpen => StoreError::AlreadyOpen,
            StoreError::Conflict(conflict) => StoreError::Conflict(*conflict),
            StoreError::Unavailable(reason) => StoreError::Unavailable(reason.clone()),
            other => StoreError::Failed(other.to_string()),
        }
    }
}

impl From<redb::Error> for StoreError {
    fn from(error: redb::Error) -> Self {
        match error {
            redb::Error::Io(_) | redb::Error::PreviousIo | redb::Error::DatabaseClosed | redb::Error::Backend(_) => {
                StoreError::Unavailable(error.to_string())
            }
            other => StoreError::Storage(other),
        }
    }
}

/// Lets `?` lift each of redb's error types straight into [`StoreError`].
macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(error: $ty) -> Self {
                StoreError::from(redb::Error::from(error))
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

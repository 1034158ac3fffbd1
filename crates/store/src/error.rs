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
    #[error("storage: {0}")]
    Storage(#[from] redb::Error),
    #[error("record encoding: {0}")]
    Encoding(serde_json::Error),
}

/// Lets `?` lift each of redb's error types straight into [`StoreError`].
macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(error: $ty) -> Self {
                StoreError::Storage(redb::Error::from(error))
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

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

/// Why a storage call failed, whichever engine answered it.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The redb file is held by another process.
    #[error("the database is already open in another process")]
    AlreadyOpen,
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The store cannot take this call now (disk full or read-only, database unreachable, slow or read-only).
    /// Nothing was written. The API answers 503 `unavailable`.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The engine failed in a way a retry will not mend (a corrupt record, a bug).
    #[error("storage: {0}")]
    Storage(String),
    /// A record could not be encoded or decoded.
    #[error("record encoding: {0}")]
    Encoding(String),
    /// A failure shared by several writes (their common transaction could not commit), or a write interrupted.
    #[error("storage: {0}")]
    Failed(String),
}

//! The store's figures for `/metrics`, read at scrape time.

use store::{CommitSnapshot, RecordCounts, StoreError};

use crate::Service;

/// What the store reports about itself.
#[derive(Debug, Clone, Copy)]
pub struct StoreFigures {
    /// Records per kind; `None` when the store could not be read (the rest is still reported).
    pub records: Option<RecordCounts>,
    /// Size of the database file; `None` in memory.
    pub file_bytes: Option<u64>,
    /// Commits since start, and how long they took.
    pub commits: CommitSnapshot,
    /// Tokens whose last use is kept in memory and not yet written to the store.
    pub last_used_pending: usize,
}

impl Service {
    /// Reads the store's figures: record counts (one read transaction) and the file's size, on the blocking pool;
    /// commit figures and pending last uses from memory.
    pub async fn store_figures(&self) -> StoreFigures {
        let read = self
            .blocking(|store| Ok::<_, StoreError>((store.record_counts(), store.file_bytes())))
            .await;
        let (records, file_bytes) = match read {
            Ok((records, file_bytes)) => (records.inspect_err(|error| warn(error)).ok(), file_bytes),
            Err(error) => {
                warn(&error);
                (None, None)
            }
        };
        let last_used_pending = self.inner.last_used.lock().map_or(0, |pending| pending.len());
        StoreFigures {
            records,
            file_bytes,
            commits: self.inner.store.commit_stats(),
            last_used_pending,
        }
    }
}

impl Service {
    /// Whether the store answers now and takes writes (`/health`, `/ready`). The reason goes to the log only: the
    /// answers are unauthenticated, and a database's error may name its user or host.
    pub async fn check_store(&self) -> Result<(), String> {
        self.read_inline(|store| store.check_health()).map_err(|error| {
            tracing::warn!(%error, "the store failed its health check");
            "the store cannot be read or written now".to_owned()
        })
    }
}

fn warn(error: &dyn std::fmt::Display) {
    tracing::warn!(%error, "could not read the store's record counts for /metrics");
}

//! Bulk loading, for seeding a store offline (the benchmark's 1,000,000 authorizations): many records per write
//! transaction instead of one, with the same record and index writes as a single create.

use model::Authorization;

use crate::{Error, RedbStore, put_authorization};

impl RedbStore {
    /// Writes `authorizations` with `per_transaction` records to each write transaction (at least one), each
    /// committed durably. Uniqueness is checked as for a single create; on a conflict the current transaction is
    /// dropped and the error returned, so earlier batches stay. Returns how many records were written.
    pub fn bulk_load_authorizations(
        &self,
        authorizations: impl IntoIterator<Item = Authorization>,
        per_transaction: usize,
    ) -> Result<usize, Error> {
        let per_transaction = per_transaction.max(1);
        let mut records = authorizations.into_iter().peekable();
        let mut written = 0;
        while records.peek().is_some() {
            let batch = records.by_ref().take(per_transaction);
            written += self.write_alone(|txn| {
                let mut count = 0;
                for auth in batch {
                    put_authorization(txn, &auth)?;
                    count += 1;
                }
                Ok(count)
            })?;
        }
        Ok(written)
    }
}

//! Sign-in sessions, keyed by the SHA-256 of the session key: a cookie made by one replica works on every other.

use deadpool_postgres::{GenericClient, Transaction};
use model::{Session, TokenHash};
use store::StoreError;

use crate::{execute, json, record, row, rows};

pub(crate) async fn insert(txn: &Transaction<'_>, key: &TokenHash, session: &Session) -> Result<(), StoreError> {
    execute(
        txn,
        "INSERT INTO sessions (key_hash, record) VALUES ($1, $2)",
        &[&key.as_bytes().as_slice(), &json(session)?],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(client: &impl GenericClient, key: &TokenHash) -> Result<Option<Session>, StoreError> {
    let found = row(
        client,
        "SELECT record FROM sessions WHERE key_hash = $1",
        &[&key.as_bytes().as_slice()],
    )
    .await?;
    found.map(|r| record(&r, 0)).transpose()
}

pub(crate) async fn delete(txn: &Transaction<'_>, key: &TokenHash) -> Result<bool, StoreError> {
    Ok(execute(
        txn,
        "DELETE FROM sessions WHERE key_hash = $1",
        &[&key.as_bytes().as_slice()],
    )
    .await?
        > 0)
}

pub(crate) async fn all(client: &impl GenericClient) -> Result<Vec<(TokenHash, Session)>, StoreError> {
    let found = rows(client, "SELECT key_hash, record FROM sessions ORDER BY key_hash", &[]).await?;
    found
        .iter()
        .map(|r| {
            let key: Vec<u8> = r.try_get(0).map_err(|e| StoreError::Encoding(e.to_string()))?;
            let key = <[u8; 32]>::try_from(key.as_slice())
                .map_err(|_| StoreError::Encoding("a session key hash is not 32 bytes".into()))?;
            Ok((TokenHash::from_bytes(key), record(r, 1)?))
        })
        .collect()
}

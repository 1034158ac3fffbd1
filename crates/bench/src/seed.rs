//! Seeding a store file offline, before the server opens it: users and authorizations written straight through
//! `store` (authorizations with its bulk loader, many per transaction). Tokens are derived from their index, so
//! the driver can send any seeded token without keeping a list of a million of them.

use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use model::{Authorization, Id, Permission, Resource, ResourceType, Status, Token, User};
use sha2::{Digest, Sha256};
use store_redb::RedbStore as Store;

use crate::process::ORG;

/// The user with 10 tokens (indices 0..10) and the one with 1,000 (10..1010).
pub const USER_10: &str = "bench-u10";
pub const USER_1000: &str = "bench-u1000";
pub const SMALL_TOKENS: Range<u64> = 0..1010;
/// How many users share the bulk tokens of the large store.
pub const BULK_USERS: u64 = 100;

/// The name of bulk user `n` (0..[`BULK_USERS`]).
pub fn bulk_user(n: u64) -> String {
    format!("bench-bulk-{n:02}")
}
const PER_TRANSACTION: usize = 50_000;

/// Seeded token number `index`: 64 bytes (two SHA-256s of the index) in base64url, 88 characters like a real one.
pub fn token(index: u64) -> String {
    let mut bytes = Vec::with_capacity(64);
    bytes.extend_from_slice(&Sha256::digest(format!("influx-authz-bench/a/{index}")));
    bytes.extend_from_slice(&Sha256::digest(format!("influx-authz-bench/b/{index}")));
    URL_SAFE.encode(bytes)
}

/// A well-formed token that no store holds.
pub fn unknown_token() -> String {
    token(u64::MAX)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Time-ordered IDs in the past, below anything the server will hand out: `(millis << 22) + n`.
fn past_id(days_ago: u64, n: u64) -> Result<Id, String> {
    let millis = now_millis().saturating_sub(days_ago * 86_400_000);
    Id::new((millis << 22) + n + 1).ok_or_else(|| "zero id".to_owned())
}

fn err(e: impl std::fmt::Display) -> String {
    format!("seeding: {e}")
}

fn add_user(store: &Store, name: &str, n: u64) -> Result<Id, String> {
    let user = User {
        id: past_id(2, n)?,
        name: name.to_owned(),
        status: Status::Active,
        password_hash: None,
        instance_owner: false,
    };
    store.create_user(&user, None).map_err(err)?;
    Ok(user.id)
}

/// Authorizations `indices`, owned by `owner(index)`, each holding `read:users/<owner>` (enough for
/// `GET /api/v2/me`) and `read:orgs/<org>/authorizations`.
fn load(
    store: &Store,
    org: Id,
    indices: Range<u64>,
    owner: impl Fn(u64) -> Id,
    expires_at: Option<time::OffsetDateTime>,
) -> Result<usize, String> {
    let created = time::OffsetDateTime::now_utc();
    let mut failed = None;
    let records = indices.map_while(|index| {
        let id = match past_id(1, index) {
            Ok(id) => id,
            Err(e) => {
                failed = Some(e);
                return None;
            }
        };
        let user_id = owner(index);
        Some(Authorization {
            id,
            token: None,
            hashed_token: Token::new(token(index)).hash(),
            status: Status::Active,
            description: format!("bench token {index}"),
            org_id: org,
            user_id,
            permissions: vec![
                Permission::read(Resource::one(ResourceType::Users, user_id)),
                Permission::read(Resource::in_org(ResourceType::Authorizations, org)),
            ],
            created_at: created,
            updated_at: created,
            expires_at,
            last_used_at: None,
            v1: None,
        })
    });
    let written = store.bulk_load_authorizations(records, PER_TRANSACTION).map_err(err)?;
    failed.map_or(Ok(written), Err)
}

fn org_id(store: &Store) -> Result<Id, String> {
    Ok(store
        .org_by_name(ORG)
        .map_err(err)?
        .ok_or_else(|| err("the store is not set up (no bench org)"))?
        .id)
}

/// Adds [`USER_10`] and [`USER_1000`] with their tokens ([`SMALL_TOKENS`]) to a store that was set up. With
/// `expiring`, every token gets an `expiresAt` ten years ahead, so that each token check also checks an expiry.
pub fn seed_small(path: &Path, expiring: bool) -> Result<(), String> {
    let store = Store::open(path).map_err(err)?;
    let org = org_id(&store)?;
    let u10 = add_user(&store, USER_10, 0)?;
    let u1000 = add_user(&store, USER_1000, 1)?;
    let expires_at = expiring.then(|| time::OffsetDateTime::now_utc() + time::Duration::days(3650));
    load(
        &store,
        org,
        SMALL_TOKENS,
        |i| if i < 10 { u10 } else { u1000 },
        expires_at,
    )?;
    Ok(())
}

/// Adds `count` more tokens (indices right after [`SMALL_TOKENS`]), spread over 100 users. Returns the time taken.
pub fn seed_bulk(path: &Path, count: u64) -> Result<Duration, String> {
    let started = Instant::now();
    let store = Store::open(path).map_err(err)?;
    let org = org_id(&store)?;
    let users = (0..BULK_USERS)
        .map(|n| add_user(&store, &bulk_user(n), 2 + n))
        .collect::<Result<Vec<_>, _>>()?;
    let first = SMALL_TOKENS.end;
    load(
        &store,
        org,
        first..first + count,
        |i| users[(i % BULK_USERS) as usize],
        None,
    )?;
    Ok(started.elapsed())
}

/// All token indices of a store seeded with `bulk` extra tokens.
pub fn population(bulk: u64) -> Range<u64> {
    SMALL_TOKENS.start..SMALL_TOKENS.end + bulk
}

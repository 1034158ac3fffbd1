//! How records are laid out in redb: a compact binary form, read on every request.
//!
//! A record starts with a format byte. [`BINARY_V1`] is the form written now: fixed-width little-endian numbers,
//! length-prefixed strings, times as Unix seconds + nanoseconds (UTC), resource types by a fixed code. A record that starts with
//! `{` is JSON, the form this store wrote before; it is still read, and rewritten in the binary form the next time
//! the record changes. (The benchmark's profile showed JSON decoding to be most of an authenticated request's CPU:
//! the operator's authorization alone holds 44 permissions, each with hex IDs to parse.)
//!
//! Decoding never panics: a short or malformed record is an [`Error::Encoding`].

use model::{Action, Authorization, Bucket, BucketKind, Id, Org, Permission, Resource, ResourceType, Session, Status};
use model::{Token, TokenHash, User, V1Credentials};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::Error;

/// The format byte of the binary layout, version 1.
const BINARY_V1: u8 = 1;
/// Marks the v1 credentials at the end of an authorization record.
const V1_SECTION: u8 = 1;
/// The first byte of a JSON record.
const JSON: u8 = b'{';

/// A record the store keeps.
pub(crate) trait Record: Sized + Serialize + DeserializeOwned {
    fn write(&self, out: &mut Writer);
    fn read(input: &mut Reader<'_>) -> Result<Self, Error>;
}

pub(crate) fn encode<T: Record>(record: &T) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(256));
    out.0.push(BINARY_V1);
    record.write(&mut out);
    out.0
}

pub(crate) fn decode<T: Record>(bytes: &[u8]) -> Result<T, Error> {
    match bytes.first() {
        Some(&BINARY_V1) => {
            let mut input = Reader(&bytes[1..]);
            let record = T::read(&mut input)?;
            if !input.0.is_empty() {
                return Err(malformed("trailing bytes"));
            }
            Ok(record)
        }
        Some(&JSON) => serde_json::from_slice(bytes).map_err(Error::Encoding),
        _ => Err(malformed("unknown record format")),
    }
}

fn malformed(what: &str) -> Error {
    Error::Encoding(serde::de::Error::custom(format!("malformed record: {what}")))
}

pub(crate) struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn i64(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn bool(&mut self, value: bool) {
        self.u8(u8::from(value));
    }

    fn str(&mut self, value: &str) {
        // Strings here are names, descriptions and hashes: far below 4 GiB (the body limit is a few MiB).
        let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(&value.as_bytes()[..len as usize]);
    }

    fn id(&mut self, id: Id) {
        self.u64(id.get());
    }

    /// 0 stands for "none": IDs are never zero.
    fn opt_id(&mut self, id: Option<Id>) {
        self.u64(id.map_or(0, Id::get));
    }

    fn time(&mut self, at: OffsetDateTime) {
        let nanos = at.unix_timestamp_nanos();
        // Seconds and the nanosecond within them: i64 seconds cover every time `time` can hold.
        self.i64(nanos.div_euclid(1_000_000_000) as i64);
        self.u64(nanos.rem_euclid(1_000_000_000) as u64);
    }

    fn opt_time(&mut self, at: Option<OffsetDateTime>) {
        match at {
            None => self.bool(false),
            Some(at) => {
                self.bool(true);
                self.time(at);
            }
        }
    }

    fn opt_str(&mut self, value: Option<&str>) {
        match value {
            None => self.bool(false),
            Some(value) => {
                self.bool(true);
                self.str(value);
            }
        }
    }
}

pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.0.len() < n {
            return Err(malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, Error> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    fn bool(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed("bad flag")),
        }
    }

    fn str(&mut self) -> Result<&'a str, Error> {
        let len = u32::from_le_bytes(self.array()?) as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| malformed("bad text"))
    }

    fn string(&mut self) -> Result<String, Error> {
        self.str().map(str::to_owned)
    }

    fn id(&mut self) -> Result<Id, Error> {
        Id::new(self.u64()?).ok_or_else(|| malformed("zero id"))
    }

    fn opt_id(&mut self) -> Result<Option<Id>, Error> {
        Ok(Id::new(self.u64()?))
    }

    fn time(&mut self) -> Result<OffsetDateTime, Error> {
        let seconds = i128::from(self.i64()?);
        let nanos = i128::from(self.u64()?);
        if nanos >= 1_000_000_000 {
            return Err(malformed("bad time"));
        }
        OffsetDateTime::from_unix_timestamp_nanos(seconds * 1_000_000_000 + nanos).map_err(|_| malformed("bad time"))
    }

    fn opt_time(&mut self) -> Result<Option<OffsetDateTime>, Error> {
        if self.bool()? { self.time().map(Some) } else { Ok(None) }
    }

    fn opt_string(&mut self) -> Result<Option<String>, Error> {
        if self.bool()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }

    fn status(&mut self) -> Result<Status, Error> {
        match self.u8()? {
            0 => Ok(Status::Active),
            1 => Ok(Status::Inactive),
            _ => Err(malformed("bad status")),
        }
    }

    fn count(&mut self, each_at_least: usize) -> Result<usize, Error> {
        let count = u32::from_le_bytes(self.array()?) as usize;
        // A count can claim no more items than the bytes left could hold: no huge allocation from a bad record.
        if count.saturating_mul(each_at_least) > self.0.len() {
            return Err(malformed("bad count"));
        }
        Ok(count)
    }
}

/// The stored code of each resource type. These numbers are part of the file format: never change or reuse one;
/// a new type takes the next free number.
const KIND_CODES: [(ResourceType, u8); 23] = [
    (ResourceType::Authorizations, 0),
    (ResourceType::Buckets, 1),
    (ResourceType::Dashboards, 2),
    (ResourceType::Orgs, 3),
    (ResourceType::Sources, 4),
    (ResourceType::Tasks, 5),
    (ResourceType::Telegrafs, 6),
    (ResourceType::Users, 7),
    (ResourceType::Variables, 8),
    (ResourceType::Scrapers, 9),
    (ResourceType::Secrets, 10),
    (ResourceType::Labels, 11),
    (ResourceType::Views, 12),
    (ResourceType::Documents, 13),
    (ResourceType::NotificationRules, 14),
    (ResourceType::NotificationEndpoints, 15),
    (ResourceType::Checks, 16),
    (ResourceType::Dbrp, 17),
    (ResourceType::Notebooks, 18),
    (ResourceType::Annotations, 19),
    (ResourceType::Remotes, 20),
    (ResourceType::Replications, 21),
    (ResourceType::Instance, 22),
];

fn kind_code(kind: ResourceType) -> u8 {
    KIND_CODES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(u8::MAX, |(_, code)| *code)
}

fn kind_of(code: u8) -> Option<ResourceType> {
    KIND_CODES.iter().find(|(_, c)| *c == code).map(|(kind, _)| *kind)
}

fn status_byte(status: Status) -> u8 {
    match status {
        Status::Active => 0,
        Status::Inactive => 1,
    }
}

impl Record for Authorization {
    fn write(&self, out: &mut Writer) {
        out.id(self.id);
        out.opt_str(self.token.as_ref().map(Token::expose));
        out.0.extend_from_slice(self.hashed_token.as_bytes());
        out.u8(status_byte(self.status));
        out.str(&self.description);
        out.id(self.org_id);
        out.id(self.user_id);
        out.0.extend_from_slice(&(self.permissions.len() as u32).to_le_bytes());
        for permission in &self.permissions {
            out.u8(match permission.action {
                Action::Read => 0,
                Action::Write => 1,
            });
            out.u8(kind_code(permission.resource.kind));
            out.opt_id(permission.resource.id);
            out.opt_id(permission.resource.org_id);
        }
        out.time(self.created_at);
        out.time(self.updated_at);
        out.opt_time(self.expires_at);
        // `last_used_at` lives in a table of its own.
        // A v1 authorization's credentials come last, only when present: a v2 record is laid out as before they
        // existed, and one written before reads as a v2 record.
        if let Some(v1) = &self.v1 {
            out.u8(V1_SECTION);
            out.str(&v1.username);
            out.opt_str(v1.password_hash.as_deref());
        }
    }

    fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        let id = input.id()?;
        let token = input.opt_string()?.map(Token::new);
        let hashed_token = TokenHash::from_bytes(input.array()?);
        let status = input.status()?;
        let description = input.string()?;
        let org_id = input.id()?;
        let user_id = input.id()?;
        // Each permission takes 1 + 1 + 8 + 8 bytes.
        let count = input.count(18)?;
        let mut permissions = Vec::with_capacity(count);
        for _ in 0..count {
            let action = match input.u8()? {
                0 => Action::Read,
                1 => Action::Write,
                _ => return Err(malformed("bad action")),
            };
            let kind = kind_of(input.u8()?).ok_or_else(|| malformed("unknown resource type"))?;
            let id = input.opt_id()?;
            let org_id = input.opt_id()?;
            permissions.push(Permission::new(action, Resource { kind, id, org_id }));
        }
        Ok(Authorization {
            id,
            token,
            hashed_token,
            status,
            description,
            org_id,
            user_id,
            permissions,
            created_at: input.time()?,
            updated_at: input.time()?,
            expires_at: input.opt_time()?,
            last_used_at: None,
            v1: match input.0.first() {
                None => None,
                Some(&V1_SECTION) => {
                    input.u8()?;
                    Some(Box::new(V1Credentials {
                        username: input.string()?,
                        password_hash: input.opt_string()?,
                    }))
                }
                Some(_) => return Err(malformed("unknown trailing section")),
            },
        })
    }
}

impl Record for User {
    fn write(&self, out: &mut Writer) {
        out.id(self.id);
        out.str(&self.name);
        out.u8(status_byte(self.status));
        out.opt_str(self.password_hash.as_deref());
        out.bool(self.instance_owner);
    }

    fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(User {
            id: input.id()?,
            name: input.string()?,
            status: input.status()?,
            password_hash: input.opt_string()?,
            instance_owner: input.bool()?,
        })
    }
}

impl Record for Org {
    fn write(&self, out: &mut Writer) {
        out.id(self.id);
        out.str(&self.name);
        out.str(&self.description);
        out.time(self.created_at);
        out.time(self.updated_at);
    }

    fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Org {
            id: input.id()?,
            name: input.string()?,
            description: input.string()?,
            created_at: input.time()?,
            updated_at: input.time()?,
        })
    }
}

impl Record for Bucket {
    fn write(&self, out: &mut Writer) {
        out.id(self.id);
        out.id(self.org_id);
        out.u8(match self.kind {
            BucketKind::User => 0,
            BucketKind::System => 1,
        });
        out.str(&self.name);
        out.str(&self.description);
        out.i64(self.retention_seconds);
        out.i64(self.shard_group_seconds);
        out.time(self.created_at);
        out.time(self.updated_at);
    }

    fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Bucket {
            id: input.id()?,
            org_id: input.id()?,
            kind: match input.u8()? {
                0 => BucketKind::User,
                1 => BucketKind::System,
                _ => return Err(malformed("bad bucket kind")),
            },
            name: input.string()?,
            description: input.string()?,
            retention_seconds: input.i64()?,
            shard_group_seconds: input.i64()?,
            created_at: input.time()?,
            updated_at: input.time()?,
        })
    }
}

impl Record for Session {
    fn write(&self, out: &mut Writer) {
        out.id(self.user_id);
        out.time(self.created_at);
        out.time(self.expires_at);
    }

    fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Session {
            user_id: input.id()?,
            created_at: input.time()?,
            expires_at: input.time()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn time_strategy() -> impl Strategy<Value = OffsetDateTime> {
        // From 1970 to 2200, to the nanosecond.
        (0i128..7_258_118_400_000_000_000).prop_map(|n| OffsetDateTime::from_unix_timestamp_nanos(n).unwrap())
    }

    fn id_strategy() -> impl Strategy<Value = Id> {
        (1u64..).prop_map(|n| Id::new(n).unwrap())
    }

    fn permission_strategy() -> impl Strategy<Value = Permission> {
        (
            any::<bool>(),
            0..ResourceType::ALL.len(),
            proptest::option::of(id_strategy()),
            proptest::option::of(id_strategy()),
        )
            .prop_map(|(write, kind, id, org_id)| {
                let action = if write { Action::Write } else { Action::Read };
                Permission::new(
                    action,
                    Resource {
                        kind: ResourceType::ALL[kind],
                        id,
                        org_id,
                    },
                )
            })
    }

    prop_compose! {
        fn authorization()(
            id in id_strategy(), org in id_strategy(), user in id_strategy(),
            token in proptest::option::of("[A-Za-z0-9_=-]{1,100}"),
            hash in any::<[u8; 32]>(), inactive in any::<bool>(), description in ".{0,40}",
            permissions in proptest::collection::vec(permission_strategy(), 0..50),
            created in time_strategy(), updated in time_strategy(),
            expires in proptest::option::of(time_strategy()),
            v1 in proptest::option::of((".{0,20}", proptest::option::of("[$a-z0-9=,]{0,90}"))),
        ) -> Authorization {
            Authorization {
                id, token: token.map(Token::new), hashed_token: TokenHash::from_bytes(hash),
                status: if inactive { Status::Inactive } else { Status::Active },
                description, org_id: org, user_id: user, permissions,
                created_at: created, updated_at: updated, expires_at: expires, last_used_at: None,
                v1: v1.map(|(username, password_hash)| Box::new(V1Credentials { username, password_hash })),
            }
        }
    }

    proptest! {
        #[test]
        fn authorizations_round_trip(auth in authorization()) {
            let bytes = encode(&auth);
            prop_assert_eq!(decode::<Authorization>(&bytes).unwrap(), auth);
        }

        /// Any cut or any flipped byte gives an error or some record, never a panic or a huge allocation.
        #[test]
        fn damaged_records_never_panic(auth in authorization(), cut in any::<prop::sample::Index>(),
                                       flip in any::<prop::sample::Index>(), bits in 1u8..) {
            let bytes = encode(&auth);
            let cut = cut.index(bytes.len());
            if let Ok(read) = decode::<Authorization>(&bytes[..cut]) {
                // The v1 section is optional (records written before it have none): cut right before it, the
                // record reads as itself without v1 credentials. Any other cut is an error.
                prop_assert!(auth.v1.is_some());
                prop_assert_eq!(read, Authorization { v1: None, ..auth.clone() });
            }
            let mut flipped = bytes.clone();
            let at = flip.index(flipped.len());
            flipped[at] ^= bits;
            let _ = decode::<Authorization>(&flipped);
        }

        #[test]
        fn tenants_and_sessions_round_trip(id in id_strategy(), org in id_strategy(), name in ".{0,30}",
                                           description in ".{0,30}", hash in proptest::option::of(".{0,90}"),
                                           owner in any::<bool>(), retention in any::<i64>(), shard in any::<i64>(),
                                           at in time_strategy(), later in time_strategy()) {
            let user = User { id, name: name.clone(), status: Status::Inactive, password_hash: hash,
                              instance_owner: owner };
            prop_assert_eq!(decode::<User>(&encode(&user)).unwrap(), user);
            let org_record = Org { id: org, name: name.clone(), description: description.clone(),
                                   created_at: at, updated_at: later };
            prop_assert_eq!(decode::<Org>(&encode(&org_record)).unwrap(), org_record);
            let bucket = Bucket { id, org_id: org, kind: BucketKind::System, name, description,
                                  retention_seconds: retention, shard_group_seconds: shard,
                                  created_at: at, updated_at: later };
            prop_assert_eq!(decode::<Bucket>(&encode(&bucket)).unwrap(), bucket);
            let session = Session { user_id: id, created_at: at, expires_at: later };
            prop_assert_eq!(decode::<Session>(&encode(&session)).unwrap(), session);
        }

        /// Records written as JSON by earlier versions still read the same.
        #[test]
        fn json_records_still_read(auth in authorization()) {
            // JSON keeps times to the nanosecond as RFC 3339 and leaves `last_used_at` out, like the binary form.
            let json = serde_json::to_vec(&auth).unwrap();
            prop_assert_eq!(decode::<Authorization>(&json).unwrap(), auth);
        }
    }

    #[test]
    fn every_resource_type_has_its_own_code() {
        let mut codes: Vec<u8> = ResourceType::ALL.iter().map(|k| kind_code(*k)).collect();
        assert!(!codes.contains(&u8::MAX), "a type without a code");
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ResourceType::ALL.len());
        for kind in ResourceType::ALL {
            assert_eq!(kind_of(kind_code(*kind)), Some(*kind));
        }
    }

    #[test]
    fn unknown_formats_are_errors() {
        assert!(decode::<User>(&[]).is_err());
        assert!(decode::<User>(&[7, 1, 2]).is_err());
        assert!(decode::<User>(b"[1]").is_err());
    }
}

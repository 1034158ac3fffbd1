//! Authorizations written straight into InfluxDB's tab-indented JSON: the answers every list is made of.
//!
//! The profile of a list showed most of its time in serde_json escaping each key and value of each record
//! (~90 per record). Here the keys, the punctuation and the indentation of each line are constant byte strings,
//! IDs are written as their 16 hex digits, and only the strings a client chose (descriptions, names, tokens) are
//! escaped, a whole unescaped run at a time. The output is byte for byte what [`crate::extract::to_tabbed_json`]
//! writes through serde (the tests below compare the two on generated records).

use model::Id;
use model::wire::{AuthorizationView, AuthorizationsView, Links, PermissionView};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A newline and tabs: enough for every depth an authorization reaches in a list (5).
const LINE_BREAK: &[u8] = b"\n\t\t\t\t\t\t\t\t";

/// `GET /api/v2/authorizations` and the v1 list: `{"links": …, "authorizations": […]}`, then a newline.
pub(crate) fn authorizations(view: &AuthorizationsView) -> Vec<u8> {
    // ~1 KiB per authorization, tab-indented.
    let mut out = Out(Vec::with_capacity(256 + view.authorizations.len() * 1200));
    out.raw(b"{");
    out.key(1, true, "links");
    out.links(1, &view.links);
    out.key(1, false, "authorizations");
    if view.authorizations.is_empty() {
        out.raw(b"[]");
    } else {
        out.raw(b"[");
        for (n, authorization) in view.authorizations.iter().enumerate() {
            if n > 0 {
                out.raw(b",");
            }
            out.line(2);
            out.authorization(2, authorization);
        }
        out.line(1);
        out.raw(b"]");
    }
    out.line(0);
    out.raw(b"}\n");
    out.0
}

/// One authorization (`GET|POST|PATCH …/{id}`), then a newline.
pub(crate) fn authorization(view: &AuthorizationView) -> Vec<u8> {
    let mut out = Out(Vec::with_capacity(1200));
    out.authorization(0, view);
    out.raw(b"\n");
    out.0
}

struct Out(Vec<u8>);

/// Whether `bytes` holds a byte JSON escapes: a control character, `"` or `\`. Eight bytes at a time, with the
/// bit tricks of "Bit Twiddling Hacks" (a byte below `n`, a zero byte): a byte-by-byte test took ~8 instructions
/// a byte, most of the cost of writing a list.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // Some byte of `word` is below `n` (n <= 128).
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH != 0;
    let zero = |word: u64| below(word, 1);
    let quote = ONES * u64::from(b'"');
    let backslash = ONES * u64::from(b'\\');
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_ne_bytes(word);
        if below(word, 0x20) || zero(word ^ quote) || zero(word ^ backslash) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

impl Out {
    #[inline(always)]
    fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// A line break indented to `depth`.
    #[inline(always)]
    fn line(&mut self, depth: usize) {
        let direct = depth.min(LINE_BREAK.len() - 1);
        self.0.extend_from_slice(&LINE_BREAK[..=direct]);
        for _ in direct..depth {
            self.0.push(b'\t');
        }
    }

    /// `,`␤ (unless first), the indent of `depth`, `"key": `. Keys are ours: no escaping.
    #[inline(always)]
    fn key(&mut self, depth: usize, first: bool, key: &str) {
        if !first {
            self.0.push(b',');
        }
        self.line(depth);
        self.0.push(b'"');
        self.0.extend_from_slice(key.as_bytes());
        self.0.extend_from_slice(b"\": ");
    }

    #[inline(always)]
    fn id(&mut self, id: Id) {
        self.0.push(b'"');
        self.0.extend_from_slice(&id.hex());
        self.0.push(b'"');
    }

    fn time(&mut self, at: OffsetDateTime) {
        self.0.push(b'"');
        // RFC 3339 has nothing to escape. Our times are UTC with four-digit years: written here, digit by digit
        // (`time`'s formatter took ~300 instructions a time, two or more per record). Any other is left to
        // `time`, and one it cannot write (a year past 9999) is written as serde would fail it: never for times
        // we make.
        if at.offset().is_utc() && (0..10_000).contains(&at.year()) {
            self.utc(at);
        } else {
            let _ = at.format_into(&mut self.0, &Rfc3339);
        }
        self.0.push(b'"');
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the fraction without trailing zeros, as `time` writes RFC 3339.
    fn utc(&mut self, at: OffsetDateTime) {
        fn digits(out: &mut [u8], mut value: u32) {
            for digit in out.iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        let (hour, minute, second, nanos) = at.to_hms_nano();
        let mut text = *b"0000-00-00T00:00:00";
        digits(&mut text[0..4], at.year().unsigned_abs());
        digits(&mut text[5..7], u32::from(u8::from(at.month())));
        digits(&mut text[8..10], u32::from(at.day()));
        digits(&mut text[11..13], u32::from(hour));
        digits(&mut text[14..16], u32::from(minute));
        digits(&mut text[17..19], u32::from(second));
        self.0.extend_from_slice(&text);
        if nanos != 0 {
            let mut fraction = *b".000000000";
            digits(&mut fraction[1..], nanos);
            let end = fraction.iter().rposition(|&b| b != b'0').map_or(1, |last| last + 1);
            self.0.extend_from_slice(&fraction[..end]);
        }
        self.0.push(b'Z');
    }

    /// A JSON string, escaped exactly as serde_json escapes (`"`, `\`, control characters; nothing else).
    #[inline(always)]
    fn string(&mut self, text: &str) {
        let bytes = text.as_bytes();
        // Nearly every string has nothing to escape: copied whole.
        if needs_escape(bytes) {
            self.escaped(bytes);
        } else {
            self.0.push(b'"');
            self.0.extend_from_slice(bytes);
            self.0.push(b'"');
        }
    }

    /// [`Self::string`] of a string with something to escape.
    #[inline(never)]
    fn escaped(&mut self, bytes: &[u8]) {
        self.0.push(b'"');
        let mut start = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            let escape: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0x00..=0x1f => {
                    self.0.extend_from_slice(&bytes[start..i]);
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.0.extend_from_slice(b"\\u00");
                    self.0.push(HEX[usize::from(byte >> 4)]);
                    self.0.push(HEX[usize::from(byte & 0xf)]);
                    start = i + 1;
                    continue;
                }
                _ => continue,
            };
            self.0.extend_from_slice(&bytes[start..i]);
            self.0.extend_from_slice(escape);
            start = i + 1;
        }
        self.0.extend_from_slice(&bytes[start..]);
        self.0.push(b'"');
    }

    #[inline(always)]
    fn links(&mut self, depth: usize, links: &Links) {
        if links.is_empty() {
            self.raw(b"{}");
            return;
        }
        self.raw(b"{");
        for (n, (key, value)) in links.iter().enumerate() {
            if n > 0 {
                self.0.push(b',');
            }
            self.line(depth + 1);
            self.string(key);
            self.raw(b": ");
            self.string(value);
        }
        self.line(depth);
        self.raw(b"}");
    }

    #[inline(always)]
    fn permission(&mut self, depth: usize, permission: &PermissionView) {
        self.raw(b"{");
        self.key(depth + 1, true, "action");
        self.string(permission.action.as_str());
        self.key(depth + 1, false, "resource");
        let resource = &permission.resource;
        self.raw(b"{");
        self.key(depth + 2, true, "type");
        self.string(resource.kind.as_str());
        if let Some(id) = resource.id {
            self.key(depth + 2, false, "id");
            self.id(id);
        }
        if let Some(org_id) = resource.org_id {
            self.key(depth + 2, false, "orgID");
            self.id(org_id);
        }
        if let Some(name) = &resource.name {
            self.key(depth + 2, false, "name");
            self.string(name);
        }
        if let Some(org) = &resource.org {
            self.key(depth + 2, false, "org");
            self.string(org);
        }
        self.line(depth + 1);
        self.raw(b"}");
        self.line(depth);
        self.raw(b"}");
    }

    /// The object, its opening brace at the current position and its fields one deeper than `depth`.
    #[inline(always)]
    fn authorization(&mut self, depth: usize, view: &AuthorizationView) {
        let inner = depth + 1;
        self.raw(b"{");
        self.key(inner, true, "id");
        self.id(view.id);
        self.key(inner, false, "token");
        self.string(&view.token);
        self.key(inner, false, "status");
        self.string(&view.status);
        self.key(inner, false, "description");
        self.string(&view.description);
        self.key(inner, false, "orgID");
        self.id(view.org_id);
        self.key(inner, false, "org");
        self.string(&view.org);
        self.key(inner, false, "userID");
        self.id(view.user_id);
        self.key(inner, false, "user");
        self.string(&view.user);
        self.key(inner, false, "permissions");
        if view.permissions.is_empty() {
            self.raw(b"[]");
        } else {
            self.raw(b"[");
            for (n, permission) in view.permissions.iter().enumerate() {
                if n > 0 {
                    self.0.push(b',');
                }
                self.line(inner + 1);
                self.permission(inner + 1, permission);
            }
            self.line(inner);
            self.raw(b"]");
        }
        self.key(inner, false, "links");
        self.raw(b"{");
        self.key(inner + 1, true, "self");
        self.string(&view.links.this);
        self.key(inner + 1, false, "user");
        self.string(&view.links.user);
        self.line(inner);
        self.raw(b"}");
        self.key(inner, false, "createdAt");
        self.time(view.created_at);
        self.key(inner, false, "updatedAt");
        self.time(view.updated_at);
        if let Some(at) = view.expires_at {
            self.key(inner, false, "expiresAt");
            self.time(at);
        }
        if let Some(at) = view.last_used_at {
            self.key(inner, false, "lastUsedAt");
            self.time(at);
        }
        self.line(depth);
        self.raw(b"}");
    }
}

#[cfg(test)]
mod tests {
    use model::wire::{AuthorizationLinks, ResourceView};
    use model::{Action, ResourceType};
    use proptest::prelude::*;

    use super::*;
    use crate::extract::to_tabbed_json;

    fn id() -> impl Strategy<Value = Id> {
        (1u64..).prop_map(|n| Id::new(n).unwrap_or_else(|| unreachable!()))
    }

    fn time() -> impl Strategy<Value = OffsetDateTime> {
        // Years 1970 to 9999, to the nanosecond.
        (0i64..253_402_300_799, 0u32..1_000_000_000).prop_map(|(seconds, nanos)| {
            OffsetDateTime::from_unix_timestamp(seconds).unwrap() + time::Duration::nanoseconds(i64::from(nanos))
        })
    }

    prop_compose! {
        fn permission()(read in any::<bool>(), kind in 0..ResourceType::ALL.len(),
                        id in proptest::option::of(id()), org_id in proptest::option::of(id()),
                        name in proptest::option::of(any::<String>()), org in proptest::option::of(".{0,10}"))
                        -> PermissionView {
            PermissionView {
                action: if read { Action::Read } else { Action::Write },
                resource: ResourceView { kind: ResourceType::ALL[kind], id, org_id, name: name.map(Into::into), org: org.map(Into::into) },
            }
        }
    }

    prop_compose! {
        fn view()(id in id(), token in any::<String>(), status in "(active|inactive)",
                  description in any::<String>(), org_id in id(), org in "[\\x00-\\x7f]{0,12}",
                  user_id in id(), user in ".{0,12}",
                  permissions in proptest::collection::vec(permission(), 0..4),
                  link_self in ".{0,20}", link_user in ".{0,20}",
                  created_at in time(), updated_at in time(),
                  expires_at in proptest::option::of(time()), last_used_at in proptest::option::of(time()))
                  -> AuthorizationView {
            AuthorizationView {
                id, token, status: status.into(), description, org_id, org: org.into(), user_id, user: user.into(), permissions,
                links: AuthorizationLinks { this: link_self, user: link_user }, created_at, updated_at, expires_at, last_used_at,
            }
        }
    }

    proptest! {
        #[test]
        fn one_authorization_is_what_serde_writes(view in view()) {
            prop_assert_eq!(
                String::from_utf8(authorization(&view)).unwrap(),
                String::from_utf8(to_tabbed_json(&view)).unwrap()
            );
        }

        #[test]
        fn a_list_is_what_serde_writes(views in proptest::collection::vec(view(), 0..4),
                                       links in proptest::collection::btree_map(".{0,6}", ".{0,20}", 0..3)) {
            let links = links.into_iter().map(|(k, v)| (k.into(), v)).collect();
            let list = AuthorizationsView { links, authorizations: views };
            prop_assert_eq!(
                String::from_utf8(authorizations(&list)).unwrap(),
                String::from_utf8(to_tabbed_json(&list)).unwrap()
            );
        }
    }

    #[test]
    fn every_control_character_is_escaped_as_serde_escapes_it() {
        let text: String = (0u8..0x80).map(char::from).collect();
        let mut out = Out(Vec::new());
        out.string(&text);
        assert_eq!(out.0, serde_json::to_vec(&text).unwrap());
    }

    #[test]
    fn the_word_at_a_time_test_finds_every_byte_to_escape_wherever_it_is() {
        let escaped = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        for len in 1..20 {
            for at in 0..len {
                for byte in 0..=u8::MAX {
                    // Neighbours just above and below the bounds the tricks test against.
                    for fill in [b'a', 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff] {
                        let mut bytes = vec![fill; len];
                        bytes[at] = byte;
                        assert_eq!(needs_escape(&bytes), escaped(byte), "{bytes:?}");
                    }
                }
            }
        }
        assert!(!needs_escape(b""));
    }

    #[test]
    fn utc_times_are_written_as_time_writes_them() {
        let days = [
            time::macros::datetime!(1970-01-01 00:00:00 UTC),
            time::macros::datetime!(2024-02-29 23:59:59 UTC),
            time::macros::datetime!(0999-07-04 01:02:03 UTC),
            time::macros::datetime!(9999-12-31 23:59:59 UTC),
        ];
        let fractions = [0, 1, 10, 500, 120_000_000, 100_000_000, 123_456_789, 999_999_999, 5_000];
        for day in days {
            for nanos in fractions {
                let at = day + time::Duration::nanoseconds(nanos);
                let mut out = Out(Vec::new());
                out.time(at);
                assert_eq!(
                    out.0,
                    serde_json::to_vec(&at.format(&Rfc3339).unwrap()).unwrap(),
                    "{at}"
                );
            }
        }
        // Not UTC: `time` writes it, with its offset.
        let mut out = Out(Vec::new());
        out.time(time::macros::datetime!(2024-01-01 00:00:00 +02:00));
        assert_eq!(out.0, b"\"2024-01-01T00:00:00+02:00\"");
    }
}

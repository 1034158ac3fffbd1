//! What the commands print: influx's tab-aligned tables (plus a `Status` column for tokens) and influx's `--json`
//! form, with the token extensions of influx-authz: `expired` in the Status column, `expiresAt`/`lastUsedAt` in
//! the JSON when the server sends them, and the `Expires`/`Last Used` columns of `auth list --wide`.

use std::io::Write;

use std::collections::BTreeMap;

use model::wire::{AuthorizationView, PermissionView};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Error, expiry, tabwriter};

/// A token as influx prints it (`--json` field names and order), then our extensions' fields when present.
///
/// `status` is the server's (`active` or `inactive`, InfluxDB's enum) in the JSON; the table shows `expired`
/// instead for a token whose `expiresAt` has passed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRow {
    pub id: String,
    pub description: String,
    pub token: String,
    pub status: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    #[serde(rename = "userID")]
    pub user_id: String,
    pub permissions: Vec<String>,
    /// Extension: when the token stops working (RFC 3339, UTC).
    #[serde(rename = "expiresAt", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Extension: when the token last authenticated a request (RFC 3339, UTC).
    #[serde(rename = "lastUsedAt", skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// `expiresAt` has passed (compared with this machine's clock when the row was made).
    #[serde(skip)]
    pub expired: bool,
}

impl TokenRow {
    /// The row of `auth` as of `now`.
    pub fn new(auth: &AuthorizationView, now: OffsetDateTime) -> Self {
        Self {
            id: auth.id.to_string(),
            description: auth.description.clone(),
            token: auth.token.clone(),
            status: auth.status.to_string(),
            user_name: auth.user.to_string(),
            user_id: auth.user_id.to_string(),
            permissions: auth.permissions.iter().map(permission_string).collect(),
            expires_at: auth.expires_at.and_then(expiry::format),
            last_used_at: auth.last_used_at.and_then(expiry::format),
            expired: auth.expires_at.is_some_and(|at| at <= now),
        }
    }

    /// The Status column: the server's status, or `expired`.
    pub fn shown_status(&self) -> &str {
        if self.expired { "expired" } else { &self.status }
    }
}

impl From<&AuthorizationView> for TokenRow {
    fn from(auth: &AuthorizationView) -> Self {
        Self::new(auth, OffsetDateTime::now_utc())
    }
}

/// The influx CLI's form of a permission: `action:` + `orgs/<orgID>` (if any) + `/<type>` + `/<id>` (if any), so a
/// global one reads `read:/authorizations` (the server's own form would be `read:authorizations`).
pub fn permission_string(permission: &PermissionView) -> String {
    let resource = &permission.resource;
    let mut text = format!("{}:", permission.action.as_str());
    if let Some(org) = resource.org_id {
        text.push_str(&format!("orgs/{org}"));
    }
    text.push('/');
    text.push_str(resource.kind.as_str());
    if let Some(id) = resource.id {
        text.push_str(&format!("/{id}"));
    }
    text
}

/// Go's `%v` of a `[]string`: `[a b c]`.
fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// Table headers and the tab-separated rows, aligned.
pub fn table(headers: &[&str], rows: &[Vec<String>], hide_headers: bool) -> String {
    let mut text = String::new();
    if !hide_headers {
        text.push_str(&headers.join("\t"));
        text.push('\n');
    }
    for row in rows {
        text.push_str(&row.join("\t"));
        text.push('\n');
    }
    tabwriter::align(&text)
}

/// Which token table to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenTable {
    /// `Deleted` last (always `true`), for `delete`.
    pub deleted: bool,
    /// `Expires` and `Last Used` after `Status` (`auth list --wide`, an extension).
    pub wide: bool,
    pub hide_headers: bool,
}

/// The token table: influx's columns with `Status` before `Permissions`, and `Deleted` last for `delete`.
pub fn token_table(tokens: &[TokenRow], deleted: bool, hide_headers: bool) -> String {
    token_table_with(
        tokens,
        TokenTable {
            deleted,
            wide: false,
            hide_headers,
        },
    )
}

/// [`token_table`], optionally with the `Expires` and `Last Used` columns.
pub fn token_table_with(tokens: &[TokenRow], shape: TokenTable) -> String {
    let TokenTable {
        deleted,
        wide,
        hide_headers,
    } = shape;
    let mut headers = vec!["ID", "Description", "Token", "User Name", "User ID", "Status"];
    if wide {
        headers.extend(["Expires", "Last Used"]);
    }
    headers.push("Permissions");
    if deleted {
        headers.push("Deleted");
    }
    let never = || "never".to_owned();
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            let mut row = vec![
                t.id.clone(),
                t.description.clone(),
                t.token.clone(),
                t.user_name.clone(),
                t.user_id.clone(),
                t.shown_status().to_owned(),
            ];
            if wide {
                row.push(t.expires_at.clone().unwrap_or_else(never));
                row.push(t.last_used_at.clone().unwrap_or_else(never));
            }
            row.push(go_list(&t.permissions));
            if deleted {
                row.push("true".to_owned());
            }
            row
        })
        .collect();
    table(&headers, &rows, hide_headers)
}

/// A user as the server sends it and influx prints it with `--json`: influx's generated API types write their keys
/// through a Go map, so in sorted order, which is this field order. Fields the server omits stay omitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<BTreeMap<String, String>>,
    pub name: String,
    #[serde(rename = "oauthID", default, skip_serializing_if = "Option::is_none")]
    pub oauth_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// An org, the same way (sorted keys; the times are passed through as the server wrote them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgRow {
    #[serde(rename = "createdAt", default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(rename = "defaultStorageType", default, skip_serializing_if = "Option::is_none")]
    pub default_storage_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<BTreeMap<String, String>>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "updatedAt", default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// `ID Name`, plus `Deleted` (always `true`) for delete: influx's table for users and for orgs alike.
pub fn id_name_table<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str)>,
    deleted: bool,
    hide_headers: bool,
) -> String {
    let mut headers = vec!["ID", "Name"];
    if deleted {
        headers.push("Deleted");
    }
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(id, name)| {
            let mut row = vec![id.to_owned(), name.to_owned()];
            if deleted {
                row.push("true".to_owned());
            }
            row
        })
        .collect();
    table(&headers, &rows, hide_headers)
}

/// `org members list`'s table: `ID Name User Type Status`, the type always `member`.
pub fn members_table(users: &[UserRow], hide_headers: bool) -> String {
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.id.clone(),
                u.name.clone(),
                "member".to_owned(),
                u.status.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["ID", "Name", "User Type", "Status"], &rows, hide_headers)
}

/// JSON as Go's `json.Encoder` with `SetIndent("", "\t")` writes it: tab indentation, `<`, `>`, `&`, U+2028 and
/// U+2029 escaped, and a final newline.
pub fn go_json<T: Serialize>(value: &T) -> Result<String, Error> {
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    value
        .serialize(&mut serializer)
        .map_err(|e| Error::new(format!("cannot encode JSON: {e}")))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('\n');
    Ok(out)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::new(format!("cannot write to stdout: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use model::wire::ResourceView;
    use model::{Action, Id, ResourceType};

    use super::*;

    fn id(text: &str) -> Id {
        text.parse().unwrap()
    }

    fn permission(action: Action, kind: ResourceType, org: Option<&str>, one: Option<&str>) -> PermissionView {
        PermissionView {
            action,
            resource: ResourceView {
                kind,
                id: one.map(id),
                org_id: org.map(id),
                name: Some("decoration, never printed".into()),
                org: Some("my-org".into()),
            },
        }
    }

    #[test]
    fn permissions_are_written_in_the_influx_clis_form() {
        let org = "b6b3217f5a5e0559";
        let bucket = "0a6f3ee0b4ab6e23";
        let cases = [
            (
                permission(Action::Read, ResourceType::Buckets, Some(org), Some(bucket)),
                "read:orgs/b6b3217f5a5e0559/buckets/0a6f3ee0b4ab6e23",
            ),
            (
                permission(Action::Write, ResourceType::Dashboards, Some(org), None),
                "write:orgs/b6b3217f5a5e0559/dashboards",
            ),
            (
                permission(Action::Write, ResourceType::Users, None, Some(bucket)),
                "write:/users/0a6f3ee0b4ab6e23",
            ),
            (
                permission(Action::Read, ResourceType::Authorizations, None, None),
                "read:/authorizations",
            ),
            (
                permission(Action::Read, ResourceType::NotificationRules, None, None),
                "read:/notificationRules",
            ),
        ];
        for (permission, expected) in cases {
            assert_eq!(permission_string(&permission), expected);
        }
    }

    fn row(id: &str, description: &str, permissions: &[&str]) -> TokenRow {
        TokenRow {
            id: id.into(),
            description: description.into(),
            token: String::new(),
            status: "active".into(),
            user_name: "admin".into(),
            user_id: "0a0b0c0d0e0f0a0b".into(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            expires_at: None,
            last_used_at: None,
            expired: false,
        }
    }

    #[test]
    fn the_token_table_is_aligned_like_influxs() {
        let rows = [
            row(
                "0a1b2c3d4e5f6a7b",
                "admin's Token",
                &["read:/authorizations", "write:/authorizations"],
            ),
            row("1a1b2c3d4e5f6a7b", "", &["read:orgs/b6b3217f5a5e0559/buckets"]),
        ];
        let text = token_table(&rows, false, false);
        let expected = "\
ID\t\t\tDescription\tToken\tUser Name\tUser ID\t\t\tStatus\tPermissions
0a1b2c3d4e5f6a7b\tadmin's Token\t\tadmin\t\t0a0b0c0d0e0f0a0b\tactive\t[read:/authorizations write:/authorizations]
1a1b2c3d4e5f6a7b\t\t\t\tadmin\t\t0a0b0c0d0e0f0a0b\tactive\t[read:orgs/b6b3217f5a5e0559/buckets]
";
        assert_eq!(text, expected);
    }

    #[test]
    fn delete_adds_a_deleted_column_and_hide_headers_drops_the_header() {
        let text = token_table(&[row("0a1b2c3d4e5f6a7b", "d", &["read:/users"])], true, true);
        assert_eq!(
            text,
            "0a1b2c3d4e5f6a7b\td\t\tadmin\t0a0b0c0d0e0f0a0b\tactive\t[read:/users]\ttrue\n"
        );
    }

    fn view(expires_at: Option<OffsetDateTime>, last_used_at: Option<OffsetDateTime>) -> AuthorizationView {
        serde_json::from_value(serde_json::json!({
            "id": "0a1b2c3d4e5f6a7b", "token": "", "status": "active", "description": "ci", "orgID": "b6b3217f5a5e0559",
            "org": "my-org", "userID": "0a0b0c0d0e0f0a0b", "user": "admin", "permissions": [], "links": {},
            "createdAt": "2030-01-01T00:00:00Z", "updatedAt": "2030-01-01T00:00:00Z",
            "expiresAt": expires_at.and_then(expiry::format), "lastUsedAt": last_used_at.and_then(expiry::format),
        }))
        .unwrap()
    }

    #[test]
    fn an_expired_token_shows_expired_in_the_table_but_keeps_its_status_in_json() {
        use time::macros::datetime;
        let now = datetime!(2030-06-01 00:00:00 UTC);
        let expired = TokenRow::new(&view(Some(datetime!(2030-06-01 00:00:00 UTC)), None), now);
        let later = TokenRow::new(&view(Some(datetime!(2030-06-01 00:00:01 UTC)), None), now);
        let never = TokenRow::new(&view(None, None), now);
        assert_eq!(
            token_table(std::slice::from_ref(&expired), false, true),
            "0a1b2c3d4e5f6a7b\tci\t\tadmin\t0a0b0c0d0e0f0a0b\texpired\t[]\n"
        );
        assert_eq!(later.shown_status(), "active");
        assert_eq!(never.shown_status(), "active");

        let json: serde_json::Value = serde_json::from_str(&go_json(&expired).unwrap()).unwrap();
        assert_eq!(json["status"], "active");
        assert_eq!(json["expiresAt"], "2030-06-01T00:00:00Z");
        assert!(json.get("lastUsedAt").is_none());
        let text = go_json(&expired).unwrap();
        let order: Vec<usize> = ["\"id\"", "\"status\"", "\"permissions\"", "\"expiresAt\""]
            .iter()
            .map(|key| text.find(key).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "influx's keys first: {text}");
        let plain = go_json(&never).unwrap();
        assert!(!plain.contains("expiresAt") && !plain.contains("lastUsedAt"), "{plain}");
    }

    #[test]
    fn wide_adds_expires_and_last_used_after_status() {
        use time::macros::datetime;
        let now = datetime!(2030-06-01 00:00:00 UTC);
        let rows = [
            TokenRow::new(
                &view(
                    Some(datetime!(2030-07-01 00:00:00 UTC)),
                    Some(datetime!(2030-05-31 12:30:00 UTC)),
                ),
                now,
            ),
            TokenRow::new(&view(None, None), now),
        ];
        let text = token_table_with(
            &rows,
            TokenTable {
                deleted: false,
                wide: true,
                hide_headers: false,
            },
        );
        let lines: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split('\t').filter(|c| !c.is_empty()).collect())
            .collect();
        assert_eq!(
            lines[0],
            [
                "ID",
                "Description",
                "Token",
                "User Name",
                "User ID",
                "Status",
                "Expires",
                "Last Used",
                "Permissions"
            ]
        );
        assert_eq!(
            lines[1][4..8],
            ["active", "2030-07-01T00:00:00Z", "2030-05-31T12:30:00Z", "[]"],
            "the empty Token cells are dropped by the split"
        );
        assert_eq!(lines[2][4..8], ["active", "never", "never", "[]"]);
    }

    #[test]
    fn user_and_org_tables_are_id_name_with_deleted_for_delete() {
        let rows = [
            ("0a1b2c3d4e5f6a7b", "admin"),
            ("1a1b2c3d4e5f6a7b", "a-much-longer-name"),
        ];
        assert_eq!(
            id_name_table(rows, false, false),
            "ID\t\t\tName\n0a1b2c3d4e5f6a7b\tadmin\n1a1b2c3d4e5f6a7b\ta-much-longer-name\n"
        );
        assert_eq!(
            id_name_table([("0a1b2c3d4e5f6a7b", "admin")], true, false),
            "ID\t\t\tName\tDeleted\n0a1b2c3d4e5f6a7b\tadmin\ttrue\n"
        );
        assert_eq!(id_name_table([], false, true), "");
    }

    #[test]
    fn the_members_table_has_influxs_columns() {
        let user: UserRow = serde_json::from_value(serde_json::json!({
            "links": {"self": "/api/v2/users/0a1b2c3d4e5f6a7b"}, "id": "0a1b2c3d4e5f6a7b", "name": "alice",
            "status": "inactive"
        }))
        .unwrap();
        assert_eq!(
            members_table(&[user], false),
            "ID\t\t\tName\tUser Type\tStatus\n0a1b2c3d4e5f6a7b\talice\tmember\t\tinactive\n"
        );
    }

    #[test]
    fn users_and_orgs_print_as_json_with_gos_sorted_keys() {
        let user: UserRow = serde_json::from_str(
            r#"{"links":{"self":"/api/v2/users/0a1b2c3d4e5f6a7b"},"id":"0a1b2c3d4e5f6a7b","name":"a","status":"active"}"#,
        )
        .unwrap();
        assert_eq!(
            go_json(&user).unwrap(),
            "{\n\t\"id\": \"0a1b2c3d4e5f6a7b\",\n\t\"links\": {\n\t\t\"self\": \"/api/v2/users/0a1b2c3d4e5f6a7b\"\n\t},\n\t\"name\": \"a\",\n\t\"status\": \"active\"\n}\n"
        );
        let org: OrgRow = serde_json::from_str(
            r#"{"links":{"self":"/o"},"id":"0a1b2c3d4e5f6a7b","name":"o","description":"","createdAt":"2024-01-02T03:04:05.1Z","updatedAt":"2024-01-02T03:04:05.1Z"}"#,
        )
        .unwrap();
        let text = go_json(&org).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["createdAt"], "2024-01-02T03:04:05.1Z",
            "times pass through unchanged"
        );
        let order: Vec<usize> = ["createdAt", "description", "\"id\"", "links", "\"name\"", "updatedAt"]
            .iter()
            .map(|key| text.find(key).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(go_json(&Vec::<UserRow>::new()).unwrap(), "[]\n");
    }

    #[test]
    fn json_is_tab_indented_and_html_escaped_as_go_writes_it() {
        let text = go_json(&row("0a1b2c3d4e5f6a7b", "<b>&", &["read:/users"])).unwrap();
        let expected = "{\n\t\"id\": \"0a1b2c3d4e5f6a7b\",\n\t\"description\": \"\\u003cb\\u003e\\u0026\",\n\t\"token\": \"\",\n\t\"status\": \"active\",\n\t\"userName\": \"admin\",\n\t\"userID\": \"0a0b0c0d0e0f0a0b\",\n\t\"permissions\": [\n\t\t\"read:/users\"\n\t]\n}\n";
        assert_eq!(text, expected);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["description"], "<b>&");
        assert_eq!(go_json(&Option::<Vec<TokenRow>>::None).unwrap(), "null\n");
    }
}

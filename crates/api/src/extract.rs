//! Extractors whose rejections are InfluxDB errors, and the tab-indented JSON response.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use model::Id;
use serde::Serialize;
use serde::de::DeserializeOwned;
use service::{AuthenticationError, Caller};

use crate::ApiError;

/// Serializes like Go's `json.MarshalIndent(v, "", "\t")`, plus the newline its encoder adds.
pub(crate) fn to_tabbed_json<T: Serialize>(value: &T) -> Vec<u8> {
    // One authorization is ~1 KiB tab-indented: start there rather than grow from nothing.
    let mut out = Vec::with_capacity(1024);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Tabbed::default());
    if value.serialize(&mut serializer).is_err() {
        return b"{}".to_vec();
    }
    out.push(b'\n');
    // serde_json writes UTF-8: the body goes out as bytes, without checking it again.
    out
}

/// serde_json's `PrettyFormatter` layout with a tab per level, but each line break and its indent go out in one
/// write from a run of tabs, not one write per level: a page of 100 authorizations breaks ~4,000 lines 4 deep.
#[derive(Default)]
struct Tabbed {
    depth: usize,
    has_value: bool,
}

/// A newline and enough tabs for any depth our answers reach; deeper ones add the rest a tab at a time.
const LINE_BREAK: &[u8] = b"\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

impl Tabbed {
    fn line_break<W: ?Sized + std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        let direct = self.depth.min(LINE_BREAK.len() - 1);
        out.write_all(&LINE_BREAK[..=direct])?;
        for _ in direct..self.depth {
            out.write_all(b"\t")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line_break(out)?;
        }
        out.write_all(bracket)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        self.line_break(out)
    }
}

impl serde_json::ser::Formatter for Tabbed {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A success body: `application/json; charset=utf-8`, tab-indented, with a status.
pub(crate) struct Pretty<T>(pub StatusCode, pub T);

impl<T: Serialize> IntoResponse for Pretty<T> {
    fn into_response(self) -> Response {
        let mut response = (self.0, to_tabbed_json(&self.1)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

/// The caller the token middleware put into the request's extensions, taken out of them rather than cloned as
/// axum's `Extension` would (a token's caller holds its whole record: the operator's has 44 permissions). A
/// route behind the middleware always has one; without it (a bug) the answer is 401.
pub(crate) struct Authenticated(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .remove::<Caller>()
            .map(Authenticated)
            .ok_or(ApiError::Authentication(AuthenticationError::UnknownToken))
    }
}

/// A success body already written as tab-indented JSON (see `render`), with a status.
pub(crate) struct Rendered(pub StatusCode, pub Bytes);

impl IntoResponse for Rendered {
    fn into_response(self) -> Response {
        json_response(self.0, self.1)
    }
}

/// A JSON answer: its type set once (`(status, bytes).into_response()` sets another first, which is then replaced).
/// Room for six headers, the size `HeaderMap` first grows to: its type and length, the build headers, an error
/// code, and one more.
pub(crate) fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut headers = HeaderMap::with_capacity(6);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A JSON body, read whatever the `Content-Type` says (as InfluxDB does: curl's `-d` sends a form type).
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge
            } else {
                ApiError::InvalidJson(rejection.body_text())
            }
        })?;
        // Every body we take is an object; serde alone would also accept an array for a struct.
        if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
            && *first != b'{'
        {
            return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                Err(e) => ApiError::InvalidJson(json_error_text(&e)),
                Ok(_) => ApiError::InvalidJson("expected a JSON object".to_owned()),
            });
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::InvalidJson(json_error_text(&e)))
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn json_error_text(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_owned(),
        None => text,
    }
}

/// Query parameters; the first value of a repeated key wins, as with Go's `URL.Query().Get`.
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// The value, or `None` when absent or empty (InfluxDB treats `?user=` as no filter).
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).filter(|v| !v.is_empty()).cloned()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut map = HashMap::new();
        for (key, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
            map.entry(key.into_owned()).or_insert_with(|| value.into_owned());
        }
        Ok(Params(map))
    }
}

/// The `{id}` path segment, parsed with InfluxDB's messages (400 `id must have a length of 16 bytes` /
/// `invalid ID`).
pub(crate) struct PathId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(text) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::InvalidInput(rejection.body_text()))?;
        text.parse()
            .map(PathId)
            .map_err(|e: model::IdError| ApiError::InvalidInput(e.to_string()))
    }
}

/// The `{id}/…/{user}` segments of a membership path, both parsed as IDs.
pub(crate) struct MemberPath(pub Id, pub Id);

impl<S: Send + Sync> FromRequestParts<S> for MemberPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((org, user)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| ApiError::InvalidInput(rejection.body_text()))?;
        let parse = |text: &str| text.parse::<Id>().map_err(|e| ApiError::InvalidInput(e.to_string()));
        Ok(MemberPath(parse(&org)?, parse(&user)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabbed_json_matches_go_marshal_indent() {
        let text = String::from_utf8(to_tabbed_json(&serde_json::json!({"a": [1], "b": {}}))).unwrap();
        assert_eq!(text, "{\n\t\"a\": [\n\t\t1\n\t],\n\t\"b\": {}\n}\n");
    }

    /// Any value, as deep as it goes (past the run of tabs too), comes out as serde_json's own pretty printer
    /// lays it out with a tab per level.
    #[test]
    fn tabbed_json_is_pretty_formatter_with_tabs_at_every_depth() {
        let mut deep = serde_json::json!({"leaf": ["x", 1, null, {}, []]});
        for depth in 0..20 {
            deep = serde_json::json!({"depth": depth, "empty": [], "inner": [deep, {"k": "v"}]});
        }
        for value in [
            deep,
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!("s"),
        ] {
            let mut expected = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
            value
                .serialize(&mut serde_json::Serializer::with_formatter(&mut expected, formatter))
                .unwrap();
            expected.push(b'\n');
            assert_eq!(
                String::from_utf8(to_tabbed_json(&value)).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    #[test]
    fn json_errors_lose_their_position() {
        let error = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        assert_eq!(json_error_text(&error), "EOF while parsing an object");
    }
}

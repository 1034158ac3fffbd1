//! A small blocking HTTP client for the InfluxDB v2 API: `Authorization: Token …` on every request, InfluxDB's
//! error body turned into a one-line message, and `--http-debug` lines on stderr that never show the token.

use std::fmt;
use std::time::{Duration, Instant};

use model::wire::ErrorBody;
use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// The session cookie's name, as InfluxDB OSS sets it on `POST /api/v2/signin`.
const SESSION_COOKIE: &str = "influxdb-oss-session";

/// What went wrong with one request.
#[derive(Debug)]
pub enum HttpError {
    /// No HTTP answer at all: refused, unresolvable, timed out.
    Unreachable { base: String, cause: String },
    /// An answer with an error status; `message` is InfluxDB's `message`, or the body, or the reason phrase.
    Status { status: StatusCode, message: String },
    /// A success status with a body we cannot read.
    Decode { url: String, cause: String },
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Unreachable { base, cause } => write!(
                f,
                "cannot reach {base}: {cause} (is the server running? check --host, INFLUX_HOST or the config's url)"
            ),
            HttpError::Status { status, message } => {
                write!(f, "{status}: {message}")?;
                if *status == StatusCode::UNAUTHORIZED && message == "unauthorized access" {
                    f.write_str(" (check --token, INFLUX_TOKEN or the config's token)")?;
                }
                Ok(())
            }
            HttpError::Decode { url, cause } => {
                write!(f, "unexpected answer from {url}: {cause}")
            }
        }
    }
}

/// Connection settings, resolved from flags, environment and the configs file.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub host: String,
    pub token: Option<String>,
    /// A sign-in session (the configs file's `cookie`), used only when there is no token, as influx does.
    pub cookie: Option<String>,
    pub debug: bool,
    pub trace_id: Option<String>,
    pub extra_headers: Vec<String>,
}

pub struct Client {
    http: Http,
    base: String,
    token: Option<String>,
    cookie: Option<String>,
    debug: bool,
    headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(settings: Settings) -> Result<Self, Error> {
        let host = settings.host.trim();
        let url = Url::parse(host).map_err(|e| {
            Error::new(format!(
                "host URL {host:?} is invalid: {e} (use a URL like http://localhost:8086)"
            ))
        })?;
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(Error::new(format!(
                    "host URL {host:?}: https is not supported by this build; use http://"
                )));
            }
            other => {
                return Err(Error::new(format!(
                    "host URL {host:?} has scheme {other:?}; use a URL like http://localhost:8086"
                )));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::new(format!(
                "host URL {host:?} has no host; use a URL like http://localhost:8086"
            )));
        }
        let mut headers = Vec::new();
        if let Some(id) = settings.trace_id.filter(|id| !id.is_empty()) {
            headers.push(("Zap-Trace-Span".to_owned(), id));
        }
        for header in settings.extra_headers {
            let Some((name, value)) = header.split_once(':') else {
                return Err(Error::new(format!(
                    "extra HTTP header {header:?} must look like \"Name: value\""
                )));
            };
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let http = Http::builder()
            .user_agent(concat!("influx-authz/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::new(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: host.trim_end_matches('/').to_owned(),
            token: settings.token.filter(|t| !t.is_empty()),
            cookie: settings.cookie.filter(|c| !c.is_empty()),
            debug: settings.debug,
            headers,
        })
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, HttpError> {
        let body = self.send(Method::GET, path, query, None)?;
        self.decode(path, &body)
    }

    pub fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, HttpError> {
        let body = self.send(Method::POST, path, &[], Some(self.encode(path, body)?))?;
        self.decode(path, &body)
    }

    pub fn patch<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, HttpError> {
        let body = self.send(Method::PATCH, path, &[], Some(self.encode(path, body)?))?;
        self.decode(path, &body)
    }

    /// A POST whose success has no body to read (`204 No Content`).
    pub fn post_no_content<B: Serialize>(&self, path: &str, body: &B) -> Result<(), HttpError> {
        self.send(Method::POST, path, &[], Some(self.encode(path, body)?))
            .map(drop)
    }

    pub fn delete(&self, path: &str) -> Result<(), HttpError> {
        self.send(Method::DELETE, path, &[], None).map(drop)
    }

    fn encode<B: Serialize>(&self, path: &str, body: &B) -> Result<Vec<u8>, HttpError> {
        serde_json::to_vec(body).map_err(|e| HttpError::Decode {
            url: format!("{}{path}", self.base),
            cause: e.to_string(),
        })
    }

    fn decode<T: DeserializeOwned>(&self, path: &str, body: &[u8]) -> Result<T, HttpError> {
        serde_json::from_slice(body).map_err(|e| HttpError::Decode {
            url: format!("{}{path}", self.base),
            cause: e.to_string(),
        })
    }

    /// Sends one request; a status of 300 or more is an error. Returns the body of a success.
    fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, HttpError> {
        let url = format!("{}{path}", self.base);
        let mut request: RequestBuilder = self.http.request(method.clone(), &url);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Token {token}"));
        } else if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", format!("{SESSION_COOKIE}={cookie}"));
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            request = request.header("Content-Type", "application/json").body(body);
        }
        let request = request.build().map_err(|e| HttpError::Unreachable {
            base: self.base.clone(),
            cause: innermost(&e),
        })?;
        if self.debug {
            eprintln!("> {} {}", request.method(), request.url());
            if self.token.is_some() {
                eprintln!("> Authorization: Token <redacted>");
            } else if self.cookie.is_some() {
                eprintln!("> Cookie: {SESSION_COOKIE}=<redacted>");
            }
        }
        let started = Instant::now();
        let response = self.http.execute(request).map_err(|e| {
            if self.debug {
                eprintln!("< no response: {}", innermost(&e));
            }
            HttpError::Unreachable {
                base: self.base.clone(),
                cause: innermost(&e),
            }
        })?;
        let status = response.status();
        if self.debug {
            eprintln!("< {status} ({} ms)", started.elapsed().as_millis());
        }
        let bytes = response.bytes().map_err(|e| HttpError::Unreachable {
            base: self.base.clone(),
            cause: innermost(&e),
        })?;
        if status.as_u16() >= 300 {
            return Err(HttpError::Status {
                status,
                message: error_message(status, &bytes),
            });
        }
        Ok(bytes.to_vec())
    }
}

/// InfluxDB's `message`, else the body's first line, else the reason phrase.
fn error_message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(error) = serde_json::from_slice::<ErrorBody>(body)
        && !error.message.is_empty()
    {
        return one_line(&error.message);
    }
    let text = String::from_utf8_lossy(body);
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => line.chars().take(200).collect(),
        None => status.canonical_reason().unwrap_or("no message").to_lowercase(),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The most specific cause of a transport error ("Connection refused (os error 111)"), on one line.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    one_line(&current.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_from_influxdbs_body() {
        let body = br#"{"code":"not found","message":"authorization not found"}"#;
        assert_eq!(error_message(StatusCode::NOT_FOUND, body), "authorization not found");
        assert_eq!(error_message(StatusCode::BAD_GATEWAY, b""), "bad gateway");
        assert_eq!(
            error_message(StatusCode::BAD_GATEWAY, b"\n upstream died\nmore"),
            "upstream died"
        );
    }

    #[test]
    fn a_bad_token_hints_at_where_the_token_comes_from() {
        let error = HttpError::Status {
            status: StatusCode::UNAUTHORIZED,
            message: "unauthorized access".into(),
        };
        assert_eq!(
            error.to_string(),
            "401 Unauthorized: unauthorized access (check --token, INFLUX_TOKEN or the config's token)"
        );
    }

    #[test]
    fn hosts_must_be_http_urls() {
        let settings = |host: &str| Settings {
            host: host.into(),
            ..Settings::default()
        };
        assert!(Client::new(settings("http://127.0.0.1:8086/")).is_ok());
        for bad in ["localhost:8086", "127.0.0.1:8086", "ftp://x", "https://x", ""] {
            assert!(Client::new(settings(bad)).is_err(), "{bad}");
        }
    }
}

//! The one place that turns errors into HTTP: InfluxDB's `{"code","message"}` body, its status, and the
//! `X-Platform-Error-Code` header.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use service::{AuthenticationError, ServiceError};

/// InfluxDB's error codes (`kit/platform/errors/errors.go`) and their statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Internal,
    NotImplemented,
    NotFound,
    Conflict,
    Invalid,
    UnprocessableEntity,
    EmptyValue,
    Unavailable,
    Forbidden,
    TooManyRequests,
    Unauthorized,
    MethodNotAllowed,
    RequestTooLarge,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Internal => "internal error",
            ErrorCode::NotImplemented => "not implemented",
            ErrorCode::NotFound => "not found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Invalid => "invalid",
            ErrorCode::UnprocessableEntity => "unprocessable entity",
            ErrorCode::EmptyValue => "empty value",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::TooManyRequests => "too many requests",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::MethodNotAllowed => "method not allowed",
            ErrorCode::RequestTooLarge => "request too large",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict | ErrorCode::UnprocessableEntity => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid | ErrorCode::EmptyValue => StatusCode::BAD_REQUEST,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug)]
pub enum ApiError {
    Service(ServiceError),
    Authentication(AuthenticationError),
    /// A body that is not the JSON we expect: 400 `invalid json structure: …`.
    InvalidJson(String),
    /// A path or query value that cannot be read: 400 `invalid`.
    InvalidInput(String),
    BodyTooLarge,
    PathNotFound,
    /// The methods the path allows, e.g. `GET, POST`.
    MethodNotAllowed(String),
    /// The request took longer than allowed: 408, as InfluxDB answers a request whose deadline passed.
    RequestTimeout,
    /// Too many failed authentications from this address.
    TooManyFailures,
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        ApiError::Service(error)
    }
}

impl From<AuthenticationError> for ApiError {
    fn from(error: AuthenticationError) -> Self {
        match error {
            AuthenticationError::Service(inner) => ApiError::Service(inner),
            other => ApiError::Authentication(other),
        }
    }
}

impl ApiError {
    fn code(&self) -> ErrorCode {
        match self {
            ApiError::Service(error) => match error {
                ServiceError::Invalid(_) => ErrorCode::Invalid,
                ServiceError::Unauthorized(_) => ErrorCode::Unauthorized,
                ServiceError::Forbidden(_) => ErrorCode::Forbidden,
                ServiceError::NotFound(_) => ErrorCode::NotFound,
                ServiceError::Conflict(_) => ErrorCode::Conflict,
                ServiceError::Unprocessable(_) => ErrorCode::UnprocessableEntity,
                ServiceError::Unavailable(_) => ErrorCode::Unavailable,
                ServiceError::Internal(_) | ServiceError::Store(_) => ErrorCode::Internal,
            },
            ApiError::Authentication(AuthenticationError::InactiveUser) => ErrorCode::Forbidden,
            ApiError::Authentication(_) => ErrorCode::Unauthorized,
            ApiError::InvalidJson(_) | ApiError::InvalidInput(_) => ErrorCode::Invalid,
            ApiError::BodyTooLarge => ErrorCode::RequestTooLarge,
            ApiError::PathNotFound => ErrorCode::NotFound,
            ApiError::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            ApiError::RequestTimeout => ErrorCode::Unavailable,
            ApiError::TooManyFailures => ErrorCode::TooManyRequests,
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::Service(error) => error.to_string(),
            ApiError::Authentication(error) => error.to_string(),
            ApiError::InvalidJson(detail) => format!("invalid json structure: {detail}"),
            ApiError::InvalidInput(detail) => detail.clone(),
            ApiError::BodyTooLarge => "request body is too large".to_owned(),
            ApiError::PathNotFound => "path not found".to_owned(),
            ApiError::MethodNotAllowed(allow) => format!("allow: {allow}"),
            ApiError::RequestTimeout => "request timed out".to_owned(),
            ApiError::TooManyFailures => "too many failed authentications; try again later".to_owned(),
        }
    }

    /// InfluxDB writes middleware errors (auth, router) compactly and handler errors tab-indented.
    fn is_middleware_error(&self) -> bool {
        matches!(
            self,
            ApiError::Authentication(_)
                | ApiError::PathNotFound
                | ApiError::MethodNotAllowed(_)
                | ApiError::RequestTimeout
                | ApiError::TooManyFailures
        )
    }
}

/// InfluxDB's error body, `{"code","message"}` in that order.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
}

/// The answer to an unknown token, the refusal a flood of bad tokens gets, written once rather than per request.
/// `unknown_token_body_is_the_general_one` checks it against what [`ApiError::body`] writes.
const UNKNOWN_TOKEN_BODY: &[u8] = br#"{"code":"unauthorized","message":"unauthorized access"}"#;

const PLATFORM_ERROR_CODE: http::HeaderName = http::HeaderName::from_static("x-platform-error-code");

impl ApiError {
    /// InfluxDB's `{"code","message"}`, compact or tab-indented as InfluxDB writes this kind of error.
    fn body(&self, code: ErrorCode) -> Vec<u8> {
        let message = if code == ErrorCode::Internal {
            tracing::error!(error = ?self, "request failed");
            "internal error".to_owned()
        } else {
            self.message()
        };
        let body = ErrorBody {
            code: code.as_str(),
            message: &message,
        };
        if self.is_middleware_error() {
            serde_json::to_vec(&body).unwrap_or_default()
        } else {
            crate::extract::to_tabbed_json(&body)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let body = match self {
            ApiError::Authentication(AuthenticationError::UnknownToken) => Bytes::from_static(UNKNOWN_TOKEN_BODY),
            _ => Bytes::from(self.body(code)),
        };
        let status = match self {
            ApiError::RequestTimeout => http::StatusCode::REQUEST_TIMEOUT,
            _ => code.status(),
        };
        let mut response = crate::extract::json_response(status, body);
        response
            .headers_mut()
            .insert(PLATFORM_ERROR_CODE, HeaderValue::from_static(code.as_str()));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_token_body_is_the_general_one() {
        let error = ApiError::Authentication(AuthenticationError::UnknownToken);
        assert_eq!(
            String::from_utf8(error.body(error.code())).unwrap(),
            String::from_utf8(UNKNOWN_TOKEN_BODY.to_vec()).unwrap()
        );
    }
}

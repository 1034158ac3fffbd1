//! Reading query parameters the way InfluxDB does: empty means absent; `limit`/`offset` checked like
//! `DecodeFindOptions`.

use crate::ServiceError;

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

pub(crate) fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// `limit` and `offset`, as InfluxDB's `DecodeFindOptions` checks them.
pub(crate) fn paging(limit: Option<String>, offset: Option<String>) -> Result<(usize, usize), ServiceError> {
    let limit = match non_empty(limit) {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ServiceError::Invalid(format!(
                    "limit must be between 1 and {MAX_LIMIT}"
                )));
            }
        },
    };
    let offset = match non_empty(offset) {
        None => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| ServiceError::Invalid("offset must be a non-negative integer".into()))?,
    };
    Ok((limit, offset))
}

pub(crate) fn org_name_not_found(name: &str) -> ServiceError {
    ServiceError::NotFound(format!("organization name \"{name}\" not found"))
}

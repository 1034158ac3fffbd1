//! RFC 3339 timestamps with nanoseconds, trailing zeros trimmed, as Go's `time.RFC3339Nano` writes them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn format(at: OffsetDateTime) -> String {
    // `time`'s RFC 3339 formatter already drops trailing zeros of the fraction (and the fraction when zero).
    at.format(&Rfc3339).unwrap_or_default()
}

/// `#[serde(with = "model::time_format::rfc3339")]`.
pub mod rfc3339 {
    pub use time::serde::rfc3339::{deserialize, serialize};
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn trims_trailing_zeros_like_go() {
        assert_eq!(
            format(datetime!(2024-05-03 10:21:37.123456789 UTC)),
            "2024-05-03T10:21:37.123456789Z"
        );
        assert_eq!(
            format(datetime!(2024-05-03 10:02:11.5039120 UTC)),
            "2024-05-03T10:02:11.503912Z"
        );
        assert_eq!(format(datetime!(2024-05-03 10:02:11 UTC)), "2024-05-03T10:02:11Z");
    }
}

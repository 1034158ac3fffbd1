//! Token expiry and last use (influx-authz extensions): the durations of `auth create --expires-in` and
//! `auth list --unused-since`, the instants sent to the server, and how the CLI shows them.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::Error;

/// A duration like `30d`, `12h` or `1w2d`: one or more `<n><unit>` with units `s`, `m`, `h`, `d`, `w`, summed.
/// Zero (or less) is refused. `flag` names the flag in the error message.
pub fn parse_duration(flag: &str, text: &str) -> Result<Duration, Error> {
    let fail = |why: &str| {
        Error::new(format!(
            "invalid {flag} {text:?}: {why} (use a duration like 30d, 12h or 1w2d; units s, m, h, d, w)"
        ))
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(fail("it is empty"));
    }
    if trimmed.starts_with('-') {
        return Err(fail("it must be more than 0"));
    }
    let mut seconds: i64 = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(fail("expected a number"));
        }
        let value: i64 = rest[..digits].parse().map_err(|_| fail("it is too long"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit: i64 = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            "" => return Err(fail("a unit is missing")),
            other => return Err(fail(&format!("unknown unit {other:?}"))),
        };
        rest = &rest[unit_len..];
        seconds = value
            .checked_mul(unit)
            .and_then(|s| s.checked_add(seconds))
            .ok_or_else(|| fail("it is too long"))?;
    }
    if seconds <= 0 {
        return Err(fail("it must be more than 0"));
    }
    Ok(Duration::seconds(seconds))
}

/// An RFC 3339 instant from a flag, in UTC.
pub fn parse_instant(flag: &str, text: &str) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map(|at| at.to_offset(UtcOffset::UTC))
        .map_err(|_| {
            Error::new(format!(
                "invalid {flag} {text:?}: not an RFC 3339 time (like 2030-01-31T12:00:00Z)"
            ))
        })
}

/// RFC 3339 in UTC, as the server writes times; `None` past the year 9999.
pub fn format(at: OffsetDateTime) -> Option<String> {
    at.to_offset(UtcOffset::UTC).format(&Rfc3339).ok()
}

/// The `expiresAt` of `auth create`: `--expires-in` (from now) or `--expires-at`, never both; in the future.
pub fn expires_at(
    expires_in: Option<&str>,
    expires_at: Option<&str>,
    now: OffsetDateTime,
) -> Result<Option<String>, Error> {
    let at = match (expires_in, expires_at) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(Error::new("use --expires-in or --expires-at, not both"));
        }
        (Some(text), None) => {
            let duration = parse_duration("--expires-in", text)?;
            now.checked_add(duration)
                .ok_or_else(|| Error::new(format!("invalid --expires-in {text:?}: it is too long")))?
        }
        (None, Some(text)) => {
            let at = parse_instant("--expires-at", text)?;
            if at <= now {
                return Err(Error::new(format!(
                    "invalid --expires-at {text:?}: it must be in the future"
                )));
            }
            at
        }
    };
    format(at)
        .map(Some)
        .ok_or_else(|| Error::new("the expiry is too far in the future (after the year 9999)"))
}

/// The `unusedSince` of `auth list --unused-since`: an RFC 3339 time, or a duration meaning that long ago.
pub fn unused_since(text: &str, now: OffsetDateTime) -> Result<String, Error> {
    let trimmed = text.trim();
    let looks_like_time = trimmed.len() >= 10 && trimmed.as_bytes().get(4) == Some(&b'-');
    if looks_like_time {
        let at = parse_instant("--unused-since", trimmed)?;
        return format(at).ok_or_else(|| Error::new(format!("invalid --unused-since {text:?}: out of range")));
    }
    let duration = parse_duration("--unused-since", trimmed).map_err(|_| {
        Error::new(format!(
            "invalid --unused-since {text:?}: use an RFC 3339 time (like 2030-01-31T12:00:00Z) or a duration like 30d \
             (meaning 30 days ago; units s, m, h, d, w)"
        ))
    })?;
    now.checked_sub(duration)
        .and_then(format)
        .ok_or_else(|| Error::new(format!("invalid --unused-since {text:?}: it is too long")))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);

    #[test]
    fn durations_combine_units() {
        let seconds = |text: &str| parse_duration("--expires-in", text).unwrap().whole_seconds();
        assert_eq!(seconds("30d"), 30 * 86_400);
        assert_eq!(seconds("1w2d"), 9 * 86_400);
        assert_eq!(seconds("90m30s"), 5_430);
        assert_eq!(seconds("2s"), 2);
        assert_eq!(seconds("12h"), 43_200);
        assert_eq!(seconds("1d1d"), 2 * 86_400);
    }

    #[test]
    fn bad_durations_are_refused_on_one_line() {
        for bad in [
            "",
            "0",
            "0d",
            "0s0m",
            "-1d",
            "30",
            "30y",
            "d",
            "1.5h",
            "1 d",
            "99999999999999999999w",
            "30ms",
        ] {
            let error = parse_duration("--expires-in", bad).unwrap_err().to_string();
            assert!(error.starts_with("invalid --expires-in"), "{bad:?}: {error}");
            assert!(!error.contains('\n'), "{error}");
        }
        assert!(
            parse_duration("--expires-in", "0d")
                .unwrap_err()
                .to_string()
                .contains("more than 0")
        );
        assert!(
            parse_duration("--expires-in", "3y")
                .unwrap_err()
                .to_string()
                .contains("unknown unit \"y\"")
        );
    }

    #[test]
    fn expiry_comes_from_one_flag_and_is_in_the_future() {
        assert_eq!(expires_at(None, None, NOW).unwrap(), None);
        assert_eq!(
            expires_at(Some("1w2d"), None, NOW).unwrap().as_deref(),
            Some("2030-01-10T00:00:00Z")
        );
        assert_eq!(
            expires_at(None, Some("2030-02-01T01:00:00+01:00"), NOW)
                .unwrap()
                .as_deref(),
            Some("2030-02-01T00:00:00Z")
        );
        let both = expires_at(Some("1d"), Some("2031-01-01T00:00:00Z"), NOW).unwrap_err();
        assert!(both.to_string().contains("not both"), "{both}");
        let past = expires_at(None, Some("2029-12-31T23:59:59Z"), NOW).unwrap_err();
        assert!(past.to_string().contains("in the future"), "{past}");
        let bad = expires_at(None, Some("tomorrow"), NOW).unwrap_err();
        assert!(bad.to_string().contains("RFC 3339"), "{bad}");
        assert!(expires_at(Some("99999999w"), None, NOW).is_err());
    }

    #[test]
    fn unused_since_takes_a_time_or_a_duration_ago() {
        assert_eq!(unused_since("30d", NOW).unwrap(), "2029-12-02T00:00:00Z");
        assert_eq!(
            unused_since("2029-06-01T12:00:00Z", NOW).unwrap(),
            "2029-06-01T12:00:00Z"
        );
        assert_eq!(
            unused_since("2029-06-01T12:00:00-02:00", NOW).unwrap(),
            "2029-06-01T14:00:00Z"
        );
        for bad in ["yesterday", "2029-06-01", "0d", ""] {
            let error = unused_since(bad, NOW).unwrap_err().to_string();
            assert!(error.starts_with("invalid --unused-since"), "{bad:?}: {error}");
        }
    }
}

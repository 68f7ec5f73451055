//! Points in time as parameters take them: RFC 3339 (`2025-12-30T13:55:00Z`) or relative to the start of the run
//! (`now`, `now-15m`, `now+1h`). Relative times are resolved against a clock the caller passes in, so validation
//! stays pure and tests can fix the time.

use jiff::{SignedDuration, Timestamp};

use crate::foundation::duration;

/// A datetime as written, before it is resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum DateTimeSpec {
    Absolute(Timestamp),
    /// Offset from the run's start, negative for the past.
    Relative(SignedDuration),
}

impl DateTimeSpec {
    pub fn parse(text: &str) -> Option<DateTimeSpec> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("now") {
            if rest.is_empty() {
                return Some(DateTimeSpec::Relative(SignedDuration::ZERO));
            }
            if !rest.starts_with(['-', '+']) {
                return None;
            }
            let (negative, amount) = duration::parse_signed(rest)?;
            let amount = SignedDuration::try_from(amount).ok()?;
            return Some(DateTimeSpec::Relative(if negative {
                -amount
            } else {
                amount
            }));
        }
        text.parse::<Timestamp>().ok().map(DateTimeSpec::Absolute)
    }

    pub fn resolve(&self, now: Timestamp) -> Option<Timestamp> {
        match self {
            DateTimeSpec::Absolute(at) => Some(*at),
            DateTimeSpec::Relative(offset) => now.checked_add(*offset).ok(),
        }
    }
}

/// RFC 3339 in UTC with a `Z`, the form AWS APIs and our outputs use.
pub fn format_rfc3339(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
}

/// How to write one, with the range every datetime here must fall in (jiff's `Timestamp::MIN` to `MAX`, in whole
/// seconds): `9999-12-31T23:59:59Z` reads as RFC 3339 but lies past the end.
pub const HINT: &str = "write RFC 3339 such as `2025-12-30T13:55:00Z`, between -009999-01-02T01:59:59Z and \
     9999-12-30T22:00:00Z, or a time relative to now such as `now-15m`";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_absolute_and_relative() {
        let now: Timestamp = "2025-12-30T14:00:00Z".parse().unwrap();
        let at = DateTimeSpec::parse("2025-12-30T13:55:00Z").unwrap();
        assert_eq!(
            format_rfc3339(at.resolve(now).unwrap()),
            "2025-12-30T13:55:00Z"
        );
        let relative = DateTimeSpec::parse("now-15m").unwrap();
        assert_eq!(
            format_rfc3339(relative.resolve(now).unwrap()),
            "2025-12-30T13:45:00Z"
        );
        assert_eq!(DateTimeSpec::parse("now").unwrap().resolve(now), Some(now));
        assert!(DateTimeSpec::parse("2025-12-30T13:55:00+01:00").is_some());
    }

    #[test]
    fn the_hint_states_the_supported_range() {
        let first: Timestamp = "-009999-01-02T01:59:59Z".parse().unwrap();
        let last: Timestamp = "9999-12-30T22:00:00Z".parse().unwrap();
        assert_eq!(first, Timestamp::MIN.round(jiff::Unit::Second).unwrap());
        assert_eq!(last.as_second(), Timestamp::MAX.as_second());
        assert!(DateTimeSpec::parse("9999-12-31T23:59:59Z").is_none());
        assert!(HINT.contains("9999-12-30T22:00:00Z"));
    }

    #[test]
    fn rejects_nonsense() {
        for text in [
            "yesterday",
            "now-",
            "now15m",
            "2025-13-01T00:00:00Z",
            "2025-12-30",
        ] {
            assert_eq!(DateTimeSpec::parse(text), None, "{text}");
        }
    }
}

//! Durations as runbooks write them: `500ms`, `10s`, `5m`, `2h`, `1d`, or combined as `1h30m`.

use std::time::Duration;

/// Parses `500ms`, `10s`, `5m`, `2h`, `1d` and concatenations such as `1h30m`.
pub fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let amount: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            _ => return None,
        };
        total = total.checked_add(unit.checked_mul(u32::try_from(amount).ok()?)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// A signed duration such as `-5m` or `+1h`, for datetime arithmetic.
pub fn parse_signed(text: &str) -> Option<(bool, Duration)> {
    let text = text.trim();
    match text.strip_prefix('-') {
        Some(rest) => parse(rest).map(|d| (true, d)),
        None => parse(text.strip_prefix('+').unwrap_or(text)).map(|d| (false, d)),
    }
}

/// The shortest way to write a duration back: `90s` becomes `1m30s`.
pub fn format(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if millis >= size {
            out.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    out
}

/// A measured duration for people: `350ms`, `1.2s`, `2m05s`, `1h02m`.
pub fn format_short(duration: Duration) -> String {
    let millis = duration.as_millis();
    let seconds = duration.as_secs();
    if millis < 1_000 {
        format!("{millis}ms")
    } else if seconds < 60 {
        format!("{:.1}s", duration.as_secs_f64())
    } else if seconds < 3_600 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{}h{:02}m", seconds / 3_600, (seconds % 3_600) / 60)
    }
}

/// The hint shown with every invalid duration.
pub const HINT: &str =
    "write a number and a unit: `500ms`, `10s`, `5m`, `2h`, `1d`, or combined as `1h30m`";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(parse("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_signed("-5m"), Some((true, Duration::from_secs(300))));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for text in [
            "",
            "5",
            "m",
            "5 minutes",
            "1.5h",
            "-5m",
            "10x",
            "99999999999999999999s",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format(Duration::from_secs(90)), "1m30s");
        assert_eq!(format(Duration::from_millis(1500)), "1s500ms");
    }
}

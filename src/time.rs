//! Times (RFC 3339) as microseconds since the Unix epoch.

/// Parses an RFC 3339 time (`2026-11-23T10:00:00Z`, offsets allowed).
pub fn parse(text: &str) -> Option<i64> {
    let ts: jiff::Timestamp = text.trim().parse().ok()?;
    Some(ts.as_microsecond())
}

/// Formats microseconds since the epoch as RFC 3339 UTC.
pub fn format(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map_or_else(|_| micros.to_string(), |t| t.to_string())
}

/// The current time.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_and_formats_rfc3339() {
        let t = super::parse("2026-11-23T10:00:00Z").unwrap();
        assert_eq!(super::format(t), "2026-11-23T10:00:00Z");
        assert_eq!(super::parse("2026-11-23T11:00:00+01:00"), Some(t));
        assert!(super::parse("2026-11-23").is_none());
        assert!(super::parse("yesterday").is_none());
    }
}

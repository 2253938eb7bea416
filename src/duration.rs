//! Durations as microseconds, read with jiff's friendly format (`90d`, `12h`, `1d12h`, `2w`,
//! `-5h`, `500ms`), and the local time of day and day of week of a time at a fixed offset.
//!
//! One parser serves the policy syntax (`elevated review 90d`, `90d` in conditions and facts) and
//! JSON (`"90d"`): both read the text with jiff, so they accept the same forms.

/// Microseconds in a day.
pub const DAY: i64 = 86_400_000_000;

/// The days of the week as [`day_of_week`] names them, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A duration in microseconds, or why the text is not one. Days are 24 hours and weeks 7 days;
/// months and years, whose length varies, are refused.
///
/// ```
/// const HOUR: i64 = 3_600_000_000;
/// assert_eq!(polc::duration::parse("1d12h"), Ok(36 * HOUR));
/// assert_eq!(polc::duration::parse("2w"), Ok(14 * 24 * HOUR));
/// assert!(polc::duration::parse("3mo").is_err()); // a month has no fixed length
/// ```
pub fn parse(text: &str) -> Result<i64, String> {
    // jiff's error for `90x` does not name the unit: name it here.
    let units = text
        .split(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c.is_whitespace())
        .filter(|u| !u.is_empty());
    for u in units {
        match u {
            "mo" | "y" | "month" | "months" | "year" | "years" => {
                return Err("months and years have no fixed length".into());
            }
            "w" | "d" | "h" | "m" | "s" | "ms" | "us" | "µs" | "ns" | "week" | "weeks" | "day"
            | "days" | "hour" | "hours" | "hr" | "hrs" | "minute" | "minutes" | "min" | "mins"
            | "second" | "seconds" | "sec" | "secs" | "ago" | "," => {}
            _ if text.starts_with(['P', 'p']) => {}
            other => return Err(format!("unknown unit `{other}`")),
        }
    }
    let span: jiff::Span = text
        .trim()
        .parse()
        .map_err(|_| "not a duration".to_string())?;
    if span.get_months() != 0 || span.get_years() != 0 {
        return Err("months and years have no fixed length".into());
    }
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| "out of range".to_string())?;
    i64::try_from(d.as_micros()).map_err(|_| "out of range".to_string())
}

/// A duration as Pol writes it: the largest units first, `1d12h`, `-5h`, `0s`.
///
/// ```
/// assert_eq!(polc::duration::format(36 * 3_600_000_000), "1d12h");
/// ```
pub fn format(micros: i64) -> String {
    if micros == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if micros < 0 {
        out.push('-');
    }
    let mut rest = micros.unsigned_abs();
    for (unit, size) in [
        ("d", 86_400_000_000u64),
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1_000),
        ("us", 1),
    ] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// The time of day of `time` (microseconds since the epoch) at UTC offset `offset`, as the
/// duration since local midnight; `None` on overflow.
pub fn time_of_day(time: i64, offset: i64) -> Option<i64> {
    Some(time.checked_add(offset)?.rem_euclid(DAY))
}

/// The day of the week of `time` at UTC offset `offset` (`"monday"` ... `"sunday"`).
pub fn day_of_week(time: i64, offset: i64) -> Option<&'static str> {
    let days = time.checked_add(offset)?.div_euclid(DAY);
    // 1970-01-01 was a Thursday.
    WEEKDAYS.get((days + 3).rem_euclid(7) as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000;

    #[test]
    fn friendly_forms() {
        assert_eq!(parse("90d"), Ok(90 * 24 * H));
        assert_eq!(parse("1d12h"), Ok(36 * H));
        assert_eq!(parse("2w"), Ok(14 * 24 * H));
        assert_eq!(parse("-5h"), Ok(-5 * H));
        assert_eq!(parse("30m"), Ok(H / 2));
        assert_eq!(parse("45s"), Ok(45_000_000));
        assert!(parse("1mo").is_err());
        assert!(parse("1y").is_err());
        assert!(parse("5").is_err());
        assert_eq!(parse("5x"), Err("unknown unit `x`".into()));
        assert_eq!(parse("PT5H"), Ok(5 * H));
    }

    #[test]
    fn formats_round_trip() {
        for text in ["90d", "1d12h", "-5h", "0s", "1h30m", "45s"] {
            let m = parse(text).unwrap();
            assert_eq!(format(m), text);
            assert_eq!(parse(&format(m)), Ok(m));
        }
        assert_eq!(format(14 * 24 * H), "14d");
    }

    #[test]
    fn local_time_and_weekday() {
        // 2026-11-23 is a Monday.
        let t = crate::time::parse("2026-11-23T03:30:00Z").unwrap();
        assert_eq!(time_of_day(t, 0), Some(3 * H + H / 2));
        assert_eq!(time_of_day(t, -5 * H), Some(22 * H + H / 2));
        assert_eq!(day_of_week(t, 0), Some("monday"));
        assert_eq!(day_of_week(t, -5 * H), Some("sunday"));
        assert_eq!(day_of_week(0, 0), Some("thursday"));
        assert_eq!(day_of_week(-1, 0), Some("wednesday"));
    }
}

//! Times (RFC 3339) as microseconds since the Unix epoch.
//!
//! The accepted form is RFC 3339's `date-time`, strictly (docs/language.md, "Times"):
//! `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits (read to the microsecond), then
//! `Z` or an offset `+HH:MM` / `-HH:MM` with `HH` at most 23. `T` and `Z` may be lower case, as
//! RFC 3339 allows. Every year from 0000 to 9999 is in range, with any offset. Refused: a leap
//! second (`:60`, which a time stored as a count of seconds cannot hold, and which reading as
//! `:59` would order before a real `:59.5`), offsets without a colon (`+0530`), offsets of 24
//! hours or more, a space for `T`, a date alone.

/// Parses an RFC 3339 time (`2026-11-23T10:00:00Z`, offsets allowed).
///
/// ```
/// assert_eq!(polc::time::parse("1970-01-01T00:00:01Z"), Some(1_000_000));
/// assert_eq!(polc::time::parse("1970-01-01T01:00:00+01:00"), Some(0));
/// assert_eq!(polc::time::parse("1970-01-01"), None); // a date alone is not a time
/// ```
pub fn parse(text: &str) -> Option<i64> {
    parse_checked(text).ok()
}

/// [`parse`], with what is wrong when the text is not a time (for a diagnostic: lowercase, no
/// final period).
pub fn parse_checked(text: &str) -> Result<i64, &'static str> {
    let b = text.as_bytes();
    const SHAPE: &str = "expected `YYYY-MM-DDTHH:MM:SS` followed by `Z` or an offset `+HH:MM`";
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(SHAPE);
    }
    let num = |from: usize, len: usize| -> Result<i64, &'static str> {
        let digits = b.get(from..from + len).ok_or(SHAPE)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(SHAPE);
        }
        Ok(digits
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) {
        return Err("the month is not between 01 and 12");
    }
    if !(1..=days_in_month(year, month)).contains(&day) {
        return Err("the day is not in the month");
    }
    if hour > 23 {
        return Err("the hour is not between 00 and 23");
    }
    if minute > 59 {
        return Err("the minute is not between 00 and 59");
    }
    if second == 60 {
        return Err("leap seconds (second 60) are not accepted: write `:59` or the next minute");
    }
    if second > 59 {
        return Err("the second is not between 00 and 59");
    }
    let mut at = 19;
    let mut micros = 0i64;
    if b[at] == b'.' {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 9 {
            return Err("a fraction of a second has 1 to 9 digits");
        }
        for (i, d) in b[at + 1..at + 1 + digits].iter().enumerate().take(6) {
            micros += i64::from(d - b'0') * 10i64.pow(5 - i as u32);
        }
        at += 1 + digits;
    }
    let offset = match &b[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if h > 23 || m > 59 {
                return Err("an offset is at most `+23:59`");
            }
            let o = (h * 60 + m) * 60;
            if *sign == b'-' { -o } else { o }
        }
        [b'+' | b'-', ..] => return Err("an offset is written `+HH:MM`, with a colon"),
        _ => return Err(SHAPE),
    };
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offset;
    Ok(secs * 1_000_000 + micros)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats microseconds since the epoch as RFC 3339 UTC; [`parse`] reads it back. A time
/// outside the years 0000 to 9999 (only arithmetic makes one) is shown as its microseconds.
///
/// ```
/// let t = polc::time::parse("2026-11-23T10:00:00Z").unwrap();
/// assert_eq!(polc::time::format(t), "2026-11-23T10:00:00Z");
/// ```
pub fn format(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    if !(0..=9999).contains(&year) {
        return micros.to_string();
    }
    let s = secs.rem_euclid(86_400);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        s / 3_600,
        s / 60 % 60,
        s % 60
    );
    if frac != 0 {
        let f = format!("{frac:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// The current time.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_rfc3339() {
        let t = parse("2026-11-23T10:00:00Z").unwrap();
        assert_eq!(format(t), "2026-11-23T10:00:00Z");
        assert_eq!(parse("2026-11-23T11:00:00+01:00"), Some(t));
        assert!(parse("2026-11-23").is_none());
        assert!(parse("yesterday").is_none());
    }

    #[test]
    fn agrees_with_jiff_where_jiff_reads_it() {
        for text in [
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999Z",
            "2000-02-29T12:34:56.5+05:30",
            "2026-11-23T10:00:00-23:59",
            "0001-01-01T00:00:00Z",
            "9999-12-30T00:00:00Z",
            "1900-03-01T00:00:00.123456Z",
            "2100-03-01T00:00:00.123456789Z",
        ] {
            let j: jiff::Timestamp = text.parse().unwrap();
            assert_eq!(parse(text), Some(j.as_microsecond()), "{text}");
            let back = format(j.as_microsecond());
            assert_eq!(parse(&back), Some(j.as_microsecond()), "{back}");
        }
    }

    #[test]
    fn the_edges() {
        let end = parse("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(format(end), "9999-12-31T23:59:59Z");
        assert!(parse("0000-01-01T00:00:00Z").is_some());
        assert!(parse("9999-12-31T23:59:59-23:59").is_some());
        assert!(
            parse_checked("2026-12-31T23:59:60Z")
                .unwrap_err()
                .contains("leap")
        );
        assert!(parse("2026-11-23T10:00:00+24:00").is_none());
        assert!(parse("2026-11-23T10:00:00+25:59").is_none());
        assert!(
            parse_checked("2026-11-23T10:00:00+0530")
                .unwrap_err()
                .contains("colon")
        );
        assert!(parse("2026-02-29T00:00:00Z").is_none());
        assert!(parse("2026-11-23 10:00:00Z").is_none());
        assert!(parse(" 2026-11-23T10:00:00Z").is_none());
        assert!(parse("2026-11-23T10:00:00.Z").is_none());
        assert!(parse("2026-11-23T10:00:00.1234567890Z").is_none());
        assert!(parse("2026-11-23T10:00:00").is_none());
    }
}

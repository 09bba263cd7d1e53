//! Date-time parsing for `registeredAt` arguments: turns the four documented formats into
//! milliseconds since the Unix epoch (UTC) with a hand-written civil-date conversion (no chrono).
//!
//! Accepted (and nothing else):
//! * `2018-06-18T22:28:28+00:00` — any `+HH:MM` or `-HH:MM` offset (hours 00-23, minutes 00-59);
//! * `2018-06-18T22:28:28Z`;
//! * `2018-06-18T22:28:28` — taken as UTC;
//! * `2018-06-18` — midnight UTC.
//!
//! Years are four digits (0000-9999), months 01-12, days checked against the month (leap years
//! included), hours 00-23, minutes and seconds 00-59 (no leap seconds).

const MS_PER_DAY: i64 = 86_400_000;

/// Parses one of the documented `registeredAt` formats into Unix milliseconds (UTC).
/// The error is a short reason suitable for a parse-error message.
pub(crate) fn parse_timestamp(text: &str) -> Result<i64, &'static str> {
    if !text.is_ascii() {
        return Err("non-ASCII character");
    }
    let b = text.as_bytes();
    if b.len() < 10 {
        return Err("too short for YYYY-MM-DD");
    }
    let days = parse_date(&b[..10])?;
    let rest = &b[10..];
    if rest.is_empty() {
        return Ok(days * MS_PER_DAY);
    }
    if rest[0] != b'T' {
        return Err("expected 'T' between the date and the time");
    }
    if rest.len() < 9 {
        return Err("time must be hh:mm:ss");
    }
    let secs = parse_time(&rest[1..9])?;
    let offset = parse_offset(&rest[9..])?;
    Ok(days * MS_PER_DAY + (secs - offset) * 1000)
}

/// Reads `len` ASCII digits at `start` as a number; `None` if any is not a digit.
fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let part = b.get(start..start + len)?;
    part.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// `YYYY-MM-DD` (exactly 10 bytes) → days since 1970-01-01.
fn parse_date(b: &[u8]) -> Result<i64, &'static str> {
    if b[4] != b'-' || b[7] != b'-' {
        return Err("date must be YYYY-MM-DD");
    }
    let (Some(year), Some(month), Some(day)) = (digits(b, 0, 4), digits(b, 5, 2), digits(b, 8, 2))
    else {
        return Err("date must be YYYY-MM-DD");
    };
    if !(1..=12).contains(&month) {
        return Err("month must be 01-12");
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range for the month");
    }
    Ok(days_from_civil(year, month, day))
}

/// `hh:mm:ss` (exactly 8 bytes) → seconds since midnight.
fn parse_time(b: &[u8]) -> Result<i64, &'static str> {
    if b[2] != b':' || b[5] != b':' {
        return Err("time must be hh:mm:ss");
    }
    let (Some(h), Some(m), Some(s)) = (digits(b, 0, 2), digits(b, 3, 2), digits(b, 6, 2)) else {
        return Err("time must be hh:mm:ss");
    };
    if h > 23 || m > 59 || s > 59 {
        return Err("time out of range");
    }
    Ok(h * 3600 + m * 60 + s)
}

/// `""`, `Z` or `±HH:MM` → offset east of UTC in seconds.
fn parse_offset(b: &[u8]) -> Result<i64, &'static str> {
    match b {
        [] | [b'Z'] => Ok(0),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (Some(h), Some(m)) = (digits(b, 1, 2), digits(b, 4, 2)) else {
                return Err("offset must be +HH:MM or -HH:MM");
            };
            if h > 23 || m > 59 {
                return Err("offset out of range");
            }
            let secs = h * 3600 + m * 60;
            Ok(if *sign == b'-' { -secs } else { secs })
        }
        _ => Err("expected 'Z', +HH:MM or -HH:MM after the time"),
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(parse_timestamp("1970-01-01"), Ok(0));
        assert_eq!(parse_timestamp("2018-06-18"), Ok(1_529_280_000_000));
        assert_eq!(
            parse_timestamp("2018-06-18T22:28:28Z"),
            Ok(1_529_360_908_000)
        );
        assert_eq!(parse_timestamp("2000-03-01"), Ok(951_868_800_000));
        assert_eq!(parse_timestamp("1969-12-31T23:59:59"), Ok(-1000));
    }

    #[test]
    fn all_four_formats_agree() {
        let z = parse_timestamp("2018-06-18T22:28:28Z");
        assert_eq!(parse_timestamp("2018-06-18T22:28:28+00:00"), z);
        assert_eq!(parse_timestamp("2018-06-18T22:28:28"), z);
        let midnight = parse_timestamp("2018-06-18T00:00:00Z");
        assert_eq!(parse_timestamp("2018-06-18"), midnight);
    }

    #[test]
    fn offsets_shift_to_utc() {
        let utc = parse_timestamp("2018-06-18T22:28:28Z");
        assert_eq!(parse_timestamp("2018-06-19T00:28:28+02:00"), utc);
        assert_eq!(parse_timestamp("2018-06-18T17:58:28-04:30"), utc);
    }

    #[test]
    fn leap_years() {
        assert!(parse_timestamp("2020-02-29").is_ok());
        assert!(parse_timestamp("2000-02-29").is_ok());
        assert!(parse_timestamp("1900-02-29").is_err());
        assert!(parse_timestamp("2019-02-29").is_err());
        let feb28 = parse_timestamp("2020-02-28").unwrap_or(0);
        assert_eq!(parse_timestamp("2020-03-01"), Ok(feb28 + 2 * MS_PER_DAY));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2018",
            "2018-6-18",
            "2018-13-01",
            "2018-00-10",
            "2018-04-31",
            "2018-06-18T",
            "2018-06-18 22:28:28",
            "2018-06-18T24:00:00",
            "2018-06-18T22:60:00",
            "2018-06-18T22:28:60",
            "2018-06-18T22:28:28+0000",
            "2018-06-18T22:28:28+24:00",
            "2018-06-18T22:28:28z",
            "2018-06-18T22:28:28.5Z",
            "2018-06-18x",
            "２018-06-18",
            "+018-06-18",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}

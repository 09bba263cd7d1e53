//! Wall-clock dates for simulated times: civil-date arithmetic by hand (no wall clock, no crate).
//!
//! Timestamps render as ISO 8601 UTC with milliseconds (`2025-01-01T00:00:05.000Z`), the AWS
//! CLI's `iso8601` timestamp format.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso8601(unix_ms: i64) -> String {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (s, ms) = (rest / 1000, rest % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z")
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` or `YYYY-MM-DD` into Unix milliseconds.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut dp = date.splitn(3, '-');
    let y: i64 = dp.next()?.parse().ok()?;
    let m: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let day_ms = days_from_civil(y, m, d) * 86_400_000;
    match time {
        None => Some(day_ms),
        Some(t) => Some(day_ms + parse_time_of_day(t)?),
    }
}

fn parse_time_of_day(t: &str) -> Option<i64> {
    let (clock, offset_ms) = if let Some(c) = t.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = t.rfind(['+', '-']) {
        let (c, off) = t.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        let mins = oh.parse::<i64>().ok()? * 60 + om.parse::<i64>().ok()?;
        (c, sign * mins * 60_000)
    } else {
        (t, 0)
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut p = hms.splitn(3, ':');
    let h: i64 = p.next()?.parse().ok()?;
    let mi: i64 = p.next()?.parse().ok()?;
    let s: i64 = p.next().unwrap_or("0").parse().ok()?;
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let ms: i64 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
    Some(((h * 60 + mi) * 60 + s) * 1000 + ms - offset_ms)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_dates() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_iso8601("2025-01-01T00:00:00Z"),
            Some(1_735_689_600_000)
        );
        assert_eq!(iso8601(1_735_689_600_000), "2025-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_735_689_605_123), "2025-01-01T00:00:05.123Z");
        assert_eq!(parse_iso8601("2024-02-29"), Some(1_709_164_800_000));
    }

    #[test]
    fn offsets_and_fractions() {
        let z = parse_iso8601("2018-06-18T22:28:28Z").unwrap();
        assert_eq!(parse_iso8601("2018-06-18T22:28:28+00:00"), Some(z));
        assert_eq!(parse_iso8601("2018-06-19T00:28:28+02:00"), Some(z));
        assert_eq!(parse_iso8601("2018-06-18T22:28:28"), Some(z));
        assert_eq!(parse_iso8601("2018-06-18T22:28:28.5Z"), Some(z + 500));
    }

    #[test]
    fn rejects_bad_dates() {
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-01-01T25:00:00Z",
            "nope",
            "2023-01",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}

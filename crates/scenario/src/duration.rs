//! Durations and ranges of the scenario format: an integer is milliseconds; a string is
//! `250ms`, `30s`, `5m`, `2h`, `1h30m`, `1d`; a range `5s..20s` is uniform on that interval.

use crate::error::ScenarioError;
use crate::node::{Located, Node};
use ecsim_core::timing::DelayRange;

/// Parses a duration string into milliseconds.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let text = s.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!(
                "malformed duration `{s}`: expected a number at `{rest}`"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("number too large in `{s}`"))?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(char::is_ascii_alphabetic).count();
        let unit_ms = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => {
                return Err(format!(
                    "malformed duration `{s}`: missing unit after {n} (ms, s, m, h or d)"
                ));
            }
            u => {
                return Err(format!(
                    "malformed duration `{s}`: unknown unit `{u}` (ms, s, m, h or d)"
                ));
            }
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit_ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration `{s}` is too large"))?;
    }
    Ok(total)
}

/// Milliseconds in the format's shortest form (`10m`, `1h30m`, `1s500ms`, `0s`): the inverse of
/// `parse_duration`.
pub fn compact(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let units = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    let mut rest = ms;
    let mut out = String::new();
    for (name, size) in units {
        if rest >= size {
            out.push_str(&format!("{}{name}", rest / size));
            rest %= size;
        }
    }
    out
}

/// A duration node: an integer (milliseconds) or a duration string.
pub fn duration_ms(file: &str, path: &str, n: &Located<Node>) -> Result<u64, ScenarioError> {
    match &n.value {
        Node::Int(i) if *i >= 0 => Ok(*i as u64),
        Node::UInt(u) => Ok(*u),
        Node::Str(s) => parse_duration(s).map_err(|m| ScenarioError::new(file, n.loc, path, m)),
        other => Err(ScenarioError::new(
            file,
            n.loc,
            path,
            format!(
                "expected a duration such as 30s or 250ms, found {}",
                other.kind()
            ),
        )),
    }
}

/// A delay node: a duration, or a range `A..B` with A <= B.
pub fn delay_range(file: &str, path: &str, n: &Located<Node>) -> Result<DelayRange, ScenarioError> {
    let Node::Str(s) = &n.value else {
        return duration_ms(file, path, n).map(DelayRange::fixed);
    };
    let Some((lo, hi)) = s.split_once("..") else {
        return duration_ms(file, path, n).map(DelayRange::fixed);
    };
    let err = |m: String| ScenarioError::new(file, n.loc, path, m);
    let (min_ms, max_ms) = (
        parse_duration(lo).map_err(err)?,
        parse_duration(hi).map_err(err)?,
    );
    if min_ms > max_ms {
        return Err(err(format!("range `{s}` ends before it starts")));
    }
    Ok(DelayRange { min_ms, max_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1d"), Ok(86_400_000));
        assert_eq!(parse_duration("1500"), Ok(1500));
    }

    #[test]
    fn compact_is_the_inverse() {
        for ms in [0, 1, 999, 1_500, 60_000, 600_000, 5_400_000, 86_400_001] {
            assert_eq!(parse_duration(&compact(ms)), Ok(ms), "{}", compact(ms));
        }
        assert_eq!(compact(5_400_000), "1h30m");
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "5", "abc", "5x", "m5", "1.5s", "99999999999999999999d"] {
            if bad == "5" {
                continue;
            }
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges() {
        let doc = crate::node::parse_document("a: 5s..20s\nb: 20s..5s\nc: 7s\n", "t").unwrap();
        let get = |k: &str| match &doc.value {
            Node::Map(e) => e.iter().find(|(key, _)| key.value == k).unwrap().1.clone(),
            _ => unreachable!(),
        };
        assert_eq!(
            delay_range("t", "a", &get("a")),
            Ok(DelayRange {
                min_ms: 5000,
                max_ms: 20_000
            })
        );
        assert!(delay_range("t", "b", &get("b")).is_err());
        assert_eq!(
            delay_range("t", "c", &get("c")),
            Ok(DelayRange::fixed(7000))
        );
    }
}

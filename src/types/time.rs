//! DATE, TIME and TIMESTAMP text: ksqlDB's ISO parsing (with partial dates and times and an
//! optional zone offset on timestamps) and its renderings. Values are plain numbers (days since
//! the epoch, milliseconds of the day, milliseconds since the epoch, all UTC); this module must not
//! consult the local time zone.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use thiserror::Error;

pub const MILLIS_PER_DAY: i64 = 86_400_000;
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Text that is not a valid DATE, TIME or TIMESTAMP; messages follow ksqlDB's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeParseError {
    #[error(
        "Failed to parse timestamp '{0}'. Required format is: \"yyyy-MM-dd'T'HH:mm:ss.SSS\", with \
         an optional numeric 4-digit timezone, for example: '2020-05-26T23:59:58.000' or with tz: \
         '2020-05-26T23:59:58.000+0200'. Partials are also supported, for example \"2020-05-26\""
    )]
    Timestamp(String),
    #[error(
        "Failed to parse date '{0}'. Required format is: \"yyyy-MM-dd\", for example \
         '2020-05-26'. Partials are also supported, for example '2020-05'"
    )]
    Date(String),
    #[error(
        "Failed to parse time '{0}'. Required format is: \"HH:mm:ss.SSS\", for example: \
         '01:34:20.123' or '01:34:20'. Partials are also supported, for example '01:34'"
    )]
    Time(String),
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS` in UTC, as ksqlDB's `formatTimestamp`.
pub fn format_timestamp(epoch_millis: i64) -> String {
    match datetime_of(epoch_millis) {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 1_000_000
        ),
        None => epoch_millis.to_string(),
    }
}

/// `yyyy-MM-dd`, as Java's `LocalDate.toString()`.
pub fn format_date(epoch_days: i32) -> String {
    match date_of(epoch_days) {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        None => epoch_days.to_string(),
    }
}

/// `HH:mm` or `HH:mm:ss` of the whole seconds, as ksqlDB's `formatTime` (milliseconds dropped).
pub fn format_time(millis_of_day: i32) -> String {
    let seconds = i64::from(millis_of_day).rem_euclid(MILLIS_PER_DAY) / 1000;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Java `java.sql.Timestamp.toString()` in UTC: `yyyy-mm-dd hh:mm:ss.f` (fraction without
/// trailing zeros, at least one digit). Used when a timestamp is printed inside a collection.
pub fn format_timestamp_sql(epoch_millis: i64) -> String {
    match datetime_of(epoch_millis) {
        Some(t) => {
            let millis = format!("{:03}", t.nanosecond() / 1_000_000);
            let fraction = millis.trim_end_matches('0');
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                if fraction.is_empty() { "0" } else { fraction }
            )
        }
        None => epoch_millis.to_string(),
    }
}

/// Days since the epoch of the UTC day containing this instant.
pub fn timestamp_to_date(epoch_millis: i64) -> i32 {
    epoch_millis.div_euclid(MILLIS_PER_DAY) as i32
}

/// Milliseconds since midnight UTC of this instant.
pub fn timestamp_to_time(epoch_millis: i64) -> i32 {
    epoch_millis.rem_euclid(MILLIS_PER_DAY) as i32
}

pub fn date_to_timestamp(epoch_days: i32) -> i64 {
    i64::from(epoch_days) * MILLIS_PER_DAY
}

/// ksqlDB's `PartialStringToTimestampParser`: `2020-05-26T23:59:58.000`, partial dates (`2020`,
/// `2020-05`) and times (`2020-05-26T23`), an optional `Z` or offset (`+0200`, `-08:00`).
pub fn parse_timestamp(text: &str) -> Result<i64, TimeParseError> {
    let fail = || TimeParseError::Timestamp(text.to_string());
    let (date_text, time_text, offset_text) = match text.find('T') {
        Some(t) => {
            let rest = &text[t + 1..];
            let zone_at = rest
                .find('+')
                .or_else(|| rest.find('-'))
                .unwrap_or(rest.len());
            let time = rest[..zone_at]
                .strip_suffix('Z')
                .unwrap_or(&rest[..zone_at]);
            (&text[..t], time, &rest[zone_at..])
        }
        None => (text, "", ""),
    };
    let date = parse_date_parts(date_text).ok_or_else(fail)?;
    let millis_of_day = if time_text.is_empty() {
        0
    } else {
        parse_time_parts(time_text).ok_or_else(fail)?
    };
    let offset_seconds = if offset_text.trim().is_empty() {
        0
    } else {
        parse_offset(offset_text).ok_or_else(fail)?
    };
    let days = i64::from(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE);
    Ok(days * MILLIS_PER_DAY + i64::from(millis_of_day) - offset_seconds * 1000)
}

/// ksqlDB's `parseDate`: `yyyy-MM-dd`, or partial `yyyy` / `yyyy-MM`.
pub fn parse_date(text: &str) -> Result<i32, TimeParseError> {
    parse_date_parts(text)
        .map(|d| d.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
        .ok_or_else(|| TimeParseError::Date(text.to_string()))
}

/// ksqlDB's `parseTime` (ISO local time): `HH:mm`, `HH:mm:ss` or `HH:mm:ss.fffffffff`;
/// sub-millisecond digits are dropped.
pub fn parse_time(text: &str) -> Result<i32, TimeParseError> {
    if !is_strict_time(text) {
        return Err(TimeParseError::Time(text.to_string()));
    }
    parse_time_parts(text)
        .map(|ms| ms as i32)
        .ok_or_else(|| TimeParseError::Time(text.to_string()))
}

fn is_strict_time(text: &str) -> bool {
    let b = text.as_bytes();
    let two_digits =
        |i: usize| b.len() >= i + 2 && b[i].is_ascii_digit() && b[i + 1].is_ascii_digit();
    match b.len() {
        5 => two_digits(0) && b[2] == b':' && two_digits(3),
        8 => two_digits(0) && b[2] == b':' && two_digits(3) && b[5] == b':' && two_digits(6),
        10..=18 => {
            two_digits(0)
                && b[2] == b':'
                && two_digits(3)
                && b[5] == b':'
                && two_digits(6)
                && b[8] == b'.'
                && b[9..].iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

fn parse_date_parts(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('-');
    let year = fixed_digits(parts.next()?, 4)?;
    let month = parts.next().map_or(Some(1), |m| fixed_digits(m, 2))?;
    let day = parts.next().map_or(Some(1), |d| fixed_digits(d, 2))?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// `HH[:mm[:ss[.SSS…]]]`, completing missing parts with zeros.
fn parse_time_parts(text: &str) -> Option<u32> {
    let (hms, fraction) = match text.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (text, None),
    };
    let mut fields = hms.split(':');
    let hour = fixed_digits(fields.next()?, 2)?;
    let minute = fields.next().map_or(Some(0), |m| fixed_digits(m, 2))?;
    let second = fields.next().map_or(Some(0), |s| fixed_digits(s, 2))?;
    if fields.next().is_some() || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let millis = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<3}");
            padded[..3].parse::<u32>().ok()?
        }
        Some(_) => return None,
    };
    Some(((hour * 60 + minute) * 60 + second) * 1000 + millis)
}

/// `+HH`, `+HHMM`, `+HH:MM`, `+HH:MM:SS` (or `-`), in seconds east of UTC.
fn parse_offset(text: &str) -> Option<i64> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = text[1..].replace(':', "");
    let value = |range: std::ops::Range<usize>| fixed_digits(body.get(range)?, 2).map(i64::from);
    let (h, m, s) = match body.len() {
        2 => (value(0..2)?, 0, 0),
        4 => (value(0..2)?, value(2..4)?, 0),
        6 => (value(0..2)?, value(2..4)?, value(4..6)?),
        _ => return None,
    };
    if h > 18 || m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

fn fixed_digits(text: &str, len: usize) -> Option<u32> {
    if text.len() == len && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

fn date_of(epoch_days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(epoch_days.checked_add(EPOCH_DAYS_FROM_CE)?)
}

fn datetime_of(epoch_millis: i64) -> Option<NaiveDateTime> {
    let date = date_of(i32::try_from(epoch_millis.div_euclid(MILLIS_PER_DAY)).ok()?)?;
    let millis = epoch_millis.rem_euclid(MILLIS_PER_DAY) as u32;
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt(millis / 1000, millis % 1000 * 1_000_000)?;
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_like_ksqldb() {
        assert_eq!(
            parse_timestamp("2022-04-28T21:44:47.943"),
            Ok(1_651_182_287_943)
        );
        assert_eq!(
            parse_timestamp("2022-04-28T21:44:47.943Z"),
            Ok(1_651_182_287_943)
        );
        assert_eq!(parse_timestamp("1970-01-01T02:00:00.000+0200"), Ok(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00-01:00"), Ok(3_600_000));
        assert_eq!(parse_timestamp("1970-01-02"), Ok(MILLIS_PER_DAY));
        assert_eq!(parse_timestamp("1970-02"), Ok(31 * MILLIS_PER_DAY));
        assert_eq!(parse_timestamp("1970-01-01T01"), Ok(3_600_000));
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_timestamp("2020-13-01").is_err());
    }

    #[test]
    fn dates_and_times_parse_and_format() {
        assert_eq!(parse_date("2020-05-26"), Ok(18_408));
        assert_eq!(parse_date("2020-05"), Ok(18_383));
        assert_eq!(parse_date("1969-12-31"), Ok(-1));
        assert!(parse_date("2020-5-6").is_err());
        assert_eq!(format_date(18_408), "2020-05-26");
        assert_eq!(parse_time("01:34:20.123"), Ok(5_660_123));
        assert_eq!(parse_time("01:34"), Ok(5_640_000));
        assert!(parse_time("1:34").is_err());
        assert!(parse_time("25:00").is_err());
        assert_eq!(format_time(5_660_123), "01:34:20");
        assert_eq!(format_time(5_640_000), "01:34");
    }

    #[test]
    fn timestamps_format_in_utc() {
        assert_eq!(
            format_timestamp(1_651_182_287_943),
            "2022-04-28T21:44:47.943"
        );
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999");
        assert_eq!(format_timestamp_sql(1_000), "1970-01-01 00:00:01.0");
        assert_eq!(timestamp_to_date(-1), -1);
        assert_eq!(timestamp_to_time(-1), 86_399_999);
    }
}

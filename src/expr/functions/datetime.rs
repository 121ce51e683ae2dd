//! Date and time text: PARSE_/FORMAT_ TIMESTAMP, DATE and TIME with Java patterns (and the
//! older STRINGTOTIMESTAMP, TIMESTAMPTOSTRING, STRINGTODATE, DATETOSTRING), and CONVERT_TZ;
//! the clock, conversions and unit arithmetic are in [`super::time_arith`]. A
//! literal pattern or zone is resolved once at the call site; zones are [`Zone`]s (fixed
//! offsets, or regions from the bundled time-zone database).

use std::borrow::Cow;

use chrono::{DateTime, NaiveDateTime};

use super::java_format::JavaFormat;
use super::zones::Zone;
use super::{CallSite, FnImpl, fail, str_arg, try_f};
use crate::expr::compile::EvalError;
use crate::types::Value;
use crate::types::time::MILLIS_PER_DAY;

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    let name = site.name;
    match name {
        "CONVERT_TZ" => {
            let (from, to) = (ZoneArg::at(site, 1), ZoneArg::at(site, 2));
            try_f(move |a| {
                let Some(Value::Timestamp(t)) = a.first() else {
                    return Ok(Value::Null);
                };
                let (Some(from), Some(to)) = (from.get(a, "CONVERT_TZ")?, to.get(a, "CONVERT_TZ")?)
                else {
                    return Ok(Value::Null);
                };
                let shift = to.offset_at(*t).0 - from.offset_at(*t).0;
                Ok(Value::Timestamp(t.wrapping_add(i64::from(shift) * 1000)))
            })
        }
        "PARSE_TIMESTAMP" | "STRINGTOTIMESTAMP" => {
            let pattern = Format::at(site, 1);
            let zone_arg = (site.args.len() > 2).then(|| ZoneArg::at(site, 2));
            let as_bigint = name == "STRINGTOTIMESTAMP";
            let name = if as_bigint {
                "STRINGTOTIMESTAMP"
            } else {
                "PARSE_TIMESTAMP"
            };
            try_f(move |a| {
                let (Some(text), Some(format)) = (str_arg(a, 0), pattern.get(a, name)?) else {
                    return Ok(Value::Null);
                };
                let failed = |e: String| {
                    EvalError::Function(format!(
                        "Failed to parse timestamp '{text}' with formatter '{}': {e}",
                        pattern.text(a)
                    ))
                };
                let zoned = format.parse_zoned(text).map_err(failed)?;
                let local = zoned.parsed.local.and_utc().timestamp_millis();
                let millis = match (zoned.parsed.offset_seconds, zoned.zone_name) {
                    (Some(offset), _) => local - i64::from(offset) * 1000,
                    (None, Some(zone_name)) => Zone::from_text_name(&zone_name)
                        .map_err(failed)?
                        .local_to_utc(local),
                    (None, None) => match &zone_arg {
                        None => local,
                        Some(zone) => match zone.get(a, name)? {
                            Some(zone) => zone.local_to_utc(local),
                            None => return Ok(Value::Null),
                        },
                    },
                };
                Ok(if as_bigint {
                    Value::Bigint(millis)
                } else {
                    Value::Timestamp(millis)
                })
            })
        }
        "FORMAT_TIMESTAMP" | "TIMESTAMPTOSTRING" => {
            let pattern = Format::at(site, 1);
            let zone_arg = (site.args.len() > 2).then(|| ZoneArg::at(site, 2));
            // FORMAT_TIMESTAMP defaults to GMT; TIMESTAMPTOSTRING to the JVM's zone, UTC in weir.
            let default_zone = if name == "FORMAT_TIMESTAMP" {
                Zone::named("GMT").unwrap_or_else(|_| Zone::utc())
            } else {
                Zone::utc()
            };
            let name = "FORMAT_TIMESTAMP";
            try_f(move |a| {
                let millis = match a.first() {
                    Some(Value::Timestamp(t) | Value::Bigint(t)) => *t,
                    _ => return Ok(Value::Null),
                };
                let Some(format) = pattern.get(a, name)? else {
                    return Ok(Value::Null);
                };
                let zone = match &zone_arg {
                    None => std::borrow::Cow::Borrowed(&default_zone),
                    Some(z) => match z.get(a, name)? {
                        Some(zone) => zone,
                        None => return Ok(Value::Null),
                    },
                };
                let (offset, abbreviation) = zone.offset_at(millis);
                let local = datetime(millis.saturating_add(i64::from(offset) * 1000))?;
                Ok(Value::string(format.format(
                    &local,
                    offset,
                    (zone.id(), abbreviation.as_str()),
                )))
            })
        }
        "PARSE_DATE" | "STRINGTODATE" => {
            let pattern = Format::at(site, 1);
            // PARSE_DATE reads like `SimpleDateFormat` (text after the pattern is ignored, a
            // time of day is an error); STRINGTODATE like `LocalDate.parse`.
            let legacy = name == "STRINGTODATE";
            try_f(move |a| {
                let (Some(text), Some(format)) = (str_arg(a, 0), pattern.get(a, "PARSE_DATE")?)
                else {
                    return Ok(Value::Null);
                };
                let failed = |e: String| {
                    EvalError::Function(format!(
                        "Failed to parse date '{text}' with formatter '{}': {e}",
                        pattern.text(a)
                    ))
                };
                let parsed = if legacy {
                    format.parse(text)
                } else {
                    format.parse_prefix(text)
                }
                .map_err(failed)?;
                let seconds = parsed.local.and_utc().timestamp();
                if !legacy
                    && (seconds.rem_euclid(86_400) != 0
                        || parsed.local.and_utc().timestamp_subsec_nanos() != 0)
                {
                    return Err(failed("Date format contains time field.".into()));
                }
                let days = seconds.div_euclid(86_400) as i32;
                Ok(if legacy {
                    Value::Int(days)
                } else {
                    Value::Date(days)
                })
            })
        }
        "FORMAT_DATE" | "DATETOSTRING" => {
            let pattern = Format::at(site, 1);
            try_f(move |a| {
                let days = match a.first() {
                    Some(Value::Date(d) | Value::Int(d)) => *d,
                    _ => return Ok(Value::Null),
                };
                let Some(format) = pattern.get(a, "FORMAT_DATE")? else {
                    return Ok(Value::Null);
                };
                let local = datetime(i64::from(days) * MILLIS_PER_DAY)?;
                Ok(Value::string(format.format(&local, 0, ("UTC", "UTC"))))
            })
        }
        "PARSE_TIME" => {
            let pattern = Format::at(site, 1);
            try_f(move |a| {
                let (Some(text), Some(format)) = (str_arg(a, 0), pattern.get(a, "PARSE_TIME")?)
                else {
                    return Ok(Value::Null);
                };
                let failed = |e: String| {
                    EvalError::Function(format!(
                        "Failed to parse time '{text}' with formatter '{}': {e}",
                        pattern.text(a)
                    ))
                };
                if format.has_date_field() {
                    return Err(failed("Time format contains date field.".into()));
                }
                let parsed = format.parse(text).map_err(failed)?;
                let millis = parsed
                    .local
                    .and_utc()
                    .timestamp_millis()
                    .rem_euclid(MILLIS_PER_DAY);
                Ok(Value::Time(millis as i32))
            })
        }
        "FORMAT_TIME" => {
            let pattern = Format::at(site, 1);
            try_f(move |a| {
                let Some(Value::Time(t)) = a.first() else {
                    return Ok(Value::Null);
                };
                let Some(format) = pattern.get(a, "FORMAT_TIME")? else {
                    return Ok(Value::Null);
                };
                let local = datetime(i64::from(*t))?;
                Ok(Value::string(format.format(&local, 0, ("UTC", "UTC"))))
            })
        }
        _ => None,
    }
}

fn datetime(millis: i64) -> Result<NaiveDateTime, EvalError> {
    DateTime::from_timestamp_millis(millis)
        .map(|t| t.naive_utc())
        .ok_or_else(|| EvalError::Function(format!("timestamp {millis} is out of range")))
}

/// A time-zone argument: resolved at the call site when it is a literal.
enum ZoneArg {
    Fixed(Result<Option<Zone>, String>),
    PerRecord(usize),
}

impl ZoneArg {
    fn at(site: &CallSite<'_>, i: usize) -> ZoneArg {
        match site.literal_str(i) {
            Some(None) => ZoneArg::Fixed(Ok(None)),
            Some(Some(id)) => ZoneArg::Fixed(Zone::named(&id).map(Some)),
            None => ZoneArg::PerRecord(i),
        }
    }

    fn get(&self, a: &[Value], name: &str) -> Result<Option<Cow<'_, Zone>>, EvalError> {
        match self {
            ZoneArg::Fixed(Ok(zone)) => Ok(zone.as_ref().map(Cow::Borrowed)),
            ZoneArg::Fixed(Err(e)) => Err(fail(name, e)),
            ZoneArg::PerRecord(i) => match str_arg(a, *i) {
                None => Ok(None),
                Some(id) => Zone::named(id)
                    .map(|z| Some(Cow::Owned(z)))
                    .map_err(|e| fail(name, e)),
            },
        }
    }
}

/// A pattern argument: tokenized at the call site when it is a literal.
enum Format {
    Fixed(Result<Option<JavaFormat>, String>),
    PerRecord(usize),
}

impl Format {
    fn at(site: &CallSite<'_>, i: usize) -> Format {
        match site.literal_str(i) {
            Some(None) => Format::Fixed(Ok(None)),
            Some(Some(text)) => Format::Fixed(JavaFormat::new(&text).map(Some)),
            None => Format::PerRecord(i),
        }
    }

    fn get(
        &self,
        a: &[Value],
        name: &str,
    ) -> Result<Option<std::borrow::Cow<'_, JavaFormat>>, EvalError> {
        use std::borrow::Cow;
        match self {
            Format::Fixed(Ok(f)) => Ok(f.as_ref().map(Cow::Borrowed)),
            Format::Fixed(Err(e)) => Err(fail(name, e)),
            Format::PerRecord(i) => match str_arg(a, *i) {
                None => Ok(None),
                Some(text) => JavaFormat::new(text)
                    .map(|f| Some(Cow::Owned(f)))
                    .map_err(|e| fail(name, e)),
            },
        }
    }

    fn text<'a>(&self, a: &'a [Value]) -> &'a str {
        match self {
            Format::Fixed(_) => a.get(1).and_then(Value::as_str).unwrap_or(""),
            Format::PerRecord(i) => str_arg(a, *i).unwrap_or(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::types::SqlType;

    #[test]
    fn parse_and_format_with_patterns() {
        assert_eq!(
            call(
                "STRINGTOTIMESTAMP",
                SqlType::Bigint,
                &[s("2018-05-11T21:58:33Z"), s("yyyy-MM-dd'T'HH:mm:ssX")]
            ),
            Ok(Value::Bigint(1526075913000))
        );
        assert_eq!(
            call(
                "PARSE_TIMESTAMP",
                SqlType::Timestamp,
                &[s("2018-05-11 21:58"), s("yyyy-MM-dd HH:mm"), s("+0100")]
            ),
            Ok(Value::Timestamp(1526072280000))
        );
        assert_eq!(
            call(
                "PARSE_DATE",
                SqlType::Date,
                &[s("11/05/2019"), s("dd/MM/yyyy")]
            ),
            Ok(Value::Date(18027))
        );
        assert_eq!(
            call(
                "STRINGTODATE",
                SqlType::Int,
                &[s("2018-05-11"), s("yyyy-MM-dd")]
            ),
            Ok(Value::Int(17662))
        );
        assert_eq!(
            call(
                "FORMAT_DATE",
                SqlType::String,
                &[(Value::Date(18993), SqlType::Date), s("dd-MMM-yyyy")]
            ),
            Ok(sv("01-Jan-2022"))
        );
        assert_eq!(
            call(
                "FORMAT_TIMESTAMP",
                SqlType::String,
                &[
                    (Value::Timestamp(1526075913000), SqlType::Timestamp),
                    s("yyyy-MM-dd HH:mm:ss"),
                    s("+02:00")
                ]
            ),
            Ok(sv("2018-05-11 23:58:33"))
        );
        assert_eq!(
            call("PARSE_TIME", SqlType::Time, &[s("10:30"), s("HH:mm")]),
            Ok(Value::Time(37_800_000))
        );
        assert_eq!(
            call(
                "FORMAT_TIME",
                SqlType::String,
                &[(Value::Time(37_800_000), SqlType::Time), s("HH.mm")]
            ),
            Ok(sv("10.30"))
        );
        assert!(call("PARSE_DATE", SqlType::Date, &[s("nope"), s("yyyy")]).is_err());
        assert_eq!(
            call(
                "PARSE_DATE",
                SqlType::Date,
                &[s("2003-12-24-01-01"), s("yyyy-MM-dd")]
            ),
            Ok(Value::Date(12410))
        );
        assert!(
            call(
                "PARSE_DATE",
                SqlType::Date,
                &[s("2003-12-24 10"), s("yyyy-MM-dd HH")]
            )
            .is_err()
        );
        assert!(call("PARSE_TIME", SqlType::Time, &[s("2003 10"), s("yyyy HH")]).is_err());
        assert!(
            call(
                "CONVERT_TZ",
                SqlType::Timestamp,
                &[
                    (Value::Timestamp(0), SqlType::Timestamp),
                    s("Mars/Base"),
                    s("UTC")
                ]
            )
            .is_err()
        );
    }

    #[test]
    fn default_and_fixed_zone_names() {
        let ts = (Value::Timestamp(1526075913000), SqlType::Timestamp);
        assert_eq!(
            call(
                "FORMAT_TIMESTAMP",
                SqlType::String,
                &[ts.clone(), s("HH:mm z")]
            ),
            Ok(sv("21:58 GMT"))
        );
        assert_eq!(
            call(
                "FORMAT_TIMESTAMP",
                SqlType::String,
                &[ts, s("HH:mm VV"), s("+0200")]
            ),
            Ok(sv("23:58 +02:00"))
        );
    }

    #[test]
    fn region_zones_parse_and_format() {
        assert_eq!(
            call(
                "CONVERT_TZ",
                SqlType::Timestamp,
                &[
                    (Value::Timestamp(100), SqlType::Timestamp),
                    s("+0200"),
                    s("+0500")
                ]
            ),
            Ok(Value::Timestamp(10_800_100))
        );
        assert_eq!(
            call(
                "PARSE_TIMESTAMP",
                SqlType::Timestamp,
                &[s("2018-05-11T21:58:33 PST"), s("yyyy-MM-dd'T'HH:mm:ss zzz")]
            ),
            Ok(Value::Timestamp(1526101113000))
        );
        assert_eq!(
            call(
                "TIMESTAMPTOSTRING",
                SqlType::String,
                &[
                    (Value::Bigint(1526075913000), SqlType::Bigint),
                    s("yyyy-MM-dd HH:mm:ss zzz"),
                    s("America/Los_Angeles")
                ]
            ),
            Ok(sv("2018-05-11 14:58:33 PDT"))
        );
        assert_eq!(
            call(
                "CONVERT_TZ",
                SqlType::Timestamp,
                &[
                    (Value::Timestamp(100), SqlType::Timestamp),
                    s("America/Los_Angeles"),
                    s("America/New_York")
                ]
            ),
            Ok(Value::Timestamp(10_800_100))
        );
    }
}

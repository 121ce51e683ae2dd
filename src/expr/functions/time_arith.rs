//! Date and time numbers: the current time (UNIX_TIMESTAMP, UNIX_DATE), conversions
//! (FROM_UNIXTIME, FROM_DAYS) and arithmetic with a time unit (DATEADD, TIMEADD, TIMESTAMPADD
//! and their SUB forms; the unit arrives as its length in milliseconds). Dates move by whole
//! days (truncated), times wrap around midnight, timestamps wrap like Java longs.

use super::{CallSite, FnImpl, f, int_arg};
use crate::types::Value;
use crate::types::time::MILLIS_PER_DAY;

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    let name = site.name;
    match name {
        "UNIX_TIMESTAMP" if site.args.is_empty() => f(|_| Value::Bigint(now_millis())),
        "UNIX_TIMESTAMP" => f(|a| temporal_millis(a.first()).map_or(Value::Null, Value::Bigint)),
        "UNIX_DATE" if site.args.is_empty() => {
            f(|_| Value::Int(now_millis().div_euclid(MILLIS_PER_DAY) as i32))
        }
        "UNIX_DATE" => f(|a| match a.first() {
            Some(Value::Date(d)) => Value::Int(*d),
            _ => Value::Null,
        }),
        "FROM_UNIXTIME" => f(|a| int_arg(a, 0).map_or(Value::Null, Value::Timestamp)),
        "FROM_DAYS" => f(|a| int_arg(a, 0).map_or(Value::Null, |d| Value::Date(d as i32))),
        "DATEADD" | "DATESUB" => {
            let sign = if name == "DATEADD" { 1 } else { -1 };
            f(move |a| match (int_arg(a, 0), int_arg(a, 1), a.get(2)) {
                (Some(unit), Some(n), Some(Value::Date(d))) => {
                    // TimeUnit.MILLISECONDS.toDays(date + unit.toMillis(n)): truncated days.
                    let day = i128::from(MILLIS_PER_DAY);
                    let total =
                        i128::from(*d) * day + sign as i128 * i128::from(n) * i128::from(unit);
                    Value::Date((total / day) as i32)
                }
                _ => Value::Null,
            })
        }
        "TIMEADD" | "TIMESUB" => {
            let sign = if name == "TIMEADD" { 1 } else { -1 };
            f(move |a| match (int_arg(a, 0), int_arg(a, 1), a.get(2)) {
                (Some(unit), Some(n), Some(Value::Time(t))) => {
                    let delta = (i128::from(n) * i128::from(unit))
                        .rem_euclid(i128::from(MILLIS_PER_DAY))
                        as i64;
                    Value::Time((i64::from(*t) + sign * delta).rem_euclid(MILLIS_PER_DAY) as i32)
                }
                _ => Value::Null,
            })
        }
        "TIMESTAMPADD" | "TIMESTAMPSUB" => {
            let sign = if name == "TIMESTAMPADD" { 1 } else { -1 };
            f(move |a| match (int_arg(a, 0), int_arg(a, 1), a.get(2)) {
                (Some(unit), Some(n), Some(Value::Timestamp(t))) => {
                    Value::Timestamp(t.wrapping_add(n.wrapping_mul(unit).wrapping_mul(sign)))
                }
                _ => Value::Null,
            })
        }
        _ => None,
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn temporal_millis(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Timestamp(t) | Value::Bigint(t) => Some(*t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::types::SqlType;

    #[test]
    fn arithmetic_with_units_and_zones() {
        let unit = |ms: i64| (Value::Bigint(ms), SqlType::Bigint);
        let day = MILLIS_PER_DAY;
        assert_eq!(
            call(
                "DATEADD",
                SqlType::Date,
                &[unit(day), i(10), (Value::Date(10), SqlType::Date)]
            ),
            Ok(Value::Date(20))
        );
        assert_eq!(
            call(
                "DATESUB",
                SqlType::Date,
                &[unit(1), i(5), (Value::Date(10), SqlType::Date)]
            ),
            Ok(Value::Date(9))
        );
        assert_eq!(
            call(
                "TIMEADD",
                SqlType::Time,
                &[
                    unit(3_600_000),
                    i(2),
                    (Value::Time(23 * 3_600_000), SqlType::Time)
                ]
            ),
            Ok(Value::Time(3_600_000))
        );
        assert_eq!(
            call(
                "TIMESTAMPSUB",
                SqlType::Timestamp,
                &[
                    unit(1),
                    (Value::Bigint(5), SqlType::Bigint),
                    (Value::Timestamp(10), SqlType::Timestamp)
                ]
            ),
            Ok(Value::Timestamp(5))
        );
        assert_eq!(
            call(
                "UNIX_DATE",
                SqlType::Int,
                &[(Value::Date(7), SqlType::Date)]
            ),
            Ok(Value::Int(7))
        );
        assert_eq!(
            call("FROM_DAYS", SqlType::Date, &[i(7)]),
            Ok(Value::Date(7))
        );
    }
}

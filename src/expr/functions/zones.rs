//! Time zones for the date/time functions, named as Java's `ZoneId.of` names them:
//! `UTC`/`GMT`/`Z`, fixed offsets (`+0200`, `-08:00`, `GMT+2`) and region ids
//! (`America/Los_Angeles`, exact case). Regions come from the IANA time-zone database that
//! `jiff` bundles into the binary, so answers do not depend on the host's `/usr/share/zoneinfo`
//! (a container may have none, or slim files), and they hold after a zone's last listed
//! transition too, where the database's recurring rule (the TZif footer) applies: New York is
//! on daylight time in July 2040. An unknown id is an error naming the id.

use jiff::Timestamp;
use jiff::tz::{TimeZone, TimeZoneOffsetInfo};

/// A time zone: a fixed offset or a region's history of offsets.
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    Fixed { id: String, seconds: i32 },
    Region { id: String, tz: TimeZone },
}

/// A zone's abbreviation at an instant: a fixed zone's id, or a region's (`PDT`, `CET`).
pub enum Abbreviation<'z> {
    Fixed(&'z str),
    Region(TimeZoneOffsetInfo<'z>),
}

impl Abbreviation<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            Abbreviation::Fixed(id) => id,
            Abbreviation::Region(info) => info.abbreviation(),
        }
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone::Fixed {
            id: "UTC".into(),
            seconds: 0,
        }
    }

    /// The zone with this id, as Java's `ZoneId.of` accepts it.
    pub fn named(id: &str) -> Result<Zone, String> {
        if let Some(seconds) = fixed_offset(id) {
            return Ok(Zone::Fixed {
                id: normalized_fixed_id(id, seconds),
                seconds,
            });
        }
        let unknown = || format!("Unknown time-zone ID: {id}");
        // jiff matches names regardless of case and knows `Etc/Unknown`; Java does neither.
        let tz = TimeZone::get(id).map_err(|_| unknown())?;
        if tz.iana_name() != Some(id) || id == "Etc/Unknown" {
            return Err(unknown());
        }
        Ok(Zone::Region {
            id: id.to_string(),
            tz,
        })
    }

    /// The zone a parsed zone name (`PST`, `UTC`, `Europe/Paris`) stands for.
    pub fn from_text_name(name: &str) -> Result<Zone, String> {
        let region = match name.to_ascii_uppercase().as_str() {
            "PST" | "PDT" | "PT" => "America/Los_Angeles",
            "MST" | "MDT" | "MT" => "America/Denver",
            "CST" | "CDT" | "CT" => "America/Chicago",
            "EST" | "EDT" | "ET" => "America/New_York",
            "BST" => "Europe/London",
            "CET" | "CEST" => "Europe/Paris",
            _ => name,
        };
        Zone::named(region)
    }

    /// The id the zone was named by.
    pub fn id(&self) -> &str {
        match self {
            Zone::Fixed { id, .. } | Zone::Region { id, .. } => id,
        }
    }

    /// The offset from UTC, in seconds, at `epoch_millis`, and the zone's abbreviation then.
    /// Instants beyond jiff's range (years -9999 to 9999) take the offset at its end.
    pub fn offset_at(&self, epoch_millis: i64) -> (i32, Abbreviation<'_>) {
        match self {
            Zone::Fixed { id, seconds } => (*seconds, Abbreviation::Fixed(id)),
            Zone::Region { tz, .. } => {
                let at = Timestamp::from_millisecond(epoch_millis).unwrap_or(if epoch_millis < 0 {
                    Timestamp::MIN
                } else {
                    Timestamp::MAX
                });
                let info = tz.to_offset_info(at);
                (info.offset().seconds(), Abbreviation::Region(info))
            }
        }
    }

    /// The UTC instant of a local date-time given in milliseconds as if it were UTC; in an
    /// overlap the earlier offset wins, in a gap the offset before it.
    pub fn local_to_utc(&self, local_millis: i64) -> i64 {
        let (first, _) = self.offset_at(local_millis);
        let guess = local_millis - i64::from(first) * 1000;
        let (second, _) = self.offset_at(guess);
        if second == first {
            return guess;
        }
        let other = local_millis - i64::from(second) * 1000;
        if self.offset_at(other).0 == second {
            guess.min(other)
        } else {
            guess
        }
    }
}

/// Java's normalized id of a fixed zone: `+02:00`, `Z` for a bare zero offset, `UTC+02:00`, or
/// the prefix alone (`GMT`).
fn normalized_fixed_id(id: &str, seconds: i32) -> String {
    let z = id.trim();
    let prefix = ["UTC", "GMT", "UT"]
        .into_iter()
        .find(|p| z.starts_with(p))
        .unwrap_or("");
    let rest = &z[prefix.len()..];
    if rest.is_empty() {
        return if prefix.is_empty() {
            "Z".into()
        } else {
            prefix.into()
        };
    }
    if seconds == 0 && prefix.is_empty() {
        return "Z".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let (h, m) = (seconds.abs() / 3600, seconds.abs() / 60 % 60);
    format!("{prefix}{sign}{h:02}:{m:02}")
}

/// `UTC`, `GMT`, `UT`, `Z`, or one of them followed by (or just) `+h`, `+hh`, `+hhmm`, `+hh:mm`.
pub fn fixed_offset(zone: &str) -> Option<i32> {
    let z = zone.trim();
    let rest = ["UTC", "GMT", "UT"]
        .iter()
        .find_map(|p| z.strip_prefix(p))
        .unwrap_or(z);
    if rest.is_empty() || rest == "Z" {
        return Some(0);
    }
    let sign = match rest.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let body = rest[1..].replace(':', "");
    if body.is_empty() || body.len() > 4 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = if body.len() <= 2 {
        (body.parse().ok()?, 0)
    } else {
        let split = body.len() - 2;
        (body[..split].parse().ok()?, body[split..].parse().ok()?)
    };
    (h <= 18 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_offsets() {
        assert_eq!(fixed_offset("UTC"), Some(0));
        assert_eq!(fixed_offset("+0200"), Some(7200));
        assert_eq!(fixed_offset("-08:00"), Some(-28800));
        assert_eq!(fixed_offset("GMT+2"), Some(7200));
        assert_eq!(fixed_offset("+0530"), Some(19800));
        assert_eq!(fixed_offset("Mars/Base"), None);
        assert!(Zone::named("../etc/passwd").is_err());
        assert_eq!(Zone::named("+0200").unwrap().id(), "+02:00");
        assert_eq!(Zone::named("GMT").unwrap().id(), "GMT");
        assert_eq!(Zone::named("UTC-5").unwrap().id(), "UTC-05:00");
        assert_eq!(Zone::named("+00:00").unwrap().id(), "Z");
    }

    /// Milliseconds since the epoch of a UTC date at noon.
    fn noon_utc(year: i32, month: u32, day: u32) -> i64 {
        chrono::NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap()
    }

    fn offset(zone: &str, millis: i64) -> (i32, String) {
        let zone = Zone::named(zone).unwrap();
        let (seconds, abbreviation) = zone.offset_at(millis);
        (seconds, abbreviation.as_str().to_owned())
    }

    #[test]
    fn regions_from_the_bundled_database() {
        let la = Zone::named("America/Los_Angeles").unwrap();
        assert_eq!(la.id(), "America/Los_Angeles");
        // 2018-05-11T21:58:33Z is in daylight time, 2018-01-11 in standard time.
        assert_eq!(
            offset("America/Los_Angeles", 1_526_075_913_000),
            (-25200, "PDT".into())
        );
        assert_eq!(
            offset("America/Los_Angeles", 1_515_707_913_000),
            (-28800, "PST".into())
        );
        // 2018-05-11T21:58:33 local is 2018-05-12T04:58:33Z.
        assert_eq!(la.local_to_utc(1_526_075_913_000), 1_526_101_113_000);
    }

    #[test]
    fn rules_hold_after_the_last_listed_transition() {
        let ny = "America/New_York";
        assert_eq!(offset(ny, noon_utc(2040, 7, 1)), (-4 * 3600, "EDT".into()));
        assert_eq!(offset(ny, noon_utc(2040, 1, 15)), (-5 * 3600, "EST".into()));
        assert_eq!(offset(ny, noon_utc(2399, 7, 1)).0, -4 * 3600);
        // The southern hemisphere: Sydney's summer is daylight time.
        let sydney = "Australia/Sydney";
        assert_eq!(
            offset(sydney, noon_utc(2040, 1, 15)),
            (11 * 3600, "AEDT".into())
        );
        assert_eq!(
            offset(sydney, noon_utc(2040, 7, 1)),
            (10 * 3600, "AEST".into())
        );
        // 2040-07-01T12:00 in New York is 16:00 UTC; in the autumn overlap (2040-11-04,
        // 01:30 twice) the earlier offset wins, in the spring gap (2040-03-11, 02:30) the
        // offset before it, as in Java's `ZonedDateTime.ofLocal`.
        let ny = Zone::named(ny).unwrap();
        let hour = 3_600_000;
        assert_eq!(
            ny.local_to_utc(noon_utc(2040, 7, 1)),
            noon_utc(2040, 7, 1) + 4 * hour
        );
        let overlap = noon_utc(2040, 11, 4) - 21 * hour / 2;
        assert_eq!(ny.local_to_utc(overlap), overlap + 4 * hour);
        let gap = noon_utc(2040, 3, 11) - 19 * hour / 2;
        assert_eq!(ny.local_to_utc(gap), gap + 5 * hour);
        // Far beyond the database's range the offset at its end holds.
        assert_eq!(
            ny.offset_at(i64::MAX).0,
            ny.offset_at(253_402_300_799_000).0
        );
    }

    #[test]
    fn unknown_ids_are_errors_naming_them() {
        for id in [
            "Mars/Base",
            "america/new_york",
            "Etc/Unknown",
            "posix/UTC",
            "EST5",
        ] {
            assert_eq!(
                Zone::named(id),
                Err(format!("Unknown time-zone ID: {id}")),
                "{id:?}"
            );
        }
        // A function names itself before the message, as it always did.
        use super::super::test_support::{call, s};
        use crate::types::{SqlType, Value};
        assert_eq!(
            call(
                "CONVERT_TZ",
                SqlType::Timestamp,
                &[
                    (Value::Timestamp(0), SqlType::Timestamp),
                    s("UTC"),
                    s("Mars/Base")
                ]
            ),
            Err(crate::expr::compile::EvalError::Function(
                "CONVERT_TZ: Unknown time-zone ID: Mars/Base".into()
            ))
        );
    }
}

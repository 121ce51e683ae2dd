//! Time zones for the date/time functions: `UTC`/`GMT`/`Z`, fixed offsets (`+0200`, `-08:00`,
//! `GMT+2`) and region ids (`America/Los_Angeles`) read once from the system's compiled
//! time-zone database (`/usr/share/zoneinfo`, TZif files) and cached for the process. A region
//! answers the offset and abbreviation in force at an instant from its transition table; after
//! the last transition the last rule holds (the TZif footer's recurring rule is not evaluated).
//! An unknown id, or a host without the database, is an error naming the id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Where region zones are read from.
const ZONEINFO: &str = "/usr/share/zoneinfo";

/// A time zone: a fixed offset or a region's history of offsets.
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    Fixed { id: String, seconds: i32 },
    Region(Arc<Region>),
}

#[derive(Debug, PartialEq)]
pub struct Region {
    id: String,
    /// Transition instants (seconds since the epoch) and the local type index from then on.
    transitions: Vec<(i64, usize)>,
    /// Local time types: UTC offset in seconds and abbreviation.
    types: Vec<(i32, String)>,
    /// The type before the first transition.
    initial: usize,
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
        static CACHE: OnceLock<Mutex<HashMap<String, Arc<Region>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(region) = cache.lock().ok().and_then(|c| c.get(id).cloned()) {
            return Ok(Zone::Region(region));
        }
        let region = Arc::new(load_region(id)?);
        if let Ok(mut c) = cache.lock() {
            c.insert(id.to_string(), region.clone());
        }
        Ok(Zone::Region(region))
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
            Zone::Fixed { id, .. } => id,
            Zone::Region(r) => &r.id,
        }
    }

    /// The offset from UTC, in seconds, at `epoch_millis`, and the zone's abbreviation then.
    pub fn offset_at(&self, epoch_millis: i64) -> (i32, &str) {
        match self {
            Zone::Fixed { id, seconds } => (*seconds, id.as_str()),
            Zone::Region(r) => {
                let at = epoch_millis.div_euclid(1000);
                let index = r.transitions.partition_point(|(t, _)| *t <= at);
                let ty = if index == 0 {
                    r.initial
                } else {
                    r.transitions[index - 1].1
                };
                r.types
                    .get(ty)
                    .map_or((0, r.id.as_str()), |(o, abbr)| (*o, abbr.as_str()))
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

fn load_region(id: &str) -> Result<Region, String> {
    let unknown = || format!("Unknown time-zone ID: {id}");
    let valid = !id.is_empty()
        && !id.starts_with('/')
        && !id
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c));
    if !valid {
        return Err(unknown());
    }
    let data = std::fs::read(format!("{ZONEINFO}/{id}")).map_err(|_| unknown())?;
    parse_tzif(id, &data).ok_or_else(unknown)
}

/// Reads a TZif file (version 2+ 64-bit data when present).
fn parse_tzif(id: &str, data: &[u8]) -> Option<Region> {
    let header = |at: usize| -> Option<(u8, [usize; 6])> {
        if data.get(at..at + 4)? != b"TZif" {
            return None;
        }
        let version = *data.get(at + 4)?;
        let mut counts = [0usize; 6];
        for (i, count) in counts.iter_mut().enumerate() {
            let start = at + 20 + i * 4;
            *count = u32::from_be_bytes(data.get(start..start + 4)?.try_into().ok()?) as usize;
        }
        Some((version, counts))
    };
    // counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    let (version, v1) = header(0)?;
    let block_len = |c: [usize; 6], time_size: usize| {
        c[3] * time_size + c[3] + c[4] * 6 + c[5] + c[2] * (time_size + 4) + c[1] + c[0]
    };
    let (start, counts, time_size) = if version >= b'2' {
        let second = 44 + block_len(v1, 4);
        let (_, v2) = header(second)?;
        (second + 44, v2, 8)
    } else {
        (44, v1, 4)
    };
    let [_, _, _, timecnt, typecnt, charcnt] = counts;
    let mut at = start;
    let mut times = Vec::with_capacity(timecnt);
    for _ in 0..timecnt {
        let bytes = data.get(at..at + time_size)?;
        times.push(if time_size == 8 {
            i64::from_be_bytes(bytes.try_into().ok()?)
        } else {
            i64::from(i32::from_be_bytes(bytes.try_into().ok()?))
        });
        at += time_size;
    }
    let indices = data.get(at..at + timecnt)?;
    at += timecnt;
    let mut raw_types = Vec::with_capacity(typecnt);
    for _ in 0..typecnt {
        let b = data.get(at..at + 6)?;
        raw_types.push((i32::from_be_bytes(b[..4].try_into().ok()?), b[5] as usize));
        at += 6;
    }
    let chars = data.get(at..at + charcnt)?;
    let types = raw_types
        .into_iter()
        .map(|(offset, abbr_at)| {
            let tail = chars.get(abbr_at..).unwrap_or_default();
            let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
            (offset, String::from_utf8_lossy(&tail[..end]).into_owned())
        })
        .collect::<Vec<_>>();
    if types.is_empty() {
        return None;
    }
    let transitions = times
        .into_iter()
        .zip(indices.iter().map(|&i| i as usize))
        .filter(|(_, i)| *i < types.len())
        .collect();
    Some(Region {
        id: id.to_string(),
        transitions,
        types,
        initial: 0,
    })
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

    #[test]
    fn regions_from_the_system_database() {
        // Skipped quietly on hosts without a zoneinfo database.
        let Ok(la) = Zone::named("America/Los_Angeles") else {
            return;
        };
        // 2018-05-11T21:58:33Z is in daylight time, 2018-01-11 in standard time.
        assert_eq!(la.offset_at(1_526_075_913_000), (-25200, "PDT"));
        assert_eq!(la.offset_at(1_515_707_913_000), (-28800, "PST"));
        // 2018-05-11T21:58:33 local is 2018-05-12T04:58:33Z.
        assert_eq!(la.local_to_utc(1_526_075_913_000), 1_526_101_113_000);
    }
}

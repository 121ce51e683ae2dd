//! Java `DateTimeFormatter` patterns (`yyyy-MM-dd'T'HH:mm:ss.SSSX`) for the date/time
//! functions: a pattern is tokenized once ([`JavaFormat::new`]) and then formats or parses
//! many values. Supported letters: `y u M L d D H h k K m s S n a E X x Z` and quoted text; an
//! unsupported letter is an error naming it. Parsing fills missing fields with 1970-01-01
//! 00:00, as ksqlDB's parsers default them, and returns the local date-time plus the offset
//! the text carried, if any. Parsing ignores case, as ksqlDB's parsers do. English month and
//! day names only.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Text(String),
    Field(char, usize),
}

/// A tokenized pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct JavaFormat {
    pattern: String,
    tokens: Vec<Token>,
}

/// What parsing read: the local date-time and the offset in seconds the text named.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parsed {
    pub local: NaiveDateTime,
    pub offset_seconds: Option<i32>,
}

/// A parse result with the zone name the text carried (`z`, `VV`), if any.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedZoned {
    pub parsed: Parsed,
    pub zone_name: Option<String>,
}

impl JavaFormat {
    pub fn new(pattern: &str) -> Result<JavaFormat, String> {
        let mut tokens = Vec::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                let mut text = String::new();
                i += 1;
                if chars.get(i) == Some(&'\'') {
                    tokens.push(Token::Text("'".into()));
                    i += 1;
                    continue;
                }
                while i < chars.len() {
                    if chars[i] == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            text.push('\'');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    text.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(format!(
                        "Unknown pattern letter or unterminated quote in: {pattern}"
                    ));
                }
                i += 1;
                tokens.push(Token::Text(text));
            } else if c.is_ascii_alphabetic() {
                let mut n = 1;
                while chars.get(i + n) == Some(&c) {
                    n += 1;
                }
                if !"yuMLdDHhkKmsSnaEXxZzV".contains(c) {
                    return Err(format!("Unsupported pattern letter: {c}"));
                }
                tokens.push(Token::Field(c, n));
                i += n;
            } else {
                tokens.push(Token::Text(c.to_string()));
                i += 1;
            }
        }
        Ok(JavaFormat {
            pattern: pattern.to_string(),
            tokens,
        })
    }

    /// Formats a date-time shown at `offset_seconds` from UTC in a zone with this id and
    /// current abbreviation.
    pub fn format(&self, t: &NaiveDateTime, offset_seconds: i32, zone: (&str, &str)) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Text(s) => out.push_str(s),
                Token::Field('z', _) => out.push_str(zone.1),
                Token::Field('V', _) => out.push_str(zone.0),
                Token::Field(c, n) => format_field(&mut out, *c, *n, t, offset_seconds),
            }
        }
        out
    }

    /// Whether the pattern has a zone-name field (`z`, `VV`).
    pub fn has_zone_name(&self) -> bool {
        self.tokens
            .iter()
            .any(|t| matches!(t, Token::Field('z' | 'V', _)))
    }

    /// Parses all of `text`, also returning a zone name it carried.
    pub fn parse_zoned(&self, text: &str) -> Result<ParsedZoned, String> {
        let mut zone_name = None;
        let parsed = self.parse_with(text, false, &mut zone_name)?;
        Ok(ParsedZoned { parsed, zone_name })
    }

    /// Parses text in this pattern; all of it must match.
    pub fn parse(&self, text: &str) -> Result<Parsed, String> {
        self.parse_from(text, false)
    }

    /// Parses a prefix of `text`, ignoring what follows (`SimpleDateFormat.parse`).
    pub fn parse_prefix(&self, text: &str) -> Result<Parsed, String> {
        self.parse_from(text, true)
    }

    /// Whether the pattern has a date field (year, month, day, weekday).
    pub fn has_date_field(&self) -> bool {
        self.tokens
            .iter()
            .any(|t| matches!(t, Token::Field(c, _) if "yuMLdDE".contains(*c)))
    }

    fn parse_from(&self, text: &str, allow_trailing: bool) -> Result<Parsed, String> {
        self.parse_with(text, allow_trailing, &mut None)
    }

    fn parse_with(
        &self,
        text: &str,
        allow_trailing: bool,
        zone_name: &mut Option<String>,
    ) -> Result<Parsed, String> {
        let fail = || {
            format!(
                "Text '{text}' could not be parsed with pattern '{}'",
                self.pattern
            )
        };
        let mut p = Fields::default();
        let mut rest = text;
        for (index, token) in self.tokens.iter().enumerate() {
            let next_is_number = matches!(
                self.tokens.get(index + 1),
                Some(Token::Field(c, _)) if "yuMLdDHhkKmsSn".contains(*c)
            );
            match token {
                Token::Text(s) => rest = rest.strip_prefix(s.as_str()).ok_or_else(fail)?,
                Token::Field('z' | 'V', _) => {
                    let len = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || "/_+-".contains(c)))
                        .unwrap_or(rest.len());
                    if len == 0 {
                        return Err(fail());
                    }
                    *zone_name = Some(rest[..len].to_string());
                    rest = &rest[len..];
                }
                Token::Field(c, n) => {
                    rest = p.read(*c, *n, rest, next_is_number).ok_or_else(fail)?;
                }
            }
        }
        if !rest.is_empty() && !allow_trailing {
            return Err(fail());
        }
        p.build().ok_or_else(fail)
    }
}

fn format_field(out: &mut String, c: char, n: usize, t: &NaiveDateTime, offset: i32) {
    let num = |out: &mut String, v: i64, width: usize| out.push_str(&format!("{v:0width$}"));
    match c {
        'y' | 'u' if n == 2 => num(out, i64::from(t.year().rem_euclid(100)), 2),
        'y' | 'u' => num(out, i64::from(t.year()), n),
        'M' | 'L' if n >= 4 => out.push_str(MONTHS[t.month0() as usize]),
        'M' | 'L' if n == 3 => out.push_str(&MONTHS[t.month0() as usize][..3]),
        'M' | 'L' => num(out, i64::from(t.month()), n),
        'd' => num(out, i64::from(t.day()), n),
        'D' => num(out, i64::from(t.ordinal()), n),
        'H' => num(out, i64::from(t.hour()), n),
        'k' => num(out, i64::from(if t.hour() == 0 { 24 } else { t.hour() }), n),
        'h' => num(out, i64::from((t.hour() + 11) % 12 + 1), n),
        'K' => num(out, i64::from(t.hour() % 12), n),
        'm' => num(out, i64::from(t.minute()), n),
        's' => num(out, i64::from(t.second()), n),
        'S' => {
            let nanos = format!("{:09}", t.nanosecond() % 1_000_000_000);
            let digits: String = nanos
                .chars()
                .chain(std::iter::repeat('0'))
                .take(n)
                .collect();
            out.push_str(&digits);
        }
        'n' => num(out, i64::from(t.nanosecond()), n),
        'a' => out.push_str(if t.hour() < 12 { "AM" } else { "PM" }),
        'E' if n >= 4 => out.push_str(DAYS[t.weekday().num_days_from_monday() as usize]),
        'E' => out.push_str(&DAYS[t.weekday().num_days_from_monday() as usize][..3]),
        'X' | 'x' | 'Z' => {
            if offset == 0 && c == 'X' {
                out.push('Z');
                return;
            }
            let sign = if offset < 0 { '-' } else { '+' };
            let (h, m) = (offset.abs() / 3600, offset.abs() / 60 % 60);
            match (c, n) {
                ('X' | 'x', 1) if m == 0 => out.push_str(&format!("{sign}{h:02}")),
                ('X' | 'x', 1 | 2) | ('Z', 1..=3) => out.push_str(&format!("{sign}{h:02}{m:02}")),
                _ => out.push_str(&format!("{sign}{h:02}:{m:02}")),
            }
        }
        _ => {}
    }
}

#[derive(Default)]
struct Fields {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    day_of_year: Option<u32>,
    hour: Option<u32>,
    pm: Option<bool>,
    hour12: Option<u32>,
    minute: Option<u32>,
    second: Option<u32>,
    nanos: Option<u32>,
    offset: Option<i32>,
}

impl Fields {
    fn read<'t>(&mut self, c: char, n: usize, text: &'t str, fixed: bool) -> Option<&'t str> {
        let number = |text: &'t str, min: usize, max: usize| -> Option<(i64, &'t str)> {
            let (sign, body) = match text.strip_prefix('-') {
                Some(b) if c == 'y' || c == 'u' => (-1, b),
                _ => (1, text),
            };
            let len = body
                .bytes()
                .take(max)
                .take_while(u8::is_ascii_digit)
                .count();
            if len < min {
                return None;
            }
            Some((sign * body[..len].parse::<i64>().ok()?, &body[len..]))
        };
        let width = |default_max: usize| {
            if fixed {
                (n, n.max(1))
            } else {
                (n, default_max.max(n))
            }
        };
        match c {
            'y' | 'u' => {
                let (min, max) = if n == 2 { (2, 2) } else { width(10) };
                let (v, rest) = number(text, min, max)?;
                self.year = Some(if n == 2 { 2000 + v as i32 } else { v as i32 });
                Some(rest)
            }
            'M' | 'L' if n >= 3 => {
                let (month, rest) = name_prefix(text, &MONTHS, n == 3)?;
                self.month = Some(month as u32 + 1);
                Some(rest)
            }
            'E' => name_prefix(text, &DAYS, n < 4).map(|(_, rest)| rest),
            'a' => {
                let upper = text.get(..2)?.to_ascii_uppercase();
                self.pm = Some(match upper.as_str() {
                    "AM" => false,
                    "PM" => true,
                    _ => return None,
                });
                Some(&text[2..])
            }
            'S' => {
                let (v, rest) = number(text, n, n)?;
                self.nanos = Some((v as u64 * 10u64.pow(9u32.saturating_sub(n as u32))) as u32);
                Some(rest)
            }
            'X' | 'x' | 'Z' => {
                // ksqlDB parses case-insensitively: `z` is UTC too.
                if let Some(rest) = text.strip_prefix(['Z', 'z']).filter(|_| c != 'x') {
                    self.offset = Some(0);
                    return Some(rest);
                }
                let sign = match text.chars().next()? {
                    '+' => 1,
                    '-' => -1,
                    _ => return None,
                };
                let body = &text[1..];
                let digits = |s: &'t str, k: usize| -> Option<(i32, &'t str)> {
                    let d = s
                        .get(..k)
                        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
                    Some((d.parse().ok()?, &s[k..]))
                };
                let (h, mut rest) = digits(body, 2)?;
                let mut m = 0;
                if let Some(after) = rest.strip_prefix(':') {
                    let (mm, r) = digits(after, 2)?;
                    m = mm;
                    rest = r;
                } else if let Some((mm, r)) = digits(rest, 2) {
                    m = mm;
                    rest = r;
                }
                self.offset = Some(sign * (h * 3600 + m * 60));
                Some(rest)
            }
            _ => {
                let (min, max) = width(if c == 'D' || c == 'n' { 9 } else { 2 });
                let (v, rest) = number(text, min.min(max), max)?;
                let v = u32::try_from(v).ok()?;
                match c {
                    'M' | 'L' => self.month = Some(v),
                    'd' => self.day = Some(v),
                    'D' => self.day_of_year = Some(v),
                    'H' => self.hour = Some(v),
                    'k' => self.hour = Some(v % 24),
                    'h' => self.hour12 = Some(v % 12),
                    'K' => self.hour12 = Some(v),
                    'm' => self.minute = Some(v),
                    's' => self.second = Some(v),
                    'n' => self.nanos = Some(v),
                    _ => return None,
                }
                Some(rest)
            }
        }
    }

    fn build(&self) -> Option<Parsed> {
        let year = self.year.unwrap_or(1970);
        let date = match self.day_of_year {
            Some(doy) => NaiveDate::from_yo_opt(year, doy)?,
            None => NaiveDate::from_ymd_opt(year, self.month.unwrap_or(1), self.day.unwrap_or(1))?,
        };
        let hour = match (self.hour, self.hour12) {
            (Some(h), _) => h,
            (None, Some(h)) => h + if self.pm == Some(true) { 12 } else { 0 },
            (None, None) => 0,
        };
        let time = NaiveTime::from_hms_nano_opt(
            hour,
            self.minute.unwrap_or(0),
            self.second.unwrap_or(0),
            self.nanos.unwrap_or(0),
        )?;
        Some(Parsed {
            local: NaiveDateTime::new(date, time),
            offset_seconds: self.offset,
        })
    }
}

/// Matches a (case-insensitive) English name, or its three-letter abbreviation.
fn name_prefix<'t>(text: &'t str, names: &[&str], short: bool) -> Option<(usize, &'t str)> {
    names.iter().enumerate().find_map(|(i, name)| {
        let candidate = if short { &name[..3] } else { name };
        let head = text.get(..candidate.len())?;
        head.eq_ignore_ascii_case(candidate)
            .then(|| (i, &text[candidate.len()..]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_milli_opt(h, mi, s, ms)
            .unwrap()
    }

    #[test]
    fn formats_java_patterns() {
        let t = at(2022, 1, 1, 13, 5, 9, 42);
        let f = |p: &str| JavaFormat::new(p).unwrap().format(&t, 0, ("UTC", "UTC"));
        assert_eq!(f("yyyy-MM-dd'T'HH:mm:ss.SSS"), "2022-01-01T13:05:09.042");
        assert_eq!(f("dd-MMM-yyyy hh a"), "01-Jan-2022 01 PM");
        assert_eq!(f("EEEE, MMMM d ''yy"), "Saturday, January 1 '22");
        let zoned = JavaFormat::new("HH:mmXXX z").unwrap();
        assert_eq!(
            zoned.format(&t, 7200, ("Europe/Paris", "CEST")),
            "13:05+02:00 CEST"
        );
        assert!(JavaFormat::new("yyyy-qq").is_err());
    }

    #[test]
    fn parses_with_defaults_and_offsets() {
        let p = |pattern: &str, text: &str| JavaFormat::new(pattern).unwrap().parse(text);
        assert_eq!(
            p("dd/MM/yyyy", "11/05/2019").unwrap().local,
            at(2019, 5, 11, 0, 0, 0, 0)
        );
        assert_eq!(
            p("dd-MMM-yyyy", "01-Jan-2022").unwrap().local,
            at(2022, 1, 1, 0, 0, 0, 0)
        );
        let parsed = p("yyyy-MM-dd'T'HH:mm:ssX", "2018-05-11T21:58:33Z").unwrap();
        assert_eq!(
            (parsed.local, parsed.offset_seconds),
            (at(2018, 5, 11, 21, 58, 33, 0), Some(0))
        );
        let parsed = p("yyyyMMddHHmmssSSSZ", "20180511215833123-0130").unwrap();
        assert_eq!(
            (parsed.local, parsed.offset_seconds),
            (at(2018, 5, 11, 21, 58, 33, 123), Some(-5400))
        );
        assert_eq!(
            p("HH:mm", "10:30").unwrap().local,
            at(1970, 1, 1, 10, 30, 0, 0)
        );
        assert!(p("yyyy-MM-dd", "2018-13-01").is_err());
        assert!(p("yyyy-MM-dd", "2018-01-01x").is_err());
    }
}

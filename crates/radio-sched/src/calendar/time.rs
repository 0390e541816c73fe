//! Date, date-time and duration values, and the time zones they are written in.
//!
//! A *stamp* is a local wall-clock time plus the zone it is read in: `…Z` values are in
//! UTC, `TZID=` values in that zone, floating values and all-day `DATE` values in the
//! calendar's default zone (`X-WR-TIMEZONE`, else the zone the caller passed). Keeping the
//! wall-clock time, not the instant, is what lets a weekly 22:00 show stay at 22:00 local
//! time across a DST change.
//!
//! Local times that do not exist (the spring-forward gap) move forward by the length of
//! the gap; local times that happen twice (fall-back) take the earlier instant.

use std::collections::HashMap;

use chrono::{LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::error::{CalendarError, snippet};
use super::ics::{Component, Property};
use crate::clock::Time;

/// A wall-clock time in a zone; `date_only` for `VALUE=DATE` (midnight, all-day).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stamp {
    pub naive: NaiveDateTime,
    pub tz: Tz,
    pub date_only: bool,
}

impl Stamp {
    /// The instant this stamp names (see the module docs for gaps and overlaps).
    pub fn instant(&self) -> Option<Time> {
        resolve_local(self.naive, self.tz)
    }
}

/// A length as iCalendar counts it: whole days on the wall clock (so a one-day event
/// across a DST change is 23 or 25 hours), then exact seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Length {
    pub days: i64,
    pub seconds: i64,
}

impl Length {
    /// The end of something of this length starting at wall-clock `naive` in `tz`, which
    /// is the instant `start`.
    pub fn end(&self, naive: NaiveDateTime, start: Time, tz: Tz) -> Option<Time> {
        let base = if self.days == 0 {
            start
        } else {
            resolve_local(
                naive.checked_add_signed(TimeDelta::try_days(self.days)?)?,
                tz,
            )?
        };
        base.checked_add_signed(TimeDelta::try_seconds(self.seconds)?)
    }

    /// An upper bound of the length in exact time (days may be 25 hours).
    pub fn upper_bound(&self) -> TimeDelta {
        TimeDelta::try_seconds(
            self.days
                .saturating_mul(90_000)
                .saturating_add(self.seconds)
                .clamp(0, 1 << 40),
        )
        .unwrap_or(TimeDelta::zero())
    }
}

/// The instant of wall-clock time `naive` in `tz`: gaps move forward, overlaps take the
/// earlier instant. `None` only outside chrono's range.
pub(crate) fn resolve_local(naive: NaiveDateTime, tz: Tz) -> Option<Time> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            // In a gap: read the wall clock with the offset in force before the gap, which
            // lands the same distance past the gap's end (02:30 in a 02:00→03:00 gap is
            // 03:30). A day earlier is before the gap for every real zone.
            let before = naive.checked_sub_signed(TimeDelta::try_days(1)?)?;
            let offset = tz.offset_from_utc_datetime(&before).fix().local_minus_utc();
            let utc = naive.checked_sub_signed(TimeDelta::try_seconds(i64::from(offset))?)?;
            Some(Utc.from_utc_datetime(&utc))
        }
    }
}

/// The wall-clock time of instant `t` in `tz`, clamped at the ends of chrono's range
/// (where `DateTime::naive_local` would panic).
pub(crate) fn to_local(t: Time, tz: Tz) -> NaiveDateTime {
    let utc = t.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    utc.checked_add_signed(TimeDelta::seconds(i64::from(offset)))
        .unwrap_or(utc)
}

/// Time zones a calendar can name: its default, and its `VTIMEZONE` TZIDs that map to a
/// zone we know.
#[derive(Debug, Clone)]
pub(crate) struct Zones {
    pub default: Tz,
    by_tzid: HashMap<String, Tz>,
}

impl Zones {
    /// Reads `X-WR-TIMEZONE` and the `VTIMEZONE`s of one `VCALENDAR`.
    ///
    /// An unknown `X-WR-TIMEZONE` is an error rather than a fallback to `default`: a
    /// wrong zone would silently move every floating show by hours.
    pub fn new(calendar: &Component, default: Tz) -> Result<Zones, CalendarError> {
        let default = match calendar.prop("X-WR-TIMEZONE") {
            Some(p) => {
                lookup_zone(p.value.trim()).ok_or_else(|| CalendarError::UnknownTimeZone {
                    line: p.line,
                    tzid: p.value.trim().to_string(),
                })?
            }
            None => default,
        };
        let mut by_tzid = HashMap::new();
        for vtz in calendar.children.iter().filter(|c| c.name == "VTIMEZONE") {
            let Some(tzid) = vtz.prop("TZID") else {
                continue;
            };
            let tzid = tzid.value.trim();
            let zone = lookup_zone(tzid).or_else(|| {
                vtz.prop("X-LIC-LOCATION")
                    .and_then(|p| lookup_zone(p.value.trim()))
            });
            if let Some(zone) = zone {
                by_tzid.insert(tzid.to_string(), zone);
            }
        }
        Ok(Zones { default, by_tzid })
    }

    fn get(&self, tzid: &str, line: usize) -> Result<Tz, CalendarError> {
        self.by_tzid
            .get(tzid)
            .copied()
            .or_else(|| lookup_zone(tzid))
            .ok_or_else(|| CalendarError::UnknownTimeZone {
                line,
                tzid: tzid.to_string(),
            })
    }
}

/// Windows zone names that Outlook/Exchange exports write as TZIDs, mapped to IANA.
const WINDOWS_ZONES: &[(&str, Tz)] = &[
    ("W. Europe Standard Time", Tz::Europe__Berlin),
    ("Central European Standard Time", Tz::Europe__Warsaw),
    ("Central Europe Standard Time", Tz::Europe__Budapest),
    ("Romance Standard Time", Tz::Europe__Paris),
    ("GMT Standard Time", Tz::Europe__London),
    ("Greenwich Standard Time", Tz::Atlantic__Reykjavik),
    ("E. Europe Standard Time", Tz::Europe__Chisinau),
    ("FLE Standard Time", Tz::Europe__Kiev),
    ("Eastern Standard Time", Tz::America__New_York),
    ("Central Standard Time", Tz::America__Chicago),
    ("Mountain Standard Time", Tz::America__Denver),
    ("Pacific Standard Time", Tz::America__Los_Angeles),
    ("AUS Eastern Standard Time", Tz::Australia__Sydney),
    ("Tokyo Standard Time", Tz::Asia__Tokyo),
    ("UTC", Tz::UTC),
    ("Coordinated Universal Time", Tz::UTC),
];

/// An IANA name (also behind a `/mozilla.org/…/` style prefix) or a Windows zone name.
pub(crate) fn lookup_zone(name: &str) -> Option<Tz> {
    let name = name.trim().trim_matches('"');
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    if let Some((_, tz)) = WINDOWS_ZONES
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(name))
    {
        return Some(*tz);
    }
    // "/citadel.org/20190101_1/Europe/Berlin": try ever shorter suffixes.
    let mut rest = name;
    while let Some((_, tail)) = rest.split_once('/') {
        if let Ok(tz) = tail.parse::<Tz>() {
            return Some(tz);
        }
        rest = tail;
    }
    None
}

/// `YYYYMMDD`.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    NaiveDate::from_ymd_opt(num(&s[0..4])? as i32, num(&s[4..6])?, num(&s[6..8])?)
}

/// `YYYYMMDDTHHMMSS`, with a flag for a trailing `Z`.
pub(crate) fn parse_date_time(s: &str) -> Option<(NaiveDateTime, bool)> {
    let (s, utc) = match s.strip_suffix(['Z', 'z']) {
        Some(s) => (s, true),
        None => (s, false),
    };
    let (date, time) = s.split_once(['T', 't'])?;
    let date = parse_date(date)?;
    if time.len() != 6 || !time.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let time = NaiveTime::from_hms_opt(num(&time[0..2])?, num(&time[2..4])?, num(&time[4..6])?)?;
    Some((date.and_time(time), utc))
}

fn num(s: &str) -> Option<u32> {
    s.parse().ok()
}

/// The values of a date or date-time property (`DTSTART`, `EXDATE`, `RDATE`, ...):
/// one per comma-separated item.
pub(crate) fn stamps(prop: &Property, zones: &Zones) -> Result<Vec<Stamp>, CalendarError> {
    let kind = prop.param("VALUE").map(str::to_ascii_uppercase);
    let tz = match prop.param("TZID") {
        Some(tzid) => Some(zones.get(tzid.trim(), prop.line)?),
        None => None,
    };
    let mut out = Vec::new();
    for item in prop.value.split(',') {
        let item = item.trim();
        // A PERIOD (`start/end` or `start/duration`) counts by its start.
        let item = match kind.as_deref() {
            Some("PERIOD") => item.split_once('/').map_or(item, |(start, _)| start),
            _ => item,
        };
        let is_date = kind.as_deref() == Some("DATE") || (kind.is_none() && item.len() == 8);
        if is_date {
            let date = parse_date(item)
                .ok_or_else(|| prop.error(format!("invalid date {}", snippet(item))))?;
            out.push(Stamp {
                naive: date.and_time(NaiveTime::MIN),
                tz: zones.default,
                date_only: true,
            });
        } else {
            let (naive, utc) = parse_date_time(item)
                .ok_or_else(|| prop.error(format!("invalid date-time {}", snippet(item))))?;
            let tz = if utc {
                Tz::UTC
            } else {
                tz.unwrap_or(zones.default)
            };
            out.push(Stamp {
                naive,
                tz,
                date_only: false,
            });
        }
    }
    Ok(out)
}

/// The single value of a date or date-time property.
pub(crate) fn stamp(prop: &Property, zones: &Zones) -> Result<Stamp, CalendarError> {
    let mut all = stamps(prop, zones)?;
    if all.len() != 1 {
        return Err(prop.error(format!(
            "expected one value, found {}",
            snippet(&prop.value)
        )));
    }
    Ok(all.remove(0))
}

/// A non-negative `DURATION` value: `P1W`, `P1DT2H`, `PT90M`, `+PT1H30M15S`.
pub(crate) fn parse_duration(s: &str) -> Option<Length> {
    let s = s.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    let mut rest = s.strip_prefix(['P', 'p'])?;
    let mut length = Length::default();
    let mut in_time = false;
    let mut any = false;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(['T', 't']) {
            if in_time {
                return None;
            }
            in_time = true;
            rest = r;
            continue;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?.to_ascii_uppercase();
        rest = &rest[digits + 1..];
        match (unit, in_time) {
            ('W', false) => length.days += n * 7,
            ('D', false) => length.days += n,
            ('H', true) => length.seconds += n * 3600,
            ('M', true) => length.seconds += n * 60,
            ('S', true) => length.seconds += n,
            _ => return None,
        }
        any = true;
    }
    any.then_some(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_moves_forward_overlap_takes_earlier() {
        let tz = Tz::Europe__Berlin;
        let gap = parse_date_time("20260329T023000").unwrap().0;
        assert_eq!(
            resolve_local(gap, tz).unwrap().to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        let twice = parse_date_time("20261025T023000").unwrap().0;
        assert_eq!(
            resolve_local(twice, tz).unwrap().to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("P1W"),
            Some(Length {
                days: 7,
                seconds: 0
            })
        );
        assert_eq!(
            parse_duration("PT1H30M"),
            Some(Length {
                days: 0,
                seconds: 5400
            })
        );
        assert_eq!(
            parse_duration("P1DT1S"),
            Some(Length {
                days: 1,
                seconds: 1
            })
        );
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("-PT1H"), None);
        assert_eq!(parse_duration("PT1D"), None);
        assert_eq!(parse_duration("P1H"), None);
    }

    #[test]
    fn zone_names() {
        assert_eq!(lookup_zone("Europe/Berlin"), Some(Tz::Europe__Berlin));
        assert_eq!(
            lookup_zone("W. Europe Standard Time"),
            Some(Tz::Europe__Berlin)
        );
        assert_eq!(
            lookup_zone("/mozilla.org/20050126_1/Europe/Berlin"),
            Some(Tz::Europe__Berlin)
        );
        assert_eq!(lookup_zone("Mars/Olympus"), None);
    }
}

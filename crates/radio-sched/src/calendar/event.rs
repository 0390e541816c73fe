//! `VEVENT` components: what they say, and their occurrences in a window.
//!
//! An event is a *master* (with `RRULE`/`RDATE`, or a one-off) or an *override* (same
//! `UID` plus `RECURRENCE-ID`), which replaces one occurrence of its master; an override
//! with `STATUS:CANCELLED` only removes it. [`super::Calendar`] links the two; here an
//! event only knows which of its occurrences were replaced.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use chrono_tz::Tz;

use super::error::{CalendarError, snippet};
use super::ics::{Component, Property, text_list, unescape};
use super::rrule::RRule;
use super::time::{Length, Stamp, Zones, parse_duration, resolve_local, stamp, stamps, to_local};
use super::{EventDetails, Occurrence, Person};
use crate::clock::Time;

#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub details: Arc<EventDetails>,
    pub start: Stamp,
    pub length: Length,
    pub rule: Option<RRule>,
    pub rdates: Vec<Stamp>,
    /// Excluded starts (`EXDATE` date-times).
    pub exdates: HashSet<Time>,
    /// Excluded local days (`EXDATE;VALUE=DATE` on a timed event).
    pub exdays: HashSet<NaiveDate>,
    pub recurrence_id: Option<Time>,
    /// Starts replaced or cancelled by overrides.
    pub replaced: HashSet<Time>,
    pub cancelled: bool,
}

impl Event {
    /// Reads one `VEVENT`.
    pub fn parse(c: &Component, zones: &Zones) -> Result<Event, CalendarError> {
        let text = |name: &str| {
            c.prop(name)
                .map(|p| unescape(&p.value))
                .filter(|s| !s.trim().is_empty())
        };
        let uid = text("UID").unwrap_or_else(|| format!("line-{}", c.line));
        let details = EventDetails {
            uid,
            summary: text("SUMMARY"),
            description: text("DESCRIPTION"),
            location: text("LOCATION"),
            organizer: c.prop("ORGANIZER").map(person),
            attendees: c.props("ATTENDEE").map(person).collect(),
            categories: c
                .props("CATEGORIES")
                .flat_map(|p| text_list(&p.value))
                .collect(),
            attachments: c
                .props("ATTACH")
                .filter(|p| {
                    p.param("VALUE")
                        .is_none_or(|v| !v.eq_ignore_ascii_case("BINARY"))
                })
                .map(|p| p.value.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect(),
        };

        let dtstart = c.prop("DTSTART").ok_or_else(|| CalendarError::Missing {
            line: c.line,
            component: "VEVENT".into(),
            property: "DTSTART".into(),
        })?;
        let start = stamp(dtstart, zones)?;
        let length = if let Some(p) = c.prop("DTEND") {
            end_length(start, stamp(p, zones)?, p)?
        } else if let Some(p) = c.prop("DURATION") {
            parse_duration(&p.value)
                .ok_or_else(|| p.error(format!("invalid duration {}", snippet(&p.value))))?
        } else if start.date_only {
            Length {
                days: 1,
                seconds: 0,
            }
        } else {
            Length::default()
        };

        let mut rules = c.props("RRULE");
        let rule = rules.next().map(RRule::parse).transpose()?;
        if let Some(extra) = rules.next() {
            return Err(extra.error("more than one RRULE in one VEVENT is not supported"));
        }
        let mut rdates = Vec::new();
        for p in c.props("RDATE") {
            rdates.extend(stamps(p, zones)?);
        }
        let mut exdates = HashSet::new();
        let mut exdays = HashSet::new();
        for p in c.props("EXDATE") {
            for ex in stamps(p, zones)? {
                if ex.date_only && !start.date_only {
                    exdays.insert(ex.naive.date());
                } else if let Some(t) = ex.instant() {
                    exdates.insert(t);
                }
            }
        }
        let recurrence_id = c
            .prop("RECURRENCE-ID")
            .map(|p| {
                stamp(p, zones)?
                    .instant()
                    .ok_or_else(|| p.error("date out of range"))
            })
            .transpose()?;
        let cancelled = c
            .prop("STATUS")
            .is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"));
        Ok(Event {
            details: Arc::new(details),
            start,
            length,
            rule,
            rdates,
            exdates,
            exdays,
            recurrence_id,
            replaced: HashSet::new(),
            cancelled,
        })
    }

    /// Pushes onto `out` the occurrences overlapping `[from, to)`, in no particular order,
    /// stopping when `out` holds `limit` items or `budget` runs out.
    pub fn expand(
        &self,
        from: Time,
        to: Time,
        budget: &mut u64,
        limit: usize,
        out: &mut Vec<Occurrence>,
    ) {
        let tz = self.start.tz;
        // The local window is widened by the event's length (an occurrence starting before
        // `from` may still run into it) and by two days for zone offsets and DST.
        let two_days = TimeDelta::days(2);
        let local = |t: Time| to_local(t, tz);
        let lfrom = local(
            from.checked_sub_signed(self.length.upper_bound() + two_days)
                .unwrap_or(from),
        );
        let lto = local(to.checked_add_signed(two_days).unwrap_or(to));

        let mut starts: Vec<(NaiveDateTime, Tz)> = Vec::new();
        match &self.rule {
            Some(rule) => {
                for naive in rule.expand(self.start.naive, tz, lfrom, lto, budget) {
                    if naive >= lfrom {
                        starts.push((naive, tz));
                    }
                }
            }
            None => starts.push((self.start.naive, tz)),
        }
        starts.extend(self.rdates.iter().map(|rd| (rd.naive, rd.tz)));

        let mut found: Vec<(Time, NaiveDateTime, Tz)> = starts
            .into_iter()
            .filter_map(|(naive, tz)| Some((resolve_local(naive, tz)?, naive, tz)))
            .filter(|(t, naive, _)| {
                !self.exdates.contains(t)
                    && !self.replaced.contains(t)
                    && !self.exdays.contains(&naive.date())
            })
            .collect();
        found.sort_unstable_by_key(|(t, _, _)| *t);
        found.dedup_by_key(|(t, _, _)| *t);
        for (start, naive, tz) in found {
            if out.len() >= limit {
                return;
            }
            let Some(end) = self.length.end(naive, start, tz) else {
                continue;
            };
            let overlaps = if end > start {
                start < to && end > from
            } else {
                start >= from && start < to
            };
            if overlaps {
                out.push(Occurrence {
                    start,
                    end,
                    all_day: self.start.date_only,
                    event: Arc::clone(&self.details),
                });
            }
        }
    }
}

fn end_length(start: Stamp, end: Stamp, p: &Property) -> Result<Length, CalendarError> {
    let before = || p.error(format!("DTEND {} is before DTSTART", snippet(&p.value)));
    if start.date_only && end.date_only {
        let days = (end.naive.date() - start.naive.date()).num_days();
        return match days {
            ..0 => Err(before()),
            // Some producers write DTEND = DTSTART for a one-day event.
            0 => Ok(Length {
                days: 1,
                seconds: 0,
            }),
            days => Ok(Length { days, seconds: 0 }),
        };
    }
    let (Some(s), Some(e)) = (start.instant(), end.instant()) else {
        return Err(p.error("date out of range"));
    };
    let seconds = (e - s).num_seconds();
    if seconds < 0 {
        return Err(before());
    }
    Ok(Length { days: 0, seconds })
}

/// `ORGANIZER`/`ATTENDEE`: `CN` and the address (`EMAIL=` parameter, else the `mailto:`
/// value), lower-cased.
fn person(p: &Property) -> Person {
    let value = p.value.trim();
    let address = match value.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &value[7..],
        _ => value,
    };
    let email = p
        .param("EMAIL")
        .or(Some(address).filter(|a| a.contains('@')))
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    Person {
        email,
        name: p
            .param("CN")
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        declined: p
            .param("PARTSTAT")
            .is_some_and(|s| s.eq_ignore_ascii_case("DECLINED")),
    }
}

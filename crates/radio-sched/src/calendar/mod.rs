//! Calendars: iCalendar text, recurrence rules, DJ air-time windows.
//!
//! A [`Calendar`] is read from iCalendar (`.ics`, RFC 5545) text — a file, or the body a
//! poller fetched from a URL such as a Google Calendar "secret address in iCal format".
//! Fetching is not done here. [`Calendar::occurrences`] expands it into concrete
//! [`Occurrence`]s (UTC instants) for a window; [`DjAuthorizer`] turns occurrences into
//! DJ air time, and [`Calendar::shows`] into pre-recorded shows.
//!
//! Vocabulary:
//! - an *event* is one `VEVENT`; a *recurring* event has `RRULE` and/or `RDATE`, minus
//!   `EXDATE`s; an *override* is a `VEVENT` with the same `UID` and a `RECURRENCE-ID`,
//!   which replaces that one occurrence (or removes it, with `STATUS:CANCELLED`);
//! - an *occurrence* is one concrete interval `[start, end)` of an event;
//! - the *default zone* reads floating times and all-day dates: the calendar's
//!   `X-WR-TIMEZONE`, else the zone the caller passes (the station's zone).
//!
//! Time zones are resolved by name with the IANA database (`chrono-tz`), so a `VTIMEZONE`
//! block is used only for its `TZID` (or `X-LIC-LOCATION`); a few common Windows zone
//! names are mapped too. All-day events run from local midnight to the local midnight
//! after their last day.
//!
//! Reading is bounded ([`MAX_INPUT`], [`MAX_EVENTS`], line length, nesting) and so is
//! expansion ([`MAX_OCCURRENCES`] per query, and a step budget per query), so hostile
//! text costs at most a bounded amount of time and memory. Errors name the line.
//!
//! ```
//! use radio_sched::calendar::Calendar;
//! use chrono::{TimeZone, Utc};
//!
//! let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Night shift\r\n\
//!            DTSTART;TZID=Europe/Berlin:20260302T220000\r\nDURATION:PT2H\r\n\
//!            RRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
//! let cal = Calendar::parse(ics, chrono_tz::UTC)?;
//! let from = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! let to = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
//! let shows = cal.occurrences(from, to);
//! assert_eq!(shows.len(), 5);
//! assert_eq!(shows[0].start, Utc.with_ymd_and_hms(2026, 3, 2, 21, 0, 0).unwrap());
//! // After the DST change on 29 March, 22:00 in Berlin is 20:00 UTC.
//! assert_eq!(shows[4].start, Utc.with_ymd_and_hms(2026, 3, 30, 20, 0, 0).unwrap());
//! # Ok::<(), radio_sched::calendar::CalendarError>(())
//! ```

mod auth;
mod error;
mod event;
mod ics;
mod rrule;
mod shows;
mod time;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use chrono_tz::Tz;

pub use auth::{AuthPolicy, AuthSettings, Dj, DjAuthorizer, Grant, KickDecision, Refusal};
pub use error::CalendarError;
pub use shows::ScheduledFromCalendar;

use crate::clock::Time;
use event::Event;

/// The largest calendar text accepted, in bytes.
pub const MAX_INPUT: usize = 16 * 1024 * 1024;
/// The most `VEVENT`s accepted in one calendar.
pub const MAX_EVENTS: usize = 50_000;
/// The most occurrences one query returns (the earliest are kept).
pub const MAX_OCCURRENCES: usize = 100_000;
/// Expansion steps (roughly, candidate days) one query may spend over all events.
const QUERY_BUDGET: u64 = 5_000_000;

/// Someone named by an event: its `ORGANIZER` or an `ATTENDEE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The e-mail address (`mailto:` removed), lower-case.
    pub email: Option<String>,
    /// The common name (`CN=`), as written.
    pub name: Option<String>,
    /// `PARTSTAT=DECLINED`: this attendee said they will not take part.
    pub declined: bool,
}

/// What an event says, shared by all its occurrences. Text is unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDetails {
    /// `UID` (or `line-N` when the event has none).
    pub uid: String,
    /// `SUMMARY`.
    pub summary: Option<String>,
    /// `DESCRIPTION`.
    pub description: Option<String>,
    /// `LOCATION`.
    pub location: Option<String>,
    /// `ORGANIZER`.
    pub organizer: Option<Person>,
    /// `ATTENDEE`s.
    pub attendees: Vec<Person>,
    /// `CATEGORIES`, all lines, split at commas.
    pub categories: Vec<String>,
    /// `ATTACH` URIs (inline binary attachments are skipped).
    pub attachments: Vec<String>,
}

/// One concrete occurrence of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    /// When it starts.
    pub start: Time,
    /// When it ends (exclusive); equal to `start` for an event with no length.
    pub end: Time,
    /// Whether the event is written with dates only (`VALUE=DATE`).
    pub all_day: bool,
    /// The event's details.
    pub event: Arc<EventDetails>,
}

/// A parsed calendar, ready to expand. Cheap to query repeatedly; replace it wholesale
/// when the source changes.
#[derive(Debug, Clone)]
pub struct Calendar {
    events: Vec<Event>,
    default_tz: Tz,
    name: Option<String>,
}

impl Calendar {
    /// Parses iCalendar text. `default_tz` reads floating times and all-day dates unless
    /// the calendar sets `X-WR-TIMEZONE`.
    ///
    /// # Errors
    /// [`CalendarError`] naming the line, for text that is not iCalendar, a `VEVENT`
    /// without `DTSTART`, an unreadable date, duration or rule, an unknown zone, or a
    /// limit crossed.
    pub fn parse(text: &str, default_tz: Tz) -> Result<Calendar, CalendarError> {
        Calendar::from_bytes(text.as_bytes(), default_tz)
    }

    /// Like [`Calendar::parse`], for bytes as fetched (UTF-8, optionally with a BOM);
    /// invalid UTF-8 is an error naming its line.
    pub fn from_bytes(bytes: &[u8], default_tz: Tz) -> Result<Calendar, CalendarError> {
        if bytes.len() > MAX_INPUT {
            return Err(CalendarError::TooLarge { limit: MAX_INPUT });
        }
        let roots = ics::parse(bytes)?;
        let mut events = Vec::new();
        let mut name = None;
        let mut zone = default_tz;
        for root in &roots {
            let zones = time::Zones::new(root, default_tz)?;
            zone = zones.default;
            if name.is_none() {
                name = root.prop("X-WR-CALNAME").map(|p| ics::unescape(&p.value));
            }
            for c in root.children.iter().filter(|c| c.name == "VEVENT") {
                if events.len() >= MAX_EVENTS {
                    return Err(CalendarError::Limit {
                        line: c.line,
                        what: "too many events",
                        limit: MAX_EVENTS,
                    });
                }
                events.push(Event::parse(c, &zones)?);
            }
        }
        Ok(Calendar {
            events: link_overrides(events),
            default_tz: zone,
            name,
        })
    }

    /// Reads and parses a calendar file.
    ///
    /// # Errors
    /// [`CalendarError::Io`] if the file cannot be read, [`CalendarError::TooLarge`] past
    /// [`MAX_INPUT`], otherwise as [`Calendar::parse`].
    pub fn from_file(path: impl AsRef<Path>, default_tz: Tz) -> Result<Calendar, CalendarError> {
        let path = path.as_ref();
        let io = |source| CalendarError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_INPUT as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Calendar::from_bytes(&bytes, default_tz)
    }

    /// A calendar with no events.
    pub fn empty(default_tz: Tz) -> Calendar {
        Calendar {
            events: Vec::new(),
            default_tz,
            name: None,
        }
    }

    /// The occurrences overlapping `[from, to)`, sorted by start (then end, then UID).
    /// At most [`MAX_OCCURRENCES`]; a rule that would need an unbounded amount of
    /// expansion is cut short (and logged) rather than stalling the caller.
    pub fn occurrences(&self, from: Time, to: Time) -> Vec<Occurrence> {
        let mut out = Vec::new();
        if from >= to {
            return out;
        }
        let mut budget = QUERY_BUDGET;
        for event in &self.events {
            event.expand(from, to, &mut budget, MAX_OCCURRENCES, &mut out);
            if out.len() >= MAX_OCCURRENCES {
                tracing::warn!(limit = MAX_OCCURRENCES, "calendar query cut at its limit");
                break;
            }
        }
        out.sort_by(|a, b| (a.start, a.end, &a.event.uid).cmp(&(b.start, b.end, &b.event.uid)));
        out
    }

    /// The zone floating times and all-day dates are read in.
    pub fn time_zone(&self) -> Tz {
        self.default_tz
    }

    /// `X-WR-CALNAME`, if the calendar has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// How many events (masters, one-offs and overrides) the calendar holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the calendar holds no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// Applies overrides to their masters and drops what is cancelled.
///
/// An override replaces its master's occurrence at `RECURRENCE-ID` and becomes a one-off
/// event of its own (unless cancelled). Overrides of a cancelled series go with it;
/// overrides whose master is not in the text stand alone.
fn link_overrides(events: Vec<Event>) -> Vec<Event> {
    let (overrides, mut masters): (Vec<Event>, Vec<Event>) =
        events.into_iter().partition(|e| e.recurrence_id.is_some());
    let by_uid: HashMap<String, usize> = masters
        .iter()
        .enumerate()
        .map(|(i, e)| (e.details.uid.clone(), i))
        .collect();
    let mut standalone = Vec::new();
    for o in overrides {
        match by_uid.get(&o.details.uid).and_then(|&i| masters.get_mut(i)) {
            Some(master) => {
                if master.cancelled {
                    continue;
                }
                master.replaced.extend(o.recurrence_id);
                if !o.cancelled {
                    standalone.push(o);
                }
            }
            None if !o.cancelled => standalone.push(o),
            None => {}
        }
    }
    masters.retain(|e| !e.cancelled);
    masters.extend(standalone);
    masters
}

//! Scheduled shows: pre-recorded files that go on air at their time.
//!
//! A show starts on the first block at or after its start time (within one block) and,
//! at the top of the default chain, pre-empts live DJs. If the station was not running
//! at the start time, the show joins at the offset it would have reached (a one-hour show
//! at 20:00 joined at 20:10 plays its last 50 minutes). Each show reports how it went:
//! played, failed (with the reason), or missed (the station started after it ended).

use crate::calendar::Calendar;
use crate::clock::Time;
use crate::error::{Error, Result};
use crate::input::Input;
use radio_core::{Block, Event, FileSource, Pull, Source};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How a show went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowStatus {
    /// Not yet on.
    Pending,
    /// On air now.
    Playing,
    /// Played to its end.
    Played,
    /// Could not be played (the reason).
    Failed(String),
    /// Its whole time passed before the station could start it.
    Missed,
}

/// A scheduled show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Show {
    /// Its title (the on-air log, the listeners' title).
    pub title: String,
    /// Where its audio is (a file path for the default opener).
    pub location: String,
    /// When it starts.
    pub start: Time,
    /// How long it lasts, when known (joining late past it counts as missed).
    pub duration: Option<Duration>,
    /// How it went.
    pub status: ShowStatus,
    /// The calendar event it came from (a re-read calendar replaces its pending shows).
    pub uid: Option<String>,
}

impl Show {
    /// A pending show.
    pub fn new(title: &str, location: &str, start: Time) -> Show {
        Show {
            title: title.to_string(),
            location: location.to_string(),
            start,
            duration: None,
            status: ShowStatus::Pending,
            uid: None,
        }
    }
}

/// Opens a show's audio at an offset in seconds.
pub type ShowOpener = dyn Fn(&Show, f64) -> Result<Box<dyn Source>> + Send + Sync;

/// The station host's handle: add shows, read their status.
#[derive(Clone, Default)]
pub struct ShowsControl {
    shows: Arc<Mutex<Vec<Show>>>,
}

impl std::fmt::Debug for ShowsControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShowsControl").finish()
    }
}

impl ShowsControl {
    fn lock(&self) -> MutexGuard<'_, Vec<Show>> {
        self.shows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Schedules a show.
    pub fn add(&self, show: Show) {
        let mut shows = self.lock();
        let at = shows.partition_point(|s| s.start <= show.start);
        shows.insert(at, show);
    }

    /// Removes the pending shows that start in `[from, to)` (a calendar being re-read
    /// replaces its shows).
    pub fn remove_pending(&self, from: Time, to: Time) {
        self.lock()
            .retain(|s| !(s.status == ShowStatus::Pending && s.start >= from && s.start < to));
    }

    /// Takes the shows of `calendar` in `[from, to)` (see [`Calendar::shows`] for how an
    /// event names its file). Pending shows that came from a calendar in that window are
    /// replaced, so a moved or deleted event is followed; shows already on or done stay.
    /// Returns how many shows are now pending from it.
    pub fn sync_calendar(&self, calendar: &Calendar, from: Time, to: Time) -> usize {
        let found = calendar.shows(from, to);
        let mut shows = self.lock();
        shows.retain(|s| {
            !(s.uid.is_some() && s.status == ShowStatus::Pending && s.start >= from && s.start < to)
        });
        let mut added = 0;
        for f in found {
            if f.start < from
                || shows
                    .iter()
                    .any(|s| s.uid.as_deref() == Some(&f.uid) && s.start == f.start)
            {
                continue;
            }
            let mut show = Show::new(&f.title, &f.file, f.start);
            show.duration = (f.end - f.start).to_std().ok();
            show.uid = Some(f.uid);
            let at = shows.partition_point(|s| s.start <= show.start);
            shows.insert(at, show);
            added += 1;
        }
        added
    }

    /// Schedules a show by a recurrence rule (RFC 5545 `RRULE` syntax, e.g.
    /// `FREQ=WEEKLY;BYDAY=MO,WE` or `FREQ=DAILY;COUNT=5`), first at `first` local time in
    /// `tz`, for the occurrences in `[from, to)`. Returns how many were added.
    #[allow(clippy::too_many_arguments)]
    pub fn add_recurring(
        &self,
        title: &str,
        location: &str,
        first: chrono::NaiveDateTime,
        tz: chrono_tz::Tz,
        rrule: &str,
        duration: Duration,
        from: Time,
        to: Time,
    ) -> Result<usize> {
        if rrule.contains(['\r', '\n']) {
            return Err(Error::Config(format!("RRULE {rrule:?}: one line expected")));
        }
        let uid = format!("recurring:{title}:{}", first.format("%Y%m%dT%H%M%S"));
        let text = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
             DTSTART;TZID={}:{}\r\nDURATION:PT{}S\r\nRRULE:{rrule}\r\nEND:VEVENT\r\n\
             END:VCALENDAR\r\n",
            tz.name(),
            first.format("%Y%m%dT%H%M%S"),
            duration.as_secs().max(1)
        );
        let calendar = Calendar::parse(&text, tz)
            .map_err(|e| Error::Config(format!("RRULE {rrule:?}: {e}")))?;
        let mut added = 0;
        for o in calendar.occurrences(from, to) {
            if o.start < from {
                continue;
            }
            let mut show = Show::new(title, location, o.start);
            show.duration = Some(duration);
            show.uid = Some(uid.clone());
            self.add(show);
            added += 1;
        }
        Ok(added)
    }

    /// All shows with their status, by start time.
    pub fn shows(&self) -> Vec<Show> {
        self.lock().clone()
    }
}

/// The shows input.
pub struct Shows {
    control: ShowsControl,
    opener: Arc<ShowOpener>,
    current: Option<(usize, Box<dyn Source>, bool)>,
}

impl std::fmt::Debug for Shows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shows")
            .field("playing", &self.current.is_some())
            .finish()
    }
}

impl Shows {
    /// Shows whose locations are file paths.
    pub fn files() -> (Shows, ShowsControl) {
        Shows::with_opener(Arc::new(|show: &Show, offset: f64| {
            let src =
                FileSource::open_at(std::path::Path::new(&show.location), offset).map_err(|e| {
                    Error::Media {
                        what: show.location.clone(),
                        source: e,
                    }
                })?;
            Ok(Box::new(src) as Box<dyn Source>)
        }))
    }

    /// Shows opened by a function of your own.
    pub fn with_opener(opener: Arc<ShowOpener>) -> (Shows, ShowsControl) {
        let control = ShowsControl::default();
        (
            Shows {
                control: control.clone(),
                opener,
                current: None,
            },
            control,
        )
    }
}

impl Input for Shows {
    fn name(&self) -> &str {
        "show"
    }

    fn tick(&mut self, now: Time) {
        if self.current.is_some() {
            return;
        }
        let mut shows = self.control.lock();
        // Shows whose time has come, oldest first; a show that cannot start fails and the
        // next one is tried in the same block.
        for i in 0..shows.len() {
            if shows[i].start > now {
                // Kept in start order: the rest are later still.
                break;
            }
            if shows[i].status != ShowStatus::Pending {
                continue;
            }
            let offset = (now - shows[i].start).to_std().unwrap_or_default();
            if shows[i].duration.is_some_and(|d| offset >= d) {
                shows[i].status = ShowStatus::Missed;
                continue;
            }
            match (self.opener)(&shows[i], offset.as_secs_f64()) {
                Ok(source) => {
                    shows[i].status = ShowStatus::Playing;
                    tracing::info!(target: "shows", "show {:?} starts", shows[i].title);
                    self.current = Some((i, source, true));
                    return;
                }
                Err(e) => {
                    tracing::warn!(target: "shows", "show {:?} failed: {e}", shows[i].title);
                    shows[i].status = ShowStatus::Failed(e.to_string());
                }
            }
        }
    }

    fn is_ready(&self, _now: Time) -> bool {
        self.current.is_some()
    }

    fn not_ready_reason(&self) -> Option<String> {
        Some("show ended".into())
    }

    fn pull(&mut self, _now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        let Some((i, source, first)) = &mut self.current else {
            return Pull::End;
        };
        let mut own = Vec::new();
        let pulled = source.pull(block, &mut own);
        if pulled == Pull::Audio && std::mem::take(first) {
            // The show's title, whatever the file's tags say.
            let title = self.control.lock()[*i].title.clone();
            events.push(Event::TrackStart(radio_core::Metadata {
                title: Some(title),
                ..Default::default()
            }));
        }
        if pulled == Pull::End {
            let i = *i;
            self.control.lock()[i].status = ShowStatus::Played;
            self.current = None;
        }
        pulled
    }
}

//! Scheduled shows: pre-recorded files that go on air at their time.
//!
//! A show starts on the first block at or after its start time (within one block) and,
//! at the top of the default chain, pre-empts live DJs. If the station was not running
//! at the start time, the show joins at the offset it would have reached (a one-hour show
//! at 20:00 joined at 20:10 plays its last 50 minutes). Each show reports how it went:
//! played, failed (with the reason), or missed (the station started after it ended).

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
            if shows[i].status != ShowStatus::Pending || shows[i].start > now {
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

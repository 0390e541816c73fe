//! Playlists and when they may play: order, weight, weekday/time schedules, and the
//! special rotations ("once every N songs", "once every N minutes", "once per hour").

use super::library::TrackId;
use crate::clock::Time;
use chrono::{Datelike, NaiveTime, Timelike, Weekday};
use chrono_tz::Tz;

/// How a playlist's tracks are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Any track, each pick independent.
    #[default]
    Random,
    /// Every track once in a random order, then a new order.
    Shuffle,
    /// In list order, round and round.
    Sequential,
}

/// When a playlist is picked from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// A music playlist, chosen by weight among the active ones.
    #[default]
    Standard,
    /// Exactly one track after every `n` standard tracks (a jingle every 3 songs).
    EveryNSongs(u32),
    /// One track once `n` minutes have passed since it last played.
    EveryNMinutes(u32),
    /// One track per clock hour, from minute `m` (within 15 minutes of it).
    OncePerHour(u32),
}

/// Days and times a playlist is active, in the station's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Days it starts on (empty: every day).
    pub days: Vec<Weekday>,
    /// Start time.
    pub start: NaiveTime,
    /// End time; earlier than `start` means it runs overnight into the next day.
    pub end: NaiveTime,
}

impl Schedule {
    /// Whether `now` falls in the schedule.
    pub fn contains(&self, now: Time, tz: Tz) -> bool {
        let local = now.with_timezone(&tz);
        let t = local.time();
        let today = local.weekday();
        let day_ok = |d: Weekday| self.days.is_empty() || self.days.contains(&d);
        if self.start <= self.end {
            day_ok(today) && t >= self.start && t < self.end
        } else {
            // Overnight: the evening part belongs to today, the morning part to the day
            // it started on (yesterday).
            (t >= self.start && day_ok(today)) || (t < self.end && day_ok(today.pred()))
        }
    }
}

/// A playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playlist {
    /// Its name (logs, status).
    pub name: String,
    /// Its tracks.
    pub tracks: Vec<TrackId>,
    /// Track order.
    pub order: Order,
    /// Relative weight among standard playlists (0 = never by weight).
    pub weight: u32,
    /// When it is picked from.
    pub rotation: Rotation,
    /// When it is active (`None`: always).
    pub schedule: Option<Schedule>,
}

impl Playlist {
    /// A standard, random, always-active playlist of weight 1.
    pub fn new(name: &str, tracks: Vec<TrackId>) -> Playlist {
        Playlist {
            name: name.to_string(),
            tracks,
            order: Order::Random,
            weight: 1,
            rotation: Rotation::Standard,
            schedule: None,
        }
    }

    /// Whether the schedule allows it now.
    pub fn active(&self, now: Time, tz: Tz) -> bool {
        self.schedule.as_ref().is_none_or(|s| s.contains(now, tz))
    }
}

/// Per-playlist state of the rotations.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlaylistState {
    pub next: usize,
    pub deck: Vec<TrackId>,
    pub last_played: Option<Time>,
    pub songs_since: u32,
}

/// Whether a special rotation is due.
pub(crate) fn due(
    rotation: Rotation,
    state: &PlaylistState,
    now: Time,
    started: Time,
    tz: Tz,
) -> bool {
    match rotation {
        Rotation::Standard => false,
        Rotation::EveryNSongs(n) => state.songs_since >= n.max(1),
        Rotation::EveryNMinutes(n) => {
            let since = state.last_played.unwrap_or(started);
            now - since >= chrono::Duration::minutes(i64::from(n.max(1)))
        }
        Rotation::OncePerHour(m) => {
            let local = now.with_timezone(&tz);
            let minute = local.minute();
            let m = m.min(59);
            if minute < m || minute >= m + 15 {
                return false;
            }
            // Not yet in this hour's window.
            let window_start =
                now - chrono::Duration::seconds(i64::from((minute - m) * 60 + local.second()));
            state.last_played.is_none_or(|t| t < window_start)
        }
    }
}

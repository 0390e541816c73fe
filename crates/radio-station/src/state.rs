//! What a station reports about itself: a snapshot, replaced (and announced) whenever
//! something a listener or operator would see changes.

use radio_core::Metadata;
use radio_sched::Time;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::Duration;

/// A track on air (or announced as next).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackState {
    /// Title.
    pub title: Option<String>,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// `Artist - Title`.
    pub display: String,
    /// The input it came from ("autodj", "live", "show", ...).
    pub input: String,
    /// When it started on air (the block that carried its first audio).
    pub started: Time,
    /// Its length, when known, in seconds.
    pub duration: Option<f64>,
    /// The library's id for it, when it came from AutoDJ.
    pub id: Option<u64>,
}

impl TrackState {
    pub(crate) fn new(meta: &Metadata, input: &str, started: Time) -> TrackState {
        TrackState {
            title: meta.title.clone(),
            artist: meta.artist.clone(),
            album: meta.album.clone(),
            display: meta.display(),
            input: input.to_string(),
            started,
            duration: None,
            id: None,
        }
    }

    /// Seconds since it started, at `now`.
    pub fn elapsed(&self, now: Time) -> f64 {
        ((now - self.started).num_milliseconds().max(0) as f64) / 1000.0
    }

    /// Seconds left at `now`, when the length is known.
    pub fn remaining(&self, now: Time) -> Option<f64> {
        self.duration.map(|d| (d - self.elapsed(now)).max(0.0))
    }
}

/// The track AutoDJ plays next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextTrack {
    /// The library's id.
    pub id: u64,
    /// Title.
    pub title: Option<String>,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// Length in seconds, when known.
    pub duration: Option<f64>,
    /// Whether a listener asked for it.
    pub requested: bool,
}

/// The live DJ connected now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveState {
    /// Their user name.
    pub username: String,
    /// When they will be kicked (the end of their window plus grace).
    pub kickoff: Option<Time>,
    /// Whether they are on air now (connected DJs who send silence are not).
    pub on_air: bool,
}

/// One switch between inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionState {
    /// When.
    pub at: Time,
    /// The input that was on air (`None`: silence).
    pub from: Option<String>,
    /// The input now on air.
    pub to: Option<String>,
    /// Why ("pre-empted", "not ready: silence", ...).
    pub reason: String,
}

/// One output as it is doing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputState {
    /// The mount path, or the upstream URL without credentials.
    pub target: String,
    /// "mount" or "upstream".
    pub kind: &'static str,
    /// Codec.
    pub codec: &'static str,
    /// kbit/s.
    pub bitrate: u32,
    /// For upstreams: connected now.
    pub connected: Option<bool>,
    /// For upstreams: connections made so far.
    pub connects: Option<u64>,
    /// Why the output is not working, when it is not.
    pub error: Option<String>,
}

/// A station's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationState {
    /// The station's name.
    pub station: String,
    /// Whether its thread runs.
    pub running: bool,
    /// When it started.
    pub started: Time,
    /// The input on air (`None`: silence).
    pub on_air: Option<String>,
    /// The track on air.
    pub track: Option<TrackState>,
    /// The track AutoDJ plays next, when known.
    pub next: Option<NextTrack>,
    /// The live DJ, when one is connected.
    pub live: Option<LiveState>,
    /// Recent switches, newest first.
    pub transitions: VecDeque<TransitionState>,
    /// Recent tracks, newest first (the one on air included).
    pub history: VecDeque<TrackState>,
    /// Since when the output has been silent, once that has lasted the watchdog's time.
    pub silent_since: Option<Time>,
    /// How often the station's thread has been restarted after a panic.
    pub restarts: u32,
    /// The outputs.
    pub outputs: Vec<OutputState>,
}

/// Entries kept in `transitions` and `history`.
pub const RECENT: usize = 20;

impl StationState {
    pub(crate) fn new(station: &str, started: Time) -> StationState {
        StationState {
            station: station.to_string(),
            running: true,
            started,
            on_air: None,
            track: None,
            next: None,
            live: None,
            transitions: VecDeque::new(),
            history: VecDeque::new(),
            silent_since: None,
            restarts: 0,
            outputs: Vec::new(),
        }
    }

    pub(crate) fn push_transition(&mut self, t: TransitionState) {
        self.transitions.push_front(t);
        self.transitions.truncate(RECENT);
    }

    pub(crate) fn push_track(&mut self, t: TrackState) {
        self.history.push_front(t.clone());
        self.history.truncate(RECENT);
        self.track = Some(t);
    }
}

pub(crate) fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

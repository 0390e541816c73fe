//! AutoDJ: tracks from the library, picked by rotation rules, crossfaded.
//!
//! [`AutoDj`] is the Harbor input; [`AutoDjControl`] is its handle for the station host
//! (requests, skip, playlists, history). Taken off air, AutoDJ drops its track: when it
//! comes back it starts a fresh one, never the rest of a pre-empted one.

pub mod library;
pub mod picker;
pub mod rules;
pub mod stopset;

use crate::clock::{Clock, Time};
use crate::error::Result;
use crate::input::Input;
use library::{Library, TrackId};
use picker::{Pick, PickSettings, Picker};
use radio_core::crossfade::{CrossfadeSettings, Crossfader, Track, Tracks};
use radio_core::fade::Curve;
use radio_core::transition::Transition;
use radio_core::{Block, Event, Pull, Source};
use rules::Playlist;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// AutoDJ settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoDjSettings {
    /// Picking rules.
    pub pick: PickSettings,
    /// Crossfades between tracks.
    pub crossfade: CrossfadeSettings,
    /// Attempts to open a playable track per boundary before giving up for now.
    pub attempts: usize,
    /// After giving up, how long before AutoDJ is ready again.
    pub retry: Duration,
}

impl Default for AutoDjSettings {
    fn default() -> Self {
        AutoDjSettings {
            pick: PickSettings::default(),
            crossfade: CrossfadeSettings::default(),
            attempts: 10,
            retry: Duration::from_secs(10),
        }
    }
}

struct Shared {
    picker: Mutex<Picker>,
    library: Arc<dyn Library>,
    clock: Arc<dyn Clock>,
    skip: AtomicBool,
    attempts: usize,
    /// Set when a boundary found nothing playable.
    gave_up: AtomicBool,
}

impl Shared {
    fn picker(&self) -> MutexGuard<'_, Picker> {
        self.picker.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The station host's handle on AutoDJ.
#[derive(Clone)]
pub struct AutoDjControl {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AutoDjControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoDjControl").finish()
    }
}

impl AutoDjControl {
    /// Queues a listener's request (FIFO, capped, no duplicates).
    pub fn request(&self, id: TrackId) -> Result<()> {
        let library = self.shared.library.clone();
        self.shared.picker().request(id, &*library)
    }

    /// The requests waiting.
    pub fn requests(&self) -> Vec<TrackId> {
        self.shared.picker().requests().collect()
    }

    /// Removes a request; `false` if it was not waiting.
    pub fn remove_request(&self, id: TrackId) -> bool {
        self.shared.picker().remove_request(id)
    }

    /// Ends the current track (with its fade-out) and starts the next.
    pub fn skip(&self) {
        self.shared.skip.store(true, Ordering::SeqCst);
    }

    /// Replaces the playlists.
    pub fn set_playlists(&self, playlists: Vec<Playlist>) {
        self.shared.picker().set_playlists(playlists);
    }

    /// The track AutoDJ would pick if it picked now (a dry run on a copy of its state:
    /// nothing is recorded), and whether it is a listener's request. It is what plays
    /// next unless a request arrives, a schedule changes or the library does.
    pub fn upcoming(&self) -> Option<(library::TrackInfo, bool)> {
        let mut picker = self.shared.picker().clone();
        let pick = picker.pick(self.shared.clock.now(), &*self.shared.library)?;
        Some((pick.track, pick.kind == picker::PickKind::Request))
    }

    /// The picks so far (the last 1,000).
    pub fn history(&self) -> Vec<Pick> {
        self.shared.picker().history().cloned().collect()
    }
}

/// The tracks the crossfader plays: picked at each boundary.
struct Picks {
    shared: Arc<Shared>,
}

impl Tracks for Picks {
    fn next_track(&mut self) -> Option<Track> {
        let now = self.shared.clock.now();
        let library = self.shared.library.clone();
        for _ in 0..self.shared.attempts.max(1) {
            let Some(pick) = self.shared.picker().pick(now, &*library) else {
                break;
            };
            match library.open(&pick.track) {
                Ok(source) => {
                    return Some(Track {
                        source,
                        fade_in: pick.track.fade_in,
                        fade_out: pick.track.fade_out,
                    });
                }
                Err(e) => {
                    tracing::warn!(target: "autodj", "skipping track {}: {e}", pick.track.id);
                    self.shared.picker().failed(&pick);
                }
            }
        }
        self.shared.gave_up.store(true, Ordering::SeqCst);
        None
    }
}

/// The AutoDJ input.
pub struct AutoDj {
    shared: Arc<Shared>,
    crossfade: CrossfadeSettings,
    retry: chrono::Duration,
    player: Option<Box<dyn Source>>,
    unavailable_until: Option<Time>,
}

impl std::fmt::Debug for AutoDj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoDj")
            .field("playing", &self.player.is_some())
            .finish()
    }
}

impl AutoDj {
    /// AutoDJ over `library`, with its control handle.
    pub fn new(
        library: Arc<dyn Library>,
        settings: AutoDjSettings,
        clock: Arc<dyn Clock>,
    ) -> (AutoDj, AutoDjControl) {
        let now = clock.now();
        let shared = Arc::new(Shared {
            picker: Mutex::new(Picker::new(settings.pick, now)),
            library,
            clock,
            skip: AtomicBool::new(false),
            attempts: settings.attempts,
            gave_up: AtomicBool::new(false),
        });
        let control = AutoDjControl {
            shared: shared.clone(),
        };
        let autodj = AutoDj {
            shared,
            crossfade: settings.crossfade,
            retry: chrono::Duration::from_std(settings.retry).unwrap_or(chrono::Duration::MAX),
            player: None,
            unavailable_until: None,
        };
        (autodj, control)
    }

    fn fresh(&self) -> Box<dyn Source> {
        Box::new(Crossfader::new(
            Picks {
                shared: self.shared.clone(),
            },
            self.crossfade,
        ))
    }
}

impl Input for AutoDj {
    fn name(&self) -> &str {
        "autodj"
    }

    fn is_ready(&self, now: Time) -> bool {
        if self.unavailable_until.is_some_and(|t| now < t) {
            return false;
        }
        self.player.is_some() || self.shared.picker().has_tracks()
    }

    fn not_ready_reason(&self) -> Option<String> {
        Some(if self.unavailable_until.is_some() {
            "no playable track".into()
        } else {
            "nothing to play".into()
        })
    }

    fn pull(&mut self, now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if self.shared.skip.swap(false, Ordering::SeqCst)
            && let Some(old) = self.player.take()
        {
            let fade = self.crossfade.fade_out.as_secs_f64();
            self.player = Some(Box::new(Transition::new(
                old,
                self.fresh(),
                fade,
                Curve::EqualPower,
            )));
        }
        let player = match &mut self.player {
            Some(p) => p,
            None => self.player.insert(self.fresh()),
        };
        match player.pull(block, events) {
            Pull::Audio => {
                self.unavailable_until = None;
                Pull::Audio
            }
            Pull::End => {
                self.player = None;
                if self.shared.gave_up.swap(false, Ordering::SeqCst) {
                    self.unavailable_until = Some(now + self.retry);
                }
                Pull::End
            }
        }
    }

    fn on_air(&mut self, _now: Time) {
        if self.player.is_none() {
            self.player = Some(self.fresh());
        }
    }

    fn off_air(&mut self, _now: Time) {
        // The pre-empted track is dropped: back on air, a fresh track starts.
        self.player = None;
    }

    fn transition(&self) -> Option<Duration> {
        None
    }
}

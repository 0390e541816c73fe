//! A station's library as radio-sched's AutoDJ reads it: [`StationLibrary`] implements
//! [`Library`] over the store.
//!
//! The AutoDJ asks for tracks on the station's audio thread, so lookups come from an
//! in-memory snapshot, never the database; [`StationLibrary::refresh`] (after a scan)
//! replaces the snapshot, and [`StationLibrary::playlists`] gives the playlists to hand to
//! `AutoDjControl::set_playlists`. A track the snapshot no longer has is never picked.

use crate::error::Result;
use crate::stations::{FolderKind, StationId};
use crate::store::Store;
use crate::tracks::{Status, Track};
use radio_core::gain::Gain;
use radio_core::loudness::{LoudnessSettings, TrackLoudness};
use radio_core::{Block, Db, Event, FileSource, Lufs, Metadata, Pull, Source};
use radio_sched::autodj::library::{Library, TrackId, TrackInfo};
use radio_sched::autodj::rules::{Order, Playlist, Rotation};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How a station plays its library.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LibrarySettings {
    /// Loudness target and true-peak ceiling for the per-track gain.
    pub loudness: LoudnessSettings,
    /// A jingle after every this many songs, when the station has jingles and no
    /// playlist of its own plays them (0: never).
    pub jingle_every: u32,
    /// Leading silence shorter than this is played rather than skipped (seconds).
    pub min_cue_in: f64,
}

impl Default for LibrarySettings {
    /// −16 LUFS, −1 dBTP, a jingle every 4 songs, cue-in from 50 ms.
    fn default() -> Self {
        LibrarySettings {
            loudness: LoudnessSettings::default(),
            jingle_every: 4,
            min_cue_in: 0.05,
        }
    }
}

#[derive(Default)]
struct Snapshot {
    tracks: HashMap<TrackId, (TrackInfo, f64)>,
    playlists: Vec<Playlist>,
}

/// One station's tracks and playlists, for its AutoDJ.
pub struct StationLibrary {
    store: Store,
    station: StationId,
    settings: LibrarySettings,
    snapshot: RwLock<Arc<Snapshot>>,
}

impl std::fmt::Debug for StationLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StationLibrary")
            .field("station", &self.station)
            .field("tracks", &self.len())
            .finish()
    }
}

impl StationLibrary {
    /// The library of `station` (created if new), loaded.
    pub fn open(store: Store, station: &str, settings: LibrarySettings) -> Result<StationLibrary> {
        let station = store.ensure_station(station)?;
        let library = StationLibrary {
            store,
            station,
            settings,
            snapshot: RwLock::new(Arc::default()),
        };
        library.refresh()?;
        Ok(library)
    }

    /// The station's id in the store.
    pub fn station(&self) -> StationId {
        self.station
    }

    /// Reloads tracks and playlists from the store (after a scan or an edit).
    pub fn refresh(&self) -> Result<()> {
        let tracks = self.store.tracks(self.station)?;
        let stored = self.store.playlists(self.station)?;
        let mut snapshot = Snapshot::default();
        let (mut music, mut jingles) = (Vec::new(), Vec::new());
        for t in tracks.iter().filter(|t| t.status == Status::Ok) {
            let id = t.id as TrackId;
            let cue_in = t.analysis.as_ref().map_or(0.0, |a| a.cue_in);
            snapshot.tracks.insert(id, (self.info(t), cue_in));
            match t.kind {
                FolderKind::Media => music.push(id),
                FolderKind::Jingles => jingles.push(id),
                FolderKind::Shows => {}
            }
        }
        let mut in_playlists = std::collections::HashSet::new();
        for (_, mut p) in stored {
            p.tracks.retain(|id| snapshot.tracks.contains_key(id));
            in_playlists.extend(p.tracks.iter().copied());
            snapshot.playlists.push(p);
        }
        let has_music = snapshot
            .playlists
            .iter()
            .any(|p| p.rotation == Rotation::Standard && p.weight > 0 && !p.tracks.is_empty());
        if !has_music && !music.is_empty() {
            let mut all = Playlist::new("all music", music);
            all.order = Order::Shuffle;
            snapshot.playlists.push(all);
        }
        let jingles_played = jingles.iter().any(|id| in_playlists.contains(id));
        if !jingles_played && !jingles.is_empty() && self.settings.jingle_every > 0 {
            let mut p = Playlist::new("jingles", jingles);
            p.order = Order::Shuffle;
            p.rotation = Rotation::EveryNSongs(self.settings.jingle_every);
            snapshot.playlists.push(p);
        }
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(snapshot);
        Ok(())
    }

    fn current(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The playlists AutoDJ should pick from: the station's own, plus "all music" when
    /// none of them plays music, plus "jingles" every few songs when the jingles are in
    /// no playlist. Only playable tracks are in them.
    pub fn playlists(&self) -> Vec<Playlist> {
        self.current().playlists.clone()
    }

    /// How many playable tracks it has.
    pub fn len(&self) -> usize {
        self.current().tracks.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn info(&self, t: &Track) -> TrackInfo {
        let gain = t.analysis.as_ref().map_or(Db(0.0), |a| {
            TrackLoudness {
                integrated: a.loudness.map(Lufs),
                true_peak: Db(a.true_peak),
            }
            .gain(&self.settings.loudness)
        });
        TrackInfo {
            id: t.id as TrackId,
            location: t.path.clone(),
            metadata: Metadata {
                title: t.tags.title.clone(),
                artist: t.tags.artist.clone(),
                album: t.tags.album.clone(),
            },
            duration: t
                .analysis
                .as_ref()
                .map(|a| Duration::from_secs_f64(a.duration.max(0.0))),
            gain,
            fade_in: None,
            fade_out: None,
        }
    }
}

impl Library for StationLibrary {
    fn track(&self, id: TrackId) -> Option<TrackInfo> {
        self.current().tracks.get(&id).map(|(t, _)| t.clone())
    }

    fn open(&self, track: &TrackInfo) -> radio_sched::Result<Box<dyn Source>> {
        let cue_in = self
            .current()
            .tracks
            .get(&track.id)
            .map_or(0.0, |(_, c)| *c);
        let start = if cue_in >= self.settings.min_cue_in {
            cue_in
        } else {
            0.0
        };
        let path = std::path::Path::new(&track.location);
        let source = FileSource::open_at(path, start).map_err(|e| radio_sched::Error::Media {
            what: track.location.clone(),
            source: e,
        })?;
        Ok(Box::new(Retitled {
            inner: Gain::new(source, track.gain),
            metadata: track.metadata.clone(),
        }))
    }
}

/// A track whose start carries the library's tags (after fallbacks and charset repair)
/// instead of the raw ones in the file.
struct Retitled<S> {
    inner: S,
    metadata: Metadata,
}

impl<S: Source> Source for Retitled<S> {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        let from = events.len();
        let pulled = self.inner.pull(block, events);
        for e in &mut events[from..] {
            let Event::TrackStart(m) = e;
            *m = self.metadata.clone();
        }
        pulled
    }

    fn is_ready(&self) -> bool {
        self.inner.is_ready()
    }
}

//! What AutoDJ reads tracks through: a small [`Library`] trait, and [`MemoryLibrary`] for
//! tests and embedders (the station's SQLite store implements the same trait).

use crate::error::{Error, Result};
use radio_core::gain::Gain;
use radio_core::{Db, FileSource, Metadata, Source};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A track's identity in the library.
pub type TrackId = u64;

/// What AutoDJ needs to know about a track.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackInfo {
    /// Its identity.
    pub id: TrackId,
    /// Where it is (a file path for [`MemoryLibrary::files`]).
    pub location: String,
    /// Its tags.
    pub metadata: Metadata,
    /// Its length, when known.
    pub duration: Option<Duration>,
    /// The gain that brings it to the station's loudness target (from the indexer).
    pub gain: Db,
    /// Per-track fade overrides.
    pub fade_in: Option<Duration>,
    /// Per-track fade-out override.
    pub fade_out: Option<Duration>,
}

impl TrackInfo {
    /// A track with tags and no gain or fade overrides.
    pub fn new(id: TrackId, location: &str, artist: &str, title: &str) -> TrackInfo {
        TrackInfo {
            id,
            location: location.to_string(),
            metadata: Metadata {
                artist: (!artist.is_empty()).then(|| artist.to_string()),
                title: (!title.is_empty()).then(|| title.to_string()),
                album: None,
            },
            duration: None,
            gain: Db(0.0),
            fade_in: None,
            fade_out: None,
        }
    }
}

/// The music library as AutoDJ sees it.
///
/// # For implementations
/// Both methods are called from the station's audio thread at track boundaries: keep
/// `track` fast (an index lookup). `open` may read the disk; an error skips the track.
pub trait Library: Send + Sync {
    /// A track's details (`None`: it is gone).
    fn track(&self, id: TrackId) -> Option<TrackInfo>;
    /// Opens a track for playing, with its gain applied.
    fn open(&self, track: &TrackInfo) -> Result<Box<dyn Source>>;
}

/// Opens a track's audio.
pub type Opener = dyn Fn(&TrackInfo) -> Result<Box<dyn Source>> + Send + Sync;

/// A library held in memory.
pub struct MemoryLibrary {
    tracks: HashMap<TrackId, TrackInfo>,
    opener: Arc<Opener>,
}

impl std::fmt::Debug for MemoryLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLibrary")
            .field("tracks", &self.tracks.len())
            .finish()
    }
}

impl MemoryLibrary {
    /// Tracks whose locations are file paths, decoded with radio-core.
    pub fn files(tracks: impl IntoIterator<Item = TrackInfo>) -> MemoryLibrary {
        MemoryLibrary::with_opener(
            tracks,
            Arc::new(|t: &TrackInfo| -> Result<Box<dyn Source>> {
                let src = FileSource::open(std::path::Path::new(&t.location)).map_err(|e| {
                    Error::Media {
                        what: t.location.clone(),
                        source: e,
                    }
                })?;
                Ok(Box::new(Gain::new(src, t.gain)))
            }),
        )
    }

    /// Tracks opened by a function of your own (generated audio, another store).
    pub fn with_opener(
        tracks: impl IntoIterator<Item = TrackInfo>,
        opener: Arc<Opener>,
    ) -> MemoryLibrary {
        MemoryLibrary {
            tracks: tracks.into_iter().map(|t| (t.id, t)).collect(),
            opener,
        }
    }

    /// Adds or replaces a track.
    pub fn insert(&mut self, track: TrackInfo) {
        self.tracks.insert(track.id, track);
    }

    /// Removes a track.
    pub fn remove(&mut self, id: TrackId) {
        self.tracks.remove(&id);
    }

    /// How many tracks it holds.
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }
}

impl Library for MemoryLibrary {
    fn track(&self, id: TrackId) -> Option<TrackInfo> {
        self.tracks.get(&id).cloned()
    }

    fn open(&self, track: &TrackInfo) -> Result<Box<dyn Source>> {
        (self.opener)(track)
    }
}

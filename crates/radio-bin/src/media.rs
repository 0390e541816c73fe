//! `radiopoint --media DIR`: AutoDJ of a folder, indexed into the store and kept in sync.
//!
//! The folder is the station `default`'s music (the same station `content_indexer DIR`
//! fills, so an index made beforehand is reused). The watcher scans it at start, then on
//! file-system events and every ten minutes, at low priority with fewer jobs than cores;
//! after each scan AutoDJ gets the new playlists, so added files play and removed ones
//! are never picked again, without a restart. A long first scan hands over what it has
//! found every few seconds; until it has found something playable, the failsafe is on air.

use crate::onair::OnAir;
use radio_net::Server;
use radio_net::mount::SourceInfo;
use radio_sched::autodj::{AutoDj, AutoDjSettings};
use radio_sched::failsafe::Failsafe;
use radio_sched::{Clock, SystemClock};
use radio_store::{
    Folder, LibrarySettings, StationLibrary, Store, WatchEvent, WatchSettings, Watcher,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The station's mount.
pub const MOUNT: &str = "/radio.mp3";
/// The station's name in the store.
pub const STATION: &str = "default";

/// A running media station: its watcher and its graph.
pub struct MediaStation {
    watcher: Option<Watcher>,
    onair: Option<OnAir>,
}

impl MediaStation {
    /// Stops the watcher (after a scan in progress) and the station.
    pub fn stop(mut self) {
        self.watcher.take();
        if let Some(o) = self.onair.take() {
            o.stop();
        }
    }
}

/// Opens the store at `db`, starts the watcher over `dirs` and puts the station on air.
/// Blocking (SQLite): call it off the async reactor.
pub fn start(server: &Server, db: &Path, dirs: &[PathBuf]) -> anyhow::Result<MediaStation> {
    for d in dirs {
        if !d.is_dir() {
            anyhow::bail!("--media {}: not a folder", d.display());
        }
    }
    let store = Store::open(db)?;
    let library = Arc::new(StationLibrary::open(
        store.clone(),
        STATION,
        LibrarySettings::default(),
    )?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let settings = AutoDjSettings {
        // Come back quickly once the first scan has found music.
        retry: Duration::from_secs(2),
        ..AutoDjSettings::default()
    };
    let (autodj, control) = AutoDj::new(library.clone(), settings, clock.clone());
    control.set_playlists(library.playlists());
    let folders: Vec<Folder> = dirs.iter().map(Folder::media).collect();
    store.set_folders(library.station(), &folders)?;
    let names = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let refreshed = library.clone();
    let watcher = Watcher::start(
        store,
        STATION,
        folders,
        WatchSettings::default(),
        move |event| {
            let (summary, done) = match event {
                WatchEvent::Progress(s) => (s, false),
                WatchEvent::Scanned(Ok(s)) => (s, true),
                WatchEvent::Scanned(Err(e)) => {
                    tracing::warn!("media library: {names}: {e}");
                    return;
                }
            };
            if let Err(e) = refreshed.refresh() {
                tracing::warn!("media library: {e}");
                return;
            }
            control.set_playlists(refreshed.playlists());
            let playable = refreshed.len();
            if !done {
                tracing::info!(
                    "media library: indexing, {} added so far; {playable} playable tracks",
                    summary.added + summary.updated + summary.moved
                );
            } else if summary.changed() {
                tracing::info!("media library: {summary}; {playable} playable tracks");
            }
        },
    )?;
    let mut info = SourceInfo::new("audio/mpeg");
    info.info.name = Some("radiopoint".into());
    info.info.description = Some("AutoDJ of a local music folder".into());
    info.info.bitrate = Some(128);
    info.audio_info = Some("ice-samplerate=48000;ice-bitrate=128;ice-channels=2".into());
    let onair = OnAir::start(
        "media",
        server,
        MOUNT,
        info,
        vec![Box::new(autodj), Box::new(Failsafe::tone())],
        clock,
    )?;
    Ok(MediaStation {
        watcher: Some(watcher),
        onair: Some(onair),
    })
}

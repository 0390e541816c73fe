//! # radio-store — the embedded database and the media library kept in it
//!
//! One SQLite file per installation (WAL, foreign keys, migrations embedded and applied at
//! open), stations as rows. [`Store`] owns a writer thread (every write is a closure run
//! in its own transaction there) and read connections on demand; all of its calls block,
//! so async code calls them from `spawn_blocking`.
//!
//! The media library: [`scan`] indexes a station's folders incrementally (unchanged files
//! are not opened; moved files keep their identity; bad files are recorded with the
//! reason), analysing new files through radio-core (exact duration, EBU R128 loudness and
//! true peak, cue points) and reading their tags and artwork. Files are never written:
//! gain is applied at playback. [`Watcher`] keeps a running station's library in sync,
//! and [`StationLibrary`] is what its AutoDJ reads (radio-sched's `Library`).
//!
//! ```
//! use radio_store::{Folder, ScanOptions, Store, scan};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("music"))?;
//! let store = Store::open(&dir.path().join("radiopoint.db"))?;
//! let summary = scan(
//!     &store,
//!     "rock",
//!     &[Folder::media(dir.path().join("music"))],
//!     &ScanOptions::default(),
//!     &mut radio_store::Quiet,
//! )?;
//! assert_eq!(summary.added, 0);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod accounts;
pub mod backup;
pub mod error;
pub mod library;
pub mod media;
pub mod playlists;
pub mod schema;
pub mod stations;
pub mod stats;
pub mod store;
pub mod tracks;

pub use accounts::{AuditEntry, Member, Role, User};
pub use backup::StationDump;
pub use error::{Error, Result};
pub use library::{LibrarySettings, StationLibrary};
pub use media::scan::{Change, FileReport, Progress, Quiet, ScanOptions, Summary, scan};
pub use media::watch::{WatchEvent, WatchSettings, Watcher};
pub use stations::{Folder, FolderKind, StationId};
pub use stats::{
    Event, Figures, ListenerSession, MinuteCount, SeriesPoint, SessionSummary, StationMinute,
};
pub use store::Store;
pub use tracks::{Analysis, Play, Status, Tags, Track, TrackId};

//! The crate's error type.

use std::path::PathBuf;

/// What went wrong in the store or the indexer.
///
/// Recoverable, per variant: [`Error::Busy`] (another indexer holds the station; wait or
/// try later), [`Error::NotFound`] (a station or row that is not there). The others mean
/// the database or the folder cannot be used as it is and say what to fix. A bad *media
/// file* is never an error here: it is recorded on its track with the reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite refused an operation (the database file is damaged, read-only, or full).
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer radiopoint than this one.
    #[error(
        "database {path} has schema version {found}, newer than this radiopoint knows ({known}); \
         use a newer radiopoint or restore a backup"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The version found.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A folder or file the scan needs could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A station, track or playlist that does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Another indexer is scanning this station (recoverable: wait, or try later).
    #[error("another indexer is scanning station '{station}' ({holder})")]
    Busy {
        /// The station.
        station: String,
        /// Who holds it, as its lock file says (pid and start time).
        holder: String,
    },
    /// A value the caller gave is unusable (the message names it).
    #[error("{0}")]
    Invalid(String),
    /// The writer thread has stopped (the store is shutting down).
    #[error("the store's writer has stopped")]
    Closed,
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches the database path to rusqlite errors.
pub(crate) trait SqlContext<T> {
    fn db(self, path: &std::path::Path) -> Result<T>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn db(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| Error::Sqlite {
            path: path.to_path_buf(),
            source,
        })
    }
}

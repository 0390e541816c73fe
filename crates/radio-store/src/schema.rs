//! The schema and its migrations: forward only, one transaction each, counted by SQLite's
//! `user_version`. A step is never edited once released; a change is a new step.

use crate::error::{Error, Result, SqlContext};
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

/// The migration steps; step `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: stations, their folders, the media library, artwork, playlists, play history.
    r#"
    CREATE TABLE stations (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL
    );
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('media', 'jingles', 'shows')),
        path TEXT NOT NULL,
        UNIQUE (station_id, path)
    );
    CREATE TABLE artwork (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        mime TEXT NOT NULL,
        width INTEGER,
        height INTEGER,
        data BLOB NOT NULL
    );
    CREATE TABLE tracks (
        id INTEGER PRIMARY KEY,
        station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('media', 'jingles', 'shows')),
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        hash TEXT,
        duration REAL,
        codec TEXT,
        sample_rate INTEGER,
        channels INTEGER,
        bitrate INTEGER,
        title TEXT,
        artist TEXT,
        album TEXT,
        genre TEXT,
        year INTEGER,
        track_number INTEGER,
        artwork_id INTEGER REFERENCES artwork(id) ON DELETE SET NULL,
        loudness REAL,
        true_peak REAL,
        cue_in REAL,
        cue_out REAL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
        reason TEXT,
        indexed INTEGER NOT NULL,
        UNIQUE (station_id, path)
    );
    CREATE INDEX tracks_hash ON tracks (station_id, hash);
    CREATE INDEX tracks_artwork ON tracks (artwork_id);
    CREATE TABLE playlists (
        id INTEGER PRIMARY KEY,
        station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        play_order TEXT NOT NULL DEFAULT 'random'
            CHECK (play_order IN ('random', 'shuffle', 'sequential')),
        weight INTEGER NOT NULL DEFAULT 1 CHECK (weight >= 0),
        rotation TEXT NOT NULL DEFAULT 'standard'
            CHECK (rotation IN ('standard', 'every_n_songs', 'every_n_minutes', 'once_per_hour')),
        rotation_n INTEGER NOT NULL DEFAULT 0 CHECK (rotation_n >= 0),
        days TEXT,
        start_time TEXT,
        end_time TEXT,
        UNIQUE (station_id, name)
    );
    CREATE TABLE playlist_tracks (
        playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        PRIMARY KEY (playlist_id, track_id)
    );
    CREATE INDEX playlist_tracks_track ON playlist_tracks (track_id);
    CREATE TABLE plays (
        id INTEGER PRIMARY KEY,
        station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        track_id INTEGER REFERENCES tracks(id) ON DELETE SET NULL,
        started INTEGER NOT NULL,
        source TEXT NOT NULL,
        title TEXT,
        artist TEXT
    );
    CREATE INDEX plays_station_started ON plays (station_id, started);
    CREATE INDEX plays_track ON plays (track_id);
    "#,
    // 2: accounts: users, browser sessions, API keys, station membership, the audit log.
    r#"
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        admin INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL,
        password_changed INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created INTEGER NOT NULL,
        expires INTEGER NOT NULL
    );
    CREATE INDEX sessions_user ON sessions (user_id);
    CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key_hash TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL
    );
    CREATE TABLE members (
        station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'dj')),
        permissions TEXT NOT NULL,
        PRIMARY KEY (station_id, user_id)
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        username TEXT,
        station TEXT,
        action TEXT NOT NULL,
        detail TEXT
    );
    CREATE INDEX audit_station_at ON audit_log (station, at);
    "#,
    // 3: stations made through the API, with their settings (as the API received them).
    r#"
    CREATE TABLE station_configs (
        station_id INTEGER PRIMARY KEY REFERENCES stations(id) ON DELETE CASCADE,
        spec TEXT NOT NULL,
        created INTEGER NOT NULL
    );
    "#,
    // 4: listener statistics (a row per listener session, listeners per mount and
    // minute) and the station event log (DJs refused, sources, upstreams, the indexer).
    r#"
    CREATE TABLE listener_sessions (
        id INTEGER PRIMARY KEY,
        station TEXT,
        mount TEXT NOT NULL,
        started INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        listener INTEGER NOT NULL,
        ip TEXT NOT NULL,
        user_agent TEXT NOT NULL
    );
    -- Covers a station's sums and unique listeners over a range without reading rows.
    CREATE INDEX listener_sessions_station
        ON listener_sessions (station, started, listener, duration_ms, bytes);
    CREATE INDEX listener_sessions_started ON listener_sessions (started);
    CREATE TABLE listener_minutes (
        mount TEXT NOT NULL,
        minute INTEGER NOT NULL,
        station TEXT,
        listeners INTEGER NOT NULL,
        PRIMARY KEY (mount, minute)
    ) WITHOUT ROWID;
    -- A station's sessions of one finished UTC day, summed up once (sorted distinct
    -- listener keys, 8 bytes each, for unique listeners over any run of days).
    CREATE TABLE station_days (
        station TEXT NOT NULL,
        day INTEGER NOT NULL,
        sessions INTEGER NOT NULL,
        ms INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        listeners BLOB NOT NULL,
        PRIMARY KEY (station, day)
    ) WITHOUT ROWID;
    CREATE TABLE station_minutes (
        station TEXT NOT NULL,
        minute INTEGER NOT NULL,
        listeners INTEGER NOT NULL,
        PRIMARY KEY (station, minute)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        station TEXT,
        kind TEXT NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX events_station_at ON events (station, at);
    CREATE INDEX tracks_failed ON tracks (indexed) WHERE status = 'failed';
    -- DJs banned from a station's live input (until: Unix seconds; NULL: for good).
    CREATE TABLE bans (
        station TEXT NOT NULL,
        username TEXT NOT NULL COLLATE NOCASE,
        until INTEGER,
        PRIMARY KEY (station, username)
    );
    "#,
];

/// The schema version this build writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database at `conn` to [`current_version`], a step per transaction.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db(path)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .db(path)?;
        if version > current_version() {
            return Err(Error::TooNew {
                path: path.to_path_buf(),
                found: version,
                known: current_version(),
            });
        }
        let Some(step) = MIGRATIONS.get(version as usize) else {
            return Ok(());
        };
        tx.execute_batch(step).db(path)?;
        tx.pragma_update(None, "user_version", version + 1)
            .db(path)?;
        tx.commit().db(path)?;
        tracing::info!(target: "store", "{}: schema migrated to version {}", path.display(), version + 1);
    }
}

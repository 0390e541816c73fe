//! Tracks: one row per audio file of a station, with what the indexer learnt of it.

use crate::error::{Result, SqlContext};
use crate::stations::{FolderKind, StationId};
use crate::store::Store;
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

/// A track's identity (the same as radio-sched's `TrackId`).
pub type TrackId = i64;

/// Tags of a track, after fallbacks (file name, charset repair).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tags {
    /// Title.
    pub title: Option<String>,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// Genre.
    pub genre: Option<String>,
    /// Year of recording or release.
    pub year: Option<i32>,
    /// Number on its album.
    pub track_number: Option<u32>,
}

/// What decoding a file told us.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Exact duration in seconds, counted while decoding.
    pub duration: f64,
    /// Codec name (`mp3`, `flac`, `vorbis`, `opus`, `aac`, `pcm`, ...).
    pub codec: String,
    /// The file's sample rate.
    pub sample_rate: u32,
    /// The file's channel count.
    pub channels: u32,
    /// Average bit rate in bit/s (file size over duration).
    pub bitrate: u32,
    /// EBU R128 integrated loudness in LUFS (`None`: nothing above the gate, silence).
    pub loudness: Option<f32>,
    /// Highest true peak in dBTP.
    pub true_peak: f32,
    /// Where the audio starts (end of leading silence below −50 dBFS), seconds.
    pub cue_in: f64,
    /// Where the audio ends (start of trailing silence), seconds.
    pub cue_out: f64,
}

/// Whether a track can play.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "reason")]
pub enum Status {
    /// Analysed and playable.
    Ok,
    /// Could not be used; the reason says why (retried when the file changes).
    Failed(String),
}

/// A track as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Track {
    /// Its identity.
    pub id: TrackId,
    /// Its station.
    pub station: StationId,
    /// What folder kind it came from.
    pub kind: FolderKind,
    /// Where the file is.
    pub path: String,
    /// File size in bytes when indexed.
    pub size: u64,
    /// Modification time (ns since the epoch) when indexed.
    pub mtime_ns: i64,
    /// BLAKE3 hash of the file's bytes (recognises moves and renames).
    pub hash: Option<String>,
    /// The analysis, when the file could be decoded.
    pub analysis: Option<Analysis>,
    /// Its tags.
    pub tags: Tags,
    /// Its artwork (an artwork row), when it has one.
    pub artwork: Option<i64>,
    /// Playable or not, and why.
    #[serde(flatten)]
    pub status: Status,
    /// When it was last indexed (seconds since the epoch).
    pub indexed: i64,
}

/// The columns [`Track::from_row`] reads, in order.
pub(crate) const TRACK_COLUMNS: &str = "id, station_id, kind, path, size, mtime_ns, hash, \
     duration, codec, sample_rate, channels, bitrate, title, artist, album, genre, year, \
     track_number, artwork_id, loudness, true_peak, cue_in, cue_out, status, reason, indexed";

impl Track {
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Track> {
        let kind: String = r.get(2)?;
        let duration: Option<f64> = r.get(7)?;
        let analysis = match duration {
            Some(duration) => Some(Analysis {
                duration,
                codec: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                sample_rate: r.get::<_, Option<u32>>(9)?.unwrap_or(0),
                channels: r.get::<_, Option<u32>>(10)?.unwrap_or(0),
                bitrate: r.get::<_, Option<u32>>(11)?.unwrap_or(0),
                loudness: r.get(19)?,
                true_peak: r.get::<_, Option<f32>>(20)?.unwrap_or(f32::NEG_INFINITY),
                cue_in: r.get::<_, Option<f64>>(21)?.unwrap_or(0.0),
                cue_out: r.get::<_, Option<f64>>(22)?.unwrap_or(duration),
            }),
            None => None,
        };
        let status: String = r.get(23)?;
        let reason: Option<String> = r.get(24)?;
        Ok(Track {
            id: r.get(0)?,
            station: r.get(1)?,
            kind: FolderKind::parse(&kind).unwrap_or(FolderKind::Media),
            path: r.get(3)?,
            size: r.get::<_, i64>(4)?.max(0) as u64,
            mtime_ns: r.get(5)?,
            hash: r.get(6)?,
            analysis,
            tags: Tags {
                title: r.get(12)?,
                artist: r.get(13)?,
                album: r.get(14)?,
                genre: r.get(15)?,
                year: r.get(16)?,
                track_number: r.get(17)?,
            },
            artwork: r.get(18)?,
            status: if status == "ok" {
                Status::Ok
            } else {
                Status::Failed(reason.unwrap_or_default())
            },
            indexed: r.get(25)?,
        })
    }
}

/// A play of a track (or of a live set, a show), as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Play {
    /// The track, while it is still in the library.
    pub track: Option<TrackId>,
    /// When it started (ms since the epoch).
    pub started: i64,
    /// What played it (`autodj`, `live`, `show`, ...).
    pub source: String,
    /// Its title then.
    pub title: Option<String>,
    /// Its artist then.
    pub artist: Option<String>,
}

impl Play {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Play> {
        Ok(Play {
            track: r.get(0)?,
            started: r.get(1)?,
            source: r.get(2)?,
            title: r.get(3)?,
            artist: r.get(4)?,
        })
    }
}

impl Store {
    /// A station's tracks, in path order.
    pub fn tracks(&self, station: StationId) -> Result<Vec<Track>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let sql =
                format!("SELECT {TRACK_COLUMNS} FROM tracks WHERE station_id = ?1 ORDER BY path");
            let mut st = c.prepare(&sql).db(&path)?;
            let rows = st.query_map([station], Track::from_row).db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// The tracks of the station called `name` (none when it has no rows yet).
    pub fn station_tracks(&self, name: &str) -> Result<Vec<Track>> {
        match self.station(name)? {
            Some(id) => self.tracks(id),
            None => Ok(Vec::new()),
        }
    }

    /// One track.
    pub fn track(&self, id: TrackId) -> Result<Option<Track>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let sql = format!("SELECT {TRACK_COLUMNS} FROM tracks WHERE id = ?1");
            c.query_row(&sql, [id], Track::from_row)
                .optional()
                .db(&path)
        })
    }

    /// The track at `file` in `station`.
    pub fn track_at(&self, station: StationId, file: &str) -> Result<Option<Track>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let sql =
                format!("SELECT {TRACK_COLUMNS} FROM tracks WHERE station_id = ?1 AND path = ?2");
            c.query_row(&sql, params![station, file], Track::from_row)
                .optional()
                .db(&path)
        })
    }

    /// An artwork image: its MIME type and bytes.
    pub fn artwork(&self, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            c.query_row("SELECT mime, data FROM artwork WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .db(&path)
        })
    }

    /// Records that something started playing on `station` at `started` (ms since the
    /// epoch).
    pub fn record_play(&self, station: StationId, play: Play) -> Result<()> {
        let path = self.path().to_path_buf();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO plays (station_id, track_id, started, source, title, artist) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    station,
                    play.track,
                    play.started,
                    play.source,
                    play.title,
                    play.artist
                ],
            )
            .db(&path)?;
            Ok(())
        })
    }

    /// The last `limit` plays of a station, newest first.
    pub fn plays(&self, station: StationId, limit: usize) -> Result<Vec<Play>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare(
                    "SELECT track_id, started, source, title, artist FROM plays \
                     WHERE station_id = ?1 ORDER BY started DESC, id DESC LIMIT ?2",
                )
                .db(&path)?;
            let rows = st
                .query_map(params![station, limit as i64], Play::from_row)
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// The plays of one track, newest first.
    pub fn plays_of(&self, track: TrackId) -> Result<Vec<Play>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare(
                    "SELECT track_id, started, source, title, artist FROM plays \
                     WHERE track_id = ?1 ORDER BY started DESC, id DESC",
                )
                .db(&path)?;
            let rows = st.query_map([track], Play::from_row).db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// Forgets a track of `station` (its plays keep their titles); `false` when the
    /// station has no such track.
    pub fn delete_track(&self, station: StationId, id: TrackId) -> Result<bool> {
        let path = self.path().to_path_buf();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "DELETE FROM tracks WHERE id = ?1 AND station_id = ?2",
                    params![id, station],
                )
                .db(&path)?;
            Ok(n > 0)
        })
    }
}

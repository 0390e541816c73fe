//! Playlists and their tracks, stored as radio-sched's [`Playlist`]s (order, weight,
//! rotation, schedule).

use crate::error::{Error, Result, SqlContext};
use crate::stations::StationId;
use crate::store::Store;
use crate::tracks::TrackId;
use chrono::{NaiveTime, Weekday};
use radio_sched::autodj::rules::{Order, Playlist, Rotation, Schedule};
use rusqlite::params;

/// A playlist's identity in the store.
pub type PlaylistId = i64;

fn order_str(o: Order) -> &'static str {
    match o {
        Order::Random => "random",
        Order::Shuffle => "shuffle",
        Order::Sequential => "sequential",
    }
}

fn parse_order(s: &str) -> Order {
    match s {
        "shuffle" => Order::Shuffle,
        "sequential" => Order::Sequential,
        _ => Order::Random,
    }
}

fn rotation_parts(r: Rotation) -> (&'static str, u32) {
    match r {
        Rotation::Standard => ("standard", 0),
        Rotation::EveryNSongs(n) => ("every_n_songs", n),
        Rotation::EveryNMinutes(n) => ("every_n_minutes", n),
        Rotation::OncePerHour(m) => ("once_per_hour", m),
    }
}

fn parse_rotation(s: &str, n: u32) -> Rotation {
    match s {
        "every_n_songs" => Rotation::EveryNSongs(n),
        "every_n_minutes" => Rotation::EveryNMinutes(n),
        "once_per_hour" => Rotation::OncePerHour(n),
        _ => Rotation::Standard,
    }
}

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

fn days_str(days: &[Weekday]) -> String {
    days.iter()
        .filter_map(|d| DAYS.iter().find(|(w, _)| w == d).map(|(_, s)| *s))
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_days(s: &str) -> Vec<Weekday> {
    s.split(',')
        .filter_map(|d| DAYS.iter().find(|(_, n)| *n == d.trim()).map(|(w, _)| *w))
        .collect()
}

/// A playlist's rules as the `playlists` columns hold them.
struct Rules {
    order: &'static str,
    rotation: &'static str,
    n: u32,
    days: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

impl Rules {
    fn of(p: &Playlist) -> Rules {
        let (rotation, n) = rotation_parts(p.rotation);
        let s = p.schedule.as_ref();
        Rules {
            order: order_str(p.order),
            rotation,
            n,
            days: s.map(|s| days_str(&s.days)),
            start: s.map(|s| s.start.format("%H:%M").to_string()),
            end: s.map(|s| s.end.format("%H:%M").to_string()),
        }
    }
}

/// Puts `tracks` (those of `station`) into a playlist, in order.
fn insert_tracks(
    tx: &rusqlite::Transaction<'_>,
    db: &std::path::Path,
    station: StationId,
    playlist: PlaylistId,
    tracks: &[u64],
) -> Result<()> {
    let mut st = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO playlist_tracks (playlist_id, track_id, position) \
             SELECT ?1, id, ?3 FROM tracks WHERE id = ?2 AND station_id = ?4",
        )
        .db(db)?;
    for (pos, track) in tracks.iter().enumerate() {
        st.execute(params![playlist, *track as TrackId, pos as i64, station])
            .db(db)?;
    }
    Ok(())
}

impl Store {
    /// Creates a playlist (its `tracks` included) and returns its id.
    pub fn create_playlist(&self, station: StationId, playlist: &Playlist) -> Result<PlaylistId> {
        let db = self.path().to_path_buf();
        let p = playlist.clone();
        self.write(move |tx| {
            let r = Rules::of(&p);
            let inserted = tx.execute(
                "INSERT INTO playlists (station_id, name, play_order, weight, rotation, rotation_n, \
                 days, start_time, end_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    station, p.name, r.order, p.weight, r.rotation, r.n, r.days, r.start, r.end
                ],
            );
            if let Err(rusqlite::Error::SqliteFailure(e, _)) = &inserted
                && e.code == rusqlite::ErrorCode::ConstraintViolation
            {
                return Err(Error::Invalid(format!("a playlist named '{}' exists", p.name)));
            }
            inserted.db(&db)?;
            let id = tx.last_insert_rowid();
            insert_tracks(tx, &db, station, id, &p.tracks)?;
            Ok(id)
        })
    }

    /// Adds a track at the end of a playlist.
    pub fn add_to_playlist(&self, playlist: PlaylistId, track: TrackId) -> Result<()> {
        let db = self.path().to_path_buf();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO playlist_tracks (playlist_id, track_id, position) \
                     SELECT ?1, ?2, COALESCE(MAX(position) + 1, 0) FROM playlist_tracks \
                     WHERE playlist_id = ?1",
                    params![playlist, track],
                )
                .db(&db)?;
            if n == 0 {
                return Err(Error::Invalid(format!(
                    "track {track} is already in playlist {playlist}"
                )));
            }
            Ok(())
        })
    }

    /// A station's playlists with their tracks (in playlist order).
    pub fn playlists(&self, station: StationId) -> Result<Vec<(PlaylistId, Playlist)>> {
        let db = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare(
                    "SELECT id, name, play_order, weight, rotation, rotation_n, days, start_time, \
                     end_time FROM playlists WHERE station_id = ?1 ORDER BY name",
                )
                .db(&db)?;
            let rows = st
                .query_map([station], |r| {
                    let id: PlaylistId = r.get(0)?;
                    let start: Option<String> = r.get(7)?;
                    let end: Option<String> = r.get(8)?;
                    let days: Option<String> = r.get(6)?;
                    let time = |s: &Option<String>| {
                        s.as_deref()
                            .and_then(|s| NaiveTime::parse_from_str(s, "%H:%M").ok())
                    };
                    let schedule = match (time(&start), time(&end)) {
                        (Some(start), Some(end)) => Some(Schedule {
                            days: days.as_deref().map(parse_days).unwrap_or_default(),
                            start,
                            end,
                        }),
                        _ => None,
                    };
                    Ok((
                        id,
                        Playlist {
                            name: r.get(1)?,
                            tracks: Vec::new(),
                            order: parse_order(&r.get::<_, String>(2)?),
                            weight: r.get(3)?,
                            rotation: parse_rotation(&r.get::<_, String>(4)?, r.get(5)?),
                            schedule,
                        },
                    ))
                })
                .db(&db)?;
            let mut out = rows.collect::<rusqlite::Result<Vec<_>>>().db(&db)?;
            let mut st = c
                .prepare(
                    "SELECT track_id FROM playlist_tracks WHERE playlist_id = ?1 ORDER BY position",
                )
                .db(&db)?;
            for (id, playlist) in &mut out {
                let tracks = st
                    .query_map([*id], |r| r.get::<_, i64>(0))
                    .db(&db)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .db(&db)?;
                playlist.tracks = tracks.into_iter().map(|t| t as u64).collect();
            }
            Ok(out)
        })
    }

    /// Replaces a playlist of `station` (its settings and tracks); `false` if the station
    /// has no such playlist.
    pub fn update_playlist(
        &self,
        station: StationId,
        id: PlaylistId,
        playlist: &Playlist,
    ) -> Result<bool> {
        let db = self.path().to_path_buf();
        let p = playlist.clone();
        self.write(move |tx| {
            let r = Rules::of(&p);
            let updated = tx.execute(
                "UPDATE playlists SET name = ?3, play_order = ?4, weight = ?5, rotation = ?6, \
                 rotation_n = ?7, days = ?8, start_time = ?9, end_time = ?10 \
                 WHERE id = ?1 AND station_id = ?2",
                params![
                    id, station, p.name, r.order, p.weight, r.rotation, r.n, r.days, r.start, r.end
                ],
            );
            if let Err(rusqlite::Error::SqliteFailure(e, _)) = &updated
                && e.code == rusqlite::ErrorCode::ConstraintViolation
            {
                return Err(Error::Invalid(format!(
                    "a playlist named '{}' exists",
                    p.name
                )));
            }
            if updated.db(&db)? == 0 {
                return Ok(false);
            }
            tx.execute("DELETE FROM playlist_tracks WHERE playlist_id = ?1", [id])
                .db(&db)?;
            insert_tracks(tx, &db, station, id, &p.tracks)?;
            Ok(true)
        })
    }

    /// Deletes a playlist of `station`; `false` if it has no such playlist.
    pub fn delete_playlist(&self, station: StationId, id: PlaylistId) -> Result<bool> {
        let db = self.path().to_path_buf();
        self.write(move |tx| {
            Ok(tx
                .execute(
                    "DELETE FROM playlists WHERE id = ?1 AND station_id = ?2",
                    params![id, station],
                )
                .db(&db)?
                > 0)
        })
    }
}

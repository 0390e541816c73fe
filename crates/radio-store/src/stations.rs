//! Stations (one database holds them all, as rows) and the folders their media comes from.

use crate::error::{Error, Result, SqlContext};
use crate::store::Store;
use rusqlite::{OptionalExtension, params};
use std::path::PathBuf;

/// A station's identity in the store.
pub type StationId = i64;

/// What a folder holds, which decides how its tracks are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FolderKind {
    /// Music for the AutoDJ.
    Media,
    /// Jingles, station IDs, liners.
    Jingles,
    /// Pre-recorded shows.
    Shows,
}

impl FolderKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FolderKind::Media => "media",
            FolderKind::Jingles => "jingles",
            FolderKind::Shows => "shows",
        }
    }

    /// The kind stored as `s`.
    pub fn parse(s: &str) -> Option<FolderKind> {
        match s {
            "media" => Some(FolderKind::Media),
            "jingles" => Some(FolderKind::Jingles),
            "shows" => Some(FolderKind::Shows),
            _ => None,
        }
    }
}

/// A folder a station's tracks are indexed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// What it holds.
    pub kind: FolderKind,
    /// Where it is.
    pub path: PathBuf,
}

impl Folder {
    /// A music folder.
    pub fn media(path: impl Into<PathBuf>) -> Folder {
        Folder {
            kind: FolderKind::Media,
            path: path.into(),
        }
    }

    /// A jingles folder.
    pub fn jingles(path: impl Into<PathBuf>) -> Folder {
        Folder {
            kind: FolderKind::Jingles,
            path: path.into(),
        }
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Checks a station name: it is a URL id (`/api/nowplaying/{name}`), so letters, digits,
/// `-` and `_`, 1–64 characters.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "station name '{name}': use 1–64 letters, digits, '-' or '_' (it is part of URLs)"
        )))
    }
}

impl Store {
    /// The station called `name`, created if it does not exist yet.
    pub fn ensure_station(&self, name: &str) -> Result<StationId> {
        check_name(name)?;
        let path = self.path().to_path_buf();
        let name = name.to_string();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO stations (name, created) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, now_secs()],
            )
            .db(&path)?;
            tx.query_row("SELECT id FROM stations WHERE name = ?1", [&name], |r| {
                r.get(0)
            })
            .db(&path)
        })
    }

    /// Keeps the settings of a station made through the API (JSON, as received), making
    /// the station if needed.
    pub fn save_station_config(&self, name: &str, spec: &str) -> Result<StationId> {
        let id = self.ensure_station(name)?;
        let path = self.path().to_path_buf();
        let spec = spec.to_string();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO station_configs (station_id, spec, created) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (station_id) DO UPDATE SET spec = ?2",
                params![id, spec, now_secs()],
            )
            .db(&path)?;
            Ok(id)
        })
    }

    /// The stations made through the API: (name, settings JSON), by name.
    pub fn station_configs(&self) -> Result<Vec<(String, String)>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare(
                    "SELECT s.name, c.spec FROM station_configs c \
                     JOIN stations s ON s.id = c.station_id ORDER BY s.name",
                )
                .db(&path)?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// Deletes a station and everything it owns in the store (tracks, playlists, plays,
    /// memberships, settings); the media files stay. `false` if there was none.
    pub fn delete_station(&self, name: &str) -> Result<bool> {
        let path = self.path().to_path_buf();
        let name = name.to_string();
        self.write(move |tx| {
            Ok(tx
                .execute("DELETE FROM stations WHERE name = ?1", [&name])
                .db(&path)?
                > 0)
        })
    }

    /// The station called `name`, if it exists.
    pub fn station(&self, name: &str) -> Result<Option<StationId>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            c.query_row("SELECT id FROM stations WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .db(&path)
        })
    }

    /// The names of all stations.
    pub fn stations(&self) -> Result<Vec<(StationId, String)>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare("SELECT id, name FROM stations ORDER BY name")
                .db(&path)?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// Replaces a station's folders.
    pub fn set_folders(&self, station: StationId, folders: &[Folder]) -> Result<()> {
        let path = self.path().to_path_buf();
        let folders: Vec<(String, String)> = folders
            .iter()
            .map(|f| (f.kind.as_str().to_string(), f.path.display().to_string()))
            .collect();
        self.write(move |tx| {
            tx.execute("DELETE FROM folders WHERE station_id = ?1", [station])
                .db(&path)?;
            for (kind, folder) in &folders {
                tx.execute(
                    "INSERT OR IGNORE INTO folders (station_id, kind, path) VALUES (?1, ?2, ?3)",
                    params![station, kind, folder],
                )
                .db(&path)?;
            }
            Ok(())
        })
    }

    /// A station's folders, as last set.
    pub fn folders(&self, station: StationId) -> Result<Vec<Folder>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare("SELECT kind, path FROM folders WHERE station_id = ?1 ORDER BY id")
                .db(&path)?;
            let rows = st
                .query_map([station], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .db(&path)?;
            let mut out = Vec::new();
            for row in rows {
                let (kind, folder) = row.db(&path)?;
                if let Some(kind) = FolderKind::parse(&kind) {
                    out.push(Folder {
                        kind,
                        path: folder.into(),
                    });
                }
            }
            Ok(out)
        })
    }

    /// Bans a DJ from a station's live input (until Unix seconds, or for good), kept
    /// across restarts.
    pub fn set_ban(&self, station: &str, username: &str, until: Option<i64>) -> Result<()> {
        let path = self.path().to_path_buf();
        let (station, username) = (station.to_string(), username.to_string());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO bans (station, username, until) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (station, username) DO UPDATE SET until = ?3",
                params![station, username, until],
            )
            .db(&path)?;
            Ok(())
        })
    }

    /// Lifts a ban; `false` if there was none.
    pub fn remove_ban(&self, station: &str, username: &str) -> Result<bool> {
        let path = self.path().to_path_buf();
        let (station, username) = (station.to_string(), username.to_string());
        self.write(move |tx| {
            Ok(tx
                .execute(
                    "DELETE FROM bans WHERE station = ?1 AND username = ?2",
                    params![station, username],
                )
                .db(&path)?
                > 0)
        })
    }

    /// A station's bans in force at `now` (Unix seconds): user, until.
    pub fn bans(&self, station: &str, now: i64) -> Result<Vec<(String, Option<i64>)>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare(
                    "SELECT username, until FROM bans WHERE station = ?1 \
                     AND (until IS NULL OR until > ?2) ORDER BY username",
                )
                .db(&path)?;
            let rows = st
                .query_map(params![station, now], |r| Ok((r.get(0)?, r.get(1)?)))
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }
}

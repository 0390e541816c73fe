//! A station's rows, out of one store and into another: what backups are made of.
//!
//! [`Store::export_station`] reads every row that belongs to a station — its settings,
//! folders, tracks and their artwork, playlists, play history, members (with their
//! accounts, never as administrators), audit log, events and listener statistics — in one
//! read transaction, so a station that keeps running while it is exported gives a
//! consistent picture. Rows are kept column by column (`{"column": value}`, blobs as
//! `{"$blob": "base64"}`), so the dump follows the schema it was made with.
//! [`Store::import_station`] writes them into another store in one transaction, with new
//! row ids, file paths moved to where the files were restored, and every reference
//! (track → artwork, playlist → track, play → track, member → user) mapped across.

use crate::error::{Error, Result, SqlContext};
use crate::store::Store;
use base64::Engine;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, Transaction, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// A row: column → value.
pub type Row = Map<String, Value>;

/// A station's rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StationDump {
    /// The schema version of the store it came from.
    pub schema: i64,
    /// The station's name.
    pub station: String,
    /// Rows by table.
    pub tables: BTreeMap<String, Vec<Row>>,
}

impl StationDump {
    /// The rows of `table` (none when absent).
    pub fn rows(&self, table: &str) -> &[Row] {
        self.tables.get(table).map_or(&[], Vec::as_slice)
    }
}

/// The queries of an export: table, and the rows of the station (`?1`: its id, `?2`:
/// its name).
const EXPORT: &[(&str, &str)] = &[
    ("stations", "SELECT * FROM stations WHERE id = ?1"),
    (
        "station_configs",
        "SELECT * FROM station_configs WHERE station_id = ?1",
    ),
    ("folders", "SELECT * FROM folders WHERE station_id = ?1"),
    (
        "artwork",
        "SELECT * FROM artwork WHERE id IN (SELECT artwork_id FROM tracks WHERE station_id = ?1)",
    ),
    ("tracks", "SELECT * FROM tracks WHERE station_id = ?1"),
    ("playlists", "SELECT * FROM playlists WHERE station_id = ?1"),
    (
        "playlist_tracks",
        "SELECT * FROM playlist_tracks WHERE playlist_id IN \
         (SELECT id FROM playlists WHERE station_id = ?1)",
    ),
    ("plays", "SELECT * FROM plays WHERE station_id = ?1"),
    (
        "users",
        "SELECT id, username, password_hash, created, password_changed FROM users \
         WHERE id IN (SELECT user_id FROM members WHERE station_id = ?1)",
    ),
    ("members", "SELECT * FROM members WHERE station_id = ?1"),
    ("audit_log", "SELECT * FROM audit_log WHERE station = ?2"),
    ("events", "SELECT * FROM events WHERE station = ?2"),
    (
        "listener_sessions",
        "SELECT * FROM listener_sessions WHERE station = ?2",
    ),
    (
        "listener_minutes",
        "SELECT * FROM listener_minutes WHERE station = ?2",
    ),
    (
        "station_minutes",
        "SELECT * FROM station_minutes WHERE station = ?2",
    ),
];

fn to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => {
            serde_json::json!({"$blob": base64::engine::general_purpose::STANDARD.encode(b)})
        }
    }
}

fn to_sql(v: &Value) -> Result<Sql> {
    Ok(match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Sql::Text(s.clone()),
        Value::Object(o) if o.contains_key("$blob") => Sql::Blob(
            base64::engine::general_purpose::STANDARD
                .decode(o["$blob"].as_str().unwrap_or(""))
                .map_err(|e| Error::Invalid(format!("backup: a blob is not base64: {e}")))?,
        ),
        other => return Err(Error::Invalid(format!("backup: unexpected value {other}"))),
    })
}

fn query_rows(c: &Connection, sql: &str, id: i64, name: &str) -> rusqlite::Result<Vec<Row>> {
    let mut st = c.prepare(sql)?;
    let names: Vec<String> = st.column_names().map(str::to_string).collect();
    let wanted = sql.matches("?2").count() > 0;
    let mut rows = if wanted {
        st.query(rusqlite::params![id, name])?
    } else {
        st.query([id])?
    };
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Map::new();
        for (i, n) in names.iter().enumerate() {
            row.insert(n.clone(), to_json(r.get_ref(i)?));
        }
        out.push(row);
    }
    Ok(out)
}

fn int(row: &Row, col: &str) -> Option<i64> {
    row.get(col).and_then(Value::as_i64)
}

/// Inserts `row` into `table` with `set` columns replaced and `drop` columns left out;
/// returns the new row id.
fn insert(
    tx: &Transaction<'_>,
    path: &std::path::Path,
    table: &str,
    row: &Row,
    set: &[(&str, Value)],
    drop: &[&str],
) -> Result<i64> {
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    for (k, v) in row {
        if drop.contains(&k.as_str()) || set.iter().any(|(s, _)| s == k) {
            continue;
        }
        if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::Invalid(format!("backup: bad column name {k:?}")));
        }
        cols.push(k.clone());
        vals.push(to_sql(v)?);
    }
    for (k, v) in set {
        cols.push(k.to_string());
        vals.push(to_sql(v)?);
    }
    let marks = vec!["?"; cols.len()].join(", ");
    let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", cols.join(", "));
    tx.execute(&sql, params_from_iter(vals)).db(path)?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    /// Every row of `station` (see the module docs), read in one transaction.
    pub fn export_station(&self, station: &str) -> Result<StationDump> {
        let path = self.path().to_path_buf();
        let station = station.to_string();
        self.read(move |c| {
            let tx = c.unchecked_transaction().db(&path)?;
            let id: i64 = tx
                .query_row("SELECT id FROM stations WHERE name = ?1", [&station], |r| {
                    r.get(0)
                })
                .map_err(|_| Error::NotFound(format!("station {station}")))?;
            let schema: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .db(&path)?;
            let mut tables = BTreeMap::new();
            for (table, sql) in EXPORT {
                tables.insert(
                    table.to_string(),
                    query_rows(&tx, sql, id, &station).db(&path)?,
                );
            }
            Ok(StationDump {
                schema,
                station,
                tables,
            })
        })
    }

    /// Writes a dump as station `name` (its own name, or another), with file paths
    /// through `move_path` and the station settings `config` (the JSON of its
    /// `[[station]]` keys, for stations run from the store). Fails, changing nothing, if
    /// the station exists.
    pub fn import_station(
        &self,
        dump: StationDump,
        name: &str,
        config: Option<String>,
        move_path: impl Fn(&str) -> String + Send + 'static,
    ) -> Result<i64> {
        crate::stations::check_name(name)?;
        if dump.schema > crate::schema::current_version() {
            return Err(Error::Invalid(format!(
                "backup: made by a newer radiopoint (schema {}, this one knows {})",
                dump.schema,
                crate::schema::current_version()
            )));
        }
        let path = self.path().to_path_buf();
        let name = name.to_string();
        self.write(move |tx| {
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM stations WHERE name = ?1", [&name], |r| {
                    r.get(0)
                })
                .ok();
            if exists.is_some() {
                return Err(Error::Invalid(format!("station {name} exists already")));
            }
            let created = dump
                .rows("stations")
                .first()
                .and_then(|r| int(r, "created"))
                .unwrap_or_else(|| chrono::Utc::now().timestamp());
            tx.execute(
                "INSERT INTO stations (name, created) VALUES (?1, ?2)",
                rusqlite::params![name, created],
            )
            .db(&path)?;
            let sid = Value::from(tx.last_insert_rowid());
            let station = Value::from(name.clone());
            if let Some(config) = config {
                tx.execute(
                    "INSERT INTO station_configs (station_id, spec, created) VALUES (?1, ?2, ?3)",
                    rusqlite::params![sid.as_i64(), config, created],
                )
                .db(&path)?;
            }
            for row in dump.rows("folders") {
                let p = row.get("path").and_then(Value::as_str).unwrap_or("");
                let set = [("station_id", sid.clone()), ("path", Value::from(move_path(p)))];
                insert(tx, &path, "folders", row, &set, &["id"])?;
            }
            // Artwork is shared by hash: an image already there is reused.
            let mut artwork = HashMap::new();
            for row in dump.rows("artwork") {
                let hash = row.get("hash").and_then(Value::as_str).unwrap_or("");
                let found: Option<i64> = tx
                    .query_row("SELECT id FROM artwork WHERE hash = ?1", [hash], |r| r.get(0))
                    .ok();
                let new = match found {
                    Some(id) => id,
                    None => insert(tx, &path, "artwork", row, &[], &["id"])?,
                };
                if let Some(old) = int(row, "id") {
                    artwork.insert(old, new);
                }
            }
            let mut tracks = HashMap::new();
            for row in dump.rows("tracks") {
                let p = row.get("path").and_then(Value::as_str).unwrap_or("");
                let art = int(row, "artwork_id")
                    .and_then(|a| artwork.get(&a))
                    .map_or(Value::Null, |&a| Value::from(a));
                let set = [
                    ("station_id", sid.clone()),
                    ("path", Value::from(move_path(p))),
                    ("artwork_id", art),
                ];
                let new = insert(tx, &path, "tracks", row, &set, &["id"])?;
                if let Some(old) = int(row, "id") {
                    tracks.insert(old, new);
                }
            }
            let mut playlists = HashMap::new();
            for row in dump.rows("playlists") {
                let new = insert(tx, &path, "playlists", row, &[("station_id", sid.clone())], &["id"])?;
                if let Some(old) = int(row, "id") {
                    playlists.insert(old, new);
                }
            }
            for row in dump.rows("playlist_tracks") {
                let (Some(p), Some(t)) = (
                    int(row, "playlist_id").and_then(|p| playlists.get(&p)),
                    int(row, "track_id").and_then(|t| tracks.get(&t)),
                ) else {
                    continue;
                };
                let set = [("playlist_id", Value::from(*p)), ("track_id", Value::from(*t))];
                insert(tx, &path, "playlist_tracks", row, &set, &[])?;
            }
            for row in dump.rows("plays") {
                let t = int(row, "track_id")
                    .and_then(|t| tracks.get(&t))
                    .map_or(Value::Null, |&t| Value::from(t));
                let set = [("station_id", sid.clone()), ("track_id", t)];
                insert(tx, &path, "plays", row, &set, &["id"])?;
            }
            // Members keep their accounts: an account of the same name is theirs; a
            // missing one comes back with its password, never as an administrator.
            let mut users = HashMap::new();
            for row in dump.rows("users") {
                let username = row.get("username").and_then(Value::as_str).unwrap_or("");
                let found: Option<i64> = tx
                    .query_row("SELECT id FROM users WHERE username = ?1", [username], |r| {
                        r.get(0)
                    })
                    .ok();
                let new = match found {
                    Some(id) => id,
                    None => insert(tx, &path, "users", row, &[("admin", Value::from(0))], &["id"])?,
                };
                if let Some(old) = int(row, "id") {
                    users.insert(old, new);
                }
            }
            for row in dump.rows("members") {
                let Some(u) = int(row, "user_id").and_then(|u| users.get(&u)) else {
                    continue;
                };
                let set = [("station_id", sid.clone()), ("user_id", Value::from(*u))];
                insert(tx, &path, "members", row, &set, &[])?;
            }
            for table in ["audit_log", "events", "listener_sessions"] {
                for row in dump.rows(table) {
                    insert(tx, &path, table, row, &[("station", station.clone())], &["id"])?;
                }
            }
            for row in dump.rows("listener_minutes") {
                let sql = "INSERT OR IGNORE INTO listener_minutes (mount, minute, station, listeners) \
                           VALUES (?1, ?2, ?3, ?4)";
                tx.execute(
                    sql,
                    rusqlite::params![
                        row.get("mount").and_then(Value::as_str),
                        int(row, "minute"),
                        name,
                        int(row, "listeners")
                    ],
                )
                .db(&path)?;
            }
            for row in dump.rows("station_minutes") {
                tx.execute(
                    "INSERT OR IGNORE INTO station_minutes (station, minute, listeners) \
                     VALUES (?1, ?2, ?3)",
                    rusqlite::params![name, int(row, "minute"), int(row, "listeners")],
                )
                .db(&path)?;
            }
            Ok(sid.as_i64().unwrap_or(0))
        })
    }
}

//! `/api/stations/{station}/playlists[/{id}]`: AutoDJ's playlists and their rules (order,
//! weight, rotation, active days and hours), kept in the store; a change reaches AutoDJ at
//! once (permission `playlists`).

use super::Web;
use super::auth::Caller;
use super::error::ApiError;
use super::stations::{access, audit, matches, search_words};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{NaiveTime, Weekday};
use radio_sched::autodj::rules::{Order, Playlist, Rotation, Schedule};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// A playlist as the API takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaylistBody {
    name: String,
    /// `random` (default), `shuffle`, `sequential`.
    #[serde(default)]
    order: Option<String>,
    /// Weight among standard playlists (default 1).
    #[serde(default)]
    weight: Option<u32>,
    /// `standard` (default), `every_n_songs`, `every_n_minutes`, `once_per_hour`.
    #[serde(default)]
    rotation: Option<String>,
    /// The n of the rotation (songs, minutes, or the minute of the hour).
    #[serde(default)]
    n: Option<u32>,
    /// Active days (`mon`...`sun`; empty: every day), with `start` and `end` (`HH:MM`).
    #[serde(default)]
    days: Vec<String>,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
    /// Track ids, in order.
    #[serde(default)]
    tracks: Vec<u64>,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

impl PlaylistBody {
    fn into_playlist(self) -> Result<Playlist, ApiError> {
        let bad = |k: &str, m: String| ApiError::bad_request(format!("{k}: {m}"));
        if self.name.trim().is_empty() {
            return Err(bad("name", "may not be empty".into()));
        }
        let order = match self.order.as_deref().unwrap_or("random") {
            "random" => Order::Random,
            "shuffle" => Order::Shuffle,
            "sequential" => Order::Sequential,
            o => {
                return Err(bad(
                    "order",
                    format!("{o:?} is not random, shuffle or sequential"),
                ));
            }
        };
        let n = self.n.unwrap_or(0);
        let rotation = match self.rotation.as_deref().unwrap_or("standard") {
            "standard" => Rotation::Standard,
            "every_n_songs" if n > 0 => Rotation::EveryNSongs(n),
            "every_n_minutes" if n > 0 => Rotation::EveryNMinutes(n),
            "once_per_hour" if n < 60 => Rotation::OncePerHour(n),
            r @ ("every_n_songs" | "every_n_minutes" | "once_per_hour") => {
                return Err(bad("n", format!("{n} does not fit rotation {r}")));
            }
            r => {
                return Err(bad(
                    "rotation",
                    format!(
                        "{r:?} is not standard, every_n_songs, every_n_minutes or once_per_hour"
                    ),
                ));
            }
        };
        let days = self
            .days
            .iter()
            .map(|d| {
                DAYS.iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(d.trim()))
                    .map(|(_, w)| *w)
                    .ok_or_else(|| bad("days", format!("{d:?} is not mon, tue, ... sun")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let time = |k: &str, v: &Option<String>| -> Result<Option<NaiveTime>, ApiError> {
            v.as_deref()
                .map(|s| {
                    NaiveTime::parse_from_str(s, "%H:%M")
                        .map_err(|_| bad(k, format!("{s:?} is not HH:MM")))
                })
                .transpose()
        };
        let schedule = match (time("start", &self.start)?, time("end", &self.end)?) {
            (Some(start), Some(end)) => Some(Schedule { days, start, end }),
            (None, None) if days.is_empty() => None,
            (None, None) => return Err(bad("days", "active days need a start and an end".into())),
            _ => return Err(bad("start", "start and end go together".into())),
        };
        Ok(Playlist {
            name: self.name.trim().to_string(),
            tracks: self.tracks,
            order,
            weight: self.weight.unwrap_or(1),
            rotation,
            schedule,
        })
    }
}

fn to_json(id: i64, p: &Playlist) -> Value {
    let (rotation, n) = match p.rotation {
        Rotation::Standard => ("standard", 0),
        Rotation::EveryNSongs(n) => ("every_n_songs", n),
        Rotation::EveryNMinutes(n) => ("every_n_minutes", n),
        Rotation::OncePerHour(n) => ("once_per_hour", n),
    };
    let order = match p.order {
        Order::Random => "random",
        Order::Shuffle => "shuffle",
        Order::Sequential => "sequential",
    };
    let s = p.schedule.as_ref();
    json!({
        "id": id,
        "name": p.name,
        "order": order,
        "weight": p.weight,
        "rotation": rotation,
        "n": n,
        "days": s.map(|s| s.days.iter().filter_map(|d| DAYS.iter().find(|(_, w)| w == d).map(|(n, _)| *n)).collect::<Vec<_>>()).unwrap_or_default(),
        "start": s.map(|s| s.start.format("%H:%M").to_string()),
        "end": s.map(|s| s.end.format("%H:%M").to_string()),
        "tracks": p.tracks,
    })
}

/// A change to a station's playlists by a caller with `playlists`: `f` runs on the store
/// (off the reactor) with the station's id; then AutoDJ reloads and the audit log says
/// who did `action`.
async fn change<T: Send + 'static>(
    web: &Web,
    caller: &Caller,
    station: &str,
    action: &str,
    detail: String,
    f: impl FnOnce(&radio_store::Store, i64) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let a = access(web, caller, station).await?;
    a.require("playlists")?;
    let store = web.store.clone();
    let s = station.to_string();
    let done = tokio::task::spawn_blocking(move || f(&store, store.ensure_station(&s)?)).await??;
    a.running.rescan();
    audit(web, caller, station, action, Some(detail)).await;
    Ok(done)
}

/// `GET /api/stations/{station}/playlists`.
pub async fn list(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("playlists")?;
    let store = web.store.clone();
    let list =
        tokio::task::spawn_blocking(move || store.playlists(store.ensure_station(&station)?))
            .await??;
    Ok(Json(Value::Array(
        list.iter().map(|(id, p)| to_json(*id, p)).collect(),
    )))
}

fn body_of(
    body: Result<Json<PlaylistBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Playlist, ApiError> {
    let Json(b) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    b.into_playlist()
}

/// `POST /api/stations/{station}/playlists`.
pub async fn create(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
    body: Result<Json<PlaylistBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // Checked after the caller's access: strangers learn nothing, not even of bad bodies.
    let p = body_of(body);
    let name = p.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let (id, p) = change(
        &web,
        &caller,
        &station,
        "playlist.create",
        name,
        move |s, sid| {
            let p = p?;
            Ok((s.create_playlist(sid, &p)?, p))
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(to_json(id, &p))))
}

/// `PUT /api/stations/{station}/playlists/{id}`.
pub async fn update(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, id)): Path<(String, i64)>,
    body: Result<Json<PlaylistBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = body_of(body);
    let name = p.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let p = change(
        &web,
        &caller,
        &station,
        "playlist.update",
        name,
        move |s, sid| {
            let p = p?;
            if s.update_playlist(sid, id, &p)? {
                Ok(p)
            } else {
                Err(ApiError::not_found(format!("playlist {id}")))
            }
        },
    )
    .await?;
    Ok(Json(to_json(id, &p)))
}

/// `DELETE /api/stations/{station}/playlists/{id}`.
pub async fn delete(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, id)): Path<(String, i64)>,
) -> Result<Json<Value>, ApiError> {
    change(
        &web,
        &caller,
        &station,
        "playlist.delete",
        id.to_string(),
        move |s, sid| {
            if s.delete_playlist(sid, id)? {
                Ok(())
            } else {
                Err(ApiError::not_found(format!("playlist {id}")))
            }
        },
    )
    .await?;
    Ok(Json(json!({"deleted": id})))
}

/// Many tracks into or out of a playlist at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracksBody {
    /// Track ids appended (those already in stay where they are).
    #[serde(default)]
    add: Vec<u64>,
    /// Appends every playable track of the library matching these words (as the media
    /// list's `q`; `""` matches every track).
    #[serde(default)]
    add_matching: Option<String>,
    /// Track ids taken out.
    #[serde(default)]
    remove: Vec<u64>,
}

/// `POST /api/stations/{station}/playlists/{id}/tracks` `{"add", "add_matching",
/// "remove"}`: bulk edits of a playlist's tracks; answers the playlist with `added` and
/// `removed` counts.
pub async fn tracks(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, id)): Path<(String, i64)>,
    body: Result<Json<TracksBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("playlists")?;
    let Json(body) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let library = web.station_tracks(&station).await?;
    if let Some(unknown) = body
        .add
        .iter()
        .find(|t| !library.iter().any(|l| l.id as u64 == **t))
    {
        return Err(ApiError::bad_request(format!(
            "add: track {unknown} is not in this station's library"
        )));
    }
    let mut add = body.add;
    if let Some(q) = &body.add_matching {
        let words = search_words(q);
        add.extend(
            library
                .iter()
                .filter(|t| t.status == radio_store::Status::Ok && matches(t, &words))
                .map(|t| t.id as u64),
        );
    }
    let remove = body.remove;
    let (p, added, removed) = change(
        &web,
        &caller,
        &station,
        "playlist.tracks",
        format!("{id}: +{} -{}", add.len(), remove.len()),
        move |s, sid| {
            let Some((_, mut p)) = s.playlists(sid)?.into_iter().find(|(pid, _)| *pid == id) else {
                return Err(ApiError::not_found(format!("playlist {id}")));
            };
            let before = p.tracks.len();
            p.tracks.retain(|t| !remove.contains(t));
            let removed = before - p.tracks.len();
            let mut added = 0;
            for t in add {
                if !p.tracks.contains(&t) {
                    p.tracks.push(t);
                    added += 1;
                }
            }
            s.update_playlist(sid, id, &p)?;
            Ok((p, added, removed))
        },
    )
    .await?;
    let mut v = to_json(id, &p);
    v["added"] = json!(added);
    v["removed"] = json!(removed);
    Ok(Json(v))
}

//! `/api/stations/{station}/...`: members and their permissions, and the controls of a
//! running station (skip, kick, ban), each checked and audit-logged.
//!
//! Who may do what: administrators everything; a station's owners everything on it; its DJs
//! what they were granted (`skip`, `request`, `kick`, `ban`, `schedule`, `media`,
//! `playlists`, `settings`, `logs`). A station the caller is not a member of is a 404, not a
//! 403: nobody learns of stations that are not theirs.

use super::Web;
use super::auth::Caller;
use super::error::ApiError;
use crate::host::build::Running;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use radio_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Every permission, in the order the API lists them.
pub const PERMISSIONS: [&str; 9] = [
    "skip",
    "request",
    "kick",
    "ban",
    "schedule",
    "media",
    "playlists",
    "settings",
    "logs",
];

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route(
            "/api/stations/{station}",
            get(one)
                .delete(delete_station)
                .patch(super::settings::patch_settings),
        )
        .route(
            "/api/stations/{station}/settings",
            get(super::settings::get_settings).patch(super::settings::patch_settings),
        )
        .route(
            "/api/stations/{station}/{list}",
            get(super::settings::get_list).post(super::settings::add_item),
        )
        .route(
            "/api/stations/{station}/{list}/{id}",
            put(super::settings::put_item).delete(super::settings::delete_item),
        )
        .route("/api/stations/{station}/members", get(members))
        .route(
            "/api/stations/{station}/members/{user}",
            put(set_member).delete(remove_member),
        )
        .route("/api/stations/{station}/skip", post(skip))
        .route(
            "/api/stations/{station}/requests",
            get(list_requests).post(request),
        )
        .route("/api/stations/{station}/djs/{user}/kick", post(kick))
        .route(
            "/api/stations/{station}/djs/{user}/ban",
            post(ban).delete(unban),
        )
        .route("/api/stations/{station}/logs", get(logs))
        .route("/api/stations/{station}/requestable", get(requestable))
        .route(
            "/api/stations/{station}/media",
            get(media)
                .post(super::media::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/api/stations/{station}/media/import",
            post(super::media::import),
        )
        .route(
            "/api/stations/{station}/media/{id}",
            axum::routing::patch(super::media::edit).delete(super::media::delete),
        )
}

/// What the caller may do on a station.
pub(super) struct Access {
    pub(super) running: Arc<Running>,
    owner: bool,
    permissions: Vec<String>,
}

impl Access {
    pub(super) fn require(&self, permission: &str) -> Result<(), ApiError> {
        if self.owner || self.permissions.iter().any(|p| p == permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(permission))
        }
    }

    /// Whether the caller holds `permission` here.
    pub(super) fn can(&self, permission: &str) -> bool {
        self.require(permission).is_ok()
    }

    /// Whether the caller owns the station (or administers the server).
    pub(super) fn is_owner(&self) -> bool {
        self.owner
    }

    pub(super) fn require_owner(&self) -> Result<(), ApiError> {
        if self.owner {
            Ok(())
        } else {
            Err(ApiError::forbidden("owner"))
        }
    }
}

pub(super) async fn access(web: &Web, caller: &Caller, station: &str) -> Result<Access, ApiError> {
    let hidden = || ApiError::not_found(format!("station {station}"));
    let running = web.stations.get(station).ok_or_else(hidden)?;
    if caller.user.admin {
        return Ok(Access {
            running,
            owner: true,
            permissions: Vec::new(),
        });
    }
    let store = web.store.clone();
    let (s, u) = (station.to_string(), caller.user.username.clone());
    let member = tokio::task::spawn_blocking(move || store.member(&s, &u))
        .await??
        .ok_or_else(hidden)?;
    Ok(Access {
        running,
        owner: member.role == Role::Owner,
        permissions: member.permissions,
    })
}

pub(super) async fn audit(
    web: &Web,
    caller: &Caller,
    station: &str,
    action: &str,
    detail: Option<String>,
) {
    let store = web.store.clone();
    let (by, station, action) = (
        caller.user.username.clone(),
        station.to_string(),
        action.to_string(),
    );
    let what = action.clone();
    let done = tokio::task::spawn_blocking(move || {
        store.audit(Some(&by), Some(&station), &action, detail.as_deref())
    })
    .await;
    if !matches!(done, Ok(Ok(()))) {
        tracing::warn!("audit log: cannot record {what}");
    }
}

async fn one(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    let r = &a.running;
    let st = r.station.state();
    Ok(Json(json!({
        "name": r.spec.name,
        "display_name": r.spec.display_name,
        "on_air": st.on_air,
        "track": st.track,
        "outputs": r.spec.outputs.iter().map(|o| json!({"mount": o.mount, "codec": o.format.codec, "bitrate": o.format.bitrate})).collect::<Vec<_>>(),
        "live_mount": r.gate.as_ref().map(|g| g.mount().to_string()),
        "from": if r.from_api { "api" } else { "config" },
        "you": {"owner": a.owner, "permissions": if a.owner { PERMISSIONS.iter().map(|p| p.to_string()).collect() } else { a.permissions.clone() }},
    })))
}

async fn members(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("settings")?;
    let store = web.store.clone();
    let list = tokio::task::spawn_blocking(move || store.members(&station)).await??;
    Ok(Json(json!(list)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    role: Role,
    #[serde(default)]
    permissions: Option<Vec<String>>,
}

async fn set_member(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, user)): Path<(String, String)>,
    body: Result<Json<MemberBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require_owner()?;
    let Json(body) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    // Defaults by role: owners hold everything; DJs may take requests.
    let permissions = match (body.role, body.permissions) {
        (Role::Owner, _) => Vec::new(),
        (Role::Dj, None) => vec!["request".to_string()],
        (Role::Dj, Some(p)) => p,
    };
    if let Some(bad) = permissions
        .iter()
        .find(|p| !PERMISSIONS.contains(&p.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "unknown permission {bad:?} (one of {})",
            PERMISSIONS.join(", ")
        )));
    }
    let store = web.store.clone();
    let (s, u, perms) = (station.clone(), user.clone(), permissions.clone());
    tokio::task::spawn_blocking(move || {
        store.ensure_station(&s)?;
        if store.user(&u)?.is_none() {
            return Err(ApiError::not_found(format!("user {u}")));
        }
        Ok(store.set_member(&s, &u, body.role, &perms)?)
    })
    .await??;
    audit(
        &web,
        &caller,
        &station,
        "member.set",
        Some(format!(
            "{user}: {} {}",
            body.role.as_str(),
            permissions.join(",")
        )),
    )
    .await;
    Ok(Json(json!({
        "station": station, "username": user, "role": body.role, "permissions": permissions,
    })))
}

async fn remove_member(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, user)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require_owner()?;
    let store = web.store.clone();
    let (s, u) = (station.clone(), user.clone());
    let removed = tokio::task::spawn_blocking(move || store.remove_member(&s, &u)).await??;
    if !removed {
        return Err(ApiError::not_found(format!("{user} on {station}")));
    }
    audit(&web, &caller, &station, "member.remove", Some(user.clone())).await;
    Ok(Json(json!({"removed": user})))
}

async fn skip(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("skip")?;
    let autodj = a
        .running
        .station
        .autodj()
        .ok_or_else(|| ApiError::conflict("this station has no AutoDJ"))?;
    autodj.skip();
    let title = a
        .running
        .station
        .state()
        .track
        .as_ref()
        .map(|t| t.display.clone());
    audit(&web, &caller, &station, "skip", title.clone()).await;
    Ok(Json(json!({"skipped": title})))
}

async fn kick(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, user)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("kick")?;
    let gate = a
        .running
        .gate
        .as_ref()
        .ok_or_else(|| ApiError::conflict("this station has no live input"))?;
    let on = gate.control().session().map(|s| s.username);
    if !on.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&user)) {
        return Err(ApiError::not_found(format!(
            "{user} connected to {station}"
        )));
    }
    gate.kick();
    audit(&web, &caller, &station, "kick", Some(user.clone())).await;
    Ok(Json(json!({"kicked": user})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct BanBody {
    /// RFC 3339; absent: for good.
    until: Option<String>,
}

async fn ban(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, user)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("ban")?;
    let body: BanBody = if body.iter().all(u8::is_ascii_whitespace) {
        BanBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("ban: {e}")))?
    };
    let gate = a
        .running
        .gate
        .as_ref()
        .ok_or_else(|| ApiError::conflict("this station has no live input"))?;
    let until = match body.until {
        None => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(&t)
                .map_err(|e| ApiError::bad_request(format!("until: {t:?} is not RFC 3339 ({e})")))?
                .with_timezone(&chrono::Utc),
        ),
    };
    if !gate.ban(&user, until) {
        return Err(ApiError::not_found(format!("DJ {user} on {station}")));
    }
    // Kept in the store: the ban holds across a rebuild of the station and a restart.
    let store = web.store.clone();
    let (s2, u2, t2) = (station.clone(), user.clone(), until.map(|t| t.timestamp()));
    tokio::task::spawn_blocking(move || store.set_ban(&s2, &u2, t2)).await??;
    let detail = match until {
        Some(t) => format!("{user} until {}", t.to_rfc3339()),
        None => format!("{user} for good"),
    };
    audit(&web, &caller, &station, "ban", Some(detail)).await;
    Ok(Json(json!({"banned": user, "until": until})))
}

async fn logs(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("logs")?;
    let store = web.store.clone();
    let log = tokio::task::spawn_blocking(move || store.audit_log(Some(&station), 500)).await??;
    Ok(Json(json!({"audit": log})))
}

#[derive(Deserialize, Default)]
struct MediaQuery {
    /// Words that must all appear in the title, artist, album or path.
    q: Option<String>,
    /// Only `ok` or `failed` tracks.
    status: Option<String>,
}

/// A search, as words in lower case.
pub fn search_words(q: &str) -> Vec<String> {
    q.split_whitespace().map(str::to_lowercase).collect()
}

/// Whether every word appears in the track's title, artist, album or path.
pub fn matches(t: &radio_store::Track, words: &[String]) -> bool {
    let hay = format!(
        "{} {} {} {}",
        t.tags.title.as_deref().unwrap_or(""),
        t.tags.artist.as_deref().unwrap_or(""),
        t.tags.album.as_deref().unwrap_or(""),
        t.path
    )
    .to_lowercase();
    words.iter().all(|w| hay.contains(w))
}

/// `GET /api/stations/{station}/media`: the station's tracks with their tags, `duration` in
/// seconds, `loudness` in LUFS, status and failure reason (`?q=` searches, `?status=failed`).
async fn media(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
    axum::extract::Query(query): axum::extract::Query<MediaQuery>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("media")?;
    let tracks = web.station_tracks(&station).await?;
    let words = search_words(query.q.as_deref().unwrap_or(""));
    let list: Vec<Value> = tracks
        .iter()
        .filter(|t| matches(t, &words))
        .filter(|t| match query.status.as_deref() {
            Some("ok") => t.status == radio_store::Status::Ok,
            Some("failed") => t.status != radio_store::Status::Ok,
            _ => true,
        })
        .map(|t| {
            let (status, reason) = match &t.status {
                radio_store::Status::Ok => ("ok", None),
                radio_store::Status::Failed(r) => ("failed", Some(r.clone())),
            };
            json!({
                "id": t.id,
                "path": t.path,
                "kind": t.kind.as_str(),
                "title": t.tags.title,
                "artist": t.tags.artist,
                "album": t.tags.album,
                "genre": t.tags.genre,
                "year": t.tags.year,
                "duration": t.analysis.as_ref().map(|a| a.duration),
                "loudness": t.analysis.as_ref().and_then(|a| a.loudness),
                "true_peak": t.analysis.as_ref().map(|a| a.true_peak),
                "codec": t.analysis.as_ref().map(|a| a.codec.clone()),
                "status": status,
                "reason": reason,
            })
        })
        .collect();
    Ok(Json(Value::Array(list)))
}

/// `POST /api/stations` (administrators): a station with the keys of a `[[station]]`, as
/// JSON; it starts at once and again at every start of the server.
pub async fn create(
    State(web): State<Arc<Web>>,
    caller: Caller,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    if !caller.user.admin {
        return Err(ApiError::forbidden("admin"));
    }
    let Json(body) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let spec = crate::config::resolve_api_station(&body, &web.data_dir)
        .map_err(|e| ApiError::bad_request(e.to_string().replace("request: ", "")))?;
    if web.stations.get(&spec.name).is_some() {
        return Err(ApiError::conflict(format!(
            "station {} exists already",
            spec.name
        )));
    }
    let server = web.stations.server();
    for o in &spec.outputs {
        if server.mount(&o.mount).is_some_and(|m| m.is_live()) {
            return Err(ApiError::conflict(format!("mount {} is in use", o.mount)));
        }
    }
    let store = web.store.clone();
    let (name, json) = (spec.name.clone(), body.to_string());
    tokio::task::spawn_blocking(move || store.save_station_config(&name, &json)).await??;
    let name = spec.name.clone();
    let (mounts, media) = match launch(&web, spec).await {
        Ok(x) => x,
        Err(e) => {
            let store = web.store.clone();
            let n = name.clone();
            let _ = tokio::task::spawn_blocking(move || store.delete_station(&n)).await;
            return Err(e);
        }
    };
    audit(&web, &caller, &name, "station.create", None).await;
    tracing::info!(
        "station {name} made through the API by {}",
        caller.user.username
    );
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({"name": name, "mounts": mounts, "media": media})),
    ))
}

/// Starts a station of the store (made through the API, or restored) and adds it to the
/// running ones: its mounts and media folders.
pub(super) async fn launch(
    web: &Web,
    spec: crate::config::StationSpec,
) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let clock: Arc<dyn radio_sched::Clock> = Arc::new(radio_sched::SystemClock);
    let runtime = tokio::runtime::Handle::current();
    let music = crate::host::build::Music::Store(web.store.clone());
    let name = spec.name.clone();
    let server = web.stations.server();
    let started = crate::run::start_one(spec, music, server, &runtime, &clock, Vec::new()).await;
    let mut running = started
        .map_err(|e| ApiError::bad_request(format!("station {name} cannot start: {e:#}")))?;
    running.from_api = true;
    let store = web.store.clone();
    let running = tokio::task::spawn_blocking(move || {
        crate::host::apply_bans(&store, &running);
        running
    })
    .await?;
    let mounts: Vec<String> = running
        .spec
        .outputs
        .iter()
        .map(|o| o.mount.clone())
        .collect();
    let media: Vec<String> = running
        .spec
        .media
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    web.stations.insert(running);
    Ok((mounts, media))
}

/// `DELETE /api/stations/{station}` (administrators): stops it, frees its mounts and
/// forgets it (its rows in the store; media files stay). Config stations are read-only.
async fn delete_station(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    if !caller.user.admin {
        return Err(ApiError::forbidden("admin"));
    }
    if !a.running.from_api {
        return Err(ApiError::conflict(format!(
            "station {station} is defined in the config file; remove it there"
        )));
    }
    drop(a);
    // Stopping joins the station's thread and watcher: off the reactor.
    let (stations, name) = (web.stations.clone(), station.clone());
    if !tokio::task::spawn_blocking(move || stations.stop(&name)).await? {
        return Err(ApiError::not_found(format!("station {station}")));
    }
    let store = web.store.clone();
    let s = station.clone();
    tokio::task::spawn_blocking(move || store.delete_station(&s)).await??;
    audit(&web, &caller, &station, "station.delete", None).await;
    Ok(Json(json!({"deleted": station})))
}

/// `DELETE /api/stations/{station}/djs/{user}/ban`: lifts a ban.
async fn unban(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, user)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("ban")?;
    let store = web.store.clone();
    let (s, u) = (station.clone(), user.clone());
    let stored = tokio::task::spawn_blocking(move || store.remove_ban(&s, &u)).await??;
    let live = a.running.gate.as_ref().is_some_and(|g| g.unban(&user));
    if !stored && !live {
        return Err(ApiError::not_found(format!("a ban of {user} on {station}")));
    }
    audit(&web, &caller, &station, "unban", Some(user.clone())).await;
    Ok(Json(json!({"unbanned": user})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    track: u64,
}

/// Who may request on a station: anyone when it takes requests from the public, else a
/// member with `request`.
async fn request_access(
    web: &Web,
    caller: Result<Caller, ApiError>,
    station: &str,
) -> Result<(Arc<Running>, Option<Caller>), ApiError> {
    if let Some(r) = web.stations.get(station)
        && r.spec.requests
    {
        return Ok((r, caller.ok()));
    }
    let caller = caller?;
    let a = access(web, &caller, station).await?;
    a.require("request")?;
    Ok((a.running, Some(caller)))
}

/// `POST /api/stations/{station}/requests` `{"track": id}`: queues a track for AutoDJ.
async fn request(
    State(web): State<Arc<Web>>,
    caller: Result<Caller, ApiError>,
    Path(station): Path<String>,
    body: Result<Json<RequestBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let (running, caller) = request_access(&web, caller, &station).await?;
    let Json(body) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let autodj = running
        .station
        .autodj()
        .ok_or_else(|| ApiError::conflict("this station has no AutoDJ"))?;
    autodj.request(body.track).map_err(|e| {
        let m = e.to_string();
        if m.contains("no track") {
            ApiError::not_found(format!("track {} in {station}'s library", body.track))
        } else {
            ApiError::conflict(m)
        }
    })?;
    let who = caller.map(|c| c.user.username);
    let store = web.store.clone();
    let (s, detail) = (station.clone(), format!("track {}", body.track));
    let _ = tokio::task::spawn_blocking(move || {
        store.audit(who.as_deref(), Some(&s), "request", Some(&detail))
    })
    .await;
    Ok(Json(
        json!({"requested": body.track, "queue": autodj.requests()}),
    ))
}

/// `GET /api/stations/{station}/requests`: the requests waiting, first to play first.
async fn list_requests(
    State(web): State<Arc<Web>>,
    caller: Result<Caller, ApiError>,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (running, _) = request_access(&web, caller, &station).await?;
    let queue = running
        .station
        .autodj()
        .map(|a| a.requests())
        .unwrap_or_default();
    Ok(Json(json!({"queue": queue})))
}

#[derive(Deserialize, Default)]
struct RequestableQuery {
    q: Option<String>,
}

/// `GET /api/stations/{station}/requestable?q=`: tracks that can be requested (id, title,
/// artist), at most 50; public where the station takes requests.
async fn requestable(
    State(web): State<Arc<Web>>,
    caller: Result<Caller, ApiError>,
    Path(station): Path<String>,
    axum::extract::Query(query): axum::extract::Query<RequestableQuery>,
) -> Result<Json<Value>, ApiError> {
    let (running, _) = request_access(&web, caller, &station).await?;
    // Every track of AutoDJ's playlists, as its library knows it.
    let (library, playlists) = &running.catalog;
    let mut ids: Vec<u64> = playlists
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|p| p.rotation == radio_sched::autodj::rules::Rotation::Standard)
        .flat_map(|p| p.tracks.clone())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let words: Vec<String> = query
        .q
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let list: Vec<Value> = ids
        .into_iter()
        .filter_map(|id| library.track(id))
        .filter(|t| {
            let hay = format!(
                "{} {}",
                t.metadata.title.as_deref().unwrap_or(""),
                t.metadata.artist.as_deref().unwrap_or("")
            )
            .to_lowercase();
            words.iter().all(|w| hay.contains(w))
        })
        .take(50)
        .map(|t| json!({"id": t.id, "title": t.metadata.title, "artist": t.metadata.artist}))
        .collect();
    Ok(Json(Value::Array(list)))
}

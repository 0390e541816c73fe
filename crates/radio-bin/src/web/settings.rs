//! A station's settings: `GET/PATCH /api/stations/{station}/settings` (and `PATCH
//! /api/stations/{station}`), and its lists — `djs`, `shows`, `outputs`, `upstreams` —
//! each with `GET/POST` on the list and `GET/PUT/DELETE` on an item.
//!
//! The settings are the keys of a `[[station]]` as JSON. A change is checked exactly as a
//! new station would be, kept in the store, and applied at once: the station is rebuilt
//! in place (its mounts stay, listeners stay connected — radio-net holds them while the
//! new station attaches; a live DJ reconnects). Stations of the config file show their
//! keys read-only.
//!
//! Who may change what: `settings` for the station's keys, outputs and upstreams;
//! `schedule` for shows; DJs are managed with `settings`, and every DJ may read and change
//! their own entry (password, stream key, title).

use super::Web;
use super::auth::Caller;
use super::error::ApiError;
use super::stations::{Access, access, audit, launch};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The station's settings (JSON of its `[[station]]` keys) and whether they can change.
pub(super) async fn current(
    web: &Web,
    a: &Access,
    station: &str,
) -> Result<(Value, bool), ApiError> {
    if a.running.from_api {
        let store = web.store.clone();
        let s = station.to_string();
        let saved = tokio::task::spawn_blocking(move || store.station_configs()).await??;
        let json = saved
            .into_iter()
            .find(|(n, _)| *n == s)
            .and_then(|(_, j)| serde_json::from_str(&j).ok())
            .unwrap_or_else(|| json!({"name": station}));
        return Ok((json, true));
    }
    let table = web
        .config_file
        .as_deref()
        .and_then(|c| crate::backup::config_station(c, station))
        .unwrap_or_else(|| json!({"name": station}));
    Ok((table, false))
}

/// Secrets are never sent back: a password or stream key reads as `"********"` (send
/// that back unchanged to keep it).
const HIDDEN: &str = "********";

pub(super) fn hide(mut v: Value) -> Value {
    for list in ["dj", "upstream"] {
        if let Some(items) = v.get_mut(list).and_then(Value::as_array_mut) {
            for item in items {
                hide_item(item);
            }
        }
    }
    v
}

fn hide_item(item: &mut Value) {
    if let Some(o) = item.as_object_mut() {
        for k in ["password", "stream_key"] {
            if o.get(k).is_some_and(|v| !v.is_null()) {
                o.insert(k.into(), Value::from(HIDDEN));
            }
        }
    }
}

/// Puts back secrets sent as `"********"` from `old`.
fn keep_secrets(new: &mut Value, old: &Value) {
    if let (Some(n), Some(o)) = (new.as_object_mut(), old.as_object()) {
        for k in ["password", "stream_key"] {
            if n.get(k).and_then(Value::as_str) == Some(HIDDEN) {
                match o.get(k) {
                    Some(v) => n.insert(k.into(), v.clone()),
                    None => n.remove(k),
                };
            }
        }
    }
}

/// Checks `new`, keeps it and rebuilds the station with it.
async fn apply(
    web: &Web,
    caller: &Caller,
    a: Access,
    station: &str,
    new: Value,
) -> Result<Value, ApiError> {
    if !a.running.from_api {
        return Err(ApiError::conflict(format!(
            "station {station} is defined in the config file; change it there (its keys are read-only here)"
        )));
    }
    if new.get("name").and_then(Value::as_str) != Some(station) {
        return Err(ApiError::bad_request("name: a station cannot be renamed"));
    }
    let spec = crate::config::resolve_api_station(&new, &web.data_dir)
        .map_err(|e| ApiError::bad_request(e.to_string().replace("request: ", "")))?;
    let server = web.stations.server();
    for o in &spec.outputs {
        let ours = a.running.spec.outputs.iter().any(|x| x.mount == o.mount);
        if !ours && server.mount(&o.mount).is_some_and(|m| m.is_live()) {
            return Err(ApiError::conflict(format!("mount {} is in use", o.mount)));
        }
    }
    let store = web.store.clone();
    let (s, text) = (station.to_string(), new.to_string());
    tokio::task::spawn_blocking(move || store.save_station_config(&s, &text)).await??;
    drop(a);
    // The old station stops (joining its thread) off the reactor; its mounts wait for the
    // new one with their listeners.
    let (stations, name) = (web.stations.clone(), station.to_string());
    tokio::task::spawn_blocking(move || stations.stop(&name)).await?;
    launch(web, spec).await?;
    audit(web, caller, station, "settings", None).await;
    Ok(hide(new))
}

/// `GET /api/stations/{station}/settings`.
pub async fn get_settings(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("settings")?;
    let (v, writable) = current(&web, &a, &station).await?;
    Ok(Json(json!({"settings": hide(v), "read_only": !writable})))
}

/// `PATCH /api/stations/{station}[/settings]`: a JSON merge patch (RFC 7386) of the
/// station's keys — a key given replaces the station's, `null` removes it, an object
/// (`live`) is merged key by key, lists (`output`, `dj`, ...) are replaced whole.
pub async fn patch_settings(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
    body: Result<Json<Map<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("settings")?;
    let Json(changes) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (mut v, _) = current(&web, &a, &station).await?;
    let old = v.clone();
    merge_patch(&mut v, Value::Object(changes));
    for list in ["dj", "upstream"] {
        restore_list_secrets(&mut v, &old, list);
    }
    let v = apply(&web, &caller, a, &station, v).await?;
    Ok(Json(json!({"settings": v})))
}

/// RFC 7386: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(changes) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let obj = target.as_object_mut().expect("made an object above");
            for (k, v) in changes {
                if v.is_null() {
                    obj.remove(&k);
                } else {
                    merge_patch(obj.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other,
    }
}

/// Secrets of list items sent back hidden are kept (items matched by position).
fn restore_list_secrets(v: &mut Value, old: &Value, list: &str) {
    let olds = old
        .get(list)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(items) = v.get_mut(list).and_then(Value::as_array_mut) {
        for (i, item) in items.iter_mut().enumerate() {
            if let Some(o) = olds.get(i) {
                keep_secrets(item, o);
            }
        }
    }
}

/// The lists and the permission that manages each.
fn list_of(kind: &str) -> Result<(&'static str, &'static str), ApiError> {
    Ok(match kind {
        "djs" => ("dj", "settings"),
        "shows" => ("show", "schedule"),
        "outputs" => ("output", "settings"),
        "upstreams" => ("upstream", "settings"),
        other => return Err(ApiError::not_found(format!("list {other}"))),
    })
}

/// Whether the caller only acts on their own DJ entry (a DJ without `settings`).
fn own_only(a: &Access, kind: &str) -> bool {
    kind == "djs" && a.require("settings").is_err()
}

fn item_index(items: &[Value], kind: &str, id: &str) -> Result<usize, ApiError> {
    if kind == "djs" {
        return items
            .iter()
            .position(|d| {
                d.get("user")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.eq_ignore_ascii_case(id))
            })
            .ok_or_else(|| ApiError::not_found(format!("DJ {id}")));
    }
    id.parse::<usize>()
        .ok()
        .filter(|&i| i < items.len())
        .ok_or_else(|| ApiError::not_found(format!("{kind} item {id}")))
}

/// `GET /api/stations/{station}/{djs|shows|outputs|upstreams}`: the list, each item with
/// its `id` (its position; DJs: their user name).
pub async fn get_list(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, kind)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (key, permission) = list_of(&kind)?;
    let a = access(&web, &caller, &station).await?;
    if !own_only(&a, &kind) {
        a.require(permission)?;
    }
    let (v, writable) = current(&web, &a, &station).await?;
    let me = caller.user.username.clone();
    let items: Vec<Value> = v
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .filter(|(_, item)| {
            !own_only(&a, &kind)
                || item
                    .get("user")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.eq_ignore_ascii_case(&me))
        })
        .map(|(i, mut item)| {
            hide_item(&mut item);
            if let Some(o) = item.as_object_mut() {
                let id = if kind == "djs" {
                    o.get("user").cloned().unwrap_or(Value::Null)
                } else {
                    Value::from(i)
                };
                o.insert("id".into(), id);
            }
            item
        })
        .collect();
    Ok(Json(json!({"items": items, "read_only": !writable})))
}

/// `POST /api/stations/{station}/{list}`: adds an item.
pub async fn add_item(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, kind)): Path<(String, String)>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (key, permission) = list_of(&kind)?;
    let a = access(&web, &caller, &station).await?;
    a.require(permission)?;
    let Json(mut item) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if let Some(o) = item.as_object_mut() {
        o.remove("id");
    }
    let (mut v, _) = current(&web, &a, &station).await?;
    let list = v
        .as_object_mut()
        .expect("settings are an object")
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(items) = list.as_array_mut() else {
        return Err(ApiError::bad_request(format!("{key}: not a list")));
    };
    if kind == "djs" {
        let user = item.get("user").and_then(Value::as_str).unwrap_or("");
        if items.iter().any(|d| {
            d.get("user")
                .and_then(Value::as_str)
                .is_some_and(|u| u.eq_ignore_ascii_case(user))
        }) {
            return Err(ApiError::conflict(format!("DJ {user} exists already")));
        }
    }
    items.push(item);
    let v = apply(&web, &caller, a, &station, v).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"items": v.get(key).cloned().unwrap_or_default()})),
    ))
}

/// `PUT /api/stations/{station}/{list}/{id}`: replaces an item (hidden secrets kept).
pub async fn put_item(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, kind, id)): Path<(String, String, String)>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let (key, permission) = list_of(&kind)?;
    let a = access(&web, &caller, &station).await?;
    let own = own_only(&a, &kind);
    if own {
        if !id.eq_ignore_ascii_case(&caller.user.username) {
            return Err(ApiError::forbidden(permission));
        }
    } else {
        a.require(permission)?;
    }
    let Json(mut item) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if let Some(o) = item.as_object_mut() {
        o.remove("id");
    }
    let (mut v, _) = current(&web, &a, &station).await?;
    let items = v
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .ok_or_else(|| ApiError::not_found(format!("{kind} item {id}")))?;
    let i = item_index(items, &kind, &id)?;
    keep_secrets(&mut item, &items[i]);
    if own {
        // A DJ changes their password, stream key and title; not their name or calendar.
        let mut merged = items[i].clone();
        for k in ["password", "stream_key", "title"] {
            if let Some(val) = item.get(k) {
                merged[k] = val.clone();
            }
        }
        item = merged;
    }
    items[i] = item;
    let v = apply(&web, &caller, a, &station, v).await?;
    let mut out = v
        .get(key)
        .and_then(|l| l.get(i))
        .cloned()
        .unwrap_or_default();
    hide_item(&mut out);
    Ok(Json(out))
}

/// `DELETE /api/stations/{station}/{list}/{id}`.
pub async fn delete_item(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((station, kind, id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (key, permission) = list_of(&kind)?;
    let a = access(&web, &caller, &station).await?;
    a.require(permission)?;
    let (mut v, _) = current(&web, &a, &station).await?;
    let items = v
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .ok_or_else(|| ApiError::not_found(format!("{kind} item {id}")))?;
    let i = item_index(items, &kind, &id)?;
    items.remove(i);
    apply(&web, &caller, a, &station, v).await?;
    Ok(Json(json!({"deleted": id})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_merges_objects_and_replaces_lists() {
        let mut v = json!({"name": "a", "live": {"mount": "/a-live", "record": "sets"},
                           "output": [{"mount": "/a.mp3"}, {"mount": "/a.opus"}], "genre": "x"});
        merge_patch(
            &mut v,
            json!({"live": {"mount": "/b-live"}, "output": [{"mount": "/b.mp3"}], "genre": null}),
        );
        assert_eq!(
            v,
            json!({"name": "a", "live": {"mount": "/b-live", "record": "sets"},
                             "output": [{"mount": "/b.mp3"}]})
        );
    }

    #[test]
    fn secrets_are_hidden_and_kept_when_sent_back_hidden() {
        let old = json!({"dj": [{"user": "a", "password": "pw", "stream_key": "k"}]});
        let shown = hide(old.clone());
        assert_eq!(shown["dj"][0]["password"], HIDDEN);
        let mut back = shown.clone();
        back["dj"][0]["stream_key"] = json!("new");
        restore_list_secrets(&mut back, &old, "dj");
        assert_eq!(back["dj"][0]["password"], "pw");
        assert_eq!(back["dj"][0]["stream_key"], "new");
    }
}

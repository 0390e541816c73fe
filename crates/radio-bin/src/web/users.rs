//! `/api/users`: accounts (administrators manage everyone; a user reads and changes their
//! own password) and API keys.

use super::Web;
use super::auth::{Caller, hash_password, secret};
use super::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use radio_store::User;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/api/users", get(list).post(create))
        .route("/api/users/{name}", get(one).patch(update).delete(remove))
        .route("/api/users/{name}/keys", post(new_key))
        .route("/api/users/{name}/keys/{id}", delete(delete_key))
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.user.admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("admin"))
    }
}

/// Administrators, or the user themselves.
fn admin_or_self(caller: &Caller, name: &str) -> Result<(), ApiError> {
    if caller.user.admin || caller.user.username.eq_ignore_ascii_case(name) {
        Ok(())
    } else {
        Err(ApiError::forbidden("admin"))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await?
}

async fn list(State(web): State<Arc<Web>>, caller: Caller) -> Result<Json<Vec<User>>, ApiError> {
    admin_only(&caller)?;
    let store = web.store.clone();
    Ok(Json(blocking(move || Ok(store.users()?)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

fn check_password(p: &str) -> Result<(), ApiError> {
    if p.chars().count() < 8 {
        return Err(ApiError::bad_request("password: at least 8 characters"));
    }
    Ok(())
}

async fn create(
    State(web): State<Arc<Web>>,
    caller: Caller,
    body: Result<Json<NewUser>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    admin_only(&caller)?;
    let Json(new) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    check_password(&new.password)?;
    let store = web.store.clone();
    let user = blocking(move || {
        let hash = hash_password(&new.password)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(store.create_user(&new.username, &hash, new.admin)?)
    })
    .await?;
    let store = web.store.clone();
    let (by, made) = (caller.user.username.clone(), user.username.clone());
    blocking(move || Ok(store.audit(Some(&by), None, "user.create", Some(&made))?)).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn one(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    admin_or_self(&caller, &name)?;
    let store = web.store.clone();
    let (user, memberships) = blocking(move || {
        let user = store
            .user(&name)?
            .ok_or_else(|| ApiError::not_found(format!("user {name}")))?;
        Ok((user, store.memberships(&name)?))
    })
    .await?;
    Ok(Json(json!({"user": user, "stations": memberships})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    password: Option<String>,
    admin: Option<bool>,
}

async fn update(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(name): Path<String>,
    body: Result<Json<Change>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    admin_or_self(&caller, &name)?;
    let Json(change) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if change.admin.is_some() {
        admin_only(&caller)?;
    }
    if let Some(p) = &change.password {
        check_password(p)?;
    }
    let store = web.store.clone();
    let by = caller.user.username.clone();
    blocking(move || {
        let hash = match &change.password {
            Some(p) => Some(
                hash_password(p)
                    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?,
            ),
            None => None,
        };
        if !store.update_user(&name, hash, change.admin)? {
            return Err(ApiError::not_found(format!("user {name}")));
        }
        store.audit(Some(&by), None, "user.update", Some(&name))?;
        Ok(json!({"updated": name}))
    })
    .await
    .map(Json)
}

async fn remove(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    if caller.user.username.eq_ignore_ascii_case(&name) {
        return Err(ApiError::bad_request("you cannot delete your own account"));
    }
    let store = web.store.clone();
    let by = caller.user.username.clone();
    blocking(move || {
        if !store.delete_user(&name)? {
            return Err(ApiError::not_found(format!("user {name}")));
        }
        store.audit(Some(&by), None, "user.delete", Some(&name))?;
        Ok(json!({"deleted": name}))
    })
    .await
    .map(Json)
}

async fn new_key(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    admin_or_self(&caller, &name)?;
    let store = web.store.clone();
    let key = secret();
    let k = key.clone();
    let by = caller.user.username.clone();
    let id = blocking(move || {
        let user = store
            .user(&name)?
            .ok_or_else(|| ApiError::not_found(format!("user {name}")))?;
        let id = store.create_api_key(user.id, &k)?;
        store.audit(
            Some(&by),
            None,
            "key.create",
            Some(&format!("{name} #{id}")),
        )?;
        Ok(id)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "key": key}))))
}

async fn delete_key(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<Value>, ApiError> {
    admin_or_self(&caller, &name)?;
    let store = web.store.clone();
    let by = caller.user.username.clone();
    blocking(move || {
        let user = store
            .user(&name)?
            .ok_or_else(|| ApiError::not_found(format!("user {name}")))?;
        if !store.delete_api_key(user.id, id)? {
            return Err(ApiError::not_found(format!("key {id} of {name}")));
        }
        store.audit(
            Some(&by),
            None,
            "key.delete",
            Some(&format!("{name} #{id}")),
        )?;
        Ok(json!({"deleted": id}))
    })
    .await
    .map(Json)
}

//! Who is calling: browser sessions (an HttpOnly cookie, and a CSRF token for every
//! state-changing request) and API keys (`Authorization: Bearer KEY`, no CSRF token).
//! Logins are rate-limited per address and per user; passwords are argon2id, hashed off
//! the reactor.

use super::error::ApiError;
use super::{SESSION_DAYS, Web};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use radio_store::User;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "rp_session";

/// The peer address of the connection (set by [`super::serve`]).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// Hashes a password (argon2id, default parameters, random salt). Blocking.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches a stored PHC string. Blocking.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    use argon2::password_hash::phc::PasswordHash;
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A random secret: 32 bytes, hex.
pub fn secret() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the system's random source");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Failed logins remembered per address and per user.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// Failures allowed in [`WINDOW`] before logins are refused with 429.
const MAX_FAILURES: usize = 10;
/// The window failures are counted over.
const WINDOW: Duration = Duration::from_secs(15 * 60);

impl LoginLimiter {
    fn keys(ip: IpAddr, user: &str) -> [String; 2] {
        [format!("ip:{ip}"), format!("user:{}", user.to_lowercase())]
    }

    /// Seconds to wait, when this address or user has failed too often.
    fn blocked(&self, ip: IpAddr, user: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for k in Self::keys(ip, user) {
            if let Some(v) = map.get_mut(&k) {
                v.retain(|t| now.duration_since(*t) < WINDOW);
                if v.len() >= MAX_FAILURES {
                    let left = WINDOW.saturating_sub(now.duration_since(v[0])).as_secs() + 1;
                    wait = Some(wait.map_or(left, |w: u64| w.max(left)));
                }
            }
        }
        wait
    }

    fn failed(&self, ip: IpAddr, user: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for k in Self::keys(ip, user) {
            map.entry(k).or_default().push(Instant::now());
        }
    }

    fn succeeded(&self, user: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("user:{}", user.to_lowercase()));
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A browser session cookie.
    Session,
    /// An API key.
    ApiKey,
}

/// The authenticated caller of a route.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
}

pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|k| k.trim().to_string())
}

impl FromRequestParts<Arc<Web>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Caller, ApiError> {
        if let Some(key) = bearer(&parts.headers) {
            let store = web.store.clone();
            let user = tokio::task::spawn_blocking(move || store.api_key_user(&key)).await??;
            return user
                .map(|user| Caller {
                    user,
                    via: Via::ApiKey,
                })
                .ok_or_else(|| ApiError::unauthorized("unknown API key"));
        }
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(ApiError::unauthorized(
                "log in first (POST /api/login) or send Authorization: Bearer KEY",
            ));
        };
        let store = web.store.clone();
        let found = tokio::task::spawn_blocking(move || store.session(&token)).await??;
        let Some((user, csrf)) = found else {
            return Err(ApiError::unauthorized(
                "the session has ended; log in again",
            ));
        };
        // Browsers must prove the request comes from our own pages.
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if sent.is_empty() || sent != csrf {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "missing or wrong CSRF token (send the X-CSRF-Token header from GET /api/session)",
                ));
            }
        }
        Ok(Caller {
            user,
            via: Via::Session,
        })
    }
}

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/session", get(session))
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

fn session_cookie(web: &Web, token: &str, max_age: i64) -> HeaderValue {
    let secure = if web.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("a valid cookie")
}

async fn login(
    State(web): State<Arc<Web>>,
    Extension(Peer(peer)): Extension<Peer>,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(login) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if let Some(wait) = web.limiter.blocked(peer.ip(), &login.username) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed logins; try again in {wait} s"),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let store = web.store.clone();
    let (name, password) = (login.username.clone(), login.password);
    let user = tokio::task::spawn_blocking(move || -> Result<Option<User>, ApiError> {
        let found = store.user_with_hash(&name)?;
        Ok(match found {
            Some((user, hash)) if verify_password(&password, &hash) => Some(user),
            Some(_) => None,
            None => {
                // The same work as a real check, so timing does not tell who exists.
                let _ = verify_password(&password, dummy_hash());
                None
            }
        })
    })
    .await??;
    let Some(user) = user else {
        web.limiter.failed(peer.ip(), &login.username);
        tracing::info!(%peer, user = %login.username, "login refused: wrong user name or password");
        return Err(ApiError::unauthorized("wrong user name or password"));
    };
    web.limiter.succeeded(&user.username);
    let (token, csrf) = (secret(), secret());
    let expires = chrono::Utc::now().timestamp() + SESSION_DAYS * 86_400;
    let store = web.store.clone();
    let (t, c, id) = (token.clone(), csrf.clone(), user.id);
    tokio::task::spawn_blocking(move || store.create_session(id, &t, &c, expires)).await??;
    tracing::info!(%peer, user = %user.username, "logged in");
    let mut r = Json(json!({"user": user, "csrf": csrf})).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&web, &token, SESSION_DAYS * 86_400),
    );
    Ok(r)
}

/// An argon2id hash of a random password, checked for unknown users.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&secret()).unwrap_or_default())
}

async fn logout(
    State(web): State<Arc<Web>>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if caller.via == Via::ApiKey {
        return Err(ApiError::bad_request(
            "an API key has no session to end (DELETE the key instead)",
        ));
    }
    if let Some(token) = cookie(&headers, COOKIE) {
        let store = web.store.clone();
        tokio::task::spawn_blocking(move || store.delete_session(&token)).await??;
    }
    let mut r = Json(json!({"logged_out": caller.user.username})).into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&web, "", 0));
    Ok(r)
}

async fn session(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(token) = cookie(&headers, COOKIE) else {
        return Err(ApiError::unauthorized("no session"));
    };
    let store = web.store.clone();
    let found = tokio::task::spawn_blocking(move || store.session(&token)).await??;
    let (user, csrf) = found.ok_or_else(|| ApiError::unauthorized("the session has ended"))?;
    Ok(Json(json!({"user": user, "csrf": csrf})))
}

//! The web layer: the HTTP API under `/api/` (and, to come, the web UI), served by axum on
//! the connections radio-net hands over (see [`radio_net::Host`]).
//!
//! radio-net has already read the request head; [`serve`] writes it back in front of the
//! socket's remaining bytes and lets hyper serve that one request (no keep-alive: the next
//! request on a connection may be for a mount, which only radio-net serves).

mod auth;
mod backups;
mod error;
mod media;
mod metrics;
mod playlists;
mod settings;
mod stations;
mod stats;
mod ui;
mod users;

use crate::host::Stations;
use axum::Router;
use bytes::Bytes;
use radio_net::host::HostConnection;
use radio_store::Store;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub use auth::LoginLimiter;

/// What every handler can reach.
pub struct Web {
    /// The store (accounts, stations, media).
    pub store: Store,
    /// The running stations.
    pub stations: Arc<Stations>,
    /// Failed logins, per address and per user.
    pub limiter: LoginLimiter,
    /// Cookies get `Secure` (served over TLS).
    pub secure_cookies: bool,
    /// `/metrics` needs `Authorization: Bearer` with this, when set.
    pub metrics_token: Option<String>,
    /// Where stations made through the API keep their files (`stations/NAME/media`).
    pub data_dir: std::path::PathBuf,
    /// The largest file an upload or import may bring, in bytes.
    pub max_upload: u64,
    /// Imports by URL may reach loopback, private and link-local addresses.
    pub import_private: bool,
    /// Listener sessions and station events (flushed before statistics are read).
    pub recorder: Option<Arc<crate::host::record::Recorder>>,
    /// The config file (backups of its stations take their settings from it).
    pub config_file: Option<std::path::PathBuf>,
}

impl Web {
    /// The tracks of `station`, read off the reactor.
    pub async fn station_tracks(
        &self,
        station: &str,
    ) -> Result<Vec<radio_store::Track>, error::ApiError> {
        let (store, s) = (self.store.clone(), station.to_string());
        Ok(tokio::task::spawn_blocking(move || store.station_tracks(&s)).await??)
    }

    /// Waits until the sessions and events the recorder holds are in the store (a few
    /// ms), so statistics and logs include them.
    pub async fn flush_stats(&self) {
        if let Some(r) = self.recorder.clone() {
            let _ = tokio::task::spawn_blocking(move || r.flush()).await;
        }
    }
}

/// How long a browser session lasts.
pub const SESSION_DAYS: i64 = 14;

/// The API's routes.
pub fn router(web: Arc<Web>) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(users::routes())
        .merge(stations::routes())
        .merge(ui::routes())
        .route(
            "/api/stations",
            axum::routing::get(stations).post(stations::create),
        )
        .route("/metrics", axum::routing::get(metrics::metrics))
        .route(
            "/api/stations/{station}/stats",
            axum::routing::get(stats::stats),
        )
        .route(
            "/api/stations/{station}/stats/chart.svg",
            axum::routing::get(stats::chart),
        )
        .route(
            "/api/stations/{station}/events",
            axum::routing::get(stats::events),
        )
        .route(
            "/api/stations/{station}/playlists",
            axum::routing::get(playlists::list).post(playlists::create),
        )
        .route(
            "/api/stations/{station}/playlists/{id}",
            axum::routing::put(playlists::update).delete(playlists::delete),
        )
        .route(
            "/api/stations/{station}/playlists/{id}/tracks",
            axum::routing::post(playlists::tracks),
        )
        .route(
            "/api/stations/{station}/backup",
            axum::routing::get(backups::backup),
        )
        .route(
            "/api/stations/restore",
            axum::routing::post(backups::restore).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/openapi.json", axum::routing::get(openapi))
        .route("/api/docs", axum::routing::get(docs))
        .fallback(error::not_found)
        .with_state(web)
}

/// `GET /api/stations`: the stations the caller may see (administrators: all; others:
/// those they are a member of), with what is on air.
async fn stations(
    axum::extract::State(web): axum::extract::State<Arc<Web>>,
    caller: auth::Caller,
) -> Result<axum::Json<serde_json::Value>, error::ApiError> {
    let store = web.store.clone();
    let name = caller.user.username.clone();
    let mine: Vec<String> = tokio::task::spawn_blocking(move || store.memberships(&name))
        .await??
        .into_iter()
        .map(|m| m.station)
        .collect();
    let list: Vec<serde_json::Value> = web
        .stations
        .all()
        .iter()
        .filter(|r| caller.user.admin || mine.contains(&r.spec.name))
        .map(|r| {
            let st = r.station.state();
            serde_json::json!({
                "name": r.spec.name,
                "display_name": r.spec.display_name,
                "on_air": st.on_air,
                "title": st.track.as_ref().map(|t| t.display.clone()),
                "mounts": r.spec.outputs.iter().map(|o| o.mount.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(axum::Json(serde_json::Value::Array(list)))
}

/// `GET /api/openapi.json`: the API described (OpenAPI 3.1).
async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("assets/openapi.json"),
    )
}

/// `GET /api/docs`: the document rendered by a page of its own (no assets from elsewhere).
async fn docs() -> axum::response::Html<&'static str> {
    axum::response::Html(include_str!("assets/docs.html"))
}

/// Makes sure the first administrator exists: `admin` with the config's admin password
/// (hashed), until it is changed through the API. Blocking (argon2, SQLite).
pub fn bootstrap_admin(store: &Store, admin_password: Option<&str>) -> anyhow::Result<()> {
    if store.user("admin")?.is_some() {
        return Ok(());
    }
    let Some(password) = admin_password else {
        tracing::warn!("no [auth] admin_password: no administrator can log in to the API");
        return Ok(());
    };
    let hash = auth::hash_password(password)?;
    store.create_user("admin", &hash, true)?;
    tracing::info!("made the first administrator, admin, with [auth] admin_password");
    Ok(())
}

/// Serves one handed-over request with `router`.
pub async fn serve(router: Router, conn: HostConnection) {
    let HostConnection {
        head,
        rest,
        stream,
        peer,
    } = conn;
    let mut prefix = Vec::with_capacity(512 + rest.len());
    let protocol = if head.protocol.starts_with("HTTP/1.") {
        head.protocol.as_str()
    } else {
        "HTTP/1.1"
    };
    prefix.extend_from_slice(format!("{} {} {protocol}\r\n", head.method, head.target).as_bytes());
    for (k, v) in &head.headers {
        prefix.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    prefix.extend_from_slice(b"\r\n");
    prefix.extend_from_slice(&rest);
    let io = Replay {
        prefix: Bytes::from(prefix),
        stream,
    };
    let service = hyper_util::service::TowerToHyperService::new(
        router.layer(axum::Extension(auth::Peer(peer))),
    );
    let served = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(15))
        .keep_alive(false)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .await;
    if let Err(e) = served {
        tracing::debug!(%peer, "web request: {e}");
    }
}

/// The socket with the bytes radio-net already read put back in front.
struct Replay {
    prefix: Bytes,
    stream: TcpStream,
}

impl AsyncRead for Replay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            let chunk = self.prefix.split_to(n);
            buf.put_slice(&chunk);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

//! The server: shared state, the accept loops and the request router.
//!
//! One port serves everything, like Icecast: the request head decides whether a
//! connection is a source (`SOURCE`/`PUT`), a listener (`GET` on a mount) or a page
//! (status, admin, static files). Shoutcast v1 sources arrive on a second port.
//! Each connection is one task that owns its socket; a semaphore bounds the number of
//! open connections; shutdown is a cancellation token that every task watches.

use crate::accesslog::AccessLog;
use crate::config::{MountConfig, ServerConfig};
use crate::mount::{Mount, SourceFeed, SourceInfo};
use crate::request::{RequestHead, parse_head};
use crate::response::Response;
use crate::{Error, Result};
use bytes::BytesMut;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A connected listener, as admin pages see it.
#[derive(Debug, Clone)]
pub(crate) struct ClientEntry {
    pub mount: String,
    pub ip: String,
    pub user_agent: String,
    pub connected: Instant,
}

/// State shared by every task of one server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: ServerConfig,
    pub mounts: RwLock<HashMap<String, Arc<Mount>>>,
    pub listeners: AtomicUsize,
    pub sources: AtomicUsize,
    pub clients: Mutex<HashMap<u64, ClientEntry>>,
    pub next_id: AtomicU64,
    pub access_log: Option<AccessLog>,
    pub started: DateTime<Utc>,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
    pub port: AtomicU16,
    pub connections: Arc<Semaphore>,
    /// Places for refused connections being closed (see [`refuse`]).
    pub refusing: Arc<Semaphore>,
    /// Listener connections served in total.
    pub listener_connections: AtomicU64,
    /// Source connections accepted in total.
    pub source_connections: AtomicU64,
    /// The embedding program's routes and sources.
    pub host: HostSlot,
}

/// The installed [`crate::host::Host`], if any.
#[derive(Default)]
pub(crate) struct HostSlot(std::sync::OnceLock<Arc<dyn crate::host::Host>>);

impl std::fmt::Debug for HostSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "HostSlot(set)"
        } else {
            "HostSlot(none)"
        })
    }
}

impl Shared {
    /// The installed host.
    pub fn host(&self) -> Option<&Arc<dyn crate::host::Host>> {
        self.host.0.get()
    }

    pub fn mount(&self, path: &str) -> Option<Arc<Mount>> {
        self.mounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .cloned()
    }

    /// The mount for a source at `path`, created if the config allows.
    pub fn mount_for_source(&self, path: &str) -> Option<Arc<Mount>> {
        if let Some(m) = self.mount(path) {
            return Some(m);
        }
        if !self.config.allow_unconfigured_mounts {
            return None;
        }
        let mut map = self.mounts.write().unwrap_or_else(|p| p.into_inner());
        Some(
            map.entry(path.to_string())
                .or_insert_with(|| {
                    Arc::new(Mount::new(
                        MountConfig::new(path),
                        &self.config.mount_defaults,
                        false,
                    ))
                })
                .clone(),
        )
    }

    /// All mounts, sorted by path.
    pub fn all_mounts(&self) -> Vec<Arc<Mount>> {
        let mut v: Vec<_> = self
            .mounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    /// Forgets unconfigured mounts that have neither a source nor listeners.
    pub fn sweep_mounts(&self) {
        let mut map = self.mounts.write().unwrap_or_else(|p| p.into_inner());
        map.retain(|path, m| {
            self.config.mount(path).is_some() || m.on_demand || m.is_live() || m.listeners() > 0
        });
    }

    /// Takes one of the server's listener places.
    pub fn try_add_listener(&self) -> bool {
        let max = self.config.limits.max_listeners.unwrap_or(usize::MAX);
        self.listeners
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    /// Takes one of the server's source places.
    pub fn try_add_source(&self) -> bool {
        let max = self.config.limits.max_sources;
        self.sources
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    /// The URL listeners use for a mount.
    pub fn listen_url(&self, host: Option<&str>, mount: &str) -> String {
        match host {
            Some(h) if !h.is_empty() => format!("http://{h}{mount}"),
            _ => format!(
                "http://{}:{}{mount}",
                self.config.hostname,
                self.port.load(Ordering::Relaxed)
            ),
        }
    }

    /// Attaches a source to a mount: checks the source limit and that the mount is free.
    pub fn attach(
        self: &Arc<Self>,
        path: &str,
        info: SourceInfo,
    ) -> std::result::Result<(SourceFeed, CancellationToken), AttachError> {
        let mount = self
            .mount_for_source(path)
            .ok_or(AttachError::NotConfigured)?;
        if mount.is_live() {
            return Err(AttachError::InUse);
        }
        if !self.try_add_source() {
            return Err(AttachError::TooManySources);
        }
        let format = match mount.attach(info) {
            Some(f) => f,
            None => {
                self.sources.fetch_sub(1, Ordering::AcqRel);
                return Err(AttachError::InUse);
            }
        };
        let dump = mount.config.dump_file.as_ref().and_then(|p| {
            crate::dump::DumpFile::create(p)
                .map_err(|e| tracing::error!(mount = path, file = %p.display(), "cannot open dump file: {e}"))
                .ok()
        });
        let kill = self.shutdown.child_token();
        mount.set_kill(kill.clone());
        let mut feed = SourceFeed::new(mount, format, self.config.fanout.clone(), dump);
        let shared = self.clone();
        feed.on_end = Some(Box::new(move || {
            shared.sources.fetch_sub(1, Ordering::AcqRel);
        }));
        self.source_connections.fetch_add(1, Ordering::Relaxed);
        Ok((feed, kill))
    }
}

/// Why a source could not attach to a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttachError {
    /// Another source feeds the mount.
    #[error("Mountpoint in use")]
    InUse,
    /// The server's source limit is reached.
    #[error("too many sources connected")]
    TooManySources,
    /// Sources may only use configured mounts and this one is not.
    #[error("Mountpoint not configured")]
    NotConfigured,
}

/// A streaming server. Cheap to clone; all clones are the same server.
#[derive(Debug, Clone)]
pub struct Server {
    pub(crate) shared: Arc<Shared>,
}

/// Server-wide figures.
#[derive(Debug, Clone)]
pub struct ServerStats {
    /// Listeners connected now.
    pub listeners: usize,
    /// Sources connected now.
    pub sources: usize,
    /// Listener connections served since start.
    pub listener_connections: u64,
    /// Source connections accepted since start.
    pub source_connections: u64,
    /// Status of every mount.
    pub mounts: Vec<crate::mount::MountStatus>,
}

impl Server {
    /// Builds a server from validated settings; opens the access log.
    pub fn new(config: ServerConfig) -> Result<Server> {
        config.validate()?;
        let access_log = match &config.access_log {
            Some(p) => Some(
                AccessLog::open(p)
                    .map_err(|e| Error::io(format!("cannot open access log {}", p.display()), e))?,
            ),
            None => None,
        };
        let mut mounts = HashMap::new();
        for m in &config.mounts {
            let on_demand = config
                .relays
                .iter()
                .any(|r| r.local_mount == m.path && r.on_demand);
            mounts.insert(
                m.path.clone(),
                Arc::new(Mount::new(m.clone(), &config.mount_defaults, on_demand)),
            );
        }
        for r in &config.relays {
            mounts.entry(r.local_mount.clone()).or_insert_with(|| {
                Arc::new(Mount::new(
                    MountConfig::new(r.local_mount.clone()),
                    &config.mount_defaults,
                    r.on_demand,
                ))
            });
        }
        let connections = Arc::new(Semaphore::new(config.limits.max_connections));
        Ok(Server {
            shared: Arc::new(Shared {
                mounts: RwLock::new(mounts),
                listeners: AtomicUsize::new(0),
                sources: AtomicUsize::new(0),
                clients: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                access_log,
                started: Utc::now(),
                shutdown: CancellationToken::new(),
                tracker: TaskTracker::new(),
                port: AtomicU16::new(0),
                connections,
                refusing: Arc::new(Semaphore::new(MAX_REFUSING)),
                listener_connections: AtomicU64::new(0),
                source_connections: AtomicU64::new(0),
                host: HostSlot::default(),
                config,
            }),
        })
    }

    /// The settings this server runs with.
    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    /// A token that is cancelled when the server shuts down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shared.shutdown.clone()
    }

    /// Feeds a mount from inside the process (a station's encoder, a custom relay).
    ///
    /// The same checks as for a network source apply: the mount must be free and the
    /// source limit not reached. Dropping the returned feed ends the source.
    pub fn attach_source(
        &self,
        mount: &str,
        info: SourceInfo,
    ) -> std::result::Result<SourceFeed, AttachError> {
        self.shared.attach(mount, info).map(|(feed, _)| feed)
    }

    /// The mount at `path`, if it exists (configured, or fed right now).
    pub fn mount(&self, path: &str) -> Option<Arc<Mount>> {
        self.shared.mount(path)
    }

    /// Figures for stat.log and monitoring.
    pub fn stats(&self) -> ServerStats {
        let s = &self.shared;
        ServerStats {
            listeners: s.listeners.load(Ordering::Relaxed),
            sources: s.sources.load(Ordering::Relaxed),
            listener_connections: s.listener_connections.load(Ordering::Relaxed),
            source_connections: s.source_connections.load(Ordering::Relaxed),
            mounts: s.all_mounts().iter().map(|m| m.status()).collect(),
        }
    }

    /// Serves until `shutdown` completes: accepts on `listener` (and Shoutcast v1
    /// sources on `shoutcast`), runs the configured relays, then closes every
    /// connection, writes the access lines and flushes the logs.
    pub async fn run(
        &self,
        listener: TcpListener,
        shoutcast: Option<TcpListener>,
        shutdown: impl std::future::Future,
    ) -> Result<()> {
        let shared = &self.shared;
        if let Ok(addr) = listener.local_addr() {
            shared.port.store(addr.port(), Ordering::Relaxed);
        }
        for relay in &shared.config.relays {
            let s = shared.clone();
            let r = relay.clone();
            shared
                .tracker
                .spawn(async move { crate::relay::run(s, r).await });
        }
        {
            let s = shared.clone();
            shared.tracker.spawn(async move { housekeeping(s).await });
        }
        if let Some(sc) = shoutcast {
            let s = shared.clone();
            let kind = Kind::Shoutcast(Arc::from(shared.config.shoutcast_mount.as_str()));
            shared
                .tracker
                .spawn(async move { accept_loop(s, sc, kind).await });
        }
        let main = {
            let s = shared.clone();
            shared
                .tracker
                .spawn(async move { accept_loop(s, listener, Kind::Main).await })
        };
        tokio::select! {
            _ = shutdown => {}
            _ = shared.shutdown.cancelled() => {}
        }
        tracing::info!("shutting down");
        shared.shutdown.cancel();
        let _ = main.await;
        shared.tracker.close();
        // Every task watches the token; give stuck writes a bounded time to notice.
        let _ = tokio::time::timeout(Duration::from_secs(5), shared.tracker.wait()).await;
        if let Some(log) = &shared.access_log {
            log.flush().await;
        }
        Ok(())
    }

    /// Pushes local mount `mount` to an upstream server whenever it has a source, until
    /// the server shuts down. Call before or after [`Server::run`].
    pub fn push_mount(&self, mount: &str, config: crate::push::PushConfig) -> Result<()> {
        crate::relay::parse_url(&config.url).map_err(Error::Config)?;
        let s = self.shared.clone();
        let path = mount.to_string();
        self.shared
            .tracker
            .spawn(async move { crate::push::bridge(s, path, config).await });
        Ok(())
    }

    /// Installs the embedding program's [`crate::host::Host`] (its routes, its sources).
    /// Only one: `false` if one was installed already.
    pub fn set_host(&self, host: Arc<dyn crate::host::Host>) -> bool {
        self.shared.host.0.set(host).is_ok()
    }

    /// Accepts Shoutcast v1 sources for `mount` on `listener` (a station's own DJ port),
    /// until the server shuts down. Needs a tokio runtime.
    pub fn serve_shoutcast(&self, listener: TcpListener, mount: &str) {
        let s = self.shared.clone();
        let kind = Kind::Shoutcast(Arc::from(mount));
        self.shared
            .tracker
            .spawn(async move { accept_loop(s, listener, kind).await });
    }

    /// Asks the server to stop (the same as the `shutdown` future completing).
    pub fn shutdown(&self) {
        self.shared.shutdown.cancel();
    }
}

/// Binds a listening socket with a deep backlog (Icecast's 5 refuses ramps).
pub fn bind(addr: SocketAddr) -> Result<TcpListener> {
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(|e| Error::Bind {
        addr: addr.to_string(),
        source: e,
    })?;
    let bind_err = |e| Error::Bind {
        addr: addr.to_string(),
        source: e,
    };
    sock.set_reuseaddr(true).map_err(bind_err)?;
    sock.bind(addr).map_err(bind_err)?;
    sock.listen(4096).map_err(bind_err)
}

#[derive(Debug, Clone)]
enum Kind {
    Main,
    /// Shoutcast v1 sources for this mount.
    Shoutcast(Arc<str>),
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, kind: Kind) {
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            r = listener.accept() => r,
        };
        let (stream, peer) = match accepted {
            Ok(x) => {
                backoff = Duration::from_millis(10);
                x
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!("accept failed: {e}; retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let Ok(permit) = shared.connections.clone().try_acquire_owned() else {
            refuse(&shared, stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let s = shared.clone();
        let kind = kind.clone();
        shared.tracker.spawn(async move {
            match kind {
                Kind::Main => {
                    // An admitted listener leaves this task for its mount's driver,
                    // holding the connection permit for as long as it stays.
                    if let Some((mount, sink)) = handle_connection(s.clone(), stream, peer).await {
                        crate::listener::join(&s, &mount, sink.with_permit(permit));
                        return;
                    }
                }
                Kind::Shoutcast(mount) => {
                    Box::pin(crate::source::handle_shoutcast(s, stream, peer, mount)).await
                }
            }
            drop(permit);
        });
    }
}

/// Connections over the limit get a 503 and a graceful close: the request they already
/// sent is read and discarded, so the close does not turn into a reset that destroys the
/// reply. At most [`MAX_REFUSING`] such closes run at once; past that, the socket is
/// simply dropped.
fn refuse(shared: &Arc<Shared>, stream: TcpStream) {
    let Ok(permit) = shared.refusing.clone().try_acquire_owned() else {
        return;
    };
    shared.tracker.spawn(async move {
        let mut stream = stream;
        let reply = Response::text(503, "Icecast connection limit reached").to_bytes();
        let linger = async {
            let _ = stream.write_all(&reply).await;
            let _ = stream.shutdown().await;
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), linger).await;
        drop(permit);
    });
}

/// Refused connections being closed gracefully at once.
const MAX_REFUSING: usize = 64;

/// Reads a request head within the header timeout; `Err` carries the response to send.
pub(crate) async fn read_head(
    shared: &Shared,
    stream: &mut TcpStream,
) -> std::result::Result<(RequestHead, BytesMut), Option<Response>> {
    let limits = &shared.config.limits;
    let deadline = tokio::time::Instant::now() + limits.header_timeout;
    let mut buf = BytesMut::with_capacity(2048);
    loop {
        match parse_head(&buf, limits.max_head_bytes) {
            Ok(Some((head, n))) => {
                let _ = buf.split_to(n);
                return Ok((head, buf));
            }
            Ok(None) => {}
            Err(crate::request::HeadError::TooLarge(_)) => {
                return Err(Some(Response::text(431, "Request header fields too large")));
            }
            Err(e) => return Err(Some(Response::text(400, &format!("Bad request: {e}")))),
        }
        let read = tokio::select! {
            _ = shared.shutdown.cancelled() => return Err(None),
            r = tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)) => r,
        };
        match read {
            Ok(Ok(0)) | Ok(Err(_)) => return Err(None),
            Ok(Ok(_)) => {}
            Err(_) => return Err(Some(Response::text(408, "Request timeout"))),
        }
    }
}

/// Handles one request; a listener is returned to be streamed by the caller.
async fn handle_connection(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
) -> Option<(Arc<Mount>, crate::listener::Sink)> {
    let (head, rest) = match read_head(&shared, &mut stream).await {
        Ok(x) => x,
        Err(resp) => {
            if let Some(resp) = resp {
                tracing::info!(%peer, status = resp.status, "bad request");
                resp.send(&mut stream).await;
            }
            return None;
        }
    };
    tracing::debug!(%peer, method = %head.method, target = %head.target, headers = ?head.headers, "request");
    if let Some(host) = shared.host()
        && host.wants(&head)
    {
        let conn = crate::host::HostConnection {
            head,
            rest,
            stream,
            peer,
        };
        host.serve(conn).await;
        return None;
    }
    match head.method.as_str() {
        // Boxed: every connection task is as big as its largest branch, and listeners —
        // by far the most numerous — should not pay for the source path's state.
        "SOURCE" | "PUT" | "POST" => {
            Box::pin(crate::source::handle_icecast(
                shared, stream, peer, head, rest,
            ))
            .await;
            None
        }
        "GET" | "HEAD" => {
            // Listeners send no body; don't carry the read buffer for hours.
            drop(rest);
            crate::routes::handle_get(shared, stream, peer, head).await
        }
        "OPTIONS" => {
            Response::new(204, "text/plain", "")
                .header("Allow", "GET, HEAD, PUT, SOURCE, OPTIONS")
                .send(&mut stream)
                .await;
            None
        }
        _ => {
            Response::text(405, "Method not allowed")
                .header("Allow", "GET, HEAD, PUT, SOURCE, OPTIONS")
                .send(&mut stream)
                .await;
            None
        }
    }
}

/// Periodic chores: forget idle unconfigured mounts.
async fn housekeeping(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tick.tick() => shared.sweep_mounts(),
        }
    }
}

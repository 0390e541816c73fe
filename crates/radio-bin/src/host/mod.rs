//! The station host: the running stations, and what radio-net hands over to it — the
//! now-playing API, the stations' live-DJ logins and their metadata updates.

pub mod build;
mod nowplaying;
pub mod record;

use build::Running;
use radio_net::Server;
use radio_net::host::{
    BoxFuture, Host, HostConnection, MetadataUpdate, MetadataVerdict, SourceLogin, SourceVerdict,
};
use radio_net::request::RequestHead;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// The stations of one server, by name.
pub struct Stations {
    server: Server,
    map: RwLock<BTreeMap<String, Arc<Running>>>,
}

impl Stations {
    /// No stations yet.
    pub fn new(server: &Server) -> Arc<Stations> {
        Arc::new(Stations {
            server: server.clone(),
            map: RwLock::new(BTreeMap::new()),
        })
    }

    /// Adds a running station.
    pub fn insert(&self, running: Running) {
        let name = running.spec.name.clone();
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, Arc::new(running));
    }

    /// Takes a station out; it stops (and frees its mounts) when the last handle on it
    /// is dropped.
    pub fn remove(&self, name: &str) -> Option<Arc<Running>> {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
    }

    /// Takes a station out and stops it, waiting (up to 10 s) for requests that still
    /// hold it to finish, so its mounts are free when this returns. Blocking.
    pub fn stop(&self, name: &str) -> bool {
        let Some(mut r) = self.remove(name) else {
            return false;
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match Arc::try_unwrap(r) {
                Ok(running) => {
                    running.stop();
                    return true;
                }
                Err(shared) if std::time::Instant::now() < deadline => {
                    r = shared;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(shared) => {
                    tracing::warn!(
                        "station {name}: still in use after 10 s; it stops when released"
                    );
                    drop(shared);
                    return true;
                }
            }
        }
    }

    /// A station by name.
    pub fn get(&self, name: &str) -> Option<Arc<Running>> {
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// Every station.
    pub fn all(&self) -> Vec<Arc<Running>> {
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Stops every station (blocking: joins their threads).
    pub fn stop_all(&self) {
        let all: Vec<_> = std::mem::take(&mut *self.map.write().unwrap_or_else(|p| p.into_inner()))
            .into_values()
            .collect();
        for r in all {
            match Arc::try_unwrap(r) {
                Ok(r) => r.stop(),
                Err(r) => drop(r),
            }
        }
    }

    /// The server.
    pub fn server(&self) -> &Server {
        &self.server
    }
}

/// Bans kept in the store, applied to a station's live gate (at every start). Blocking.
pub fn apply_bans(store: &radio_store::Store, running: &Running) {
    let Some(gate) = &running.gate else { return };
    let now = chrono::Utc::now();
    match store.bans(&running.spec.name, now.timestamp()) {
        Ok(bans) => {
            for (user, until) in bans {
                let until = until.and_then(|t| chrono::DateTime::from_timestamp(t, 0));
                gate.ban(&user, until);
            }
        }
        Err(e) => tracing::warn!("{} station: cannot read its bans: {e}", running.spec.name),
    }
}

/// radio-net's view of the host: the now-playing routes, the API (axum), the stations'
/// live-DJ logins and metadata updates.
pub struct StationHost {
    /// The stations.
    pub stations: Arc<Stations>,
    /// The API's router.
    pub web: Option<axum::Router>,
    /// Listener sessions and station events go there.
    pub recorder: Option<Arc<record::Recorder>>,
}

impl Host for StationHost {
    fn wants(&self, head: &RequestHead) -> bool {
        let path = head.path();
        path.starts_with("/api/nowplaying")
            || (self.web.is_some()
                && (path.starts_with("/api/")
                    || path == "/metrics"
                    || path == "/ui"
                    || path.starts_with("/ui/")
                    || path.starts_with("/station/")))
    }

    fn serve(&self, conn: HostConnection) -> BoxFuture {
        match &self.web {
            Some(router) if !conn.head.path().starts_with("/api/nowplaying") => {
                Box::pin(crate::web::serve(router.clone(), conn))
            }
            _ => Box::pin(nowplaying::serve(self.stations.clone(), conn)),
        }
    }

    fn source(&self, login: &SourceLogin<'_>) -> SourceVerdict {
        for r in self.stations.all() {
            if let Some(g) = &r.gate
                && g.mount() == login.mount
            {
                let verdict = g.login(login);
                let Some(rec) = &self.recorder else {
                    return verdict;
                };
                let station = &r.spec.name;
                let who = if login.user.is_empty() || login.user == "source" {
                    format!("a DJ from {}", login.peer.ip())
                } else {
                    format!("{} from {}", login.user, login.peer.ip())
                };
                return match verdict {
                    SourceVerdict::Refuse { status, reason } => {
                        rec.event(
                            station,
                            "dj.refused",
                            format!("{who} refused ({status}): {reason}"),
                        );
                        SourceVerdict::Refuse { status, reason }
                    }
                    SourceVerdict::Accept { sink, kill } => {
                        let dj = g
                            .control()
                            .session()
                            .map(|s| s.username)
                            .unwrap_or(who.clone());
                        rec.event(station, "dj.connected", format!("{dj} connected ({who})"));
                        SourceVerdict::Accept {
                            sink: Box::new(LoggedSink {
                                sink,
                                recorder: rec.clone(),
                                station: station.clone(),
                                dj,
                                since: std::time::Instant::now(),
                            }),
                            kill,
                        }
                    }
                    other => other,
                };
            }
        }
        SourceVerdict::NotMine
    }

    fn listener_left(&self, session: &radio_net::ListenerSession<'_>) {
        if let Some(r) = &self.recorder {
            r.session(session);
        }
    }

    fn metadata(&self, update: &MetadataUpdate<'_>) -> MetadataVerdict {
        for r in self.stations.all() {
            if let Some(g) = &r.gate
                && g.mount() == update.mount
            {
                return g.metadata(update);
            }
        }
        MetadataVerdict::NotMine
    }
}

/// A live DJ's audio on its way to the station; logs the end of the set.
struct LoggedSink {
    sink: Box<dyn radio_net::SourceSink>,
    recorder: Arc<record::Recorder>,
    station: String,
    dj: String,
    since: std::time::Instant,
}

impl radio_net::SourceSink for LoggedSink {
    fn write(&mut self, data: &[u8]) {
        self.sink.write(data);
    }
}

impl Drop for LoggedSink {
    fn drop(&mut self) {
        let secs = self.since.elapsed().as_secs();
        self.recorder.event(
            &self.station,
            "dj.disconnected",
            format!(
                "{} disconnected after {}:{:02}",
                self.dj,
                secs / 60,
                secs % 60
            ),
        );
    }
}

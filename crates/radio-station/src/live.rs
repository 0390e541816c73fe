//! Live DJs: who may connect to a station's live mount, and where their audio goes.
//!
//! A [`LiveGate`] stands between radio-net's source logins and the station's
//! [`radio_sched::live::Live`] input. It checks the DJ's password (user and password, the
//! password written `user:password` — what Shoutcast v1 clients can send — or a stream
//! key alone), bans, and their calendar windows; a refusal says why (401 for a wrong
//! password, 403 with the next window, 403 for a ban, 403 while another DJ is on). An
//! accepted connection's bytes are decoded by [`radio_core::live::LiveInput`] and go into
//! the Harbor — never straight to listeners. The DJ is kicked at the end of their window
//! plus grace (the live input disconnects them; the gate closes the socket).

use radio_core::Metadata;
use radio_core::live::{LiveFeeder, LiveInput};
use radio_net::host::{MetadataUpdate, MetadataVerdict, SourceLogin, SourceSink, SourceVerdict};
use radio_sched::calendar::Calendar;
use radio_sched::live::{Disconnect, DjSession, LiveControl};
use radio_sched::{Clock, Time};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A DJ account of a station.
#[derive(Debug, Clone, Default)]
pub struct DjAccount {
    /// Login name (compared case-insensitively).
    pub user: String,
    /// Password.
    pub password: String,
    /// A stream key: accepted alone as the password, with any user name.
    pub stream_key: Option<String>,
    /// Air-time windows (`None`: at any time). Replace it when a poller re-reads it.
    pub calendar: Option<Arc<RwLock<Option<Calendar>>>>,
    /// Banned until (`Some(None)`: for good).
    pub banned: Option<Option<Time>>,
    /// The title announced when they take the air (default "<user> live").
    pub title: Option<String>,
}

/// Why a login was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status (401, 403).
    pub status: u16,
    /// The reason, for the DJ and the log.
    pub reason: String,
}

/// Settings of a [`LiveGate`].
#[derive(Debug, Clone, PartialEq)]
pub struct GateSettings {
    /// May connect this long before a window opens.
    pub entry_grace: Duration,
    /// Kicked this long after their window closes.
    pub exit_grace: Duration,
    /// How far ahead a refusal looks for the next window.
    pub lookahead: Duration,
    /// A folder that receives each live set as sent, one file per connection.
    pub record_dir: Option<std::path::PathBuf>,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            entry_grace: Duration::from_secs(5 * 60),
            exit_grace: Duration::from_secs(60),
            lookahead: Duration::from_secs(60 * 86_400),
            record_dir: None,
        }
    }
}

struct Inner {
    djs: Vec<DjAccount>,
    kill: Option<CancellationToken>,
    feeder: Option<LiveFeeder>,
    /// Connection counter: a sink only disconnects the input if it is still the current one.
    generation: u64,
}

/// The door to a station's live input (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct LiveGate {
    station: String,
    mount: String,
    control: Arc<RwLock<LiveControl>>,
    clock: Arc<dyn Clock>,
    settings: GateSettings,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for LiveGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveGate")
            .field("station", &self.station)
            .field("mount", &self.mount)
            .finish()
    }
}

fn stamp(t: Time) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl LiveGate {
    /// A gate for `station`'s live input (its `control`) on `mount`.
    pub fn new(
        station: &str,
        mount: &str,
        control: LiveControl,
        clock: Arc<dyn Clock>,
        settings: GateSettings,
        djs: Vec<DjAccount>,
    ) -> LiveGate {
        LiveGate {
            station: station.to_string(),
            mount: mount.to_string(),
            control: Arc::new(RwLock::new(control)),
            clock,
            settings,
            inner: Arc::new(Mutex::new(Inner {
                djs,
                kill: None,
                feeder: None,
                generation: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The mount DJs connect to.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// The live input's handle.
    pub fn control(&self) -> LiveControl {
        self.control
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Points the gate at a new live input (the station rebuilt its Harbor).
    pub fn set_control(&self, control: LiveControl) {
        *self.control.write().unwrap_or_else(|p| p.into_inner()) = control;
    }

    /// The DJ accounts.
    pub fn accounts(&self) -> Vec<DjAccount> {
        self.lock().djs.clone()
    }

    /// Replaces the DJ accounts (a connected DJ stays).
    pub fn set_djs(&self, djs: Vec<DjAccount>) {
        self.lock().djs = djs;
    }

    /// Bans a DJ (until a time, or for good) and disconnects them if they are on.
    pub fn ban(&self, user: &str, until: Option<Time>) -> bool {
        let found = {
            let mut inner = self.lock();
            let dj = inner
                .djs
                .iter_mut()
                .find(|d| d.user.eq_ignore_ascii_case(user));
            match dj {
                Some(d) => {
                    d.banned = Some(until);
                    true
                }
                None => false,
            }
        };
        if self
            .control()
            .session()
            .is_some_and(|s| s.username.eq_ignore_ascii_case(user))
        {
            self.kick();
        }
        found
    }

    /// Lifts a DJ's ban; `false` if they were not banned.
    pub fn unban(&self, user: &str) -> bool {
        let mut inner = self.lock();
        inner
            .djs
            .iter_mut()
            .find(|d| d.user.eq_ignore_ascii_case(user))
            .is_some_and(|d| d.banned.take().is_some())
    }

    /// Disconnects whoever is connected.
    pub fn kick(&self) -> bool {
        let kill = self.lock().kill.take();
        match kill {
            Some(k) => {
                k.cancel();
                self.control().disconnect(Disconnect::Dropped);
                true
            }
            None => false,
        }
    }

    /// Checks a login at `now`: the DJ's session (title and kick-off) or why not.
    pub fn check(&self, user: &str, password: &str, now: Time) -> Result<DjSession, Refusal> {
        let (user, password) = match (user, password.split_once(':')) {
            // Shoutcast v1 clients send only a password: "user:password".
            ("" | "source", Some((u, p))) => (u, p),
            _ => (user, password),
        };
        let inner = self.lock();
        let dj = inner.djs.iter().find(|d| {
            (d.user.eq_ignore_ascii_case(user) && d.password == password)
                || d.stream_key.as_deref().is_some_and(|k| k == password)
        });
        let Some(dj) = dj else {
            return Err(Refusal {
                status: 401,
                reason: format!(
                    "wrong user name or password for {}'s live input",
                    self.station
                ),
            });
        };
        match dj.banned {
            Some(None) => {
                return Err(Refusal {
                    status: 403,
                    reason: format!("{} is banned from {}", dj.user, self.station),
                });
            }
            Some(Some(until)) if until > now => {
                return Err(Refusal {
                    status: 403,
                    reason: format!(
                        "{} is banned from {} until {}",
                        dj.user,
                        self.station,
                        stamp(until)
                    ),
                });
            }
            _ => {}
        }
        let title = dj
            .title
            .clone()
            .unwrap_or_else(|| format!("{} live", dj.user));
        let kickoff = match &dj.calendar {
            None => None,
            Some(cal) => {
                let cal = cal.read().unwrap_or_else(|p| p.into_inner());
                Some(self.window(&dj.user, cal.as_ref(), now)?)
            }
        };
        Ok(DjSession {
            username: dj.user.clone(),
            kickoff,
            title: Some(title),
        })
    }

    /// The kick-off of the window `now` is in, or a refusal naming the next window.
    fn window(&self, user: &str, cal: Option<&Calendar>, now: Time) -> Result<Time, Refusal> {
        let entry = chrono::Duration::from_std(self.settings.entry_grace).unwrap_or_default();
        let exit = chrono::Duration::from_std(self.settings.exit_grace).unwrap_or_default();
        let ahead = chrono::Duration::from_std(self.settings.lookahead).unwrap_or_default();
        let Some(cal) = cal else {
            return Err(Refusal {
                status: 403,
                reason: format!("{user}'s calendar has not been read yet"),
            });
        };
        let occurrences = cal.occurrences(now - chrono::Duration::days(2), now + ahead);
        let open = occurrences
            .iter()
            .filter(|o| o.start - entry <= now && now < o.end + exit)
            .map(|o| o.end + exit)
            .max();
        if let Some(kickoff) = open {
            return Ok(kickoff);
        }
        let next = occurrences
            .iter()
            .map(|o| o.start - entry)
            .filter(|t| *t > now)
            .min();
        Err(Refusal {
            status: 403,
            reason: match next {
                Some(t) => format!(
                    "outside {user}'s air time on {}: next window opens {}",
                    self.station,
                    stamp(t)
                ),
                None => format!(
                    "outside {user}'s air time on {}: no upcoming window",
                    self.station
                ),
            },
        })
    }

    /// Answers a source login for this gate's mount (radio-net's [`radio_net::Host`]).
    pub fn login(&self, login: &SourceLogin<'_>) -> SourceVerdict {
        if login.mount != self.mount {
            return SourceVerdict::NotMine;
        }
        let now = self.clock.now();
        let session = match self.check(login.user, login.password, now) {
            Ok(s) => s,
            Err(r) => {
                return SourceVerdict::Refuse {
                    status: r.status,
                    reason: r.reason,
                };
            }
        };
        let control = self.control();
        if let Some(on) = control.session().filter(|_| control.is_connected()) {
            return SourceVerdict::Refuse {
                status: 403,
                reason: format!("{}'s live input is taken by {}", self.station, on.username),
            };
        }
        let mut input = match LiveInput::new(&format!("{}-live", self.station)) {
            Ok(i) => i,
            Err(e) => {
                return SourceVerdict::Refuse {
                    status: 500,
                    reason: format!("cannot start the live decoder: {e}"),
                };
            }
        };
        let Some(feeder) = input.feeder() else {
            return SourceVerdict::Refuse {
                status: 500,
                reason: "the live decoder is closed".into(),
            };
        };
        // Only the connection holds the stream open from now on.
        input.close();
        let username = session.username.clone();
        if let Some(title) = &session.title {
            feeder.set_title(Metadata {
                title: Some(title.clone()),
                artist: None,
                album: None,
            });
        }
        if let Err(taken) = control.connect(Box::new(input), session) {
            return SourceVerdict::Refuse {
                status: 403,
                reason: format!("{}'s live input is taken by {}", self.station, taken.by),
            };
        }
        let kill = CancellationToken::new();
        let generation = {
            let mut inner = self.lock();
            inner.generation += 1;
            inner.kill = Some(kill.clone());
            inner.feeder = Some(feeder.clone());
            inner.generation
        };
        tracing::info!(
            "{} station: {username} connected to {}",
            self.station,
            self.mount
        );
        let recorder = self.settings.record_dir.as_ref().and_then(|dir| {
            let ext = match login.head.header("content-type").unwrap_or("audio/mpeg") {
                t if t.contains("ogg") => "ogg",
                t if t.contains("aac") || t.contains("mp4") => "aac",
                t if t.contains("flac") => "flac",
                _ => "mp3",
            };
            let name = format!(
                "{}-{}-{}.{ext}",
                self.station,
                username,
                now.format("%Y%m%d-%H%M%S")
            );
            Recorder::start(&dir.join(name))
                .map_err(|e| {
                    tracing::warn!("{} station: cannot record the live set: {e}", self.station)
                })
                .ok()
        });
        SourceVerdict::Accept {
            sink: Box::new(Sink {
                gate: self.clone(),
                feeder,
                generation,
                kill: kill.clone(),
                recorder,
            }),
            kill,
        }
    }

    /// Answers a metadata update for this gate's mount: the connected DJ (or an account
    /// of the station) may set the title listeners see.
    pub fn metadata(&self, update: &MetadataUpdate<'_>) -> MetadataVerdict {
        if update.mount != self.mount {
            return MetadataVerdict::NotMine;
        }
        let now = self.clock.now();
        let user = update.user.unwrap_or("");
        if let Err(r) = self.check(user, update.password.unwrap_or(""), now)
            && r.status == 401
        {
            return MetadataVerdict::Refuse(401, r.reason);
        }
        let Some(feeder) = self.lock().feeder.clone() else {
            return MetadataVerdict::Refuse(404, "no DJ is connected".into());
        };
        let (artist, title) = match (update.artist, update.song.split_once(" - ")) {
            (Some(a), Some((_, t))) => (Some(a.to_string()), t.to_string()),
            (Some(a), None) => (Some(a.to_string()), update.song.to_string()),
            (None, Some((a, t))) => (Some(a.to_string()), t.to_string()),
            (None, None) => (None, update.song.to_string()),
        };
        feeder.set_title(Metadata {
            title: Some(title),
            artist,
            album: None,
        });
        MetadataVerdict::Done
    }
}

/// An accepted DJ connection's bytes, into the live decoder.
struct Sink {
    gate: LiveGate,
    feeder: LiveFeeder,
    generation: u64,
    kill: CancellationToken,
    recorder: Option<Recorder>,
}

/// A live set written to a file by a thread of its own (no disk writes on the reactor).
struct Recorder {
    tx: std::sync::mpsc::SyncSender<bytes::Bytes>,
}

impl Recorder {
    fn start(path: &std::path::Path) -> std::io::Result<Recorder> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::File::create(path)?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<bytes::Bytes>(1024);
        let shown = path.display().to_string();
        std::thread::Builder::new()
            .name("live-recorder".into())
            .spawn(move || {
                use std::io::Write;
                let mut out = std::io::BufWriter::new(file);
                for b in rx {
                    if let Err(e) = out.write_all(&b) {
                        tracing::warn!("recording {shown}: {e}");
                        return;
                    }
                }
                if let Err(e) = out.flush() {
                    tracing::warn!("recording {shown}: {e}");
                }
                tracing::info!("live set recorded to {shown}");
            })?;
        Ok(Recorder { tx })
    }
}

impl SourceSink for Sink {
    fn write(&mut self, data: &[u8]) {
        let bytes = bytes::Bytes::copy_from_slice(data);
        if let Some(r) = &self.recorder {
            let _ = r.tx.try_send(bytes.clone());
        }
        self.feeder.push(bytes);
        // The live input kicks at the kick-off time: close the socket then.
        for d in self.gate.control().take_disconnects() {
            if let Disconnect::Kicked { username, at } = d {
                tracing::info!(
                    "{} station: {username} kicked at {} (end of their window)",
                    self.gate.station,
                    stamp(at)
                );
                self.kill.cancel();
            }
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let mut inner = self.gate.lock();
        if inner.generation == self.generation {
            inner.kill = None;
            inner.feeder = None;
            drop(inner);
            self.gate.control().disconnect(Disconnect::Ended);
            tracing::info!("{} station: the live DJ disconnected", self.gate.station);
        }
    }
}

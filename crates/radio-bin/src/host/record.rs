//! What the host writes down: listener sessions, listeners per mount and minute, and the
//! stations' events (a DJ refused and why, a DJ connected or gone, an upstream failing or
//! back, silence, a restart, files the indexer could not read).
//!
//! Everything goes through a bounded channel to one thread that writes to the store in
//! batches every few seconds: a listener leaving never waits for the disk. If the store
//! falls behind, sessions are dropped and counted (logged), never queued without end.

use super::Stations;
use radio_store::{Event, ListenerSession, MinuteCount, StationMinute, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Sessions and events waiting for the writer at most.
const QUEUE: usize = 65_536;
/// How often listeners are counted, and batches written.
const TICK: Duration = Duration::from_secs(5);

enum Msg {
    Session(ListenerSession),
    Event(Event),
    Flush(SyncSender<()>),
    Stop,
}

/// The recorder (see the module docs). Stops, after writing what it holds, on
/// [`Recorder::stop`].
pub struct Recorder {
    tx: SyncSender<Msg>,
    lost: AtomicU64,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Recorder {
    /// Starts the writer. `retention_days`: older sessions, counts and events are deleted
    /// (checked hourly).
    pub fn start(store: Store, stations: &Arc<Stations>, retention_days: u32) -> Arc<Recorder> {
        let (tx, rx) = sync_channel(QUEUE);
        let stations = Arc::downgrade(stations);
        let thread = std::thread::Builder::new()
            .name("stats-writer".into())
            .spawn(move || Writer::new(store, stations, retention_days).run(rx))
            .expect("starting the statistics thread");
        Arc::new(Recorder {
            tx,
            lost: AtomicU64::new(0),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn send(&self, msg: Msg) {
        if self.tx.try_send(msg).is_err() {
            let n = self.lost.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!("statistics: the store is behind; {n} records dropped so far");
            }
        }
    }

    /// A listener left.
    pub fn session(&self, s: &radio_net::ListenerSession<'_>) {
        self.send(Msg::Session(ListenerSession {
            station: None, // filled in by the writer, which knows the stations' mounts
            mount: s.mount.to_string(),
            started: s.started.timestamp_millis(),
            duration_ms: s.duration.as_millis().min(i64::MAX as u128) as i64,
            bytes: s.bytes.min(i64::MAX as u64) as i64,
            ip: s.peer.ip().to_string(),
            user_agent: s.user_agent.chars().take(300).collect(),
        }));
    }

    /// Something happened on a station.
    pub fn event(&self, station: &str, kind: &str, message: impl Into<String>) {
        self.send(Msg::Event(Event {
            at: now_ms(),
            station: Some(station.to_string()),
            kind: kind.to_string(),
            message: message.into(),
        }));
    }

    /// Waits until everything sent so far is in the store.
    pub fn flush(&self) {
        let (tx, rx) = sync_channel(1);
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv_timeout(Duration::from_secs(30));
        }
    }

    /// Writes what is left and stops the writer.
    pub fn stop(&self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

/// What the writer remembers of a station between ticks, to log changes.
#[derive(Default)]
struct Seen {
    upstreams: HashMap<String, bool>,
    silent: bool,
    restarts: u32,
}

struct Writer {
    store: Store,
    stations: Weak<Stations>,
    retention: Duration,
    sessions: Vec<ListenerSession>,
    events: Vec<Event>,
    /// The minute being counted, and the most listeners seen per mount in it.
    minute: i64,
    peaks: HashMap<String, i64>,
    /// The most listeners seen per station (all its mounts) in the minute.
    station_peaks: HashMap<String, i64>,
    seen: HashMap<String, Seen>,
    /// Failed tracks newer than this (seconds) are reported as indexer events.
    indexed_after: i64,
    next_prune: Instant,
}

impl Writer {
    fn new(store: Store, stations: Weak<Stations>, retention_days: u32) -> Writer {
        Writer {
            store,
            stations,
            retention: Duration::from_secs(u64::from(retention_days) * 86_400),
            sessions: Vec::new(),
            events: Vec::new(),
            minute: now_ms() / 60_000,
            peaks: HashMap::new(),
            station_peaks: HashMap::new(),
            seen: HashMap::new(),
            indexed_after: chrono::Utc::now().timestamp(),
            next_prune: Instant::now() + Duration::from_secs(60),
        }
    }

    fn run(mut self, rx: Receiver<Msg>) {
        let mut next = Instant::now() + TICK;
        loop {
            match rx.recv_timeout(next.saturating_duration_since(Instant::now())) {
                Ok(Msg::Session(s)) => self.sessions.push(s),
                Ok(Msg::Event(e)) => self.events.push(e),
                Ok(Msg::Flush(done)) => {
                    self.tick();
                    let _ = done.send(());
                }
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    self.tick();
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.tick();
                    next = Instant::now() + TICK;
                }
            }
        }
    }

    /// Counts listeners, notes station changes, writes the batches.
    fn tick(&mut self) {
        let Some(stations) = self.stations.upgrade() else {
            return;
        };
        // The stations are held for the in-memory part of the tick only: a station being
        // stopped waits for its last holder.
        let all = stations.all();
        let by_mount: HashMap<String, String> = all
            .iter()
            .flat_map(|r| {
                r.spec
                    .outputs
                    .iter()
                    .map(|o| (o.mount.clone(), r.spec.name.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        // Listeners now: the most seen this minute, written every tick (the store keeps
        // the larger of what it has and what is written).
        let minute = now_ms() / 60_000;
        if minute != self.minute {
            self.peaks.clear();
            self.station_peaks.clear();
            self.minute = minute;
        }
        let mut totals: HashMap<String, i64> =
            all.iter().map(|r| (r.spec.name.clone(), 0)).collect();
        for m in stations.server().stats().mounts {
            let peak = self.peaks.entry(m.path.clone()).or_insert(0);
            *peak = (*peak).max(m.listeners as i64);
            if let Some(s) = by_mount.get(&m.path)
                && let Some(t) = totals.get_mut(s)
            {
                *t += m.listeners as i64;
            }
        }
        for (s, n) in totals {
            let peak = self.station_peaks.entry(s).or_insert(0);
            *peak = (*peak).max(n);
        }
        self.watch_stations(&all);
        let names: Vec<String> = all.iter().map(|r| r.spec.name.clone()).collect();
        drop(all);
        self.write_minute(&by_mount);
        self.indexer_failures();
        for s in &mut self.sessions {
            s.station = by_mount.get(&s.mount).cloned();
        }
        let sessions = std::mem::take(&mut self.sessions);
        if let Err(e) = self.store.record_sessions(sessions) {
            tracing::warn!("statistics: cannot write listener sessions: {e}");
        }
        let events = std::mem::take(&mut self.events);
        if let Err(e) = self.store.record_events(events) {
            tracing::warn!("statistics: cannot write station events: {e}");
        }
        if Instant::now() >= self.next_prune {
            self.next_prune = Instant::now() + Duration::from_secs(3600);
            let before = now_ms() - self.retention.as_millis() as i64;
            match self.store.prune_stats(before) {
                Ok((s, m, e)) if s + m + e > 0 => tracing::info!(
                    "statistics: deleted {s} sessions, {m} minute counts and {e} events past the retention time"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("statistics: cannot delete old rows: {e}"),
            }
            // Yesterday's sessions summed up once, so month summaries stay quick.
            let day = 86_400_000;
            let yesterday = now_ms().div_euclid(day) - 1;
            for name in &names {
                let (from, to) = (yesterday * day, (yesterday + 1) * day - 1);
                if let Err(e) = self.store.session_summary(name, from, to) {
                    tracing::warn!("statistics: cannot sum up yesterday's sessions: {e}");
                }
            }
        }
    }

    fn write_minute(&mut self, by_mount: &HashMap<String, String>) {
        let counts: Vec<MinuteCount> = self
            .peaks
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(mount, &listeners)| MinuteCount {
                station: by_mount.get(mount).cloned(),
                mount: mount.clone(),
                minute: self.minute,
                listeners,
            })
            .collect();
        if let Err(e) = self.store.record_minutes(counts) {
            tracing::warn!("statistics: cannot write listener counts: {e}");
        }
        let totals: Vec<StationMinute> = self
            .station_peaks
            .iter()
            .map(|(station, &listeners)| StationMinute {
                station: station.clone(),
                minute: self.minute,
                listeners,
            })
            .collect();
        if let Err(e) = self.store.record_station_minutes(totals) {
            tracing::warn!("statistics: cannot write station listener counts: {e}");
        }
    }

    /// Upstreams failing or back, silence, restarts: logged when they change.
    fn watch_stations(&mut self, stations: &[Arc<super::Running>]) {
        for r in stations {
            let name = r.spec.name.clone();
            let st = r.station.state();
            let seen = self.seen.entry(name.clone()).or_default();
            let mut events = Vec::new();
            for o in st.outputs.iter().filter(|o| o.kind == "upstream") {
                let connected = o.connected.unwrap_or(false);
                let before = seen.upstreams.insert(o.target.clone(), connected);
                match (before, connected) {
                    (Some(false) | None, true) => {
                        events.push(("upstream.connected", format!("connected to {}", o.target)))
                    }
                    (Some(true), false) | (None, false)
                        if before.is_some() || o.error.is_some() =>
                    {
                        events.push((
                            "upstream.failed",
                            format!(
                                "{}: {}",
                                o.target,
                                o.error.as_deref().unwrap_or("not connected")
                            ),
                        ))
                    }
                    _ => {}
                }
            }
            let silent = st.silent_since.is_some();
            if silent != seen.silent {
                seen.silent = silent;
                events.push(if silent {
                    ("station.silent", "the output is silent".to_string())
                } else {
                    ("station.sound", "sound again".to_string())
                });
            }
            if st.restarts > seen.restarts {
                seen.restarts = st.restarts;
                events.push((
                    "station.restarted",
                    format!(
                        "the station's thread failed and was restarted ({} so far)",
                        st.restarts
                    ),
                ));
            }
            for (kind, message) in events {
                self.events.push(Event {
                    at: now_ms(),
                    station: Some(name.clone()),
                    kind: kind.into(),
                    message,
                });
            }
        }
    }

    /// Files the indexer could not use since the last look.
    fn indexer_failures(&mut self) {
        let since = self.indexed_after;
        match self.store.failures_since(since) {
            Ok(list) => {
                for (station, path, reason, indexed) in list {
                    self.indexed_after = self.indexed_after.max(indexed + 1);
                    self.events.push(Event {
                        at: indexed * 1000,
                        station: Some(station),
                        kind: "indexer.failed".into(),
                        message: format!("{path}: {reason}"),
                    });
                }
            }
            Err(e) => tracing::warn!("statistics: cannot read indexer failures: {e}"),
        }
    }
}

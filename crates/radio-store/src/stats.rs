//! Listener statistics and the station event log.
//!
//! A row per listener session (written when they leave), the listeners of every mount
//! once a minute (the most seen during that minute), and events worth showing an owner
//! (a DJ refused and why, a source connected, an upstream failing, a file the indexer
//! could not read). Times are milliseconds since the epoch for sessions and events,
//! minutes since the epoch for the per-minute counts.

use crate::error::{Result, SqlContext};
use crate::store::Store;
use rusqlite::params;
use serde::Serialize;

/// One listener's visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenerSession {
    /// The station of the mount (`None`: a plain mount).
    pub station: Option<String>,
    /// The mount.
    pub mount: String,
    /// When they connected (ms since the epoch).
    pub started: i64,
    /// How long they stayed (ms).
    pub duration_ms: i64,
    /// Bytes sent to them.
    pub bytes: i64,
    /// Their address.
    pub ip: String,
    /// Their `User-Agent`.
    pub user_agent: String,
}

/// The listeners of a mount during one minute (the most at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinuteCount {
    /// The mount.
    pub mount: String,
    /// Its station.
    pub station: Option<String>,
    /// Minutes since the epoch.
    pub minute: i64,
    /// Listeners.
    pub listeners: i64,
}

/// One point of a listener series: the bucket starting at `minute`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// Minutes since the epoch (the bucket's start).
    pub minute: i64,
    /// The most listeners on all the station's mounts together during the bucket.
    pub peak: i64,
    /// The average of the per-minute totals over the minutes recorded in the bucket.
    pub average: f64,
}

/// Sessions in a time range, summed up.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionSummary {
    /// Sessions started in the range.
    pub sessions: i64,
    /// Distinct listeners (address and user agent).
    pub unique: i64,
    /// Hours listened.
    pub hours: f64,
    /// Bytes sent.
    pub bytes: i64,
    /// The average session, in seconds.
    pub average_seconds: f64,
}

/// Figures of the store for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// The database file and its write-ahead log, in bytes.
    pub bytes: u64,
    /// Tracks in every library.
    pub tracks: i64,
    /// Of which failed.
    pub failed: i64,
    /// Listener sessions kept.
    pub sessions: i64,
}

/// An event of the station log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When (ms since the epoch).
    pub at: i64,
    /// The station (`None`: the server).
    pub station: Option<String>,
    /// `dj.refused`, `source.connected`, `upstream.failed`, `indexer.failed`...
    pub kind: String,
    /// What happened, in words.
    pub message: String,
}

impl Store {
    /// Records listener sessions (one transaction).
    pub fn record_sessions(&self, sessions: Vec<ListenerSession>) -> Result<()> {
        if sessions.is_empty() {
            return Ok(());
        }
        let path = self.path().to_path_buf();
        self.write(move |tx| {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO listener_sessions \
                     (station, mount, started, duration_ms, bytes, ip, user_agent) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .db(&path)?;
            for s in &sessions {
                st.execute(params![
                    s.station,
                    s.mount,
                    s.started,
                    s.duration_ms,
                    s.bytes,
                    s.ip,
                    s.user_agent
                ])
                .db(&path)?;
            }
            Ok(())
        })
    }

    /// Records per-minute counts (a count already there for the mount and minute is
    /// replaced by the larger).
    pub fn record_minutes(&self, counts: Vec<MinuteCount>) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let path = self.path().to_path_buf();
        self.write(move |tx| {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO listener_minutes (mount, minute, station, listeners) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (mount, minute) DO UPDATE \
                     SET listeners = max(listeners, excluded.listeners)",
                )
                .db(&path)?;
            for c in &counts {
                st.execute(params![c.mount, c.minute, c.station, c.listeners])
                    .db(&path)?;
            }
            Ok(())
        })
    }

    /// A station's listeners from minute `from` to `to` (inclusive), in buckets of `step`
    /// minutes: the peak and average of the per-minute totals of its mounts.
    pub fn listener_series(
        &self,
        station: &str,
        from: i64,
        to: i64,
        step: i64,
    ) -> Result<Vec<SeriesPoint>> {
        let path = self.path().to_path_buf();
        let step = step.max(1);
        self.read(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT (minute / ?4) * ?4 AS b, MAX(total), AVG(total) FROM \
                     (SELECT minute, SUM(listeners) AS total FROM listener_minutes \
                      WHERE station = ?1 AND minute BETWEEN ?2 AND ?3 GROUP BY minute) \
                     GROUP BY b ORDER BY b",
                )
                .db(&path)?;
            let rows = st
                .query_map(params![station, from, to, step], |r| {
                    Ok(SeriesPoint {
                        minute: r.get(0)?,
                        peak: r.get(1)?,
                        average: r.get(2)?,
                    })
                })
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// The per-minute counts of one mount from `from` to `to` (inclusive).
    pub fn mount_minutes(&self, mount: &str, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT minute, listeners FROM listener_minutes \
                     WHERE mount = ?1 AND minute BETWEEN ?2 AND ?3 ORDER BY minute",
                )
                .db(&path)?;
            let rows = st
                .query_map(params![mount, from, to], |r| Ok((r.get(0)?, r.get(1)?)))
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// Sessions of a station started from `from` to `to` (ms), summed up.
    pub fn session_summary(&self, station: &str, from: i64, to: i64) -> Result<SessionSummary> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            c.query_row(
                "SELECT COUNT(*), COUNT(DISTINCT ip || char(0) || user_agent), \
                 COALESCE(SUM(duration_ms), 0), COALESCE(SUM(bytes), 0) \
                 FROM listener_sessions WHERE station = ?1 AND started BETWEEN ?2 AND ?3",
                params![station, from, to],
                |r| {
                    let sessions: i64 = r.get(0)?;
                    let ms: i64 = r.get(2)?;
                    Ok(SessionSummary {
                        sessions,
                        unique: r.get(1)?,
                        hours: ms as f64 / 3_600_000.0,
                        bytes: r.get(3)?,
                        average_seconds: if sessions > 0 {
                            ms as f64 / 1000.0 / sessions as f64
                        } else {
                            0.0
                        },
                    })
                },
            )
            .db(&path)
        })
    }

    /// The sessions of a station started from `from` to `to` (ms), newest first, at most
    /// `limit`.
    pub fn listener_sessions(
        &self,
        station: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<ListenerSession>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT station, mount, started, duration_ms, bytes, ip, user_agent \
                     FROM listener_sessions WHERE station = ?1 AND started BETWEEN ?2 AND ?3 \
                     ORDER BY started DESC, id DESC LIMIT ?4",
                )
                .db(&path)?;
            let rows = st
                .query_map(params![station, from, to, limit as i64], |r| {
                    Ok(ListenerSession {
                        station: r.get(0)?,
                        mount: r.get(1)?,
                        started: r.get(2)?,
                        duration_ms: r.get(3)?,
                        bytes: r.get(4)?,
                        ip: r.get(5)?,
                        user_agent: r.get(6)?,
                    })
                })
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// Deletes sessions and events older than `before_ms` and minute counts older than
    /// its minute: the numbers of rows deleted.
    pub fn prune_stats(&self, before_ms: i64) -> Result<(usize, usize, usize)> {
        let path = self.path().to_path_buf();
        self.write(move |tx| {
            let s = tx
                .execute(
                    "DELETE FROM listener_sessions WHERE started < ?1",
                    [before_ms],
                )
                .db(&path)?;
            let m = tx
                .execute(
                    "DELETE FROM listener_minutes WHERE minute < ?1",
                    [before_ms / 60_000],
                )
                .db(&path)?;
            let e = tx
                .execute("DELETE FROM events WHERE at < ?1", [before_ms])
                .db(&path)?;
            Ok((s, m, e))
        })
    }

    /// Adds events to the log.
    pub fn record_events(&self, events: Vec<Event>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let path = self.path().to_path_buf();
        self.write(move |tx| {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO events (at, station, kind, message) VALUES (?1, ?2, ?3, ?4)",
                )
                .db(&path)?;
            for e in &events {
                st.execute(params![e.at, e.station, e.kind, e.message])
                    .db(&path)?;
            }
            Ok(())
        })
    }

    /// The newest `limit` events of a station, newest first.
    pub fn events(&self, station: &str, limit: usize) -> Result<Vec<Event>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT at, station, kind, message FROM events WHERE station = ?1 \
                     ORDER BY at DESC, id DESC LIMIT ?2",
                )
                .db(&path)?;
            let rows = st
                .query_map(params![station, limit as i64], |r| {
                    Ok(Event {
                        at: r.get(0)?,
                        station: r.get(1)?,
                        kind: r.get(2)?,
                        message: r.get(3)?,
                    })
                })
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// Tracks that failed indexing at or after `since` (seconds): station, path, reason,
    /// when.
    pub fn failures_since(&self, since: i64) -> Result<Vec<(String, String, String, i64)>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT s.name, t.path, COALESCE(t.reason, ''), t.indexed FROM tracks t \
                     JOIN stations s ON s.id = t.station_id \
                     WHERE t.status = 'failed' AND t.indexed >= ?1 ORDER BY t.indexed",
                )
                .db(&path)?;
            let rows = st
                .query_map([since], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// Sizes and counts for `/metrics`.
    pub fn figures(&self) -> Result<Figures> {
        let path = self.path().to_path_buf();
        let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        let bytes = size(&path) + size(std::path::Path::new(&wal));
        self.read(|c| {
            let (tracks, failed): (i64, i64) = c
                .query_row(
                    "SELECT COUNT(*), COALESCE(SUM(status = 'failed'), 0) FROM tracks",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .db(&path)?;
            // The largest id: a count without a scan of the whole table.
            let sessions: i64 = c
                .query_row(
                    "SELECT COALESCE(MAX(id), 0) - COALESCE(MIN(id), 1) + 1 FROM listener_sessions",
                    [],
                    |r| r.get(0),
                )
                .db(&path)?;
            Ok(Figures {
                bytes,
                tracks,
                failed,
                sessions: sessions.max(0),
            })
        })
    }
}

//! Listener statistics and the station event log.
//!
//! A row per listener session (written when they leave), the listeners of every mount
//! once a minute (the most seen during that minute), and events worth showing an owner
//! (a DJ refused and why, a source connected, an upstream failing, a file the indexer
//! could not read). Times are milliseconds since the epoch for sessions and events,
//! minutes since the epoch for the per-minute counts.

use crate::error::{Result, SqlContext};
use crate::store::Store;
use rusqlite::{OptionalExtension, params};
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

/// The listeners of a station (all its mounts together) during one minute: the most at
/// once. Written every minute, zero included, so averages are right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationMinute {
    /// The station.
    pub station: String,
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

/// Sessions summed up while a summary is made.
#[derive(Debug, Default)]
struct Tally {
    sessions: i64,
    ms: i64,
    bytes: i64,
    listeners: std::collections::HashSet<i64>,
}

impl Tally {
    /// Adds the sessions of `station` started from `from` to `to` (ms), read from the
    /// covering index.
    fn add_range(&mut self, store: &Store, station: &str, from: i64, to: i64) -> Result<()> {
        if from > to {
            return Ok(());
        }
        let path = store.path().to_path_buf();
        store.read(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT listener, duration_ms, bytes FROM listener_sessions \
                     WHERE station = ?1 AND started BETWEEN ?2 AND ?3",
                )
                .db(&path)?;
            let mut rows = st.query(params![station, from, to]).db(&path)?;
            while let Some(r) = rows.next().db(&path)? {
                self.sessions += 1;
                self.listeners.insert(r.get(0).db(&path)?);
                self.ms += r.get::<_, i64>(1).db(&path)?;
                self.bytes += r.get::<_, i64>(2).db(&path)?;
            }
            Ok(())
        })
    }

    fn merge(&mut self, other: Tally) {
        self.sessions += other.sessions;
        self.ms += other.ms;
        self.bytes += other.bytes;
        self.listeners.extend(other.listeners);
    }

    fn summary(&self) -> SessionSummary {
        SessionSummary {
            sessions: self.sessions,
            unique: self.listeners.len() as i64,
            hours: self.ms as f64 / 3_600_000.0,
            bytes: self.bytes,
            average_seconds: if self.sessions > 0 {
                self.ms as f64 / 1000.0 / self.sessions as f64
            } else {
                0.0
            },
        }
    }
}

/// A listener's identity for counting unique listeners: 63 bits of the BLAKE3 hash of
/// their address and user agent (an integer, so the count reads an index of integers).
fn listener_key(ip: &str, user_agent: &str) -> i64 {
    let mut h = blake3::Hasher::new();
    h.update(ip.as_bytes());
    h.update(&[0]);
    h.update(user_agent.as_bytes());
    let b = h.finalize();
    let mut x = [0u8; 8];
    x.copy_from_slice(&b.as_bytes()[..8]);
    (u64::from_le_bytes(x) >> 1) as i64
}

impl Store {
    /// Runs `sql` once per row (`bind` gives it the row's values), all in one write
    /// transaction; nothing to do for no rows.
    fn insert_each<T: Send + 'static>(
        &self,
        rows: Vec<T>,
        sql: &'static str,
        bind: fn(&mut rusqlite::CachedStatement<'_>, &T) -> rusqlite::Result<usize>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let path = self.path().to_path_buf();
        self.write(move |tx| {
            let mut st = tx.prepare_cached(sql).db(&path)?;
            for row in &rows {
                bind(&mut st, row).db(&path)?;
            }
            Ok(())
        })
    }

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
                     (station, mount, started, duration_ms, bytes, listener, ip, user_agent) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .db(&path)?;
            for s in &sessions {
                st.execute(params![
                    s.station,
                    s.mount,
                    s.started,
                    s.duration_ms,
                    s.bytes,
                    listener_key(&s.ip, &s.user_agent),
                    s.ip,
                    s.user_agent
                ])
                .db(&path)?;
            }
            // A session of a day already summed up: that day is summed again when asked.
            let mut stale = std::collections::BTreeSet::new();
            for s in &sessions {
                if let Some(station) = &s.station {
                    stale.insert((station.clone(), s.started.div_euclid(86_400_000)));
                }
            }
            let mut drop = tx
                .prepare_cached("DELETE FROM station_days WHERE station = ?1 AND day = ?2")
                .db(&path)?;
            for (station, day) in stale {
                drop.execute(params![station, day]).db(&path)?;
            }
            Ok(())
        })
    }

    /// Records per-minute counts (a count already there for the mount and minute is
    /// replaced by the larger).
    pub fn record_minutes(&self, counts: Vec<MinuteCount>) -> Result<()> {
        self.insert_each(
            counts,
            "INSERT INTO listener_minutes (mount, minute, station, listeners) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (mount, minute) DO UPDATE \
             SET listeners = max(listeners, excluded.listeners)",
            |st, c| st.execute(params![c.mount, c.minute, c.station, c.listeners]),
        )
    }

    /// Records per-minute station totals (the larger of a count already there and the new
    /// one is kept).
    pub fn record_station_minutes(&self, counts: Vec<StationMinute>) -> Result<()> {
        self.insert_each(
            counts,
            "INSERT INTO station_minutes (station, minute, listeners) VALUES (?1, ?2, ?3) \
             ON CONFLICT (station, minute) DO UPDATE \
             SET listeners = max(listeners, excluded.listeners)",
            |st, c| st.execute(params![c.station, c.minute, c.listeners]),
        )
    }

    /// A station's listeners from minute `from` to `to` (inclusive), in buckets of `step`
    /// minutes: the peak and average of its per-minute totals (one row per minute, read
    /// in key order: a month is 43,200 rows however many mounts the station has).
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
                    "SELECT (minute / ?4) * ?4 AS b, MAX(listeners), AVG(listeners) \
                     FROM station_minutes WHERE station = ?1 AND minute BETWEEN ?2 AND ?3 \
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

    /// Sessions of a station started from `from` to `to` (ms), summed up. Whole past days
    /// come from their roll-ups (made on first use and kept; a session recorded late for
    /// a day drops its roll-up), the rest from the sessions' index: a month of a million
    /// sessions reads 30 roll-ups and at most two partial days.
    pub fn session_summary(&self, station: &str, from: i64, to: i64) -> Result<SessionSummary> {
        const DAY: i64 = 86_400_000;
        let today = chrono::Utc::now().timestamp_millis().div_euclid(DAY);
        let first_full = (from + DAY - 1).div_euclid(DAY);
        let end_full = ((to + 1).div_euclid(DAY)).min(today); // days before this are whole
        let mut total = Tally::default();
        if first_full >= end_full {
            total.add_range(self, station, from, to)?;
        } else {
            total.add_range(self, station, from, first_full * DAY - 1)?;
            for day in first_full..end_full {
                total.merge(self.day_tally(station, day)?);
            }
            total.add_range(self, station, end_full * DAY, to)?;
        }
        Ok(total.summary())
    }

    /// One finished day of a station: its roll-up, made (and kept) if missing.
    fn day_tally(&self, station: &str, day: i64) -> Result<Tally> {
        let path = self.path().to_path_buf();
        let found = self.read(|c| {
            c.query_row(
                "SELECT sessions, ms, bytes, listeners FROM station_days \
                 WHERE station = ?1 AND day = ?2",
                params![station, day],
                |r| {
                    let blob: Vec<u8> = r.get(3)?;
                    Ok(Tally {
                        sessions: r.get(0)?,
                        ms: r.get(1)?,
                        bytes: r.get(2)?,
                        listeners: blob
                            .chunks_exact(8)
                            .map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                            .collect(),
                    })
                },
            )
            .optional()
            .db(&path)
        })?;
        if let Some(t) = found {
            return Ok(t);
        }
        let mut t = Tally::default();
        t.add_range(self, station, day * 86_400_000, (day + 1) * 86_400_000 - 1)?;
        let mut keys: Vec<i64> = t.listeners.iter().copied().collect();
        keys.sort_unstable();
        let blob: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
        let (st, sessions, ms, bytes) = (station.to_string(), t.sessions, t.ms, t.bytes);
        self.write(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO station_days (station, day, sessions, ms, bytes, listeners) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![st, day, sessions, ms, bytes, blob],
            )
            .db(&path)?;
            Ok(())
        })?;
        Ok(t)
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
                .db(&path)?
                + tx.execute(
                    "DELETE FROM station_minutes WHERE minute < ?1",
                    [before_ms / 60_000],
                )
                .db(&path)?;
            let e = tx
                .execute("DELETE FROM events WHERE at < ?1", [before_ms])
                .db(&path)?;
            tx.execute(
                "DELETE FROM station_days WHERE day < ?1",
                [before_ms.div_euclid(86_400_000)],
            )
            .db(&path)?;
            Ok((s, m, e))
        })
    }

    /// Adds events to the log.
    pub fn record_events(&self, events: Vec<Event>) -> Result<()> {
        self.insert_each(
            events,
            "INSERT INTO events (at, station, kind, message) VALUES (?1, ?2, ?3, ?4)",
            |st, e| st.execute(params![e.at, e.station, e.kind, e.message]),
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn session(started: i64, ip: &str) -> ListenerSession {
        ListenerSession {
            station: Some("s".into()),
            mount: "/s.mp3".into(),
            started,
            duration_ms: 60_000,
            bytes: 1000,
            ip: ip.into(),
            user_agent: "ua".into(),
        }
    }

    #[test]
    fn summaries_of_past_days_are_kept_and_made_again_when_a_late_session_comes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let day = 86_400_000;
        let d = chrono::Utc::now().timestamp_millis().div_euclid(day) - 3;
        let (from, to) = ((d - 1) * day + 5, (d + 2) * day - 1);
        store
            .record_sessions(vec![
                session(d * day + 1000, "1.1.1.1"),
                session(d * day + 2000, "1.1.1.1"),
                session((d + 1) * day + 10, "2.2.2.2"),
                session((d - 1) * day + 1, "3.3.3.3"), // before `from`
            ])
            .unwrap();
        let s = store.session_summary("s", from, to).unwrap();
        assert_eq!((s.sessions, s.unique), (3, 2));
        let kept: i64 = store
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM station_days", [], |r| r.get(0))
                    .db(store.path())
            })
            .unwrap();
        assert_eq!(kept, 2, "two whole past days summed up and kept");
        // A session of day d reported late: the day is summed again.
        store
            .record_sessions(vec![session(d * day + 3000, "4.4.4.4")])
            .unwrap();
        let s = store.session_summary("s", from, to).unwrap();
        assert_eq!((s.sessions, s.unique, s.bytes), (4, 3, 4000));
        // Partial days at both ends come from the sessions themselves.
        let s = store
            .session_summary("s", d * day + 1500, d * day + 2500)
            .unwrap();
        assert_eq!(s.sessions, 1);
    }
}

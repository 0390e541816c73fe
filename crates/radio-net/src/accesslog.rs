//! access.log: one line per listener and per source, written when it disconnects.
//!
//! The format is Apache's combined log format with the seconds connected appended, as
//! Icecast writes it, so awstats and goaccess read it:
//!
//! `127.0.0.1 - - [21/Nov/2026:20:56:25 +0000] "GET /live.mp3 HTTP/1.1" 200 202089 "-" "VLC/3.0" 9`
//!
//! Lines go through a bounded channel to a writer thread: a task never waits for the
//! disk. If the disk cannot keep up, lines are counted as lost and the count is logged.

use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

/// One access-log line.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Client address.
    pub ip: String,
    /// Authenticated user, or empty.
    pub user: String,
    /// When the connection started.
    pub start: DateTime<Utc>,
    /// `METHOD /path PROTOCOL` (query string omitted, as Icecast does).
    pub request: String,
    /// Status code sent.
    pub status: u16,
    /// Bytes sent (listeners) or received (sources).
    pub bytes: u64,
    /// `Referer`, or empty.
    pub referer: String,
    /// `User-Agent`, or empty.
    pub user_agent: String,
    /// How long the client was connected.
    pub duration: Duration,
}

impl Entry {
    /// The line as written (without the line end).
    pub fn format(&self) -> String {
        let dash = |s: &str| {
            if s.is_empty() {
                "-".to_string()
            } else {
                s.replace('"', "'")
            }
        };
        format!(
            "{} - {} [{}] \"{}\" {} {} \"{}\" \"{}\" {}",
            self.ip,
            dash(&self.user),
            self.start.format("%d/%b/%Y:%H:%M:%S %z"),
            self.request.replace('"', "'"),
            self.status,
            self.bytes,
            dash(&self.referer),
            dash(&self.user_agent),
            self.duration.as_secs()
        )
    }
}

enum Msg {
    Line(String),
    Flush(std::sync::mpsc::SyncSender<()>),
}

/// The access log writer.
#[derive(Debug)]
pub struct AccessLog {
    tx: Mutex<Option<SyncSender<Msg>>>,
    lost: AtomicU64,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

impl AccessLog {
    /// Opens (appends to) the log file and starts its writer thread.
    pub fn open(path: &Path) -> std::io::Result<AccessLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let (tx, rx) = sync_channel(8192);
        std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || writer(file, rx))?;
        Ok(AccessLog {
            tx: Mutex::new(Some(tx)),
            lost: AtomicU64::new(0),
        })
    }

    /// Queues a line.
    pub fn line(&self, entry: Entry) {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(tx) = tx
            && tx.try_send(Msg::Line(entry.format())).is_err()
        {
            let lost = self.lost.fetch_add(1, Ordering::Relaxed) + 1;
            if lost.is_power_of_two() {
                tracing::error!("access.log cannot keep up: {lost} lines lost");
            }
        }
    }

    /// Waits until every queued line is on disk.
    pub async fn flush(&self) {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(tx) = tx {
            let _ = tokio::task::spawn_blocking(move || {
                let (done_tx, done_rx) = sync_channel(1);
                if tx.send(Msg::Flush(done_tx)).is_ok() {
                    let _ = done_rx.recv_timeout(Duration::from_secs(5));
                }
            })
            .await;
        }
    }
}

fn writer(file: std::fs::File, rx: Receiver<Msg>) {
    let mut w = std::io::BufWriter::new(file);
    while let Ok(first) = rx.recv() {
        for msg in std::iter::once(first).chain(rx.try_iter()) {
            match msg {
                Msg::Line(l) => {
                    let _ = w.write_all(l.as_bytes());
                    let _ = w.write_all(b"\n");
                }
                Msg::Flush(done) => {
                    let _ = w.flush();
                    let _ = done.send(());
                }
            }
        }
        let _ = w.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_format_with_duration() {
        let e = Entry {
            ip: "127.0.0.1".into(),
            user: String::new(),
            start: DateTime::parse_from_rfc3339("2026-11-21T20:56:25Z")
                .unwrap()
                .with_timezone(&Utc),
            request: "GET /live.mp3 HTTP/1.1".into(),
            status: 200,
            bytes: 202089,
            referer: String::new(),
            user_agent: "VLC/3.0".into(),
            duration: Duration::from_secs(9),
        };
        assert_eq!(
            e.format(),
            "127.0.0.1 - - [21/Nov/2026:20:56:25 +0000] \"GET /live.mp3 HTTP/1.1\" 200 202089 \"-\" \"VLC/3.0\" 9"
        );
    }
}

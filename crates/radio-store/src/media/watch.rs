//! Keeping a station's library in sync while it runs: a scan at start, a scan shortly
//! after files change (file-system notifications, debounced), and a periodic rescan for
//! file systems that send none (NFS, some FUSE mounts) or when the watch limit is hit.
//!
//! The scans run on the watcher's own thread with [`ScanOptions::background`] (fewer
//! jobs than cores, nicer), so a station's audio thread is never starved.

use super::scan::{Change, FileReport, Progress, ScanOptions, Summary, scan};
use crate::error::{Error, Result};
use crate::stations::Folder;
use crate::store::Store;
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use std::path::Path;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// When a watcher scans.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// Quiet time after the last file event before scanning.
    pub debounce: Duration,
    /// Rescan this often even without events.
    pub rescan_every: Duration,
    /// During a long scan, report what it found so far this often (once something was
    /// added), so that a big first scan plays its first tracks within seconds.
    pub progress_every: Duration,
    /// How each scan runs.
    pub scan: ScanOptions,
}

/// What a watcher reports to its owner.
#[derive(Debug)]
pub enum WatchEvent {
    /// A scan is under way and has changed the library; the counts so far. Refresh the
    /// station's library to play what is already indexed.
    Progress(Summary),
    /// A scan ended (or could not run).
    Scanned(Result<Summary>),
}

/// Passes a scan's progress to the owner every `every`, once the library changed.
struct Periodic<'a> {
    counts: Summary,
    every: Duration,
    last: Instant,
    report: &'a mut dyn FnMut(WatchEvent),
}

impl Progress for Periodic<'_> {
    fn file(&mut self, r: &FileReport) {
        self.counts.add(r.status);
        let changed = !matches!(r.status, Change::Unchanged | Change::Failed);
        if changed && self.last.elapsed() >= self.every {
            self.last = Instant::now();
            (self.report)(WatchEvent::Progress(self.counts.clone()));
        }
    }
}

impl Default for WatchSettings {
    /// 2 s debounce, a rescan every 10 minutes, progress every 5 s, background scans.
    fn default() -> Self {
        WatchSettings {
            debounce: Duration::from_secs(2),
            rescan_every: Duration::from_secs(600),
            progress_every: Duration::from_secs(5),
            scan: ScanOptions::background(),
        }
    }
}

enum Msg {
    Changed,
    Rescan,
    Stop,
}

/// A running watcher; dropping it stops it (after the scan in progress, if any).
pub struct Watcher {
    tx: Sender<Msg>,
    thread: Option<JoinHandle<()>>,
    watching: bool,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("watching", &self.watching)
            .finish()
    }
}

/// Names the indexer itself writes, or that are never audio: changes to them do not
/// start a scan (a library folder may hold the database or the station's logs).
fn ignored(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let noise = matches!(
        ext.as_deref(),
        Some(
            "log"
                | "lock"
                | "db"
                | "db-wal"
                | "db-shm"
                | "wal"
                | "shm"
                | "journal"
                | "tmp"
                | "part"
                | "jpg"
                | "jpeg"
                | "png"
                | "txt"
                | "nfo"
                | "cue"
                | "m3u"
        )
    );
    hidden || noise
}

impl Watcher {
    /// Scans `folders` into `station` now, then whenever they change. `on_event` gets
    /// each scan's result, and its progress during long scans, on the watcher's thread
    /// (refresh the station's library there).
    pub fn start(
        store: Store,
        station: &str,
        folders: Vec<Folder>,
        settings: WatchSettings,
        mut on_event: impl FnMut(WatchEvent) + Send + 'static,
    ) -> Result<Watcher> {
        let (tx, rx) = channel::<Msg>();
        let events = tx.clone();
        let debouncer = new_debouncer(
            settings.debounce,
            None,
            move |result: DebounceEventResult| {
                // Reads (the station playing a file, the scan itself) are not changes:
                // counting them would rescan forever.
                let relevant = match &result {
                    Ok(events) => events.iter().any(|e| {
                        !matches!(e.event.kind, notify::EventKind::Access(_))
                            && e.event.paths.iter().any(|p| !ignored(p))
                    }),
                    Err(_) => true,
                };
                if relevant {
                    let _ = events.send(Msg::Changed);
                }
            },
        );
        // Without notifications (out of inotify instances — 128 per user by default —
        // or a file system without them) the periodic rescan still finds every change.
        let mut debouncer = match debouncer {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::warn!(
                    target: "indexer",
                    "{station}: no change notifications ({e}); rescanning every {} s instead \
                     (raise fs.inotify.max_user_instances for more stations)",
                    settings.rescan_every.as_secs()
                );
                None
            }
        };
        let mut watching = debouncer.is_some();
        for f in &folders {
            let Some(d) = debouncer.as_mut() else { break };
            if let Err(e) = d.watch(&f.path, RecursiveMode::Recursive) {
                watching = false;
                tracing::warn!(
                    target: "indexer",
                    "{}: no change notifications ({e}); rescanning every {} s instead",
                    f.path.display(),
                    settings.rescan_every.as_secs()
                );
            }
        }
        let station = station.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("watch-{station}"))
            .spawn(move || {
                // The debouncer lives (and watches) as long as this thread.
                let _debouncer = debouncer;
                let mut next = Instant::now();
                loop {
                    let wait = next.saturating_duration_since(Instant::now());
                    let msg = if wait.is_zero() {
                        Ok(Msg::Rescan)
                    } else {
                        rx.recv_timeout(wait)
                    };
                    match msg {
                        Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                        Ok(Msg::Changed) | Ok(Msg::Rescan) | Err(RecvTimeoutError::Timeout) => {
                            // Events that arrived during the last scan are covered by
                            // this one.
                            while let Ok(m) = rx.try_recv() {
                                if matches!(m, Msg::Stop) {
                                    return;
                                }
                            }
                            let result = scan(
                                &store,
                                &station,
                                &folders,
                                &settings.scan,
                                &mut Periodic {
                                    counts: Summary::default(),
                                    // The first tracks found are reported at once.
                                    last: Instant::now() - settings.progress_every,
                                    every: settings.progress_every,
                                    report: &mut on_event,
                                },
                            );
                            match &result {
                                Ok(s) if s.changed() => {
                                    tracing::info!(target: "indexer", "{station}: {s}")
                                }
                                Ok(_) => {}
                                Err(e) => tracing::warn!(target: "indexer", "{station}: {e}"),
                            }
                            on_event(WatchEvent::Scanned(result));
                            next = Instant::now() + settings.rescan_every;
                        }
                    }
                }
            })
            .map_err(|e| Error::Invalid(format!("cannot start the watcher thread: {e}")))?;
        Ok(Watcher {
            tx,
            thread: Some(thread),
            watching,
        })
    }

    /// Whether change notifications work for every folder (else only periodic rescans).
    pub fn notifications(&self) -> bool {
        self.watching
    }

    /// Scans now (after the scan in progress, if any).
    pub fn rescan(&self) {
        let _ = self.tx.send(Msg::Rescan);
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

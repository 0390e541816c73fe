//! The incremental scan of a station's folders.
//!
//! 1. Walk the folders; a file whose size and modification time match its row is
//!    unchanged and never opened.
//! 2. A file that is new while a row's file has gone is hashed: the same bytes are the
//!    same track moved or renamed, and keep its id (so its play history and playlist
//!    membership).
//! 3. New and changed files are analysed in parallel (a dedicated, size-limited pool at
//!    low priority) and committed in small transactions as they finish.
//! 4. Rows whose files are gone are removed; unused artwork with them.
//!
//! Every commit is a transaction of its own, so the database is consistent whenever the
//! process dies, and the next scan simply finds less to do.

use super::analyse::{analyse, hash_file};
use super::lock::{StationLock, station_dir};
use super::tags::{self, Artwork};
use crate::error::{Error, Result, SqlContext};
use crate::stations::{Folder, FolderKind, StationId};
use crate::store::Store;
use crate::tracks::{Analysis, TRACK_COLUMNS, Tags, Track};
use encoding_rs::Encoding;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// File extensions the indexer reads (lower case).
pub const EXTENSIONS: &[&str] = &[
    "mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "wav", "wave", "aiff", "aif", "aifc",
];

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files analysed at once (threads of the analysis pool).
    pub jobs: usize,
    /// Scheduling niceness of the analysis threads (Linux: per thread), so that a
    /// station's audio thread never waits for the indexer. `None` leaves it.
    pub nice: Option<i32>,
    /// The 8-bit charset of tags marked Latin-1 that are not UTF-8.
    pub legacy_charset: &'static Encoding,
    /// Wait for another indexer of the station to finish (else fail with `Busy`).
    pub wait: bool,
    /// Append a line per change to the station's `indexer.log`.
    pub log: bool,
}

impl Default for ScanOptions {
    /// All cores, normal priority, windows-1252, waiting, logging.
    fn default() -> Self {
        ScanOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            nice: None,
            legacy_charset: encoding_rs::WINDOWS_1252,
            wait: true,
            log: true,
        }
    }
}

impl ScanOptions {
    /// For a scan beside live stations: one core fewer than the machine has (at least
    /// one) and niceness 10.
    pub fn background() -> ScanOptions {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ScanOptions {
            jobs: cores.saturating_sub(1).max(1),
            nice: Some(10),
            ..ScanOptions::default()
        }
    }
}

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// A new track.
    Added,
    /// A changed file, analysed again.
    Updated,
    /// A known file found under a new path (history and playlists kept).
    Moved,
    /// A file that is gone.
    Removed,
    /// A file that cannot be used (the reason is recorded on its row).
    Failed,
    /// Not opened: size and modification time as before.
    Unchanged,
}

/// One file's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file.
    pub path: String,
    /// What happened.
    pub status: Change,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where a moved file was before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The track's row as stored (for added, updated, moved and failed files).
    #[serde(skip)]
    pub track: Option<Track>,
}

/// Counts of a scan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// New tracks.
    pub added: usize,
    /// Changed files analysed again.
    pub updated: usize,
    /// Files recognised under a new path.
    pub moved: usize,
    /// Tracks whose files are gone.
    pub removed: usize,
    /// Files that cannot be used.
    pub failed: usize,
    /// Files not opened.
    pub unchanged: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl Summary {
    /// Whether the library changed.
    pub fn changed(&self) -> bool {
        self.added + self.updated + self.moved + self.removed + self.failed > 0
    }

    /// Counts one file's outcome.
    pub fn add(&mut self, change: Change) {
        match change {
            Change::Added => self.added += 1,
            Change::Updated => self.updated += 1,
            Change::Moved => self.moved += 1,
            Change::Removed => self.removed += 1,
            Change::Failed => self.failed += 1,
            Change::Unchanged => self.unchanged += 1,
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} added, {} updated, {} moved, {} removed, {} failed, {} unchanged in {:.1} s",
            self.added,
            self.updated,
            self.moved,
            self.removed,
            self.failed,
            self.unchanged,
            self.seconds
        )
    }
}

/// Receives a scan's progress (a progress bar, JSON lines, a log).
pub trait Progress {
    /// Another indexer holds the station; this one waits for it.
    fn waiting(&mut self, _holder: &str) {}
    /// The walk is done: `to_analyse` files will be opened, `unchanged` will not.
    fn begin(&mut self, _to_analyse: usize, _unchanged: usize) {}
    /// A file's outcome (unchanged files too, after `begin`).
    fn file(&mut self, _report: &FileReport) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Default)]
pub struct Quiet;
impl Progress for Quiet {}

/// A file found on disk.
#[derive(Debug, Clone)]
struct Found {
    kind: FolderKind,
    path: String,
    size: u64,
    mtime_ns: i64,
}

/// What the database knew of a file.
#[derive(Debug, Clone)]
struct Known {
    id: i64,
    kind: FolderKind,
    size: u64,
    mtime_ns: i64,
    hash: Option<String>,
}

/// The result of analysing a file.
struct Outcome {
    found: Found,
    hash: Option<String>,
    result: std::result::Result<(Analysis, Tags, Option<Artwork>), String>,
}

/// Scans `folders` into `station` (created if new) and returns the counts.
///
/// Fails only when the scan cannot run: a folder that does not exist or cannot be read,
/// the database, the station's lock. Bad media files are recorded, never errors.
pub fn scan(
    store: &Store,
    station: &str,
    folders: &[Folder],
    options: &ScanOptions,
    progress: &mut dyn Progress,
) -> Result<Summary> {
    let started = Instant::now();
    let _lock = StationLock::acquire(store.path(), station, options.wait, &mut |h| {
        progress.waiting(h)
    })?;
    let station_id = store.ensure_station(station)?;
    let mut log = options
        .log
        .then(|| IndexerLog::open(&station_dir(store.path(), station)))
        .flatten();

    let found = walk(folders)?;
    let known = known_files(store, station_id)?;

    let mut summary = Summary::default();
    let mut unchanged = Vec::new();
    let mut kind_changes = Vec::new();
    let mut to_analyse = Vec::new();
    let mut new_files = Vec::new();
    let on_disk: HashSet<&str> = found.iter().map(|f| f.path.as_str()).collect();
    for f in &found {
        match known.get(&f.path) {
            Some(k) if k.size == f.size && k.mtime_ns == f.mtime_ns => {
                if k.kind != f.kind {
                    kind_changes.push((k.id, f.kind));
                }
                unchanged.push(f.path.clone());
            }
            Some(_) => to_analyse.push(f.clone()),
            None => new_files.push(f.clone()),
        }
    }
    let mut missing: HashMap<String, Known> = known
        .into_iter()
        .filter(|(path, _)| !on_disk.contains(path.as_str()))
        .collect();

    if !kind_changes.is_empty() {
        let path = store.path().to_path_buf();
        store.write(move |tx| {
            for (id, kind) in kind_changes {
                tx.execute(
                    "UPDATE tracks SET kind = ?2 WHERE id = ?1",
                    params![id, kind.as_str()],
                )
                .db(&path)?;
            }
            Ok(())
        })?;
    }

    // Moves: only possible when something went missing.
    let mut hashes: HashMap<String, String> = HashMap::new();
    if !missing.is_empty() && !new_files.is_empty() {
        let pool = analysis_pool(options)?;
        let sizes: HashSet<u64> = missing.values().map(|k| k.size).collect();
        let candidates: Vec<&Found> = new_files
            .iter()
            .filter(|f| sizes.contains(&f.size))
            .collect();
        let hashed: Vec<(String, Option<String>)> = pool.install(|| {
            use rayon::prelude::*;
            candidates
                .par_iter()
                .map(|f| (f.path.clone(), hash_file(Path::new(&f.path)).ok()))
                .collect()
        });
        hashes.extend(hashed.into_iter().filter_map(|(p, h)| Some((p, h?))));
    }
    // Gone rows by (hash, size), so that a renamed folder of thousands of files is
    // matched in one pass, not files × gone rows.
    let mut gone_by_hash: HashMap<(String, u64), Vec<String>> = HashMap::new();
    for (path, k) in &missing {
        if let Some(h) = &k.hash {
            gone_by_hash
                .entry((h.clone(), k.size))
                .or_default()
                .push(path.clone());
        }
    }
    let mut still_new = Vec::new();
    for f in new_files {
        let from = hashes
            .get(&f.path)
            .and_then(|h| gone_by_hash.get_mut(&(h.clone(), f.size)))
            .and_then(|paths| paths.pop());
        match from.and_then(|p| missing.remove(&p).map(|k| (p, k))) {
            Some((from, k)) => {
                // The bytes are the same, so is the analysis; a title that came from the
                // old file name must follow the new one.
                let tags = tags::read(Path::new(&f.path), options.legacy_charset).tags;
                let report = commit_move(store, &k, &f, from, tags)?;
                summary.add(report.status);
                if let Some(log) = &mut log {
                    log.line(&report);
                }
                progress.file(&report);
            }
            None => still_new.push(f),
        }
    }
    to_analyse.extend(still_new);

    progress.begin(to_analyse.len(), unchanged.len());
    for path in unchanged {
        summary.add(Change::Unchanged);
        progress.file(&FileReport {
            path,
            status: Change::Unchanged,
            reason: None,
            from: None,
            track: None,
        });
    }

    analyse_all(
        store,
        station_id,
        to_analyse,
        hashes,
        options,
        &mut summary,
        &mut log,
        progress,
    )?;

    // Gone for good: remove, with their artwork when no other track uses it.
    let gone: Vec<(String, i64)> = missing.into_iter().map(|(p, k)| (p, k.id)).collect();
    for chunk in gone.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|(_, id)| *id).collect();
        let path = store.path().to_path_buf();
        store.write(move |tx| {
            for id in &ids {
                tx.execute("DELETE FROM tracks WHERE id = ?1", [id])
                    .db(&path)?;
            }
            Ok(())
        })?;
        for (p, _) in chunk {
            let report = FileReport {
                path: p.clone(),
                status: Change::Removed,
                reason: None,
                from: None,
                track: None,
            };
            summary.add(Change::Removed);
            if let Some(log) = &mut log {
                log.line(&report);
            }
            progress.file(&report);
        }
    }
    if summary.changed() {
        let path = store.path().to_path_buf();
        store.write(move |tx| {
            tx.execute(
                "DELETE FROM artwork WHERE NOT EXISTS \
                 (SELECT 1 FROM tracks WHERE tracks.artwork_id = artwork.id)",
                [],
            )
            .db(&path)?;
            Ok(())
        })?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    if let Some(log) = &mut log {
        log.summary(&summary);
    }
    Ok(summary)
}

/// Analyses the files in a pool of `options.jobs` threads while this thread commits
/// their results in small batches.
#[allow(clippy::too_many_arguments)]
fn analyse_all(
    store: &Store,
    station: StationId,
    files: Vec<Found>,
    hashes: HashMap<String, String>,
    options: &ScanOptions,
    summary: &mut Summary,
    log: &mut Option<IndexerLog>,
    progress: &mut dyn Progress,
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let pool = analysis_pool(options)?;
    let jobs = options.jobs.max(1);
    // Bounded: at most a few finished files (artwork and all) wait for the writer.
    let (tx, rx) = sync_channel::<Outcome>(jobs * 2);
    let legacy = options.legacy_charset;
    let worker = std::thread::Builder::new()
        .name("index-feed".into())
        .spawn(move || {
            pool.install(|| {
                use rayon::prelude::*;
                files.into_par_iter().for_each_with(tx, |tx, found| {
                    let hash = hashes.get(&found.path).cloned();
                    let _ = tx.send(examine(found, hash, legacy));
                });
            });
        })
        .map_err(|source| Error::Io {
            path: store.path().to_path_buf(),
            source,
        })?;

    let mut batch = Vec::new();
    let mut last_commit = Instant::now();
    let mut result = Ok(());
    loop {
        let next = rx.recv_timeout(Duration::from_millis(200));
        let done = matches!(next, Err(std::sync::mpsc::RecvTimeoutError::Disconnected));
        if let Ok(o) = next {
            batch.push(o);
        }
        let due = batch.len() >= 32 || last_commit.elapsed() >= Duration::from_millis(500);
        if !batch.is_empty() && (due || done) {
            match commit_outcomes(store, station, std::mem::take(&mut batch)) {
                Ok(reports) => {
                    for report in reports {
                        summary.add(report.status);
                        if let Some(log) = log {
                            log.line(&report);
                        }
                        progress.file(&report);
                    }
                }
                Err(e) => {
                    // Stop feeding: dropping the receiver makes the workers' sends fail.
                    result = Err(e);
                    break;
                }
            }
            last_commit = Instant::now();
        }
        if done {
            break;
        }
    }
    drop(rx);
    let _ = worker.join();
    result
}

fn analysis_pool(options: &ScanOptions) -> Result<rayon::ThreadPool> {
    let nice = options.nice;
    rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .thread_name(|i| format!("index-{i}"))
        .start_handler(move |_| {
            if let Some(n) = nice {
                lower_priority(n);
            }
        })
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the analysis threads: {e}")))
}

/// Makes the calling thread nicer. On Linux, niceness is per thread and `who = 0` names
/// the calling thread.
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; no memory is passed.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, nice);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// Reads, hashes, decodes and tags one file (on an analysis thread).
fn examine(found: Found, hash: Option<String>, legacy: &'static Encoding) -> Outcome {
    let path = Path::new(&found.path);
    let hash = hash.or_else(|| hash_file(path).ok());
    // A decoder or tag reader that panics on a hostile file fails that file, not the scan.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyse(path, found.size).map(|analysis| {
            let info = tags::read(path, legacy);
            (analysis, info.tags, info.artwork)
        })
    }))
    .unwrap_or_else(|_| Err("the file crashed the decoder or the tag reader".to_string()));
    Outcome {
        found,
        hash,
        result,
    }
}

fn commit_outcomes(
    store: &Store,
    station: StationId,
    outcomes: Vec<Outcome>,
) -> Result<Vec<FileReport>> {
    let path = store.path().to_path_buf();
    store.write(move |tx| {
        let now = now_secs();
        let mut reports = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            reports.push(commit_outcome(tx, &path, station, o, now)?);
        }
        Ok(reports)
    })
}

fn commit_outcome(
    tx: &Transaction<'_>,
    db: &Path,
    station: StationId,
    o: Outcome,
    now: i64,
) -> Result<FileReport> {
    let f = &o.found;
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM tracks WHERE station_id = ?1 AND path = ?2",
            params![station, f.path],
            |r| r.get(0),
        )
        .optional()
        .db(db)?;
    let (status, reason) = match &o.result {
        Ok(_) => (
            if existing.is_some() {
                Change::Updated
            } else {
                Change::Added
            },
            None,
        ),
        Err(reason) => (Change::Failed, Some(reason.clone())),
    };
    let (analysis, tags, artwork) = match &o.result {
        Ok((a, t, art)) => (Some(a), t.clone(), art.as_ref()),
        Err(_) => (None, tags::read_name_only(Path::new(&f.path)), None),
    };
    let artwork_id = match artwork {
        Some(art) => Some(store_artwork(tx, db, art)?),
        None => None,
    };
    let id = match existing {
        Some(id) => id,
        None => {
            tx.execute(
                "INSERT INTO tracks (station_id, kind, path, size, mtime_ns, status, indexed) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'failed', ?6)",
                params![
                    station,
                    f.kind.as_str(),
                    f.path,
                    f.size as i64,
                    f.mtime_ns,
                    now
                ],
            )
            .db(db)?;
            tx.last_insert_rowid()
        }
    };
    tx.execute(
        "UPDATE tracks SET kind = ?2, size = ?3, mtime_ns = ?4, hash = ?5, duration = ?6, \
         codec = ?7, sample_rate = ?8, channels = ?9, bitrate = ?10, title = ?11, \
         artist = ?12, album = ?13, genre = ?14, year = ?15, track_number = ?16, \
         artwork_id = ?17, loudness = ?18, true_peak = ?19, cue_in = ?20, cue_out = ?21, \
         status = ?22, reason = ?23, indexed = ?24 WHERE id = ?1",
        params![
            id,
            f.kind.as_str(),
            f.size as i64,
            f.mtime_ns,
            o.hash,
            analysis.map(|a| a.duration),
            analysis.map(|a| a.codec.clone()),
            analysis.map(|a| a.sample_rate),
            analysis.map(|a| a.channels),
            analysis.map(|a| a.bitrate),
            tags.title,
            tags.artist,
            tags.album,
            tags.genre,
            tags.year,
            tags.track_number,
            artwork_id,
            analysis.and_then(|a| a.loudness),
            analysis.map(|a| finite(a.true_peak)),
            analysis.map(|a| a.cue_in),
            analysis.map(|a| a.cue_out),
            if reason.is_some() { "failed" } else { "ok" },
            reason,
            now,
        ],
    )
    .db(db)?;
    let sql = format!("SELECT {TRACK_COLUMNS} FROM tracks WHERE id = ?1");
    let track = tx.query_row(&sql, [id], Track::from_row).db(db)?;
    Ok(FileReport {
        path: f.path.clone(),
        status,
        reason,
        from: None,
        track: Some(track),
    })
}

/// SQLite stores −∞ as NULL-ish garbage; a digital-silence peak is stored as −200 dB.
fn finite(x: f32) -> f32 {
    if x.is_finite() { x } else { -200.0 }
}

fn store_artwork(tx: &Transaction<'_>, db: &Path, art: &Artwork) -> Result<i64> {
    tx.execute(
        "INSERT INTO artwork (hash, mime, width, height, data) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (hash) DO NOTHING",
        params![
            art.hash,
            art.mime,
            art.size.map(|s| s.0),
            art.size.map(|s| s.1),
            art.data
        ],
    )
    .db(db)?;
    tx.query_row("SELECT id FROM artwork WHERE hash = ?1", [&art.hash], |r| {
        r.get(0)
    })
    .db(db)
}

fn commit_move(
    store: &Store,
    known: &Known,
    to: &Found,
    from: String,
    tags: Tags,
) -> Result<FileReport> {
    let db = store.path().to_path_buf();
    let (id, to_c) = (known.id, to.clone());
    let track = store.write(move |tx| {
        tx.execute(
            "UPDATE tracks SET path = ?2, kind = ?3, mtime_ns = ?4, indexed = ?5, title = ?6, \
             artist = ?7, album = ?8, genre = ?9, year = ?10, track_number = ?11 WHERE id = ?1",
            params![
                id,
                to_c.path,
                to_c.kind.as_str(),
                to_c.mtime_ns,
                now_secs(),
                tags.title,
                tags.artist,
                tags.album,
                tags.genre,
                tags.year,
                tags.track_number
            ],
        )
        .db(&db)?;
        let sql = format!("SELECT {TRACK_COLUMNS} FROM tracks WHERE id = ?1");
        tx.query_row(&sql, [id], Track::from_row).db(&db)
    })?;
    Ok(FileReport {
        path: to.path.clone(),
        status: Change::Moved,
        reason: None,
        from: Some(from),
        track: Some(track),
    })
}

fn known_files(store: &Store, station: StationId) -> Result<HashMap<String, Known>> {
    let db = store.path().to_path_buf();
    store.read(|c| {
        let mut st = c
            .prepare(
                "SELECT id, kind, path, size, mtime_ns, hash FROM tracks WHERE station_id = ?1",
            )
            .db(&db)?;
        let rows = st
            .query_map([station], |r| {
                let kind: String = r.get(1)?;
                Ok((
                    r.get::<_, String>(2)?,
                    Known {
                        id: r.get(0)?,
                        kind: FolderKind::parse(&kind).unwrap_or(FolderKind::Media),
                        size: r.get::<_, i64>(3)?.max(0) as u64,
                        mtime_ns: r.get(4)?,
                        hash: r.get(5)?,
                    },
                ))
            })
            .db(&db)?;
        rows.collect::<rusqlite::Result<HashMap<_, _>>>().db(&db)
    })
}

/// Lists the audio files under `folders` (following symbolic links, skipping hidden
/// files and folders). A path under two folders counts once, for the first.
fn walk(folders: &[Folder]) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for folder in folders {
        let root = std::fs::canonicalize(&folder.path).map_err(|source| Error::Io {
            path: folder.path.clone(),
            source,
        })?;
        if !root.is_dir() {
            return Err(Error::Io {
                path: folder.path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
            });
        }
        let walker = walkdir::WalkDir::new(&root)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    // An unreadable subfolder or a link loop: the rest of the scan goes on.
                    tracing::warn!(target: "indexer", "{}: {e}", folder.path.display());
                    continue;
                }
            };
            if !entry.file_type().is_file() || !is_audio(entry.path()) {
                continue;
            }
            let Some(path) = entry.path().to_str().map(str::to_string) else {
                tracing::warn!(
                    target: "indexer",
                    "{}: skipped, the file name is not valid UTF-8",
                    entry.path().display()
                );
                continue;
            };
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if seen.insert(path.clone()) {
                out.push(Found {
                    kind: folder.kind,
                    path,
                    size: meta.len(),
                    mtime_ns: mtime_ns(&meta),
                });
            }
        }
    }
    Ok(out)
}

/// Whether the file's extension is one the indexer reads.
pub fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The station's `indexer.log`: a line per change and a summary per scan.
struct IndexerLog {
    file: std::fs::File,
}

impl IndexerLog {
    fn open(dir: &Path) -> Option<IndexerLog> {
        let path: PathBuf = dir.join("indexer.log");
        let opened = std::fs::create_dir_all(dir).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        });
        match opened {
            Ok(file) => Some(IndexerLog { file }),
            Err(e) => {
                tracing::warn!(target: "indexer", "{}: {e}; indexing without a log", path.display());
                None
            }
        }
    }

    fn write(&mut self, text: &str) {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        let _ = writeln!(self.file, "{now} {text}");
    }

    fn line(&mut self, report: &FileReport) {
        let text = match (report.status, &report.reason, &report.from) {
            (Change::Failed, Some(reason), _) => format!("failed {}: {reason}", report.path),
            (Change::Moved, _, Some(from)) => format!("moved {from} -> {}", report.path),
            (status, _, _) => format!("{} {}", change_word(status), report.path),
        };
        self.write(&text);
    }

    fn summary(&mut self, summary: &Summary) {
        self.write(&format!("scan: {summary}"));
    }
}

fn change_word(c: Change) -> &'static str {
    match c {
        Change::Added => "added",
        Change::Updated => "updated",
        Change::Moved => "moved",
        Change::Removed => "removed",
        Change::Failed => "failed",
        Change::Unchanged => "unchanged",
    }
}

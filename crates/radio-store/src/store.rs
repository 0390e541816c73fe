//! The database handle: one writer thread owning the write connection, read connections
//! on demand.
//!
//! Every call here blocks (SQLite is a blocking library). From async code, call it inside
//! `spawn_blocking`, never on a reactor thread. Writes are closures sent over a bounded
//! channel to the writer thread, which runs each in its own `BEGIN IMMEDIATE`
//! transaction, so writes from many threads (and a second process, through SQLite's
//! lock and `busy_timeout`) never interleave inside a transaction.

use crate::error::{Error, Result, SqlContext};
use crate::schema;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Writes queued for the writer before callers wait.
const WRITE_QUEUE: usize = 64;
/// Idle read connections kept.
const READERS_KEPT: usize = 8;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

struct Inner {
    path: PathBuf,
    jobs: Mutex<Option<SyncSender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the writer's loop once the queued jobs are done.
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = handle.join();
        }
    }
}

/// An open database. Cheap to clone; the writer thread stops when the last clone drops.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

fn configure(conn: &Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT).db(path)?;
    // WAL: readers never block the writer; NORMAL: consistent after a crash of the
    // process (the last commits may roll back after a power loss).
    conn.pragma_update(None, "journal_mode", "WAL").db(path)?;
    conn.pragma_update(None, "synchronous", "NORMAL").db(path)?;
    conn.pragma_update(None, "foreign_keys", "ON").db(path)?;
    Ok(())
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the database's folder does not exist",
                ),
            });
        }
        let mut conn = Connection::open(path).db(path)?;
        configure(&conn, path)?;
        schema::migrate(&mut conn, path)?;
        let (tx, rx) = sync_channel::<Job>(WRITE_QUEUE);
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                jobs: Mutex::new(Some(tx)),
                writer: Mutex::new(Some(writer)),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one write transaction on the writer thread and returns its result. The
    /// transaction commits when `f` returns `Ok`, and rolls back on `Err` (or a panic).
    pub fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let path = self.inner.path.clone();
        let (reply, answer) = sync_channel::<Result<T>>(1);
        let job: Job = Box::new(move |conn: &mut Connection| {
            let result = (|| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .db(&path)?;
                let value = f(&tx)?;
                tx.commit().db(&path)?;
                Ok(value)
            })();
            let _ = reply.send(result);
        });
        self.send(job)?;
        answer.recv().map_err(|_| Error::Closed)?
    }

    /// Queues a job for the writer thread (waiting while the queue is full).
    fn send(&self, job: Job) -> Result<()> {
        let sender = self
            .inner
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(Error::Closed)?;
        sender.send(job).map_err(|_| Error::Closed)
    }

    /// Runs `f` on a read connection (a consistent snapshot for the duration of `f` when
    /// it opens a transaction; single statements are consistent on their own).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.reader()?;
        let result = f(&conn);
        let mut idle = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READERS_KEPT {
            idle.push(conn);
        }
        result
    }

    fn reader(&self) -> Result<Connection> {
        if let Some(c) = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
        {
            return Ok(c);
        }
        let path = &self.inner.path;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .db(path)?;
        conn.busy_timeout(BUSY_TIMEOUT).db(path)?;
        conn.pragma_update(None, "foreign_keys", "ON").db(path)?;
        Ok(conn)
    }

    /// SQLite's own consistency check (`PRAGMA integrity_check` and
    /// `foreign_key_check`): the problems found, empty when the database is sound.
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        let path = self.inner.path.clone();
        self.read(|c| {
            let mut problems = Vec::new();
            let mut st = c.prepare("PRAGMA integrity_check").db(&path)?;
            let rows = st.query_map([], |r| r.get::<_, String>(0)).db(&path)?;
            for row in rows {
                let row = row.db(&path)?;
                if row != "ok" {
                    problems.push(row);
                }
            }
            let mut st = c.prepare("PRAGMA foreign_key_check").db(&path)?;
            let rows = st
                .query_map([], |r| {
                    Ok(format!(
                        "foreign key: {} row {} → {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<i64>>(1)?.unwrap_or(-1),
                        r.get::<_, String>(2)?
                    ))
                })
                .db(&path)?;
            for row in rows {
                problems.push(row.db(&path)?);
            }
            Ok(problems)
        })
    }

    /// Copies the WAL into the database file and truncates it (after big scans).
    pub fn checkpoint(&self) -> Result<()> {
        let path = self.inner.path.clone();
        let (reply, answer) = sync_channel::<Result<()>>(1);
        let job: Job = Box::new(move |conn: &mut Connection| {
            let r = conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .db(&path);
            let _ = reply.send(r);
        });
        self.send(job)?;
        answer.recv().map_err(|_| Error::Closed)?
    }
}

fn writer_loop(mut conn: Connection, jobs: Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        // A panicking closure must not take the writer (and every later write) with it;
        // its transaction rolls back when the Transaction is dropped during unwinding.
        let run = std::panic::AssertUnwindSafe(|| job(&mut conn));
        if std::panic::catch_unwind(run).is_err() {
            tracing::error!(target: "store", "a database write panicked; it was rolled back");
        }
    }
}

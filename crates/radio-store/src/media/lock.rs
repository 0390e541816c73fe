//! One indexer per station at a time, across processes: an OS file lock beside the
//! database, which the kernel releases when its holder dies (even by `kill -9`), so a
//! crashed indexer never leaves a stale lock behind.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The folder of a station's own files beside the database (`stations/{name}/` under the
/// database's folder): its `indexer.log`, the indexer's lock, and (for stations made
/// through the API) its uploads.
pub fn station_dir(db: &Path, station: &str) -> PathBuf {
    let base = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    base.join("stations").join(station)
}

/// A held station lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct StationLock {
    _file: File,
}

impl StationLock {
    /// Takes the indexer lock of `station`. When another process or thread holds it:
    /// waits if `wait` (telling `waiting` who holds it, once), else fails with
    /// [`Error::Busy`].
    pub fn acquire(
        db: &Path,
        station: &str,
        wait: bool,
        waiting: &mut dyn FnMut(&str),
    ) -> Result<StationLock> {
        let dir = station_dir(db, station);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join("indexer.lock");
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim().to_string();
                if !wait {
                    return Err(Error::Busy {
                        station: station.to_string(),
                        holder,
                    });
                }
                waiting(&holder);
                file.lock().map_err(io)?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let me = format!(
            "pid {} since {}",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(me.as_bytes()).map_err(io)?;
        Ok(StationLock { _file: file })
    }
}

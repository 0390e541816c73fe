//! Dump files: a byte-identical copy of what a source sends.
//!
//! Writing happens on a dedicated thread so the source's task never waits for the disk.
//! If the disk falls so far behind that the queue fills, the dump is abandoned with an
//! error in the log rather than stalling the stream or writing a copy with holes.

use bytes::Bytes;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

/// Chunks queued for the writer thread (at 128 kbps and ~4 KiB reads, minutes of audio).
const QUEUE: usize = 4096;

/// An open dump file.
#[derive(Debug)]
pub struct DumpFile {
    tx: Option<SyncSender<Bytes>>,
    path: PathBuf,
}

impl DumpFile {
    /// Creates (truncates) `path` and starts its writer thread.
    pub fn create(path: &Path) -> std::io::Result<DumpFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::File::create(path)?;
        let (tx, rx) = sync_channel::<Bytes>(QUEUE);
        let shown = path.display().to_string();
        std::thread::Builder::new()
            .name("dump-file".into())
            .spawn(move || {
                let mut w = std::io::BufWriter::with_capacity(64 * 1024, file);
                while let Ok(first) = rx.recv() {
                    // Write everything queued, then let the OS have it.
                    for b in std::iter::once(first).chain(rx.try_iter()) {
                        if let Err(e) = w.write_all(&b) {
                            tracing::error!(file = %shown, "dump file write failed: {e}");
                            return;
                        }
                    }
                    let _ = w.flush();
                }
                let _ = w.flush();
            })?;
        Ok(DumpFile {
            tx: Some(tx),
            path: path.to_path_buf(),
        })
    }

    /// Queues bytes for the file.
    pub fn write(&mut self, data: &[u8]) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(Bytes::copy_from_slice(data)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                tracing::error!(file = %self.path.display(), "dump file abandoned: the disk is too slow");
                self.tx = None;
            }
            Err(TrySendError::Disconnected(_)) => self.tx = None,
        }
    }
}

//! stat.log: listeners, CPU % and RSS every few seconds, in PenguinCast's format: a
//! header line `#Time #Listeners #CpuUsage #MemUsage`, then rows such as
//! `2026-11-21 20:56:25 12 0.4 10240`, the fields separated by tabs (CPU in % of all
//! cores, memory as RSS in KiB).

use radio_net::procstat::{CpuMeter, rss_kib};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The running stat.log writer; [`StatLog::stop`] ends it after a final row.
pub struct StatLog {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// Truncates `path`, writes the header and starts a row every `every`.
pub fn start(path: &Path, every: Duration, server: radio_net::Server) -> std::io::Result<StatLog> {
    let mut file = std::fs::File::create(path)?;
    writeln!(file, "#Time\t#Listeners\t#CpuUsage\t#MemUsage")?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("stat-log".into())
        .spawn(move || {
            let mut meter = CpuMeter::default();
            meter.sample();
            let tick = Duration::from_millis(100);
            let mut waited = Duration::ZERO;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                waited += tick;
                if waited < every {
                    continue;
                }
                waited = Duration::ZERO;
                let row = format!(
                    "{}\t{}\t{:.1}\t{}\n",
                    chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
                    server.stats().listeners,
                    meter.sample(),
                    rss_kib().unwrap_or(0)
                );
                if file
                    .write_all(row.as_bytes())
                    .and_then(|_| file.flush())
                    .is_err()
                {
                    tracing::error!("stat.log write failed; stat.log stopped");
                    return;
                }
            }
        })?;
    Ok(StatLog { stop, thread })
}

impl StatLog {
    /// Stops the writer and waits for it.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

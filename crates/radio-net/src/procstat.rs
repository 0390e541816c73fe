//! CPU and memory use of this process, from `/proc` (Linux; `None` elsewhere).

use std::time::Instant;

/// Resident set size in KiB.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU seconds (user + system) this process has used.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux architecture we run on.
    Some((utime + stime) / 100.0)
}

/// Measures CPU use between calls, as a percentage of all cores (PenguinCast's figure).
#[derive(Debug)]
pub struct CpuMeter {
    last: Option<(Instant, f64)>,
    cores: f64,
}

impl Default for CpuMeter {
    fn default() -> Self {
        CpuMeter {
            last: None,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()) as f64,
        }
    }
}

impl CpuMeter {
    /// CPU % of all cores since the previous call (0 on the first).
    pub fn sample(&mut self) -> f64 {
        let now = Instant::now();
        let cpu = cpu_seconds().unwrap_or(0.0);
        let pct = match self.last {
            Some((t, c)) => {
                let wall = now.duration_since(t).as_secs_f64();
                if wall > 0.0 {
                    100.0 * (cpu - c) / wall / self.cores
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        self.last = Some((now, cpu));
        pct
    }
}

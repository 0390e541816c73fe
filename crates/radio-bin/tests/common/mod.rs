//! Helpers shared by the binary's test files: processes, ports, folders, WAV files.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::Child;

/// A child process killed and reaped when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    // Two consecutive free ports (main + Shoutcast).
    loop {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p < 65000 && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

/// Whether radiopoint answers on 127.0.0.1:`port` (its status page). A mere connection is
/// not enough: while a server starts, its port may briefly be another test's probe in
/// [`free_port`], or the polling socket itself (a TCP self-connect).
pub fn serves(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    if s.write_all(b"GET /status-json.xsl HTTP/1.0\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out.starts_with(b"HTTP/1.") && out.windows(8).any(|w| w == b"icestats")
}

/// A fresh temporary folder for one test, removed when the returned guard is dropped.
/// Folders left by runs that were killed (or kept with [`Scratch::keep`]) are swept the
/// first time a later run asks for one, so repeated runs never fill the disk.
pub fn temp_dir(name: &str) -> Scratch {
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(|| sweep_dead_runs("radiopoint-bin-"));
    let d = std::env::temp_dir().join(format!("radiopoint-bin-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

/// A temporary folder, removed with everything in it on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    /// The path, without removing the folder at the end of the test (the next run sweeps it).
    pub fn keep(self) -> PathBuf {
        let p = self.0.clone();
        std::mem::forget(self);
        p
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Removes `{prefix}{pid}-…` entries in the temp folder whose process is gone.
pub fn sweep_dead_runs(prefix: &str) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let pid: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if pid.is_empty() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let p = e.path();
        let _ = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
    }
}

/// 16-bit stereo 48 kHz WAV: `seconds` of a sine at `freq`, at −12 dBFS.
pub fn write_wav(path: &Path, seconds: f64, freq: f64) {
    let frames = (seconds * 48_000.0) as usize;
    let samples: Vec<f32> = (0..frames)
        .flat_map(|i| {
            let s = (0.25 * (2.0 * std::f64::consts::PI * freq * i as f64 / 48_000.0).sin()) as f32;
            [s, s]
        })
        .collect();
    std::fs::write(path, radio_core::wav::wav16(48_000, 2, &samples)).unwrap();
}

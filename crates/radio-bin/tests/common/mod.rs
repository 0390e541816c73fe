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

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("radiopoint-bin-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
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

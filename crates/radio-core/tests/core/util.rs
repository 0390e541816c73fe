//! Generated fixtures: WAV files written here, signals measured here.

use std::path::{Path, PathBuf};

/// A temporary directory for one test, removed when the returned guard is dropped.
pub fn temp_dir(name: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!("radio-core-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

/// A temporary directory, removed with everything in it on drop.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A sine of `freq` Hz at `amp` on every channel (channel k phase-shifted by k·0.1 rad).
pub fn sine(rate: u32, channels: usize, seconds: f64, freq: f64, amp: f64) -> Vec<f32> {
    let frames = (seconds * f64::from(rate)).round() as usize;
    let mut v = Vec::with_capacity(frames * channels);
    for i in 0..frames {
        let t = i as f64 / f64::from(rate);
        for k in 0..channels {
            v.push((amp * (2.0 * std::f64::consts::PI * freq * t + k as f64 * 0.1).sin()) as f32);
        }
    }
    v
}

/// Writes 16-bit PCM WAV.
pub fn write_wav(path: &Path, rate: u32, channels: usize, samples: &[f32]) {
    std::fs::write(path, radio_core::wav::wav16(rate, channels, samples)).unwrap();
}

/// Frequency of a channel by counting rising zero crossings (skipping the edges).
pub fn frequency(samples: &[f32], channels: usize, channel: usize, rate: u32) -> f64 {
    let ch: Vec<f32> = samples
        .iter()
        .skip(channel)
        .step_by(channels)
        .copied()
        .collect();
    let edge = ch.len() / 10;
    let body = &ch[edge..ch.len() - edge];
    let crossings = body
        .windows(2)
        .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
        .count();
    crossings as f64 * f64::from(rate) / body.len() as f64
}

/// RMS level of a channel in dBFS (skipping the edges).
pub fn rms_db(samples: &[f32], channels: usize, channel: usize) -> f64 {
    let ch: Vec<f64> = samples
        .iter()
        .skip(channel)
        .step_by(channels)
        .map(|&s| f64::from(s))
        .collect();
    let edge = ch.len() / 10;
    let body = &ch[edge..ch.len() - edge];
    let ms = body.iter().map(|s| s * s).sum::<f64>() / body.len() as f64;
    10.0 * ms.log10()
}

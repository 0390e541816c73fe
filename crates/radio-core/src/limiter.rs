//! A true-peak limiter for the output bus: nothing leaves above the ceiling (−1 dBTP).
//!
//! Peaks are estimated between samples too (4× oversampling with a windowed-sinc
//! interpolator, as a true-peak meter does). The gain each frame needs is found ahead of
//! time (a lookahead delay), taken as the minimum over the lookahead window and smoothed
//! with a moving average over the same window, which ramps the gain down before a peak
//! instead of clipping it; afterwards the gain recovers with an exponential release.
//! Because every averaged value is at most the gain the peak needs, the peak is always
//! caught — the guarantee does not depend on tuning.

use crate::block::{Block, CHANNELS};
use crate::units::{Db, Frames};
use std::collections::VecDeque;
use std::time::Duration;

/// Limiter settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    /// The true-peak ceiling.
    pub ceiling: Db,
    /// How far ahead peaks are seen (the attack time and the added latency).
    pub lookahead: Duration,
    /// How fast the gain recovers after a peak.
    pub release: Duration,
}

impl LimiterSettings {
    /// Broadcast settings: −1 dBTP, 1.5 ms lookahead, 100 ms release.
    pub fn broadcast() -> LimiterSettings {
        LimiterSettings {
            ceiling: Db(-1.0),
            lookahead: Duration::from_micros(1500),
            release: Duration::from_millis(100),
        }
    }
}

impl Default for LimiterSettings {
    fn default() -> Self {
        LimiterSettings::broadcast()
    }
}

/// Half the interpolator's length, in frames: the future frames a peak estimate needs.
const HALF_TAPS: usize = 12;
/// The interpolator's length.
const TAPS: usize = 2 * HALF_TAPS;
/// Oversampling factor of the peak estimate.
const OVERSAMPLE: usize = 4;
/// The interpolator differs slightly from a meter's filter; aim this much lower.
const MARGIN: f32 = 0.95;

/// The true-peak limiter.
#[derive(Debug, Clone)]
pub struct Limiter {
    ceiling: f32,
    lookahead: usize,
    release: f32,
    /// Interpolation filters for the 3 positions between two frames.
    phases: [[f32; TAPS]; OVERSAMPLE - 1],
    /// The largest sum of absolute taps: no interpolated value exceeds the window's
    /// sample peak times this, so quiet windows skip the interpolation.
    tap_gain: f32,
    /// The last `TAPS` input frames per channel, written twice (at `i` and `i + TAPS`)
    /// so that the window is always one contiguous slice.
    history: [[f32; 2 * TAPS]; CHANNELS],
    /// Where the next frame goes in `history`.
    write: usize,
    /// (frame index, |sample|) with decreasing values: the window's sample peak.
    window_peak: VecDeque<(u64, f32)>,
    /// Frames waiting to be output.
    delayed: Vec<[f32; CHANNELS]>,
    /// Next slot of `delayed` (a ring: read the oldest, then write the newest there).
    delayed_at: usize,
    /// (frame index, needed gain) with increasing gains: the sliding minimum.
    window_min: VecDeque<(u64, f32)>,
    /// The last `lookahead` minima, and their sum.
    averaging: Vec<f32>,
    /// Next slot of `averaging` (a ring).
    averaging_at: usize,
    sum: f64,
    gain: f32,
    /// Index of the next frame whose needed gain is computed.
    next_req: u64,
    /// The lowest gain since the last `take_reduction`.
    min_gain: f32,
}

impl Limiter {
    /// A limiter at 48 kHz.
    pub fn new(settings: LimiterSettings) -> Limiter {
        let rate = 48_000.0;
        let lookahead = ((settings.lookahead.as_secs_f64() * rate).round() as usize).max(1);
        let release_frames = (settings.release.as_secs_f64() * rate).max(1.0);
        let mut phases = [[0.0f32; TAPS]; OVERSAMPLE - 1];
        for (p, taps) in phases.iter_mut().enumerate() {
            let frac = (p + 1) as f64 / OVERSAMPLE as f64;
            for (j, t) in taps.iter_mut().enumerate() {
                // Tap j weighs frame (m − HALF_TAPS + 1 + j) for a point at m + frac.
                let x = (j as f64 - (HALF_TAPS as f64 - 1.0)) - frac;
                let sinc = if x.abs() < 1e-9 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                };
                let w = 0.5 + 0.5 * (std::f64::consts::PI * x / (HALF_TAPS as f64 + 0.5)).cos();
                *t = (sinc * w) as f32;
            }
        }
        let tap_gain = phases
            .iter()
            .map(|t| t.iter().map(|x| x.abs()).sum::<f32>())
            .fold(1.0f32, f32::max);
        Limiter {
            ceiling: settings.ceiling.to_linear() * MARGIN,
            lookahead,
            release: (1.0 - (-1.0 / release_frames).exp()) as f32,
            phases,
            tap_gain,
            history: [[0.0; 2 * TAPS]; CHANNELS],
            write: 0,
            window_peak: VecDeque::new(),
            delayed: vec![[0.0; CHANNELS]; HALF_TAPS + lookahead],
            delayed_at: 0,
            window_min: VecDeque::new(),
            averaging: vec![1.0; lookahead],
            averaging_at: 0,
            sum: lookahead as f64,
            gain: 1.0,
            next_req: 0,
            min_gain: 1.0,
        }
    }

    /// The delay the limiter adds.
    pub fn latency(&self) -> Frames {
        Frames((HALF_TAPS + self.lookahead) as u64)
    }

    /// The deepest gain reduction since the last call, in dB (for meters).
    pub fn take_reduction(&mut self) -> Db {
        let g = std::mem::replace(&mut self.min_gain, 1.0);
        Db::from_linear(g)
    }

    /// Limits a block in place (the output is delayed by [`Limiter::latency`]).
    pub fn process(&mut self, block: &mut Block) {
        for frame in block.samples_mut().chunks_exact_mut(CHANNELS) {
            let input = [frame[0], frame[1]];
            let out = self.frame(input);
            frame.copy_from_slice(&out);
        }
    }

    /// Needed gain for the frame `HALF_TAPS` back (the window's centre), from its
    /// sample and the three points after it.
    fn needed_gain(&self, window_peak: f32) -> f32 {
        if window_peak * self.tap_gain <= self.ceiling {
            // Nothing in the window can reach the ceiling, between samples or not.
            return 1.0;
        }
        let start = self.write;
        let mut peak = 0.0f32;
        for ch in 0..CHANNELS {
            let window = &self.history[ch][start..start + TAPS];
            peak = peak.max(window[HALF_TAPS - 1].abs());
            for taps in &self.phases {
                let v = dot(taps, window);
                peak = peak.max(v.abs());
            }
        }
        if peak > self.ceiling {
            self.ceiling / peak
        } else {
            1.0
        }
    }

    #[inline]
    fn frame(&mut self, input: [f32; CHANNELS]) -> [f32; CHANNELS] {
        for (ch, &x) in input.iter().enumerate() {
            self.history[ch][self.write] = x;
            self.history[ch][self.write + TAPS] = x;
        }
        self.write = (self.write + 1) % TAPS;
        let idx = self.next_req;
        self.next_req += 1;
        // Sliding sample peak over the interpolator's window.
        let level = input[0].abs().max(input[1].abs());
        while self.window_peak.back().is_some_and(|&(_, v)| v <= level) {
            self.window_peak.pop_back();
        }
        self.window_peak.push_back((idx, level));
        while self
            .window_peak
            .front()
            .is_some_and(|&(i, _)| i + (TAPS as u64) <= idx)
        {
            self.window_peak.pop_front();
        }
        let need = self.needed_gain(self.window_peak.front().map_or(0.0, |&(_, v)| v));
        // Sliding minimum of the needed gain over the last `lookahead + 1` frames.
        while self.window_min.back().is_some_and(|&(_, g)| g >= need) {
            self.window_min.pop_back();
        }
        self.window_min.push_back((idx, need));
        while self
            .window_min
            .front()
            .is_some_and(|&(i, _)| i + (self.lookahead as u64) < idx)
        {
            self.window_min.pop_front();
        }
        let min = self.window_min.front().map_or(1.0, |&(_, g)| g);
        // Moving average of the minima over `lookahead` frames.
        let oldest = std::mem::replace(&mut self.averaging[self.averaging_at], min);
        self.averaging_at = (self.averaging_at + 1) % self.lookahead;
        self.sum += f64::from(min) - f64::from(oldest);
        let smooth = (self.sum / self.lookahead as f64) as f32;
        // Release towards 1, never above what the peak needs.
        self.gain = smooth.min(self.gain + (1.0 - self.gain) * self.release);
        self.min_gain = self.min_gain.min(self.gain);
        let out = std::mem::replace(&mut self.delayed[self.delayed_at], input);
        self.delayed_at = (self.delayed_at + 1) % self.delayed.len();
        [out[0] * self.gain, out[1] * self.gain]
    }
}

/// A dot product with independent partial sums, so the compiler can vectorise it (a
/// single running `f32` sum must be added in order and cannot be).
#[inline]
fn dot(a: &[f32; TAPS], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    acc.iter().sum()
}

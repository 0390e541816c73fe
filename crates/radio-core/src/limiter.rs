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

/// Taps of the short filter tried first (the middle of the long one).
const SHORT_TAPS: usize = 8;
/// Where the short filter starts within the long one.
const SHORT_FROM: usize = HALF_TAPS - SHORT_TAPS / 2;
/// Output frames computed together in the interpolator (kept in registers).
const LANES: usize = 8;

/// The true-peak limiter.
///
/// Works a block at a time: the peak estimate of every frame is a polyphase FIR over the
/// block (vectorised across frames), then the gain is followed frame by frame.
#[derive(Debug, Clone)]
pub struct Limiter {
    ceiling: f32,
    lookahead: usize,
    release: f32,
    /// Interpolation filters for the 3 positions between two frames.
    phases: [[f32; TAPS]; OVERSAMPLE - 1],
    /// The largest sum of absolute taps: no interpolated value exceeds the window's
    /// sample peak times this, so quiet stretches skip the interpolation.
    tap_gain: f32,
    /// The middle `SHORT_TAPS` of each filter, and the largest sum of the absolute
    /// values of the others.
    short: [[f32; SHORT_TAPS]; OVERSAMPLE - 1],
    tail_gain: f32,
    /// Per channel: the last `TAPS - 1` input frames, then the block being processed.
    history: [Vec<f32>; CHANNELS],
    /// Per frame of the block: its true-peak estimate, then the gain applied to it.
    scratch: Vec<f32>,
    /// The frames waiting to be output (interleaved): `delay` frames from earlier
    /// blocks, then the current block.
    delayed: Vec<f32>,
    /// (frame index, needed gain) with increasing gains, all below 1: the sliding minimum.
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
        let short =
            phases.map(|t| std::array::from_fn::<f32, SHORT_TAPS, _>(|j| t[SHORT_FROM + j]));
        let tail_gain = phases
            .iter()
            .map(|t| {
                t.iter()
                    .enumerate()
                    .filter(|(j, _)| !(SHORT_FROM..SHORT_FROM + SHORT_TAPS).contains(j))
                    .map(|(_, x)| x.abs())
                    .sum::<f32>()
            })
            .fold(0.0f32, f32::max);
        let delay = HALF_TAPS + lookahead;
        Limiter {
            ceiling: settings.ceiling.to_linear() * MARGIN,
            lookahead,
            release: (1.0 - (-1.0 / release_frames).exp()) as f32,
            phases,
            tap_gain,
            short,
            tail_gain,
            history: std::array::from_fn(|_| vec![0.0; TAPS - 1]),
            scratch: Vec::new(),
            delayed: vec![0.0; delay * CHANNELS],
            window_min: VecDeque::with_capacity(lookahead + 2),
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
        let samples = block.samples_mut();
        let n = samples.len() / CHANNELS;
        for (ch, h) in self.history.iter_mut().enumerate() {
            h.truncate(TAPS - 1);
            h.extend(samples.iter().skip(ch).step_by(CHANNELS));
        }
        self.peaks(n);
        self.gains();
        self.delayed.extend_from_slice(samples);
        for (out, (pair, &g)) in samples
            .chunks_exact_mut(CHANNELS)
            .zip(self.delayed.chunks_exact(CHANNELS).zip(self.scratch.iter()))
        {
            out[0] = pair[0] * g;
            out[1] = pair[1] * g;
        }
        self.delayed.drain(..n * CHANNELS);
        for h in &mut self.history {
            h.drain(..n);
        }
    }

    /// Fills `scratch[i]` with the true-peak estimate around new frame `i`'s window
    /// centre (`HALF_TAPS` frames back): that frame's sample and the 3 points after it.
    fn peaks(&mut self, n: usize) {
        self.scratch.clear();
        self.scratch.resize(n, 0.0);
        let quiet = self.ceiling / self.tap_gain;
        let mut start = 0;
        while start < n {
            let len = LANES.min(n - start);
            let peak = &mut self.scratch[start..start + len];
            for h in &self.history {
                let centre = &h[start + HALF_TAPS - 1..start + HALF_TAPS - 1 + len];
                for (p, c) in peak.iter_mut().zip(centre) {
                    *p = larger(*p, c.abs());
                }
                // Every window of this group lies in `window`.
                let window = &h[start..start + len + TAPS - 1];
                let amax = abs_max(window);
                if amax <= quiet {
                    // Nothing here can reach the ceiling, between samples or not.
                    continue;
                }
                if len < LANES {
                    for (i, p) in peak.iter_mut().enumerate() {
                        for taps in &self.phases {
                            let v: f32 = taps.iter().zip(&window[i..]).map(|(t, x)| t * x).sum();
                            *p = p.max(v.abs());
                        }
                    }
                    continue;
                }
                // The middle taps first: the outer ones can add at most `tail_gain × amax`,
                // so if that cannot reach the ceiling the full filter is not needed (the
                // frame needs no gain reduction either way).
                let short = fir_lanes(&self.short, &window[SHORT_FROM..]);
                let slack = self.tail_gain * amax;
                let safe = short
                    .iter()
                    .all(|phase| phase.iter().all(|v| v.abs() + slack <= self.ceiling));
                if safe {
                    continue;
                }
                for phase in fir_lanes(&self.phases, window) {
                    for (p, x) in peak.iter_mut().zip(phase) {
                        *p = larger(*p, x.abs());
                    }
                }
            }
            start += len;
        }
    }

    /// Turns the peak estimates in `scratch` into the gain of each output frame.
    fn gains(&mut self) {
        let look = self.lookahead as u64;
        let inv_look = 1.0 / self.lookahead as f64;
        let idle = self.gain == 1.0
            && self.window_min.is_empty()
            && self.averaging.iter().all(|&a| a == 1.0);
        if idle && self.scratch.iter().all(|&p| p <= self.ceiling) {
            // No reduction pending and none needed: every step below would keep the
            // minimum, the average and the gain at exactly 1.
            let n = self.scratch.len();
            self.scratch.fill(1.0);
            self.next_req += n as u64;
            self.averaging_at = (self.averaging_at + n) % self.lookahead;
            self.sum = self.lookahead as f64;
            return;
        }
        for slot in self.scratch.iter_mut() {
            let peak = *slot;
            let idx = self.next_req;
            self.next_req += 1;
            // Sliding minimum of the needed gain over the last `lookahead + 1` frames
            // (gains of 1 are not stored: an empty window means 1).
            if peak > self.ceiling {
                let need = self.ceiling / peak;
                while self.window_min.back().is_some_and(|&(_, g)| g >= need) {
                    self.window_min.pop_back();
                }
                self.window_min.push_back((idx, need));
            }
            while self
                .window_min
                .front()
                .is_some_and(|&(i, _)| i + look < idx)
            {
                self.window_min.pop_front();
            }
            let min = self.window_min.front().map_or(1.0, |&(_, g)| g);
            // Moving average of the minima over `lookahead` frames.
            let oldest = std::mem::replace(&mut self.averaging[self.averaging_at], min);
            self.averaging_at += 1;
            if self.averaging_at == self.lookahead {
                self.averaging_at = 0;
            }
            self.sum += f64::from(min) - f64::from(oldest);
            let smooth = (self.sum * inv_look) as f32;
            // Release towards 1, never above what the peak needs.
            self.gain = smooth.min(self.gain + (1.0 - self.gain) * self.release);
            self.min_gain = self.min_gain.min(self.gain);
            *slot = self.gain;
        }
    }
}

/// `LANES` consecutive outputs of the three interpolation filters: output `k` of phase
/// `p` is the dot product of `phases[p]` with `window[k .. k + N]`. The accumulators
/// stay in registers, each input load serves all three phases, and the loop over outputs
/// vectorises.
#[inline]
fn fir_lanes<const N: usize>(
    phases: &[[f32; N]; OVERSAMPLE - 1],
    window: &[f32],
) -> [[f32; LANES]; OVERSAMPLE - 1] {
    let window = &window[..LANES + N - 1];
    let mut acc = [[0.0f32; LANES]; OVERSAMPLE - 1];
    for j in 0..N {
        let x: &[f32; LANES] = window[j..j + LANES].try_into().expect("LANES long");
        let (t0, t1, t2) = (phases[0][j], phases[1][j], phases[2][j]);
        for k in 0..LANES {
            acc[0][k] += t0 * x[k];
            acc[1][k] += t1 * x[k];
            acc[2][k] += t2 * x[k];
        }
    }
    acc
}

/// The larger of two numbers (no NaN handling, so it compiles to one `max` instruction and
/// vectorises; the samples here are finite).
#[inline]
fn larger(a: f32, b: f32) -> f32 {
    if b > a { b } else { a }
}

/// The largest absolute value, with independent lanes so that it vectorises.
#[inline]
fn abs_max(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] = larger(acc[k], c[k].abs());
        }
    }
    let rest = chunks
        .remainder()
        .iter()
        .fold(0.0f32, |m, v| larger(m, v.abs()));
    acc.iter().fold(rest, |m, &v| larger(m, v))
}

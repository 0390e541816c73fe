//! Fades and mixing: the pieces crossfades and source transitions are built from.

use crate::block::{Block, CHANNELS};

/// The shape of a fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Curve {
    /// Gain changes linearly (amplitudes sum to 1 across a crossfade).
    Linear,
    /// sin/cos gains (powers sum to 1: uncorrelated material keeps its energy).
    #[default]
    EqualPower,
}

impl Curve {
    /// The fade-in gain at `x` ∈ [0, 1] (fade-out is `gain(1 − x)`).
    pub fn gain(self, x: f32) -> f32 {
        let x = x.clamp(0.0, 1.0);
        match self {
            Curve::Linear => x,
            Curve::EqualPower => (x * std::f32::consts::FRAC_PI_2).sin(),
        }
    }
}

/// Direction of a fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From silence to full level.
    In,
    /// From full level to silence.
    Out,
}

/// A fade over a number of frames, applied block by block (sample-accurate).
#[derive(Debug, Clone)]
pub struct Fader {
    curve: Curve,
    direction: Direction,
    total: u64,
    done: u64,
}

impl Fader {
    /// A fade of `total` frames (0: done at once — a fade-out then silences, a fade-in
    /// passes audio unchanged).
    pub fn new(curve: Curve, direction: Direction, total: u64) -> Fader {
        Fader {
            curve,
            direction,
            total,
            done: 0,
        }
    }

    /// Whether the fade has completed.
    pub fn is_done(&self) -> bool {
        self.done >= self.total
    }

    /// The gain for the next frame, advancing the fade.
    ///
    /// Frame `k` of `n` sits at `x = (k + ½) / n`: a fade-in has gain `curve(x)`, a
    /// fade-out `curve(1 − x)`, so a fade-out and a fade-in of the same length sum to 1
    /// (linear) or to unit power (equal-power) at every frame.
    pub fn next_gain(&mut self) -> f32 {
        let k = self.done;
        self.done += 1;
        if k >= self.total {
            return match self.direction {
                Direction::In => 1.0,
                Direction::Out => 0.0,
            };
        }
        let x = (k as f32 + 0.5) / self.total as f32;
        match self.direction {
            Direction::In => self.curve.gain(x),
            Direction::Out => self.curve.gain(1.0 - x),
        }
    }

    /// Applies the fade to interleaved samples.
    pub fn apply(&mut self, samples: &mut [f32]) {
        for frame in samples.chunks_exact_mut(CHANNELS) {
            let g = self.next_gain();
            for s in frame {
                *s *= g;
            }
        }
    }

    /// Applies the fade to a block.
    pub fn apply_block(&mut self, block: &mut Block) {
        self.apply(block.samples_mut());
    }
}

/// Adds `src` into `dst`.
pub fn mix_into(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

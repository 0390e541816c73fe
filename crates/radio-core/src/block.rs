//! The audio block: what flows between every stage of a station.
//!
//! One canonical format: 48 kHz, stereo, `f32` samples in `[-1, 1]`, interleaved
//! (`L R L R ...`), in blocks of 20 ms = 960 frames (exactly one Opus frame). Stages
//! process whole blocks; nothing is resampled after the input.

use crate::units::{Frames, SampleRate};

/// The internal sample rate.
pub const RATE: SampleRate = SampleRate(48_000);
/// The internal channel count.
pub const CHANNELS: usize = 2;
/// Frames per block (20 ms at 48 kHz).
pub const BLOCK_FRAMES: usize = 960;
/// Samples per block (frames × channels).
pub const BLOCK_SAMPLES: usize = BLOCK_FRAMES * CHANNELS;

/// 20 ms of interleaved stereo audio at 48 kHz.
#[derive(Clone, PartialEq)]
pub struct Block {
    samples: Box<[f32; BLOCK_SAMPLES]>,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block").field("peak", &self.peak()).finish()
    }
}

impl Default for Block {
    fn default() -> Self {
        Block::silence()
    }
}

impl Block {
    /// A silent block.
    pub fn silence() -> Block {
        Block {
            samples: Box::new([0.0; BLOCK_SAMPLES]),
        }
    }

    /// The interleaved samples.
    pub fn samples(&self) -> &[f32] {
        &self.samples[..]
    }

    /// The interleaved samples, writable.
    pub fn samples_mut(&mut self) -> &mut [f32] {
        &mut self.samples[..]
    }

    /// Sets every sample to 0.
    pub fn clear(&mut self) {
        self.samples.fill(0.0);
    }

    /// The block's duration.
    pub fn frames() -> Frames {
        Frames(BLOCK_FRAMES as u64)
    }

    /// The largest absolute sample value.
    pub fn peak(&self) -> f32 {
        self.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
    }
}

//! Silence detection, block by block.
//!
//! A block counts as *sound* when the RMS of any channel reaches the threshold (default
//! −40 dBFS). The detector reports a change once the new state has lasted the required
//! duration, with block accuracy: a live DJ silent for 14.98 s is still on air, at 15 s
//! the change is reported on that very block.

use crate::block::{BLOCK_FRAMES, Block, CHANNELS};
use crate::units::Db;
use std::time::Duration;

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SilenceSettings {
    /// A channel at or above this RMS level is sound.
    pub threshold: Db,
    /// How long silence must last to be reported.
    pub duration: Duration,
}

impl Default for SilenceSettings {
    /// −40 dBFS for 15 s, what Crazy Arms and AzuraCast use for live inputs.
    fn default() -> Self {
        SilenceSettings {
            threshold: Db(-40.0),
            duration: Duration::from_secs(15),
        }
    }
}

/// A change of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceEvent {
    /// Silence has lasted the configured duration (reported on the block that completes it).
    SilenceStarted,
    /// Sound is back (reported on the first block with sound).
    SoundReturned,
}

/// Tracks silence across blocks.
#[derive(Debug, Clone)]
pub struct SilenceDetector {
    threshold_power: f32,
    needed_blocks: u64,
    silent_blocks: u64,
    silent: bool,
}

impl SilenceDetector {
    /// A detector; it starts in the "sound" state.
    pub fn new(settings: SilenceSettings) -> SilenceDetector {
        let block_secs = BLOCK_FRAMES as f64 / 48_000.0;
        SilenceDetector {
            threshold_power: settings.threshold.to_linear().powi(2),
            needed_blocks: (settings.duration.as_secs_f64() / block_secs)
                .ceil()
                .max(1.0) as u64,
            silent_blocks: 0,
            silent: false,
        }
    }

    /// Whether the input is considered silent now.
    pub fn is_silent(&self) -> bool {
        self.silent
    }

    /// Whether a block has sound on any channel.
    pub fn has_sound(&self, block: &Block) -> bool {
        let mut power = [0.0f32; CHANNELS];
        for frame in block.samples().chunks_exact(CHANNELS) {
            for (p, s) in power.iter_mut().zip(frame) {
                *p += s * s;
            }
        }
        power
            .iter()
            .any(|p| p / BLOCK_FRAMES as f32 >= self.threshold_power)
    }

    /// Feeds one block; returns a change of state if this block causes one.
    pub fn feed(&mut self, block: &Block) -> Option<SilenceEvent> {
        if self.has_sound(block) {
            self.silent_blocks = 0;
            if self.silent {
                self.silent = false;
                return Some(SilenceEvent::SoundReturned);
            }
            return None;
        }
        self.silent_blocks += 1;
        if !self.silent && self.silent_blocks >= self.needed_blocks {
            self.silent = true;
            return Some(SilenceEvent::SilenceStarted);
        }
        None
    }
}

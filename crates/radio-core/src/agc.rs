//! A slow automatic gain control for live inputs, which have no loudness measurement.
//!
//! The short-term loudness (3 s, EBU R128) is compared with the target; the gain moves
//! towards the difference slowly (a few dB per second at most), within limits, and holds
//! while the input is silent (a pause must not be pumped up to full level).

use crate::block::{BLOCK_FRAMES, Block};
use crate::units::{Db, Lufs};

/// AGC settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgcSettings {
    /// Loudness to reach.
    pub target: Lufs,
    /// Most gain applied.
    pub max_gain: Db,
    /// Most attenuation applied (a negative number).
    pub min_gain: Db,
    /// Fastest change, dB per second.
    pub speed: f32,
    /// Below this short-term loudness the input counts as a pause: the gain holds.
    pub gate: Lufs,
}

impl Default for AgcSettings {
    fn default() -> Self {
        AgcSettings {
            target: Lufs(-16.0),
            max_gain: Db(12.0),
            min_gain: Db(-12.0),
            speed: 3.0,
            gate: Lufs(-45.0),
        }
    }
}

/// The AGC stage.
pub struct Agc {
    settings: AgcSettings,
    meter: ebur128::EbuR128,
    gain_db: f32,
}

impl std::fmt::Debug for Agc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agc")
            .field("gain_db", &self.gain_db)
            .finish()
    }
}

impl Agc {
    /// An AGC starting at 0 dB.
    pub fn new(settings: AgcSettings) -> Agc {
        Agc {
            settings,
            meter: ebur128::EbuR128::new(2, 48_000, ebur128::Mode::S)
                .expect("stereo at 48 kHz is valid"),
            gain_db: 0.0,
        }
    }

    /// The gain applied now.
    pub fn gain(&self) -> Db {
        Db(self.gain_db)
    }

    /// Measures the block (before gain), moves the gain, applies it (ramped within the
    /// block, so the change never clicks).
    pub fn process(&mut self, block: &mut Block) {
        let _ = self.meter.add_frames_f32(block.samples());
        let step = self.settings.speed * BLOCK_FRAMES as f32 / 48_000.0;
        let from = self.gain_db;
        if let Ok(st) = self.meter.loudness_shortterm()
            && st.is_finite()
            && st as f32 >= self.settings.gate.0
        {
            let wanted = (self.settings.target.0 - st as f32)
                .clamp(self.settings.min_gain.0, self.settings.max_gain.0);
            self.gain_db += (wanted - self.gain_db).clamp(-step, step);
        }
        let (a, b) = (Db(from).to_linear(), Db(self.gain_db).to_linear());
        for (i, frame) in block.samples_mut().chunks_exact_mut(2).enumerate() {
            let g = a + (b - a) * (i as f32 + 1.0) / BLOCK_FRAMES as f32;
            frame[0] *= g;
            frame[1] *= g;
        }
    }
}

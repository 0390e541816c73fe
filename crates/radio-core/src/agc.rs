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

/// The K-weighting filter of ITU-R BS.1770 at 48 kHz (a high shelf, then a high-pass),
/// as two biquads.
#[derive(Debug, Clone, Copy, Default)]
struct KWeight {
    s1: [f64; 4],
    s2: [f64; 4],
}

impl KWeight {
    const SHELF_B: [f64; 3] = [
        1.535_124_859_586_97,
        -2.691_696_189_406_38,
        1.198_392_810_852_85,
    ];
    const SHELF_A: [f64; 2] = [-1.690_659_293_182_41, 0.732_480_774_215_85];
    const HP_B: [f64; 3] = [1.0, -2.0, 1.0];
    const HP_A: [f64; 2] = [-1.990_047_454_833_98, 0.990_072_250_366_21];

    #[inline]
    fn biquad(b: &[f64; 3], a: &[f64; 2], s: &mut [f64; 4], x: f64) -> f64 {
        // Direct form I: s = [x1, x2, y1, y2].
        let y = b[0] * x + b[1] * s[0] + b[2] * s[1] - a[0] * s[2] - a[1] * s[3];
        *s = [x, s[0], y, s[2]];
        y
    }

    #[inline]
    fn next(&mut self, x: f32) -> f64 {
        let y = Self::biquad(&Self::SHELF_B, &Self::SHELF_A, &mut self.s1, f64::from(x));
        Self::biquad(&Self::HP_B, &Self::HP_A, &mut self.s2, y)
    }
}

/// Blocks in the short-term window (3 s).
const WINDOW_BLOCKS: usize = 150;

/// The AGC stage.
///
/// It measures short-term loudness itself (K-weighted mean square per block, summed over
/// the last 3 s), which costs the same per sample whatever the window: a meter that sums
/// its whole window on every reading would cost 150 times more here.
pub struct Agc {
    settings: AgcSettings,
    filters: [KWeight; 2],
    /// Mean square (both channels summed) of the last `WINDOW_BLOCKS` blocks.
    energies: Vec<f64>,
    at: usize,
    filled: usize,
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
            filters: [KWeight::default(); 2],
            energies: vec![0.0; WINDOW_BLOCKS],
            at: 0,
            filled: 0,
            gain_db: 0.0,
        }
    }

    /// The gain applied now.
    pub fn gain(&self) -> Db {
        Db(self.gain_db)
    }

    /// The short-term loudness (3 s; less while the first 3 s fill), in LUFS.
    pub fn shortterm(&self) -> Lufs {
        if self.filled == 0 {
            return Lufs(f32::NEG_INFINITY);
        }
        let mean = self.energies.iter().sum::<f64>() / self.filled as f64;
        Lufs((-0.691 + 10.0 * mean.log10()) as f32)
    }

    /// Measures the block (before gain), moves the gain, applies it (ramped within the
    /// block, so the change never clicks).
    pub fn process(&mut self, block: &mut Block) {
        let mut sum = [0.0f64; 2];
        for frame in block.samples().chunks_exact(2) {
            for ch in 0..2 {
                let y = self.filters[ch].next(frame[ch]);
                sum[ch] += y * y;
            }
        }
        self.energies[self.at] = (sum[0] + sum[1]) / BLOCK_FRAMES as f64;
        self.at = (self.at + 1) % WINDOW_BLOCKS;
        self.filled = (self.filled + 1).min(WINDOW_BLOCKS);
        let step = self.settings.speed * BLOCK_FRAMES as f32 / 48_000.0;
        let from = self.gain_db;
        let st = self.shortterm().0;
        if st.is_finite() && st >= self.settings.gate.0 {
            let wanted = (self.settings.target.0 - st)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortterm_loudness_agrees_with_ebur128() {
        let mut agc = Agc::new(AgcSettings::default());
        let mut meter = ebur128::EbuR128::new(2, 48_000, ebur128::Mode::S).unwrap();
        // 4 s of a 1 kHz sine at −20 dBFS peak on both channels, then of noise.
        let mut x = 1u32;
        for b in 0..400 {
            let mut block = Block::silence();
            for (i, f) in block.samples_mut().chunks_exact_mut(2).enumerate() {
                let n = (b * BLOCK_FRAMES + i) as f32;
                let v = if b < 200 {
                    0.1 * (std::f32::consts::TAU * 1000.0 * n / 48_000.0).sin()
                } else {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x as f32 / u32::MAX as f32 - 0.5) * 0.3
                };
                f[0] = v;
                f[1] = v;
            }
            meter.add_frames_f32(block.samples()).unwrap();
            let mut copy = block.clone();
            agc.process(&mut copy);
            if b == 199 || b == 399 {
                let theirs = meter.loudness_shortterm().unwrap() as f32;
                let ours = agc.shortterm().0;
                assert!(
                    (ours - theirs).abs() < 0.05,
                    "block {b}: ours {ours}, ebur128 {theirs}"
                );
            }
        }
    }
}

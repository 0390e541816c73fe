//! Units: frames versus samples, sample rates, decibels, loudness.
//!
//! A *frame* is one instant across all channels; a *sample* is one channel's value at one
//! instant. Interleaved stereo has two samples per frame. Gains are either [`Db`] or linear
//! factors; loudness is [`Lufs`]. Keeping them apart in types is what stops a gain in dB
//! from being multiplied into a signal.

/// A count of frames (one value per channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Frames(pub u64);

impl Frames {
    /// The duration of this many frames at `rate`, in seconds.
    pub fn seconds(self, rate: SampleRate) -> f64 {
        self.0 as f64 / f64::from(rate.0)
    }

    /// How many frames `seconds` last at `rate` (rounded to the nearest frame).
    pub fn from_seconds(seconds: f64, rate: SampleRate) -> Frames {
        Frames((seconds.max(0.0) * f64::from(rate.0)).round() as u64)
    }
}

/// Frames per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SampleRate(pub u32);

/// A level or gain in decibels (dBFS for levels).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Db(pub f32);

impl Db {
    /// The linear factor for this gain.
    pub fn to_linear(self) -> f32 {
        10f32.powf(self.0 / 20.0)
    }

    /// The gain of a linear factor (−∞ dB for 0).
    pub fn from_linear(factor: f32) -> Db {
        Db(20.0 * factor.log10())
    }
}

/// Loudness in LUFS (EBU R128 / ITU-R BS.1770).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Lufs(pub f32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert!((Db(-6.0).to_linear() - 0.501).abs() < 1e-3);
        assert!((Db::from_linear(0.5).0 + 6.02).abs() < 1e-2);
        assert_eq!(Frames::from_seconds(0.02, SampleRate(48_000)), Frames(960));
        assert_eq!(Frames(96_000).seconds(SampleRate(48_000)), 2.0);
    }
}

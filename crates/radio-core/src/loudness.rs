//! Loudness: EBU R128 / ITU-R BS.1770 measurement of tracks, and the gain that brings a
//! track to the station's target without pushing its true peak over the ceiling.
//!
//! Tracks are measured at their own sample rate (no resampling needed for a
//! measurement), faster than real time; the result is stored by the library and applied
//! as a fixed gain when the track plays.

use crate::decode::FileDecoder;
use crate::error::{Error, Result};
use crate::units::{Db, Lufs};
use std::path::Path;

/// What the station normalises to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessSettings {
    /// Target integrated loudness.
    pub target: Lufs,
    /// True-peak ceiling the gain must respect.
    pub ceiling: Db,
}

impl Default for LoudnessSettings {
    /// −16 LUFS (the common streaming target), −1 dBTP.
    fn default() -> Self {
        LoudnessSettings {
            target: Lufs(-16.0),
            ceiling: Db(-1.0),
        }
    }
}

/// A track's measured loudness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackLoudness {
    /// Integrated loudness (`None` for silence: nothing above the gate).
    pub integrated: Option<Lufs>,
    /// Highest true peak across channels.
    pub true_peak: Db,
}

impl TrackLoudness {
    /// The gain for this track: `target − integrated`, reduced so the true peak stays
    /// under the ceiling. Silence gets 0 dB.
    pub fn gain(&self, settings: &LoudnessSettings) -> Db {
        let Some(Lufs(l)) = self.integrated else {
            return Db(0.0);
        };
        let wanted = settings.target.0 - l;
        let headroom = settings.ceiling.0 - self.true_peak.0;
        Db(wanted.min(headroom))
    }
}

/// Measures interleaved stereo audio at `rate`, as it arrives.
pub struct Meter {
    r128: ebur128::EbuR128,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Meter")
    }
}

fn meter_err(e: ebur128::Error) -> Error {
    Error::Decode {
        what: "loudness meter".into(),
        reason: e.to_string(),
    }
}

impl Meter {
    /// A meter for stereo audio at `rate` Hz.
    pub fn new(rate: u32) -> Result<Meter> {
        let r128 = ebur128::EbuR128::new(2, rate, ebur128::Mode::I | ebur128::Mode::TRUE_PEAK)
            .map_err(meter_err)?;
        Ok(Meter { r128 })
    }

    /// Adds interleaved stereo samples (an odd trailing sample is ignored).
    pub fn add(&mut self, samples: &[f32]) -> Result<()> {
        let even = samples.len() & !1;
        self.r128
            .add_frames_f32(&samples[..even])
            .map_err(meter_err)
    }

    /// The measurement so far.
    pub fn result(&self) -> Result<TrackLoudness> {
        let l = self.r128.loudness_global().map_err(meter_err)?;
        let tp = self
            .r128
            .true_peak(0)
            .map_err(meter_err)?
            .max(self.r128.true_peak(1).map_err(meter_err)?);
        Ok(TrackLoudness {
            integrated: l.is_finite().then_some(Lufs(l as f32)),
            true_peak: Db::from_linear(tp as f32),
        })
    }
}

/// Measures a whole file.
pub fn measure_file(path: &Path) -> Result<TrackLoudness> {
    let mut dec = FileDecoder::open(path)?;
    let mut meter = Meter::new(dec.info().rate.0)?;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if !dec.decode_next(&mut buf)? {
            break;
        }
        meter.add(&buf)?;
    }
    meter.result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_is_capped_by_the_ceiling() {
        let s = LoudnessSettings::default();
        let quiet = TrackLoudness {
            integrated: Some(Lufs(-30.0)),
            true_peak: Db(-20.0),
        };
        assert_eq!(quiet.gain(&s), Db(14.0));
        let peaky = TrackLoudness {
            integrated: Some(Lufs(-30.0)),
            true_peak: Db(-6.0),
        };
        assert_eq!(peaky.gain(&s), Db(5.0), "only up to −1 dBTP");
        let loud = TrackLoudness {
            integrated: Some(Lufs(-8.0)),
            true_peak: Db(0.5),
        };
        assert_eq!(loud.gain(&s), Db(-8.0));
        let silent = TrackLoudness {
            integrated: None,
            true_peak: Db(f32::NEG_INFINITY),
        };
        assert_eq!(silent.gain(&s), Db(0.0));
    }
}

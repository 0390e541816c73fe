//! The failsafe: on air only when nothing else is ready, and always ready itself.
//!
//! Either a file looped without a gap (decoded into memory once, so the loop joins
//! sample-exactly), or, with no file, a soft generated tone: a station never goes silent
//! without saying so.

use crate::clock::Time;
use crate::error::{Error, Result};
use crate::input::Input;
use radio_core::decode::FileDecoder;
use radio_core::resample::Resampler;
use radio_core::{Block, Event, Metadata, Pull};
use std::path::Path;
use std::sync::Arc;

/// The longest failsafe file accepted (it is held in memory: 5 min ≈ 110 MB).
pub const MAX_SECONDS: f64 = 300.0;

/// What the failsafe plays.
#[derive(Debug, Clone)]
enum Sound {
    Loop { samples: Arc<[f32]>, pos: usize },
    Tone { phase: f64 },
}

/// The failsafe input.
#[derive(Debug, Clone)]
pub struct Failsafe {
    sound: Sound,
    metadata: Metadata,
    announce: bool,
}

/// The generated tone: 440 Hz at −30 dBFS.
const TONE_HZ: f64 = 440.0;
const TONE_LEVEL: f32 = 0.0316;

fn media(source: radio_core::Error) -> Error {
    Error::Media {
        what: "failsafe".into(),
        source,
    }
}

impl Failsafe {
    /// A soft tone.
    pub fn tone() -> Failsafe {
        Failsafe {
            sound: Sound::Tone { phase: 0.0 },
            metadata: Metadata {
                title: Some("Technical difficulties".into()),
                ..Default::default()
            },
            announce: true,
        }
    }

    /// A file, looped.
    pub fn file(path: &Path) -> Result<Failsafe> {
        let mut dec = FileDecoder::open(path).map_err(media)?;
        let metadata = dec.info().metadata.clone();
        let rate = dec.info().rate;
        let mut rs = Resampler::new(rate).map_err(media)?;
        let (mut decoded, mut out) = (Vec::new(), Vec::new());
        let max = (MAX_SECONDS * 48_000.0) as usize * 2;
        loop {
            decoded.clear();
            let more = dec.decode_next(&mut decoded).map_err(media)?;
            let step = if more {
                rs.process(&decoded, &mut out)
            } else {
                rs.finish(&mut out)
            };
            step.map_err(media)?;
            if out.len() > max {
                return Err(Error::Config(format!(
                    "failsafe file {} is longer than {MAX_SECONDS} s",
                    path.display()
                )));
            }
            if !more {
                break;
            }
        }
        if out.len() < 2 {
            return Err(Error::Config(format!(
                "failsafe file {} has no audio",
                path.display()
            )));
        }
        Ok(Failsafe {
            sound: Sound::Loop {
                samples: out.into(),
                pos: 0,
            },
            metadata,
            announce: true,
        })
    }
}

impl Input for Failsafe {
    fn name(&self) -> &str {
        "failsafe"
    }

    fn is_ready(&self, _now: Time) -> bool {
        true
    }

    fn pull(&mut self, _now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if std::mem::take(&mut self.announce) {
            events.push(Event::TrackStart(self.metadata.clone()));
        }
        let out = block.samples_mut();
        match &mut self.sound {
            Sound::Loop { samples, pos } => {
                let mut filled = 0;
                while filled < out.len() {
                    let n = (out.len() - filled).min(samples.len() - *pos);
                    out[filled..filled + n].copy_from_slice(&samples[*pos..*pos + n]);
                    filled += n;
                    *pos = (*pos + n) % samples.len();
                }
            }
            Sound::Tone { phase } => {
                let step = TONE_HZ / 48_000.0;
                for frame in out.chunks_exact_mut(2) {
                    let v = (std::f64::consts::TAU * *phase).sin() as f32 * TONE_LEVEL;
                    frame[0] = v;
                    frame[1] = v;
                    *phase = (*phase + step).fract();
                }
            }
        }
        Pull::Audio
    }

    fn on_air(&mut self, _now: Time) {
        self.announce = true;
    }
}

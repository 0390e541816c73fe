//! Silence detection with block accuracy.

use radio_core::silence::{SilenceDetector, SilenceEvent, SilenceSettings};
use radio_core::{Block, Db};
use std::time::Duration;

fn tone_block(level_db: f32) -> Block {
    let amp = Db(level_db).to_linear() * std::f32::consts::SQRT_2; // RMS = level
    let mut b = Block::silence();
    for (i, f) in b.samples_mut().chunks_mut(2).enumerate() {
        f[0] = amp * (i as f32 * 0.1).sin();
    }
    b
}

#[test]
fn fifteen_seconds_switch_on_the_exact_block() {
    let mut d = SilenceDetector::new(SilenceSettings::default());
    let quiet = tone_block(-50.0);
    let loud = tone_block(-30.0);
    assert_eq!(d.feed(&loud), None);
    // 14.98 s of silence (749 blocks): still sound.
    for _ in 0..749 {
        assert_eq!(d.feed(&quiet), None);
    }
    assert!(!d.is_silent());
    // The 750th block completes 15 s.
    assert_eq!(d.feed(&quiet), Some(SilenceEvent::SilenceStarted));
    assert!(d.is_silent());
    assert_eq!(d.feed(&quiet), None);
    assert_eq!(d.feed(&loud), Some(SilenceEvent::SoundReturned));
}

#[test]
fn threshold_applies_to_any_channel() {
    let d = SilenceDetector::new(SilenceSettings {
        threshold: Db(-40.0),
        duration: Duration::from_millis(100),
    });
    assert!(d.has_sound(&tone_block(-39.5)));
    assert!(!d.has_sound(&tone_block(-40.5)));
    assert!(!d.has_sound(&Block::silence()));
    // Sound on the right channel only counts too.
    let mut right = Block::silence();
    for (i, f) in right.samples_mut().chunks_mut(2).enumerate() {
        f[1] = 0.1 * (i as f32 * 0.1).sin();
    }
    assert!(d.has_sound(&right));
}

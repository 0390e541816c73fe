//! Loudness measurement and normalisation on material of known loudness.

use crate::util::*;
use radio_core::loudness::{LoudnessSettings, Meter, measure_file};
use radio_core::{Db, Lufs};

/// A 1 kHz sine on both channels at `A` peak measures 20·log10(A) LUFS (BS.1770 sums the
/// channels; the K-filter is flat at 1 kHz after its −0.691 dB offset).
fn tone_at(lufs: f64, seconds: f64) -> Vec<f32> {
    let amp = 10f64.powf(lufs / 20.0);
    sine(48_000, 2, seconds, 1000.0, amp)
}

#[test]
fn measures_known_loudness_and_normalises_to_target() {
    for level in [-30.0, -23.0, -12.0] {
        let signal = tone_at(level, 5.0);
        let mut m = Meter::new(48_000).unwrap();
        m.add(&signal).unwrap();
        let r = m.result().unwrap();
        let measured = r.integrated.unwrap().0 as f64;
        assert!(
            (measured - level).abs() < 0.1,
            "{level}: measured {measured}"
        );
        // Apply the gain, measure again: within ±0.5 LU of −16.
        let gain = r.gain(&LoudnessSettings::default());
        let g = gain.to_linear();
        let normalised: Vec<f32> = signal.iter().map(|s| s * g).collect();
        let mut m2 = Meter::new(48_000).unwrap();
        m2.add(&normalised).unwrap();
        let after = m2.result().unwrap();
        let peak_capped = after.true_peak.0 >= -1.05;
        if !peak_capped {
            assert!(
                (after.integrated.unwrap().0 + 16.0).abs() < 0.5,
                "{level} → {:?}",
                after
            );
        }
        assert!(
            after.true_peak.0 <= -1.0 + 0.05,
            "ceiling kept: {:?}",
            after.true_peak
        );
    }
}

#[test]
fn files_are_measured_at_their_own_rate() {
    let dir = temp_dir("loud");
    let path = dir.join("t.wav");
    // 44.1 kHz, −20 LUFS.
    let amp = 10f64.powf(-20.0 / 20.0);
    write_wav(&path, 44_100, 2, &sine(44_100, 2, 4.0, 1000.0, amp));
    let r = measure_file(&path).unwrap();
    assert!((r.integrated.unwrap().0 + 20.0).abs() < 0.15, "{:?}", r);
    let peak = Db::from_linear(amp as f32).0;
    assert!(
        (r.true_peak.0 - peak).abs() < 0.2,
        "{:?} vs {peak}",
        r.true_peak
    );
    let s = LoudnessSettings {
        target: Lufs(-14.0),
        ceiling: Db(-1.0),
    };
    assert!((r.gain(&s).0 - 6.0).abs() < 0.15);
    // Silence has no integrated loudness and gets no gain.
    let quiet = dir.join("silence.wav");
    write_wav(&quiet, 48_000, 2, &vec![0.0; 96_000 * 2]);
    let r = measure_file(&quiet).unwrap();
    assert_eq!(r.integrated, None);
    assert_eq!(r.gain(&LoudnessSettings::default()), Db(0.0));
}

#[test]
fn agc_brings_a_quiet_live_input_to_target_slowly_and_holds_in_pauses() {
    use radio_core::agc::{Agc, AgcSettings};
    use radio_core::{BLOCK_FRAMES, Block};
    let mut agc = Agc::new(AgcSettings::default());
    // A live input at −28 LUFS.
    let quiet = tone_at(-28.0, 30.0);
    let mut out = Vec::new();
    let mut gains = Vec::new();
    for c in quiet.chunks(BLOCK_FRAMES * 2) {
        let mut b = Block::silence();
        b.samples_mut()[..c.len()].copy_from_slice(c);
        agc.process(&mut b);
        out.extend_from_slice(b.samples());
        gains.push(agc.gain().0);
    }
    // Slow: never more than 3 dB per second.
    for w in gains.windows(50) {
        assert!(w[49] - w[0] <= 3.0 + 1e-3);
    }
    // After 30 s it sits at the target (+12 dB here).
    assert!((agc.gain().0 - 12.0).abs() < 0.2, "{}", agc.gain().0);
    let mut m = Meter::new(48_000).unwrap();
    m.add(&out[out.len() - 10 * 96_000..]).unwrap();
    assert!((m.result().unwrap().integrated.unwrap().0 + 16.0).abs() < 0.5);
    // A pause holds the gain instead of pumping the silence up.
    let held = agc.gain().0;
    for _ in 0..500 {
        let mut b = Block::silence();
        agc.process(&mut b);
    }
    assert!((agc.gain().0 - held).abs() < 0.01);
}

//! The limiter: no true peak above the ceiling, and quiet material untouched.

use crate::util::*;
use radio_core::limiter::{Limiter, LimiterSettings};
use radio_core::loudness::Meter;
use radio_core::{BLOCK_FRAMES, Block};

fn run(limiter: &mut Limiter, signal: &[f32]) -> Vec<f32> {
    let mut out = Vec::new();
    let padded: Vec<f32> = signal
        .iter()
        .copied()
        .chain(std::iter::repeat_n(
            0.0,
            (limiter.latency().0 as usize + BLOCK_FRAMES) * 2,
        ))
        .collect();
    for c in padded.chunks(BLOCK_FRAMES * 2) {
        let mut b = Block::silence();
        b.samples_mut()[..c.len()].copy_from_slice(c);
        limiter.process(&mut b);
        out.extend_from_slice(b.samples());
    }
    out
}

fn true_peak_db(samples: &[f32]) -> f32 {
    let mut m = Meter::new(48_000).unwrap();
    m.add(samples).unwrap();
    m.result().unwrap().true_peak.0
}

/// A deterministic noise in [-1, 1].
fn noise(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn no_true_peak_above_minus_one_dbtp() {
    let mut cases: Vec<(&str, Vec<f32>)> = Vec::new();
    // +12 dB over full scale: a sine, a high sine (inter-sample peaks), a square, noise.
    cases.push(("loud sine", sine(48_000, 2, 2.0, 440.0, 4.0)));
    cases.push(("near-Nyquist sine", sine(48_000, 2, 2.0, 11_025.0, 1.0)));
    cases.push((
        "square",
        sine(48_000, 2, 2.0, 100.0, 1.0)
            .iter()
            .map(|s| 2.0 * s.signum())
            .collect(),
    ));
    for (seed, gain) in [(7, 3.0), (1, 1.2), (2, 6.0), (3, 2.0)] {
        cases.push((
            "noise",
            noise(96_000 * 2, seed).iter().map(|s| s * gain).collect(),
        ));
    }
    // Bursts: silence, then a sudden full-scale transient.
    let mut bursts = vec![0.0f32; 48_000 * 2];
    for (i, s) in bursts.iter_mut().enumerate() {
        if (i / 2) % 4800 < 40 {
            *s = if i % 4 < 2 { 1.5 } else { -1.5 };
        }
    }
    cases.push(("bursts", bursts));
    for (name, signal) in cases {
        let before = true_peak_db(&signal);
        let mut l = Limiter::new(LimiterSettings::broadcast());
        let out = run(&mut l, &signal);
        let tp = true_peak_db(&out);
        assert!(tp <= -1.0, "{name}: {tp} dBTP after (was {before})");
        assert!(l.take_reduction().0 < 0.0, "{name}: reduced");
    }
}

#[test]
fn quiet_material_passes_unchanged_after_the_delay() {
    let signal = sine(48_000, 2, 1.0, 440.0, 0.5);
    let mut l = Limiter::new(LimiterSettings::broadcast());
    let delay = l.latency().0 as usize;
    assert!(
        (72..=96).contains(&delay),
        "1.5 ms lookahead plus the interpolator: {delay}"
    );
    let out = run(&mut l, &signal);
    assert_eq!(&out[delay * 2..delay * 2 + signal.len()], &signal[..]);
    assert_eq!(l.take_reduction().0, 0.0);
}

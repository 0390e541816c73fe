//! The resampler: exact lengths, and the same output for any input chunking.

use crate::util::*;
use radio_core::SampleRate;
use radio_core::resample::Resampler;

fn run(rate: u32, input: &[f32], piece_frames: usize) -> Vec<f32> {
    let mut r = Resampler::new(SampleRate(rate)).unwrap();
    let mut out = Vec::new();
    for piece in input.chunks(piece_frames * 2) {
        r.process(piece, &mut out).unwrap();
    }
    r.finish(&mut out).unwrap();
    out
}

#[test]
fn any_chunking_gives_the_same_output() {
    let input = sine(44_100, 2, 0.7, 1000.0, 0.8);
    let reference = run(44_100, &input, 4096);
    for piece in [1, 7, 441, 1023, 1024, 1025, 10_000] {
        assert_eq!(
            run(44_100, &input, piece),
            reference,
            "pieces of {piece} frames"
        );
    }
}

#[test]
fn exact_output_length_and_reported_latency() {
    for (rate, frames) in [
        (44_100u32, 44_100usize),
        (22_050, 12_345),
        (96_000, 1),
        (32_000, 0),
    ] {
        let input = vec![0.1f32; frames * 2];
        let out = run(rate, &input, 999);
        let want = (frames as u64 * 48_000 + u64::from(rate) / 2) / u64::from(rate);
        assert_eq!(out.len() as u64 / 2, want, "{frames} frames at {rate}");
    }
    assert!(Resampler::new(SampleRate(44_100)).unwrap().latency().0 > 0);
    assert_eq!(Resampler::new(SampleRate(48_000)).unwrap().latency().0, 0);
    assert!(Resampler::new(SampleRate(0)).is_err());
}

#[test]
fn delay_is_compensated() {
    // An impulse stays (about) where it was in time.
    let mut input = vec![0.0f32; 44_100 * 2];
    input[22_050 * 2] = 1.0;
    let out = run(44_100, &input, 512);
    let peak = out
        .iter()
        .step_by(2)
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .unwrap()
        .0;
    assert!(
        (peak as i64 - 24_000).abs() <= 2,
        "impulse at {peak}, expected 24000"
    );
}

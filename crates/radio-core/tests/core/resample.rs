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

/// A reader that returns the data in pieces of pseudo-random size (1 to 5000 bytes).
struct Dribble {
    data: Vec<u8>,
    pos: usize,
    seed: u32,
}

impl std::io::Read for Dribble {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        let n = (self.seed as usize % 5000 + 1)
            .min(buf.len())
            .min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn any_chunking_gives_the_same_decoded_and_resampled_output() {
    use radio_core::decode::FileDecoder;
    // An MP3 stream (our encoder) and a 44.1 kHz WAV, read in random pieces.
    let dir = temp_dir("chunking");
    let wav = dir.join("t.wav");
    write_wav(&wav, 44_100, 2, &sine(44_100, 2, 1.0, 700.0, 0.5));
    let mut mp3 = Vec::new();
    {
        use radio_core::encode::{Encoder, Mp3Encoder, Mp3Settings};
        let mut enc = Mp3Encoder::new(Mp3Settings::default()).unwrap();
        let mut chunks = Vec::new();
        for c in sine(48_000, 2, 1.0, 700.0, 0.5).chunks(1920) {
            let mut b = radio_core::Block::silence();
            b.samples_mut()[..c.len()].copy_from_slice(c);
            enc.encode(&b, &mut chunks).unwrap();
        }
        enc.finish(&mut chunks).unwrap();
        for c in chunks {
            mp3.extend_from_slice(&c.data);
        }
    }
    for data in [std::fs::read(&wav).unwrap(), mp3] {
        let decode = |seed: u32| {
            let reader = Dribble {
                data: data.clone(),
                pos: 0,
                seed,
            };
            let mut d = FileDecoder::from_reader("dribble", reader).unwrap();
            let mut r = Resampler::new(d.info().rate).unwrap();
            let (mut pcm, mut out) = (Vec::new(), Vec::new());
            while {
                pcm.clear();
                d.decode_next(&mut pcm).unwrap()
            } {
                r.process(&pcm, &mut out).unwrap();
            }
            r.finish(&mut out).unwrap();
            out
        };
        let reference = decode(1);
        assert!(reference.len() > 90_000, "{}", reference.len());
        for seed in 2..40 {
            assert_eq!(decode(seed), reference, "seed {seed}");
        }
    }
}

//! Every stage of the audio pipeline, and the full chain, as real-time factors.
//!
//! `cargo bench --bench audio`. Throughput is reported in elements = frames of audio, so
//! "Melem/s ÷ 0.048" is the real-time factor on one core. Figures in README.md.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use radiopoint::core::crossfade::{CrossfadeSettings, Crossfader, Track};
use radiopoint::core::encode::{Encoder, Mp3Encoder, Mp3Settings, OpusEncoder, OpusSettings};
use radiopoint::core::gain::Gain;
use radiopoint::core::limiter::{Limiter, LimiterSettings};
use radiopoint::core::resample::Resampler;
use radiopoint::core::source::MemorySource;
use radiopoint::core::{BLOCK_FRAMES, Block, Db, FileSource, Metadata, Pull, SampleRate, Source};
use std::hint::black_box;
use std::path::PathBuf;

const SECONDS: usize = 10;

/// Music-like test material, 10 s of stereo at `rate`.
fn material(rate: u32) -> Vec<f32> {
    common::material(rate, SECONDS)
}

fn blocks_48k() -> Vec<Block> {
    material(48_000)
        .chunks(BLOCK_FRAMES * 2)
        .map(|c| {
            let mut b = Block::silence();
            b.samples_mut()[..c.len()].copy_from_slice(c);
            b
        })
        .collect()
}

/// The material as a 44.1 kHz WAV file (our encoder writes 48 kHz MP3 only, so the
/// decode stage reads PCM; symphonia's MP3 decoder was measured at ~1200× separately).
fn wav_44k() -> PathBuf {
    let path = std::env::temp_dir().join(format!("radiopoint-bench-{}.wav", std::process::id()));
    let samples = material(44_100);
    std::fs::write(&path, radio_core::wav::wav16(44_100, 2, &samples)).unwrap();
    path
}

fn frames() -> Throughput {
    Throughput::Elements((SECONDS * 48_000) as u64)
}

fn stages(c: &mut Criterion) {
    let blocks = blocks_48k();
    let input_44k = material(44_100);
    let wav = wav_44k();
    let mut g = c.benchmark_group("stage");
    g.sample_size(10);
    g.throughput(frames());
    g.bench_function("decode_wav_44k_resample_48k", |b| {
        b.iter(|| {
            let mut src = FileSource::open(&wav).unwrap();
            let (mut block, mut ev) = (Block::silence(), Vec::new());
            while src.pull(&mut block, &mut ev) == Pull::Audio {
                black_box(&block);
            }
        })
    });
    g.bench_function("resample_44k_48k", |b| {
        b.iter(|| {
            let mut r = Resampler::new(SampleRate(44_100)).unwrap();
            let mut out = Vec::with_capacity(input_44k.len() * 2);
            for piece in input_44k.chunks(2304) {
                r.process(piece, &mut out).unwrap();
            }
            r.finish(&mut out).unwrap();
            black_box(out.len())
        })
    });
    g.bench_function("limiter", |b| {
        b.iter(|| {
            let mut l = Limiter::new(LimiterSettings::broadcast());
            for blk in &blocks {
                let mut x = blk.clone();
                l.process(&mut x);
                black_box(&x);
            }
        })
    });
    g.bench_function("crossfade_two_tracks", |b| {
        let half: Vec<f32> = material(48_000)[..SECONDS * 48_000].to_vec();
        b.iter(|| {
            let tracks = vec![
                Track::new(Box::new(MemorySource::new(
                    half.clone(),
                    Metadata::default(),
                ))),
                Track::new(Box::new(MemorySource::new(
                    half.clone(),
                    Metadata::default(),
                ))),
            ];
            let mut xf = Crossfader::new(tracks.into_iter(), CrossfadeSettings::default());
            let (mut block, mut ev) = (Block::silence(), Vec::new());
            while xf.pull(&mut block, &mut ev) == Pull::Audio {
                black_box(&block);
            }
        })
    });
    g.bench_function("encode_mp3_128k_q5", |b| {
        b.iter(|| {
            let mut e = Mp3Encoder::new(Mp3Settings::default()).unwrap();
            let mut out = Vec::new();
            for blk in &blocks {
                e.encode(blk, &mut out).unwrap();
            }
            e.finish(&mut out).unwrap();
            black_box(out.len())
        })
    });
    g.bench_function("encode_opus_128k_c10", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            let mut e =
                OpusEncoder::new(OpusSettings::default(), &Metadata::default(), &mut out).unwrap();
            for blk in &blocks {
                e.encode(blk, &mut out).unwrap();
            }
            e.finish(&mut out).unwrap();
            black_box(out.len())
        })
    });
    g.finish();
    let mut g = c.benchmark_group("chain");
    g.sample_size(10);
    // Two files crossfaded: 2 × 10 s − 3 s of output.
    g.throughput(Throughput::Elements(17 * 48_000));
    for with_encoder in [false, true] {
        let name = if with_encoder {
            "decode_resample_gain_limit_crossfade_mp3"
        } else {
            "decode_resample_gain_limit_crossfade"
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let tracks = (0..2).map(|_| {
                    let src = FileSource::open(&wav).unwrap();
                    Track::new(Box::new(Gain::new(src, Db(-3.0))))
                });
                let mut xf = Crossfader::new(
                    tracks.collect::<Vec<_>>().into_iter(),
                    CrossfadeSettings::default(),
                );
                let mut l = Limiter::new(LimiterSettings::broadcast());
                let mut enc =
                    with_encoder.then(|| Mp3Encoder::new(Mp3Settings::default()).unwrap());
                let (mut block, mut ev, mut out) = (Block::silence(), Vec::new(), Vec::new());
                while xf.pull(&mut block, &mut ev) == Pull::Audio {
                    l.process(&mut block);
                    if let Some(e) = &mut enc {
                        e.encode(&block, &mut out).unwrap();
                        out.clear();
                    }
                    black_box(&block);
                }
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_file(wav);
}

criterion_group!(benches, stages);
criterion_main!(benches);

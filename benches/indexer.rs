//! The media indexer: one file's analysis (decode, loudness and true peak, cue points,
//! hash, tags) as a real-time factor, and the rescan of an unchanged library.
//!
//! `cargo bench --bench indexer`. Analysis throughput is in elements = seconds of audio, so
//! "elem/s" is the real-time factor on one core. The side-by-side run with ffmpeg on a
//! generated library of mixed codecs is `benches/indexer/compare.sh`; figures in README.md.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use radiopoint::core::encode::{Encoder, Mp3Encoder, Mp3Settings};
use radiopoint::core::{BLOCK_FRAMES, Block};
use radiopoint::store::media::{analyse, tags};
use radiopoint::store::{Folder, Quiet, ScanOptions, Store};
use std::hint::black_box;
use std::path::Path;

const SECONDS: usize = 30;

/// Music-like material at 48 kHz, with a second of silence each side.
fn material() -> Vec<f32> {
    let mut v = common::material(48_000, SECONDS);
    let edge = 48_000 * 2;
    let n = v.len();
    v[..edge].fill(0.0);
    v[n - edge..].fill(0.0);
    v
}

fn write_mp3(path: &Path, samples: &[f32]) {
    let mut enc = Mp3Encoder::new(Mp3Settings::default()).unwrap();
    let (mut out, mut block) = (Vec::new(), Block::silence());
    for piece in samples.chunks(BLOCK_FRAMES * 2) {
        block.clear();
        block.samples_mut()[..piece.len()].copy_from_slice(piece);
        enc.encode(&block, &mut out).unwrap();
    }
    enc.finish(&mut out).unwrap();
    let bytes: Vec<u8> = out.iter().flat_map(|c| c.data.iter().copied()).collect();
    std::fs::write(path, bytes).unwrap();
}

fn indexer(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let samples = material();
    let wav = dir.path().join("Artist - Title.wav");
    std::fs::write(&wav, radiopoint::core::wav::wav16(48_000, 2, &samples)).unwrap();
    let mp3 = dir.path().join("Artist - Title.mp3");
    write_mp3(&mp3, &samples);

    let mut g = c.benchmark_group("analyse");
    g.throughput(Throughput::Elements(SECONDS as u64));
    g.sample_size(20);
    for (name, path) in [("wav_48k", &wav), ("mp3_128k", &mp3)] {
        let size = std::fs::metadata(path).unwrap().len();
        g.bench_function(name, |b| {
            b.iter(|| black_box(analyse::analyse(path, size).unwrap()))
        });
    }
    g.bench_function("hash_mp3", |b| {
        b.iter(|| black_box(analyse::hash_file(&mp3).unwrap()))
    });
    g.bench_function("tags_mp3", |b| {
        b.iter(|| black_box(tags::read(&mp3, encoding_rs::WINDOWS_1252)))
    });
    g.finish();

    // A library of 2,000 files (hard links of one short WAV), indexed once; then the
    // rescan that finds nothing changed: a walk, a stat per file and one query.
    let lib = dir.path().join("lib");
    let short: Vec<f32> = samples[48_000 * 2..48_000 * 4].to_vec();
    let one = dir.path().join("one.wav");
    std::fs::write(&one, radiopoint::core::wav::wav16(48_000, 2, &short)).unwrap();
    for i in 0..2_000 {
        let sub = lib.join(format!("d{:02}", i % 40));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::hard_link(&one, sub.join(format!("{i:05}.wav"))).unwrap();
    }
    let store = Store::open(&dir.path().join("bench.db")).unwrap();
    let folders = [Folder::media(&lib)];
    let options = ScanOptions::default();
    let first = radiopoint::store::scan(&store, "bench", &folders, &options, &mut Quiet).unwrap();
    assert_eq!(first.added, 2_000);
    let mut g = c.benchmark_group("rescan");
    g.throughput(Throughput::Elements(2_000));
    g.sample_size(20);
    g.bench_function("unchanged_2000_files", |b| {
        b.iter(|| {
            let s =
                radiopoint::store::scan(&store, "bench", &folders, &options, &mut Quiet).unwrap();
            assert_eq!(s.unchanged, 2_000);
        })
    });
    g.finish();
}

criterion_group!(benches, indexer);
criterion_main!(benches);

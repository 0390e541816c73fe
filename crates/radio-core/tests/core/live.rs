//! Live decoding: chunks of any size, junk in the middle, chained Ogg, no stalls.

use crate::util::*;
use bytes::Bytes;
use radio_core::encode::{Encoder, Mp3Encoder, Mp3Settings, OpusEncoder, OpusSettings};
use radio_core::live::LiveInput;
use radio_core::{BLOCK_FRAMES, Block, Metadata, Pull, Source};

fn tone_blocks(seconds: f64, freq: f64) -> Vec<Block> {
    sine(48_000, 2, seconds, freq, 0.5)
        .chunks(BLOCK_FRAMES * 2)
        .map(|c| {
            let mut b = Block::silence();
            b.samples_mut()[..c.len()].copy_from_slice(c);
            b
        })
        .collect()
}

fn encode(enc: &mut dyn Encoder, blocks: &[Block], out: &mut Vec<u8>) {
    let mut chunks = Vec::new();
    for b in blocks {
        enc.encode(b, &mut chunks).unwrap();
    }
    enc.finish(&mut chunks).unwrap();
    for c in chunks {
        out.extend_from_slice(&c.data);
    }
}

/// Pushes `stream` in pieces of varying size, closes, and collects everything decoded.
fn feed_and_drain(stream: &[u8]) -> (Vec<f32>, LiveInput) {
    let mut live = LiveInput::new("test").unwrap();
    let mut block = Block::silence();
    let mut events = Vec::new();
    assert!(!live.is_ready(), "nothing decoded yet");
    // Not ready: pulling gives silence at once rather than waiting.
    assert_eq!(live.pull(&mut block, &mut events), Pull::Audio);
    assert_eq!(block.peak(), 0.0);
    let mut pos = 0;
    let mut size = 1;
    while pos < stream.len() {
        let end = (pos + size).min(stream.len());
        assert!(live.push(Bytes::copy_from_slice(&stream[pos..end])));
        pos = end;
        size = size * 7 % 5000 + 1;
    }
    live.join();
    let mut out = Vec::new();
    while live.pull(&mut block, &mut events) == Pull::Audio {
        out.extend_from_slice(block.samples());
    }
    (out, live)
}

#[test]
fn mp3_with_junk_in_the_middle_resyncs() {
    let mut stream = Vec::new();
    let mut enc = Mp3Encoder::new(Mp3Settings::default()).unwrap();
    encode(&mut enc, &tone_blocks(3.0, 440.0), &mut stream);
    // 3000 random bytes in the middle, and a frame cut in half.
    let mid = stream.len() / 2;
    let mut x = 99u32;
    let junk: Vec<u8> = (0..3000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    stream.splice(mid..mid + 200, junk);
    let (out, _) = feed_and_drain(&stream);
    let secs = out.len() as f64 / 96_000.0;
    assert!((2.6..3.2).contains(&secs), "{secs} s decoded");
    // The tone is intact before the junk and after the decoder resynchronised.
    let n = out.len() / 2;
    for part in [&out[..(n * 4 / 10) * 2], &out[(n * 6 / 10) * 2..]] {
        let f = frequency(part, 2, 0, 48_000);
        assert!((f - 440.0).abs() < 1.0, "{f} Hz");
    }
}

#[test]
fn chained_ogg_opus_is_followed() {
    let mut stream = Vec::new();
    let mut chunks = Vec::new();
    let one = Metadata {
        title: Some("One".into()),
        ..Default::default()
    };
    let mut enc = OpusEncoder::new(OpusSettings::default(), &one, &mut chunks).unwrap();
    for b in &tone_blocks(2.0, 440.0) {
        enc.encode(b, &mut chunks).unwrap();
    }
    let two = Metadata {
        title: Some("Two".into()),
        ..Default::default()
    };
    enc.set_metadata(&two, &mut chunks).unwrap();
    for b in &tone_blocks(2.0, 440.0) {
        enc.encode(b, &mut chunks).unwrap();
    }
    enc.finish(&mut chunks).unwrap();
    for c in chunks {
        stream.extend_from_slice(&c.data);
    }
    let (out, _) = feed_and_drain(&stream);
    let secs = out.len() as f64 / 96_000.0;
    assert!((3.9..4.1).contains(&secs), "both chains decoded: {secs} s");
    let f = frequency(&out, 2, 0, 48_000);
    assert!((f - 440.0).abs() < 2.0, "{f} Hz");
}

#[test]
fn garbage_only_never_panics_or_stalls() {
    let junk: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (out, mut live) = feed_and_drain(&junk);
    // Whatever the decoder made of it, it ended (no stall) and stayed bounded.
    assert!(out.len() <= 500 * 1920, "{} samples", out.len());
    assert_eq!(live.pull(&mut Block::silence(), &mut Vec::new()), Pull::End);
}

#[test]
fn mp3_bitrate_change_mid_stream_is_followed() {
    use radio_core::encode::Mp3Mode;
    let mut stream = Vec::new();
    for kbps in [128, 64, 320] {
        let mut enc = Mp3Encoder::new(Mp3Settings {
            mode: Mp3Mode::Cbr(kbps),
            quality: 5,
        })
        .unwrap();
        encode(&mut enc, &tone_blocks(1.0, 440.0), &mut stream);
    }
    let (out, _) = feed_and_drain(&stream);
    let secs = out.len() as f64 / 96_000.0;
    assert!(
        (2.9..3.2).contains(&secs),
        "all three parts decoded: {secs} s"
    );
}

//! Encoders: a tone encoded and decoded again keeps its frequency, level and length.

use crate::util::*;
use radio_core::encode::{
    Chunk, Encoder, Mp3Encoder, Mp3Mode, Mp3Settings, OpusEncoder, OpusSettings,
};
use radio_core::{BLOCK_FRAMES, Block, Event, FileSource, Metadata, Pull, Source};

/// 2 s of a 440 Hz tone at 48 kHz, −6 dBFS peak, as blocks.
fn tone_blocks(seconds: f64) -> Vec<Block> {
    let s = sine(48_000, 2, seconds, 440.0, 0.5);
    s.chunks(BLOCK_FRAMES * 2)
        .map(|c| {
            let mut b = Block::silence();
            b.samples_mut()[..c.len()].copy_from_slice(c);
            b
        })
        .collect()
}

fn encode_all(enc: &mut dyn Encoder, blocks: &[Block], out: &mut Vec<Chunk>) {
    for b in blocks {
        enc.encode(b, out).unwrap();
    }
    enc.finish(out).unwrap();
}

fn decode_file(path: &std::path::Path) -> (Vec<f32>, Vec<Event>) {
    let mut src = FileSource::open(path).unwrap();
    let (mut block, mut events, mut out) = (Block::silence(), Vec::new(), Vec::new());
    while src.pull(&mut block, &mut events) == Pull::Audio {
        out.extend_from_slice(block.samples());
    }
    (out, events)
}

fn write_chunks(path: &std::path::Path, chunks: &[Chunk]) {
    let bytes: Vec<u8> = chunks.iter().flat_map(|c| c.data.iter().copied()).collect();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn mp3_cbr_and_vbr_keep_frequency_and_level() {
    let dir = temp_dir("mp3");
    let blocks = tone_blocks(2.0);
    for (name, mode) in [
        ("cbr128", Mp3Mode::Cbr(128)),
        ("cbr320", Mp3Mode::Cbr(320)),
        ("vbr4", Mp3Mode::Vbr(4)),
    ] {
        let mut enc = Mp3Encoder::new(Mp3Settings { mode, quality: 5 }).unwrap();
        assert_eq!(enc.content_type(), "audio/mpeg");
        let mut chunks = Vec::new();
        encode_all(&mut enc, &blocks, &mut chunks);
        for c in &chunks {
            assert!(
                c.data[0] == 0xFF && c.data[1] & 0xE0 == 0xE0,
                "{name}: chunk not on a frame"
            );
        }
        let path = dir.join(format!("{name}.mp3"));
        write_chunks(&path, &chunks);
        let (out, _) = decode_file(&path);
        let info = FileSource::open(&path).unwrap().info().clone();
        assert_eq!(info.rate.0, 48_000, "{name}: LAME kept 48 kHz");
        let secs = out.len() as f64 / 96_000.0;
        // No Info tag on a live stream: the encoder delay and padding stay (≤ 2 frames).
        // The VBR length is checked with ffmpeg in the interop suite: symphonia 0.6.1
        // stops early on a VBR stream without an Info tag (issue 3 note).
        if name != "vbr4" {
            assert!((2.0..2.1).contains(&secs), "{name}: {secs} s");
        }
        let f = frequency(&out, 2, 0, 48_000);
        assert!((f - 440.0).abs() < 1.0, "{name}: {f} Hz");
        let level = rms_db(&out, 2, 0);
        assert!((level + 9.03).abs() < 0.5, "{name}: {level} dBFS");
    }
    let e = Mp3Encoder::new(Mp3Settings {
        mode: Mp3Mode::Cbr(100),
        quality: 5,
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("100 kbps is not an MPEG-1 bitrate"),
        "{e}"
    );
}

#[test]
fn opus_in_ogg_is_sample_exact_and_keeps_the_tone() {
    let dir = temp_dir("opus");
    let blocks = tone_blocks(2.0);
    let meta = Metadata {
        title: Some("Opus Song".into()),
        artist: Some("Band".into()),
        album: None,
    };
    let mut chunks = Vec::new();
    let mut enc = OpusEncoder::new(OpusSettings::default(), &meta, &mut chunks).unwrap();
    assert_eq!(enc.content_type(), "audio/ogg");
    assert!(chunks[0].header);
    assert!(chunks[0].data.windows(8).any(|w| w == b"OpusHead"));
    assert!(chunks[0].data.windows(15).any(|w| w == b"TITLE=Opus Song"));
    encode_all(&mut enc, &blocks, &mut chunks);
    for c in &chunks {
        assert!(c.data.starts_with(b"OggS"), "every chunk starts on a page");
    }
    // Pages every 10 packets (200 ms): 100 packets of audio → at least 10 pages.
    assert!(chunks.len() >= 11, "{} chunks", chunks.len());
    let path = dir.join("t.opus");
    write_chunks(&path, &chunks);
    let (out, events) = decode_file(&path);
    assert_eq!(
        out.len(),
        2 * 96_000,
        "pre-skip and end padding trimmed exactly"
    );
    let Some(Event::TrackStart(m)) = events.first() else {
        panic!("no track start")
    };
    assert_eq!(m.display(), "Band - Opus Song");
    let f = frequency(&out, 2, 0, 48_000);
    assert!((f - 440.0).abs() < 1.0, "{f} Hz");
    let level = rms_db(&out, 2, 0);
    assert!((level + 9.03).abs() < 0.5, "{level} dBFS");
}

#[test]
fn opus_title_change_starts_a_new_chain() {
    let dir = temp_dir("chain");
    let blocks = tone_blocks(1.0);
    let mut chunks = Vec::new();
    let first = Metadata {
        title: Some("One".into()),
        ..Default::default()
    };
    let mut enc = OpusEncoder::new(OpusSettings::default(), &first, &mut chunks).unwrap();
    for b in &blocks {
        enc.encode(b, &mut chunks).unwrap();
    }
    let second = Metadata {
        title: Some("Two".into()),
        ..Default::default()
    };
    enc.set_metadata(&second, &mut chunks).unwrap();
    let headers: Vec<&Chunk> = chunks.iter().filter(|c| c.header).collect();
    assert_eq!(headers.len(), 2);
    assert!(headers[1].data.windows(9).any(|w| w == b"TITLE=Two"));
    for b in &blocks {
        enc.encode(b, &mut chunks).unwrap();
    }
    enc.finish(&mut chunks).unwrap();
    let path = dir.join("chained.opus");
    write_chunks(&path, &chunks);
    let (out, _) = decode_file(&path);
    assert_eq!(out.len(), 2 * 2 * 48_000, "both chains, each sample-exact");
}

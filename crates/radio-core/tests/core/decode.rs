//! Decoding files into 48 kHz stereo blocks.

use crate::util::*;
use radio_core::decode::to_stereo;
use radio_core::{Block, Event, FileSource, Pull, Source};

/// Pulls a whole source; returns the samples and the events.
fn pull_all(src: &mut FileSource) -> (Vec<f32>, Vec<Event>, usize) {
    let (mut block, mut events, mut out, mut blocks) =
        (Block::silence(), Vec::new(), Vec::new(), 0);
    while src.pull(&mut block, &mut events) == Pull::Audio {
        out.extend_from_slice(block.samples());
        blocks += 1;
    }
    assert_eq!(
        src.pull(&mut block, &mut events),
        Pull::End,
        "End stays End"
    );
    (out, events, blocks)
}

#[test]
fn wav_at_any_rate_becomes_48k_stereo_with_frequency_and_level_kept() {
    let dir = temp_dir("rates");
    for (rate, channels) in [
        (44_100, 2),
        (48_000, 2),
        (22_050, 1),
        (32_000, 6),
        (96_000, 2),
    ] {
        let path = dir.join(format!("tone-{rate}-{channels}.wav"));
        // −6 dBFS peak: RMS −9.03 dBFS.
        write_wav(
            &path,
            rate,
            channels,
            &sine(rate, channels, 2.0, 440.0, 0.5),
        );
        let mut src = FileSource::open(&path).unwrap();
        assert_eq!(src.info().rate.0, rate);
        assert_eq!(src.info().channels, channels);
        let d = src.info().duration.unwrap();
        assert!((d - 2.0).abs() < 1e-3, "{d}");
        let (out, events, blocks) = pull_all(&mut src);
        assert_eq!(blocks, 100, "2 s = 100 blocks of 20 ms ({rate} Hz)");
        assert!(matches!(events.as_slice(), [Event::TrackStart(_)]));
        for ch in 0..2 {
            let f = frequency(&out, 2, ch, 48_000);
            assert!((f - 440.0).abs() < 1.0, "{rate}/{channels} ch{ch}: {f} Hz");
            let level = rms_db(&out, 2, ch);
            // Folding 6 channels averages three phase-shifted sines per side.
            let want = if channels == 6 { -9.05 } else { -9.03 };
            assert!(
                (level - want).abs() < 0.2,
                "{rate}/{channels} ch{ch}: {level} dB"
            );
        }
    }
}

#[test]
fn seek_joins_at_the_right_point() {
    let dir = temp_dir("seek");
    let path = dir.join("ramp.wav");
    // 3 s whose first channel counts seconds: 0.0, 0.25, 0.5 for s = 0, 1, 2.
    let mut v = Vec::new();
    for i in 0..3 * 48_000 {
        v.push((i / 48_000) as f32 * 0.25);
        v.push(0.0);
    }
    write_wav(&path, 48_000, 2, &v);
    let mut src = FileSource::open_at(&path, 1.5).unwrap();
    let (out, _, blocks) = pull_all(&mut src);
    assert_eq!(blocks, 75, "1.5 s left");
    assert!(
        (out[0] - 0.25).abs() < 1e-3,
        "starts inside second 1: {}",
        out[0]
    );
    assert!(
        (out[(24_000 + 10) * 2] - 0.5).abs() < 1e-3,
        "second 2 half a second later"
    );
}

#[test]
fn downmix_and_upmix() {
    let mut out = Vec::new();
    to_stereo(&[0.5, -0.5], 1, &mut out);
    assert_eq!(out, [0.5, 0.5, -0.5, -0.5]);
    out.clear();
    // 5.1 order FL FR FC LFE BL BR: left = mean(FL, FC, BL), right = mean(FR, LFE, BR).
    to_stereo(&[0.3, 0.6, 0.3, 0.0, 0.3, 0.3], 6, &mut out);
    assert!(
        (out[0] - 0.3).abs() < 1e-6 && (out[1] - 0.3).abs() < 1e-6,
        "{out:?}"
    );
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = temp_dir("bad");
    let missing = FileSource::open(&dir.join("nope.mp3")).unwrap_err();
    assert!(
        missing.to_string().contains("cannot read") && missing.to_string().contains("nope.mp3")
    );
    let junk = dir.join("junk.mp3");
    std::fs::write(
        &junk,
        b"this is not audio at all, just text pretending to be an mp3",
    )
    .unwrap();
    let e = FileSource::open(&junk).unwrap_err();
    assert!(e.to_string().contains("unsupported media"), "{e}");
    // A WAV cut short plays what is there and ends.
    let cut = dir.join("cut.wav");
    write_wav(&cut, 48_000, 2, &sine(48_000, 2, 1.0, 440.0, 0.5));
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut src = FileSource::open(&cut).unwrap();
    let (_, _, blocks) = pull_all(&mut src);
    assert!((24..=26).contains(&blocks), "{blocks}");
}

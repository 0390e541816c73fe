//! Decoding files made by ffmpeg: MP3, FLAC, Ogg Vorbis, AAC in M4A and ADTS, with tags.
//! Run by `.ci/run` (`cargo test -p radio-core --test interop -- --ignored`); fails loudly
//! when ffmpeg is missing.

use radio_core::{Block, Event, FileSource, Pull, Source};
use std::path::Path;
use std::process::Command;

fn ffmpeg() -> &'static str {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "interop peer missing: ffmpeg (apt-get install ffmpeg)");
    "ffmpeg"
}

fn make(dir: &Path, name: &str, codec_args: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    let status = Command::new(ffmpeg())
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=440:sample_rate=44100:duration=3")
        .args(["-ac", "2", "-af", "volume=-6dB"])
        .args([
            "-metadata",
            "title=Interop Song",
            "-metadata",
            "artist=The Testers",
        ])
        .args(["-metadata", "album=Fixtures"])
        .args(codec_args)
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg could not make {name}");
    path
}

fn measure(path: &Path) -> (f64, f64, f64, Vec<Event>) {
    let mut src = FileSource::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut block, mut events, mut out) = (Block::silence(), Vec::new(), Vec::new());
    while src.pull(&mut block, &mut events) == Pull::Audio {
        out.extend_from_slice(block.samples());
    }
    let left: Vec<f64> = out.iter().step_by(2).map(|&s| f64::from(s)).collect();
    let body = &left[left.len() / 10..left.len() * 9 / 10];
    let crossings = body
        .windows(2)
        .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
        .count();
    let freq = crossings as f64 * 48_000.0 / body.len() as f64;
    let rms = 10.0 * (body.iter().map(|s| s * s).sum::<f64>() / body.len() as f64).log10();
    (left.len() as f64 / 48_000.0, freq, rms, events)
}

#[test]
#[ignore = "interop: needs ffmpeg; run by .ci/run"]
fn ffmpeg_made_files_decode_with_tags() {
    let dir = std::env::temp_dir().join(format!("radio-core-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The same signal as plain PCM: the level every codec must keep.
    let (_, _, reference, _) = measure(&make(&dir, "t.wav", &["-c:a", "pcm_s16le"]));
    let files = [
        make(&dir, "t.mp3", &["-c:a", "libmp3lame", "-b:a", "192k"]),
        make(&dir, "t.flac", &["-c:a", "flac"]),
        make(&dir, "t.ogg", &["-c:a", "libvorbis", "-q:a", "5"]),
        make(&dir, "t.m4a", &["-c:a", "aac", "-b:a", "192k"]),
        make(
            &dir,
            "t.aac",
            &["-c:a", "aac", "-b:a", "192k", "-f", "adts"],
        ),
    ];
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let (secs, freq, rms, events) = measure(f);
        assert!((secs - 3.0).abs() < 0.1, "{name}: {secs} s");
        assert!((freq - 440.0).abs() < 1.0, "{name}: {freq} Hz");
        assert!(
            (rms - reference).abs() < 0.5,
            "{name}: {rms} dBFS, PCM {reference} dBFS"
        );
        let Some(Event::TrackStart(meta)) = events.first() else {
            panic!("{name}: no track start")
        };
        if name != "t.aac" {
            // ADTS carries no tags.
            assert_eq!(meta.title.as_deref(), Some("Interop Song"), "{name}");
            assert_eq!(meta.artist.as_deref(), Some("The Testers"), "{name}");
            assert_eq!(meta.display(), "The Testers - Interop Song");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// What ffprobe and ffmpeg make of a file: (codec name, decoded seconds, decode errors).
/// The length is counted from decoded samples: ffprobe only estimates it for a VBR MP3
/// without an Info tag.
fn probe(path: &Path) -> (String, f64, String) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "default=nw=1:nk=1",
        ])
        .arg(path)
        .output()
        .expect("interop peer missing: ffprobe (apt-get install ffmpeg)");
    let codec = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dec = Command::new(ffmpeg())
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "s16le", "-ac", "2", "-ar", "48000", "-"])
        .output()
        .unwrap();
    let secs = dec.stdout.len() as f64 / 4.0 / 48_000.0;
    (
        codec,
        secs,
        String::from_utf8_lossy(&dec.stderr).to_string(),
    )
}

#[test]
#[ignore = "interop: needs ffmpeg; run by .ci/run"]
fn our_encoders_make_files_ffmpeg_accepts() {
    use radio_core::encode::{
        Encoder, Mp3Encoder, Mp3Mode, Mp3Settings, OpusEncoder, OpusSettings,
    };
    use radio_core::{BLOCK_FRAMES, Metadata};
    let dir = std::env::temp_dir().join(format!("radio-core-enc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut blocks = Vec::new();
    for i in 0..150 {
        let mut b = Block::silence();
        for (j, f) in b.samples_mut().chunks_mut(2).enumerate() {
            let t = (i * BLOCK_FRAMES + j) as f32 / 48_000.0;
            let v = 0.4 * (2.0 * std::f32::consts::PI * 440.0 * t).sin();
            f[0] = v;
            f[1] = v;
        }
        blocks.push(b);
    }
    let meta = Metadata {
        title: Some("Encoded".into()),
        ..Default::default()
    };
    let mut encoders: Vec<(&str, Box<dyn Encoder>, Vec<radio_core::encode::Chunk>)> = Vec::new();
    for (name, mode) in [("cbr.mp3", Mp3Mode::Cbr(128)), ("vbr.mp3", Mp3Mode::Vbr(4))] {
        encoders.push((
            name,
            Box::new(Mp3Encoder::new(Mp3Settings { mode, quality: 5 }).unwrap()),
            Vec::new(),
        ));
    }
    let mut first = Vec::new();
    let opus = OpusEncoder::new(OpusSettings::default(), &meta, &mut first).unwrap();
    encoders.push(("t.opus", Box::new(opus), first));
    for (name, mut enc, mut chunks) in encoders {
        for b in &blocks {
            enc.encode(b, &mut chunks).unwrap();
        }
        enc.finish(&mut chunks).unwrap();
        let path = dir.join(name);
        std::fs::write(
            &path,
            chunks
                .iter()
                .flat_map(|c| c.data.iter().copied())
                .collect::<Vec<u8>>(),
        )
        .unwrap();
        let (codec, secs, errors) = probe(&path);
        let want = if name.ends_with("mp3") { "mp3" } else { "opus" };
        assert_eq!(codec, want, "{name}");
        assert!((secs - 3.0).abs() < 0.1, "{name}: {secs} s");
        assert!(errors.trim().is_empty(), "{name}: ffmpeg says {errors}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

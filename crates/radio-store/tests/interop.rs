//! The indexer on files made by ffmpeg (FLAC, Ogg Vorbis, AAC in M4A, MP3 with its gapless
//! header, Opus, AIFF), with tags and embedded cover art, measured against ffmpeg's own
//! `ebur128` filter. Needs ffmpeg and ffprobe (`.ci/run` installs them); run with
//! `cargo test -p radio-store --test interop -- --ignored`. A missing peer fails.

use radio_store::{Folder, Quiet, ScanOptions, Status, Store, Track};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Seconds of leading silence, of sound, and of trailing silence in every file.
const LEAD: f64 = 1.0;
const SOUND: f64 = 6.0;
const TAIL: f64 = 1.5;

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ffmpeg's integrated loudness and true peak of a file.
fn ffmpeg_ebur128(path: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("ffmpeg is installed");
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = &text[text.rfind("Summary:").expect("an ebur128 summary")..];
    let value = |key: &str| -> f64 {
        let line = summary
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (value("I:"), value("Peak:"))
}

/// Makes the library: the same music-like stereo signal, with silence around it, in
/// every format, tagged, most with a cover.
fn make_library(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let music = dir.join("music");
    std::fs::create_dir_all(&music).unwrap();
    let cover = dir.join("cover.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=64x48",
        "-frames:v",
        "1",
        cover.to_str().unwrap(),
    ]);
    let signal = format!(
        "aevalsrc=0.3*sin(2*PI*440*t)*(0.6+0.4*sin(2*PI*0.5*t))+0.08*sin(2*PI*3100*t)|\
         0.25*sin(2*PI*550*t)+0.1*sin(2*PI*1800*t)*sin(2*PI*0.3*t):s=44100:d={SOUND}"
    );
    let pad = format!("adelay={0}|{0},apad=pad_dur={TAIL}", (LEAD * 1000.0) as u32);
    let formats: &[(&str, &str, &[&str], bool)] = &[
        ("flac", "flac", &["-c:a", "flac"], true),
        ("vorbis", "ogg", &["-c:a", "libvorbis", "-q:a", "5"], false),
        ("aac", "m4a", &["-c:a", "aac", "-b:a", "160k"], true),
        (
            "mp3",
            "mp3",
            &["-c:a", "libmp3lame", "-b:a", "192k", "-id3v2_version", "3"],
            true,
        ),
        (
            "opus",
            "opus",
            &["-c:a", "libopus", "-b:a", "128k", "-ar", "48000"],
            false,
        ),
        (
            "aiff",
            "aiff",
            &["-c:a", "pcm_s16be", "-write_id3v2", "1"],
            false,
        ),
    ];
    let mut files = Vec::new();
    for (codec, ext, enc, art) in formats {
        let path = music.join(format!("file-{codec}.{ext}"));
        let mut args: Vec<String> = vec!["-f".into(), "lavfi".into(), "-i".into(), signal.clone()];
        if *art {
            args.extend(["-i".into(), cover.to_string_lossy().into_owned()]);
            args.extend(["-map".into(), "0:a".into(), "-map".into(), "1:v".into()]);
            args.extend([
                "-c:v".into(),
                "png".into(),
                "-disposition:v".into(),
                "attached_pic".into(),
            ]);
        }
        args.extend(["-af".into(), pad.clone()]);
        args.extend(enc.iter().map(|s| s.to_string()));
        for (k, v) in [
            ("title", format!("Title {codec}")),
            ("artist", "Sigur Rós".to_string()),
            ("album", "Ágætis byrjun".to_string()),
            ("genre", "Post-rock".to_string()),
            ("date", "1999".to_string()),
            ("track", "4".to_string()),
        ] {
            args.extend(["-metadata".into(), format!("{k}={v}")]);
        }
        args.push(path.to_string_lossy().into_owned());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ffmpeg(&refs);
        files.push((*codec, path));
    }
    files
}

fn scanned(dir: &Path) -> (Store, Vec<Track>) {
    let store = Store::open(&dir.join("radiopoint.db")).unwrap();
    let s = radio_store::scan(
        &store,
        "interop",
        &[Folder::media(dir.join("music"))],
        &ScanOptions::default(),
        &mut Quiet,
    )
    .unwrap();
    assert_eq!((s.added, s.failed), (6, 0), "{s:?}");
    let station = store.station("interop").unwrap().unwrap();
    let tracks = store.tracks(station).unwrap();
    (store, tracks)
}

#[test]
#[ignore = "needs ffmpeg (run by .ci/run)"]
fn ffmpeg_made_files_are_analysed_like_ffmpeg_measures_them() {
    let dir = tempfile::tempdir().unwrap();
    let files = make_library(dir.path());
    let (store, tracks) = scanned(dir.path());
    let mut art = Vec::new();
    for (codec, path) in &files {
        let canon = std::fs::canonicalize(path)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let t = tracks
            .iter()
            .find(|t| t.path == canon)
            .unwrap_or_else(|| panic!("{codec} indexed"));
        assert_eq!(t.status, Status::Ok, "{codec}");
        let a = t.analysis.as_ref().unwrap();
        let (lufs, peak) = ffmpeg_ebur128(path);
        let ours = f64::from(a.loudness.unwrap());
        assert!(
            (ours - lufs).abs() <= 0.5,
            "{codec}: loudness {ours:.2} vs ffmpeg {lufs:.2}"
        );
        let tp = f64::from(a.true_peak);
        assert!(
            (tp - peak).abs() <= 0.5,
            "{codec}: true peak {tp:.2} vs ffmpeg {peak:.2}"
        );
        let total = LEAD + SOUND + TAIL;
        // Vorbis and Opus carry their exact length, MP3 its LAME gapless header, AAC in
        // M4A its priming and padding in an edit list (read by radio-core's mp4edit).
        assert!(
            (a.duration - total).abs() <= 0.01,
            "{codec}: duration {:.3} of {total}",
            a.duration
        );
        let block = 0.02;
        assert!(
            (a.cue_in - LEAD).abs() <= block,
            "{codec}: cue-in {:.3}",
            a.cue_in
        );
        assert!(
            (a.cue_out - (LEAD + SOUND)).abs() <= block,
            "{codec}: cue-out {:.3}",
            a.cue_out
        );
        assert_eq!(
            t.tags.title.as_deref(),
            Some(format!("Title {codec}").as_str()),
            "{codec}"
        );
        assert_eq!(t.tags.artist.as_deref(), Some("Sigur Rós"), "{codec}");
        assert_eq!(t.tags.album.as_deref(), Some("Ágætis byrjun"), "{codec}");
        assert_eq!(t.tags.genre.as_deref(), Some("Post-rock"), "{codec}");
        assert_eq!(t.tags.year, Some(1999), "{codec}");
        assert_eq!(t.tags.track_number, Some(4), "{codec}");
        if let Some(id) = t.artwork {
            art.push((*codec, id));
        }
        eprintln!(
            "{codec:>6}: {:.3} s, {ours:.2} LUFS (ffmpeg {lufs:.2}), {tp:.2} dBTP (ffmpeg {peak:.2}), cue {:.3}–{:.3}",
            a.duration, a.cue_in, a.cue_out
        );
    }
    let with_art: Vec<_> = art.iter().map(|(c, _)| *c).collect();
    assert_eq!(with_art, vec!["flac", "aac", "mp3"], "covers found");
    assert!(
        art.iter().all(|(_, id)| *id == art[0].1),
        "one cover, stored once: {art:?}"
    );
    let (mime, data) = store.artwork(art[0].1).unwrap().unwrap();
    assert_eq!(mime, "image/png");
    assert_eq!(data, std::fs::read(dir.path().join("cover.png")).unwrap());
}

#[test]
#[ignore = "needs ffmpeg (run by .ci/run)"]
fn truncated_and_mislabelled_ffmpeg_files_are_recorded_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("music");
    std::fs::create_dir_all(&music).unwrap();
    let full = music.join("full.mp3");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:d=20",
        "-ac",
        "2",
        "-c:a",
        "libmp3lame",
        full.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&full).unwrap();
    std::fs::write(music.join("cut.mp3"), &bytes[..bytes.len() / 4]).unwrap();
    let flac = music.join("full.flac");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:d=20",
        "-c:a",
        "flac",
        flac.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&flac).unwrap();
    std::fs::write(music.join("cut.flac"), &bytes[..bytes.len() / 3]).unwrap();
    // A JPEG named .mp3.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:s=320x240",
        "-frames:v",
        "1",
        "-f",
        "mjpeg",
        music.join("photo.mp3").to_str().unwrap(),
    ]);
    let store = Store::open(&dir.path().join("radiopoint.db")).unwrap();
    let s = radio_store::scan(
        &store,
        "t",
        &[Folder::media(&music)],
        &ScanOptions::default(),
        &mut Quiet,
    )
    .unwrap();
    assert_eq!((s.added, s.failed), (2, 3), "{s:?}");
    let station = store.station("t").unwrap().unwrap();
    for t in store.tracks(station).unwrap() {
        let name = Path::new(&t.path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        match (name.as_str(), &t.status) {
            ("full.mp3" | "full.flac", Status::Ok) => {}
            ("cut.mp3" | "cut.flac", Status::Failed(r)) => {
                assert!(r.starts_with("truncated"), "{name}: {r}")
            }
            ("photo.mp3", Status::Failed(r)) => {
                assert!(r.contains("not a supported audio file"), "{r}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

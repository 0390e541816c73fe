//! Scanning: analysis figures, rescans after modify / delete / rename / add, bad files.

use crate::util::*;
use radio_store::{Change, FileReport, Play, Progress, ScanOptions, Status};

#[test]
fn wav_analysis_gives_exact_duration_loudness_and_cue_points() {
    let lib = Lib::new();
    let pcm = tone(1.0, 3.0, 1.5, 997.0, -20.0);
    write_wav(&lib.file("Artist - Tone.wav"), 48_000, 2, &pcm);
    let s = lib.scan();
    assert_eq!((s.added, s.failed), (1, 0), "{s:?}");
    let t = lib.track("Artist - Tone.wav");
    assert_eq!(t.status, Status::Ok);
    let a = t.analysis.expect("analysed");
    assert!((a.duration - 5.5).abs() < 0.001, "duration {}", a.duration);
    let expected = loudness(&pcm);
    let got = a.loudness.unwrap();
    assert!((got - expected).abs() < 0.1, "loudness {got} vs {expected}");
    assert!(
        (got - -20.0).abs() < 0.5,
        "a −20 dBFS stereo sine reads about −20 LUFS: {got}"
    );
    assert!(
        (a.true_peak - -20.0).abs() < 0.3,
        "true peak {}",
        a.true_peak
    );
    // Within one block (20 ms) of where the tone starts and stops.
    assert!((a.cue_in - 1.0).abs() <= 0.02, "cue-in {}", a.cue_in);
    assert!((a.cue_out - 4.0).abs() <= 0.02, "cue-out {}", a.cue_out);
    assert_eq!((a.sample_rate, a.channels), (48_000, 2));
    assert_eq!(a.codec, "pcm_s16le");
    assert_eq!(
        t.tags.artist.as_deref(),
        Some("Artist"),
        "from the file name"
    );
    assert_eq!(t.tags.title.as_deref(), Some("Tone"));
}

#[test]
fn a_mono_wav_is_measured_as_it_plays_on_two_channels() {
    let lib = Lib::new();
    // Mono plays on both channels: measured as that stereo signal.
    let stereo = tone(0.0, 4.0, 0.0, 440.0, -12.0);
    let mono: Vec<f32> = stereo.iter().step_by(2).copied().collect();
    write_wav(&lib.file("mono.wav"), 48_000, 1, &mono);
    lib.scan();
    let a = lib.track("mono.wav").analysis.unwrap();
    assert_eq!(a.channels, 1);
    assert!((a.loudness.unwrap() - loudness(&stereo)).abs() < 0.1);
}

#[test]
fn mp3_and_opus_made_by_our_encoders_are_analysed() {
    let lib = Lib::new();
    let pcm = tone(0.5, 6.0, 0.5, 1000.0, -14.0);
    write_mp3(&lib.file("a.mp3"), &pcm);
    write_opus(&lib.file("b.opus"), &pcm, "Opus title");
    let s = lib.scan();
    assert_eq!((s.added, s.failed), (2, 0), "{s:?}");
    let expected = loudness(&pcm);
    for (name, codec) in [("a.mp3", "mp3"), ("b.opus", "opus")] {
        let t = lib.track(name);
        let a = t.analysis.unwrap();
        assert_eq!(a.codec, codec);
        // MP3 without a gapless header carries the encoder's delay and padding (< 50 ms).
        assert!(
            (a.duration - 7.0).abs() < 0.05,
            "{name}: duration {}",
            a.duration
        );
        let l = a.loudness.unwrap();
        assert!(
            (l - expected).abs() < 0.5,
            "{name}: loudness {l} vs {expected}"
        );
        assert!((a.cue_in - 0.5).abs() < 0.03, "{name}: cue-in {}", a.cue_in);
        assert!((a.bitrate as f64) > 1000.0, "{name}: bitrate {}", a.bitrate);
    }
    assert_eq!(
        lib.track("b.opus").tags.title.as_deref(),
        Some("Opus title")
    );
}

#[test]
fn unchanged_files_are_not_analysed_again() {
    let lib = Lib::new();
    for i in 0..4 {
        write_wav(
            &lib.file(&format!("{i}.wav")),
            48_000,
            2,
            &tone(0.0, 1.0, 0.0, 500.0, -10.0),
        );
    }
    assert_eq!(lib.scan().added, 4);
    let before = lib.tracks();
    let s = lib.scan();
    assert_eq!((s.unchanged, s.added, s.updated), (4, 0, 0), "{s:?}");
    assert_eq!(lib.tracks(), before, "rows untouched, `indexed` included");
}

#[test]
fn rescan_after_modify_delete_rename_and_add() {
    let lib = Lib::new();
    let short = tone(0.0, 1.0, 0.0, 500.0, -10.0);
    for name in [
        "keep.wav",
        "modify.wav",
        "delete.wav",
        "Old Artist - Old Name.wav",
    ] {
        write_wav(&lib.file(name), 48_000, 2, &short);
    }
    // Each file a different content, so that hashes tell them apart.
    write_wav(
        &lib.file("delete.wav"),
        48_000,
        2,
        &tone(0.0, 1.0, 0.0, 600.0, -10.0),
    );
    write_wav(
        &lib.file("Old Artist - Old Name.wav"),
        48_000,
        2,
        &tone(0.0, 2.0, 0.0, 700.0, -10.0),
    );
    assert_eq!(lib.scan().added, 4);
    let renamed = lib.track("Old Artist - Old Name.wav");
    let station = lib.station();
    lib.store
        .record_play(
            station,
            Play {
                track: Some(renamed.id),
                started: 1_700_000_000_000,
                source: "autodj".into(),
                title: renamed.tags.title.clone(),
                artist: renamed.tags.artist.clone(),
            },
        )
        .unwrap();
    let mut p = radio_sched::autodj::rules::Playlist::new("evening", vec![renamed.id as u64]);
    p.weight = 3;
    lib.store.create_playlist(station, &p).unwrap();

    write_wav(
        &lib.file("modify.wav"),
        48_000,
        2,
        &tone(0.0, 3.0, 0.0, 500.0, -10.0),
    );
    std::fs::remove_file(lib.file("delete.wav")).unwrap();
    std::fs::create_dir(lib.file("sub")).unwrap();
    std::fs::rename(
        lib.file("Old Artist - Old Name.wav"),
        lib.file("sub/New Artist - New Name.wav"),
    )
    .unwrap();
    write_wav(
        &lib.file("added.wav"),
        48_000,
        2,
        &tone(0.0, 1.5, 0.0, 800.0, -10.0),
    );

    let mut seen = Recorder::default();
    let s = radio_store::scan(
        &lib.store,
        "test",
        &[radio_store::Folder::media(lib.music())],
        &ScanOptions::default(),
        &mut seen,
    )
    .unwrap();
    assert_eq!(
        (
            s.added,
            s.updated,
            s.moved,
            s.removed,
            s.failed,
            s.unchanged
        ),
        (1, 1, 1, 1, 0, 1),
        "{s:?}"
    );
    let moved = lib.track("sub/New Artist - New Name.wav");
    assert_eq!(moved.id, renamed.id, "a rename keeps the track's identity");
    assert_eq!(
        moved.tags.title.as_deref(),
        Some("New Name"),
        "the title follows the name"
    );
    assert_eq!(
        lib.store.plays_of(moved.id).unwrap().len(),
        1,
        "history kept"
    );
    let playlists = lib.store.playlists(station).unwrap();
    assert_eq!(
        playlists[0].1.tracks,
        vec![moved.id as u64],
        "playlist membership kept"
    );
    let modified = lib.track("modify.wav").analysis.unwrap();
    assert!((modified.duration - 3.0).abs() < 0.001);
    assert!(lib.tracks().iter().all(|t| !t.path.ends_with("delete.wav")));
    let report = seen.0.iter().find(|r| r.status == Change::Moved).unwrap();
    assert!(
        report
            .from
            .as_deref()
            .unwrap()
            .ends_with("Old Artist - Old Name.wav")
    );
}

#[test]
fn deleting_a_played_track_keeps_the_history_row() {
    let lib = Lib::new();
    write_wav(
        &lib.file("gone.wav"),
        48_000,
        2,
        &tone(0.0, 1.0, 0.0, 500.0, -10.0),
    );
    lib.scan();
    let t = lib.track("gone.wav");
    let play = Play {
        track: Some(t.id),
        started: 1,
        source: "autodj".into(),
        title: Some("gone".into()),
        artist: None,
    };
    lib.store.record_play(lib.station(), play).unwrap();
    std::fs::remove_file(lib.file("gone.wav")).unwrap();
    assert_eq!(lib.scan().removed, 1);
    let plays = lib.store.plays(lib.station(), 10).unwrap();
    assert_eq!(plays.len(), 1);
    assert_eq!(
        (plays[0].track, plays[0].title.as_deref()),
        (None, Some("gone"))
    );
}

#[test]
fn bad_files_are_recorded_with_the_reason_and_the_scan_goes_on() {
    let lib = Lib::new();
    let pcm = tone(0.0, 4.0, 0.0, 440.0, -10.0);
    write_wav(&lib.file("good.wav"), 48_000, 2, &pcm);
    std::fs::write(lib.file("empty.mp3"), b"").unwrap();
    std::fs::write(
        lib.file("text.mp3"),
        b"<html>This is not an MP3 at all</html>\n".repeat(50),
    )
    .unwrap();
    // Pseudo-random bytes: false MP3 sync words may appear, but they do not decode.
    let mut x: u64 = 0x1234_5678;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(lib.file("random.mp3"), &noise).unwrap();
    // A WAV cut off in the middle: its header declares 4 s.
    let full = wav_bytes(48_000, 2, &pcm);
    std::fs::write(lib.file("truncated.wav"), &full[..full.len() / 3]).unwrap();
    // Two seconds of digital silence.
    write_wav(&lib.file("silent.wav"), 48_000, 2, &vec![0.0; 48_000 * 2]);
    // A FLAC name over WAV bytes plays fine: the content decides.
    std::fs::write(lib.file("actually-wav.flac"), &full).unwrap();

    let s = lib.scan();
    assert_eq!((s.added, s.failed), (2, 5), "{s:?}");
    let reason = |name: &str| match lib.track(name).status {
        Status::Failed(r) => r,
        Status::Ok => panic!("{name} should have failed"),
    };
    assert!(
        reason("empty.mp3").contains("empty"),
        "{}",
        reason("empty.mp3")
    );
    assert!(
        reason("text.mp3").contains("not a supported audio file"),
        "{}",
        reason("text.mp3")
    );
    let r = reason("random.mp3");
    assert!(
        r.contains("corrupt") || r.contains("not a supported"),
        "{r}"
    );
    assert!(
        reason("truncated.wav").starts_with("truncated"),
        "{}",
        reason("truncated.wav")
    );
    assert!(
        reason("silent.wav").starts_with("silent"),
        "{}",
        reason("silent.wav")
    );
    assert_eq!(lib.track("actually-wav.flac").status, Status::Ok);
}

#[test]
fn a_failed_file_is_retried_when_it_changes_and_not_before() {
    let lib = Lib::new();
    std::fs::write(lib.file("later.wav"), b"not yet").unwrap();
    age(&lib.file("later.wav"), 100);
    assert_eq!(lib.scan().failed, 1);
    let s = lib.scan();
    assert_eq!(
        (s.failed, s.unchanged),
        (0, 1),
        "not retried while unchanged"
    );
    write_wav(
        &lib.file("later.wav"),
        48_000,
        2,
        &tone(0.0, 1.0, 0.0, 440.0, -10.0),
    );
    let s = lib.scan();
    assert_eq!((s.updated, s.failed), (1, 0), "{s:?}");
    assert_eq!(lib.track("later.wav").status, Status::Ok);
}

#[test]
fn a_second_indexer_of_the_same_station_waits_or_says_one_is_running() {
    let lib = Lib::new();
    write_wav(
        &lib.file("a.wav"),
        48_000,
        2,
        &tone(0.0, 1.0, 0.0, 440.0, -10.0),
    );
    let held = radio_store::media::lock::StationLock::acquire(
        lib.store.path(),
        "test",
        false,
        &mut |_| {},
    )
    .unwrap();
    let busy = radio_store::scan(
        &lib.store,
        "test",
        &[radio_store::Folder::media(lib.music())],
        &ScanOptions {
            wait: false,
            ..ScanOptions::default()
        },
        &mut radio_store::Quiet,
    );
    match busy {
        Err(radio_store::Error::Busy { station, holder }) => {
            assert_eq!(station, "test");
            assert!(
                holder.contains(&format!("pid {}", std::process::id())),
                "{holder}"
            );
        }
        other => panic!("expected Busy, got {other:?}"),
    }
    // A waiting scan goes ahead once the lock is released.
    let (tx, rx) = std::sync::mpsc::channel();
    let store = lib.store.clone();
    let music = lib.music();
    let waiter = std::thread::spawn(move || {
        struct Tell(std::sync::mpsc::Sender<()>);
        impl Progress for Tell {
            fn waiting(&mut self, _holder: &str) {
                let _ = self.0.send(());
            }
        }
        radio_store::scan(
            &store,
            "test",
            &[radio_store::Folder::media(music)],
            &ScanOptions::default(),
            &mut Tell(tx),
        )
    });
    rx.recv().expect("the second scan reports that it waits");
    drop(held);
    assert_eq!(waiter.join().unwrap().unwrap().added, 1);
}

#[test]
fn a_missing_folder_is_an_error_naming_it() {
    let lib = Lib::new();
    let err = radio_store::scan(
        &lib.store,
        "test",
        &[radio_store::Folder::media(lib.dir.path().join("nope"))],
        &ScanOptions::default(),
        &mut radio_store::Quiet,
    )
    .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn the_station_log_records_changes_and_failures() {
    let lib = Lib::new();
    std::fs::write(lib.file("bad.mp3"), b"").unwrap();
    write_wav(
        &lib.file("ok.wav"),
        48_000,
        2,
        &tone(0.0, 1.0, 0.0, 440.0, -10.0),
    );
    lib.scan();
    let log = std::fs::read_to_string(lib.dir.path().join("stations/test/indexer.log")).unwrap();
    assert!(
        log.contains("failed ") && log.contains("bad.mp3: empty file"),
        "{log}"
    );
    assert!(log.contains("added ") && log.contains("ok.wav"), "{log}");
    assert!(
        log.contains("scan: 1 added, 0 updated, 0 moved, 0 removed, 1 failed"),
        "{log}"
    );
}

#[test]
fn one_job_and_many_jobs_store_the_same_figures() {
    let lib = Lib::new();
    for i in 0..6 {
        let pcm = tone(
            0.1 * i as f64,
            1.0 + i as f64 * 0.25,
            0.2,
            300.0 + 50.0 * i as f64,
            -8.0 - i as f64,
        );
        write_wav(&lib.file(&format!("{i}.wav")), 48_000, 2, &pcm);
    }
    lib.scan_with(&ScanOptions {
        jobs: 1,
        ..ScanOptions::default()
    });
    let one: Vec<_> = lib
        .tracks()
        .into_iter()
        .map(|t| (t.path, t.analysis))
        .collect();
    let lib2 = Lib::new();
    for i in 0..6 {
        std::fs::copy(
            lib.file(&format!("{i}.wav")),
            lib2.file(&format!("{i}.wav")),
        )
        .unwrap();
    }
    lib2.scan_with(&ScanOptions {
        jobs: 4,
        ..ScanOptions::default()
    });
    let many: Vec<_> = lib2.tracks().into_iter().map(|t| t.analysis).collect();
    assert_eq!(one.into_iter().map(|(_, a)| a).collect::<Vec<_>>(), many);
}

#[derive(Default)]
struct Recorder(Vec<FileReport>);

impl Progress for Recorder {
    fn file(&mut self, report: &FileReport) {
        self.0.push(report.clone());
    }
}

//! The library as AutoDJ reads it, kept in sync by the watcher.

use crate::util::*;
use radio_sched::autodj::library::Library;
use radio_sched::autodj::picker::{PickSettings, Picker};
use radio_sched::autodj::rules::Rotation;
use radio_store::{
    Folder, FolderKind, LibrarySettings, ScanOptions, StationLibrary, WatchEvent, WatchSettings,
    Watcher,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

fn picks(lib: &StationLibrary, n: usize) -> HashSet<String> {
    let now = chrono::Utc::now();
    let mut picker = Picker::new(
        PickSettings {
            no_repeat_tracks: 0,
            no_repeat_artists: 0,
            ..PickSettings::default()
        },
        now,
    );
    picker.set_playlists(lib.playlists());
    (0..n)
        .filter_map(|_| picker.pick(now, lib))
        .map(|p| p.track.location)
        .collect()
}

#[test]
fn autodj_plays_the_stored_tracks_with_their_gain_and_tags() {
    let lib = Lib::new();
    write_wav(
        &lib.file("Quiet Band - Whisper.wav"),
        48_000,
        2,
        &tone(0.5, 2.0, 0.0, 440.0, -30.0),
    );
    write_wav(
        &lib.file("loud.wav"),
        48_000,
        2,
        &tone(0.0, 2.0, 0.0, 440.0, -6.0),
    );
    std::fs::write(lib.file("broken.mp3"), b"junk").unwrap();
    lib.scan();
    let library =
        StationLibrary::open(lib.store.clone(), "test", LibrarySettings::default()).unwrap();
    assert_eq!(library.len(), 2, "the failed file is not playable");
    let quiet = library
        .track(lib.track("Quiet Band - Whisper.wav").id as u64)
        .unwrap();
    // To −16 LUFS: its −30 dBFS peak leaves room for all of it.
    let want = -16.0 - loudness(&tone(0.5, 2.0, 0.0, 440.0, -30.0));
    assert!(
        (quiet.gain.0 - want).abs() < 0.1,
        "gain {} vs {want}",
        quiet.gain.0
    );
    assert_eq!(quiet.metadata.artist.as_deref(), Some("Quiet Band"));
    let loud = library.track(lib.track("loud.wav").id as u64).unwrap();
    let want = -16.0 - loudness(&tone(0.0, 2.0, 0.0, 440.0, -6.0));
    assert!(
        (loud.gain.0 - want).abs() < 0.1,
        "gain {} vs {want}",
        loud.gain.0
    );
    // A quiet track with a loud moment cannot be pushed past the −1 dBTP ceiling.
    let mut pcm = tone(0.0, 10.0, 0.0, 440.0, -40.0);
    pcm.extend(tone(0.0, 0.02, 0.0, 440.0, -3.0));
    write_wav(&lib.file("peaky.wav"), 48_000, 2, &pcm);
    lib.scan();
    library.refresh().unwrap();
    let peaky = library.track(lib.track("peaky.wav").id as u64).unwrap();
    assert!(
        peaky.gain.0 <= 2.1,
        "capped at −1 − (−3) dB: {}",
        peaky.gain.0
    );

    // Opened, it starts at the cue-in (0.5 s of silence skipped), at −16 LUFS, with the
    // library's title.
    let mut source = library.open(&quiet).unwrap();
    let mut block = radio_core::Block::silence();
    let mut events = Vec::new();
    source.pull(&mut block, &mut events);
    assert!(
        block.peak() > 0.1,
        "no leading silence: peak {}",
        block.peak()
    );
    let radio_core::Event::TrackStart(m) = &events[0];
    assert_eq!(m.title.as_deref(), Some("Whisper"));
}

#[test]
fn jingles_get_their_own_rotation_and_shows_are_not_music() {
    let lib = Lib::new();
    for d in ["jingles", "shows"] {
        std::fs::create_dir(lib.dir.path().join(d)).unwrap();
    }
    write_wav(
        &lib.file("song.wav"),
        48_000,
        2,
        &tone(0.0, 1.0, 0.0, 440.0, -10.0),
    );
    let j = lib.dir.path().join("jingles/id.wav");
    write_wav(&j, 48_000, 2, &tone(0.0, 0.5, 0.0, 880.0, -10.0));
    write_wav(
        &lib.dir.path().join("shows/show.wav"),
        48_000,
        2,
        &tone(0.0, 1.5, 0.0, 220.0, -10.0),
    );
    let folders = [
        Folder::media(lib.music()),
        Folder {
            kind: FolderKind::Jingles,
            path: lib.dir.path().join("jingles"),
        },
        Folder {
            kind: FolderKind::Shows,
            path: lib.dir.path().join("shows"),
        },
    ];
    let s = radio_store::scan(
        &lib.store,
        "test",
        &folders,
        &ScanOptions::default(),
        &mut radio_store::Quiet,
    )
    .unwrap();
    assert_eq!(s.added, 3);
    let library =
        StationLibrary::open(lib.store.clone(), "test", LibrarySettings::default()).unwrap();
    let playlists = library.playlists();
    let names: Vec<_> = playlists
        .iter()
        .map(|p| (p.name.as_str(), p.rotation, p.tracks.len()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("all music", Rotation::Standard, 1),
            ("jingles", Rotation::EveryNSongs(4), 1)
        ]
    );
}

#[test]
fn the_watcher_indexes_new_files_and_autodj_stops_picking_removed_ones() {
    let lib = Lib::new();
    write_wav(
        &lib.file("first.wav"),
        48_000,
        2,
        &tone(0.0, 1.0, 0.0, 440.0, -10.0),
    );
    let library = Arc::new(
        StationLibrary::open(lib.store.clone(), "test", LibrarySettings::default()).unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let refreshed = library.clone();
    let settings = WatchSettings {
        debounce: Duration::from_millis(200),
        rescan_every: Duration::from_secs(3600),
        ..WatchSettings::default()
    };
    let watcher = Watcher::start(
        lib.store.clone(),
        "test",
        vec![Folder::media(lib.music())],
        settings,
        move |e| {
            if let WatchEvent::Scanned(r) = e {
                refreshed.refresh().unwrap();
                let _ = tx.send(r.unwrap());
            }
        },
    )
    .unwrap();
    assert!(watcher.notifications(), "inotify works here");
    let wait = || rx.recv_timeout(Duration::from_secs(20)).expect("a scan");
    assert_eq!(wait().added, 1, "the scan at start");
    assert_eq!(picks(&library, 20).len(), 1);

    // Written elsewhere and moved in, as an upload or `mv` does.
    let tmp = lib.dir.path().join("second.wav");
    write_wav(&tmp, 48_000, 2, &tone(0.0, 1.0, 0.0, 660.0, -10.0));
    std::fs::rename(&tmp, lib.file("second.wav")).unwrap();
    let mut s = wait();
    while s.added == 0 {
        s = wait();
    }
    let seen = picks(&library, 50);
    assert_eq!(
        seen.len(),
        2,
        "the new track is picked without a restart: {seen:?}"
    );

    std::fs::remove_file(lib.file("first.wav")).unwrap();
    let mut s = wait();
    while s.removed == 0 {
        s = wait();
    }
    let seen = picks(&library, 50);
    assert_eq!(seen.len(), 1);
    assert!(seen.iter().all(|p| p.ends_with("second.wav")), "{seen:?}");
    assert!(library.track(lib.tracks()[0].id as u64).is_some());
}

#[test]
fn the_watcher_rescans_periodically_without_notifications() {
    let lib = Lib::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let settings = WatchSettings {
        debounce: Duration::from_secs(3600),
        rescan_every: Duration::from_millis(100),
        ..WatchSettings::default()
    };
    let watcher = Watcher::start(
        lib.store.clone(),
        "test",
        vec![Folder::media(lib.music())],
        settings,
        move |e| {
            if let WatchEvent::Scanned(r) = e {
                let _ = tx.send(r.unwrap());
            }
        },
    )
    .unwrap();
    rx.recv_timeout(Duration::from_secs(20)).unwrap();
    write_wav(
        &lib.file("x.wav"),
        48_000,
        2,
        &tone(0.0, 1.0, 0.0, 440.0, -10.0),
    );
    // Notifications are debounced for an hour here: only the periodic rescan finds it.
    let mut added = 0;
    while added == 0 {
        added = rx.recv_timeout(Duration::from_secs(20)).unwrap().added;
    }
    drop(watcher);
}

#[test]
fn a_long_scan_hands_over_what_it_found_before_it_ends() {
    let lib = Lib::new();
    for i in 0..3 {
        write_wav(
            &lib.file(&format!("{i}.wav")),
            48_000,
            2,
            &tone(0.0, 1.0, 0.0, 440.0, -10.0),
        );
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let settings = WatchSettings {
        progress_every: Duration::ZERO,
        scan: ScanOptions {
            jobs: 1,
            ..ScanOptions::background()
        },
        ..WatchSettings::default()
    };
    let _watcher = Watcher::start(
        lib.store.clone(),
        "test",
        vec![Folder::media(lib.music())],
        settings,
        move |e| {
            let _ = tx.send(e);
        },
    )
    .unwrap();
    let mut progress = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(20)).unwrap() {
            WatchEvent::Progress(s) => progress.push(s.added),
            WatchEvent::Scanned(r) => {
                assert_eq!(r.unwrap().added, 3);
                break;
            }
        }
    }
    assert_eq!(
        progress,
        vec![1, 2, 3],
        "each find is handed over while the scan runs"
    );
}

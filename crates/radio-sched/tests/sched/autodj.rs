//! AutoDJ's picking rules, requests, stop sets, skip, broken tracks.

use crate::util::*;
use radio_sched::autodj::library::{Library, MemoryLibrary, TrackId};
use radio_sched::autodj::picker::{PickKind, PickSettings, Picker, normalise_artist};
use radio_sched::autodj::rules::{Order, Playlist, Rotation, Schedule};
use radio_sched::autodj::stopset::{Category, StopSet, StopSetSettings};
use radio_sched::autodj::{AutoDj, AutoDjSettings};
use radio_sched::failsafe::Failsafe;
use radio_sched::{Harbor, HarborSettings, SimClock, Time};
use std::sync::Arc;
use std::time::Duration;

/// `n` tracks with ids from `first`, each by its own artist unless `artists` is set.
fn tracks(first: u64, n: u64, artists: Option<u64>) -> Vec<(u64, String, String, f64)> {
    (first..first + n)
        .map(|id| {
            let artist = match artists {
                Some(k) => format!("Artist {}", id % k),
                None => format!("Artist {id}"),
            };
            (id, artist, format!("Song {id}"), 180.0)
        })
        .collect()
}

fn lib_of(t: &[(u64, String, String, f64)]) -> MemoryLibrary {
    let refs: Vec<(u64, &str, &str, f64)> = t
        .iter()
        .map(|(i, a, s, d)| (*i, a.as_str(), s.as_str(), *d))
        .collect();
    library(&refs, &[])
}

fn picks(
    p: &mut Picker,
    lib: &dyn Library,
    n: usize,
    start: Time,
    gap: Duration,
) -> Vec<(Time, TrackId, PickKind)> {
    let mut t = start;
    (0..n)
        .map(|_| {
            let pick = p.pick(t, lib).expect("a pick");
            t += chrono::Duration::from_std(gap).unwrap();
            (pick.at, pick.track.id, pick.kind)
        })
        .collect()
}

#[test]
fn a_jingle_every_3_songs_gives_exactly_3_songs_between_jingles() {
    let mut all = tracks(1, 40, None);
    all.extend(tracks(100, 4, Some(1)));
    let lib = lib_of(&all);
    let settings = PickSettings {
        playlists: vec![
            Playlist::new("music", (1..=40).collect()),
            Playlist {
                rotation: Rotation::EveryNSongs(3),
                ..Playlist::new("jingles", (100..104).collect())
            },
        ],
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let seq = picks(&mut p, &lib, 200, monday(), Duration::from_secs(180));
    let jingles: Vec<usize> = seq
        .iter()
        .enumerate()
        .filter(|(_, (_, id, _))| *id >= 100)
        .map(|(i, _)| i)
        .collect();
    assert!(jingles.len() >= 49, "{} jingles", jingles.len());
    assert_eq!(jingles[0], 3, "first after 3 songs");
    for w in jingles.windows(2) {
        assert_eq!(w[1] - w[0], 4, "exactly 3 songs between jingles at {w:?}");
    }
}

#[test]
fn a_failed_pick_does_not_count_as_a_song() {
    let mut all = tracks(1, 10, None);
    all.extend(tracks(100, 1, None));
    let lib = lib_of(&all);
    let settings = PickSettings {
        playlists: vec![
            Playlist::new("music", (1..=10).collect()),
            Playlist {
                rotation: Rotation::EveryNSongs(2),
                ..Playlist::new("jingles", vec![100])
            },
        ],
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let a = p.pick(monday(), &lib).unwrap();
    p.failed(&a);
    let b = p.pick(monday(), &lib).unwrap();
    let c = p.pick(monday(), &lib).unwrap();
    assert!(b.track.id <= 10 && c.track.id <= 10, "two real songs first");
    assert_eq!(p.pick(monday(), &lib).unwrap().track.id, 100);
}

#[test]
fn weighted_playlists_converge_to_their_weights_over_10000_picks() {
    let all = tracks(1, 300, None);
    let lib = lib_of(&all);
    let settings = PickSettings {
        playlists: vec![
            Playlist {
                weight: 1,
                ..Playlist::new("a", (1..=100).collect())
            },
            Playlist {
                weight: 3,
                ..Playlist::new("b", (101..=200).collect())
            },
            Playlist {
                weight: 6,
                ..Playlist::new("c", (201..=300).collect())
            },
        ],
        no_repeat_tracks: 0,
        no_repeat_artists: 0,
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let mut counts = [0f64; 3];
    for _ in 0..10_000 {
        let id = p.pick(monday(), &lib).unwrap().track.id;
        counts[((id - 1) / 100) as usize] += 1.0;
    }
    // χ² against 1:3:6 with 2 degrees of freedom; 13.8 is the 0.1 % critical value.
    let expected = [1000.0, 3000.0, 6000.0];
    let chi2: f64 = counts
        .iter()
        .zip(expected)
        .map(|(o, e)| (o - e).powi(2) / e)
        .sum();
    assert!(chi2 < 13.8, "counts {counts:?}, χ² {chi2:.2}");
}

#[test]
fn no_track_within_50_plays_and_no_artist_within_15_with_normalised_names() {
    // 200 tracks over 40 artists, named with varying case and a leading "The".
    let all: Vec<(u64, String, String, f64)> = (1..=200)
        .map(|id| {
            let k = id % 40;
            let artist = match id % 3 {
                0 => format!("The Band {k}"),
                1 => format!("band  {k}"),
                _ => format!("BAND {k}!"),
            };
            (id, artist, format!("Song {id}"), 180.0)
        })
        .collect();
    let lib = lib_of(&all);
    let settings = PickSettings {
        playlists: vec![Playlist::new("music", (1..=200).collect())],
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let seq = picks(&mut p, &lib, 2000, monday(), Duration::from_secs(180));
    for i in 0..seq.len() {
        for j in i.saturating_sub(50)..i {
            assert_ne!(
                seq[i].1,
                seq[j].1,
                "track {} repeated after {} plays",
                seq[i].1,
                i - j
            );
        }
        for j in i.saturating_sub(15)..i {
            assert_ne!(
                seq[i].1 % 40,
                seq[j].1 % 40,
                "artist repeated after {} plays",
                i - j
            );
        }
    }
    assert_eq!(normalise_artist("The Beatles"), normalise_artist("beatles"));
    assert_eq!(normalise_artist("  AC/DC "), "ac dc");
}

#[test]
fn rules_relax_rather_than_return_nothing() {
    // Three tracks by one artist: the artist rule and then the track rule must give way.
    let lib = library(
        &[
            (1, "Solo", "A", 60.0),
            (2, "Solo", "B", 60.0),
            (3, "Solo", "C", 60.0),
        ],
        &[],
    );
    let settings = PickSettings {
        playlists: vec![Playlist::new("music", vec![1, 2, 3])],
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let seq = picks(&mut p, &lib, 30, monday(), Duration::from_secs(60));
    // The track rule holds as long as it can: the first three are all different.
    let first: std::collections::HashSet<u64> = seq[..3].iter().map(|s| s.1).collect();
    assert_eq!(first.len(), 3);
    // An empty playlist gives nothing; a library-less pick is `None`, not a panic.
    let mut empty = Picker::new(
        PickSettings {
            playlists: vec![Playlist::new("music", vec![])],
            ..PickSettings::default()
        },
        monday(),
    );
    assert!(empty.pick(monday(), &lib).is_none());
}

#[test]
fn playlists_follow_weekday_and_overnight_schedules_in_the_station_time_zone() {
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let night = Schedule {
        days: vec![chrono::Weekday::Fri],
        start: chrono::NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        end: chrono::NaiveTime::from_hms_opt(2, 0, 0).unwrap(),
    };
    // Friday 6 March 2026, Berlin is UTC+1.
    assert!(!night.contains(at("2026-03-06T20:59:59Z"), tz));
    assert!(night.contains(at("2026-03-06T21:00:00Z"), tz));
    assert!(
        night.contains(at("2026-03-07T00:59:59Z"), tz),
        "Saturday 01:59 belongs to Friday's night"
    );
    assert!(!night.contains(at("2026-03-07T01:00:00Z"), tz));
    assert!(
        !night.contains(at("2026-03-07T21:30:00Z"), tz),
        "not on Saturday evening"
    );
    assert!(
        !night.contains(at("2026-03-06T00:30:00Z"), tz),
        "Friday 01:30 is Thursday's night"
    );

    let lib = lib_of(&tracks(1, 20, None));
    let settings = PickSettings {
        playlists: vec![
            Playlist::new("day", (1..=10).collect()),
            Playlist {
                schedule: Some(night),
                ..Playlist::new("night", (11..=20).collect())
            },
        ],
        timezone: tz,
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    for (t, night_expected) in [
        ("2026-03-06T20:00:00Z", false),
        ("2026-03-06T22:00:00Z", true),
        ("2026-03-07T00:30:00Z", true),
        ("2026-03-07T02:00:00Z", false),
    ] {
        let id = p.pick(at(t), &lib).unwrap().track.id;
        assert_eq!(id > 10, night_expected, "at {t}: track {id}");
    }
}

#[test]
fn every_n_minutes_and_once_per_hour_at_minute_m() {
    let mut all = tracks(1, 30, None);
    all.extend(tracks(100, 3, None));
    all.extend(tracks(200, 3, None));
    let lib = lib_of(&all);
    let settings = PickSettings {
        playlists: vec![
            Playlist::new("music", (1..=30).collect()),
            Playlist {
                rotation: Rotation::EveryNMinutes(20),
                ..Playlist::new("promos", (100..103).collect())
            },
            Playlist {
                rotation: Rotation::OncePerHour(30),
                ..Playlist::new("news", (200..203).collect())
            },
        ],
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    // A pick every 4 minutes for 3 hours.
    let seq = picks(&mut p, &lib, 45, monday(), Duration::from_secs(240));
    let promos: Vec<i64> = seq
        .iter()
        .filter(|s| (100..103).contains(&s.1))
        .map(|s| (s.0 - monday()).num_minutes())
        .collect();
    assert_eq!(promos, [20, 40, 60, 80, 100, 120, 140, 160]);
    let news: Vec<i64> = seq
        .iter()
        .filter(|s| (200..203).contains(&s.1))
        .map(|s| (s.0 - monday()).num_minutes())
        .collect();
    assert_eq!(
        news,
        [32, 92, 152],
        "once an hour, at the first boundary from minute 30"
    );
}

#[test]
fn requests_play_first_in_order_capped_without_duplicates() {
    let clock = SimClock::new(monday());
    let lib: Arc<dyn Library> = Arc::new(lib_of(&tracks(1, 20, None)));
    let mut settings = AutoDjSettings::default();
    settings.pick.playlists = vec![Playlist {
        order: Order::Sequential,
        ..Playlist::new("music", (1..=10).collect())
    }];
    let (autodj, control) = AutoDj::new(lib, settings, Arc::new(clock.clone()));
    for id in [15, 12, 17, 13, 19] {
        control.request(id).unwrap();
    }
    assert_eq!(
        control.request(15).unwrap_err().to_string(),
        "track 15 is already requested"
    );
    assert_eq!(
        control.request(16).unwrap_err().to_string(),
        "the request queue is full (5 waiting)"
    );
    assert!(control.remove_request(13));
    assert!(!control.remove_request(13));
    assert_eq!(control.requests(), [15, 12, 17, 19]);
    control.request(999).unwrap_err();
    let mut h = Harbor::new(
        vec![Box::new(autodj)],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    run(&mut h, &clock, 15.0 * 60.0, |_, _, _| {});
    let played: Vec<u64> = control.history().iter().map(|p| p.track.id).collect();
    assert_eq!(
        &played[..6],
        &[15, 12, 17, 19, 1, 2],
        "requests first, then the playlist"
    );
    assert!(control.requests().is_empty());
}

#[test]
fn stop_sets_start_every_n_minutes_after_the_previous_one_ended_without_repeats() {
    let mut all = tracks(1, 50, None);
    all.extend(tracks(100, 4, None)); // ads
    all.extend(tracks(200, 2, None)); // station IDs
    let lib = lib_of(&all);
    let settings = PickSettings {
        playlists: vec![Playlist::new("music", (1..=50).collect())],
        stopsets: Some(StopSetSettings {
            every: Duration::from_secs(20 * 60),
            sets: vec![StopSet {
                name: "break".into(),
                weight: 1,
                categories: vec!["ad".into(), "id".into(), "ad".into()],
            }],
            categories: vec![
                Category {
                    name: "ad".into(),
                    assets: (100..104).collect(),
                },
                Category {
                    name: "id".into(),
                    assets: vec![200, 201],
                },
            ],
        }),
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let seq = picks(&mut p, &lib, 60, monday(), Duration::from_secs(180));
    let mut blocks: Vec<Vec<(i64, u64)>> = Vec::new();
    let mut last_end: i64 = 0;
    let mut in_block = false;
    for (t, id, kind) in &seq {
        let minute = (*t - monday()).num_minutes();
        match kind {
            PickKind::StopSet(_) => {
                if !in_block {
                    assert!(
                        minute - last_end >= 20,
                        "a stop set {} min after the last ended",
                        minute - last_end
                    );
                    blocks.push(Vec::new());
                    in_block = true;
                }
                blocks.last_mut().unwrap().push((minute, *id));
            }
            _ => {
                if in_block {
                    // Music resumes: the stop set ended now.
                    last_end = minute;
                    in_block = false;
                }
            }
        }
    }
    assert!(blocks.len() >= 5, "{} stop sets", blocks.len());
    for b in &blocks {
        let ids: Vec<u64> = b.iter().map(|x| x.1).collect();
        assert_eq!(ids.len(), 3, "ad, id, ad: {ids:?}");
        assert!(
            (100..104).contains(&ids[0])
                && (200..202).contains(&ids[1])
                && (100..104).contains(&ids[2])
        );
        assert_ne!(ids[0], ids[2], "no asset twice in a block");
    }
    // The rotator: every ad plays before any plays a third time.
    let mut ad_counts = std::collections::HashMap::new();
    for b in &blocks {
        for &(_, id) in b {
            *ad_counts.entry(id).or_insert(0) += 1;
        }
    }
    let ads: Vec<i32> = (100..104)
        .map(|a| ad_counts.get(&a).copied().unwrap_or(0))
        .collect();
    assert!(
        ads.iter().max().unwrap() - ads.iter().min().unwrap() <= 1,
        "{ads:?}"
    );
}

#[test]
fn weighted_stop_sets() {
    let mut all = tracks(1, 10, None);
    all.extend(tracks(100, 2, None));
    let lib = lib_of(&all);
    let settings = PickSettings {
        playlists: vec![Playlist::new("music", (1..=10).collect())],
        stopsets: Some(StopSetSettings {
            every: Duration::ZERO,
            sets: vec![
                StopSet {
                    name: "short".into(),
                    weight: 1,
                    categories: vec!["a".into()],
                },
                StopSet {
                    name: "long".into(),
                    weight: 4,
                    categories: vec!["b".into()],
                },
            ],
            categories: vec![
                Category {
                    name: "a".into(),
                    assets: vec![100],
                },
                Category {
                    name: "b".into(),
                    assets: vec![101],
                },
            ],
        }),
        no_repeat_tracks: 0,
        no_repeat_artists: 0,
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let mut long = 0;
    let mut sets = 0;
    for _ in 0..10_000 {
        if let PickKind::StopSet(name) = p.pick(monday(), &lib).unwrap().kind {
            sets += 1;
            if name == "long" {
                long += 1;
            }
        }
    }
    let share = f64::from(long) / f64::from(sets);
    assert!((share - 0.8).abs() < 0.03, "{long} of {sets}");
}

#[test]
fn an_undecodable_track_is_skipped_without_dead_air() {
    let clock = SimClock::new(monday());
    let lib: Arc<dyn Library> = Arc::new(library(
        &[
            (1, "A", "One", 20.0),
            (2, "B", "Broken", 20.0),
            (3, "C", "Three", 20.0),
        ],
        &[2],
    ));
    let mut settings = AutoDjSettings::default();
    settings.pick.playlists = vec![Playlist {
        order: Order::Sequential,
        ..Playlist::new("music", vec![1, 2, 3])
    }];
    settings.pick.no_repeat_tracks = 0;
    settings.pick.no_repeat_artists = 0;
    let (autodj, control) = AutoDj::new(lib, settings, Arc::new(clock.clone()));
    let mut h = Harbor::new(
        vec![Box::new(autodj), Box::new(Failsafe::tone())],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    let mut quiet_run = 0;
    let mut longest = 0;
    run(&mut h, &clock, 100.0, |_, b, h| {
        assert_eq!(h.on_air(), Some("autodj"));
        if b.peak() < 0.01 {
            quiet_run += 1;
            longest = longest.max(quiet_run);
        } else {
            quiet_run = 0;
        }
    });
    assert!(longest <= 1, "{longest} quiet blocks in a row");
    let played: Vec<u64> = control.history().iter().map(|p| p.track.id).collect();
    assert!(!played.contains(&2), "{played:?}");
    assert_eq!(&played[..4], &[1, 3, 1, 3]);
}

#[test]
fn an_empty_library_leaves_the_air_to_the_failsafe() {
    let clock = SimClock::new(monday());
    let lib: Arc<dyn Library> = Arc::new(library(&[], &[]));
    let (autodj, _) = AutoDj::new(lib, AutoDjSettings::default(), Arc::new(clock.clone()));
    let mut h = Harbor::new(
        vec![Box::new(autodj), Box::new(Failsafe::tone())],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    run(&mut h, &clock, 5.0, |_, b, h| {
        assert_eq!(h.on_air(), Some("failsafe"));
        assert!(b.peak() > 0.01, "the soft tone");
    });
}

#[test]
fn skip_moves_on_to_the_next_track() {
    let clock = SimClock::new(monday());
    let lib: Arc<dyn Library> = Arc::new(lib_of(&tracks(1, 5, None)));
    let mut settings = AutoDjSettings::default();
    settings.pick.playlists = vec![Playlist {
        order: Order::Sequential,
        ..Playlist::new("music", (1..=5).collect())
    }];
    let (autodj, control) = AutoDj::new(lib, settings, Arc::new(clock.clone()));
    let mut h = Harbor::new(
        vec![Box::new(autodj)],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    run(&mut h, &clock, 30.0, |_, _, _| {});
    control.skip();
    run(&mut h, &clock, 1.0, |_, _, _| {});
    let lines = log_lines(&h, monday());
    assert_eq!(
        lines.last().unwrap(),
        "00:00:30.000 [autodj] Artist 2 - Song 2"
    );
}

#[test]
fn shuffle_plays_every_track_once_per_round_and_sequential_keeps_list_order() {
    let lib = lib_of(&tracks(1, 10, None));
    let settings = PickSettings {
        playlists: vec![Playlist {
            order: Order::Shuffle,
            ..Playlist::new("music", (1..=10).collect())
        }],
        no_repeat_tracks: 0,
        no_repeat_artists: 0,
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let seq = picks(&mut p, &lib, 30, monday(), Duration::from_secs(180));
    let rounds: Vec<Vec<u64>> = seq
        .chunks(10)
        .map(|r| {
            let mut ids: Vec<u64> = r.iter().map(|s| s.1).collect();
            ids.sort();
            ids
        })
        .collect();
    for r in &rounds {
        assert_eq!(
            r,
            &(1..=10).collect::<Vec<u64>>(),
            "each round plays every track once"
        );
    }
    let orders: Vec<Vec<u64>> = seq
        .chunks(10)
        .map(|r| r.iter().map(|s| s.1).collect())
        .collect();
    assert_ne!(orders[0], orders[1], "a new order each round");
    assert_ne!(
        orders[0],
        (1..=10).collect::<Vec<u64>>(),
        "shuffled, not in list order"
    );

    let settings = PickSettings {
        playlists: vec![Playlist {
            order: Order::Sequential,
            ..Playlist::new("music", vec![5, 3, 9])
        }],
        no_repeat_tracks: 0,
        no_repeat_artists: 0,
        ..PickSettings::default()
    };
    let mut p = Picker::new(settings, monday());
    let seq: Vec<u64> = picks(&mut p, &lib, 7, monday(), Duration::from_secs(180))
        .iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(seq, [5, 3, 9, 5, 3, 9, 5]);
}

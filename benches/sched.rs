//! The cost of programming decisions: the Harbor's per-block choice, and an AutoDJ pick
//! over a 100,000-track library. `cargo bench --bench sched`; figures in README.md.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use radiopoint::core::{Block, Event, Pull, Source};
use radiopoint::sched::autodj::library::{MemoryLibrary, TrackInfo};
use radiopoint::sched::autodj::picker::{PickSettings, Picker};
use radiopoint::sched::autodj::rules::{Playlist, Rotation};
use radiopoint::sched::failsafe::Failsafe;
use radiopoint::sched::live::{Live, LiveSettings};
use radiopoint::sched::show::Shows;
use radiopoint::sched::{Harbor, HarborSettings, Input, SimClock, Time};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// An input that is always ready and writes nothing: only the Harbor's own work is left.
struct Ready;

impl Input for Ready {
    fn name(&self) -> &str {
        "autodj"
    }
    fn is_ready(&self, _: Time) -> bool {
        true
    }
    fn pull(&mut self, _: Time, _: &mut Block, _: &mut Vec<Event>) -> Pull {
        Pull::Audio
    }
}

fn harbor(c: &mut Criterion) {
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let clock = SimClock::new(start);
    let (shows, _) = Shows::files();
    let (live, _) = Live::new("live", LiveSettings::default());
    let mut h = Harbor::new(
        vec![
            Box::new(shows),
            Box::new(live),
            Box::new(Ready),
            Box::new(Failsafe::tone()),
        ],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    let (mut block, mut events) = (Block::silence(), Vec::new());
    c.bench_function("harbor_block_decision_4_inputs", |b| {
        b.iter(|| {
            events.clear();
            black_box(h.pull(&mut block, &mut events));
            clock.advance(Duration::from_millis(20));
        })
    });
}

fn autodj_pick(c: &mut Criterion) {
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let n = 100_000u64;
    let tracks: Vec<TrackInfo> = (1..=n)
        .map(|i| {
            TrackInfo::new(
                i,
                &format!("/music/{i}.mp3"),
                &format!("Artist {}", i % 5000),
                &format!("Song {i}"),
            )
        })
        .collect();
    let lib = MemoryLibrary::files(tracks);
    let settings = PickSettings {
        playlists: vec![
            Playlist {
                weight: 3,
                ..Playlist::new("a", (1..=60_000).collect())
            },
            Playlist {
                weight: 1,
                ..Playlist::new("b", (60_001..=n).collect())
            },
            Playlist {
                rotation: Rotation::EveryNSongs(4),
                ..Playlist::new("jingles", (1..=20).collect())
            },
        ],
        ..PickSettings::default()
    };
    let mut picker = Picker::new(settings, start);
    let mut t = start;
    c.bench_function("autodj_pick_100k_tracks", |b| {
        b.iter(|| {
            t += chrono::Duration::seconds(200);
            black_box(picker.pick(t, &lib))
        })
    });
}

criterion_group!(benches, harbor, autodj_pick);
criterion_main!(benches);

//! What the programming layer costs inside a station: one 20 ms block of a full station
//! (Harbor over shows, a live input, AutoDJ with crossfades, the failsafe → limiter → MP3
//! 128k) beside the same audio pulled straight from its source (→ limiter → MP3 128k).
//! The difference is the Harbor and scheduling's share of a station's CPU.
//! `cargo bench --bench station`; figures in README.md.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use radiopoint::core::encode::{Encoder, Mp3Encoder, Mp3Settings};
use radiopoint::core::limiter::{Limiter, LimiterSettings};
use radiopoint::core::{Block, Event, Metadata, Pull, Source};
use radiopoint::sched::autodj::library::{MemoryLibrary, TrackInfo};
use radiopoint::sched::autodj::rules::Playlist;
use radiopoint::sched::autodj::{AutoDj, AutoDjSettings};
use radiopoint::sched::failsafe::Failsafe;
use radiopoint::sched::live::{Live, LiveSettings};
use radiopoint::sched::show::Shows;
use radiopoint::sched::{Harbor, HarborSettings, SimClock};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// A 60-second track: two sines from a table (cheap, so the comparison is not drowned).
struct Track {
    meta: Option<Metadata>,
    left: usize,
    n: usize,
    table: Arc<Vec<f32>>,
}

impl Source for Track {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if self.left == 0 {
            return Pull::End;
        }
        if let Some(m) = self.meta.take() {
            events.push(Event::TrackStart(m));
        }
        for f in block.samples_mut().chunks_exact_mut(2) {
            let v = self.table[self.n % self.table.len()];
            f[0] = v;
            f[1] = v;
            self.n += 1;
        }
        self.left -= 1;
        Pull::Audio
    }
}

fn table() -> Arc<Vec<f32>> {
    Arc::new(
        (0..48_000)
            .map(|i| {
                let t = i as f32 / 48_000.0;
                0.3 * (std::f32::consts::TAU * 220.0 * t).sin()
                    + 0.1 * (std::f32::consts::TAU * 1375.0 * t).sin()
            })
            .collect(),
    )
}

fn encode_block(limiter: &mut Limiter, enc: &mut Mp3Encoder, block: &mut Block) {
    let mut chunks = Vec::new();
    limiter.process(block);
    enc.encode(block, &mut chunks).expect("encodes");
    black_box(chunks);
}

fn station(c: &mut Criterion) {
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let clock = SimClock::new(start);
    let tab = table();
    let tracks = (1..=20).map(|i| {
        let mut t = TrackInfo::new(i, "mem", &format!("Artist {i}"), &format!("Song {i}"));
        t.duration = Some(Duration::from_secs(60));
        t
    });
    let t2 = tab.clone();
    let library = Arc::new(MemoryLibrary::with_opener(
        tracks,
        Arc::new(move |t: &TrackInfo| {
            Ok(Box::new(Track {
                meta: Some(t.metadata.clone()),
                left: 3000,
                n: 0,
                table: t2.clone(),
            }) as Box<dyn Source>)
        }),
    ));
    let mut settings = AutoDjSettings::default();
    settings.pick.playlists = vec![Playlist::new("all", (1..=20).collect())];
    let (autodj, _control) = AutoDj::new(library, settings, Arc::new(clock.clone()));
    let (shows, _) = Shows::files();
    let (live, _) = Live::new("live", LiveSettings::default());
    let mut harbor = Harbor::new(
        vec![
            Box::new(shows),
            Box::new(live),
            Box::new(autodj),
            Box::new(Failsafe::tone()),
        ],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    let mut limiter = Limiter::new(LimiterSettings::broadcast());
    let mut enc = Mp3Encoder::new(Mp3Settings::default()).expect("LAME");
    let (mut block, mut events) = (Block::silence(), Vec::new());
    c.bench_function("station_block_full", |b| {
        b.iter(|| {
            events.clear();
            harbor.pull(&mut block, &mut events);
            encode_block(&mut limiter, &mut enc, &mut block);
            clock.advance(Duration::from_millis(20));
        })
    });
    let mut direct = Track {
        meta: None,
        left: usize::MAX,
        n: 0,
        table: tab,
    };
    let mut limiter = Limiter::new(LimiterSettings::broadcast());
    let mut enc = Mp3Encoder::new(Mp3Settings::default()).expect("LAME");
    c.bench_function("station_block_bare", |b| {
        b.iter(|| {
            events.clear();
            direct.pull(&mut block, &mut events);
            encode_block(&mut limiter, &mut enc, &mut block);
        })
    });
}

criterion_group!(benches, station);
criterion_main!(benches);

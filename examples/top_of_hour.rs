//! A station ID at the top of every hour, over AutoDJ — custom harbor logic in Rust.
//!
//! ```sh
//! cargo run --release --example top_of_hour -- --hours 3
//! ```
//! Runs offline under the simulated clock (hours of programming in seconds) and prints the
//! on-air log: one line per transition or track start, with its simulated time.
//!
//! The station ID is an [`Input`] of our own: ready from hh:00:00 until its jingle has
//! played. It sits above AutoDJ, so the Harbor cuts AutoDJ's track (a short fade) and, the
//! jingle over, AutoDJ comes back with a fresh track.

use chrono::{TimeZone, Timelike, Utc};
use radiopoint::core::source::MemorySource;
use radiopoint::core::{Block, Event, Metadata, Pull, Source};
use radiopoint::sched::autodj::library::{MemoryLibrary, TrackInfo};
use radiopoint::sched::autodj::rules::Playlist;
use radiopoint::sched::autodj::{AutoDj, AutoDjSettings};
use radiopoint::sched::failsafe::Failsafe;
use radiopoint::sched::{Clock, Harbor, HarborSettings, Input, SimClock, Time};
use std::sync::Arc;
use std::time::Duration;

/// `seconds` of a tone at `hz` (level 0.2), stereo 48 kHz.
fn tone(seconds: f64, hz: f64) -> Arc<[f32]> {
    let n = (seconds * 48_000.0) as usize;
    (0..n)
        .flat_map(|i| {
            let v = (std::f64::consts::TAU * hz * i as f64 / 48_000.0).sin() as f32 * 0.2;
            [v, v]
        })
        .collect()
}

/// Plays its jingle once at the top of every hour.
struct TopOfHour {
    jingle: Arc<[f32]>,
    playing: Option<MemorySource>,
    /// The hour whose ID has been played.
    done_hour: Option<i64>,
}

impl Input for TopOfHour {
    fn name(&self) -> &str {
        "station-id"
    }

    fn tick(&mut self, now: Time) {
        let hour = now.timestamp().div_euclid(3600);
        if self.playing.is_none() && now.minute() == 0 && self.done_hour != Some(hour) {
            self.done_hour = Some(hour);
            let meta = Metadata {
                title: Some(format!("Station ID {:02}:00", now.hour())),
                ..Default::default()
            };
            self.playing = Some(MemorySource::new(self.jingle.clone(), meta));
        }
    }

    fn is_ready(&self, _now: Time) -> bool {
        self.playing.is_some()
    }

    fn pull(&mut self, _now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        let Some(src) = &mut self.playing else {
            return Pull::End;
        };
        let pulled = src.pull(block, events);
        if pulled == Pull::End {
            self.playing = None;
        }
        pulled
    }

    fn transition(&self) -> Option<Duration> {
        // The ID ends on its own; no fade needed when AutoDJ takes over.
        Some(Duration::ZERO)
    }
}

fn main() {
    let mut hours = 3.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--hours", Some(h)) => match h.parse::<f64>() {
                Ok(h) if h > 0.0 && h <= 24.0 * 7.0 => hours = h,
                _ => {
                    eprintln!("top_of_hour: --hours takes a number of hours (0 to 168)");
                    std::process::exit(2);
                }
            },
            _ => {
                eprintln!("usage: top_of_hour [--hours N]");
                std::process::exit(2);
            }
        }
    }
    // 20:47 UTC, so the first ID comes after a few songs.
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 20, 47, 0).unwrap();
    let clock = SimClock::new(start);
    // Twelve generated songs of 3–5 minutes by six artists.
    let songs: Vec<(TrackInfo, Arc<[f32]>)> = (1..=12u64)
        .map(|i| {
            let mut t = TrackInfo::new(
                i,
                &format!("gen:{i}"),
                &format!("Artist {}", (i - 1) % 6 + 1),
                &format!("Song {i}"),
            );
            let secs = 180.0 + 10.0 * (i as f64 * 7.0 % 13.0);
            t.duration = Some(Duration::from_secs_f64(secs));
            (t, tone(secs, 200.0 + 30.0 * i as f64))
        })
        .collect();
    let audio: std::collections::HashMap<u64, Arc<[f32]>> =
        songs.iter().map(|(t, a)| (t.id, a.clone())).collect();
    let library = MemoryLibrary::with_opener(
        songs.into_iter().map(|(t, _)| t),
        Arc::new(move |t: &TrackInfo| {
            Ok(
                Box::new(MemorySource::new(audio[&t.id].clone(), t.metadata.clone()))
                    as Box<dyn Source>,
            )
        }),
    );
    let mut settings = AutoDjSettings::default();
    settings.pick.playlists = vec![Playlist::new("music", (1..=12).collect())];
    settings.pick.no_repeat_tracks = 6;
    settings.pick.no_repeat_artists = 3;
    let (autodj, _control) = AutoDj::new(Arc::new(library), settings, Arc::new(clock.clone()));
    let id = TopOfHour {
        jingle: tone(6.0, 880.0),
        playing: None,
        done_hour: None,
    };
    let mut harbor = Harbor::new(
        vec![Box::new(id), Box::new(autodj), Box::new(Failsafe::tone())],
        Arc::new(clock.clone()),
        HarborSettings {
            transition: Duration::from_millis(500),
            ..HarborSettings::default()
        },
    );
    let blocks = (hours * 3600.0 / 0.02).round() as u64;
    let (mut block, mut events) = (Block::silence(), Vec::new());
    let started = std::time::Instant::now();
    for _ in 0..blocks {
        events.clear();
        harbor.pull(&mut block, &mut events);
        for entry in harbor.take_log() {
            println!("{entry}");
        }
        clock.advance(Duration::from_millis(20));
    }
    let took = started.elapsed().as_secs_f64();
    eprintln!(
        "simulated {hours} h (to {}) in {took:.2} s: {:.0}× real time",
        clock.now().format("%H:%M"),
        hours * 3600.0 / took.max(1e-9)
    );
}

//! The demo station: what `radiopoint` plays with no config, so a fresh install has
//! something to listen to at `/demo.mp3` with no media at all.
//!
//! It is a station like any configured one (radio-station): a Harbor over shows, a live
//! input, AutoDJ (eight generated songs, crossfaded, with anti-repeat) and the failsafe
//! tone; the limiter; MP3 and Opus encoders; titles to ICY, Ogg, status and now-playing.
//! A DJ goes live on it at `/demo-live` as `dj` with the server's source password.

use crate::config::{LiveSpec, OutputSpec, StationSpec};
use crate::host::build::Music;
use radio_core::{Block, Event, Metadata, Pull, Source};
use radio_sched::autodj::library::{MemoryLibrary, TrackInfo};
use radio_sched::autodj::rules::Playlist;
use radio_station::Format;
use std::sync::Arc;
use std::time::Duration;

/// The demo's mount.
pub const MOUNT: &str = "/demo.mp3";
/// The demo's Opus mount.
pub const OPUS_MOUNT: &str = "/demo.opus";
/// Where DJs go live on the demo.
pub const LIVE_MOUNT: &str = "/demo-live";
/// The demo DJ's user name (the password is the server's source password).
pub const DJ: &str = "dj";

/// The demo station: AutoDJ of eight generated songs on `/demo.mp3` (MP3 128k) and
/// `/demo.opus` (Opus 96k), and a live input at `/demo-live`.
pub fn spec() -> StationSpec {
    let mut spec = StationSpec::autodj("demo", MOUNT, Vec::new());
    spec.display_name = "radiopoint demo".into();
    spec.description = Some("Generated music from radiopoint's own AutoDJ".into());
    spec.genre = Some("Demo".into());
    spec.requests = true;
    spec.outputs.push(OutputSpec {
        mount: OPUS_MOUNT.into(),
        format: Format::opus(96),
    });
    spec.live = Some(LiveSpec {
        mount: LIVE_MOUNT.into(),
        shoutcast_port: None,
        record: None,
        entry_grace: Duration::ZERO,
        exit_grace: Duration::ZERO,
    });
    spec
}

/// The demo's music: the generated library, one playlist of it.
pub fn music() -> Music {
    Music::Memory(
        Arc::new(library()),
        vec![Playlist::new("demo", (1..=SONGS).collect())],
    )
}

/// Songs in the demo library.
const SONGS: u64 = 8;

/// Eight generated songs, 100 to 170 s long.
fn library() -> MemoryLibrary {
    let names = [
        "Morning Light",
        "Harbor Lights",
        "Slow Tide",
        "Night Bus",
        "Paper Kites",
        "Open Window",
        "Last Ferry",
        "Static Bloom",
    ];
    let tracks = (1..=SONGS).map(|i| {
        let mut t = TrackInfo::new(i, "generated", "radiopoint", names[(i - 1) as usize]);
        t.duration = Some(Duration::from_secs(100 + 10 * i));
        t
    });
    MemoryLibrary::with_opener(
        tracks,
        Arc::new(|t: &TrackInfo| {
            let secs = t.duration.map_or(120, |d| d.as_secs());
            Ok(Box::new(Song::new(t.id, secs, t.metadata.clone())) as Box<dyn Source>)
        }),
    )
}

/// A generated song: a pentatonic melody over a bass line, notes with soft attacks and
/// decays; key and tempo depend on the song.
struct Song {
    meta: Option<Metadata>,
    frame: u64,
    frames: u64,
    root: f64,
    beat: u64,
    melody: Vec<u32>,
}

impl Song {
    fn new(id: u64, seconds: u64, meta: Metadata) -> Song {
        let mut x = id.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let melody = (0..16)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 6) as u32
            })
            .collect();
        let bpm = 84 + 6 * id;
        Song {
            meta: Some(meta),
            frame: 0,
            frames: seconds * 48_000,
            root: 196.0 * 2f64.powf((id % 5) as f64 * 2.0 / 12.0),
            beat: 48_000 * 60 / bpm,
            melody,
        }
    }

    fn sample(&self, n: u64) -> f32 {
        const STEPS: [f64; 6] = [0.0, 2.0, 4.0, 7.0, 9.0, 12.0];
        let beat = n / self.beat;
        let t_in = (n % self.beat) as f64 / 48_000.0;
        let note = self.melody[(beat % self.melody.len() as u64) as usize] as usize;
        let f = self.root * 2f64.powf(STEPS[note] / 12.0);
        let env = (t_in * 200.0).min(1.0) * (-t_in * 3.0).exp();
        let t = n as f64 / 48_000.0;
        let tau = std::f64::consts::TAU;
        let lead = ((tau * f * t).sin() + 0.3 * (tau * 2.0 * f * t).sin()) * env;
        let bar = beat / 4;
        let bass_f = self.root / 2.0
            * if bar.is_multiple_of(2) {
                1.0
            } else {
                2f64.powf(5.0 / 12.0)
            };
        let bass = (tau * bass_f * t).sin() * 0.5;
        // Fade the song's first and last second in and out.
        let edge = (n.min(self.frames - n) as f64 / 48_000.0).min(1.0);
        ((lead * 0.25 + bass * 0.2) * edge) as f32
    }
}

impl Source for Song {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if self.frame >= self.frames {
            return Pull::End;
        }
        if let Some(m) = self.meta.take() {
            events.push(Event::TrackStart(m));
        }
        for frame in block.samples_mut().chunks_exact_mut(2) {
            let v = if self.frame < self.frames {
                self.sample(self.frame)
            } else {
                0.0
            };
            frame[0] = v;
            frame[1] = v;
            self.frame += 1;
        }
        Pull::Audio
    }
}

//! Shared helpers: a simulated clock, scripted inputs and generated tracks.

use chrono::{DateTime, TimeZone, Utc};
use radio_core::{Block, Event, Pull, Source};
use radio_sched::autodj::library::{MemoryLibrary, TrackInfo};
use radio_sched::{Harbor, Input, LogEntry, SimClock, Time};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Monday 2 March 2026, 00:00 UTC.
pub fn monday() -> Time {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

pub fn at(s: &str) -> Time {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub const BLOCK: Duration = Duration::from_millis(20);

/// Pulls one block from the Harbor, then moves the clock on by one block.
pub fn step(harbor: &mut Harbor, clock: &SimClock, block: &mut Block) -> Vec<Event> {
    let mut events = Vec::new();
    assert_eq!(harbor.pull(block, &mut events), Pull::Audio);
    clock.advance(BLOCK);
    events
}

/// Runs the Harbor for `seconds`, calling `each` with every block and its start time.
pub fn run(
    harbor: &mut Harbor,
    clock: &SimClock,
    seconds: f64,
    mut each: impl FnMut(Time, &Block, &Harbor),
) {
    let blocks = (seconds / 0.02).round() as u64;
    let mut block = Block::silence();
    for _ in 0..blocks {
        let t = radio_sched::Clock::now(clock);
        step(harbor, clock, &mut block);
        each(t, &block, harbor);
    }
}

/// A constant level on both channels (easy to follow through fades and mixes).
#[derive(Clone)]
pub struct Const {
    pub name: &'static str,
    pub level: f32,
    pub ready: Arc<AtomicBool>,
    pub transition: Option<Duration>,
}

impl Const {
    pub fn new(name: &'static str, level: f32, ready: bool) -> Const {
        Const {
            name,
            level,
            ready: Arc::new(AtomicBool::new(ready)),
            transition: None,
        }
    }
}

impl Input for Const {
    fn name(&self) -> &str {
        self.name
    }
    fn is_ready(&self, _now: Time) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
    fn pull(&mut self, _now: Time, block: &mut Block, _e: &mut Vec<Event>) -> Pull {
        block.samples_mut().fill(self.level);
        Pull::Audio
    }
    fn transition(&self) -> Option<Duration> {
        self.transition
    }
}

/// A scripted live feed: segments of sound (a 440 Hz tone at −20 dBFS) or silence, then
/// the end of the connection. Counts its pulls.
pub struct Script {
    segments: Vec<(bool, u64)>,
    at: usize,
    done_in_segment: u64,
    phase: u64,
    pub pulls: Arc<AtomicU64>,
    ends: bool,
}

impl Script {
    pub fn new() -> Script {
        Script {
            segments: Vec::new(),
            at: 0,
            done_in_segment: 0,
            phase: 0,
            pulls: Arc::new(AtomicU64::new(0)),
            ends: true,
        }
    }
    fn blocks(seconds: f64) -> u64 {
        (seconds / 0.02).round() as u64
    }
    pub fn sound(mut self, seconds: f64) -> Script {
        self.segments.push((true, Self::blocks(seconds)));
        self
    }
    pub fn silence(mut self, seconds: f64) -> Script {
        self.segments.push((false, Self::blocks(seconds)));
        self
    }
    /// Sound for ever after the segments (no end).
    pub fn then_sound_forever(mut self) -> Script {
        self.segments.push((true, u64::MAX));
        self.ends = false;
        self
    }
}

pub fn tone_into(block: &mut Block, phase: &mut u64, level: f32) {
    for frame in block.samples_mut().chunks_exact_mut(2) {
        let v = (std::f64::consts::TAU * 440.0 * *phase as f64 / 48_000.0).sin() as f32 * level;
        frame[0] = v;
        frame[1] = v;
        *phase += 1;
    }
}

impl Source for Script {
    fn pull(&mut self, block: &mut Block, _e: &mut Vec<Event>) -> Pull {
        while self.at < self.segments.len() && self.done_in_segment >= self.segments[self.at].1 {
            self.at += 1;
            self.done_in_segment = 0;
        }
        let Some(&(sound, _)) = self.segments.get(self.at) else {
            return Pull::End;
        };
        self.pulls.fetch_add(1, Ordering::SeqCst);
        self.done_in_segment += 1;
        if sound {
            tone_into(block, &mut self.phase, 0.1);
        } else {
            block.clear();
        }
        Pull::Audio
    }
}

/// One block of a tone whose period divides the block (`hz` a multiple of 50), so blocks
/// repeat exactly: long tones are built by copying it, fast even in a debug build.
pub fn tone_block(hz: u32, level: f32) -> Vec<f32> {
    assert_eq!(hz % 50, 0, "a whole number of periods per 20 ms block");
    (0..960)
        .flat_map(|i| {
            let v = (std::f64::consts::TAU * f64::from(hz) * f64::from(i) / 48_000.0).sin() as f32
                * level;
            [v, v]
        })
        .collect()
}

/// A generated track: one repeating tone block for a whole number of blocks, announced
/// with its metadata. Costs a copy per block and no memory per second of audio.
pub struct ToneSource {
    block: Arc<[f32]>,
    left: u64,
    metadata: Option<radio_core::Metadata>,
}

impl ToneSource {
    pub fn new(block: Arc<[f32]>, seconds: f64, metadata: radio_core::Metadata) -> ToneSource {
        ToneSource {
            block,
            left: (seconds / 0.02).round() as u64,
            metadata: Some(metadata),
        }
    }
}

impl Source for ToneSource {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if self.left == 0 {
            return Pull::End;
        }
        self.left -= 1;
        if let Some(m) = self.metadata.take() {
            events.push(Event::TrackStart(m));
        }
        block.samples_mut().copy_from_slice(&self.block);
        Pull::Audio
    }
}

/// A library of generated tracks: `(id, artist, title, seconds)`; ids listed in `broken`
/// fail to open. Tracks of equal length share their audio.
pub fn library(tracks: &[(u64, &str, &str, f64)], broken: &[u64]) -> MemoryLibrary {
    let infos: Vec<TrackInfo> = tracks
        .iter()
        .map(|&(id, artist, title, secs)| {
            let mut t = TrackInfo::new(id, &format!("mem:{id}"), artist, title);
            t.duration = Some(Duration::from_secs_f64(secs));
            t
        })
        .collect();
    let broken: Vec<u64> = broken.to_vec();
    let block: Arc<[f32]> = tone_block(350, 0.25).into();
    MemoryLibrary::with_opener(
        infos,
        Arc::new(move |t: &TrackInfo| {
            if broken.contains(&t.id) {
                return Err(radio_sched::Error::Config(format!(
                    "track {} is broken",
                    t.id
                )));
            }
            let secs = t.duration.unwrap().as_secs_f64();
            Ok(
                Box::new(ToneSource::new(block.clone(), secs, t.metadata.clone()))
                    as Box<dyn Source>,
            )
        }),
    )
}

/// `at` relative to `start`, as HH:MM:SS.mmm.
pub fn since(start: Time, at: Time) -> String {
    let ms = (at - start).num_milliseconds();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The on-air log as text lines, times relative to `start` (HH:MM:SS.mmm).
pub fn log_lines(harbor: &Harbor, start: Time) -> Vec<String> {
    harbor
        .log()
        .map(|e| {
            let (t, rest) = match e {
                LogEntry::Transition {
                    at,
                    from,
                    to,
                    reason,
                } => (
                    *at,
                    format!(
                        "{} -> {} ({reason})",
                        from.as_deref().unwrap_or("-"),
                        to.as_deref().unwrap_or("-")
                    ),
                ),
                LogEntry::Track {
                    at,
                    input,
                    metadata,
                } => (*at, format!("[{input}] {}", metadata.display())),
            };
            format!("{} {rest}", since(start, t))
        })
        .collect()
}

/// Writes a 48 kHz stereo 16-bit WAV file of the given interleaved samples.
pub fn write_wav(path: &std::path::Path, samples: &[f32]) {
    std::fs::write(path, radio_core::wav::wav16(48_000, 2, samples)).unwrap();
}

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "radio-sched-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

//! Crossfades between consecutive tracks, sample-accurate.
//!
//! The crossfader keeps the current track's last `fade_out` seconds buffered ahead of
//! what it plays, so when the track ends it knows exactly where its end is (no reliance
//! on a duration tag). Then:
//! - **cue points**: trailing silence of the old track and leading silence of the new one
//!   (below a threshold, up to a limit) are cut, so nothing sits in dead air;
//! - **overlap**: the old track's last `fade_out` frames fade out while the new one fades
//!   in over `fade_in` frames from its first frame; per-track overrides win;
//! - **smart mode** looks at the levels on each side: both quiet → full overlap; new one
//!   louder → fade the old one out only; old one louder → fade the new one in only;
//!   otherwise the old one fades out completely before the new one starts;
//! - **short tracks are never swallowed**: the overlap is at most half of either track.

use crate::block::{BLOCK_SAMPLES, Block, CHANNELS};
use crate::fade::{Curve, Direction, Fader, mix_into};
use crate::source::{Event, Pull, Source};
use crate::units::{Db, Frames, SampleRate};
use std::collections::VecDeque;

/// Samples queued in order: appended at the back, consumed from the front, without
/// moving the rest on every read.
#[derive(Default)]
struct Fifo {
    buf: Vec<f32>,
    start: usize,
}

impl Fifo {
    fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn as_slice(&self) -> &[f32] {
        &self.buf[self.start..]
    }

    fn extend_from_slice(&mut self, s: &[f32]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            // Compact once the consumed part is at least half: amortised O(1).
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(s);
    }

    /// Drops the first `n` samples.
    fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    fn truncate(&mut self, len: usize) {
        self.buf.truncate(self.start + len);
    }

    /// Takes everything out.
    fn take_all(&mut self) -> Vec<f32> {
        let v = self.as_slice().to_vec();
        self.buf.clear();
        self.start = 0;
        v
    }
}
use std::time::Duration;

/// How consecutive tracks are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Always overlap the fade-out and the fade-in.
    #[default]
    Normal,
    /// Decide from the levels at the join (Liquidsoap's "smart crossfade").
    Smart,
}

/// Cutting leading and trailing silence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CueSettings {
    /// Below this level (peak of a frame, dBFS) a frame is silence.
    pub threshold: Db,
    /// The most silence cut at either end.
    pub max: Duration,
}

impl Default for CueSettings {
    fn default() -> Self {
        CueSettings {
            threshold: Db(-50.0),
            max: Duration::from_secs(10),
        }
    }
}

/// Crossfade settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossfadeSettings {
    /// Fade-out of the ending track.
    pub fade_out: Duration,
    /// Fade-in of the starting track.
    pub fade_in: Duration,
    /// Fade shape.
    pub curve: Curve,
    /// Normal or smart.
    pub mode: Mode,
    /// Silence trimming (`None`: off).
    pub cue: Option<CueSettings>,
}

impl Default for CrossfadeSettings {
    fn default() -> Self {
        CrossfadeSettings {
            fade_out: Duration::from_secs(3),
            fade_in: Duration::from_secs(3),
            curve: Curve::EqualPower,
            mode: Mode::Normal,
            cue: Some(CueSettings::default()),
        }
    }
}

/// A track to play, with optional per-track fades.
pub struct Track {
    /// Its audio.
    pub source: Box<dyn Source>,
    /// Overrides the fade-in.
    pub fade_in: Option<Duration>,
    /// Overrides the fade-out.
    pub fade_out: Option<Duration>,
}

impl Track {
    /// A track with the default fades.
    pub fn new(source: Box<dyn Source>) -> Track {
        Track {
            source,
            fade_in: None,
            fade_out: None,
        }
    }
}

/// Supplies tracks one after another (AutoDJ, a playlist, a test).
pub trait Tracks: Send {
    /// The next track, or `None` when there is nothing more to play.
    fn next_track(&mut self) -> Option<Track>;
}

impl<I: Iterator<Item = Track> + Send> Tracks for I {
    fn next_track(&mut self) -> Option<Track> {
        self.next()
    }
}

fn frames(d: Duration) -> usize {
    Frames::from_seconds(d.as_secs_f64(), SampleRate(48_000)).0 as usize
}

/// A track being played: its source and the audio read ahead of what was output.
struct Playing {
    source: Box<dyn Source>,
    ahead: Fifo,
    events: Vec<Event>,
    ended: bool,
    fade_out: usize,
    /// Frames of this track already moved to the output.
    played: usize,
    /// With cue points on: the silence threshold, and how many frames at the end of
    /// `ahead` are silent (kept back: they may be trailing silence to cut).
    threshold: Option<f32>,
    silent_tail: usize,
}

impl Playing {
    fn ahead_frames(&self) -> usize {
        self.ahead.len() / CHANNELS
    }

    /// Reads until `frames` are ahead or the source ends.
    fn read_ahead(&mut self, frames: usize, block: &mut Block) {
        while !self.ended && self.ahead_frames() < frames {
            if self.source.pull(block, &mut self.events) == Pull::Audio {
                self.ahead.extend_from_slice(block.samples());
                if let Some(t) = self.threshold {
                    let trailing = block
                        .samples()
                        .chunks_exact(CHANNELS)
                        .rev()
                        .take_while(|f| silent(f, t))
                        .count();
                    if trailing == crate::block::BLOCK_FRAMES {
                        self.silent_tail += trailing;
                    } else {
                        self.silent_tail = trailing;
                    }
                }
            } else {
                self.ended = true;
            }
        }
    }
}

/// Plays [`Tracks`] with crossfades; a [`Source`] itself.
pub struct Crossfader<T: Tracks> {
    tracks: T,
    settings: CrossfadeSettings,
    current: Option<Playing>,
    /// Mixed audio ready to output.
    out: Fifo,
    /// Samples output so far (positions of `marks` count from the start).
    taken: usize,
    /// Events and the output sample position where they take effect.
    marks: VecDeque<(usize, Event)>,
    scratch: Block,
    finished: bool,
}

impl<T: Tracks> std::fmt::Debug for Crossfader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crossfader")
            .field("settings", &self.settings)
            .finish()
    }
}

/// RMS level of interleaved samples in dBFS.
fn level_db(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return f32::NEG_INFINITY;
    }
    let ms = samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32;
    10.0 * ms.log10()
}

fn silent(frame: &[f32], threshold: f32) -> bool {
    frame.iter().all(|s| s.abs() < threshold)
}

impl<T: Tracks> Crossfader<T> {
    /// A crossfader over `tracks`.
    pub fn new(tracks: T, settings: CrossfadeSettings) -> Crossfader<T> {
        Crossfader {
            tracks,
            settings,
            current: None,
            out: Fifo::default(),
            taken: 0,
            marks: VecDeque::new(),
            scratch: Block::silence(),
            finished: false,
        }
    }

    /// The output position just after what is queued.
    fn out_end(&self) -> usize {
        self.taken + self.out.len()
    }

    fn mark_events(&mut self, at: usize, events: &mut Vec<Event>) {
        for e in events.drain(..) {
            self.marks.push_back((at, e));
        }
    }

    /// Starts a track: cuts leading silence, reads `at_least` frames (and enough for its
    /// own fade-in). Returns it with its fade-in length.
    fn start(&mut self, track: Track, at_least: usize) -> (Playing, usize) {
        let fade_in = frames(track.fade_in.unwrap_or(self.settings.fade_in));
        let fade_out = frames(track.fade_out.unwrap_or(self.settings.fade_out));
        let mut p = Playing {
            source: track.source,
            ahead: Fifo::default(),
            events: Vec::new(),
            ended: false,
            fade_out,
            played: 0,
            threshold: self.settings.cue.map(|c| c.threshold.to_linear()),
            silent_tail: 0,
        };
        if let Some(cue) = self.settings.cue {
            let threshold = cue.threshold.to_linear();
            let max = frames(cue.max);
            let mut cut = 0;
            while cut < max {
                p.read_ahead(1, &mut self.scratch);
                let first = &p.ahead.as_slice()[..p.ahead.len().min(CHANNELS)];
                if first.len() < CHANNELS || !silent(first, threshold) {
                    break;
                }
                p.ahead.consume(CHANNELS);
                cut += 1;
            }
        }
        p.read_ahead(
            at_least.max(fade_in) + crate::block::BLOCK_FRAMES,
            &mut self.scratch,
        );
        (p, fade_in)
    }

    /// The current track has ended: join its tail to the next track.
    fn join(&mut self) {
        let mut old = self.current.take().expect("join needs a track");
        if let Some(cue) = self.settings.cue {
            // Cue-out: drop trailing silence.
            let threshold = cue.threshold.to_linear();
            let max = frames(cue.max);
            let mut cut = 0;
            while cut < max && old.ahead_frames() > 0 {
                let n = old.ahead.len();
                if !silent(&old.ahead.as_slice()[n - CHANNELS..], threshold) {
                    break;
                }
                old.ahead.truncate(n - CHANNELS);
                cut += 1;
            }
        }
        let mut tail = old.ahead.take_all();
        let a = tail.len() / CHANNELS;
        let old_len = old.played + a;
        let Some(next) = self.tracks.next_track() else {
            self.out.extend_from_slice(&tail);
            return;
        };
        let (mut new, fade_in) = self.start(next, old.fade_out);
        let mut head = new.ahead.take_all();
        let b = head.len() / CHANNELS;
        // Never more than half of either track: a short track is heard, not swallowed.
        let mut overlap = old.fade_out.min(a).min(old_len / 2);
        if new.ended {
            overlap = overlap.min(b / 2);
        }
        let mut fade_out_len = overlap;
        let mut fade_in_len = fade_in.min(b);
        if self.settings.mode == Mode::Smart {
            let old_level = level_db(&tail[(a - overlap) * CHANNELS..]);
            let new_level = level_db(&head[..overlap.max(1).min(b) * CHANNELS]);
            const QUIET: f32 = -32.0;
            const MARGIN: f32 = 4.0;
            if old_level < QUIET && new_level < QUIET {
                // Both quiet: a full crossfade.
            } else if new_level > old_level + MARGIN {
                fade_in_len = 0;
            } else if old_level > new_level + MARGIN {
                fade_out_len = 0;
            } else {
                // Comparable levels: fade the old one out, then start the new one.
                fade_out_len = old.fade_out.min(a).min(old_len / 2);
                overlap = 0;
            }
        }
        Fader::new(self.settings.curve, Direction::Out, fade_out_len as u64)
            .apply(&mut tail[(a - fade_out_len) * CHANNELS..]);
        Fader::new(self.settings.curve, Direction::In, fade_in_len as u64)
            .apply(&mut head[..fade_in_len * CHANNELS]);
        let split = (a - overlap) * CHANNELS;
        self.out.extend_from_slice(&tail[..split]);
        let new_starts = self.out_end();
        mix_into(&mut tail[split..], &head[..overlap * CHANNELS]);
        self.out.extend_from_slice(&tail[split..]);
        self.out.extend_from_slice(&head[overlap * CHANNELS..]);
        self.mark_events(new_starts, &mut new.events);
        new.played = b;
        self.current = Some(new);
    }
}

impl<T: Tracks> Source for Crossfader<T> {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        loop {
            if self.out.len() >= BLOCK_SAMPLES || (self.finished && !self.out.is_empty()) {
                let n = self.out.len().min(BLOCK_SAMPLES);
                let samples = block.samples_mut();
                samples[..n].copy_from_slice(&self.out.as_slice()[..n]);
                self.out.consume(n);
                samples[n..].fill(0.0);
                let end = self.taken + BLOCK_SAMPLES;
                while self.marks.front().is_some_and(|(at, _)| *at < end) {
                    events.push(self.marks.pop_front().expect("checked").1);
                }
                self.taken = end;
                return Pull::Audio;
            }
            if self.finished {
                return Pull::End;
            }
            match &mut self.current {
                None => match self.tracks.next_track() {
                    None => self.finished = true,
                    Some(track) => {
                        let (mut p, _) = self.start(track, 0);
                        let at = self.out_end();
                        self.mark_events(at, &mut p.events);
                        self.current = Some(p);
                    }
                },
                Some(p) => {
                    // Keep the fade-out's worth of audio ahead of the output, and any
                    // silence after it (up to the cue limit): it may be the track's end.
                    let max_cut = self.settings.cue.map_or(0, |c| frames(c.max));
                    let keep = |p: &Playing| p.fade_out + p.silent_tail.min(max_cut);
                    let want = keep(p) + crate::block::BLOCK_FRAMES;
                    p.read_ahead(want, &mut self.scratch);
                    if p.ended {
                        self.join();
                        if self.current.is_none() {
                            self.finished = true;
                        }
                    } else {
                        let movable = p.ahead_frames().saturating_sub(keep(p)) * CHANNELS;
                        p.played += movable / CHANNELS;
                        self.out.extend_from_slice(&p.ahead.as_slice()[..movable]);
                        p.ahead.consume(movable);
                        let at = self.taken + self.out.len();
                        let mut ev = std::mem::take(&mut p.events);
                        self.mark_events(at, &mut ev);
                    }
                }
            }
        }
    }
}

//! A live input: a DJ's connection, decoded (by `radio_core::live::LiveInput` or any
//! [`Source`]), with silence detection, a short play-out buffer and a kick-off time.
//!
//! - Not on air until the first block above the silence threshold (a DJ who connects and
//!   sends silence never takes the air).
//! - Silence for `silence.duration` (default 15 s at −40 dBFS) makes it not ready: the
//!   Harbor fades to the next input. Sound coming back makes it ready again.
//! - The connection is drained every block whether the input is heard or not, so an
//!   inaudible DJ never makes anything grow.
//! - An abrupt disconnect plays out the buffered 80 ms with a fade to zero: no click
//!   (the input runs `buffer_blocks` − 1 blocks behind its connection for this).
//! - A DJ with a kick-off time (the end of their calendar slot plus grace) is disconnected
//!   on the first block at or after it; the kick is reported for the host to close the
//!   connection, and reconnecting is the authoriser's call (it refuses past the slot).

use crate::clock::Time;
use crate::input::Input;
use radio_core::agc::{Agc, AgcSettings};
use radio_core::fade::{Curve, Direction, Fader};
use radio_core::silence::{SilenceDetector, SilenceSettings};
use radio_core::{BLOCK_FRAMES, Block, Event, Pull, Source};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// Live input settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveSettings {
    /// Silence threshold and timeout (−40 dBFS, 15 s).
    pub silence: SilenceSettings,
    /// Blocks held back (the play-out on disconnect): 5 = 100 ms.
    pub buffer_blocks: usize,
    /// Slow AGC for a source that has no loudness measurement (`None`: off).
    pub agc: Option<AgcSettings>,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            silence: SilenceSettings::default(),
            buffer_blocks: 5,
            agc: Some(AgcSettings::default()),
        }
    }
}

/// Who is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DjSession {
    /// Their user name.
    pub username: String,
    /// When they must be off air (`None`: no limit).
    pub kickoff: Option<Time>,
    /// The show's title, announced when they take the air.
    pub title: Option<String>,
}

/// Why a live input lost its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disconnect {
    /// The source connection ended.
    Ended,
    /// The DJ's slot was over: they were kicked at this time.
    Kicked {
        /// The DJ.
        username: String,
        /// When.
        at: Time,
    },
    /// The host disconnected them (an admin's kick).
    Dropped,
}

/// A connection being refused because the input already has one (HTTP 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the live input is taken by {by}")]
pub struct Taken {
    /// Who holds it.
    pub by: String,
}

/// The live input's state, shared between the Harbor's thread and the host's handle.
struct Inner {
    settings: LiveSettings,
    feed: Option<Box<dyn Source>>,
    session: Option<DjSession>,
    detector: SilenceDetector,
    heard: bool,
    buffer: VecDeque<Block>,
    /// After a disconnect: the fade over what is left in `buffer`.
    ending: Option<Fader>,
    agc: Option<Agc>,
    events: Vec<Event>,
    /// Events waiting for their block to leave the buffer (block index in `buffer`).
    pending: VecDeque<(usize, Event)>,
    announce: bool,
    disconnects: Vec<Disconnect>,
    why_not: Option<String>,
    spare: Block,
}

/// The live input (see the module docs); the Harbor's side.
pub struct Live {
    name: String,
    inner: Arc<Mutex<Inner>>,
}

/// The host's handle on a live input: source connections arrive and leave through it.
#[derive(Clone)]
pub struct LiveControl {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live").field("name", &self.name).finish()
    }
}

impl std::fmt::Debug for LiveControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveControl").finish()
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(|p| p.into_inner())
}

impl Live {
    /// A live input with no connection, and its handle.
    pub fn new(name: &str, settings: LiveSettings) -> (Live, LiveControl) {
        let inner = Arc::new(Mutex::new(Inner::new(settings)));
        (
            Live {
                name: name.to_string(),
                inner: inner.clone(),
            },
            LiveControl { inner },
        )
    }
}

impl LiveControl {
    /// A source connection arrives (already authorised). Refused while another is on.
    pub fn connect(&self, feed: Box<dyn Source>, session: DjSession) -> Result<(), Taken> {
        lock(&self.inner).connect(feed, session)
    }

    /// The connection is gone (or an admin kicked the DJ): play out the buffer, fading.
    pub fn disconnect(&self, why: Disconnect) {
        lock(&self.inner).disconnect(why);
    }

    /// Moves the connected DJ's kick-off (a re-read calendar extended or shortened
    /// their slot).
    pub fn set_kickoff(&self, kickoff: Option<Time>) {
        if let Some(s) = &mut lock(&self.inner).session {
            s.kickoff = kickoff;
        }
    }

    /// Who is connected.
    pub fn session(&self) -> Option<DjSession> {
        lock(&self.inner).session.clone()
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        lock(&self.inner).feed.is_some()
    }

    /// Disconnections since the last call (the host closes kicked connections).
    pub fn take_disconnects(&self) -> Vec<Disconnect> {
        std::mem::take(&mut lock(&self.inner).disconnects)
    }
}

impl Inner {
    fn new(settings: LiveSettings) -> Inner {
        Inner {
            settings,
            feed: None,
            session: None,
            detector: SilenceDetector::new(settings.silence),
            heard: false,
            buffer: VecDeque::new(),
            ending: None,
            agc: settings.agc.map(Agc::new),
            events: Vec::new(),
            pending: VecDeque::new(),
            announce: false,
            disconnects: Vec::new(),
            why_not: Some("no connection".into()),
            spare: Block::silence(),
        }
    }

    fn connect(&mut self, feed: Box<dyn Source>, session: DjSession) -> Result<(), Taken> {
        if let Some(s) = &self.session
            && self.feed.is_some()
        {
            return Err(Taken {
                by: s.username.clone(),
            });
        }
        self.feed = Some(feed);
        self.session = Some(session);
        self.detector = SilenceDetector::new(self.settings.silence);
        self.heard = false;
        self.buffer.clear();
        self.pending.clear();
        self.ending = None;
        self.agc = self.settings.agc.map(Agc::new);
        self.announce = true;
        self.why_not = Some("no sound yet".into());
        Ok(())
    }

    fn disconnect(&mut self, why: Disconnect) {
        if self.feed.take().is_none() {
            return;
        }
        if self.heard && !self.detector.is_silent() {
            let frames = (self.buffer.len() * BLOCK_FRAMES) as u64;
            self.ending = Some(Fader::new(Curve::Linear, Direction::Out, frames));
        } else {
            // Not on air (silent, or never heard): nothing to play out.
            self.buffer.clear();
            self.pending.clear();
        }
        self.why_not = Some(match &why {
            Disconnect::Ended => "disconnected".into(),
            Disconnect::Kicked { .. } => "kicked at the end of the slot".into(),
            Disconnect::Dropped => "dropped".into(),
        });
        self.disconnects.push(why);
        self.session = None;
    }
}

impl Input for Live {
    fn name(&self) -> &str {
        &self.name
    }

    fn tick(&mut self, now: Time) {
        lock(&self.inner).tick(now);
    }

    fn is_ready(&self, now: Time) -> bool {
        lock(&self.inner).is_ready(now)
    }

    fn not_ready_reason(&self) -> Option<String> {
        lock(&self.inner).why_not.clone()
    }

    fn pull(&mut self, now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        lock(&self.inner).pull(now, block, events)
    }

    fn off_air(&mut self, now: Time) {
        lock(&self.inner).off_air(now);
    }
}

impl Inner {
    fn tick(&mut self, now: Time) {
        if let Some(kick) = self
            .session
            .as_ref()
            .and_then(|s| s.kickoff.filter(|&k| now >= k).map(|_| s.username.clone()))
        {
            self.disconnect(Disconnect::Kicked {
                username: kick,
                at: now,
            });
        }
        let Some(feed) = &mut self.feed else {
            return;
        };
        let mut block = std::mem::take(&mut self.spare);
        self.events.clear();
        // A feed with nothing decoded yet gives silence (which counts as silence here);
        // one whose connection has ended says so.
        let ready = feed.is_ready();
        let got = feed.pull(&mut block, &mut self.events);
        if !ready && got == Pull::Audio {
            block.clear();
        }
        if got == Pull::End {
            self.spare = block;
            self.disconnect(Disconnect::Ended);
            return;
        }
        let sound = self.detector.has_sound(&block);
        self.detector.feed(&block);
        if !self.heard && sound {
            // On air from the first block with sound.
            self.heard = true;
        }
        if self.detector.is_silent() {
            self.why_not = Some("silence".into());
        } else if !self.heard {
            self.why_not = Some("no sound yet".into());
        } else {
            self.why_not = None;
        }
        if self.announce
            && self.heard
            && let Some(title) = self.session.as_ref().and_then(|s| s.title.clone())
        {
            self.announce = false;
            self.pending.push_back((
                self.buffer.len(),
                Event::TrackStart(radio_core::Metadata {
                    title: Some(title),
                    ..Default::default()
                }),
            ));
        }
        for e in self.events.drain(..) {
            self.pending.push_back((self.buffer.len(), e));
        }
        self.buffer.push_back(block);
        // Off air the buffer stays at its size: the oldest block is dropped.
        while self.buffer.len() > self.settings.buffer_blocks.max(1) {
            self.spare = self.buffer.pop_front().expect("not empty");
            self.pending.retain_mut(|(at, _)| {
                if *at == 0 {
                    false
                } else {
                    *at -= 1;
                    true
                }
            });
        }
    }

    fn is_ready(&self, _now: Time) -> bool {
        if self.ending.is_some() {
            return !self.buffer.is_empty();
        }
        self.feed.is_some() && self.heard && !self.detector.is_silent()
    }

    fn pull(&mut self, _now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if self.ending.is_none() && self.buffer.len() < self.settings.buffer_blocks {
            // Building the play-out reserve (at most `buffer_blocks` × 20 ms, once).
            block.clear();
            return Pull::Audio;
        }
        let Some(next) = self.buffer.pop_front() else {
            if self.ending.is_some() || self.feed.is_none() {
                self.ending = None;
                return Pull::End;
            }
            block.clear();
            return Pull::Audio;
        };
        self.spare = std::mem::replace(block, next);
        while let Some((0, _)) = self.pending.front() {
            events.push(self.pending.pop_front().expect("checked").1);
        }
        for (at, _) in self.pending.iter_mut() {
            *at -= 1;
        }
        if let Some(fader) = &mut self.ending {
            fader.apply_block(block);
            if self.buffer.is_empty() {
                self.ending = None;
            }
        }
        if let Some(agc) = &mut self.agc {
            agc.process(block);
        }
        Pull::Audio
    }

    fn off_air(&mut self, _now: Time) {
        if self.feed.is_none() {
            self.buffer.clear();
            self.pending.clear();
            self.ending = None;
        }
    }
}

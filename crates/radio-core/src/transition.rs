//! Switching between sources (what the Harbor does): the old source fades out over `N`
//! seconds while the new one starts at once, mixed; `N = 0` is a hard cut with no gap.

use crate::block::Block;
use crate::fade::{Curve, Direction, Fader, mix_into};
use crate::source::{Event, Pull, Source};
use crate::units::{Frames, SampleRate};

/// The default fade-out when switching sources.
pub const DEFAULT_SECONDS: f64 = 2.5;

/// A source that plays `new` at once while `old` fades out under it.
pub struct Transition {
    old: Option<Box<dyn Source>>,
    new: Box<dyn Source>,
    fade: Fader,
    scratch: Block,
    discard: Vec<Event>,
}

impl std::fmt::Debug for Transition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transition")
            .field("fading", &self.old.is_some())
            .finish()
    }
}

impl Transition {
    /// Switches from `old` to `new`, fading `old` out over `seconds` (0: hard cut).
    pub fn new(
        old: Box<dyn Source>,
        new: Box<dyn Source>,
        seconds: f64,
        curve: Curve,
    ) -> Transition {
        let frames = Frames::from_seconds(seconds, SampleRate(48_000)).0;
        Transition {
            old: (frames > 0).then_some(old),
            new,
            fade: Fader::new(curve, Direction::Out, frames),
            scratch: Block::silence(),
            discard: Vec::new(),
        }
    }

    /// Whether the old source is still audible.
    pub fn is_fading(&self) -> bool {
        self.old.is_some()
    }

    /// The new source, once the fade is over.
    pub fn into_new(self) -> Box<dyn Source> {
        self.new
    }
}

impl Source for Transition {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        let pulled = self.new.pull(block, events);
        if pulled == Pull::End {
            block.clear();
        }
        if let Some(old) = &mut self.old {
            // The old source's events are over: its titles no longer apply.
            self.discard.clear();
            if old.pull(&mut self.scratch, &mut self.discard) == Pull::Audio {
                self.fade.apply_block(&mut self.scratch);
                mix_into(block.samples_mut(), self.scratch.samples());
            } else {
                self.fade = Fader::new(Curve::Linear, Direction::Out, 0);
            }
            if self.fade.is_done() {
                self.old = None;
            }
            return Pull::Audio;
        }
        pulled
    }

    fn is_ready(&self) -> bool {
        self.new.is_ready()
    }
}

//! A fixed gain on a source (track normalisation: the gain from its loudness measurement).

use crate::block::Block;
use crate::source::{Event, Pull, Source};
use crate::units::Db;

/// Applies a fixed gain to everything a source produces.
pub struct Gain<S> {
    inner: S,
    factor: f32,
}

impl<S> std::fmt::Debug for Gain<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gain")
            .field("factor", &self.factor)
            .finish()
    }
}

impl<S: Source> Gain<S> {
    /// `inner` at `gain`.
    pub fn new(inner: S, gain: Db) -> Gain<S> {
        Gain {
            inner,
            factor: gain.to_linear(),
        }
    }
}

impl<S: Source> Source for Gain<S> {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        let r = self.inner.pull(block, events);
        if r == Pull::Audio && self.factor != 1.0 {
            for s in block.samples_mut() {
                *s *= self.factor;
            }
        }
        r
    }

    fn is_ready(&self) -> bool {
        self.inner.is_ready()
    }
}

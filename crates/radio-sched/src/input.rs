//! What the Harbor chooses between: [`Input`]s, and the [`Policy`] that chooses.
//!
//! An input is a [`radio_core::Source`] that also knows the time: it is ticked once per
//! block whether or not it is on air (a live input keeps draining its connection, a show
//! watches its start time), it says whether it is ready, and it is told when it goes on
//! and off air (AutoDJ drops its track when pre-empted, so it comes back with a fresh one).
//! Implement [`Input`] for a source of your own and [`Policy`] for a selection rule of your
//! own: the Harbor runs both (see `examples/custom_priority.rs`).

use crate::clock::Time;
use radio_core::{Block, Event, Pull};
use std::time::Duration;

/// A source the Harbor can put on air.
///
/// # For implementations
/// - `tick` is called exactly once per block for every input, before selection, with the
///   block's time. Inputs that receive audio on their own (live connections) MUST consume
///   it here, on air or not, so nothing grows while they are inaudible.
/// - `is_ready` MUST be cheap and MUST agree with what `pull` can deliver this block.
/// - `pull` is called only while the input is on air or fading out; it follows
///   [`radio_core::Source::pull`]'s contract (whole block or `End`, events on the block
///   they apply to). It must never block.
/// - After `off_air` the input will not be pulled until `on_air` is called again.
pub trait Input: Send {
    /// A short name for logs and status ("show", "live", "autodj", "failsafe").
    fn name(&self) -> &str;

    /// Called once per block, on air or not.
    fn tick(&mut self, now: Time) {
        let _ = now;
    }

    /// Whether the input has audio to put on air now.
    fn is_ready(&self, now: Time) -> bool;

    /// Why the input is not ready, for the transition log ("silence", "disconnected").
    fn not_ready_reason(&self) -> Option<String> {
        None
    }

    /// The next block.
    fn pull(&mut self, now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull;

    /// The input goes on air.
    fn on_air(&mut self, now: Time) {
        let _ = now;
    }

    /// The input has left the air (after its fade-out).
    fn off_air(&mut self, now: Time) {
        let _ = now;
    }

    /// How long this input fades out when something else takes over (`None`: the
    /// Harbor's default).
    fn transition(&self) -> Option<Duration> {
        None
    }
}

/// What a [`Policy`] sees of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputView<'a> {
    /// Position in the Harbor's list (0 = highest priority).
    pub index: usize,
    /// The input's name.
    pub name: &'a str,
    /// Whether it is ready now.
    pub ready: bool,
    /// Whether it is on air now.
    pub on_air: bool,
}

/// Chooses which input is on air.
///
/// # For implementations
/// Called once per block. Return the index of a *ready* input, or `None` for silence;
/// returning a non-ready input is treated as `None`. Keep it cheap: it runs 50 times a
/// second of audio.
pub trait Policy: Send {
    /// The input to put on air at `now`.
    fn select(&mut self, now: Time, inputs: &[InputView<'_>]) -> Option<usize>;
}

/// The default policy: the first ready input in list order wins.
#[derive(Debug, Clone, Copy, Default)]
pub struct Priority;

impl Policy for Priority {
    fn select(&mut self, _now: Time, inputs: &[InputView<'_>]) -> Option<usize> {
        inputs.iter().find(|i| i.ready).map(|i| i.index)
    }
}

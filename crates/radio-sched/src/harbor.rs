//! The Harbor: an ordered list of inputs; the chosen one (by default the highest-priority
//! ready one) is on air.
//!
//! When the choice changes, the old input fades out over its transition time (default
//! 2.5 s, per-input override, 0 = hard cut) under the new one, which starts at once in
//! the same block. Every change is recorded with its time and reason, and every track
//! start with the input it came from: the on-air log that status pages and tests read.

use crate::clock::{Clock, Time};
use crate::input::{Input, InputView, Policy, Priority};
use radio_core::fade::{Curve, Direction, Fader, mix_into};
use radio_core::{Block, Event, Frames, Metadata, Pull, SampleRate, Source};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// Harbor settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarborSettings {
    /// How long the old input fades out when another takes over (0 = hard cut).
    pub transition: Duration,
    /// The fade's shape.
    pub curve: Curve,
    /// Entries kept in the on-air log (the oldest are dropped).
    pub log_capacity: usize,
}

impl Default for HarborSettings {
    /// 2.5 s linear fade-out (Crazy Arms' default), 10,000 log entries.
    fn default() -> Self {
        HarborSettings {
            transition: Duration::from_millis(2500),
            curve: Curve::Linear,
            log_capacity: 10_000,
        }
    }
}

/// Why the Harbor changed inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A higher-priority input became ready.
    Preempted,
    /// The input on air stopped being ready (the input's own words: "silence", ...).
    NotReady(String),
    /// The policy chose another input for reasons of its own.
    Policy,
    /// Nothing was on air and this input was ready.
    Ready,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Preempted => f.write_str("pre-empted"),
            Reason::NotReady(why) => write!(f, "not ready: {why}"),
            Reason::Policy => f.write_str("policy"),
            Reason::Ready => f.write_str("ready"),
        }
    }
}

/// One line of the on-air log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEntry {
    /// The Harbor switched inputs (`None`: nothing on air).
    Transition {
        /// When.
        at: Time,
        /// The input that was on air.
        from: Option<String>,
        /// The input now on air.
        to: Option<String>,
        /// Why.
        reason: Reason,
    },
    /// A track started on air.
    Track {
        /// When.
        at: Time,
        /// The input it came from.
        input: String,
        /// Its tags.
        metadata: Metadata,
    },
}

impl std::fmt::Display for LogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "(silence)".into());
        match self {
            LogEntry::Transition {
                at,
                from,
                to,
                reason,
            } => write!(
                f,
                "{}  {} -> {} ({reason})",
                at.format("%Y-%m-%d %H:%M:%S%.3f"),
                name(from),
                name(to)
            ),
            LogEntry::Track {
                at,
                input,
                metadata,
            } => write!(
                f,
                "{}  [{input}] {}",
                at.format("%Y-%m-%d %H:%M:%S%.3f"),
                metadata.display()
            ),
        }
    }
}

/// An input fading out after leaving the air.
struct Fading {
    index: usize,
    fader: Fader,
}

/// The priority switch with fades. A [`Source`] itself: pull it once per block.
pub struct Harbor {
    inputs: Vec<Box<dyn Input>>,
    policy: Box<dyn Policy>,
    clock: Arc<dyn Clock>,
    settings: HarborSettings,
    current: Option<usize>,
    fading: Vec<Fading>,
    log: VecDeque<LogEntry>,
    ready: Vec<bool>,
    scratch: Block,
    input_events: Vec<Event>,
}

impl std::fmt::Debug for Harbor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harbor")
            .field("on_air", &self.on_air())
            .finish()
    }
}

impl Harbor {
    /// A Harbor over `inputs` (highest priority first) with the [`Priority`] policy.
    pub fn new(
        inputs: Vec<Box<dyn Input>>,
        clock: Arc<dyn Clock>,
        settings: HarborSettings,
    ) -> Harbor {
        Harbor::with_policy(inputs, Box::new(Priority), clock, settings)
    }

    /// A Harbor with a policy of your own.
    pub fn with_policy(
        inputs: Vec<Box<dyn Input>>,
        policy: Box<dyn Policy>,
        clock: Arc<dyn Clock>,
        settings: HarborSettings,
    ) -> Harbor {
        let n = inputs.len();
        Harbor {
            inputs,
            policy,
            clock,
            settings,
            current: None,
            fading: Vec::new(),
            log: VecDeque::new(),
            ready: vec![false; n],
            scratch: Block::silence(),
            input_events: Vec::new(),
        }
    }

    /// The name of the input on air.
    pub fn on_air(&self) -> Option<&str> {
        self.current.map(|i| self.inputs[i].name())
    }

    /// The inputs, for status (name, ready, on air).
    pub fn inputs(&self) -> impl Iterator<Item = InputView<'_>> {
        self.inputs.iter().enumerate().map(|(i, input)| InputView {
            index: i,
            name: input.name(),
            ready: self.ready[i],
            on_air: self.current == Some(i),
        })
    }

    /// An input, to reach its own controls (downcast through your own handle types).
    pub fn input_mut(&mut self, index: usize) -> Option<&mut (dyn Input + 'static)> {
        self.inputs.get_mut(index).map(|b| &mut **b)
    }

    /// The on-air log so far (oldest first).
    pub fn log(&self) -> impl Iterator<Item = &LogEntry> {
        self.log.iter()
    }

    /// Takes the on-air log out (for a station that writes it elsewhere).
    pub fn take_log(&mut self) -> Vec<LogEntry> {
        self.log.drain(..).collect()
    }

    fn record(&mut self, entry: LogEntry) {
        if self.log.len() >= self.settings.log_capacity.max(1) {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }

    fn choose(&mut self, now: Time, excluded: Option<usize>) -> Option<usize> {
        let views: Vec<InputView<'_>> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| InputView {
                index: i,
                name: input.name(),
                ready: self.ready[i] && Some(i) != excluded,
                on_air: self.current == Some(i),
            })
            .collect();
        let chosen = self.policy.select(now, &views);
        chosen.filter(|&i| i < views.len() && views[i].ready)
    }

    fn switch(&mut self, now: Time, to: Option<usize>, ended: bool) {
        let from = self.current;
        let reason = match (from, to) {
            (Some(f), _) if ended || !self.ready[f] => Reason::NotReady(
                self.inputs[f]
                    .not_ready_reason()
                    .unwrap_or_else(|| if ended { "ended" } else { "not ready" }.into()),
            ),
            (Some(f), Some(t)) if t < f => Reason::Preempted,
            (None, Some(_)) => Reason::Ready,
            _ => Reason::Policy,
        };
        if let Some(f) = from {
            let fade = self.inputs[f]
                .transition()
                .unwrap_or(self.settings.transition);
            let frames = Frames::from_seconds(fade.as_secs_f64(), SampleRate(48_000)).0;
            if frames > 0 && !ended {
                self.fading.push(Fading {
                    index: f,
                    fader: Fader::new(self.settings.curve, Direction::Out, frames),
                });
            } else {
                self.inputs[f].off_air(now);
            }
        }
        if let Some(t) = to {
            if let Some(pos) = self.fading.iter().position(|x| x.index == t) {
                // Back before its fade ended: it continues, at full level.
                self.fading.remove(pos);
            } else {
                self.inputs[t].on_air(now);
            }
        }
        self.current = to;
        let name = |i: Option<usize>| i.map(|i| self.inputs[i].name().to_string());
        let entry = LogEntry::Transition {
            at: now,
            from: name(from),
            to: name(to),
            reason,
        };
        tracing::info!(target: "harbor", "{entry}");
        self.record(entry);
    }
}

impl Source for Harbor {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        let now = self.clock.now();
        for (i, input) in self.inputs.iter_mut().enumerate() {
            input.tick(now);
            self.ready[i] = input.is_ready(now);
        }
        let chosen = self.choose(now, None);
        if chosen != self.current {
            self.switch(now, chosen, false);
        }
        block.clear();
        // The input on air; if it ends in this block, the next choice starts in the same
        // block (no gap), without a fade (there is nothing left to fade).
        let mut tries = 0;
        while let Some(c) = self.current {
            self.input_events.clear();
            match self.inputs[c].pull(now, block, &mut self.input_events) {
                Pull::Audio => {
                    let mut pulled = std::mem::take(&mut self.input_events);
                    for e in pulled.drain(..) {
                        let Event::TrackStart(m) = &e;
                        let entry = LogEntry::Track {
                            at: now,
                            input: self.inputs[c].name().to_string(),
                            metadata: m.clone(),
                        };
                        tracing::info!(target: "harbor", "{entry}");
                        self.record(entry);
                        events.push(e);
                    }
                    self.input_events = pulled;
                    break;
                }
                Pull::End => {
                    block.clear();
                    self.ready[c] = false;
                    let next = self.choose(now, Some(c));
                    self.switch(now, next, true);
                    tries += 1;
                    if tries > self.inputs.len() {
                        break;
                    }
                }
            }
        }
        // Inputs fading out under it.
        let mut i = 0;
        while i < self.fading.len() {
            let index = self.fading[i].index;
            self.input_events.clear();
            let pulled = self.inputs[index].pull(now, &mut self.scratch, &mut self.input_events);
            let fading = &mut self.fading[i];
            if pulled == Pull::Audio {
                fading.fader.apply_block(&mut self.scratch);
                mix_into(block.samples_mut(), self.scratch.samples());
            }
            if pulled == Pull::End || fading.fader.is_done() {
                self.fading.swap_remove(i);
                self.inputs[index].off_air(now);
            } else {
                i += 1;
            }
        }
        Pull::Audio
    }
}

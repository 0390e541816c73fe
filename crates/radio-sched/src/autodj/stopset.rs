//! Stop sets: blocks of categories played together at a track boundary (ad, station ID,
//! ad), each category a rotator of assets; a stop set starts once `every` has passed since
//! the previous one *ended*, and no asset plays twice in one block.

use super::library::{Library, TrackId};
use super::picker::Rng;
use crate::clock::Time;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// A stop set: a block of categories played together (ad, station ID, ad).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopSet {
    /// Its name.
    pub name: String,
    /// Relative weight among stop sets.
    pub weight: u32,
    /// Category names, in play order.
    pub categories: Vec<String>,
}

/// A category of stop-set assets, played as a rotator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Its name.
    pub name: String,
    /// Its assets.
    pub assets: Vec<TrackId>,
}

/// Stop set settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopSetSettings {
    /// Minutes from the end of one stop set to the start of the next (at a track
    /// boundary).
    pub every: Duration,
    /// The stop sets, chosen by weight.
    pub sets: Vec<StopSet>,
    /// The categories they use.
    pub categories: Vec<Category>,
}

/// The stop sets' state inside the picker.
#[derive(Debug, Clone)]
pub(crate) struct StopSets {
    /// Assets still to play in the current block, with the stop set's name.
    queue: VecDeque<(TrackId, String)>,
    /// Set once the last asset of a block is handed out: the next pick marks its end.
    ending: bool,
    last_end: Time,
    /// The pick number at which each asset last played (rotators prefer the longest
    /// unplayed).
    played: HashMap<TrackId, u64>,
}

impl StopSets {
    /// No stop set yet; the first is due `every` after `now`.
    pub(crate) fn new(now: Time) -> StopSets {
        StopSets {
            queue: VecDeque::new(),
            ending: false,
            last_end: now,
            played: HashMap::new(),
        }
    }

    /// Whether a block is under way.
    pub(crate) fn running(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The next asset of the block under way (at a track boundary at `now`); when the
    /// previous pick was the block's last asset, the block ends now.
    pub(crate) fn continue_set(&mut self, now: Time) -> Option<(TrackId, String)> {
        if std::mem::take(&mut self.ending) && self.queue.is_empty() {
            self.last_end = now;
        }
        self.take()
    }

    fn take(&mut self) -> Option<(TrackId, String)> {
        let next = self.queue.pop_front()?;
        if self.queue.is_empty() {
            self.ending = true;
        }
        Some(next)
    }

    /// An asset played at pick number `pick`.
    pub(crate) fn played(&mut self, id: TrackId, pick: u64) {
        self.played.insert(id, pick);
    }

    /// Starts a block if one is due: a stop set by weight, one asset per category.
    pub(crate) fn start(
        &mut self,
        settings: &StopSetSettings,
        now: Time,
        rng: &mut Rng,
        library: &dyn Library,
    ) -> Option<(TrackId, String)> {
        let every = chrono::Duration::from_std(settings.every).ok()?;
        if now - self.last_end < every || settings.sets.is_empty() {
            return None;
        }
        let total: u64 = settings.sets.iter().map(|s| u64::from(s.weight)).sum();
        let mut r = if total > 0 { rng.next() % total } else { 0 };
        let set = settings
            .sets
            .iter()
            .find(|s| {
                let w = u64::from(s.weight);
                if r < w {
                    true
                } else {
                    r -= w;
                    false
                }
            })
            .unwrap_or(&settings.sets[0]);
        let mut used = Vec::new();
        for cat_name in &set.categories {
            let Some(cat) = settings.categories.iter().find(|c| &c.name == cat_name) else {
                continue;
            };
            // The rotator: among assets not yet in this block, the longest unplayed;
            // ties broken at random.
            let fresh: Vec<TrackId> = cat
                .assets
                .iter()
                .copied()
                .filter(|a| !used.contains(a) && library.track(*a).is_some())
                .collect();
            let last = |a: &TrackId| self.played.get(a).copied().unwrap_or(0);
            let Some(oldest) = fresh.iter().map(last).min() else {
                continue;
            };
            let ties: Vec<TrackId> = fresh.into_iter().filter(|a| last(a) == oldest).collect();
            used.push(ties[rng.below(ties.len())]);
        }
        if used.is_empty() {
            // Nothing to play in it: try again after another interval.
            self.last_end = now;
            return None;
        }
        self.queue = used.into_iter().map(|a| (a, set.name.clone())).collect();
        self.take()
    }
}

//! Choosing the next track: requests, stop sets, special rotations, then music by
//! weight, with anti-repeat rules that relax (playlist, then artist, then track) rather
//! than ever returning nothing while a track is playable.

use super::library::{Library, TrackId, TrackInfo};
use super::rules::{Order, Playlist, PlaylistState, Rotation, due};
use super::stopset::{StopSetSettings, StopSets};
use crate::clock::Time;
use crate::error::{Error, Result};
use chrono_tz::Tz;
use std::collections::{HashMap, VecDeque};

/// AutoDJ's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct PickSettings {
    /// The playlists.
    pub playlists: Vec<Playlist>,
    /// No track again within this many plays (50).
    pub no_repeat_tracks: usize,
    /// No artist again within this many plays (15).
    pub no_repeat_artists: usize,
    /// Requests waiting at most (5).
    pub request_cap: usize,
    /// Stop sets (`None`: off).
    pub stopsets: Option<StopSetSettings>,
    /// The station's time zone (schedules and "once per hour").
    pub timezone: Tz,
    /// Seed of the random choices (a run is reproducible).
    pub seed: u64,
}

impl Default for PickSettings {
    fn default() -> Self {
        PickSettings {
            playlists: Vec::new(),
            no_repeat_tracks: 50,
            no_repeat_artists: 15,
            request_cap: 5,
            stopsets: None,
            timezone: Tz::UTC,
            seed: 0x5eed,
        }
    }
}

/// Where a pick came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickKind {
    /// A listener's request.
    Request,
    /// Part of a stop set (its name).
    StopSet(String),
    /// A playlist (its name).
    Playlist(String),
}

/// A pick, for the history and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// When it was picked.
    pub at: Time,
    /// The track.
    pub track: TrackInfo,
    /// Why.
    pub kind: PickKind,
}

/// A small deterministic generator (SplitMix64): picks are reproducible from the seed.
#[derive(Debug, Clone)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// Artist names compared loosely: case, punctuation and spacing ignored, a leading
/// "the" dropped ("The Beatles" = "beatles").
pub fn normalise_artist(artist: &str) -> String {
    let cleaned: String = artist
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let words = match words.split_first() {
        Some((&"the", rest)) if !rest.is_empty() => rest,
        _ => &words[..],
    };
    words.join(" ")
}

/// How strict a pick is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strictness {
    Both,
    TrackOnly,
    None,
}

/// The picking state.
#[derive(Debug, Clone)]
pub struct Picker {
    settings: PickSettings,
    states: Vec<PlaylistState>,
    recent_tracks: VecDeque<TrackId>,
    recent_artists: VecDeque<String>,
    requests: VecDeque<TrackId>,
    stopsets: StopSets,
    picks: u64,
    started: Time,
    rng: Rng,
    history: VecDeque<Pick>,
}

/// Picks kept in the history.
const HISTORY: usize = 1000;

impl Picker {
    /// A picker whose rotations count from `now`.
    pub fn new(settings: PickSettings, now: Time) -> Picker {
        let states = vec![PlaylistState::default(); settings.playlists.len()];
        let rng = Rng(settings.seed);
        Picker {
            settings,
            states,
            recent_tracks: VecDeque::new(),
            recent_artists: VecDeque::new(),
            requests: VecDeque::new(),
            stopsets: StopSets::new(now),
            picks: 0,
            started: now,
            rng,
            history: VecDeque::new(),
        }
    }

    /// Replaces the playlists (positions and counters of playlists with the same name
    /// are kept).
    pub fn set_playlists(&mut self, playlists: Vec<Playlist>) {
        let old: HashMap<String, PlaylistState> = self
            .settings
            .playlists
            .iter()
            .zip(self.states.drain(..))
            .map(|(p, s)| (p.name.clone(), s))
            .collect();
        self.states = playlists
            .iter()
            .map(|p| old.get(&p.name).cloned().unwrap_or_default())
            .collect();
        self.settings.playlists = playlists;
    }

    /// Whether anything could be picked (some playlist or request has a track).
    pub fn has_tracks(&self) -> bool {
        !self.requests.is_empty()
            || self.stopsets.running()
            || self.settings.playlists.iter().any(|p| !p.tracks.is_empty())
    }

    /// Queues a listener's request. Refused when the queue is full, the track is already
    /// queued, or the library does not know it.
    pub fn request(&mut self, id: TrackId, library: &dyn Library) -> Result<()> {
        if self.requests.contains(&id) {
            return Err(Error::Refused(format!("track {id} is already requested")));
        }
        if self.requests.len() >= self.settings.request_cap {
            return Err(Error::Refused(format!(
                "the request queue is full ({} waiting)",
                self.settings.request_cap
            )));
        }
        if library.track(id).is_none() {
            return Err(Error::Refused(format!("no track {id} in the library")));
        }
        self.requests.push_back(id);
        Ok(())
    }

    /// The requests waiting, first to play first.
    pub fn requests(&self) -> impl Iterator<Item = TrackId> + '_ {
        self.requests.iter().copied()
    }

    /// Removes a waiting request; `false` if it was not queued.
    pub fn remove_request(&mut self, id: TrackId) -> bool {
        let before = self.requests.len();
        self.requests.retain(|&r| r != id);
        self.requests.len() != before
    }

    /// The picks so far (the last 1,000).
    pub fn history(&self) -> impl Iterator<Item = &Pick> {
        self.history.iter()
    }

    fn allowed(&self, info: &TrackInfo, strict: Strictness) -> bool {
        if strict != Strictness::None
            && self
                .recent_tracks
                .iter()
                .rev()
                .take(self.settings.no_repeat_tracks)
                .any(|&t| t == info.id)
        {
            return false;
        }
        if strict == Strictness::Both
            && let Some(a) = &info.metadata.artist
        {
            let a = normalise_artist(a);
            if self
                .recent_artists
                .iter()
                .rev()
                .take(self.settings.no_repeat_artists)
                .any(|r| *r == a)
            {
                return false;
            }
        }
        true
    }

    /// A track from playlist `p` that meets `strict`, following its order.
    fn track_in_playlist(
        &mut self,
        p: usize,
        strict: Strictness,
        library: &dyn Library,
    ) -> Option<TrackInfo> {
        let playlist = &self.settings.playlists[p];
        let n = playlist.tracks.len();
        if n == 0 {
            return None;
        }
        match playlist.order {
            Order::Random => {
                // A few random tries, then a scan from a random start: a pick is found
                // whenever one exists, in bounded time.
                for _ in 0..16 {
                    let id = self.settings.playlists[p].tracks[self.rng.below(n)];
                    if let Some(info) = library.track(id)
                        && self.allowed(&info, strict)
                    {
                        return Some(info);
                    }
                }
                let start = self.rng.below(n);
                (0..n).find_map(|k| {
                    let id = self.settings.playlists[p].tracks[(start + k) % n];
                    library.track(id).filter(|i| self.allowed(i, strict))
                })
            }
            Order::Sequential => {
                let from = self.states[p].next % n;
                let found = (0..n).find_map(|k| {
                    let at = (from + k) % n;
                    let id = self.settings.playlists[p].tracks[at];
                    library
                        .track(id)
                        .filter(|i| self.allowed(i, strict))
                        .map(|i| (at, i))
                });
                found.map(|(at, info)| {
                    self.states[p].next = at + 1;
                    info
                })
            }
            Order::Shuffle => {
                if self.states[p].deck.len() != n || self.states[p].next >= n {
                    let mut deck = self.settings.playlists[p].tracks.clone();
                    for i in (1..deck.len()).rev() {
                        let j = self.rng.below(i + 1);
                        deck.swap(i, j);
                    }
                    self.states[p].deck = deck;
                    self.states[p].next = 0;
                }
                let from = self.states[p].next;
                let found = (from..n).find_map(|at| {
                    let id = self.states[p].deck[at];
                    library
                        .track(id)
                        .filter(|i| self.allowed(i, strict))
                        .map(|i| (at, i))
                });
                found.map(|(at, info)| {
                    self.states[p].deck.swap(from, at);
                    self.states[p].next = from + 1;
                    info
                })
            }
        }
    }

    /// Weighted choice among `candidates` (playlist indices).
    fn weighted(&mut self, candidates: &[usize]) -> Option<usize> {
        let total: u64 = candidates
            .iter()
            .map(|&p| u64::from(self.settings.playlists[p].weight))
            .sum();
        if total == 0 {
            return None;
        }
        let mut r = self.rng.next() % total;
        for &p in candidates {
            let w = u64::from(self.settings.playlists[p].weight);
            if r < w {
                return Some(p);
            }
            r -= w;
        }
        None
    }

    /// The next track at `now`, or `None` when nothing at all is playable.
    pub fn pick(&mut self, now: Time, library: &dyn Library) -> Option<Pick> {
        // 1. The rest of a stop set.
        if let Some((id, set)) = self.stopsets.continue_set(now)
            && let Some(info) = library.track(id)
        {
            return Some(self.record(now, info, PickKind::StopSet(set), None));
        }
        // 2. Requests.
        while let Some(id) = self.requests.pop_front() {
            if let Some(info) = library.track(id) {
                return Some(self.record(now, info, PickKind::Request, None));
            }
        }
        // 3. A stop set that is due.
        if let Some(settings) = &self.settings.stopsets
            && let Some((id, set)) = self.stopsets.start(settings, now, &mut self.rng, library)
            && let Some(info) = library.track(id)
        {
            return Some(self.record(now, info, PickKind::StopSet(set), None));
        }
        // 4. Special rotations that are due (once per hour, every N songs, every N minutes).
        let tz = self.settings.timezone;
        for tier in 0..3 {
            for p in 0..self.settings.playlists.len() {
                let pl = &self.settings.playlists[p];
                let tier_of = match pl.rotation {
                    Rotation::OncePerHour(_) => 0,
                    Rotation::EveryNSongs(_) => 1,
                    Rotation::EveryNMinutes(_) => 2,
                    Rotation::Standard => continue,
                };
                if tier_of != tier
                    || !pl.active(now, tz)
                    || !due(pl.rotation, &self.states[p], now, self.started, tz)
                {
                    continue;
                }
                let name = pl.name.clone();
                let info = self
                    .track_in_playlist(p, Strictness::TrackOnly, library)
                    .or_else(|| self.track_in_playlist(p, Strictness::None, library));
                if let Some(info) = info {
                    return Some(self.record(now, info, PickKind::Playlist(name), Some(p)));
                }
            }
        }
        // 5. Music: scheduled playlists active now take precedence over unscheduled ones.
        let standard = |pl: &Playlist| pl.rotation == Rotation::Standard && !pl.tracks.is_empty();
        let scheduled: Vec<usize> = (0..self.settings.playlists.len())
            .filter(|&p| {
                let pl = &self.settings.playlists[p];
                standard(pl) && pl.schedule.is_some() && pl.active(now, tz)
            })
            .collect();
        let candidates: Vec<usize> = if scheduled.is_empty() {
            (0..self.settings.playlists.len())
                .filter(|&p| {
                    let pl = &self.settings.playlists[p];
                    standard(pl) && pl.schedule.is_none()
                })
                .collect()
        } else {
            scheduled
        };
        // Relax in order: other playlists, then the artist rule, then the track rule.
        for strict in [Strictness::Both, Strictness::TrackOnly, Strictness::None] {
            let mut left = candidates.clone();
            while let Some(p) = self.weighted(&left).or_else(|| left.first().copied()) {
                left.retain(|&x| x != p);
                if let Some(info) = self.track_in_playlist(p, strict, library) {
                    let name = self.settings.playlists[p].name.clone();
                    return Some(self.record(now, info, PickKind::Playlist(name), Some(p)));
                }
            }
        }
        None
    }

    /// A picked track could not be played: it does not count as a song, and it is taken
    /// out of the history so the anti-repeat rules do not hold it against others.
    pub fn failed(&mut self, pick: &Pick) {
        if let PickKind::Playlist(name) = &pick.kind
            && self
                .settings
                .playlists
                .iter()
                .any(|p| &p.name == name && p.rotation == Rotation::Standard)
        {
            for (q, pl) in self.settings.playlists.iter().enumerate() {
                if matches!(pl.rotation, Rotation::EveryNSongs(_)) {
                    self.states[q].songs_since = self.states[q].songs_since.saturating_sub(1);
                }
            }
        }
        if let Some(pos) = self.recent_tracks.iter().rposition(|&t| t == pick.track.id) {
            self.recent_tracks.remove(pos);
        }
        if let Some(a) = &pick.track.metadata.artist {
            let a = normalise_artist(a);
            if let Some(pos) = self.recent_artists.iter().rposition(|r| *r == a) {
                self.recent_artists.remove(pos);
            }
        }
        if let Some(pos) = self.history.iter().rposition(|h| h == pick) {
            self.history.remove(pos);
        }
    }

    fn record(
        &mut self,
        now: Time,
        info: TrackInfo,
        kind: PickKind,
        playlist: Option<usize>,
    ) -> Pick {
        self.picks += 1;
        match &kind {
            PickKind::StopSet(_) => {
                self.stopsets.played(info.id, self.picks);
            }
            PickKind::Request | PickKind::Playlist(_) => {
                self.recent_tracks.push_back(info.id);
                let cap = self.settings.no_repeat_tracks.max(1);
                while self.recent_tracks.len() > cap {
                    self.recent_tracks.pop_front();
                }
                if let Some(a) = &info.metadata.artist {
                    self.recent_artists.push_back(normalise_artist(a));
                    let cap = self.settings.no_repeat_artists.max(1);
                    while self.recent_artists.len() > cap {
                        self.recent_artists.pop_front();
                    }
                }
            }
        }
        if let Some(p) = playlist {
            let rotation = self.settings.playlists[p].rotation;
            self.states[p].last_played = Some(now);
            if rotation == Rotation::Standard {
                // A song: every "every N songs" rotation counts it.
                for (q, pl) in self.settings.playlists.iter().enumerate() {
                    if matches!(pl.rotation, Rotation::EveryNSongs(_)) {
                        self.states[q].songs_since += 1;
                    }
                }
            } else {
                self.states[p].songs_since = 0;
            }
        }
        let pick = Pick {
            at: now,
            track: info,
            kind,
        };
        if self.history.len() >= HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(pick.clone());
        pick
    }
}

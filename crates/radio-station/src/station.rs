//! The station: its thread, its outputs, its state.

use crate::error::{Error, Result};
use crate::output::{Format, Output, Target};
use crate::state::{
    LiveState, NextTrack, OutputState, StationState, TrackState, TransitionState, secs,
};
use radio_core::encode::{Chunk, Encoder};
use radio_core::limiter::{Limiter, LimiterSettings};
use radio_core::{Block, Event, Metadata, Source};
use radio_net::Server;
use radio_net::icy::Meta;
use radio_net::mount::SourceFeed;
use radio_net::push::PushClient;
use radio_sched::autodj::AutoDjControl;
use radio_sched::live::LiveControl;
use radio_sched::{Clock, Harbor, LogEntry, SystemClock, Time};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// Station settings.
#[derive(Debug, Clone, PartialEq)]
pub struct StationSettings {
    /// How far ahead of real time the station runs (what new listeners get at once).
    pub lead: Duration,
    /// The output bus limiter (`None`: off). Default: −1 dBTP.
    pub limiter: Option<LimiterSettings>,
    /// The output silent (peak below `silence_threshold`) this long is reported
    /// (`None`: no watchdog).
    pub watchdog: Option<Duration>,
    /// Linear peak under which a block counts as silent (default −50 dBFS).
    pub silence_threshold: f32,
    /// Opus outputs start a new Ogg chain (with new tags) for each title, which is how
    /// Ogg players learn titles (Chromium's `<audio>` and ffmpeg follow chains without a
    /// gap or an error). Off: Ogg listeners get titles only through status, now-playing
    /// and ICY metadata. Default on.
    pub ogg_chain_titles: bool,
}

impl Default for StationSettings {
    fn default() -> Self {
        StationSettings {
            lead: Duration::from_secs(2),
            limiter: Some(LimiterSettings::broadcast()),
            watchdog: Some(Duration::from_secs(30)),
            silence_threshold: 10f32.powf(-50.0 / 20.0),
            ogg_chain_titles: true,
        }
    }
}

/// The time of the audio being made: the clock a station's Harbor and inputs should read
/// (from [`StationBuilder::audio_clock`]). The station runs `lead` ahead of real time, so
/// a show due at 21:00 must start in the block listeners hear at 21:00 — made at 20:59:58.
/// Before the station starts it reads its base clock; then each block's time.
#[derive(Debug, Clone)]
pub struct AudioClock {
    base: Arc<dyn Clock>,
    micros: Arc<AtomicI64>,
}

impl AudioClock {
    fn new(base: Arc<dyn Clock>) -> AudioClock {
        AudioClock {
            base,
            micros: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }

    fn set(&self, at: Time) {
        self.micros.store(at.timestamp_micros(), Ordering::SeqCst);
    }
}

impl Clock for AudioClock {
    fn now(&self) -> Time {
        match self.micros.load(Ordering::SeqCst) {
            i64::MIN => self.base.now(),
            m => chrono::DateTime::from_timestamp_micros(m).unwrap_or_else(|| self.base.now()),
        }
    }

    fn sleep_until(&self, until: Time) {
        self.base.sleep_until(until);
    }
}

/// What a [`HarborFactory`] makes: the Harbor and the handles the state reads.
pub struct Parts {
    /// The Harbor.
    pub harbor: Harbor,
    /// AutoDJ's handle (track lengths, the next track).
    pub autodj: Option<AutoDjControl>,
    /// The live input's handle (who is connected).
    pub live: Option<LiveControl>,
}

impl From<Harbor> for Parts {
    fn from(harbor: Harbor) -> Parts {
        Parts {
            harbor,
            autodj: None,
            live: None,
        }
    }
}

/// Builds the station's Harbor; called again after a panic, for a restart.
pub type HarborFactory = Box<dyn FnMut() -> Result<Parts> + Send>;

/// The handles of the Harbor on air now (they change when a restart rebuilds it).
#[derive(Default, Clone)]
struct Controls {
    autodj: Option<AutoDjControl>,
    live: Option<LiveControl>,
}

/// How a station is put together; [`StationBuilder::start`] puts it on air.
pub struct StationBuilder {
    name: String,
    settings: StationSettings,
    outputs: Vec<Output>,
    clock: Arc<dyn Clock>,
    audio: AudioClock,
    server: Option<Server>,
    runtime: Option<tokio::runtime::Handle>,
    autodj: Option<AutoDjControl>,
    live: Option<LiveControl>,
}

impl std::fmt::Debug for StationBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StationBuilder")
            .field("name", &self.name)
            .finish()
    }
}

impl StationBuilder {
    /// A station called `name` (a URL id: letters, digits, `-`, `_`) on the system clock.
    pub fn new(name: &str) -> StationBuilder {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        StationBuilder {
            name: name.to_string(),
            settings: StationSettings::default(),
            outputs: Vec::new(),
            audio: AudioClock::new(clock.clone()),
            clock,
            server: None,
            runtime: None,
            autodj: None,
            live: None,
        }
    }

    /// Settings other than the defaults.
    pub fn settings(mut self, settings: StationSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The clock that paces the station (a `SimClock` renders faster than real time).
    /// Call it before [`StationBuilder::audio_clock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.audio = AudioClock::new(clock.clone());
        self.clock = clock;
        self
    }

    /// The clock the Harbor and its inputs should read: the time of the block being made
    /// (see [`AudioClock`]).
    pub fn audio_clock(&self) -> Arc<dyn Clock> {
        Arc::new(self.audio.clone())
    }

    /// The server whose mounts the station feeds (needed for mount outputs).
    pub fn server(mut self, server: &Server) -> Self {
        self.server = Some(server.clone());
        self
    }

    /// The tokio runtime upstream pushes run on (default: the current one).
    pub fn runtime(mut self, handle: tokio::runtime::Handle) -> Self {
        self.runtime = Some(handle);
        self
    }

    /// Adds an output.
    pub fn output(mut self, output: Output) -> Self {
        self.outputs.push(output);
        self
    }

    /// AutoDJ's handle, so the state can tell track lengths and the next track.
    pub fn autodj(mut self, control: AutoDjControl) -> Self {
        self.autodj = Some(control);
        self
    }

    /// The live input's handle, so the state can tell who is connected.
    pub fn live(mut self, control: LiveControl) -> Self {
        self.live = Some(control);
        self
    }

    /// Puts `harbor` on air. A panic in the station's thread stops the station (logged);
    /// use [`StationBuilder::start_with`] to have it restarted.
    pub fn start(self, harbor: Harbor) -> Result<Station> {
        let mut parts = Some(Parts {
            harbor,
            autodj: self.autodj.clone(),
            live: self.live.clone(),
        });
        self.start_with(Box::new(move || {
            parts
                .take()
                .ok_or_else(|| Error::Build("the station's harbor cannot be rebuilt".into()))
        }))
    }

    /// Puts the harbor `build` makes on air; after a panic in the station's thread,
    /// `build` is called again and the station goes on (its mounts stay, so listeners
    /// stay connected).
    pub fn start_with(self, mut build: HarborFactory) -> Result<Station> {
        radio_core_name_check(&self.name)?;
        let parts = build()?;
        let controls = Arc::new(std::sync::Mutex::new(Controls {
            autodj: parts.autodj.clone(),
            live: parts.live.clone(),
        }));
        let mut buses: Vec<Bus> = Vec::new();
        let mut states = Vec::new();
        for output in &self.outputs {
            output.format.check().map_err(|m| Error::Output {
                output: output.describe(),
                message: m,
            })?;
            let at = match buses.iter().position(|b| b.format == output.format) {
                Some(i) => i,
                None => {
                    buses.push(Bus::new(output.format));
                    buses.len() - 1
                }
            };
            let bus = &mut buses[at];
            match &output.target {
                Target::Mount(path) => {
                    let server = self.server.as_ref().ok_or_else(|| Error::Output {
                        output: path.clone(),
                        message: "a mount output needs a server (StationBuilder::server)".into(),
                    })?;
                    let feed = server
                        .attach_source(path, output.source_info())
                        .map_err(|e| Error::Output {
                            output: path.clone(),
                            message: e.to_string(),
                        })?;
                    bus.mounts.push(feed);
                }
                Target::Upstream(push) => {
                    let runtime = match &self.runtime {
                        Some(h) => h.clone(),
                        None => {
                            tokio::runtime::Handle::try_current().map_err(|_| Error::Output {
                                output: output.describe(),
                                message: "an upstream output needs a tokio runtime".into(),
                            })?
                        }
                    };
                    let mut push = (**push).clone();
                    let info = output.source_info();
                    push.content_type = info.content_type;
                    push.info = info.info;
                    push.audio_info = info.audio_info;
                    let _guard = runtime.enter();
                    let client = PushClient::spawn(push).map_err(|e| Error::Output {
                        output: output.describe(),
                        message: e.to_string(),
                    })?;
                    bus.upstreams.push((output.describe(), client));
                }
            }
            states.push(OutputState {
                target: output.describe(),
                kind: match output.target {
                    Target::Mount(_) => "mount",
                    Target::Upstream(_) => "upstream",
                },
                codec: output.format.codec.name(),
                bitrate: output.format.bitrate,
                connected: None,
                connects: None,
                error: None,
            });
        }
        let mut state = StationState::new(&self.name, self.clock.now());
        state.outputs = states;
        let (tx, rx) = watch::channel(Arc::new(state.clone()));
        let stop = Arc::new(AtomicBool::new(false));
        let timing = Arc::new(Timing::default());
        let mut worker = Worker {
            timing: timing.clone(),
            name: self.name.clone(),
            settings: self.settings.clone(),
            clock: self.clock.clone(),
            buses,
            state,
            tx,
            stop: stop.clone(),
            autodj: parts.autodj.clone(),
            live: parts.live.clone(),
            controls: controls.clone(),
            pending: Default::default(),
            audio: self.audio.clone(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("station-{}", self.name))
            .spawn(move || worker.run(parts.harbor, build))
            .map_err(Error::Thread)?;
        Ok(Station {
            timing,
            name: self.name,
            state: rx,
            stop,
            thread: Some(thread),
            controls,
        })
    }
}

/// Station names are URL ids.
fn radio_core_name_check(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::Build(format!(
            "station name {name:?}: use 1–64 letters, digits, '-' or '_'"
        )));
    }
    Ok(())
}

/// A station on air. Dropping it stops the station and ends its mounts' sources.
pub struct Station {
    timing: Arc<Timing>,
    name: String,
    state: watch::Receiver<Arc<StationState>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    controls: Arc<std::sync::Mutex<Controls>>,
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Station").field("name", &self.name).finish()
    }
}

impl Station {
    /// How long its thread spends making and encoding blocks.
    pub fn timing(&self) -> TimingSnapshot {
        self.timing.snapshot()
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The latest state.
    pub fn state(&self) -> Arc<StationState> {
        self.state.borrow().clone()
    }

    /// A receiver that sees every new state (for server-sent events).
    pub fn subscribe(&self) -> watch::Receiver<Arc<StationState>> {
        self.state.clone()
    }

    /// AutoDJ's handle, when the station has one (it changes after a restart).
    pub fn autodj(&self) -> Option<AutoDjControl> {
        self.controls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .autodj
            .clone()
    }

    /// The live input's handle, when the station has one (it changes after a restart).
    pub fn live(&self) -> Option<LiveControl> {
        self.controls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .live
            .clone()
    }

    /// Whether the station's thread still runs.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stops the station and waits for its thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Station {
    fn drop(&mut self) {
        self.halt();
    }
}

/// One encoded format and where its bytes go.
struct Bus {
    format: Format,
    encoder: Option<Box<dyn Encoder>>,
    mounts: Vec<SourceFeed>,
    upstreams: Vec<(String, PushClient)>,
    headers: Vec<u8>,
    in_header: bool,
    dropped: u64,
}

impl Bus {
    fn new(format: Format) -> Bus {
        Bus {
            format,
            encoder: None,
            mounts: Vec::new(),
            upstreams: Vec::new(),
            headers: Vec::new(),
            in_header: false,
            dropped: 0,
        }
    }

    fn send(&mut self, chunks: &mut Vec<Chunk>) {
        for c in chunks.drain(..) {
            if c.header {
                // The headers of a new chain: what a reconnecting upstream needs first.
                if !self.headers.is_empty() && !self.in_header {
                    self.headers.clear();
                }
                self.headers.extend_from_slice(&c.data);
                self.in_header = true;
                for (_, u) in &self.upstreams {
                    u.set_headers(Some(bytes::Bytes::copy_from_slice(&self.headers)));
                }
            } else {
                self.in_header = false;
            }
            for m in &mut self.mounts {
                m.write(&c.data);
            }
            for (_, u) in &self.upstreams {
                if !u.try_send(c.data.clone()) {
                    self.dropped += 1;
                }
            }
        }
    }
}

/// How long the station's thread spends on its 20 ms blocks (wall time, since it
/// started): what `/metrics` shows as station-thread and encoder timing.
#[derive(Debug, Default)]
pub struct Timing {
    blocks: AtomicU64,
    /// Making the block: the Harbor (decoders, resampling, mixing) and the limiter.
    mix_ns: AtomicU64,
    /// Encoding it (every format) and handing it to the mounts.
    encode_ns: AtomicU64,
    /// The slowest block so far.
    max_ns: AtomicU64,
}

/// A reading of [`Timing`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimingSnapshot {
    /// Blocks made.
    pub blocks: u64,
    /// Nanoseconds spent making them (Harbor and limiter).
    pub mix_ns: u64,
    /// Nanoseconds spent encoding and sending them.
    pub encode_ns: u64,
    /// The slowest block, in nanoseconds.
    pub max_ns: u64,
}

impl Timing {
    fn add(&self, mix: std::time::Duration, encode: std::time::Duration) {
        let (m, e) = (mix.as_nanos() as u64, encode.as_nanos() as u64);
        self.blocks.fetch_add(1, Ordering::Relaxed);
        self.mix_ns.fetch_add(m, Ordering::Relaxed);
        self.encode_ns.fetch_add(e, Ordering::Relaxed);
        self.max_ns.fetch_max(m + e, Ordering::Relaxed);
    }

    /// The figures so far.
    pub fn snapshot(&self) -> TimingSnapshot {
        TimingSnapshot {
            blocks: self.blocks.load(Ordering::Relaxed),
            mix_ns: self.mix_ns.load(Ordering::Relaxed),
            encode_ns: self.encode_ns.load(Ordering::Relaxed),
            max_ns: self.max_ns.load(Ordering::Relaxed),
        }
    }
}

/// The station's thread.
struct Worker {
    timing: Arc<Timing>,
    name: String,
    settings: StationSettings,
    clock: Arc<dyn Clock>,
    buses: Vec<Bus>,
    state: StationState,
    tx: watch::Sender<Arc<StationState>>,
    stop: Arc<AtomicBool>,
    autodj: Option<AutoDjControl>,
    live: Option<LiveControl>,
    controls: Arc<std::sync::Mutex<Controls>>,
    /// States waiting for their audio to be heard.
    pending: std::collections::VecDeque<(Time, Arc<StationState>)>,
    audio: AudioClock,
}

impl Worker {
    fn run(&mut self, first: Harbor, mut build: HarborFactory) {
        let mut harbor = Some(first);
        loop {
            let h = match harbor.take() {
                Some(h) => h,
                None => match build() {
                    Ok(parts) => {
                        self.autodj = parts.autodj.clone();
                        self.live = parts.live.clone();
                        *self.controls.lock().unwrap_or_else(|p| p.into_inner()) = Controls {
                            autodj: parts.autodj,
                            live: parts.live,
                        };
                        parts.harbor
                    }
                    Err(e) => {
                        tracing::error!("{} station: cannot restart: {e}", self.name);
                        break;
                    }
                },
            };
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| self.pump(h)));
            match result {
                Ok(Ok(())) => break,
                Ok(Err(e)) => {
                    tracing::error!("{} station stopped: {e}", self.name);
                    break;
                }
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".into());
                    self.state.restarts += 1;
                    tracing::error!(
                        "{} station: its thread panicked ({what}); restarting (restart {})",
                        self.name,
                        self.state.restarts
                    );
                    // Fresh encoders: the panic may have left one half-way.
                    for b in &mut self.buses {
                        b.encoder = None;
                    }
                    if self.stop.load(Ordering::SeqCst) {
                        break;
                    }
                }
            }
        }
        self.finish();
    }

    /// Flushes the encoders and marks the station stopped.
    fn finish(&mut self) {
        let mut chunks = Vec::new();
        for b in &mut self.buses {
            if let Some(e) = &mut b.encoder {
                let _ = e.finish(&mut chunks);
            }
            b.send(&mut chunks);
        }
        self.state.running = false;
        self.publish();
    }

    fn publish(&mut self) {
        self.pending.clear();
        self.tx.send_replace(Arc::new(self.state.clone()));
    }

    fn pump(&mut self, mut harbor: Harbor) -> Result<()> {
        let mut limiter = self.settings.limiter.map(Limiter::new);
        let mut chunks = Vec::new();
        let blank = Metadata::default();
        for b in &mut self.buses {
            if b.encoder.is_none() {
                b.encoder = Some(b.format.encoder(&blank, &mut chunks)?);
                b.send(&mut chunks);
            }
        }
        let (mut block, mut events) = (Block::silence(), Vec::new());
        let clock = self.clock.clone();
        let started = clock.now();
        let lead = chrono::Duration::from_std(self.settings.lead).unwrap_or_default();
        let block_len = chrono::Duration::milliseconds(20);
        let mut produced = chrono::Duration::zero();
        // Reported when a block starts more than this late against its schedule.
        let mut worst_lag = chrono::Duration::milliseconds(100);
        let mut silent_from: Option<Time> = None;
        let mut live_seen: Option<LiveState> = None;
        let mut tick = 0u64;
        while !self.stop.load(Ordering::SeqCst) {
            let due = started + produced - lead;
            clock.sleep_until(due);
            if produced >= lead {
                let lag = clock.now() - due;
                if lag > worst_lag {
                    worst_lag = lag;
                    tracing::warn!(
                        "{} station: a block started {} ms late ({} ms of lead left)",
                        self.name,
                        lag.num_milliseconds(),
                        (lead - lag).num_milliseconds()
                    );
                }
            }
            // The audio time of this block: what listeners hear `lead` from now.
            let at = started + produced;
            self.audio.set(at);
            events.clear();
            let mix_start = std::time::Instant::now();
            harbor.pull(&mut block, &mut events);
            let transitioned = self.read_log(&mut harbor, at);
            let mut changed = transitioned;
            let events_had_track = !events.is_empty();
            for e in &events {
                let Event::TrackStart(m) = e;
                if m.display().is_empty() {
                    // A stream without tags (a DJ's encoder) announces nothing.
                    continue;
                }
                self.track_start(m, harbor.on_air().unwrap_or("?"), at, &mut chunks)?;
                changed = true;
            }
            if let Some(l) = &mut limiter {
                l.process(&mut block);
            }
            let encode_start = std::time::Instant::now();
            for b in &mut self.buses {
                if let Some(e) = &mut b.encoder {
                    e.encode(&block, &mut chunks)?;
                }
                b.send(&mut chunks);
            }
            self.timing
                .add(encode_start - mix_start, encode_start.elapsed());
            // Watchdog: silence (not only a dead input) for too long.
            if let Some(limit) = self.settings.watchdog {
                if block.peak() < self.settings.silence_threshold {
                    let from = *silent_from.get_or_insert(at);
                    if self.state.silent_since.is_none()
                        && (at - from).to_std().is_ok_and(|d| d >= limit)
                    {
                        tracing::warn!(
                            "{} station: the output has been silent for {:.0} s (on air: {})",
                            self.name,
                            secs(limit),
                            harbor.on_air().unwrap_or("nothing")
                        );
                        self.state.silent_since = Some(from);
                        self.warn_mounts(Some(format!(
                            "the station's output is silent since {}",
                            from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                        )));
                        changed = true;
                    }
                } else {
                    silent_from = None;
                    if let Some(since) = self.state.silent_since.take() {
                        self.warn_mounts(None);
                        tracing::info!(
                            "{} station: sound again after {:.0} s of silence",
                            self.name,
                            (at - since).num_milliseconds() as f64 / 1000.0
                        );
                        changed = true;
                    }
                }
            }
            // Slower-moving state: the live DJ, upstreams, the next track (every 250 ms).
            if tick.is_multiple_of(12) || transitioned {
                let live = self.live.as_ref().and_then(|l| {
                    l.session().map(|s| LiveState {
                        username: s.username,
                        kickoff: s.kickoff,
                        on_air: harbor.on_air() == Some("live"),
                    })
                });
                if live != live_seen {
                    live_seen = live.clone();
                    self.state.live = live;
                    changed = true;
                }
                changed |= self.poll_outputs();
            }
            // The next track: a dry run of AutoDJ's picker, after each track start and
            // every 5 s (requests, schedules).
            if tick.is_multiple_of(250) || events_had_track {
                changed |= self.poll_next();
            }
            tick += 1;
            // A change is announced when listeners hear it: `lead` after it was made.
            if changed {
                self.pending.push_back((at, Arc::new(self.state.clone())));
            }
            let now = clock.now();
            while self.pending.front().is_some_and(|(t, _)| *t <= now) {
                if let Some((_, st)) = self.pending.pop_front() {
                    self.tx.send_replace(st);
                }
            }
            produced += block_len;
        }
        Ok(())
    }

    /// Shows (or clears) a warning on the station's mounts' status entries.
    fn warn_mounts(&self, warning: Option<String>) {
        for b in &self.buses {
            for f in &b.mounts {
                f.set_warning(warning.clone());
            }
        }
    }

    /// Takes the Harbor's new log entries into the state; `true` if any.
    fn read_log(&mut self, harbor: &mut Harbor, at: Time) -> bool {
        let mut changed = false;
        for entry in harbor.take_log() {
            if let LogEntry::Transition {
                from, to, reason, ..
            } = entry
            {
                tracing::info!(
                    "{} station: {} -> {} ({reason})",
                    self.name,
                    from.as_deref().unwrap_or("(silence)"),
                    to.as_deref().unwrap_or("(silence)")
                );
                self.state.on_air = to.clone();
                self.state.push_transition(TransitionState {
                    at,
                    from,
                    to,
                    reason: reason.to_string(),
                });
                changed = true;
            }
        }
        changed
    }

    fn track_start(
        &mut self,
        m: &Metadata,
        input: &str,
        at: Time,
        chunks: &mut Vec<Chunk>,
    ) -> Result<()> {
        let mut t = TrackState::new(m, input, at);
        if input == "autodj"
            && let Some(a) = &self.autodj
            && let Some(p) = a.history().iter().rev().find(|p| p.track.metadata == *m)
        {
            t.duration = p.track.duration.map(secs);
            t.id = Some(p.track.id);
        }
        tracing::debug!("{} station: [{input}] {}", self.name, t.display);
        let title = t.display.clone();
        self.state.push_track(t);
        for b in &mut self.buses {
            match Meta::new(title.clone(), m.artist.clone(), None, "UTF-8") {
                Ok(meta) => {
                    for f in &b.mounts {
                        f.set_title(meta.clone());
                    }
                }
                Err(e) => tracing::warn!("{} station: title {title:?}: {e}", self.name),
            }
            for (_, u) in &b.upstreams {
                u.set_title(title.clone());
            }
            if self.settings.ogg_chain_titles || b.format.codec != crate::Codec::Opus {
                if let Some(e) = &mut b.encoder {
                    e.set_metadata(m, chunks)?;
                }
                b.send(chunks);
            }
        }
        Ok(())
    }

    fn poll_outputs(&mut self) -> bool {
        let mut changed = false;
        for b in &self.buses {
            for (target, u) in &b.upstreams {
                let stats = u.stats();
                let connected = Some(stats.connected.load(Ordering::Relaxed));
                let connects = Some(stats.connects.load(Ordering::Relaxed));
                if let Some(o) = self
                    .state
                    .outputs
                    .iter_mut()
                    .find(|o| o.kind == "upstream" && &o.target == target)
                    && (o.connected != connected || o.connects != connects)
                {
                    o.connected = connected;
                    o.connects = connects;
                    changed = true;
                }
            }
        }
        changed
    }

    fn poll_next(&mut self) -> bool {
        let Some(a) = &self.autodj else {
            return false;
        };
        let next = a.upcoming().map(|(t, requested)| NextTrack {
            id: t.id,
            title: t.metadata.title.clone(),
            artist: t.metadata.artist.clone(),
            album: t.metadata.album.clone(),
            duration: t.duration.map(secs),
            requested,
        });
        if next != self.state.next {
            self.state.next = next;
            return true;
        }
        false
    }
}

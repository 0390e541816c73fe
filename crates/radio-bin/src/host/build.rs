//! One station put together from its spec: library, inputs, outputs, live gate, shows,
//! calendars — and rebuilt the same way if its thread panics.

use crate::config::{CalendarSource, ShowTime, StationSpec};
use anyhow::Context as _;
use radio_core::{Db, Lufs};
use radio_net::Server;
use radio_net::config::StreamInfo;
use radio_sched::autodj::library::Library;
use radio_sched::autodj::rules::Playlist;
use radio_sched::autodj::{AutoDj, AutoDjControl, AutoDjSettings};
use radio_sched::calendar::Calendar;
use radio_sched::failsafe::Failsafe;
use radio_sched::live::{Live, LiveSettings};
use radio_sched::show::{Show, Shows, ShowsControl};
use radio_sched::{Clock, Harbor, HarborSettings, Input};
use radio_station::{
    DjAccount, GateSettings, LiveGate, Output, Parts, Station, StationBuilder, StationSettings,
};
use radio_store::{Folder, LibrarySettings, StationLibrary, Store, WatchEvent, WatchSettings};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Where AutoDJ's tracks come from.
pub enum Music {
    /// The store's library of the station's folders (indexed and watched).
    Store(Store),
    /// A library in memory with its playlists (the demo).
    Memory(Arc<dyn Library>, Vec<Playlist>),
}

/// What a running station is made of, beside its thread.
pub struct Running {
    /// The spec it was built from.
    pub spec: StationSpec,
    /// The station.
    pub station: Station,
    /// Its live input's door.
    pub gate: Option<LiveGate>,
    /// The shows of the Harbor on air.
    pub shows: Arc<Mutex<ShowsControl>>,
    /// AutoDJ's library and playlists (what listeners may request from).
    pub catalog: (Arc<dyn Library>, Arc<RwLock<Vec<Playlist>>>),
    /// The folder watcher.
    watcher: Mutex<Option<radio_store::Watcher>>,
    /// Calendars and recurring shows, kept up to date.
    upkeep: Option<Upkeep>,
    /// Made through the API (deletable there); config stations are read-only.
    pub from_api: bool,
}

impl Running {
    /// Rescans the station's folders now (after an upload, a deletion, a tag edit).
    pub fn rescan(&self) {
        if let Some(w) = self
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            w.rescan();
        }
    }

    /// Stops the station, its watcher and its upkeep thread.
    pub fn stop(self) {
        let Running {
            station,
            watcher,
            upkeep,
            ..
        } = self;
        drop(upkeep);
        drop(watcher.lock().unwrap_or_else(|p| p.into_inner()).take());
        station.stop();
    }
}

/// Puts a station on air. Blocking (SQLite, file probes): call it off the reactor.
pub fn start(
    spec: &StationSpec,
    music: Music,
    server: &Server,
    runtime: tokio::runtime::Handle,
    clock: Arc<dyn Clock>,
    djs_extra: Vec<DjAccount>,
) -> anyhow::Result<Running> {
    let name = spec.name.clone();
    // The library, and a slot holding the AutoDJ of the Harbor on air.
    let autodj_slot: Arc<Mutex<Option<AutoDjControl>>> = Arc::default();
    let (library, playlists, store_parts): (Arc<dyn Library>, Vec<Playlist>, _) = match music {
        Music::Memory(l, p) => (l, p, None),
        Music::Store(store) => {
            let settings = LibrarySettings {
                loudness: radio_core::loudness::LoudnessSettings {
                    target: Lufs(spec.loudness as f32),
                    ceiling: Db(-1.0),
                },
                jingle_every: spec.jingle_every,
                ..LibrarySettings::default()
            };
            let lib = Arc::new(StationLibrary::open(store.clone(), &name, settings)?);
            let folders: Vec<Folder> = spec
                .media
                .iter()
                .map(Folder::media)
                .chain(spec.jingles.iter().map(Folder::jingles))
                .collect();
            store.set_folders(lib.station(), &folders)?;
            let playlists = lib.playlists();
            (
                lib.clone() as Arc<dyn Library>,
                playlists,
                Some((store, lib, folders)),
            )
        }
    };
    let playlists = Arc::new(RwLock::new(playlists));
    // The live input's door (its input is made by the factory).
    let gate = spec.live.as_ref().map(|l| {
        let (_, placeholder) = Live::new("live", LiveSettings::default());
        let djs = spec
            .djs
            .iter()
            .map(|d| DjAccount {
                user: d.user.clone(),
                password: d.password.clone().unwrap_or_default(),
                stream_key: d.stream_key.clone(),
                calendar: d.calendar.as_ref().map(|_| Arc::new(RwLock::new(None))),
                banned: None,
                title: d.title.clone(),
            })
            .chain(djs_extra.iter().cloned())
            .collect();
        LiveGate::new(
            &name,
            &l.mount,
            placeholder,
            clock.clone(),
            GateSettings {
                entry_grace: l.entry_grace,
                exit_grace: l.exit_grace,
                record_dir: l.record.clone(),
                ..GateSettings::default()
            },
            djs,
        )
    });
    let shows_slot = Arc::new(Mutex::new(ShowsControl::default()));
    // Show lengths, probed once (a show joined late past its end counts as missed).
    let show_lengths: Vec<Option<Duration>> = spec
        .shows
        .iter()
        .map(|s| {
            s.duration.or_else(|| {
                radio_core::decode::FileDecoder::open(&s.file)
                    .ok()
                    .and_then(|d| d.info().duration)
                    .map(Duration::from_secs_f64)
            })
        })
        .collect();
    for (s, len) in spec.shows.iter().zip(&show_lengths) {
        if len.is_none() {
            tracing::warn!(
                "{name} station: show {:?}: cannot read {} yet (it will fail at its time unless the file appears)",
                s.title,
                s.file.display()
            );
        }
    }
    let mut builder = StationBuilder::new(&name)
        .server(server)
        .runtime(runtime)
        .clock(clock.clone())
        .settings(StationSettings {
            watchdog: Some(spec.watchdog),
            ogg_chain_titles: spec.ogg_chain_titles,
            ..StationSettings::default()
        });
    let info = StreamInfo {
        name: Some(spec.display_name.clone()),
        description: spec.description.clone(),
        genre: spec.genre.clone(),
        url: spec.url.clone(),
        public: None,
        bitrate: None,
    };
    // The Harbor and its inputs read the time of the audio being made.
    let audio = builder.audio_clock();
    let factory = {
        let spec = spec.clone();
        let clock = audio.clone();
        let gate = gate.clone();
        let library = library.clone();
        let playlists = playlists.clone();
        let autodj_slot = autodj_slot.clone();
        let shows_slot = shows_slot.clone();
        let show_lengths = show_lengths.clone();
        move || -> radio_station::Result<Parts> {
            let mut inputs: Vec<Box<dyn Input>> = Vec::new();
            let (shows, shows_control) = Shows::files();
            add_shows(&spec, &show_lengths, &shows_control, clock.now());
            *shows_slot.lock().unwrap_or_else(|p| p.into_inner()) = shows_control;
            inputs.push(Box::new(shows));
            let mut live_control = None;
            if let Some(gate) = &gate {
                let settings = LiveSettings {
                    silence: radio_core::silence::SilenceSettings {
                        duration: spec.silence_timeout,
                        ..Default::default()
                    },
                    ..LiveSettings::default()
                };
                let (live, control) = Live::new("live", settings);
                gate.set_control(control.clone());
                live_control = Some(control);
                inputs.push(Box::new(live));
            }
            let mut settings = AutoDjSettings {
                retry: Duration::from_secs(2),
                ..AutoDjSettings::default()
            };
            settings.crossfade.fade_out = spec.crossfade;
            settings.crossfade.fade_in = spec.crossfade.min(Duration::from_secs(3));
            settings.pick.timezone = spec.timezone;
            settings.pick.seed = clock.now().timestamp_nanos_opt().unwrap_or(0x5eed) as u64;
            settings.pick.playlists = playlists.read().unwrap_or_else(|p| p.into_inner()).clone();
            let (autodj, control) = AutoDj::new(library.clone(), settings, clock.clone());
            *autodj_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(control.clone());
            inputs.push(Box::new(autodj));
            inputs.push(Box::new(Failsafe::tone()));
            let harbor = Harbor::new(
                inputs,
                clock.clone(),
                HarborSettings {
                    transition: spec.transition,
                    ..HarborSettings::default()
                },
            );
            Ok(Parts {
                harbor,
                autodj: Some(control),
                live: live_control,
            })
        }
    };
    for o in &spec.outputs {
        builder = builder.output(Output::mount(&o.mount, o.format).with_info(info.clone()));
    }
    for u in &spec.upstreams {
        builder =
            builder.output(Output::upstream(u.push.clone(), u.format).with_info(info.clone()));
    }
    let station = builder
        .start_with(Box::new(factory))
        .with_context(|| format!("station {name}"))?;
    // The watcher: scans now, on changes and every 10 minutes; each scan refreshes AutoDJ.
    let watcher = match store_parts {
        None => None,
        Some((store, lib, folders)) => {
            let slot = autodj_slot.clone();
            let label = name.clone();
            let playlists = playlists.clone();
            Some(radio_store::Watcher::start(
                store,
                &name,
                folders,
                WatchSettings::default(),
                move |event| {
                    let (summary, done) = match event {
                        WatchEvent::Progress(s) => (s, false),
                        WatchEvent::Scanned(Ok(s)) => (s, true),
                        WatchEvent::Scanned(Err(e)) => {
                            tracing::warn!("{label} station: media library: {e}");
                            return;
                        }
                    };
                    if let Err(e) = lib.refresh() {
                        tracing::warn!("{label} station: media library: {e}");
                        return;
                    }
                    let p = lib.playlists();
                    *playlists.write().unwrap_or_else(|p| p.into_inner()) = p.clone();
                    if let Some(c) = slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                        c.set_playlists(p);
                    }
                    let playable = lib.len();
                    if !done {
                        tracing::info!(
                            "{label} station: indexing, {} added so far; {playable} playable tracks",
                            summary.added + summary.updated + summary.moved
                        );
                    } else if summary.changed() {
                        tracing::info!(
                            "{label} station: media library: {summary}; {playable} playable tracks"
                        );
                    }
                },
            )?)
        }
    };
    let upkeep = Upkeep::start(spec, gate.as_ref(), shows_slot.clone(), show_lengths, clock);
    Ok(Running {
        spec: spec.clone(),
        station,
        gate,
        shows: shows_slot,
        catalog: (library.clone(), playlists.clone()),
        watcher: Mutex::new(watcher),
        upkeep,
        from_api: false,
    })
}

/// How far ahead recurring shows are laid out (re-laid hourly).
const SHOW_HORIZON: chrono::Duration = chrono::Duration::days(14);

/// Puts the spec's shows into a fresh ShowsControl: one-off shows, and recurring ones from
/// a day back (a show running now is joined at its offset) to the horizon.
fn add_shows(
    spec: &StationSpec,
    lengths: &[Option<Duration>],
    control: &ShowsControl,
    now: radio_sched::Time,
) {
    for (s, len) in spec.shows.iter().zip(lengths) {
        let location = s.file.to_string_lossy().into_owned();
        match &s.when {
            ShowTime::At(at) => {
                let mut show = Show::new(&s.title, &location, *at);
                show.duration = *len;
                control.add(show);
            }
            ShowTime::Rule { rrule, first } => {
                let from = now - chrono::Duration::days(1);
                if let Err(e) = control.add_recurring(
                    &s.title,
                    &location,
                    *first,
                    spec.timezone,
                    rrule,
                    len.unwrap_or(Duration::from_secs(3600)),
                    from,
                    now + SHOW_HORIZON,
                ) {
                    tracing::warn!("{} station: show {:?}: {e}", spec.name, s.title);
                }
            }
        }
    }
}

/// A thread that keeps calendars and recurring shows current.
struct Upkeep {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Upkeep {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// Where a DJ's calendar is kept for the live gate (replaced when re-read).
type CalendarSlot = Arc<RwLock<Option<Calendar>>>;

/// Calendars are re-read this often.
const CALENDAR_EVERY: Duration = Duration::from_secs(300);

impl Upkeep {
    fn start(
        spec: &StationSpec,
        gate: Option<&LiveGate>,
        shows: Arc<Mutex<ShowsControl>>,
        lengths: Vec<Option<Duration>>,
        clock: Arc<dyn Clock>,
    ) -> Option<Upkeep> {
        let calendars: Vec<(String, CalendarSource, CalendarSlot)> = gate
            .map(|g| {
                let accounts = g.accounts();
                spec.djs
                    .iter()
                    .filter_map(|d| {
                        let source = d.calendar.clone()?;
                        let slot = accounts
                            .iter()
                            .find(|a| a.user == d.user)
                            .and_then(|a| a.calendar.clone())?;
                        Some((d.user.clone(), source, slot))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let recurring = spec
            .shows
            .iter()
            .any(|s| matches!(s.when, ShowTime::Rule { .. }));
        if calendars.is_empty() && !recurring {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let spec = spec.clone();
        let thread = std::thread::Builder::new()
            .name(format!("{}-upkeep", spec.name))
            .spawn(move || {
                let mut last_shows = clock.now();
                while !flag.load(Ordering::SeqCst) {
                    for (user, source, slot) in &calendars {
                        match fetch_calendar(source, spec.timezone) {
                            Ok(cal) => {
                                *slot.write().unwrap_or_else(|p| p.into_inner()) = Some(cal);
                            }
                            Err(e) => tracing::warn!(
                                "{} station: {user}'s calendar: {e:#} (keeping the last good copy)",
                                spec.name
                            ),
                        }
                    }
                    let now = clock.now();
                    if recurring && now - last_shows >= chrono::Duration::hours(1) {
                        last_shows = now;
                        let control = shows.lock().unwrap_or_else(|p| p.into_inner()).clone();
                        // Re-lay the recurring shows that are still pending.
                        let only_rules = StationSpec {
                            shows: spec
                                .shows
                                .iter()
                                .filter(|s| matches!(s.when, ShowTime::Rule { .. }))
                                .cloned()
                                .collect(),
                            ..spec.clone()
                        };
                        let lens: Vec<_> = spec
                            .shows
                            .iter()
                            .zip(&lengths)
                            .filter(|(s, _)| matches!(s.when, ShowTime::Rule { .. }))
                            .map(|(_, l)| *l)
                            .collect();
                        let pending: Vec<Show> = control.shows();
                        let fresh = ShowsControl::default();
                        add_shows(&only_rules, &lens, &fresh, now);
                        for s in fresh.shows() {
                            if !pending
                                .iter()
                                .any(|p| p.start == s.start && p.title == s.title)
                            {
                                control.add(s);
                            }
                        }
                    }
                    std::thread::park_timeout(CALENDAR_EVERY);
                }
            })
            .ok()?;
        Some(Upkeep {
            stop,
            thread: Some(thread),
        })
    }
}

/// Reads a calendar from its URL (HTTP or HTTPS, 30 s timeout, 4 MiB at most) or file.
fn fetch_calendar(source: &CalendarSource, tz: chrono_tz::Tz) -> anyhow::Result<Calendar> {
    let text = match source {
        CalendarSource::File(p) => {
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?
        }
        CalendarSource::Url(url) => {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .into();
            let mut resp = agent.get(url).call().with_context(|| {
                format!("fetching {}", radio_station::output::strip_credentials(url))
            })?;
            resp.body_mut()
                .with_config()
                .limit(4 << 20)
                .read_to_string()
                .context("reading the calendar")?
        }
    };
    Calendar::parse(&text, tz).map_err(|e| anyhow::anyhow!("not a valid iCalendar: {e}"))
}

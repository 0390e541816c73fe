//! A station under a simulated clock: outputs in step, titles with their audio, restarts
//! after a panic, the silence watchdog, the live gate's answers.

use radio_core::{Block, Event, Metadata, Pull, Source};
use radio_net::{Server, ServerConfig};
use radio_sched::autodj::library::{MemoryLibrary, TrackInfo};
use radio_sched::autodj::rules::Playlist;
use radio_sched::autodj::{AutoDj, AutoDjSettings};
use radio_sched::calendar::Calendar;
use radio_sched::failsafe::Failsafe;
use radio_sched::live::{Live, LiveSettings};
use radio_sched::{Clock, Harbor, HarborSettings, Input, SimClock, Time};
use radio_station::{
    DjAccount, Format, GateSettings, LiveGate, Output, Parts, StationBuilder, StationSettings,
    StationState,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

fn start_time() -> Time {
    chrono::DateTime::parse_from_rfc3339("2026-12-04T20:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// A sine of `seconds` announcing `meta` on its first block.
struct Tone {
    meta: Option<Metadata>,
    left: usize,
    freq: f32,
    n: u64,
}

impl Source for Tone {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if self.left == 0 {
            return Pull::End;
        }
        if let Some(m) = self.meta.take() {
            events.push(Event::TrackStart(m));
        }
        for f in block.samples_mut().chunks_exact_mut(2) {
            let v = 0.3 * (std::f32::consts::TAU * self.freq * self.n as f32 / 48_000.0).sin();
            f[0] = v;
            f[1] = v;
            self.n += 1;
        }
        self.left -= 1;
        Pull::Audio
    }
}

/// Four 6-second tones, "Artist N - Song N".
fn tones() -> Arc<MemoryLibrary> {
    let tracks = (1..=4).map(|i| {
        let mut t = TrackInfo::new(i, "tone", &format!("Artist {i}"), &format!("Song {i}"));
        t.duration = Some(Duration::from_secs(6));
        t
    });
    Arc::new(MemoryLibrary::with_opener(
        tracks,
        Arc::new(|t: &TrackInfo| {
            Ok(Box::new(Tone {
                meta: Some(t.metadata.clone()),
                left: 300,
                freq: 200.0 + 100.0 * t.id as f32,
                n: 0,
            }) as Box<dyn Source>)
        }),
    ))
}

fn autodj_harbor(clock: &SimClock) -> Parts {
    let mut settings = AutoDjSettings::default();
    settings.pick.playlists = vec![Playlist::new("all", vec![1, 2, 3, 4])];
    settings.crossfade.fade_out = Duration::from_secs(1);
    settings.crossfade.fade_in = Duration::from_secs(1);
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let (autodj, control) = AutoDj::new(tones(), settings, clock.clone());
    Parts {
        harbor: Harbor::new(
            vec![Box::new(autodj), Box::new(Failsafe::tone())],
            clock,
            HarborSettings::default(),
        ),
        autodj: Some(control),
        live: None,
    }
}

/// Waits (on the station's own announcements) for a state that satisfies `want`.
fn wait_for(
    rx: &mut tokio::sync::watch::Receiver<Arc<StationState>>,
    what: &str,
    want: impl Fn(&StationState) -> bool,
) -> Arc<StationState> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let st = rx.borrow_and_update().clone();
                if want(&st) {
                    return st;
                }
                rx.changed().await.expect("the station went away");
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no state with {what} within 30 s"))
    })
}

#[test]
fn every_output_carries_the_same_program_and_titles_follow_the_audio() {
    let server = Server::new(ServerConfig::default()).unwrap();
    let clock = SimClock::new(start_time());
    let parts = autodj_harbor(&clock);
    let station = StationBuilder::new("tones")
        .server(&server)
        .clock(Arc::new(clock.clone()))
        .output(Output::mount("/tones.mp3", Format::mp3(128)))
        .output(Output::mount("/tones.opus", Format::opus(96)))
        .output(Output::mount("/tones-low.mp3", Format::mp3(64)))
        .autodj(parts.autodj.clone().unwrap())
        .start(parts.harbor)
        .unwrap();
    let mut rx = station.subscribe();
    let st = wait_for(&mut rx, "three tracks played", |s| s.history.len() >= 3);
    let track = st.track.clone().unwrap();
    assert!(track.display.starts_with("Artist "), "{track:?}");
    assert_eq!(track.input, "autodj");
    assert_eq!(track.duration, Some(6.0), "length from AutoDJ's pick");
    let next = st.next.clone().expect("the next track is known");
    assert_ne!(
        Some(next.id),
        track.id,
        "anti-repeat: not the same track next"
    );
    assert_eq!(st.on_air.as_deref(), Some("autodj"));
    assert_eq!(st.outputs.len(), 3);
    for m in ["/tones.mp3", "/tones.opus", "/tones-low.mp3"] {
        let mount = server.mount(m).unwrap();
        assert!(mount.is_live(), "{m} is fed");
        assert!(mount.status().bytes_read > 20_000, "{m} has audio");
    }
    // Starts are 6 s apart less the 1 s crossfade, on the audio clock.
    let starts: Vec<Time> = st.history.iter().map(|t| t.started).collect();
    let gap = (starts[0] - starts[1]).num_milliseconds();
    assert!(
        (4_900..=5_100).contains(&gap),
        "{gap} ms between track starts"
    );
    drop(station);
    for m in ["/tones.mp3", "/tones.opus"] {
        assert!(
            !server.mount(m).unwrap().is_live(),
            "{m} ends with the station"
        );
    }
}

/// An input that panics once, on its 100th pull.
struct Fragile {
    pulls: usize,
    panicked: Arc<AtomicBool>,
}

impl Input for Fragile {
    fn name(&self) -> &str {
        "fragile"
    }
    fn is_ready(&self, _now: Time) -> bool {
        true
    }
    fn pull(&mut self, _now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        self.pulls += 1;
        if self.pulls == 1 {
            events.push(Event::TrackStart(Metadata {
                title: Some("fragile".into()),
                ..Default::default()
            }));
        }
        if self.pulls == 100 && !self.panicked.swap(true, Ordering::SeqCst) {
            panic!("a bug in an input");
        }
        for s in block.samples_mut() {
            *s = 0.1;
        }
        Pull::Audio
    }
}

#[test]
fn a_panic_in_the_station_thread_restarts_it_and_listeners_stay() {
    let server = Server::new(ServerConfig::default()).unwrap();
    let clock = SimClock::new(start_time());
    let panicked = Arc::new(AtomicBool::new(false));
    let builds = Arc::new(AtomicUsize::new(0));
    let (p, b, c) = (panicked.clone(), builds.clone(), clock.clone());
    let station = StationBuilder::new("fragile")
        .server(&server)
        .clock(Arc::new(clock.clone()))
        .output(Output::mount("/fragile.mp3", Format::mp3(128)))
        .start_with(Box::new(move || {
            b.fetch_add(1, Ordering::SeqCst);
            let input = Fragile {
                pulls: 0,
                panicked: p.clone(),
            };
            Ok(Harbor::new(
                vec![Box::new(input)],
                Arc::new(c.clone()),
                HarborSettings::default(),
            )
            .into())
        }))
        .unwrap();
    let mut rx = station.subscribe();
    let st = wait_for(&mut rx, "a restart", |s| s.restarts == 1);
    assert!(st.running);
    assert!(panicked.load(Ordering::SeqCst));
    assert_eq!(
        builds.load(Ordering::SeqCst),
        2,
        "the harbor was rebuilt once"
    );
    let mount = server.mount("/fragile.mp3").unwrap();
    assert!(mount.is_live(), "the mount's source never left");
    let before = mount.status().bytes_read;
    wait_for(&mut rx, "the rebuilt harbor's track", |s| {
        s.history.len() >= 2 && s.on_air.as_deref() == Some("fragile")
    });
    // The mount announces each batch of audio it publishes: wait for more of it.
    let mut published = mount.subscribe();
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(30), async {
                while mount.status().bytes_read <= before {
                    published.changed().await.expect("the mount stays");
                }
            })
            .await
            .expect("audio after the restart")
        });
    assert!(station.is_running());
}

/// An input that is always ready and always silent.
struct Mute;

impl Input for Mute {
    fn name(&self) -> &str {
        "mute"
    }
    fn is_ready(&self, _now: Time) -> bool {
        true
    }
    fn pull(&mut self, _now: Time, block: &mut Block, _events: &mut Vec<Event>) -> Pull {
        block.clear();
        Pull::Audio
    }
}

#[test]
fn the_watchdog_reports_silence_that_is_not_a_dead_input() {
    let clock = SimClock::new(start_time());
    let harbor = Harbor::new(
        vec![Box::new(Mute)],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    let server = Server::new(ServerConfig::default()).unwrap();
    let station = StationBuilder::new("mute")
        .server(&server)
        .output(Output::mount("/mute.mp3", Format::mp3(64)))
        .clock(Arc::new(clock.clone()))
        .settings(StationSettings {
            watchdog: Some(Duration::from_secs(5)),
            ..StationSettings::default()
        })
        .start(harbor)
        .unwrap();
    let mut rx = station.subscribe();
    let st = wait_for(&mut rx, "silence reported", |s| s.silent_since.is_some());
    assert_eq!(st.on_air.as_deref(), Some("mute"), "on air, and silent");
    assert_eq!(st.silent_since, Some(start_time()));
    let status = server.mount("/mute.mp3").unwrap().status();
    assert_eq!(
        status.warning.as_deref(),
        Some("the station's output is silent since 2026-12-04T20:00:00Z"),
        "status pages show it too"
    );
}

fn gate_with(djs: Vec<DjAccount>, now: Time) -> LiveGate {
    let (_live, control) = Live::new("live", LiveSettings::default());
    let _ = now;
    LiveGate::new(
        "rock",
        "/rock-live",
        control,
        Arc::new(SimClock::new(now)),
        GateSettings {
            entry_grace: Duration::from_secs(300),
            exit_grace: Duration::from_secs(60),
            ..GateSettings::default()
        },
        djs,
    )
}

#[test]
fn the_live_gate_says_why_it_refuses() {
    let now = start_time();
    let calendar = Calendar::parse(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:bob-1\r\n\
         DTSTART:20261204T210000Z\r\nDTEND:20261204T220000Z\r\nSUMMARY:Bob's hour\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n",
        chrono_tz::UTC,
    )
    .unwrap();
    let djs = vec![
        DjAccount {
            user: "alice".into(),
            password: "secret".into(),
            ..Default::default()
        },
        DjAccount {
            user: "bob".into(),
            password: "pw".into(),
            calendar: Some(Arc::new(RwLock::new(Some(calendar)))),
            ..Default::default()
        },
        DjAccount {
            user: "carol".into(),
            password: "pw".into(),
            stream_key: Some("k3y-carol".into()),
            banned: Some(None),
            ..Default::default()
        },
        DjAccount {
            user: "dave".into(),
            password: "pw".into(),
            stream_key: Some("k3y-dave".into()),
            ..Default::default()
        },
    ];
    let gate = gate_with(djs, now);
    let ok = gate.check("alice", "secret", now).unwrap();
    assert_eq!((ok.username.as_str(), ok.kickoff), ("alice", None));
    assert_eq!(ok.title.as_deref(), Some("alice live"));
    // Shoutcast v1 style: the user in the password field.
    assert_eq!(
        gate.check("", "alice:secret", now).unwrap().username,
        "alice"
    );
    assert_eq!(
        gate.check("source", "alice:secret", now).unwrap().username,
        "alice"
    );
    // A stream key alone.
    assert_eq!(gate.check("x", "k3y-dave", now).unwrap().username, "dave");
    let wrong = gate.check("alice", "nope", now).unwrap_err();
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.reason.contains("wrong user name or password"),
        "{wrong:?}"
    );
    let banned = gate.check("carol", "pw", now).unwrap_err();
    assert_eq!(banned.status, 403);
    assert!(banned.reason.contains("banned"), "{banned:?}");
    // Outside the window: the next one (with the 5-minute entry grace) is named.
    let early = gate.check("bob", "pw", now).unwrap_err();
    assert_eq!(early.status, 403);
    assert!(
        early
            .reason
            .contains("next window opens 2026-12-04T20:55:00Z"),
        "{early:?}"
    );
    let inside = gate
        .check("bob", "pw", now + chrono::Duration::minutes(70))
        .unwrap();
    assert_eq!(
        inside.kickoff,
        Some(start_time() + chrono::Duration::minutes(121)),
        "kicked at the end of the window plus the exit grace"
    );
    assert!(gate.ban("alice", None));
    assert_eq!(gate.check("alice", "secret", now).unwrap_err().status, 403);
}

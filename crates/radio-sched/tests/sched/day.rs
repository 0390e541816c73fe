//! A whole simulated day of programming: shows from a calendar and from an RRULE, DJs
//! authorised by the calendar (overlapping windows, grace, a refusal, kicks, a silent DJ),
//! AutoDJ with jingles, news and stop sets, requests, an empty library, the failsafe.
//! It must match `day.log` line for line (regenerate with `UPDATE_GOLDEN=1` after an
//! intended change, and read the diff).

use crate::util::*;
use radio_core::{Block, Source};
use radio_sched::autodj::library::TrackInfo;
use radio_sched::autodj::rules::{Order, Playlist, Rotation, Schedule};
use radio_sched::autodj::stopset::{Category, StopSet, StopSetSettings};
use radio_sched::autodj::{AutoDj, AutoDjSettings};
use radio_sched::calendar::{AuthSettings, Calendar, Dj, DjAuthorizer};
use radio_sched::failsafe::Failsafe;
use radio_sched::live::{Disconnect, DjSession, Live, LiveSettings};
use radio_sched::show::{Show, ShowStatus, Shows};
use radio_sched::{Clock, Harbor, HarborSettings, SimClock, Time};
use std::sync::Arc;
use std::time::Duration;

const CALENDAR: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
X-WR-CALNAME:Station\r
X-WR-TIMEZONE:UTC\r
BEGIN:VEVENT\r
UID:morning@station\r
DTSTART:20260301T070000Z\r
DTEND:20260301T080000Z\r
RRULE:FREQ=DAILY\r
SUMMARY:Morning Show\r
ATTACH:file:///shows/morning.mp3\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:news@station\r
DTSTART:20260302T190000Z\r
DTEND:20260302T191000Z\r
SUMMARY:Evening News\r
DESCRIPTION:Pre-recorded.\\nfile: /shows/evening-news.mp3\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:lost@station\r
DTSTART:20260302T150000Z\r
DTEND:20260302T153000Z\r
SUMMARY:Lost Tape\r
ATTACH:file:///shows/missing.mp3\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:alice@station\r
DTSTART:20260302T180000Z\r
DTEND:20260302T200000Z\r
SUMMARY:Alice in the Evening\r
ORGANIZER;CN=Station:mailto:station@example.org\r
ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:Alice@Example.org\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:bob@station\r
DTSTART:20260302T193000Z\r
DTEND:20260302T210000Z\r
SUMMARY:Bob's Beats\r
ATTENDEE;CN=bob:mailto:bob@example.org\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:carol@station\r
DTSTART:20260302T220000Z\r
DTEND:20260302T230000Z\r
SUMMARY:Carol Late\r
ATTENDEE;CN=carol:mailto:carol@example.org\r
END:VEVENT\r
END:VCALENDAR\r
";

fn library() -> radio_sched::autodj::library::MemoryLibrary {
    let mut tracks = Vec::new();
    for i in 1..=40u64 {
        let secs = 170 + (i * 37) % 120;
        let mut t = TrackInfo::new(
            i,
            "music",
            &format!("Artist {}", i % 12),
            &format!("Song {i}"),
        );
        t.duration = Some(Duration::from_secs(secs));
        tracks.push(t);
    }
    let mut add = |id: u64, artist: &str, title: &str, secs: u64| {
        let mut t = TrackInfo::new(id, "asset", artist, title);
        t.duration = Some(Duration::from_secs(secs));
        t.fade_in = Some(Duration::ZERO);
        t.fade_out = Some(Duration::ZERO);
        tracks.push(t);
    };
    for i in 0..3 {
        add(100 + i, "Station", &format!("Jingle {}", i + 1), 10);
    }
    for i in 0..4 {
        add(200 + i, "Sponsor", &format!("Ad {}", i + 1), 30);
    }
    for i in 0..2 {
        add(300 + i, "Station", &format!("ID {}", i + 1), 8);
    }
    for i in 0..2 {
        add(400 + i, "Newsroom", &format!("Hourly news {}", i + 1), 120);
    }
    let block: Arc<[f32]> = tone_block(350, 0.25).into();
    radio_sched::autodj::library::MemoryLibrary::with_opener(
        tracks,
        Arc::new(move |t: &TrackInfo| {
            let secs = t.duration.unwrap().as_secs_f64();
            Ok(
                Box::new(ToneSource::new(block.clone(), secs, t.metadata.clone()))
                    as Box<dyn Source>,
            )
        }),
    )
}

fn playlists() -> Vec<Playlist> {
    let hm = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
    vec![
        Playlist {
            weight: 3,
            ..Playlist::new("daytime", (1..=40).collect())
        },
        Playlist {
            order: Order::Shuffle,
            schedule: Some(Schedule {
                days: vec![],
                start: hm(23, 0),
                end: hm(6, 0),
            }),
            ..Playlist::new("overnight", (1..=16).collect())
        },
        Playlist {
            rotation: Rotation::EveryNSongs(4),
            order: Order::Sequential,
            ..Playlist::new("jingles", vec![100, 101, 102])
        },
        Playlist {
            rotation: Rotation::OncePerHour(0),
            order: Order::Sequential,
            schedule: Some(Schedule {
                days: vec![],
                start: hm(6, 0),
                end: hm(23, 0),
            }),
            ..Playlist::new("news", vec![400, 401])
        },
    ]
}

/// A DJ's microphone: a tone for `sound` seconds, then silence, never ending.
struct Mic {
    tone: Vec<f32>,
    sound_blocks: u64,
    pulled: u64,
}

impl Source for Mic {
    fn pull(&mut self, block: &mut Block, _: &mut Vec<radio_core::Event>) -> radio_core::Pull {
        self.pulled += 1;
        if self.pulled <= self.sound_blocks {
            block.samples_mut().copy_from_slice(&self.tone);
        } else {
            block.clear();
        }
        radio_core::Pull::Audio
    }
}

fn mic(sound_seconds: u64) -> Box<dyn Source> {
    Box::new(Mic {
        tone: tone_block(400, 0.1),
        sound_blocks: sound_seconds * 50,
        pulled: 0,
    })
}

/// What the station host does at a given time.
enum Action {
    Connect(&'static str, u64),
    Disconnect,
    Request(u64),
    EmptyLibrary,
    RestoreLibrary,
}

fn the_day() -> Vec<String> {
    let start = monday();
    let clock = SimClock::new(start);
    let arc_clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let tz = chrono_tz::Tz::UTC;
    let calendar = Calendar::parse(CALENDAR, tz).expect("the calendar parses");

    let (shows, show_control) = Shows::with_opener(Arc::new(|show: &Show, offset: f64| {
        if show.location.contains("missing") {
            return Err(radio_sched::Error::Config(format!(
                "{}: no such file",
                show.location
            )));
        }
        let secs = show.duration.map_or(600.0, |d| d.as_secs_f64()) - offset;
        let block: Arc<[f32]> = tone_block(550, 0.25).into();
        Ok(Box::new(ToneSource::new(block, secs, Default::default())) as Box<dyn Source>)
    }));
    let day_end = start + chrono::Duration::days(1);
    show_control.sync_calendar(&calendar, start, day_end);
    show_control
        .add_recurring(
            "Lunch Special",
            "/shows/lunch.mp3",
            chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
                .unwrap()
                .and_hms_opt(12, 30, 0)
                .unwrap(),
            tz,
            "FREQ=WEEKLY;BYDAY=MO,WE,FR",
            Duration::from_secs(30 * 60),
            start,
            day_end,
        )
        .unwrap();

    let (live, dj) = Live::new("live", LiveSettings::default());
    let mut auth = DjAuthorizer::new(AuthSettings::calendar());
    auth.add_dj(
        Dj::new("alice")
            .with_email("alice@example.org")
            .with_grace(Duration::from_secs(5 * 60), Duration::from_secs(2 * 60)),
    );
    auth.add_dj(Dj::new("bob").with_email("bob@example.org"));
    auth.add_dj(Dj::new("carol").with_email("carol@example.org"));
    auth.add_dj(Dj::new("dave").with_email("dave@example.org"));
    auth.set_calendars(vec![calendar]);

    let mut settings = AutoDjSettings::default();
    settings.pick.playlists = playlists();
    settings.pick.no_repeat_tracks = 12;
    settings.pick.no_repeat_artists = 4;
    settings.pick.stopsets = Some(StopSetSettings {
        every: Duration::from_secs(30 * 60),
        sets: vec![StopSet {
            name: "break".into(),
            weight: 1,
            categories: vec!["ad".into(), "id".into(), "ad".into()],
        }],
        categories: vec![
            Category {
                name: "ad".into(),
                assets: (200..204).collect(),
            },
            Category {
                name: "id".into(),
                assets: vec![300, 301],
            },
        ],
    });
    let (autodj, auto) = AutoDj::new(Arc::new(library()), settings, arc_clock.clone());
    let mut harbor = Harbor::new(
        vec![
            Box::new(shows),
            Box::new(live),
            Box::new(autodj),
            Box::new(Failsafe::tone()),
        ],
        arc_clock,
        HarborSettings::default(),
    );

    let t = |h: u32, m: u32, s: u32| {
        start + chrono::Duration::seconds(i64::from(h * 3600 + m * 60 + s))
    };
    let mut actions: Vec<(Time, Action)> = vec![
        (t(3, 0, 0), Action::EmptyLibrary),
        (t(3, 20, 0), Action::RestoreLibrary),
        (t(9, 0, 0), Action::Request(7)),
        (t(9, 0, 0), Action::Request(23)),
        (t(9, 0, 0), Action::Request(7)),
        (t(10, 0, 0), Action::Connect("dave", 3600)),
        (t(17, 56, 0), Action::Connect("alice", 4 * 3600)),
        (t(19, 35, 0), Action::Connect("bob", 4 * 3600)),
        (t(20, 3, 0), Action::Connect("bob", 4 * 3600)),
        (t(21, 0, 1), Action::Connect("bob", 4 * 3600)),
        (t(21, 50, 0), Action::Connect("carol", 3600)),
        (t(22, 0, 0), Action::Connect("carol", 600)),
        (t(22, 30, 0), Action::Disconnect),
    ];
    actions.reverse();
    let mut host = Vec::new();
    let ms = |at: Time| since(start, at);
    let mut block = Block::silence();
    let mut events = Vec::new();
    for _ in 0..(24 * 3600 * 50) {
        let now = clock.now();
        while actions.last().is_some_and(|(at, _)| *at <= now) {
            let (_, action) = actions.pop().unwrap();
            match action {
                Action::Connect(user, secs) => match auth.authorize(user, now) {
                    Ok(grant) => {
                        let session = DjSession {
                            username: user.into(),
                            kickoff: grant.kickoff,
                            title: Some(grant.title.clone()),
                        };
                        match dj.connect(mic(secs), session) {
                            Ok(()) => host.push(format!(
                                "{} host: {user} connected until {}",
                                ms(now),
                                grant.kickoff.map_or("-".into(), ms)
                            )),
                            Err(taken) => {
                                host.push(format!("{} host: {user} refused: {taken}", ms(now)))
                            }
                        }
                    }
                    Err(refusal) => {
                        host.push(format!("{} host: {user} refused: {refusal}", ms(now)))
                    }
                },
                Action::Disconnect => {
                    dj.disconnect(Disconnect::Ended);
                    host.push(format!("{} host: source disconnected", ms(now)));
                }
                Action::Request(id) => match auto.request(id) {
                    Ok(()) => host.push(format!("{} host: request {id} queued", ms(now))),
                    Err(e) => host.push(format!("{} host: request {id} refused: {e}", ms(now))),
                },
                Action::EmptyLibrary => {
                    auto.set_playlists(vec![]);
                    host.push(format!("{} host: playlists emptied", ms(now)));
                }
                Action::RestoreLibrary => {
                    auto.set_playlists(playlists());
                    host.push(format!("{} host: playlists restored", ms(now)));
                }
            }
        }
        events.clear();
        harbor.pull(&mut block, &mut events);
        for d in dj.take_disconnects() {
            if let Disconnect::Kicked { username, at } = d {
                host.push(format!("{} host: {username} kicked", ms(at)));
            }
        }
        clock.advance(BLOCK);
    }
    for s in show_control.shows() {
        let status = match &s.status {
            ShowStatus::Failed(why) => format!("failed: {why}"),
            other => format!("{other:?}").to_lowercase(),
        };
        host.push(format!("{} show {:?}: {status}", ms(s.start), s.title));
    }
    let mut lines = log_lines(&harbor, start);
    lines.extend(host);
    // Stable order: by time, the on-air log before the host's lines at the same time.
    lines.sort_by(|a, b| a[..12].cmp(&b[..12]));
    lines
}

#[test]
fn a_simulated_day_matches_the_expected_on_air_log() {
    let lines = the_day();
    let golden_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sched/day.log");
    let text = lines.join("\n") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden_path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden_path).expect("tests/sched/day.log");
    for (i, (got, want)) in text.lines().zip(expected.lines()).enumerate() {
        assert_eq!(got, want, "line {} of day.log differs", i + 1);
    }
    assert_eq!(
        text.lines().count(),
        expected.lines().count(),
        "number of lines"
    );

    // The rules, checked on their own as well.
    let has = |s: &str| lines.iter().any(|l| l == s);
    assert!(
        has("07:00:00.000 autodj -> show (pre-empted)"),
        "morning show on its block"
    );
    assert!(has("07:00:00.000 [show] Morning Show"));
    assert!(has("12:30:00.000 [show] Lunch Special"));
    assert!(has(
        "15:00:00.000 show \"Lost Tape\": failed: /shows/missing.mp3: no such file"
    ));
    assert!(has(
        "10:00:00.000 host: dave refused: no show for dave at 2026-03-02T10:00:00Z: no upcoming window in the calendars"
    ));
    assert!(
        has("17:56:00.000 host: alice connected until 20:02:00.000"),
        "entry grace"
    );
    assert!(
        has("19:00:00.000 live -> show (pre-empted)"),
        "a show pre-empts the DJ"
    );
    assert!(has("19:10:00.000 show -> live (not ready: show ended)"));
    assert!(has(
        "19:35:00.000 host: bob refused: the live input is taken by alice"
    ));
    assert!(
        has("20:02:00.000 host: alice kicked"),
        "kicked at end + exit grace"
    );
    assert!(has("21:00:00.000 host: bob kicked"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("21:00:01.000 host: bob refused: no show for bob"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("21:50:00.000 host: carol refused: no show for carol"))
    );
    // Carol's sound stops at 22:10:00; the 750th silent block (15 s) enters at 22:10:14.98.
    assert!(has("22:10:14.980 live -> autodj (not ready: silence)"));
    // Her silent connection then drops: nothing to play out, AutoDJ stays on.
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("22:30") && l.contains("-> live"))
    );
    assert!(
        lines.iter().any(|l| l.contains("autodj -> failsafe")),
        "empty library → failsafe"
    );
    assert!(has(
        "09:00:00.000 host: request 7 refused: track 7 is already requested"
    ));
}

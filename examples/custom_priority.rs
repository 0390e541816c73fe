//! A priority rule of your own: in prime time (18:00–22:00) the live DJ beats scheduled
//! shows; the rest of the day shows beat the DJ, as in the default chain.
//!
//! ```sh
//! cargo run --release --example custom_priority
//! ```
//! Runs 17:55–23:40 of a simulated evening offline and prints the on-air log. A DJ is on
//! from 18:30 to 23:30; shows are scheduled at 19:00 and 23:00. The 19:00 show is ready
//! from 19:00 but the policy keeps the DJ on air, so it waits and goes out, from its
//! beginning, when prime time ends at 22:00 (a delayed broadcast); the 23:00 show
//! pre-empts the DJ at once.

use chrono::{TimeZone, Timelike, Utc};
use radiopoint::core::source::MemorySource;
use radiopoint::core::{Block, Event, Metadata, Pull, Source};
use radiopoint::sched::failsafe::Failsafe;
use radiopoint::sched::live::{Disconnect, DjSession, Live, LiveSettings};
use radiopoint::sched::show::{Show, Shows};
use radiopoint::sched::{Clock, Harbor, HarborSettings, InputView, Policy, SimClock, Time};
use std::sync::Arc;
use std::time::Duration;

/// The rule: find the inputs by name; in prime time the DJ comes first.
struct PrimeTimeLive {
    timezone: chrono_tz::Tz,
}

impl Policy for PrimeTimeLive {
    fn select(&mut self, now: Time, inputs: &[InputView<'_>]) -> Option<usize> {
        let hour = now.with_timezone(&self.timezone).hour();
        let prime = (18..22).contains(&hour);
        let ready = |name: &str| inputs.iter().find(|i| i.name == name && i.ready);
        let order: &[&str] = if prime {
            &["live", "show", "failsafe"]
        } else {
            &["show", "live", "failsafe"]
        };
        order.iter().find_map(|n| ready(n)).map(|i| i.index)
    }
}

/// A DJ's stream: a steady tone (stands in for a decoded source connection).
struct Microphone {
    phase: u64,
}

impl Source for Microphone {
    fn pull(&mut self, block: &mut Block, _events: &mut Vec<Event>) -> Pull {
        for frame in block.samples_mut().chunks_exact_mut(2) {
            let t = self.phase as f64 / 48_000.0;
            let v = (std::f64::consts::TAU * 300.0 * t).sin() as f32 * 0.2;
            frame[0] = v;
            frame[1] = v;
            self.phase += 1;
        }
        Pull::Audio
    }
}

fn main() {
    let tz = chrono_tz::Tz::UTC;
    let day = |h, m| Utc.with_ymd_and_hms(2026, 3, 6, h, m, 0).unwrap();
    let clock = SimClock::new(day(17, 55));
    // Shows: 45 minutes of generated audio each, opened at whatever offset they join at.
    let (shows, schedule) = Shows::with_opener(Arc::new(|show: &Show, offset: f64| {
        let total = 45.0 * 60.0;
        let left = ((total - offset) * 48_000.0).max(0.0) as usize;
        let samples: Arc<[f32]> = vec![0.1f32; left * 2].into();
        let meta = Metadata {
            title: Some(show.title.clone()),
            ..Default::default()
        };
        Ok(Box::new(MemorySource::new(samples, meta)) as Box<dyn Source>)
    }));
    for (h, title) in [(19, "Evening documentary"), (23, "Late news")] {
        let mut s = Show::new(title, "generated", day(h, 0));
        s.duration = Some(Duration::from_secs(45 * 60));
        schedule.add(s);
    }
    let (live, dj) = Live::new(
        "live",
        LiveSettings {
            agc: None,
            ..LiveSettings::default()
        },
    );
    let mut harbor = Harbor::with_policy(
        vec![Box::new(shows), Box::new(live), Box::new(Failsafe::tone())],
        Box::new(PrimeTimeLive { timezone: tz }),
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    let (mut block, mut events) = (Block::silence(), Vec::new());
    let end = day(23, 40);
    while clock.now() < end {
        let now = clock.now();
        // The DJ connects at 18:30 and leaves at 23:30 (in a station, radio-net's source
        // connection does this through the same handle).
        if now == day(18, 30) {
            let session = DjSession {
                username: "alice".into(),
                kickoff: None,
                title: Some("Alice live".into()),
            };
            if let Err(e) = dj.connect(Box::new(Microphone { phase: 0 }), session) {
                eprintln!("custom_priority: {e}");
            }
        }
        if now == day(23, 30) {
            dj.disconnect(Disconnect::Ended);
        }
        events.clear();
        harbor.pull(&mut block, &mut events);
        for entry in harbor.take_log() {
            println!("{entry}");
        }
        clock.advance(Duration::from_millis(20));
    }
    for s in schedule.shows() {
        println!("{} at {}: {:?}", s.title, s.start.format("%H:%M"), s.status);
    }
}

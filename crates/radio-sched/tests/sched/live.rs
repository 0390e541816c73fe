//! The live input: silence detection, play-out, draining, kick-off.

use crate::util::*;
use radio_core::Block;
use radio_sched::live::{Disconnect, DjSession, Live, LiveSettings};
use radio_sched::{Harbor, HarborSettings, Input, SimClock};
use std::sync::Arc;
use std::sync::atomic::Ordering;

fn session(kickoff: Option<radio_sched::Time>) -> DjSession {
    DjSession {
        username: "alice".into(),
        kickoff,
        title: Some("Alice in the evening".into()),
    }
}

fn no_agc() -> LiveSettings {
    LiveSettings {
        agc: None,
        ..LiveSettings::default()
    }
}

/// A Harbor of the live input over a constant "autodj"; returns the harbor and clock.
fn station(feed: Script, settings: LiveSettings) -> (Harbor, SimClock) {
    let clock = SimClock::new(monday());
    let (live, control) = Live::new("live", settings);
    control.connect(Box::new(feed), session(None)).unwrap();
    let h = Harbor::new(
        vec![Box::new(live), Box::new(Const::new("autodj", 0.01, true))],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    (h, clock)
}

/// Seconds (from the start) at which the live input went on and off air.
fn switches(h: &Harbor) -> Vec<String> {
    log_lines(h, monday())
        .into_iter()
        .filter(|l| l.contains("->"))
        .collect()
}

#[test]
fn a_dj_sending_only_silence_never_takes_the_air() {
    let (mut h, clock) = station(Script::new().silence(60.0), no_agc());
    run(&mut h, &clock, 30.0, |_, _, h| {
        assert_eq!(h.on_air(), Some("autodj"))
    });
}

#[test]
fn the_first_block_with_sound_puts_the_dj_on_air() {
    let (mut h, clock) = station(Script::new().silence(3.0).then_sound_forever(), no_agc());
    run(&mut h, &clock, 5.0, |_, _, _| {});
    assert_eq!(
        switches(&h),
        [
            "00:00:00.000 - -> autodj (ready)",
            "00:00:03.000 autodj -> live (pre-empted)",
        ]
    );
    // The DJ's show title goes out with their first sound, which comes out of the 80 ms
    // play-out reserve.
    let lines = log_lines(&h, monday());
    assert!(
        lines.contains(&"00:00:03.080 [live] Alice in the evening".into()),
        "{lines:#?}"
    );
}

#[test]
fn silence_of_14_9_s_keeps_the_dj_on_air() {
    let feed = Script::new().sound(5.0).silence(14.9).then_sound_forever();
    let (mut h, clock) = station(feed, no_agc());
    run(&mut h, &clock, 40.0, |t, _, h| {
        if t >= at("2026-03-02T00:00:00.020Z") {
            assert_eq!(h.on_air(), Some("live"), "at {t}");
        }
    });
}

#[test]
fn silence_of_15_s_fades_to_the_next_input_and_sound_brings_the_dj_back() {
    let feed = Script::new().sound(5.0).silence(20.0).then_sound_forever();
    let (mut h, clock) = station(feed, no_agc());
    run(&mut h, &clock, 40.0, |_, _, _| {});
    // Silence from 5 s; its 750th block (15 s) enters at 19.98 s.
    assert_eq!(
        switches(&h),
        [
            "00:00:00.000 - -> live (ready)",
            "00:00:19.980 live -> autodj (not ready: silence)",
            "00:00:25.000 autodj -> live (pre-empted)",
        ]
    );
}

#[test]
fn an_inaudible_live_input_is_still_drained() {
    let feed = Script::new().then_sound_forever();
    let pulls = feed.pulls.clone();
    let clock = SimClock::new(monday());
    let (live, control) = Live::new("live", no_agc());
    control.connect(Box::new(feed), session(None)).unwrap();
    // A show holds the air above it for a minute.
    let mut h = Harbor::new(
        vec![Box::new(Const::new("show", 0.2, true)), Box::new(live)],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    run(&mut h, &clock, 60.0, |_, _, h| {
        assert_eq!(h.on_air(), Some("show"))
    });
    assert_eq!(
        pulls.load(Ordering::SeqCst),
        3000,
        "one block drained per block"
    );
}

#[test]
fn an_abrupt_disconnect_fades_out_what_was_buffered_without_a_click() {
    let feed = Script::new().sound(2.0);
    let clock = SimClock::new(monday());
    let (live, control) = Live::new("live", no_agc());
    control.connect(Box::new(feed), session(None)).unwrap();
    let mut h = Harbor::new(
        vec![Box::new(live), Box::new(Const::new("autodj", 0.0, true))],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    let mut samples = Vec::new();
    run(&mut h, &clock, 3.0, |_, b, _| {
        samples.extend(b.samples().iter().step_by(2).copied())
    });
    // The tone is at 0.1 (440 Hz: at most 0.0058 from one sample to the next); a cut to
    // zero would jump by up to 0.1.
    let jump = samples
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(jump < 0.007, "largest step {jump}");
    assert!(
        samples[..96_000].iter().any(|s| s.abs() > 0.09),
        "the DJ was heard"
    );
    assert!(samples[2 * 48_000 + 5 * 960..].iter().all(|&s| s == 0.0));
    assert!(
        switches(&h)
            .last()
            .unwrap()
            .contains("live -> autodj (not ready: disconnected)")
    );
}

#[test]
fn a_dj_past_their_kickoff_is_disconnected_on_that_block_and_reported() {
    let clock = SimClock::new(monday());
    let (mut live, control) = Live::new("live", no_agc());
    let kickoff = at("2026-03-02T00:00:10Z");
    control
        .connect(
            Box::new(Script::new().then_sound_forever()),
            session(Some(kickoff)),
        )
        .unwrap();
    let mut block = Block::silence();
    let mut events = Vec::new();
    let mut kicked_at = None;
    for _ in 0..1000 {
        let now = radio_sched::Clock::now(&clock);
        live.tick(now);
        if live.is_ready(now) {
            live.pull(now, &mut block, &mut events);
        }
        if kicked_at.is_none() && !control.is_connected() {
            kicked_at = Some(now);
        }
        clock.advance(BLOCK);
    }
    assert_eq!(kicked_at, Some(kickoff));
    assert_eq!(
        control.take_disconnects(),
        [Disconnect::Kicked {
            username: "alice".into(),
            at: kickoff
        }]
    );
}

#[test]
fn a_second_source_on_a_taken_live_input_is_refused() {
    let (_live, control) = Live::new("live", no_agc());
    control
        .connect(Box::new(Script::new().then_sound_forever()), session(None))
        .unwrap();
    let err = control
        .connect(Box::new(Script::new().then_sound_forever()), session(None))
        .unwrap_err();
    assert_eq!(err.to_string(), "the live input is taken by alice");
}

#[test]
fn a_dj_streaming_mp3_bytes_goes_on_air_through_the_live_decoder() {
    use radio_core::encode::{Encoder, Mp3Encoder, Mp3Settings};
    use radio_core::live::LiveInput;
    // 4 s of a 440 Hz tone at −20 dBFS, encoded to MP3 as a DJ's encoder would send it.
    let mut enc = Mp3Encoder::new(Mp3Settings::default()).unwrap();
    let mut chunks = Vec::new();
    let mut phase = 0;
    for _ in 0..200 {
        let mut b = Block::silence();
        tone_into(&mut b, &mut phase, 0.1);
        enc.encode(&b, &mut chunks).unwrap();
    }
    enc.finish(&mut chunks).unwrap();
    // The bytes arrive in network-sized pieces; the decoder thread decodes them all before
    // the station starts pulling (so the run below is deterministic).
    let mut input = LiveInput::new("dj").unwrap();
    let bytes: Vec<u8> = chunks.iter().flat_map(|c| c.data.iter().copied()).collect();
    for piece in bytes.chunks(1400) {
        assert!(input.push(bytes::Bytes::copy_from_slice(piece)));
    }
    input.join();

    let clock = SimClock::new(monday());
    let (live, control) = Live::new("live", no_agc());
    control.connect(Box::new(input), session(None)).unwrap();
    let mut h = Harbor::new(
        vec![Box::new(live), Box::new(Const::new("autodj", 0.0, true))],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    let mut heard = Vec::new();
    run(&mut h, &clock, 6.0, |_, b, h| {
        if h.on_air() == Some("live") {
            heard.extend(b.samples().iter().step_by(2).copied());
        }
    });
    // On air for the decoded 4 s (give or take the encoder's padding), then back.
    let secs = heard.len() as f64 / 48_000.0;
    assert!((3.9..=4.2).contains(&secs), "live for {secs} s");
    let lines = switches(&h);
    // The decoder's first block is the codec's near-silent priming, so the DJ takes the
    // air on the next one.
    assert!(
        lines[1].starts_with("00:00:00.020 autodj -> live"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("live -> autodj (not ready: disconnected)"),
        "{lines:?}"
    );
    // It is the tone: 440 Hz (zero crossings in the middle second) at −20 dBFS.
    let mid = &heard[48_000..96_000];
    let crossings = mid.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
    assert!((438..=442).contains(&crossings), "{crossings} Hz");
    let peak = mid.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((0.09..0.11).contains(&peak), "peak {peak}");
}

//! Scheduled shows: on time, pre-empting live, joining late at the right point, status.

use crate::util::*;
use radio_sched::failsafe::Failsafe;
use radio_sched::show::{Show, ShowStatus, Shows};
use radio_sched::{Harbor, HarborSettings, SimClock};
use std::sync::Arc;
use std::time::Duration;

/// A 60 s show whose left channel rises steadily from 0 to 0.6 (its position can be read
/// from any sample) and whose right channel is a tone.
fn ramp_show(dir: &TempDir) -> String {
    let n = 60 * 48_000;
    let samples: Vec<f32> = (0..n)
        .flat_map(|i| {
            let r = (std::f64::consts::TAU * 440.0 * i as f64 / 48_000.0).sin() as f32 * 0.2;
            [0.6 * i as f32 / n as f32, r]
        })
        .collect();
    let path = dir.0.join("show.wav");
    write_wav(&path, &samples);
    path.to_string_lossy().into_owned()
}

fn station(clock: &SimClock) -> (Harbor, radio_sched::show::ShowsControl) {
    let (shows, control) = Shows::files();
    let h = Harbor::new(
        vec![
            Box::new(shows),
            Box::new(Const::new("live", 0.05, true)),
            Box::new(Failsafe::tone()),
        ],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    (h, control)
}

#[test]
fn a_show_starts_on_its_block_preempts_live_and_reports_played() {
    let dir = TempDir::new("show-on-time");
    let path = ramp_show(&dir);
    let clock = SimClock::new(monday());
    let (mut h, control) = station(&clock);
    // Starts between two block boundaries: on the first block at or after it.
    control.add(Show::new(
        "Morning news",
        &path,
        at("2026-03-02T00:01:00.010Z"),
    ));
    run(&mut h, &clock, 150.0, |_, _, _| {});
    assert_eq!(
        log_lines(&h, monday()),
        [
            "00:00:00.000 - -> live (ready)",
            "00:01:00.020 live -> show (pre-empted)",
            "00:01:00.020 [show] Morning news",
            "00:02:00.020 show -> live (not ready: show ended)",
        ]
    );
    assert_eq!(control.shows()[0].status, ShowStatus::Played);
}

#[test]
fn a_station_that_starts_late_joins_the_show_at_the_right_point() {
    let dir = TempDir::new("show-late");
    let path = ramp_show(&dir);
    let clock = SimClock::new(at("2026-03-02T00:01:30Z"));
    let (mut h, control) = station(&clock);
    control.add(Show::new("Morning news", &path, at("2026-03-02T00:01:00Z")));
    let mut first = None;
    run(&mut h, &clock, 40.0, |t, b, h| {
        if first.is_none() && h.on_air() == Some("show") {
            first = Some((t, b.samples()[0]));
        }
    });
    let (t, left) = first.expect("the show went on");
    assert_eq!(t, at("2026-03-02T00:01:30Z"));
    // 30 s into 60 s of a 0 → 0.6 ramp.
    assert!((left - 0.3).abs() < 0.001, "joined at {left}");
    assert_eq!(control.shows()[0].status, ShowStatus::Played);
    assert!(
        log_lines(&h, at("2026-03-02T00:01:30Z"))
            .contains(&"00:00:30.000 show -> live (not ready: show ended)".to_string())
    );
}

#[test]
fn a_missing_file_fails_the_show_and_a_past_show_is_missed() {
    let dir = TempDir::new("show-fail");
    let path = ramp_show(&dir);
    let clock = SimClock::new(monday());
    let (mut h, control) = station(&clock);
    control.add(Show::new(
        "Lost",
        "/nonexistent/show.mp3",
        at("2026-03-02T00:00:10Z"),
    ));
    let mut past = Show::new("Yesterday", &path, at("2026-03-01T23:00:00Z"));
    past.duration = Some(Duration::from_secs(60));
    control.add(past);
    run(&mut h, &clock, 20.0, |_, _, h| {
        assert_eq!(h.on_air(), Some("live"))
    });
    let shows = control.shows();
    assert_eq!(shows[0].title, "Yesterday");
    assert_eq!(shows[0].status, ShowStatus::Missed);
    match &shows[1].status {
        ShowStatus::Failed(why) => assert!(why.contains("/nonexistent/show.mp3"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_failsafe_loops_a_file_without_a_gap() {
    let dir = TempDir::new("failsafe");
    // 0.25 s of 440 Hz: 110 whole cycles, so the loop joins smoothly.
    let n = 12_000;
    let samples: Vec<f32> = (0..n)
        .flat_map(|i| {
            let v = (std::f64::consts::TAU * 440.0 * i as f64 / 48_000.0).sin() as f32 * 0.5;
            [v, v]
        })
        .collect();
    let path = dir.0.join("hold.wav");
    write_wav(&path, &samples);
    let clock = SimClock::new(monday());
    let mut h = Harbor::new(
        vec![Box::new(Failsafe::file(&path).unwrap())],
        Arc::new(clock.clone()),
        HarborSettings::default(),
    );
    let mut out = Vec::new();
    run(&mut h, &clock, 2.0, |_, b, _| {
        out.extend(b.samples().iter().step_by(2).copied())
    });
    let jump = out
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    // 440 Hz at 0.5: at most 0.029 between samples; a gap or a cut would show as more.
    assert!(jump < 0.03, "largest step {jump}");
    assert!(
        out.iter()
            .skip(12_000 * 3)
            .take(1000)
            .any(|s| s.abs() > 0.4),
        "still playing after 3 loops"
    );
    let err = Failsafe::file(&dir.0.join("none.mp3")).unwrap_err();
    assert!(err.to_string().contains("failsafe"), "{err}");
    let _ = radio_sched::Clock::now(&clock);
}

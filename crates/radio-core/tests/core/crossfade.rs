//! Crossfades and source transitions: exact lengths, exact curves, energy, cue points,
//! smart decisions, short tracks.

use crate::util::*;
use radio_core::crossfade::{CrossfadeSettings, Crossfader, CueSettings, Mode, Track};
use radio_core::fade::Curve;
use radio_core::source::MemorySource;
use radio_core::transition::Transition;
use radio_core::{Block, Event, Metadata, Pull, Source};
use std::time::Duration;

fn constant(seconds: f64, value: f32) -> Vec<f32> {
    vec![value; (seconds * 48_000.0) as usize * 2]
}

fn track(samples: Vec<f32>, title: &str) -> Track {
    let meta = Metadata {
        title: Some(title.into()),
        ..Default::default()
    };
    Track::new(Box::new(MemorySource::new(samples, meta)))
}

fn render(src: &mut dyn Source) -> (Vec<f32>, Vec<(usize, Event)>) {
    let (mut block, mut out, mut marks) = (Block::silence(), Vec::new(), Vec::new());
    let mut events = Vec::new();
    while src.pull(&mut block, &mut events) == Pull::Audio {
        for e in events.drain(..) {
            marks.push((out.len() / 2, e));
        }
        out.extend_from_slice(block.samples());
    }
    (out, marks)
}

fn settings(fade: f64, curve: Curve, mode: Mode) -> CrossfadeSettings {
    CrossfadeSettings {
        fade_out: Duration::from_secs_f64(fade),
        fade_in: Duration::from_secs_f64(fade),
        curve,
        mode,
        cue: None,
    }
}

#[test]
fn linear_crossfade_is_sample_exact() {
    // A: 4 s at 0.5, B: 4 s at 0.25, 1 s linear overlap → 7 s, and in the overlap
    // out[k] = 0.5·(1 − x) + 0.25·x with x = (k + ½)/48000.
    let tracks = vec![
        track(constant(4.0, 0.5), "A"),
        track(constant(4.0, 0.25), "B"),
    ]
    .into_iter();
    let mut xf = Crossfader::new(tracks, settings(1.0, Curve::Linear, Mode::Normal));
    let (out, marks) = render(&mut xf);
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    assert_eq!(left.len(), 7 * 48_000, "4 + 4 − 1 s, whole blocks");
    let start = 3 * 48_000;
    assert_eq!(
        left[start - 1],
        0.5,
        "the fade starts exactly 1 s before A's end"
    );
    for k in [0usize, 1, 24_000, 47_999] {
        let x = (k as f32 + 0.5) / 48_000.0;
        let want = 0.5 * (1.0 - x) + 0.25 * x;
        assert!(
            (left[start + k] - want).abs() < 1e-6,
            "frame {k}: {} vs {want}",
            left[start + k]
        );
    }
    assert_eq!(
        left[start + 48_000],
        0.25,
        "B at full level right after the overlap"
    );
    // B's title arrives with the block where B starts.
    let b = marks
        .iter()
        .find(|(_, e)| matches!(e, Event::TrackStart(m) if m.title.as_deref() == Some("B")))
        .unwrap();
    assert_eq!(b.0 / 960, start / 960);
}

#[test]
fn equal_power_keeps_energy_flat() {
    let a = sine(48_000, 2, 4.0, 440.0, 0.5);
    let b = sine(48_000, 2, 4.0, 620.0, 0.5);
    let tracks = vec![track(a, "A"), track(b, "B")].into_iter();
    let mut xf = Crossfader::new(tracks, settings(2.0, Curve::EqualPower, Mode::Normal));
    let (out, _) = render(&mut xf);
    // RMS over 100 ms windows through the crossfade stays within ±1 dB of the tracks'.
    let reference = rms_db(&out[..48_000 * 2], 2, 0);
    for w in 0..20 {
        let start = (2 * 48_000 + w * 4800) * 2;
        let win = &out[start..start + 4800 * 2];
        let level = 10.0
            * (win
                .iter()
                .step_by(2)
                .map(|s| f64::from(*s).powi(2))
                .sum::<f64>()
                / 4800.0)
                .log10();
        assert!(
            (level - reference).abs() < 1.0,
            "window {w}: {level} dB vs {reference}"
        );
    }
}

#[test]
fn cue_points_cut_dead_air() {
    // A ends with 2 s of silence, B starts with 1 s of it: both are cut.
    let mut a = constant(3.0, 0.5);
    a.extend(constant(2.0, 0.0));
    let mut b = constant(1.0, 0.0);
    b.extend(constant(3.0, 0.25));
    let mut s = settings(0.5, Curve::Linear, Mode::Normal);
    s.cue = Some(CueSettings::default());
    let mut xf = Crossfader::new(vec![track(a, "A"), track(b, "B")].into_iter(), s);
    let (out, _) = render(&mut xf);
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    // 3 s + 3 s − 0.5 s overlap; the last track's own trailing silence is none.
    assert_eq!(left.len(), (5.5 * 48_000.0) as usize);
    assert!(
        left.iter().take(left.len() - 1).all(|&v| v > 0.2),
        "no silent frame anywhere"
    );
}

#[test]
fn short_tracks_are_never_swallowed() {
    // A jingle of 0.4 s between two 5 s tracks with 3 s fades.
    let tracks = vec![
        track(constant(5.0, 0.5), "A"),
        track(constant(0.4, 0.1), "jingle"),
        track(constant(5.0, 0.25), "C"),
    ]
    .into_iter();
    let mut xf = Crossfader::new(tracks, settings(3.0, Curve::Linear, Mode::Normal));
    let (out, marks) = render(&mut xf);
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    // Overlaps at most half the jingle each side: at least 0.2 s of it is heard alone
    // or nearly; the total is at least 5 + 0.4 + 5 − 0.4.
    assert!(left.len() >= (10.0 * 48_000.0) as usize, "{}", left.len());
    let titles: Vec<_> = marks
        .iter()
        .filter_map(|(_, e)| match e {
            Event::TrackStart(m) => m.title.clone(),
        })
        .collect();
    assert_eq!(titles, ["A", "jingle", "C"]);
}

#[test]
fn smart_mode_decides_from_levels() {
    let loud = |s: f64| sine(48_000, 2, s, 300.0, 0.8);
    let quiet = |s: f64| sine(48_000, 2, s, 300.0, 0.005);
    let run = |a: Vec<f32>, b: Vec<f32>| {
        let mut xf = Crossfader::new(
            vec![track(a, "A"), track(b, "B")].into_iter(),
            settings(1.0, Curve::Linear, Mode::Smart),
        );
        let (out, _) = render(&mut xf);
        out.len() / 2
    };
    // Both quiet: full overlap (4 + 4 − 1 s).
    assert_eq!(run(quiet(4.0), quiet(4.0)), 7 * 48_000);
    // New one louder: overlapped, the new one at full level at once.
    assert_eq!(run(quiet(4.0), loud(4.0)), 7 * 48_000);
    // Old one louder: overlapped, only the new one fades in.
    assert_eq!(run(loud(4.0), quiet(4.0)), 7 * 48_000);
    // Comparable and loud: the old one fades out, then the new one starts (no overlap).
    assert_eq!(run(loud(4.0), loud(4.0)), 8 * 48_000);
}

#[test]
fn source_transition_fades_old_while_new_starts_at_once() {
    let old = MemorySource::new(constant(10.0, 0.5), Metadata::default());
    let new = MemorySource::new(constant(10.0, 0.25), Metadata::default());
    let mut t = Transition::new(Box::new(old), Box::new(new), 2.5, Curve::Linear);
    let (out, _) = render(&mut t);
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    assert_eq!(left.len(), 10 * 48_000, "the new source sets the length");
    // Frame k of the 2.5 s fade: 0.25 + 0.5·(1 − (k + ½)/120000).
    for k in [0usize, 60_000, 119_999] {
        let want = 0.25 + 0.5 * (1.0 - (k as f32 + 0.5) / 120_000.0);
        assert!((left[k] - want).abs() < 1e-5, "{k}: {} vs {want}", left[k]);
    }
    assert_eq!(left[120_000], 0.25);
    // N = 0: a hard cut, no gap.
    let old = MemorySource::new(constant(1.0, 0.5), Metadata::default());
    let new = MemorySource::new(constant(1.0, 0.25), Metadata::default());
    let mut t = Transition::new(Box::new(old), Box::new(new), 0.0, Curve::Linear);
    let (out, _) = render(&mut t);
    assert!(out.iter().all(|&s| s == 0.25));
}

//! Priority switching, fades, hard cuts, the transition log.

use crate::util::*;
use radio_core::{Block, Source};
use radio_sched::autodj::{AutoDj, AutoDjSettings};
use radio_sched::failsafe::Failsafe;
use radio_sched::{Harbor, HarborSettings, LogEntry, Reason, SimClock};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn harbor(inputs: Vec<Box<dyn radio_sched::Input>>, clock: &SimClock) -> Harbor {
    Harbor::new(inputs, Arc::new(clock.clone()), HarborSettings::default())
}

#[test]
fn highest_ready_input_is_on_air_and_preempts_mid_track() {
    let clock = SimClock::new(monday());
    let show = Const::new("show", 0.4, false);
    let live = Const::new("live", 0.3, false);
    let auto = Const::new("autodj", 0.2, true);
    let (s, l) = (show.ready.clone(), live.ready.clone());
    let mut h = harbor(
        vec![
            Box::new(show),
            Box::new(live),
            Box::new(auto),
            Box::new(Failsafe::tone()),
        ],
        &clock,
    );
    let mut block = Block::silence();
    step(&mut h, &clock, &mut block);
    assert_eq!(h.on_air(), Some("autodj"));
    l.store(true, Ordering::SeqCst);
    step(&mut h, &clock, &mut block);
    assert_eq!(h.on_air(), Some("live"));
    s.store(true, Ordering::SeqCst);
    step(&mut h, &clock, &mut block);
    assert_eq!(h.on_air(), Some("show"));
    // The show ends: back to the live DJ, who is still ready.
    s.store(false, Ordering::SeqCst);
    step(&mut h, &clock, &mut block);
    assert_eq!(h.on_air(), Some("live"));
    l.store(false, Ordering::SeqCst);
    step(&mut h, &clock, &mut block);
    assert_eq!(h.on_air(), Some("autodj"));
    let lines = log_lines(&h, monday());
    assert_eq!(
        lines,
        [
            "00:00:00.000 - -> autodj (ready)",
            "00:00:00.020 autodj -> live (pre-empted)",
            "00:00:00.040 live -> show (pre-empted)",
            "00:00:00.060 show -> live (not ready: not ready)",
            "00:00:00.080 live -> autodj (not ready: not ready)",
        ]
    );
}

#[test]
fn old_input_fades_out_over_the_transition_while_the_new_one_starts_at_once() {
    let clock = SimClock::new(monday());
    let live = Const::new("live", 0.25, false);
    let ready = live.ready.clone();
    let auto = Const::new("autodj", 0.5, true);
    let mut h = harbor(vec![Box::new(live), Box::new(auto)], &clock);
    let mut block = Block::silence();
    step(&mut h, &clock, &mut block);
    assert!(block.samples().iter().all(|&s| s == 0.5));
    ready.store(true, Ordering::SeqCst);
    // 2.5 s = 125 blocks of fade: the new input is there from the first sample.
    let mut previous = f32::INFINITY;
    for i in 0..125 {
        step(&mut h, &clock, &mut block);
        for frame in block.samples().chunks_exact(2) {
            let old = frame[0] - 0.25;
            assert!((-1e-6..=0.5).contains(&old), "block {i}: {}", frame[0]);
            assert!(old <= previous + 1e-6, "the fade only goes down");
            previous = old;
        }
    }
    assert!(previous < 0.01, "faded to (nearly) nothing: {previous}");
    step(&mut h, &clock, &mut block);
    assert!(
        block.samples().iter().all(|&s| s == 0.25),
        "fade over after exactly 2.5 s"
    );
}

#[test]
fn zero_transition_is_a_hard_cut_without_a_gap_and_inputs_override_it() {
    let clock = SimClock::new(monday());
    let live = Const::new("live", 0.25, false);
    let ready = live.ready.clone();
    let mut auto = Const::new("autodj", 0.5, true);
    auto.transition = Some(Duration::ZERO);
    let mut h = harbor(vec![Box::new(live), Box::new(auto)], &clock);
    let mut block = Block::silence();
    step(&mut h, &clock, &mut block);
    ready.store(true, Ordering::SeqCst);
    step(&mut h, &clock, &mut block);
    assert!(
        block.samples().iter().all(|&s| s == 0.25),
        "cut at the block"
    );

    // The Harbor-wide setting, too.
    let clock = SimClock::new(monday());
    let live = Const::new("live", 0.25, false);
    let ready = live.ready.clone();
    let settings = HarborSettings {
        transition: Duration::ZERO,
        ..HarborSettings::default()
    };
    let mut h = Harbor::new(
        vec![Box::new(live), Box::new(Const::new("autodj", 0.5, true))],
        Arc::new(clock.clone()),
        settings,
    );
    step(&mut h, &clock, &mut block);
    ready.store(true, Ordering::SeqCst);
    step(&mut h, &clock, &mut block);
    assert!(block.samples().iter().all(|&s| s == 0.25));
}

#[test]
fn back_to_autodj_starts_a_fresh_track_never_the_preempted_one() {
    let clock = SimClock::new(monday());
    let lib = library(
        &[
            (1, "A", "One", 60.0),
            (2, "B", "Two", 60.0),
            (3, "C", "Three", 60.0),
        ],
        &[],
    );
    let mut settings = AutoDjSettings::default();
    settings.pick.playlists = vec![radio_sched::autodj::rules::Playlist {
        order: radio_sched::autodj::rules::Order::Sequential,
        ..radio_sched::autodj::rules::Playlist::new("music", vec![1, 2, 3])
    }];
    let (autodj, _control) = AutoDj::new(Arc::new(lib), settings, Arc::new(clock.clone()));
    let live = Const::new("live", 0.1, false);
    let ready = live.ready.clone();
    let mut h = harbor(vec![Box::new(live), Box::new(autodj)], &clock);
    run(&mut h, &clock, 10.0, |_, _, _| {});
    ready.store(true, Ordering::SeqCst);
    run(&mut h, &clock, 10.0, |_, _, _| {});
    ready.store(false, Ordering::SeqCst);
    run(&mut h, &clock, 5.0, |_, _, _| {});
    assert_eq!(
        log_lines(&h, monday()),
        [
            "00:00:00.000 - -> autodj (ready)",
            "00:00:00.000 [autodj] A - One",
            "00:00:10.000 autodj -> live (pre-empted)",
            "00:00:20.000 live -> autodj (not ready: not ready)",
            "00:00:20.000 [autodj] B - Two",
        ]
    );
}

#[test]
fn an_input_that_ends_hands_over_in_the_same_block() {
    struct Once(u32);
    impl radio_sched::Input for Once {
        fn name(&self) -> &str {
            "once"
        }
        fn is_ready(&self, _: radio_sched::Time) -> bool {
            true
        }
        fn pull(
            &mut self,
            _: radio_sched::Time,
            block: &mut Block,
            _: &mut Vec<radio_core::Event>,
        ) -> radio_core::Pull {
            if self.0 == 0 {
                return radio_core::Pull::End;
            }
            self.0 -= 1;
            block.samples_mut().fill(0.7);
            radio_core::Pull::Audio
        }
    }
    let clock = SimClock::new(monday());
    let mut h = harbor(
        vec![Box::new(Once(3)), Box::new(Const::new("next", 0.2, true))],
        &clock,
    );
    let mut levels = Vec::new();
    run(&mut h, &clock, 0.1, |_, b, _| levels.push(b.samples()[0]));
    assert_eq!(
        levels,
        [0.7, 0.7, 0.7, 0.2, 0.2],
        "no silent block between them"
    );
    assert!(h.log().any(|e| matches!(
        e,
        LogEntry::Transition { reason: Reason::NotReady(why), .. } if why == "ended"
    )));
}

#[test]
fn failsafe_plays_only_when_nothing_else_is_ready() {
    let clock = SimClock::new(monday());
    let auto = Const::new("autodj", 0.2, true);
    let ready = auto.ready.clone();
    let mut h = harbor(vec![Box::new(auto), Box::new(Failsafe::tone())], &clock);
    let mut block = Block::silence();
    step(&mut h, &clock, &mut block);
    assert_eq!(h.on_air(), Some("autodj"));
    ready.store(false, Ordering::SeqCst);
    step(&mut h, &clock, &mut block);
    assert_eq!(h.on_air(), Some("failsafe"));
    ready.store(true, Ordering::SeqCst);
    step(&mut h, &clock, &mut block);
    assert_eq!(h.on_air(), Some("autodj"));
}

#[test]
fn harbor_is_a_source_that_never_ends() {
    let clock = SimClock::new(monday());
    let mut h = harbor(vec![], &clock);
    let mut block = Block::silence();
    let mut events = Vec::new();
    assert_eq!(h.pull(&mut block, &mut events), radio_core::Pull::Audio);
    assert_eq!(h.on_air(), None);
    assert!(block.samples().iter().all(|&s| s == 0.0));
}

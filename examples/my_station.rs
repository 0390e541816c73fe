//! A station of your own with a harbor rule of your own: two generated programmes take
//! turns every 20 s (the Harbor fades between them), encoded to MP3 and Opus.
//!
//! ```sh
//! cargo run --release --example my_station     # then: mpv http://127.0.0.1:8000/mine.mp3
//! ```

use radiopoint::core::{Block, Event, Metadata, Pull};
use radiopoint::net::{Server, ServerConfig, bind};
use radiopoint::sched::failsafe::Failsafe;
use radiopoint::sched::{Harbor, HarborSettings, Input, InputView, Policy, Time};
use radiopoint::station::{Format, Output, StationBuilder};

/// A programme: a chord that moves with the time, announced by its name.
struct Programme {
    name: &'static str,
    root: f32,
    n: u64,
    announce: bool,
}

impl Input for Programme {
    fn name(&self) -> &str {
        self.name
    }
    fn is_ready(&self, _now: Time) -> bool {
        true
    }
    fn on_air(&mut self, _now: Time) {
        self.announce = true;
    }
    fn pull(&mut self, _now: Time, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if std::mem::take(&mut self.announce) {
            let title = Some(format!("{} programme", self.name));
            events.push(Event::TrackStart(Metadata {
                title,
                ..Metadata::default()
            }));
        }
        for frame in block.samples_mut().chunks_exact_mut(2) {
            // A fifth that moves every half second.
            let step = [1.0, 1.5][(self.n / 24_000 % 2) as usize];
            let phase = std::f32::consts::TAU * self.root * step * self.n as f32 / 48_000.0;
            let v = 0.15 * (phase.sin() + (1.5 * phase).sin());
            frame.copy_from_slice(&[v, v]);
            self.n += 1;
        }
        Pull::Audio
    }
}

/// The rule: the two programmes take turns every 20 s; the failsafe only if neither is ready.
struct TakeTurns;

impl Policy for TakeTurns {
    fn select(&mut self, now: Time, inputs: &[InputView<'_>]) -> Option<usize> {
        let turn = (now.timestamp() / 20) as usize % 2;
        let want = if turn == 0 { "morning" } else { "evening" };
        let by_name = inputs.iter().find(|i| i.name == want && i.ready);
        by_name
            .or_else(|| inputs.iter().find(|i| i.ready))
            .map(|i| i.index)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Runtime::new()?;
    let _guard = runtime.enter();
    let server = Server::new(ServerConfig::default())?;
    let builder = StationBuilder::new("mine")
        .server(&server)
        .output(Output::mount("/mine.mp3", Format::mp3(128)))
        .output(Output::mount("/mine.opus", Format::opus(96)));
    let clock = builder.audio_clock();
    let programme = |name, root| Programme {
        name,
        root,
        n: 0,
        announce: false,
    };
    let inputs: Vec<Box<dyn Input>> = vec![
        Box::new(programme("morning", 262.0)),
        Box::new(programme("evening", 196.0)),
        Box::new(Failsafe::tone()),
    ];
    let harbor = Harbor::with_policy(
        inputs,
        Box::new(TakeTurns),
        clock,
        HarborSettings::default(),
    );
    let _station = builder.start(harbor)?; // on air until dropped
    let listener = bind("127.0.0.1:8000".parse()?)?;
    println!("on air: http://127.0.0.1:8000/mine.mp3 and /mine.opus (Ctrl-C to stop)");
    runtime.block_on(server.run(listener, None, async {
        let _ = tokio::signal::ctrl_c().await;
    }))?;
    Ok(())
}

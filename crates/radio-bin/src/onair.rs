//! A station graph on its own thread, until issue 9's `radio-station` replaces it: a
//! Harbor over the given inputs → the true-peak limiter → MP3 128 kbps → a local mount,
//! titles to the mount's ICY metadata as each track starts. It runs on the system clock a
//! couple of seconds ahead of real time (what new listeners get as their burst).

use radio_core::encode::{Encoder, Mp3Encoder, Mp3Settings};
use radio_core::limiter::{Limiter, LimiterSettings};
use radio_core::{Block, Event, Source};
use radio_net::Server;
use radio_net::icy::Meta;
use radio_net::mount::SourceInfo;
use radio_sched::{Clock, Harbor, HarborSettings, Input};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How far ahead of real time the station runs.
const LEAD: Duration = Duration::from_secs(2);

/// A running station; stopping (or dropping) it ends its thread and its source.
pub struct OnAir {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OnAir {
    /// Puts `inputs` (highest priority first) on air at `mount` of `server`.
    pub fn start(
        name: &str,
        server: &Server,
        mount_path: &str,
        info: SourceInfo,
        inputs: Vec<Box<dyn Input>>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<OnAir> {
        let feed = server
            .attach_source(mount_path, info)
            .map_err(|e| anyhow::anyhow!("{name} station: {mount_path}: {e}"))?;
        let mount = server
            .mount(mount_path)
            .ok_or_else(|| anyhow::anyhow!("{name} station: {mount_path} vanished"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let label = name.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-station"))
            .spawn(move || run(&label, feed, mount, flag, inputs, clock))?;
        Ok(OnAir {
            stop,
            thread: Some(thread),
        })
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

impl Drop for OnAir {
    fn drop(&mut self) {
        self.halt();
    }
}

fn run(
    name: &str,
    mut feed: radio_net::mount::SourceFeed,
    mount: Arc<radio_net::mount::Mount>,
    stop: Arc<AtomicBool>,
    inputs: Vec<Box<dyn Input>>,
    clock: Arc<dyn Clock>,
) {
    let mut harbor = Harbor::new(inputs, clock.clone(), HarborSettings::default());
    let mut limiter = Limiter::new(LimiterSettings::broadcast());
    let mut encoder = match Mp3Encoder::new(Mp3Settings::default()) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!("{name} station: cannot start the MP3 encoder: {e}");
            return;
        }
    };
    let (mut block, mut events, mut chunks) = (Block::silence(), Vec::new(), Vec::new());
    let started = clock.now();
    let mut produced = chrono::Duration::zero();
    let lead = chrono::Duration::from_std(LEAD).expect("small");
    let block_len = chrono::Duration::milliseconds(20);
    // How late a block was ever started against its schedule: under `LEAD` listeners hear
    // nothing of it; reported when it grows past 100 ms (a starved station thread).
    let mut worst_lag = chrono::Duration::milliseconds(100);
    while !stop.load(Ordering::SeqCst) {
        // Paced by the clock: each block when it is due, `LEAD` early.
        let due = started + produced - lead;
        clock.sleep_until(due);
        // The first `LEAD` of audio is made at once, on purpose (the burst).
        let lag = if produced >= lead {
            clock.now() - due
        } else {
            chrono::Duration::zero()
        };
        if lag > worst_lag {
            worst_lag = lag;
            tracing::warn!(
                "{name} station: a block started {} ms late ({} ms of lead left)",
                lag.num_milliseconds(),
                (lead - lag).num_milliseconds()
            );
        }
        events.clear();
        harbor.pull(&mut block, &mut events);
        for e in &events {
            let Event::TrackStart(m) = e;
            match Meta::new(m.display(), m.artist.clone(), None, "UTF-8") {
                Ok(meta) => mount.set_meta(meta),
                Err(e) => tracing::warn!("{name} station: title {:?}: {e}", m.display()),
            }
        }
        limiter.process(&mut block);
        if let Err(e) = encoder.encode(&block, &mut chunks) {
            tracing::error!("{name} station: encoder: {e}");
            return;
        }
        for c in chunks.drain(..) {
            feed.write(&c.data);
        }
        produced += block_len;
    }
}

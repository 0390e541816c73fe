//! # radio-station — one station on air
//!
//! A [`Station`] is a [`radio_sched::Harbor`] (any inputs, any [`radio_sched::Policy`],
//! your own included) put on air: the program is pulled one 20 ms block at a time on the
//! station's own thread, paced by a [`radio_sched::Clock`] a little ahead of real time,
//! limited to −1 dBTP, encoded once per [`Format`], and written to every [`Output`]:
//! local mounts of a [`radio_net::Server`] and upstream servers (as a source client that
//! reconnects on its own). Track titles travel with the block they start on, to ICY
//! listeners, Ogg listeners, upstreams and the station's [`StationState`], which is
//! replaced and announced on every change (for now-playing pages and their event
//! streams). A panic in the thread restarts the station when it was started with a
//! factory ([`StationBuilder::start_with`]); dropping the [`Station`] stops it.
//!
//! ```no_run
//! use radio_sched::{Harbor, HarborSettings, SystemClock, failsafe::Failsafe};
//! use radio_station::{Format, Output, StationBuilder};
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = radio_net::Server::new(radio_net::ServerConfig::default())?;
//! let harbor = Harbor::new(
//!     vec![Box::new(Failsafe::tone())],
//!     Arc::new(SystemClock),
//!     HarborSettings::default(),
//! );
//! let station = StationBuilder::new("tone")
//!     .server(&server)
//!     .output(Output::mount("/tone.mp3", Format::mp3(128)))
//!     .start(harbor)?;
//! println!("on air: {:?}", station.state().on_air);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod error;
pub mod live;
pub mod output;
pub mod state;
pub mod station;

pub use error::{Error, Result};
pub use live::{DjAccount, GateSettings, LiveGate, Refusal};
pub use output::{Codec, Format, Output, Target};
pub use state::{LiveState, NextTrack, OutputState, StationState, TrackState, TransitionState};
pub use station::{
    AudioClock, HarborFactory, Parts, Station, StationBuilder, StationSettings, Timing,
    TimingSnapshot,
};

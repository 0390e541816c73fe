//! # radiopoint — an internet-radio station engine
//!
//! This umbrella crate re-exports the library crates so that the workspace's examples and
//! benchmarks can use them under one name:
//!
//! - [`net`] (`radio-net`): the Icecast2/Shoutcast-compatible streaming server;
//! - [`core`] (`radio-core`): the audio pipeline;
//! - [`sched`] (`radio-sched`): programming (the Harbor, AutoDJ, calendars);
//! - [`store`] (`radio-store`): the embedded database and the media library.
//!
//! The `radiopoint` binary itself lives in `crates/radio-bin`.
#![deny(missing_docs)]

pub use radio_core as core;
pub use radio_net as net;
pub use radio_sched as sched;
pub use radio_station as station;
pub use radio_store as store;

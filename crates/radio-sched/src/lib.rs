//! # radio-sched — programming: what plays, when, and how it changes
//!
//! The [`Harbor`] puts the highest-priority ready [`Input`] on air and fades between
//! them. The inputs of a station, highest first: scheduled [`show::Shows`], a
//! [`live::Live`] DJ (silence-detected, calendar-authorised), [`autodj::AutoDj`] (rotation
//! rules, stop sets, requests, crossfades) and the [`failsafe::Failsafe`]. Everything
//! reads time from a [`Clock`]: under [`SimClock`] a whole day runs in seconds, the same
//! way every time. It depends on `radio-core` and never on the network crate.
//!
//! ```
//! use radio_sched::{Harbor, HarborSettings, SimClock, failsafe::Failsafe};
//! use radio_core::{Block, Source};
//! use std::sync::Arc;
//!
//! let clock = SimClock::new(chrono::Utc::now());
//! let mut harbor = Harbor::new(
//!     vec![Box::new(Failsafe::tone())],
//!     Arc::new(clock.clone()),
//!     HarborSettings::default(),
//! );
//! let (mut block, mut events) = (Block::silence(), Vec::new());
//! harbor.pull(&mut block, &mut events);
//! assert_eq!(harbor.on_air(), Some("failsafe"));
//! ```
#![deny(missing_docs)]

pub mod autodj;
pub mod calendar;
pub mod clock;
pub mod error;
pub mod failsafe;
pub mod harbor;
pub mod input;
pub mod live;
pub mod show;

pub use clock::{Clock, SimClock, SystemClock, Time};
pub use error::{Error, Result};
pub use harbor::{Harbor, HarborSettings, LogEntry, Reason};
pub use input::{Input, InputView, Policy, Priority};

//! # radio-sched — programming: what plays, when, and how it changes
//!
//! This crate owns the Harbor (the highest-priority ready input is on air, with
//! fades), live inputs with silence detection, AutoDJ with rotation rules, stop sets,
//! scheduled shows, the failsafe, calendars (iCalendar with RRULE) and the [`Clock`]
//! (system or simulated). It depends on `radio-core` and never on the network crate.
#![deny(missing_docs)]

pub mod calendar;
pub mod clock;

pub use clock::{Clock, SimClock, SystemClock, Time};

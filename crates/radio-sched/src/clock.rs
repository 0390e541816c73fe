//! Time for programming: every decision in this crate reads a [`Clock`].
//!
//! [`SystemClock`] is the wall clock. [`SimClock`] is a clock that only moves when told
//! to: a whole day of programming runs under it in seconds, and the same run always gives
//! the same on-air log. Times are UTC instants ([`Time`]); time zones matter only when
//! rules are written in local time (calendars, weekday schedules), which convert there.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// An instant, in UTC.
pub type Time = DateTime<Utc>;

/// A source of the current time.
///
/// # For implementations
/// `now` MUST never go backwards between calls on the same clock. `sleep_until` returns
/// once `now() >= until` (at once if it already is).
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Time;
    /// Waits until `until`.
    fn sleep_until(&self, until: Time);
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        Utc::now()
    }

    fn sleep_until(&self, until: Time) {
        loop {
            let left = until - Utc::now();
            match left.to_std() {
                Ok(d) if !d.is_zero() => std::thread::sleep(d),
                _ => return,
            }
        }
    }
}

/// A simulated clock: it moves only by [`SimClock::advance`], [`SimClock::set`] or
/// `sleep_until` (which jumps). Clones share the same time.
#[derive(Debug, Clone)]
pub struct SimClock {
    micros: Arc<AtomicI64>,
}

impl SimClock {
    /// A simulated clock reading `start`.
    pub fn new(start: Time) -> SimClock {
        SimClock {
            micros: Arc::new(AtomicI64::new(start.timestamp_micros())),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let us = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.micros.fetch_add(us, Ordering::SeqCst);
    }

    /// Sets the clock to `to` if that is later than now (a clock never goes back).
    pub fn set(&self, to: Time) {
        self.micros
            .fetch_max(to.timestamp_micros(), Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now(&self) -> Time {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst))
            .expect("simulated time stays within chrono's range")
    }

    fn sleep_until(&self, until: Time) {
        self.set(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_time_moves_only_when_told_and_never_back() {
        let start = DateTime::parse_from_rfc3339("2026-03-29T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = SimClock::new(start);
        assert_eq!(c.now(), start);
        c.advance(Duration::from_millis(20));
        assert_eq!((c.now() - start).num_milliseconds(), 20);
        c.set(start);
        assert_eq!(
            (c.now() - start).num_milliseconds(),
            20,
            "set never goes back"
        );
        let shared = c.clone();
        shared.sleep_until(start + chrono::Duration::hours(1));
        assert_eq!(c.now(), start + chrono::Duration::hours(1));
    }
}

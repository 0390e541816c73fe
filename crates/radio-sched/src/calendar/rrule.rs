//! Recurrence rules (`RRULE`, RFC 5545 §3.3.10) and their expansion.
//!
//! A rule is expanded in *periods* (one day, week, month or year, every `INTERVAL`-th),
//! each giving a sorted set of wall-clock candidates that `BYSETPOS` then picks from.
//! Expansion is in the event's own zone and in wall-clock time, so "every Monday 22:00
//! Europe/Berlin" stays at 22:00 across DST; [`super::time::resolve_local`] turns the
//! results into instants.
//!
//! `DTSTART` is always the first occurrence and counts towards `COUNT`, even when it does
//! not match the rule (what Google Calendar shows). Supported: `FREQ=DAILY`, `WEEKLY`,
//! `MONTHLY`, `YEARLY`; `INTERVAL`, `COUNT`, `UNTIL`, `BYDAY` (ordinals with `MONTHLY`
//! and `YEARLY`), `BYMONTHDAY`, `BYYEARDAY`, `BYMONTH`, `BYHOUR`, `BYMINUTE`, `BYSECOND`,
//! `BYSETPOS`, `WKST`. Refused with an error: `HOURLY`, `MINUTELY`, `SECONDLY`,
//! `BYWEEKNO`.
//!
//! Expansion is bounded: without `COUNT` it jumps straight to the period before the
//! window; with `COUNT` it must count from `DTSTART`. Either way it stops after
//! [`MAX_PERIODS`] periods or when the shared step budget runs out.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Weekday};
use chrono_tz::Tz;

use super::error::{CalendarError, snippet};
use super::ics::Property;
use super::time::{parse_date, parse_date_time, resolve_local};
use crate::clock::Time;

/// The most periods one expansion looks at.
pub(crate) const MAX_PERIODS: i64 = 100_000;
/// The most wall-clock times per day a rule may generate (`BYHOUR` × `BYMINUTE` × `BYSECOND`).
const MAX_TIMES_PER_DAY: usize = 1440;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// Where a rule stops (inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Until {
    Instant(Time),
    Local(NaiveDateTime),
    Date(NaiveDate),
}

/// A parsed `RRULE`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RRule {
    pub freq: Freq,
    pub interval: i64,
    pub count: Option<u32>,
    pub until: Option<Until>,
    by_day: Vec<(i32, Weekday)>,
    by_month_day: Vec<i32>,
    by_year_day: Vec<i32>,
    by_month: Vec<u32>,
    by_hour: Vec<u32>,
    by_minute: Vec<u32>,
    by_second: Vec<u32>,
    by_set_pos: Vec<i32>,
    wkst: Weekday,
}

impl RRule {
    /// Parses the value of an `RRULE` property.
    pub fn parse(prop: &Property) -> Result<RRule, CalendarError> {
        let mut freq = None;
        let mut rule = RRule {
            freq: Freq::Daily,
            interval: 1,
            count: None,
            until: None,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_year_day: Vec::new(),
            by_month: Vec::new(),
            by_hour: Vec::new(),
            by_minute: Vec::new(),
            by_second: Vec::new(),
            by_set_pos: Vec::new(),
            wkst: Weekday::Mon,
        };
        for part in prop.value.split(';').filter(|p| !p.trim().is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(prop.error(format!("rule part {} has no '='", snippet(part))));
            };
            let key = key.trim().to_ascii_uppercase();
            let value = value.trim();
            let bad = || prop.error(format!("invalid {key} {}", snippet(value)));
            match key.as_str() {
                "FREQ" => {
                    freq = Some(match value.to_ascii_uppercase().as_str() {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        "YEARLY" => Freq::Yearly,
                        "HOURLY" | "MINUTELY" | "SECONDLY" => {
                            return Err(prop.error(format!(
                                "FREQ={value} is not supported (use DAILY with BYHOUR)"
                            )));
                        }
                        _ => return Err(bad()),
                    })
                }
                "INTERVAL" => {
                    rule.interval = value
                        .parse::<u32>()
                        .ok()
                        .filter(|&n| n >= 1)
                        .ok_or_else(bad)?
                        .into();
                }
                "COUNT" => {
                    rule.count = Some(value.parse().ok().filter(|&n| n >= 1).ok_or_else(bad)?);
                }
                "UNTIL" => {
                    rule.until = Some(if let Some(d) = parse_date(value) {
                        Until::Date(d)
                    } else {
                        match parse_date_time(value).ok_or_else(bad)? {
                            (t, true) => Until::Instant(t.and_utc()),
                            (t, false) => Until::Local(t),
                        }
                    });
                }
                "BYDAY" => rule.by_day = list(value, parse_by_day).ok_or_else(bad)?,
                "BYMONTHDAY" => rule.by_month_day = list(value, signed(31)).ok_or_else(bad)?,
                "BYYEARDAY" => rule.by_year_day = list(value, signed(366)).ok_or_else(bad)?,
                "BYSETPOS" => rule.by_set_pos = list(value, signed(366)).ok_or_else(bad)?,
                "BYMONTH" => rule.by_month = list(value, unsigned(1, 12)).ok_or_else(bad)?,
                "BYHOUR" => rule.by_hour = list(value, unsigned(0, 23)).ok_or_else(bad)?,
                "BYMINUTE" => rule.by_minute = list(value, unsigned(0, 59)).ok_or_else(bad)?,
                "BYSECOND" => rule.by_second = list(value, unsigned(0, 59)).ok_or_else(bad)?,
                "WKST" => rule.wkst = weekday(value).ok_or_else(bad)?,
                "BYWEEKNO" => return Err(prop.error("BYWEEKNO is not supported")),
                k if k.starts_with("X-") => {}
                _ => return Err(prop.error(format!("unknown rule part {}", snippet(&key)))),
            }
        }
        rule.freq = freq.ok_or_else(|| prop.error("rule has no FREQ"))?;
        if rule.count.is_some() && rule.until.is_some() {
            return Err(prop.error("rule has both COUNT and UNTIL"));
        }
        if !matches!(rule.freq, Freq::Monthly | Freq::Yearly)
            && rule.by_day.iter().any(|&(n, _)| n != 0)
        {
            return Err(prop.error("BYDAY with a number (like 1MO) needs FREQ=MONTHLY or YEARLY"));
        }
        let times =
            rule.by_hour.len().max(1) * rule.by_minute.len().max(1) * rule.by_second.len().max(1);
        if times > MAX_TIMES_PER_DAY {
            return Err(prop.error(format!(
                "rule makes {times} times per day (limit {MAX_TIMES_PER_DAY})"
            )));
        }
        for v in [&mut rule.by_hour, &mut rule.by_minute, &mut rule.by_second] {
            v.sort_unstable();
            v.dedup();
        }
        Ok(rule)
    }

    /// The wall-clock starts of the rule from `start` (in `tz`), in order, up to `to`.
    /// Without `COUNT` the expansion skips ahead to just before `from`; callers must
    /// still filter by the window. `budget` is shared by all expansions of one query.
    pub fn expand<'a>(
        &'a self,
        start: NaiveDateTime,
        tz: Tz,
        from: NaiveDateTime,
        to: NaiveDateTime,
        budget: &'a mut u64,
    ) -> Expansion<'a> {
        let first = if self.count.is_some() {
            0
        } else {
            self.period_index(start.date(), from.date())
                .saturating_sub(1)
                .max(0)
        };
        Expansion {
            rule: self,
            start,
            tz,
            to,
            k: first,
            periods: 0,
            buf: Vec::new(),
            emitted: 0,
            started: false,
            done: false,
            budget,
        }
    }

    /// Which period (0 = the one holding `start`) holds `date`, rounded down.
    fn period_index(&self, start: NaiveDate, date: NaiveDate) -> i64 {
        let per = match self.freq {
            Freq::Daily => (date - start).num_days(),
            Freq::Weekly => (date - week_start(start, self.wkst))
                .num_days()
                .div_euclid(7),
            Freq::Monthly => {
                i64::from(date.year() - start.year()) * 12 + i64::from(date.month0())
                    - i64::from(start.month0())
            }
            Freq::Yearly => i64::from(date.year() - start.year()),
        };
        per.div_euclid(self.interval)
    }

    fn until_ok(&self, t: NaiveDateTime, tz: Tz) -> bool {
        match self.until {
            None => true,
            Some(Until::Local(u)) => t <= u,
            Some(Until::Date(d)) => t.date() <= d,
            Some(Until::Instant(u)) => resolve_local(t, tz).is_some_and(|t| t <= u),
        }
    }

    /// The first day of period `k`, and its candidate dates (sorted). `None` past the end
    /// of the calendar.
    fn period(&self, start: NaiveDate, k: i64) -> Option<(NaiveDate, Vec<NaiveDate>)> {
        let step = k.checked_mul(self.interval)?;
        let days = |from: NaiveDate, n: i64| from.checked_add_signed(TimeDelta::try_days(n)?);
        match self.freq {
            Freq::Daily => {
                let d = days(start, step)?;
                let keep = self.month_ok(d)
                    && self.month_day_ok(d)
                    && self.year_day_ok(d)
                    && self.weekday_ok(d);
                Some((d, if keep { vec![d] } else { Vec::new() }))
            }
            Freq::Weekly => {
                let first = days(week_start(start, self.wkst), step.checked_mul(7)?)?;
                let dates = (0..7)
                    .filter_map(|i| days(first, i))
                    .filter(|&d| {
                        let wd_ok = if self.by_day.is_empty() {
                            d.weekday() == start.weekday()
                        } else {
                            self.weekday_ok(d)
                        };
                        wd_ok && self.month_ok(d)
                    })
                    .collect();
                Some((first, dates))
            }
            Freq::Monthly => {
                let months = i64::from(start.year()) * 12 + i64::from(start.month0());
                let m = months.checked_add(step)?;
                let year = i32::try_from(m.div_euclid(12)).ok()?;
                let month = u32::try_from(m.rem_euclid(12)).ok()? + 1;
                let first = NaiveDate::from_ymd_opt(year, month, 1)?;
                if !self.month_ok(first) {
                    return Some((first, Vec::new()));
                }
                Some((first, self.month_dates(first, start.day())))
            }
            Freq::Yearly => {
                let year = i32::try_from(i64::from(start.year()).checked_add(step)?).ok()?;
                let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
                let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
                let dates = if !self.by_year_day.is_empty() || !self.by_month_day.is_empty() {
                    first
                        .iter_days()
                        .take_while(|&d| d <= last)
                        .filter(|&d| {
                            self.month_ok(d)
                                && self.month_day_ok(d)
                                && self.year_day_ok(d)
                                && self.weekday_ok(d)
                        })
                        .collect()
                } else if !self.by_day.is_empty() && self.by_month.is_empty() {
                    first
                        .iter_days()
                        .take_while(|&d| d <= last)
                        .filter(|&d| self.weekday_in(d, first, last))
                        .collect()
                } else if !self.by_month.is_empty() {
                    let mut all = Vec::new();
                    for &m in &self.by_month {
                        if let Some(mf) = NaiveDate::from_ymd_opt(year, m, 1) {
                            all.extend(self.month_dates(mf, start.day()));
                        }
                    }
                    all.sort_unstable();
                    all
                } else {
                    NaiveDate::from_ymd_opt(year, start.month(), start.day())
                        .into_iter()
                        .collect()
                };
                Some((first, dates))
            }
        }
    }

    /// The dates of the month starting at `first` selected by `BYMONTHDAY`/`BYDAY`
    /// (`BYDAY` ordinals count within the month), or day `day` when neither is given.
    fn month_dates(&self, first: NaiveDate, day: u32) -> Vec<NaiveDate> {
        let last = last_of_month(first);
        if self.by_month_day.is_empty() && self.by_day.is_empty() && self.by_year_day.is_empty() {
            return first.with_day(day).into_iter().collect();
        }
        first
            .iter_days()
            .take_while(|&d| d <= last)
            .filter(|&d| {
                (self.by_month_day.is_empty() || self.month_day_ok(d))
                    && (self.by_day.is_empty() || self.weekday_in(d, first, last))
                    && self.year_day_ok(d)
            })
            .collect()
    }

    fn month_ok(&self, d: NaiveDate) -> bool {
        self.by_month.is_empty() || self.by_month.contains(&d.month())
    }

    fn month_day_ok(&self, d: NaiveDate) -> bool {
        let dim = last_of_month(d).day() as i32;
        self.by_month_day.is_empty()
            || self.by_month_day.iter().any(|&n| {
                let want = if n > 0 { n } else { dim + n + 1 };
                want == d.day() as i32
            })
    }

    fn year_day_ok(&self, d: NaiveDate) -> bool {
        let diy = if d.leap_year() { 366 } else { 365 };
        self.by_year_day.is_empty()
            || self.by_year_day.iter().any(|&n| {
                let want = if n > 0 { n } else { diy + n + 1 };
                want == d.ordinal() as i32
            })
    }

    /// Weekday match ignoring ordinals.
    fn weekday_ok(&self, d: NaiveDate) -> bool {
        self.by_day.is_empty() || self.by_day.iter().any(|&(_, wd)| wd == d.weekday())
    }

    /// Weekday match with ordinals counted within `first..=last`.
    fn weekday_in(&self, d: NaiveDate, first: NaiveDate, last: NaiveDate) -> bool {
        self.by_day.iter().any(|&(n, wd)| {
            if wd != d.weekday() {
                return false;
            }
            match n {
                0 => true,
                n if n > 0 => (d - first).num_days() / 7 + 1 == i64::from(n),
                n => -((last - d).num_days() / 7 + 1) == i64::from(n),
            }
        })
    }

    fn times(&self, start: NaiveTime) -> Vec<NaiveTime> {
        let pick = |v: &Vec<u32>, dflt: u32| if v.is_empty() { vec![dflt] } else { v.clone() };
        let mut out = Vec::new();
        for h in pick(&self.by_hour, start.hour_()) {
            for m in pick(&self.by_minute, start.minute_()) {
                for s in pick(&self.by_second, start.second_()) {
                    out.extend(NaiveTime::from_hms_opt(h, m, s));
                }
            }
        }
        out
    }

    fn set_pos(&self, all: Vec<NaiveDateTime>) -> Vec<NaiveDateTime> {
        if self.by_set_pos.is_empty() {
            return all;
        }
        let n = all.len() as i64;
        let mut picked: Vec<NaiveDateTime> = self
            .by_set_pos
            .iter()
            .filter_map(|&p| {
                let i = if p > 0 {
                    i64::from(p) - 1
                } else {
                    n + i64::from(p)
                };
                usize::try_from(i).ok().and_then(|i| all.get(i).copied())
            })
            .collect();
        picked.sort_unstable();
        picked.dedup();
        picked
    }
}

/// Hour/minute/second without importing `Timelike` at every call site.
trait Hms {
    fn hour_(&self) -> u32;
    fn minute_(&self) -> u32;
    fn second_(&self) -> u32;
}

impl Hms for NaiveTime {
    fn hour_(&self) -> u32 {
        chrono::Timelike::hour(self)
    }
    fn minute_(&self) -> u32 {
        chrono::Timelike::minute(self)
    }
    fn second_(&self) -> u32 {
        chrono::Timelike::second(self)
    }
}

/// The wall-clock starts of one rule, in order (see [`RRule::expand`]).
pub(crate) struct Expansion<'a> {
    rule: &'a RRule,
    start: NaiveDateTime,
    tz: Tz,
    to: NaiveDateTime,
    k: i64,
    periods: i64,
    /// The current period's candidates, latest first.
    buf: Vec<NaiveDateTime>,
    emitted: u32,
    started: bool,
    done: bool,
    budget: &'a mut u64,
}

impl Iterator for Expansion<'_> {
    type Item = NaiveDateTime;

    fn next(&mut self) -> Option<NaiveDateTime> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
            self.emitted = 1;
            if self.rule.until_ok(self.start, self.tz) {
                return Some(self.start);
            }
            self.done = true;
            return None;
        }
        loop {
            if let Some(c) = self.buf.pop() {
                if c <= self.start {
                    continue;
                }
                if c > self.to
                    || !self.rule.until_ok(c, self.tz)
                    || self.rule.count.is_some_and(|n| self.emitted >= n)
                {
                    self.done = true;
                    return None;
                }
                self.emitted = self.emitted.saturating_add(1);
                return Some(c);
            }
            if *self.budget == 0 || self.periods >= MAX_PERIODS {
                tracing::warn!(
                    periods = self.periods,
                    "recurrence expansion stopped at its limit; later occurrences are missing"
                );
                self.done = true;
                return None;
            }
            self.periods += 1;
            let Some((first, dates)) = self.rule.period(self.start.date(), self.k) else {
                self.done = true;
                return None;
            };
            self.k += 1;
            if first > self.to.date() {
                self.done = true;
                return None;
            }
            let times = self.rule.times(self.start.time());
            let cost = 1 + (dates.len() * times.len()) as u64;
            *self.budget = self.budget.saturating_sub(cost);
            let all = dates
                .iter()
                .flat_map(|d| times.iter().map(move |t| d.and_time(*t)))
                .collect();
            let mut picked = self.rule.set_pos(all);
            picked.reverse();
            self.buf = picked;
        }
    }
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(d)
}

fn week_start(d: NaiveDate, wkst: Weekday) -> NaiveDate {
    let back = (7 + d.weekday().num_days_from_monday() - wkst.num_days_from_monday()) % 7;
    d.checked_sub_signed(TimeDelta::days(i64::from(back)))
        .unwrap_or(d)
}

fn list<T>(value: &str, item: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    let v: Option<Vec<T>> = value.split(',').map(|s| item(s.trim())).collect();
    v.filter(|v| !v.is_empty() && v.len() <= 400)
}

fn signed(max: i32) -> impl Fn(&str) -> Option<i32> {
    move |s| {
        let n: i32 = s.strip_prefix('+').unwrap_or(s).parse().ok()?;
        (n != 0 && n.abs() <= max).then_some(n)
    }
}

fn unsigned(min: u32, max: u32) -> impl Fn(&str) -> Option<u32> {
    move |s| s.parse().ok().filter(|n| (min..=max).contains(n))
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// `MO`, `1MO`, `-1FR`, `+2TU`.
fn parse_by_day(s: &str) -> Option<(i32, Weekday)> {
    if s.len() < 2 || !s.is_char_boundary(s.len() - 2) {
        return None;
    }
    let (n, wd) = s.split_at(s.len() - 2);
    let n = if n.is_empty() { 0 } else { signed(53)(n)? };
    Some((n, weekday(wd)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(v: &str) -> RRule {
        let prop = Property {
            name: "RRULE".into(),
            params: Vec::new(),
            value: v.into(),
            line: 1,
        };
        RRule::parse(&prop).unwrap()
    }

    fn starts(v: &str, start: &str, to: &str) -> Vec<String> {
        let r = rule(v);
        let start = parse_date_time(start).unwrap().0;
        let to = parse_date_time(to).unwrap().0;
        let mut budget = u64::MAX;
        r.expand(start, Tz::UTC, start, to, &mut budget)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .collect()
    }

    #[test]
    fn last_friday_and_setpos() {
        assert_eq!(
            starts(
                "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
                "20260130T200000",
                "20270101T000000"
            ),
            ["2026-01-30 20:00", "2026-02-27 20:00", "2026-03-27 20:00"]
        );
        // The last weekday of the month.
        assert_eq!(
            starts(
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
                "20260130T090000",
                "20270101T000000"
            ),
            ["2026-01-30 09:00", "2026-02-27 09:00", "2026-03-31 09:00"]
        );
    }

    #[test]
    fn yearly_and_month_days() {
        assert_eq!(
            starts(
                "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
                "20260329T100000",
                "20281231T000000"
            ),
            ["2026-03-29 10:00", "2027-03-28 10:00", "2028-03-26 10:00"]
        );
        assert_eq!(
            starts(
                "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
                "20260131T100000",
                "20281231T000000"
            ),
            ["2026-01-31 10:00", "2026-02-28 10:00", "2026-03-31 10:00"]
        );
        // Day 31 skips short months.
        assert_eq!(
            starts("FREQ=MONTHLY;COUNT=3", "20260131T100000", "20281231T000000"),
            ["2026-01-31 10:00", "2026-03-31 10:00", "2026-05-31 10:00"]
        );
    }

    #[test]
    fn weekly_interval_byhour_until() {
        assert_eq!(
            starts(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20260121T000000",
                "20260105T080000",
                "20270101T000000"
            ),
            ["2026-01-05 08:00", "2026-01-07 08:00", "2026-01-19 08:00"]
        );
        assert_eq!(
            starts(
                "FREQ=DAILY;BYHOUR=6,18;COUNT=3",
                "20260105T060000",
                "20270101T000000"
            ),
            ["2026-01-05 06:00", "2026-01-05 18:00", "2026-01-06 06:00"]
        );
    }

    #[test]
    fn skips_ahead_without_count() {
        let r = rule("FREQ=DAILY");
        let start = parse_date_time("19900101T220000").unwrap().0;
        let from = parse_date_time("20260301T000000").unwrap().0;
        let to = parse_date_time("20260303T000000").unwrap().0;
        let mut budget = 1000;
        let got: Vec<_> = r.expand(start, Tz::UTC, from, to, &mut budget).collect();
        assert_eq!(
            got.len(),
            1 + 3,
            "dtstart, then the period before the window and two in it"
        );
        assert!(budget > 990);
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        for v in [
            "FREQ=HOURLY",
            "FREQ=WEEKLY;BYDAY=1MO",
            "BYDAY=MO",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;BYWEEKNO=3",
            "FREQ=DAILY;FOO=1",
            "FREQ=DAILY;BYMONTHDAY=32",
        ] {
            let prop = Property {
                name: "RRULE".into(),
                params: Vec::new(),
                value: v.into(),
                line: 7,
            };
            let e = RRule::parse(&prop).unwrap_err();
            assert_eq!(e.line(), Some(7), "{v}");
        }
    }
}

//! Calendars: iCalendar parsing and expansion, DJ air time, shows from calendars.
//!
//! The fixtures are written like Google Calendar's "iCal" exports (CRLF line ends,
//! a `VTIMEZONE` per zone, `X-WR-TIMEZONE`). 2026's European DST changes are on
//! 29 March and 25 October.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use radio_sched::Time;
use radio_sched::calendar::{
    AuthPolicy, AuthSettings, Calendar, CalendarError, Dj, DjAuthorizer, KickDecision, Refusal,
};

const HEADER: &str = "BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Radio Schedule
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
";

/// Alice's weekly Monday show, 22:00–24:00 Berlin time, from 16 March 2026.
const NIGHT_SHIFT: &str = "BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260316T220000
DTEND;TZID=Europe/Berlin:20260317T000000
RRULE:FREQ=WEEKLY;BYDAY=MO
DTSTAMP:20260301T120000Z
ORGANIZER;CN=Station:mailto:schedule@radio.example
UID:night-shift@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Alice;X-NUM-GUESTS=0:mailto:Alice@Example.com
CREATED:20260301T120000Z
DESCRIPTION:Late music\\, with Alice\\nTwo hours.
LAST-MODIFIED:20260301T120000Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Night Shift
TRANSP:OPAQUE
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:This is an event reminder
TRIGGER:-P0DT0H10M0S
END:VALARM
END:VEVENT
";

/// A Google-style export with `events` inside, with CRLF line ends.
fn google(events: &str) -> String {
    format!("{HEADER}{events}END:VCALENDAR\n").replace('\n', "\r\n")
}

fn cal(events: &str) -> Calendar {
    match Calendar::parse(&google(events), Tz::UTC) {
        Ok(c) => c,
        Err(e) => panic!("fixture does not parse: {e}"),
    }
}

fn t(s: &str) -> Time {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn starts(c: &Calendar, from: &str, to: &str) -> Vec<String> {
    c.occurrences(t(from), t(to))
        .iter()
        .map(|o| o.start.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

mod parse {
    use super::*;

    #[test]
    fn weekly_show_keeps_local_22_00_across_both_dst_changes() {
        let c = cal(NIGHT_SHIFT);
        assert_eq!(c.name(), Some("Radio Schedule"));
        assert_eq!(c.time_zone(), Tz::Europe__Berlin);
        assert_eq!(
            starts(&c, "2026-03-01T00:00:00Z", "2026-04-10T00:00:00Z"),
            [
                "2026-03-16T21:00Z",
                "2026-03-23T21:00Z",
                "2026-03-30T20:00Z",
                "2026-04-06T20:00Z"
            ]
        );
        assert_eq!(
            starts(&c, "2026-10-18T00:00:00Z", "2026-11-03T00:00:00Z"),
            [
                "2026-10-19T20:00Z",
                "2026-10-26T21:00Z",
                "2026-11-02T21:00Z"
            ]
        );
        let o = &c.occurrences(t("2026-03-30T00:00:00Z"), t("2026-03-31T00:00:00Z"))[0];
        assert_eq!(o.end - o.start, chrono::TimeDelta::hours(2));
        assert!(!o.all_day);
        assert_eq!(o.event.summary.as_deref(), Some("Night Shift"));
        assert_eq!(
            o.event.description.as_deref(),
            Some("Late music, with Alice\nTwo hours.")
        );
        assert_eq!(o.event.location, None);
        let organizer = o.event.organizer.as_ref().unwrap();
        assert_eq!(organizer.email.as_deref(), Some("schedule@radio.example"));
        assert_eq!(
            o.event.attendees[0].email.as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(o.event.attendees[0].name.as_deref(), Some("Alice"));
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward_and_a_repeated_time_takes_the_first() {
        let c = cal("BEGIN:VEVENT
UID:early
DTSTART;TZID=Europe/Berlin:20260322T023000
DURATION:PT30M
RRULE:FREQ=WEEKLY
END:VEVENT
");
        let got = starts(&c, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z");
        // 02:30 does not exist on 29 March: it is 03:30 CEST.
        assert_eq!(got, ["2026-03-29T01:30Z"]);
        let got = starts(&c, "2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z");
        // 02:30 happens twice on 25 October: the first is 02:30 CEST.
        assert_eq!(got, ["2026-10-25T00:30Z"]);
    }

    #[test]
    fn exdate_removes_one_occurrence() {
        let event = NIGHT_SHIFT.replace(
            "RRULE:FREQ=WEEKLY;BYDAY=MO\n",
            "RRULE:FREQ=WEEKLY;BYDAY=MO\nEXDATE;TZID=Europe/Berlin:20260323T220000,20260406T220000\n",
        );
        let c = cal(&event);
        assert_eq!(
            starts(&c, "2026-03-01T00:00:00Z", "2026-04-14T00:00:00Z"),
            [
                "2026-03-16T21:00Z",
                "2026-03-30T20:00Z",
                "2026-04-13T20:00Z"
            ]
        );
    }

    #[test]
    fn recurrence_id_override_moves_one_occurrence() {
        let moved = "BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260331T200000
DTEND;TZID=Europe/Berlin:20260331T220000
UID:night-shift@google.com
RECURRENCE-ID;TZID=Europe/Berlin:20260330T220000
SUMMARY:Night Shift (moved to Tuesday)
ATTENDEE;CN=Alice:mailto:alice@example.com
END:VEVENT
";
        let c = cal(&format!("{NIGHT_SHIFT}{moved}"));
        let occ = c.occurrences(t("2026-03-20T00:00:00Z"), t("2026-04-10T00:00:00Z"));
        let got: Vec<_> = occ
            .iter()
            .map(|o| (o.start.to_rfc3339(), o.event.summary.clone().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "2026-03-23T21:00:00+00:00".into(),
                    "Night Shift".to_string()
                ),
                (
                    "2026-03-31T18:00:00+00:00".into(),
                    "Night Shift (moved to Tuesday)".into()
                ),
                ("2026-04-06T20:00:00+00:00".into(), "Night Shift".into()),
            ]
        );
    }

    #[test]
    fn a_cancelled_override_removes_one_occurrence_and_a_cancelled_event_is_dropped() {
        let cancelled = "BEGIN:VEVENT
UID:night-shift@google.com
RECURRENCE-ID:20260323T210000Z
DTSTART;TZID=Europe/Berlin:20260323T220000
DTEND;TZID=Europe/Berlin:20260324T000000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:gone
DTSTART:20260324T100000Z
DTEND:20260324T110000Z
STATUS:CANCELLED
END:VEVENT
";
        let c = cal(&format!("{NIGHT_SHIFT}{cancelled}"));
        assert_eq!(
            starts(&c, "2026-03-15T00:00:00Z", "2026-04-01T00:00:00Z"),
            ["2026-03-16T21:00Z", "2026-03-30T20:00Z"]
        );
    }

    #[test]
    fn all_day_events_cover_the_local_days() {
        let c = cal("BEGIN:VEVENT
UID:festival
DTSTART;VALUE=DATE:20260704
DTEND;VALUE=DATE:20260705
SUMMARY:Festival day
END:VEVENT
BEGIN:VEVENT
UID:no-end
DTSTART;VALUE=DATE:20260801
SUMMARY:One day
END:VEVENT
BEGIN:VEVENT
UID:over-dst
DTSTART;VALUE=DATE:20260328
DTEND;VALUE=DATE:20260330
SUMMARY:Weekend
END:VEVENT
");
        let day = &c.occurrences(t("2026-07-04T12:00:00Z"), t("2026-07-04T13:00:00Z"))[0];
        assert!(day.all_day);
        assert_eq!(day.start, t("2026-07-03T22:00:00Z"));
        assert_eq!(day.end, t("2026-07-04T22:00:00Z"));
        let one = &c.occurrences(t("2026-08-01T00:00:00Z"), t("2026-08-02T00:00:00Z"))[0];
        assert_eq!(
            (one.start, one.end),
            (t("2026-07-31T22:00:00Z"), t("2026-08-01T22:00:00Z"))
        );
        let weekend = &c.occurrences(t("2026-03-28T00:00:00Z"), t("2026-03-29T00:00:00Z"))[0];
        assert_eq!(weekend.start, t("2026-03-27T23:00:00Z"));
        assert_eq!(
            weekend.end,
            t("2026-03-29T22:00:00Z"),
            "local midnight after DST"
        );
        assert!(
            c.occurrences(t("2026-07-04T22:00:00Z"), t("2026-07-05T00:00:00Z"))
                .is_empty()
        );
    }

    #[test]
    fn count_and_until_stop_the_rule() {
        let c = cal("BEGIN:VEVENT
UID:count
DTSTART:20260316T090000Z
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:until
DTSTART;TZID=Europe/Berlin:20260316T180000
DURATION:PT1H
RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20260320T170000Z
END:VEVENT
");
        assert_eq!(
            starts(&c, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
            [
                "2026-03-16T09:00Z",
                "2026-03-16T17:00Z",
                "2026-03-17T09:00Z",
                "2026-03-18T09:00Z",
                "2026-03-18T17:00Z",
                "2026-03-20T17:00Z"
            ]
        );
    }

    #[test]
    fn count_is_counted_from_dtstart_even_for_a_late_window() {
        let c = cal("BEGIN:VEVENT
UID:old
DTSTART:19900101T220000Z
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=20000
END:VEVENT
");
        // 20000 days from 1990-01-01 is 2044-10-04; the last one is the day before.
        assert_eq!(
            starts(&c, "2044-10-01T00:00:00Z", "2044-10-10T00:00:00Z"),
            [
                "2044-10-01T22:00Z",
                "2044-10-02T22:00Z",
                "2044-10-03T22:00Z"
            ]
        );
    }

    #[test]
    fn an_old_daily_rule_is_quick_for_a_window_decades_later() {
        let c = cal("BEGIN:VEVENT
UID:old
DTSTART:19900101T220000Z
DURATION:PT1H
RRULE:FREQ=DAILY
END:VEVENT
");
        let began = std::time::Instant::now();
        for _ in 0..100 {
            assert_eq!(
                c.occurrences(t("2026-03-01T00:00:00Z"), t("2026-03-08T00:00:00Z"))
                    .len(),
                7
            );
        }
        assert!(began.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn monthly_last_friday() {
        let c = cal("BEGIN:VEVENT
UID:last-friday
DTSTART;TZID=Europe/Berlin:20260130T200000
DTEND;TZID=Europe/Berlin:20260130T230000
RRULE:FREQ=MONTHLY;BYDAY=-1FR
END:VEVENT
");
        assert_eq!(
            starts(&c, "2026-02-01T00:00:00Z", "2026-06-01T00:00:00Z"),
            [
                "2026-02-27T19:00Z",
                "2026-03-27T19:00Z",
                "2026-04-24T18:00Z",
                "2026-05-29T18:00Z"
            ]
        );
    }

    #[test]
    fn bysetpos_picks_the_last_weekday_of_the_month() {
        let c = cal("BEGIN:VEVENT
UID:payday
DTSTART;TZID=Europe/Berlin:20260130T120000
DURATION:PT1H
RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=4
END:VEVENT
");
        assert_eq!(
            starts(&c, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            [
                "2026-01-30T11:00Z",
                "2026-02-27T11:00Z",
                "2026-03-31T10:00Z",
                "2026-04-30T10:00Z"
            ]
        );
    }

    #[test]
    fn floating_times_are_read_in_x_wr_timezone_else_the_callers_zone() {
        let floating = "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:America/New_York\r\nBEGIN:VEVENT\r\n\
                        UID:f\r\nDTSTART:20260701T100000\r\nDTEND:20260701T110000\r\n\
                        END:VEVENT\r\nEND:VCALENDAR\r\n";
        let c = Calendar::parse(floating, Tz::Europe__Berlin).unwrap();
        assert_eq!(
            starts(&c, "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"),
            ["2026-07-01T14:00Z"]
        );
        let without = floating.replace("X-WR-TIMEZONE:America/New_York\r\n", "");
        let c = Calendar::parse(&without, Tz::Europe__Berlin).unwrap();
        assert_eq!(
            starts(&c, "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"),
            ["2026-07-01T08:00Z"]
        );
    }

    #[test]
    fn windows_zone_names_rdate_and_folded_lines() {
        let c = cal("BEGIN:VEVENT
UID:outlook
DTSTART;TZID=W. Europe Standard Time:20260310T090000
DTEND;TZID=W. Europe Standard Time:20260310T100000
RDATE;TZID=W. Europe Standard Time:20260312T090000
SUMMARY:A summary folded o
 ver two lines
END:VEVENT
");
        let occ = c.occurrences(t("2026-03-01T00:00:00Z"), t("2026-04-01T00:00:00Z"));
        assert_eq!(occ.len(), 2);
        assert_eq!(occ[1].start, t("2026-03-12T08:00:00Z"));
        assert_eq!(
            occ[0].event.summary.as_deref(),
            Some("A summary folded over two lines")
        );
    }

    #[test]
    fn from_file_reads_and_names_the_file_on_error() {
        let dir = std::env::temp_dir().join(format!("radio-sched-cal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("schedule.ics");
        std::fs::write(&path, google(NIGHT_SHIFT)).unwrap();
        let c = Calendar::from_file(&path, Tz::UTC).unwrap();
        assert_eq!(c.len(), 1);
        let missing = dir.join("missing.ics");
        let e = Calendar::from_file(&missing, Tz::UTC).unwrap_err();
        assert!(matches!(e, CalendarError::Io { .. }));
        assert!(e.to_string().contains("missing.ics"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

mod errors {
    use super::*;

    /// Parses `text` (LF line ends) and returns the error message.
    fn error(text: &str) -> String {
        match Calendar::parse(&text.replace('\n', "\r\n"), Tz::UTC) {
            Ok(_) => panic!("parsed but should not:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn an_invalid_date_names_its_line_and_value() {
        let e = error(
            "BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:x
DTSTART:20261301T100000
END:VEVENT
END:VCALENDAR
",
        );
        assert_eq!(e, "line 5: DTSTART: invalid date-time \"20261301T100000\"");
    }

    #[test]
    fn a_missing_dtstart_names_the_begin_line() {
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
UID:a
DTSTART:20260101T100000Z
END:VEVENT
BEGIN:VEVENT
UID:b
END:VEVENT
END:VCALENDAR
",
        );
        assert_eq!(e, "line 6: VEVENT has no DTSTART");
    }

    #[test]
    fn unbalanced_components_name_the_line() {
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
DTSTART:20260101T100000Z
END:VTODO
END:VCALENDAR
",
        );
        assert_eq!(e, "line 4: END:VTODO does not match BEGIN:VEVENT on line 2");
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
DTSTART:20260101T100000Z
END:VEVENT
",
        );
        assert!(
            e.starts_with("line 1: BEGIN:VCALENDAR is never closed"),
            "{e}"
        );
        let e = error(
            "BEGIN:VCALENDAR
END:VCALENDAR
END:VCALENDAR
",
        );
        assert!(e.starts_with("line 3: END:VCALENDAR without"), "{e}");
    }

    #[test]
    fn line_numbers_count_physical_lines_after_folding() {
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
DESCRIPTION:a long
  description
  folded thrice
DTSTART:20260101T100000Z
this line has no colon
END:VEVENT
END:VCALENDAR
",
        );
        assert_eq!(
            e,
            "line 7: THIS: expected ':' or ';' after the name in \"this line has no colon\""
        );
    }

    #[test]
    fn a_bad_rule_names_its_line() {
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
DTSTART:20260101T100000Z
RRULE:FREQ=WEEKLY;BYDAY=XX
END:VEVENT
END:VCALENDAR
",
        );
        assert_eq!(e, "line 4: RRULE: invalid BYDAY \"XX\"");
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
DTSTART:20260101T100000Z
RRULE:FREQ=HOURLY
END:VEVENT
END:VCALENDAR
",
        );
        assert!(
            e.starts_with("line 4: RRULE: FREQ=HOURLY is not supported"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_zone_names_the_line_that_uses_it() {
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VTIMEZONE
TZID:My Own Zone
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=My Own Zone:20260101T100000
END:VEVENT
END:VCALENDAR
",
        );
        assert!(
            e.starts_with("line 6: unknown time zone \"My Own Zone\""),
            "{e}"
        );
        let e = error(
            "BEGIN:VCALENDAR
X-WR-TIMEZONE:Nowhere/Special
END:VCALENDAR
",
        );
        assert!(e.starts_with("line 2: unknown time zone"), "{e}");
    }

    #[test]
    fn other_bad_values_name_their_line() {
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
DTSTART:20260101T100000Z
DTEND:20260101T090000Z
END:VEVENT
END:VCALENDAR
",
        );
        assert_eq!(
            e,
            "line 4: DTEND: DTEND \"20260101T090000Z\" is before DTSTART"
        );
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
DTSTART:20260101T100000Z
DURATION:1 hour
END:VEVENT
END:VCALENDAR
",
        );
        assert_eq!(e, "line 4: DURATION: invalid duration \"1 hour\"");
        let e = error(
            "BEGIN:VCALENDAR
BEGIN:VEVENT
DTSTART;VALUE=DATE:2026-01-01
END:VEVENT
END:VCALENDAR
",
        );
        assert_eq!(e, "line 3: DTSTART: invalid date \"2026-01-01\"");
        let e = error(
            "VERSION:2.0
",
        );
        assert!(
            e.starts_with("line 1: VERSION outside BEGIN:VCALENDAR"),
            "{e}"
        );
        let e = error("");
        assert!(e.contains("no BEGIN:VCALENDAR"), "{e}");
        let e =
            Calendar::from_bytes(b"BEGIN:VCALENDAR\nX-A:\xff\nEND:VCALENDAR", Tz::UTC).unwrap_err();
        assert_eq!(e.to_string(), "line 2: not valid UTF-8");
        assert_eq!(e.line(), Some(2));
    }
}

mod auth {
    use super::*;

    fn alice() -> Dj {
        Dj::new("alice")
            .with_email("alice@example.com")
            .with_grace(Duration::from_secs(5 * 60), Duration::from_secs(10 * 60))
    }

    fn authorizer(events: &str) -> DjAuthorizer {
        let mut a = DjAuthorizer::new(AuthSettings::calendar());
        a.add_dj(alice());
        a.set_calendars(vec![cal(events)]);
        a
    }

    #[test]
    fn inside_the_window_is_accepted_until_end_plus_exit_grace() {
        let a = authorizer(NIGHT_SHIFT);
        let g = a.authorize("alice", t("2026-03-16T21:30:00Z")).unwrap();
        assert_eq!(g.kickoff, Some(t("2026-03-16T23:10:00Z")));
        assert_eq!(g.title, "Night Shift");
        assert_eq!(g.event_uid.as_deref(), Some("night-shift@google.com"));
        // After the DST change the same show is an hour earlier in UTC.
        let g = a.authorize("ALICE", t("2026-03-30T20:00:00Z")).unwrap();
        assert_eq!(g.kickoff, Some(t("2026-03-30T22:10:00Z")));
    }

    #[test]
    fn outside_the_window_is_refused_with_the_next_window() {
        let a = authorizer(NIGHT_SHIFT);
        let r = a.authorize("alice", t("2026-03-17T12:00:00Z")).unwrap_err();
        assert_eq!(
            r.to_string(),
            "no show for alice at 2026-03-17T12:00:00Z: next window opens 2026-03-23T20:55:00Z"
        );
        let mut b = DjAuthorizer::new(AuthSettings::calendar());
        b.add_dj(Dj::new("carol").with_email("carol@example.com"));
        b.set_calendars(vec![cal(NIGHT_SHIFT)]);
        let r = b.authorize("carol", t("2026-03-16T21:30:00Z")).unwrap_err();
        assert!(matches!(r, Refusal::NoShow { next: None, .. }), "{r}");
    }

    #[test]
    fn entry_grace_lets_the_dj_in_five_minutes_early() {
        let a = authorizer(NIGHT_SHIFT);
        assert!(a.authorize("alice", t("2026-03-16T20:54:59Z")).is_err());
        let g = a.authorize("alice", t("2026-03-16T20:55:00Z")).unwrap();
        assert_eq!(g.kickoff, Some(t("2026-03-16T23:10:00Z")));
    }

    #[test]
    fn overlapping_events_the_latest_end_sets_the_kickoff_across_midnight() {
        let late = "BEGIN:VEVENT
UID:after-hours
DTSTART;TZID=Europe/Berlin:20260316T233000
DTEND;TZID=Europe/Berlin:20260317T013000
SUMMARY:After Hours
ATTENDEE;CN=Alice:mailto:alice@example.com
END:VEVENT
";
        let a = authorizer(&format!("{NIGHT_SHIFT}{late}"));
        let g = a.authorize("alice", t("2026-03-16T22:45:00Z")).unwrap();
        assert_eq!(g.kickoff, Some(t("2026-03-17T00:40:00Z")));
        assert_eq!(g.title, "After Hours");
        // The reaper keeps her on past the first show's end.
        assert_eq!(
            a.check("alice", t("2026-03-16T23:30:00Z")),
            KickDecision::Stay {
                kickoff: Some(t("2026-03-17T00:40:00Z"))
            }
        );
    }

    #[test]
    fn emails_match_case_insensitively_and_names_match_the_username() {
        let mut a = DjAuthorizer::new(AuthSettings::calendar());
        a.add_dj(Dj::new("al").with_email("ALICE@example.COM"));
        a.set_calendars(vec![cal(NIGHT_SHIFT)]);
        assert!(a.authorize("al", t("2026-03-16T21:30:00Z")).is_ok());
        // Unregistered "Alice" matches the attendee's CN.
        assert!(a.authorize("alice", t("2026-03-16T21:30:00Z")).is_ok());
        // A declined attendee gets no air time.
        let declined = NIGHT_SHIFT.replace("PARTSTAT=ACCEPTED", "PARTSTAT=DECLINED");
        a.set_calendars(vec![cal(&declined)]);
        assert!(a.authorize("al", t("2026-03-16T21:30:00Z")).is_err());
    }

    #[test]
    fn at_end_plus_grace_the_dj_is_kicked_and_an_instant_reconnect_is_refused() {
        let a = authorizer(NIGHT_SHIFT);
        let kickoff = t("2026-03-16T23:10:00Z");
        let just_before = kickoff - chrono::TimeDelta::seconds(1);
        assert_eq!(
            a.check("alice", just_before),
            KickDecision::Stay {
                kickoff: Some(kickoff)
            }
        );
        assert!(matches!(
            a.check("alice", kickoff),
            KickDecision::Kick(Refusal::NoShow { .. })
        ));
        assert!(a.authorize("alice", kickoff).is_err());
        // Within the reconnect margin a new connection is refused too.
        assert!(a.authorize("alice", just_before).is_err());
        assert!(
            a.authorize("alice", kickoff - chrono::TimeDelta::seconds(2))
                .is_ok()
        );
    }

    #[test]
    fn a_polled_calendar_that_moves_the_show_is_reflected() {
        let mut a = authorizer(NIGHT_SHIFT);
        let now = t("2026-03-16T21:30:00Z");
        assert!(a.authorize("alice", now).is_ok());
        let moved = NIGHT_SHIFT
            .replace("BYDAY=MO", "BYDAY=TU")
            .replace("20260316T220000", "20260317T220000")
            .replace("20260317T000000", "20260318T000000");
        a.set_calendars(vec![cal(&moved)]);
        assert!(matches!(a.check("alice", now), KickDecision::Kick(_)));
    }

    #[test]
    fn a_temporary_ban_expires_by_itself() {
        let mut a = DjAuthorizer::new(AuthSettings::default());
        let now = t("2026-03-16T12:00:00Z");
        let until = now + chrono::TimeDelta::seconds(900);
        a.ban("Alice", Some(until));
        let r = a.authorize("alice", now).unwrap_err();
        assert_eq!(r.to_string(), "alice is banned until 2026-03-16T12:15:00Z");
        assert!(matches!(
            a.check("alice", now),
            KickDecision::Kick(Refusal::Banned { .. })
        ));
        let g = a.authorize("alice", until).unwrap();
        assert_eq!(g.kickoff, None);
        assert_eq!(g.title, "alice's show");
        a.purge_expired_bans(until);
        assert!(!a.unban("alice"));
    }

    #[test]
    fn a_permanent_ban_lasts_until_lifted_and_overrides_calendar_windows() {
        let mut a = authorizer(NIGHT_SHIFT);
        let now = t("2026-03-16T21:30:00Z");
        a.ban("alice", None);
        let r = a.authorize("alice", now).unwrap_err();
        assert_eq!(r.to_string(), "alice is banned permanently");
        assert!(a.authorize("alice", t("2030-01-01T00:00:00Z")).is_err());
        assert!(a.unban("alice"));
        assert!(a.authorize("alice", now).is_ok());
    }

    #[test]
    fn never_is_always_refused_and_always_is_always_accepted() {
        let mut a = authorizer(NIGHT_SHIFT);
        let in_slot = t("2026-03-16T21:30:00Z");
        a.set_policy(AuthPolicy::Never);
        let r = a.authorize("alice", in_slot).unwrap_err();
        assert_eq!(
            r.to_string(),
            "alice: live DJs are not accepted (policy never)"
        );
        a.set_policy(AuthPolicy::Always);
        assert_eq!(
            a.authorize("alice", t("2026-03-17T12:00:00Z"))
                .unwrap()
                .kickoff,
            None
        );
        a.add_dj(alice().with_policy(AuthPolicy::Calendar));
        assert!(a.authorize("alice", t("2026-03-17T12:00:00Z")).is_err());
    }
}

mod shows {
    use super::*;

    #[test]
    fn events_naming_a_file_are_shows() {
        let c = cal("BEGIN:VEVENT
UID:jazz
DTSTART;TZID=Europe/Berlin:20260318T100000
DTEND;TZID=Europe/Berlin:20260318T110000
RRULE:FREQ=WEEKLY;COUNT=2
SUMMARY:Jazz hour
ATTACH;FMTTYPE=audio/mpeg:file:///srv/shows/jazz%20hour.mp3
END:VEVENT
BEGIN:VEVENT
UID:talk
DTSTART:20260319T150000Z
DURATION:PT30M
DESCRIPTION:Prerecorded.\\nfile: /srv/shows/talk.ogg
END:VEVENT
BEGIN:VEVENT
UID:drive
DTSTART:20260319T170000Z
DURATION:PT30M
ATTACH:https://drive.google.com/open?id=abc
END:VEVENT
");
        let shows = c.shows(t("2026-03-16T00:00:00Z"), t("2026-04-01T00:00:00Z"));
        let got: Vec<_> = shows
            .iter()
            .map(|s| {
                (
                    s.start.format("%d %H:%M").to_string(),
                    s.file.as_str(),
                    s.title.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "18 09:00".to_string(),
                    "/srv/shows/jazz hour.mp3",
                    "Jazz hour"
                ),
                ("19 15:00".to_string(), "/srv/shows/talk.ogg", "talk.ogg"),
                (
                    "25 09:00".to_string(),
                    "/srv/shows/jazz hour.mp3",
                    "Jazz hour"
                ),
            ]
        );
        assert_eq!(
            shows[1].end - shows[1].start,
            chrono::TimeDelta::minutes(30)
        );
    }
}

/// The fuzz target's checks (`fuzz/fuzz_targets/calendar.rs`) over deterministic
/// mutations of the fixtures, so the common paths are covered on every `cargo test`.
mod robustness {
    use super::*;
    use radio_sched::calendar::MAX_OCCURRENCES;

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const TOKENS: &[&str] = &[
        "BEGIN:VEVENT\r\n",
        "END:VEVENT\r\n",
        "BEGIN:VALARM\r\n",
        "RRULE:FREQ=DAILY;BYHOUR=0,6,12,18;BYMINUTE=0,30\r\n",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3,10;BYSETPOS=1,-1\r\n",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2\r\n",
        "RRULE:FREQ=WEEKLY;INTERVAL=4000000000\r\n",
        "EXDATE;VALUE=DATE:20260323\r\n",
        "RDATE;VALUE=PERIOD:20260101T000000Z/PT1H\r\n",
        "RECURRENCE-ID:20260316T210000Z\r\n",
        "DTSTART;TZID=Europe/Berlin:20260329T023000\r\n",
        "DTSTART;VALUE=DATE:99991231\r\n",
        "DTSTART:00010101T000000Z\r\n",
        "DURATION:P999999999W\r\n",
        "STATUS:CANCELLED\r\n",
        ";TZID=\"",
        ":",
        ";",
        ",",
        "\r\n ",
        "\\",
        "\u{e9}",
    ];

    fn mutate(rng: &mut XorShift, base: &str) -> String {
        let mut s = base.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(s.len() + 1);
            match rng.below(4) {
                0 => {
                    let tok = TOKENS[rng.below(TOKENS.len())];
                    s.splice(at..at, tok.bytes());
                }
                1 if at < s.len() => {
                    let end = (at + 1 + rng.below(40)).min(s.len());
                    s.drain(at..end);
                }
                2 if at < s.len() => s[at] = rng.next() as u8,
                _ => {
                    let end = (at + rng.below(200)).min(s.len());
                    let copy = s[at..end].to_vec();
                    s.splice(at..at, copy);
                }
            }
        }
        String::from_utf8_lossy(&s).into_owned()
    }

    fn check(text: &str) {
        let calendar = match Calendar::parse(text, Tz::Europe__Berlin) {
            Ok(c) => c,
            Err(e) => {
                let line = e.line().expect("text errors name a line");
                assert!(line >= 1 && line <= text.split('\n').count(), "{e}");
                return;
            }
        };
        let (from, to) = (t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z"));
        let occ = calendar.occurrences(from, to);
        assert!(occ.len() <= MAX_OCCURRENCES);
        assert!(occ.windows(2).all(|p| p[0].start <= p[1].start));
        assert!(occ.iter().all(|o| o.end >= o.start && o.start < to));
        let _ = calendar.shows(from, to);
        let mut auth = DjAuthorizer::new(AuthSettings::calendar());
        auth.add_dj(Dj::new("alice").with_email("alice@example.com"));
        auth.set_calendars(vec![calendar]);
        let _ = auth.authorize("alice", t("2026-03-16T21:30:00Z"));
    }

    #[test]
    fn mutated_calendars_never_panic_and_stay_bounded() {
        let base = google(&format!(
            "{NIGHT_SHIFT}BEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20260704\nEXDATE:20260101T000000Z\nEND:VEVENT\n"
        ));
        // CALENDAR_MUTATIONS=100000 for a longer hunt.
        let rounds = std::env::var("CALENDAR_MUTATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000);
        let mut rng = XorShift(0x5eed_cafe_f00d_1234);
        for _ in 0..rounds {
            check(&mutate(&mut rng, &base));
        }
    }

    #[test]
    fn extreme_windows_and_times_do_not_panic() {
        let c = cal(NIGHT_SHIFT);
        let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        assert!(c.occurrences(min, max).len() <= MAX_OCCURRENCES);
        assert!(c.occurrences(max, min).is_empty());
        let a = {
            let mut a = DjAuthorizer::new(AuthSettings::calendar());
            a.add_dj(Dj::new("alice").with_grace(Duration::MAX, Duration::MAX));
            a.set_calendars(vec![c]);
            a
        };
        for now in [min, max] {
            let _ = a.authorize("alice", now);
            let _ = a.check("alice", now);
        }
        // Rules that run to the ends of chrono's calendar.
        let far = cal("BEGIN:VEVENT
UID:far
DTSTART;TZID=Pacific/Kiritimati:99991231T235959
DURATION:P999999999W
RRULE:FREQ=YEARLY;INTERVAL=100000
END:VEVENT
BEGIN:VEVENT
UID:early
DTSTART;TZID=Pacific/Niue:00000101T000000
RRULE:FREQ=MONTHLY;INTERVAL=1000000;BYDAY=-1SU
END:VEVENT
");
        let _ = far.occurrences(min, max);
        let _ = far.occurrences(t("9999-01-01T00:00:00Z"), max);
    }
}

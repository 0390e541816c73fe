//! Fuzzes iCalendar parsing and recurrence expansion (`radio_sched::calendar`): calendars
//! come from files and from URLs the station host polls, so their text is untrusted.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use radio_sched::calendar::{AuthSettings, Calendar, Dj, DjAuthorizer, MAX_OCCURRENCES};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let calendar = match Calendar::parse(&text, chrono_tz::Europe::Berlin) {
        Ok(c) => c,
        Err(e) => {
            // Every error about the text names a line within it.
            if let Some(line) = e.line() {
                assert!(line >= 1 && line <= text.split('\n').count().max(1), "{e}");
            }
            return;
        }
    };
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let occurrences = calendar.occurrences(from, to);
    assert!(occurrences.len() <= MAX_OCCURRENCES);
    for pair in occurrences.windows(2) {
        assert!(pair[0].start <= pair[1].start, "not sorted by start");
    }
    for o in &occurrences {
        assert!(o.end >= o.start);
        assert!(
            o.start < to && (o.end > from || o.start >= from),
            "outside the window"
        );
    }
    let _ = calendar.shows(from, to);

    let mut auth = DjAuthorizer::new(AuthSettings::calendar());
    auth.add_dj(Dj::new("alice").with_email("alice@example.com"));
    auth.set_calendars(vec![calendar]);
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 20, 0, 0).unwrap();
    if let Ok(grant) = auth.authorize("alice", now) {
        assert!(grant.kickoff.is_none_or(|k| k > now));
    }
    let _ = auth.check("alice", now);
});

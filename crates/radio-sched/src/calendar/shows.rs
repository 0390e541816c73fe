//! Pre-recorded shows scheduled from a calendar (see [`Calendar::shows`]).

use super::{Calendar, EventDetails};
use crate::clock::Time;

/// A show to air, taken from a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledFromCalendar {
    /// When it starts.
    pub start: Time,
    /// When its slot ends.
    pub end: Time,
    /// The file to play (a local path).
    pub file: String,
    /// The event's summary, or the file name when it has none.
    pub title: String,
    /// The event's UID.
    pub uid: String,
}

impl Calendar {
    /// The shows whose occurrences overlap `[from, to)`, sorted by start.
    ///
    /// Convention: an occurrence is a show when its event names a file to play, either
    /// - as an `ATTACH` property whose value is a `file:` URI (`ATTACH:file:///srv/shows/x.mp3`)
    ///   or an absolute path, or
    /// - as a line `file: /srv/shows/x.mp3` in its `DESCRIPTION` (the key is case-insensitive;
    ///   a `file:///…` URI there works too). Google Calendar has no field for local files, so
    ///   this is the way to schedule from it.
    ///
    /// `ATTACH` values that are web links (Google Drive attachments) are not files and are
    /// ignored. Events without a file — DJ slots — are not shows. `%XX` escapes in `file:`
    /// URIs are decoded.
    pub fn shows(&self, from: Time, to: Time) -> Vec<ScheduledFromCalendar> {
        self.occurrences(from, to)
            .into_iter()
            .filter_map(|o| {
                let file = show_file(&o.event)?;
                let title = o.event.summary.clone().unwrap_or_else(|| {
                    file.rsplit('/').next().unwrap_or(file.as_str()).to_string()
                });
                Some(ScheduledFromCalendar {
                    start: o.start,
                    end: o.end,
                    title,
                    uid: o.event.uid.clone(),
                    file,
                })
            })
            .collect()
    }
}

/// The file an event names, by the convention of [`Calendar::shows`].
pub(crate) fn show_file(event: &EventDetails) -> Option<String> {
    let from_attach = event.attachments.iter().find_map(|a| file_ref(a));
    from_attach.or_else(|| {
        event.description.as_deref()?.lines().find_map(|line| {
            let line = line.trim();
            let key = line.get(..5)?;
            if !key.eq_ignore_ascii_case("file:") {
                return None;
            }
            let rest = line[5..].trim();
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.strip_prefix("localhost").unwrap_or(path);
            (!path.is_empty()).then(|| percent_decode(path))
        })
    })
}

/// `file:///x`, `file:/x`, `file://localhost/x` or `/x` → `/x`.
fn file_ref(value: &str) -> Option<String> {
    let value = value.trim();
    if value.starts_with('/') {
        return Some(value.to_string());
    }
    let rest = value.get(..5).filter(|s| s.eq_ignore_ascii_case("file:"))?;
    let rest = &value[rest.len()..];
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    rest.starts_with('/').then(|| percent_decode(rest))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |at: usize| b.get(at).and_then(|&c| (c as char).to_digit(16));
        if let (b'%', Some(h), Some(l)) = (b[i], hex(i + 1), hex(i + 2)) {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_references() {
        assert_eq!(
            file_ref("file:///srv/a%20b.mp3").as_deref(),
            Some("/srv/a b.mp3")
        );
        assert_eq!(
            file_ref("file://localhost/x.mp3").as_deref(),
            Some("/x.mp3")
        );
        assert_eq!(file_ref("/x.ogg").as_deref(), Some("/x.ogg"));
        assert_eq!(file_ref("https://drive.google.com/x"), None);
        assert_eq!(file_ref("file:relative"), None);
    }
}

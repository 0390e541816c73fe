//! The one error type of the calendar module.

use std::path::PathBuf;

/// Why a calendar could not be read.
///
/// Every error found in the text names the line (1-based, counting physical lines of the
/// file, so a folded property is named by the line it starts on). None of these errors is
/// recoverable by retrying with the same text: the calendar has to be fixed (or, for
/// [`CalendarError::Io`], the file made readable). A poller that gets one should keep the
/// calendar it had and report the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// A line that is not an iCalendar content line, or `BEGIN`/`END` that do not pair up.
    #[error("line {line}: {message}")]
    Syntax {
        /// The line the problem is on.
        line: usize,
        /// What is wrong, with the offending text quoted.
        message: String,
    },
    /// A property whose value cannot be understood (a date, a duration, a rule part).
    #[error("line {line}: {property}: {message}")]
    Value {
        /// The line the property starts on.
        line: usize,
        /// The property name, upper-case (`DTSTART`, `RRULE`, ...).
        property: String,
        /// What is wrong, with the offending value quoted.
        message: String,
    },
    /// A component lacks a property it must have (a `VEVENT` without `DTSTART`).
    #[error("line {line}: {component} has no {property}")]
    Missing {
        /// The line of the component's `BEGIN`.
        line: usize,
        /// The component name (`VEVENT`).
        component: String,
        /// The missing property.
        property: String,
    },
    /// A `TZID` (or `X-WR-TIMEZONE`) that is neither an IANA zone name nor one of the
    /// Windows zone names we map.
    #[error(
        "line {line}: unknown time zone \"{tzid}\" (use an IANA name such as Europe/Berlin; \
         VTIMEZONE rules are not interpreted)"
    )]
    UnknownTimeZone {
        /// The line that uses the zone.
        line: usize,
        /// The zone name as written.
        tzid: String,
    },
    /// A limit that keeps parsing bounded was exceeded (line length, nesting, events).
    #[error("line {line}: {what} (limit {limit})")]
    Limit {
        /// The line where the limit was crossed.
        line: usize,
        /// Which limit.
        what: &'static str,
        /// The limit's value.
        limit: usize,
    },
    /// The text is larger than [`MAX_INPUT`](super::MAX_INPUT) bytes.
    #[error("calendar is larger than the {limit}-byte limit")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The calendar file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl CalendarError {
    /// The line the error is on, when it is about the text.
    pub fn line(&self) -> Option<usize> {
        match self {
            CalendarError::Syntax { line, .. }
            | CalendarError::Value { line, .. }
            | CalendarError::Missing { line, .. }
            | CalendarError::UnknownTimeZone { line, .. }
            | CalendarError::Limit { line, .. } => Some(*line),
            CalendarError::TooLarge { .. } | CalendarError::Io { .. } => None,
        }
    }

    pub(crate) fn syntax(line: usize, message: impl Into<String>) -> CalendarError {
        CalendarError::Syntax {
            line,
            message: message.into(),
        }
    }

    pub(crate) fn value(
        line: usize,
        property: impl Into<String>,
        message: impl Into<String>,
    ) -> CalendarError {
        CalendarError::Value {
            line,
            property: property.into(),
            message: message.into(),
        }
    }
}

/// Quotes at most 60 characters of `s` for an error message.
pub(crate) fn snippet(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("\"{}...\"", &s[..cut]),
        None => format!("\"{s}\""),
    }
}

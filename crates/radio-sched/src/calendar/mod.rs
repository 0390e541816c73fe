//! Calendars: iCalendar text, recurrence rules, DJ air-time windows.

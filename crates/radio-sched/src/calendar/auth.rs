//! DJ air time: who may go live when, who is kicked, who is banned (see [`DjAuthorizer`]).

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::{Calendar, EventDetails};
use crate::clock::Time;

/// Whether live DJs are let on air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthPolicy {
    /// At any time (Crazy Arms' default).
    #[default]
    Always,
    /// Never.
    Never,
    /// During their calendar windows only.
    Calendar,
}

/// A DJ as air-time rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dj {
    /// The login name; compared case-insensitively.
    pub username: String,
    /// The address events name them by.
    pub email: Option<String>,
    /// How long before an event starts they may connect.
    pub entry_grace: Duration,
    /// How long after an event ends they may stay.
    pub exit_grace: Duration,
    /// Their own policy; `None` follows [`AuthSettings::policy`].
    pub policy: Option<AuthPolicy>,
}

impl Dj {
    /// A DJ with no e-mail, no grace and the global policy.
    pub fn new(username: impl Into<String>) -> Dj {
        Dj {
            username: username.into(),
            email: None,
            entry_grace: Duration::ZERO,
            exit_grace: Duration::ZERO,
            policy: None,
        }
    }

    /// Sets the e-mail address.
    pub fn with_email(mut self, email: impl Into<String>) -> Dj {
        self.email = Some(email.into());
        self
    }

    /// Sets the entry and exit grace.
    pub fn with_grace(mut self, entry: Duration, exit: Duration) -> Dj {
        self.entry_grace = entry;
        self.exit_grace = exit;
        self
    }

    /// Sets the DJ's own policy.
    pub fn with_policy(mut self, policy: AuthPolicy) -> Dj {
        self.policy = Some(policy);
        self
    }

    fn named_by(&self, event: &EventDetails) -> bool {
        let email = self.email.as_deref().map(|e| e.trim().to_lowercase());
        event
            .organizer
            .iter()
            .chain(&event.attendees)
            .filter(|p| !p.declined)
            .any(|p| {
                (email.is_some() && p.email == email)
                    || p.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&self.username))
            })
    }
}

/// Global settings of a [`DjAuthorizer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// The policy for DJs without their own.
    pub policy: AuthPolicy,
    /// A window closing within this is not entered (see [`DjAuthorizer`]). 1.5 s.
    pub reconnect_margin: Duration,
    /// How far ahead a refusal looks for the next window. 60 days.
    pub lookahead: Duration,
}

impl Default for AuthSettings {
    fn default() -> AuthSettings {
        AuthSettings {
            policy: AuthPolicy::Always,
            reconnect_margin: Duration::from_millis(1500),
            lookahead: Duration::from_secs(60 * 86_400),
        }
    }
}

impl AuthSettings {
    /// Calendar-only air time with the default margins.
    pub fn calendar() -> AuthSettings {
        AuthSettings {
            policy: AuthPolicy::Calendar,
            ..AuthSettings::default()
        }
    }
}

/// Permission to go on air, from [`DjAuthorizer::authorize`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The DJ, as registered (or as asked for, if unregistered).
    pub username: String,
    /// The title to announce: the event's summary, or "<username>'s show".
    pub title: String,
    /// When they must be off air: the latest `end + exit_grace` of the windows they are
    /// in. `None` under [`AuthPolicy::Always`]. It can move later if calendars change or
    /// a following window opens before it.
    pub kickoff: Option<Time>,
    /// The UID of the event that set `kickoff`.
    pub event_uid: Option<String>,
}

/// Why a DJ may not be (or stay) on air. `Display` gives the reason for logs and for the
/// DJ.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The policy is [`AuthPolicy::Never`].
    Never {
        /// The DJ.
        username: String,
    },
    /// The DJ is banned.
    Banned {
        /// The DJ.
        username: String,
        /// When the ban ends; `None` for a permanent ban.
        until: Option<Time>,
    },
    /// No calendar window is open for the DJ (or the open one closes within the
    /// reconnect margin).
    NoShow {
        /// The DJ.
        username: String,
        /// When they asked.
        at: Time,
        /// When their next window opens, if one does within the lookahead.
        next: Option<Time>,
    },
}

fn stamp(t: Time) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Never { username } => {
                write!(f, "{username}: live DJs are not accepted (policy never)")
            }
            Refusal::Banned {
                username,
                until: Some(until),
            } => write!(f, "{username} is banned until {}", stamp(*until)),
            Refusal::Banned {
                username,
                until: None,
            } => write!(f, "{username} is banned permanently"),
            Refusal::NoShow {
                username,
                at,
                next: Some(next),
            } => write!(
                f,
                "no show for {username} at {}: next window opens {}",
                stamp(*at),
                stamp(*next)
            ),
            Refusal::NoShow {
                username,
                at,
                next: None,
            } => write!(
                f,
                "no show for {username} at {}: no upcoming window in the calendars",
                stamp(*at)
            ),
        }
    }
}

/// What the reaper should do with a connected DJ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KickDecision {
    /// Leave them on air, until `kickoff` (`None`: no limit).
    Stay {
        /// The current kickoff.
        kickoff: Option<Time>,
    },
    /// Disconnect them, for this reason.
    Kick(Refusal),
}

/// A DJ's window from one occurrence: `[opens, closes)`.
#[derive(Debug, Clone)]
struct Window {
    opens: Time,
    closes: Time,
    title: Option<String>,
    uid: String,
}

/// Decides who may be on air, and when they must leave.
///
/// Each DJ has a policy ([`AuthPolicy`]): `Always`, `Never`, or `Calendar`, where air
/// time comes from calendar events. An event gives air time to a DJ when, among its
/// organizer and attendees (attendees who declined do not count):
/// - someone's e-mail equals the DJ's e-mail (case-insensitively), or
/// - someone's common name (`CN=`) equals the DJ's username (case-insensitively).
///
/// Nothing else matches (not a username inside the summary, not the local part of an
/// address). The DJ's *window* for an occurrence is `[start − entry_grace,
/// end + exit_grace)`; its end is the *kickoff*. When windows overlap, the latest kickoff
/// wins, and a window that opens before the current one closes extends it.
///
/// Kicking: the caller runs [`DjAuthorizer::check`] for the connected DJ at least every
/// 5 s; it says [`KickDecision::Kick`] from the kickoff instant on, so a DJ is off air at
/// most 5 s after it. [`DjAuthorizer::authorize`] refuses a window that closes within
/// [`AuthSettings::reconnect_margin`] (1.5 s by default, as Crazy Arms does), so a DJ
/// who reconnects right after being kicked — even with the two checks reading the clock
/// a moment apart — is refused. (So the last 1.5 s of a window admit nobody new.)
///
/// A ban overrides every policy: until a time (it expires by itself) or permanently
/// (until [`DjAuthorizer::unban`]).
///
/// This type checks air time only; passwords are checked before it is asked.
/// [`DjAuthorizer`] is plain data (`&mut self` to change): share it behind a mutex and
/// replace its calendars when the poller has re-read them.
#[derive(Debug, Clone, Default)]
pub struct DjAuthorizer {
    settings: AuthSettings,
    djs: HashMap<String, Dj>,
    calendars: Vec<Calendar>,
    bans: HashMap<String, Option<Time>>,
}

impl DjAuthorizer {
    /// An authorizer with no DJs, calendars or bans.
    pub fn new(settings: AuthSettings) -> DjAuthorizer {
        DjAuthorizer {
            settings,
            ..DjAuthorizer::default()
        }
    }

    /// The settings.
    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// Changes the global policy.
    pub fn set_policy(&mut self, policy: AuthPolicy) {
        self.settings.policy = policy;
    }

    /// Registers a DJ, replacing one with the same username. Unregistered usernames
    /// are treated as `Dj::new(username)`: matched by `CN` only, no grace.
    pub fn add_dj(&mut self, dj: Dj) {
        self.djs.insert(dj.username.to_lowercase(), dj);
    }

    /// Unregisters a DJ.
    pub fn remove_dj(&mut self, username: &str) -> Option<Dj> {
        self.djs.remove(&username.to_lowercase())
    }

    /// Replaces the calendars (after a re-poll).
    pub fn set_calendars(&mut self, calendars: Vec<Calendar>) {
        self.calendars = calendars;
    }

    /// The calendars in use.
    pub fn calendars(&self) -> &[Calendar] {
        &self.calendars
    }

    /// Bans a DJ until `until`, or permanently with `None`; replaces an earlier ban.
    pub fn ban(&mut self, username: &str, until: Option<Time>) {
        self.bans.insert(username.to_lowercase(), until);
    }

    /// Lifts a ban; whether there was one (expired or not).
    pub fn unban(&mut self, username: &str) -> bool {
        self.bans.remove(&username.to_lowercase()).is_some()
    }

    /// The ban in force at `now`: `Some(None)` permanent, `Some(Some(t))` until `t`.
    pub fn ban_at(&self, username: &str, now: Time) -> Option<Option<Time>> {
        match self.bans.get(&username.to_lowercase()) {
            Some(None) => Some(None),
            Some(Some(until)) if *until > now => Some(Some(*until)),
            _ => None,
        }
    }

    /// Forgets bans that have expired by `now`.
    pub fn purge_expired_bans(&mut self, now: Time) {
        self.bans.retain(|_, until| until.is_none_or(|t| t > now));
    }

    /// Whether `username` may go on air at `now`; refusals are logged with the reason.
    pub fn authorize(&self, username: &str, now: Time) -> Result<Grant, Refusal> {
        let result = self.decide(username, now, self.settings.reconnect_margin);
        match &result {
            Ok(grant) => tracing::info!(
                username,
                kickoff = ?grant.kickoff,
                title = %grant.title,
                "live DJ accepted"
            ),
            Err(refusal) => tracing::info!(username, reason = %refusal, "live DJ refused"),
        }
        result
    }

    /// For the reaper, run at least every 5 s for the DJ on air: whether they may stay.
    /// They are kicked from their kickoff instant on (and at once when banned).
    pub fn check(&self, username: &str, now: Time) -> KickDecision {
        match self.decide(username, now, Duration::ZERO) {
            Ok(grant) => KickDecision::Stay {
                kickoff: grant.kickoff,
            },
            Err(refusal) => KickDecision::Kick(refusal),
        }
    }

    fn decide(&self, username: &str, now: Time, margin: Duration) -> Result<Grant, Refusal> {
        let fallback;
        let dj = match self.djs.get(&username.to_lowercase()) {
            Some(dj) => dj,
            None => {
                fallback = Dj::new(username);
                &fallback
            }
        };
        let name = dj.username.clone();
        if let Some(until) = self.ban_at(username, now) {
            return Err(Refusal::Banned {
                username: name,
                until,
            });
        }
        let default_title = || format!("{}'s show", dj.username);
        match dj.policy.unwrap_or(self.settings.policy) {
            AuthPolicy::Never => Err(Refusal::Never { username: name }),
            AuthPolicy::Always => Ok(Grant {
                username: name,
                title: default_title(),
                kickoff: None,
                event_uid: None,
            }),
            AuthPolicy::Calendar => {
                let just_after = now
                    .checked_add_signed(TimeDelta::nanoseconds(1))
                    .unwrap_or(now);
                let limit = plus(now, margin);
                let open = self
                    .windows(dj, now, just_after)
                    .into_iter()
                    .filter(|w| w.opens <= now && limit < w.closes)
                    .max_by_key(|w| w.closes);
                match open {
                    Some(w) => Ok(Grant {
                        username: name,
                        title: w.title.unwrap_or_else(default_title),
                        kickoff: Some(w.closes),
                        event_uid: Some(w.uid),
                    }),
                    None => {
                        let next = self
                            .windows(dj, now, plus(now, self.settings.lookahead))
                            .into_iter()
                            .map(|w| w.opens)
                            .filter(|&t| t > now)
                            .min();
                        Err(Refusal::NoShow {
                            username: name,
                            at: now,
                            next,
                        })
                    }
                }
            }
        }
    }

    /// The DJ's windows overlapping `[from, to)`.
    fn windows(&self, dj: &Dj, from: Time, to: Time) -> Vec<Window> {
        let q_from = minus(from, dj.exit_grace);
        let q_to = plus(to, dj.entry_grace);
        self.calendars
            .iter()
            .flat_map(|c| c.occurrences(q_from, q_to))
            .filter(|o| dj.named_by(&o.event))
            .map(|o| Window {
                opens: minus(o.start, dj.entry_grace),
                closes: plus(o.end, dj.exit_grace),
                title: o.event.summary.clone(),
                uid: o.event.uid.clone(),
            })
            .collect()
    }
}

fn plus(t: Time, d: Duration) -> Time {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn minus(t: Time, d: Duration) -> Time {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

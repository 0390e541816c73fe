//! `[[station]]`: the stations `radiopoint` runs, each section resolved by its own function.

use super::{ConfigError, check_mount_path, value_err};
use radio_net::push::{PushConfig, PushProtocol};
use radio_station::{Codec, Format};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `[[station]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStation {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    genre: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    media: Option<OneOrMany>,
    #[serde(default)]
    jingles: Option<OneOrMany>,
    #[serde(default)]
    jingle_every: Option<u32>,
    #[serde(default)]
    loudness: Option<f64>,
    #[serde(default)]
    crossfade: Option<f64>,
    #[serde(default)]
    transition: Option<f64>,
    #[serde(default)]
    silence_timeout: Option<f64>,
    #[serde(default)]
    watchdog: Option<f64>,
    #[serde(default)]
    ogg_chain_titles: Option<bool>,
    #[serde(default)]
    requests: Option<bool>,
    #[serde(default, rename = "output")]
    outputs: Vec<RawOutput>,
    #[serde(default)]
    live: Option<RawLive>,
    #[serde(default, rename = "dj")]
    djs: Vec<RawDj>,
    #[serde(default, rename = "show")]
    shows: Vec<RawShow>,
    #[serde(default, rename = "upstream")]
    upstreams: Vec<RawUpstream>,
}

/// A path or a list of paths.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<PathBuf> {
        match self {
            OneOrMany::One(p) => vec![p],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    mount: String,
    #[serde(default)]
    codec: Option<String>,
    #[serde(default)]
    bitrate: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLive {
    #[serde(default)]
    mount: Option<String>,
    #[serde(default)]
    shoutcast_port: Option<u16>,
    #[serde(default)]
    record: Option<PathBuf>,
    #[serde(default)]
    entry_grace: Option<f64>,
    #[serde(default)]
    exit_grace: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDj {
    user: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    stream_key: Option<String>,
    #[serde(default)]
    calendar: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShow {
    file: PathBuf,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    rrule: Option<String>,
    #[serde(default)]
    duration: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    url: String,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    codec: Option<String>,
    #[serde(default)]
    bitrate: Option<u32>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// One output mount.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// The mount path.
    pub mount: String,
    /// Codec and bitrate.
    pub format: Format,
}

/// Where DJs connect.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSpec {
    /// The live mount (Icecast2 sources).
    pub mount: String,
    /// A port for Shoutcast v1 DJs.
    pub shoutcast_port: Option<u16>,
    /// A folder that receives one file per live set.
    pub record: Option<PathBuf>,
    /// May connect this long before their window.
    pub entry_grace: Duration,
    /// Kicked this long after it.
    pub exit_grace: Duration,
}

/// Where a DJ's air time comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum CalendarSource {
    /// An `http(s)://` URL, polled.
    Url(String),
    /// A local `.ics` file, re-read when it changes.
    File(PathBuf),
}

/// A DJ account from the config.
#[derive(Debug, Clone, PartialEq)]
pub struct DjSpec {
    /// Login.
    pub user: String,
    /// Password (`None`: stream key only).
    pub password: Option<String>,
    /// A stream key (accepted alone as the password).
    pub stream_key: Option<String>,
    /// Air-time windows (`None`: any time).
    pub calendar: Option<CalendarSource>,
    /// The title announced when they go on air.
    pub title: Option<String>,
}

/// When a show plays.
#[derive(Debug, Clone, PartialEq)]
pub enum ShowTime {
    /// Once.
    At(chrono::DateTime<chrono::Utc>),
    /// By a recurrence rule, from `first` (local time in the station's zone).
    Rule {
        /// The RRULE.
        rrule: String,
        /// DTSTART, local.
        first: chrono::NaiveDateTime,
    },
}

/// A scheduled show.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowSpec {
    /// The audio file.
    pub file: PathBuf,
    /// Its title (default: the file's name).
    pub title: String,
    /// When.
    pub when: ShowTime,
    /// How long (default: the file's length).
    pub duration: Option<Duration>,
}

/// A push of the station to another server.
#[derive(Debug, Clone)]
pub struct UpstreamSpec {
    /// Where and how.
    pub push: PushConfig,
    /// Codec and bitrate.
    pub format: Format,
}

/// A station from the config.
#[derive(Debug, Clone)]
pub struct StationSpec {
    /// URL id.
    pub name: String,
    /// Shown to listeners (`ice-name`).
    pub display_name: String,
    /// `ice-description`.
    pub description: Option<String>,
    /// `ice-genre`.
    pub genre: Option<String>,
    /// `ice-url`.
    pub url: Option<String>,
    /// Its time zone (schedules, calendars).
    pub timezone: chrono_tz::Tz,
    /// AutoDJ folders.
    pub media: Vec<PathBuf>,
    /// Jingle folders.
    pub jingles: Vec<PathBuf>,
    /// A jingle every this many songs.
    pub jingle_every: u32,
    /// LUFS target.
    pub loudness: f64,
    /// Seconds between AutoDJ tracks.
    pub crossfade: Duration,
    /// Seconds for source switches.
    pub transition: Duration,
    /// A silent DJ loses the air after this.
    pub silence_timeout: Duration,
    /// Silent output reported after this.
    pub watchdog: Duration,
    /// Opus outputs chain Ogg streams per title.
    pub ogg_chain_titles: bool,
    /// Anyone may request tracks (`POST /api/stations/NAME/requests` without an account).
    pub requests: bool,
    /// Output mounts.
    pub outputs: Vec<OutputSpec>,
    /// Live DJs.
    pub live: Option<LiveSpec>,
    /// DJ accounts.
    pub djs: Vec<DjSpec>,
    /// Shows.
    pub shows: Vec<ShowSpec>,
    /// Upstreams.
    pub upstreams: Vec<UpstreamSpec>,
}

/// Resolves every `[[station]]`.
pub(super) fn resolve_stations(
    raw: Vec<RawStation>,
    file: &Path,
    base: &Path,
) -> Result<Vec<StationSpec>, ConfigError> {
    let mut out: Vec<StationSpec> = Vec::new();
    for (i, s) in raw.into_iter().enumerate() {
        let spec = resolve_station(s, &format!("station[{i}]"), file, base)?;
        if out.iter().any(|o| o.name == spec.name) {
            return Err(value_err(
                file,
                format!("station[{i}].name"),
                format!("station {:?} is configured twice", spec.name),
            ));
        }
        let mounts = |s: &StationSpec| {
            s.outputs
                .iter()
                .map(|o| o.mount.clone())
                .chain(s.live.as_ref().map(|l| l.mount.clone()))
                .collect::<Vec<_>>()
        };
        for m in mounts(&spec) {
            if let Some(other) = out.iter().find(|o| mounts(o).contains(&m)) {
                return Err(value_err(
                    file,
                    format!("station[{i}]"),
                    format!("mount {m} is already used by station {:?}", other.name),
                ));
            }
        }
        out.push(spec);
    }
    Ok(out)
}

/// A station from the API: the same keys as a `[[station]]`, as JSON. Its music folder
/// defaults to `stations/NAME/media` under `data_dir` (made if missing).
pub fn resolve_api_station(
    json: &serde_json::Value,
    data_dir: &Path,
) -> Result<StationSpec, ConfigError> {
    let file = Path::new("request");
    // The error names the key (`output[0].bitrate: invalid type...`).
    let mut raw: RawStation =
        serde_path_to_error::deserialize(json.clone()).map_err(|e| ConfigError::Syntax {
            path: file.to_path_buf(),
            message: if e.path().iter().next().is_some() {
                format!("{}: {}", e.path(), e.inner())
            } else {
                e.inner().to_string()
            },
        })?;
    if raw.media.is_none() {
        let dir = data_dir.join("stations").join(&raw.name).join("media");
        raw.media = Some(OneOrMany::One(dir));
    }
    let spec = resolve_station(raw, "station", file, data_dir)?;
    for d in spec.media.iter().chain(&spec.jingles) {
        std::fs::create_dir_all(d).map_err(|e| ConfigError::Read {
            path: d.clone(),
            source: e,
        })?;
    }
    Ok(spec)
}

fn resolve_station(
    s: RawStation,
    key: &str,
    file: &Path,
    base: &Path,
) -> Result<StationSpec, ConfigError> {
    let k = |sub: &str| format!("{key}.{sub}");
    radio_store::stations::check_name(&s.name)
        .map_err(|e| value_err(file, k("name"), e.to_string()))?;
    let timezone = match &s.timezone {
        None => chrono_tz::UTC,
        Some(tz) => tz.parse().map_err(|_| {
            value_err(
                file,
                k("timezone"),
                format!("{tz:?} is not an IANA time zone (e.g. \"Europe/Paris\")"),
            )
        })?,
    };
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let media: Vec<PathBuf> = s
        .media
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .map(rel)
        .collect();
    let jingles: Vec<PathBuf> = s
        .jingles
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .map(rel)
        .collect();
    let loudness = s.loudness.unwrap_or(-16.0);
    if !(-40.0..=-5.0).contains(&loudness) {
        return Err(value_err(
            file,
            k("loudness"),
            format!(
                "{loudness} LUFS is outside −40…−5 (−16 is usual for streams, −23 for broadcast)"
            ),
        ));
    }
    let outputs = s
        .outputs
        .into_iter()
        .enumerate()
        .map(|(j, o)| resolve_output(o, &k(&format!("output[{j}]")), file))
        .collect::<Result<Vec<_>, _>>()?;
    let name = s.name.clone();
    let outputs = if outputs.is_empty() {
        // A station with no output would play to nobody: give it the obvious one.
        vec![OutputSpec {
            mount: format!("/{name}.mp3"),
            format: Format::mp3(128),
        }]
    } else {
        outputs
    };
    for (j, o) in outputs.iter().enumerate() {
        if outputs[..j].iter().any(|p| p.mount == o.mount) {
            return Err(value_err(
                file,
                k(&format!("output[{j}].mount")),
                format!("{} is used twice", o.mount),
            ));
        }
    }
    let live = s
        .live
        .map(|l| resolve_live(l, &name, &k("live"), file, base))
        .transpose()?;
    if let Some(l) = &live
        && outputs.iter().any(|o| o.mount == l.mount)
    {
        return Err(value_err(
            file,
            k("live.mount"),
            format!(
                "{} is also an output; DJs need a mount of their own",
                l.mount
            ),
        ));
    }
    let djs = s
        .djs
        .into_iter()
        .enumerate()
        .map(|(j, d)| resolve_dj(d, &k(&format!("dj[{j}]")), file, base))
        .collect::<Result<Vec<_>, _>>()?;
    let shows = s
        .shows
        .into_iter()
        .enumerate()
        .map(|(j, sh)| resolve_show(sh, &k(&format!("show[{j}]")), timezone, file, base))
        .collect::<Result<Vec<_>, _>>()?;
    let upstreams = s
        .upstreams
        .into_iter()
        .enumerate()
        .map(|(j, u)| resolve_upstream(u, &k(&format!("upstream[{j}]")), file))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StationSpec {
        display_name: s.display_name.unwrap_or_else(|| name.clone()),
        name,
        description: s.description,
        genre: s.genre,
        url: s.url,
        timezone,
        media,
        jingles,
        jingle_every: s.jingle_every.unwrap_or(4).max(1),
        loudness,
        crossfade: seconds(file, &k("crossfade"), s.crossfade, 4.0, 0.0, 30.0)?,
        transition: seconds(file, &k("transition"), s.transition, 2.5, 0.0, 30.0)?,
        silence_timeout: seconds(
            file,
            &k("silence_timeout"),
            s.silence_timeout,
            15.0,
            1.0,
            3600.0,
        )?,
        watchdog: seconds(file, &k("watchdog"), s.watchdog, 30.0, 1.0, 86_400.0)?,
        ogg_chain_titles: s.ogg_chain_titles.unwrap_or(true),
        requests: s.requests.unwrap_or(false),
        outputs,
        live,
        djs,
        shows,
        upstreams,
    })
}

fn seconds(
    file: &Path,
    key: &str,
    v: Option<f64>,
    default: f64,
    min: f64,
    max: f64,
) -> Result<Duration, ConfigError> {
    let v = v.unwrap_or(default);
    if !v.is_finite() || v < min || v > max {
        return Err(value_err(
            file,
            key,
            format!("{v} s is outside {min}…{max} seconds"),
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

fn format_of(
    codec: Option<&str>,
    bitrate: Option<u32>,
    key: &str,
    file: &Path,
) -> Result<Format, ConfigError> {
    let codec: Codec = codec
        .unwrap_or("mp3")
        .parse()
        .map_err(|e: String| value_err(file, format!("{key}.codec"), e))?;
    let format = Format {
        codec,
        bitrate: bitrate.unwrap_or(match codec {
            Codec::Mp3 => 128,
            Codec::Opus => 96,
        }),
    };
    format
        .check()
        .map_err(|e| value_err(file, format!("{key}.bitrate"), e))?;
    Ok(format)
}

fn resolve_output(o: RawOutput, key: &str, file: &Path) -> Result<OutputSpec, ConfigError> {
    check_mount_path(file, &format!("{key}.mount"), &o.mount)?;
    Ok(OutputSpec {
        format: format_of(o.codec.as_deref(), o.bitrate, key, file)?,
        mount: o.mount,
    })
}

fn resolve_live(
    l: RawLive,
    station: &str,
    key: &str,
    file: &Path,
    base: &Path,
) -> Result<LiveSpec, ConfigError> {
    let mount = l.mount.unwrap_or_else(|| format!("/{station}-live"));
    check_mount_path(file, &format!("{key}.mount"), &mount)?;
    if l.shoutcast_port == Some(0) {
        return Err(value_err(
            file,
            format!("{key}.shoutcast_port"),
            "must be a port number from 1 to 65535",
        ));
    }
    Ok(LiveSpec {
        mount,
        shoutcast_port: l.shoutcast_port,
        record: l
            .record
            .map(|p| if p.is_absolute() { p } else { base.join(p) }),
        entry_grace: seconds(
            file,
            &format!("{key}.entry_grace"),
            l.entry_grace,
            300.0,
            0.0,
            86_400.0,
        )?,
        exit_grace: seconds(
            file,
            &format!("{key}.exit_grace"),
            l.exit_grace,
            60.0,
            0.0,
            86_400.0,
        )?,
    })
}

fn resolve_dj(d: RawDj, key: &str, file: &Path, base: &Path) -> Result<DjSpec, ConfigError> {
    if d.user.is_empty() || d.user.contains([':', ' ']) {
        return Err(value_err(
            file,
            format!("{key}.user"),
            format!(
                "{:?}: a DJ's user name may not be empty or hold ':' or spaces",
                d.user
            ),
        ));
    }
    if d.password.as_deref().is_none_or(str::is_empty) && d.stream_key.is_none() {
        return Err(value_err(
            file,
            format!("{key}.password"),
            format!("DJ {} needs a password or a stream_key", d.user),
        ));
    }
    let calendar = d.calendar.map(|c| {
        if c.starts_with("http://") || c.starts_with("https://") {
            CalendarSource::Url(c)
        } else {
            let p = PathBuf::from(c.strip_prefix("file://").unwrap_or(&c));
            CalendarSource::File(if p.is_absolute() { p } else { base.join(p) })
        }
    });
    Ok(DjSpec {
        user: d.user,
        password: d.password.filter(|p| !p.is_empty()),
        stream_key: d.stream_key,
        calendar,
        title: d.title,
    })
}

fn resolve_show(
    s: RawShow,
    key: &str,
    tz: chrono_tz::Tz,
    file: &Path,
    base: &Path,
) -> Result<ShowSpec, ConfigError> {
    let path = if s.file.is_absolute() {
        s.file.clone()
    } else {
        base.join(&s.file)
    };
    let title = s.title.unwrap_or_else(|| {
        s.file
            .file_stem()
            .map_or("show".into(), |n| n.to_string_lossy().into_owned())
    });
    let at =
        s.at.as_deref()
            .map(|a| {
                chrono::DateTime::parse_from_rfc3339(a)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|e| {
                        value_err(
                            file,
                            format!("{key}.at"),
                            format!(
                                "{a:?} is not an RFC 3339 time like 2026-12-04T21:00:00+01:00 ({e})"
                            ),
                        )
                    })
            })
            .transpose()?;
    let when = match (at, s.rrule) {
        (Some(at), None) => ShowTime::At(at),
        (first, Some(rule)) => {
            // The rule is checked by expanding it once.
            let first = first
                .map(|t| t.with_timezone(&tz).naive_local())
                .unwrap_or_else(|| {
                    chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                        .expect("a valid date")
                        .and_hms_opt(0, 0, 0)
                        .expect("a valid time")
                });
            let probe = radio_sched::show::ShowsControl::default();
            let now = chrono::Utc::now();
            probe
                .add_recurring(
                    "probe",
                    "probe",
                    first,
                    tz,
                    &rule,
                    Duration::from_secs(60),
                    now,
                    now + chrono::Duration::days(1),
                )
                .map_err(|e| value_err(file, format!("{key}.rrule"), e.to_string()))?;
            ShowTime::Rule { rrule: rule, first }
        }
        (None, None) => {
            return Err(value_err(
                file,
                key,
                "a show needs `at` (an RFC 3339 time) or `rrule`",
            ));
        }
    };
    let duration = match s.duration {
        None => None,
        Some(d) if d.is_finite() && d > 0.0 => Some(Duration::from_secs_f64(d)),
        Some(d) => {
            return Err(value_err(
                file,
                format!("{key}.duration"),
                format!("{d} is not a number of seconds greater than 0"),
            ));
        }
    };
    Ok(ShowSpec {
        file: path,
        title,
        when,
        duration,
    })
}

fn resolve_upstream(u: RawUpstream, key: &str, file: &Path) -> Result<UpstreamSpec, ConfigError> {
    let url = radio_net::relay::parse_url(&u.url)
        .map_err(|e| value_err(file, format!("{key}.url"), e))?;
    let protocol = match u.protocol.as_deref().unwrap_or("icecast2") {
        "icecast2" | "icecast" | "http" => PushProtocol::Icecast2,
        "source" => PushProtocol::IcecastSource,
        "shoutcast1" | "shoutcast" | "icy" => PushProtocol::Shoutcast1,
        other => {
            return Err(value_err(
                file,
                format!("{key}.protocol"),
                format!("{other:?} is not one of icecast2, source, shoutcast1"),
            ));
        }
    };
    let password = u.password.or(url.password).ok_or_else(|| {
        value_err(
            file,
            format!("{key}.password"),
            "is missing (or put it in the URL: http://source:PASSWORD@host:port/mount)",
        )
    })?;
    let format = format_of(u.codec.as_deref(), u.bitrate, key, file)?;
    let mut push = PushConfig::new(u.url, password, format.content_type());
    push.username = u.username.or(url.user).unwrap_or_else(|| "source".into());
    push.protocol = protocol;
    Ok(UpstreamSpec { push, format })
}

impl StationSpec {
    /// A station that AutoDJs `media` on `mount` (MP3 128k) with the defaults of a
    /// `[[station]]` that sets nothing else: what `radiopoint --media DIR` runs.
    pub fn autodj(name: &str, mount: &str, media: Vec<PathBuf>) -> StationSpec {
        StationSpec {
            name: name.to_string(),
            display_name: "radiopoint".into(),
            description: Some("AutoDJ of a local music folder".into()),
            genre: None,
            url: None,
            timezone: chrono_tz::UTC,
            media,
            jingles: Vec::new(),
            jingle_every: 4,
            loudness: -16.0,
            crossfade: Duration::from_secs(4),
            transition: Duration::from_millis(2500),
            silence_timeout: Duration::from_secs(15),
            watchdog: Duration::from_secs(30),
            ogg_chain_titles: true,
            requests: false,
            outputs: vec![OutputSpec {
                mount: mount.to_string(),
                format: Format::mp3(128),
            }],
            live: None,
            djs: Vec::new(),
            shows: Vec::new(),
            upstreams: Vec::new(),
        }
    }
}

//! Our TOML format.
use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: Server,
    #[serde(default)]
    pub auth: Auth,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub fanout: Fanout,
    #[serde(default)]
    pub logging: Logging,
    #[serde(default, rename = "mount")]
    pub mounts: Vec<Mount>,
    #[serde(default, rename = "relay")]
    pub relays: Vec<Relay>,
    #[serde(default, rename = "push")]
    pub pushes: Vec<Push>,
    #[serde(default, rename = "station")]
    pub stations: Vec<super::station::RawStation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub name: Option<String>,
    pub admin: Option<String>,
    pub location: Option<String>,
    pub hostname: Option<String>,
    pub bind: Option<String>,
    pub port: Option<u16>,
    pub shoutcast_port: Option<u16>,
    pub shoutcast: Option<bool>,
    pub shoutcast_mount: Option<String>,
    pub allow_unconfigured_mounts: Option<bool>,
    pub webroot: Option<PathBuf>,
    pub database: Option<PathBuf>,
    pub metrics_token: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub max_upload_mb: Option<u64>,
    pub import_private_addresses: Option<bool>,
    pub stats_retention_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub source_user: Option<String>,
    pub source_password: Option<String>,
    pub admin_user: Option<String>,
    pub admin_password: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_listeners: Option<u64>,
    pub max_sources: Option<u64>,
    pub max_connections: Option<u64>,
    pub source_timeout: Option<f64>,
    pub empty_buffer_timeout: Option<f64>,
    pub write_timeout: Option<f64>,
    pub header_timeout: Option<f64>,
    pub max_head_bytes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub burst_size: Option<u64>,
    pub queue_size: Option<u64>,
    pub metaint: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fanout {
    pub publish_interval_ms: Option<u64>,
    pub publish_bytes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    pub dir: Option<PathBuf>,
    pub level: Option<u8>,
    pub access_log: Option<bool>,
    pub stat_log: Option<bool>,
    pub stat_interval: Option<f64>,
    pub monitor: Option<bool>,
    pub monitor_interval: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    pub path: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub name: Option<String>,
    pub genre: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub public: Option<bool>,
    pub bitrate: Option<u32>,
    pub max_listeners: Option<u64>,
    pub burst_size: Option<u64>,
    pub queue_size: Option<u64>,
    pub metaint: Option<u64>,
    pub charset: Option<String>,
    pub fallback: Option<String>,
    pub fallback_override: Option<bool>,
    pub fallback_when_full: Option<bool>,
    pub dump_file: Option<PathBuf>,
    pub hidden: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relay {
    pub mount: String,
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub on_demand: Option<bool>,
    pub relay_metadata: Option<bool>,
    pub retry: Option<f64>,
    pub max_retry: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Push {
    pub mount: String,
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub protocol: Option<String>,
}

/// Our TOML, section by section, over the embedded default.
pub fn resolve(raw: Config, file: &Path, base: &Path) -> Result<Resolved, ConfigError> {
    let mut r = Resolved::embedded();
    resolve_server(raw.server, &mut r, file, base)?;
    resolve_auth(raw.auth, &mut r, file, base)?;
    resolve_limits(raw.limits, &mut r, file, base)?;
    resolve_defaults(raw.defaults, &mut r, file, base)?;
    resolve_fanout(raw.fanout, &mut r, file, base)?;
    resolve_logging(raw.logging, &mut r, file, base)?;
    resolve_mounts(raw.mounts, &mut r, file, base)?;
    resolve_relays(raw.relays, &mut r, file, base)?;
    resolve_pushes(raw.pushes, &mut r, file, base)?;
    r.stations = super::station::resolve_stations(raw.stations, file, base)?;
    for st in &r.stations {
        for o in &st.outputs {
            if r.server.mounts.iter().any(|m| m.path == o.mount) {
                return Err(value_err(
                    file,
                    "station",
                    format!(
                        "mount {} is both a [[mount]] and station {:?}'s output",
                        o.mount, st.name
                    ),
                ));
            }
        }
    }
    r.server
        .validate()
        .map_err(|e| value_err(file, "(config)", e.to_string()))?;
    Ok(r)
}

/// `[server]`.
fn resolve_server(
    server: Server,
    r: &mut Resolved,
    file: &Path,
    base: &Path,
) -> Result<(), ConfigError> {
    let s = &mut r.server;
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    if let Some(v) = server.name {
        s.name = v;
    }
    if let Some(v) = server.admin {
        s.admin_contact = v;
    }
    if let Some(v) = server.location {
        s.location = v;
    }
    if let Some(v) = server.hostname {
        s.hostname = v;
    }
    if let Some(b) = server.bind {
        r.bind = b
            .parse()
            .map_err(|_| value_err(file, "server.bind", format!("{b:?} is not an IP address")))?;
    }
    if let Some(p) = server.port {
        if p == 0 {
            return Err(value_err(
                file,
                "server.port",
                "must be a port number from 1 to 65534",
            ));
        }
        r.port = p;
    }
    r.shoutcast_port = match (server.shoutcast, server.shoutcast_port) {
        (Some(false), _) => None,
        (_, Some(p)) => Some(p),
        _ => r.port.checked_add(1),
    };
    if let Some(m) = server.shoutcast_mount {
        check_mount_path(file, "server.shoutcast_mount", &m)?;
        s.shoutcast_mount = m;
    }
    if let Some(v) = server.allow_unconfigured_mounts {
        s.allow_unconfigured_mounts = v;
    }
    s.webroot = server.webroot.map(rel);
    r.database = server.database.map(rel);
    r.metrics_token = server.metrics_token.filter(|t| !t.is_empty());
    r.data_dir = server.data_dir.map(rel);
    if let Some(mb) = server.max_upload_mb {
        if mb == 0 || mb > 16 * 1024 {
            return Err(value_err(
                file,
                "server.max_upload_mb",
                format!("{mb} is not between 1 and 16384 (MiB)"),
            ));
        }
        r.max_upload = mb * 1024 * 1024;
    }
    r.import_private = server.import_private_addresses.unwrap_or(false);
    if let Some(days) = server.stats_retention_days {
        if days == 0 {
            return Err(value_err(
                file,
                "server.stats_retention_days",
                "0 would keep no statistics; at least 1",
            ));
        }
        r.stats_retention_days = days;
    }
    Ok(())
}

/// `[auth]`.
fn resolve_auth(
    auth: Auth,
    r: &mut Resolved,
    _file: &Path,
    _base: &Path,
) -> Result<(), ConfigError> {
    let s = &mut r.server;
    if let Some(v) = auth.source_user {
        s.auth.source_user = v;
    }
    if auth.source_password.is_some() {
        s.auth.source_password = auth.source_password.filter(|p| !p.is_empty());
    }
    if let Some(v) = auth.admin_user {
        s.auth.admin_user = v;
    }
    if auth.admin_password.is_some() {
        s.auth.admin_password = auth.admin_password.filter(|p| !p.is_empty());
    }
    Ok(())
}

/// `[limits]`.
fn resolve_limits(
    limits: Limits,
    r: &mut Resolved,
    file: &Path,
    _base: &Path,
) -> Result<(), ConfigError> {
    let s = &mut r.server;
    let lim = &mut s.limits;
    lim.max_listeners = positive(file, "limits.max_listeners", limits.max_listeners)?;
    if let Some(n) = positive(file, "limits.max_sources", limits.max_sources)? {
        lim.max_sources = n;
    }
    if let Some(n) = positive(file, "limits.max_connections", limits.max_connections)? {
        lim.max_connections = n;
    }
    lim.source_timeout = secs(
        file,
        "limits.source_timeout",
        limits.source_timeout,
        lim.source_timeout,
    )?;
    lim.empty_buffer_timeout = secs(
        file,
        "limits.empty_buffer_timeout",
        limits.empty_buffer_timeout,
        lim.empty_buffer_timeout,
    )?;
    lim.write_timeout = secs(
        file,
        "limits.write_timeout",
        limits.write_timeout,
        lim.write_timeout,
    )?;
    lim.header_timeout = secs(
        file,
        "limits.header_timeout",
        limits.header_timeout,
        lim.header_timeout,
    )?;
    if let Some(n) = limits.max_head_bytes {
        if !(1024..=1 << 20).contains(&n) {
            return Err(value_err(
                file,
                "limits.max_head_bytes",
                "must be between 1024 and 1048576",
            ));
        }
        lim.max_head_bytes = n as usize;
    }
    Ok(())
}

/// `[defaults]`.
fn resolve_defaults(
    defaults: Defaults,
    r: &mut Resolved,
    file: &Path,
    _base: &Path,
) -> Result<(), ConfigError> {
    let s = &mut r.server;
    if let Some(n) = positive(file, "defaults.burst_size", defaults.burst_size)? {
        s.mount_defaults.burst_size = n;
    }
    if let Some(n) = positive(file, "defaults.queue_size", defaults.queue_size)? {
        s.mount_defaults.queue_size = n;
    }
    if let Some(n) = positive(file, "defaults.metaint", defaults.metaint)? {
        s.mount_defaults.metaint = n;
    }
    Ok(())
}

/// `[fanout]`.
fn resolve_fanout(
    fanout: Fanout,
    r: &mut Resolved,
    file: &Path,
    _base: &Path,
) -> Result<(), ConfigError> {
    let s = &mut r.server;
    if let Some(ms) = fanout.publish_interval_ms {
        if ms > 5000 {
            return Err(value_err(
                file,
                "fanout.publish_interval_ms",
                "must be at most 5000",
            ));
        }
        s.fanout.publish_interval = Duration::from_millis(ms);
    }
    if let Some(n) = positive(file, "fanout.publish_bytes", fanout.publish_bytes)? {
        s.fanout.publish_bytes = n;
    }
    Ok(())
}

/// `[logging]`.
fn resolve_logging(
    logging: Logging,
    r: &mut Resolved,
    file: &Path,
    base: &Path,
) -> Result<(), ConfigError> {
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let s = &mut r.server;
    r.logging.dir = logging.dir.map(rel);
    if let Some(level) = logging.level {
        if !(1..=4).contains(&level) {
            return Err(value_err(
                file,
                "logging.level",
                "must be 1 (error), 2 (warn), 3 (info) or 4 (debug)",
            ));
        }
        r.logging.level = level;
    }
    r.logging.access_log = logging.access_log.unwrap_or(r.logging.dir.is_some());
    if logging.stat_log.unwrap_or(false) {
        r.logging.stat_interval = Some(secs(
            file,
            "logging.stat_interval",
            logging.stat_interval,
            Duration::from_secs(3),
        )?);
    }
    if (r.logging.access_log || r.logging.stat_interval.is_some()) && r.logging.dir.is_none() {
        return Err(value_err(
            file,
            "logging.dir",
            "is needed for access.log and stat.log",
        ));
    }
    s.monitor_interval = if logging.monitor.unwrap_or(true) {
        Some(secs(
            file,
            "logging.monitor_interval",
            logging.monitor_interval,
            Duration::from_secs(5),
        )?)
    } else {
        None
    };
    Ok(())
}

/// `[[mount]]`.
fn resolve_mounts(
    mounts: Vec<Mount>,
    r: &mut Resolved,
    file: &Path,
    base: &Path,
) -> Result<(), ConfigError> {
    let s = &mut r.server;
    for (i, m) in mounts.into_iter().enumerate() {
        let key = |k: &str| format!("mount[{i}].{k}");
        check_mount_path(file, &key("path"), &m.path)?;
        if s.mounts.iter().any(|x| x.path == m.path) {
            return Err(value_err(
                file,
                key("path"),
                format!("{} is configured twice", m.path),
            ));
        }
        let mut c = MountConfig::new(m.path.clone());
        c.username = m.username;
        c.password = m.password;
        if c.username.is_some() && c.password.is_none() {
            return Err(value_err(
                file,
                key("password"),
                "is needed when username is set",
            ));
        }
        c.overrides = StreamInfo {
            name: m.name,
            genre: m.genre,
            description: m.description,
            url: m.url,
            public: m.public,
            bitrate: m.bitrate,
        };
        c.max_listeners = positive(file, &key("max_listeners"), m.max_listeners)?;
        c.burst_size = m.burst_size.map(|n| n as usize);
        c.queue_size = positive(file, &key("queue_size"), m.queue_size)?;
        c.metaint = positive(file, &key("metaint"), m.metaint)?;
        if let Some(cs) = m.charset {
            if encoding_label_ok(&cs) {
                c.charset = cs;
            } else {
                return Err(value_err(
                    file,
                    key("charset"),
                    format!("unknown charset {cs:?}"),
                ));
            }
        }
        if let Some(f) = &m.fallback {
            check_mount_path(file, &key("fallback"), f)?;
        }
        c.fallback = m.fallback;
        c.fallback_override = m.fallback_override.unwrap_or(false);
        c.fallback_when_full = m.fallback_when_full.unwrap_or(false);
        c.dump_file = m.dump_file.map(|p| {
            if p.is_absolute() {
                p
            } else {
                r.logging
                    .dir
                    .clone()
                    .unwrap_or_else(|| base.to_path_buf())
                    .join(p)
            }
        });
        c.hidden = m.hidden.unwrap_or(false);
        s.mounts.push(c);
    }
    Ok(())
}

/// `[[relay]]`.
fn resolve_relays(
    relays: Vec<Relay>,
    r: &mut Resolved,
    file: &Path,
    _base: &Path,
) -> Result<(), ConfigError> {
    let s = &mut r.server;
    for (i, rl) in relays.into_iter().enumerate() {
        let key = |k: &str| format!("relay[{i}].{k}");
        check_mount_path(file, &key("mount"), &rl.mount)?;
        radio_net::relay::parse_url(&rl.url).map_err(|e| value_err(file, key("url"), e))?;
        let mut c = RelayConfig::new(rl.mount, rl.url);
        c.username = rl.username;
        c.password = rl.password;
        c.on_demand = rl.on_demand.unwrap_or(false);
        c.relay_metadata = rl.relay_metadata.unwrap_or(true);
        c.retry = secs(file, &key("retry"), rl.retry, c.retry)?;
        c.max_retry = secs(file, &key("max_retry"), rl.max_retry, c.max_retry)?;
        s.relays.push(c);
    }
    Ok(())
}

/// `[[push]]`.
fn resolve_pushes(
    pushes: Vec<Push>,
    r: &mut Resolved,
    file: &Path,
    _base: &Path,
) -> Result<(), ConfigError> {
    for (i, p) in pushes.into_iter().enumerate() {
        let key = |k: &str| format!("push[{i}].{k}");
        check_mount_path(file, &key("mount"), &p.mount)?;
        let url =
            radio_net::relay::parse_url(&p.url).map_err(|e| value_err(file, key("url"), e))?;
        let protocol = match p.protocol.as_deref().unwrap_or("icecast2") {
            "icecast2" | "icecast" | "http" => PushProtocol::Icecast2,
            "source" => PushProtocol::IcecastSource,
            "shoutcast1" | "shoutcast" | "icy" => PushProtocol::Shoutcast1,
            other => {
                return Err(value_err(
                    file,
                    key("protocol"),
                    format!("{other:?} is not one of icecast2, source, shoutcast1"),
                ));
            }
        };
        let password = p
            .password
            .or(url.password)
            .ok_or_else(|| value_err(file, key("password"), "is missing (or put it in the URL)"))?;
        let mut c = PushConfig::new(p.url, password, "audio/mpeg");
        c.username = p.username.or(url.user).unwrap_or_else(|| "source".into());
        c.protocol = protocol;
        r.pushes.push(PushSpec {
            mount: p.mount,
            push: c,
        });
    }
    Ok(())
}

fn encoding_label_ok(label: &str) -> bool {
    radio_net::query::charset_known(label)
}

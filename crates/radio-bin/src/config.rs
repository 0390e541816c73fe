//! The `radiopoint` configuration: our TOML file, or PenguinCast's `config.json`.
//!
//! Both are read into raw serde structs (every key optional, unknown keys refused) and
//! then resolved into [`Resolved`]: `radio_net::ServerConfig` plus what only the binary
//! needs (addresses, log files). Every problem is reported as a [`ConfigError`] that names
//! the key and says what is wrong; `main` prints it and exits with status 2.

use radio_net::push::{PushConfig, PushProtocol};
use radio_net::{MountConfig, RelayConfig, ServerConfig, StreamInfo};
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A configuration problem, naming the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML/JSON or has an unknown key or a wrong type.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message (it names the key and the line).
        message: String,
    },
    /// A key has a value the server cannot use.
    #[error("{path}: {key}: {message}")]
    Value {
        /// The file.
        path: PathBuf,
        /// The key, as written in the file (`Limits.WriteTimeOut`, `mount[0].metaint`).
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Log files and their settings.
#[derive(Debug, Clone, Default)]
pub struct LogSettings {
    /// Directory of error.log, access.log and stat.log (`None`: log to stderr only).
    pub dir: Option<PathBuf>,
    /// error.log threshold: 1 error, 2 warn, 3 info, 4 debug.
    pub level: u8,
    /// Whether access.log is written.
    pub access_log: bool,
    /// stat.log interval (`None`: not written).
    pub stat_interval: Option<Duration>,
    /// Rotate error.log at start when larger than this (KiB).
    pub max_error_log_kib: Option<u64>,
}

/// A local mount pushed to another server.
#[derive(Debug, Clone)]
pub struct PushSpec {
    /// The local mount.
    pub mount: String,
    /// How to push it.
    pub push: PushConfig,
}

/// Everything `main` needs.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The server's settings.
    pub server: ServerConfig,
    /// Address to listen on.
    pub bind: IpAddr,
    /// Main port.
    pub port: u16,
    /// Shoutcast v1 source port (`None`: disabled).
    pub shoutcast_port: Option<u16>,
    /// Logging.
    pub logging: LogSettings,
    /// Pushes to upstream servers.
    pub pushes: Vec<PushSpec>,
    /// The database (`[server] database`; `None`: `radiopoint.db` where it is needed).
    pub database: Option<PathBuf>,
}

impl Resolved {
    /// The embedded default: an open Icecast-style server on 127.0.0.1:8000 (Shoutcast v1
    /// sources on 8001), source and admin password `hackme`, logs on stderr.
    pub fn embedded() -> Resolved {
        Resolved {
            server: ServerConfig::default(),
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 8000,
            shoutcast_port: Some(8001),
            logging: LogSettings {
                dir: None,
                level: 3,
                access_log: false,
                stat_interval: None,
                max_error_log_kib: None,
            },
            pushes: Vec::new(),
            database: None,
        }
    }
}

/// Reads a config file: PenguinCast's JSON when it ends in `.json` or starts with `{`,
/// our TOML otherwise.
pub fn load(path: &Path) -> Result<Resolved, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    let base = path.parent().unwrap_or(Path::new("."));
    if is_json {
        let raw: penguin::Config =
            serde_json::from_str(&text).map_err(|e| ConfigError::Syntax {
                path: path.to_path_buf(),
                message: format!("{e} (PenguinCast config.json)"),
            })?;
        penguin::resolve(raw, path, base)
    } else {
        let raw: toml_cfg::Config = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        toml_cfg::resolve(raw, path, base)
    }
}

fn value_err(path: &Path, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        path: path.to_path_buf(),
        key: key.into(),
        message: message.into(),
    }
}

fn secs(
    path: &Path,
    key: &str,
    v: Option<f64>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(value_err(
            path,
            key,
            format!("must be a number of seconds greater than 0 (got {s})"),
        )),
    }
}

fn positive(path: &Path, key: &str, v: Option<u64>) -> Result<Option<usize>, ConfigError> {
    match v {
        Some(0) => Err(value_err(path, key, "must be greater than 0")),
        v => Ok(v.map(|n| n as usize)),
    }
}

fn check_mount_path(path: &Path, key: &str, mount: &str) -> Result<(), ConfigError> {
    if !mount.starts_with('/') || mount.len() < 2 || mount.contains(char::is_whitespace) {
        return Err(value_err(
            path,
            key,
            format!("{mount:?} is not a mount path (it must start with '/', e.g. \"/live.mp3\")"),
        ));
    }
    Ok(())
}

/// Our TOML format.
mod toml_cfg {
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

    pub fn resolve(raw: Config, file: &Path, base: &Path) -> Result<Resolved, ConfigError> {
        let mut r = Resolved::embedded();
        let s = &mut r.server;
        let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        if let Some(v) = raw.server.name {
            s.name = v;
        }
        if let Some(v) = raw.server.admin {
            s.admin_contact = v;
        }
        if let Some(v) = raw.server.location {
            s.location = v;
        }
        if let Some(v) = raw.server.hostname {
            s.hostname = v;
        }
        if let Some(b) = raw.server.bind {
            r.bind = b.parse().map_err(|_| {
                value_err(file, "server.bind", format!("{b:?} is not an IP address"))
            })?;
        }
        if let Some(p) = raw.server.port {
            if p == 0 {
                return Err(value_err(
                    file,
                    "server.port",
                    "must be a port number from 1 to 65534",
                ));
            }
            r.port = p;
        }
        r.shoutcast_port = match (raw.server.shoutcast, raw.server.shoutcast_port) {
            (Some(false), _) => None,
            (_, Some(p)) => Some(p),
            _ => r.port.checked_add(1),
        };
        if let Some(m) = raw.server.shoutcast_mount {
            check_mount_path(file, "server.shoutcast_mount", &m)?;
            s.shoutcast_mount = m;
        }
        if let Some(v) = raw.server.allow_unconfigured_mounts {
            s.allow_unconfigured_mounts = v;
        }
        s.webroot = raw.server.webroot.map(rel);
        r.database = raw.server.database.map(rel);
        let a = raw.auth;
        if let Some(v) = a.source_user {
            s.auth.source_user = v;
        }
        if a.source_password.is_some() {
            s.auth.source_password = a.source_password.filter(|p| !p.is_empty());
        }
        if let Some(v) = a.admin_user {
            s.auth.admin_user = v;
        }
        if a.admin_password.is_some() {
            s.auth.admin_password = a.admin_password.filter(|p| !p.is_empty());
        }
        let l = raw.limits;
        let lim = &mut s.limits;
        lim.max_listeners = positive(file, "limits.max_listeners", l.max_listeners)?;
        if let Some(n) = positive(file, "limits.max_sources", l.max_sources)? {
            lim.max_sources = n;
        }
        if let Some(n) = positive(file, "limits.max_connections", l.max_connections)? {
            lim.max_connections = n;
        }
        lim.source_timeout = secs(
            file,
            "limits.source_timeout",
            l.source_timeout,
            lim.source_timeout,
        )?;
        lim.empty_buffer_timeout = secs(
            file,
            "limits.empty_buffer_timeout",
            l.empty_buffer_timeout,
            lim.empty_buffer_timeout,
        )?;
        lim.write_timeout = secs(
            file,
            "limits.write_timeout",
            l.write_timeout,
            lim.write_timeout,
        )?;
        lim.header_timeout = secs(
            file,
            "limits.header_timeout",
            l.header_timeout,
            lim.header_timeout,
        )?;
        if let Some(n) = l.max_head_bytes {
            if !(1024..=1 << 20).contains(&n) {
                return Err(value_err(
                    file,
                    "limits.max_head_bytes",
                    "must be between 1024 and 1048576",
                ));
            }
            lim.max_head_bytes = n as usize;
        }
        let d = raw.defaults;
        if let Some(n) = positive(file, "defaults.burst_size", d.burst_size)? {
            s.mount_defaults.burst_size = n;
        }
        if let Some(n) = positive(file, "defaults.queue_size", d.queue_size)? {
            s.mount_defaults.queue_size = n;
        }
        if let Some(n) = positive(file, "defaults.metaint", d.metaint)? {
            s.mount_defaults.metaint = n;
        }
        if let Some(ms) = raw.fanout.publish_interval_ms {
            if ms > 5000 {
                return Err(value_err(
                    file,
                    "fanout.publish_interval_ms",
                    "must be at most 5000",
                ));
            }
            s.fanout.publish_interval = Duration::from_millis(ms);
        }
        if let Some(n) = positive(file, "fanout.publish_bytes", raw.fanout.publish_bytes)? {
            s.fanout.publish_bytes = n;
        }
        let lg = raw.logging;
        r.logging.dir = lg.dir.map(rel);
        if let Some(level) = lg.level {
            if !(1..=4).contains(&level) {
                return Err(value_err(
                    file,
                    "logging.level",
                    "must be 1 (error), 2 (warn), 3 (info) or 4 (debug)",
                ));
            }
            r.logging.level = level;
        }
        r.logging.access_log = lg.access_log.unwrap_or(r.logging.dir.is_some());
        if lg.stat_log.unwrap_or(false) {
            r.logging.stat_interval = Some(secs(
                file,
                "logging.stat_interval",
                lg.stat_interval,
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
        s.monitor_interval = if lg.monitor.unwrap_or(true) {
            Some(secs(
                file,
                "logging.monitor_interval",
                lg.monitor_interval,
                Duration::from_secs(5),
            )?)
        } else {
            None
        };
        for (i, m) in raw.mounts.into_iter().enumerate() {
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
        for (i, rl) in raw.relays.into_iter().enumerate() {
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
        for (i, p) in raw.pushes.into_iter().enumerate() {
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
            let password = p.password.or(url.password).ok_or_else(|| {
                value_err(file, key("password"), "is missing (or put it in the URL)")
            })?;
            let mut c = PushConfig::new(p.url, password, "audio/mpeg");
            c.username = p.username.or(url.user).unwrap_or_else(|| "source".into());
            c.protocol = protocol;
            r.pushes.push(PushSpec {
                mount: p.mount,
                push: c,
            });
        }
        r.server
            .validate()
            .map_err(|e| value_err(file, "(config)", e.to_string()))?;
        Ok(r)
    }

    fn encoding_label_ok(label: &str) -> bool {
        radio_net::query::charset_known(label)
    }
}

/// PenguinCast's config.json, same keys, same meaning, its bugs fixed.
mod penguin {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(non_snake_case)]
    pub struct Config {
        pub Name: Option<String>,
        pub Admin: Option<String>,
        pub Location: Option<String>,
        pub Host: Option<String>,
        pub Socket: Option<Socket>,
        pub Limits: Option<Limits>,
        pub Auth: Option<Auth>,
        pub Paths: Option<Paths>,
        pub Logging: Option<Logging>,
        pub Mounts: Option<Vec<Mount>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(non_snake_case)]
    pub struct Socket {
        pub Port: Option<u16>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(non_snake_case)]
    pub struct Limits {
        pub Clients: Option<u64>,
        pub Sources: Option<u64>,
        pub SourceIdleTimeOut: Option<f64>,
        pub EmptyBufferIdleTimeOut: Option<f64>,
        pub WriteTimeOut: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(non_snake_case)]
    pub struct Auth {
        pub AdminPassword: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(non_snake_case)]
    pub struct Paths {
        pub Base: Option<PathBuf>,
        pub Log: Option<PathBuf>,
        pub Web: Option<PathBuf>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(non_snake_case)]
    pub struct Logging {
        pub Loglevel: Option<u8>,
        pub Logsize: Option<u64>,
        pub UseMonitor: Option<bool>,
        pub UseStat: Option<bool>,
        pub MonitorInterval: Option<f64>,
        pub StatInterval: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(non_snake_case)]
    pub struct Mount {
        pub Name: Option<String>,
        pub User: Option<String>,
        pub Password: Option<String>,
        pub Genre: Option<String>,
        pub Description: Option<String>,
        pub BitRate: Option<u32>,
        pub BurstSize: Option<u64>,
        pub DumpFile: Option<PathBuf>,
    }

    pub fn resolve(raw: Config, file: &Path, base: &Path) -> Result<Resolved, ConfigError> {
        let mut r = Resolved::embedded();
        let s = &mut r.server;
        if let Some(v) = raw.Name {
            s.name = v;
        }
        if let Some(v) = raw.Admin {
            s.admin_contact = v;
        }
        if let Some(v) = raw.Location {
            s.location = v;
        }
        if let Some(v) = raw.Host {
            s.hostname = v;
        }
        r.port = match raw.Socket.and_then(|s| s.Port) {
            Some(p) if p > 0 && p < u16::MAX => p,
            Some(p) => {
                return Err(value_err(
                    file,
                    "Socket.Port",
                    format!("{p} is not a usable port"),
                ));
            }
            None => {
                return Err(value_err(
                    file,
                    "Socket.Port",
                    "is missing: the server needs a port to listen on",
                ));
            }
        };
        r.shoutcast_port = r.port.checked_add(1);
        // PenguinCast has no server-wide source password: mounts log in with their own.
        s.auth.source_password = None;
        s.allow_unconfigured_mounts = false;
        let limits = raw.Limits.ok_or_else(|| {
            value_err(
                file,
                "Limits",
                "is missing (Clients, Sources and the timeouts)",
            )
        })?;
        let lim = &mut s.limits;
        lim.max_listeners = positive(file, "Limits.Clients", limits.Clients)?;
        if let Some(n) = positive(file, "Limits.Sources", limits.Sources)? {
            lim.max_sources = n;
        }
        let need = |key: &str, v: Option<f64>| -> Result<Duration, ConfigError> {
            match v {
                None => Err(value_err(file, key, "is missing (seconds, greater than 0)")),
                v => secs(file, key, v, Duration::ZERO),
            }
        };
        lim.source_timeout = need("Limits.SourceIdleTimeOut", limits.SourceIdleTimeOut)?;
        lim.empty_buffer_timeout = need(
            "Limits.EmptyBufferIdleTimeOut",
            limits.EmptyBufferIdleTimeOut,
        )?;
        lim.write_timeout = need("Limits.WriteTimeOut", limits.WriteTimeOut)?;
        s.auth.admin_password = raw
            .Auth
            .and_then(|a| a.AdminPassword)
            .filter(|p| !p.is_empty());
        let paths = raw.Paths;
        let root = paths
            .as_ref()
            .and_then(|p| p.Base.clone())
            .map(|b| if b.is_absolute() { b } else { base.join(b) })
            .unwrap_or_else(|| base.to_path_buf());
        let under_root = |p: PathBuf| if p.is_absolute() { p } else { root.join(p) };
        let log_dir = paths.as_ref().and_then(|p| p.Log.clone()).map(under_root);
        s.webroot = paths.and_then(|p| p.Web).map(under_root);
        let logging = raw.Logging;
        let level = logging.as_ref().and_then(|l| l.Loglevel).unwrap_or(3);
        if !(1..=4).contains(&level) {
            return Err(value_err(
                file,
                "Logging.Loglevel",
                "must be 1 (errors), 2 (warnings), 3 (info) or 4 (debug)",
            ));
        }
        r.logging = LogSettings {
            dir: log_dir.clone(),
            level,
            access_log: log_dir.is_some(),
            stat_interval: None,
            max_error_log_kib: positive(
                file,
                "Logging.Logsize",
                logging.as_ref().and_then(|l| l.Logsize),
            )?
            .map(|n| n as u64),
        };
        if let Some(l) = &logging {
            if l.UseStat == Some(true) {
                if log_dir.is_none() {
                    return Err(value_err(
                        file,
                        "Logging.UseStat",
                        "needs Paths.Log for stat.log",
                    ));
                }
                r.logging.stat_interval = Some(secs(
                    file,
                    "Logging.StatInterval",
                    l.StatInterval,
                    Duration::from_secs(3),
                )?);
            }
            s.monitor_interval = if l.UseMonitor == Some(true) {
                Some(secs(
                    file,
                    "Logging.MonitorInterval",
                    l.MonitorInterval,
                    Duration::from_secs(5),
                )?)
            } else {
                None
            };
        } else {
            s.monitor_interval = None;
        }
        for (i, m) in raw.Mounts.unwrap_or_default().into_iter().enumerate() {
            let key = |k: &str| format!("Mounts[{i}].{k}");
            let name = m.Name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
                value_err(file, key("Name"), "is missing: every mount needs a name")
            })?;
            let path = format!("/{}", name.trim_start_matches('/'));
            check_mount_path(file, &key("Name"), &path)?;
            if s.mounts.iter().any(|x| x.path == path) {
                return Err(value_err(
                    file,
                    key("Name"),
                    format!("mount {name} is configured twice"),
                ));
            }
            let mut c = MountConfig::new(path);
            c.username = Some(m.User.ok_or_else(|| {
                value_err(
                    file,
                    key("User"),
                    "is missing: sources log in with User and Password",
                )
            })?);
            c.password = Some(m.Password.ok_or_else(|| {
                value_err(
                    file,
                    key("Password"),
                    "is missing: sources log in with User and Password",
                )
            })?);
            c.defaults.genre = m.Genre;
            c.defaults.description = m.Description;
            if let Some(br) = m.BitRate {
                if br == 0 {
                    return Err(value_err(
                        file,
                        key("BitRate"),
                        "must be greater than 0 (kbps)",
                    ));
                }
                c.defaults.bitrate = Some(br);
                // PenguinCast's ICY interval: ten pages of BitRate*1024/8 bytes.
                c.metaint = Some(br as usize * 1280);
            }
            if let Some(b) = m.BurstSize {
                c.burst_size = Some(b as usize);
            }
            c.dump_file = m.DumpFile.map(|p| {
                if p.is_absolute() {
                    p
                } else {
                    log_dir.clone().unwrap_or_else(|| root.clone()).join(p)
                }
            });
            s.mounts.push(c);
        }
        if let Some(first) = s.mounts.first() {
            s.shoutcast_mount = first.path.clone();
        }
        r.server
            .validate()
            .map_err(|e| value_err(file, "(config)", e.to_string()))?;
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PenguinCast's config.json exactly as its README prints it.
    pub const PENGUINCAST: &str = r#"{
    "Name": "Rollstation radio",
    "Admin": "admin@site.com",
    "Location": "Saint Petersburg",
    "Host": "127.0.0.1",
    "Socket": { "Port": 8008},
    "Limits": {
        "Clients": 30, "Sources": 5, 
        "SourceIdleTimeOut": 5, "EmptyBufferIdleTimeOut": 5, "WriteTimeOut": 10
    },
    "Auth": {"AdminPassword": "admin"},
    "Paths": {"Log": "log/", "Web":"html/"},
    "Logging": {
        "Loglevel": 4,
        "Logsize": 50000,
        "UseMonitor": true,
        "UseStat": true},
    "Mounts": [
        {
            "Name": "RockRadio96", "User":"admin", "Password": "admin", "Genre":"Rock", 
            "Description": "Rock radio station, Saint Petersburg", "BitRate":96, 
            "BurstSize": 65536, "DumpFile": "rock96.mp3"
        }
    ]
}"#;

    fn load_text(name: &str, text: &str) -> Result<Resolved, ConfigError> {
        let dir =
            std::env::temp_dir().join(format!("radiopoint-cfg-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let r = load(&path);
        let _ = std::fs::remove_dir_all(&dir);
        r
    }

    fn err(name: &str, text: &str) -> String {
        load_text(name, text).unwrap_err().to_string()
    }

    #[test]
    fn penguincast_readme_config_means_the_same() {
        let r = load_text("config.json", PENGUINCAST).unwrap();
        let s = &r.server;
        assert_eq!(r.port, 8008);
        assert_eq!(r.shoutcast_port, Some(8009));
        assert_eq!(s.name, "Rollstation radio");
        assert_eq!(s.hostname, "127.0.0.1");
        assert_eq!(s.limits.max_listeners, Some(30));
        assert_eq!(s.limits.max_sources, 5);
        assert_eq!(s.limits.source_timeout, Duration::from_secs(5));
        assert_eq!(s.limits.write_timeout, Duration::from_secs(10));
        assert_eq!(s.auth.admin_password.as_deref(), Some("admin"));
        assert_eq!(s.auth.source_password, None, "only mount credentials");
        assert_eq!(r.logging.level, 4);
        assert_eq!(r.logging.stat_interval, Some(Duration::from_secs(3)));
        assert_eq!(r.logging.max_error_log_kib, Some(50000));
        assert!(r.logging.dir.as_ref().unwrap().ends_with("log"));
        assert_eq!(s.monitor_interval, Some(Duration::from_secs(5)));
        let m = &s.mounts[0];
        assert_eq!(m.path, "/RockRadio96");
        assert_eq!(
            (m.username.as_deref(), m.password.as_deref()),
            (Some("admin"), Some("admin"))
        );
        assert_eq!(m.defaults.genre.as_deref(), Some("Rock"));
        assert_eq!(m.metaint, Some(96 * 1280));
        assert_eq!(m.burst_size, Some(65536));
        assert!(m.dump_file.as_ref().unwrap().ends_with("log/rock96.mp3"));
        assert_eq!(s.shoutcast_mount, "/RockRadio96");
    }

    #[test]
    fn penguincast_bad_values_name_the_key() {
        let e = err(
            "c.json",
            &PENGUINCAST.replace("\"BitRate\":96", "\"BitRate\":0"),
        );
        assert!(
            e.contains("Mounts[0].BitRate: must be greater than 0"),
            "{e}"
        );
        let e = err(
            "c.json",
            &PENGUINCAST.replace("\"Socket\": { \"Port\": 8008},", ""),
        );
        assert!(e.contains("Socket.Port: is missing"), "{e}");
        let e = err("c.json", &PENGUINCAST.replace(", \"WriteTimeOut\": 10", ""));
        assert!(e.contains("Limits.WriteTimeOut: is missing"), "{e}");
        let e = err(
            "c.json",
            &PENGUINCAST.replace("\"Loglevel\": 4", "\"Loglevel\": 9"),
        );
        assert!(e.contains("Logging.Loglevel"), "{e}");
        let e = err("c.json", &PENGUINCAST.replace("\"Admin\":", "\"Admni\":"));
        assert!(e.contains("unknown field `Admni`"), "{e}");
        let e = err(
            "c.json",
            &PENGUINCAST.replace("\"Clients\": 30", "\"Clients\": \"many\""),
        );
        assert!(e.contains("invalid type") && e.contains("line"), "{e}");
        let e = err("c.json", "{ not json");
        assert!(e.contains("c.json"), "{e}");
    }

    #[test]
    fn toml_config_and_errors() {
        let r = load_text(
            "r.toml",
            r#"
[server]
name = "Test FM"
port = 9000
shoutcast_mount = "/sc"
[auth]
source_password = "pw"
[limits]
max_listeners = 100
source_timeout = 2.5
[logging]
dir = "logs"
level = 2
stat_log = true
[[mount]]
path = "/live.mp3"
password = "mine"
fallback = "/backup.mp3"
fallback_override = true
metaint = 8192
charset = "ISO-8859-1"
[[relay]]
mount = "/r.mp3"
url = "http://127.0.0.1:8001/up.mp3"
on_demand = true
[[push]]
mount = "/live.mp3"
url = "http://source:up@example.org:8000/pushed.mp3"
"#,
        )
        .unwrap();
        assert_eq!(r.port, 9000);
        assert_eq!(r.shoutcast_port, Some(9001));
        assert_eq!(r.server.limits.source_timeout, Duration::from_millis(2500));
        assert_eq!(r.server.mounts[0].metaint, Some(8192));
        assert!(r.server.relays[0].on_demand);
        assert_eq!(r.pushes[0].push.password, "up");
        assert!(r.logging.access_log);
        let bad = [
            ("[limits]\nwrite_timeout = 0\n", "limits.write_timeout"),
            ("[[mount]]\npath = \"live\"\n", "mount[0].path"),
            (
                "[[mount]]\npath = \"/a\"\nmetaint = 0\n",
                "mount[0].metaint",
            ),
            (
                "[[mount]]\npath = \"/a\"\ncharset = \"klingon\"\n",
                "mount[0].charset",
            ),
            ("[server]\nport = 0\n", "server.port"),
            ("[server]\nbind = \"nowhere\"\n", "server.bind"),
            ("[server]\nprot = 1\n", "unknown field `prot`"),
            (
                "[[relay]]\nmount = \"/r\"\nurl = \"ftp://x/y\"\n",
                "relay[0].url",
            ),
            (
                "[[push]]\nmount = \"/r\"\nurl = \"http://h:1/m\"\n",
                "push[0].password",
            ),
            ("[logging]\nstat_log = true\n", "logging.dir"),
        ];
        for (text, key) in bad {
            let e = err("bad.toml", text);
            assert!(e.contains(key), "{text:?} → {e}");
        }
    }
}

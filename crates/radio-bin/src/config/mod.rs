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

mod penguin;
mod station;
mod toml_cfg;

pub use station::*;

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
    #[error("{path}{}: {key}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Value {
        /// The file.
        path: PathBuf,
        /// The line the key is on (1-based), when it can be found.
        line: Option<usize>,
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
    /// The stations (`[[station]]`).
    pub stations: Vec<StationSpec>,
    /// `/metrics` needs `Authorization: Bearer` with this (`[server] metrics_token`).
    pub metrics_token: Option<String>,
    /// Where stations made through the API keep their media (`[server] data_dir`; `None`:
    /// the database's folder).
    pub data_dir: Option<PathBuf>,
    /// The largest upload accepted, in bytes (`[server] max_upload_mb`, 512 MiB).
    pub max_upload: u64,
    /// Imports by URL may fetch from loopback, private and link-local addresses
    /// (`[server] import_private_addresses`, off).
    pub import_private: bool,
    /// Listener sessions and per-minute counts are kept this many days
    /// (`[server] stats_retention_days`, 400).
    pub stats_retention_days: u32,
    /// The config file it came from (`None`: the embedded default).
    pub file: Option<PathBuf>,
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
            stations: Vec::new(),
            metrics_token: None,
            data_dir: None,
            max_upload: 512 * 1024 * 1024,
            import_private: false,
            stats_retention_days: 400,
            file: None,
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
    let resolved = if is_json {
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
        toml_cfg::resolve(raw, path, base).map_err(|e| with_line(e, &text))
    };
    resolved.map(|mut r| {
        // The store lives beside the config unless the config says where.
        r.database.get_or_insert_with(|| base.join("radiopoint.db"));
        r
    })
}

/// Fills in the line of a value error's key (`station[1].output[0].bitrate`).
fn with_line(e: ConfigError, text: &str) -> ConfigError {
    match e {
        ConfigError::Value {
            path,
            line: None,
            key,
            message,
        } => ConfigError::Value {
            line: locate(text, &key),
            path,
            key,
            message,
        },
        e => e,
    }
}

/// The 1-based line of `key` in a TOML text: tables and arrays of tables are followed
/// (`station[1]` is the second `[[station]]`, `station[1].output[0]` the first
/// `[[station.output]]` after it); the key's own line, else its table's header.
pub fn locate(text: &str, key: &str) -> Option<usize> {
    // Split `a[1].b[0].c` into (name, index) steps and a final key.
    let mut steps: Vec<(String, Option<usize>)> = Vec::new();
    for part in key.split('.') {
        match part.split_once('[') {
            Some((name, rest)) => {
                let i = rest.trim_end_matches(']').parse().ok()?;
                steps.push((name.to_string(), Some(i)));
            }
            None => steps.push((part.to_string(), None)),
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut to = lines.len();
    let mut prefix = String::new();
    let mut found_header = None;
    let mut last = None;
    for (name, index) in &steps {
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let header = |l: &str| {
            let t = l.trim();
            match index {
                Some(_) => t == format!("[[{full}]]"),
                None => t == format!("[{full}]"),
            }
        };
        let hits: Vec<usize> = (from..to).filter(|&i| header(lines[i])).collect();
        let want = index.unwrap_or(0);
        match hits.get(want) {
            Some(&h) => {
                found_header = Some(h);
                // The table runs to the next header of the same or a shallower level.
                let depth = full.matches('.').count();
                let end = (h + 1..to)
                    .find(|&i| {
                        let t = lines[i].trim();
                        t.starts_with('[') && {
                            let inner = t.trim_matches(|c| c == '[' || c == ']');
                            !inner.starts_with(&format!("{full}."))
                                || inner.matches('.').count() <= depth
                        }
                    })
                    .unwrap_or(to);
                from = h + 1;
                to = end;
                prefix = full;
            }
            None => {
                last = Some((name.clone(), from, to));
                break;
            }
        }
    }
    // The final step is a plain key inside the table found so far.
    let (name, from, to) = last.unwrap_or((
        steps.last().map(|s| s.0.clone()).unwrap_or_default(),
        from,
        to,
    ));
    (from..to)
        .find(|&i| {
            let t = lines[i].trim_start();
            t.strip_prefix(name.as_str())
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .or(found_header)
        .map(|i| i + 1)
}

pub(crate) fn value_err(
    path: &Path,
    key: impl Into<String>,
    message: impl Into<String>,
) -> ConfigError {
    ConfigError::Value {
        path: path.to_path_buf(),
        line: None,
        key: key.into(),
        message: message.into(),
    }
}

pub(crate) fn secs(
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

pub(crate) fn positive(
    path: &Path,
    key: &str,
    v: Option<u64>,
) -> Result<Option<usize>, ConfigError> {
    match v {
        Some(0) => Err(value_err(path, key, "must be greater than 0")),
        v => Ok(v.map(|n| n as usize)),
    }
}

pub(crate) fn check_mount_path(path: &Path, key: &str, mount: &str) -> Result<(), ConfigError> {
    if !mount.starts_with('/') || mount.len() < 2 || mount.contains(char::is_whitespace) {
        return Err(value_err(
            path,
            key,
            format!("{mount:?} is not a mount path (it must start with '/', e.g. \"/live.mp3\")"),
        ));
    }
    Ok(())
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

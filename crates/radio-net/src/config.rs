//! Server settings: what the binary's config file resolves into.
//!
//! Every field has an Icecast-like default, so `ServerConfig::default()` is a working
//! open server on which any mount accepts a source with the source password.

use std::path::PathBuf;
use std::time::Duration;

/// The whole server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Shown on status pages (`server_id`, PenguinCast's `Name`).
    pub name: String,
    /// The admin's contact (`admin`).
    pub admin_contact: String,
    /// Where the server is (`location`).
    pub location: String,
    /// Host name used in `listenurl` and generated playlists when a request has no `Host`.
    pub hostname: String,
    /// Credentials and passwords.
    pub auth: AuthConfig,
    /// Limits and timeouts.
    pub limits: Limits,
    /// Defaults for mounts not configured explicitly, and for unset mount fields.
    pub mount_defaults: MountDefaults,
    /// Configured mounts.
    pub mounts: Vec<MountConfig>,
    /// Mounts pulled from other servers.
    pub relays: Vec<RelayConfig>,
    /// The mount that Shoutcast v1 sources (port + 1) feed.
    pub shoutcast_mount: String,
    /// Whether sources may use mounts that are not configured.
    pub allow_unconfigured_mounts: bool,
    /// Where access.log goes (`None`: not written).
    pub access_log: Option<PathBuf>,
    /// Static files served for paths that are not mounts (PenguinCast's `Paths.Web`).
    pub webroot: Option<PathBuf>,
    /// Interval of the live monitor's server-sent events; `None` disables `/monitor.html`.
    pub monitor_interval: Option<Duration>,
    /// How the listener fan-out batches writes.
    pub fanout: FanoutConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            name: "radiopoint".into(),
            admin_contact: "admin@localhost".into(),
            location: "Earth".into(),
            hostname: "localhost".into(),
            auth: AuthConfig::default(),
            limits: Limits::default(),
            mount_defaults: MountDefaults::default(),
            mounts: Vec::new(),
            relays: Vec::new(),
            shoutcast_mount: "/stream".into(),
            allow_unconfigured_mounts: true,
            access_log: None,
            webroot: None,
            monitor_interval: Some(Duration::from_secs(5)),
            fanout: FanoutConfig::default(),
        }
    }
}

/// Passwords.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The user every source may log in as with [`AuthConfig::source_password`].
    pub source_user: String,
    /// Server-wide source password (`None`: only mount credentials work).
    pub source_password: Option<String>,
    /// Admin user for `/admin/*`.
    pub admin_user: String,
    /// Admin password (`None`: admin pages are closed).
    pub admin_password: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            source_user: "source".into(),
            source_password: Some("hackme".into()),
            admin_user: "admin".into(),
            admin_password: Some("hackme".into()),
        }
    }
}

/// Server-wide limits and timeouts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Listeners across all mounts (`None`: unlimited).
    pub max_listeners: Option<usize>,
    /// Connected sources (including relays).
    pub max_sources: usize,
    /// Open client connections of any kind.
    pub max_connections: usize,
    /// A source that sends nothing for this long is dropped.
    pub source_timeout: Duration,
    /// A listener whose mount has had no data for this long is closed.
    pub empty_buffer_timeout: Duration,
    /// A write to a listener that makes no progress for this long closes it.
    pub write_timeout: Duration,
    /// The request head must arrive within this time of accept.
    pub header_timeout: Duration,
    /// Largest request head, in bytes.
    pub max_head_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_listeners: None,
            max_sources: 100,
            max_connections: 16_384,
            source_timeout: Duration::from_secs(10),
            empty_buffer_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(15),
            max_head_bytes: crate::request::DEFAULT_MAX_HEAD,
        }
    }
}

/// Per-mount defaults.
#[derive(Debug, Clone)]
pub struct MountDefaults {
    /// Bytes a new listener gets at once.
    pub burst_size: usize,
    /// Bytes a mount keeps; a listener further behind is dropped.
    pub queue_size: usize,
    /// ICY metadata interval in bytes.
    pub metaint: usize,
}

impl Default for MountDefaults {
    fn default() -> Self {
        MountDefaults {
            burst_size: 65_536,
            queue_size: 524_288,
            metaint: 16_000,
        }
    }
}

/// Stream properties; set on a mount they override what the source sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamInfo {
    /// `icy-name`.
    pub name: Option<String>,
    /// `icy-genre`.
    pub genre: Option<String>,
    /// `icy-description`.
    pub description: Option<String>,
    /// `icy-url`.
    pub url: Option<String>,
    /// `icy-pub`.
    pub public: Option<bool>,
    /// `icy-br`, kbps.
    pub bitrate: Option<u32>,
}

/// One configured mount.
#[derive(Debug, Clone)]
pub struct MountConfig {
    /// The mount path, starting with `/`.
    pub path: String,
    /// Source user for this mount (`None`: the server's source user).
    pub username: Option<String>,
    /// Source password for this mount (`None`: the server's source password).
    pub password: Option<String>,
    /// Properties that override the source's.
    pub overrides: StreamInfo,
    /// Properties used when the source sends none.
    pub defaults: StreamInfo,
    /// Listener cap for this mount.
    pub max_listeners: Option<usize>,
    /// Burst size (`None`: the server default).
    pub burst_size: Option<usize>,
    /// Queue size (`None`: the server default).
    pub queue_size: Option<usize>,
    /// ICY interval (`None`: the server default).
    pub metaint: Option<usize>,
    /// Charset of ICY titles sent to listeners (default UTF-8).
    pub charset: String,
    /// Where listeners go when the source leaves.
    pub fallback: Option<String>,
    /// Whether listeners come back from the fallback when the source returns.
    pub fallback_override: bool,
    /// New listeners go to the fallback when this mount is full.
    pub fallback_when_full: bool,
    /// A file that receives every byte the source sends.
    pub dump_file: Option<PathBuf>,
    /// Not listed on status pages.
    pub hidden: bool,
}

impl MountConfig {
    /// A mount at `path` with everything else defaulted.
    pub fn new(path: impl Into<String>) -> MountConfig {
        MountConfig {
            path: path.into(),
            username: None,
            password: None,
            overrides: StreamInfo::default(),
            defaults: StreamInfo::default(),
            max_listeners: None,
            burst_size: None,
            queue_size: None,
            metaint: None,
            charset: "UTF-8".into(),
            fallback: None,
            fallback_override: false,
            fallback_when_full: false,
            dump_file: None,
            hidden: false,
        }
    }
}

/// A mount pulled from another server.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The local mount it feeds.
    pub local_mount: String,
    /// The upstream URL (`http://host:port/mount`).
    pub url: String,
    /// Credentials for the upstream, if it wants any.
    pub username: Option<String>,
    /// Password for the upstream.
    pub password: Option<String>,
    /// Connect only while the local mount has listeners.
    pub on_demand: bool,
    /// Ask for inline ICY titles and pass them on.
    pub relay_metadata: bool,
    /// First reconnect delay; doubles up to [`RelayConfig::max_retry`].
    pub retry: Duration,
    /// Longest reconnect delay.
    pub max_retry: Duration,
}

impl RelayConfig {
    /// A relay of `url` into `local_mount` with default timings.
    pub fn new(local_mount: impl Into<String>, url: impl Into<String>) -> RelayConfig {
        RelayConfig {
            local_mount: local_mount.into(),
            url: url.into(),
            username: None,
            password: None,
            on_demand: false,
            relay_metadata: true,
            retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(30),
        }
    }
}

/// How listener writes are batched.
///
/// A mount publishes new data to its listeners at most once per `publish_interval`
/// (sooner when `publish_bytes` are pending); each listener then writes everything
/// pending in one vectored write. Fewer, larger writes are what keep the CPU cost per
/// listener low (see README, Performance).
#[derive(Debug, Clone)]
pub struct FanoutConfig {
    /// Longest time data waits before listeners are woken.
    pub publish_interval: Duration,
    /// Pending bytes that wake listeners before the interval has passed.
    pub publish_bytes: usize,
    /// Smallest chunk the framer cuts (chunks still end on frame boundaries).
    pub min_chunk: usize,
}

impl Default for FanoutConfig {
    fn default() -> Self {
        FanoutConfig {
            publish_interval: Duration::from_millis(500),
            publish_bytes: 16 * 1024,
            min_chunk: 2048,
        }
    }
}

impl ServerConfig {
    /// Checks the settings that the server cannot run without.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |m: String| Err(crate::Error::Config(m));
        for m in &self.mounts {
            if !m.path.starts_with('/') || m.path.len() < 2 {
                return bad(format!(
                    "mount path {:?} must start with '/' and name a mount",
                    m.path
                ));
            }
            if m.metaint == Some(0) {
                return bad(format!("mount {}: metaint must be greater than 0", m.path));
            }
            if m.fallback.as_deref() == Some(m.path.as_str()) {
                return bad(format!(
                    "mount {}: fallback cannot be the mount itself",
                    m.path
                ));
            }
        }
        if self.mount_defaults.metaint == 0 {
            return bad("metaint must be greater than 0".into());
        }
        if self.mount_defaults.queue_size < 16 * 1024 {
            return bad("queue_size must be at least 16384 bytes".into());
        }
        if self.limits.write_timeout.is_zero() {
            return bad("write_timeout must be greater than 0".into());
        }
        for r in &self.relays {
            crate::relay::parse_url(&r.url)
                .map_err(|e| crate::Error::Config(format!("relay {}: {e}", r.local_mount)))?;
        }
        Ok(())
    }

    /// The configuration of mount `path`, if it is configured.
    pub fn mount(&self, path: &str) -> Option<&MountConfig> {
        self.mounts.iter().find(|m| m.path == path)
    }
}

//! PenguinCast's config.json, same keys, same meaning, its bugs fixed.
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
        let name = m
            .Name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| value_err(file, key("Name"), "is missing: every mount needs a name"))?;
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

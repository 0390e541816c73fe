//! Relays: a local mount pulls its stream from another server's mount.
//!
//! The relay sends `GET /mount HTTP/1.0` with `Icy-MetaData: 1`, follows one redirect,
//! strips the inline ICY titles and passes them on as the local mount's titles. When the
//! upstream is unreachable or goes quiet it reconnects with exponential backoff. An
//! on-demand relay connects only while the local mount has listeners.

use crate::config::RelayConfig;
use crate::icy::{IcyReader, Meta, parse_stream_title};
use crate::mount::SourceInfo;
use crate::request::{ResponseHead, parse_response_head};
use crate::server::Shared;
use crate::{Error, Result};
use bytes::BytesMut;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long an on-demand relay stays connected with no listeners.
const ON_DEMAND_LINGER: Duration = Duration::from_secs(5);

/// A parsed `http://[user:pass@]host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Host name or address.
    pub host: String,
    /// Port (default 80, or 8000 for `icecast://`).
    pub port: u16,
    /// Path with leading `/`.
    pub path: String,
    /// User from the URL.
    pub user: Option<String>,
    /// Password from the URL.
    pub password: Option<String>,
}

/// Parses a relay or push URL (`http://` or `icecast://`).
pub fn parse_url(url: &str) -> std::result::Result<Url, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not a URL (expected http://host:port/mount)"))?;
    let default_port = match scheme {
        "http" => 80,
        "icecast" | "shout" => 8000,
        _ => {
            return Err(format!(
                "unsupported scheme {scheme:?} in {url:?} (use http://)"
            ));
        }
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (creds, hostport) = match authority.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, authority),
    };
    let (user, password) = match creds {
        Some(c) => match c.split_once(':') {
            Some((u, p)) => (Some(u.to_string()), Some(p.to_string())),
            None => (Some(c.to_string()), None),
        },
        None => (None, None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse()
                .map_err(|_| format!("bad port {p:?} in {url:?}"))?,
        ),
        None => (hostport.to_string(), default_port),
    };
    if host.is_empty() {
        return Err(format!("no host in {url:?}"));
    }
    Ok(Url {
        host,
        port,
        path: path.to_string(),
        user,
        password,
    })
}

pub(crate) async fn run(shared: Arc<Shared>, cfg: RelayConfig) {
    let Some(mount) = shared.mount(&cfg.local_mount) else {
        return;
    };
    let url = match parse_url(&cfg.url) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(mount = %cfg.local_mount, "relay disabled: {e}");
            return;
        }
    };
    let mut delay = cfg.retry;
    loop {
        if cfg.on_demand {
            while mount.listeners() == 0 {
                tokio::select! {
                    _ = shared.shutdown.cancelled() => return,
                    _ = mount.demand.notified() => {}
                }
            }
        }
        let result = tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            r = relay_once(&shared, &cfg, &url) => r,
        };
        match result {
            Ok(true) => {
                delay = cfg.retry;
                tracing::info!(mount = %cfg.local_mount, url = %cfg.url, "relay ended; reconnecting");
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(mount = %cfg.local_mount, url = %cfg.url, "relay failed: {e}; retrying in {delay:?}")
            }
        }
        if cfg.on_demand && mount.listeners() == 0 {
            delay = cfg.retry;
            continue;
        }
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(cfg.max_retry);
    }
}

/// Connects to `url` and returns the response head and any body bytes already read.
pub(crate) async fn connect_get(
    url: &Url,
    extra_headers: &str,
    timeout: Duration,
) -> Result<(TcpStream, ResponseHead, BytesMut)> {
    let peer = format!("{}:{}{}", url.host, url.port, url.path);
    let mut target = url.clone();
    for _ in 0..2 {
        let addr = format!("{}:{}", target.host, target.port);
        let mut stream = tokio::time::timeout(timeout, TcpStream::connect(&addr))
            .await
            .map_err(|_| Error::Timeout(format!("connecting to {addr}")))?
            .map_err(|e| Error::io(format!("connecting to {addr}"), e))?;
        let auth = match (&target.user, &target.password) {
            (Some(u), Some(p)) => {
                format!("Authorization: {}\r\n", crate::query::basic_header(u, p))
            }
            _ => String::new(),
        };
        let req = format!(
            "GET {} HTTP/1.0\r\nHost: {}:{}\r\nUser-Agent: {}\r\n{auth}{extra_headers}\r\n",
            target.path,
            target.host,
            target.port,
            crate::SERVER_ID
        );
        stream
            .write_all(req.as_bytes())
            .await
            .map_err(|e| Error::io(format!("sending request to {peer}"), e))?;
        let mut buf = BytesMut::with_capacity(4096);
        let head = loop {
            match parse_response_head(&buf, crate::request::DEFAULT_MAX_HEAD) {
                Ok(Some((h, n))) => {
                    let _ = buf.split_to(n);
                    break h;
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(Error::Peer {
                        peer,
                        message: format!("bad response: {e}"),
                    });
                }
            }
            let n = tokio::time::timeout(timeout, stream.read_buf(&mut buf))
                .await
                .map_err(|_| Error::Timeout(format!("waiting for {peer} to answer")))?
                .map_err(|e| Error::io(format!("reading from {peer}"), e))?;
            if n == 0 {
                return Err(Error::Peer {
                    peer,
                    message: "closed the connection without answering".into(),
                });
            }
        };
        if matches!(head.status, 301 | 302 | 303 | 307) {
            let loc = head.header("location").unwrap_or("");
            target = parse_url(loc).map_err(|message| Error::Peer {
                peer: peer.clone(),
                message,
            })?;
            continue;
        }
        if head.status != 200 {
            return Err(Error::Peer {
                peer,
                message: format!("answered {}", head.status),
            });
        }
        return Ok((stream, head, buf));
    }
    Err(Error::Peer {
        peer,
        message: "too many redirects".into(),
    })
}

/// One connection. `Ok(true)` when audio flowed (the backoff resets).
async fn relay_once(shared: &Arc<Shared>, cfg: &RelayConfig, url: &Url) -> Result<bool> {
    let mut url = url.clone();
    if cfg.username.is_some() {
        url.user = cfg.username.clone();
        url.password = cfg.password.clone();
    }
    let timeout = shared.config.limits.header_timeout;
    let extra = if cfg.relay_metadata {
        "Icy-MetaData: 1\r\n"
    } else {
        ""
    };
    let (mut stream, head, mut buf) = connect_get(&url, extra, timeout).await?;
    let s = |n: &str| head.header(n).filter(|v| !v.is_empty()).map(str::to_string);
    let info = crate::config::StreamInfo {
        name: s("icy-name"),
        genre: s("icy-genre"),
        description: s("icy-description"),
        url: s("icy-url"),
        public: s("icy-pub").map(|v| v == "1"),
        bitrate: s("icy-br").and_then(|v| v.split(',').next()?.trim().parse().ok()),
    };
    let source = SourceInfo {
        content_type: s("content-type").unwrap_or_else(|| "audio/mpeg".into()),
        info,
        audio_info: s("ice-audio-info"),
        ip: format!("{}:{}", url.host, url.port),
        user_agent: format!("relay of {}", cfg.url),
    };
    let metaint = s("icy-metaint")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&m| m > 0);
    let (mut feed, kill) = shared
        .attach(&cfg.local_mount, source)
        .map_err(|e| Error::Peer {
            peer: cfg.local_mount.clone(),
            message: e.to_string(),
        })?;
    tracing::info!(mount = %cfg.local_mount, url = %cfg.url, "relay connected");
    let mut icy = metaint.map(IcyReader::new);
    let mut audio = Vec::new();
    let mut titles = Vec::new();
    let mut got_data = false;
    let idle = shared.config.limits.source_timeout;
    let mut no_listeners_since: Option<tokio::time::Instant> = None;
    let mut last_data = tokio::time::Instant::now();
    loop {
        if !buf.is_empty() {
            got_data = true;
            match &mut icy {
                Some(r) => {
                    audio.clear();
                    r.feed(&buf, &mut audio, &mut titles);
                    for t in titles.drain(..) {
                        if let Some(title) = parse_stream_title(&t) {
                            let text = crate::query::decode_text(&title, None);
                            if let Ok(m) = Meta::new(text, None, None, &feed.mount.config.charset) {
                                feed.set_title(m);
                            }
                        }
                    }
                    feed.write(&audio);
                }
                None => feed.write(&buf),
            }
            buf.clear();
        }
        if cfg.on_demand {
            if feed.mount.listeners() == 0 {
                let since = *no_listeners_since.get_or_insert_with(tokio::time::Instant::now);
                if since.elapsed() >= ON_DEMAND_LINGER {
                    tracing::info!(mount = %cfg.local_mount, "on-demand relay stopped: no listeners");
                    return Ok(got_data);
                }
            } else {
                no_listeners_since = None;
            }
        }
        buf.reserve(16 * 1024);
        let idle_deadline = last_data + idle;
        let wake = feed
            .publish_deadline()
            .map(tokio::time::Instant::from_std)
            .map_or(idle_deadline, |p| p.min(idle_deadline));
        let r = tokio::select! {
            _ = kill.cancelled() => return Ok(got_data),
            r = tokio::time::timeout_at(wake, stream.read_buf(&mut buf)) => r,
        };
        match r {
            Ok(Ok(0)) => return Ok(got_data),
            Ok(Ok(_)) => last_data = tokio::time::Instant::now(),
            Ok(Err(e)) => return Err(Error::io(format!("reading from {}", cfg.url), e)),
            Err(_) if tokio::time::Instant::now() >= idle_deadline => {
                return Err(Error::Timeout(format!(
                    "{} sent nothing for {idle:?}",
                    cfg.url
                )));
            }
            Err(_) => feed.publish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://u:p@example.org:8001/live.mp3").unwrap(),
            Url {
                host: "example.org".into(),
                port: 8001,
                path: "/live.mp3".into(),
                user: Some("u".into()),
                password: Some("p".into()),
            }
        );
        assert_eq!(parse_url("icecast://h/m").unwrap().port, 8000);
        assert!(parse_url("ftp://h/m").is_err());
        assert!(parse_url("http://h:xx/m").is_err());
        assert!(parse_url("nonsense").is_err());
    }
}

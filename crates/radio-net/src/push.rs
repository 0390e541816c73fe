//! The upstream push client: act as a source towards another server.
//!
//! A [`PushClient`] connects to a remote Icecast2 server (`PUT`, falling back to `SOURCE`
//! for servers before 2.4) or a Shoutcast v1 server (password on port + 1), streams the
//! bytes it is given, and reconnects with exponential backoff when the connection fails.
//! The current title is sent with `/admin/metadata` (or Shoutcast's `/admin.cgi`) after
//! every (re)connect and on every change.
//!
//! Audio is live: while disconnected, bytes handed to the client are discarded rather
//! than queued, so a reconnect starts with current audio, not a backlog.

use crate::config::StreamInfo;
use crate::query::basic_header;
use crate::relay::{Url, parse_url};
use crate::request::parse_response_head;
use crate::{Error, Result};
use bytes::{Bytes, BytesMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Which protocol to speak to the upstream server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushProtocol {
    /// Icecast2: `PUT` with `Expect: 100-continue`, falling back to `SOURCE`.
    Icecast2,
    /// Icecast2 with `SOURCE` only (very old servers).
    IcecastSource,
    /// Shoutcast v1: password on the port after the URL's port.
    Shoutcast1,
}

/// Where and how to push.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// `http://host:port/mount` of the upstream (credentials may be in the URL).
    pub url: String,
    /// Source user (default `source`).
    pub username: String,
    /// Source password.
    pub password: String,
    /// Protocol.
    pub protocol: PushProtocol,
    /// `Content-Type` of the stream.
    pub content_type: String,
    /// Stream properties sent as `ice-*` / `icy-*` headers.
    pub info: StreamInfo,
    /// `ice-audio-info` to send.
    pub audio_info: Option<String>,
    /// First reconnect delay (doubles up to `max_retry`).
    pub retry: Duration,
    /// Longest reconnect delay.
    pub max_retry: Duration,
    /// Connect / handshake timeout.
    pub timeout: Duration,
}

impl PushConfig {
    /// A push of `content_type` audio to `url` with default timings.
    pub fn new(
        url: impl Into<String>,
        password: impl Into<String>,
        content_type: impl Into<String>,
    ) -> PushConfig {
        PushConfig {
            url: url.into(),
            username: "source".into(),
            password: password.into(),
            protocol: PushProtocol::Icecast2,
            content_type: content_type.into(),
            info: StreamInfo::default(),
            audio_info: None,
            retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Live figures of a push client.
#[derive(Debug, Default)]
pub struct PushStats {
    /// Whether it is connected now.
    pub connected: AtomicBool,
    /// Successful connections so far.
    pub connects: AtomicU64,
    /// Bytes delivered upstream.
    pub bytes_sent: AtomicU64,
    /// Bytes discarded while disconnected.
    pub bytes_dropped: AtomicU64,
}

/// A running push to one upstream server. Dropping it disconnects.
#[derive(Debug)]
pub struct PushClient {
    tx: mpsc::Sender<Bytes>,
    title: watch::Sender<Option<String>>,
    headers: watch::Sender<Option<Bytes>>,
    stats: Arc<PushStats>,
    stop: CancellationToken,
}

impl Drop for PushClient {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl PushClient {
    /// Starts the push task on the current tokio runtime.
    pub fn spawn(config: PushConfig) -> Result<PushClient> {
        let url = parse_url(&config.url).map_err(Error::Config)?;
        let (tx, rx) = mpsc::channel(256);
        let (title, title_rx) = watch::channel(None);
        let (headers, headers_rx) = watch::channel(None);
        let stats = Arc::new(PushStats::default());
        let stop = CancellationToken::new();
        tokio::spawn(run(
            config,
            url,
            rx,
            title_rx,
            headers_rx,
            stats.clone(),
            stop.clone(),
        ));
        Ok(PushClient {
            tx,
            title,
            headers,
            stats,
            stop,
        })
    }

    /// Hands audio to the client; waits only if the client is behind by 256 chunks.
    pub async fn send(&self, data: Bytes) {
        let _ = self.tx.send(data).await;
    }

    /// Hands audio over without waiting; `false` when the client's queue is full.
    pub fn try_send(&self, data: Bytes) -> bool {
        self.tx.try_send(data).is_ok()
    }

    /// Sets the title sent upstream (now and after every reconnect).
    pub fn set_title(&self, title: impl Into<String>) {
        let t = title.into();
        self.title.send_if_modified(|cur| {
            if cur.as_deref() == Some(&t) {
                false
            } else {
                *cur = Some(t);
                true
            }
        });
    }

    /// Sets the Ogg header pages of the current chain: each new connection gets them
    /// first, so an upstream that reconnects mid-stream can still decode (MP3 needs none).
    pub fn set_headers(&self, headers: Option<Bytes>) {
        self.headers.send_replace(headers);
    }

    /// Live figures.
    pub fn stats(&self) -> &PushStats {
        &self.stats
    }
}

async fn run(
    cfg: PushConfig,
    url: Url,
    mut rx: mpsc::Receiver<Bytes>,
    mut title_rx: watch::Receiver<Option<String>>,
    headers_rx: watch::Receiver<Option<Bytes>>,
    stats: Arc<PushStats>,
    stop: CancellationToken,
) {
    let mut delay = cfg.retry;
    let mut use_source = cfg.protocol == PushProtocol::IcecastSource;
    loop {
        let connected = tokio::select! {
            _ = stop.cancelled() => return,
            r = handshake(&cfg, &url, use_source) => r,
        };
        match connected {
            Ok(mut stream) => {
                tracing::info!(url = %cfg.url, "push connected");
                stats.connected.store(true, Ordering::Relaxed);
                stats.connects.fetch_add(1, Ordering::Relaxed);
                delay = cfg.retry;
                title_rx.mark_changed();
                let headers = headers_rx.borrow().clone();
                let end = match headers {
                    Some(h) => match stream.write_all(&h).await {
                        Ok(()) => None,
                        Err(e) => Some(Some(Error::io("writing to upstream", e))),
                    },
                    None => None,
                };
                let end = match end {
                    Some(e) => e,
                    None => {
                        stream_to(
                            &cfg,
                            &url,
                            &mut stream,
                            &mut rx,
                            &mut title_rx,
                            &stats,
                            &stop,
                        )
                        .await
                    }
                };
                stats.connected.store(false, Ordering::Relaxed);
                match end {
                    None => return,
                    Some(e) => tracing::warn!(url = %cfg.url, "push disconnected: {e}"),
                }
            }
            Err(HandshakeError::MethodRefused) if !use_source => {
                tracing::info!(url = %cfg.url, "upstream refused PUT; using SOURCE");
                use_source = true;
                continue;
            }
            Err(e) => tracing::warn!(url = %cfg.url, "push failed: {e}; retrying in {delay:?}"),
        }
        // While waiting, discard audio: it would be stale by the time we reconnect.
        let wait = tokio::time::sleep(delay);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = &mut wait => break,
                b = rx.recv() => match b {
                    Some(b) => { stats.bytes_dropped.fetch_add(b.len() as u64, Ordering::Relaxed); }
                    None => return,
                },
            }
        }
        delay = (delay * 2).min(cfg.max_retry);
    }
}

#[derive(Debug, thiserror::Error)]
enum HandshakeError {
    #[error("the server does not accept PUT")]
    MethodRefused,
    #[error("{0}")]
    Other(#[from] Error),
}

async fn handshake(
    cfg: &PushConfig,
    url: &Url,
    use_source: bool,
) -> std::result::Result<TcpStream, HandshakeError> {
    let user = url.user.clone().unwrap_or_else(|| cfg.username.clone());
    let pass = url.password.clone().unwrap_or_else(|| cfg.password.clone());
    let port = if cfg.protocol == PushProtocol::Shoutcast1 {
        url.port + 1
    } else {
        url.port
    };
    let addr = format!("{}:{port}", url.host);
    let mut stream = tokio::time::timeout(cfg.timeout, TcpStream::connect(&addr))
        .await
        .map_err(|_| Error::Timeout(format!("connecting to {addr}")))?
        .map_err(|e| Error::io(format!("connecting to {addr}"), e))?;
    let _ = stream.set_nodelay(true);
    let mut headers = String::new();
    let i = &cfg.info;
    let prefix = if cfg.protocol == PushProtocol::Shoutcast1 {
        "icy"
    } else {
        "ice"
    };
    for (k, v) in [
        ("name", i.name.clone()),
        ("genre", i.genre.clone()),
        ("description", i.description.clone()),
        ("url", i.url.clone()),
        (
            if prefix == "icy" { "pub" } else { "public" },
            i.public.map(|p| u8::from(p).to_string()),
        ),
        (
            if prefix == "icy" { "br" } else { "bitrate" },
            i.bitrate.map(|b| b.to_string()),
        ),
    ] {
        if let Some(v) = v {
            headers.push_str(&format!("{prefix}-{k}: {v}\r\n"));
        }
    }
    if let Some(ai) = &cfg.audio_info {
        headers.push_str(&format!("ice-audio-info: {ai}\r\n"));
    }
    let req = match cfg.protocol {
        PushProtocol::Shoutcast1 => format!(
            "{pass}\r\ncontent-type: {}\r\n{headers}\r\n",
            cfg.content_type
        ),
        _ if use_source => format!(
            "SOURCE {} HTTP/1.0\r\nAuthorization: {}\r\nUser-Agent: {}\r\nContent-Type: {}\r\n{headers}\r\n",
            url.path,
            basic_header(&user, &pass),
            crate::SERVER_ID,
            cfg.content_type
        ),
        _ => format!(
            "PUT {} HTTP/1.1\r\nHost: {}:{}\r\nAuthorization: {}\r\nUser-Agent: {}\r\nContent-Type: {}\r\nExpect: 100-continue\r\n{headers}\r\n",
            url.path,
            url.host,
            url.port,
            basic_header(&user, &pass),
            crate::SERVER_ID,
            cfg.content_type
        ),
    };
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| Error::io(format!("sending to {addr}"), e))?;
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        let n = tokio::time::timeout(cfg.timeout, stream.read_buf(&mut buf))
            .await
            .map_err(|_| Error::Timeout(format!("waiting for {addr} to accept the source")))?
            .map_err(|e| Error::io(format!("reading from {addr}"), e))?;
        if n == 0 {
            return Err(Error::Peer {
                peer: addr,
                message: "closed the connection (wrong password?)".into(),
            }
            .into());
        }
        if cfg.protocol == PushProtocol::Shoutcast1 {
            let text = String::from_utf8_lossy(&buf);
            if text.starts_with("OK2") {
                if crate::request::head_len(&buf).is_some() || text.contains("\r\n") {
                    return Ok(stream);
                }
                continue;
            }
            if text.contains('\n') {
                return Err(Error::Peer {
                    peer: addr,
                    message: format!("refused: {}", text.trim()),
                }
                .into());
            }
            continue;
        }
        loop {
            match parse_response_head(&buf, 8192) {
                Ok(Some((head, n))) => {
                    let _ = buf.split_to(n);
                    match head.status {
                        100 => continue,
                        200 => return Ok(stream),
                        400 | 404 | 405 | 501 if !use_source => {
                            return Err(HandshakeError::MethodRefused);
                        }
                        s => {
                            return Err(Error::Peer {
                                peer: addr,
                                message: format!("refused the source with status {s}"),
                            }
                            .into());
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(Error::Peer {
                        peer: addr,
                        message: format!("bad answer: {e}"),
                    }
                    .into());
                }
            }
        }
    }
}

/// Streams until the connection fails (`Some(error)`) or the client stops (`None`).
async fn stream_to(
    cfg: &PushConfig,
    url: &Url,
    stream: &mut TcpStream,
    rx: &mut mpsc::Receiver<Bytes>,
    title_rx: &mut watch::Receiver<Option<String>>,
    stats: &PushStats,
    stop: &CancellationToken,
) -> Option<Error> {
    let mut sink = [0u8; 1024];
    loop {
        tokio::select! {
            _ = stop.cancelled() => return None,
            b = rx.recv() => {
                let b = b?;
                match tokio::time::timeout(cfg.timeout, stream.write_all(&b)).await {
                    Ok(Ok(())) => { stats.bytes_sent.fetch_add(b.len() as u64, Ordering::Relaxed); }
                    Ok(Err(e)) => return Some(Error::io("writing to upstream", e)),
                    Err(_) => return Some(Error::Timeout("upstream stopped reading".into())),
                }
            }
            r = title_rx.changed() => {
                if r.is_err() {
                    return None;
                }
                let title = title_rx.borrow_and_update().clone();
                if let Some(t) = title {
                    let (cfg, url) = (cfg.clone(), url.clone());
                    // The title goes on its own connection; never hold up the audio for it.
                    tokio::spawn(async move {
                        if let Err(e) = send_title(&cfg, &url, &t).await {
                            tracing::warn!(url = %cfg.url, "title update failed: {e}");
                        }
                    });
                }
            }
            r = stream.read(&mut sink) => match r {
                Ok(0) => return Some(Error::Peer { peer: cfg.url.clone(), message: "closed the connection".into() }),
                Ok(_) => {}
                Err(e) => return Some(Error::io("reading from upstream", e)),
            },
        }
    }
}

fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Sends a title update to the upstream server.
pub async fn send_title(cfg: &PushConfig, url: &Url, title: &str) -> Result<()> {
    let user = url.user.clone().unwrap_or_else(|| cfg.username.clone());
    let pass = url.password.clone().unwrap_or_else(|| cfg.password.clone());
    let (path, auth) = if cfg.protocol == PushProtocol::Shoutcast1 {
        (
            format!(
                "/admin.cgi?pass={}&mode=updinfo&song={}",
                encode_component(&pass),
                encode_component(title)
            ),
            String::new(),
        )
    } else {
        (
            format!(
                "/admin/metadata?mount={}&mode=updinfo&charset=UTF-8&song={}",
                encode_component(&url.path),
                encode_component(title)
            ),
            format!("Authorization: {}\r\n", basic_header(&user, &pass)),
        )
    };
    let target = Url {
        path,
        user: None,
        password: None,
        ..url.clone()
    };
    let (_, _, _) = crate::relay::connect_get(&target, &auth, cfg.timeout).await?;
    Ok(())
}

/// Pushes a local mount upstream for as long as the server runs: whenever the mount
/// has a source, a [`PushClient`] streams it (Ogg headers first) with its titles.
pub(crate) async fn bridge(shared: Arc<crate::server::Shared>, path: String, cfg: PushConfig) {
    use crate::mount::ReadOutcome;
    let mut poll = tokio::time::interval(Duration::from_secs(1));
    loop {
        // Wait for the mount to exist and be live.
        let mount = loop {
            if let Some(m) = shared.mount(&path).filter(|m| m.is_live()) {
                break m;
            }
            tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                _ = poll.tick() => {}
            }
        };
        let mut c = cfg.clone();
        c.content_type = mount.content_type().unwrap_or(c.content_type);
        c.info = mount.stream_info();
        c.audio_info = mount.audio_info();
        let client = match PushClient::spawn(c) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(mount = %path, "push disabled: {e}");
                return;
            }
        };
        let mut rx = mount.subscribe();
        let (mut cursor, headers) = mount.start_cursor();
        if let Some(h) = headers {
            client.send(h).await;
        }
        let mut chunks = Vec::new();
        let mut last_title: Option<Arc<crate::icy::Meta>> = None;
        loop {
            rx.mark_unchanged();
            chunks.clear();
            match mount.read(&mut cursor, 256 * 1024, &mut chunks) {
                ReadOutcome::FellBehind => {
                    let (c, _) = mount.start_cursor();
                    cursor = c;
                    continue;
                }
                ReadOutcome::Data { .. } => {}
            }
            for ch in &chunks {
                if !last_title
                    .as_ref()
                    .is_some_and(|t| Arc::ptr_eq(t, &ch.meta))
                {
                    if !ch.meta.title.is_empty() {
                        client.set_title(ch.meta.title.clone());
                    }
                    last_title = Some(ch.meta.clone());
                }
                client.send(ch.data.clone()).await;
            }
            if !chunks.is_empty() {
                continue;
            }
            if !mount.is_live() {
                break;
            }
            tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                r = rx.changed() => if r.is_err() { break },
            }
        }
    }
}

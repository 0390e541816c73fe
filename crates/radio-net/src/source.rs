//! Source ingest: Icecast2 (`PUT` / `SOURCE`) on the main port and Shoutcast v1 on
//! port + 1.
//!
//! Checks run in Icecast's order — credentials, mount free, source limit, content type —
//! and each refusal says why. After the `200 OK` the socket carries audio (possibly
//! chunked), which goes through a [`SourceFeed`] into the mount. A source that sends
//! nothing for `source_timeout` is dropped even though its TCP connection stays open.

use crate::chunked::ChunkedDecoder;
use crate::config::StreamInfo;
use crate::host::{SourceLogin, SourceProtocol, SourceSink, SourceVerdict};
use crate::mount::{SourceFeed, SourceInfo};
use crate::query::parse_basic;
use crate::request::RequestHead;
use crate::response::Response;
use crate::server::{AttachError, Shared};
use bytes::BytesMut;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Whether `user`/`password` may feed `mount`. Both must match.
pub(crate) fn source_allowed(shared: &Shared, mount: &str, user: &str, password: &str) -> bool {
    let auth = &shared.config.auth;
    match shared.config.mount(mount) {
        Some(m) if m.password.is_some() => {
            let want_user = m.username.as_deref().unwrap_or(&auth.source_user);
            user == want_user && Some(password) == m.password.as_deref()
        }
        _ => user == auth.source_user && Some(password) == auth.source_password.as_deref(),
    }
}

/// Stream properties from a source's headers (first present header wins).
fn stream_info(head: &RequestHead) -> (StreamInfo, Option<String>) {
    let audio_info = head.header("ice-audio-info").map(str::to_string);
    let audio_pairs =
        crate::query::Query::parse(&audio_info.clone().unwrap_or_default().replace(';', "&"));
    let bitrate = head
        .first_header(&["ice-bitrate", "icy-br", "x-audiocast-bitrate"])
        .map(str::to_string)
        .or_else(|| audio_pairs.get("bitrate"))
        .or_else(|| audio_pairs.get("ice-bitrate"))
        .and_then(|v| v.trim().parse().ok());
    let public = head
        .first_header(&["ice-public", "icy-pub", "x-audiocast-public", "icy-public"])
        .map(|v| matches!(v.trim(), "1" | "true" | "yes"));
    let s = |names: &[&str]| head.first_header(names).map(str::to_string);
    (
        StreamInfo {
            name: s(&["ice-name", "icy-name", "x-audiocast-name"]),
            genre: s(&["ice-genre", "icy-genre", "x-audiocast-genre"]),
            description: s(&[
                "ice-description",
                "icy-description",
                "x-audiocast-description",
            ]),
            url: s(&["ice-url", "icy-url", "x-audiocast-url"]),
            public,
            bitrate,
        },
        audio_info,
    )
}

/// An Icecast2 source: `SOURCE /m ICE/1.0`, `PUT /m HTTP/1.1` (or Liquidsoap's `POST`).
pub(crate) async fn handle_icecast(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
    head: RequestHead,
    rest: BytesMut,
) {
    let path = head.path().to_string();
    if !path.starts_with('/') || path.len() < 2 || path.contains("/../") {
        Response::text(400, "Mount must start with '/'")
            .send(&mut stream)
            .await;
        return;
    }
    let creds = head.header("authorization").and_then(parse_basic);
    if let Some(host) = shared.host() {
        let (user, password) = creds.clone().unwrap_or_default();
        let login = SourceLogin {
            mount: &path,
            user: &user,
            password: &password,
            peer,
            protocol: SourceProtocol::Icecast,
            head: &head,
        };
        match host.source(&login) {
            SourceVerdict::NotMine => {}
            SourceVerdict::Refuse { status, reason } => {
                tracing::info!(%peer, mount = %path, user = %user, "source refused: {reason}");
                let mut r = Response::text(status, &reason);
                if status == 401 {
                    r = r.header("WWW-Authenticate", "Basic realm=\"Icecast2 Server\"");
                }
                r.send(&mut stream).await;
                return;
            }
            SourceVerdict::Accept { sink, kill } => {
                if !shared.try_add_source() {
                    Response::text(403, "too many sources connected")
                        .send(&mut stream)
                        .await;
                    return;
                }
                if head.expects_continue() {
                    let _ = stream
                        .write_all(b"HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n")
                        .await;
                }
                if stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n").await.is_ok() {
                    tracing::info!(%peer, mount = %path, user = %user, "source connected");
                    shared
                        .source_connections
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let chunked = head.is_chunked().then(ChunkedDecoder::new);
                    let ingest = HostIngest {
                        sink,
                        mount: path.clone(),
                    };
                    let received =
                        run_source(&shared, &mut stream, ingest, kill, rest, chunked).await;
                    tracing::info!(%peer, mount = %path, bytes = received, "source disconnected");
                }
                shared
                    .sources
                    .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
                return;
            }
        }
    }
    let allowed = creds
        .as_ref()
        .is_some_and(|(u, p)| source_allowed(&shared, &path, u, p));
    if !allowed {
        tracing::info!(%peer, mount = %path, "source refused: wrong or missing credentials");
        Response::unauthorized().send(&mut stream).await;
        return;
    }
    let content_type = match head.header("content-type") {
        Some(ct) if !ct.trim().is_empty() => ct.trim().to_string(),
        _ if head.method == "SOURCE" => "audio/mpeg".to_string(),
        _ => {
            Response::text(403, "No Content-type given")
                .send(&mut stream)
                .await;
            return;
        }
    };
    let (info, audio_info) = stream_info(&head);
    let source = SourceInfo {
        content_type,
        info,
        audio_info,
        ip: peer.ip().to_string(),
        user_agent: head.header("user-agent").unwrap_or("").to_string(),
    };
    let (feed, kill) = match shared.attach(&path, source) {
        Ok(x) => x,
        Err(e) => {
            tracing::info!(%peer, mount = %path, "source refused: {e}");
            let status = if e == AttachError::NotConfigured {
                404
            } else {
                403
            };
            Response::text(status, &e.to_string())
                .send(&mut stream)
                .await;
            return;
        }
    };
    if head.expects_continue() {
        let _ = stream
            .write_all(b"HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n")
            .await;
    }
    // Old DarkIce versions need exactly this line and nothing else.
    if stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n").await.is_err() {
        return;
    }
    tracing::info!(%peer, mount = %path, method = %head.method, "source connected");
    let chunked = head.is_chunked().then(ChunkedDecoder::new);
    let user = creds.map(|(u, _)| u).unwrap_or_default();
    let request_line = format!("{} {} {}", head.method, path, head.protocol);
    let ua = head.header("user-agent").unwrap_or("").to_string();
    let started = Instant::now();
    let started_wall = chrono::Utc::now();
    let received = run_source(&shared, &mut stream, feed, kill, rest, chunked).await;
    tracing::info!(%peer, mount = %path, bytes = received, "source disconnected");
    if let Some(log) = &shared.access_log {
        log.line(crate::accesslog::Entry {
            ip: peer.ip().to_string(),
            user,
            start: started_wall,
            request: request_line,
            status: 200,
            bytes: received,
            referer: String::new(),
            user_agent: ua,
            duration: started.elapsed(),
        });
    }
}

/// Reads until `parse` finds its part of a Shoutcast login in `buf`, consuming it.
/// `None` on a malformed login (logged), EOF or the header timeout.
async fn read_login<T>(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    deadline: tokio::time::Instant,
    peer: SocketAddr,
    parse: fn(&[u8]) -> crate::shoutcast::Parsed<T>,
) -> Option<T> {
    loop {
        match parse(buf) {
            Ok(Some((value, n))) => {
                let _ = buf.split_to(n);
                return Some(value);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::info!(%peer, "shoutcast source refused: {e}");
                return None;
            }
        }
        match tokio::time::timeout_at(deadline, stream.read_buf(buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return None,
        }
    }
}

/// Shoutcast v1: `password\r\n`, `OK2`, `icy-*` lines, a blank line, then audio.
/// Clients pipeline all of it without waiting for `OK2`.
pub(crate) async fn handle_shoutcast(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
    path: Arc<str>,
) {
    let deadline = tokio::time::Instant::now() + shared.config.limits.header_timeout;
    let mut buf = BytesMut::with_capacity(1024);
    let path = path.to_string();
    if let Some(host) = shared.host()
        && host_shoutcast(&shared, host, &mut stream, peer, &path, &mut buf, deadline).await
    {
        return;
    }
    // The password line.
    let Some(password) = read_login(
        &mut stream,
        &mut buf,
        deadline,
        peer,
        crate::shoutcast::password_line,
    )
    .await
    else {
        return;
    };
    let user = shared
        .config
        .mount(&path)
        .and_then(|m| m.username.clone())
        .unwrap_or_else(|| shared.config.auth.source_user.clone());
    if !source_allowed(&shared, &path, &user, &password) {
        tracing::info!(%peer, mount = %path, "shoutcast source refused: invalid password");
        let _ = stream.write_all(b"invalid password\r\n").await;
        return;
    }
    if stream
        .write_all(b"OK2\r\nicy-caps:11\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    // The icy-* header block (possibly already in `buf`).
    let Some(headers) = read_login(
        &mut stream,
        &mut buf,
        deadline,
        peer,
        crate::shoutcast::header_block,
    )
    .await
    else {
        return;
    };
    let head = RequestHead {
        method: "SOURCE".into(),
        target: path.clone(),
        protocol: "ICY".into(),
        headers,
    };
    let (info, audio_info) = stream_info(&head);
    let source = SourceInfo {
        content_type: head
            .header("content-type")
            .filter(|c| !c.is_empty())
            .unwrap_or("audio/mpeg")
            .to_string(),
        info,
        audio_info,
        ip: peer.ip().to_string(),
        user_agent: head
            .header("user-agent")
            .unwrap_or("Shoutcast v1 source")
            .to_string(),
    };
    let (feed, kill) = match shared.attach(&path, source) {
        Ok(x) => x,
        Err(e) => {
            tracing::info!(%peer, mount = %path, "shoutcast source refused: {e}");
            let _ = stream.write_all(format!("{e}\r\n").as_bytes()).await;
            return;
        }
    };
    tracing::info!(%peer, mount = %path, "shoutcast source connected");
    let started = Instant::now();
    let started_wall = chrono::Utc::now();
    let received = run_source(&shared, &mut stream, feed, kill, buf, None).await;
    tracing::info!(%peer, mount = %path, bytes = received, "shoutcast source disconnected");
    if let Some(log) = &shared.access_log {
        log.line(crate::accesslog::Entry {
            ip: peer.ip().to_string(),
            user: user.clone(),
            start: started_wall,
            request: format!("SOURCE {path} ICY"),
            status: 200,
            bytes: received,
            referer: String::new(),
            user_agent: head.header("user-agent").unwrap_or("").to_string(),
            duration: started.elapsed(),
        });
    }
}

/// Where a source's bytes go: a mount, or a host's sink.
trait Ingest {
    fn write(&mut self, data: &[u8]);
    fn publish_deadline(&self) -> Option<Instant>;
    fn publish(&mut self);
    fn mount_path(&self) -> &str;
}

impl Ingest for SourceFeed {
    fn write(&mut self, data: &[u8]) {
        SourceFeed::write(self, data);
    }
    fn publish_deadline(&self) -> Option<Instant> {
        SourceFeed::publish_deadline(self)
    }
    fn publish(&mut self) {
        SourceFeed::publish(self);
    }
    fn mount_path(&self) -> &str {
        SourceFeed::mount_path(self)
    }
}

/// A host's sink and the mount path it was accepted for.
struct HostIngest {
    sink: Box<dyn SourceSink>,
    mount: String,
}

impl Ingest for HostIngest {
    fn write(&mut self, data: &[u8]) {
        self.sink.write(data);
    }
    fn publish_deadline(&self) -> Option<Instant> {
        None
    }
    fn publish(&mut self) {}
    fn mount_path(&self) -> &str {
        &self.mount
    }
}

/// A Shoutcast v1 login the host may take: `true` when it did (accepted or refused).
async fn host_shoutcast(
    shared: &Arc<Shared>,
    host: &Arc<dyn crate::host::Host>,
    stream: &mut TcpStream,
    peer: SocketAddr,
    path: &str,
    buf: &mut BytesMut,
    deadline: tokio::time::Instant,
) -> bool {
    // Only the password line is needed to decide; read it without consuming.
    loop {
        match crate::shoutcast::password_line(buf) {
            Ok(Some(_)) => break,
            Ok(None) => {}
            Err(_) => return false,
        }
        match tokio::time::timeout_at(deadline, stream.read_buf(buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return false,
        }
    }
    let Ok(Some((password, n))) = crate::shoutcast::password_line(buf) else {
        return false;
    };
    let empty = RequestHead {
        method: "SOURCE".into(),
        target: path.to_string(),
        protocol: "ICY".into(),
        headers: Vec::new(),
    };
    let login = SourceLogin {
        mount: path,
        user: "",
        password: &password,
        peer,
        protocol: SourceProtocol::Shoutcast,
        head: &empty,
    };
    match host.source(&login) {
        SourceVerdict::NotMine => false,
        SourceVerdict::Refuse { reason, .. } => {
            tracing::info!(%peer, mount = %path, "shoutcast source refused: {reason}");
            let _ = stream.write_all(format!("{reason}\r\n").as_bytes()).await;
            true
        }
        SourceVerdict::Accept { sink, kill } => {
            let _ = buf.split_to(n);
            if !shared.try_add_source() {
                let _ = stream.write_all(b"too many sources connected\r\n").await;
                return true;
            }
            if stream
                .write_all(b"OK2\r\nicy-caps:11\r\n\r\n")
                .await
                .is_ok()
                && read_login(stream, buf, deadline, peer, crate::shoutcast::header_block)
                    .await
                    .is_some()
            {
                tracing::info!(%peer, mount = %path, "shoutcast source connected");
                shared
                    .source_connections
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let ingest = HostIngest {
                    sink,
                    mount: path.to_string(),
                };
                let first = std::mem::take(buf);
                let received = run_source(shared, stream, ingest, kill, first, None).await;
                tracing::info!(%peer, mount = %path, bytes = received, "shoutcast source disconnected");
            }
            shared
                .sources
                .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            true
        }
    }
}

/// Moves audio from the socket into the mount until EOF, error, idle timeout, kill or
/// shutdown. Returns the bytes received.
async fn run_source(
    shared: &Shared,
    stream: &mut TcpStream,
    mut feed: impl Ingest,
    kill: CancellationToken,
    first: BytesMut,
    mut chunked: Option<ChunkedDecoder>,
) -> u64 {
    let timeout = shared.config.limits.source_timeout;
    let mut received = 0u64;
    let mut decoded = Vec::new();
    let mut input = first;
    let mut last_data = tokio::time::Instant::now();
    loop {
        if !input.is_empty() {
            received += input.len() as u64;
            last_data = tokio::time::Instant::now();
            match &mut chunked {
                Some(d) => {
                    decoded.clear();
                    if let Err(e) = d.decode(&input, &mut decoded) {
                        tracing::warn!(mount = feed.mount_path(), "source dropped: {e}");
                        break;
                    }
                    feed.write(&decoded);
                    if d.is_done() {
                        break;
                    }
                }
                None => feed.write(&input),
            }
            input.clear();
        }
        let idle_deadline = last_data + timeout;
        let wake = match feed.publish_deadline() {
            Some(p) => idle_deadline.min(tokio::time::Instant::from_std(p)),
            None => idle_deadline,
        };
        input.reserve(16 * 1024);
        let r = tokio::select! {
            _ = kill.cancelled() => {
                tracing::info!(mount = feed.mount_path(), "source killed");
                break;
            }
            r = tokio::time::timeout_at(wake, stream.read_buf(&mut input)) => r,
        };
        match r {
            Ok(Ok(0)) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::info!(mount = feed.mount_path(), "source read error: {e}");
                break;
            }
            Err(_) => {
                if tokio::time::Instant::now() >= idle_deadline {
                    tracing::warn!(
                        mount = feed.mount_path(),
                        "source dropped: no data for {} s",
                        timeout.as_secs_f32()
                    );
                    break;
                }
                feed.publish();
            }
        }
    }
    drop(feed);
    received
}

//! `GET`/`HEAD` routing: admin commands, status pages, playlists, mounts, static files.
//!
//! Order as in Icecast: `/admin/*` and `/admin.cgi`, the status documents, then mounts
//! (and their `.m3u`/`.xspf`/`.pls` playlists), then files from the web root. The query
//! string never takes part in matching, so cache-busters work.

use crate::listener::{LogInfo, Sink};
use crate::mount::Mount;
use crate::request::RequestHead;
use crate::response::Response;
use crate::server::{ClientEntry, Shared};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Serves a page, or admits a listener and returns it for its mount's driver.
pub(crate) async fn handle_get(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    head: RequestHead,
) -> Option<(Arc<Mount>, Sink)> {
    let path = head.path();
    let page = path.starts_with("/admin/")
        || path == "/admin.cgi"
        || matches!(
            path,
            "/" | "/status-json.xsl"
                | "/status-json.json"
                | "/info.json"
                | "/info.html"
                | "/status.xsl"
                | "/status.html"
                | "/monitor.html"
                | "/monitor/events"
        );
    match shared.mount(path).filter(|_| !page) {
        Some(mount) => admit(&shared, stream, peer, head, mount).await,
        None => {
            serve_page(shared, stream, peer, head).await;
            None
        }
    }
}

/// Everything that is not a mount: admin, status documents, playlists, static files.
async fn serve_page(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
    head: RequestHead,
) {
    let path = head.path().to_string();
    let head_only = head.method == "HEAD";
    let resp = if path.starts_with("/admin/") || path == "/admin.cgi" {
        crate::admin::handle(&shared, &head, peer).await
    } else {
        match path.as_str() {
            "/" => Response::new(301, "text/plain", "").header("Location", "/info.html"),
            "/status-json.xsl" | "/status-json.json" => crate::status::status_json(&shared, &head),
            "/info.json" => crate::status::info_json(&shared, &head),
            "/info.html" | "/status.xsl" | "/status.html" => {
                crate::status::info_html(&shared, &head)
            }
            "/monitor.html" if shared.config.monitor_interval.is_some() => {
                crate::status::monitor_html(&shared)
            }
            "/monitor/events" if shared.config.monitor_interval.is_some() => {
                crate::status::monitor_events(&shared, stream, head_only).await;
                return;
            }
            _ => match playlist(&shared, &head, &path) {
                Some(r) => r,
                None => crate::status::static_file(&shared, &path).await,
            },
        }
    };
    let mut resp = resp;
    resp.head_only = head_only;
    resp.send(&mut stream).await;
}

/// `/m.m3u`, `/m.pls`, `/m.xspf` for a known mount.
fn playlist(shared: &Shared, head: &RequestHead, path: &str) -> Option<Response> {
    let (base, ext) = path.rsplit_once('.')?;
    if !matches!(ext, "m3u" | "pls" | "xspf") {
        return None;
    }
    let mount = shared.mount(base)?;
    let url = shared.listen_url(head.header("host"), &mount.path);
    Some(match ext {
        "m3u" => Response::new(200, "audio/x-mpegurl", format!("{url}\r\n"))
            .header("Content-Disposition", "attachment; filename=\"listen.m3u\""),
        "pls" => Response::new(
            200,
            "audio/x-scpls",
            format!(
                "[playlist]\r\nNumberOfEntries=1\r\nFile1={url}\r\nTitle1={}\r\nLength1=-1\r\nVersion=2\r\n",
                mount.path
            ),
        ),
        _ => Response::new(
            200,
            "application/xspf+xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\n<trackList><track><location>{}</location></track></trackList>\n</playlist>\n",
                crate::query::escape_html(&url)
            ),
        ),
    })
}

/// Picks the mount a new listener actually joins: the mount itself when live, else its
/// live fallback (a chain of up to 10); on-demand relays are joined while they connect.
fn resolve(shared: &Shared, mount: &Arc<Mount>) -> Option<Arc<Mount>> {
    let mut m = mount.clone();
    for _ in 0..10 {
        if m.is_live() || m.on_demand {
            return Some(m);
        }
        m = shared.mount(m.config.fallback.as_deref()?)?;
    }
    None
}

/// The listener headers of a mount.
fn listener_headers(mount: &Mount, icy: bool, content_type: &str) -> String {
    let info = mount.stream_info();
    let mut h = format!(
        "HTTP/1.0 200 OK\r\nServer: {}\r\nDate: {}\r\nContent-Type: {content_type}\r\nCache-Control: no-cache, no-store\r\nExpires: Mon, 26 Jul 1997 05:00:00 GMT\r\nPragma: no-cache\r\nConnection: Close\r\nAccess-Control-Allow-Origin: *\r\n",
        crate::SERVER_ID,
        crate::response::http_date()
    );
    let mut add = |name: &str, value: &str| {
        // Header values must stay on one line.
        let v: String = value.chars().filter(|c| !c.is_control()).collect();
        h.push_str(&format!("{name}:{v}\r\n"));
    };
    if let Some(br) = info.bitrate {
        add("icy-br", &br.to_string());
    }
    if let Some(ai) = mount.audio_info() {
        add("ice-audio-info", &ai);
    }
    if let Some(d) = &info.description {
        add("icy-description", d);
    }
    if let Some(g) = &info.genre {
        add("icy-genre", g);
    }
    add("icy-name", info.name.as_deref().unwrap_or(&mount.path));
    add("icy-pub", if info.public == Some(true) { "1" } else { "0" });
    if let Some(u) = &info.url {
        add("icy-url", u);
    }
    // PenguinCast's listeners expect these.
    add(
        "X-Audiocast-Name",
        info.name.as_deref().unwrap_or(&mount.path),
    );
    if let Some(g) = &info.genre {
        add("X-Audiocast-Genre", g);
    }
    if let Some(d) = &info.description {
        add("X-Audiocast-Description", d);
    }
    if let Some(u) = &info.url {
        add("X-Audiocast-Url", u);
    }
    if let Some(br) = info.bitrate {
        add("X-Audiocast-Bitrate", &br.to_string());
    }
    add(
        "X-Audiocast-Public",
        if info.public == Some(true) { "1" } else { "0" },
    );
    if icy {
        add("icy-metaint", &mount.metaint.to_string());
    }
    h.push_str("\r\n");
    h
}

/// A Safari/iOS probe (`Range: bytes=0-1`) asks for a couple of bytes to learn the type.
fn is_probe(head: &RequestHead) -> bool {
    head.header("range").is_some_and(|r| {
        let r = r.trim().to_ascii_lowercase();
        r.strip_prefix("bytes=0-")
            .and_then(|end| end.parse::<u64>().ok())
            .is_some_and(|end| end < 16)
    })
}

async fn admit(
    shared: &Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
    head: RequestHead,
    asked: Arc<Mount>,
) -> Option<(Arc<Mount>, Sink)> {
    let Some(mut mount) = resolve(shared, &asked) else {
        Response::text(404, "The source is not connected")
            .send(&mut stream)
            .await;
        return None;
    };
    let icy = head.header("icy-metadata").is_some_and(|v| v.trim() == "1")
        && mount.format().supports_icy();
    let content_type = mount
        .content_type()
        .unwrap_or_else(|| "audio/mpeg".to_string());
    if head.method == "HEAD" {
        let _ = stream
            .write_all(listener_headers(&mount, icy, &content_type).as_bytes())
            .await;
        return None;
    }
    if is_probe(&head) {
        // Answer with the headers and the two bytes asked for, and do not count it as a
        // listener (counting it doubles listener figures on iOS).
        let mut bytes = listener_headers(&mount, false, &content_type).into_bytes();
        bytes.extend_from_slice(&[0xFF, 0xFB]);
        let _ = stream.write_all(&bytes).await;
        return None;
    }
    if !shared.try_add_listener() {
        Response::text(403, "Server listener limit reached")
            .send(&mut stream)
            .await;
        return None;
    }
    if !mount.try_add_listener() {
        let fallback = mount
            .config
            .fallback_when_full
            .then(|| {
                mount
                    .config
                    .fallback
                    .as_deref()
                    .and_then(|f| shared.mount(f))
            })
            .flatten()
            .filter(|f| f.is_live() && f.try_add_listener());
        match fallback {
            Some(f) => mount = f,
            None => {
                shared.listeners.fetch_sub(1, Ordering::AcqRel);
                Response::text(403, "max listeners reached for this mount")
                    .send(&mut stream)
                    .await;
                return None;
            }
        }
    }
    if mount.on_demand {
        mount.demand.notify_one();
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let user_agent = head.header("user-agent").unwrap_or("").to_string();
    shared
        .clients
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(
            id,
            ClientEntry {
                mount: mount.path.clone(),
                ip: peer.ip().to_string(),
                user_agent: user_agent.clone(),
                connected: Instant::now(),
            },
        );
    shared.listener_connections.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let started_wall = chrono::Utc::now();
    // Keep only what the access log needs: the request head and the header text would
    // otherwise live as long as the listener.
    let referer = head.header("referer").unwrap_or("").to_string();
    let request = format!("GET {} {}", asked.path, head.protocol);
    drop(head);
    let header_bytes = listener_headers(&mount, icy, &content_type);
    let header_len = header_bytes.len() as u64;
    let wrote = stream.write_all(header_bytes.as_bytes()).await.is_ok();
    drop(header_bytes);
    if !wrote {
        shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        mount.remove_listener();
        shared.listeners.fetch_sub(1, Ordering::AcqRel);
        return None;
    }
    let metaint = icy.then_some(mount.metaint);
    let info = LogInfo {
        peer,
        started,
        started_wall,
        user_agent,
        referer,
        request,
        header_len,
    };
    let sink = Sink::new(id, stream, asked, metaint, info, None);
    Some((mount, sink))
}

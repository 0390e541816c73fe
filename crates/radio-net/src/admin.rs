//! Icecast's admin commands: `metadata`, `listmounts`, `listclients`, `killclient`,
//! `killsource`, `moveclients`, `stats`, and Shoutcast's `/admin.cgi` title updates.
//!
//! Everything needs the admin credentials, except title updates, which the mount's
//! source credentials may also make. Replies are Icecast's XML (`<iceresponse>`).

use crate::framing::StreamFormat;
use crate::icy::Meta;
use crate::listener::{DriverCmd, dispatch};
use crate::query::{Query, escape_html as esc, parse_basic};
use crate::request::RequestHead;
use crate::response::Response;
use crate::server::Shared;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

fn xml(status: u16, body: String) -> Response {
    Response::new(
        status,
        "text/xml; charset=utf-8",
        format!("<?xml version=\"1.0\"?>\n{body}\n"),
    )
}

fn ice_response(ok: bool, message: &str) -> Response {
    let status = if ok { 200 } else { 400 };
    xml(
        status,
        format!(
            "<iceresponse><message>{}</message><return>{}</return></iceresponse>",
            esc(message),
            u8::from(ok)
        ),
    )
}

fn is_admin(shared: &Shared, user: &str, pass: &str) -> bool {
    let a = &shared.config.auth;
    a.admin_password.as_deref() == Some(pass) && user == a.admin_user
}

pub(crate) async fn handle(shared: &Arc<Shared>, head: &RequestHead, peer: SocketAddr) -> Response {
    let query = Query::parse(head.query());
    let creds = head.header("authorization").and_then(parse_basic);
    let path = head.path();
    if path == "/admin.cgi" {
        return admin_cgi(shared, &query);
    }
    let command = path.trim_start_matches("/admin/").trim_end_matches(".xsl");
    let admin = creds.as_ref().is_some_and(|(u, p)| is_admin(shared, u, p));
    if command == "metadata" {
        let mount = query.get("mount").unwrap_or_default();
        if let Some(r) = host_metadata(
            shared,
            &query,
            &mount,
            creds.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
        ) {
            return r;
        }
        let source_ok = creds
            .as_ref()
            .is_some_and(|(u, p)| crate::source::source_allowed(shared, &mount, u, p));
        if !admin && !source_ok {
            return Response::unauthorized();
        }
        return metadata(shared, &query, &mount);
    }
    if !admin {
        tracing::info!(%peer, command, "admin request refused: wrong or missing credentials");
        return Response::unauthorized();
    }
    match command {
        "listmounts" => listmounts(shared),
        "listclients" => listclients(shared, &query),
        "killclient" => killclient(shared, &query),
        "killsource" => {
            let mount = query.get("mount").unwrap_or_default();
            match shared.mount(&mount) {
                Some(m) if m.kill_source() => ice_response(true, "Source Removed"),
                _ => ice_response(false, "Source does not exist"),
            }
        }
        "moveclients" => moveclients(shared, &query),
        "stats" => stats(shared),
        _ => ice_response(false, "Unrecognised command"),
    }
}

/// The title an update carries: `song`, or `artist - title`, decoded from `charset`;
/// and the artist when sent separately.
fn song_of(q: &Query) -> Option<(String, Option<String>)> {
    let charset = q.get("charset");
    let charset = charset.as_deref();
    let song = q.get_in("song", charset);
    let artist = q.get_in("artist", charset).filter(|a| !a.is_empty());
    let title = q.get_in("title", charset);
    let text = match (song, &artist, title) {
        (Some(s), _, _) => s,
        (None, Some(a), Some(t)) if !t.is_empty() => format!("{a} - {t}"),
        (None, Some(a), _) => a.clone(),
        (None, None, Some(t)) => t,
        (None, None, None) => return None,
    };
    Some((text, artist))
}

/// A metadata update for a mount the host owns (a station's live input).
fn host_metadata(
    shared: &Shared,
    q: &Query,
    mount: &str,
    creds: Option<(&str, &str)>,
) -> Option<Response> {
    let host = shared.host()?;
    if q.get("mode").as_deref() != Some("updinfo") {
        return None;
    }
    let (song, artist) = song_of(q).unwrap_or_default();
    let update = crate::host::MetadataUpdate {
        mount,
        user: creds.map(|c| c.0),
        password: creds.map(|c| c.1),
        song: &song,
        artist: artist.as_deref(),
    };
    match host.metadata(&update) {
        crate::host::MetadataVerdict::NotMine => None,
        crate::host::MetadataVerdict::Refuse(401, _) => Some(Response::unauthorized()),
        crate::host::MetadataVerdict::Refuse(status, reason) => {
            Some(Response::text(status, &reason))
        }
        crate::host::MetadataVerdict::Done => {
            tracing::info!(mount, title = %song, "metadata updated");
            Some(ice_response(true, "Metadata update successful"))
        }
    }
}

/// Sets a mount's title from `song` (or `artist` + `title`), decoded from `charset`.
fn metadata(shared: &Shared, q: &Query, mount_path: &str) -> Response {
    if q.get("mode").as_deref() != Some("updinfo") {
        return ice_response(false, "No such mode");
    }
    let Some(mount) = shared.mount(mount_path).filter(|m| m.is_live()) else {
        return ice_response(false, "Source does not exist");
    };
    let Some((text, artist)) = song_of(q) else {
        return ice_response(false, "No metadata given");
    };
    let charset = q.get("charset");
    let charset = charset.as_deref();
    let url = q.get_in("url", charset);
    match Meta::new(text.clone(), artist, url.as_deref(), &mount.config.charset) {
        Ok(meta) => {
            mount.set_meta(meta);
            tracing::info!(mount = mount_path, title = %text, "metadata updated");
            if mount.format() == StreamFormat::Ogg {
                // Ogg listeners take titles from the stream's own comment headers; the
                // status pages show this one.
                return ice_response(true, "Metadata update successful (status only for Ogg)");
            }
            ice_response(true, "Metadata update successful")
        }
        Err(e) => ice_response(false, &e.to_string()),
    }
}

/// Shoutcast's `/admin.cgi?pass=...&mode=updinfo&song=...`.
fn admin_cgi(shared: &Shared, q: &Query) -> Response {
    let Some(pass) = q.get("pass") else {
        return Response::text(400, "Missing pass parameter");
    };
    let mount = q
        .get("mount")
        .unwrap_or_else(|| shared.config.shoutcast_mount.clone());
    if let Some(r) = host_metadata(shared, q, &mount, Some(("", pass.as_str()))) {
        return r;
    }
    let user = shared
        .config
        .mount(&mount)
        .and_then(|m| m.username.clone())
        .unwrap_or_else(|| shared.config.auth.source_user.clone());
    let ok = crate::source::source_allowed(shared, &mount, &user, &pass)
        || is_admin(shared, &shared.config.auth.admin_user, &pass);
    if !ok {
        return Response::unauthorized();
    }
    metadata(shared, q, &mount)
}

fn listmounts(shared: &Shared) -> Response {
    let mut body = String::from("<icestats>");
    for m in shared.all_mounts() {
        let s = m.status();
        if !s.live {
            continue;
        }
        let _ = write!(
            body,
            "<source mount=\"{}\"><fallback>{}</fallback><listeners>{}</listeners><Connected>{}</Connected><content-type>{}</content-type></source>",
            esc(&s.path),
            esc(s.fallback.as_deref().unwrap_or("")),
            s.listeners,
            s.uptime_secs,
            esc(&s.content_type)
        );
    }
    body.push_str("</icestats>");
    xml(200, body)
}

fn listclients(shared: &Shared, q: &Query) -> Response {
    let mount = q.get("mount").unwrap_or_default();
    let Some(m) = shared.mount(&mount) else {
        return ice_response(false, "Source does not exist");
    };
    let clients = shared.clients.lock().unwrap_or_else(|p| p.into_inner());
    let mut ids: Vec<_> = clients.iter().filter(|(_, c)| c.mount == mount).collect();
    ids.sort_by_key(|(id, _)| **id);
    let mut body = format!(
        "<icestats><source mount=\"{}\"><Listeners>{}</Listeners>",
        esc(&mount),
        m.listeners()
    );
    for (id, c) in ids {
        let _ = write!(
            body,
            "<listener id=\"{id}\"><IP>{}</IP><UserAgent>{}</UserAgent><Connected>{}</Connected><ID>{id}</ID></listener>",
            esc(&c.ip),
            esc(&c.user_agent),
            c.connected.elapsed().as_secs()
        );
    }
    body.push_str("</source></icestats>");
    xml(200, body)
}

fn killclient(shared: &Arc<Shared>, q: &Query) -> Response {
    let id: Option<u64> = q.get("id").and_then(|i| i.trim().parse().ok());
    let mount = id.and_then(|id| {
        shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .map(|c| c.mount.clone())
    });
    match (id, mount.and_then(|m| shared.mount(&m))) {
        (Some(id), Some(mount)) => {
            let _ = dispatch(shared, &mount, DriverCmd::Kill(id));
            ice_response(true, &format!("Client {id} removed"))
        }
        (id, _) => ice_response(
            false,
            &format!(
                "Client {} not found",
                id.map(|i| i.to_string()).unwrap_or_default()
            ),
        ),
    }
}

fn moveclients(shared: &Arc<Shared>, q: &Query) -> Response {
    let from = q.get("mount").unwrap_or_default();
    let Some(to) = q.get("destination") else {
        return ice_response(false, "No destination given");
    };
    if from == to {
        return ice_response(false, "Destination is the same as the source mount");
    }
    let Some(src) = shared.mount(&from) else {
        return ice_response(false, "Source does not exist");
    };
    let Some(dest) = shared.mount(&to).filter(|m| m.is_live()) else {
        return ice_response(false, "Destination not running");
    };
    if src.is_live() && src.format() != dest.format() {
        return ice_response(false, "Stream formats do not match");
    }
    if src.listeners() > 0 && dispatch(shared, &src, DriverCmd::MoveAll(dest)).is_err() {
        return ice_response(false, "Server busy, try again");
    }
    ice_response(true, &format!("Clients moved from {from} to {to}"))
}

fn stats(shared: &Shared) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let mut body = format!(
        "<icestats><admin>{}</admin><host>{}</host><location>{}</location><server_id>{}</server_id><listeners>{}</listeners><sources>{}</sources><listener_connections>{}</listener_connections><source_total_connections>{}</source_total_connections>",
        esc(&shared.config.admin_contact),
        esc(&shared.config.hostname),
        esc(&shared.config.location),
        crate::SERVER_ID,
        shared.listeners.load(Relaxed),
        shared.sources.load(Relaxed),
        shared.listener_connections.load(Relaxed),
        shared.source_connections.load(Relaxed),
    );
    for m in shared.all_mounts() {
        let s = m.status();
        if !s.live {
            continue;
        }
        let _ = write!(
            body,
            "<source mount=\"{}\"><listeners>{}</listeners><listener_peak>{}</listener_peak><slow_listeners>{}</slow_listeners><source_ip>{}</source_ip><user_agent>{}</user_agent><total_bytes_read>{}</total_bytes_read><total_bytes_sent>{}</total_bytes_sent><title>{}</title><server_type>{}</server_type></source>",
            esc(&s.path),
            s.listeners,
            s.peak,
            s.slow_listeners,
            esc(s.source_ip.as_deref().unwrap_or("")),
            esc(s.user_agent.as_deref().unwrap_or("")),
            s.bytes_read,
            s.bytes_sent,
            esc(&s.title),
            esc(&s.content_type)
        );
    }
    body.push_str("</icestats>");
    xml(200, body)
}

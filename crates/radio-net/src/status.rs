//! Status documents: Icecast's `/status-json.xsl`, PenguinCast's `/info.json` and
//! `/info.html`, the live `/monitor.html` (server-sent events) and static files.

use crate::framing::StreamFormat;
use crate::mount::MountStatus;
use crate::query::escape_html as esc;
use crate::request::RequestHead;
use crate::response::Response;
use crate::server::Shared;
use serde_json::{Map, Value, json};
use std::sync::atomic::Ordering;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn rfc2822(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S %z").to_string()
}

fn iso8601(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

/// Public, live mounts.
fn visible(shared: &Shared) -> Vec<MountStatus> {
    shared
        .all_mounts()
        .iter()
        .map(|m| m.status())
        .filter(|s| s.live && !s.hidden)
        .collect()
}

/// A number when the text is one (Icecast's xml2json does this), else a string.
fn num_or_text(v: &str) -> Value {
    match v.parse::<i64>() {
        Ok(n) if !v.starts_with('0') || v == "0" => json!(n),
        _ => json!(v),
    }
}

fn source_json(shared: &Shared, s: &MountStatus, host: Option<&str>) -> Value {
    let mut o = Map::new();
    if let Some(ai) = &s.audio_info {
        o.insert("audio_info".into(), json!(ai));
    }
    if let Some(a) = &s.artist {
        o.insert("artist".into(), json!(a));
    }
    if let Some(b) = s.info.bitrate {
        o.insert("bitrate".into(), json!(b));
    }
    o.insert(
        "genre".into(),
        json!(s.info.genre.clone().unwrap_or_else(|| "various".into())),
    );
    if let Some(ai) = &s.audio_info {
        for pair in ai.split(';') {
            if let Some((k, v)) = pair.split_once('=') {
                let k = String::from_utf8_lossy(&crate::query::percent_decode(k)).into_owned();
                let v = String::from_utf8_lossy(&crate::query::percent_decode(v)).into_owned();
                let k = if k.starts_with("ice-") {
                    k
                } else {
                    format!("ice-{k}")
                };
                o.insert(k, num_or_text(&v));
            }
        }
    }
    o.insert("listener_peak".into(), json!(s.peak));
    o.insert("listeners".into(), json!(s.listeners));
    o.insert("listenurl".into(), json!(shared.listen_url(host, &s.path)));
    o.insert(
        "server_description".into(),
        json!(
            s.info
                .description
                .clone()
                .unwrap_or_else(|| "Unspecified description".into())
        ),
    );
    o.insert(
        "server_name".into(),
        json!(
            s.info
                .name
                .clone()
                .unwrap_or_else(|| "Unspecified name".into())
        ),
    );
    o.insert("server_type".into(), json!(s.content_type));
    if let Some(u) = &s.info.url {
        o.insert("server_url".into(), json!(u));
    }
    if let Some(t) = &s.started {
        o.insert("stream_start".into(), json!(rfc2822(t)));
        o.insert("stream_start_iso8601".into(), json!(iso8601(t)));
    }
    if s.format == StreamFormat::Ogg {
        o.insert("subtype".into(), json!("Ogg"));
    }
    o.insert("title".into(), json!(s.title));
    if let Some(w) = &s.warning {
        o.insert("warning".into(), json!(w));
    }
    o.insert("dummy".into(), Value::Null);
    Value::Object(o)
}

/// `/status-json.xsl`: Icecast's `icestats`, with its quirks (`source` is an object for
/// one mount and an array for several; no `mount` field, clients match on `listenurl`).
pub(crate) fn status_json(shared: &Shared, head: &RequestHead) -> Response {
    let host = head.header("host");
    let mounts = visible(shared);
    let mut o = Map::new();
    o.insert("admin".into(), json!(shared.config.admin_contact));
    o.insert("host".into(), json!(shared.config.hostname));
    o.insert("location".into(), json!(shared.config.location));
    o.insert("server_id".into(), json!(crate::SERVER_ID));
    o.insert("server_start".into(), json!(rfc2822(&shared.started)));
    o.insert(
        "server_start_iso8601".into(),
        json!(iso8601(&shared.started)),
    );
    let sources: Vec<Value> = mounts
        .iter()
        .map(|s| source_json(shared, s, host))
        .collect();
    match sources.len() {
        0 => {}
        1 => {
            o.insert("source".into(), sources.into_iter().next().expect("one"));
        }
        _ => {
            o.insert("source".into(), Value::Array(sources));
        }
    }
    let doc = json!({ "icestats": Value::Object(o) });
    Response::new(200, "application/json; charset=utf-8", doc.to_string())
}

/// All mounts PenguinCast would list: configured ones and live unconfigured ones.
fn listed(shared: &Shared) -> Vec<MountStatus> {
    shared
        .all_mounts()
        .iter()
        .map(|m| m.status())
        .filter(|s| !s.hidden && (s.live || shared.config.mount(&s.path).is_some()))
        .collect()
}

/// `/info.json`: PenguinCast's keys (including `"Name "` with its trailing space), every
/// value a string — but valid JSON, served as `application/json`.
pub(crate) fn info_json(shared: &Shared, head: &RequestHead) -> Response {
    let host = head.header("host");
    let mounts: Vec<Value> = listed(shared)
        .iter()
        .map(|s| {
            let mut o = Map::new();
            o.insert("Name ".into(), json!(s.path.trim_start_matches('/')));
            o.insert(
                "Status".into(),
                json!(if s.live { "Online" } else { "Offline" }),
            );
            o.insert("Started".into(), json!(s.live.to_string()));
            o.insert(
                "Stream Description".into(),
                json!(s.info.description.clone().unwrap_or_default()),
            );
            o.insert(
                "Genre".into(),
                json!(s.info.genre.clone().unwrap_or_default()),
            );
            o.insert("Content Type".into(), json!(s.content_type));
            o.insert(
                "Bitrate".into(),
                json!(s.info.bitrate.map(|b| b.to_string()).unwrap_or_default()),
            );
            o.insert("Listeners (current)".into(), json!(s.listeners.to_string()));
            o.insert("Stream URL".into(), json!(shared.listen_url(host, &s.path)));
            o.insert("Currently playing".into(), json!(s.title));
            Value::Object(o)
        })
        .collect();
    Response::new(
        200,
        "application/json; charset=utf-8",
        json!({ "Mounts": mounts }).to_string(),
    )
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;background:#f7f7f7;color:#222}\
table{border-collapse:collapse;margin-bottom:1.5em;background:#fff}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
h1{font-size:1.4em}footer{color:#666;font-size:.9em}";

/// `/info.html` (also `/status.xsl`): one table per mount, and PenguinCast's footer.
pub(crate) fn info_html(shared: &Shared, head: &RequestHead) -> Response {
    let host = head.header("host");
    let mut html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>",
        esc(&shared.config.name),
        esc(&shared.config.name)
    );
    let mounts = listed(shared);
    if mounts.is_empty() {
        html.push_str("<p>No mounts are live.</p>");
    }
    for s in &mounts {
        let url = shared.listen_url(host, &s.path);
        let rows = [
            ("Mount", esc(&s.path)),
            (
                "Status",
                if s.live {
                    "Online".into()
                } else {
                    "Offline".into()
                },
            ),
            ("Stream name", esc(s.info.name.as_deref().unwrap_or(""))),
            (
                "Stream description",
                esc(s.info.description.as_deref().unwrap_or("")),
            ),
            ("Genre", esc(s.info.genre.as_deref().unwrap_or(""))),
            ("Content type", esc(&s.content_type)),
            (
                "Bitrate",
                s.info
                    .bitrate
                    .map(|b| format!("{b} kbps"))
                    .unwrap_or_default(),
            ),
            ("Listeners (current)", s.listeners.to_string()),
            ("Listeners (peak)", s.peak.to_string()),
            (
                "Stream started",
                s.started.map(|t| rfc2822(&t)).unwrap_or_default(),
            ),
            (
                "Stream URL",
                format!(
                    "<a href=\"{0}\">{0}</a> (<a href=\"{1}.m3u\">m3u</a>)",
                    esc(&url),
                    esc(&s.path)
                ),
            ),
            ("Currently playing", esc(&s.title)),
        ];
        html.push_str("<table>");
        for (k, v) in rows {
            html.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>"));
        }
        html.push_str("</table>");
    }
    html.push_str(&format!(
        "<footer>{} · Admin: {} · Location: {} · {}</footer></body></html>",
        esc(&shared.config.name),
        esc(&shared.config.admin_contact),
        esc(&shared.config.location),
        crate::SERVER_ID
    ));
    Response::new(200, "text/html; charset=utf-8", html)
}

/// The monitor frame, in PenguinCast's shape.
pub(crate) fn monitor_frame(shared: &Shared, cpu: f64) -> Value {
    let mounts: Vec<Value> = listed(shared)
        .iter()
        .map(|s| {
            let up = s.uptime_secs;
            json!({
                "Name": s.path.trim_start_matches('/'),
                "Listeners": s.listeners,
                "UpTime": format!("{:02}:{:02}:{:02}", up / 3600, up / 60 % 60, up % 60),
                "Buff": {"Size": s.queued_chunks, "SizeBytes": s.queued_bytes},
                "Title": s.title,
                "Online": s.live,
            })
        })
        .collect();
    json!({
        "Mounts": mounts,
        "Listeners": shared.listeners.load(Ordering::Relaxed),
        "CPUUsage": (cpu * 10.0).round() / 10.0,
        "MemUsage": crate::procstat::rss_kib().unwrap_or(0),
    })
}

pub(crate) fn monitor_html(shared: &Shared) -> Response {
    let html = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name} — monitor</title><style>{STYLE}</style></head>
<body><h1>{name} — live monitor</h1>
<p id="server">connecting…</p>
<table><thead><tr><th>Mount</th><th>Status</th><th>Listeners</th><th>Uptime</th><th>Queued chunks</th><th>Queued KiB</th><th>Title</th></tr></thead><tbody id="mounts"></tbody></table>
<footer>Updates are pushed by the server (server-sent events); nothing polls.</footer>
<script>
const es = new EventSource('/monitor/events');
function cell(t) {{ const td = document.createElement('td'); td.textContent = t; return td; }}
es.onmessage = (ev) => {{
  const f = JSON.parse(ev.data);
  document.getElementById('server').textContent =
    'Listeners: ' + f.Listeners + ' · CPU: ' + f.CPUUsage + ' % · Memory: ' + f.MemUsage + ' KiB';
  const body = document.getElementById('mounts');
  body.replaceChildren(...f.Mounts.map(m => {{
    const tr = document.createElement('tr');
    [m.Name, m.Online ? 'Online' : 'Offline', m.Listeners, m.UpTime, m.Buff.Size,
     (m.Buff.SizeBytes / 1024).toFixed(1), m.Title].forEach(v => tr.appendChild(cell(v)));
    return tr;
  }}));
}};
es.onerror = () => {{ document.getElementById('server').textContent = 'disconnected, retrying…'; }};
</script></body></html>"#,
        name = esc(&shared.config.name)
    );
    Response::new(200, "text/html; charset=utf-8", html)
}

/// `/monitor/events`: a server-sent event with the monitor frame every interval.
pub(crate) async fn monitor_events(shared: &Shared, mut stream: TcpStream, head_only: bool) {
    let Some(interval) = shared.config.monitor_interval else {
        return;
    };
    let head = "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() || head_only {
        return;
    }
    let mut meter = crate::procstat::CpuMeter::default();
    meter.sample();
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let frame = monitor_frame(shared, meter.sample());
        let event = format!("data: {frame}\n\n");
        let write = tokio::time::timeout(
            shared.config.limits.write_timeout,
            stream.write_all(event.as_bytes()),
        );
        if !matches!(write.await, Ok(Ok(()))) {
            return;
        }
    }
}

fn content_type_for(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css",
        "js" => "application/javascript",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "mp3" => "audio/mpeg",
        "ogg" | "opus" => "audio/ogg",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    Response::new(
        404,
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head><title>404</title></head><body><h1>404 — not found</h1><p>No mount or file at this address.</p></body></html>",
    )
}

/// A file from the web root, or the 404 page.
pub(crate) async fn static_file(shared: &Shared, path: &str) -> Response {
    let Some(root) = &shared.config.webroot else {
        return not_found();
    };
    let rel = path.trim_start_matches('/');
    if rel.is_empty()
        || rel
            .split('/')
            .any(|c| c.is_empty() || c == ".." || c == "." || c.contains('\\'))
    {
        return not_found();
    }
    let full = root.join(rel);
    match tokio::fs::read(&full).await {
        Ok(body) => Response::new(200, content_type_for(rel), body),
        Err(_) => match tokio::fs::read(root.join("404.html")).await {
            Ok(body) => Response::new(404, "text/html; charset=utf-8", body),
            Err(_) => not_found(),
        },
    }
}

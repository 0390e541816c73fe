//! `GET /api/nowplaying` (every station), `/api/nowplaying/{station}` (JSON) and
//! `/api/nowplaying/{station}/events` (server-sent events: the snapshot on connect, one
//! message per change, a comment ping every 15 s).

use super::Stations;
use radio_net::host::HostConnection;
use radio_net::response::Response;
use radio_station::StationState;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How often an idle event stream gets a comment, so proxies keep it open.
const PING: Duration = Duration::from_secs(15);

pub async fn serve(stations: Arc<Stations>, conn: HostConnection) {
    let HostConnection {
        head, mut stream, ..
    } = conn;
    let head_only = head.method == "HEAD";
    if head.method != "GET" && !head_only {
        let mut r = json_response(405, &json!({"error": "use GET"}));
        r = r.header("Allow", "GET, HEAD");
        r.send(&mut stream).await;
        return;
    }
    let rest = head
        .path()
        .trim_start_matches("/api/nowplaying")
        .trim_matches('/')
        .to_string();
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => {
            let all: Vec<Value> = stations
                .all()
                .iter()
                .map(|r| snapshot(&stations, r, &r.station.state()))
                .collect();
            let mut r = json_response(200, &Value::Array(all));
            r.head_only = head_only;
            r.send(&mut stream).await;
        }
        [name] => {
            let Some(r) = stations.get(name) else {
                return not_found(&mut stream, name).await;
            };
            let mut resp = json_response(200, &snapshot(&stations, &r, &r.station.state()));
            resp.head_only = head_only;
            resp.send(&mut stream).await;
        }
        [name, "events"] => {
            // Held weakly: a deleted or rebuilt station stops (and frees its mounts) even
            // while pages follow its events. (A shadowed `Arc` would live to the end of
            // the scope: the strong handle is dropped in this block.)
            let (mut rx, r) = {
                let Some(r) = stations.get(name) else {
                    return not_found(&mut stream, name).await;
                };
                (r.station.subscribe(), Arc::downgrade(&r))
            };
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nX-Accel-Buffering: no\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() || head_only {
                return;
            }
            let shutdown = stations.server().shutdown_token();
            let mut last = None;
            loop {
                let state = rx.borrow_and_update().clone();
                if last.as_ref() != Some(&state) {
                    let Some(r) = r.upgrade() else { return };
                    let body = snapshot(&stations, &r, &state).to_string();
                    drop(r);
                    let msg = format!("event: nowplaying\ndata: {body}\n\n");
                    if stream.write_all(msg.as_bytes()).await.is_err() {
                        return;
                    }
                    last = Some(state);
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    changed = rx.changed() => if changed.is_err() { return },
                    _ = tokio::time::sleep(PING) => {
                        if stream.write_all(b": ping\n\n").await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
        _ => {
            json_response(
                404,
                &json!({"error": format!("no such route: {}", head.path())}),
            )
            .send(&mut stream)
            .await;
        }
    }
}

async fn not_found(stream: &mut tokio::net::TcpStream, name: &str) {
    json_response(404, &json!({"error": format!("no station named {name:?}")}))
        .send(stream)
        .await;
}

fn json_response(status: u16, v: &Value) -> Response {
    Response::new(status, "application/json", v.to_string())
        .header("Cache-Control", "no-cache")
        .header("Access-Control-Allow-Origin", "*")
}

/// The now-playing document of a station.
pub fn snapshot(stations: &Stations, r: &super::Running, st: &StationState) -> Value {
    let now = chrono::Utc::now();
    let server = stations.server();
    let mounts: Vec<Value> = r
        .spec
        .outputs
        .iter()
        .map(|o| {
            let listeners = server.mount(&o.mount).map_or(0, |m| m.listeners());
            json!({
                "mount": o.mount,
                "codec": o.format.codec,
                "bitrate": o.format.bitrate,
                "listeners": listeners,
            })
        })
        .collect();
    let total: u64 = mounts
        .iter()
        .map(|m| m["listeners"].as_u64().unwrap_or(0))
        .sum();
    let track = st.track.as_ref().map(|t| {
        json!({
            "title": t.title,
            "artist": t.artist,
            "album": t.album,
            "display": t.display,
            "input": t.input,
            "id": t.id,
            "started": t.started,
            "duration": t.duration,
            "elapsed": t.elapsed(now),
            "remaining": t.remaining(now),
        })
    });
    let on_air = st.on_air.clone();
    let all_shows = r.shows.lock().unwrap_or_else(|p| p.into_inner()).shows();
    let show = |s: &radio_sched::show::Show| {
        let (status, reason) = match &s.status {
            radio_sched::show::ShowStatus::Pending => ("pending", None),
            radio_sched::show::ShowStatus::Playing => ("playing", None),
            radio_sched::show::ShowStatus::Played => ("played", None),
            radio_sched::show::ShowStatus::Failed(why) => ("failed", Some(why.clone())),
            radio_sched::show::ShowStatus::Missed => ("missed", None),
        };
        json!({
            "title": s.title,
            "start": s.start,
            "duration": s.duration.map(|d| d.as_secs_f64()),
            "status": status,
            "reason": reason,
        })
    };
    let upcoming: Vec<Value> = all_shows
        .iter()
        .filter(|s| s.start >= now || s.status == radio_sched::show::ShowStatus::Playing)
        .take(5)
        .map(show)
        .collect();
    let recent: Vec<Value> = all_shows
        .iter()
        .rev()
        .filter(|s| s.start < now && s.status != radio_sched::show::ShowStatus::Pending)
        .take(5)
        .map(show)
        .collect();
    json!({
        "station": st.station,
        "name": r.spec.display_name,
        "running": st.running,
        "on_air": on_air,
        "track": track,
        "next": st.next,
        "live": st.live,
        "listeners": {"total": total, "mounts": mounts},
        "transitions": st.transitions,
        "history": st.history,
        "silent_since": st.silent_since,
        "restarts": st.restarts,
        "outputs": st.outputs,
        "live_mount": r.gate.as_ref().map(|g| g.mount().to_string()),
        "shows": {"upcoming": upcoming, "recent": recent},
    })
}

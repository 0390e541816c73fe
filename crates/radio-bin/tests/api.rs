//! The HTTP API on a real `radiopoint`: logins and sessions, CSRF, users, API keys, roles,
//! the login rate limit, JSON errors.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{Running, free_port, temp_dir};

const BIN: &str = env!("CARGO_BIN_EXE_radiopoint");

/// A response: status, head, parsed JSON body (`Null` when not JSON).
struct Reply {
    status: u16,
    head: String,
    json: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    }

    /// The session cookie it sets (`name=value`).
    fn cookie(&self) -> String {
        self.header("set-cookie")
            .and_then(|c| c.split(';').next().map(str::to_string))
            .expect("a Set-Cookie header")
    }
}

/// One HTTP/1.1 request with a JSON body (or none), `extra` header lines.
fn call(port: u16, method: &str, path: &str, extra: &[(&str, &str)], body: Option<Value>) -> Reply {
    match body {
        Some(b) => call_raw(
            port,
            method,
            path,
            extra,
            Some(("application/json", b.to_string().into_bytes())),
        ),
        None => call_raw(port, method, path, extra, None),
    }
}

/// One HTTP/1.1 request with a body of the given content type (or none).
fn call_raw(
    port: u16,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let mut bytes = Vec::new();
    if let Some((kind, body)) = &body {
        req.push_str(&format!(
            "Content-Type: {kind}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    bytes.extend_from_slice(req.as_bytes());
    if let Some((_, body)) = body {
        bytes.extend_from_slice(&body);
    }
    // The server may answer (413, 403) before reading a large body: a failed write is fine.
    let _ = s.write_all(&bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply {
        status,
        head: head.to_string(),
        json: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

/// A multipart/form-data body of `(field, file name, bytes)` parts, and its content type.
fn multipart(parts: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "rp-test-boundary-7d3f";
    let mut body = Vec::new();
    for (field, name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// radiopoint with no demo, its database in a fresh folder; waits until the API answers.
fn start(name: &str) -> (Running, u16) {
    start_with(name, &["--no-demo"])
}

fn start_with(name: &str, extra: &[&str]) -> (Running, u16) {
    // Kept while the server runs; the next run sweeps it.
    let dir = temp_dir(name).keep();
    let port = free_port();
    let child = Command::new(BIN)
        .args(["--port", &port.to_string()])
        .args(extra)
        .arg("--db")
        .arg(dir.join("radiopoint.db"))
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    (up(child, port), port)
}

/// radiopoint with `config`, serving on `port`.
fn start_config(config: &std::path::Path, port: u16) -> Running {
    let child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    up(child, port)
}

/// Waits (bounded) until radiopoint answers on `port`.
fn up(child: std::process::Child, port: u16) -> Running {
    let running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !common::serves(port) {
        assert!(Instant::now() < deadline, "radiopoint did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    running
}

/// Logs in; returns the cookie header value and the CSRF token.
fn login(port: u16, user: &str, password: &str) -> (String, String) {
    let r = call(
        port,
        "POST",
        "/api/login",
        &[],
        Some(json!({"username": user, "password": password})),
    );
    assert_eq!(r.status, 200, "{} {}", r.head, r.json);
    let set = r.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    (r.cookie(), r.json["csrf"].as_str().unwrap().to_string())
}

#[test]
fn sessions_csrf_users_keys_and_roles() {
    let (_rp, port) = start("api-accounts");
    // The first admin: `admin` with [auth] admin_password (hackme by default).
    let (cookie, csrf) = login(port, "admin", "hackme");
    let me = call(port, "GET", "/api/session", &[("Cookie", &cookie)], None);
    assert_eq!(me.status, 200);
    assert_eq!(me.json["user"]["username"], "admin");
    assert_eq!(me.json["csrf"], csrf.as_str());
    // A state-changing request from a browser without the token is refused.
    let alice = json!({"username": "alice", "password": "alice-secret"});
    let r = call(
        port,
        "POST",
        "/api/users",
        &[("Cookie", &cookie)],
        Some(alice.clone()),
    );
    assert_eq!(r.status, 403, "{}", r.json);
    assert!(
        r.json["error"].as_str().unwrap().contains("CSRF"),
        "{}",
        r.json
    );
    let with = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let r = call(port, "POST", "/api/users", &with, Some(alice.clone()));
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["username"], "alice");
    assert!(r.json.get("password_hash").is_none());
    let again = call(port, "POST", "/api/users", &with, Some(alice));
    assert_eq!(again.status, 409, "{}", again.json);
    let short = call(
        port,
        "POST",
        "/api/users",
        &with,
        Some(json!({"username": "bob", "password": "x"})),
    );
    assert_eq!(short.status, 400);
    assert!(
        short.json["error"]
            .as_str()
            .unwrap()
            .contains("8 characters")
    );
    let junk = call(port, "POST", "/api/users", &with, Some(json!({"user": 1})));
    assert_eq!(junk.status, 400, "{}", junk.json);
    assert!(junk.json["error"].is_string());
    // Alice is not an administrator.
    let (a_cookie, a_csrf) = login(port, "alice", "alice-secret");
    let r = call(port, "GET", "/api/users", &[("Cookie", &a_cookie)], None);
    assert_eq!(r.status, 403);
    assert_eq!(r.json["error"], "permission required: admin");
    let r = call(
        port,
        "GET",
        "/api/users/alice",
        &[("Cookie", &a_cookie)],
        None,
    );
    assert_eq!(r.status, 200, "she reads her own account");
    let r = call(
        port,
        "GET",
        "/api/users/admin",
        &[("Cookie", &a_cookie)],
        None,
    );
    assert_eq!(r.status, 403);
    let a_with = [
        ("Cookie", a_cookie.as_str()),
        ("X-CSRF-Token", a_csrf.as_str()),
    ];
    let r = call(
        port,
        "PATCH",
        "/api/users/alice",
        &a_with,
        Some(json!({"admin": true})),
    );
    assert_eq!(r.status, 403, "no self-promotion");
    // An API key works without a CSRF token; a deleted key does not.
    let r = call(port, "POST", "/api/users/alice/keys", &a_with, None);
    assert_eq!(r.status, 201, "{}", r.json);
    let (id, key) = (
        r.json["id"].as_i64().unwrap(),
        r.json["key"].as_str().unwrap().to_string(),
    );
    let bearer = format!("Bearer {key}");
    let r = call(
        port,
        "PATCH",
        "/api/users/alice",
        &[("Authorization", &bearer)],
        Some(json!({"password": "new-secret-1"})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    // A new password ends her sessions.
    let r = call(port, "GET", "/api/session", &[("Cookie", &a_cookie)], None);
    assert_eq!(r.status, 401);
    let r = call(
        port,
        "DELETE",
        &format!("/api/users/alice/keys/{id}"),
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(r.status, 200);
    let r = call(
        port,
        "GET",
        "/api/users/alice",
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.json);
    // Logging out ends the session.
    let r = call(port, "POST", "/api/logout", &with, None);
    assert_eq!(r.status, 200);
    let r = call(port, "GET", "/api/users", &[("Cookie", &cookie)], None);
    assert_eq!(r.status, 401);
    // Unknown routes and missing credentials are JSON errors.
    let r = call(port, "GET", "/api/nothing", &[], None);
    assert_eq!(r.status, 404);
    assert!(r.json["error"].as_str().unwrap().contains("/api/nothing"));
    let r = call(port, "GET", "/api/users", &[], None);
    assert_eq!(r.status, 401);
    // The server's own pages and now-playing are still radio-net's.
    let r = call(port, "GET", "/api/nowplaying", &[], None);
    assert_eq!(r.status, 200, "{}", r.head);
}

#[test]
fn twenty_wrong_passwords_are_rate_limited() {
    let (_rp, port) = start("api-limit");
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let r = call(
            port,
            "POST",
            "/api/login",
            &[],
            Some(json!({"username": "admin", "password": "guess"})),
        );
        statuses.push(r.status);
        if r.status == 429 {
            let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=900).contains(&wait), "Retry-After {wait}");
        }
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    assert!(statuses[10..].iter().all(|&s| s == 429), "{statuses:?}");
    // Even the right password waits now.
    let r = call(
        port,
        "POST",
        "/api/login",
        &[],
        Some(json!({"username": "admin", "password": "hackme"})),
    );
    assert_eq!(r.status, 429);
}

/// Creates a user as the admin (cookie and CSRF token given).
fn make_user(port: u16, admin: &[(&str, &str)], name: &str) {
    let r = call(
        port,
        "POST",
        "/api/users",
        admin,
        Some(json!({"username": name, "password": format!("{name}-password")})),
    );
    assert_eq!(r.status, 201, "{}", r.json);
}

#[test]
fn station_roles_decide_who_skips_kicks_bans_and_reads_the_logs() {
    // The demo station is on air; it has a live input.
    let (_rp, port) = start_with("api-roles", &[]);
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    for u in ["olga", "dave", "carl"] {
        make_user(port, &admin, u);
    }
    let r = call(
        port,
        "PUT",
        "/api/stations/demo/members/olga",
        &admin,
        Some(json!({"role": "owner"})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(
        port,
        "PUT",
        "/api/stations/demo/members/dave",
        &admin,
        Some(json!({"role": "dj", "permissions": ["skip"]})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(
        port,
        "PUT",
        "/api/stations/demo/members/dave",
        &admin,
        Some(json!({"role": "dj", "permissions": ["fly"]})),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("unknown permission \"fly\"")
    );
    let key = |user: &str| {
        let (c, t) = login(port, user, &format!("{user}-password"));
        let r = call(
            port,
            "POST",
            &format!("/api/users/{user}/keys"),
            &[("Cookie", &c), ("X-CSRF-Token", &t)],
            None,
        );
        format!("Bearer {}", r.json["key"].as_str().unwrap())
    };
    let (olga, dave, carl) = (key("olga"), key("dave"), key("carl"));
    let as_ = |k: &str| vec![("Authorization", k.to_string())];
    let go = |k: &str, method: &str, path: &str, body: Option<Value>| {
        let h = as_(k);
        let h: Vec<(&str, &str)> = h.iter().map(|(a, b)| (*a, b.as_str())).collect();
        call(port, method, path, &h, body)
    };
    // Carl is no member: the station does not exist for him.
    let r = go(&carl, "GET", "/api/stations/demo", None);
    assert_eq!(r.status, 404, "{}", r.json);
    assert_eq!(
        go(&carl, "POST", "/api/stations/demo/skip", None).status,
        404
    );
    let listed = go(&carl, "GET", "/api/stations", None);
    assert_eq!(listed.json, json!([]), "he sees no station");
    // Dave (DJ, may skip) skips; he may not kick, ban, read logs or change members.
    let r = go(&dave, "GET", "/api/stations/demo", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json["you"]["permissions"], json!(["skip"]));
    let r = go(&dave, "POST", "/api/stations/demo/skip", None);
    assert_eq!(r.status, 200, "{}", r.json);
    for (method, path, missing) in [
        ("POST", "/api/stations/demo/djs/dj/kick", "kick"),
        ("POST", "/api/stations/demo/djs/dj/ban", "ban"),
        ("GET", "/api/stations/demo/logs", "logs"),
        ("GET", "/api/stations/demo/members", "settings"),
        ("GET", "/api/stations/demo/media", "media"),
        ("PUT", "/api/stations/demo/members/carl", "owner"),
    ] {
        let r = go(&dave, method, path, Some(json!({"role": "dj"})));
        assert_eq!(r.status, 403, "{method} {path}: {}", r.json);
        assert_eq!(r.json["error"], format!("permission required: {missing}"));
    }
    // Olga (owner) bans the demo DJ until tomorrow, reads the audit log.
    let until = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let r = go(
        &olga,
        "POST",
        "/api/stations/demo/djs/dj/ban",
        Some(json!({"until": until})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let r = go(&olga, "POST", "/api/stations/demo/djs/dj/kick", None);
    assert_eq!(r.status, 404, "nobody is connected: {}", r.json);
    let r = go(&olga, "POST", "/api/stations/demo/djs/nobody/ban", None);
    assert_eq!(r.status, 404);
    let log = go(&olga, "GET", "/api/stations/demo/logs", None);
    assert_eq!(log.status, 200);
    let actions: Vec<(String, String)> = log.json["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["username"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("dave".into(), "skip".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("olga".into(), "ban".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("admin".into(), "member.set".into())),
        "{actions:?}"
    );
    // The banned DJ is refused at the live mount, saying why.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"PUT /demo-live HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ZGo6aGFja21l\r\nContent-Type: audio/mpeg\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(
        out.contains(" 403 ") && out.contains("dj is banned from demo until"),
        "{out}"
    );
}

/// `GET /metrics` with optional extra headers: status and the parsed samples.
fn scrape(port: u16, extra: &[(&str, &str)]) -> (u16, Vec<prometheus_parse::Sample>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_string();
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status != 200 {
        return (status, Vec::new());
    }
    assert!(
        head.to_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{head}"
    );
    let lines = body.lines().map(|l| Ok(l.to_string()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
    (status, parsed.samples)
}

fn value(samples: &[prometheus_parse::Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

#[test]
fn metrics_are_prometheus_text_and_can_be_closed_with_a_token() {
    let (_rp, port) = start_with("api-metrics", &[]);
    // One listener on the demo's MP3 mount.
    let mut listener = TcpStream::connect(("127.0.0.1", port)).unwrap();
    listener
        .write_all(b"GET /demo.mp3 HTTP/1.0\r\n\r\n")
        .unwrap();
    // Its first 20 kB: the station is on air and the listener counted.
    let mut first = [0u8; 20_000];
    listener
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    listener.read_exact(&mut first).unwrap();
    let (status, samples) = scrape(port, &[]);
    assert_eq!(status, 200);
    assert_eq!(value(&samples, "radiopoint_listeners", &[]), Some(1.0));
    assert_eq!(
        value(
            &samples,
            "radiopoint_mount_listeners",
            &[("mount", "/demo.mp3")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "radiopoint_mount_live",
            &[("mount", "/demo.opus")]
        ),
        Some(1.0)
    );
    let sent = value(
        &samples,
        "radiopoint_mount_received_bytes_total",
        &[("mount", "/demo.mp3")],
    );
    // At least what the listener got came from the station's encoder.
    assert!(
        sent.is_some_and(|b| b >= 19_000.0),
        "{sent:?} in {:?}",
        samples
            .iter()
            .filter(|s| s.metric.contains("received"))
            .collect::<Vec<_>>()
    );
    assert!(
        value(
            &samples,
            "radiopoint_mount_sent_bytes_total",
            &[("mount", "/demo.mp3")]
        )
        .is_some()
    );
    assert_eq!(
        value(
            &samples,
            "radiopoint_station_on_air",
            &[("station", "demo"), ("input", "autodj")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "radiopoint_station_running",
            &[("station", "demo")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "radiopoint_users", &[]),
        Some(1.0),
        "the first admin"
    );
    // The station thread's timing: blocks made (20 ms each, ahead of real time) and the
    // time spent mixing and encoding them.
    let st = [("station", "demo")];
    let blocks = value(&samples, "radiopoint_station_blocks_total", &st).unwrap();
    assert!(blocks >= 50.0, "{blocks} blocks");
    let mix = value(&samples, "radiopoint_station_mix_seconds_total", &st).unwrap();
    let enc = value(&samples, "radiopoint_station_encode_seconds_total", &st).unwrap();
    assert!(mix > 0.0 && enc > 0.0, "mix {mix} s, encode {enc} s");
    assert!(value(&samples, "radiopoint_store_size_bytes", &[]).is_some_and(|b| b > 0.0));
    assert_eq!(
        value(&samples, "radiopoint_store_tracks_failed", &[]),
        Some(0.0)
    );
    // With [server] metrics_token, scrapers must bring it.
    let dir = temp_dir("api-metrics-token");
    let p2 = free_port();
    std::fs::write(
        dir.join("radiopoint.toml"),
        format!("[server]\nport = {p2}\nmetrics_token = \"s3cret\"\n"),
    )
    .unwrap();
    let _rp2 = start_config(&dir.join("radiopoint.toml"), p2);
    assert_eq!(scrape(p2, &[]).0, 401);
    assert_eq!(scrape(p2, &[("Authorization", "Bearer wrong")]).0, 401);
    let (status, samples) = scrape(p2, &[("Authorization", "Bearer s3cret")]);
    assert_eq!(status, 200);
    assert_eq!(value(&samples, "radiopoint_stations", &[]), Some(0.0));
}

#[test]
fn media_lists_tracks_with_tags_duration_loudness_and_failures() {
    let dir = temp_dir("api-media");
    let music = dir.join("music");
    std::fs::create_dir_all(&music).unwrap();
    common::write_wav(&music.join("Band - Song.wav"), 3.0, 440.0);
    std::fs::write(music.join("broken.mp3"), b"this is not audio").unwrap();
    let port = free_port();
    std::fs::write(
        dir.join("radiopoint.toml"),
        format!(
            "[server]\nport = {port}\n[[station]]\nname = \"rock\"\nmedia = [\"music\"]\n\
             [[station.output]]\nmount = \"/rock.mp3\"\n"
        ),
    )
    .unwrap();
    let _rp = start_config(&dir.join("radiopoint.toml"), port);
    let (cookie, _) = login(port, "admin", "hackme");
    let h = [("Cookie", cookie.as_str())];
    // The watcher's first scan runs beside the station: wait for both files to be known.
    let deadline = Instant::now() + Duration::from_secs(30);
    let list = loop {
        let r = call(port, "GET", "/api/stations/rock/media", &h, None);
        assert_eq!(r.status, 200, "{}", r.json);
        if r.json.as_array().is_some_and(|a| a.len() == 2) {
            break r.json;
        }
        assert!(Instant::now() < deadline, "not indexed: {}", r.json);
        std::thread::sleep(Duration::from_millis(100));
    };
    let song = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "ok")
        .expect("the WAV is playable");
    assert_eq!(
        (song["artist"].as_str(), song["title"].as_str()),
        (Some("Band"), Some("Song"))
    );
    let d = song["duration"].as_f64().unwrap();
    assert!((d - 3.0).abs() < 0.01, "{song}");
    let lufs = song["loudness"].as_f64().unwrap();
    assert!((-20.0..-10.0).contains(&lufs), "{song}");
    let broken = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "failed")
        .unwrap();
    assert!(
        broken["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{broken}"
    );
    let r = call(
        port,
        "GET",
        "/api/stations/rock/media?q=band%20song",
        &h,
        None,
    );
    assert_eq!(r.json.as_array().map(Vec::len), Some(1));
    let r = call(
        port,
        "GET",
        "/api/stations/rock/media?status=failed",
        &h,
        None,
    );
    assert_eq!(r.json.as_array().map(Vec::len), Some(1));
    assert_eq!(
        r.json[0]["path"]
            .as_str()
            .map(|p| p.ends_with("broken.mp3")),
        Some(true)
    );
}

#[test]
fn the_openapi_document_lists_every_route_and_every_route_exists() {
    let (_rp, port) = start_with("api-openapi", &[]);
    let doc = call(port, "GET", "/api/openapi.json", &[], None);
    assert_eq!(doc.status, 200);
    assert_eq!(doc.json["openapi"], "3.1.0");
    let page = call(port, "GET", "/api/docs", &[], None);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let (cookie, csrf) = login(port, "admin", "hackme");
    let h = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let paths = doc.json["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{}", paths.len());
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            // A documented route is routed: whatever it answers, it is not "no such route".
            let concrete = path
                .replace("{station}", "demo")
                .replace("{name}", "admin")
                .replace("{user}", "nobody")
                .replace("{id}", "999");
            if concrete.ends_with("/events") {
                continue; // an endless stream; its route is tested in the stations suite
            }
            let m = method.to_uppercase();
            if m == "DELETE"
                && concrete.starts_with("/api/users/admin")
                && !concrete.contains("keys")
            {
                continue; // would delete the caller
            }
            if concrete == "/api/logout" {
                continue; // would end the session the loop uses
            }
            let r = call(port, &m, &concrete, &h, None);
            let no_route = r.json["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("no such route"));
            assert!(
                !no_route && r.status != 405,
                "{m} {concrete}: {} {}",
                r.status,
                r.json
            );
        }
    }
}

/// Waits until `GET path` answers `status`.
fn wait_status(port: u16, path: &str, status: u16) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = call(port, "GET", path, &[], None);
        if r.status == status {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "GET {path}: {} {}",
            r.status,
            r.json
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn stations_are_made_and_deleted_at_runtime_and_come_back_after_a_restart() {
    let dir = temp_dir("api-runtime");
    let port = free_port();
    let config = dir.join("radiopoint.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nport = {port}\n[[station]]\nname = \"rock\"\n\
             [[station.output]]\nmount = \"/rock.mp3\"\n"
        ),
    )
    .unwrap();
    let run = || start_config(&config, port);
    let rp = run();
    let (cookie, csrf) = login(port, "admin", "hackme");
    let h = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let body = json!({
        "name": "pop",
        "display_name": "Pop FM",
        "output": [{"mount": "/pop.mp3", "codec": "mp3", "bitrate": 96}],
        "live": {"mount": "/pop-live"},
    });
    let r = call(port, "POST", "/api/stations", &h, Some(body.clone()));
    assert_eq!(r.status, 201, "{}", r.json);
    let media = r.json["media"][0].as_str().unwrap().to_string();
    assert!(media.ends_with("stations/pop/media"), "{media}");
    assert!(std::path::Path::new(&media).is_dir());
    // On air at once: now-playing, and its mount streams.
    let np = wait_status(port, "/api/nowplaying/pop", 200);
    assert_eq!(np.json["name"], "Pop FM");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /pop.mp3 HTTP/1.0\r\n\r\n").unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.0 200");
    drop(s);
    // Bad requests say what is wrong; names and mounts are not taken twice.
    let r = call(port, "POST", "/api/stations", &h, Some(body));
    assert_eq!(r.status, 409, "{}", r.json);
    let r = call(
        port,
        "POST",
        "/api/stations",
        &h,
        Some(json!({"name": "x", "output": [{"mount": "/rock.mp3"}]})),
    );
    assert_eq!(r.status, 409, "{}", r.json);
    let r = call(
        port,
        "POST",
        "/api/stations",
        &h,
        Some(json!({"name": "bad name"})),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.json["error"].as_str().unwrap().contains("station.name"),
        "{}",
        r.json
    );
    let r = call(
        port,
        "POST",
        "/api/stations",
        &h,
        Some(json!({"name": "y", "loudnes": -16})),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.json["error"].as_str().unwrap().contains("loudnes"),
        "{}",
        r.json
    );
    // The config's station is read-only here.
    let r = call(port, "DELETE", "/api/stations/rock", &h, None);
    assert_eq!(r.status, 409);
    assert!(r.json["error"].as_str().unwrap().contains("config file"));
    let r = call(port, "GET", "/api/stations/rock", &h, None);
    assert_eq!(r.json["from"], "config");
    // After a restart the API's station is back.
    drop(rp);
    let rp = run();
    let (cookie, csrf) = login(port, "admin", "hackme");
    let h = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    wait_status(port, "/api/nowplaying/pop", 200);
    // Deleting stops it and frees its mounts.
    let r = call(port, "DELETE", "/api/stations/pop", &h, None);
    assert_eq!(r.status, 200, "{}", r.json);
    wait_status(port, "/api/nowplaying/pop", 404);
    let listeners_gone = call(port, "GET", "/pop.mp3", &[], None);
    assert_eq!(listeners_gone.status, 404, "{}", listeners_gone.head);
    let r = call(
        port,
        "POST",
        "/api/stations",
        &h,
        Some(json!({"name": "pop2", "output": [{"mount": "/pop.mp3"}]})),
    );
    assert_eq!(r.status, 201, "the mount is free again: {}", r.json);
    drop(rp);
}

#[test]
fn listeners_request_tracks_where_the_station_allows_it() {
    // The demo takes requests from anyone; its library's tracks are 1–8.
    let (_rp, port) = start_with("api-requests", &[]);
    // Once a song is on air, AutoDJ picks again only at its end (100 s or more): the queue
    // stays as we leave it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while call(port, "GET", "/api/nowplaying/demo", &[], None).json["track"].is_null() {
        assert!(Instant::now() < deadline, "the demo never played a song");
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = call(
        port,
        "POST",
        "/api/stations/demo/requests",
        &[],
        Some(json!({"track": 3})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["queue"], json!([3]));
    let r = call(
        port,
        "POST",
        "/api/stations/demo/requests",
        &[],
        Some(json!({"track": 3})),
    );
    assert_eq!(r.status, 409, "{}", r.json);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("already requested")
    );
    let r = call(
        port,
        "POST",
        "/api/stations/demo/requests",
        &[],
        Some(json!({"track": 99})),
    );
    assert_eq!(r.status, 404, "{}", r.json);
    let r = call(port, "GET", "/api/stations/demo/requests", &[], None);
    assert_eq!(r.json["queue"], json!([3]));
    let r = call(
        port,
        "POST",
        "/api/stations/demo/requests",
        &[],
        Some(json!({"song": 1})),
    );
    assert_eq!(r.status, 400, "{}", r.json);
    // A station that does not take public requests: accounts with `request` only.
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let r = call(
        port,
        "POST",
        "/api/stations",
        &admin,
        Some(json!({"name": "quiet"})),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let r = call(
        port,
        "POST",
        "/api/stations/quiet/requests",
        &[],
        Some(json!({"track": 1})),
    );
    assert_eq!(r.status, 401, "{}", r.json);
    make_user(port, &admin, "dora");
    let r = call(
        port,
        "PUT",
        "/api/stations/quiet/members/dora",
        &admin,
        Some(json!({"role": "dj", "permissions": ["skip"]})),
    );
    assert_eq!(r.status, 200);
    let (c, t) = login(port, "dora", "dora-password");
    let dora = [("Cookie", c.as_str()), ("X-CSRF-Token", t.as_str())];
    let r = call(
        port,
        "POST",
        "/api/stations/quiet/requests",
        &dora,
        Some(json!({"track": 1})),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json["error"], "permission required: request");
    // The request was audit-logged (anonymous: no user).
    let log = call(port, "GET", "/api/stations/demo/logs", &admin, None);
    let entry = log.json["audit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "request")
        .cloned()
        .expect("a request in the log");
    assert_eq!(entry["detail"], "track 3");
    assert!(entry["username"].is_null());
}

/// Waits (bounded) until the station's media list satisfies `done`.
fn wait_media(
    port: u16,
    station: &str,
    h: &[(&str, &str)],
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = call(
            port,
            "GET",
            &format!("/api/stations/{station}/media"),
            h,
            None,
        );
        assert_eq!(r.status, 200, "{}", r.json);
        let list = r.json.as_array().cloned().unwrap_or_default();
        if done(&list) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "media never became as expected: {}",
            r.json
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Files in `dir` whose names start with a dot (upload temporaries left behind).
fn hidden_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn uploads_land_in_the_station_folder_get_indexed_edited_and_deleted_and_nothing_else_gets_in() {
    let dir = temp_dir("api-upload");
    let music = dir.join("music");
    std::fs::create_dir_all(&music).unwrap();
    let port = free_port();
    std::fs::write(
        dir.join("radiopoint.toml"),
        format!(
            "[server]\nport = {port}\nmax_upload_mb = 1\n[[station]]\nname = \"rock\"\n\
             media = [\"music\"]\n[[station.output]]\nmount = \"/rock.mp3\"\n"
        ),
    )
    .unwrap();
    let _rp = start_config(&dir.join("radiopoint.toml"), port);
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let wav = |name: &str, seconds: f64| {
        let p = dir.join(name);
        common::write_wav(&p, seconds, 330.0);
        std::fs::read(p).unwrap()
    };
    let (one, two) = (wav("a.wav", 2.0), wav("b.wav", 3.0));

    // Two files in one request; both indexed with their durations.
    let (kind, body) = multipart(&[
        ("file", "Band - Up.wav", &one),
        ("file", "Other - Down.wav", &two),
    ]);
    let up = "/api/stations/rock/media";
    let r = call_raw(port, "POST", up, &admin, Some((&kind, body.clone())));
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["uploaded"].as_array().map(Vec::len), Some(2));
    assert_eq!(std::fs::read(music.join("Band - Up.wav")).unwrap(), one);
    let list = wait_media(port, "rock", &admin, |l| {
        l.len() == 2 && l.iter().all(|t| t["status"] == "ok")
    });
    let up_track = list
        .iter()
        .find(|t| t["title"] == "Up")
        .expect("Up indexed");
    assert!((up_track["duration"].as_f64().unwrap() - 2.0).abs() < 0.01);
    // The same name again: refused, the file kept as it was.
    let r = call_raw(port, "POST", up, &admin, Some((&kind, body)));
    assert_eq!(r.status, 409, "{}", r.json);

    // Without the CSRF token a cookie session cannot upload.
    let (kind, body) = multipart(&[("file", "Sneaky.wav", &one)]);
    let r = call_raw(port, "POST", up, &admin[..1], Some((&kind, body)));
    assert_eq!(r.status, 403, "{}", r.json);
    assert!(!music.join("Sneaky.wav").exists());

    // Names that leave the folder, hidden names, wrong types, lying content, too big.
    let outside = dir.join("evil.wav");
    for (name, bytes, status) in [
        ("../evil.wav", &one[..], 400),
        ("..\\evil.wav", &one[..], 400),
        (".hidden.wav", &one[..], 400),
        ("tool.exe", &one[..], 415),
        ("page.mp3", &b"<html><body>not audio</body></html>"[..], 415),
    ] {
        let (kind, body) = multipart(&[("file", name, bytes)]);
        let r = call_raw(port, "POST", up, &admin, Some((&kind, body)));
        assert_eq!(r.status, status, "{name}: {}", r.json);
        assert!(
            r.json["error"]
                .as_str()
                .is_some_and(|e| e.contains(name.rsplit(['/', '\\']).next().unwrap())),
            "{name}: {}",
            r.json
        );
    }
    assert!(
        !outside.exists(),
        "a traversal name wrote outside the folder"
    );
    let big = wav("big.wav", 12.0); // 2.3 MB > 1 MiB
    let (kind, body) = multipart(&[("file", "Big.wav", &big)]);
    let r = call_raw(port, "POST", up, &admin, Some((&kind, body)));
    assert_eq!(r.status, 413, "{}", r.json);
    assert!(
        r.json["error"].as_str().unwrap().contains("max_upload_mb"),
        "{}",
        r.json
    );
    assert!(!music.join("Big.wav").exists());
    // A symlink planted in the folder is not followed or replaced.
    let target = dir.join("target.txt");
    std::fs::write(&target, b"keep me").unwrap();
    std::os::unix::fs::symlink(&target, music.join("Link.wav")).unwrap();
    let (kind, body) = multipart(&[("file", "Link.wav", &one)]);
    let r = call_raw(port, "POST", up, &admin, Some((&kind, body)));
    assert_eq!(r.status, 409, "{}", r.json);
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    std::fs::remove_file(music.join("Link.wav")).unwrap();
    assert_eq!(
        hidden_files(&music),
        Vec::<String>::new(),
        "temporaries left behind"
    );

    // Tags edited into the file; the list shows them after the rescan.
    let id = up_track["id"].as_i64().unwrap();
    let r = call(
        port,
        "PATCH",
        &format!("/api/stations/rock/media/{id}"),
        &admin,
        Some(json!({"title": "Upper", "artist": "Band", "album": "Live", "year": 1999})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let list = wait_media(port, "rock", &admin, |l| {
        l.iter().any(|t| t["title"] == "Upper")
    });
    let t = list.iter().find(|t| t["title"] == "Upper").unwrap();
    assert_eq!(
        (t["album"].as_str(), t["year"].as_i64()),
        (Some("Live"), Some(1999)),
        "{t}"
    );
    let id = t["id"].as_i64().unwrap();

    // Deleted: the file and the track.
    let r = call(
        port,
        "DELETE",
        &format!("/api/stations/rock/media/{id}"),
        &admin,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(!music.join("Band - Up.wav").exists());
    let r = call(port, "GET", up, &admin, None);
    assert!(
        r.json.as_array().unwrap().iter().all(|t| t["id"] != id),
        "{}",
        r.json
    );
    let r = call(
        port,
        "DELETE",
        &format!("/api/stations/rock/media/{id}"),
        &admin,
        None,
    );
    assert_eq!(r.status, 404, "{}", r.json);

    // A DJ without the media permission may not upload; a non-member does not see it.
    make_user(port, &admin, "dora");
    make_user(port, &admin, "nick");
    let r = call(
        port,
        "PUT",
        "/api/stations/rock/members/dora",
        &admin,
        Some(json!({"role": "dj", "permissions": ["skip"]})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    for (user, status) in [("dora", 403), ("nick", 404)] {
        let (c, t) = login(port, user, &format!("{user}-password"));
        let h = [("Cookie", c.as_str()), ("X-CSRF-Token", t.as_str())];
        let (kind, body) = multipart(&[("file", "Mine.wav", &one)]);
        let r = call_raw(port, "POST", up, &h, Some((&kind, body)));
        assert_eq!(r.status, status, "{user}: {}", r.json);
        let r = call(port, "DELETE", "/api/stations/rock/media/1", &h, None);
        assert_eq!(r.status, status, "{user}: {}", r.json);
    }
    assert!(!music.join("Mine.wav").exists());

    // Imports never reach the server's own network unless the config allows it: refused
    // before any connection (nothing listens on these ports).
    for url in [
        "http://127.0.0.1:9/x.wav",
        "http://localhost:9/x.wav",
        "http://[::1]:9/x.wav",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/x.wav",
        "http://[::ffff:192.168.1.1]/x.wav",
    ] {
        let r = call(
            port,
            "POST",
            "/api/stations/rock/media/import",
            &admin,
            Some(json!({ "url": url })),
        );
        assert_eq!(r.status, 403, "{url}: {}", r.json);
        assert!(
            r.json["error"]
                .as_str()
                .unwrap()
                .contains("not a public address")
                && r.json["error"]
                    .as_str()
                    .unwrap()
                    .contains("import_private_addresses"),
            "{}",
            r.json
        );
    }

    // Uploads are in the audit log with who made them.
    let r = call(port, "GET", "/api/stations/rock/logs", &admin, None);
    let audit = r.json["audit"].as_array().unwrap();
    for action in ["media.upload", "media.edit", "media.delete"] {
        assert!(
            audit
                .iter()
                .any(|e| e["action"] == action && e["username"] == "admin"),
            "{action} not logged: {}",
            r.json
        );
    }
}

/// Answers one request on a fresh port with a 302 to `location`; returns the URL.
fn serve_redirect(location: &str) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/go", l.local_addr().unwrap());
    let head = format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(head.as_bytes());
        }
    });
    url
}

/// Serves `body` with `kind` to one request on a fresh port; returns the URL.
fn serve_once(path: &str, kind: &'static str, body: Vec<u8>) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{path}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    url
}

#[test]
fn tracks_are_imported_from_a_url_with_the_upload_checks() {
    let dir = temp_dir("api-import");
    let music = dir.join("music");
    std::fs::create_dir_all(&music).unwrap();
    let port = free_port();
    std::fs::write(
        dir.join("radiopoint.toml"),
        format!(
            "[server]\nport = {port}\nimport_private_addresses = true\n[[station]]\n\
             name = \"rock\"\nmedia = [\"music\"]\n[[station.output]]\nmount = \"/rock.mp3\"\n"
        ),
    )
    .unwrap();
    let _rp = start_config(&dir.join("radiopoint.toml"), port);
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    common::write_wav(&dir.join("t.wav"), 2.0, 220.0);
    let wav = std::fs::read(dir.join("t.wav")).unwrap();
    let imp = "/api/stations/rock/media/import";
    let url = serve_once("/files/Far%20Away%20-%20Tune.wav", "audio/wav", wav.clone());
    let r = call(port, "POST", imp, &admin, Some(json!({"url": url})));
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(
        std::fs::read(music.join("Far Away - Tune.wav")).unwrap(),
        wav
    );
    wait_media(port, "rock", &admin, |l| {
        l.iter()
            .any(|t| t["title"] == "Tune" && t["artist"] == "Far Away" && t["status"] == "ok")
    });
    // Redirects are followed (each hop checked); the name comes from where they end; a
    // redirect to something other than HTTP is refused.
    let target = serve_once("/files/Moved%20-%20Here.wav", "audio/wav", wav.clone());
    let url = serve_redirect(&target);
    let r = call(port, "POST", imp, &admin, Some(json!({"url": url})));
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(std::fs::read(music.join("Moved - Here.wav")).unwrap(), wav);
    let url = serve_redirect("file:///etc/passwd");
    let r = call(port, "POST", imp, &admin, Some(json!({"url": url})));
    assert_eq!(r.status, 502, "{}", r.json);
    assert!(
        r.json["error"].as_str().unwrap().contains("not an http"),
        "{}",
        r.json
    );

    // Not audio; a name that would leave the folder; not HTTP.
    let url = serve_once("/doc", "application/pdf", b"%PDF-1.4".to_vec());
    let r = call(port, "POST", imp, &admin, Some(json!({"url": url})));
    assert_eq!(r.status, 415, "{}", r.json);
    let url = serve_once("/x/..%2F..%2Fevil.wav", "audio/wav", wav.clone());
    let r = call(port, "POST", imp, &admin, Some(json!({"url": url})));
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(!dir.join("evil.wav").exists());
    let r = call(
        port,
        "POST",
        imp,
        &admin,
        Some(json!({"url": "file:///etc/passwd"})),
    );
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(hidden_files(&music), Vec::<String>::new());
}

/// A listener on `mount` with its own User-Agent, having read `n` bytes.
fn listen(port: u16, mount: &str, agent: &str, n: usize) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {mount} HTTP/1.1\r\nHost: x\r\nUser-Agent: {agent}\r\n\r\n"
    )
    .unwrap();
    let mut got = 0;
    let mut buf = [0u8; 4096];
    while got < n {
        let k = s.read(&mut buf).unwrap();
        assert!(k > 0, "{agent}: the stream ended");
        got += k;
    }
    s
}

/// Waits (bounded) until the server counts `n` listeners.
fn wait_listeners(port: u16, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = call(port, "GET", "/status-json.xsl", &[], None);
        let count: u64 = match &r.json["icestats"]["source"] {
            Value::Array(a) => a.iter().filter_map(|s| s["listeners"].as_u64()).sum(),
            Value::Object(_) => r.json["icestats"]["source"]["listeners"]
                .as_u64()
                .unwrap_or(0),
            _ => 0,
        };
        if count == n {
            return;
        }
        assert!(Instant::now() < deadline, "{count} listeners, not {n}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn listener_statistics_match_the_sessions_opened_and_the_log_shows_refused_djs() {
    let dir = temp_dir("api-stats");
    let port = free_port();
    std::fs::write(
        dir.join("radiopoint.toml"),
        format!(
            "[server]\nport = {port}\n[[station]]\nname = \"rock\"\n\
             [[station.output]]\nmount = \"/rock.mp3\"\n\
             [[station.output]]\nmount = \"/rock.opus\"\ncodec = \"opus\"\n\
             [station.live]\nmount = \"/rock-live\"\n\
             [[station.dj]]\nuser = \"alice\"\npassword = \"secret\"\n"
        ),
    )
    .unwrap();
    let _rp = start_config(&dir.join("radiopoint.toml"), port);
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let stats = "/api/stations/rock/stats";
    let before = call(port, "GET", stats, &admin, None);
    assert_eq!(before.status, 200, "{}", before.json);
    assert_eq!(before.json["summary"]["sessions"], 0);

    // Five MP3 listeners and three Opus ones, each its own player.
    let mut open = Vec::new();
    for i in 0..5 {
        open.push(listen(port, "/rock.mp3", &format!("player-mp3-{i}"), 8_000));
    }
    for i in 0..3 {
        open.push(listen(
            port,
            "/rock.opus",
            &format!("player-opus-{i}"),
            2_000,
        ));
    }
    wait_listeners(port, 8);
    let r = call(port, "GET", stats, &admin, None);
    assert_eq!(r.json["listeners_now"]["/rock.mp3"], 5, "{}", r.json);
    assert_eq!(r.json["listeners_now"]["/rock.opus"], 3, "{}", r.json);
    assert_eq!(r.json["peak"]["listeners"], 8, "{}", r.json);
    assert_eq!(r.json["summary"]["sessions"], 0, "nobody has left yet");
    drop(open);
    wait_listeners(port, 0);

    let r = call(port, "GET", stats, &admin, None);
    let sum = &r.json["summary"];
    assert_eq!(
        (sum["sessions"].as_i64(), sum["unique"].as_i64()),
        (Some(8), Some(8)),
        "{}",
        r.json
    );
    let sessions = r.json["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 8);
    for s in sessions {
        let agent = s["user_agent"].as_str().unwrap();
        let (mount, least) = if agent.contains("mp3") {
            ("/rock.mp3", 8_000)
        } else {
            ("/rock.opus", 2_000)
        };
        assert_eq!(s["mount"], mount, "{s}");
        assert!(s["bytes"].as_i64().unwrap() >= least, "{s}");
        assert_eq!(s["ip"], "127.0.0.1");
    }
    assert_eq!(r.json["peak"]["listeners"], 8);

    // CSV of the sessions and of the series; the chart.
    let csv = |what: &str| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET {stats}?what={what} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out.split_once("\r\n\r\n").unwrap().1.to_string()
    };
    let rows = csv("sessions");
    assert_eq!(rows.lines().count(), 9, "{rows}");
    assert!(rows.starts_with("started,mount,seconds,bytes,ip,user_agent"));
    assert!(
        rows.lines().any(|l| l.ends_with(",player-opus-2")),
        "{rows}"
    );
    let series = csv("series");
    assert!(
        series
            .lines()
            .skip(1)
            .any(|l| l.split(',').nth(1) == Some("8")),
        "{series}"
    );
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {stats}/chart.svg?range=week HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(
        out.contains("image/svg+xml")
            && out.contains("peak 8")
            && out.trim_end().ends_with("</svg>"),
        "{out}"
    );

    // A DJ with the wrong password: refused, and the log says who and why.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "PUT /rock-live HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nContent-Type: audio/mpeg\r\n\r\n",
        common_base64("alice:wrong")
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(
        out.starts_with("HTTP/1.0 401") || out.starts_with("HTTP/1.1 401"),
        "{out}"
    );
    let r = call(port, "GET", "/api/stations/rock/events", &admin, None);
    let refused = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "dj.refused");
    let msg = refused
        .map(|e| e["message"].as_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(msg.contains("alice") && msg.contains("401"), "{}", r.json);

    // Bad queries are named; a non-member sees nothing.
    let r = call(
        port,
        "GET",
        &format!("{stats}?from=yesterday"),
        &admin,
        None,
    );
    assert_eq!(r.status, 400);
    assert!(
        r.json["error"].as_str().unwrap().contains("from"),
        "{}",
        r.json
    );
    make_user(port, &admin, "nick");
    let (c, _) = login(port, "nick", "nick-password");
    let r = call(port, "GET", stats, &[("Cookie", c.as_str())], None);
    assert_eq!(r.status, 404);
}

fn common_base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// GET returning the status and the body's bytes.
fn get_bytes(port: u16, path: &str, cookie: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..end]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, out[end + 4..].to_vec())
}

/// The tracks of a station as (title, artist, duration, loudness), sorted.
fn library(port: u16, station: &str, h: &[(&str, &str)]) -> Vec<(String, String, i64, i64)> {
    let r = call(
        port,
        "GET",
        &format!("/api/stations/{station}/media"),
        h,
        None,
    );
    let mut v: Vec<_> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["title"].as_str().unwrap_or("").to_string(),
                t["artist"].as_str().unwrap_or("").to_string(),
                (t["duration"].as_f64().unwrap_or(0.0) * 1000.0) as i64,
                (t["loudness"].as_f64().unwrap_or(0.0) * 100.0) as i64,
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_backup_restored_on_a_fresh_installation_gives_the_same_station() {
    let (rp, port) = start("api-backup-a");
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let body = json!({"name": "pop", "display_name": "Pop FM", "output": [{"mount": "/pop.mp3"}]});
    let r = call(port, "POST", "/api/stations", &admin, Some(body));
    assert_eq!(r.status, 201, "{}", r.json);
    let dir = temp_dir("api-backup-files");
    let mut parts = Vec::new();
    for (name, secs) in [("Alpha - One.wav", 2.0), ("Beta - Two.wav", 3.0)] {
        common::write_wav(&dir.join(name), secs, 440.0);
        parts.push((name, std::fs::read(dir.join(name)).unwrap()));
    }
    let refs: Vec<(&str, &str, &[u8])> = parts.iter().map(|(n, b)| ("file", *n, &b[..])).collect();
    let (kind, mp) = multipart(&refs);
    let r = call_raw(
        port,
        "POST",
        "/api/stations/pop/media",
        &admin,
        Some((&kind, mp)),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    wait_media(port, "pop", &admin, |l| {
        l.len() == 2 && l.iter().all(|t| t["status"] == "ok")
    });
    make_user(port, &admin, "dora");
    let r = call(
        port,
        "PUT",
        "/api/stations/pop/members/dora",
        &admin,
        Some(json!({"role": "dj", "permissions": ["skip", "media"]})),
    );
    assert_eq!(r.status, 200);
    let before = library(port, "pop", &admin);

    // Made while the station runs, through the API and with the command.
    let (status, archive) = get_bytes(port, "/api/stations/pop/backup", &cookie);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&archive));
    assert_eq!(&archive[..2], &[0x1f, 0x8b], "a gzip file");
    let db_a = std::env::temp_dir()
        .join(format!(
            "radiopoint-bin-{}-api-backup-a",
            std::process::id()
        ))
        .join("radiopoint.db");
    let cli_archive = dir.join("pop.tar.gz");
    let out = Command::new(BIN)
        .args(["backup", "pop", "--db"])
        .arg(&db_a)
        .arg("-o")
        .arg(&cli_archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 files"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(rp);

    // A fresh installation: restore through the API; the station is on air at once.
    let (_rp_b, port_b) = start("api-backup-b");
    let (cookie_b, csrf_b) = login(port_b, "admin", "hackme");
    let admin_b = [
        ("Cookie", cookie_b.as_str()),
        ("X-CSRF-Token", csrf_b.as_str()),
    ];
    let r = call_raw(
        port_b,
        "POST",
        "/api/stations/restore",
        &admin_b,
        Some(("application/gzip", archive.clone())),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["files"], 2);
    let np = wait_status(port_b, "/api/nowplaying/pop", 200);
    assert_eq!(np.json["name"], "Pop FM");
    assert_eq!(library(port_b, "pop", &admin_b), before);
    // Dora's account and permissions came along; she logs in with her password.
    let (c, _) = login(port_b, "dora", "dora-password");
    let r = call(
        port_b,
        "GET",
        "/api/stations/pop",
        &[("Cookie", c.as_str())],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["you"]["permissions"], json!(["skip", "media"]));
    let r = call(
        port_b,
        "GET",
        "/api/session",
        &[("Cookie", c.as_str())],
        None,
    );
    assert_eq!(r.json["user"]["admin"], false, "{}", r.json);
    // Not twice; not garbage.
    let r = call_raw(
        port_b,
        "POST",
        "/api/stations/restore",
        &admin_b,
        Some(("application/gzip", archive)),
    );
    assert_eq!(r.status, 409, "{}", r.json);
    let r = call_raw(
        port_b,
        "POST",
        "/api/stations/restore",
        &admin_b,
        Some(("application/gzip", b"nonsense".to_vec())),
    );
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("not a radiopoint backup"),
        "{}",
        r.json
    );
    // Only administrators restore; only owners back up.
    let r = call_raw(
        port_b,
        "POST",
        "/api/stations/restore",
        &[("Cookie", c.as_str())],
        Some(("application/gzip", vec![1])),
    );
    assert_eq!(r.status, 403);
    let (status, _) = get_bytes(port_b, "/api/stations/pop/backup", &c);
    assert_eq!(status, 403);

    // And with the command, into another fresh installation, under another name.
    let dir_c = temp_dir("api-backup-c");
    let out = Command::new(BIN)
        .args(["restore", "--as", "pop2", "--db"])
        .arg(dir_c.join("radiopoint.db"))
        .arg(&cli_archive)
        .output()
        .unwrap();
    // The database does not exist yet: the command says so and changes nothing.
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port_c = free_port();
    let child = Command::new(BIN)
        .args(["--no-demo", "--port", &port_c.to_string(), "--db"])
        .arg(dir_c.join("radiopoint.db"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(up(child, port_c));
    let out = Command::new(BIN)
        .args(["restore", "--as", "pop2", "--db"])
        .arg(dir_c.join("radiopoint.db"))
        .arg(&cli_archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir_c.join("stations/pop2/media/Alpha - One.wav").exists());
    let child = Command::new(BIN)
        .args(["--no-demo", "--port", &port_c.to_string(), "--db"])
        .arg(dir_c.join("radiopoint.db"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _rp_c = up(child, port_c);
    let (cookie_c, _) = login(port_c, "admin", "hackme");
    let np = wait_status(port_c, "/api/nowplaying/pop2", 200);
    assert_eq!(np.json["name"], "Pop FM");
    assert_eq!(
        library(port_c, "pop2", &[("Cookie", cookie_c.as_str())]),
        before
    );
}

/// A source login on `mount` with `user:password`: the status line's code.
fn source_login(port: u16, mount: &str, user: &str, password: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "PUT {mount} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nContent-Type: audio/mpeg\r\nExpect: 100-continue\r\n\r\n",
        common_base64(&format!("{user}:{password}"))
    )
    .unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    let line = String::from_utf8_lossy(&buf[..n]).to_string();
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn settings_and_lists_change_the_running_station_and_listeners_stay() {
    let dir = temp_dir("api-settings");
    let port = free_port();
    std::fs::write(
        dir.join("radiopoint.toml"),
        format!(
            "[server]\nport = {port}\n[[station]]\nname = \"rock\"\n\
             [[station.output]]\nmount = \"/rock.mp3\"\n"
        ),
    )
    .unwrap();
    let _rp = start_config(&dir.join("radiopoint.toml"), port);
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let body = json!({
        "name": "pop", "display_name": "Pop FM",
        "output": [{"mount": "/pop.mp3"}],
        "live": {"mount": "/pop-live"},
        "dj": [{"user": "alice", "password": "alice-pw"}],
    });
    let r = call(port, "POST", "/api/stations", &admin, Some(body));
    assert_eq!(r.status, 201, "{}", r.json);
    let mut listener = listen(port, "/pop.mp3", "stays", 4_000);

    // A setting changes the running station; the listener keeps receiving.
    let r = call(
        port,
        "PATCH",
        "/api/stations/pop",
        &admin,
        Some(json!({"display_name": "Pop Two", "crossfade": 2.5})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let np = wait_status(port, "/api/nowplaying/pop", 200);
    assert_eq!(np.json["name"], "Pop Two");
    let mut buf = vec![0u8; 16_000];
    listener
        .read_exact(&mut buf)
        .expect("the listener stays connected through the change");
    let r = call(port, "GET", "/api/stations/pop/settings", &admin, None);
    assert_eq!(
        (
            r.json["settings"]["crossfade"].as_f64(),
            r.json["read_only"].as_bool()
        ),
        (Some(2.5), Some(false)),
        "{}",
        r.json
    );
    assert_eq!(
        r.json["settings"]["dj"][0]["password"], "********",
        "{}",
        r.json
    );
    // Bad values are named and change nothing; config stations are read-only.
    let r = call(
        port,
        "PATCH",
        "/api/stations/pop",
        &admin,
        Some(json!({"crossfade": "long"})),
    );
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(
        r.json["error"].as_str().unwrap().contains("crossfade"),
        "{}",
        r.json
    );
    let r = call(
        port,
        "PATCH",
        "/api/stations/rock",
        &admin,
        Some(json!({"display_name": "x"})),
    );
    assert_eq!(r.status, 409, "{}", r.json);
    let r = call(port, "GET", "/api/stations/rock/settings", &admin, None);
    assert_eq!(
        (
            r.json["read_only"].as_bool(),
            r.json["settings"]["output"][0]["mount"].as_str()
        ),
        (Some(true), Some("/rock.mp3")),
        "{}",
        r.json
    );

    // Outputs: a second mount comes and goes.
    let r = call(
        port,
        "POST",
        "/api/stations/pop/outputs",
        &admin,
        Some(json!({"mount": "/pop.opus", "codec": "opus", "bitrate": 64})),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    drop(listen(port, "/pop.opus", "opus", 1_000));
    let r = call(
        port,
        "POST",
        "/api/stations/pop/outputs",
        &admin,
        Some(json!({"mount": "/rock.mp3"})),
    );
    assert_eq!(r.status, 409, "another station's mount: {}", r.json);
    let r = call(port, "DELETE", "/api/stations/pop/outputs/1", &admin, None);
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(port, "GET", "/api/stations/pop/outputs", &admin, None);
    assert_eq!(
        r.json["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.json
    );

    // DJs: a new one can go live at once; secrets never come back.
    assert_eq!(source_login(port, "/pop-live", "bob", "bob-pw"), 401);
    let r = call(
        port,
        "POST",
        "/api/stations/pop/djs",
        &admin,
        Some(json!({"user": "bob", "password": "bob-pw"})),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let r = call(
        port,
        "POST",
        "/api/stations/pop/djs",
        &admin,
        Some(json!({"user": "BOB", "password": "x"})),
    );
    assert_eq!(r.status, 409, "{}", r.json);
    assert_eq!(source_login(port, "/pop-live", "bob", "bob-pw"), 100);
    let r = call(port, "GET", "/api/stations/pop/djs", &admin, None);
    assert!(
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["password"] == "********"),
        "{}",
        r.json
    );

    // Bob, a DJ member without settings, sees and changes only his own entry.
    make_user(port, &admin, "bob");
    let r = call(
        port,
        "PUT",
        "/api/stations/pop/members/bob",
        &admin,
        Some(json!({"role": "dj"})),
    );
    assert_eq!(r.status, 200);
    let (c, t) = login(port, "bob", "bob-password");
    let bob = [("Cookie", c.as_str()), ("X-CSRF-Token", t.as_str())];
    let r = call(port, "GET", "/api/stations/pop/djs", &bob, None);
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(
        (items.len(), items[0]["user"].as_str()),
        (1, Some("bob")),
        "{}",
        r.json
    );
    let r = call(
        port,
        "PUT",
        "/api/stations/pop/djs/bob",
        &bob,
        Some(json!({"password": "bob-new", "user": "mallory"})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(source_login(port, "/pop-live", "bob", "bob-new"), 100);
    assert_eq!(source_login(port, "/pop-live", "bob", "bob-pw"), 401);
    let r = call(
        port,
        "PUT",
        "/api/stations/pop/djs/alice",
        &bob,
        Some(json!({"password": "mine"})),
    );
    assert_eq!(r.status, 403, "{}", r.json);
    let r = call(
        port,
        "PATCH",
        "/api/stations/pop",
        &bob,
        Some(json!({"display_name": "Bob FM"})),
    );
    assert_eq!(r.status, 403, "{}", r.json);

    // A ban holds through a rebuild of the station (it is kept in the store) until lifted.
    let r = call(port, "POST", "/api/stations/pop/djs/bob/ban", &admin, None);
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(source_login(port, "/pop-live", "bob", "bob-new"), 403);
    let r = call(
        port,
        "PATCH",
        "/api/stations/pop",
        &admin,
        Some(json!({"genre": "pop"})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(source_login(port, "/pop-live", "bob", "bob-new"), 403);
    let r = call(
        port,
        "DELETE",
        "/api/stations/pop/djs/bob/ban",
        &admin,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(source_login(port, "/pop-live", "bob", "bob-new"), 100);
    let r = call(
        port,
        "DELETE",
        "/api/stations/pop/djs/bob/ban",
        &admin,
        None,
    );
    assert_eq!(r.status, 404, "nothing left to lift: {}", r.json);

    // Bob reads the log of his own sets only (no logs permission), not Alice's refusal.
    assert_eq!(source_login(port, "/pop-live", "alice", "wrong"), 401);
    let r = call(port, "GET", "/api/stations/pop/events", &bob, None);
    assert_eq!(r.status, 200, "{}", r.json);
    let mine = r.json.as_array().unwrap();
    assert!(
        !mine.is_empty()
            && mine
                .iter()
                .all(|e| e["message"].as_str().unwrap().starts_with("bob ")),
        "{}",
        r.json
    );
    let r = call(port, "GET", "/api/stations/pop/events", &admin, None);
    assert!(
        r.json
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"].as_str().unwrap().starts_with("alice ")),
        "{}",
        r.json
    );

    // Shows need schedule and a valid time.
    let r = call(
        port,
        "POST",
        "/api/stations/pop/shows",
        &admin,
        Some(json!({"file": "/nowhere.mp3", "at": "someday"})),
    );
    assert_eq!(r.status, 400, "{}", r.json);
    let r = call(
        port,
        "POST",
        "/api/stations/pop/shows",
        &bob,
        Some(json!({"file": "/x.mp3", "at": "2030-01-01T10:00:00Z"})),
    );
    assert_eq!(r.status, 403, "{}", r.json);
    let r = call(port, "GET", "/api/stations/pop/logs", &admin, None);
    assert!(
        r.json["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "settings" && e["username"] == "bob"),
        "{}",
        r.json
    );
}

#[test]
fn playlists_are_made_changed_and_deleted_with_their_rules() {
    let dir = temp_dir("api-playlists");
    let music = dir.join("music");
    std::fs::create_dir_all(&music).unwrap();
    common::write_wav(&music.join("A - One.wav"), 1.0, 440.0);
    common::write_wav(&music.join("B - Two.wav"), 1.0, 550.0);
    let port = free_port();
    std::fs::write(
        dir.join("radiopoint.toml"),
        format!(
            "[server]\nport = {port}\n[[station]]\nname = \"rock\"\nmedia = \"music\"\n\
             [[station.output]]\nmount = \"/rock.mp3\"\n"
        ),
    )
    .unwrap();
    let _rp = start_config(&dir.join("radiopoint.toml"), port);
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let tracks = wait_media(port, "rock", &admin, |l| l.len() == 2);
    let ids: Vec<i64> = tracks.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    let url = "/api/stations/rock/playlists";
    let r = call(
        port,
        "POST",
        url,
        &admin,
        Some(
            json!({"name": "Mornings", "order": "sequential", "weight": 3,
                    "days": ["mon", "tue"], "start": "06:00", "end": "10:00", "tracks": ids}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["id"].as_i64().unwrap();
    let r = call(port, "GET", url, &admin, None);
    let p = &r.json[0];
    assert_eq!(
        (
            p["name"].as_str(),
            p["order"].as_str(),
            p["weight"].as_i64(),
            p["start"].as_str()
        ),
        (Some("Mornings"), Some("sequential"), Some(3), Some("06:00")),
        "{}",
        r.json
    );
    assert_eq!(p["tracks"], json!(ids));
    assert_eq!(p["days"], json!(["mon", "tue"]));
    // Changed: a jingle-style rotation with one track.
    let r = call(
        port,
        "PUT",
        &format!("{url}/{id}"),
        &admin,
        Some(json!({"name": "Idents", "rotation": "every_n_songs", "n": 3, "tracks": [ids[1]]})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(port, "GET", url, &admin, None);
    assert_eq!(
        (
            r.json[0]["rotation"].as_str(),
            r.json[0]["n"].as_i64(),
            r.json[0]["tracks"].clone()
        ),
        (Some("every_n_songs"), Some(3), json!([ids[1]])),
        "{}",
        r.json
    );
    // Bulk edits: out by id, in by a search (as the media list's), in by ids (those
    // already in stay put), never a track of another library.
    let id_of = |word: &str| {
        tracks
            .iter()
            .find(|t| t["path"].as_str().unwrap().contains(word))
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (one, two) = (id_of("One"), id_of("Two"));
    let bulk = format!("{url}/{id}/tracks");
    for (body, want, added, removed) in [
        (json!({"remove": [ids[1]]}), json!([]), 0, 1),
        (json!({"add_matching": "a ONE"}), json!([one]), 1, 0),
        (json!({"add": [two, one]}), json!([one, two]), 1, 0),
        (json!({"add_matching": ""}), json!([one, two]), 0, 0),
        (
            json!({"remove": [one], "add": [one]}),
            json!([two, one]),
            1,
            1,
        ),
    ] {
        let r = call(port, "POST", &bulk, &admin, Some(body.clone()));
        assert_eq!(r.status, 200, "{body}: {}", r.json);
        assert_eq!(
            (
                r.json["tracks"].clone(),
                r.json["added"].as_i64(),
                r.json["removed"].as_i64()
            ),
            (want, Some(added), Some(removed)),
            "{body}: {}",
            r.json
        );
    }
    let r = call(port, "GET", url, &admin, None);
    assert_eq!(r.json[0]["tracks"], json!([two, one]), "{}", r.json);
    let r = call(port, "POST", &bulk, &admin, Some(json!({"add": [999999]})));
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(
        r.json["error"].as_str().unwrap().contains("track 999999"),
        "{}",
        r.json
    );
    let r = call(
        port,
        "POST",
        &format!("{url}/999999/tracks"),
        &admin,
        Some(json!({"add": [one]})),
    );
    assert_eq!(r.status, 404, "{}", r.json);
    // Mistakes are named.
    for (body, key) in [
        (json!({"name": "x", "order": "alphabetical"}), "order"),
        (json!({"name": "x", "rotation": "every_n_songs"}), "n"),
        (
            json!({"name": "x", "days": ["someday"], "start": "01:00", "end": "02:00"}),
            "days",
        ),
        (
            json!({"name": "x", "start": "25:00", "end": "02:00"}),
            "start",
        ),
        (json!({"name": "Idents"}), "exists"),
    ] {
        let r = call(port, "POST", url, &admin, Some(body.clone()));
        assert!(r.status == 400 || r.status == 409, "{body}: {}", r.json);
        assert!(
            r.json["error"].as_str().unwrap().contains(key),
            "{body}: {}",
            r.json
        );
    }
    // Only with the playlists permission.
    make_user(port, &admin, "dora");
    call(
        port,
        "PUT",
        "/api/stations/rock/members/dora",
        &admin,
        Some(json!({"role": "dj", "permissions": ["media"]})),
    );
    let (c, t) = login(port, "dora", "dora-password");
    let r = call(
        port,
        "DELETE",
        &format!("{url}/{id}"),
        &[("Cookie", c.as_str()), ("X-CSRF-Token", t.as_str())],
        None,
    );
    assert_eq!(r.status, 403, "{}", r.json);
    let r = call(port, "DELETE", &format!("{url}/{id}"), &admin, None);
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(port, "GET", url, &admin, None);
    assert_eq!(r.json, json!([]));
    let r = call(port, "DELETE", &format!("{url}/{id}"), &admin, None);
    assert_eq!(r.status, 404);
}

/// Every station route, for every kind of account: allowed, refused with the permission
/// named (403), or not even shown (404) — another owner's station included.
#[test]
fn every_station_route_checks_every_role() {
    let (_rp, port) = start("api-matrix");
    let (cookie, csrf) = login(port, "admin", "hackme");
    let admin = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    for (name, live) in [("alpha", "/alpha-live"), ("beta", "/beta-live")] {
        let body = json!({"name": name, "output": [{"mount": format!("/{name}.mp3")}], "live": {"mount": live},
                          "dj": [{"user": "dj", "password": "x"}]});
        let r = call(port, "POST", "/api/stations", &admin, Some(body));
        assert_eq!(r.status, 201, "{}", r.json);
    }
    for u in ["oa", "ob", "dj", "nobody"] {
        make_user(port, &admin, u);
    }
    for (station, user, role) in [
        ("alpha", "oa", "owner"),
        ("beta", "ob", "owner"),
        ("alpha", "dj", "dj"),
    ] {
        let r = call(
            port,
            "PUT",
            &format!("/api/stations/{station}/members/{user}"),
            &admin,
            Some(json!({"role": role})),
        );
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let mut sessions = std::collections::HashMap::new();
    for u in ["oa", "ob", "dj", "nobody"] {
        sessions.insert(u, login(port, u, &format!("{u}-password")));
    }
    sessions.insert("admin", (cookie.clone(), csrf.clone()));
    // (method, path, body, what it needs: a permission, "member", "owner" or "admin").
    let routes: Vec<(&str, &str, Option<Value>, &str)> = vec![
        ("GET", "", None, "member"),
        ("GET", "/settings", None, "settings"),
        ("PATCH", "", Some(json!({"genre": "rock"})), "settings"),
        ("GET", "/members", None, "settings"),
        (
            "PUT",
            "/members/nosuchuser",
            Some(json!({"role": "dj"})),
            "owner",
        ),
        ("DELETE", "/members/nosuchuser", None, "owner"),
        ("POST", "/skip", None, "skip"),
        (
            "POST",
            "/requests",
            Some(json!({"track": 999999})),
            "request",
        ),
        ("GET", "/requests", None, "request"),
        ("POST", "/djs/dj/kick", None, "kick"),
        ("POST", "/djs/nosuchdj/ban", None, "ban"),
        ("GET", "/logs", None, "logs"),
        ("GET", "/events", None, "member"), // DJs: their own sets
        ("GET", "/stats", None, "logs"),
        ("GET", "/stats/chart.svg", None, "logs"),
        ("GET", "/media", None, "media"),
        (
            "POST",
            "/media/import",
            Some(json!({"url": "ftp://x"})),
            "media",
        ),
        (
            "PATCH",
            "/media/999999",
            Some(json!({"title": "x"})),
            "media",
        ),
        ("DELETE", "/media/999999", None, "media"),
        ("GET", "/playlists", None, "playlists"),
        ("POST", "/playlists", Some(json!({"name": ""})), "playlists"),
        ("DELETE", "/playlists/999999", None, "playlists"),
        (
            "POST",
            "/playlists/999999/tracks",
            Some(json!({"remove": [1]})),
            "playlists",
        ),
        ("GET", "/shows", None, "schedule"),
        (
            "POST",
            "/shows",
            Some(json!({"file": "/x.mp3", "at": "never"})),
            "schedule",
        ),
        ("GET", "/outputs", None, "settings"),
        ("DELETE", "/outputs/7", None, "settings"),
        ("GET", "/upstreams", None, "settings"),
        ("GET", "/djs", None, "member"),
        ("DELETE", "/djs/nosuchdj", None, "settings"),
        ("GET", "/backup", None, "owner"),
        ("DELETE", "", None, "admin"),
    ];
    let mut checked = 0;
    for (method, tail, body, need) in &routes {
        for user in ["admin", "oa", "ob", "dj", "nobody"] {
            // The station deletion last, by the administrator only.
            if *need == "admin" && user == "admin" {
                continue;
            }
            let (c, t) = &sessions[user];
            let h = [("Cookie", c.as_str()), ("X-CSRF-Token", t.as_str())];
            let path = format!("/api/stations/alpha{tail}");
            let r = call(port, method, &path, &h, body.clone());
            let hidden = r.status == 404
                && r.json["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("station alpha"));
            let expect = match (user, *need) {
                ("nobody" | "ob", _) => "hidden",
                ("admin", _)
                | (
                    "oa",
                    "member" | "owner" | "settings" | "skip" | "request" | "kick" | "ban" | "logs"
                    | "media" | "playlists" | "schedule",
                ) => "allowed",
                ("oa", "admin") => "forbidden",
                ("dj", "member" | "request") => "allowed",
                ("dj", _) => "forbidden",
                _ => unreachable!(),
            };
            match expect {
                "hidden" => assert!(hidden, "{user} {method} {path}: {} {}", r.status, r.json),
                "forbidden" => {
                    assert_eq!(r.status, 403, "{user} {method} {path}: {}", r.json);
                    let e = r.json["error"].as_str().unwrap_or("");
                    assert!(
                        e.contains(&format!("permission required: {need}")),
                        "{user} {method} {path}: {e}"
                    );
                }
                _ => assert!(
                    ![401, 403].contains(&r.status) && !hidden,
                    "{user} {method} {path}: {} {}",
                    r.status,
                    r.json
                ),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, routes.len() * 5 - 1);
    // Beta's owner runs beta, not alpha; the administrator deletes alpha.
    let (c, _) = &sessions["ob"];
    let r = call(
        port,
        "GET",
        "/api/stations/beta/settings",
        &[("Cookie", c.as_str())],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(
        port,
        "GET",
        "/api/stations",
        &[("Cookie", c.as_str())],
        None,
    );
    let names: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["beta"]);
    let r = call(port, "DELETE", "/api/stations/alpha", &admin, None);
    assert_eq!(r.status, 200, "{}", r.json);
}

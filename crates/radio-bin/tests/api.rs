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
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes()).unwrap();
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

/// radiopoint with no demo, its database in a fresh folder; waits until the API answers.
fn start(name: &str) -> (Running, u16) {
    start_with(name, &["--no-demo"])
}

fn start_with(name: &str, extra: &[&str]) -> (Running, u16) {
    let dir = temp_dir(name);
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

/// Waits (bounded) until the server accepts connections on `port`.
fn up(child: std::process::Child, port: u16) -> Running {
    let running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
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

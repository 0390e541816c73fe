//! Status documents and admin commands.

use crate::util::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn admin() -> String {
    format!("Authorization: {}\r\n", basic("admin", "hackme"))
}

#[tokio::test]
async fn status_json_keeps_icecast_shape() {
    let t = TestServer::default().await;
    let (_, body) = get(t.addr, "/status-json.xsl", "").await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["icestats"].get("source").is_none(),
        "no source key without live mounts"
    );
    let mut a = source(t.addr, "/one.mp3", "audio/mpeg", "ice-name: One\r\nice-audio-info: ice-samplerate=44100;ice-bitrate=128;ice-channels=2\r\nice-bitrate: 128\r\n").await;
    a.write_all(&frames(0, 5)).await.unwrap();
    let _l = listen(t.addr, "/one.mp3", "").await;
    let (head, body) = get(t.addr, "/status-json.xsl", "Host: radio.example:8000\r\n").await;
    assert!(head.contains("Content-Type: application/json"));
    let text = String::from_utf8(body).unwrap();
    assert!(text.ends_with("\"dummy\":null}}}"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = &v["icestats"]["source"];
    assert!(s.is_object(), "one mount: an object");
    assert_eq!(s["listenurl"], "http://radio.example:8000/one.mp3");
    assert_eq!(s["listeners"], 1);
    assert_eq!(s["listener_peak"], 1);
    assert_eq!(s["server_name"], "One");
    assert_eq!(s["bitrate"], 128);
    assert_eq!(s["ice-samplerate"], 44100);
    assert_eq!(s["server_type"], "audio/mpeg");
    assert!(s["stream_start_iso8601"].as_str().unwrap().contains('T'));
    assert_eq!(v["icestats"]["server_id"], radio_net::SERVER_ID);
    let _b = source(t.addr, "/two.mp3", "audio/mpeg", "").await;
    let (_, body) = get(t.addr, "/status-json.xsl", "").await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["icestats"]["source"].as_array().unwrap().len(),
        2,
        "two mounts: an array"
    );
    t.stop().await;
}

#[tokio::test]
async fn penguincast_info_json_and_html() {
    let mut c = radio_net::ServerConfig::default();
    c.name = "Rollstation radio".into();
    c.mounts.push(radio_net::MountConfig::new("/RockRadio96"));
    let t = TestServer::start(c).await;
    let (head, body) = get(t.addr, "/info.json", "").await;
    assert!(head.contains("Content-Type: application/json"));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let m = &v["Mounts"][0];
    assert_eq!(m["Name "], "RockRadio96");
    assert_eq!(m["Status"], "Offline");
    assert_eq!(m["Started"], "false");
    for key in [
        "Stream Description",
        "Genre",
        "Content Type",
        "Bitrate",
        "Listeners (current)",
        "Stream URL",
        "Currently playing",
    ] {
        assert!(m[key].is_string(), "{key} is a string");
    }
    let _s = source(t.addr, "/RockRadio96", "audio/mpeg", "ice-genre: Rock\r\n").await;
    let (_, body) = get(t.addr, "/info.json", "").await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["Mounts"][0]["Status"], "Online");
    assert_eq!(v["Mounts"][0]["Genre"], "Rock");
    let (_, html) = get(t.addr, "/info.html", "").await;
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("Rollstation radio")
            && html.contains("/RockRadio96")
            && html.contains("Online")
    );
    let (head, _) = get(t.addr, "/", "").await;
    assert!(head.starts_with("HTTP/1.0 301") && head.contains("Location: /info.html"));
    t.stop().await;
}

#[tokio::test]
async fn monitor_pushes_events() {
    let mut c = radio_net::ServerConfig::default();
    c.monitor_interval = Some(std::time::Duration::from_millis(100));
    c.mounts.push(radio_net::MountConfig::new("/m"));
    let t = TestServer::start(c).await;
    let (_, page) = get(t.addr, "/monitor.html", "").await;
    assert!(
        String::from_utf8(page)
            .unwrap()
            .contains("new EventSource('/monitor/events')")
    );
    let (mut s, head, mut body) = request(t.addr, "GET /monitor/events HTTP/1.1\r\n\r\n").await;
    assert!(head.contains("Content-Type: text/event-stream"));
    let mut frames_seen = 0;
    let _src = source(t.addr, "/m", "audio/mpeg", "").await;
    let mut buf = [0u8; 4096];
    while frames_seen < 2 || !String::from_utf8_lossy(&body).contains("\"Online\":true") {
        let n = tokio::time::timeout(WAIT, s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        body.extend_from_slice(&buf[..n]);
        frames_seen = String::from_utf8_lossy(&body).matches("data: ").count();
    }
    let text = String::from_utf8(body).unwrap();
    let first = text
        .split("data: ")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(first).unwrap();
    assert_eq!(v["Mounts"][0]["Name"], "m");
    assert!(v["MemUsage"].as_u64().unwrap() > 0);
    t.stop().await;
    // Without a monitor interval, neither page exists.
    let mut c = radio_net::ServerConfig::default();
    c.monitor_interval = None;
    let t = TestServer::start(c).await;
    assert!(
        get(t.addr, "/monitor.html", "")
            .await
            .0
            .starts_with("HTTP/1.0 404")
    );
    t.stop().await;
}

#[tokio::test]
async fn admin_commands() {
    let t = TestServer::default().await;
    let mut src = source(t.addr, "/live", "audio/mpeg", "").await;
    src.write_all(&frames(0, 5)).await.unwrap();
    let (mut l1, _, _) = listen(t.addr, "/live", "User-Agent: Player/1.0\r\n").await;
    let (_l2, _, _) = listen(t.addr, "/live", "").await;
    for path in [
        "/admin/listmounts",
        "/admin/stats",
        "/admin/listclients?mount=/live",
    ] {
        let (head, _) = get(t.addr, path, "").await;
        assert!(head.starts_with("HTTP/1.0 401"), "{path} needs credentials");
        let (head, _) = get(
            t.addr,
            path,
            &format!("Authorization: {}\r\n", basic("admin", "wrong")),
        )
        .await;
        assert!(head.starts_with("HTTP/1.0 401"));
    }
    let (_, body) = get(t.addr, "/admin/listmounts", &admin()).await;
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains("<source mount=\"/live\">") && body.contains("<listeners>2</listeners>"),
        "{body}"
    );
    let (_, body) = get(t.addr, "/admin/listclients?mount=/live", &admin()).await;
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("<UserAgent>Player/1.0</UserAgent>"), "{body}");
    let id: u64 = body
        .split("<listener id=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, body) = get(
        t.addr,
        &format!("/admin/killclient?mount=/live&id={id}"),
        &admin(),
    )
    .await;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains(&format!("Client {id} removed"))
    );
    // The killed client is the one with that id: its connection ends.
    read_to_close(&mut l1).await;
    until(|| mount_status(&t.server, "/live").unwrap().listeners == 1).await;
    let (_, body) = get(t.addr, "/admin/killclient?mount=/live&id=999999", &admin()).await;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("<return>0</return>")
    );
    let (head, body) = get(t.addr, "/admin/frobnicate", &admin()).await;
    assert!(head.starts_with("HTTP/1.0 400"));
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("Unrecognised command")
    );
    t.stop().await;
}

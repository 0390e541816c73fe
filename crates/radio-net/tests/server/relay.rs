//! Relays (pull) and the upstream push client, between two real servers.

use crate::util::*;
use radio_net::push::{PushClient, PushConfig};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn relay_pulls_audio_and_titles_and_reconnects() {
    let upstream = TestServer::default().await;
    let mut src = source(
        upstream.addr,
        "/up.mp3",
        "audio/mpeg",
        "ice-name: Upstream\r\n",
    )
    .await;
    let mut c = radio_net::ServerConfig::default();
    let mut r =
        radio_net::RelayConfig::new("/relayed.mp3", format!("http://{}/up.mp3", upstream.addr));
    r.retry = Duration::from_millis(50);
    c.relays.push(r);
    let down = TestServer::start(c).await;
    until(|| mount_status(&down.server, "/relayed.mp3").is_some_and(|m| m.live)).await;
    let (_, body) = get(
        upstream.addr,
        "/admin/metadata?mode=updinfo&mount=/up.mp3&song=Relayed+Title",
        &format!("Authorization: {}\r\n", basic("admin", "hackme")),
    )
    .await;
    assert!(String::from_utf8(body).unwrap().contains("successful"));
    let audio = frames(0, 100);
    src.write_all(&audio).await.unwrap();
    let (mut l, head, mut got) = listen(down.addr, "/relayed.mp3", "").await;
    assert!(head.contains("icy-name:Upstream"), "{head}");
    got.extend(read_n(&mut l, audio.len() - got.len()).await);
    assert_eq!(got, audio, "the relay strips the ICY blocks it asked for");
    until(|| mount_status(&down.server, "/relayed.mp3").unwrap().title == "Relayed Title").await;
    // The upstream source leaves and comes back: the relay reconnects by itself.
    drop(src);
    until(|| !mount_status(&down.server, "/relayed.mp3").unwrap().live).await;
    let mut src2 = source(upstream.addr, "/up.mp3", "audio/mpeg", "").await;
    src2.write_all(&frames(500, 20)).await.unwrap();
    until(|| mount_status(&down.server, "/relayed.mp3").unwrap().live).await;
    down.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn on_demand_relay_connects_only_with_listeners() {
    let upstream = TestServer::default().await;
    let mut src = source(upstream.addr, "/up.mp3", "audio/mpeg", "").await;
    src.write_all(&frames(0, 10)).await.unwrap();
    let mut c = radio_net::ServerConfig::default();
    let mut r = radio_net::RelayConfig::new("/od.mp3", format!("http://{}/up.mp3", upstream.addr));
    r.on_demand = true;
    c.relays.push(r);
    let down = TestServer::start(c).await;
    assert_eq!(
        mount_status(&upstream.server, "/up.mp3").unwrap().listeners,
        0
    );
    let (mut l, head, _) = listen(down.addr, "/od.mp3", "").await;
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    until(|| mount_status(&upstream.server, "/up.mp3").unwrap().listeners == 1).await;
    src.write_all(&frames(10, 10)).await.unwrap();
    let got = read_n(&mut l, 417).await;
    assert_eq!(got[..2], [0xFF, 0xFB]);
    down.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn push_client_feeds_a_server_and_resends_title_after_reconnect() {
    let upstream = TestServer::default().await;
    let mut cfg = PushConfig::new(
        format!("http://{}/pushed.mp3", upstream.addr),
        "hackme",
        "audio/mpeg",
    );
    cfg.retry = Duration::from_millis(50);
    cfg.info.name = Some("Pushed".into());
    let client = PushClient::spawn(cfg).unwrap();
    until(|| mount_status(&upstream.server, "/pushed.mp3").is_some_and(|m| m.live)).await;
    client.set_title("First Song");
    until(|| mount_status(&upstream.server, "/pushed.mp3").unwrap().title == "First Song").await;
    let (mut l, head, mut got) = listen(upstream.addr, "/pushed.mp3", "").await;
    assert!(head.contains("icy-name:Pushed"), "{head}");
    let audio = frames(0, 50);
    client.send(bytes::Bytes::from(audio.clone())).await;
    got.extend(read_n(&mut l, audio.len() - got.len()).await);
    assert_eq!(got, audio);
    // The upstream kicks the source: the client reconnects and sends the title again.
    let auth = format!("Authorization: {}\r\n", basic("admin", "hackme"));
    get(upstream.addr, "/admin/killsource?mount=/pushed.mp3", &auth).await;
    until(|| {
        client
            .stats()
            .connects
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    })
    .await;
    until(|| {
        mount_status(&upstream.server, "/pushed.mp3")
            .is_some_and(|m| m.live && m.title == "First Song")
    })
    .await;
    upstream.stop().await;
}

#[tokio::test]
async fn push_falls_back_to_source_when_put_is_refused() {
    // A minimal pre-2.4 server: answers PUT with 405 and SOURCE with 200.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut methods = Vec::new();
        for _ in 0..2 {
            let (mut s, _) = l.accept().await.unwrap();
            let (head, _) = read_head(&mut s).await;
            let method = head.split(' ').next().unwrap().to_string();
            let reply: &[u8] = if method == "PUT" {
                b"HTTP/1.0 405 Method Not Allowed\r\n\r\n"
            } else {
                b"HTTP/1.0 200 OK\r\n\r\n"
            };
            s.write_all(reply).await.unwrap();
            methods.push(method);
            if methods.len() == 2 {
                return (methods, s);
            }
        }
        unreachable!()
    });
    let cfg = PushConfig::new(format!("http://{addr}/old"), "hackme", "audio/mpeg");
    let client = PushClient::spawn(cfg).unwrap();
    let (methods, mut s) = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
    assert_eq!(methods, ["PUT", "SOURCE"]);
    client.send(bytes::Bytes::from_static(b"abc")).await;
    assert_eq!(read_n(&mut s, 3).await, b"abc");
}

#[tokio::test]
async fn push_client_speaks_shoutcast_v1() {
    // A server whose Shoutcast port is its main port + 1, as the protocol expects.
    let (t, port) = loop {
        let main = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = main.local_addr().unwrap().port();
        if let Ok(sc) = std::net::TcpListener::bind(("127.0.0.1", port + 1)) {
            main.set_nonblocking(true).unwrap();
            sc.set_nonblocking(true).unwrap();
            let mut c = radio_net::ServerConfig::default();
            c.fanout.publish_interval = Duration::from_millis(20);
            let server = radio_net::Server::new(c).unwrap();
            let s = server.clone();
            let main = tokio::net::TcpListener::from_std(main).unwrap();
            let sc = tokio::net::TcpListener::from_std(sc).unwrap();
            tokio::spawn(async move { s.run(main, Some(sc), std::future::pending::<()>()).await });
            break (server, port);
        }
    };
    let mut cfg = PushConfig::new(
        format!("http://127.0.0.1:{port}/stream"),
        "hackme",
        "audio/mpeg",
    );
    cfg.protocol = radio_net::PushProtocol::Shoutcast1;
    cfg.info.name = Some("SC push".into());
    let client = PushClient::spawn(cfg).unwrap();
    until(|| mount_status(&t, "/stream").is_some_and(|m| m.live)).await;
    client.set_title("Via admin.cgi");
    until(|| mount_status(&t, "/stream").unwrap().title == "Via admin.cgi").await;
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let (mut l, head, mut got) = listen(addr, "/stream", "").await;
    assert!(head.contains("icy-name:SC push"), "{head}");
    let audio = frames(0, 30);
    client.send(bytes::Bytes::from(audio.clone())).await;
    got.extend(read_n(&mut l, audio.len() - got.len()).await);
    assert_eq!(got, audio);
    t.shutdown();
}

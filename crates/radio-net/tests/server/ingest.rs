//! Source ingest: Icecast2 PUT/SOURCE, auth, refusals, chunked bodies, Shoutcast v1.

use crate::util::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn source_legacy_gets_exact_200_and_audio_in_head_packet_is_kept() {
    let t = TestServer::default().await;
    let audio = frames(0, 40);
    // DarkIce style: bare-LF header lines, ICE/1.0, audio in the same write.
    let mut req = format!(
        "SOURCE /live ICE/1.0\nAuthorization: {}\nice-name: Test Radio\ncontent-type: audio/mpeg\r\n\r\n",
        basic("source", "hackme")
    )
    .into_bytes();
    req.extend_from_slice(&audio);
    let mut src = TcpStream::connect(t.addr).await.unwrap();
    src.write_all(&req).await.unwrap();
    let (head, _) = read_head(&mut src).await;
    assert_eq!(head, "HTTP/1.0 200 OK\r\n\r\n");
    let (mut l, lhead, mut body) = listen(t.addr, "/live", "").await;
    assert!(lhead.starts_with("HTTP/1.0 200 OK\r\n"), "{lhead}");
    assert!(lhead.contains("icy-name:Test Radio\r\n"), "{lhead}");
    body.extend(read_n(&mut l, audio.len() - body.len()).await);
    assert_eq!(
        body, audio,
        "the listener gets exactly the audio sent with the head"
    );
    t.stop().await;
}

#[tokio::test]
async fn put_with_expect_gets_100_continue_then_200() {
    let t = TestServer::default().await;
    let mut s = TcpStream::connect(t.addr).await.unwrap();
    s.write_all(
        format!(
            "PUT /put.mp3 HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Type: audio/mpeg\r\nExpect: 100-continue\r\nIce-Public: 1\r\n\r\n",
            basic("source", "hackme")
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let (h1, rest) = read_head(&mut s).await;
    assert!(h1.starts_with("HTTP/1.1 100 Continue\r\n"), "{h1}");
    let second = if rest.is_empty() {
        read_head(&mut s).await.0
    } else {
        String::from_utf8(rest).unwrap()
    };
    assert_eq!(second, "HTTP/1.0 200 OK\r\n\r\n");
    s.write_all(&frames(0, 20)).await.unwrap();
    let (_l, head, _) = listen(t.addr, "/put.mp3", "").await;
    assert!(head.contains("icy-pub:1\r\n"), "{head}");
    t.stop().await;
}

#[tokio::test]
async fn chunked_put_is_dechunked() {
    let t = TestServer::default().await;
    let audio = frames(0, 30);
    let mut body = Vec::new();
    for piece in audio.chunks(1000) {
        body.extend(format!("{:x}\r\n", piece.len()).bytes());
        body.extend_from_slice(piece);
        body.extend(b"\r\n");
    }
    let (mut s, head, _) = request(
        t.addr,
        &format!(
            "PUT /c.mp3 HTTP/1.1\r\nAuthorization: {}\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\n\r\n",
            basic("source", "hackme")
        ),
    )
    .await;
    assert_eq!(head, "HTTP/1.0 200 OK\r\n\r\n");
    s.write_all(&body).await.unwrap();
    let (mut l, _, mut got) = listen(t.addr, "/c.mp3", "").await;
    got.extend(read_n(&mut l, audio.len() - got.len()).await);
    assert_eq!(got, audio);
    t.stop().await;
}

#[tokio::test]
async fn refusals_say_why() {
    let t = TestServer::default().await;
    // Wrong password (right user) and wrong user (right password) are both refused.
    for (u, p) in [("source", "nope"), ("other", "hackme")] {
        let (_s, head, _) = request(
            t.addr,
            &format!(
                "PUT /m HTTP/1.1\r\nAuthorization: {}\r\nContent-Type: audio/mpeg\r\n\r\n",
                basic(u, p)
            ),
        )
        .await;
        assert!(head.starts_with("HTTP/1.0 401 "), "{head}");
        assert!(head.contains("WWW-Authenticate: Basic realm=\"Icecast2 Server\""));
        assert!(
            head.contains("Allow: GET, HEAD, PUT, SOURCE"),
            "libshout picks PUT from this: {head}"
        );
    }
    let (_s, head, body) = {
        let (mut s, head, mut body) = request(t.addr, "SOURCE /m HTTP/1.0\r\n\r\n").await;
        body.extend(read_to_close(&mut s).await);
        (s, head, body)
    };
    assert!(head.starts_with("HTTP/1.0 401"));
    assert_eq!(body, b"You need to authenticate\r\n");
    // PUT without a content type.
    let (mut s, head, mut body) = request(
        t.addr,
        &format!(
            "PUT /m HTTP/1.1\r\nAuthorization: {}\r\n\r\n",
            basic("source", "hackme")
        ),
    )
    .await;
    body.extend(read_to_close(&mut s).await);
    assert!(head.starts_with("HTTP/1.0 403"), "{head}");
    assert_eq!(body, b"No Content-type given\r\n");
    // Mount in use.
    let _first = source(t.addr, "/busy", "audio/mpeg", "").await;
    let (mut s, head, mut body) = request(
        t.addr,
        &format!(
            "SOURCE /busy HTTP/1.0\r\nAuthorization: {}\r\n\r\n",
            basic("source", "hackme")
        ),
    )
    .await;
    body.extend(read_to_close(&mut s).await);
    assert!(head.starts_with("HTTP/1.0 403"), "{head}");
    assert_eq!(body, b"Mountpoint in use\r\n");
    t.stop().await;
}

#[tokio::test]
async fn too_many_sources() {
    let mut c = radio_net::ServerConfig::default();
    c.limits.max_sources = 2;
    let t = TestServer::start(c).await;
    let _a = source(t.addr, "/a", "audio/mpeg", "").await;
    let _b = source(t.addr, "/b", "audio/mpeg", "").await;
    let (mut s, head, mut body) = request(
        t.addr,
        &format!(
            "SOURCE /c HTTP/1.0\r\nAuthorization: {}\r\n\r\n",
            basic("source", "hackme")
        ),
    )
    .await;
    body.extend(read_to_close(&mut s).await);
    assert!(head.starts_with("HTTP/1.0 403"));
    assert_eq!(body, b"too many sources connected\r\n");
    drop(_a);
    // The place frees once the first source is gone.
    until(|| t.server.stats().sources == 1).await;
    let _c = source(t.addr, "/c", "audio/mpeg", "").await;
    t.stop().await;
}

#[tokio::test]
async fn mount_credentials_both_must_match() {
    let mut c = radio_net::ServerConfig::default();
    let mut m = radio_net::MountConfig::new("/own");
    m.username = Some("dj".into());
    m.password = Some("secret".into());
    c.mounts.push(m);
    let t = TestServer::start(c).await;
    for (u, p, ok) in [
        ("dj", "secret", true),
        ("dj", "hackme", false),
        ("source", "secret", false),
        ("source", "hackme", false),
    ] {
        let (_s, head, _) = request(
            t.addr,
            &format!(
                "SOURCE /own HTTP/1.0\r\nAuthorization: {}\r\n\r\n",
                basic(u, p)
            ),
        )
        .await;
        assert_eq!(head.starts_with("HTTP/1.0 200"), ok, "{u}:{p} → {head}");
        drop(_s);
        until(|| !mount_status(&t.server, "/own").unwrap().live).await;
    }
    t.stop().await;
}

#[tokio::test]
async fn shoutcast_v1_pipelined_login() {
    let t = TestServer::default().await;
    let audio = frames(0, 40);
    let mut s = TcpStream::connect(t.shoutcast).await.unwrap();
    // BUTT sends everything without waiting for OK2.
    let mut req = b"hackme\r\nicy-name:SC Radio\r\nicy-genre:Jazz\r\nicy-br:128\r\ncontent-type:audio/mpeg\r\n\r\n".to_vec();
    req.extend_from_slice(&audio);
    s.write_all(&req).await.unwrap();
    let mut ok = [0u8; 20];
    s.read_exact(&mut ok).await.unwrap();
    assert_eq!(&ok, b"OK2\r\nicy-caps:11\r\n\r\n");
    let (mut l, head, mut got) = listen(t.addr, "/stream", "").await;
    assert!(head.contains("icy-name:SC Radio\r\n"), "{head}");
    assert!(head.contains("icy-genre:Jazz\r\n"));
    assert!(head.contains("icy-br:128\r\n"));
    got.extend(read_n(&mut l, audio.len() - got.len()).await);
    assert_eq!(got, audio);

    let mut bad = TcpStream::connect(t.shoutcast).await.unwrap();
    bad.write_all(b"wrong\r\n").await.unwrap();
    assert_eq!(read_to_close(&mut bad).await, b"invalid password\r\n");
    t.stop().await;
}

//! Limits and timeouts: listener caps, slow listeners, idle sources, slowloris.

use crate::util::*;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn exactly_n_listeners_server_and_mount() {
    let mut c = radio_net::ServerConfig::default();
    c.limits.max_listeners = Some(3);
    let mut m = radio_net::MountConfig::new("/two");
    m.max_listeners = Some(2);
    c.mounts.push(m);
    let t = TestServer::start(c).await;
    let mut a = source(t.addr, "/two", "audio/mpeg", "").await;
    let mut b = source(t.addr, "/other", "audio/mpeg", "").await;
    a.write_all(&frames(0, 3)).await.unwrap();
    b.write_all(&frames(0, 3)).await.unwrap();
    let l1 = listen(t.addr, "/two", "").await;
    let l2 = listen(t.addr, "/two", "").await;
    assert!(l1.1.starts_with("HTTP/1.0 200") && l2.1.starts_with("HTTP/1.0 200"));
    let (head, body) = get(t.addr, "/two", "").await;
    assert!(head.starts_with("HTTP/1.0 403"), "{head}");
    assert_eq!(body, b"max listeners reached for this mount\r\n");
    let l3 = listen(t.addr, "/other", "").await;
    assert!(l3.1.starts_with("HTTP/1.0 200"));
    let (head, body) = get(t.addr, "/other", "").await;
    assert!(head.starts_with("HTTP/1.0 403"), "{head}");
    assert_eq!(body, b"Server listener limit reached\r\n");
    drop(l1);
    until(|| t.server.stats().listeners == 2).await;
    let l4 = listen(t.addr, "/two", "").await;
    assert!(l4.1.starts_with("HTTP/1.0 200"));
    t.stop().await;
}

#[tokio::test]
async fn slow_listener_is_dropped_and_others_keep_up() {
    let mut c = radio_net::ServerConfig::default();
    let mut m = radio_net::MountConfig::new("/s.mp3");
    m.queue_size = Some(64 * 1024);
    m.burst_size = Some(8 * 1024);
    c.mounts.push(m);
    let t = TestServer::start(c).await;
    let mut src = source(t.addr, "/s.mp3", "audio/mpeg", "").await;
    src.write_all(&frames(0, 30)).await.unwrap();
    // Never reads: the kernel buffers fill, then the cursor falls off the queue.
    let (_stuck, _, _) = listen(t.addr, "/s.mp3", "").await;
    let (mut good, _, mut got) = listen(t.addr, "/s.mp3", "").await;
    if got.len() < 8 {
        got.extend(read_n(&mut good, 8 - got.len()).await);
    }
    let start = u32::from_be_bytes(got[4..8].try_into().unwrap());
    let mut n = 30u32;
    while mount_status(&t.server, "/s.mp3").unwrap().slow_listeners == 0 {
        src.write_all(&frames(n, 50)).await.unwrap();
        n += 50;
        // The good listener reads everything as it comes.
        let want = (n - start) as usize * 417;
        got.extend(read_n(&mut good, want - got.len()).await);
        assert!(n < 200_000, "the stuck listener was never dropped");
    }
    until(|| mount_status(&t.server, "/s.mp3").unwrap().listeners == 1).await;
    assert_eq!(
        got,
        frames(start, n - start),
        "the reading listener missed nothing"
    );
    let st = mount_status(&t.server, "/s.mp3").unwrap();
    assert!(
        st.queued_bytes <= 64 * 1024 + 50 * 417,
        "queue bounded: {}",
        st.queued_bytes
    );
    t.stop().await;
}

#[tokio::test]
async fn idle_source_is_dropped_and_mount_freed() {
    let mut c = radio_net::ServerConfig::default();
    c.limits.source_timeout = Duration::from_millis(500);
    let t = TestServer::start(c).await;
    let addr = t.addr;
    let mut src = source(addr, "/idle", "audio/mpeg", "").await;
    src.write_all(&frames(0, 3)).await.unwrap();
    // The TCP connection stays open but silent: the server closes it.
    let started = std::time::Instant::now();
    let closed = read_to_close(&mut src).await;
    assert!(closed.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(!mount_status(&t.server, "/idle").is_some_and(|m| m.live));
    let _again = source(addr, "/idle", "audio/mpeg", "").await;
    t.stop().await;
}

#[tokio::test]
async fn slowloris_and_oversized_heads() {
    let mut c = radio_net::ServerConfig::default();
    c.limits.header_timeout = Duration::from_millis(500);
    c.limits.max_head_bytes = 2048;
    let t = TestServer::start(c).await;
    let addr = t.addr;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /x HTTP/1.0\r\nUser-Agent: slo")
        .await
        .unwrap();
    let (head, _) = read_head(&mut slow).await;
    assert!(head.starts_with("HTTP/1.0 408"), "{head}");
    let mut big = TcpStream::connect(addr).await.unwrap();
    big.write_all(format!("GET /x HTTP/1.0\r\nX: {}\r\n", "a".repeat(3000)).as_bytes())
        .await
        .unwrap();
    let (head, _) = read_head(&mut big).await;
    assert!(head.starts_with("HTTP/1.0 431"), "{head}");
    let mut garbage = TcpStream::connect(addr).await.unwrap();
    garbage
        .write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
        .await
        .unwrap();
    let (head, _) = read_head(&mut garbage).await;
    assert!(head.starts_with("HTTP/1.0 400"), "{head}");
    // The server still serves everyone else.
    let (head, _) = get(addr, "/status-json.xsl", "").await;
    assert!(head.starts_with("HTTP/1.0 200"));
    t.stop().await;
}

#[tokio::test]
async fn write_timeout_closes_stuck_listener() {
    let mut c = radio_net::ServerConfig::default();
    c.limits.write_timeout = Duration::from_millis(300);
    // A queue far larger than the socket buffers: only the write timeout can end it.
    c.mount_defaults.queue_size = 256 << 20;
    let t = TestServer::start(c).await;
    let mut src = source(t.addr, "/w", "audio/mpeg", "").await;
    src.write_all(&frames(0, 5)).await.unwrap();
    let (_stuck, _, _) = listen(t.addr, "/w", "").await;
    // 20 MB: far more than loopback's socket buffers take, so its writes block; then
    // nothing more arrives and only the write timeout can end it.
    src.write_all(&frames(5, 50_000)).await.unwrap();
    until(|| mount_status(&t.server, "/w").unwrap().listeners == 0).await;
    assert_eq!(mount_status(&t.server, "/w").unwrap().slow_listeners, 0);
    t.stop().await;
}

#[tokio::test]
async fn connection_limit_answers_503() {
    let mut c = radio_net::ServerConfig::default();
    c.limits.max_connections = 2;
    let t = TestServer::start(c).await;
    let mut src = source(t.addr, "/c", "audio/mpeg", "").await;
    src.write_all(&frames(0, 3)).await.unwrap();
    let (_l, head, _) = listen(t.addr, "/c", "").await;
    assert!(head.starts_with("HTTP/1.0 200"));
    // Source and listener hold both places: the next connection is refused with a reason.
    let (head, body) = get(t.addr, "/status-json.xsl", "").await;
    assert!(head.starts_with("HTTP/1.0 503"), "{head}");
    assert_eq!(body, b"Icecast connection limit reached\r\n");
    drop(_l);
    until(|| t.server.stats().listeners == 0).await;
    let (head, _) = get(t.addr, "/status-json.xsl", "").await;
    assert!(
        head.starts_with("HTTP/1.0 200"),
        "the place is free again: {head}"
    );
    t.stop().await;
}

#[tokio::test]
async fn empty_buffer_timeout_closes_listeners_of_a_dead_mount() {
    let mut c = radio_net::ServerConfig::default();
    c.limits.empty_buffer_timeout = Duration::from_millis(600);
    let t = TestServer::start(c).await;
    let mut src = source(t.addr, "/e", "audio/mpeg", "").await;
    let audio = frames(0, 20);
    src.write_all(&audio).await.unwrap();
    let (mut l, _, mut got) = listen(t.addr, "/e", "").await;
    got.extend(read_n(&mut l, audio.len() - got.len()).await);
    let left = std::time::Instant::now();
    drop(src);
    // The listener plays out what was queued, then is closed after the timeout.
    assert!(read_to_close(&mut l).await.is_empty());
    assert!(
        left.elapsed() >= Duration::from_millis(500),
        "{:?}",
        left.elapsed()
    );
    until(|| t.server.stats().listeners == 0).await;
    let st = mount_status(&t.server, "/e").unwrap();
    assert_eq!((st.live, st.listeners), (false, 0));
    t.stop().await;
}

//! Fallback mounts and moving listeners.

use crate::util::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Reads until a frame numbered at least `min` from the given numbering shows up;
/// returns that frame's number.
async fn frame_at_least(l: &mut TcpStream, marker: u8, min: u32) -> u32 {
    let mut window = Vec::new();
    loop {
        window.extend(read_n(l, 1).await);
        // Our frames are 417 bytes: FF FB 90 64, u32 counter, then the marker byte.
        if window.len() >= 9 {
            let w = &window[window.len() - 9..];
            if w[..4] == [0xFF, 0xFB, 0x90, 0x64] && w[8] == marker {
                let n = u32::from_be_bytes(w[4..8].try_into().unwrap());
                if n >= min {
                    return n;
                }
            }
        }
        if window.len() > 1 << 20 {
            window.drain(..window.len() - 16);
        }
    }
}

fn marked(start: u32, count: u32, marker: u8) -> Vec<u8> {
    let mut v = frames(start, count);
    for f in v.chunks_mut(417) {
        f[8] = marker;
    }
    v
}

#[tokio::test]
async fn listeners_move_to_fallback_and_back() {
    let mut c = radio_net::ServerConfig::default();
    let mut main = radio_net::MountConfig::new("/main");
    main.fallback = Some("/backup".into());
    main.fallback_override = true;
    c.mounts.push(main);
    c.mounts.push(radio_net::MountConfig::new("/backup"));
    let t = TestServer::start(c).await;
    let mut backup = source(t.addr, "/backup", "audio/mpeg", "").await;
    backup.write_all(&marked(0, 10, b'B')).await.unwrap();
    let mut a = source(t.addr, "/main", "audio/mpeg", "").await;
    a.write_all(&marked(0, 10, b'A')).await.unwrap();
    let (mut l, _, _) = listen(t.addr, "/main", "").await;
    frame_at_least(&mut l, b'A', 0).await;
    // The main source leaves: the same connection continues with the backup's audio.
    drop(a);
    backup.write_all(&marked(10, 10, b'B')).await.unwrap();
    frame_at_least(&mut l, b'B', 10).await;
    until(|| mount_status(&t.server, "/backup").unwrap().listeners == 1).await;
    assert_eq!(mount_status(&t.server, "/main").unwrap().listeners, 0);
    // It returns: fallback-override brings the listener home.
    let mut a2 = source(t.addr, "/main", "audio/mpeg", "").await;
    a2.write_all(&marked(100, 10, b'A')).await.unwrap();
    frame_at_least(&mut l, b'A', 100).await;
    until(|| mount_status(&t.server, "/main").unwrap().listeners == 1).await;
    // A new listener on the dead mount is sent to the live fallback, not refused.
    drop(a2);
    until(|| !mount_status(&t.server, "/main").unwrap().live).await;
    let (mut l2, head, _) = listen(t.addr, "/main", "").await;
    assert!(head.starts_with("HTTP/1.0 200"));
    backup.write_all(&marked(200, 10, b'B')).await.unwrap();
    frame_at_least(&mut l2, b'B', 200).await;
    t.stop().await;
}

#[tokio::test]
async fn moveclients_and_killsource() {
    let t = TestServer::default().await;
    let mut a = source(t.addr, "/a", "audio/mpeg", "").await;
    let mut b = source(t.addr, "/b", "audio/mpeg", "").await;
    a.write_all(&marked(0, 5, b'A')).await.unwrap();
    b.write_all(&marked(0, 5, b'B')).await.unwrap();
    let (mut l, _, _) = listen(t.addr, "/a", "").await;
    frame_at_least(&mut l, b'A', 0).await;
    let auth = format!("Authorization: {}\r\n", basic("admin", "hackme"));
    let (head, body) = get(t.addr, "/admin/moveclients?mount=/a&destination=/b", &auth).await;
    assert!(head.starts_with("HTTP/1.0 200"));
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("Clients moved from /a to /b")
    );
    until(|| mount_status(&t.server, "/b").unwrap().listeners == 1).await;
    b.write_all(&marked(5, 5, b'B')).await.unwrap();
    frame_at_least(&mut l, b'B', 5).await;
    let (_, body) = get(
        t.addr,
        "/admin/moveclients?mount=/a&destination=/nowhere",
        &auth,
    )
    .await;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("<return>0</return>")
    );
    // killsource ends the source; with no fallback its listener is closed after the
    // empty-buffer timeout.
    let (head, body) = get(t.addr, "/admin/killsource?mount=/b", &auth).await;
    assert!(head.starts_with("HTTP/1.0 200"));
    assert!(String::from_utf8(body).unwrap().contains("Source Removed"));
    assert!(read_to_close(&mut b).await.is_empty());
    until(|| !mount_status(&t.server, "/b").unwrap().live).await;
    t.stop().await;
}

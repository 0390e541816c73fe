//! Listener side: headers, HEAD, 404, burst, playlists, the iOS probe.

use crate::util::*;
use tokio::io::AsyncWriteExt;

const INFO: &str = "ice-name: Test Radio\r\nice-genre: Rock\r\nice-description: A test\r\nice-url: http://example.org\r\nice-public: 0\r\nice-bitrate: 128\r\nice-audio-info: ice-samplerate=44100;ice-bitrate=128;ice-channels=2\r\n";

#[tokio::test]
async fn listener_headers_map_source_properties() {
    let t = TestServer::default().await;
    let mut src = source(t.addr, "/live.mp3", "audio/mpeg", INFO).await;
    src.write_all(&frames(0, 10)).await.unwrap();
    let (_l, head, _) = listen(t.addr, "/live.mp3", "Icy-MetaData: 1\r\n").await;
    for want in [
        "HTTP/1.0 200 OK\r\n",
        "Content-Type: audio/mpeg\r\n",
        "Cache-Control: no-cache, no-store\r\n",
        "icy-br:128\r\n",
        "ice-audio-info:ice-samplerate=44100;ice-bitrate=128;ice-channels=2\r\n",
        "icy-description:A test\r\n",
        "icy-genre:Rock\r\n",
        "icy-name:Test Radio\r\n",
        "icy-pub:0\r\n",
        "icy-url:http://example.org\r\n",
        "icy-metaint:16000\r\n",
        "X-Audiocast-Name:Test Radio\r\n",
    ] {
        assert!(head.contains(want), "missing {want:?} in\n{head}");
    }
    // HEAD: the same headers, no body, not a listener.
    let (mut h, hhead, rest) = request(t.addr, "HEAD /live.mp3 HTTP/1.1\r\n\r\n").await;
    assert!(hhead.contains("icy-name:Test Radio\r\n"));
    assert!(rest.is_empty() && read_to_close(&mut h).await.is_empty());
    assert_eq!(mount_status(&t.server, "/live.mp3").unwrap().listeners, 1);
    t.stop().await;
}

#[tokio::test]
async fn no_source_is_404_and_never_stale_audio() {
    let t = TestServer::default().await;
    let (head, _) = get(t.addr, "/nothing.mp3", "").await;
    assert!(head.starts_with("HTTP/1.0 404"), "{head}");
    // A mount whose source left answers 404 too, although its queue still holds audio.
    let mut src = source(t.addr, "/gone", "audio/mpeg", "").await;
    src.write_all(&frames(0, 50)).await.unwrap();
    let (_l, head, _) = listen(t.addr, "/gone", "").await;
    assert!(head.starts_with("HTTP/1.0 200"));
    drop(src);
    until(|| !mount_status(&t.server, "/gone").is_some_and(|m| m.live)).await;
    let (head, body) = get(t.addr, "/gone", "").await;
    assert!(head.starts_with("HTTP/1.0 404"), "{head}");
    assert_eq!(body, b"The source is not connected\r\n");
    t.stop().await;
}

#[tokio::test]
async fn burst_starts_on_a_frame_and_is_about_burst_size() {
    let t = TestServer::default().await;
    let mut src = source(t.addr, "/b.mp3", "audio/mpeg", "").await;
    // 400 frames × 417 bytes ≈ 163 KiB, more than the 64 KiB burst.
    src.write_all(&frames(0, 400)).await.unwrap();
    until(|| mount_status(&t.server, "/b.mp3").unwrap().bytes_published == 400 * 417).await;
    let (mut l, _, mut got) = listen(t.addr, "/b.mp3", "").await;
    while got.len() < 65536 {
        got.extend(read_n(&mut l, 1).await);
    }
    assert_eq!(got[0], 0xFF, "burst starts on a frame header");
    assert_eq!(got[1], 0xFB);
    let first = u32::from_be_bytes(got[4..8].try_into().unwrap());
    let behind = (400 - first) as usize * 417;
    assert!(
        (65536..65536 + 16 * 1024).contains(&behind),
        "burst of {behind} bytes"
    );
    // And the bytes are a contiguous slice of what the source sent.
    let expect = frames(first, 400 - first);
    got.extend(read_n(&mut l, expect.len() - got.len()).await);
    assert_eq!(got, expect);
    t.stop().await;
}

#[tokio::test]
async fn playlists_point_at_the_mount() {
    let t = TestServer::default().await;
    let _src = source(t.addr, "/live.mp3", "audio/mpeg", "").await;
    let (head, body) = get(t.addr, "/live.mp3.m3u", "Host: radio.example:8000\r\n").await;
    assert!(head.contains("Content-Type: audio/x-mpegurl"), "{head}");
    assert_eq!(body, b"http://radio.example:8000/live.mp3\r\n");
    let (_, pls) = get(t.addr, "/live.mp3.pls", "Host: h\r\n").await;
    assert!(
        String::from_utf8(pls)
            .unwrap()
            .contains("File1=http://h/live.mp3")
    );
    t.stop().await;
}

#[tokio::test]
async fn ios_range_probe_is_not_a_listener() {
    let t = TestServer::default().await;
    let mut src = source(t.addr, "/p.mp3", "audio/mpeg", "").await;
    src.write_all(&frames(0, 5)).await.unwrap();
    let (mut s, head, mut body) = listen(t.addr, "/p.mp3", "Range: bytes=0-1\r\n").await;
    body.extend(read_to_close(&mut s).await);
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert_eq!(body.len(), 2);
    let st = mount_status(&t.server, "/p.mp3").unwrap();
    assert_eq!((st.listeners, st.peak), (0, 0));
    assert_eq!(t.server.stats().listener_connections, 0);
    t.stop().await;
}

#[tokio::test]
async fn query_string_is_ignored_for_matching() {
    let t = TestServer::default().await;
    let mut src = source(t.addr, "/q.mp3", "audio/mpeg", "").await;
    src.write_all(&frames(0, 5)).await.unwrap();
    let (_l, head, _) = listen(t.addr, "/q.mp3?nocache=123", "").await;
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    t.stop().await;
}

//! ICY metadata: interval, first block, zero bytes, updates, charsets.

use crate::util::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Reads one metadata interval of audio and the block after it.
async fn next_block(
    l: &mut TcpStream,
    pending: &mut Vec<u8>,
    metaint: usize,
) -> (Vec<u8>, Vec<u8>) {
    while pending.len() < metaint + 1 {
        pending.extend(read_n(l, 1).await);
    }
    let audio: Vec<u8> = pending.drain(..metaint).collect();
    let len = pending.remove(0) as usize * 16;
    while pending.len() < len {
        pending.extend(read_n(l, 1).await);
    }
    let block: Vec<u8> = pending.drain(..len).collect();
    (audio, block)
}

async fn set_title(addr: std::net::SocketAddr, query: &str) -> String {
    let (head, body) = get(
        addr,
        &format!("/admin/metadata?mode=updinfo&mount=/i.mp3&{query}"),
        &format!("Authorization: {}\r\n", basic("source", "hackme")),
    )
    .await;
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    String::from_utf8(body).unwrap()
}

#[tokio::test]
async fn blocks_at_every_boundary_and_updates_arrive() {
    let mut c = radio_net::ServerConfig::default();
    let mut m = radio_net::MountConfig::new("/i.mp3");
    m.metaint = Some(4000);
    c.mounts.push(m);
    let t = TestServer::start(c).await;
    let mut src = source(t.addr, "/i.mp3", "audio/mpeg", "").await;
    let reply = set_title(t.addr, "song=Artist+O%27Neil+-+Caf%C3%A9").await;
    assert!(
        reply.contains("<message>Metadata update successful</message><return>1</return>"),
        "{reply}"
    );
    src.write_all(&frames(0, 30)).await.unwrap();
    let (mut l, head, mut pending) = listen(t.addr, "/i.mp3", "Icy-MetaData: 1\r\n").await;
    assert!(head.contains("icy-metaint:4000\r\n"));
    // The first block is the current title, with the apostrophe as sent.
    let (audio, block) = next_block(&mut l, &mut pending, 4000).await;
    assert_eq!(audio[..2], [0xFF, 0xFB]);
    let text = String::from_utf8(block.clone()).unwrap();
    assert!(
        text.starts_with("StreamTitle='Artist O'Neil - Café';"),
        "{text:?}"
    );
    assert!(block.len() % 16 == 0 && block.ends_with(&[0]));
    // Unchanged: a zero length byte.
    let (_, block) = next_block(&mut l, &mut pending, 4000).await;
    assert!(block.is_empty());
    // An update with artist + title in Latin-1 reaches the stream as UTF-8.
    set_title(t.addr, "artist=Bj%F6rk&title=J%F3ga&charset=ISO-8859-1").await;
    src.write_all(&frames(30, 60)).await.unwrap();
    let mut seen = None;
    for _ in 0..8 {
        let (_, block) = next_block(&mut l, &mut pending, 4000).await;
        if !block.is_empty() {
            seen = Some(String::from_utf8(block).unwrap());
            break;
        }
    }
    assert!(seen.unwrap().starts_with("StreamTitle='Björk - Jóga';"));
    // The JSON status shows the same text, not mojibake.
    let (_, body) = get(t.addr, "/status-json.xsl", "").await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["icestats"]["source"]["title"], "Björk - Jóga");
    t.stop().await;
}

#[tokio::test]
async fn empty_title_first_and_latin1_mount_charset() {
    let mut c = radio_net::ServerConfig::default();
    let mut m = radio_net::MountConfig::new("/i.mp3");
    m.metaint = Some(1000);
    m.charset = "ISO-8859-1".into();
    c.mounts.push(m);
    let t = TestServer::start(c).await;
    let mut src = source(t.addr, "/i.mp3", "audio/mpeg", "").await;
    src.write_all(&frames(0, 10)).await.unwrap();
    let (mut l, _, mut pending) = listen(t.addr, "/i.mp3", "icy-metadata: 1\r\n").await;
    let (_, block) = next_block(&mut l, &mut pending, 1000).await;
    assert_eq!(block, b"StreamTitle='';\0");
    set_title(t.addr, "song=Caf%E9&charset=ISO-8859-1").await;
    src.write_all(&frames(10, 20)).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..12 {
        let (_, block) = next_block(&mut l, &mut pending, 1000).await;
        if !block.is_empty() {
            got = block;
            break;
        }
    }
    assert!(got.starts_with(b"StreamTitle='Caf\xe9';"), "{got:?}");
    t.stop().await;
}

#[tokio::test]
async fn metadata_refusals() {
    let t = TestServer::default().await;
    let (head, _) = get(t.addr, "/admin/metadata?mode=updinfo&mount=/x&song=a", "").await;
    assert!(head.starts_with("HTTP/1.0 401"));
    let auth = format!("Authorization: {}\r\n", basic("admin", "hackme"));
    let (head, body) = get(
        t.addr,
        "/admin/metadata?mode=updinfo&mount=/x&song=a",
        &auth,
    )
    .await;
    assert!(head.starts_with("HTTP/1.0 400"));
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("Source does not exist")
    );
    let _src = source(t.addr, "/x", "audio/mpeg", "").await;
    let long = "a".repeat(4100);
    let (head, body) = get(
        t.addr,
        &format!("/admin/metadata?mode=updinfo&mount=/x&song={long}"),
        &auth,
    )
    .await;
    assert!(
        head.starts_with("HTTP/1.0 400"),
        "titles over 4080 bytes are refused"
    );
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("longer than 4080")
    );
    t.stop().await;
}

#[tokio::test]
async fn shoutcast_admin_cgi_sets_title() {
    let t = TestServer::default().await;
    let mut src = tokio::net::TcpStream::connect(t.shoutcast).await.unwrap();
    src.write_all(b"hackme\r\ncontent-type: audio/mpeg\r\n\r\n")
        .await
        .unwrap();
    until(|| mount_status(&t.server, "/stream").is_some_and(|m| m.live)).await;
    let (head, _) = get(t.addr, "/admin.cgi?pass=hackme&mode=updinfo&song=Hello", "").await;
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert_eq!(mount_status(&t.server, "/stream").unwrap().title, "Hello");
    let (head, _) = get(t.addr, "/admin.cgi?mode=updinfo&song=Hello", "").await;
    assert!(head.starts_with("HTTP/1.0 400"));
    t.stop().await;
}

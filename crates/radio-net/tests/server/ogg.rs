//! Ogg: header replay for every new listener, bursts on page boundaries, chains.

use crate::util::*;
use radio_net::framing::{ogg_page, opus_tags_packet};
use tokio::io::AsyncWriteExt;

const OPUS_HEAD: &[u8] = b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0";

fn chain(serial: u32, title: &str, pages: u32) -> (Vec<u8>, Vec<u8>) {
    let mut headers = ogg_page(serial, 0, 0, 2, &[OPUS_HEAD]);
    headers.extend(ogg_page(
        serial,
        1,
        0,
        0,
        &[&opus_tags_packet(&[
            &format!("TITLE={title}"),
            "ARTIST=Band",
        ])],
    ));
    let mut audio = Vec::new();
    for i in 0..pages {
        audio.extend(ogg_page(
            serial,
            2 + i,
            960 * u64::from(i + 1),
            0,
            &[&[i as u8; 400]],
        ));
    }
    (headers, audio)
}

#[tokio::test]
async fn late_listener_gets_headers_then_pages() {
    let t = TestServer::default().await;
    let mut src = source(t.addr, "/o.opus", "audio/ogg", "").await;
    let (headers, audio) = chain(7, "First", 400);
    src.write_all(&headers).await.unwrap();
    src.write_all(&audio).await.unwrap();
    until(|| {
        mount_status(&t.server, "/o.opus").unwrap().bytes_published as usize
            == headers.len() + audio.len()
    })
    .await;
    // Icy-MetaData is ignored for Ogg.
    let (mut l, head, mut got) = listen(t.addr, "/o.opus", "Icy-MetaData: 1\r\n").await;
    assert!(!head.contains("icy-metaint"), "{head}");
    assert!(head.contains("Content-Type: audio/ogg"));
    while got.len() < headers.len() + 27 {
        got.extend(read_n(&mut l, 1).await);
    }
    assert_eq!(
        &got[..headers.len()],
        &headers[..],
        "header pages come first"
    );
    let rest = &got[headers.len()..];
    assert!(rest.starts_with(b"OggS"), "then audio from a page boundary");
    let seq = u32::from_le_bytes(rest[18..22].try_into().unwrap());
    assert!(
        seq > 2,
        "a late listener does not start at the first page (seq {seq})"
    );
    let st = mount_status(&t.server, "/o.opus").unwrap();
    assert_eq!(st.title, "Band - First");
    t.stop().await;
}

#[tokio::test]
async fn new_chain_replaces_headers() {
    let mut c = radio_net::ServerConfig::default();
    let mut m = radio_net::MountConfig::new("/small.ogg");
    m.burst_size = Some(2000);
    c.mounts.push(m);
    let t = TestServer::start(c).await;
    let (h1, a1) = chain(1, "One", 20);
    let (h2, a2) = chain(2, "Two", 20);
    let whole = [h1.clone(), a1.clone(), h2.clone(), a2.clone()].concat();
    for mount in ["/o.ogg", "/small.ogg"] {
        let mut src = source(t.addr, mount, "application/ogg", "").await;
        src.write_all(&whole).await.unwrap();
        until(|| mount_status(&t.server, mount).unwrap().title == "Band - Two").await;
        until(|| mount_status(&t.server, mount).unwrap().bytes_published as usize == whole.len())
            .await;
        let (mut l, _, mut got) = listen(t.addr, mount, "").await;
        if mount == "/o.ogg" {
            // The 64 KiB burst covers both chains: the stream arrives exactly as sent.
            got.extend(read_n(&mut l, whole.len() - got.len()).await);
            assert_eq!(got, whole);
        } else {
            // A 2000-byte burst starts inside chain two: its headers come first.
            while got.len() < h2.len() + 4 {
                got.extend(read_n(&mut l, 1).await);
            }
            assert_eq!(&got[..h2.len()], &h2[..]);
            assert!(got[h2.len()..].starts_with(b"OggS"));
        }
    }
    t.stop().await;
}

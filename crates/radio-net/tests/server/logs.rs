//! access.log lines and dump files.

use crate::util::*;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn access_log_and_dump_file() {
    let dir = std::env::temp_dir().join(format!("radio-net-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = radio_net::ServerConfig::default();
    c.access_log = Some(dir.join("access.log"));
    let mut m = radio_net::MountConfig::new("/d.mp3");
    m.dump_file = Some(dir.join("dump.mp3"));
    c.mounts.push(m);
    let t = TestServer::start(c).await;
    let mut src = source(
        t.addr,
        "/d.mp3",
        "audio/mpeg",
        "User-Agent: test-encoder\r\n",
    )
    .await;
    // Junk in the middle must reach the dump file too, byte for byte.
    let mut sent = frames(0, 20);
    sent.extend_from_slice(b"junk between frames");
    sent.extend(frames(20, 20));
    src.write_all(&sent).await.unwrap();
    let (mut l, _, mut got) = listen(
        t.addr,
        "/d.mp3?x=1",
        "User-Agent: VLC/3.0\r\nReferer: http://ref.example/\r\n",
    )
    .await;
    got.extend(read_n(&mut l, sent.len() - got.len()).await);
    assert_eq!(got, sent);
    drop(l);
    drop(src);
    until(|| t.server.stats().listeners == 0 && t.server.stats().sources == 0).await;
    t.stop().await;
    assert_eq!(std::fs::read(dir.join("dump.mp3")).unwrap(), sent);
    let log = std::fs::read_to_string(dir.join("access.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    let listener = lines.iter().find(|l| l.contains("VLC")).unwrap();
    assert!(listener.starts_with("127.0.0.1 - - ["), "{listener}");
    assert!(
        listener.contains("\"GET /d.mp3 HTTP/1.0\" 200 "),
        "query string omitted: {listener}"
    );
    assert!(listener.contains("\"http://ref.example/\" \"VLC/3.0\" "));
    let source_line = lines.iter().find(|l| l.contains("SOURCE")).unwrap();
    assert!(
        source_line.contains(&format!(" 200 {} ", sent.len())),
        "{source_line}"
    );
    assert!(
        source_line.contains(" source ["),
        "user logged: {source_line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

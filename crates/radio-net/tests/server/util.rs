//! Shared helpers: a real server on 127.0.0.1:0 and raw-protocol clients.

use radio_net::framing::mp3_frame;
use radio_net::{Server, ServerConfig};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Upper bound for anything a test waits for; reached only when the behaviour is broken.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub server: Server,
    pub addr: SocketAddr,
    pub shoutcast: SocketAddr,
    pub task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(mut config: ServerConfig) -> TestServer {
        // Tests publish promptly so they do not wait on batching.
        config.fanout.publish_interval = Duration::from_millis(20);
        let server = Server::new(config).expect("valid config");
        let main = radio_net::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let sc = radio_net::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = main.local_addr().unwrap();
        let shoutcast = sc.local_addr().unwrap();
        let s = server.clone();
        let task = tokio::spawn(async move {
            s.run(main, Some(sc), std::future::pending::<()>())
                .await
                .unwrap()
        });
        TestServer {
            server,
            addr,
            shoutcast,
            task,
        }
    }

    pub async fn default() -> TestServer {
        TestServer::start(ServerConfig::default()).await
    }

    pub async fn stop(self) {
        self.server.shutdown();
        tokio::time::timeout(WAIT, self.task)
            .await
            .unwrap()
            .unwrap();
    }
}

pub fn basic(user: &str, pass: &str) -> String {
    radio_net::query::basic_header(user, pass)
}

/// Sends `request` and returns the response head as text plus any bytes after it.
pub async fn request(addr: SocketAddr, request: &str) -> (TcpStream, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let (head, rest) = read_head(&mut s).await;
    (s, head, rest)
}

/// Reads until the end of a response head.
pub async fn read_head(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        if let Some(n) = radio_net::request::head_len(&buf) {
            let rest = buf.split_off(n);
            return (String::from_utf8_lossy(&buf).into_owned(), rest);
        }
        let n = tokio::time::timeout(WAIT, s.read(&mut tmp))
            .await
            .expect("response head in time")
            .unwrap();
        assert!(
            n > 0,
            "closed before the head ended: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&tmp[..n]);
    }
}

/// A whole short response (status pages): head and body until close.
pub async fn get(addr: SocketAddr, path: &str, extra: &str) -> (String, Vec<u8>) {
    let (mut s, head, mut body) =
        request(addr, &format!("GET {path} HTTP/1.0\r\n{extra}\r\n")).await;
    tokio::time::timeout(WAIT, s.read_to_end(&mut body))
        .await
        .unwrap()
        .unwrap();
    (head, body)
}

/// Reads exactly `n` bytes.
pub async fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    tokio::time::timeout(WAIT, s.read_exact(&mut buf))
        .await
        .expect("bytes in time")
        .unwrap();
    buf
}

/// Waits for the peer to close; returns what arrived meanwhile.
pub async fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut buf))
        .await
        .expect("closed in time")
        .ok();
    buf
}

/// A connected Icecast source (after `200 OK`).
pub async fn source(addr: SocketAddr, mount: &str, content_type: &str, extra: &str) -> TcpStream {
    let (s, head, _) = request(
        addr,
        &format!(
            "SOURCE {mount} HTTP/1.0\r\nAuthorization: {}\r\nContent-Type: {content_type}\r\n{extra}\r\n",
            basic("source", "hackme")
        ),
    )
    .await;
    assert_eq!(head, "HTTP/1.0 200 OK\r\n\r\n");
    s
}

/// MP3 frames with a counter in each frame's payload, so positions can be checked.
pub fn frames(start: u32, count: u32) -> Vec<u8> {
    let mut v = Vec::new();
    for i in start..start + count {
        let mut f = mp3_frame(false);
        f[4..8].copy_from_slice(&i.to_be_bytes());
        v.extend(f);
    }
    v
}

/// A listener connection; returns the socket, its head and the first body bytes.
pub async fn listen(addr: SocketAddr, mount: &str, extra: &str) -> (TcpStream, String, Vec<u8>) {
    request(addr, &format!("GET {mount} HTTP/1.0\r\n{extra}\r\n")).await
}

/// Polls a condition on the server's state (a status query, not a sleep on the
/// behaviour under test) until it holds.
pub async fn until(mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in time"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

pub fn mount_status(server: &Server, path: &str) -> Option<radio_net::mount::MountStatus> {
    server.stats().mounts.into_iter().find(|m| m.path == path)
}

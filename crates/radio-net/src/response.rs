//! Writing small HTTP responses (status pages, errors, admin replies).
//!
//! Everything except streams is one request per connection: a complete response with a
//! `Content-Length`, then close. Errors carry a plain-text body that says why.

use tokio::io::{AsyncWrite, AsyncWriteExt};

/// An HTTP response held in memory.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Content type of the body.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// Write headers only (HEAD).
    pub head_only: bool,
}

/// The reason phrase for a status code.
pub fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}

impl Response {
    /// A response with a body.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            content_type: content_type.to_string(),
            body: body.into(),
            head_only: false,
        }
    }

    /// A plain-text response, the body ending in a line break.
    pub fn text(status: u16, message: &str) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            format!("{message}\r\n"),
        )
    }

    /// Icecast's 401: Basic auth wanted; `Allow` lists PUT so libshout picks it.
    pub fn unauthorized() -> Response {
        Response::text(401, "You need to authenticate")
            .header("WWW-Authenticate", "Basic realm=\"Icecast2 Server\"")
            .header("Allow", "GET, HEAD, PUT, SOURCE, OPTIONS")
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.0 {} {}\r\nServer: {}\r\nDate: {}\r\nConnection: close\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nAccess-Control-Allow-Origin: *\r\n",
            self.status,
            reason(self.status),
            crate::SERVER_ID,
            http_date(),
            self.content_type,
            self.body.len()
        );
        for (n, v) in &self.headers {
            out.push_str(n);
            out.push_str(": ");
            out.push_str(v);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if !self.head_only {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }

    /// Writes the response; errors are the peer's problem and are ignored.
    pub async fn send<W: AsyncWrite + Unpin>(&self, w: &mut W) {
        let _ = w.write_all(&self.to_bytes()).await;
        let _ = w.flush().await;
    }
}

/// The current time as an HTTP date (`Sat, 21 Nov 2026 20:56:16 GMT`).
pub fn http_date() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

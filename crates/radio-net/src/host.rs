//! What the program embedding the server adds to it: routes of its own (an API, a web
//! interface, now-playing pages) and source connections it takes for itself (a
//! station's live DJs, authenticated against its own accounts, their audio going into
//! the station rather than to a mount).
//!
//! Install one [`Host`] with [`crate::Server::set_host`]. The server asks it before its
//! own rules: a route it [`Host::wants`] is handed over whole — the parsed head, the
//! bytes already read and the socket — and a source login it answers (accept or refuse)
//! never reaches the mounts.

use crate::request::RequestHead;
use bytes::BytesMut;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// How a source logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceProtocol {
    /// Icecast2 `PUT`/`SOURCE` with HTTP basic credentials.
    Icecast,
    /// Shoutcast v1: a password line only (`user:password` by convention).
    Shoutcast,
}

/// A source asking to feed a mount.
#[derive(Debug)]
pub struct SourceLogin<'a> {
    /// The mount path.
    pub mount: &'a str,
    /// The user name (empty for Shoutcast v1).
    pub user: &'a str,
    /// The password as sent.
    pub password: &'a str,
    /// The peer.
    pub peer: SocketAddr,
    /// Which protocol.
    pub protocol: SourceProtocol,
    /// The request head (Shoutcast: the `icy-*` lines, with `content-type`).
    pub head: &'a RequestHead,
}

/// Where an accepted source's audio goes: the bytes exactly as sent (de-chunked).
/// Dropped when the connection ends.
pub trait SourceSink: Send {
    /// Stream bytes, as they arrive.
    fn write(&mut self, data: &[u8]);
}

/// The host's answer to a source login.
pub enum SourceVerdict {
    /// Not the host's mount: the server's own rules apply.
    NotMine,
    /// Refused: the status (401, 403, ...) and the reason sent back.
    Refuse {
        /// HTTP status.
        status: u16,
        /// The reason, sent as the body (Shoutcast: as the reply line).
        reason: String,
    },
    /// Accepted: audio goes to `sink` until the connection ends or `kill` is cancelled.
    Accept {
        /// Where the audio goes.
        sink: Box<dyn SourceSink>,
        /// Cancel it to disconnect the source (a kick).
        kill: CancellationToken,
    },
}

impl std::fmt::Debug for SourceVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceVerdict::NotMine => f.write_str("NotMine"),
            SourceVerdict::Refuse { status, reason } => write!(f, "Refuse({status}, {reason})"),
            SourceVerdict::Accept { .. } => f.write_str("Accept"),
        }
    }
}

/// A metadata update (`/admin/metadata?mode=updinfo`) for a mount the host owns.
#[derive(Debug)]
pub struct MetadataUpdate<'a> {
    /// The mount path.
    pub mount: &'a str,
    /// Credentials sent (basic auth, or `pass=` for `/admin.cgi`).
    pub user: Option<&'a str>,
    /// The password.
    pub password: Option<&'a str>,
    /// The whole title (`song=`, or `artist - title`).
    pub song: &'a str,
    /// The artist, when sent separately.
    pub artist: Option<&'a str>,
}

/// The host's answer to a metadata update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataVerdict {
    /// Not the host's mount.
    NotMine,
    /// Refused (401 for wrong credentials, 404 when no source is connected...).
    Refuse(u16, String),
    /// Taken.
    Done,
}

/// A connection handed to the host: the head, the body bytes already read, the socket.
#[derive(Debug)]
pub struct HostConnection {
    /// The request head.
    pub head: RequestHead,
    /// Bytes read past the head (the start of a body).
    pub rest: BytesMut,
    /// The socket.
    pub stream: TcpStream,
    /// The peer.
    pub peer: SocketAddr,
}

/// A boxed future, as [`Host::serve`] returns.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A listener who left: what listener statistics keep of them.
#[derive(Debug, Clone)]
pub struct ListenerSession<'a> {
    /// The mount they were on when they left (a fallback's, if they were moved).
    pub mount: &'a str,
    /// Their address.
    pub peer: SocketAddr,
    /// When they connected.
    pub started: chrono::DateTime<chrono::Utc>,
    /// How long they stayed.
    pub duration: std::time::Duration,
    /// Bytes sent to them (stream and metadata; not the response head).
    pub bytes: u64,
    /// Their `User-Agent`, or empty.
    pub user_agent: &'a str,
    /// Their `Referer`, or empty.
    pub referer: &'a str,
}

/// Routes and sources the embedding program takes for itself.
pub trait Host: Send + Sync + 'static {
    /// Whether the host serves this request (checked before mounts and status pages).
    fn wants(&self, head: &RequestHead) -> bool {
        let _ = head;
        false
    }

    /// Serves a request [`Host::wants`]; the future owns the connection.
    fn serve(&self, conn: HostConnection) -> BoxFuture {
        let _ = conn;
        Box::pin(async {})
    }

    /// A source login, before the server's own checks.
    fn source(&self, login: &SourceLogin<'_>) -> SourceVerdict {
        let _ = login;
        SourceVerdict::NotMine
    }

    /// A metadata update, before the server's own handling.
    fn metadata(&self, update: &MetadataUpdate<'_>) -> MetadataVerdict {
        let _ = update;
        MetadataVerdict::NotMine
    }

    /// A listener left. Called on the task that served them: keep it short (hand the
    /// session to a channel).
    fn listener_left(&self, session: &ListenerSession<'_>) {
        let _ = session;
    }
}

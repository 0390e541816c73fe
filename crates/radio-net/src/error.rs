//! The error type of `radio-net`.

use std::io;

/// Everything that can go wrong in `radio-net`.
///
/// Errors about one connection (a bad request, a wrong password, a slow listener) are
/// *recoverable*: they end that connection and nothing else. [`Error::Bind`] and
/// [`Error::Config`] are fatal for the server that returned them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is inconsistent; the message names the setting to fix.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A request head could not be parsed.
    #[error("bad request: {0}")]
    BadRequest(#[from] crate::request::HeadError),
    /// A chunked request body is malformed.
    #[error("bad chunked body: {0}")]
    Chunked(#[from] crate::chunked::ChunkedError),
    /// A peer (upstream server, relay master) answered something we cannot use.
    #[error("{peer}: {message}")]
    Peer {
        /// Which peer, as `host:port/mount`.
        peer: String,
        /// What was wrong with its answer.
        message: String,
    },
    /// A socket or file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A timeout expired.
    #[error("timed out: {0}")]
    Timeout(String),
}

impl Error {
    /// Wraps an I/O error with what we were doing when it happened.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The crate's error type.

/// What went wrong. Every error is recoverable for the station: a bad show file fails
/// that show, a bad library entry is skipped, a bad calendar keeps the previous one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A media file could not be opened or decoded.
    #[error("{what}: {source}")]
    Media {
        /// What it was for ("failsafe", a show, a track).
        what: String,
        /// The decoder's error.
        #[source]
        source: radio_core::Error,
    },
    /// A setting is unusable (the message names it).
    #[error("{0}")]
    Config(String),
    /// A request was refused (the message says why).
    #[error("{0}")]
    Refused(String),
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
